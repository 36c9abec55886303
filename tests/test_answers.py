"""Answers a user can act on (issue 21, part B): the summary keyed by variable, the one
default credible level, and "what do m more runs bring" checked against simulation.

The fast tests build a :class:`bayesnq.Fit` from synthetic posterior draws (no NUTS); the
real fits and the command line are in the slow tier.
"""

import inspect
import math
import warnings

import jax
import numpy as np
import pytest

import bayesnq
from bayesnq import arviz_compat, curves
from bayesnq.data import as_scores
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling import TailData

TRUTH = dict(alpha=0.55, beta=0.80, gamma=2.0, sigma=0.004)


def synthetic_draws(size=40, seed=0, minimize=False):
    """Posterior-like draws spread around TRUTH (mirrored for a minimize-form search)."""
    rng = np.random.default_rng(seed)
    d = dict(alpha=TRUTH["alpha"] + 0.05 * rng.standard_normal(size),
             beta=TRUTH["beta"] + 0.003 * rng.standard_normal(size),
             gamma=rng.uniform(1.5, 3.0, size), sigma=rng.uniform(0.002, 0.006, size))
    if minimize:
        d["alpha"], d["beta"] = -d["beta"], -d["alpha"]
    return d


def stub_fit(minimize=False, n=200, chains=2, draws=100, seed=0):
    """A Fit whose posterior is synthetic draws (the methods under test read only draws,
    scores and the tail data; no sampler runs)."""
    sign = -1.0 if minimize else 1.0
    y = sign * np.asarray(NoisyQuadratic(**TRUTH).sample(jax.random.PRNGKey(seed), (n,)))
    threshold = float(np.quantile(y, 0.4 if minimize else 0.6))
    scores = as_scores(y, minimize=minimize)
    d = synthetic_draws(chains * draws, seed, minimize)
    nq = NoisyQuadratic(d["alpha"], d["beta"], d["gamma"], d["sigma"], minimize=minimize)
    tail_mass = np.exp(np.asarray(nq.log_cdf(threshold) if minimize else nq.log_sf(threshold)))
    post = {k: v.reshape(chains, draws) for k, v in {**d, "tail_mass": tail_mass}.items()}
    idata = arviz_compat.from_dict(
        posterior=post, sample_stats={"diverging": np.zeros((chains, draws), dtype=bool)})
    data = TailData.build(y, threshold, minimize=minimize)
    return bayesnq.Fit(scores=scores, minimize=minimize, threshold=threshold,
                       gamma_mode="continuous", n_hyperparameters=None, bounds=None,
                       idata=idata, data=data)


def simulate_more_runs(d, best, target, m, minimize, searches=3000, seed=1):
    """Monte Carlo per draw: ``searches`` searches of ``m`` runs each from that draw's
    distribution; returns per-draw P(best of m beyond target), the mean gain over ``best``,
    and the Monte Carlo standard errors of their averages over draws."""
    nq = NoisyQuadratic(d["alpha"], d["beta"], d["gamma"], d["sigma"], minimize=minimize)
    y = np.asarray(nq.sample(jax.random.PRNGKey(seed), (searches, m)))  # (R, m, S)
    t = y.min(axis=1) if minimize else y.max(axis=1)
    hit = (t < target) if minimize else (t > target)
    gain = np.maximum(best - t, 0.0) if minimize else np.maximum(t - best, 0.0)
    s = t.shape[1]
    p_se = math.sqrt(np.sum(hit.var(axis=0)) / searches) / s
    g_se = math.sqrt(np.sum(gain.var(axis=0)) / searches) / s
    return hit.mean(axis=0), gain.mean(axis=0), p_se, g_se


# ----------------------------------------------------------------------------- more runs


@pytest.mark.parametrize("minimize", [False, True])
@pytest.mark.parametrize("offset, delta", [(-0.01, 0.0), (0.0, 0.002), (0.01, 0.0)])
def test_more_runs_matches_monte_carlo(minimize, offset, delta):
    """P(m more runs beat y* by delta) and the expected gain against simulated searches
    from the same draws (within 4.5 Monte Carlo standard errors)."""
    d = synthetic_draws(30, seed=3, minimize=minimize)
    sign = -1.0 if minimize else 1.0
    best = sign * (TRUTH["beta"] + offset)
    m = 50
    r = curves.more_runs(d, best, minimize=minimize, m=m, delta=delta)
    p, g, p_se, g_se = simulate_more_runs(d, best, r.target, m, minimize)
    assert r.target == pytest.approx(best - delta if minimize else best + delta)
    assert abs(r.probability - p.mean()) < 4.5 * p_se + 1e-12, (r.probability, p.mean(), p_se)
    assert abs(r.gain - g.mean()) < 4.5 * g_se + 1e-12, (r.gain, g.mean(), g_se)
    # per draw too: each draw's exact probability against its own simulation
    assert np.all(np.abs(r.probability_draws - p) < 5 * np.sqrt(p * (1 - p) / 3000) + 2e-3)
    assert r.probability_lower <= r.probability_median <= r.probability_upper
    assert r.gain >= 0 and r.gain_lower <= r.gain_median <= r.gain_upper
    assert r.expected_best == pytest.approx(best - r.gain if minimize else best + r.gain)


def test_more_runs_monotone_in_m_and_delta():
    d = synthetic_draws(40, seed=5)
    best = 0.801
    ms = [1, 10, 100, 1000, 10_000]
    probs = [curves.more_runs(d, best, minimize=False, m=m).probability for m in ms]
    gains = [curves.more_runs(d, best, minimize=False, m=m).gain for m in ms]
    assert np.all(np.diff(probs) > 0) and np.all(np.diff(gains) > 0), (probs, gains)
    deltas = [0.0, 0.001, 0.003, 0.01, 0.03]
    by_delta = [curves.more_runs(d, best, minimize=False, m=100, delta=x).probability
                for x in deltas]
    assert np.all(np.diff(by_delta) < 0), by_delta
    assert 0.0 <= by_delta[-1] < 1e-3 and probs[-1] > 0.9


@pytest.mark.parametrize("minimize", [False, True])
def test_runs_needed_agree_with_the_probability_curve(minimize):
    """The m needed for p is the first m whose averaged probability reaches p."""
    d = synthetic_draws(40, seed=7, minimize=minimize)
    best = -0.8 if minimize else 0.8
    r = curves.more_runs(d, best, minimize=minimize, m=100, delta=0.0005)
    previous = 0
    for p in (0.5, 0.8, 0.95):
        need = r.needed[p]["runs"]
        assert math.isfinite(need) and need >= 1 and need >= previous
        previous = need
        at = curves.more_runs(d, best, minimize=minimize, m=int(need), delta=0.0005)
        assert at.probability >= p
        if need > 1:
            before = curves.more_runs(d, best, minimize=minimize, m=int(need) - 1, delta=0.0005)
            assert before.probability < p
        assert r.needed[p]["lower"] <= r.needed[p]["median"] <= r.needed[p]["upper"]


def test_more_runs_mirror_and_frame():
    """A minimize-form search mirrored gives the same answers; to_frame labels them."""
    d = synthetic_draws(32, seed=11)
    a = curves.more_runs(d, 0.8, minimize=False, m=30, delta=0.001)
    b = curves.more_runs(synthetic_draws(32, seed=11, minimize=True), -0.8, minimize=True,
                         m=30, delta=0.001)
    assert a.probability == pytest.approx(b.probability, rel=1e-9)
    assert a.gain == pytest.approx(b.gain, rel=1e-6)
    assert {p: v["runs"] for p, v in a.needed.items()} == {p: v["runs"] for p, v in
                                                           b.needed.items()}
    frame = b.to_frame()
    assert {"best_run", "p_beat", "expected_gain", "expected_best", "runs_for_50%",
            "runs_for_95%"} <= set(frame.index)
    assert list(frame.columns) == ["value", "lower", "upper", "meaning"]
    assert "below y*" in frame.loc["p_beat", "meaning"]
    assert frame.loc["expected_best", "value"] <= -0.8
    assert f"{curves.DEFAULT_CI:.0%}" in frame.attrs["caption"]
    assert "fresh" not in repr(a) and "P(beat)" in repr(a)


@pytest.mark.parametrize("m", [1, 100, 1_000_000])
def test_gain_matches_the_integral_of_one_minus_f_to_the_m(m):
    """E[(T_m - y*)+] = integral from y* of 1 - F(y)^m dy, here by a dense trapezoid rule."""
    from bayesnq.curves.more_runs import gain_per_draw

    p = dict(alpha=0.859, beta=0.905, gamma=1.0, sigma=0.0011)
    nq = NoisyQuadratic(**p)
    d = {k: np.array([v]) for k, v in p.items()}
    for best in (0.8995, 0.905, 0.9083):
        y = np.linspace(best, p["beta"] + 12 * p["sigma"], 100_001)
        ref = np.trapezoid(-np.expm1(m * np.asarray(nq.log_cdf(y))), y)
        assert gain_per_draw(d, best, m, False)[0] == pytest.approx(ref, rel=1e-4)


def test_lattice_scores_must_reach_a_higher_cell():
    """With a resolution h, beating y* by delta means a score beyond y* + delta + h/2."""
    d = synthetic_draws(16, seed=2)
    for minimize, best in ((False, 0.8), (True, -0.8)):
        dd = synthetic_draws(16, seed=2, minimize=minimize) if minimize else d
        a = curves.more_runs(dd, best, minimize=minimize, m=20, delta=0.001, resolution=0.002)
        b = curves.more_runs(dd, best, minimize=minimize, m=20, delta=0.002)
        assert a.target == b.target and a.probability == pytest.approx(b.probability)
        assert a.delta == 0.001
    with pytest.raises(ValueError, match="^resolution must be"):
        curves.more_runs(d, 0.8, minimize=False, resolution=0.0)


@pytest.mark.parametrize("kwargs, name", [({"m": 0}, "m"), ({"delta": -0.1}, "delta"),
                                           ({"ci": 1.0}, "ci"), ({"levels": [0.5, 1.2]},
                                                                 "levels")])
def test_more_runs_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be .*, got {name}="):
        curves.more_runs(synthetic_draws(4), 0.8, minimize=False, **kwargs)


def test_one_default_credible_level():
    """Every interval a user gets without asking is at DEFAULT_CI."""
    level = curves.DEFAULT_CI
    assert level == 0.9
    functions = [curves.tuning_curve, curves.average_tuning_curve, curves.runs_to_reach,
                 curves.more_runs, bayesnq.Fit.summary, bayesnq.Fit.tuning_curve,
                 bayesnq.Fit.average_tuning_curve, bayesnq.Fit.runs_to_reach,
                 bayesnq.Fit.more_runs, bayesnq.Fit.threshold_verdict]
    for fn in functions:
        assert inspect.signature(fn).parameters["ci"].default == level, fn.__qualname__
    comparison = bayesnq.ThresholdComparison
    for fn in (comparison.tuning_curve, comparison.average_tuning_curve):
        assert inspect.signature(fn).parameters["ci"].default == level, fn.__qualname__


def test_runs_to_reach_says_fresh_search():
    for doc in (curves.runs_to_reach.__doc__, bayesnq.Fit.runs_to_reach.__doc__,
                curves.tuning_curve.__doc__, curves.RunsToReach.__doc__):
        assert "fresh" in doc


# ----------------------------------------------------------------------------- summary


@pytest.mark.slow  # heavy (summary compiles more_runs and the fresh curve); the fast tier
@pytest.mark.parametrize("minimize", [False, True])  # keeps test_summary_mirrors_with_direction
def test_summary_keyed_by_variable(minimize):
    fit = stub_fit(minimize=minimize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = fit.summary(m=50)
    best, other = ("alpha", "beta") if minimize else ("beta", "alpha")
    assert list(table.index) == [best, "gamma", "sigma", other, "tail_mass", "best_run",
                                 "p_beats_best_run", "best_of_m_fresh", "best_after_m_more"]
    assert table.index.name == "variable"
    assert {"value", "mean", "sd", "median", "lower", "upper", "r_hat", "ess",
            "meaning"} <= set(table.columns)
    assert table.attrs["ci"] == curves.DEFAULT_CI and "90%" in table.attrs["caption"]
    assert table.attrs["m"] == 50
    d = fit.draws()
    # the best end, named by its parameter, says in words that it is the best end
    assert "best end" in table.loc[best, "meaning"]
    assert ("lower is better" if minimize else "higher is better") in table.loc[best, "meaning"]
    assert table.loc[best, "median"] == pytest.approx(np.median(d[best]))
    assert table.loc[best, "lower"] < table.loc[best, "median"] < table.loc[best, "upper"]
    lo, hi = np.quantile(d[best], [0.05, 0.95])
    assert (table.loc[best, "lower"], table.loc[best, "upper"]) == pytest.approx((lo, hi))
    # the weakly identified end: median and interval, no mean
    assert math.isnan(table.loc[other, "mean"]) and math.isnan(table.loc[other, "sd"])
    assert table.loc[other, "value"] == pytest.approx(np.median(d[other]))
    # the best run and P(best end beats it)
    y_best = fit.scores.best
    assert table.loc["best_run", "value"] == y_best
    p = table.loc["p_beats_best_run", "value"]
    expected = np.mean(d[best] < y_best) if minimize else np.mean(d[best] > y_best)
    assert p == pytest.approx(expected) and 0.0 <= p <= 1.0
    assert f"P({best} {'<' if minimize else '>'} best_run)" in table.loc["p_beats_best_run",
                                                                            "meaning"]
    # m more runs can only improve on the best run; a fresh search of m may not
    after = table.loc["best_after_m_more", "value"]
    assert (after <= y_best) if minimize else (after >= y_best)
    more = fit.more_runs(m=50)
    assert after == pytest.approx(more.expected_best)
    assert "fresh search" in table.loc["best_of_m_fresh", "meaning"]
    fresh = curves.average_tuning_curve(d, [50.0], minimize=minimize)
    assert table.loc["best_of_m_fresh", "value"] == pytest.approx(fresh.median[0])
    assert table.loc["best_of_m_fresh", "mean"] == pytest.approx(fresh.predictive[0])
    assert not table[["value", "median"]].drop(index="p_beats_best_run").isna().any().any()


def test_summary_mirrors_with_direction():
    # 2 x 32 draws: the curves pad draws to 64 (MIN_DRAWS), the size of the more-runs tests'
    # draws above, so summary's more_runs reuses their compiled programs (200 draws: 256,
    # programs of its own); the mirror is exact at any number of draws
    up, down = stub_fit(minimize=False, draws=32), stub_fit(minimize=True, draws=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = up.summary(m=20), down.summary(m=20)
    for key_a, key_b in (("beta", "alpha"), ("alpha", "beta"), ("best_run", "best_run"),
                         ("best_after_m_more", "best_after_m_more"),
                         ("best_of_m_fresh", "best_of_m_fresh")):
        assert a.loc[key_a, "value"] == pytest.approx(-b.loc[key_b, "value"], rel=1e-6)
    for key in ("gamma", "sigma", "p_beats_best_run"):
        assert a.loc[key, "value"] == pytest.approx(b.loc[key, "value"], rel=1e-9)


def test_fit_more_runs_uses_the_best_run():
    fit = stub_fit()
    r = fit.more_runs(m=100, delta=0.001)
    assert r.best == fit.scores.best and r.n_runs == len(fit.scores) and r.m == 100
    direct = curves.more_runs(fit.draws(), fit.scores.best, minimize=False, m=100, delta=0.001)
    assert r.probability == pytest.approx(direct.probability)
    with pytest.raises(ValueError, match="^m must be"):
        fit.more_runs(m=-1)


# ----------------------------------------------------------------------------- real fits


@pytest.mark.slow  # NUTS
@pytest.mark.parametrize("minimize", [False, True])
def test_more_runs_of_a_real_fit_against_simulation(minimize):
    """A real fit: P(m more runs beat y*) and the gain against searches simulated from
    the fitted distributions (one per posterior draw)."""
    sign = -1.0 if minimize else 1.0
    y = sign * np.asarray(NoisyQuadratic(**TRUTH).sample(jax.random.PRNGKey(4), (300,)))
    tau = float(np.quantile(y, 0.4 if minimize else 0.6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bayesnq.fit(y, threshold=tau, minimize=minimize, num_chains=1, num_warmup=300,
                          num_samples=300, progress_bar=False)
        table = fit.summary()
    best = "alpha" if minimize else "beta"
    assert list(table.index[:5]) == [best, "gamma", "sigma",
                                     "beta" if minimize else "alpha", "tail_mass"]
    p_beats = table.loc["p_beats_best_run", "value"]
    assert 0.0 <= p_beats <= 0.5  # the best run is usually beyond the best expected score
    r = fit.more_runs(m=100, max_draws=None)
    p, g, p_se, g_se = simulate_more_runs(fit.draws(), fit.scores.best, r.target, 100,
                                          minimize, searches=400)
    assert abs(r.probability - p.mean()) < 4.5 * p_se + 1e-9
    assert abs(r.gain - g.mean()) < 4.5 * g_se + 1e-12


# ----------------------------------------------------------------------------- command line


def test_cli_formats_the_summary_and_the_more_runs_block():
    from bayesnq.cli import outputs

    fit = stub_fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = fit.summary(m=100)
    text = outputs.format_summary(table)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["variable", "value", "90%"]
    for key in ("beta", "gamma", "sigma", "alpha", "tail_mass", "best_run", "p_beats_best_run",
                "best_of_m_fresh", "best_after_m_more"):
        line = next(x for x in lines if x.split()[0] == key)
        assert table.loc[key, "meaning"] in line
    beta_line = next(x for x in lines if x.startswith("beta "))
    assert f"[{table.loc['beta', 'lower']:.6g}, {table.loc['beta', 'upper']:.6g}]" in beta_line
    assert "nan" not in text.lower()
    answers = [fit.more_runs(m=100, delta=x) for x in (0.0, 0.001)]
    block = outputs.format_more_runs(answers)
    assert block.startswith(f"more runs (on top of the {len(fit.scores)} made, best run y* = ")
    assert f"P(100 more runs beat y*) = {answers[0].probability:.3g}" in block
    assert f"P(100 more runs beat y* by 0.001) = {answers[1].probability:.3g}" in block
    assert "more runs needed to beat y* by 0.001: 50%: " in block and "95%: " in block
    assert "expected gain of 100 more runs" in block


def test_default_delta_and_the_fit_options():
    from bayesnq import cli
    from bayesnq.cli import outputs

    assert outputs.default_delta(as_scores([0.5, 0.7, 0.9]))[0] == 0.001
    assert outputs.default_delta(as_scores([50.0, 70.5, 91.0]))[0] == 0.1
    assert outputs.default_delta(as_scores([0.5, 0.75]), resolution=0.25) == (
        0.25, "one resolution step")
    step, why = outputs.default_delta(as_scores([-300.0, -100.0, 200.0]))
    assert step == 0.5 and "1/1000" in why
    args = cli.build_parser().parse_args(["fit", "runs.csv", "--more-runs", "50",
                                          "--delta", "0.002"])
    assert args.more_runs == 50 and args.delta == 0.002
    args = cli.build_parser().parse_args(["fit", "runs.csv"])
    assert args.more_runs == 100 and args.delta is None
    for bad in (["--delta", "-0.1"], ["--more-runs", "0"]):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(["fit", "runs.csv", *bad])


@pytest.mark.slow  # NUTS
def test_fit_command_prints_the_answers(tmp_path, capsys):
    from bayesnq import cli

    rng = np.random.default_rng(7)
    data = tmp_path / "s.txt"
    np.savetxt(data, 0.9 - 0.4 * rng.random(60) + 0.01 * rng.standard_normal(60))
    code = cli.main(["fit", str(data), "--threshold", "0.75", "--chains", "1", "--warmup",
                     "60", "--samples", "60", "--no-progress", "--out", str(tmp_path / "o"),
                     "--more-runs", "50", "--delta", "0.002"])
    out = capsys.readouterr().out
    assert code == 0
    assert "posterior summary (maximize" in out and "90% credible interval" in out
    assert "p_beats_best_run" in out and "P(beta > best_run)" in out
    assert "P(50 more runs beat y*) = " in out and "P(50 more runs beat y* by 0.002) = " in out
    assert "more runs needed to beat y* by 0.002: 50%: " in out
    assert "median tuning curve of a fresh search" in out
    import json

    saved = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert [r["delta"] for r in saved["more_runs"]] == [0.0, 0.002]
    assert saved["summary"]["beta"]["meaning"].startswith("best expected score")
