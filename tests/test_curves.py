"""Tests for bayesnq.curves: posterior, predictive and empirical tuning curves."""

from __future__ import annotations

import itertools
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import logsumexp

from bayesnq import curves
from bayesnq.distributions import NoisyQuadratic  # (turns on float64)

N_GRID = np.array([1.0, 3.0, 10.0, 100.0, 1e4, 1e6])


def stand_in_draws(size=64, minimize=False, seed=0):
    """Posterior-like draws scattered around the paper's DeBERTaV3 fit (accuracy or error)."""
    rng = np.random.default_rng(seed)
    if minimize:
        alpha = 0.0947 + 0.0004 * rng.standard_normal(size)
        beta = 0.141 + 0.004 * rng.standard_normal(size)
    else:
        alpha = 0.859 + 0.003 * rng.standard_normal(size)
        beta = 0.9052 + 0.0004 * rng.standard_normal(size)
    return {
        "alpha": alpha,
        "beta": beta,
        "gamma": 1.0 + 0.4 * rng.random(size),
        "sigma": 0.0011 * np.exp(0.2 * rng.standard_normal(size)),
    }


def one_draw(minimize=False):
    if minimize:
        return {"alpha": [0.0946], "beta": [0.1411], "gamma": [1.0], "sigma": [0.00104]}
    return {"alpha": [0.859], "beta": [0.9052], "gamma": [1.0], "sigma": [0.00107]}


@partial(jax.jit, static_argnames=("minimize",))
def _log_p(params, y, minimize):
    d = NoisyQuadratic(*(params[i][:, None] for i in range(4)), minimize=minimize)
    return d.log_sf(y[None, :]) if minimize else d.log_cdf(y[None, :])


def log_p(draws, y, minimize):
    """log F_s(y) (maximize) or log(1 - F_s(y)) (minimize), shape (S, len(y)).

    Padded to 64 draws x 8 points, so that one compiled function serves every test.
    """
    params = np.stack([np.asarray(draws[k], float) for k in curves.PARAMETERS])
    y = np.atleast_1d(np.asarray(y, float))
    s, m = params.shape[1], y.size
    assert s <= 64 and m <= 8
    params = np.concatenate([params, np.repeat(params[:, :1], 64 - s, axis=1)], axis=1)
    y = np.concatenate([y, np.repeat(y[:1], 8 - m)])
    return np.asarray(_log_p(jnp.asarray(params), jnp.asarray(y), minimize))[:s, :m]


# ----------------------------------------------------------------------------- posterior curves


def test_single_draw_equals_distribution_curve():
    """(The minimize form is checked against log_sf in test_predictive_solves_its_equation.)"""
    minimize = False
    draws = one_draw(minimize)
    d = NoisyQuadratic(*(draws[k][0] for k in curves.PARAMETERS), minimize=minimize)
    reference = jax.jit(d.quantile_tuning_curve)  # compiles faster than running eagerly
    for q in (0.5, 0.2):
        curve = curves.tuning_curve(draws, N_GRID, minimize=minimize, q=q)
        expected = np.asarray(reference(N_GRID, q))
        assert curve.draws.shape == (1, N_GRID.size)
        np.testing.assert_allclose(curve.draws[0], expected, rtol=0, atol=1e-12)
        for summary in (curve.lower, curve.median, curve.upper):
            np.testing.assert_allclose(summary, expected, rtol=0, atol=1e-12)
        # with one draw the predictive distribution of T_n is that draw's
        np.testing.assert_allclose(curve.predictive, expected, rtol=0, atol=1e-9)
        assert curve.kind == "quantile" and curve.q == q and curve.minimize is minimize


def test_average_curve_per_draw_and_predictive():
    """Noiseless draws against the closed form beta - w Gamma(n+1)Gamma(1+2/g)/Gamma(n+1+2/g).

    (Maximize only: compiling the average curve takes seconds.)
    """
    from scipy.special import gammaln

    draws = {"alpha": [0.5, 0.6, 0.55], "beta": [0.9, 0.92, 0.91], "gamma": [1.0, 2.0, 3.5],
             "sigma": [0.0, 0.0, 0.0]}
    n = np.array([1.0, 10.0, 1000.0])
    curve = curves.average_tuning_curve(draws, n, minimize=False)
    a, b, g = (np.asarray(draws[k])[:, None] for k in ("alpha", "beta", "gamma"))
    closed = b - (b - a) * np.exp(gammaln(n + 1) + gammaln(1 + 2 / g) - gammaln(n + 1 + 2 / g))
    np.testing.assert_allclose(curve.draws, closed, rtol=0, atol=1e-12)
    np.testing.assert_allclose(curve.predictive, closed.mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(curve.median, np.median(closed, axis=0), rtol=0, atol=1e-12)
    assert curve.kind == "average" and curve.q is None and "average" in repr(curve)


@pytest.mark.parametrize("minimize", [False, True])
def test_predictive_solves_its_equation(minimize):
    draws = stand_in_draws(64, minimize)
    q = 0.3
    curve = curves.tuning_curve(draws, N_GRID, minimize=minimize, q=q)
    lp = log_p(draws, curve.predictive, minimize)  # (S, m)
    log_mean = logsumexp(N_GRID[None, :] * lp, axis=0) - math.log(lp.shape[0])
    level = math.log1p(-q) if minimize else math.log(q)
    np.testing.assert_allclose(log_mean, level, rtol=0, atol=1e-8)
    # a mixture's quantile lies between its components'
    assert np.all(curve.predictive >= curve.draws.min(axis=0) - 1e-12)
    assert np.all(curve.predictive <= curve.draws.max(axis=0) + 1e-12)


@pytest.mark.parametrize("minimize", [False, True])
def test_curves_monotone_in_n_and_band_ordered(minimize):
    draws = stand_in_draws(64, minimize)
    curve = curves.tuning_curve(draws, N_GRID, minimize=minimize)
    sign = -1.0 if minimize else 1.0
    for y in (curve.median, curve.predictive, curve.lower, curve.upper):
        assert np.all(sign * np.diff(y) > 0)
    assert np.all(curve.lower <= curve.median) and np.all(curve.median <= curve.upper)
    assert np.all(np.isfinite(curve.draws))


def test_predictive_is_not_the_plugin_of_the_averaged_cdf():
    """Two very different posterior draws: one future search has ONE of them.

    E[F^n] = q puts the predictive median near the worse draw's optimum (0.9), while the
    plug-in (E F)^n = q treats every run as coming from a fresh draw and lands near the
    better draw's optimum (1.0).
    """
    draws = {"alpha": [0.0, 0.1], "beta": [0.9, 1.0], "gamma": [2.0, 2.0], "sigma": [1e-3, 1e-3]}
    n, q = 100.0, 0.5
    curve = curves.tuning_curve(draws, [n], minimize=False, q=q)

    def plugin_gap(y):
        return float(np.mean(np.exp(log_p(draws, y, False)))) - q ** (1 / n)

    plugin = brentq(plugin_gap, 0.5, 1.1, xtol=1e-12)
    predictive = curve.predictive[0]
    assert 0.9 < predictive < 0.91
    assert plugin > 0.98
    # nor is it the median of the per-draw curves (here the midpoint of the two)
    assert abs(curve.median[0] - np.mean(curve.draws[:, 0])) < 1e-12
    assert curve.median[0] - predictive > 0.03


def test_large_n():
    curve = curves.tuning_curve(stand_in_draws(16), [1e6, 1e8, 1e10], minimize=False)
    assert np.all(np.isfinite(curve.draws)) and np.all(np.isfinite(curve.predictive))
    assert np.all(np.diff(curve.median) > 0)


def test_thinning_is_deterministic():
    draws = stand_in_draws(100)
    a = curves.tuning_curve(draws, [1.0, 10.0], minimize=False, max_draws=20, seed=3)
    b = curves.tuning_curve(draws, [1.0, 10.0], minimize=False, max_draws=20, seed=3)
    c = curves.tuning_curve(draws, [1.0, 10.0], minimize=False, max_draws=20, seed=4)
    assert a.draws.shape == (20, 2)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, c.draws)
    kept = curves.thin(draws, 20, seed=3)
    assert np.all(np.isin(kept["alpha"], draws["alpha"]))
    assert np.all(np.diff(np.flatnonzero(np.isin(draws["alpha"], kept["alpha"]))) > 0)


def test_accepts_fit_like_object_and_extra_keys():
    class FitLike:
        minimize = False

        def draws(self):
            return {**one_draw(), "tail_mass": [0.57]}

    curve = curves.tuning_curve(FitLike(), 4, minimize=False)
    assert curve.n.tolist() == [4.0] and curve.draws.shape == (1, 1)


def test_tuning_curve_outputs():
    curve = curves.tuning_curve(stand_in_draws(16), N_GRID, minimize=False, ci=0.9)
    d = curve.to_dict()
    assert d["kind"] == "quantile" and d["ci"] == 0.9 and len(d["median"]) == N_GRID.size
    assert "draws" not in d and len(curve.to_dict(draws=True)["draws"]) == 16
    frame = curve.to_frame()
    assert list(frame.columns) == ["n", "lower", "median", "upper", "predictive"]
    assert len(frame) == N_GRID.size == len(curve)
    text = repr(curve)
    assert text.startswith("TuningCurve(q=0.5, maximize") and "16 draws" in text and len(text) < 200


# ----------------------------------------------------------------------------- empirical


def exact_best_of(values, n, minimize):
    """All len(values)**n equally likely resamples: sorted bests (brute force)."""
    best = min if minimize else max
    return np.sort([best(c) for c in itertools.product(values, repeat=n)])


@pytest.mark.parametrize("minimize", [False, True])
def test_empirical_curves_match_enumeration(minimize):
    values = np.array([0.3, 0.9, 0.5, 0.7, 0.5, 0.1])  # with a tie
    for n in (1, 2, 3, 5):
        bests = exact_best_of(values, n, minimize)
        for q in (0.1, 0.3, 0.5, 0.77, 0.95):
            # smallest y with P(T_n <= y) >= q
            expected = bests[math.ceil(q * bests.size) - 1]
            got = curves.empirical_tuning_curve(values, n, minimize=minimize, q=q)
            assert got.shape == (1,)
            assert got[0] == expected, (n, q, got, expected)
        mean = curves.empirical_average_tuning_curve(values, n, minimize=minimize)
        np.testing.assert_allclose(mean[0], bests.mean(), rtol=1e-13)


def test_empirical_curves_match_simulation_and_limits():
    rng = np.random.default_rng(1)
    values = rng.normal(size=200)
    n = np.array([1.0, 7.0, 50.0])
    sims = rng.choice(values, size=(100_000, 50))
    for j, k in enumerate(n.astype(int)):
        best = sims[:, :k].max(axis=1)
        mean = curves.empirical_average_tuning_curve(values, n, minimize=False)[j]
        assert abs(mean - best.mean()) < 4 * best.std() / math.sqrt(best.size)
    # n = 1: the empirical mean and median; huge n: the best score
    assert curves.empirical_average_tuning_curve(values, 1, minimize=True)[0] == pytest.approx(values.mean())
    assert curves.empirical_tuning_curve(values, 1e9, minimize=False)[0] == values.max()
    assert curves.empirical_tuning_curve(values, 1e9, minimize=True)[0] == values.min()
    np.testing.assert_allclose(
        curves.empirical_average_tuning_curve(values, 1e9, minimize=False), values.max(), rtol=1e-6)


def test_empirical_accepts_scores_and_infinite_worst_scores():
    from bayesnq.data import Scores

    scores = Scores([0.2, 0.5, np.inf], minimize=True)
    assert curves.empirical_tuning_curve(scores, 1, minimize=True)[0] == 0.5
    assert curves.empirical_tuning_curve(scores, 100, minimize=True)[0] == 0.2
    # a (1/3)^n chance that every resampled run failed: the mean is infinite for every n
    assert np.all(curves.empirical_average_tuning_curve(scores, [1, 100], minimize=True) == np.inf)
    assert curves.empirical_average_tuning_curve(scores, 100, minimize=False)[0] == np.inf


# ----------------------------------------------------------------------------- runs to reach


@pytest.mark.parametrize("minimize, target", [(False, 0.9065), (True, 0.0935)])
def test_runs_to_reach_consistent_with_tuning_curve(minimize, target):
    draws = stand_in_draws(4, minimize)
    q = 0.5
    result = curves.runs_to_reach(draws, target, minimize=minimize, q=q)
    ns = result.draws
    assert ns.shape == (4,) and np.all(np.isfinite(ns)) and np.all(ns > 1)
    assert np.all(ns == np.round(ns))
    # every draw's own curve at its n and at n - 1 (8 points at most)
    grid = np.unique(np.concatenate([ns, ns - 1]))
    per_draw = curves.tuning_curve(draws, grid, minimize=minimize, q=q, max_draws=None).draws
    at_n = per_draw[np.arange(4), np.searchsorted(grid, ns)]
    before = per_draw[np.arange(4), np.searchsorted(grid, ns - 1)]
    sign = -1.0 if minimize else 1.0
    tol = 1e-9
    assert np.all(sign * (at_n - target) >= -tol)  # reached at n
    assert np.all(sign * (before - target) < tol)  # not yet at n - 1
    assert result.lower <= result.median <= result.upper
    # the predictive answer against the predictive curve
    npred = result.predictive
    curve = curves.tuning_curve(draws, [npred - 1, npred], minimize=minimize, q=q, max_draws=None)
    assert sign * (curve.predictive[1] - target) >= -tol
    assert sign * (curve.predictive[0] - target) < tol


def test_runs_to_reach_edge_cases():
    draws = stand_in_draws(32)
    easy = curves.runs_to_reach(draws, 0.5, minimize=False)
    assert easy.median == 1.0 and easy.predictive == 1.0 and easy.p_reachable == 1.0
    lucky = curves.runs_to_reach(draws, 0.909, minimize=False)  # above every beta
    assert lucky.p_reachable == 0.0 and np.isfinite(lucky.median) and lucky.median > 100
    never = curves.runs_to_reach(draws, 2.0, minimize=False)  # F(2.0) rounds to 1
    assert never.median == math.inf and never.predictive == math.inf
    assert never.lower == math.inf
    assert "RunsToReach(target=2" in repr(never)
    assert set(never.to_dict()) >= {"target", "median", "lower", "upper", "predictive", "p_reachable"}


def test_regime_start():
    draws = one_draw()
    k = curves.regime_start(draws, 0.89, minimize=False)
    log_f = log_p(draws, 0.89, False)[0, 0]
    assert k.shape == (1,)
    assert k[0] == pytest.approx(math.log(0.5) / log_f, rel=1e-12)
    k_min = curves.regime_start(one_draw(True), 0.11, minimize=True)
    assert 0.5 < k_min[0] < 1.5  # the paper's k* = 0.8 for DeBERTaV3


def test_package_exports():
    for name in curves.__all__:
        assert hasattr(curves, name), name
    assert curves.PARAMETERS == ("alpha", "beta", "gamma", "sigma")


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(minimize="yes"), r"minimize must be True or False, got minimize='yes'"),
        (dict(q=1.5), r"q must be a number in \(0, 1\), got q=1.5"),
        (dict(q=0), r"q must be a number in \(0, 1\), got q=0"),
        (dict(ci=1.0), r"ci must be a number in \(0, 1\), got ci=1.0"),
        (dict(n=0.5), r"n must be finite and >= 1, got n=0.5"),
        (dict(n=[1.0, np.nan]), r"n must be finite and >= 1"),
        (dict(n=[]), r"n must be a number or a non-empty 1-D array"),
        (dict(n=[[1.0]]), r"n must be a number or a non-empty 1-D array"),
        (dict(max_draws=0), r"max_draws must be an integer >= 1, got max_draws=0"),
        (dict(seed=-1), r"seed must be an integer >= 0, got seed=-1"),
        (dict(draws={"alpha": [0.5]}), r"draws is missing \['beta', 'gamma', 'sigma'\]"),
        (dict(draws=[1, 2]), r"draws must be a mapping"),
        (dict(draws={**one_draw(), "beta": [0.1]}), r"alpha must be below beta.*draw 0"),
        (dict(draws={**one_draw(), "gamma": [-1.0]}), r"draws\['gamma'\] must be positive"),
        (dict(draws={**one_draw(), "sigma": [np.nan]}), r"draws\['sigma'\] must be finite"),
        (dict(draws={**one_draw(), "sigma": [0.1, 0.2]}), r"different numbers of draws"),
    ],
)
def test_tuning_curve_argument_errors(kwargs, pattern):
    args = {"draws": one_draw(), "n": [1.0, 2.0], "minimize": False, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        curves.tuning_curve(args.pop("draws"), args.pop("n"), **args)


def test_other_argument_errors():
    with pytest.raises(TypeError):
        curves.tuning_curve(one_draw(), [1.0])  # minimize is required
    with pytest.raises(ValueError, match=r"values: 1 scores are NaN"):
        curves.empirical_tuning_curve([1.0, np.nan], 2, minimize=False)
    with pytest.raises(ValueError, match=r"values must be a non-empty 1-D array"):
        curves.empirical_average_tuning_curve([], 2, minimize=False)
    with pytest.raises(ValueError, match=r"target must be a finite number, got target=nan"):
        curves.runs_to_reach(one_draw(), float("nan"), minimize=False)
    with pytest.raises(ValueError, match=r"threshold must be a finite number, got threshold='0.9'"):
        curves.regime_start(one_draw(), "0.9", minimize=False)
    with pytest.raises(ValueError, match=r"ci must be a number in \(0, 1\), got ci=2"):
        curves.average_tuning_curve(one_draw(), [1.0], minimize=False, ci=2)


@pytest.mark.parametrize("minimize", [False, True])
def test_empirical_curves_on_a_lattice_with_many_ties(minimize):
    """Accuracy on 719 images: a third of 300 runs on a handful of values, 7 tied at the
    best. The curves equal the distinct-value formulas (cdf F_k at each distinct value)."""
    rng = np.random.default_rng(3)
    k = np.round(719 * np.clip(rng.normal(0.8, 0.03, 300), 0, 1))
    k[:7] = k.max() + 1  # 7 runs share the best score
    values = (-k if minimize else k) / 719
    v, counts = np.unique(values, return_counts=True)
    cdf = np.cumsum(counts) / values.size
    n = np.array([1.0, 3.0, 40.0, 1e4])
    if minimize:  # P(min >= v_k) = S_k^n with S_k = P(Y >= v_k)
        sf_ge = 1.0 - np.concatenate([[0.0], cdf[:-1]])
        p_best = sf_ge[None, :] ** n[:, None] - np.concatenate(
            [sf_ge[1:], [0.0]])[None, :] ** n[:, None]
    else:
        p_best = cdf[None, :] ** n[:, None] - np.concatenate(
            [[0.0], cdf[:-1]])[None, :] ** n[:, None]
    np.testing.assert_allclose(curves.empirical_average_tuning_curve(values, n,
                                                                     minimize=minimize),
                               p_best @ v, rtol=1e-12)
    for q in (0.2, 0.5, 0.9):
        got = curves.empirical_tuning_curve(values, n, minimize=minimize, q=q)
        cum = np.cumsum(p_best, axis=1)  # P(best <= v_k)
        expected = v[np.argmax(cum >= q - 1e-12, axis=1)]
        np.testing.assert_array_equal(got, expected)
    assert np.isin(curves.empirical_tuning_curve(values, n, minimize=minimize), v).all()
