"""Plain JSON values from the numbers, arrays and containers the package produces.

:func:`jsonable` is the one converter every writer of JSON uses (landscape results, the
command line's reports and tables). This module imports only numpy: every layer may use it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np

__all__ = ["jsonable"]


def jsonable(obj):
    """``obj`` with every part made a plain JSON value.

    * mappings become dicts with string keys, lists and tuples become lists;
    * numpy arrays and scalars (and other array-likes such as JAX arrays) become Python
      numbers, bools and nested lists;
    * non-finite floats (NaN, +-inf) become ``None``, which JSON can hold;
    * paths become strings;
    * anything else (str, None, ...) is returned as it is.

    The result passes ``json.dumps(..., allow_nan=False)`` whenever the leaves are numbers,
    strings, bools, None or arrays of them.
    """
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray | np.generic):
        return jsonable(obj.tolist())
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "__array__") and not isinstance(obj, str | bytes):
        return jsonable(np.asarray(obj).tolist())
    return obj
