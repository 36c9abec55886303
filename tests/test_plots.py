"""Tests for bayesnq.plots on stand-in posterior draws (no MCMC)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

import bayesnq  # noqa: E402,F401
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
    assert any("k^*" in n for n in names)  # regime start (a legend entry when k* < 1)
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


def test_plot_tuning_curve_default_grid_minimize():
    fig = plots.plot_tuning_curve(StandInFit(minimize=True), empirical=False, k_star=False)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    x = line.get_xdata()
    assert x[0] == 1 and x[-1] == 2000 and len(x) <= 32  # 1 .. 10 N, N = 200
    assert np.all(np.diff(line.get_ydata()) < 0)  # minimizing: the best score falls
    assert "lowest" in ax.get_ylabel()


@pytest.mark.parametrize("minimize", [False, True])
def test_plot_tail_cdf(minimize):
    fit = StandInFit(minimize=minimize)
    fig = plots.plot_tail_cdf(fit)
    (ax,) = fig.axes
    names = labels(ax)
    median = next(line for line in ax.get_lines() if line.get_label().startswith("fitted"))
    y = median.get_ydata()
    assert y.size == 300 and np.all(np.diff(y) >= -1e-12) and np.all((y >= 0) & (y <= 1))
    # the truncated cdf is 0 at the threshold's side of the tail and rises to ~1 at the far end
    if minimize:
        assert y[-1] == pytest.approx(1.0)
    else:
        assert y[0] == pytest.approx(0.0, abs=1e-12) and y[-1] > 0.99
    empirical = next(n for n in names if n.startswith("empirical"))
    tail = (fit.scores.values < fit.threshold) if minimize else (fit.scores.values > fit.threshold)
    assert f"({tail.sum()} scores" in empirical
    assert any(n.startswith("threshold") for n in names)
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1


def test_diagnostic_plots(fit):
    fig = plots.plot_posterior_pairs(fit)
    assert len([a for a in fig.axes if a.get_visible()]) >= 4 * 5 // 2  # lower triangle + diagonal
    fig = plots.plot_trace(fit)
    assert len(fig.axes) == 2 * 5  # alpha, beta, gamma, sigma, tail_mass x (density, trace)
    fig = plots.plot_rank(fit.idata, var_names=["alpha", "beta"])
    assert len([a for a in fig.axes if a.get_visible()]) == 2


def test_save_all(tmp_path):
    before = set(plt.get_fignums())
    # the minimize stand-in: same compiled curve shapes as the default-grid test above
    written = plots.save_all(StandInFit(minimize=True), tmp_path / "out", dpi=40)
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
