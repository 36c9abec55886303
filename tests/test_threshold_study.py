"""Synthetic searches with a known regime start, and the threshold study built on them."""

import json

import numpy as np
import pytest
from scipy import stats

from bayesnq.calibration.regimes import (BODY_FAMILIES, draw_prior_truth, draw_truth,
                                         regime_search)
from bayesnq.calibration.threshold_study import ThresholdStudyResult, threshold_study
from bayesnq.distributions import NoisyQuadratic

THETA = dict(alpha=0.0, beta=1.0, gamma=3.0, sigma=0.02)


@pytest.mark.parametrize("body", BODY_FAMILIES)
def test_tail_is_the_truncated_noisy_quadratic_and_the_body_stays_below(body):
    rng = np.random.default_rng(5)
    y, t = regime_search(rng, 4_000, **THETA, tail_fraction=0.3, body=body)
    tail = y[y > t.threshold]
    assert t.observed_tail_fraction == tail.size / y.size
    # the share beyond tau* is Binomial(n, p)
    assert abs(tail.size - 0.3 * y.size) < 4 * np.sqrt(y.size * 0.3 * 0.7)
    # the tail is Q truncated beyond tau*: KS against (F(y) - F(tau)) / (1 - F(tau))
    d = NoisyQuadratic(**THETA)
    f_tau = float(d.cdf(t.threshold))
    u = (np.asarray(d.cdf(tail)) - f_tau) / (1.0 - f_tau)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert y.min() < t.threshold - 0.5 * (1.0 - t.threshold)  # a body well below tau*


def test_units_direction_and_truth():
    base, t0 = regime_search(np.random.default_rng(1), 300, **THETA, tail_fraction=0.4,
                             body="rising")
    for unit, offset in ((1e-9, 3e-9), (1e9, -2e9)):
        for minimize in (False, True):
            y, t = regime_search(np.random.default_rng(1), 300, **THETA, tail_fraction=0.4,
                                 body="rising", minimize=minimize, unit=unit, offset=offset)
            mirrored = -base if minimize else base
            np.testing.assert_allclose(y, offset + unit * mirrored, rtol=1e-12)
            assert t.alpha < t.beta and t.sigma == pytest.approx(unit * THETA["sigma"])
            beyond = y < t.threshold if minimize else y > t.threshold
            assert beyond.mean() == t0.observed_tail_fraction
            best = t.alpha if minimize else t.beta
            assert best == pytest.approx(offset + unit * (-1.0 if minimize else 1.0))


def test_draw_truth_ranges():
    rng = np.random.default_rng(0)
    draws = [draw_truth(rng) for _ in range(200)]
    g = np.array([d["gamma"] for d in draws])
    p = np.array([d["tail_fraction"] for d in draws])
    assert 0.5 <= g.min() and g.max() <= 8.0 and 0.1 <= p.min() and p.max() <= 0.6


def test_draw_prior_truth_follows_the_tail_prior_and_starts_the_regime_at_zero():
    rng = np.random.default_rng(2)
    draws = [draw_prior_truth(rng) for _ in range(400)]
    p = np.array([d["tail_fraction"] for d in draws])
    assert 0.1 <= p.min() and p.max() <= 0.6
    # log gamma ~ N(log 2, 1) and sigma ~ Gamma(2, 10) in units of beta - tau* = 1 (the
    # conditioning on p barely touches them): KS against the prior marginals
    g = np.log([d["gamma"] for d in draws])
    assert stats.kstest(g, "norm", args=(np.log(2.0), 1.0)).pvalue > 1e-3
    s = np.array([d["sigma"] for d in draws])
    assert stats.kstest(s, "gamma", args=(2.0, 0.0, 0.1)).pvalue > 1e-3
    # p is the truth's own mass beyond 0, so the regime starts at tau* = 0
    assert all(d["beta"] == 1.0 and d["alpha"] < 0.0 for d in draws)
    d = draws[0]
    theta = {k: d[k] for k in ("alpha", "beta", "gamma", "sigma")}
    assert 1.0 - float(NoisyQuadratic(**theta).cdf(0.0)) == pytest.approx(p[0], rel=1e-9)
    y, t = regime_search(rng, 200, **theta, tail_fraction=d["tail_fraction"], body="flat")
    assert t.threshold == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match=r"tail_fraction_range must be increasing"):
        draw_prior_truth(rng, tail_fraction_range=(0.6, 0.1))
    with pytest.raises(ValueError, match=r"tail_fraction_range must be a pair"):
        draw_prior_truth(rng, tail_fraction_range=0.3)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(tail_fraction=1.0), r"tail_fraction must be"),
    (dict(tail_fraction=0.3, body="spiky"), r"body must be one of"),
    (dict(tail_fraction=0.3, unit=0.0), r"unit must be"),
    (dict(tail_fraction=0.3, alpha=2.0), r"alpha must be less than beta"),
])
def test_regime_search_argument_errors(kwargs, pattern):
    params = {**THETA, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        regime_search(np.random.default_rng(0), 50, **params)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(families=("flat", "spiky")), r"families must be one of"),
    (dict(sizes=(10,)), r"sizes must be"),
    (dict(levels=(0.5, 1.5)), r"levels must be"),
    (dict(replicates=0), r"replicates must be"),
    (dict(control="yes"), r"control must be True or False, got control='yes'"),
    (dict(truths="posterior"), r"truths must be one of 'range', 'prior', got truths='posterior'"),
    (dict(threshold_hedge=1), r"threshold_hedge must be True or False, got threshold_hedge=1"),
])
def test_threshold_study_checks_arguments_before_work(kwargs, pattern, tmp_path):
    with pytest.raises(ValueError, match=pattern):
        threshold_study(tmp_path / "t.jsonl", **kwargs)
    assert not (tmp_path / "t.jsonl").exists()


def test_result_table_groups_and_bias():
    recs = [dict(replicate=i, family=f, n=48, true_fraction=0.4, median_fraction=m,
                 divergences=0, cover_best_90=c, cover_gamma_90=True, cover_fraction_90=c)
            for i, (f, m, c) in enumerate([("flat", 0.5, True), ("flat", 0.3, False),
                                           ("flat", 0.4, True), ("rising", 0.8, False)])]
    table = ThresholdStudyResult(recs).table().set_index("family")
    assert table.loc["flat", "searches"] == 3
    assert table.loc["flat", "best_90"] == pytest.approx(2 / 3)
    assert table.loc["flat", "median_relative_bias"] == pytest.approx(0.0)
    assert table.loc["rising", "median_relative_bias"] == pytest.approx(1.0)


def test_result_table_counts_the_control_only_where_it_was_fitted():
    recs = [dict(replicate=i, family="flat", n=48, true_fraction=0.4, median_fraction=0.4,
                 divergences=0, cover_best_90=True, cover_best_90_at_truth=c)
            for i, c in enumerate([True, False, None, False])]
    row = ThresholdStudyResult(recs).table().iloc[0]
    assert row["best_90"] == 1.0
    assert row["best_90_at_truth"] == pytest.approx(1 / 3)  # the missing control not counted


@pytest.mark.slow
def test_threshold_study_runs_and_resumes(tmp_path):
    path = tmp_path / "t.jsonl"
    kw = dict(replicates=1, families=("flat", "rising"), sizes=(48,), num_chains=1,
              num_warmup=60, num_samples=60, control=True)
    res = threshold_study(path, **kw)
    assert len(res.records) == 2 and {r["family"] for r in res.records} == {"flat", "rising"}
    for r in res.records:
        assert 0 < r["median_fraction"] < 1 and isinstance(r["cover_best_90"], bool)
        assert isinstance(r["cover_gamma_50_at_truth"], bool)  # the oracle control ran
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["bayesnq_study"] == "thresholds" and len(lines) == 3
    again = threshold_study(path, **kw)  # everything done: nothing is fitted again
    assert again.records == res.records


def test_regime_search_compiles_one_quantile_program_for_all_sizes():
    # a study draws thousands of searches; one program per tail size would exhaust the
    # process's memory maps (the quantile function is solved in fixed-size chunks)
    from bayesnq.calibration import regimes

    rng = np.random.default_rng(3)
    before = regimes._noisy_quadratic_icdf._cache_size()
    sizes = set()
    for n in (40, 45, 50, 55, 300, 700):
        scores, truth = regime_search(rng, n, **THETA, tail_fraction=0.5)
        sizes.add(round(truth.observed_tail_fraction * n))
    assert len(sizes) >= 5  # many different tail sizes ...
    assert regimes._noisy_quadratic_icdf._cache_size() - before <= 1  # ... one program
