"""The standard figures of a fit, written as PNG files."""

from __future__ import annotations

import os

from bayesnq.plots.curves import plot_tuning_curve
from bayesnq.plots.diagnostics import plot_posterior_pairs, plot_rank, plot_trace
from bayesnq.plots.tail import plot_tail_cdf
from bayesnq.validation import check_int

__all__ = ["save_all"]


def save_all(fit, out_dir, *, dpi: int = 120) -> dict[str, str]:
    """Write tuning_curve.png, tail_cdf.png, pairs.png, trace.png and rank.png.

    Parameters
    ----------
    fit : Fit
    out_dir : str or os.PathLike
        Created when missing.
    dpi : int, default 120

    Returns
    -------
    dict of str to str
        Plot name to the path written. Figures are closed after saving.
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise ValueError(f"out_dir must be a path, got out_dir={out_dir!r}")
    dpi = check_int("dpi", dpi, minimum=1)
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    makers = {
        "tuning_curve": plot_tuning_curve,
        "tail_cdf": plot_tail_cdf,
        "pairs": plot_posterior_pairs,
        "trace": plot_trace,
        "rank": plot_rank,
    }
    written = {}
    for name, make in makers.items():
        fig = make(fit)
        path = os.path.join(os.fspath(out_dir), f"{name}.png")
        try:
            fig.savefig(path, dpi=dpi)
        finally:
            plt.close(fig)
        written[name] = path
    return written
