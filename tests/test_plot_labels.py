"""Legible figures (issue 21 leftovers): the threshold-probability figure's tick labels do
not overlap at the default size, and the comparison figure names the metric.

Fast tier: no fit is run; the figures are drawn from stand-ins with the fits' interfaces
(``threshold_probabilities()``, ``scores``) and from a made-up comparison.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bayesnq import plots  # noqa: E402
from bayesnq.data import Scores  # noqa: E402
from bayesnq.datasets import load  # noqa: E402
from bayesnq.modeling import default_thresholds  # noqa: E402
from bayesnq.plots.thresholds import distinct_labels  # noqa: E402
from helpers import made_up_comparison  # noqa: E402


class Candidates:
    """A stand-in for a fit with an inferred threshold: its candidates and P(tau | y)."""

    def __init__(self, scores, thresholds, peak=6):
        self.scores = scores
        y = np.asarray(scores.values, dtype=np.float64)
        frac = np.array([np.mean(y > t) for t in thresholds])
        p = np.exp(-0.5 * ((np.arange(len(thresholds)) - peak) / 2.5) ** 2)
        self.table = pd.DataFrame({"threshold": thresholds, "tail_fraction": frac,
                                   "n_tail": np.round(frac * y.size).astype(int),
                                   "probability": p / p.sum()}).iloc[::-1].reset_index(drop=True)

    def threshold_probabilities(self):
        return self.table.copy()


def shown_labels(fig, axis):
    """The visible, non-empty tick labels of ``axis`` and their boxes on the drawn figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [lb for lb in axis.get_ticklabels() if lb.get_visible() and lb.get_text()]
    return [lb.get_text() for lb in labels], [lb.get_window_extent(renderer) for lb in labels]


def overlapping(boxes):
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
            if boxes[i].overlaps(boxes[j])]


def axes_of(fig):
    """The bar axes and its secondary (top) axis."""
    main = fig.axes[0]
    top = [a for a in main.child_axes] or fig.axes[1:]
    return main, top[0]


def test_threshold_labels_do_not_overlap_on_deberta():
    """16 candidates of DeBERTaV3 at the default size: every threshold and every tail
    fraction is labelled, and no two drawn labels overlap."""
    s = load("deberta-v3")
    t = default_thresholds(s)
    assert t.size == 16
    fit = Candidates(s, t)
    fig = plots.plot_threshold_probabilities(fit)
    main, top = axes_of(fig)
    text, boxes = shown_labels(fig, main.xaxis)
    assert len(text) == 16 and len(set(text)) == 16, text
    assert overlapping(boxes) == []
    fracs, top_boxes = shown_labels(fig, top.xaxis)
    assert len(fracs) == 16 and all(f.endswith("%") for f in fracs), fracs
    assert overlapping(top_boxes) == []
    # the labels read back the candidates (bars ordered from the deepest tail)
    np.testing.assert_allclose([float(x) for x in text],
                               fit.table["threshold"], rtol=1e-3)
    # and stay inside the figure
    fig_box = fig.bbox
    assert all(fig_box.x0 - 1 <= b.x0 and b.x1 <= fig_box.x1 + 1 for b in boxes + top_boxes)
    plt.close(fig)


def test_long_threshold_labels_are_thinned_not_overlapped():
    """Candidates of a metric in large units (many digits each) on a narrow figure: the
    labels are thinned until none overlap, the most probable candidate keeps its label."""
    rng = np.random.default_rng(0)
    values = 1.234e6 + np.sort(rng.normal(0, 50, 400))
    s = Scores(values, minimize=False, name="tokens per second")
    t = default_thresholds(s, n=16)
    fit = Candidates(s, t, peak=9)
    fig, ax = plt.subplots(figsize=(4.0, 3.0), layout="constrained")
    plots.plot_threshold_probabilities(fit, ax=ax)
    main, top = axes_of(fig)
    text, boxes = shown_labels(fig, main.xaxis)
    assert overlapping(boxes) == []
    assert 2 <= len(text) < len(t), text  # thinned, not emptied
    best = int(np.argmax(fit.table["probability"]))
    assert main.xaxis.get_ticklabels()[best].get_visible()
    _, top_boxes = shown_labels(fig, top.xaxis)
    assert overlapping(top_boxes) == []
    plt.close(fig)


def test_distinct_labels_keep_neighbours_apart():
    assert distinct_labels([0.90061131, 0.90178299]) == ["0.901", "0.902"]
    labels = distinct_labels([0.9052, 0.90545084, 0.90545999])
    assert len(set(labels)) == 3 and labels[0] == "0.9052"
    # equal values may share a label; a shorter label is never chosen over a needed digit
    assert distinct_labels([1.5, 1.5, 2.0]) == ["1.5", "1.5", "2"]
    assert distinct_labels([1234567.0, 1234568.0]) == ["1234567", "1234568"]


# --------------------------------------------------------------------------- comparison


def curve_label(result, **kw):
    fig = plots.plot_comparison(result, **kw)
    label = fig.axes[0].get_ylabel()
    plt.close(fig)
    return label


def test_comparison_axis_names_the_metric():
    acc = Scores(np.array([0.8, 0.9]), minimize=False, name="deberta",
                 rule="score = column 'val_accuracy' of runs.csv")
    label = curve_label(made_up_comparison(scores=(acc, acc)))
    assert label.startswith("val_accuracy (higher is better)") and "best of $n$" in label
    err = Scores(np.array([0.2, 0.1]), minimize=True, name="x",
                 rule="score = min of top-1 error over the learning curve")
    assert curve_label(made_up_comparison(scores=(err, None), minimize=True)).startswith(
        "top-1 error (lower is better)")
    # two different metrics: both, each with its search; none known: "score"
    both = curve_label(made_up_comparison(scores=(acc, Scores(np.array([0.5]), minimize=False,
                                                       rule="score = column 'f1' of b.csv"))))
    assert both.startswith("val_accuracy (new) / f1 (old) (higher is better)")
    assert curve_label(made_up_comparison()).startswith("score (higher is better)")
    assert curve_label(made_up_comparison(scores=(acc, acc)), metric="BLEU").startswith("BLEU (")


def test_compare_keeps_the_fits_scores(monkeypatch):
    """bayesnq.compare hands the fits' scores to its result, so the figure can name them.
    (The compiled per-draw kernels are replaced by stand-ins: only the wiring is tested
    here; tests/test_compare.py checks the numbers in the slow tier.)"""
    from bayesnq.curves import versus
    from bayesnq.curves.versus import compare

    monkeypatch.setattr(versus, "per_draw", lambda kind, d, n, q, minimize:
                        np.tile(d["beta"][:, None], (1, len(n))))
    monkeypatch.setattr(versus, "_p_first_beats", lambda a, b, n, v, nodes:
                        np.full((v.size, len(n)), 0.5))

    rng = np.random.default_rng(1)

    class Fit:
        minimize = False
        scores = Scores(np.array([0.8, 0.9]), minimize=False,
                        rule="score = column 'accuracy' of runs.csv")

        def draws(self):
            b = 0.9 + 0.001 * rng.standard_normal(8)
            return {"alpha": b - 0.5, "beta": b, "gamma": np.full(8, 2.0),
                    "sigma": np.full(8, 0.01)}

    r = compare(Fit(), Fit(), ns=[1, 2], max_draws=8, nodes=2)
    assert r.scores[0] is Fit.scores and r.scores[1] is Fit.scores
    assert curve_label(r).startswith("accuracy (higher is better)")
