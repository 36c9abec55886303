"""Scores known to a resolution: lattice detection, cell probabilities, proper posteriors."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesnq
from bayesnq import NoisyQuadratic
from bayesnq.modeling import (TailData, detect_resolution, log_interval_prob, parse_resolution,
                              per_run_loglik)


def lattice_search(n=300, steps=400, seed=1, minimize=False):
    d = NoisyQuadratic(0.55, 0.80, 2.0, 0.004, minimize=minimize)
    y = np.asarray(d.sample(jax.random.PRNGKey(seed), (n,)))
    return np.round(y * steps) / steps


# ----------------------------------------------------------------------------- detection


@pytest.mark.parametrize("steps", [719, 1000, 50])
def test_lattice_of_accuracies_is_detected(steps):
    h, note = detect_resolution(lattice_search(steps=steps))
    assert h == pytest.approx(1 / steps, rel=1e-9)
    assert "lattice" in note


def test_rounded_large_units_and_offset_lattices_are_detected():
    y = lattice_search(steps=100) * 1e9 + 3e8  # a metric in the 1e9 range, rounded to 1e7
    h, _ = detect_resolution(y)
    assert h == pytest.approx(1e7, rel=1e-6)
    h, _ = detect_resolution(lattice_search(steps=100) * 1e-9)
    assert h == pytest.approx(1e-11, rel=1e-6)


def test_continuous_scores_are_not_a_lattice():
    y = np.asarray(NoisyQuadratic(0.5, 0.8, 2.0, 0.01).sample(jax.random.PRNGKey(0), (300,)))
    h, note = detect_resolution(y)
    assert h is None and "continuous" in note
    ties = np.concatenate([y, y[:60]])  # ties, but the gaps share no step
    assert detect_resolution(ties)[0] is None


def test_rounding_level_gaps_are_ties_not_a_lattice_step():
    """Scores one ulp apart (the same accuracy computed two ways) are one value: found on
    HPOBench's segment landscape, where a step of 1.1e-16 made every gap a multiple."""
    y = np.asarray(NoisyQuadratic(0.5, 0.8, 2.0, 0.01).sample(jax.random.PRNGKey(1), (200,)))
    twins = np.concatenate([y, np.nextafter(y[:40], np.inf), y[40:60]])
    h, note = detect_resolution(twins)
    assert h is None and "continuous" in note and "not multiples" in note
    lattice = lattice_search(steps=200)
    nudged = lattice.copy()
    nudged[::7] = np.nextafter(nudged[::7], np.inf)  # rounding noise on a real lattice
    assert detect_resolution(nudged)[0] == pytest.approx(1 / 200, rel=1e-9)


@pytest.mark.parametrize("bad", ["lattice", -0.1, 0.0, float("nan"), True, [0.1]])
def test_resolution_argument_is_checked(bad):
    with pytest.raises(ValueError, match="resolution must be None, a positive number or 'auto'"):
        parse_resolution(bad, np.arange(10.0))
    with pytest.raises(ValueError, match="resolution must be"):
        bayesnq.fit(lattice_search(), threshold=0.75, resolution=bad, progress_bar=False)


# ----------------------------------------------------------------------------- likelihood


def test_cell_probability_is_exact_in_both_tails():
    d = NoisyQuadratic(0.0, 1.0, 3.0, 0.01)
    # deep in the upper tail: P(lo < Y <= hi) where both cdfs round to 1
    lo, hi = 1.2, 1.21
    got = float(log_interval_prob(d, lo, hi))
    want = float(d.log_sf(lo)) + float(np.log1p(-np.exp(float(d.log_sf(hi) - d.log_sf(lo)))))
    assert np.isfinite(got) and got == pytest.approx(want, rel=1e-12)
    assert got < -150  # 20 noise sds beyond beta: far below any float difference of cdfs
    # in the body: matches the difference of the cdfs
    lo, hi = 0.4, 0.41
    direct = np.log(float(d.cdf(hi)) - float(d.cdf(lo)))
    assert float(log_interval_prob(d, lo, hi)) == pytest.approx(direct, rel=1e-10)
    # deep in the lower tail (below alpha)
    got = float(log_interval_prob(d, -0.3, -0.29))
    assert np.isfinite(got) and got < -100


def test_cells_shrink_to_the_density():
    d = NoisyQuadratic(0.2, 0.9, 1.5, 0.02)
    y = jnp.array([0.5, 0.85, 0.93])
    for h in (1e-4, 1e-6):
        cell = per_run_loglik(d, y, jnp.arange(3), 0.4, h)
        np.testing.assert_allclose(np.asarray(cell) - np.log(h), np.asarray(d.log_prob(y)),
                                   atol=5e-4 if h == 1e-4 else 5e-8)


def test_cell_gradients_are_finite_everywhere():
    def total(b):
        d = NoisyQuadratic(0.2, b, 1.5, 0.001)
        return per_run_loglik(d, jnp.array([0.5, 0.9, 0.95, 1.3]), jnp.arange(5), 0.45,
                              0.01).sum()

    g = jax.jit(jax.grad(total))(0.9)  # compiled once: faster than op by op
    assert np.isfinite(float(g))


def test_cell_cut_by_the_threshold_counts_its_tail_part():
    d = NoisyQuadratic(0.2, 0.9, 1.5, 0.02)
    # a score 0.002 above the threshold with cells of 0.01: its cell starts at the threshold
    got = per_run_loglik(d, jnp.array([0.502]), jnp.array([0]), 0.5, 0.01)
    want = log_interval_prob(d, 0.5, 0.507)
    assert float(got[0]) == pytest.approx(float(want), rel=1e-12)


def test_minimize_cells_mirror_maximize():
    y = lattice_search(steps=400)
    a = TailData.build(y, 0.7525, minimize=False, resolution=1 / 400)
    b = TailData.build(-y, -0.7525, minimize=True, resolution=1 / 400)
    np.testing.assert_allclose(a.arrays()["values"], b.arrays()["values"])
    np.testing.assert_allclose(a.consts, b.consts)
    assert a.consts.size == 5 and TailData.build(y, 0.7525, minimize=False).consts.size == 4


def test_cells_with_a_floor_keep_alpha_between_the_floor_and_the_threshold():
    """A resolution and a floor together: consts hold both (the gap, then the cell), and
    the tail model's alpha runs between the floor 0 and the threshold as the site goes
    from 0 to 1, its log density finite, in both directions."""
    from numpyro.infer.util import log_density

    from bayesnq.modeling import tail_model

    y = lattice_search(steps=400)
    for minimize in (False, True):
        v, t = (1 - y, 1 - 0.7525) if minimize else (y, 0.7525)
        data = TailData.build(v, t, minimize=minimize, bounds=(0.0, 1.0), resolution=1 / 400)
        # oriented threshold, scale, room below the best bound, gap above the worst, cell
        np.testing.assert_allclose(data.consts, [-t if minimize else t, data.scale,
                                                 1 - 0.7525, 0.7525, 1 / 400], rtol=1e-12)
        worst = "beta" if minimize else "alpha"
        ends = []
        for u in (1e-12, 0.3, 1 - 1e-9):
            params = {"beta_t": 0.3, "sigma_rel": 0.2, "q": u, "log_gamma": 0.5}
            lp, trace = log_density(tail_model, (data,), {}, params)
            assert np.isfinite(float(lp))
            ends.append(float(trace[worst]["value"]))
        if minimize:  # the worst end is beta, at most the floor 1 and beyond the threshold
            assert ends[0] == pytest.approx(1.0, abs=1e-9) and ends[2] == pytest.approx(t)
            assert np.all(np.diff(ends) < 0)
        else:
            assert ends[0] == pytest.approx(0.0, abs=1e-9) and ends[2] == pytest.approx(t)
            assert np.all(np.diff(ends) > 0)


# ----------------------------------------------------------------------------- fits


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_fit_with_auto_resolution_says_what_it_found():
    y = lattice_search(steps=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = bayesnq.fit(y, threshold=0.7525, resolution="auto", num_chains=2, num_warmup=150,
                        num_samples=150, progress_bar=False, check=False)
    assert f.resolution == pytest.approx(1 / 400)
    assert "lattice of step 0.0025" in f.resolution_note
    assert f.settings["target_accept_prob"] == 0.95  # the cell's edges: smaller steps
    # replicated searches lie on the lattice too
    pp = np.asarray(f.idata.posterior_predictive["y"]).reshape(-1)[:2000]
    np.testing.assert_allclose(pp * 400, np.round(pp * 400), atol=1e-6)
    assert f.summary().attrs["resolution"] == pytest.approx(1 / 400)
    pit = f.loo_pit()
    assert pit["n"] == f.data.tail.size and 0 <= pit["pit"].min() <= pit["pit"].max() <= 1


def lattice_coverage_over_seeds(n=400, steps=200, sigma=0.015, seeds=range(20)):
    """Lattice searches (a noisy-quadratic tail, a non-quadratic body, scores rounded to
    1/steps); count the 90% interval hits of beta and gamma with resolution='auto'."""
    truth = dict(alpha=0.55, beta=0.80, gamma=2.0, sigma=sigma)
    hits = {"beta": 0, "gamma": 0}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        d = NoisyQuadratic(**truth)
        tau = float(d.icdf(0.6))
        y = np.array(d.sample(jax.random.PRNGKey(100 + seed), (n,)))  # writable
        body = y <= tau
        y[body] = tau - rng.exponential(0.05, body.sum())
        y = np.round(y * steps) / steps
        tau = (np.floor(tau * steps) + 0.5) / steps  # halfway between lattice points
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = bayesnq.fit(y, threshold=tau, resolution="auto", n_hyperparameters=6,
                            num_chains=2, num_warmup=400, num_samples=400, progress_bar=False,
                            check=False, seed=seed)
        assert f.resolution == pytest.approx(1 / steps)
        draws = f.draws()
        for k in hits:
            lo, hi = np.quantile(draws[k], [0.05, 0.95])
            hits[k] += bool(lo <= truth[k] <= hi)
    return hits


@pytest.mark.slow
def test_lattice_interval_coverage_over_seeds():
    """90% intervals of beta and gamma cover at a rate consistent with 90% on lattice data.

    20 seeds, 400 runs, scores rounded to 1/200 (a cell of 0.005 against sigma 0.015, so
    most tail scores tie with others). Binomial(20, 0.9) puts 2.4% below 15 hits.
    """
    hits = lattice_coverage_over_seeds()
    print("lattice coverage hits", hits)
    assert hits["beta"] >= 15 and hits["gamma"] >= 15, hits


def test_cli_and_spec_take_a_resolution(tmp_path, capsys):
    from bayesnq import cli
    from bayesnq.cli.specs import UserError, load_spec

    assert cli.build_parser().parse_args(["fit", "--resolution", "AUTO"]).resolution == "auto"
    assert cli.build_parser().parse_args(["thresholds", "--resolution", "0.001"]).resolution \
        == 0.001
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["fit", "--resolution", "-1"])
    assert "positive number or 'auto'" in capsys.readouterr().err
    good = tmp_path / "good.toml"
    good.write_text('data = "deberta-v3"\nthreshold = 0.89\nresolution = "auto"\n')
    assert load_spec(good)["resolution"] == "auto"
    bad = tmp_path / "bad.toml"
    bad.write_text('data = "deberta-v3"\nthreshold = 0.89\nresolution = 0\n')
    with pytest.raises(UserError, match="resolution"):
        load_spec(bad)


def tied_search(m):
    """48 lattice runs (step 0.01 against sigma 0.002) with the best m tied at the top."""
    y = np.round(np.asarray(NoisyQuadratic(0.55, 0.80, 2.0, 0.002).sample(
        jax.random.PRNGKey(1), (48,))) * 100) / 100
    y[np.argsort(y)[-m:]] = y.max()
    return y, float(np.sort(y)[-25]) - 0.005


@pytest.mark.slow
@pytest.mark.parametrize("m", [2, 5, 10, 20])
def test_ties_at_the_top_keep_the_posterior_proper(m):
    """m runs tied at the best score: with the resolution the posterior is sampled well.

    With beta's coordinate bent at both edges of the best cell (``sample_beta``), seeds 0
    and 1 at m = 2, 5, 10, 20 had no divergent transitions in 4 x (1000 + 1000) draws at
    target acceptance 0.9 or 0.95; r-hat was <= 1.005 at 0.95 and 1.0109 once at 0.9
    (m = 5, seed 0), so the test asks for 0.95 (measured 2026-12-06). Bent at the best
    score alone, the same fits at 0.95 had 1 to 4 divergences at m = 5 and 20.
    """
    y, tau = tied_search(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = bayesnq.fit(y, threshold=tau, resolution=0.01, num_chains=4, num_warmup=1000,
                        num_samples=1000, target_accept_prob=0.95, progress_bar=False,
                        check=False)
    diag = f.diagnostics()
    assert max(diag["r_hat"].values()) <= 1.01, diag
    assert diag["divergences"] == 0, diag
    sigma = f.draws()["sigma"]
    assert np.quantile(sigma, 0.05) > 1e-4  # not piled against sigma = 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 4, 5])
def test_tiny_tied_error_rates_with_a_floor_sample_without_divergences(seed):
    """A 48-run lattice search as error rates, minimized with ``bounds=(0, 1)`` and every
    other setting the default: the floor at 1 lets a chain reach gamma 0.2-0.5 with the
    worst end near 1. With numpyro's own coordinate for the capped log gamma, sampler
    seeds 0, 4 and 5 of this search gave 19, 1 and 1 divergent transitions (r-hat 1.0247
    at seed 0); with ``gamma_support``'s, none, and r-hat <= 1.0045 at seeds 0-8
    (2026-12-07, docs/ties.md)."""
    from bayesnq.calibration.lattice import simulate_lattice_search

    s = simulate_lattice_search(48, 500, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = bayesnq.fit(1.0 - np.asarray(s.scores), minimize=True, threshold=1.0 - s.threshold,
                        resolution="auto", n_hyperparameters=6, bounds=(0.0, 1.0), seed=seed,
                        progress_bar=False, check=False)
    diag = f.diagnostics()
    assert diag["divergences"] == 0, diag
    assert max(diag["r_hat"].values()) <= 1.01, diag


@pytest.mark.slow
def test_ties_without_the_resolution_make_the_posterior_improper():
    """The same 20 ties as densities: sigma runs to 0 and beta onto the tied score."""
    y, tau = tied_search(20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = bayesnq.fit(y, threshold=tau, num_chains=4, num_warmup=500, num_samples=500,
                        progress_bar=False, check=False)
    draws = f.draws()
    assert np.median(draws["sigma"]) < 1e-6
    assert np.median(np.abs(draws["beta"] - y.max())) < 1e-6


# ----------------------------------------------------------------------------- lattice simulator


def test_lattice_simulator_scores_a_search_on_a_validation_set():
    from bayesnq.calibration.lattice import heavy_tie_truth, simulate_lattice_search

    for n, n_examples in [(48, 500), (1024, 10_000)]:
        s = simulate_lattice_search(n, n_examples, seed=3)
        assert s.n == n and s.scores.shape == (n,)
        k = s.scores * n_examples  # correct counts
        np.testing.assert_allclose(k, np.round(k), atol=1e-9)
        # the threshold lies half-way between two scores, so none sits on it
        assert abs(s.threshold * n_examples % 1 - 0.5) < 1e-9
        assert detect_resolution(s.scores)[0] == pytest.approx(1 / n_examples, rel=1e-6)
        assert s.truth == heavy_tie_truth(n, n_examples)
        assert abs(s.tail.size / n - s.tail_fraction) < 4 * np.sqrt(0.25 / n)
        assert 0.25 < s.tail_fraction < 0.45  # near the asked 0.35 after snapping
    # heavy ties: over a few seeds the best score is shared, and the tail has few values
    tops = [simulate_lattice_search(1024, 719, seed=i).ties_at_top for i in range(4)]
    assert max(tops) >= 3
    s = simulate_lattice_search(1024, 719, seed=0)
    assert np.unique(s.tail).size < s.tail.size / 4
    # the same seed gives the same search; another seed another one
    np.testing.assert_array_equal(s.scores, simulate_lattice_search(1024, 719, seed=0).scores)
    assert not np.array_equal(s.scores, simulate_lattice_search(1024, 719, seed=1).scores)


def test_lattice_simulator_tail_follows_the_truth():
    """Before rounding the tail is the noisy quadratic: compare the rounded tail's cdf with
    the truth's cells (KS distance of the binned tail, loose for the lattice)."""
    from bayesnq.calibration.lattice import simulate_lattice_search

    s = simulate_lattice_search(4000, 2000, seed=5, tail_fraction=0.5)
    d = NoisyQuadratic(**s.truth)
    cells = np.unique(s.tail)
    empirical = np.searchsorted(np.sort(s.tail), cells, side="right") / s.tail.size
    f_tau = float(d.cdf(s.threshold))
    model = (np.asarray(d.cdf(cells + 0.5 / s.n_examples)) - f_tau) / (1 - f_tau)
    assert np.max(np.abs(empirical - model)) < 1.63 / np.sqrt(s.tail.size)  # KS 1%


def test_lattice_simulator_retrains_with_the_seed_noise():
    from bayesnq.calibration.lattice import simulate_lattice_search

    truth = dict(alpha=0.6, beta=0.8, gamma=2.0, sigma=0.01)
    s = simulate_lattice_search(64, 10_000, truth=truth, seed=2)
    best = int(np.argmax(s.scores))
    again = s.retrain(best, 4000, np.random.default_rng(0))
    assert np.std(again) == pytest.approx(np.sqrt(0.01**2 + 1e-8 / 12), rel=0.05)
    assert np.mean(again) == pytest.approx(s.quality[best], abs=5e-4)
    b = simulate_lattice_search(64, 10_000, truth=truth, seed=2, counts="binomial")
    again = b.retrain(best, 4000, np.random.default_rng(0))
    p = b.quality[best]
    assert np.std(again) == pytest.approx(np.sqrt(0.01**2 + p * (1 - p) / 10_000), rel=0.05)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=4), "n must be an integer >= 8"),
    (dict(n_examples=1), "n_examples must be an integer >= 2"),
    (dict(tail_fraction=1.0), r"tail_fraction must be a number in \(0, 1\)"),
    (dict(counts="poisson"), "counts must be one of 'round', 'binomial'"),
    (dict(truth=dict(alpha=0.9, beta=0.8, gamma=2.0, sigma=0.01)), "truth must be 0 <= alpha"),
    (dict(truth=dict(beta=0.8)), "truth must be a mapping"),
])
def test_lattice_simulator_arguments_are_checked(kwargs, match):
    from bayesnq.calibration.lattice import simulate_lattice_search

    args = dict(n=48, n_examples=500) | kwargs
    with pytest.raises(ValueError, match=match):
        simulate_lattice_search(**args)


@pytest.mark.slow  # 81 s of CPU, mostly compiling the sampler (2026-12-05, loaded machine)
def test_small_lattice_fit_is_sampled_and_recorded():
    """A small fit of a 48-run tied search: resolution found, record complete."""
    from bayesnq.calibration.lattice import (fit_lattice_search, lattice_record,
                                             simulate_lattice_search)

    s = simulate_lattice_search(48, 500, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = fit_lattice_search(s, num_chains=1, num_warmup=150, num_samples=150)
    assert f.resolution == pytest.approx(1 / 500)
    rec = lattice_record(s, f)
    assert rec["ties_at_top"] == s.ties_at_top and rec["tail"] == s.tail.size
    for k in ("beta", "gamma", "sigma"):
        assert 0 < rec[f"{k}_lo"] < rec[f"{k}_hi"]
    assert rec["sigma_lo"] > 1e-5  # the tied top does not pull sigma to 0
    assert rec["retrain_sd"] >= 0 and np.isfinite(rec["ess_beta"])


def test_default_target_acceptance_follows_the_model():
    """0.9 for continuous scores at a fixed threshold; 0.95 where the posterior has sharper
    features (an inferred threshold, a resolution)."""
    from bayesnq.inference import default_target_accept

    assert default_target_accept(inferred_threshold=False, resolution=None) == 0.9
    assert default_target_accept(inferred_threshold=False, resolution=1 / 500) == 0.95
    assert default_target_accept(inferred_threshold=True, resolution=None) == 0.95
    assert default_target_accept(inferred_threshold=True, resolution=1 / 500) == 0.95


@pytest.mark.parametrize("resolution, given, expected", [
    (None, None, 1000), (0.01, None, 2000), ("auto", None, 2000), (0.01, 300, 300)])
def test_default_draws_follow_the_resolution(monkeypatch, resolution, given, expected):
    """fit() draws 2,000 per chain for scores with a resolution unless told otherwise (r-hat
    went over 1.01 at 1,000 now and then on tied scores), 1,000 for continuous scores."""
    import importlib
    from types import SimpleNamespace

    from bayesnq.inference import default_num_samples

    fit_module = importlib.import_module("bayesnq.inference.fit")

    assert default_num_samples(resolution=None) == 1000
    assert default_num_samples(resolution=1 / 500) == 2000
    seen = {}

    def stand_in(data, values, threshold, **settings):  # records what the sampler would get
        seen.update(settings)
        return SimpleNamespace(settings={})

    monkeypatch.setattr(fit_module, "fit_at_threshold", stand_in)
    out = bayesnq.fit(lattice_search(), threshold=0.75, resolution=resolution, num_samples=given, check=False,
                      progress_bar=False)
    assert seen["num_samples"] == expected == out.settings["num_samples"]


@pytest.mark.parametrize("resolution, expected", [(None, 0.9), (1 / 400, 0.95), ("auto", 0.95)])
def test_compare_thresholds_follows_the_target_rule(monkeypatch, resolution, expected):
    """compare_thresholds fits each candidate at fit()'s target acceptance for a fixed
    threshold: 0.95 for scores with a resolution, 0.9 without (the sampler call is
    replaced by one that records its settings and stops)."""
    import importlib

    compare_module = importlib.import_module("bayesnq.inference.compare")
    seen = []

    class Stop(Exception):
        pass

    def stand_in(*args, **settings):
        seen.append((settings["target_accept_prob"], settings["resolution"]))
        raise Stop

    monkeypatch.setattr(compare_module, "fit_at_threshold", stand_in)
    with pytest.raises(Stop):
        bayesnq.compare_thresholds(lattice_search(), [0.7, 0.75], resolution=resolution,
                                   progress=False)
    assert seen[0][0] == expected
    assert (seen[0][1] is None) == (resolution is None)

def binomial_floor(n, level=0.9, alpha=0.01):
    """Smallest hit count out of n that a one-sided test at ``alpha`` does not reject for
    coverage ``level``: the alpha quantile of Binomial(n, level)."""
    from scipy.stats import binom

    return int(binom.ppf(alpha, n, level))


def test_binomial_floor_is_the_lower_quantile():
    from scipy.stats import binom

    k = binomial_floor(20)
    assert binom.cdf(k, 20, 0.9) >= 0.01 > binom.cdf(k - 1, 20, 0.9)


LATTICE_SIZES = (128, 256, 512)
LATTICE_EXAMPLES = (500, 1000, 2000, 5000, 10_000)


@pytest.mark.slow
def test_lattice_simulator_coverage_of_beta_gamma_and_sigma_over_20_seeds():
    """Heavily tied searches of 128-512 runs on 500-10,000 validation examples, fixed
    threshold, resolution='auto', 2 chains x (300 + 300), tails padded to 64 distinct
    scores so that each size compiles once: the 90% intervals of beta, gamma
    and sigma (the simulator's seed noise) cover the truth at a rate the binomial(20, 0.9)
    does not reject at 1% one-sided (binomial_floor: P(X <= 14) = 1.1%, so 14 of 20)."""
    from bayesnq.calibration.lattice import (fit_lattice_search, lattice_record,
                                             simulate_lattice_search)

    seeds = range(20)
    records = []
    for seed in seeds:
        s = simulate_lattice_search(LATTICE_SIZES[seed % 3], LATTICE_EXAMPLES[seed % 5],
                                    seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = fit_lattice_search(s, seed=seed, tail_size=64)  # one compiled sampler a size
        rec = lattice_record(s, f, seed=seed)
        records.append(rec)
        print("lattice seed", seed, {k: (round(v, 6) if isinstance(v, float) else v)
                                     for k, v in rec.items()}, flush=True)
    hits = {k: sum(r[f"{k}_covers"] for r in records) for k in ("beta", "gamma", "sigma")}
    retrain = sum(r["sigma_covers_retrain"] for r in records)
    floor = binomial_floor(len(records))
    print("lattice coverage hits", hits, "of", len(records), "floor", floor,
          "sigma covers the 10-seed re-training sd", retrain,
          "max r-hat", max(r["max_r_hat"] for r in records),
          "divergences", sum(r["divergences"] for r in records))
    assert all(h >= floor for h in hits.values()), (hits, floor)
