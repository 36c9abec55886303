"""The threshold as a parameter and thresholds compared by criteria (small runs; the
multi-seed coverage study is slow-marked)."""

import warnings

import jax
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpyro import handlers  # noqa: E402
from scipy.special import betaln, gammaln  # noqa: E402

import bayesnq  # noqa: E402
from bayesnq import NoisyQuadratic, cli, plots  # noqa: E402
from bayesnq.inference import compare_thresholds, stacking_weights  # noqa: E402
from bayesnq.modeling import default_thresholds  # noqa: E402
from bayesnq.modeling import SplicedData, TailData, body_log_marginal, threshold_model  # noqa: E402
from bayesnq.modeling import Priors  # noqa: E402
from bayesnq.modeling.priors import tail_log_prior  # noqa: E402
from bayesnq.modeling.spliced import REGION_BINS, REGION_OFFSETS  # noqa: E402

TRUTH = dict(alpha=0.55, beta=0.80, gamma=2.0, sigma=0.004)
TAIL_SHARE = 0.4


def simulate_regime(seed, n=300, tail_share=TAIL_SHARE):
    """Noisy-quadratic tail beyond a known tau; a body below it that is clearly not NQ.

    The body is 30% failed runs (uniform on [0, 0.1]) and 70% uniform on [0.3, tau]: its
    density just below tau is a third of the tail's just above it, a jump no noisy quadratic
    (sigma = 0.004) can make.
    """
    rng = np.random.default_rng(seed)
    d = NoisyQuadratic(**TRUTH)
    tau = float(d.icdf(1 - tail_share))
    y = np.array(d.sample(jax.random.PRNGKey(seed), (n,)))
    body = y <= tau
    nb = int(body.sum())
    y[body] = np.where(rng.random(nb) < 0.3, rng.uniform(0.0, 0.1, nb), rng.uniform(0.3, tau, nb))
    return y, tau


def covered(fit, truth, level=0.9):
    """Whether the candidate nearest the truth is in the smallest set holding `level` of P(tau)."""
    p = fit.threshold_probabilities()
    order = p.sort_values("probability", ascending=False)
    keep = order.index[: int(np.searchsorted(np.cumsum(order["probability"]), level) + 1)]
    nearest = int(np.argmin(np.abs(p["threshold"] - truth)))
    return nearest in set(keep), p


def quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesnq.DiagnosticsWarning)
        return bayesnq.fit(*args, progress_bar=False, **kwargs)


@pytest.fixture(scope="module")
def regime():
    return simulate_regime(1)


@pytest.fixture(scope="module")
def auto_fit(regime):
    y, _ = regime
    return quiet_fit(y, threshold="auto", n_hyperparameters=6, num_chains=2, num_warmup=200,
                     num_samples=200)


@pytest.fixture(scope="module")
def comparison(regime):
    y, tau = regime
    return compare_thresholds(y, [0.6, tau, 0.75], n_hyperparameters=6, num_chains=1,
                                       num_warmup=200, num_samples=200, progress=False)


# ----------------------------------------------------------------------------- the model


def test_body_marginal_is_the_dirichlet_multinomial():
    # two bins, a = 1: the integral of w^c1 (1 - w)^c2 over the uniform prior is B(c1+1, c2+1)
    assert body_log_marginal([3, 5], [1.0, 1.0]) == pytest.approx(betaln(4, 6), rel=1e-12)
    # widths enter as the uniform density inside each bin
    assert body_log_marginal([3, 5], [0.5, 2.0]) == pytest.approx(
        betaln(4, 6) - 3 * np.log(0.5) - 5 * np.log(2.0), rel=1e-12)
    assert body_log_marginal([], []) == 0.0


@pytest.mark.slow  # threshold fits: the slow tier
def test_marginal_over_thresholds_matches_term_by_term(regime):
    y, _ = regime
    grid = default_thresholds(y, n=6)
    data = SplicedData.build(y, grid, minimize=False)
    assert data.thresholds.size == 6 and np.all(np.diff(data.thresholds) > 0)
    params = {"beta_t": 0.1, "sigma_rel": 0.05, "q_t": -0.7, "log_gamma": np.log(2.0)}
    tr = handlers.trace(handlers.substitute(threshold_model, data=params)).get_trace(data)
    alpha, beta = float(tr["alpha"]["value"]), float(tr["beta"]["value"])
    gamma, sigma = float(tr["gamma"]["value"]), float(tr["sigma"]["value"])
    d = NoisyQuadratic(alpha, beta, gamma, sigma)
    widths = np.append(np.diff(data.edges), 1.0)
    direct = []
    for j, t in enumerate(data.thresholds):
        td = TailData.build(y, t, minimize=False)
        c = data.bin_counts[j]
        # region against deep runs (uniform split), the deep bins' histogram, the region's
        body = (gammaln(c[-1] + 1) + gammaln(c[:-1].sum() + 1) - gammaln(c.sum() + 2)
                + body_log_marginal(c[:-1], widths[:-1]))
        r = data.region_start  # the region (r, tau_j]: m bins with their grid shifted up
        u = (y[(y > r) & (y <= t)] - r) / (t - r)  # by phi of a bin, averaged over both
        region = []
        for m in REGION_BINS:
            for phi in REGION_OFFSETS:
                inner = (np.arange(m) + phi) / m
                inner = inner[(inner > 0) & (inner < 1)]
                cuts = np.concatenate([[0.0], inner, [1.0]])
                rc = np.bincount(np.searchsorted(inner, u, side="left"), minlength=cuts.size - 1)
                region.append(body_log_marginal(rc, np.diff(cuts) * (t - r)))
        body += np.logaddexp.reduce(region) - np.log(len(REGION_BINS) * len(REGION_OFFSETS))
        prior = tail_log_prior(t, y.max(), 1.0, alpha, beta, gamma, sigma, Priors(),
                               bounded=False)
        # the prior over candidates: n_j^2 over q's Beta(1, 2) density 2(1 - f) at the
        # candidate's tail fraction f = n_j / N
        f = td.tail.size / y.size
        direct.append(float(d.log_prob(td.tail).sum() + td.n_below * d.log_cdf(t)) + body
                      + float(prior) + 2.0 * np.log(td.tail.size) - np.log(2 * (1 - f)))
    direct = np.array(direct)
    expected = direct - np.logaddexp.reduce(direct)
    np.testing.assert_allclose(np.asarray(tr["tau_logp"]["value"]), expected, atol=1e-8)
    # every run sits in exactly one body bin or beyond the candidate
    assert data.bin_counts.sum(1).tolist() == (y.size - data.n_tail).tolist()


@pytest.mark.parametrize("floor", [None, -0.4])
@pytest.mark.parametrize("bounded", [False, True])
def test_candidate_prior_is_the_fixed_fit_prior(bounded, floor):
    """tail_log_prior is the density of (alpha, beta, sigma) that the sites' priors imply:
    log p(sigma/d) + log p(z) + log p(q) plus the log Jacobian of (alpha, beta, sigma) ->
    (sigma/d, z, q), the Jacobian taken by autodiff; with a floor L on alpha the site is
    u = (q - q_min) / (1 - q_min) in place of q, and alpha < L has no density."""
    import jax.numpy as jnp
    import numpyro.distributions as dist

    from bayesnq.modeling import Priors
    from bayesnq.modeling.priors import tail_log_prior

    pr = Priors()
    tau, top, gamma = 0.6, 0.8, 1.7
    room = 1.0 - tau if bounded else 1.0
    d = top - tau

    def sites(x):
        alpha, beta, sigma = x
        delta, w = beta - tau, beta - alpha
        z = (jnp.log(delta / room) - jnp.log1p(-delta / room)) if bounded else jnp.log(delta / d)
        q = (delta / w) ** (gamma / 2)
        if floor is not None:
            q_min = (delta / (beta - floor)) ** (gamma / 2)
            q = (q - q_min) / (1 - q_min)
        return jnp.stack([sigma / d, z, q])

    def direct(x):
        s = sites(x)
        center = jnp.log(d / room) - jnp.log1p(-d / room) if bounded else 0.0
        sd = pr.beta_logit_sd if bounded else pr.beta_log_sd
        return (dist.Gamma(pr.sigma_shape, pr.sigma_rate).log_prob(s[0])
                + dist.Normal(center, sd).log_prob(s[1]) + dist.Beta(pr.q_a, pr.q_b).log_prob(s[2])
                + jnp.log(jnp.abs(jnp.linalg.det(jax.jacfwd(sites)(x)))))

    far = -3.0 if floor is None else -0.39
    for x in ([0.1, 0.83, 0.02], [0.55, 0.7, 0.2], [far, 0.95, 0.001]):
        x = jnp.asarray(x)
        got = tail_log_prior(tau, top, room, x[0], x[1], gamma, x[2], pr, bounded=bounded,
                             floor=floor)
        assert float(got) == pytest.approx(float(direct(x)), rel=1e-10, abs=1e-10)
    if floor is not None:  # nothing beyond the floor
        assert float(tail_log_prior(tau, top, room, -0.41, 0.8, gamma, 0.02, pr,
                                    bounded=bounded, floor=floor)) == -np.inf
    # no prior mass where beta is short of tau or alpha beyond it
    assert float(tail_log_prior(tau, top, room, 0.1, 0.59, gamma, 0.02, pr,
                                bounded=bounded)) == -np.inf
    assert float(tail_log_prior(tau, top, room, 0.61, 0.8, gamma, 0.02, pr,
                                bounded=bounded)) == -np.inf


def test_default_thresholds_tail_fractions():
    y = np.arange(200.0)
    grid = default_thresholds(y, n=16)
    frac = np.array([(y > t).mean() for t in grid])
    np.testing.assert_allclose(np.sort(frac), np.linspace(0.05, 0.8, 16), atol=0.006)
    low = default_thresholds(-y, minimize=True, n=4)
    np.testing.assert_allclose(np.sort(-low), np.sort(default_thresholds(y, n=4)))


# ----------------------------------------------------------------------------- tau inferred


@pytest.mark.slow  # threshold fits: the slow tier
def test_posterior_over_tau_covers_truth(auto_fit, regime):
    _, tau = regime
    ok, p = covered(auto_fit, tau)
    assert ok, p.to_string()
    assert p["probability"].sum() == pytest.approx(1.0)


@pytest.mark.slow  # threshold fits: the slow tier
def test_beta_gamma_recovered_without_picking_tau(auto_fit):
    d = auto_fit.draws()
    for name in ("beta", "gamma"):
        lo, hi = np.quantile(d[name], [0.025, 0.975])
        assert lo <= TRUTH[name] <= hi, (name, lo, hi)


def test_inferred_threshold_samples_with_smaller_steps():
    """An inferred threshold's default target acceptance is 0.95 (AlexNet diverged at 0.9),
    so the diagnostics' advice goes further. A tiny fit of its own (the module's `auto_fit`
    takes minutes: the slow tier)."""
    from bayesnq.inference.nuts import THRESHOLD_TARGET_ACCEPT_PROB, TARGET_ACCEPT_PROB

    y, _ = simulate_regime(1, n=60)
    tiny = quiet_fit(y, threshold="auto", num_chains=1, num_warmup=20, num_samples=20, seed=0)
    assert tiny.settings["target_accept_prob"] == THRESHOLD_TARGET_ACCEPT_PROB == 0.95
    assert TARGET_ACCEPT_PROB == 0.9
    with warnings.catch_warnings(record=True) as caught:  # the regime check may warn too
        warnings.simplefilter("always")
        tiny.check()  # 20 draws: bulk ESS below 400
    advice = [str(w.message) for w in caught if issubclass(w.category, bayesnq.DiagnosticsWarning)]
    assert any("target_accept_prob=0.99" in m for m in advice), advice


@pytest.mark.slow  # threshold fits: the slow tier
def test_tau_draws_and_summary(auto_fit, regime):
    y, _ = regime
    post = auto_fit.idata.posterior
    grid = auto_fit.thresholds
    assert set(np.unique(np.asarray(post["tau"]))) <= set(grid)
    assert post["tau_logp"].shape == (2, 200, grid.size)
    assert list(post["tau_logp"].coords["tau_value"].values) == list(grid)
    # each run has a density: finite spliced log-likelihood everywhere
    ll = np.asarray(auto_fit.idata.log_likelihood["y"])
    assert ll.shape == (2, 200, y.size) and np.all(np.isfinite(ll))
    np.testing.assert_allclose(np.asarray(auto_fit.idata.observed_data["y"]), y)
    probs = auto_fit.threshold_probabilities()
    assert auto_fit.threshold == probs.loc[probs["probability"].idxmax(), "threshold"]
    assert np.all(np.diff(probs["tail_fraction"]) > 0)
    table = auto_fit.summary()
    assert "tau" in table.index
    assert any(str(i).startswith("P(tau=") for i in table.index)
    assert "P(tau) puts" in table.attrs["threshold_note"]
    # the tail mass follows the drawn threshold
    tm = np.asarray(post["tail_mass"]).ravel()
    share = np.array([(y > t).mean() for t in np.asarray(post["tau"]).ravel()])
    assert np.median(np.abs(tm - share)) < 0.06


@pytest.mark.slow  # threshold fits: the slow tier
def test_decided_threshold_is_hedged_toward_fewer_runs():
    """A 128-run search whose P(tau) is decided: the second run moves mass to the safer
    neighbour with the same compiled sampler; threshold_hedge=False keeps the base prior.
    (The 512-run search 51:10 used until 2026-12-07 is no longer decided under the q prior
    Beta(1, 2): its largest unhedged P(tau) is 0.27. At these settings 51:6 puts 0.76 on
    one candidate.)"""
    from bayesnq.calibration.threshold_study import study_search
    from bayesnq.inference.nuts import cached_samplers, clear_samplers
    from bayesnq.inference.result import LARGE_SEARCH

    _, _, y, truth, _ = study_search(51, 6, sizes=(48, 128, 512, 1024), truths="prior")
    clear_samplers()
    settings = dict(minimize=truth.minimize, threshold="auto", num_chains=2, num_warmup=200,
                    num_samples=200, seed=3, check=False)
    f = quiet_fit(y, **settings)
    assert cached_samplers() == 1  # both runs on one compiled sampler
    p = f.threshold_probabilities()  # deepest tail first: the safer neighbour comes before
    v = f.threshold_verdict()
    assert v["kind"] == "decided" and v["hedged"]
    hedged = f.settings["hedged"]
    k_from = int(np.flatnonzero(np.isclose(p["threshold"], hedged["from"]))[0])
    k_to = int(np.flatnonzero(np.isclose(p["threshold"], hedged["to"]))[0])
    assert k_to == k_from - 1 and p["n_tail"][k_to] < p["n_tail"][k_from]
    assert p["probability_unhedged"][k_from] > 0.5
    assert p["probability"][k_to] > 0.2 > p["probability_unhedged"][k_to]
    assert hedged["log_weight"] > 0 and "hedged toward fewer runs" in v["message"]
    assert v["safer_threshold"] == pytest.approx(hedged["to"])
    g = quiet_fit(y, threshold_hedge=False, **settings)
    assert cached_samplers() == 1 and "hedged" not in g.settings
    q = g.threshold_probabilities()
    np.testing.assert_array_equal(q["probability"], q["probability_unhedged"])
    # unhedged and decided: no hedge, and no caveat below LARGE_SEARCH runs (its text for
    # large searches is checked in test_decided_threshold_on_a_large_search_names_a_safer_one)
    gv = g.threshold_verdict()
    assert not gv["hedged"] and y.size < LARGE_SEARCH and gv["caveat"] == ""


@pytest.mark.slow  # threshold fits: the slow tier
def test_minimize_threshold_grid_is_mirrored(regime):
    y, tau = regime
    grid = [0.65, tau, 0.75]
    a = SplicedData.build(y, grid, minimize=False)
    b = SplicedData.build(-y, [-g for g in grid], minimize=True)
    np.testing.assert_allclose(a.body_term, b.body_term)
    np.testing.assert_allclose(a.thresholds, b.thresholds)
    np.testing.assert_allclose(b.user_thresholds, -a.user_thresholds)


@pytest.mark.slow  # threshold fits: the slow tier
def test_integer_gamma_with_inferred_threshold(regime):
    y, tau = regime
    f = quiet_fit(y, threshold=[0.6, tau, 0.75], n_hyperparameters=3, gamma="integer",
                  num_chains=1, num_warmup=100, num_samples=100, check=False)
    post = f.idata.posterior
    assert set(np.unique(np.asarray(post["gamma"]))) <= {1.0, 2.0, 3.0}
    assert post["gamma_logp"].shape == (1, 100, 3) and post["tau_logp"].shape == (1, 100, 3)
    assert sum(f.gamma_probabilities().values()) == pytest.approx(1.0)
    assert f.threshold_probabilities()["probability"].sum() == pytest.approx(1.0)
    assert np.all(np.asarray(post["alpha"]) < np.asarray(post["beta"]))


@pytest.mark.slow  # threshold fits: the slow tier
def test_plot_threshold_probabilities(auto_fit):
    import matplotlib.pyplot as plt

    fig = plots.plot_threshold_probabilities(auto_fit)
    assert len(fig.axes) == 1
    plt.close(fig)


# ----------------------------------------------------------------------------- criteria


@pytest.mark.slow  # threshold fits: the slow tier
def test_compare_thresholds_table(comparison, regime):
    _, tau = regime
    t = comparison.table
    assert t.shape[0] == 3
    for col in ("threshold", "tail_fraction", "elpd_loo", "se", "elpd_diff", "dse", "p_loo",
                "elpd_waic", "se_waic", "max_k", "n_bad_k", "weight", "val_elpd_loo", "val_se",
                "val_max_k", "val_weight"):
        assert col in t.columns, col
    assert np.all(np.diff(t["elpd_loo"]) <= 0)  # ranked
    assert t["weight"].sum() == pytest.approx(1.0)
    assert t["val_weight"].sum() == pytest.approx(1.0)
    assert t["elpd_diff"].iloc[0] == pytest.approx(0.0)
    assert comparison.validation_threshold == pytest.approx(0.75)
    # the true regime start is the best candidate, or within two standard errors of it
    row = t.loc[np.isclose(t["threshold"], tau)].iloc[0]
    assert row["elpd_diff"] >= -2 * max(row["dse"], 1e-9), t.to_string()
    assert comparison.pointwise["spliced"].shape == (300, 3)
    assert set(comparison.fits) == set(t["threshold"])


@pytest.mark.slow  # threshold fits: the slow tier
def test_stacked_tuning_curve_and_stability_plot(comparison):
    import matplotlib.pyplot as plt

    curve = comparison.tuning_curve([1, 4, 16, 64])
    assert np.all(np.diff(curve.median) >= 0)
    d = comparison.draws(size=500)
    assert d["beta"].size == 500
    fig = plots.plot_parameter_stability(comparison)
    assert len(fig.axes) == 3
    plt.close(fig)


def test_stacking_weights():
    rng = np.random.default_rng(0)
    good = rng.normal(-1.0, 0.1, 200)
    lpd = np.stack([good, good - 2.0, good - 0.5 + rng.normal(0, 0.01, 200)], axis=1)
    w = stacking_weights(lpd)
    assert w.sum() == pytest.approx(1.0) and w[0] > 0.95
    assert stacking_weights(lpd[:, :1]).tolist() == [1.0]


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(threshold="best"), "threshold"),
        (dict(threshold=[0.5]), "2 or more"),
        (dict(threshold=[0.5, 2.0]), "threshold"),
        (dict(threshold=[0.5, float("nan")]), "threshold"),
    ],
)
def test_fit_threshold_errors(regime, kwargs, match):
    y, _ = regime
    with pytest.raises(ValueError, match=match):
        bayesnq.fit(y, progress_bar=False, **kwargs)


def test_criteria_errors(regime):
    y, _ = regime
    with pytest.raises(ValueError, match="thresholds"):
        compare_thresholds(y, [0.5])
    with pytest.raises(ValueError, match="thresholds"):
        compare_thresholds(y, "auto")
    with pytest.raises(ValueError, match="rank_by"):
        compare_thresholds(y, [0.5, 0.7], rank_by="waic")
    with pytest.raises(ValueError, match="n must"):
        default_thresholds(y, n=1)
    with pytest.raises(ValueError, match="tail_fractions"):
        default_thresholds(y, tail_fractions=(0.9, 0.1))
    with pytest.raises(ValueError, match="pointwise"):
        stacking_weights(np.zeros(3))
    with pytest.raises(ValueError, match="fits"):
        plots.plot_parameter_stability({})


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_threshold_probabilities_needs_inferred_threshold(regime):
    y, tau = regime
    f = quiet_fit(y, threshold=tau, num_chains=1, num_warmup=50, num_samples=50, check=False)
    with pytest.raises(ValueError, match="inferred threshold"):
        f.threshold_probabilities()


# ----------------------------------------------------------------------------- CLI


@pytest.mark.slow  # threshold fits: the slow tier
def test_cli_thresholds(tmp_path, monkeypatch, comparison, regime, capsys):
    y, tau = regime
    path = tmp_path / "scores.txt"
    np.savetxt(path, y)
    seen = {}

    def stand_in(scores, thresholds, **kwargs):
        seen.update(kwargs, thresholds=list(thresholds))
        return comparison

    monkeypatch.setattr(bayesnq, "compare_thresholds", stand_in)
    out = tmp_path / "out"
    code = cli.main(["thresholds", str(path), "--thresholds", "0.6", str(tau), "0.75",
                     "--chains", "1", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "best threshold" in text and "elpd_loo" in text
    for name in ("thresholds.csv", "tuning_curve.csv", "parameter_stability.png",
                 "tuning_curve.png"):
        assert (out / name).is_file(), name
    assert seen["num_chains"] == 1 and seen["thresholds"] == [0.6, tau, 0.75]


@pytest.mark.slow  # threshold fits: the slow tier
def test_cli_fit_threshold_auto(tmp_path, monkeypatch, auto_fit, regime, capsys):
    y, _ = regime
    path = tmp_path / "scores.txt"
    np.savetxt(path, y)
    seen = {}

    def stand_in(scores, **kwargs):
        seen.update(kwargs)
        return auto_fit

    monkeypatch.setattr(bayesnq, "fit", stand_in)
    code = cli.main(["fit", str(path), "--threshold", "auto", "--out", str(tmp_path / "o")])
    assert code == 0
    assert seen["threshold"] == "auto"
    text = capsys.readouterr().out
    assert "P(tau) puts" in text and "tail_fraction" in text
    assert cli.build_parser().parse_args(["fit", "--threshold", "AUTO"]).threshold == "auto"


# ----------------------------------------------------------------------------- slow


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "known limit, docs/thresholds.md 'Still failing': this simulator's gamma = 2 makes the "
    "tail flat like its body, so every deeper candidate is nearly as likely and P(tau)'s "
    "90% set misses the truth at 2 of 6 seeds (4 of 6 pass, 5 needed); strict, so that a "
    "model that passes it shows up"))
def test_tau_coverage_over_seeds():
    hits, recovered = 0, 0
    seeds = range(2, 8)
    for seed in seeds:
        y, tau = simulate_regime(seed, n=400)
        f = quiet_fit(y, threshold="auto", n_hyperparameters=6, num_chains=2, num_warmup=500,
                      num_samples=500, seed=seed)
        ok, _ = covered(f, tau)
        hits += ok
        d = f.draws()
        recovered += all(
            np.quantile(d[k], 0.025) <= TRUTH[k] <= np.quantile(d[k], 0.975) for k in ("beta", "gamma")
        )
    assert hits >= len(seeds) - 1
    assert recovered >= len(seeds) - 1


# ----------------------------------------------------------------------------- the region's bins


def test_region_counts_and_body_weights():
    from bayesnq.modeling.spliced import body_weights

    rng = np.random.default_rng(3)
    y = np.concatenate([rng.random(300), 5.0 + rng.random(100)])
    data = SplicedData.build(y, default_thresholds(y, n=6), minimize=False)
    m = max(REGION_BINS) + 1  # a grid with an offset has a partial bin more
    designs = len(REGION_BINS) * len(REGION_OFFSETS)
    assert data.region_counts.shape == (6, designs, m) and data.region_sizes.shape == (designs,)
    # each design's bins hold exactly the region's runs of each candidate
    for k in range(designs):
        np.testing.assert_array_equal(data.region_counts[:, k].sum(1), data.bin_counts[:, -1])
    idx = np.repeat(np.arange(6), 2000)
    w, cuts = body_weights(data, idx, np.random.default_rng(0))
    assert w.shape == (idx.size, data.edges.size - 1 + m) and cuts.shape == (idx.size, m + 1)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-12)
    # bins beyond the drawn design's have no weight, and its edges end at 1
    sizes = np.array([np.searchsorted(c, 1.0) for c in cuts])
    assert set(sizes) <= set(data.region_sizes) and len(set(sizes)) > 1
    beyond = np.arange(m)[None, :] >= sizes[:, None]
    assert np.all(w[:, data.edges.size - 1:][beyond] == 0.0)
    # the region's share follows its Beta(1 + m_j, 1 + D_j) posterior
    share = w[:, data.edges.size - 1:].sum(1).reshape(6, -1).mean(1)
    c = data.bin_counts
    np.testing.assert_allclose(share, (1 + c[:, -1]) / (2 + c.sum(1)), atol=0.02)


def test_region_leaves_a_gap_empty():
    """A cluster of diverged runs far below costs the body the same wherever tau is."""
    rng = np.random.default_rng(5)
    body = rng.random(300)
    tail = 1.0 + 0.5 * rng.random(200)
    cluster = 0.01 * rng.standard_normal(100)
    near = np.concatenate([body, tail, -50.0 + cluster])
    far = np.concatenate([body, tail, -5000.0 + cluster])
    grid = np.quantile(near, [0.18, 0.4, 0.6])  # the lowest just above the cluster
    d_near = SplicedData.build(near, grid, minimize=False)
    d_far = SplicedData.build(far, grid, minimize=False)
    # the change of B_j across candidates is what moves tau; a far gap must not tilt it
    spread = np.ptp(np.diff(d_far.body_term) - np.diff(d_near.body_term))
    assert spread < 1e-6
    assert d_far.region_start <= grid[0]  # never above the lowest candidate
    # and no default candidate lies in or below the cluster
    assert default_thresholds(far).min() > body.min()


def test_region_bins_argument_sets_the_region_histogram():
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.random(300), 5.0 + rng.random(100)])
    grid = default_thresholds(y, n=6)
    default = SplicedData.build(y, grid, minimize=False)
    assert default.region_bins == tuple(REGION_BINS)
    singles = {}
    for m in (2, 7):
        data = SplicedData.build(y, grid, minimize=False, region_bins=m, region_offsets=0)
        assert data.region_counts.shape == (6, 1, m) and data.region_bins == (m,)
        np.testing.assert_array_equal(data.region_counts[:, 0].sum(1), data.bin_counts[:, -1])
        np.testing.assert_array_equal(data.region_log_weights, 0.0)
        singles[m] = data.body_term
    # several M: the body term is the equal-weight average of the single-M marginals, and
    # the posterior weights of M are those marginals normalized
    both = SplicedData.build(y, grid, minimize=False, region_bins=[7, 2], region_offsets=0.0)
    assert both.region_bins == (2, 7)
    stack = np.stack([singles[2], singles[7]])
    np.testing.assert_allclose(both.body_term, np.logaddexp.reduce(stack, axis=0) - np.log(2),
                               rtol=1e-12)
    np.testing.assert_allclose(both.region_log_weights,
                               (stack - np.logaddexp.reduce(stack, axis=0)).T, atol=1e-9)
    for bad in (0, 2.5, [], [3, -1]):
        with pytest.raises(ValueError, match="region_bins"):
            SplicedData.build(y, grid, minimize=False, region_bins=bad)


def test_region_offsets_shift_the_grid_and_are_averaged():
    from bayesnq.modeling.spliced import region_cuts

    np.testing.assert_allclose(region_cuts(4, offset=0.25), [0, 1 / 16, 5 / 16, 9 / 16, 13 / 16, 1])
    np.testing.assert_allclose(region_cuts(1, offset=0.5), [0, 0.5, 1])
    np.testing.assert_allclose(region_cuts(3, offset=0.0), [0, 1 / 3, 2 / 3, 1])
    # a shifted geometric grid moves each inner edge by phi of the base bin above it
    base = region_cuts(3, 2.0)
    np.testing.assert_allclose(region_cuts(3, 2.0, 0.5)[1:-1], base[:-1] + 0.5 * np.diff(base))
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.random(300), 5.0 + rng.random(100)])
    grid = default_thresholds(y, n=6)
    singles = [SplicedData.build(y, grid, minimize=False, region_bins=[2, 5], region_offsets=phi)
               for phi in (0.0, 0.5)]
    both = SplicedData.build(y, grid, minimize=False, region_bins=[5, 2], region_offsets=[0.5, 0])
    assert both.region_bins == (2, 5) and both.region_offsets == (0.0, 0.5)
    assert both.region_sizes.tolist() == [2, 3, 5, 6]  # M-major: (2, 0), (2, .5), (5, 0), ...
    # the body term averages the four designs: two each in the two single-offset builds
    expect = np.logaddexp(singles[0].body_term, singles[1].body_term) - np.log(2)
    np.testing.assert_allclose(both.body_term, expect, rtol=1e-12)
    for k, (m, phi) in enumerate([(2, 0.0), (2, 0.5), (5, 0.0), (5, 0.5)]):
        c = region_cuts(m, offset=phi)
        np.testing.assert_array_equal(both.region_cuts[k, :c.size], c)
        np.testing.assert_array_equal(both.region_cuts[k, c.size:], 1.0)
        np.testing.assert_array_equal(both.region_counts[:, k].sum(1), both.bin_counts[:, -1])
    # where the density jumps just below the candidate, at 0.97 of the region, no grid
    # of 16 bins has an edge near it (15/16 = 0.9375); shifted by half a bin, one does
    r, top = 0.5, 1.25
    jump = r + 0.97 * (top - r)
    runs = np.concatenate([rng.uniform(0.0, jump, 300), rng.uniform(jump, top, 100),
                           rng.uniform(top, 2.0, 100)])
    t = np.array([r + 1e-9, top])
    shifted = SplicedData.build(runs, t, minimize=False, region_bins=16, region_offsets=0.5)
    plain = SplicedData.build(runs, t, minimize=False, region_bins=16, region_offsets=0)
    assert shifted.region_start == plain.region_start <= r + 1e-9
    assert shifted.body_term[1] > plain.body_term[1] + 20.0
    for bad in (1.0, -0.1, float("nan"), []):
        with pytest.raises(ValueError, match="region_offsets"):
            SplicedData.build(y, grid, minimize=False, region_offsets=bad)


def test_body_weights_draw_the_number_of_region_bins_from_its_posterior():
    from bayesnq.modeling.spliced import body_weights

    rng = np.random.default_rng(8)
    y = np.concatenate([rng.random(200), 0.9 + 0.02 * rng.random(60), 2.0 + rng.random(80)])
    data = SplicedData.build(y, default_thresholds(y, n=6), minimize=False, region_bins=[1, 8],
                             region_offsets=0)
    j = int(np.argmax(np.ptp(data.region_log_weights, axis=1) < 3.0))  # both M plausible
    idx = np.full(20_000, j)
    _, cuts = body_weights(data, idx, np.random.default_rng(1))
    share_8 = np.mean(cuts[:, 1] < 1.0)  # M = 8 has an inner edge; M = 1 has none
    assert share_8 == pytest.approx(np.exp(data.region_log_weights[j, 1]), abs=0.02)


def _conditional_median_fraction(scores, truth):
    """Median tail fraction of P(tau_j | theta*, y): the threshold model at the true
    parameters (no sampler)."""
    from bayesnq import direction
    from bayesnq.modeling.spliced import threshold_log_probabilities

    grid = default_thresholds(scores, minimize=truth.minimize)
    data = SplicedData.build(scores, grid, minimize=truth.minimize)
    a, b = direction.orient_ends(np.array(truth.alpha), np.array(truth.beta), truth.minimize)
    w = np.exp(np.asarray(threshold_log_probabilities(data, float(a), float(b), truth.gamma,
                                                      truth.sigma)))
    order = np.argsort(data.tail_fractions)
    cum = np.cumsum(w[order]) / w.sum()
    return data.tail_fractions[order][np.searchsorted(cum, 0.5)]


def test_body_errs_toward_fewer_runs_on_a_falling_body():
    """At the true parameters, on 1,024-run searches whose body thins out toward tau* (a
    near-gap below the regime; parameters drawn as in the threshold study), the threshold
    model does not put body runs into the tail: its median tail fraction stays at or below
    the truth. Measured: all 10 below, median -13%, with the prior n_j^2 over the candidates
    and the region averaged over M and grid offsets (2026-12-06 evening); -38% under a
    uniform prior, with or without the offsets; with M fixed at 3, 9 of 10 within 25%
    (median -5%), the trade made for bumps below tau* (test_body_follows_a_bump_below_tau,
    docs/thresholds.md)."""
    errors = []
    for seed in range(10):
        scores, t = _falling_search(seed)
        med = _conditional_median_fraction(scores, t)
        errors.append((med - t.observed_tail_fraction) / t.observed_tail_fraction)
    errors = np.asarray(errors)
    assert np.all(errors <= 0.1) and np.median(errors) < 0.0, errors


def _falling_search(seed):
    from bayesnq.calibration.regimes import draw_truth, regime_search

    rng = np.random.default_rng([11, seed])
    truth = draw_truth(rng)
    p = truth.pop("tail_fraction")
    return regime_search(rng, 1024, **truth, tail_fraction=p, body="falling",
                         minimize=bool(seed % 2))


@pytest.mark.slow  # one threshold fit of 1,024 runs
def test_body_follows_a_bump_below_tau():
    """Threshold-SBC search 18 of seed 52 (1,024 runs, `bimodal` body: half the body in a
    bump just below tau*, true tail fraction 0.30). With three region bins P(tau) put its
    mode at 0.60 and beta's and gamma's 90% intervals missed the truth (2026-12-06); the
    body averaged over M follows the bump and keeps it out of the tail."""
    from bayesnq.calibration.threshold_study import study_search

    _, _, scores, t, _ = study_search(52, 18, sizes=(48, 128, 512, 1024), truths="prior")
    f = bayesnq.fit(scores, minimize=t.minimize, threshold="auto", num_chains=2,
                    num_warmup=300, num_samples=300, seed=18, progress_bar=False, check=False)
    tp = f.threshold_probabilities()
    mode = float(tp["tail_fraction"].to_numpy()[np.argmax(tp["probability_unhedged"].to_numpy())])
    assert mode <= t.observed_tail_fraction + 0.05, tp
    d = f.draws()
    best = t.alpha if t.minimize else t.beta
    for name, truth in (("alpha" if t.minimize else "beta", best), ("gamma", t.gamma)):
        lo, hi = np.quantile(d[name], [0.05, 0.95])
        assert lo <= truth <= hi, (name, lo, hi, truth)


def test_prior_at_a_candidate_vanishes_where_alpha_reaches_it():
    """q ~ Beta(1, 2) has density 0 at q = 1 (alpha = tau), so each candidate's term in the
    spliced posterior fades out continuously as alpha reaches its threshold, like
    log(tau - alpha); with Beta(1, 1) it ended at a finite value, a wall (a 48-run search's
    chain stuck against it with step size 1e-7, docs/thresholds.md)."""
    tau, top, beta, gamma, sigma = 0.4, 1.0, 1.1, 3.0, 0.05

    def lp(eps, priors):
        return float(tail_log_prior(tau, top, 1.0, tau - eps, beta, gamma, sigma, priors,
                                    bounded=False))

    for priors, slope in ((Priors(), 1.0), (Priors(q_b=1.0), 0.0)):
        drop = lp(1e-8, priors) - lp(1e-4, priors)
        assert np.isfinite(drop)
        np.testing.assert_allclose(drop, slope * np.log(1e-4), atol=1e-3)
    assert lp(-1e-8, Priors()) == -np.inf  # beyond the wall: no prior mass at all


@pytest.mark.parametrize("floor", [None, -0.5])
def test_spliced_density_is_the_mixture_of_fixed_fits_beyond_the_reference(floor):
    """In (alpha, beta, sigma) the spliced model's density is sum_j pi_j p(theta | tau_j)
    L_j(theta), whatever the sites: numpyro's log density of the sites less the log
    Jacobian of the map to theta. The sites reach alpha above the reference candidate
    (before 2026-12-07 they stopped at it, and the candidates above lost that part of
    their posterior), with and without a floor on alpha."""
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from bayesnq.modeling import candidate_logliks
    from bayesnq.modeling.sites import alpha_limit
    from bayesnq.modeling.spliced import candidate_log_priors

    rng = np.random.default_rng(5)
    y = np.concatenate([rng.random(150), 1.0 + 0.3 * rng.random(60)])
    bounds = (floor, None)
    data = SplicedData.build(y, default_thresholds(y, n=6), minimize=False, bounds=bounds)
    t = data.thresholds
    # A(beta) keeps a candidate between it and beta, and never falls below the reference
    for b in np.linspace(t[data.reference_index] + 1e-6, t[-1] + 1.0, 400):
        a = float(alpha_limit(data, b))
        assert a >= t[data.reference_index] and np.any((t >= a) & (t < b))
    log_g = float(np.log(6.0))

    def theta(s):  # the coordinates' map to (alpha, beta, sigma), at gamma = 6
        params = {"beta_t": s[0], "sigma_rel": s[1], "q_t": s[2], "log_gamma": log_g}
        tr = handlers.trace(handlers.substitute(threshold_model, data=params)).get_trace(data)
        return jnp.stack([tr[k]["value"] for k in ("alpha", "beta", "sigma")])

    above = 0
    for s in ([1.0, 0.05, 4.0], [0.3, 0.1, -0.9], [-0.5, 0.02, 2.0]):
        s = jnp.asarray(s)
        params = {"beta_t": s[0], "sigma_rel": s[1], "q_t": s[2], "log_gamma": log_g}
        joint, tr = log_density(threshold_model, (data,), {}, params)
        alpha, beta, sigma = (float(tr[k]["value"]) for k in ("alpha", "beta", "sigma"))
        above += alpha > t[data.reference_index]
        log_jac = float(jnp.log(jnp.abs(jnp.linalg.det(jax.jacfwd(theta)(s)))))
        d = NoisyQuadratic(alpha, beta, 6.0, sigma)
        ll = (np.asarray(candidate_logliks(d, data.tail_sorted, data.n_tail, t, data.n))
              + data.body_term)
        lp = np.asarray(candidate_log_priors(data, alpha, beta, 6.0, sigma))
        expected = (float(tr["log_gamma"]["fn"].log_prob(log_g))
                    + np.logaddexp.reduce(data.base_log_prior + lp + ll))
        assert float(joint) - log_jac == pytest.approx(expected, rel=1e-9, abs=1e-7)
    assert above >= 1  # a draw the reference's own q could not reach


def test_threshold_log_probabilities_is_the_normalized_spliced_joint():
    """P(tau_j | theta, y): the spliced likelihood, theta's prior at each candidate and the
    candidates' prior, proportional to the square of the runs beyond each over the q prior's
    density at the candidate's tail fraction."""
    from bayesnq.distributions import NoisyQuadratic
    from bayesnq.modeling import candidate_logliks
    from bayesnq.modeling.spliced import threshold_log_probabilities

    rng = np.random.default_rng(4)
    y = np.concatenate([rng.random(200), 1.0 + 0.3 * rng.random(100)])
    data = SplicedData.build(y, default_thresholds(y, n=6), minimize=False)
    theta = (-0.5, 1.4, 2.0, 0.02)
    lp = np.asarray(threshold_log_probabilities(data, *theta))
    ll = np.asarray(candidate_logliks(NoisyQuadratic(*theta), data.tail_sorted,
                                      data.n_tail, data.thresholds, data.n)) + data.body_term
    prior = np.array([float(tail_log_prior(t, y.max(), 1.0, *theta, Priors(), bounded=False))
                      for t in data.thresholds])
    n_j = np.array([(y > t).sum() for t in data.thresholds], dtype=float)
    assert (Priors().q_a, Priors().q_b) == (1.0, 2.0)
    # pi_j ~ n_j^2 / p_q(n_j / N), p_q the Beta(1, 2) density 2 (1 - q)
    base = 2.0 * np.log(n_j) - np.log(2.0 * (1.0 - n_j / y.size))
    np.testing.assert_allclose(data.base_log_prior, base - np.logaddexp.reduce(base), rtol=1e-12)
    assert np.all(np.isfinite(lp)) and np.all(np.isfinite(prior))
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-12)
    total = ll + prior + base
    np.testing.assert_allclose(lp - lp[0], total - total[0], rtol=1e-9, atol=1e-9)
    # the prior's ratios matter: the likelihood alone gives other probabilities
    assert np.ptp(prior) > 0.1
    # a candidate below alpha has no prior mass: a fit there cannot hold this theta
    low = np.asarray(threshold_log_probabilities(data, 0.5, 1.4, 2.0, 0.02))
    below = data.thresholds <= 0.5
    assert below.any() and np.all(low[below] == -np.inf) and np.all(np.isfinite(low[~below]))


def test_region_ratio_lays_out_narrowing_bins_consistently():
    """Region bins whose widths shrink toward tau by ``region_ratio``: the counts, the
    body term, the per-run body density and the predictive all use the same edges."""
    from bayesnq.modeling.spliced import _body_log_density, predictive, region_cuts

    np.testing.assert_allclose(region_cuts(4, 1.0), np.linspace(0, 1, 5), atol=1e-15)
    cuts = region_cuts(3, 2.0)  # widths 4 : 2 : 1
    np.testing.assert_allclose(cuts, [0, 4 / 7, 6 / 7, 1], atol=1e-15)
    for kw, match in [(dict(m=0), "region_bins must be"), (dict(m=3, ratio=0.0),
                      "region_ratio must be"), (dict(m=3, ratio=float("nan")),
                      "region_ratio must be")]:
        with pytest.raises(ValueError, match=match):
            region_cuts(**kw)
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.random(300), 5.0 + rng.random(100)])
    grid = default_thresholds(y, n=6)
    equal = SplicedData.build(y, grid, minimize=False, region_bins=3, region_offsets=0)
    again = SplicedData.build(y, grid, minimize=False, region_bins=3, region_offsets=0,
                              region_ratio=1.0)
    np.testing.assert_array_equal(equal.body_term, again.body_term)  # the default
    data = SplicedData.build(y, grid, minimize=False, region_bins=3, region_offsets=0,
                             region_ratio=2.0)
    np.testing.assert_allclose(data.region_cuts, cuts[None, :])
    np.testing.assert_array_equal(data.region_counts[:, 0].sum(1), data.bin_counts[:, -1])
    r = data.region_start
    for j, tj in enumerate(data.thresholds):  # counts by the edges, computed afresh
        edges = r + (tj - r) * cuts
        inside = y[(y > r) & (y <= tj)]
        np.testing.assert_array_equal(data.region_counts[j, 0],
                                      np.histogram(inside, edges)[0])
        widths = np.diff(edges)
        expect = (equal.body_term[j] - body_log_marginal(equal.region_counts[j, 0],
                                                          np.full(3, (tj - r) / 3))
                  + body_log_marginal(data.region_counts[j, 0], widths))
        np.testing.assert_allclose(data.body_term[j], expect, rtol=1e-12)
    # the per-run density of a region run is its bin's weight over that bin's width
    from bayesnq.modeling.spliced import body_weights

    idx = np.full(4000, 2)
    logd = _body_log_density(data, idx, np.random.default_rng(0))
    w, _ = body_weights(data, idx, np.random.default_rng(0))  # the same draws of the weights
    t2 = data.thresholds[2]
    region_runs = (data.values > r) & (data.values <= t2)
    assert region_runs.sum() > 10
    widths = (t2 - r) * np.diff(cuts)
    k = np.clip(np.searchsorted(r + (t2 - r) * cuts, data.values[region_runs]) - 1, 0, 2)
    n_deep = data.edges.size - 1
    np.testing.assert_allclose(logd[:, region_runs],
                               np.log(w[:, n_deep + k]) - np.log(widths[k]), rtol=1e-12)
    # predictive body draws fall in the region's bins in the proportions of the weights
    # (a noisy quadratic whose mass lies below tau: every replicated run is a body run)
    draws = {"alpha": np.full(4000, t2 - 100.0), "beta": np.full(4000, t2 + 1e-9),
             "gamma": np.full(4000, 2.0), "sigma": np.full(4000, 0.01)}
    rep = predictive(data, draws, idx, np.random.default_rng(1))
    reg = rep[(rep > r) & (rep <= t2)]
    share = np.histogram(reg, r + (t2 - r) * cuts)[0] / reg.size
    expect_share = (data.region_counts[2, 0] + 1) / (data.region_counts[2, 0].sum() + 3)
    np.testing.assert_allclose(share, expect_share, atol=0.03)


# ----------------------------------------------------------------------------- the verdict


def _fit_with_tau_posterior(n, probs, seed=0, minimize=False):
    """A Fit whose P(tau_j | theta, y) is ``probs`` in every draw (candidates in order of
    runs beyond, most first): the verdict's input, without a sampler. ``n`` scores."""
    import arviz as az

    from bayesnq.data import as_scores
    from bayesnq.inference.result import Fit

    rng = np.random.default_rng(seed)
    y = np.concatenate([rng.random(n // 2), 1.0 + rng.random(n - n // 2)])
    y = -y if minimize else y
    grid = default_thresholds(y, minimize=minimize, n=len(probs))
    assert grid.size == len(probs)
    data = SplicedData.build(y, grid, minimize=minimize)
    chains, draws = 2, 50
    lp = np.broadcast_to(np.log(np.asarray(probs, dtype=float)), (chains, draws, len(probs)))
    idx = rng.choice(len(probs), size=(chains, draws), p=probs)
    post = {"alpha": 0.5 + 0.01 * rng.random((chains, draws)), "beta": 2.0 + 0.01 * idx,
            "gamma": 2.0 + rng.random((chains, draws)),
            "sigma": 0.01 + 0.001 * rng.random((chains, draws)),
            "tail_mass": np.full((chains, draws), 0.5), "tau_logp": lp, "tau_index": idx,
            "tau": grid[idx]}
    stats = {"diverging": np.zeros((chains, draws), bool)}
    idata = az.from_dict(posterior=post, sample_stats=stats)
    return Fit(scores=as_scores(y, minimize=minimize), minimize=minimize,
               threshold=float(data.user_thresholds[int(np.argmax(probs))]),
               gamma_mode="continuous", n_hyperparameters=None, bounds=None, idata=idata,
               data=data.reference, thresholds=grid, spliced=data)


@pytest.mark.parametrize("probs, kind", [
    ([0.02, 0.03, 0.05, 0.8, 0.1], "decided"),
    ([0.2, 0.2, 0.2, 0.2, 0.2], "flat"),
    ([0.55, 0.05, 0.05, 0.3, 0.05], "multimodal"),
])
def test_threshold_verdict_kinds(probs, kind):
    v = _fit_with_tau_posterior(200, probs).threshold_verdict()
    assert v["kind"] == kind and v["decided"] == (kind == "decided")
    assert ("cannot choose" in v["message"]) == (kind != "decided")
    assert v["caveat"] == ""  # 200 runs: no caveat on a decided P(tau)
    if kind != "decided":  # the intervals averaged over tau and at its mode, side by side
        assert "averaged over tau" in v["message"]


def test_decided_threshold_on_a_large_search_names_a_safer_one():
    from bayesnq.inference.result import LARGE_SEARCH

    probs = [0.02, 0.03, 0.05, 0.8, 0.1]
    f = _fit_with_tau_posterior(LARGE_SEARCH, probs)
    v = f.threshold_verdict()
    assert v["kind"] == "decided"
    data = f.spliced
    first = int(np.argmax(probs))
    # the next candidate with fewer runs beyond it than the most probable one
    assert data.n_tail[first + 1] < data.n_tail[first]
    assert v["safer_threshold"] == pytest.approx(data.user_thresholds[first + 1])
    assert f"threshold={v['safer_threshold']:.6g}" in v["caveat"]
    assert "threshold_hedge=True" in v["caveat"]
    assert v["caveat"] in v["message"]
    # the summary's note carries it
    assert v["caveat"] in f.summary().attrs["threshold_note"]
    # lower is better: the safer threshold lies below the chosen one, fewer runs below it
    low = _fit_with_tau_posterior(LARGE_SEARCH, probs, minimize=True)
    lv = low.threshold_verdict()
    assert lv["safer_threshold"] == pytest.approx(low.spliced.user_thresholds[first + 1])
    assert lv["safer_threshold"] < low.threshold
    assert (low.scores.values < lv["safer_threshold"]).sum() < (low.scores.values
                                                                < low.threshold).sum()
    # one run fewer: no caveat
    assert _fit_with_tau_posterior(LARGE_SEARCH - 2, probs).threshold_verdict()["caveat"] == ""
    # the most probable candidate is the one with fewest runs beyond: none safer
    top = _fit_with_tau_posterior(LARGE_SEARCH, [0.02, 0.03, 0.05, 0.1, 0.8]).threshold_verdict()
    assert top["kind"] == "decided" and top["safer_threshold"] is None and top["caveat"] == ""
