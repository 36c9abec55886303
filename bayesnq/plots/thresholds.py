r"""Figures of the threshold choice: parameter stability and the threshold posterior."""

from __future__ import annotations

import numpy as np

from bayesnq.plots.common import BAND, PRED, figure_and_axes, is_fit, set_title
from bayesnq.validation import check_level

__all__ = ["plot_parameter_stability", "plot_threshold_probabilities", "distinct_labels",
           "thin_tick_labels"]


def plot_parameter_stability(
    fits,
    *,
    params=("beta", "gamma", "sigma"),
    ci: float = 0.9,
    chosen: float | None = None,
    axes=None,
    title: str | None = None,
):
    r"""Posterior intervals of the parameters against the threshold (parameter stability).

    The analogue of the threshold-stability plots of extreme-value practice: above the
    threshold where the asymptotic regime begins, the fitted :math:`\beta, \gamma, \sigma`
    should stay put (up to the widening of the intervals as the tail shrinks).

    Parameters
    ----------
    fits : ThresholdComparison or mapping of float to Fit
        A :func:`bayesnq.compare_thresholds` result, or fits keyed by their threshold.
    params : sequence of str, default ("beta", "gamma", "sigma")
        Posterior variables, one panel each.
    ci : float, default 0.9
        Level of the equal-tailed interval drawn around the posterior median.
    chosen : float, optional
        Threshold to mark (a dashed line); default the comparison's top-ranked candidate.
    axes : sequence of matplotlib Axes, optional
        One per parameter.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = getattr(fits, "fits", None)
    if table is not None and chosen is None:
        chosen = fits.best
    fits = table if table is not None else fits
    if not isinstance(fits, dict) or not fits or not all(is_fit(f) for f in fits.values()):
        raise ValueError(
            "fits must be a ThresholdComparison or a non-empty dict of threshold to Fit, "
            f"got {type(fits).__name__}"
        )
    ci = check_level("ci", ci)
    params = tuple(params)
    if not params:
        raise ValueError(f"params must name at least one parameter, got params={params!r}")
    taus = np.array(sorted(float(t) for t in fits))
    stats = {}
    for p in params:
        rows = []
        for t in taus:
            d = fits[t].draws()
            if p not in d:
                raise ValueError(f"params: unknown parameter {p!r}; choose from {sorted(d)}")
            rows.append(np.quantile(d[p], [(1 - ci) / 2, 0.5, (1 + ci) / 2]))
        stats[p] = np.array(rows)
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(len(params), 1, figsize=(6.4, 2.2 * len(params) + 0.6),
                                 sharex=True, layout="constrained", squeeze=False)
        axes = axes[:, 0]
    else:
        axes = list(np.ravel(axes))
        if len(axes) != len(params):
            raise ValueError(f"axes: need {len(params)} Axes, got {len(axes)}")
        fig = axes[0].figure
    for ax, p in zip(axes, params):
        lo, med, hi = stats[p].T
        ax.errorbar(taus, med, yerr=[med - lo, hi - med], fmt="o", color=BAND, ms=4,
                    capsize=3, label=f"median, {ci:.0%} interval")
        ax.set_ylabel(p)
        ax.grid(True, alpha=0.3)
        if chosen is not None:
            ax.axvline(float(chosen), color=PRED, ls="--", lw=1.2,
                       label=f"chosen $\\tau$ = {float(chosen):.4g}")
    axes[0].legend(fontsize="small", loc="best")
    axes[-1].set_xlabel("threshold $\\tau$")
    if title is None:
        title = "Parameter stability across thresholds"
    if title:
        axes[0].set_title(title)
    return fig


def plot_threshold_probabilities(fit, *, ax=None, title: str | None = None):
    r"""Posterior probability of each candidate threshold, :math:`P(\tau_j \mid y)`.

    Bars over the candidates of a fit with ``threshold="auto"`` (or a list); where the
    fit was hedged toward fewer runs (:mod:`bayesnq.inference.hedge`), outlined bars show
    the probabilities before the hedge (under the base prior over the candidates). The
    bottom
    axis gives each candidate :math:`\tau_j` with the fewest significant digits that keep
    neighbours apart, the top axis the share of runs beyond it,
    :math:`\#\{i : y_i \succ \tau_j\}/N`. Labels are rotated, and thinned (every second,
    third, ... candidate, always keeping the most probable) when they would still overlap
    at the figure's size.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not callable(getattr(fit, "threshold_probabilities", None)):
        raise ValueError(f"fit must be a Fit with an inferred threshold, got {type(fit).__name__}")
    probs = fit.threshold_probabilities()
    fig, ax = figure_and_axes(ax, (6.4, 3.8))
    x = np.arange(len(probs))
    p = np.asarray(probs["probability"], dtype=np.float64)
    ax.bar(x, p, color=BAND, label="the draws'")
    unhedged = np.asarray(probs.get("probability_unhedged", probs["probability"]),
                          dtype=np.float64)
    if not np.array_equal(unhedged, p):  # hedged toward fewer runs: show what the data said
        ax.bar(x, unhedged, fill=False, edgecolor="0.2", linewidth=0.8,
               label="before the hedge")
        ax.legend(fontsize="x-small", loc="upper left")
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_xticks(x, distinct_labels(np.asarray(probs["threshold"], dtype=np.float64)),
                  fontsize="x-small", rotation=45, ha="right", rotation_mode="anchor")
    top = ax.secondary_xaxis("top")
    top.set_xticks(x, [f"{f:.0%}" for f in probs["tail_fraction"]], fontsize="x-small")
    top.set_xlabel("share of runs beyond $\\tau$", fontsize="small")
    ax.set_xlabel("threshold $\\tau$")
    ax.set_ylabel("$P(\\tau \\mid y)$")
    ax.grid(True, axis="y", alpha=0.3)
    set_title(ax, title, "Where the asymptotic regime begins", fit)
    keep = int(np.argmax(p)) if p.size else 0
    for axis in (ax.xaxis, top.xaxis):
        thin_tick_labels(fig, axis, keep)
    return fig


def distinct_labels(values, least: int = 3, most: int = 10) -> list[str]:
    """``values`` in ``%g`` form with the fewest significant digits (at least ``least``)
    that give neighbouring distinct values distinct labels."""
    values = np.asarray(values, dtype=np.float64)
    for digits in range(least, most + 1):
        labels = [f"{v:.{digits}g}" for v in values]
        if all(a != b or u == v for a, b, u, v in
               zip(labels, labels[1:], values, values[1:])):
            return labels
    return [f"{v:.{most}g}" for v in values]


def thin_tick_labels(fig, axis, keep: int = 0) -> int:
    """Hide tick labels of ``axis`` until the drawn ones do not overlap: every ``k``-th
    label is shown, counted from the label ``keep``, for the smallest such ``k``. Returns
    ``k`` (1: all shown)."""
    fig.draw_without_rendering()  # the layout (constrained) places the axes first
    renderer = fig.canvas.get_renderer()
    labels = axis.get_ticklabels()
    for k in range(1, max(len(labels), 1) + 1):
        for i, label in enumerate(labels):
            label.set_visible((i - keep) % k == 0)
        shown = [lb.get_window_extent(renderer) for lb in labels if lb.get_visible()]
        if not any(a.overlaps(b) for a, b in zip(shown, shown[1:])):
            return k
    return len(labels)
