r"""Figure of the posterior tuning curve: the best score of a fresh search of ``n`` runs.

A *fit* here is anything with the attributes of :class:`bayesnq.inference.Fit` that a plot
needs: ``draws()`` (dict of flat arrays ``alpha, beta, gamma, sigma``), ``minimize``,
``threshold`` and ``scores`` (with ``values``, ``name`` and ``rule``). The function
returns the figure it drew on and takes an optional ``ax`` to draw into. The tail cdf
lives in :mod:`bayesnq.plots.tail`.
"""

from __future__ import annotations

import math

import numpy as np

from bayesnq import curves
from bayesnq.plots.common import (BAND, BEST, CI, DATA, PRED, RUN, data_bounds, direction_words,
                                  figure_and_axes, interval, is_fit, legend,
                                  metric_name, scores_of, set_title)

__all__ = ["plot_tuning_curve"]


def plot_tuning_curve(
    fit_or_curve,
    *,
    n=None,
    q: float = 0.5,
    ci: float = CI,
    kind: str = "quantile",
    empirical=None,
    k_star: float | None = None,
    ax=None,
    title: str | None = None,
    max_draws: int | None = 1000,
    seed: int = 0,
):
    r"""Posterior tuning curve of a fresh search, with its band, the best expected score
    and the best run made.

    The curve is the ``q``-quantile (or mean) of the best score of ``n`` runs,
    :math:`F_\theta^{-1}(q^{1/n})` (maximize), its posterior median and equal-tailed
    ``ci`` band. For a fit the figure also shows

    * the best expected score, :math:`\beta` (:math:`\alpha` when minimizing: noise
      excluded, so the best of many runs can pass it), as a horizontal band (its ``ci``
      interval) with its median;
    * the best run made, a marker at :math:`n = N` (the number of runs made);
    * the part beyond :math:`n = N`, an extrapolation, dashed on a shaded background;
    * the empirical curve (best of ``n`` draws with replacement, :math:`n \le N`) as steps.

    The y axis names the metric and its direction; its limits hold the regime (the curve
    from the regime start :math:`k^*` on, the bands, :math:`\beta` and the best run), so
    the part before the regime does not squash it; the bands are clipped to the metric's
    known bounds.

    Parameters
    ----------
    fit_or_curve : Fit or TuningCurve
        A fit (the curve is computed here with :func:`bayesnq.curves.tuning_curve` or
        :func:`~bayesnq.curves.average_tuning_curve`) or a finished curve.
    n : array_like, optional
        Numbers of runs for a fit; default 31 log-spaced integers from 1 to ``10 N``,
        and ``N`` itself. Ignored for a TuningCurve.
    q, ci : float
        Quantile level and band level (default 0.9), for a fit.
    kind : {"quantile", "average"}
        Which curve to compute from a fit.
    empirical : array_like or False, optional
        Scores whose empirical curve is drawn as steps (:math:`n \le` their number).
        Default: the fit's own scores; ``False`` draws none.
    k_star : float or False, optional
        Regime start :math:`k^* = \ln q/\ln(1 - p)` (:func:`bayesnq.curves.regime_start`),
        drawn as a vertical line when it lies on the axis. Default for a fit: the
        posterior median of :math:`k^*` at the fit's threshold; ``False`` draws none.
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
    fit = None
    if isinstance(fit_or_curve, curves.TuningCurve):
        curve = fit_or_curve
    elif is_fit(fit_or_curve):
        fit = fit_or_curve
        scores = scores_of(fit)
        size = len(np.asarray(scores.values)) if scores is not None else 100
        grid = np.union1d(_n_grid(10 * size, 31), [size]) if n is None else n
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
    scores = scores_of(fit) if fit is not None else None
    if empirical is None and scores is not None:
        empirical = scores.values
    if k_star is None and fit is not None and getattr(fit, "threshold", None) is not None:
        k_star = float(np.median(curves.regime_start(
            fit.draws(), float(fit.threshold), minimize=fit.minimize, q=curve.q or 0.5)))
    minimize = bool(curve.minimize)
    low, high = data_bounds(fit) if fit is not None else (-math.inf, math.inf)
    lower, upper = np.clip(curve.lower, low, high), np.clip(curve.upper, low, high)
    x = np.asarray(curve.n, dtype=np.float64)
    made = len(np.asarray(scores.values)) if scores is not None else None
    if made is None and empirical is not None and empirical is not False:
        made = np.asarray(empirical).size

    own = ax is None
    fig, ax = figure_and_axes(ax, (6.4, 5.6))
    what = "mean" if curve.kind == "average" else (
        "median" if curve.q == 0.5 else f"{curve.q:g}-quantile")
    fitted = x <= made if made else np.ones(x.size, bool)
    extra = x >= made if made else np.zeros(x.size, bool)
    band_label = f"{curve.ci:.0%} credible band"
    ax.fill_between(x[fitted], lower[fitted], upper[fitted], color=BAND, alpha=0.25, lw=0,
                    label=band_label)
    ax.plot(x[fitted], curve.median[fitted], color=BAND, lw=2,
            label=f"posterior {what} best of $n$ runs (fresh search)")
    if extra.sum() > 1:
        ax.axvspan(made, x.max(), color="0.93", lw=0, zorder=0,
                   label=f"extrapolation: $n$ > the {made} runs made")
        ax.fill_between(x[extra], lower[extra], upper[extra], color=BAND, alpha=0.12, lw=0,
                        hatch="///", edgecolor=BAND)
        ax.plot(x[extra], curve.median[extra], color=BAND, lw=2, ls="--")
    pred_label = "posterior predictive mean" if curve.kind == "average" else "posterior predictive"
    ax.plot(x, curve.predictive, color=PRED, lw=1.2, ls=":", label=pred_label)
    shown = [lower, upper]
    if empirical is not None and empirical is not False:
        values = np.asarray(empirical, dtype=np.float64)
        ne = x[x <= values.size]
        if ne.size:
            if curve.kind == "average":
                ye = curves.empirical_average_tuning_curve(values, ne, minimize=minimize)
            else:
                ye = curves.empirical_tuning_curve(values, ne, minimize=minimize, q=curve.q)
            ax.plot(ne, ye, color=DATA, lw=1.2, drawstyle="steps-post",
                    label=f"empirical (resampling the {values.size} runs)")
            shown.append(ye[ne >= _start(k_star)])
    if fit is not None:
        name = "alpha" if minimize else "beta"
        med, lo, hi = interval(fit.draws()[name], curve.ci)
        ax.axhspan(lo, hi, color=BEST, alpha=0.2, lw=0)
        ax.axhline(med, color=BEST, lw=1.2, ls="-.",
                   label=f"$\\{name}$ = {med:.4g} [{lo:.4g}, {hi:.4g}]: best expected score "
                         "(noise excluded)")
        shown.append(np.array([lo, hi]))
    if scores is not None and made and x.min() <= made <= x.max():
        best = float(np.min(scores.values) if minimize else np.max(scores.values))
        ax.plot([made], [best], marker="*", ms=12, color=RUN, ls="none",
                label=f"best of the {made} runs made: {best:.4g}")
        shown.append(np.array([best]))
    if k_star is not None and k_star is not False and math.isfinite(k_star) and k_star >= x.min():
        ax.axvline(k_star, color="0.45", ls=":", lw=1.2,
                   label=f"regime start $k^*$ = {k_star:.2g}")
    ax.set_xscale("log")
    ax.set_xlim(x.min(), x.max())
    _regime_limits(ax, x, shown, _start(k_star), low, high)
    ax.set_xlabel("number of runs $n$ (log scale)")
    metric = metric_name(scores) if scores is not None else "score"
    ax.set_ylabel(f"{metric} ({direction_words(minimize)})\n{what} best of $n$ runs",
                  fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    legend(ax, own, "upper right" if minimize else "lower right")
    set_title(ax, title, "Tuning curve of a fresh search", fit)
    return fig


def _start(k_star) -> float:
    """First number of runs inside the regime (1 when unknown or before the first run)."""
    if k_star is None or k_star is False or not math.isfinite(k_star):
        return 1.0
    return max(1.0, float(k_star))


def _regime_limits(ax, x, shown, start, low, high):
    """y limits around what is shown from the regime start on (bands, beta, best run),
    within the metric's bounds."""
    inside = x >= start
    parts = []
    for part in shown:
        part = np.asarray(part, dtype=np.float64)
        if part.shape == x.shape:
            part = part[inside]
        parts.append(part[np.isfinite(part)])
    values = np.concatenate(parts) if parts else np.array([])
    if not values.size:
        return
    top, bottom = float(values.max()), float(values.min())
    pad = 0.06 * (top - bottom) if top > bottom else max(abs(top), 1.0) * 1e-3
    ax.set_ylim(max(bottom - pad, low), min(top + pad, high))


def _n_grid(n_max: float, points: int = 32) -> np.ndarray:
    return np.unique(np.round(np.geomspace(1.0, n_max, points)))
