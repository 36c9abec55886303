r"""Figures of curves: the posterior tuning curve and the cdf of the tail beyond the threshold.

A *fit* here is anything with the attributes of :class:`bayesnq.inference.Fit` that a plot
needs: ``draws()`` (dict of flat arrays ``alpha, beta, gamma, sigma``), ``minimize``,
``threshold`` and ``scores`` (with ``values`` and ``name``). Every function returns the
figure it drew on and takes an optional ``ax`` to draw into.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq import NoisyQuadratic, curves
from bayesnq.plots.common import BAND, DATA, PRED, figure_and_axes, is_fit, label_of
from bayesnq.validation import check_int, check_level

__all__ = ["plot_tuning_curve", "plot_tail_cdf"]

PARAMETERS = ("alpha", "beta", "gamma", "sigma")


def plot_tuning_curve(
    fit_or_curve,
    *,
    n=None,
    q: float = 0.5,
    ci: float = 0.8,
    kind: str = "quantile",
    empirical=None,
    k_star: float | None = None,
    ax=None,
    title: str | None = None,
    max_draws: int | None = 1000,
    seed: int = 0,
):
    r"""Posterior tuning curve with its credible band, the predictive and the empirical curve.

    Parameters
    ----------
    fit_or_curve : Fit or TuningCurve
        A fit (the curve is computed here with :func:`bayesnq.curves.tuning_curve` or
        :func:`~bayesnq.curves.average_tuning_curve`) or a finished curve.
    n : array_like, optional
        Numbers of runs for a fit; default 32 log-spaced integers from 1 to ``10 N``
        (``N`` runs observed). Ignored for a TuningCurve.
    q, ci : float
        Quantile level and band level, for a fit.
    kind : {"quantile", "average"}
        Which curve to compute from a fit.
    empirical : array_like or False, optional
        Scores whose empirical curve (best of ``n`` draws with replacement, shown for
        :math:`n \le N`) is drawn as a step line. Default: the fit's own scores; ``False``
        draws none.
    k_star : float or False, optional
        Regime start :math:`k^* = \ln q/\ln(1 - p)` (:func:`bayesnq.curves.regime_start`),
        drawn as a vertical line. Default for a fit: the posterior median of :math:`k^*`
        at the fit's threshold; ``False`` draws none. When :math:`k^* < 1` the legend says
        the regime starts with the first run.
    ax : matplotlib Axes, optional
    title : str, optional
    max_draws, seed : int
        Thinning of the posterior draws (fit only).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if kind not in ("quantile", "average"):
        raise ValueError(f"kind must be 'quantile' or 'average', got kind={kind!r}")
    if isinstance(fit_or_curve, curves.TuningCurve):
        curve = fit_or_curve
        fit = None
    elif is_fit(fit_or_curve):
        fit = fit_or_curve
        scores = getattr(fit, "scores", None)
        size = len(np.asarray(scores.values)) if scores is not None else 100
        grid = _n_grid(10 * size) if n is None else n
        if kind == "quantile":
            curve = curves.tuning_curve(
                fit.draws(), grid, minimize=fit.minimize, q=q, ci=ci, max_draws=max_draws, seed=seed
            )
        else:
            curve = curves.average_tuning_curve(
                fit.draws(), grid, minimize=fit.minimize, ci=ci,
                max_draws=min(max_draws or 200, 200), seed=seed,
            )
    else:
        raise ValueError(
            "fit_or_curve must be a Fit (with draws(), minimize, scores) or a TuningCurve, "
            f"got {type(fit_or_curve).__name__}"
        )
    if empirical is None and fit is not None and getattr(fit, "scores", None) is not None:
        empirical = fit.scores.values
    if k_star is None and fit is not None and getattr(fit, "threshold", None) is not None:
        k_star = float(np.median(curves.regime_start(
            fit.draws(), float(fit.threshold), minimize=fit.minimize, q=curve.q or 0.5)))

    fig, ax = figure_and_axes(ax, (6.4, 4.4))
    x = curve.n
    what = "average" if curve.kind == "average" else (
        "median" if curve.q == 0.5 else f"{curve.q:g}-quantile")
    ax.fill_between(x, curve.lower, curve.upper, color=BAND, alpha=0.25, lw=0,
                    label=f"{curve.ci:.0%} credible band")
    ax.plot(x, curve.median, color=BAND, lw=2, label=f"posterior median of the {what} curve")
    pred_label = "posterior predictive mean" if curve.kind == "average" else "posterior predictive"
    ax.plot(x, curve.predictive, color=PRED, lw=1.5, ls="--", label=pred_label)
    if empirical is not None and empirical is not False:
        values = np.asarray(empirical, dtype=np.float64)
        ne = x[x <= values.size]
        if ne.size:
            if curve.kind == "average":
                ye = curves.empirical_average_tuning_curve(values, ne, minimize=curve.minimize)
            else:
                ye = curves.empirical_tuning_curve(values, ne, minimize=curve.minimize, q=curve.q)
            ax.plot(ne, ye, color=DATA, lw=1.2, drawstyle="steps-post",
                    label=f"empirical (resampling {values.size} runs)")
    if k_star is not None and k_star is not False and math.isfinite(k_star):
        if k_star >= x.min():
            ax.axvline(k_star, color="0.45", ls=":", lw=1.2,
                       label=f"regime start $k^*$ = {k_star:.2g}")
        else:
            ax.plot([], [], color="0.45", ls=":", lw=1.2,
                    label=f"$k^*$ = {k_star:.2g} (tail from the first run)")
    ax.set_xscale("log")
    ax.set_xlabel("number of runs $n$ (log scale)")
    best = "lowest" if curve.minimize else "highest"
    ax.set_ylabel(f"{'expected' if curve.kind == 'average' else what} {best} score of $n$ runs")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower right" if not curve.minimize else "upper right", fontsize="small")
    if title is None:
        label = label_of(fit) if fit is not None else ""
        title = f"Tuning curve{': ' + label if label else ''}"
    if title:
        ax.set_title(title)
    return fig


@partial(jax.jit, static_argnames=("minimize",))
def _truncated_cdf(params, y, threshold, minimize):
    r"""Per draw, the cdf conditional on lying beyond the threshold, on the grid ``y``."""
    d = NoisyQuadratic(params[0][:, None], params[1][:, None], params[2][:, None],
                       params[3][:, None], minimize=minimize)
    if minimize:
        # P(Y <= y | Y < tau) = F(y) / F(tau)
        return jnp.exp(jnp.minimum(d.log_cdf(y[None, :]) - d.log_cdf(threshold), 0.0))
    # P(Y <= y | Y > tau) = 1 - S(y) / S(tau)
    return -jnp.expm1(jnp.minimum(d.log_sf(y[None, :]) - d.log_sf(threshold), 0.0))


def plot_tail_cdf(
    fit,
    *,
    ci: float = 0.8,
    points: int = 300,
    max_draws: int | None = 500,
    seed: int = 0,
    ax=None,
    title: str | None = None,
):
    r"""Fitted cdf of the tail beyond the threshold, with its credible band, against the data.

    For each posterior draw the *truncated* cdf of the tail (the part of the distribution
    the fit models),

    .. math::

        G_\theta(y) = \frac{F_\theta(y) - F_\theta(\tau)}{1 - F_\theta(\tau)}, \; y > \tau
        \quad\text{(maximize)}, \qquad
        G_\theta(y) = \frac{F_\theta(y)}{F_\theta(\tau)}, \; y < \tau \quad\text{(minimize)},

    is evaluated on a grid (in log space: :math:`1 - e^{\log S(y) - \log S(\tau)}`); the
    plot shows its posterior median and equal-tailed ``ci`` band, and the empirical cdf of
    the observed scores beyond :math:`\tau`.

    Parameters
    ----------
    fit : Fit
        Needs ``draws()``, ``minimize``, ``threshold`` and ``scores``.
    ci : float, default 0.8
    points : int, default 300
        Grid size.
    max_draws, seed : see :func:`bayesnq.curves.thin`.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if (not is_fit(fit) or getattr(fit, "threshold", None) is None
            or getattr(fit, "scores", None) is None):
        raise ValueError(
            "fit must have draws(), minimize, threshold and scores, "
            f"got {type(fit).__name__}"
        )
    ci = check_level("ci", ci)
    points = check_int("points", points, minimum=2)
    tau = float(fit.threshold)
    minimize = bool(fit.minimize)
    values = np.asarray(fit.scores.values, dtype=np.float64)
    tail = np.sort(values[values < tau] if minimize else values[values > tau])
    tail = tail[np.isfinite(tail)]
    d = curves.thin(fit.draws(), max_draws, seed)
    params = np.stack([d[k] for k in PARAMETERS])
    # grid: from the threshold past the most extreme tail score (or the fitted optimum)
    best_fit = float(np.median(d["alpha"] if minimize else d["beta"]))
    noise = float(np.median(d["sigma"]))
    if minimize:
        far = min(tail.min() if tail.size else best_fit, best_fit - 2 * noise)
        span = tau - far
        y = np.linspace(far - 0.1 * span, tau, points)
    else:
        far = max(tail.max() if tail.size else best_fit, best_fit + 2 * noise)
        span = far - tau
        y = np.linspace(tau, far + 0.1 * span, points)
    g = np.asarray(_truncated_cdf(jnp.asarray(params), jnp.asarray(y), tau, minimize))
    lo, med, hi = np.quantile(g, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=0)

    fig, ax = figure_and_axes(ax, (6.4, 4.4))
    ax.fill_between(y, lo, hi, color=BAND, alpha=0.25, lw=0, label=f"{ci:.0%} credible band")
    ax.plot(y, med, color=BAND, lw=2, label="fitted tail cdf (posterior median)")
    if tail.size:
        ecdf = np.arange(1, tail.size + 1) / tail.size
        xs = np.concatenate([[y[0]], tail, [y[-1]]])
        ys = np.concatenate([[0.0], ecdf, [1.0]])
        side = "below" if minimize else "above"
        ax.plot(xs, ys, color=DATA, lw=1.2, drawstyle="steps-post",
                label=f"empirical cdf ({tail.size} scores {side} $\\tau$)")
    ax.axvline(tau, color="0.45", ls=":", lw=1.2, label=f"threshold $\\tau$ = {tau:.4g}")
    ax.set_xlabel("score")
    cond = "Y < \\tau" if minimize else "Y > \\tau"
    ax.set_ylabel(f"$P(Y \\leq y \\mid {cond})$")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left" if not minimize else "lower right", fontsize="small")
    if title is None:
        label = label_of(fit)
        title = f"Tail beyond the threshold{': ' + label if label else ''}"
    if title:
        ax.set_title(title)
    return fig


def _n_grid(n_max: float, points: int = 32) -> np.ndarray:
    return np.unique(np.round(np.geomspace(1.0, n_max, points)))
