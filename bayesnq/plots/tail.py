r"""Figure of the tail beyond the threshold: fitted cdf, parameter and predictive bands, data.

The numbers come from :func:`bayesnq.curves.tail_cdf_bands`; this module only draws them.
"""

from __future__ import annotations

import numpy as np

from bayesnq.curves import thin
from bayesnq.curves.tail import tail_cdf_bands
from bayesnq.plots.common import (BAND, CI, DATA, PRED, figure_and_axes, is_fit,
                                  legend, metric_label, set_title)
from bayesnq.validation import check_int, check_level

__all__ = ["plot_tail_cdf"]


def plot_tail_cdf(
    fit,
    *,
    ci: float = CI,
    points: int = 400,
    max_draws: int | None = 500,
    seed: int = 0,
    ax=None,
    title: str | None = None,
):
    r"""Fitted cdf of the tail beyond the threshold, with parameter and predictive bands.

    Per posterior draw, the truncated cdf of the tail (the part the fit models),
    :math:`G_\theta(y) = 1 - S_\theta(y)/S_\theta(\tau)` for :math:`y > \tau` (maximize;
    :math:`F_\theta(y)/F_\theta(\tau)` for :math:`y < \tau` when minimizing). Drawn:

    * its posterior median and equal-tailed ``ci`` band: **parameter** uncertainty;
    * the ``ci`` band of the empirical cdf of a replicated tail of the observed size
      :math:`k` per draw: **posterior-predictive** (parameter and sampling) uncertainty,
      the band inside which the data's empirical cdf should lie if the model fits;
    * the empirical cdf of the observed tail as steps (tied scores make taller steps;
      with a resolution, the replicates are rounded to the same lattice and their band is
      drawn as steps too).

    See :mod:`bayesnq.curves.tail` for the computation.

    Parameters
    ----------
    fit : Fit
        Needs ``draws()``, ``minimize``, ``threshold`` and ``scores``.
    ci : float, default 0.9
    points : int, default 400
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
    d = thin(fit.draws(), max_draws, seed)
    best_fit = float(np.median(d["alpha"] if minimize else d["beta"]))
    noise = float(np.median(d["sigma"]))
    if minimize:
        far = min(tail.min() if tail.size else best_fit, best_fit - 2 * noise)
        y = np.linspace(far - 0.05 * (tau - far), tau, points)
    else:
        far = max(tail.max() if tail.size else best_fit, best_fit + 2 * noise)
        y = np.linspace(tau, far + 0.05 * (far - tau), points)
    resolution = getattr(fit, "resolution", None)
    lattice = resolution is not None and tail.size > 0
    if lattice:  # the grid holds each lattice point and its left neighbourhood: true steps
        y = np.union1d(y, tail)
    bands = tail_cdf_bands(
        d, y, tau, max(tail.size, 1), minimize=minimize, ci=ci, max_draws=None, seed=seed,
        resolution=resolution if lattice else None,
        origin=float(tail[0]) if lattice else 0.0)

    own = ax is None
    fig, ax = figure_and_axes(ax, (6.4, 5.4))
    step = {"step": "post"} if lattice else {}
    draw = {"drawstyle": "steps-post"} if lattice else {}
    ax.fill_between(y, bands.pred_lower, bands.pred_upper, color=PRED, alpha=0.12, lw=0, **step)
    ax.plot(y, bands.pred_lower, color=PRED, lw=0.9, ls="--", **draw,
            label=f"{ci:.0%} posterior-predictive band (replicated tails of {bands.size} runs)")
    ax.plot(y, bands.pred_upper, color=PRED, lw=0.9, ls="--", **draw)
    ax.fill_between(y, bands.lower, bands.upper, color=BAND, alpha=0.3, lw=0,
                    label=f"{ci:.0%} credible band of the cdf (parameters only)")
    ax.plot(y, bands.median, color=BAND, lw=1.8, label="fitted tail cdf (posterior median)")
    if tail.size:
        u, counts = np.unique(tail, return_counts=True)
        ecdf = np.cumsum(counts) / tail.size
        xs = np.concatenate([[y[0]], u, [y[-1]]])
        ys = np.concatenate([[0.0], ecdf, [1.0]])
        side = "below" if minimize else "above"
        tied = f"; {u.size} distinct" if u.size < tail.size else ""
        ax.plot(xs, ys, color=DATA, lw=1.2, drawstyle="steps-post",
                label=f"empirical cdf ({tail.size} runs {side} $\\tau${tied})")
    ax.axvline(tau, color="0.45", ls=":", lw=1.2, label=f"threshold $\\tau$ = {tau:.4g}")
    ax.set_xlim(y[0], y[-1])
    ax.set_xlabel(metric_label(fit, minimize))
    cond = "Y < \\tau" if minimize else "Y > \\tau"
    ax.set_ylabel(f"$P(Y \\leq y \\mid {cond})$")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    legend(ax, own, "upper left" if not minimize else "lower right")
    set_title(ax, title, "Tail beyond the threshold", fit)
    return fig
