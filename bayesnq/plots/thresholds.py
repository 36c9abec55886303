r"""Figures of the threshold choice: parameter stability and the threshold posterior."""

from __future__ import annotations

import numpy as np

from bayesnq.plots.common import BAND, PRED, figure_and_axes, is_fit, set_title
from bayesnq.validation import check_level

__all__ = ["plot_parameter_stability", "plot_threshold_probabilities"]


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

    Bars over the candidates of a fit with ``threshold="auto"`` (or a list), labelled by
    the share of runs beyond each candidate.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not callable(getattr(fit, "threshold_probabilities", None)):
        raise ValueError(f"fit must be a Fit with an inferred threshold, got {type(fit).__name__}")
    probs = fit.threshold_probabilities()
    fig, ax = figure_and_axes(ax, (6.4, 3.6))
    x = np.arange(len(probs))
    ax.bar(x, probs["probability"], color=BAND)
    ax.set_xticks(x, [f"{t:.4g}\n{f:.0%}" for t, f in zip(probs["threshold"],
                                                          probs["tail_fraction"])],
                  fontsize="x-small")
    ax.set_xlabel("threshold $\\tau$ / share of runs beyond it")
    ax.set_ylabel("$P(\\tau \\mid y)$")
    ax.grid(True, axis="y", alpha=0.3)
    set_title(ax, title, "Where the asymptotic regime begins", fit)
    return fig
