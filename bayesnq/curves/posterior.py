r"""Posterior tuning curves: :func:`tuning_curve` and :func:`average_tuning_curve`.

Per posterior draw :math:`\theta^{(s)}` these compute the **q-quantile tuning curve**
:math:`\tau_q(n; \theta) = F_\theta^{-1}(q^{1/n})` (maximize) or
:math:`F_\theta^{-1}(1 - (1 - q)^{1/n})` (minimize), or the **average tuning curve**
:math:`E_\theta[T_n]`, and summarize them over draws by the posterior median and an
equal-tailed credible band. They also compute the **posterior-predictive** curve, the
quantile of :math:`T_n` under the posterior predictive distribution of the search,

.. math::

    P(T_n \le y \mid \text{data}) = E_\theta\big[F_\theta(y)^n\big] \quad\text{(maximize)},
    \qquad 1 - E_\theta\big[(1 - F_\theta(y))^n\big] \quad\text{(minimize)},

which is *not* the plug-in :math:`(E_\theta F_\theta(y))^n`: the ``n`` runs of one future
search share one unknown :math:`\theta`. For the mean, :math:`E[T_n \mid \text{data}] =
E_\theta[E_\theta T_n]`, the posterior mean of the per-draw average curves.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bayesnq import direction
from bayesnq.curves.draws import (BLOCK, DEFAULT_CI, MIN_DRAWS, N_CHUNK, check_n, pad,
                                  pow2_at_least, pow2_at_most, stack, thin)
from bayesnq.curves.kernels import logs_best, noisy_quadratic, per_draw
from bayesnq.curves.results import TuningCurve
from bayesnq.validation import check_bool, check_level

__all__ = ["tuning_curve", "average_tuning_curve"]

_SOLVER_STEPS = 60


@partial(jax.jit, static_argnames=("minimize",))
def _predictive_solve(params, mask, n, log_level, lo, hi, start, minimize):
    r"""Solve :math:`E_\theta[P_\theta(y)^n] = \ell` for y, one y per n.

    ``params`` (4, S) with ``mask`` (S,) marking real draws (the rest is padding);
    ``n``, ``lo``, ``hi``, ``start`` (m,). With :math:`P = F` and :math:`\ell = q`
    (maximize) or :math:`P = 1 - F` and :math:`\ell = 1 - q` (minimize),

    .. math::

        L(y) = \log \frac1S \sum_s e^{n \log P_s(y)} \;(\le 0), \qquad
        H(y) = \log(-L(y)) - \log(-\log \ell) = 0,

    the double log making :math:`H` close to linear in the Gaussian and power-law tails
    (:math:`-L \approx n(1 - P)` there). Newton steps with
    :math:`H' = L'/L`, :math:`L' = \sum_s w_s\, n\, (\log P_s)'`, softmax weights
    :math:`w_s \propto P_s^n` and :math:`(\log F)' = f/F`, :math:`(\log(1-F))' = -f/(1-F)`,
    kept inside a shrinking bisection bracket.
    """
    d = noisy_quadratic(params[:, :, None], minimize)
    log_count = jnp.log(jnp.sum(mask))
    sign = direction.sign(minimize)  # sign of dL/dy
    keep = mask[:, None]
    target = jnp.log(-log_level)

    def objective(y):
        log_pdf, log_f, log_s = logs_best(d, y[None, :])
        log_p = log_s if minimize else log_f
        terms = jnp.where(keep, n[None, :] * log_p, -jnp.inf)
        big_l = jnp.minimum(jax.nn.logsumexp(terms, axis=0) - log_count, 0.0)
        w = jax.nn.softmax(terms, axis=0)
        ratio = jnp.where(keep, jnp.exp(log_pdf - log_p), 0.0)
        slope_l = sign * jnp.sum(w * n[None, :] * ratio, axis=0)
        h = jnp.log(-big_l) - target
        return h, slope_l / big_l

    # stop once no y moves by more than this (or after _SOLVER_STEPS steps)
    tol = 1e-13 * (hi - lo) + 8 * jnp.spacing(jnp.abs(hi) + jnp.abs(lo))

    def step(state):
        i, lo, hi, y, _ = state
        h, slope = objective(y)
        # H decreases in y when maximizing (L increases), increases when minimizing
        too_high = (h > 0) if minimize else (h < 0)
        lo = jnp.where(too_high, lo, y)
        hi = jnp.where(too_high, y, hi)
        newton = y - h / jnp.where(slope == 0, jnp.inf, slope)
        ok = (newton >= lo) & (newton <= hi) & jnp.isfinite(newton)
        new = jnp.where(ok, newton, 0.5 * (lo + hi))
        moving = jnp.any(jnp.abs(new - y) > tol)
        return i + 1, lo, hi, new, moving

    def going(state):
        i, _, _, _, moving = state
        return (i < _SOLVER_STEPS) & moving

    _, _, _, y, _ = lax.while_loop(going, step, (0, lo, hi, start, True))
    return y


def _predictive_quantile(d: dict, n: np.ndarray, q: float, minimize: bool, per_draw: np.ndarray):
    params = stack(d)
    s = params.shape[1]
    s_pad = max(MIN_DRAWS, pow2_at_least(s))
    mask = jnp.asarray(np.arange(s_pad) < s)
    params = jnp.asarray(pad(params, s_pad))
    # Every draw's q-quantile of T_n brackets the mixture's: at min_s tau_s all F_s^n <= q.
    lo = per_draw.min(axis=0)
    hi = per_draw.max(axis=0)
    margin = 1e-9 * (hi - lo) + 1e-6 * np.median(d["sigma"]) + 4 * np.spacing(np.abs(hi) + 1.0)
    lo, hi = lo - margin, hi + margin
    start = np.clip(np.median(per_draw, axis=0), lo, hi)
    log_level = math.log1p(-q) if minimize else math.log(q)
    m = n.size
    # a fixed chunk of n (one compiled shape for any grid length), smaller for many draws
    chunk = max(8, min(N_CHUNK, pow2_at_most(BLOCK // s_pad)))
    out = np.empty(m)
    for i in range(0, m, chunk):  # loop over blocks of n, never over draws
        part = [jnp.asarray(pad(a[i:i + chunk], chunk)) for a in (n, lo, hi, start)]
        y = _predictive_solve(params, mask, part[0], log_level, *part[1:], minimize)
        width = min(chunk, m - i)
        out[i:i + width] = np.asarray(y)[:width]
    return out


def _summarize(curves: np.ndarray, ci: float):
    lo, med, hi = np.quantile(curves, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=0)
    return lo, med, hi


def tuning_curve(
    draws,
    n,
    *,
    minimize: bool,
    q: float = 0.5,
    ci: float = DEFAULT_CI,
    max_draws: int | None = 1000,
    seed: int = 0,
) -> TuningCurve:
    r"""Posterior q-quantile tuning curve of the best of ``n`` runs of a fresh search.

    A *fresh* search: the best of ``n`` runs started from nothing, not ``n`` runs added to
    those already made (for that, :func:`~bayesnq.curves.more_runs`).

    Parameters
    ----------
    draws : mapping or Fit
        Posterior draws: ``{"alpha", "beta", "gamma", "sigma"}`` to equal-length arrays
        (``fit.draws()``); an object with a ``draws()`` method is accepted too.
    n : float or array_like, shape (m,)
        Numbers of runs, each finite and :math:`\ge 1`; :math:`10^6` and beyond are fine.
    minimize : bool
        True: the best of ``n`` is the minimum, and ``draws`` are of the minimize form.
    q : float, default 0.5
        Quantile level of the best of ``n``, :math:`0 < q < 1` (0.5: the median curve).
    ci : float, default :data:`~bayesnq.curves.DEFAULT_CI` (0.9)
        Level of the equal-tailed credible band, :math:`0 < ci < 1`.
    max_draws : int or None, default 1000
        Use at most this many draws, a subset chosen by ``seed`` (:func:`thin`); None: all.
    seed : int, default 0

    Returns
    -------
    TuningCurve
        ``draws[s, j]`` :math:`= \tau_q(n_j; \theta^{(s)})`, with
        :math:`\tau_q(n;\theta) = F_\theta^{-1}(q^{1/n})` (maximize) or
        :math:`F_\theta^{-1}(1 - (1-q)^{1/n})` (minimize); ``median``, ``lower``, ``upper``
        their quantiles over draws; ``predictive`` the solution :math:`y` of

        .. math::

            \frac1S \sum_s F_s(y)^n = q \quad\text{(maximize)}, \qquad
            \frac1S \sum_s (1 - F_s(y))^n = 1 - q \quad\text{(minimize)},

        the q-quantile of :math:`T_n` under the posterior predictive, found by safeguarded
        Newton in log space (log-sum-exp over draws), bracketed by the per-draw quantiles.

    Notes
    -----
    The predictive curve averages the *distribution* of :math:`T_n` over draws; it differs
    from both the median curve and the plug-in :math:`\bar F^{-1}(q^{1/n})` of the averaged
    cdf :math:`\bar F = E_\theta F_\theta`, which would treat the ``n`` runs as if each came
    from a fresh :math:`\theta`.
    """
    minimize = check_bool("minimize", minimize)
    q = check_level("q", q)
    ci = check_level("ci", ci)
    n = check_n(n)
    d = thin(draws, max_draws, seed)
    curves = per_draw("quantile", d, n, q, minimize)
    lo, med, hi = _summarize(curves, ci)
    pred = _predictive_quantile(d, n, q, minimize, curves)
    return TuningCurve(n, lo, med, hi, pred, curves, q, ci, "quantile", minimize)


def average_tuning_curve(
    draws,
    n,
    *,
    minimize: bool,
    ci: float = DEFAULT_CI,
    max_draws: int | None = 200,
    seed: int = 0,
) -> TuningCurve:
    r"""Posterior average tuning curve :math:`E[T_n]`, the expected best of ``n`` runs of a
    fresh search (runs added to a search made: :func:`~bayesnq.curves.more_runs`).

    Parameters
    ----------
    draws, n, minimize, ci, seed
        As in :func:`tuning_curve`.
    max_draws : int or None, default 200
        Each draw's average curve is an integral over quantiles
        (:meth:`NoisyQuadratic.average_tuning_curve`: about 570 log-cdf evaluations per
        point, the cost of some 50 quantile solves), hence the smaller default.

    Returns
    -------
    TuningCurve
        ``kind="average"``, ``q=None``; ``draws[s, j]`` :math:`= E_{\theta^{(s)}}[T_{n_j}]`;
        ``predictive`` :math:`= \frac1S\sum_s E_{\theta^{(s)}}[T_n]`, which is exactly the
        posterior-predictive mean :math:`E[T_n \mid \text{data}]` (the mean of a mixture is
        the mixture of the means).
    """
    minimize = check_bool("minimize", minimize)
    ci = check_level("ci", ci)
    n = check_n(n)
    d = thin(draws, max_draws, seed)
    curves = per_draw("average", d, n, 0.5, minimize)
    lo, med, hi = _summarize(curves, ci)
    return TuningCurve(n, lo, med, hi, curves.mean(axis=0), curves, None, ci, "average", minimize)
