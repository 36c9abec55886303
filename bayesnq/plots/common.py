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
