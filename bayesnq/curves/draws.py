"""Inputs of the curves: posterior draws (checked, thinned) and numbers of runs.

Also the padding that keeps the compiled kernels few: the numbers of runs are padded to
8, 32, 128, ... values and the draws to blocks of at least :data:`MIN_DRAWS`, a power of
two, so that a handful of compiled programs serve every call (compiling one takes seconds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from bayesnq.validation import check_int

__all__ = ["PARAMETERS", "DEFAULT_CI", "thin", "as_draws", "check_n", "stack", "pad", "bucket",
           "pow2_at_least", "pow2_at_most", "MIN_DRAWS", "BLOCK", "N_CHUNK"]

PARAMETERS = ("alpha", "beta", "gamma", "sigma")

# The package's one default credible level: every interval and band that a user gets
# without asking (Fit.summary, the tuning curves, runs to reach, more runs, the CLI) is an
# equal-tailed 90% interval over the posterior draws.
DEFAULT_CI = 0.9

# Budget (elements of a draws x n block) per vectorized evaluation; the quadrature adds a
# further axis of ~94 nodes, so this keeps every intermediate array near 25 MB.
BLOCK = 1 << 15
MIN_DRAWS = 64  # draws are padded to at least this many (one compiled shape for small S)

# Numbers of runs are evaluated in chunks of this many (the last one padded), whatever the
# length of the grid: one compiled shape per kernel serves every n grid, so a new grid
# length never compiles again (a compile takes seconds; a chunk of 16 values costs
# milliseconds). Issue 25.
N_CHUNK = 16


def check_n(n) -> np.ndarray:
    """Numbers of runs as a non-empty 1-D float64 array, each finite and >= 1."""
    try:
        arr = np.asarray(n, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"n must be numbers of runs (>= 1), got n={n!r}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"n must be a number or a non-empty 1-D array, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 1.0)
    if bad.any():
        raise ValueError(f"n must be finite and >= 1, got n={float(arr[bad][0])!r}")
    return arr


def as_draws(draws) -> dict[str, np.ndarray]:
    """Validated flat float64 arrays of alpha, beta, gamma, sigma (same length).

    ``draws`` is a mapping (extra keys are ignored) or an object with a ``draws()``
    method (a fit).
    """
    if not isinstance(draws, Mapping) and callable(getattr(draws, "draws", None)):
        draws = draws.draws()
    if not isinstance(draws, Mapping):
        raise ValueError(
            "draws must be a mapping with keys 'alpha', 'beta', 'gamma', 'sigma' "
            f"(e.g. fit.draws()), got {type(draws).__name__}"
        )
    missing = [k for k in PARAMETERS if k not in draws]
    if missing:
        raise ValueError(f"draws is missing {missing}; it needs {list(PARAMETERS)}")
    out = {}
    for k in PARAMETERS:
        try:
            a = np.asarray(draws[k], dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ValueError(f"draws[{k!r}] must be numeric, got {draws[k]!r}") from None
        if a.size == 0:
            raise ValueError(f"draws[{k!r}] is empty")
        if not np.all(np.isfinite(a)):
            i = int(np.flatnonzero(~np.isfinite(a))[0])
            raise ValueError(f"draws[{k!r}] must be finite, got {a[i]!r} at draw {i}")
        out[k] = a
    sizes = {k: v.size for k, v in out.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"draws: parameters have different numbers of draws {sizes}")
    bad = out["alpha"] >= out["beta"]
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"draws: alpha must be below beta, got alpha={out['alpha'][i]!r}, "
            f"beta={out['beta'][i]!r} at draw {i}"
        )
    if np.any(out["gamma"] <= 0):
        i = int(np.flatnonzero(out["gamma"] <= 0)[0])
        raise ValueError(f"draws['gamma'] must be positive, got {out['gamma'][i]!r} at draw {i}")
    if np.any(out["sigma"] < 0):
        i = int(np.flatnonzero(out["sigma"] < 0)[0])
        raise ValueError(f"draws['sigma'] must be >= 0, got {out['sigma'][i]!r} at draw {i}")
    return out


def thin(draws, max_draws: int | None = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """Validated draws, thinned to at most ``max_draws`` without replacement.

    The subset is drawn by ``numpy.random.default_rng(seed)`` and kept in the original
    order, so the same ``(draws, max_draws, seed)`` always gives the same subset.
    ``max_draws=None`` keeps every draw.
    """
    d = as_draws(draws)
    seed = check_int("seed", seed, minimum=0)
    size = d["alpha"].size
    if max_draws is None:
        return d
    max_draws = check_int("max_draws", max_draws, minimum=1)
    if size <= max_draws:
        return d
    idx = np.sort(np.random.default_rng(seed).choice(size, size=max_draws, replace=False))
    return {k: v[idx] for k, v in d.items()}


def stack(d: dict) -> np.ndarray:
    """The draws as one array of shape (4, S), rows in the order of :data:`PARAMETERS`."""
    return np.stack([d[k] for k in PARAMETERS])


def pow2_at_least(k: int) -> int:
    return 1 << max(0, math.ceil(math.log2(max(1, k))))


def pow2_at_most(k: int) -> int:
    return 1 << max(0, int(math.floor(math.log2(max(1, k)))))


def bucket(m: int) -> int:
    """Padded number of n values: 8, 32, 128, ... (few compiled shapes)."""
    size = 8
    while size < m:
        size *= 4
    return size


def pad(a: np.ndarray, size: int, axis: int = -1) -> np.ndarray:
    """Pad ``a`` along ``axis`` to ``size`` by repeating its last entry."""
    missing = size - a.shape[axis]
    if missing <= 0:
        return a
    last = np.take(a, [-1], axis=axis)
    return np.concatenate([a, np.repeat(last, missing, axis=axis)], axis=axis)
