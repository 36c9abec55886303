r"""How many runs it takes: :func:`runs_to_reach` a target score, and :func:`regime_start`,
the number of runs after which the tuning curve lies beyond the threshold."""

from __future__ import annotations

import math

import numpy as np

from bayesnq.curves.draws import DEFAULT_CI, as_draws, thin
from bayesnq.curves.kernels import log_tail_of
from bayesnq.curves.results import RunsToReach
from bayesnq.direction import best_name, beyond
from bayesnq.validation import check_bool, check_level, check_real

__all__ = ["runs_to_reach", "regime_start"]


def _quantile_with_inf(x: np.ndarray, probs) -> list[float]:
    """Linear-interpolation quantiles of ``x`` that may hold +inf (no inf - inf NaNs)."""
    x = np.sort(x)
    out = []
    for p in probs:
        pos = p * (x.size - 1)
        lo, hi = int(math.floor(pos)), int(math.ceil(pos))
        frac = pos - lo
        if np.isinf(x[hi]) and (frac > 0 or lo == hi):
            out.append(math.inf)
        elif lo == hi or np.isinf(x[lo]):
            out.append(float(x[lo]))
        else:
            out.append(float(x[lo] + frac * (x[hi] - x[lo])))
    return out


def runs_to_reach(
    draws,
    target: float,
    *,
    minimize: bool,
    q: float = 0.5,
    ci: float = DEFAULT_CI,
    max_draws: int | None = None,
    seed: int = 0,
) -> RunsToReach:
    r"""Runs of a *fresh* search after which its q-quantile tuning curve reaches ``target``.

    A fresh search: ``n`` runs started from nothing, *not* runs added to those already
    made. "How many more runs to beat my best by :math:`\Delta`" is
    :func:`~bayesnq.curves.more_runs`, which conditions on the best run made.

    When maximizing, :math:`\tau_q(n) = F^{-1}(q^{1/n}) \ge t \iff F(t)^n \le q`, so per
    draw the smallest such ``n`` is

    .. math::

        n(\theta) = \max\Big(1, \Big\lceil \frac{\log q}{\log F_\theta(t)} \Big\rceil\Big),

    and when minimizing :math:`\tau_q(n) \le t \iff (1 - F(t))^n \ge 1 - q`, so
    :math:`n(\theta) = \max(1, \lceil \log(1-q) / \log(1 - F_\theta(t)) \rceil)`. The
    logarithms come from ``log_cdf``/``log_sf`` (whichever is accurate near 0);
    :math:`n = \infty` where :math:`F(t)` rounds to 1 (maximize) or to 0 (minimize).

    With ``target = scores.best + Δ`` (``- Δ`` when minimizing) the answer is the size of a
    fresh search that would reach it, to be compared with the number of runs already
    made; for the chance that more runs, added to these, beat the best, use
    :func:`~bayesnq.curves.more_runs`.

    Parameters
    ----------
    draws : mapping or Fit
        As in :func:`tuning_curve`.
    target : float
        Score to reach.
    minimize : bool
    q : float, default 0.5
        Quantile level of the best of ``n``. Reaching the target means
        :math:`P(T_n \ge t) \ge 1 - q` when maximizing and :math:`P(T_n \le t) \ge q`
        when minimizing; 0.5 (the median) is a 50% chance either way, and an 80% chance
        is ``q=0.2`` when maximizing, ``q=0.8`` when minimizing.
    ci : float, default :data:`~bayesnq.curves.DEFAULT_CI` (0.9)
        Level of the equal-tailed band over draws.
    max_draws : int or None, default None
        Thin to this many draws (:func:`thin`); None uses all (one cdf evaluation each).
    seed : int, default 0

    Returns
    -------
    RunsToReach
        Per-draw counts and their median and band, the posterior-predictive count (the
        smallest integer :math:`n \ge 1` with :math:`\frac1S\sum_s F_s(t)^n \le q`,
        maximize; :math:`\frac1S\sum_s (1 - F_s(t))^n \ge 1 - q`, minimize) and
        ``p_reachable`` (see :class:`RunsToReach`).
    """
    minimize = check_bool("minimize", minimize)
    q = check_level("q", q)
    ci = check_level("ci", ci)
    target = check_real("target", target)
    d = thin(draws, max_draws, seed)
    log_p = log_tail_of(d, target, minimize)
    log_level = math.log1p(-q) if minimize else math.log(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_star = np.where(log_p < 0, log_level / np.where(log_p < 0, log_p, -1.0), np.inf)
    per_draw = np.where(np.isfinite(n_star), np.maximum(1.0, np.ceil(n_star)), np.inf)
    lower, median, upper = _quantile_with_inf(per_draw, [(1 - ci) / 2, 0.5, (1 + ci) / 2])
    predictive = _predictive_runs(log_p, log_level, n_star)
    # reachable: the best expected score is at the target or beyond it
    reachable = ~beyond(target, d[best_name(minimize)], minimize)
    return RunsToReach(
        target=target,
        median=median,
        lower=lower,
        upper=upper,
        predictive=predictive,
        p_reachable=float(np.mean(reachable)),
        draws=per_draw,
        q=q,
        ci=ci,
        minimize=minimize,
    )


def _predictive_runs(log_p: np.ndarray, log_level: float, n_star: np.ndarray) -> float:
    r"""Smallest integer n >= 1 with :math:`\log\frac1S\sum_s e^{n \log p_s} \le \log\ell`.

    The left side decreases in n, and the answer lies between the smallest and largest
    per-draw answers :math:`n_s`: integer bisection inside that bracket.
    """
    from scipy.special import logsumexp

    size = log_p.size

    def h(n):
        return logsumexp(n * log_p) - math.log(size) - log_level

    stuck = np.mean(log_p >= 0)  # draws whose probability never drops below 1
    if stuck >= math.exp(log_level):
        return math.inf
    if h(1.0) <= 0:
        return 1.0
    finite = n_star[np.isfinite(n_star)]
    lo = max(1.0, float(finite.min())) if finite.size else 1.0
    hi = float(finite.max()) if finite.size else 1.0
    while h(hi) > 0:  # only when some draws are stuck at probability 1
        hi *= 2.0
        if hi > 1e300:
            return math.inf
    # integer bisection: h(a) > 0 >= h(b) throughout (h(1) > 0 was checked above)
    a, b = max(1, math.floor(min(lo, hi))), math.ceil(hi)
    if h(float(a)) <= 0:
        a = 1
    while b - a > 1:
        mid = (a + b) // 2
        if h(float(mid)) > 0:
            a = mid
        else:
            b = mid
    return float(b)


def regime_start(draws, threshold: float, *, minimize: bool, q: float = 0.5) -> np.ndarray:
    r"""Per draw, the number of runs :math:`k^*` after which the q-quantile curve is in the tail.

    With :math:`p = P_\theta(\text{beyond the threshold})` (:math:`1 - F(\tau)` when
    maximizing, :math:`F(\tau)` when minimizing), the q-quantile of the best of ``k`` lies
    beyond the threshold once :math:`(1 - p)^k \le q` (maximize) or
    :math:`(1 - p)^k \le 1 - q` (minimize):

    .. math::

        k^* = \frac{\log q}{\log(1 - p)} \quad\text{(maximize)}, \qquad
        k^* = \frac{\log(1 - q)}{\log(1 - p)} \quad\text{(minimize)},

    :math:`\ln 0.5/\ln(1-p)` for the median in both. Real-valued (below 1 when the
    regime starts with the first run).

    Returns
    -------
    np.ndarray, shape (S,)
    """
    minimize = check_bool("minimize", minimize)
    q = check_level("q", q)
    threshold = check_real("threshold", threshold)
    d = as_draws(draws)
    # log(1 - p): log F(tau) when maximizing, log S(tau) when minimizing
    log_rest = log_tail_of(d, threshold, minimize)
    log_level = math.log1p(-q) if minimize else math.log(q)
    with np.errstate(divide="ignore"):
        return np.where(log_rest < 0, log_level / np.minimum(log_rest, -1e-300), np.inf)
