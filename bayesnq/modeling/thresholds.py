r"""Thresholds: the one parser of a ``threshold`` argument, and the default candidate grid.

A threshold :math:`\tau` says where the asymptotic regime begins. Users give one number,
``"auto"`` (a grid of candidates, :func:`default_thresholds`, over which the threshold is
inferred) or a list of candidates; :func:`parse_threshold` checks each form once for
every caller (``fit``, ``compare_thresholds``, the calibration studies, the CLI) and that
each candidate leaves enough runs beyond it (:func:`bayesnq.data.check_tail`).
"""

from __future__ import annotations

import numbers

import numpy as np

from bayesnq import direction
from bayesnq.data import Scores, check_tail
from bayesnq.validation import check_int, fail

__all__ = ["parse_threshold", "default_thresholds", "gap_top", "DEFAULT_TAIL_FRACTIONS", "FORMS"]

DEFAULT_TAIL_FRACTIONS = (0.05, 0.80)
FORMS = ("number", "auto", "grid")
_ALLOWED = {"number": "a number", "auto": "'auto'", "grid": "a list of 2 or more numbers"}


def parse_threshold(threshold, values, *, minimize, forms=FORMS, name="threshold",
                    n_auto=16, check=True):
    """Validate a threshold argument; returns a float or a grid of candidates.

    Parameters
    ----------
    threshold : float, "auto" or sequence of float
    values : array_like
        The scores (user units), to check that each candidate leaves runs beyond it.
    minimize : bool
    forms : tuple of {"number", "auto", "grid"}
        The forms this caller accepts.
    name : str
        The argument's name in messages.
    n_auto : int
        Candidates of the ``"auto"`` grid.
    check : bool
        Check each candidate with :func:`bayesnq.data.check_tail`.

    Returns
    -------
    float or np.ndarray
        One threshold, or the distinct candidates in ascending order.
    """
    allowed = " or ".join(_ALLOWED[f] for f in forms)
    if isinstance(threshold, str):
        if threshold.strip().lower() != "auto" or "auto" not in forms:
            raise fail(name, allowed, threshold)
        return default_thresholds(values, minimize=minimize, n=n_auto)
    if np.ndim(threshold) == 0:
        if ("number" not in forms or isinstance(threshold, bool | np.bool_)
                or not isinstance(threshold, numbers.Real) or not np.isfinite(threshold)):
            raise fail(name, allowed, threshold)
        threshold = float(threshold)
        if check:
            check_tail(values, threshold, minimize)
        return threshold
    if "grid" not in forms:
        raise fail(name, allowed, threshold)
    try:
        grid = np.asarray(threshold, dtype=float)
    except (TypeError, ValueError):
        raise fail(name, allowed, threshold) from None
    if grid.ndim != 1 or np.unique(grid).size < 2 or not np.all(np.isfinite(grid)):
        raise fail(name, "a list of 2 or more distinct finite numbers", threshold)
    grid = np.unique(grid)
    if check:
        for t in grid:
            check_tail(values, float(t), minimize)
    return grid


def gap_top(oriented) -> float | None:
    r"""The lowest score above a *gap* in the worse half of a search, or None.

    A gap is a spacing between consecutive sorted scores (maximize orientation) below the
    median that is wider than the spread of the better half, :math:`y_{(0.95)} -
    y_{(0.5)}`: a cluster of runs cut off far below (diverged runs at chance level). A
    quadratic regime cannot span it, so no default candidate lies below it and the
    threshold model's body starts its region above it. With several gaps, the highest.
    """
    s = np.sort(np.asarray(oriented, dtype=float))
    s = s[np.isfinite(s)]
    if s.size < 8:
        return None
    spread = np.quantile(s, 0.95) - np.quantile(s, 0.5)
    half = s[: s.size // 2 + 1]
    wide = np.flatnonzero(np.diff(half) > spread) if spread > 0 else np.array([], int)
    return float(half[wide[-1] + 1]) if wide.size else None


def default_thresholds(values, *, minimize=False, n=16, tail_fractions=DEFAULT_TAIL_FRACTIONS,
                       min_tail=5) -> np.ndarray:
    r"""Candidate thresholds leaving evenly spaced tail fractions of the runs beyond them.

    For each fraction :math:`p` in ``linspace(*tail_fractions, n)``, with
    :math:`m = \max(\text{min\_tail}, \operatorname{round}(pN))`, the candidate is the
    midpoint between the :math:`m`-th and :math:`(m+1)`-th best scores, so that exactly
    :math:`m` runs lie strictly beyond it (fewer where scores tie). Where a gap cuts off a
    cluster of runs far below (:func:`gap_top`), the deepest candidate stays above it: the
    largest tail fraction is lowered to leave the cluster, the gap and the lowest run above
    it below every candidate.

    Parameters
    ----------
    values : array_like or Scores
    minimize : bool, default False
        Ignored for a ``Scores`` (its own direction is used).
    n : int, default 16
        Number of candidates (duplicates from ties are dropped).
    tail_fractions : (float, float), default (0.05, 0.80)
        Smallest and largest share of runs beyond a candidate, in (0, 1).
    min_tail : int, default 5
        Least number of runs beyond any candidate.

    Returns
    -------
    np.ndarray
        Candidates in ascending score order.
    """
    if isinstance(values, Scores):  # a Scores' own direction rules
        values, minimize = values.values, values.minimize
    y = np.asarray(values, dtype=float)
    if y.ndim != 1 or y.size < 4:
        raise ValueError(f"values must be a 1-D array of at least 4 scores, got shape {y.shape}")
    if np.isnan(y).any():
        raise ValueError(f"values must not be NaN, got {int(np.isnan(y).sum())} NaN scores")
    n = check_int("n", n, minimum=2)
    try:
        lo, hi = (float(x) for x in tail_fractions)
    except (TypeError, ValueError):
        raise fail("tail_fractions", "a pair (low, high) with 0 < low < high < 1",
                   tail_fractions) from None
    if not 0 < lo < hi < 1:
        raise fail("tail_fractions", "a pair (low, high) with 0 < low < high < 1", tail_fractions)
    s = np.sort(direction.orient(y, minimize))
    size = s.size
    top = gap_top(s)
    if top is not None:  # keep the lowest run above the gap below every candidate
        cap = (size - int(np.searchsorted(s, top, side="right")) - 1) / size
        hi = cap if cap > lo else hi
    out = []
    for p in np.linspace(lo, hi, n):
        m = int(min(size - 1, max(min_tail, round(p * size))))
        a, b = s[size - m - 1], s[size - m]
        t = 0.5 * (a + b) if np.isfinite(a) and np.isfinite(b) else a
        if (s > t).sum() >= min_tail:
            out.append(t)
    grid = np.unique(direction.to_user(np.asarray(out), minimize))
    if grid.size < 2:
        raise ValueError(
            f"values must leave {min_tail} runs beyond at least 2 distinct candidate "
            "thresholds, got too many tied scores"
        )
    return grid
