r"""Checking that a threshold leaves enough scores in the tail, and suggesting one that does.

The tail is the set of scores strictly better than the threshold :math:`\theta`:
:math:`\{i : y_i > \theta\}` when maximizing, :math:`\{i : y_i < \theta\}` when minimizing.
"""

from __future__ import annotations

import math

import numpy as np

from bayesnq.data.scores import Scores, _fmt
from bayesnq.direction import beyond, orient, to_user
from bayesnq.validation import check_bool, check_int, fail

__all__ = ["check_tail", "suggest_threshold"]


def check_tail(values, threshold: float, minimize: bool | None = None, min_tail: int = 5) -> int:
    """Check that enough scores lie beyond a threshold to fit the tail.

    The tail is the set of scores strictly better than the threshold:
    :math:`\\{i : y_i > \\theta\\}` when maximizing, :math:`\\{i : y_i < \\theta\\}`
    when minimizing.

    Parameters
    ----------
    values : array_like or Scores
        The scores.
    threshold : float
        The threshold :math:`\\theta`.
    minimize : bool, optional
        Direction. May be omitted when ``values`` is a :class:`Scores`.
    min_tail : int, default 5
        Least acceptable number of scores in the tail.

    Returns
    -------
    int
        The number of scores in the tail.

    Raises
    ------
    ValueError
        When all scores are equal, when the threshold lies outside
        ``[min, max]`` of the scores, or when fewer than ``min_tail`` scores
        lie in the tail; the message then suggests a threshold that leaves
        about 20% of the runs (and at least ``min_tail``) in the tail.
    """
    if minimize is not None:
        minimize = check_bool("minimize", minimize)
    if isinstance(values, Scores):
        if minimize is not None and minimize != values.minimize:
            raise fail("minimize", f"None or the Scores' own minimize={values.minimize}", minimize)
        minimize = values.minimize
    if minimize is None:
        raise fail("minimize", "True or False (it may be left out only when values is a Scores)",
                   minimize)
    min_tail = check_int("min_tail", min_tail, minimum=1)
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"values: expected a non-empty 1-D array, got shape {y.shape}")
    if np.isnan(y).any():
        raise ValueError(f"values: {int(np.isnan(y).sum())} scores are NaN")
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise fail("threshold", "a number", threshold) from None
    lo, hi = float(y.min()), float(y.max())
    if lo == hi:
        raise ValueError(f"values: all {y.size} scores equal {_fmt(lo)}; there is no tail to fit")
    if not lo <= t <= hi:
        raise ValueError(
            f"threshold: {_fmt(t)} lies outside the data range [{_fmt(lo)}, {_fmt(hi)}]"
        )
    count = int(beyond(y, t, minimize).sum())
    if count >= min_tail:
        return count
    side = "below" if minimize else "above"
    suggestion = suggest_threshold(y, minimize, max(min_tail, math.ceil(0.2 * y.size)), min_tail)
    hint = (
        f"; a threshold of {_fmt(suggestion[0])} leaves {suggestion[1]} of {y.size} runs "
        f"({100 * suggestion[1] / y.size:.0f}%) in the tail"
        if suggestion else f"; no threshold leaves {min_tail} distinct scores {side} it"
    )
    raise ValueError(
        f"threshold: only {count} of {y.size} scores lie strictly {side} {_fmt(t)} "
        f"(min_tail={min_tail}){hint}"
    )


def suggest_threshold(y: np.ndarray, minimize: bool, target: int,
                      min_tail: int) -> tuple[float, int] | None:
    """Least extreme data value leaving at least ``target`` (else ``min_tail``) runs beyond it.

    Returns ``(threshold, number of runs beyond it)``, or None when no data value leaves
    ``min_tail`` runs beyond it.
    """
    s = orient(np.asarray(y, dtype=np.float64), minimize)
    u = np.unique(s)
    count = s.size - np.searchsorted(np.sort(s), u, side="right")
    for need in (target, min_tail):
        ok = np.flatnonzero(count >= need)
        if ok.size:
            j = ok[-1]
            return float(to_user(u[j], minimize)), int(count[j])
    return None
