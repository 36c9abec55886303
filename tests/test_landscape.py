"""Tests of bayesnq.landscape on synthetic landscapes with known structure."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from bayesnq import landscape as L
from bayesnq import plots

SPACE = {
    "lr": {"kind": "log-uniform", "low": 1e-5, "high": 1e-1},
    "dropout": {"kind": "uniform", "low": 0.0, "high": 0.5},
    "epochs": {"kind": "integer", "low": 1, "high": 5},
    "batch": {"kind": "choice", "choices": [16, 32, 64, 128]},
}


def quadratic_landscape(n, d, rank, *, noise=0.005, seed=0, curvature=3.0):
    """Concave quadratic of Hessian rank ``rank`` in a random basis, peak at the cube centre."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, d))
    basis = np.linalg.qr(rng.standard_normal((d, d)))[0][:, :rank]
    z = (u - 0.5) @ basis
    y = 1.0 - curvature * (z ** 2).sum(axis=1) + noise * rng.standard_normal(n)
    return u, y, basis


def two_peaks(n, d, *, noise=0.003, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.random((n, d))
    near = np.minimum(((u - 0.2) ** 2).sum(axis=1), ((u - 0.8) ** 2).sum(axis=1))
    return u, -near + noise * rng.standard_normal(n)


def one_peak(n, d, *, noise=0.003, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.random((n, d))
    return u, -((u - 0.5) ** 2).sum(axis=1) + noise * rng.standard_normal(n)


# ------------------------------------------------------------------------------------------
# encode


def test_encode_bounds_map_to_zero_and_one():
    configs = {
        "lr": [1e-5, 1e-1], "dropout": [0.0, 0.5], "epochs": [1, 5], "batch": [16, 128],
    }
    u, names = L.encode(configs, SPACE)
    assert names == ("lr", "dropout", "epochs", "batch")
    np.testing.assert_allclose(u, [[0, 0, 0, 0], [1, 1, 1, 1]], atol=1e-15)


def test_encode_midpoints_and_levels():
    configs = {
        "lr": [1e-3, 1e-4], "dropout": [0.25, 0.1], "epochs": [3, 2], "batch": [32, 64],
    }
    u, _ = L.encode(configs, SPACE)
    # Geometric midpoint of [1e-5, 1e-1] is 1e-3; 1e-4 is a quarter of the way on log scale.
    np.testing.assert_allclose(u[:, 0], [0.5, 0.25], atol=1e-12)
    np.testing.assert_allclose(u[:, 1], [0.5, 0.2], atol=1e-12)
    np.testing.assert_allclose(u[:, 2], [0.5, 0.25])
    np.testing.assert_allclose(u[:, 3], [1 / 3, 2 / 3])


def test_encode_array_input_matches_mapping_and_string_choices():
    space = {"x": {"kind": "uniform", "low": 2.0, "high": 4.0},
             "opt": {"kind": "choice", "choices": ["sgd", "adam", "lamb"]}}
    u, _ = L.encode(np.array([[3.0, "adam"], [2.0, "lamb"]], dtype=object), space)
    np.testing.assert_allclose(u, [[0.5, 0.5], [0.0, 1.0]])
    u2, _ = L.encode({"x": [3.0, 2.0], "opt": ["adam", "lamb"]}, space)
    np.testing.assert_array_equal(u, u2)


@pytest.mark.parametrize("configs, space, match", [
    ({"lr": [0.5]}, {"lr": {"kind": "log-uniform", "low": 1e-5, "high": 1e-1}},
     r"configs\['lr'\] must be within"),
    ({"lr": [0.0]}, {"lr": {"kind": "log-uniform", "low": 1e-5, "high": 1e-1}}, "> 0"),
    ({"lr": [0.1]}, {"lr": {"kind": "log-uniform", "low": 0.0, "high": 1.0}}, "low"),
    ({"a": [1.0]}, {"a": {"kind": "normal", "low": 0, "high": 1}}, "kind"),
    ({"a": [1.0]}, {"a": {"kind": "uniform", "low": 1, "high": 1}}, "low < high"),
    ({"a": [1.0]}, {"a": {"kind": "uniform", "low": 0}}, "'high'"),
    ({"a": [1.5]}, {"a": {"kind": "integer", "low": 0, "high": 3}}, "integers"),
    ({"a": [48]}, {"a": {"kind": "choice", "choices": [16, 32]}}, r"one of \[16, 32\]"),
    ({"a": [1]}, {"a": {"kind": "choice", "choices": []}}, "choices"),
    ({"b": [1.0]}, {"a": {"kind": "uniform", "low": 0, "high": 2}},
     r"configs must hold every hyperparameter .* without \['a'\]"),
    ({"a": [np.nan]}, {"a": {"kind": "uniform", "low": 0, "high": 2}}, "finite"),
    ({"a": [1.0], "b": [1.0, 2.0]}, {"a": {"kind": "uniform", "low": 0, "high": 2},
                                     "b": {"kind": "uniform", "low": 0, "high": 2}}, "equal"),
    (np.zeros((2, 3)), {"a": {"kind": "uniform", "low": 0, "high": 2}}, "shape"),
    ({"a": [1.0]}, {}, "search_space"),
])
def test_encode_argument_errors(configs, space, match):
    with pytest.raises(ValueError, match=match):
        L.encode(configs, space)


# ------------------------------------------------------------------------------------------
# graph


def test_knn_graph_excludes_self_and_handles_duplicates():
    rng = np.random.default_rng(1)
    u = rng.random((50, 3))
    u[10:15] = u[10]  # five identical configurations
    graph = L.knn_graph(u, rng.random(50), k=4)
    assert graph.neighbors.shape == (50, 4)
    assert not (graph.neighbors == np.arange(50)[:, None]).any()
    assert (np.diff(graph.distances, axis=1) >= 0).all()
    edges = graph.edges
    assert (edges[:, 0] < edges[:, 1]).all()
    assert len({tuple(e) for e in edges.tolist()}) == len(edges)
    # Every directed neighbour pair appears once as an undirected edge.
    pairs = {(min(i, j), max(i, j)) for i in range(50) for j in graph.neighbors[i]}
    assert pairs == {tuple(e) for e in edges.tolist()}


def test_knn_graph_argument_errors():
    u = np.random.default_rng(0).random((10, 2))
    with pytest.raises(ValueError, match="k must be smaller"):
        L.knn_graph(u, np.arange(10.0), k=10)
    with pytest.raises(ValueError, match="k must be an integer >= 1, got k=0"):
        L.knn_graph(u, np.arange(10.0), k=0)
    with pytest.raises(ValueError, match="y must hold 10 scores"):
        L.knn_graph(u, np.arange(9.0))
    with pytest.raises(ValueError, match="minimize"):
        L.knn_graph(u, np.arange(10.0), k=3, minimize="yes")
    with pytest.raises(ValueError, match="finite"):
        L.knn_graph(u, np.r_[np.arange(9.0), np.inf], k=3)


# ------------------------------------------------------------------------------------------
# FDC, neutrality, assortativity, correlogram


def test_fdc_sign_convention_and_orientation():
    u, y = one_peak(400, 3, seed=2)
    best = L.fdc(u, y)
    assert best < -0.5
    # Minimizing the negated scores describes the same landscape: same value.
    assert L.fdc(u, -y, minimize=True) == pytest.approx(best)
    top = L.fdc(u, y, reference="top", m=10)
    assert top < best  # the top-10 centroid is a less noisy reference
    assert L.fdc(u, y, method="pearson") < 0
    with pytest.raises(ValueError, match="reference"):
        L.fdc(u, y, reference="mean")
    with pytest.raises(ValueError, match="method"):
        L.fdc(u, y, method="kendall")


def test_neutrality_and_assortativity():
    rng = np.random.default_rng(3)
    u = rng.random((300, 2))
    flat = L.knn_graph(u, np.zeros(300))
    assert L.neutrality(flat, eps=0.0).nu == 1.0
    smooth = L.knn_graph(u, u[:, 0] + u[:, 1])
    nu = L.neutrality(smooth, eps=0.0)
    assert nu.nu == 0.0 and nu.nu_i.shape == (300,)
    # eps in units of sigma: 2 * 0.05 = 0.1 in score units.
    assert L.neutrality(smooth, eps=2.0, sigma=0.05).eps == pytest.approx(0.1)
    assert L.assortativity(smooth) > 0.9
    shuffled = L.knn_graph(u, rng.permutation(u[:, 0] + u[:, 1]))
    assert abs(L.assortativity(shuffled)) < 0.15
    with pytest.raises(ValueError, match="eps"):
        L.neutrality(smooth, eps=-1.0)
    with pytest.raises(ValueError, match="sigma"):
        L.neutrality(smooth, sigma=0.0)
    with pytest.raises(ValueError, match="KNNGraph"):
        L.assortativity(u)


def test_neutrality_distance_correlation_flatter_near_optimum():
    # A plateau around the optimum: neighbours there score alike, so NDC < 0.
    rng = np.random.default_rng(4)
    u = rng.random((500, 2))
    r = np.sqrt(((u - 0.5) ** 2).sum(axis=1))
    y = -np.maximum(r - 0.2, 0.0) * 5 - 1e-4 * r
    assert L.neutrality(L.knn_graph(u, y), eps=0.01).ndc < -0.3


def test_correlogram_decays_with_distance_and_samples_pairs():
    u, y = one_peak(300, 2, seed=5)
    full = L.correlogram(u, y, bins=5)
    assert full["count"].sum() == 300 * 299 // 2
    assert full["rho"][0] > 0.3 and full["rho"][-1] < full["rho"][0]
    sampled = L.correlogram(u, y, bins=5, max_pairs=5000, seed=1)
    assert sampled["count"].sum() == 5000
    assert np.all(np.isfinite(sampled["rho"]))
    with pytest.raises(ValueError, match="bins"):
        L.correlogram(u, y, bins=0)


# ------------------------------------------------------------------------------------------
# local quadratic


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_local_quadratic_recovers_hessian_rank(rank):
    u, y, basis = quadratic_landscape(800, 6, rank, seed=rank)
    fit = L.local_quadratic(u, y, n_bootstrap=100)
    assert fit.n_curved == rank
    assert fit.participation_ratio == pytest.approx(rank, abs=0.15)
    assert fit.n_significant >= rank
    # The curved eigenvalues are -2 * curvature = -6, and their eigenvectors span the basis.
    np.testing.assert_allclose(fit.eigenvalues[:rank], -6.0, rtol=0.05)
    overlap = np.linalg.svd(basis.T @ fit.eigenvectors[:, :rank])[1]
    assert overlap.min() > 0.99
    lo, hi = fit.participation_interval
    assert lo <= fit.participation_ratio <= hi
    assert (fit.eigenvalue_interval[:, 0] <= fit.eigenvalue_interval[:, 1]).all()
    assert fit.m == L.default_quadratic_size(800, 6) == 84


def test_local_quadratic_exact_on_noiseless_quadratic_and_minimize():
    rng = np.random.default_rng(6)
    u = rng.random((200, 3))
    h = np.array([[-4.0, 1.0, 0.0], [1.0, -2.0, 0.5], [0.0, 0.5, -1.0]])
    z = u - 0.3
    y = 2.0 + z @ np.array([0.1, -0.2, 0.3]) + 0.5 * np.einsum("ij,jk,ik->i", z, h, z)
    fit = L.local_quadratic(u, y, n_bootstrap=1, center=np.full(3, 0.3))
    np.testing.assert_allclose(fit.hessian, h, atol=1e-8)
    np.testing.assert_allclose(fit.gradient, [0.1, -0.2, 0.3], atol=1e-8)
    assert fit.r2 == pytest.approx(1.0)
    flipped = L.local_quadratic(u, -y, minimize=True, n_bootstrap=1, center=np.full(3, 0.3))
    np.testing.assert_allclose(flipped.hessian, h, atol=1e-8)


def test_local_quadratic_two_level_coordinate_is_unidentified():
    rng = np.random.default_rng(7)
    u = rng.random((300, 3))
    u[:, 2] = rng.integers(0, 2, 300)  # a two-level hyperparameter
    y = -3 * (u[:, 0] - 0.5) ** 2 + 0.1 * u[:, 2] + 0.001 * rng.standard_normal(300)
    fit = L.local_quadratic(u, y, names=("a", "b", "flag"), n_bootstrap=20)
    assert fit.unidentified == ("flag",)
    assert fit.hessian[2, 2] == 0.0
    assert fit.n_curved == 1


def test_local_quadratic_argument_errors():
    u, y, _ = quadratic_landscape(100, 3, 1)
    with pytest.raises(ValueError, match=r"m must be an integer in 11\.\.100"):
        L.local_quadratic(u, y, m=10)
    with pytest.raises(ValueError, match="center"):
        L.local_quadratic(u, y, center=[0.5, 0.5])
    with pytest.raises(ValueError, match="center"):
        L.local_quadratic(u, y, center="middle")
    with pytest.raises(ValueError, match="level"):
        L.local_quadratic(u, y, level=1.0)
    with pytest.raises(ValueError, match="names"):
        L.local_quadratic(u, y, names=("a",))
    with pytest.raises(ValueError, match="seed"):
        L.local_quadratic(u, y, seed=-1)


# ------------------------------------------------------------------------------------------
# local optima, components, basins and their baselines


def test_single_peak_local_optima_within_baselines():
    u, y = one_peak(500, 3, seed=1)
    graph = L.knn_graph(u, y)
    lo = L.local_optima(graph, sigma=0.003, n_permutations=100, n_simulations=50)
    assert lo.count == lo.is_optimum.sum()
    assert lo.count < lo.permutation.low
    assert lo.count <= lo.single_peak.high
    assert lo.permutation.mean == pytest.approx(500 / 11, rel=0.2)  # i.i.d.: n / (k + 1)
    comp = L.superlevel_components(graph, n_permutations=100, n_simulations=50)
    assert comp.count == 1 and comp.largest_share == 1.0
    assert comp.single_peak.low <= comp.count <= comp.single_peak.high
    assert comp.count < comp.permutation.low


def test_two_peaks_lie_outside_single_peak_baseline():
    u, y = two_peaks(500, 3, seed=2)
    graph = L.knn_graph(u, y)
    comp = L.superlevel_components(graph, n_permutations=50, n_simulations=50)
    assert comp.count == 2
    assert comp.count > comp.single_peak.high
    lo = L.local_optima(graph, sigma=0.003, n_permutations=50, n_simulations=50)
    assert lo.count > lo.single_peak.mean
    # The peak-centred quadratic stays on a peak instead of the valley between them.
    fit = L.local_quadratic(u, y, n_bootstrap=1, graph=graph)
    assert fit.n_curved == 3
    assert min(np.abs(fit.center - 0.2).max(), np.abs(fit.center - 0.8).max()) < 0.1


def test_local_optima_margin_and_plateau():
    u, y = one_peak(300, 2)
    graph = L.knn_graph(u, y)
    plain = L.local_optima(graph, n_permutations=10, n_simulations=10)
    strict = L.local_optima(graph, margin=2.0, sigma=0.003, n_permutations=10, n_simulations=10)
    assert strict.count <= plain.count
    np.testing.assert_array_equal(strict.is_optimum, strict.gap > 0.006)
    flat = L.knn_graph(u, np.zeros(300))
    assert L.local_optima(flat, sigma=0.01, n_permutations=5, n_simulations=5).count == 0
    with pytest.raises(ValueError, match="sigma must be given to use margin=1.0"):
        L.local_optima(graph, margin=1.0)
    with pytest.raises(ValueError, match="n_permutations|n must be"):
        L.local_optima(graph, n_permutations=0)


def test_basins_funnel_on_single_peak():
    u, y = one_peak(400, 2, noise=0.0)
    graph = L.knn_graph(u, y)
    b = L.basins(graph)
    assert b.sizes.sum() == 400
    assert b.n_attractors == L.local_optima(graph, n_permutations=2, n_simulations=2).count
    assert b.funnel_fraction > 0.9
    assert (b.sizes[b.attractor] > 0).all()
    assert y[b.attractor].min() >= y.min()
    # Every attractor is its own attractor.
    np.testing.assert_array_equal(b.attractor[b.attractor], b.attractor)
    with pytest.raises(ValueError, match="q"):
        L.basins(graph, q=1.5)


def test_null_distribution_is_seeded_and_single_peak_supplied_hessian():
    u, y = one_peak(200, 2)
    graph = L.knn_graph(u, y)

    def count(gr):
        return float((gr.g > gr.g[gr.neighbors].max(axis=1)).sum())

    a = L.null_distribution(graph, count, n=20, seed=3)
    b = L.null_distribution(graph, count, n=20, seed=3)
    c = L.null_distribution(graph, count, n=20, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    peak = L.single_peak(u, y, hessian=-2 * np.eye(2), sigma=0.0)
    np.testing.assert_allclose(peak.curvature, np.eye(2))
    draws = L.null_distribution(graph, count, kind="single-peak", n=5, surrogate=peak)
    assert draws.min() >= 1  # a noiseless single peak has at least its own optimum
    # Positive curvature (a valley) is dropped: the surrogate keeps the concave part only.
    assert np.allclose(L.single_peak(u, y, hessian=np.diag([-2.0, 4.0]), sigma=0.0).curvature,
                       np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="kind"):
        L.null_distribution(graph, count, kind="bootstrap")
    with pytest.raises(ValueError, match="hessian"):
        L.single_peak(u, y, hessian=np.eye(3))
    with pytest.raises(ValueError, match="symmetric"):
        L.single_peak(u, y, hessian=[[0.0, 1.0], [0.0, 0.0]])


# ------------------------------------------------------------------------------------------
# similarity and fidelity


def test_similarity_identical_and_reversed():
    y = np.random.default_rng(8).random(200)
    same = L.similarity(y, y)
    assert same.spearman == pytest.approx(1.0) and same.kendall == pytest.approx(1.0)
    assert same.shake_up == 0.0 and same.top_iou == 1.0 and same.regret == 0.0
    rev = L.similarity(y, -y)
    assert rev.spearman == pytest.approx(-1.0) and rev.kendall == pytest.approx(-1.0)
    assert rev.top_iou == 0.0
    assert rev.regret == pytest.approx(y.max() - y.min())
    # Reversed ranks: mean |2i - n - 1| / n^2 = 1/2 for even n.
    assert rev.shake_up == pytest.approx(0.5)
    assert L.similarity(y, y, minimize=True) == same


def test_similarity_regret_direction():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([0.5, 3.0, 2.0])
    # Best under a is run 2, which scores 2 under b; best under b is 3.
    assert L.similarity(a, b).regret == pytest.approx(1.0)
    # Minimizing: best under a is run 0 (0.5 under b); best under b is 0.5.
    assert L.similarity(a, b, minimize=True).regret == 0.0
    with pytest.raises(ValueError, match="y_b"):
        L.similarity(a, b[:2])
    with pytest.raises(ValueError, match="top"):
        L.similarity(a, b, top=0.0)


def test_fidelity_profile_best_so_far_by_own_budget():
    curves = [
        np.array([[1, 0.2], [2, 0.9], [3, 0.5], [4, 0.6]]),   # budget 4
        np.array([[10, 0.5], [20, 0.55], [30, 0.6], [40, 0.7]]),  # budget 40
        np.array([[1, 0.1], [2, 0.3], [3, 0.4], [4, 0.8]]),
        np.zeros((0, 2)),                                      # empty: left out
    ]
    prof = L.fidelity_profile(curves, fractions=(0.25, 0.5, 1.0))
    np.testing.assert_array_equal(prof["n"], [3, 3, 3])
    # At 25%: best-so-far 0.2, 0.5, 0.1 vs final 0.9, 0.7, 0.8 -> ranks (2, 1, 3) vs (1, 3, 2).
    assert prof["spearman"][0] == pytest.approx(-0.5)
    # At 50%: 0.9, 0.55, 0.3 -> same order as final? final order 0.9 > 0.8 > 0.7.
    assert prof["spearman"][1] == pytest.approx(0.5)
    assert prof["spearman"][2] == pytest.approx(1.0) and prof["regret"][2] == 0.0
    # Minimizing errors 1 - accuracy gives the same profile.
    flipped = L.fidelity_profile([np.column_stack([c[:, 0], 1 - c[:, 1]]) for c in curves],
                                 fractions=(0.25, 0.5, 1.0), minimize=True)
    np.testing.assert_allclose(flipped["spearman"], prof["spearman"])


def test_fidelity_profile_synthetic_curves_converge():
    rng = np.random.default_rng(9)
    n = 200
    final = rng.random(n)
    steps = np.arange(1, 21)
    curves = []
    for f in final:
        noise = 0.3 * rng.standard_normal(steps.size) / np.sqrt(steps)
        curves.append(np.column_stack([steps, f * (1 - np.exp(-steps / 3)) + noise * 0.2]))
    prof = L.fidelity_profile(curves)
    assert np.all(np.diff(prof["spearman"]) > -0.02)
    assert prof["spearman"][-1] > 0.9
    with pytest.raises(ValueError, match=r"learning_curves\[1\]"):
        L.fidelity_profile([np.zeros((2, 2)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="fractions"):
        L.fidelity_profile(curves, fractions=(0.0,))
    with pytest.raises(ValueError, match="final"):
        L.fidelity_profile(curves, final=np.zeros(3))


# ------------------------------------------------------------------------------------------
# analyze, table, report, plots


@pytest.fixture(scope="module")
def synthetic_result():
    rng = np.random.default_rng(10)
    n = 300
    configs = {
        "lr": 10 ** rng.uniform(-5, -1, n), "dropout": rng.uniform(0, 0.5, n),
        "epochs": rng.integers(1, 6, n), "batch": rng.choice([16, 32, 64, 128], n),
    }
    u, _ = L.encode(configs, SPACE)
    y = 0.9 - 2 * (u[:, 0] - 0.6) ** 2 - 0.5 * (u[:, 1] - 0.3) ** 2 + 0.003 * rng.standard_normal(n)
    y[u[:, 0] > 0.9] = 0.1  # diverged runs at a floor
    y[:3] = np.nan  # no score at all
    curves = [np.column_stack([np.arange(1, 6), v * (1 - np.exp(-np.arange(1, 6)))])
              for v in np.nan_to_num(y, nan=0.1)]
    result = L.analyze(y, configs, SPACE, floor=0.1, learning_curves=curves, n_permutations=30,
                       n_simulations=20, n_bootstrap=30, k_band=(5,))
    return result, y


def test_analyze_structure_and_settings(synthetic_result):
    result, y = synthetic_result
    assert set(result.subsets) == {"all", "non-failed"}
    failed = result.failed
    assert failed[:3].all() and failed.sum() == (np.nan_to_num(y, nan=0.1) <= 0.1).sum()
    assert result.subsets["non-failed"].index.size == (~failed).sum()
    s = result.settings
    assert s["k"] == 10 and s["k_band"] == [5] and "log-uniform" in s["encoding"]["lr"]
    assert "worst finite score" in s["failed_convention"]
    assert s["sigma_source"].startswith("residual")
    assert s["n_permutations"]["all"] == 30
    rows = result.table()
    assert all(isinstance(r, L.Row) for r in rows)
    keys = {(r.subset, r.measure, r.baseline) for r in rows}
    for sub in ("all", "non-failed"):
        for base in ("permutation", "single-peak"):
            assert (sub, "local_optima", base) in keys
            assert (sub, "components", base) in keys
            assert (sub, "local_optima@k=5", base) in keys
        assert (sub, "participation_ratio", "bootstrap") in keys
        assert (sub, "fidelity@0.25 spearman", "") in keys
    measures = result.subsets["non-failed"].measures
    assert measures["fdc_best"] < 0 and measures["components"] >= 1
    assert 0 <= measures["funnel_fraction"] <= 1
    assert result.subsets["non-failed"].quadratic.eigenvalues[0] < 0
    text = result.format_table()
    assert "local_optima" in text and "single-peak" in text


def test_analyze_to_dict_is_json(synthetic_result):
    result, _ = synthetic_result
    blob = json.dumps(result.to_dict(), allow_nan=False)
    back = json.loads(blob)
    assert back["n_failed"] == int(result.failed.sum())
    assert back["subsets"]["non-failed"]["quadratic"]["m"] > 0


def test_jsonable_plain_values():
    from pathlib import Path

    from bayesnq.jsonable import jsonable

    obj = {1: np.array([1.0, np.nan, np.inf]), "b": (np.int64(3), np.bool_(True)),
           "c": [np.float32(0.5), -np.inf, None, "s"], "p": Path("a/b")}
    out = jsonable(obj)
    assert out == {"1": [1.0, None, None], "b": [3, True], "c": [0.5, None, None, "s"],
                   "p": "a/b"}
    assert type(out["b"][0]) is int and type(out["b"][1]) is bool
    json.dumps(out, allow_nan=False)


def test_analyze_is_deterministic():
    u, y = one_peak(150, 2)
    a = L.analyze(y, u, n_permutations=10, n_simulations=10, n_bootstrap=10, k_band=())
    b = L.analyze(y, u, n_permutations=10, n_simulations=10, n_bootstrap=10, k_band=())
    assert a.table() == b.table()
    # No failed runs: both subsets are the same object.
    assert a.subsets["non-failed"] is a.subsets["all"]


def test_analyze_minimize_matches_maximize():
    u, y = one_peak(150, 2)
    kw = dict(n_permutations=10, n_simulations=10, n_bootstrap=10, k_band=(), sigma=0.01)
    up = L.analyze(y, u, **kw).subsets["all"].measures
    down = L.analyze(-y, u, minimize=True, **kw).subsets["all"].measures
    for key in ("fdc_best", "local_optima", "components", "funnel_fraction", "assortativity"):
        assert up[key] == pytest.approx(down[key])


def test_analyze_argument_errors():
    u, y = one_peak(60, 2)
    with pytest.raises(ValueError, match="configs must be given when data is a plain score array"):
        L.analyze(y)
    with pytest.raises(ValueError, match="rows"):
        L.analyze(y[:50], u)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        L.analyze(y, u * 2)
    with pytest.raises(ValueError, match="failed"):
        L.analyze(y, u, failed=np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match="q"):
        L.analyze(y, u, q=0.0)
    with pytest.raises(ValueError, match="at least"):
        L.analyze(y[:15], u[:15])
    with pytest.raises(ValueError, match="at least one finite score"):
        L.analyze(np.full(60, np.nan), u)
    with pytest.raises(ValueError, match="sigma"):
        L.analyze(y, u, sigma=-1.0)
    with pytest.raises(ValueError, match="learning_curves"):
        L.analyze(y, u, learning_curves=[np.zeros((1, 2))])


def test_report_writes_files_and_plot_panels(synthetic_result, tmp_path):
    result, _ = synthetic_result
    fig = plots.plot_landscape(result, gamma_draws=np.array([1, 2, 2, 2, 3]))
    assert len([ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]) == 5
    back = L.report(result, tmp_path / "out")
    assert back is result
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["landscape.csv", "landscape.json", "landscape.png"]
    header = (tmp_path / "out" / "landscape.csv").read_text().splitlines()[0]
    assert header == ",".join(L.Row._fields)
    with pytest.raises(ValueError, match="gamma_draws"):
        plots.plot_landscape(result, gamma_draws=[np.nan])
    with pytest.raises(ValueError, match="LandscapeResult"):
        plots.plot_landscape({})
    with pytest.raises(ValueError, match="finished result"):
        L.report(result, tmp_path, k=5)
    # bayesnq.landscape.plot_landscape forwards to the one figure in bayesnq.plots
    fig = L.plot_landscape(result)
    assert [ax.get_title() for ax in fig.axes] == [
        ax.get_title() for ax in plots.plot_landscape(result).axes]


def test_import_loads_no_plotting():
    code = ("import sys, bayesnq.landscape; "
            "assert not {'matplotlib', 'jax', 'bayesnq.plots'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------------
# bundled datasets


def _load(name):
    datasets = pytest.importorskip("bayesnq.datasets")
    try:
        return datasets.load(name)
    except (FileNotFoundError, AttributeError) as exc:  # pragma: no cover - data not built yet
        pytest.skip(f"dataset {name} unavailable: {exc}")


@pytest.mark.parametrize("name, floor", [("alexnet", 0.05), ("deberta-v3", 0.5)])
def test_analyze_bundled_datasets(name, floor):
    scores = _load(name)
    result = L.analyze(scores, floor=floor, n_permutations=40, n_simulations=20, n_bootstrap=40)
    assert result.names == tuple(scores.search_space)
    for key in ("all", "non-failed"):
        sub = result.subsets[key]
        for measure in ("fdc_best", "fdc_top", "local_optima", "components", "funnel_fraction",
                        "assortativity", "neutrality@1sigma"):
            assert math.isfinite(sub.measures[measure]), (key, measure)
        assert sub.measures["fdc_top"] < 0
        assert sub.measures["local_optima"] < sub.baselines["local_optima"]["permutation"].low
        assert np.isfinite(sub.quadratic.eigenvalues).all()
    main = result.subsets["non-failed"].quadratic
    assert 1 <= main.participation_ratio <= 3
    assert np.isfinite(result.fidelity["all"]["spearman"]).all()


# ------------------------------------------------------------------------------------------
# issue 22: any search (integer log-uniform spaces, a Scores with a given or inferred space,
# the report in words)


def test_encode_integer_log_uniform_is_the_log_scale():
    space = {"width": {"kind": "integer-log-uniform", "low": 16, "high": 256}}
    u, names = L.encode({"width": [16, 64, 256]}, space)
    np.testing.assert_allclose(u[:, 0], [0.0, 0.5, 1.0])
    assert "ln" in L.encoding.describe_encoding("width", space["width"])
    with pytest.raises(ValueError, match=r"configs\['width'\] must be integers"):
        L.encode({"width": [16, 20.5, 256]}, space)


def test_analyze_scores_with_a_given_space_matches_plain_arrays():
    from bayesnq.data import Scores

    u, y, _ = quadratic_landscape(120, 2, 1, seed=3)
    configs = {"a": 1e-4 * 1e3 ** u[:, 0], "b": u[:, 1]}
    space = {"a": {"kind": "log-uniform", "low": 1e-4, "high": 1e-1},
             "b": {"kind": "uniform", "low": 0.0, "high": 1.0}}
    small = dict(n_permutations=10, n_simulations=10, n_bootstrap=20)
    scores = Scores(values=y, minimize=False, configs=configs)
    from_scores = L.analyze(scores, search_space=space, **small)
    from_arrays = L.analyze(y, u, **small)
    for key in ("fdc_best", "local_optima", "components"):
        assert from_scores.subsets["all"].measures[key] == pytest.approx(
            from_arrays.subsets["all"].measures[key])
    with pytest.raises(ValueError, match="configs must be None when data is a Scores"):
        L.analyze(scores, configs=u)


def test_report_json_says_what_the_measures_mean(tmp_path):
    u, y, _ = quadratic_landscape(150, 3, 1, seed=1)
    result = L.analyze(y, u, n_permutations=10, n_simulations=10, n_bootstrap=20)
    gamma = np.random.default_rng(0).gamma(20.0, 0.05, size=500)  # about 1
    L.report(result, str(tmp_path), gamma_draws=gamma)
    doc = json.loads((tmp_path / "landscape.json").read_text())
    assert any("carr" in line and "curvature" in line for line in doc["interpretation"])
    assert doc["gamma_comparison"]["agree"] is True
    assert doc["interpretation"][-1] == doc["gamma_comparison"]["sentence"]


def test_curvature_text_numbers_directions_and_names_the_flat_ones():
    """Several curved directions read as a numbered list; a name that is a prefix of
    another ("lr" of "lr_decay") is not taken for it."""
    from types import SimpleNamespace

    from bayesnq.landscape.interpret import _curvature

    vecs = np.eye(4)
    vecs[:, 1] = [0.0, 0.8, 0.6, 0.0]  # lr_decay with momentum
    q = SimpleNamespace(eigenvalues=np.array([-4.0, -2.0, -1.5, 0.0]), eigenvectors=vecs,
                        names=["lr_decay", "momentum", "batch", "lr"], participation_ratio=2.0,
                        participation_interval=(1.5, 2.5), r2=0.8, m=60, unidentified=[])
    text = _curvature(q, 0.9)
    assert "3 directions carry the curvature near the best runs, the strongest first: " \
           "(1) lr_decay; (2) momentum (with batch); (3) batch" in text
    assert "the score hardly depends on lr there" in text
