r"""Scores known to a resolution: the one parser of ``resolution``, and lattice detection.

Validation accuracy on :math:`N` examples is a multiple of :math:`1/N`; a metric logged to
:math:`d` decimals is a multiple of :math:`10^{-d}`. Either way many runs tie, and the
likelihood must treat each score as a cell of width :math:`h` (see
:mod:`bayesnq.modeling.likelihood`). ``resolution="auto"`` detects such a lattice:

1. the distinct scores :math:`u_1 < \dots < u_K`; if there are no ties (:math:`K = n`)
   the scores are taken as continuous;
2. the candidate step :math:`h` is the smallest gap :math:`u_{k+1} - u_k` (gaps of a few
   dozen ulps of the largest score are rounding, not steps: their scores count as one
   value, tied);
3. it is a lattice if every gap is a whole multiple of :math:`h` (to 1e-6 of :math:`h`,
   plus rounding of the scores themselves) and the lattice is coarse enough to matter:
   at least one score in 20 is tied.

:func:`detect_resolution` says what it found in words, so the CLI and the summary can print
it.
"""

from __future__ import annotations

import numbers

import numpy as np

from bayesnq.validation import fail

__all__ = ["parse_resolution", "detect_resolution"]

MIN_TIED_SHARE = 0.05  # a lattice matters when at least this share of the runs tie
_REL_TOL = 1e-6
_ROUNDING_ULPS = 64  # gaps below this many ulps of the largest |score| are rounding, not steps
_MAX_SLACK = 1e-3  # a step so small that rounding blurs its multiples tells no lattice


def detect_resolution(values) -> tuple[float | None, str]:
    """The lattice step of the scores (or None) and a sentence saying why."""
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    distinct = np.unique(y)
    scale = float(np.abs(distinct).max()) if distinct.size else 0.0
    # scores that differ only by rounding (the same accuracy computed two ways, one ulp
    # apart) are one value: a gap at that level is not a lattice step
    gaps = np.diff(distinct)
    real = gaps > _ROUNDING_ULPS * np.finfo(float).eps * scale
    gaps = gaps[real]
    n_distinct = int(real.sum()) + 1 if distinct.size else 0
    if y.size < 3 or n_distinct < 3:
        return None, "too few distinct scores to tell a lattice"
    tied = 1.0 - n_distinct / y.size
    if tied < MIN_TIED_SHARE:
        return None, (f"scores taken as continuous: {n_distinct} distinct values among "
                      f"{y.size} runs ({tied:.0%} tied)")
    h = float(gaps.min())
    ratio = gaps / h
    slack = _REL_TOL + 4 * np.finfo(float).eps * max(scale, h) / h
    if slack < _MAX_SLACK and np.all(np.abs(ratio - np.round(ratio)) <= slack):
        return h, (f"scores on a lattice of step {h:.6g} ({n_distinct} distinct values "
                   f"among {y.size} runs, {tied:.0%} tied): each score is a cell of that width")
    return None, (f"scores taken as continuous: {tied:.0%} of runs tie but the gaps are not "
                  f"multiples of one step")


def parse_resolution(resolution, values, name="resolution") -> tuple[float | None, str]:
    """Validate a ``resolution`` argument: None, a positive number or ``"auto"``.

    Returns the resolution (None: continuous scores) and a sentence saying where it came
    from.
    """
    if resolution is None:
        return None, "scores taken as continuous (resolution=None)"
    if isinstance(resolution, str):
        if resolution.strip().lower() != "auto":
            raise fail(name, "None, a positive number or 'auto'", resolution)
        return detect_resolution(values)
    if (isinstance(resolution, bool | np.bool_) or not isinstance(resolution, numbers.Real)
            or not np.isfinite(resolution) or resolution <= 0):
        raise fail(name, "None, a positive number or 'auto'", resolution)
    return float(resolution), f"each score is a cell of width {float(resolution):.6g} (given)"
