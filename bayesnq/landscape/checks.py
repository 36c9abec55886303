"""Argument checks of the landscape analysis, on top of :mod:`bayesnq.validation`.

The package's checks cover numbers, levels, choices and arrays; the ones here are the
landscape's own shapes of input: a score vector, a matrix of encoded points, a list of
hyperparameter names, a column with a bad entry. They raise with the same grammar,
``{name} must be {allowed}, got {name}={value!r}``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from bayesnq.validation import check_array, check_finite, check_real, fail


def check_scores(name: str, y, n: int | None = None, min_size: int = 1) -> np.ndarray:
    """Finite scores as a 1-D float array, ``n`` of them when ``n`` is given."""
    arr = check_finite(name, check_array(name, y, ndim=1, min_size=min_size))
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must hold {n} scores (one per run), got {arr.size}")
    return arr


def check_points(name: str, u) -> np.ndarray:
    """Finite points as an ``(n, d)`` float array with at least one row and one column."""
    arr = check_finite(name, check_array(name, u, ndim=2))
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must have at least one row and one column, got {name} of shape {arr.shape}")
    return arr


def check_names(names, d: int) -> tuple[str, ...]:
    """Hyperparameter names, one string per coordinate; default ``x0, x1, ...``."""
    if names is None:
        return tuple(f"x{j}" for j in range(d))
    names = tuple(names)
    if len(names) != d or not all(isinstance(s, str) for s in names):
        raise fail("names", f"{d} strings", names)
    return names


def check_sequence(name: str, value, allowed: str) -> Sequence:
    """A sequence (list, tuple, ...) that is not a string."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise fail(name, allowed, value)
    return value


def check_floor(name: str, value) -> float:
    """A finite number, or ``-inf`` for no floor."""
    if (isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
            and value == -math.inf):
        return -math.inf
    try:
        return check_real(name, value)
    except ValueError:
        raise fail(name, "a finite number or -inf", value) from None


def check_entries(name: str, values: np.ndarray, ok: np.ndarray, allowed: str) -> None:
    """Raise for the first entry of ``values`` where ``ok`` is False, naming its index."""
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        value = values[i]
        value = value.item() if isinstance(value, np.generic) else value
        raise ValueError(f"{name} must be {allowed}, got {name}[{i}]={value!r}")
