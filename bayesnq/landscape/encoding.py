r"""Configurations on the unit cube: each hyperparameter mapped by its sampling CDF.

Random-search samples are then roughly uniform on :math:`[0, 1]^d` and Euclidean
distances are comparable across hyperparameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from bayesnq.landscape.checks import check_entries
from bayesnq.validation import check_finite, check_real, fail

__all__ = ["KINDS", "encode", "describe_encoding"]

KINDS = ("log-uniform", "uniform", "integer", "integer-log-uniform", "choice")

# Relative slack for values stored with a few significant digits just outside their bounds.
BOUND_TOL = 1e-6


def encode(configs, search_space):
    r"""Map configurations to the unit cube by the CDF of their sampling distribution.

    For hyperparameter :math:`j` with prior :math:`F_j` the coordinate is
    :math:`u_j = F_j(x_j)`:

    * ``"log-uniform"`` on :math:`[l, h]`: :math:`u = (\ln x - \ln l) / (\ln h - \ln l)`;
    * ``"uniform"`` on :math:`[l, h]`: :math:`u = (x - l) / (h - l)`;
    * ``"integer"`` on :math:`l, \dots, h`: :math:`u = (x - l) / (h - l)` (rank scale);
    * ``"integer-log-uniform"`` on :math:`l, \dots, h` (:math:`l \ge 1`): the log scale,
      :math:`u = (\ln x - \ln l) / (\ln h - \ln l)`;
    * ``"choice"`` among :math:`L` levels: :math:`u = \mathrm{index}(x) / (L - 1)`, so the
      order of ``choices`` is taken as ordinal (a single level maps to 0).

    Bounds map to exactly 0 and 1. Values outside their bounds by more than a relative
    ``1e-6`` of the range raise; values within that slack are clipped.

    Parameters
    ----------
    configs : array_like of shape (n, d) or mapping of str to array_like
        Configurations; columns of an array follow the order of ``search_space``, a mapping
        is indexed by hyperparameter name.
    search_space : mapping of str to mapping
        ``name -> {"kind": ..., "low": ..., "high": ...}`` or
        ``{"kind": "choice", "choices": [...]}``.

    Returns
    -------
    u : numpy.ndarray of shape (n, d)
        Encoded coordinates in ``[0, 1]``.
    names : tuple of str
        Hyperparameter names, in column order.
    """
    if not isinstance(search_space, Mapping) or len(search_space) == 0:
        raise fail("search_space", "a non-empty mapping", search_space)
    names = tuple(search_space)
    if isinstance(configs, Mapping):
        missing = [name for name in names if name not in configs]
        if missing:
            raise ValueError("configs must hold every hyperparameter named in search_space, "
                             f"got configs without {missing!r}")
        columns = [np.asarray(configs[name],
                              dtype=object if _is_choice(search_space[name]) else None)
                   for name in names]
        lengths = {name: col.reshape(-1).size for name, col in zip(names, columns)}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"configs columns must have equal lengths, got lengths {lengths!r}")
        columns = [col.reshape(-1) for col in columns]
    else:
        arr = np.asarray(configs, dtype=object)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise ValueError(f"configs must have shape (n, {len(names)}) to match search_space, "
                             f"got configs of shape {arr.shape}")
        columns = [arr[:, j] for j in range(len(names))]
    n = columns[0].size
    if n == 0:
        raise ValueError("configs must hold at least one configuration, got 0")
    u = np.empty((n, len(names)))
    for j, (name, col) in enumerate(zip(names, columns)):
        u[:, j] = _encode_column(name, col, search_space[name])
    return u, names


def describe_encoding(name, spec) -> str:
    """One line saying how :func:`encode` maps hyperparameter ``name`` (for settings)."""
    kind = spec["kind"]
    if kind == "log-uniform":
        return f"log-uniform [{spec['low']}, {spec['high']}]: (ln x - ln low) / (ln high - ln low)"
    if kind == "uniform":
        return f"uniform [{spec['low']}, {spec['high']}]: (x - low) / (high - low)"
    if kind == "integer":
        return f"integer {spec['low']}..{spec['high']}: (x - low) / (high - low)"
    if kind == "integer-log-uniform":
        return (f"integer-log-uniform {spec['low']}..{spec['high']}: "
                "(ln x - ln low) / (ln high - ln low)")
    return f"choice {list(spec['choices'])!r}: index / (L - 1)"


def _is_choice(spec):
    return isinstance(spec, Mapping) and spec.get("kind") == "choice"


def _encode_column(name, values, spec):
    """Map one hyperparameter column to ``[0, 1]`` by its sampling CDF."""
    where = f"search_space[{name!r}]"
    column = f"configs[{name!r}]"
    if not isinstance(spec, Mapping):
        raise fail(where, "a mapping", spec)
    kind = spec.get("kind")
    if kind not in KINDS:
        raise fail(f"{where}['kind']", "one of " + ", ".join(map(repr, KINDS)), kind)
    if kind == "choice":
        choices = spec.get("choices")
        if isinstance(choices, str | bytes) or not isinstance(choices, Sequence) or not choices:
            raise fail(f"{where}['choices']", "a non-empty sequence", choices)
        return _encode_choice(name, values, list(choices))
    low = _spec_bound(spec, "low", name)
    high = _spec_bound(spec, "high", name)
    if not low < high:
        raise fail(where, "a range with low < high", dict(spec))
    col = _numeric_column(values, name, kind)
    if kind in ("log-uniform", "integer-log-uniform"):
        if low <= 0:
            raise fail(f"{where}['low']", f"a number > 0 for {kind}", low)
        check_entries(column, col, col > 0, f"> 0 for {kind}")
        if kind == "integer-log-uniform":
            check_entries(column, col, col == np.round(col), "integers")
        u = (np.log(col) - math.log(low)) / (math.log(high) - math.log(low))
    else:
        if kind == "integer":
            check_entries(column, col, col == np.round(col), "integers")
        u = (col - low) / (high - low)
    check_entries(column, col, (u >= -BOUND_TOL) & (u <= 1 + BOUND_TOL),
                  f"within [{low!r}, {high!r}]")
    return np.clip(u, 0.0, 1.0)


def _spec_bound(spec, key, name):
    if key not in spec:
        raise fail(f"search_space[{name!r}]", f"a mapping with {key!r}", dict(spec))
    return check_real(f"search_space[{name!r}][{key!r}]", spec[key])


def _numeric_column(values, name, kind):
    try:
        col = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise fail(f"configs[{name!r}]", f"numbers for kind {kind!r}", values) from None
    return check_finite(f"configs[{name!r}]", col)


def _encode_choice(name, values, choices):
    n_levels = len(choices)
    scale = 1.0 / (n_levels - 1) if n_levels > 1 else 0.0
    values = np.asarray(values, dtype=object).ravel()
    allowed = f"one of {choices!r}"
    numeric = all(isinstance(c, int | float | np.integer | np.floating)
                  and not isinstance(c, bool) for c in choices)
    if numeric:
        levels = np.asarray(choices, dtype=float)
        col = _numeric_column(values.astype(float), name, "choice")
        index = np.abs(col[:, None] - levels[None, :]).argmin(axis=1)
        close = np.isclose(col, levels[index], rtol=1e-9, atol=0.0)
        check_entries(f"configs[{name!r}]", col, close, allowed)
        return index * scale
    lookup = {c: i for i, c in enumerate(choices)}
    check_entries(f"configs[{name!r}]", values,
                  np.array([v in lookup for v in values], dtype=bool), allowed)
    return np.array([lookup[v] for v in values], dtype=float) * scale
