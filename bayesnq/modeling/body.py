"""The spliced model's body: a histogram of the runs below a candidate threshold.

Numerical pieces of :mod:`bayesnq.modeling.spliced`'s body (its model and why are
described there): the Dirichlet-multinomial marginal of a histogram, the region's designs
(numbers of equal-width bins and offsets of their grid) and the region-bin rule.
Everything is in the maximize orientation.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln as _gl

from bayesnq.validation import check_int, check_real

__all__ = ["BODY_DIRICHLET", "body_log_marginal", "REGION_BINS", "REGION_OFFSETS",
           "REGION_RATIO", "region_cuts", "region_designs", "region_bin"]

BODY_DIRICHLET = 1.0  # Dirichlet concentration a of each body-histogram bin


def body_log_marginal(counts, widths, a=BODY_DIRICHLET, bins=None):
    r"""Log marginal density of the body runs under the Dirichlet-weighted histogram.

    .. math::

        \log\Gamma(Ka) - \log\Gamma(Ka + N) + \sum_k [\log\Gamma(a + c_k) - \log\Gamma(a)]
        - \sum_k c_k \log \Delta_k ,

    the density of the ordered body values given that they lie in the body (bins with
    counts ``counts``, widths ``widths``); 0 for an empty body. Rows of a 2-D ``counts``
    are separate histograms (an array is returned), each with ``bins`` bins (default: all
    columns; the columns beyond a row's ``bins`` must be empty).
    """
    c = np.asarray(counts, dtype=float)
    dw = np.asarray(widths, dtype=float)
    if c.size == 0:
        return 0.0
    k = np.asarray(c.shape[-1] if bins is None else bins, dtype=float)
    total = c.sum(-1)
    with np.errstate(divide="ignore"):  # an empty bin of zero width adds nothing
        log_dw = np.where(c > 0, np.log(np.where(c > 0, dw, 1.0)), 0.0)
    out = (_gl(k * a) - _gl(k * a + total) + np.sum(_gl(a + c) - _gl(a), axis=-1)
           - np.sum(c * log_dw, axis=-1))
    return float(out) if c.ndim == 1 else out


# The region's histogram is averaged over these numbers of equal-width bins M and, for
# each M, over these offsets of its grid (below), every pair with equal prior weight
# (Bayesian model averaging: each design's Dirichlet-multinomial marginal carries its own
# Occam factor). M was fixed at 3 from 2026-12-04 to 12-06, chosen at the *true*
# parameters (tools/threshold_profile.py). With theta refitted at each candidate
# (tools/threshold_terms.py, docs/thresholds.md) three bins read a bump of body runs just
# below tau* as tail: three bins over (r, tau_j] cannot follow the bump, and a noisy
# quadratic with gamma stretched above 2 can. Averaged over M = 1..16 (2026-12-06) the body
# follows it; M = 1..32 with the offsets since 2026-12-06 evening.
REGION_BINS = tuple(range(1, 33))

# Offsets of each M's grid, as fractions of one bin: the inner edges lie at (k + phi) / M
# of (r, tau_j] (partial bins at both ends when phi > 0). Without them every edge sits at a
# fraction k / M, and near the top of the region (the candidate) such fractions are
# sparse: where the density jumps just below tau_j (a regime that starts between two
# candidates, with a gap or a thin body under it) no design put an edge close to the jump,
# so the first candidate above the regime's start paid 13-18 nats more than the best
# candidate further up (two `falling` searches), and P(tau) kept too few runs beyond tau
# (`falling` bodies -39% in the threshold SBC; docs/thresholds.md, "Offsets of the
# region's grid, and the prior over the candidates").
REGION_OFFSETS = tuple(k / 8 for k in range(8))


# The ratio of each region bin's width to the next one's, from the bottom of the region up
# to tau_j: 1 gives equal widths; above 1 the bins narrow toward tau_j, so that the body
# follows the density just below the threshold, where it meets the tail.
REGION_RATIO = 1.0


def region_cuts(m, ratio=REGION_RATIO, offset=0.0) -> np.ndarray:
    r"""Edges of the region bins as fractions of :math:`(r, \tau_j]`, ascending, from 0 to 1.

    Bin :math:`k` of the ``m`` base bins (from the bottom) has width proportional to
    :math:`\rho^{m - 1 - k}`, :math:`\rho` = ``ratio``; ``ratio=1`` gives equal widths.
    With ``offset`` :math:`\phi \in [0, 1)` every inner edge moves up by :math:`\phi` of
    the base bin above it (:math:`(k + \phi)/m` for equal widths): the bottom and top bins
    are then partial, ``m + 1`` bins in all; shape (m + 1,), or (m + 2,) when
    :math:`\phi > 0`.
    """
    m = check_int("region_bins", m, minimum=1)
    ratio = check_real("region_ratio", ratio, low=0.0, low_open=True)
    offset = check_real("region_offsets", offset, low=0.0, high=1.0, high_open=True)
    w = ratio ** np.arange(m - 1, -1, -1, dtype=float)
    base = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    base[-1] = 1.0
    if offset == 0.0:
        return base
    return np.concatenate([[0.0], base[:-1] + offset * np.diff(base), [1.0]])


def region_designs(region_bins, region_offsets) -> tuple:
    """The region's designs: every (M, offset) pair of ``region_bins`` (one M or several,
    distinct positive ints) and ``region_offsets`` (distinct fractions in [0, 1))."""
    values = np.atleast_1d(np.asarray(region_bins, dtype=object)).tolist()
    if not values:
        raise ValueError(f"region_bins must hold at least one number of bins, got {region_bins!r}")
    bins = tuple(sorted({check_int("region_bins", m, minimum=1) for m in values}))
    values = np.atleast_1d(np.asarray(region_offsets, dtype=object)).tolist()
    if not values:
        raise ValueError(f"region_offsets must hold at least one offset, got {region_offsets!r}")
    offsets = tuple(sorted({check_real("region_offsets", v, low=0.0, high=1.0, high_open=True)
                            for v in values}))
    return bins, offsets, tuple((m, phi) for m in bins for phi in offsets)


def region_bin(y, start, tau, cuts):
    """Region bin (0..m-1) of oriented scores ``y`` in the region (start, tau], with bin
    edges at the fractions ``cuts`` of its width: the number of inner edges below the
    score's fraction of the region. ``cuts`` is one row of edges (shape (m + 1,)) or rows
    of them (shape (R, m + 1)), against rows of ``y`` (shape (R, n)) or one ``y`` for every
    row (shape (n,)); the result has the broadcast shape."""
    with np.errstate(divide="ignore", invalid="ignore"):  # an empty region of zero width
        u = np.nan_to_num((np.asarray(y, dtype=float) - start) / (tau - start))
    cuts = np.asarray(cuts, dtype=float)
    out = np.zeros(np.broadcast_shapes(u.shape, cuts.shape[:-1] + (1,)), dtype=int)
    for k in range(1, cuts.shape[-1] - 1):
        out += u > cuts[..., k:k + 1]
    return out
