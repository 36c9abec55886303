r"""The figure of a comparison of two searches (:func:`bayesnq.compare`).

Left: both posterior median tuning curves :math:`\tau_{1/2}(n)` with their credible bands.
Right: :math:`P(\text{A's best of } n \text{ beats B's})` against :math:`n`, with the
``ci`` band of the per-pair probability, the settle levels and the budget at which the
ranking settles.
"""

from __future__ import annotations

from bayesnq.plots.common import BAND, PRED

__all__ = ["plot_comparison"]


def plot_comparison(result, *, axes=None, title: str | None = None):
    """Draw a :class:`~bayesnq.curves.versus.Comparison`: tuning curves and P(A beats B).

    Parameters
    ----------
    result : Comparison
        The result of :func:`bayesnq.compare`.
    axes : (Axes, Axes), optional
        Two matplotlib axes to draw into; default a new figure with two panels.
    title : str, optional
        Figure title (default: "A vs B").

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
    left.set_ylabel("median of the best of n")
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
