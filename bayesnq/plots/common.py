"""What the plot modules share: colours, the figure-or-axes convention, fit duck-typing."""

from __future__ import annotations

BAND = "C0"  # posterior median and credible band
PRED = "C1"  # posterior predictive, chosen threshold
DATA = "0.15"  # observed data


def figure_and_axes(ax, figsize):
    """A new figure and axes of ``figsize``, or the given ``ax`` and its figure."""
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise ValueError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax.figure, ax


def is_fit(obj) -> bool:
    """Whether ``obj`` looks like a :class:`bayesnq.inference.Fit` (``draws()``, ``minimize``)."""
    return callable(getattr(obj, "draws", None)) and hasattr(obj, "minimize")


def label_of(fit) -> str:
    """The name of the fit's scores, or ``""``."""
    scores = getattr(fit, "scores", None)
    return str(getattr(scores, "name", "") or "")


def set_title(ax, title, default, fit=None) -> None:
    """``title`` as given (``""``: none); ``None``: ``default``, followed by the name of the
    fit's scores when it has one."""
    if title is None:
        label = label_of(fit)
        title = f"{default}{': ' + label if label else ''}"
    if title:
        ax.set_title(title)


BEST = "C2"  # the best expected score (beta, or alpha when minimizing) and its band
RUN = "C3"  # the best run made
CI = 0.9  # default band level: the package's one default (bayesnq.curves' DEFAULT_CI)


def scores_of(fit):
    """The fit's :class:`~bayesnq.data.Scores`, or None."""
    return getattr(fit, "scores", None)


def metric_name(scores) -> str:
    """What the scores measure, in words, from the Scores' ``metric`` or its ``rule``.

    ``"score = max of ImageNet validation top_1 over the learning curve ..."`` gives
    ``"ImageNet validation top_1"``; ``"score = column 'acc' of runs.csv"`` gives ``"acc"``;
    anything else ``"score"``.
    """
    import re

    named = getattr(scores, "metric", None)
    if isinstance(named, str) and named.strip():
        return named.strip()
    rule = str(getattr(scores, "rule", "") or "")
    found = (re.match(r"score = (?:max|min|last finite value) of (.+?) over ", rule)
             or re.match(r"score = column '(.+?)'", rule))
    return found.group(1) if found else "score"


def direction_words(minimize: bool) -> str:
    """``"higher is better"`` or ``"lower is better"``."""
    return "lower is better" if minimize else "higher is better"


def metric_label(fit, minimize: bool) -> str:
    """``"<metric> (higher is better)"``: what a y or x axis of scores shows."""
    return f"{metric_name(scores_of(fit))} ({direction_words(minimize)})"


def data_bounds(fit) -> tuple[float, float]:
    """Known range of the metric (the fit's ``bounds``, else the scores'); infinite ends
    where unknown."""
    for bounds in (getattr(fit, "bounds", None), getattr(scores_of(fit), "bounds", None)):
        if bounds is not None and len(bounds) == 2:
            low = -float("inf") if bounds[0] is None else float(bounds[0])
            high = float("inf") if bounds[1] is None else float(bounds[1])
            return low, high
    return -float("inf"), float("inf")


def interval(x, ci: float) -> tuple[float, float, float]:
    """Median and equal-tailed ``ci`` interval of the draws ``x``: (median, lower, upper)."""
    import numpy as np

    lo, med, hi = np.quantile(np.asarray(x, dtype=np.float64), [(1 - ci) / 2, 0.5, (1 + ci) / 2])
    return float(med), float(lo), float(hi)


def legend(ax, own_figure: bool, loc: str, ncols: int = 2):
    """The legend: below the axes (outside the data) on a figure of the plot's own, else
    inside ``ax`` at ``loc``."""
    if own_figure:
        return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=ncols,
                         fontsize="x-small", frameon=False)
    return ax.legend(loc=loc, fontsize="x-small", framealpha=0.9)
