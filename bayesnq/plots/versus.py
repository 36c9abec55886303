r"""The figure of a comparison of two searches (:func:`bayesnq.compare`).

Left: both posterior median tuning curves :math:`\tau_{1/2}(n)` with their credible bands.
Right: :math:`P(\text{A's best of } n \text{ beats B's})` against :math:`n`, with the
``ci`` band of the per-pair probability, the settle levels and the budget at which the
ranking settles. The y axis of the curves names the metric (the fits' scores, as on the
tuning curve's axis: :func:`bayesnq.plots.common.metric_name`) and its direction.
"""

from __future__ import annotations

from bayesnq.plots.common import BAND, PRED, direction_words, metric_name

__all__ = ["plot_comparison"]


def plot_comparison(result, *, axes=None, title: str | None = None, metric: str | None = None):
    """Draw a :class:`~bayesnq.curves.versus.Comparison`: tuning curves and P(A beats B).

    Parameters
    ----------
    result : Comparison
        The result of :func:`bayesnq.compare`.
    axes : (Axes, Axes), optional
        Two matplotlib axes to draw into; default a new figure with two panels.
    title : str, optional
        Figure title (default: "A vs B").
    metric : str, optional
        What the scores measure, for the y axis of the curves; default the name of the
        fits' metric (both names, each with its search, when they differ), else "score".

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not callable(getattr(result, "to_frame", None)) or not hasattr(result, "p_beats"):
        raise ValueError(f"result must be a Comparison (bayesnq.compare's result), got "
                         f"result={type(result).__name__}")
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    else:
        if len(axes) != 2 or not all(hasattr(a, "plot") for a in axes):
            raise ValueError(f"axes must be two matplotlib Axes, got axes={axes!r}")
        fig = axes[0].figure
    df = result.to_frame()
    n = df.index.to_numpy(dtype=float)
    a, b = result.names
    left, right = axes
    for key, name, colour in (("a", a, BAND), ("b", b, PRED)):
        left.fill_between(n, df[f"lower_{key}"], df[f"upper_{key}"], color=colour, alpha=0.25,
                          lw=0)
        left.plot(n, df[f"median_{key}"], color=colour, label=f"{name} (median curve)")
    left.set_xscale("log")
    left.set_xlabel("n (runs)")
    left.set_ylabel(f"{metric or _metric_of(result)} ({direction_words(result.minimize)})\n"
                    "median best of $n$ runs", fontsize="small")
    left.legend(loc="lower right" if not result.minimize else "upper right")
    left.set_title(f"tuning curves, {result.ci:.0%} bands")

    right.fill_between(n, df["p_lower"], df["p_upper"], color=BAND, alpha=0.2, lw=0,
                       label=f"{result.ci:.0%} band of P given the parameters")
    right.plot(n, df["p_a_beats_b"], color=BAND, marker="o", ms=3,
               label=f"P({a}'s best of n beats {b}'s)")
    for level in (result.settle, 1 - result.settle):
        right.axhline(level, color="0.5", ls=":", lw=1)
    right.axhline(0.5, color="0.7", lw=0.8)
    if result.settled_at is not None:
        right.axvline(result.settled_at, color=PRED, ls="--", lw=1,
                      label=f"settled: {result.leader} from n = {result.settled_at:g}")
    right.set_xscale("log")
    right.set_ylim(-0.02, 1.02)
    right.set_xlabel("n (runs)")
    right.set_ylabel("probability")
    right.set_title(f"P({result.best_name} of {a} better) = {result.p_better:.3f}")
    right.legend(loc="best", fontsize="small")
    fig.suptitle(title if title is not None else f"{a} vs {b}")
    return fig


def _metric_of(result) -> str:
    """The metric of the compared searches, from their scores: one name when they agree
    (or one side has none), ``"x (A) / y (B)"`` when they differ, else ``"score"``."""
    scores = tuple(getattr(result, "scores", None) or (None, None))
    named = [metric_name(s) if s is not None else "score" for s in scores]
    known = [(m, who) for m, who in zip(named, result.names) if m != "score"]
    if not known:
        return "score"
    if len({m for m, _ in known}) == 1:
        return known[0][0]
    return " / ".join(f"{m} ({who})" for m, who in known)
