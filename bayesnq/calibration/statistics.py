r"""Statistics of calibration: ranks, uniformity, binomial intervals, simultaneous bands."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from bayesnq.validation import check_int

__all__ = ["rank_statistics", "uniformity_test", "binomial_interval", "simultaneous_band",
           "thin_chains"]


def rank_statistics(true, draws, *, num_ranks=None, key=None):
    r"""Ranks :math:`\#\{\ell : \theta_\ell < \theta\}` of true values among draws.

    Parameters
    ----------
    true : array_like, shape (R,)
    draws : array_like, shape (R, C, S) or (R, L)
        Posterior draws per replicate (chains x samples are thinned evenly per chain to
        ``num_ranks - 1`` draws in all when ``num_ranks`` is given).
    num_ranks : int, optional
        :math:`L + 1`, the number of possible ranks.

    Returns
    -------
    np.ndarray of int, shape (R,), values in ``0..L``.

    Ties (a parameter equal to a draw, e.g. at a bound) are broken at random, which keeps
    the ranks uniform under calibration.
    """
    x = np.asarray(draws, dtype=float)
    true = np.asarray(true, dtype=float)
    if x.ndim == 3:
        x = thin_chains(x, None if num_ranks is None else num_ranks - 1)
    if x.ndim != 2 or x.shape[0] != true.shape[0]:
        raise ValueError(f"draws: need shape (R, C, S) or (R, L) with R={true.shape[0]}, "
                         f"got draws.shape={np.shape(draws)}")
    below = (x < true[:, None]).sum(1)
    ties = (x == true[:, None]).sum(1)
    if ties.any():
        rng = np.random.default_rng(0 if key is None else key)
        below = below + rng.integers(0, ties + 1)
    return below.astype(int)


def thin_chains(x, num):
    """(R, C, S) -> (R, num): evenly spaced draws within each chain (fewer autocorrelations)."""
    r, c, s = x.shape
    if num is None or num >= c * s:
        return x.reshape(r, c * s)
    per = -(-num // c)
    idx = np.linspace(0, s - 1, per).round().astype(int)
    return x[:, :, idx].reshape(r, c * per)[:, :num]


def uniformity_test(ranks, num_ranks, bins=20):
    r""":math:`\chi^2` test that ranks are uniform on :math:`\{0, \dots, L\}`.

    The :math:`L + 1` rank values are grouped into ``bins`` bins (``bins`` divides
    :math:`L + 1` or the bins are as equal as possible, with expected counts from their
    widths). Statistic :math:`X^2 = \sum_b (O_b - E_b)^2 / E_b` against
    :math:`\chi^2_{B-1}`.

    Returns
    -------
    dict with ``statistic``, ``df`` and ``p_value``.
    """
    ranks = np.asarray(ranks, dtype=int)
    num_ranks = check_int("num_ranks", num_ranks, 2)
    bins = min(check_int("bins", bins, 2), num_ranks)
    if ranks.size and (ranks.min() < 0 or ranks.max() >= num_ranks):
        raise ValueError(f"ranks must lie in 0..{num_ranks - 1}, got {ranks.min()}..{ranks.max()}")
    edges = np.linspace(0, num_ranks, bins + 1).round().astype(int)
    observed = np.histogram(ranks, bins=edges)[0]
    expected = ranks.size * np.diff(edges) / num_ranks
    stat = float(((observed - expected) ** 2 / expected).sum()) if ranks.size else 0.0
    return {"statistic": stat, "df": bins - 1, "p_value": float(stats.chi2.sf(stat, bins - 1))}


def binomial_interval(failures, trials, level=0.95):
    r"""Clopper–Pearson interval for a failure rate :math:`k/n`.

    .. math::

        \big[B^{-1}(\tfrac{1-c}{2};\, k, n-k+1),\; B^{-1}(\tfrac{1+c}{2};\, k+1, n-k)\big]

    with :math:`B^{-1}` the Beta quantile (0 and 1 at the ends).
    """
    k, n = int(failures), int(trials)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"failures/trials: need 0 <= failures <= trials, trials >= 1; "
                         f"got failures={failures!r}, trials={trials!r}")
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def simultaneous_band(curves, level):
    r"""Simultaneous credible band of per-draw curves (rank envelope).

    For draws :math:`s = 1..S` and points :math:`k`, let :math:`r_{sk}` be the rank of
    curve :math:`s` at :math:`k` and :math:`D_s = \min_k \min(r_{sk}, S - 1 - r_{sk})` its
    depth. The band is the pointwise envelope of the ``level`` share of deepest curves:
    :math:`[y_{(t)}(k), y_{(S-1-t)}(k)]` with the largest :math:`t` such that
    :math:`\#\{s : D_s \ge t\} \ge \lceil \ell S \rceil`.

    Parameters
    ----------
    curves : array_like, shape (S, m)
    level : float

    Returns
    -------
    lower, upper : np.ndarray, shape (m,)
    """
    x = np.asarray(curves, dtype=float)
    s = x.shape[0]
    order = np.argsort(x, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(s)[:, None].repeat(x.shape[1], 1), axis=0)
    depth = np.minimum(ranks, s - 1 - ranks).min(1)
    need = math.ceil(level * s)
    t = int(np.sort(depth)[::-1][need - 1]) if need >= 1 else (s - 1) // 2
    srt = np.sort(x, axis=0)
    return srt[t], srt[s - 1 - t]

