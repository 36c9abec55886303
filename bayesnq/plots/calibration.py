r"""Figures of calibration studies: SBC rank ECDFs and coverage against nominal."""

from __future__ import annotations

import warnings

import numpy as np

from bayesnq import arviz_compat
from bayesnq.plots.common import figure_and_axes

__all__ = ["plot_sbc", "plot_coverage"]


def plot_sbc(result, *, ci_prob=0.95, axes=None, figsize=None):
    r"""SBC rank ECDF-difference plots with simultaneous bands, one panel per parameter.

    Each panel shows :math:`\hat F(u) - u` for the scaled ranks :math:`u = r / L` of
    :class:`bayesnq.studies.SBCResult`, with arviz's simultaneous ``ci_prob`` band for
    uniform ranks (``plot_ecdf(difference=True, confidence_bands=True)``). A curve leaving
    the band rejects calibration of that parameter.
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    names = list(result.ranks)
    if axes is None:
        fig, axes = plt.subplots(1, len(names), figsize=figsize or (3.2 * len(names), 3.0),
                                 squeeze=False, constrained_layout=True)
        axes = axes[0]
    else:
        axes = np.atleast_1d(axes)
        fig = axes[0].figure
    scale = max(result.num_ranks - 1, 1)
    for ax, name in zip(axes, names):
        u = np.asarray(result.ranks[name], dtype=float) / scale
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arviz_compat.plot_ecdf(u, cdf=stats.uniform(0, 1).cdf, difference=True,
                             confidence_bands=True, ci_prob=ci_prob, ax=ax,
                             rvs=stats.uniform(0, 1).rvs, random_state=0)
        ax.set_title(f"{name} (R={u.size})")
        ax.set_xlabel("scaled rank")
    axes[0].set_ylabel("ECDF - uniform")
    return fig


def plot_coverage(result, *, ax=None, figsize=None):
    r"""Failure rate against nominal for each check of a coverage study, with intervals.

    One point per (check, size, level) of :meth:`CoverageResult.table`, at x = the
    nominal failure rate :math:`1 - \ell`, with its Clopper-Pearson interval; the diagonal
    is perfect calibration.
    """
    fig, ax = figure_and_axes(ax, figsize or (5.5, 4.5))
    table = result.table()
    checks = list(dict.fromkeys(table["check"]))
    sizes = list(dict.fromkeys(table["size"]))
    offsets = np.linspace(-0.012, 0.012, max(len(checks) * len(sizes), 1))
    i = 0
    for ci_, check in enumerate(checks):
        for size in sizes:
            rows = table[(table["check"] == check) & (table["size"] == size)]
            x = rows["nominal"].to_numpy() + offsets[i]
            y = rows["failure_rate"].to_numpy()
            err = np.vstack([y - rows["low"].to_numpy(), rows["high"].to_numpy() - y])
            ax.errorbar(x, y, yerr=err, fmt="o" if "opda" not in check else "s", ms=4,
                        color=f"C{ci_}", alpha=0.6 + 0.4 * (size == sizes[-1]),
                        label=f"{check}, n={size}", capsize=2)
            i += 1
    lim = max(0.6, float(np.nanmax(table["high"])) if len(table) else 0.6)
    ax.plot([0, lim], [0, lim], color="0.5", lw=1, ls="--")
    ax.set_xlabel("nominal failure rate (1 - level)")
    ax.set_ylabel("observed failure rate")
    ax.set_title(f"coverage: {result.settings.get('dataset', '')}")
    ax.legend(fontsize=6, ncol=1, loc="upper left")
    return fig
