r"""Figure of the landscape-bank study: actual failure rates against nominal."""

from __future__ import annotations

import numpy as np

from bayesnq.plots.common import figure_and_axes

__all__ = ["plot_bank_coverage"]

_STYLE = {"curve, pointwise": ("C0", "o"), "curve, simultaneous": ("C1", "s"),
          "best score": ("C2", "D"), "opda, pointwise": ("C7", "v"),
          "opda, simultaneous": ("C3", "^")}


def plot_bank_coverage(result, *, size=None, ax=None, figsize=None):
    r"""Failure rate of each check against its nominal rate :math:`1 - \ell`.

    Large markers with Clopper–Pearson 95% bars: all landscapes pooled; small faint
    markers: each landscape. A calibrated band lies on the diagonal. ``size`` picks one
    search size (default the first of the study).
    """
    fig, ax = figure_and_axes(ax, figsize or (5.2, 4.6))
    size = result.settings["sizes"][0] if size is None else size
    pooled = result.table(by_landscape=False)
    pooled = pooled[pooled["size"] == size]
    per = result.table(by_landscape=True)
    per = per[per["size"] == size]
    jitter = {c: 0.006 * (i - 2) for i, c in enumerate(_STYLE)}
    for check, (color, marker) in _STYLE.items():
        rows = pooled[pooled["check"] == check]
        if rows.empty:
            continue
        x = rows["nominal"].to_numpy() + jitter[check]
        y = rows["failure_rate"].to_numpy()
        err = np.vstack([y - rows["low"].to_numpy(), rows["high"].to_numpy() - y])
        ax.errorbar(x, y, yerr=err, color=color, marker=marker, ls="none", capsize=3,
                    label=check)
        sub = per[per["check"] == check]
        ax.scatter(sub["nominal"].to_numpy() + jitter[check], sub["failure_rate"].to_numpy(),
                   color=color, marker=marker, s=10, alpha=0.3)
    ax.plot([0, 1], [0, 1], color="0.5", lw=1, ls="--")
    ax.set_xlim(0, 0.6)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("nominal failure rate (1 - level)")
    ax.set_ylabel("actual failure rate")
    ax.set_title(f"landscape bank: searches of {size} runs")
    ax.legend(fontsize=7, loc="upper left")
    return fig
