"""Tests for bayesnq.plots on stand-in posterior draws (no MCMC)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from bayesnq import arviz_compat, curves, plots  # noqa: E402
from bayesnq.data import Scores  # noqa: E402

N_SMALL = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]


class StandInFit:
    """The parts of a Fit the plots use, with draws scattered around the DeBERTaV3 fit."""

    def __init__(self, minimize=False, chains=2, draws=32, seed=0):
        rng = np.random.default_rng(seed)
        shape = (chains, draws)
        if minimize:
            alpha = 0.0947 + 0.0004 * rng.standard_normal(shape)
            beta = 0.141 + 0.004 * rng.standard_normal(shape)
            values = 1.0 - np.linspace(0.80, 0.907, 200) ** 0.5 * 0.95
            self.threshold = 0.11
        else:
            alpha = 0.859 + 0.003 * rng.standard_normal(shape)
            beta = 0.9052 + 0.0004 * rng.standard_normal(shape)
            values = 0.95 * np.linspace(0.80, 0.907, 200) ** 0.5
            self.threshold = 0.86
        self.minimize = minimize
        self.scores = Scores(values, minimize=minimize, name="stand-in")
        posterior = {
            "alpha": alpha,
            "beta": beta,
            "gamma": 1.0 + 0.4 * rng.random(shape),
            "sigma": 0.0011 * np.exp(0.2 * rng.standard_normal(shape)),
            "tail_mass": 0.57 + 0.01 * rng.standard_normal(shape),
        }
        self.idata = arviz_compat.from_dict(posterior=posterior)
        self._draws = {k: v.reshape(-1) for k, v in posterior.items()}

    def draws(self):
        return dict(self._draws)


@pytest.fixture(scope="module")
def fit():
    return StandInFit()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_plot_tuning_curve_from_fit(fit):
    fig = plots.plot_tuning_curve(fit, n=N_SMALL)
    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    names = labels(ax)
    assert any(n.startswith("posterior median") for n in names)
    assert "posterior predictive" in names
    assert any(n.startswith("empirical") for n in names)
    assert any(n.startswith("$\\beta$ = ") and "best expected score" in n for n in names)
    # every legend entry stands for something drawn (k* < 1 here: no line, no entry)
    assert not any("k^*" in n for n in names)
    assert all(len(line.get_xdata()) for line in ax.get_lines())
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1  # the band
    median = next(line for line in ax.get_lines() if line.get_label().startswith("posterior median"))
    np.testing.assert_array_equal(median.get_xdata(), N_SMALL)
    assert "stand-in" in ax.get_title()
    assert ax.get_legend() is not None


def test_plot_tuning_curve_from_curve_into_given_axes(fit):
    curve = curves.tuning_curve(fit.draws(), N_SMALL, minimize=False, q=0.2)
    fig0, ax = plt.subplots()
    fig = plots.plot_tuning_curve(curve, empirical=fit.scores.values, k_star=3.0, ax=ax,
                                  title="given")
    assert fig is fig0 and ax.get_title() == "given"
    names = labels(ax)
    assert "regime start $k^*$ = 3" in names
    assert any(n.startswith("empirical") for n in names)
    assert any("0.2-quantile" in n for n in names)
    # no data, no k*: just band, median and predictive
    fig = plots.plot_tuning_curve(curve)
    assert len(fig.axes[0].get_lines()) == 2


@pytest.mark.slow  # the fast tier keeps test_plot_tuning_curve_from_fit
def test_plot_tuning_curve_default_grid_minimize():
    fig = plots.plot_tuning_curve(StandInFit(minimize=True), empirical=False, k_star=False)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    x = line.get_xdata()
    assert x[0] == 1 and x[-1] == 200 and 200 in x  # the fitted part: 1 .. N, N = 200
    assert np.all(np.diff(line.get_ydata()) < 0)  # minimizing: the best score falls
    full = next(li for li in ax.get_lines() if li.get_label() == "posterior predictive")
    assert full.get_xdata()[-1] == 2000 and len(full.get_xdata()) <= 33  # 1 .. 10 N, and N
    assert "lower is better" in ax.get_ylabel()


@pytest.mark.slow  # the fast tier keeps test_tail_cdf_of_tied_scores_is_drawn_as_steps
@pytest.mark.parametrize("minimize", [False, True])
def test_plot_tail_cdf(minimize):
    fit = StandInFit(minimize=minimize)
    fig = plots.plot_tail_cdf(fit)
    (ax,) = fig.axes
    names = labels(ax)
    median = next(line for line in ax.get_lines() if line.get_label().startswith("fitted"))
    y = median.get_ydata()
    assert y.size == 400 and np.all(np.diff(y) >= -1e-12) and np.all((y >= 0) & (y <= 1))
    # the truncated cdf is 0 at the threshold's side of the tail and rises to ~1 at the far end
    if minimize:
        assert y[-1] == pytest.approx(1.0)
    else:
        assert y[0] == pytest.approx(0.0, abs=1e-12) and y[-1] > 0.99
    empirical = next(n for n in names if n.startswith("empirical"))
    tail = (fit.scores.values < fit.threshold) if minimize else (fit.scores.values > fit.threshold)
    assert f"({tail.sum()} runs" in empirical
    assert any(n.startswith("threshold") for n in names)
    assert any("posterior-predictive band" in n for n in names)
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2  # both bands


def test_diagnostic_plots(fit):
    fig = plots.plot_posterior_pairs(fit)
    assert len([a for a in fig.axes if a.get_visible()]) >= 4 * 5 // 2  # lower triangle + diagonal
    fig = plots.plot_trace(fit)
    assert len(fig.axes) == 2 * 5  # alpha, beta, gamma, sigma, tail_mass x (density, trace)
    fig = plots.plot_rank(fit.idata, var_names=["alpha", "beta"])
    assert len([a for a in fig.axes if a.get_visible()]) == 2


def test_save_all(tmp_path):
    before = set(plt.get_fignums())
    # the maximize stand-in: its tuning curve and tail cdf reuse the programs compiled by
    # the fast tests above (the minimize figures compile their own: 90 s of this test on a
    # loaded machine; they are drawn by the slow tests test_plot_tuning_curve_default_grid_
    # minimize and test_plot_tail_cdf[True])
    written = plots.save_all(StandInFit(), tmp_path / "out", dpi=40)
    assert set(written) == {"tuning_curve", "tail_cdf", "pairs", "trace", "rank"}
    for name, path in written.items():
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n", name
        assert path.endswith(f"{name}.png")
    assert set(plt.get_fignums()) == before  # every figure closed


def test_errors(fit):
    with pytest.raises(ValueError, match=r"fit_or_curve must be a Fit .* got str"):
        plots.plot_tuning_curve("fit")
    with pytest.raises(ValueError, match=r"kind must be 'quantile' or 'average'"):
        plots.plot_tuning_curve(fit, kind="mean")
    with pytest.raises(ValueError, match=r"expected a Fit \(with idata\)"):
        plots.plot_trace(object())
    with pytest.raises(ValueError, match=r"var_names: \['delta'\] not in the posterior"):
        plots.plot_rank(fit, var_names=["delta"])
    with pytest.raises(ValueError, match=r"fit must have draws\(\), minimize, threshold and scores"):
        plots.plot_tail_cdf(curves.tuning_curve(fit.draws(), N_SMALL, minimize=False))
    with pytest.raises(ValueError, match=r"points must be an integer >= 2, got points=1"):
        plots.plot_tail_cdf(fit, points=1)
    with pytest.raises(ValueError, match=r"ax must be a matplotlib Axes"):
        plots.plot_tuning_curve(fit, n=N_SMALL, ax="left")
    with pytest.raises(ValueError, match=r"out_dir must be a path"):
        plots.save_all(fit, 3)


# ----------------------------------------------------------------------------- issue 21


def _band_vertices(ax):
    return np.concatenate([p.vertices for c in ax.collections if isinstance(c, PolyCollection)
                           for p in c.get_paths()])


def test_tuning_curve_names_metric_marks_beta_best_run_and_extrapolation():
    fit = StandInFit()
    fit.scores = Scores(fit.scores.values, minimize=False, name="stand-in",
                        rule="score = column 'val_acc' of runs.csv")
    fig = plots.plot_tuning_curve(fit, n=[1.0, 10.0, 100.0, 200.0, 400.0, 2000.0])
    ax = fig.axes[0]
    assert "val_acc" in ax.get_ylabel() and "higher is better" in ax.get_ylabel()
    best = float(fit.scores.values.max())
    star = next(li for li in ax.get_lines() if li.get_label().startswith("best of the 200 runs"))
    assert star.get_xdata()[0] == 200 and star.get_ydata()[0] == pytest.approx(best)
    beta = next(li for li in ax.get_lines() if li.get_label().startswith("$\\beta$"))
    assert beta.get_ydata()[0] == pytest.approx(np.median(fit.draws()["beta"]))
    # the fitted part (n <= N) is solid, the extrapolation (n >= N) dashed on a shaded span
    dashed = [li for li in ax.get_lines() if li.get_linestyle() == "--"]
    assert dashed and min(dashed[0].get_xdata()) == 200 and max(dashed[0].get_xdata()) == 2000
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(n.startswith("extrapolation: $n$ > the 200 runs made") for n in legend)
    solid = next(li for li in ax.get_lines() if li.get_label().startswith("posterior median"))
    assert max(solid.get_xdata()) == 200


def test_tuning_curve_limits_on_the_regime_and_band_clipped_at_bounds():
    fit = StandInFit()
    high = 0.9055
    fit.scores = Scores(fit.scores.values, minimize=False, name="stand-in", bounds=(0.0, high))
    n = [1.0, 4.0, 16.0, 64.0, 128.0]
    raw = curves.tuning_curve(fit.draws(), n, minimize=False, ci=0.9)
    assert raw.upper.max() > high  # so that the clipping below is exercised
    fig = plots.plot_tuning_curve(fit, n=n, k_star=10.0)
    ax = fig.axes[0]
    assert _band_vertices(ax)[:, 1].max() <= high + 1e-12
    bottom, top = ax.get_ylim()
    assert top <= high + 1e-12
    # the part before the regime start (n < k* = 10) lies below the axis: not squashing it
    assert raw.median[0] < bottom < raw.lower[2]


def test_tail_cdf_bands_predictive_wider_than_parameter_band():
    fit = StandInFit()
    d = fit.draws()
    tail = fit.scores.values[fit.scores.values > fit.threshold]
    y = np.linspace(fit.threshold, 0.91, 400)  # the figure's grid size: one compiled shape
    from bayesnq.curves.tail import empirical_cdf, replicate_tails, tail_cdf_bands

    bands = tail_cdf_bands(d, y, fit.threshold, tail.size, minimize=False, ci=0.9, seed=1)
    width = bands.upper - bands.lower
    pred_width = bands.pred_upper - bands.pred_lower
    mid = (bands.median > 0.2) & (bands.median < 0.8)
    assert np.all(pred_width[mid] > width[mid])  # sampling noise of k scores added
    reps = replicate_tails(d, 7, fit.threshold, minimize=False, seed=2)
    assert reps.shape == (d["beta"].size, 7) and np.all(reps > fit.threshold)
    reps_min = replicate_tails(d, 5, 0.9, minimize=True, seed=2)
    assert np.all(reps_min < 0.9)
    lattice = replicate_tails(d, 5, fit.threshold, minimize=False, resolution=1e-3, origin=0.8605)
    np.testing.assert_allclose((lattice - 0.8605) / 1e-3, np.round((lattice - 0.8605) / 1e-3),
                               atol=1e-6)
    np.testing.assert_array_equal(empirical_cdf([[1.0, 2.0, 2.0, 3.0]], [0.5, 2.0, 2.5, 3.0]),
                                  [[0.0, 0.75, 0.75, 1.0]])


def test_tail_cdf_of_tied_scores_is_drawn_as_steps():
    fit = StandInFit()
    tied = np.round(fit.scores.values, 3)  # a lattice of 0.001: many ties
    fit.scores = Scores(tied, minimize=False, name="tied")
    fit.resolution = 1e-3
    fig = plots.plot_tail_cdf(fit, max_draws=40)
    ax = fig.axes[0]
    emp = next(li for li in ax.get_lines() if li.get_label().startswith("empirical"))
    tail = tied[tied > fit.threshold]
    assert f"{np.unique(tail).size} distinct" in emp.get_label()
    assert emp.get_drawstyle() == "steps-post"
    pred = next(li for li in ax.get_lines() if "posterior-predictive" in li.get_label())
    assert pred.get_drawstyle() == "steps-post"
    assert "score" in ax.get_xlabel() and "higher is better" in ax.get_xlabel()


def test_pairs_marginals_carry_no_density_ticks(fit):
    fig = plots.plot_posterior_pairs(fit)
    diagonal = [a for a in fig.axes if a.get_title().endswith("(marginal)")]
    assert len(diagonal) == 4
    for a in diagonal:
        assert a.get_ylabel() == ""
        assert not any(t.get_visible() and t.get_text() for t in a.get_yticklabels())
