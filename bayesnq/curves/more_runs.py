r"""More runs on top of those made: the chance that ``m`` more runs beat the current best.

The tuning curves of :mod:`bayesnq.curves.posterior` answer a question about a *fresh*
search: how good is the best of ``n`` runs started from nothing. A user who has already
made ``n`` runs, with best score :math:`y^*`, asks another one: *if I run ``m`` more, will
I do better than what I have?* With :math:`T_m` the best of the ``m`` new runs and
:math:`F_\theta` one run's cdf (maximize form),

.. math::

    P(T_m > y^* + \Delta \mid \theta) = 1 - F_\theta(y^* + \Delta)^m, \qquad
    P(\text{m more runs beat } y^* \text{ by } \Delta) =
    1 - E_\theta\big[F_\theta(y^* + \Delta)^m\big],

the posterior average over draws :math:`\theta^{(s)}` (the ``m`` runs share one unknown
:math:`\theta`, so the average is over :math:`F^m`, not :math:`F`). When minimizing,
:math:`T_m` is the minimum and :math:`F_\theta(y^*+\Delta)^m` becomes
:math:`(1 - F_\theta(y^* - \Delta))^m`. Each per-draw probability is computed as
:math:`-\mathrm{expm1}(m \log F)`, with :math:`\log F` (or :math:`\log(1 - F)`) accurate
near 0, so ``m`` of :math:`10^6` keeps full precision; the per-draw probabilities also
give a credible interval over :math:`\theta`.

The **expected gain** of ``m`` more runs is
:math:`E[\max(T_m, y^*) - y^*] = E[(T_m - y^*)^+]` (maximize; :math:`E[(y^* - T_m)^+]`
when minimizing: always :math:`\ge 0`, in score units). Per draw, with
:math:`Q(u)` the quantile function of :math:`T_m` and :math:`u^* = F(y^*)^m`,

.. math::

    E_\theta[(T_m - y^*)^+] = \int_{u^*}^1 \big(Q(u) - y^*\big)\,du
    = \int_0^{v^*} \big(Q(1 - v) - y^*\big)\,dv, \quad v^* = 1 - u^*,

evaluated in the minimize form (the best of ``m`` is a minimum, whose lower quantiles
:meth:`~bayesnq.distributions.NoisyQuadratic.quantile_tuning_curve` gives without
rounding :math:`1 - v`), with :math:`v = v^* t^2` and :data:`GAIN_NODES` Gauss–Legendre
nodes in :math:`t \in (0, 1)`: the substitution tames the logarithmic growth of the
quantile as :math:`v \to 0`, and the integrand vanishes at :math:`v = v^*`.

The **number of more runs needed** for a probability :math:`p` is solved on the
posterior-averaged curve: the smallest integer ``m`` with
:math:`E_\theta[F_\theta(y^*+\Delta)^m] \le 1 - p` (this is the ``predictive`` answer of
:func:`~bayesnq.curves.runs_to_reach`); the per-draw answers
:math:`\lceil \log(1-p)/\log F_\theta(y^*+\Delta) \rceil` give its median and interval.
The two differ: the averaged curve is what a user should expect; the per-draw median is
the answer of a typical :math:`\theta`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq import direction
from bayesnq.curves.draws import DEFAULT_CI, pad, thin
from bayesnq.curves.kernels import log_tail_of
from bayesnq.curves.runs import runs_to_reach
from bayesnq.distributions import NoisyQuadratic
from bayesnq.validation import check_bool, check_int, check_level, check_levels, check_real

__all__ = ["MoreRuns", "more_runs", "gain_per_draw", "GAIN_NODES", "LEVELS"]

GAIN_NODES = 64  # Gauss-Legendre nodes of the expected-gain integral
GAIN_BLOCK = 128  # draws per call of the compiled gain kernel
LEVELS = (0.5, 0.8, 0.95)  # probabilities for which the runs needed are reported
_TINY = 1e-300  # v* below this: no chance of a gain that a float64 can hold


@dataclass(frozen=True, eq=False)
class MoreRuns:
    r"""What ``m`` more runs, added to those made, are expected to bring.

    Attributes
    ----------
    m : int
        Number of more runs.
    delta : float
        The margin (score units, :math:`\ge 0`) by which the current best is to be beaten.
    best : float
        The current best score :math:`y^*` (the best run made).
    target : float
        :math:`y^* + \Delta` (maximize) or :math:`y^* - \Delta` (minimize); half a
        resolution step further for lattice scores (``resolution``).
    probability : float
        :math:`P(T_m` beyond the target :math:`) = 1 - E_\theta[F_\theta(y^*+\Delta)^m]`,
        the posterior average.
    probability_median, probability_lower, probability_upper : float
        Median and equal-tailed ``ci`` interval over :math:`\theta` of the per-draw
        probabilities :math:`1 - F_\theta(y^*+\Delta)^m`.
    gain, gain_median, gain_lower, gain_upper : float
        Expected gain :math:`E[(T_m - y^*)^+]` (maximize; :math:`E[(y^* - T_m)^+]` when
        minimizing), score units, :math:`\ge 0`: the posterior mean, and the median and
        interval of the per-draw expected gains. Note it is measured from :math:`y^*`,
        not from the target.
    needed : dict
        For each level :math:`p` of ``levels``: ``{"runs": m needed on the averaged
        curve, "median", "lower", "upper": the per-draw answers}`` (``inf`` when never).
    levels : tuple of float
    ci : float
    minimize : bool
    n_runs : int or None
        The number of runs already made (for the record; the answer does not depend on
        it beyond :math:`y^*`, given :math:`\theta`).
    n_draws : int
        Posterior draws used.
    probability_draws, gain_draws : np.ndarray, shape (S,)
        Per-draw probabilities and expected gains.
    """

    m: int
    delta: float
    best: float
    target: float
    probability: float
    probability_median: float
    probability_lower: float
    probability_upper: float
    gain: float
    gain_median: float
    gain_lower: float
    gain_upper: float
    needed: dict
    levels: tuple
    ci: float
    minimize: bool
    n_runs: int | None
    n_draws: int
    probability_draws: np.ndarray
    gain_draws: np.ndarray

    @property
    def expected_best(self) -> float:
        """Expected best score after the ``m`` more runs: :math:`y^* \\pm` ``gain``."""
        return self.best - self.gain if self.minimize else self.best + self.gain

    def expected_best_interval(self) -> tuple[float, float]:
        """The ``ci`` interval of the expected best after the more runs (per-draw gains)."""
        if self.minimize:
            return self.best - self.gain_upper, self.best - self.gain_lower
        return self.best + self.gain_lower, self.best + self.gain_upper

    def to_frame(self):
        """pandas DataFrame, one row per answer: ``value``, ``lower``, ``upper``,
        ``meaning`` (``lower``/``upper``: the ``ci`` interval over the posterior draws)."""
        import pandas as pd

        better = "below" if self.minimize else "above"
        made = f" on top of the {self.n_runs} made" if self.n_runs else ""
        rows = {
            "best_run": (self.best, self.best, self.best,
                         "the current best y*: the best run made"),
            "p_beat": (self.probability, self.probability_lower, self.probability_upper,
                       f"P(the best of {self.m} more runs{made} is {better} y* by more than "
                       f"delta = {self.delta:g}), averaged over the posterior"),
            "expected_gain": (self.gain, self.gain_lower, self.gain_upper,
                              f"expected improvement over y* after {self.m} more runs "
                              "(0 when none beats y*)"),
            "expected_best": (self.expected_best, *self.expected_best_interval(),
                              f"expected best score after {self.m} more runs{made}"),
        }
        for p in self.levels:
            need = self.needed[p]
            rows[f"runs_for_{p:.0%}"] = (
                need["runs"], need["lower"], need["upper"],
                f"more runs needed for a {p:.0%} chance of beating y* by delta "
                "(solved on the posterior-averaged probability; interval: per-draw answers)")
        frame = pd.DataFrame.from_dict(rows, orient="index",
                                       columns=["value", "lower", "upper", "meaning"])
        frame.index.name = "answer"
        frame.attrs.update(m=self.m, delta=self.delta, best=self.best, target=self.target,
                           ci=self.ci, minimize=self.minimize, n_runs=self.n_runs,
                           n_draws=self.n_draws,
                           caption=f"{self.m} more runs (interval: {self.ci:.0%} credible, "
                                   f"over {self.n_draws} posterior draws)")
        return frame

    def to_dict(self) -> dict:
        """JSON-ready dict of the answers (without the per-draw arrays)."""
        return {
            "m": self.m, "delta": self.delta, "best": self.best, "target": self.target,
            "probability": self.probability, "probability_median": self.probability_median,
            "probability_lower": self.probability_lower,
            "probability_upper": self.probability_upper,
            "gain": self.gain, "gain_median": self.gain_median, "gain_lower": self.gain_lower,
            "gain_upper": self.gain_upper, "expected_best": self.expected_best,
            "needed": {f"{p:g}": dict(v) for p, v in self.needed.items()},
            "levels": list(self.levels), "ci": self.ci, "minimize": self.minimize,
            "n_runs": self.n_runs, "n_draws": self.n_draws,
        }

    def __repr__(self) -> str:
        runs = ", ".join(f"{p:.0%}: {_count(v['runs'])}" for p, v in self.needed.items())
        return (f"MoreRuns(m={self.m}, delta={self.delta:g}, best={self.best:.6g}: "
                f"P(beat) = {self.probability:.3g} [{self.probability_lower:.3g}, "
                f"{self.probability_upper:.3g}], expected gain {self.gain:.3g}; "
                f"runs needed {runs})")


def _count(x) -> str:
    return "inf" if math.isinf(x) else f"{x:.0f}"


@jax.jit
def _gain_kernel(params, m, star, log_rest):
    r"""Per draw, :math:`E[(y^* - T_m)^+]` of a *minimize-form* search (module docstring).

    ``params`` (4, S) the minimize-form draws, ``star`` (the current best) in the same
    form, ``log_rest`` (S,) the log chance that one run does not beat it. One compiled
    program serves both directions (a maximize search is mirrored before the call).
    """
    lo, hi, gamma, sigma = params
    d = NoisyQuadratic(lo[:, None], hi[:, None], gamma[:, None], sigma[:, None], minimize=True)
    v_star = -jnp.expm1(m * log_rest)  # P(T_m beats y*)
    x, w = np.polynomial.legendre.leggauss(GAIN_NODES)
    t = jnp.asarray(0.5 * (1.0 + x))
    wt = jnp.asarray(0.5 * w)
    ok = v_star > _TINY
    v = jnp.where(ok, v_star, 0.5)[:, None] * t[None, :] ** 2
    q = d.quantile_tuning_curve(m, v)  # v-quantile of the best (minimum) of m
    integrand = jnp.maximum(star - q, 0.0) * 2.0 * t[None, :]
    return jnp.where(ok, jnp.where(ok, v_star, 0.0) * jnp.sum(wt[None, :] * integrand, axis=1),
                     0.0)


def gain_per_draw(d: dict, best: float, m: int, minimize: bool) -> np.ndarray:
    r"""Per draw, the expected gain :math:`E_\theta[(T_m - y^*)^+]` of ``m`` more runs
    over ``best`` (:math:`E_\theta[(y^* - T_m)^+]` when minimizing), shape (S,).

    ``d`` holds validated draws (:func:`~bayesnq.curves.thin`), in blocks of
    :data:`GAIN_BLOCK` (one compiled shape).
    """
    log_rest = log_tail_of(d, best, minimize)
    # the minimize form: a maximize search mirrored, (alpha, beta) -> (-beta, -alpha)
    lo, hi = (d["alpha"], d["beta"]) if minimize else direction.orient_ends(
        d["alpha"], d["beta"], True)
    star = direction.orient(best, not minimize)
    params = np.stack([lo, hi, d["gamma"], d["sigma"]])
    s = params.shape[1]
    out = np.empty(s)
    for i in range(0, s, GAIN_BLOCK):
        block = jnp.asarray(pad(params[:, i:i + GAIN_BLOCK], GAIN_BLOCK))
        rest = jnp.asarray(pad(log_rest[i:i + GAIN_BLOCK], GAIN_BLOCK))
        g = _gain_kernel(block, float(m), float(star), rest)
        width = min(GAIN_BLOCK, s - i)
        out[i:i + width] = np.asarray(g)[:width]
    return np.maximum(out, 0.0)


def more_runs(
    draws,
    best: float,
    *,
    minimize: bool,
    m: int = 100,
    delta: float = 0.0,
    ci: float = DEFAULT_CI,
    levels=LEVELS,
    n_runs: int | None = None,
    resolution: float | None = None,
    max_draws: int | None = 2000,
    seed: int = 0,
    gain_draws=None,
) -> MoreRuns:
    r"""The chance that ``m`` more runs beat the current best ``best`` by ``delta``.

    This is about runs *added* to a search already made (whose best score is ``best``),
    not about a fresh search (:func:`~bayesnq.curves.tuning_curve`,
    :func:`~bayesnq.curves.runs_to_reach`). See the module docstring for the formulas:
    :math:`P = 1 - E_\theta[F_\theta(y^*+\Delta)^m]` (maximize), the expected gain
    :math:`E[(T_m - y^*)^+]`, and the ``m`` needed for each of ``levels``, solved on the
    posterior-averaged probability (the per-draw answers give its median and interval).

    Parameters
    ----------
    draws : mapping or Fit
        Posterior draws (``fit.draws()``).
    best : float
        The current best score :math:`y^*` (user units).
    minimize : bool
    m : int, default 100
        Number of more runs, :math:`\ge 1`.
    delta : float, default 0.0
        Margin :math:`\Delta \ge 0` (score units) by which to beat ``best``.
    ci : float, default :data:`DEFAULT_CI`
        Level of the equal-tailed intervals over draws.
    levels : float or sequence of float, default (0.5, 0.8, 0.95)
        Probabilities for which the number of more runs needed is solved.
    n_runs : int or None
        Runs already made (recorded in the result and its labels).
    resolution : float or None
        Scores known to this resolution :math:`h` (a lattice, ``fit(..., resolution=h)``):
        a new score beats :math:`y^* + \Delta` only in a higher cell, so the target is
        :math:`y^* + \Delta + h/2` (``- ... `` when minimizing). The gain is that of the
        continuous scores.
    max_draws : int or None, default 2000
        Thin to at most this many draws (:func:`~bayesnq.curves.thin`); the expected gain
        costs :data:`GAIN_NODES` quantile solves per draw.
    seed : int, default 0
    gain_draws : array of shape (S,), optional
        The per-draw expected gains of an earlier call with the same ``draws``, ``best``,
        ``m``, ``max_draws`` and ``seed`` (its :attr:`MoreRuns.gain_draws`): the gain does
        not depend on ``delta``, so a second margin need not solve its quantiles again.

    Returns
    -------
    MoreRuns
    """
    minimize = check_bool("minimize", minimize)
    best = check_real("best", best)
    m = check_int("m", m, minimum=1)
    delta = check_real("delta", delta, low=0.0)
    ci = check_level("ci", ci)
    levels = check_levels("levels", levels)
    if n_runs is not None:
        n_runs = check_int("n_runs", n_runs, minimum=1)
    d = thin(draws, max_draws, seed)
    if resolution is not None:
        resolution = check_real("resolution", resolution, low=0.0, low_open=True)
    margin = delta + (0.5 * resolution if resolution else 0.0)
    target = best - margin if minimize else best + margin
    log_rest = log_tail_of(d, target, minimize)  # log P(one run does not beat the target)
    prob = -np.expm1(m * np.minimum(log_rest, 0.0))
    lo_q, hi_q = (1 - ci) / 2, (1 + ci) / 2
    p_lo, p_med, p_hi = np.quantile(prob, [lo_q, 0.5, hi_q])
    if gain_draws is None:
        gains = gain_per_draw(d, best, m, minimize)
    else:
        gains = np.asarray(gain_draws, dtype=np.float64)
        if gains.shape != prob.shape:
            raise ValueError(f"gain_draws must hold one gain per draw used ({prob.size}), "
                             f"got gain_draws of shape {gains.shape}")
    g_lo, g_med, g_hi = np.quantile(gains, [lo_q, 0.5, hi_q])
    needed = {}
    for p in levels:
        # runs_to_reach's q: maximize F^n <= q (q = 1 - p); minimize (1-F)^n <= 1 - q (q = p)
        r = runs_to_reach(d, target, minimize=minimize, q=p if minimize else 1.0 - p, ci=ci)
        needed[p] = {"runs": r.predictive, "median": r.median, "lower": r.lower,
                     "upper": r.upper}
    return MoreRuns(
        m=m, delta=delta, best=best, target=target,
        probability=float(prob.mean()), probability_median=float(p_med),
        probability_lower=float(p_lo), probability_upper=float(p_hi),
        gain=float(gains.mean()), gain_median=float(g_med), gain_lower=float(g_lo),
        gain_upper=float(g_hi), needed=needed, levels=tuple(levels), ci=ci,
        minimize=minimize, n_runs=n_runs, n_draws=int(d["alpha"].size),
        probability_draws=prob, gain_draws=gains,
    )
