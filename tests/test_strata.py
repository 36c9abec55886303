"""A multimodal P(tau), sampled one mode at a time (bayesnq.inference.strata)."""

import warnings

import numpy as np
import pytest

import bayesnq
from bayesnq.inference.strata import (EXCLUDED, draw_counts, interleave, strata,
                                      stratum_log_prior)

# AlexNet's P(tau) over its 12 default candidates in grid order (tail fraction falling),
# from fit(threshold="auto"), 2026-12-06: modes at 40%, 30% and 20% of runs beyond
ALEXNET_P = np.array([1.6e-34, 3.4e-21, 3.7e-10, 6.4e-06, 0.0985, 0.0013, 0.2663, 0.0244,
                      0.5829, 0.0012, 0.0048, 0.0206])


def test_groups_cut_between_the_modes_at_the_least_probable_candidate():
    groups = strata(ALEXNET_P)
    assert [g.tolist() for g in groups] == [[0, 1, 2, 3, 4], [5, 6], [7, 8, 9, 10, 11]]
    # each mode is in its own group; the groups cover the grid once, in order
    assert [int(np.argmax(ALEXNET_P[g])) + g[0] for g in groups] == [4, 6, 8]
    np.testing.assert_array_equal(np.concatenate(groups), np.arange(ALEXNET_P.size))
    # a mode below MIN_MODE (the 2% at the grid's end) joins its neighbour's group
    assert len(strata(ALEXNET_P, min_mode=0.01)) == 4
    assert [g.tolist() for g in strata(ALEXNET_P, max_strata=2)] == [[0, 1, 2, 3, 4, 5, 6],
                                                                    [7, 8, 9, 10, 11]]


@pytest.mark.parametrize("p", [
    [0.05, 0.9, 0.05],  # decided
    [0.3, 0.3, 0.2, 0.2],  # flat
    [0.1, 0.6, 0.3, 0.0],  # decided: the second is next to the first
])
def test_no_groups_unless_multimodal(p):
    assert strata(np.array(p)) is None


def test_stratum_prior_excludes_the_rest_exactly():
    base = np.log(np.array([1.0, 2.0, 3.0, 4.0]))
    lp = stratum_log_prior(base, np.array([1, 2]))
    np.testing.assert_array_equal(lp[[1, 2]], base[[1, 2]])
    assert np.all(lp[[0, 3]] < EXCLUDED / 2) and np.exp(lp[[0, 3]]).max() == 0.0
    assert np.all(np.isfinite(lp))  # the sampler's arrays must be finite


@pytest.mark.parametrize("w, n", [([0.58, 0.27, 0.15], 1000), ([0.9999, 1e-4], 7),
                                  ([1, 1, 1], 10), ([0.5, 0.5], 1)])
def test_draw_counts_share_out_n(w, n):
    counts = draw_counts(w, n)
    assert counts.sum() == n and np.all(counts >= 0)
    if n >= len(w):
        assert np.all(counts >= 1)
    assert np.all(np.abs(counts - np.asarray(w) / np.sum(w) * n) <= 1 + (n < len(w)))


def test_interleave_takes_each_groups_draws_in_order_at_shuffled_places():
    chains, s = 3, 40
    runs = [{"x": np.full((chains, s), float(g)) + np.arange(s) / 100.0,
             "d": np.zeros((chains, s, 2)) + g} for g in range(3)]
    counts = draw_counts([0.5, 0.3, 0.2], s)
    out = interleave(runs, counts, seed=5)
    assert out["x"].shape == (chains, s) and out["d"].shape == (chains, s, 2)
    for c in range(chains):
        group = np.floor(out["x"][c]).astype(int)
        np.testing.assert_array_equal(np.bincount(group, minlength=3), counts)
        np.testing.assert_array_equal(out["d"][c, :, 0], group)  # the keys line up
        for g in range(3):
            t = out["x"][c][group == g] - g
            assert np.all(np.diff(t) > 0)  # in their order, evenly spread over the run
            assert t[0] < (s / counts[g]) / 100 and t[-1] > (s - s / counts[g]) / 100 - 1e-12
        # shuffled: not one block per group
        assert np.count_nonzero(np.diff(group)) > 3
    np.testing.assert_array_equal(interleave(runs, counts, seed=5)["x"], out["x"])
    with pytest.raises(ValueError, match="counts must sum to the 40 draws"):
        interleave(runs, [10, 10, 10], seed=0)


@pytest.mark.slow
def test_alexnet_multimodal_threshold_is_sampled_by_mode():
    """AlexNet with tau inferred and alpha left free (no floor at 0, bounds (None, 1)):
    P(tau) has separate modes; sampled one at a time, the chains agree (r-hat 1.015 on
    alpha and 1.014 on gamma before, at the defaults). With the floor (the bundled
    bounds (0, 1)) the deep modes are gone (docs/thresholds.md)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesnq.DiagnosticsWarning)
        f = bayesnq.fit(bayesnq.datasets.load("alexnet"), threshold="auto", n_hyperparameters=7,
                        bounds=(None, 1), num_chains=4, num_warmup=500, num_samples=500,
                        progress_bar=False)
    groups = f.settings["strata"]
    assert len(groups) >= 2 and sum(g["draws_per_chain"] for g in groups) == 500
    d = f.diagnostics()
    assert d["divergences"] == 0
    assert max(d["r_hat"][k] for k in ("alpha", "beta", "gamma", "sigma")) <= 1.01
    # P(tau) keeps the first run's weight on each group
    p = f.threshold_probabilities().set_index("threshold")["probability"]
    for g in groups:
        inside = p[(p.index >= min(g["from"], g["to"])) & (p.index <= max(g["from"], g["to"]))]
        assert abs(inside.sum() - g["weight"]) < 0.01
    # the most probable candidate is the paper's threshold (0.50: 18% of runs beyond)
    assert abs(f.threshold - 0.49) < 0.01


@pytest.mark.slow
def test_alexnet_with_the_floor_has_one_mode_and_no_divergences():
    """With the bundled bounds (0, 1), alpha stays at or above 0 (the floor). Without it,
    at seed 2 one chain wandered into gamma ~ 0.2 with alpha down to -1e12 and diverged
    (5 transitions, 2026-12-07); with it, none, and the unhedged P(tau) sits on 0.4914
    (20% of runs beyond; the paper's threshold is 0.50)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesnq.DiagnosticsWarning)
        f = bayesnq.fit(bayesnq.datasets.load("alexnet"), threshold="auto", seed=2,
                        progress_bar=False)
    d = f.diagnostics()
    assert d["divergences"] == 0
    assert max(d["r_hat"][k] for k in ("alpha", "beta", "gamma", "sigma")) <= 1.01
    assert f.draws()["alpha"].min() >= 0.0
    p = f.threshold_probabilities().set_index("threshold")["probability_unhedged"]
    assert abs(p.idxmax() - 0.4914) < 0.005 and p.max() > 0.9
