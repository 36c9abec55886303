"""The censored tail model and its NUTS fit (small runs; the long studies are slow-marked)."""

import os
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesnq
from bayesnq import NoisyQuadratic, arviz_compat
from bayesnq.modeling import Priors, TailData, padded_size, per_run_loglik

TRUTH = dict(alpha=0.55, beta=0.80, gamma=2.0, sigma=0.004)


def simulate(seed, n=400, tail_share=0.4, truth=TRUTH):
    """Random search: a noisy-quadratic tail beyond tau and a non-quadratic body below it."""
    rng = np.random.default_rng(seed)
    d = NoisyQuadratic(**truth)
    tau = float(d.icdf(1 - tail_share))
    y = np.array(d.sample(jax.random.PRNGKey(seed), (n,)))
    body = y <= tau
    # replace the body by something that is not noisy-quadratic (bimodal, far below)
    y[body] = np.where(rng.random(body.sum()) < 0.5, rng.uniform(0.0, 0.1, body.sum()),
                       tau - rng.exponential(0.05, body.sum()))
    return y, tau


@pytest.fixture(scope="module")
def sim_fit():
    y, tau = simulate(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesnq.DiagnosticsWarning)
        f = bayesnq.fit(y, threshold=tau, n_hyperparameters=6, num_chains=2, num_warmup=300,
                        num_samples=300, progress_bar=False)
    return f, y, tau


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_fit_recovers_known_parameters(sim_fit):
    f, _, _ = sim_fit
    d = f.draws()
    for name in ("beta", "gamma", "sigma"):
        lo, hi = np.quantile(d[name], [0.025, 0.975])
        assert lo <= TRUTH[name] <= hi, (name, lo, hi)
    # the tail mass matches the share of runs in the tail
    assert abs(np.median(d["tail_mass"]) - 0.4) < 0.08


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_idata_groups_and_pointwise_loglik(sim_fit):
    f, y, tau = sim_fit
    idata = f.idata
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data",
                  "posterior_predictive"):
        assert hasattr(idata, group), group
    ll = idata.log_likelihood["y"]
    assert ll.shape == (2, 300, y.size)
    # censored runs all carry log F(tau), tail runs log f(y)
    below = y <= tau
    first = np.asarray(ll.isel(chain=0, draw=0))
    assert np.allclose(first[below], first[below][0])
    p = {k: float(idata.posterior[k].isel(chain=0, draw=0)) for k in ("alpha", "beta", "gamma", "sigma")}
    dist = NoisyQuadratic(**p)
    assert np.allclose(first[~below], np.asarray(dist.log_prob(y[~below])), rtol=1e-10)
    assert np.isclose(first[below][0], float(dist.log_cdf(tau)), rtol=1e-10)
    assert idata.posterior_predictive["y"].shape == (2, 300, y.size)
    loo = arviz_compat.loo(idata)
    assert np.isfinite(loo.elpd_loo)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_summary_table(sim_fit):
    f, _, tau = sim_fit
    df = f.summary()
    assert list(df.index)[:5] == ["beta", "gamma", "sigma", "alpha", "tail_mass"]
    assert {"mean", "sd", "median", "lower", "upper", "ess", "r_hat", "meaning"} <= set(df.columns)
    assert df.loc["beta", "lower"] < df.loc["beta", "upper"]
    assert df.attrs["threshold"] == tau


@pytest.mark.slow  # full fits: the slow tier
def test_truncated_likelihood_alone_leaves_alpha_unidentified():
    """Beyond tau, the truncated density barely depends on alpha; the censored term does."""
    y, tau = simulate(2)
    tail = y[y > tau]
    n_below = int((y <= tau).sum())
    beta, gamma, sigma = TRUTH["beta"], TRUTH["gamma"], TRUTH["sigma"]
    alphas = jnp.array([-2.0, 0.0, 0.3, TRUTH["alpha"]])
    d = NoisyQuadratic(alphas[:, None], beta, gamma, sigma)
    truncated = d.log_prob(tail).sum(-1) - tail.size * d.log_sf(tau)[:, 0]
    censored = truncated + tail.size * d.log_sf(tau)[:, 0] + n_below * d.log_cdf(tau)[:, 0]
    assert float(jnp.ptp(truncated)) < 0.5  # flat in alpha over a range of 2.5 units
    assert float(jnp.ptp(censored)) > 50.0  # the binomial term pins alpha down


@pytest.mark.slow  # full fits: the slow tier
def test_minimize_is_the_mirror_image():
    y, tau = simulate(3, n=200)
    kw = dict(num_chains=1, num_warmup=150, num_samples=150, progress_bar=False, check=False)
    fmax = bayesnq.fit(y, threshold=tau, **kw)
    fmin = bayesnq.fit(-y, threshold=-tau, minimize=True, **kw)
    a, b = fmax.draws(), fmin.draws()
    np.testing.assert_allclose(a["beta"], -b["alpha"], rtol=1e-9)
    np.testing.assert_allclose(a["alpha"], -b["beta"], rtol=1e-9)
    np.testing.assert_allclose(a["gamma"], b["gamma"], rtol=1e-9)
    assert fmin.best_name == "alpha"


@pytest.mark.slow  # three fits, 65 s (the fast tier tests the floor through the model)
def test_the_worst_bound_is_a_floor_on_the_quadratic_part():
    """With the metric's bounds, the quadratic part stays in its range: alpha >= low when
    maximizing, beta <= high when minimizing (here in units of 1e9). Without them, a
    search with 8 runs beyond tau puts alpha far below every score."""
    y, tau = simulate(5, n=60, tail_share=0.25)
    kw = dict(num_chains=1, num_warmup=200, num_samples=200, progress_bar=False, check=False,
              seed=1)
    free = bayesnq.fit(y, threshold=tau, **kw).draws()["alpha"]
    assert np.mean(free < 0) > 0.1  # what the floor is for
    up = bayesnq.fit(y, threshold=tau, bounds=(0.0, 1.0), **kw).draws()["alpha"]
    assert up.min() >= 0.0
    z = 3e9 - 1e9 * y  # the same search minimized, worst bound 3e9
    down = bayesnq.fit(z, threshold=3e9 - 1e9 * tau, minimize=True, bounds=(None, 3e9),
                       **kw).draws()["beta"]
    assert down.max() <= 3e9
    assert abs(np.median(up) - np.median((3e9 - down) / 1e9)) < 0.05


def test_floor_gap_and_the_site_between_the_floor_and_the_threshold():
    from bayesnq.modeling import derive_alpha

    y, tau = simulate(5, n=60, tail_share=0.25)
    assert TailData.build(y, tau, minimize=False, bounds=(0.0, 1.0)).floor_gap == tau
    assert TailData.build(y, tau, minimize=False, bounds=(None, 1.0)).floor_gap is None
    assert TailData.build(y, tau, minimize=False, bounds=(-np.inf, 1.0)).floor_gap is None
    # a threshold at the bound leaves alpha free (L <= alpha < tau cannot hold)
    assert TailData.build(y, 0.0, minimize=False, bounds=(0.0, 1.0)).floor_gap is None
    z = 3e9 - 1e9 * y
    data = TailData.build(z, 3e9 - 1e9 * tau, minimize=True, bounds=(None, 3e9))
    assert data.floor_gap == pytest.approx(1e9 * tau, rel=1e-12)
    assert data.lower_bound == -3e9  # oriented
    # the site runs alpha from the floor (0) to the threshold (1)
    beta, gamma, t, gap = 0.8, 1.3, 0.6, 0.7
    ends = [float(derive_alpha(beta, gamma, u, t, gap)) for u in (0.0, 1.0)]
    assert ends == pytest.approx([t - gap, t], rel=1e-12)


@pytest.mark.slow  # full fits: the slow tier
def test_integer_gamma_mode_and_bounds():
    y, tau = simulate(4, n=200)
    f = bayesnq.fit(y, threshold=tau, n_hyperparameters=4, gamma="integer", num_chains=1,
                    bounds=(0.0, 0.805), num_warmup=150, num_samples=150, progress_bar=False,
                    check=False)
    assert f.draws()["beta"].max() < 0.805
    p = f.gamma_probabilities()
    assert set(p) == {1, 2, 3, 4}
    assert abs(sum(p.values()) - 1) < 1e-9
    assert max(p, key=p.get) == 2
    g = f.draws()["gamma"]
    assert set(np.unique(g)) <= {1.0, 2.0, 3.0, 4.0}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(threshold="best"), "threshold"),
        (dict(threshold=0.99), "fewer than 5|threshold"),
        (dict(threshold=0.5, gamma="discrete"), "gamma"),
        (dict(threshold=0.5, gamma="integer"), "n_hyperparameters"),
        (dict(threshold=0.5, num_chains=0), "num_chains"),
    ],
)
def test_argument_errors(kwargs, match):
    y, _ = simulate(6, n=100)
    with pytest.raises(ValueError, match=match):
        bayesnq.fit(y, progress_bar=False, **kwargs)


def test_taildata_orientation():
    y = np.array([0.1, 0.2, 0.3, 0.9, 0.95])
    d = TailData.build(y, 0.25, minimize=True, bounds=(0.0, 1.0))
    assert d.n_below == 3 and d.tail.size == 2
    assert np.allclose(np.sort(d.tail), [-0.2, -0.1])
    assert d.upper_bound == -0.0


def test_tied_scores_share_one_density_evaluation():
    """The one likelihood with distinct scores equals the density at every run."""
    from bayesnq.modeling import distinct_layout, per_run_loglik

    d = NoisyQuadratic(0.55, 0.80, 1.7, 0.004)
    y = np.round(np.linspace(0.70, 0.81, 40), 2)  # rounded scores: 12 distinct values
    values, run_index = distinct_layout(y, np.arange(y.size), y.size)
    assert values.size == 12
    got = np.asarray(per_run_loglik(d, values, run_index, 0.7))
    np.testing.assert_array_equal(got, np.asarray(d.log_prob(jnp.asarray(y))))

    def total(b, distinct):
        nq = NoisyQuadratic(0.55, b, 1.7, 0.004)
        if distinct:
            return per_run_loglik(nq, values, run_index, 0.7).sum()
        return nq.log_prob(jnp.asarray(y)).sum()

    grad = jax.jit(jax.grad(total), static_argnums=1)  # compiled: ~5 s less than op by op
    g1, g2 = grad(0.8, True), grad(0.8, False)
    assert np.isclose(float(g1), float(g2), rtol=1e-10)


def test_counted_likelihood_with_ties_and_cells_matches_the_per_run_sum():
    """Tied lattice scores, cell probabilities, padding: the counted sum is the runs' sum."""
    from bayesnq.modeling.likelihood import counted_loglik

    rng = np.random.default_rng(11)
    y = np.round(0.9 - 0.2 * rng.random(300) ** 0.6 + 0.003 * rng.standard_normal(300), 3)
    t = 0.86
    nq = NoisyQuadratic(0.62, 0.905, 1.4, 0.004)
    data = TailData.build(y, t, minimize=False, resolution=1e-3)
    a = data.arrays()
    per_run = float(per_run_loglik(nq, a["values"], a["run_index"], t, 1e-3).sum())
    s = data.sampler_arrays()
    assert s["values"].size == padded_size(data.n_distinct) >= data.n_distinct
    assert s["counts"].sum() == data.tail.size and s["n_below"] == data.n_below
    assert (s["counts"][data.n_distinct:] == 0).all()
    got = float(counted_loglik(nq, s["values"], s["counts"], s["n_below"], t, 1e-3))
    np.testing.assert_allclose(got, per_run, rtol=1e-12)


def test_padded_size_rounds_up_by_at_most_an_eighth():
    sizes = [padded_size(k) for k in range(1, 5000)]
    for k, size in zip(range(1, 5000), sizes):
        assert k <= size <= k + k / 8, (k, size)
    assert sizes == sorted(sizes)  # monotone: a larger tail never pads shorter
    assert padded_size(93) == 96 and padded_size(104) == 104 and padded_size(157) == 160


def test_every_consumer_sums_the_same_censored_likelihood():
    """Tail model, threshold model, calibration engine and importance SBC agree."""
    from bayesnq.calibration.sbc import _censored_log_likelihood
    from bayesnq.modeling import (SplicedData, candidate_logliks, loglik_draws, per_run_loglik,
                                  runs_beyond)
    from bayesnq.modeling.likelihood import counted_loglik

    y, tau = simulate(5, n=90)
    p = (0.5, 0.81, 2.2, 0.006)
    nq = NoisyQuadratic(*p)
    grid = np.array([tau - 0.02, tau, tau + 0.02])
    sp = SplicedData.build(y, grid, minimize=False)
    per_candidate = np.asarray(candidate_logliks(nq, sp.tail_sorted, sp.n_tail, sp.thresholds,
                                                 sp.n))
    # every tail padded to one size (the padding is never indexed), so that the eager
    # per_run_loglik calls below run on one shape: compiled once, not once per threshold
    size = max(TailData.build(y, t, minimize=False).n_distinct for t in sp.thresholds)
    for j, t in enumerate(sp.thresholds):
        data = TailData.build(y, t, minimize=False)
        a = data.arrays(size)
        ll = np.asarray(per_run_loglik(nq, a["values"], a["run_index"], t))
        assert ll.shape == (y.size,)
        np.testing.assert_allclose(ll.sum(), per_candidate[j], rtol=1e-12)
    # at the middle candidate: stored pointwise values, one entry per run, importance SBC
    t = float(sp.thresholds[1])
    a = TailData.build(y, t, minimize=False).arrays(size)
    ll = np.asarray(per_run_loglik(nq, a["values"], a["run_index"], t))
    draws = loglik_draws(tuple(jnp.full(2, x) for x in p), a["values"], a["run_index"], t)
    np.testing.assert_allclose(np.asarray(draws)[1], ll, rtol=1e-13)
    # the tail model's sum: each distinct score once, times its count (padded arrays)
    for pad in (None, size + 5):
        s = TailData.build(y, t, minimize=False).sampler_arrays(pad)
        counted = float(counted_loglik(nq, s["values"], s["counts"], s["n_below"], t))
        np.testing.assert_allclose(counted, ll.sum(), rtol=1e-12)
    values, run_index = runs_beyond(jnp.asarray(y), jnp.asarray(y) > t, t + 1.0)
    one_per_run = float(per_run_loglik(nq, values, run_index, t).sum())
    np.testing.assert_allclose(one_per_run, ll.sum(), rtol=1e-12)
    imp = _censored_log_likelihood(jnp.asarray(y), t, *(jnp.full(2, x) for x in p))
    np.testing.assert_allclose(np.asarray(imp), ll.sum(), rtol=1e-12)


def coverage_over_seeds(n, sigma, seeds=range(20)):
    """Fit simulated searches; count 90% interval hits and average the PIT of the truth."""
    truth = dict(TRUTH, sigma=sigma)
    hits = {"beta": 0, "gamma": 0}
    pit = {"beta": 0.0, "gamma": 0.0, "sigma": 0.0}
    for seed in seeds:
        y, tau = simulate(100 + seed, n=n, truth=truth)
        f = bayesnq.fit(y, threshold=tau, n_hyperparameters=6, num_chains=2, num_warmup=400,
                        num_samples=400, progress_bar=False, check=False, seed=seed)
        d = f.draws()
        for k in hits:
            lo, hi = np.quantile(d[k], [0.05, 0.95])
            hits[k] += bool(lo <= truth[k] <= hi)
        for k in pit:
            pit[k] += float(np.mean(d[k] < truth[k])) / len(seeds)
    return hits, pit


@pytest.mark.slow
@pytest.mark.parametrize("n, sigma", [(400, 0.015), (1600, 0.004)])
def test_interval_coverage_over_seeds(n, sigma):
    """90% intervals of beta and gamma cover the truth at a rate consistent with 90%.

    Two truths: sigma = 0.015 (sigma/d about 0.15, in the bulk of the sigma prior) with 400
    runs, and sigma = 0.004 (sigma/d about 0.04, the prior's 6th percentile) with 1600.
    Measured 2026-11-24: beta 19/20 and gamma 19/20 (mean PIT of the truth 0.53, 0.56,
    sigma 0.50), and 19/20, 19/20 (0.61, 0.63, 0.41); 2026-11-25, with the data passed to
    the sampler as arguments: 20/20, 19/20 (0.52, 0.56, 0.50) and 19/20, 19/20 (0.61,
    0.63, 0.41). The small-noise truth with only 400
    runs covers beta 14/20 and gamma 15/20 (mean PIT 0.72, 0.72, sigma 0.28): the prior
    still pulls sigma up and beta, gamma down there, and the pull fades as runs are added
    (PIT 0.72 -> 0.61 from 400 to 1600 runs), as a prior's should; a likelihood error
    would not fade.
    """
    hits, pit = coverage_over_seeds(n, sigma)
    print(f"coverage of 90% intervals over 20 seeds (n={n}, sigma={sigma}):", hits,
          "mean PIT of the truth:", {k: round(v, 2) for k, v in pit.items()})
    # Binomial(20, 0.9): P(X <= 14) = 0.011
    for k, h in hits.items():
        assert h >= 15, (k, h)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, tau, beta, gamma",
    [("deberta-v3", 0.89, 0.905, 1.0), ("alexnet", 0.50, 0.582, 2.0)],
)
def test_bundled_data_agree_with_opda(name, tau, beta, gamma):
    s = bayesnq.datasets.load(name)
    f = bayesnq.fit(s, threshold=tau, progress_bar=False, check=False)
    d = f.draws()
    print(name, f.summary().to_string())
    # the issue's own bar on the bundled data: r-hat <= 1.01, bulk ESS >= 400, no divergences
    assert f.check() == [], f.check()
    assert abs(np.median(d["beta"]) - beta) < 0.003
    lo, hi = np.quantile(d["gamma"], [0.05, 0.95])
    assert lo <= gamma <= hi or abs(np.median(d["gamma"]) - gamma) < 0.5


@pytest.mark.parametrize("resolution", [None, 0.04])
@pytest.mark.parametrize("bound", [None, 1.0])
@pytest.mark.parametrize("sigma_rel", [1e-3, 0.05, 0.5, 3.0])
def test_beta_coordinate_keeps_the_prior_of_beta(bound, sigma_rel, resolution):
    """beta_t is a change of variables: exp(beta_prior factor) integrates to 1 over t; the
    wall (the best score, or with a resolution the lower edge of its cell) lies a little
    below t = 0, and three noise sigmas at each wall span one to four units of t."""
    from numpyro import handlers

    from bayesnq.modeling import sample_beta

    d, t0 = 0.1, 0.8
    room = (bound - t0) if bound is not None else 1.0
    half = 0.0 if resolution is None else 0.5 * resolution
    sigma = sigma_rel * d

    def model():
        return sample_beta(t0, d, room, sigma_rel, Priors(), bounded=bound is not None,
                           resolution=resolution)

    def factor_and_beta(t):
        with handlers.trace() as tr:
            beta = handlers.substitute(model, data={"beta_t": t})()
        return tr["beta_prior"]["fn"].log_prob(0.0), beta

    def slope(delta):  # dz / d(delta)
        return 1 / (delta * (1 - delta / room)) if bound is not None else 1 / delta

    a = min(sigma * slope(d - half), 1.0)
    top = 12.0 if resolution is None else 22.0
    grid = np.concatenate([np.linspace(-12 / a, -3, 200_001)[:-1],
                           np.linspace(-3, top, 200_001)])
    logp, beta = jax.vmap(factor_and_beta)(jnp.asarray(grid))
    logp, beta = np.asarray(logp), np.asarray(beta)
    assert np.all(np.isfinite(logp)) and np.all(np.diff(beta) > 0)
    total = np.trapezoid(np.exp(logp), grid)
    assert abs(total - 1.0) < 1e-4, total
    t_low = np.interp(t0 + d - half, beta, grid)
    assert -3.0 < t_low <= 1e-6, t_low
    if 3 * sigma < 0.5 * (d - half):
        below = np.interp(t0 + d - half - 3 * sigma, beta, grid)
        assert 0.5 < t_low - below < 4.0, (t_low, below)
    if resolution is not None:  # the cell spans a few units; the upper wall is as wide
        t_high = np.interp(t0 + d + half, beta, grid)
        if 3 * sigma < half:
            assert 2.0 < t_high - t_low < 7.0, (t_low, t_high)
            above = np.interp(t0 + d + half + 3 * sigma, beta, grid)
            assert 0.5 < above - t_high < 4.0, (t_high, above)


@pytest.mark.slow  # full fits: the slow tier
def test_fits_of_the_same_shapes_share_one_compiled_sampler():
    """The data reach the sampler as arguments: new values of the same shapes compile nothing.

    A dataset shifted by a constant (threshold too) has the same tail membership and the
    same number of distinct tail scores; its fit must find every compiled program in the
    compilation cache (before, the data were built into the program: ~7 s to compile).
    """
    folder = jax.config.jax_compilation_cache_dir
    if os.environ.get("BAYESNQ_CACHE_DIR", "").lower() in ("off", "0", "none") or not folder:
        pytest.skip("the compilation cache is off")
    y, tau = simulate(11, n=150)
    kw = dict(n_hyperparameters=4, num_chains=2, num_warmup=37, num_samples=23,
              progress_bar=False, check=False)

    def files():
        return set(os.listdir(folder)) if os.path.isdir(folder) else set()

    before = files()
    first = bayesnq.fit(y, threshold=tau, **kw)
    added = files() - before
    assert added, "the first fit wrote no compiled program"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = bayesnq.fit(y + 0.01, threshold=tau + 0.01, seed=1,
                             **dict(kw, progress_bar=True))
    assert files() - before == added, "a fit of the same shapes compiled its sampler again"
    # numpyro turns progress bars off (with a warning) for a callable chain_method
    assert not [w for w in caught if "progress bar" in str(w.message)]
    # and it is the second dataset's posterior: beta moved with the data
    shift = np.median(second.draws()["beta"]) - np.median(first.draws()["beta"])
    assert abs(shift - 0.01) < 0.01


def test_tail_arrays_map_every_run_and_pad():
    y, tau = simulate(3, n=120)
    data = TailData.build(y, tau, minimize=False, bounds=(-0.5, 1.0))
    k = data.n_distinct
    for size in (None, k + 5):
        a = data.arrays(size)
        assert a["values"].size == (k if size is None else size)
        below = a["run_index"] == a["values"].size
        np.testing.assert_array_equal(np.flatnonzero(below), data.index_below)
        np.testing.assert_array_equal(a["values"][a["run_index"][~below]], data.tail)
        # threshold, scale, room below the bound, gap above the floor
        np.testing.assert_allclose(a["consts"], [tau, data.scale, 1.0 - tau, tau + 0.5])
    with pytest.raises(ValueError, match=f"size must be at least {k}"):
        data.arrays(k - 1)


def test_compiled_programs_dropped_near_the_memory_map_limit():
    """Near vm.max_map_count, long loops free JAX's compiled programs (else XLA crashes)."""
    from bayesnq.runtime import release_compiled_programs

    if not os.path.exists("/proc/self/maps"):
        pytest.skip("no /proc on this system")
    f = jax.jit(lambda x: x * 2.0)
    f(1.0)
    assert f._cache_size() == 1
    assert not release_compiled_programs(limit=10**9)  # far from the limit: nothing is dropped
    assert f._cache_size() == 1
    assert release_compiled_programs(limit=10)  # any process holds more than 6 maps
    assert f._cache_size() == 0


def test_gamma_coordinate_keeps_the_truncated_prior_and_is_log_gamma_below_the_cap():
    """The site log_gamma keeps the truncated normal prior; NUTS's coordinate x for it is
    log gamma itself far below the cap (slope near 1, where numpyro's map for an upper
    bound has slope cap - log gamma and stretches the posterior's curvature by its
    square); the prior pushed to x integrates to 1."""
    import numpyro.distributions as dist
    from numpyro import handlers
    from numpyro.distributions.transforms import biject_to

    from bayesnq.modeling import gamma_support, sample_gamma, to_unconstrained

    cap = float(np.log(6.0))
    with handlers.trace() as tr:
        handlers.seed(lambda: sample_gamma(Priors(), 6), 0)()
    site = tr["log_gamma"]["fn"]
    reference = dist.TruncatedNormal(np.log(2.0), 1.0, high=cap)
    values = jnp.linspace(-6.0, cap - 1e-6, 101)
    assert np.allclose(site.log_prob(values), reference.log_prob(values), atol=1e-12)
    transform = biject_to(site.support)
    x = jnp.linspace(-40.0, 30.0, 400_001)
    y = transform(x)
    steps = np.diff(np.asarray(y))
    assert np.all(np.asarray(y) <= cap) and np.all(steps >= 0)
    assert np.all(steps[np.asarray(y)[1:] < cap - 1e-6] > 0)
    log_slope = np.asarray(transform.log_abs_det_jacobian(x, y))
    far = np.asarray(y) < cap - 3.0
    assert np.all(np.abs(np.exp(log_slope[far]) - 1.0) < 0.05), np.exp(log_slope[far]).max()
    density = np.exp(np.asarray(reference.log_prob(y)) + log_slope)
    assert abs(np.trapezoid(density, np.asarray(x)) - 1.0) < 1e-6
    for g in (0.05, 0.3, 2.0, 5.9):  # the starting points map back
        z = to_unconstrained({"log_gamma": np.log(g)}, 6)["log_gamma"]
        assert np.isclose(float(transform(z)), np.log(g), rtol=0, atol=1e-10)
    assert gamma_support(None) is not site.support  # uncapped: the real line
    assert float(to_unconstrained({"log_gamma": -1.5}, None)["log_gamma"]) == -1.5
