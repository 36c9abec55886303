"""Comparing two searches (bayesnq.compare, bayesnq compare) and pooled fits (fit_many).

Fast: the settling rule, refusals before any computation, the figure of a constructed
result, CLI errors, the ConvNeXt spec. Slow: the pooled model's log density against the
single-search models', compare on synthetic draws against brute-force sampling, the
bundled data (DeBERTaV3 split in halves, AlexNet against ConvNeXt in both directions),
coverage of the difference's 90% interval over simulated pairs of searches, and a pooled
fit that recovers a shared gamma.
"""

from __future__ import annotations

import pathlib

import jax
import numpy as np
import pytest

import bayesnq
from bayesnq import cli, datasets
from bayesnq.curves.versus import compare, settling_budget
from helpers import made_up_comparison

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"


class Draws:
    """A stand-in for a fit: ``draws()`` and ``minimize``."""

    def __init__(self, draws, minimize=False):
        self._d, self.minimize = draws, minimize

    def draws(self):
        return self._d


def synthetic(beta, size=64, seed=0, spread=0.002, minimize=False):
    """Draws of a tight posterior around beta (maximize form), mirrored when minimizing."""
    rng = np.random.default_rng(seed)
    b = beta + spread * rng.standard_normal(size)
    d = {"alpha": b - 0.5, "beta": b, "gamma": 2.0 + 0.05 * rng.standard_normal(size),
         "sigma": np.full(size, 0.01)}
    if minimize:
        d["alpha"], d["beta"] = -d["beta"], -d["alpha"]
    return Draws(d, minimize)


# --------------------------------------------------------------------------- fast


def test_settling_budget():
    n = [1, 2, 5, 10, 20]
    assert settling_budget(n, [0.5, 0.95, 0.8, 0.92, 0.97], 0.9) == (10.0, 1)
    assert settling_budget(n, [0.95, 0.95, 0.95, 0.95, 0.95], 0.9) == (1.0, 1)
    assert settling_budget(n, [0.4, 0.2, 0.05, 0.01, 0.0], 0.9) == (5.0, -1)
    assert settling_budget(n, [0.5, 0.95, 0.97, 0.99, 0.85], 0.9) == (None, 0)
    assert settling_budget(n, [0.5, 0.95, 0.97, 0.99, 0.85], 0.8) == (2.0, 1)


def test_compare_refuses_before_computing():
    a, b = synthetic(0.8), synthetic(-0.8, minimize=True)
    with pytest.raises(ValueError, match=r"fit_b must be a fit of the direction of fit_a "
                       r"\(minimize=False\), got fit_b='a fit with minimize=True'"):
        compare(a, b)
    with pytest.raises(ValueError, match=r"fit_a must be a fit"):
        compare(a.draws(), a)
    with pytest.raises(ValueError, match=r"ci must be"):
        compare(a, a, ci=1.5)
    with pytest.raises(ValueError, match=r"settle must be"):
        compare(a, a, settle=0.4)
    with pytest.raises(ValueError, match=r"names must be two different"):
        compare(a, a, names=("x", "x"))
    with pytest.raises(ValueError, match=r"ns must be increasing budgets"):
        compare(a, a, ns=[10, 5])
    with pytest.raises(ValueError, match=r"n must be finite and >= 1"):
        compare(a, a, ns=[0.5, 2])


def test_comparison_tables_and_figure():
    import matplotlib

    matplotlib.use("Agg")
    r = made_up_comparison()
    df = r.to_frame()
    assert list(df.index) == [1.0, 10.0, 100.0]
    np.testing.assert_allclose(df["p_a_beats_b"], r.p_beats)
    assert (df["diff_lower"] <= df["diff_median"]).all() and (df["diff_median"] <= df["diff_upper"]).all()
    np.testing.assert_allclose(df["diff_median"], np.median(r.curve_a - r.curve_b, axis=0))
    assert df.attrs["settled_at"] == 100.0 and "new beats old" in df.attrs["settle_note"]
    assert "independent" in df.attrs["assumption"]
    assert "no budget in range" in made_up_comparison(settled=False).settle_note
    s = r.summary()
    assert s.loc["beta_new - beta_old", "lower"] < s.loc["beta_new - beta_old", "upper"]
    d = r.to_dict()
    assert d["budgets"]["n"] == [1.0, 10.0, 100.0] and d["leader"] == "new"
    fig = bayesnq.plots.plot_comparison(r)
    left, right = fig.axes[:2]
    assert len(left.get_lines()) == 2 and "P(beta of new better) = 1.000" == right.get_title()
    with pytest.raises(ValueError, match="result must be a Comparison"):
        bayesnq.plots.plot_comparison({"p_beats": 1})


@pytest.mark.slow  # eager evaluation of three model densities: over a minute on 2 cores
def test_pooled_model_adds_the_single_search_models():
    """With gamma shared, the pooled log density is the sum of the single-search ones
    (the same likelihood and priors), counting the prior of the one gamma once."""
    import numpyro.distributions as dist
    from numpyro.infer.util import log_density

    from bayesnq.modeling import Priors, TailData, tail_model
    from bayesnq.modeling.pooled import pooled_model

    rng = np.random.default_rng(3)
    ys = [rng.uniform(0, 0.8, 60), rng.uniform(0, 0.7, 50)]
    datas = [TailData.build(y, t, minimize=False, bounds=(0.0, 1.0))
             for y, t in zip(ys, (0.6, 0.5))]
    names = ("a", "b")
    values = {"a": dict(beta_t=0.3, sigma_rel=0.07, q=0.25), "b": dict(beta_t=-0.2, sigma_rel=0.1, q=0.2)}
    log_gamma = 0.8
    params = {"log_gamma": log_gamma}
    for n in names:
        params.update({f"{n}/{k}": v for k, v in values[n].items()})
    pooled, _ = log_density(pooled_model, (datas, names, [d.arrays() for d in datas]),
                            dict(gamma_max=7), params)
    single = sum(log_density(tail_model, (d,), dict(gamma_max=7),
                             {**values[n], "log_gamma": log_gamma})[0]
                 for d, n in zip(datas, names))
    prior = dist.TruncatedNormal(Priors().gamma_log_mean, Priors().gamma_log_sd,
                                 high=float(np.log(7))).log_prob(log_gamma)
    np.testing.assert_allclose(float(pooled), float(single - prior), rtol=1e-10)


def test_fit_many_refuses_before_sampling():
    from bayesnq.inference.pooled import fit_many

    y = np.linspace(0, 1, 50)
    with pytest.raises(ValueError, match="searches must be a dict of two or more"):
        fit_many({"a": y}, thresholds=0.5)
    with pytest.raises(ValueError, match="without '/'"):
        fit_many({"a/b": y, "c": y}, thresholds=0.5)
    with pytest.raises(ValueError, match="share must be one of"):
        fit_many({"a": y, "b": y}, thresholds=0.5, share=("beta",))
    with pytest.raises(ValueError, match="share must be a tuple that holds 'gamma'"):
        fit_many({"a": y, "b": y}, thresholds=0.5, share=("sigma",))
    with pytest.raises(ValueError, match="pooling must be one of"):
        fit_many({"a": y, "b": y}, thresholds=0.5, pooling="full")
    with pytest.raises(ValueError, match="thresholds must be a threshold for each"):
        fit_many({"a": y, "b": y}, thresholds={"a": 0.5})
    with pytest.raises(ValueError, match=r"thresholds\['a'\] must be a number"):
        fit_many({"a": y, "b": y}, thresholds={"a": "auto", "b": 0.5})
    with pytest.raises(ValueError, match="searches of one direction"):
        fit_many({"a": datasets.load("alexnet"), "b": datasets.load("convnext", "error")},
                 thresholds={"a": 0.5, "b": 0.4})
    with pytest.raises(ValueError, match="num_chains must be"):
        fit_many({"a": y, "b": y}, thresholds=0.5, num_chains=0)


def test_cli_compare_needs_thresholds(capsys, tmp_path):
    assert "compare" in cli.build_parser().parse_args(["compare", "a", "b"]).command
    assert cli.main(["compare", "alexnet", "convnext", "--out", str(tmp_path)]) == 2
    assert "threshold: required for 'alexnet'" in capsys.readouterr().err
    assert cli.main(["compare", str(MODELS / "alexnet.toml"), "missing.nc",
                     "--out", str(tmp_path)]) == 2
    assert "missing.nc: no such saved fit" in capsys.readouterr().err
    assert cli.main(["compare", "alexnet", "convnext", "--threshold", "0.5", "--ci", "2",
                     "--out", str(tmp_path)]) == 2
    assert "ci must be" in capsys.readouterr().err


def test_convnext_spec():
    raw = cli.load_spec(MODELS / "convnext.toml")
    assert raw["threshold"] == 0.60 and raw["n_hyperparameters"] == 7
    settings = cli.resolve_settings(cli.build_parser().parse_args(
        ["fit", str(MODELS / "convnext.toml")]))
    scores = cli.load_data(settings)
    assert scores.name == "convnext" and len(scores) == 512
    assert int((scores.values > settings.threshold).sum()) == 104


# --------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_compare_synthetic_against_sampling():
    from bayesnq.distributions import NoisyQuadratic

    a = synthetic(0.8, seed=1)
    same = compare(a, a, ns=[1, 10, 100])  # one posterior against itself
    assert np.all(np.abs(same.p_beats - 0.5) < 4 * same.p_beats_se + 0.01)
    assert same.settled_at is None and 0.3 < same.p_better < 0.7
    b = synthetic(0.78, seed=2)
    r = compare(a, b, ns=[1, 3, 10, 100, 1000])
    assert r.p_better > 0.99 and np.all(np.diff(r.p_beats) > 0)
    assert r.leader == "A" and r.settled_at is not None
    # minimize: the mirror image gives the same probabilities, the difference negated
    m = compare(synthetic(0.8, seed=1, minimize=True), synthetic(0.78, seed=2, minimize=True),
                ns=[1, 3, 10, 100, 1000])
    np.testing.assert_allclose(m.p_beats, r.p_beats, atol=1e-9)
    np.testing.assert_allclose(m.difference, -r.difference)
    assert m.p_better == r.p_better and m.best_name == "alpha"
    # against brute force: one parameter value per side, best of 10 by sampling
    pa = {k: np.full(64, v[0]) for k, v in a.draws().items()}
    pb = {k: np.full(64, v[0]) for k, v in b.draws().items()}
    one = compare(Draws(pa), Draws(pb), ns=[10])
    da = NoisyQuadratic(*(pa[k][0] for k in ("alpha", "beta", "gamma", "sigma")))
    db = NoisyQuadratic(*(pb[k][0] for k in ("alpha", "beta", "gamma", "sigma")))
    ta = np.asarray(da.sample(jax.random.PRNGKey(0), (100_000, 10))).max(1)
    tb = np.asarray(db.sample(jax.random.PRNGKey(1), (100_000, 10))).max(1)
    brute = (ta > tb).mean()
    assert abs(one.p_beats[0] - brute) < 4 * np.sqrt(0.25 / 1e5) + 4 * one.p_beats_se[0] + 0.005


def _fit(scores, threshold, seed=0):
    return bayesnq.fit(scores, threshold=threshold, num_chains=2, num_warmup=400,
                       num_samples=400, seed=seed, progress_bar=False, check=False)


@pytest.mark.slow
def test_deberta_halves_have_no_settled_ranking():
    s = datasets.load("deberta-v3")
    half = len(s) // 2
    first, second = _fit(s.values[:half], 0.89), _fit(s.values[half:], 0.89, seed=1)
    r = compare(first, second, names=("first half", "second half"))
    print(f"DeBERTaV3 halves: p_better {r.p_better:.3f}, P(first beats second) from "
          f"{r.p_beats.min():.3f} to {r.p_beats.max():.3f} over n = 1..1000; {r.settle_note}")
    assert r.settled_at is None and r.leader is None
    assert np.all((r.p_beats > 0.1) & (r.p_beats < 0.9))
    assert 0.1 < r.p_better < 0.9
    assert abs(r.p_beats[0] - 0.5) < 0.1  # one run each: about a coin flip


@pytest.mark.slow
def test_alexnet_against_convnext_both_directions():
    fits = {name: _fit(datasets.load(name), t) for name, t in (("alexnet", 0.5), ("convnext", 0.6))}
    r = compare(fits["alexnet"], fits["convnext"], names=("alexnet", "convnext"))
    assert r.p_better < 0.01 and np.median(r.difference) < 0  # ConvNeXt reaches higher
    assert r.leader == "convnext" and r.settled_at is not None and r.settled_at <= 20
    assert np.all(np.diff(r.p_beats[r.n >= 2]) <= 1e-6)
    back = compare(fits["convnext"], fits["alexnet"], names=("convnext", "alexnet"))
    assert back.p_better > 0.99 and back.leader == "convnext"
    np.testing.assert_allclose(back.p_beats, 1 - r.p_beats, atol=0.03)
    # minimize: top-1 error, where lower is better and the best end is alpha
    errs = {name: _fit(datasets.load(name, "error"), t)
            for name, t in (("alexnet", 0.5), ("convnext", 0.4))}
    e = compare(errs["alexnet"], errs["convnext"], names=("alexnet", "convnext"))
    assert e.minimize and e.best_name == "alpha"
    assert e.p_better < 0.01 and np.median(e.difference) > 0  # AlexNet's error is higher
    assert e.leader == "convnext"
    np.testing.assert_allclose(np.median(e.difference), -np.median(r.difference), atol=0.02)


@pytest.mark.slow
def test_difference_interval_covers_at_nominal():
    """Simulated pairs of searches with known beta_A - beta_B: the 90% interval of the
    difference covers it in a share of 20 seeds within binomial error of 0.9."""
    from scipy import stats

    from bayesnq.calibration.engine import run_vectorized
    from bayesnq.distributions import NoisyQuadratic

    seeds, n, tau = 20, 200, 0.6
    truth = {"A": (0.80, 0.01), "B": (0.78, 0.015)}
    sims = {}
    for k, (side, (beta, sigma)) in enumerate(truth.items()):
        d = NoisyQuadratic(beta - 1.0, beta, 2.0, sigma)
        sims[side] = np.asarray(d.sample(jax.random.PRNGKey(100 + k), (seeds, n)))
    both = np.concatenate([sims["A"], sims["B"]])
    keys = jax.random.split(jax.random.PRNGKey(7), 2 * seeds)
    draws, _ = run_vectorized(both, threshold=tau, bound=1.0, num_chains=1, num_warmup=300,
                              num_samples=400, keys=keys)
    true_diff = truth["A"][0] - truth["B"][0]
    covered = 0
    for i in range(seeds):
        pick = {s: {k: v[j].reshape(-1) for k, v in draws.items()}
                for s, j in (("A", i), ("B", seeds + i))}
        r = compare(Draws(pick["A"]), Draws(pick["B"]), ns=[1], seed=i)
        lo, hi = np.quantile(r.difference, [0.05, 0.95])
        covered += bool(lo <= true_diff <= hi)
    low, high = stats.binom.interval(0.99, seeds, 0.9)
    print(f"90% intervals of beta_A - beta_B covered the truth in {covered}/{seeds} seeds")
    assert low <= covered <= high


@pytest.mark.slow
def test_fit_many_recovers_a_shared_gamma():
    from bayesnq.distributions import NoisyQuadratic

    searches, thresholds = {}, {}
    for k, (beta, sigma) in enumerate(((0.8, 0.01), (0.7, 0.02), (0.75, 0.005))):
        d = NoisyQuadratic(beta - 1.0, beta, 2.0, sigma)
        y = np.asarray(d.sample(jax.random.PRNGKey(k), (300,)))
        searches[f"s{k}"], thresholds[f"s{k}"] = y, float(np.quantile(y, 0.75))
    pf = bayesnq.fit_many(searches, thresholds=thresholds, num_chains=2, num_warmup=400,
                          num_samples=400, progress_bar=False, n_hyperparameters=7)
    g = {n: pf.draws(n)["gamma"] for n in pf.names}
    np.testing.assert_array_equal(g["s0"], g["s1"])  # one gamma
    lo, hi = np.quantile(g["s0"], [0.05, 0.95])
    assert lo < 2.0 < hi and hi - lo < 1.5
    table = pf.summary()
    assert ("(shared)", "gamma") in table.index and table.attrs["pooling"] == "shared"
    assert pf.idata.log_likelihood["y"].shape[-1] == 900
    assert np.isfinite(float(pf.loo()["elpd_loo"]))
