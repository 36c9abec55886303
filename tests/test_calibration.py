"""Calibration studies: SBC, coverage, streaming/resume, Dask, CLI, LOO-PIT.

The MCMC here is tiny (2 chains x 20 + 20 iterations, one compiled shape shared by the
tests); the real studies are behind ``-m slow``.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import jax
import numpy as np
import pytest
from numpyro.infer.util import log_density

import bayesnq
from bayesnq import calibration
from bayesnq.calibration import engine
from bayesnq.modeling import PARAMETERS, Priors, TailData, tail_model

TINY = dict(n=24, num_chains=2, num_warmup=20, num_samples=20, num_ranks=11, batch_size=2,
            n_hyperparameters=5)


# ----------------------------------------------------------------------------- model


@pytest.mark.parametrize("bound", [None, 1.0])
@pytest.mark.parametrize("gamma_max", [None, 5])
@pytest.mark.parametrize("floor", [None, -0.5])
def test_vector_model_has_the_log_density_of_tail_model(bound, gamma_max, floor):
    rng = np.random.default_rng(1)
    y = np.concatenate([0.8 + 0.1 * rng.random(7), 0.8 - rng.random(9)])
    data = TailData.build(y, 0.8, minimize=False, bounds=(floor, bound))
    assert (data.floor_gap is None) == (floor is None)
    params = {"beta_t": 0.3, "sigma_rel": 0.2, "q": 0.4, "log_gamma": 0.5}
    ref, _ = log_density(tail_model, (data,), dict(priors=Priors(), gamma_max=gamma_max), params)
    mask = (y > 0.8).astype(float)
    room = (bound - 0.8) if bound is not None else 1.0
    gap = 0.8 - floor if floor is not None else 1.0
    got, _ = log_density(calibration.vector_model, (y, mask, 0.8, data.scale, room, gap),
                         dict(priors=Priors(), gamma_max=gamma_max, bounded=bound is not None,
                              floored=floor is not None),
                         params)
    np.testing.assert_allclose(float(got), float(ref), rtol=1e-10)


def test_simulate_scores_tail_and_body():
    p = {"alpha": 0.0, "beta": 1.0, "gamma": 2.0, "sigma": 0.01}
    y = calibration.simulate_scores(jax.random.PRNGKey(0), p, 4000, threshold=0.7)
    assert y.shape == (4000,)
    # the tail share is the noisy P(Y > 0.7) ~ 0.3 for the uniform-like gamma=2
    assert abs((y > 0.7).mean() - 0.3) < 0.03
    ym = calibration.simulate_scores(jax.random.PRNGKey(0), p, 500, threshold=0.3, minimize=True)
    assert ((ym < 0.3).mean() > 0.2) and np.all(np.isfinite(ym))


def test_prior_draws_respect_gamma_bound():
    d = calibration.prior_draws(jax.random.PRNGKey(3), threshold=0.0, scale=1.0, gamma_max=3,
                            size=200)
    assert d["gamma"].max() <= 3 + 1e-9 and np.all(d["beta"] > 0) and np.all(d["alpha"] < 0)
    dm = calibration.prior_draws(jax.random.PRNGKey(3), threshold=0.0, scale=1.0, gamma_max=3,
                             size=5, minimize=True)
    assert np.all(dm["alpha"] < 0) and np.all(dm["beta"] > 0)


# ----------------------------------------------------------------------------- statistics


def test_ranks_are_uniform_for_exchangeable_draws():
    rng = np.random.default_rng(0)
    true = rng.normal(size=2000)
    draws = rng.normal(size=(2000, 2, 50))
    r = calibration.rank_statistics(true, draws, num_ranks=21)
    assert r.min() >= 0 and r.max() <= 20
    assert calibration.uniformity_test(r, 21, bins=7)["p_value"] > 1e-3
    # a biased posterior (shifted draws) is detected
    biased = calibration.rank_statistics(true, draws + 0.5, num_ranks=21)
    assert calibration.uniformity_test(biased, 21, bins=7)["p_value"] < 1e-6


def test_rank_ties_are_broken_within_range():
    r = calibration.rank_statistics([1.0, 1.0], np.ones((2, 10)))
    assert np.all((0 <= r) & (r <= 10))


def test_run_vectorized_devices_validation():
    import jax

    data = np.zeros((2, 10))
    too_many = jax.local_device_count() + 1
    with pytest.raises(ValueError, match="devices"):
        calibration.run_vectorized(data, threshold=0.0, keys=np.zeros((2, 2), np.uint32),
                               devices=too_many)
    with pytest.raises(ValueError, match="devices"):
        calibration.run_vectorized(data, threshold=0.0, keys=np.zeros((2, 2), np.uint32), devices=0)
    assert engine._num_devices(None, 1) == 1  # never more devices than replicates


def test_binomial_interval():
    lo, hi = calibration.binomial_interval(0, 10)
    assert lo == 0 and abs(hi - 0.3084971) < 1e-6
    lo, hi = calibration.binomial_interval(1, 3, level=0.95)
    assert 0.0084 < lo < 0.0085 and 0.9057 < hi < 0.9058


def test_simultaneous_band_covers_level_share_of_curves():
    rng = np.random.default_rng(0)
    curves = rng.normal(size=(400, 6)).cumsum(1)
    lo, hi = calibration.simultaneous_band(curves, 0.8)
    inside = np.all((curves >= lo) & (curves <= hi), axis=1).mean()
    assert inside >= 0.8
    plo, phi = np.quantile(curves, [0.1, 0.9], axis=0)
    assert np.all(lo <= plo + 1e-12) and np.all(hi >= phi - 1e-12)


# ----------------------------------------------------------------------------- SBC


@pytest.fixture(scope="module")
def tiny_sbc():
    return calibration.sbc(replicates=3, seed=5, **TINY)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_tiny_sbc(tiny_sbc):
    r = tiny_sbc
    assert r.replicates == 3 and r.num_ranks == 11
    for k in PARAMETERS:
        assert r.ranks[k].shape == (3,) and r.ranks[k].min() >= 0 and r.ranks[k].max() <= 10
    table = r.table(bins=5)
    assert list(table.index) == list(PARAMETERS)
    assert np.all((table["p_value"] >= 0) & (table["p_value"] <= 1))
    from bayesnq import plots

    fig = plots.plot_sbc(r)
    assert len(fig.axes) >= 4


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_sbc_importance_uses_the_same_replicates(tiny_sbc):
    keys = ("n", "threshold", "scale")
    kw = {k: TINY[k] for k in keys if k in TINY}
    recs = calibration.sbc_importance(replicates=3, seed=5, draws=4096,
                                      n_hyperparameters=tiny_sbc.settings["gamma_max"], **kw)
    assert [r["replicate"] for r in recs] == [0, 1, 2]
    for i, r in enumerate(recs):
        for k in PARAMETERS:
            assert r["true"][k] == pytest.approx(tiny_sbc.true[k][i], rel=1e-12)
            assert 0.0 <= r["pit"][k] <= 1.0
        assert 1.0 <= r["ess"] <= 4096
    # the likelihood reweights the prior: the weights are far from uniform
    assert min(r["ess"] for r in recs) < 4096 / 2
    again = calibration.sbc_importance(replicates=1, seed=5, draws=4096,
                                       n_hyperparameters=tiny_sbc.settings["gamma_max"], **kw)
    assert again[0] == recs[0]
    with pytest.raises(ValueError, match="draws"):
        calibration.sbc_importance(replicates=1, draws=1)


@pytest.mark.slow  # subprocesses and a Dask cluster: the slow tier
def test_sbc_is_reproducible_per_replicate(tiny_sbc, tmp_path):
    # replicate i depends only on (seed, i): the first two of three are the same
    r = calibration.sbc(replicates=2, seed=5, path=tmp_path / "a.jsonl", **TINY)
    for k in PARAMETERS:
        np.testing.assert_array_equal(r.ranks[k], tiny_sbc.ranks[k][:2])
        np.testing.assert_array_equal(r.true[k], tiny_sbc.true[k][:2])
    loaded = calibration.load(tmp_path / "a.jsonl")
    np.testing.assert_array_equal(loaded.ranks["beta"], r.ranks["beta"])


def test_stream_rejects_other_settings(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"bayesnq_study": "sbc", "settings": {"n": 1}}) + "\n")
    with pytest.raises(ValueError, match="path="):
        calibration.sbc(replicates=1, path=path, **TINY)


@pytest.mark.slow  # subprocesses and a Dask cluster: the slow tier
def test_resume_after_kill(tiny_sbc, tmp_path):
    """A study killed midway resumes where it stopped and ends as an uninterrupted run."""
    path = tmp_path / "killed.jsonl"
    script = textwrap.dedent(f"""
        import time, bayesnq
        from bayesnq import calibration
        from bayesnq.calibration import streaming
        bayesnq.configure(compilation_cache=None)
        kw = {TINY!r}
        kw["batch_size"] = 1
        # slow the stream down so that the kill lands between replicates
        orig = streaming.Stream.add
        def add(self, recs):
            orig(self, recs)
            time.sleep(3)
        streaming.Stream.add = add
        calibration.sbc(replicates=6, seed=5, path={str(path)!r}, **kw)
    """)
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(tmp_path / "jaxcache"))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            if path.exists() and len(path.read_text().splitlines()) >= 3:  # header + 2
                break
            if proc.poll() is not None:
                pytest.fail("the study ended before it could be killed")
            time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    done = len(path.read_text().splitlines()) - 1
    assert 2 <= done < 6
    kw = dict(TINY, batch_size=1)
    resumed = calibration.sbc(replicates=6, seed=5, path=path, **kw)
    fresh = calibration.sbc(replicates=6, seed=5, **kw)
    for k in PARAMETERS:
        np.testing.assert_array_equal(resumed.ranks[k], fresh.ranks[k])
        np.testing.assert_array_equal(resumed.true[k], fresh.true[k])
    lines = path.read_text().splitlines()
    assert len(lines) == 7 and sorted(json.loads(x)["replicate"] for x in lines[1:]) == list(range(6))


@pytest.mark.slow  # subprocesses and a Dask cluster: the slow tier
def test_dask_local_cluster_two_workers(tiny_sbc, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        r = calibration.sbc(replicates=3, seed=5, executor="dask", address=client,
                            path=tmp_path / "d.jsonl", **TINY)
    for k in PARAMETERS:
        np.testing.assert_array_equal(r.ranks[k], tiny_sbc.ranks[k])


# ----------------------------------------------------------------------------- coverage


def _reference_fit(values, threshold):
    """A stand-in full-data fit: only ``threshold`` and ``draws()`` are used."""
    rng = np.random.default_rng(0)
    d = {"alpha": 0.0 + 0.01 * rng.standard_normal(200), "beta": 1.0 + 0.01 * rng.random(200),
         "gamma": np.full(200, 2.0), "sigma": np.full(200, 0.01)}
    return SimpleNamespace(threshold=threshold, draws=lambda: d)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_coverage_on_small_data(tmp_path):
    p = {"alpha": 0.0, "beta": 1.0, "gamma": 2.0, "sigma": 0.01}
    values = calibration.simulate_scores(jax.random.PRNGKey(1), p, 64, threshold=0.5)
    scores = bayesnq.Scores(values=values, minimize=False, bounds=(None, None), name="sim")
    res = calibration.coverage(
        scores, sizes=(24,), replicates=2, levels=(0.5, 0.8), threshold=0.5,
        n_hyperparameters=5, num_chains=2, num_warmup=20, num_samples=20, max_draws=40,
        batch_size=2, reference_fit=_reference_fit(values, 0.5), path=tmp_path / "c.jsonl",
        opda_method="dkw")
    ref = res.reference
    assert ref["k"] == [1, 2, 4, 8, 16, 32, 64]
    assert all(c > 0.5 for c in ref["curve_used"])
    table = res.table()
    assert set(table["check"]) == {"curve, pointwise", "curve, simultaneous", "best score",
                                   "opda, pointwise", "opda, simultaneous"}
    sim = table[table["check"] == "curve, simultaneous"]
    assert np.all(sim["trials"] + sim["skipped"] == 2)
    assert np.all((table["low"] <= table["failure_rate"]) & (table["failure_rate"] <= table["high"]))
    # nested bands: what the 0.5 band covers, the 0.8 band covers too
    for r in res.records:
        if r["skipped"] is None:
            assert all(wide or not narrow for narrow, wide in zip(r["point_0.5"], r["point_0.8"]))
            assert r["simul_0.8"] or not r["simul_0.5"]
    assert not res.pointwise_table(0.8).empty
    from bayesnq import plots

    fig = plots.plot_coverage(res)
    assert fig.axes
    # resuming a finished study recomputes nothing and gives the same table
    again = calibration.coverage(
        scores, sizes=(24,), replicates=2, levels=(0.5, 0.8), threshold=0.5,
        n_hyperparameters=5, num_chains=2, num_warmup=20, num_samples=20, max_draws=40,
        batch_size=2, path=tmp_path / "c.jsonl", opda_method="dkw")
    assert again.table().equals(table)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(replicates=0), "replicates"),
        (dict(n=0), "n"),
        (dict(num_ranks=1000), "num_ranks"),
        (dict(scale=-1.0), "scale"),
        (dict(executor="spark"), "executor"),
        (dict(batch_size=0), "batch_size"),
        (dict(bound=-1.0), "bound"),
        (dict(threshold=float("nan")), "threshold"),
    ],
)
def test_sbc_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        calibration.sbc(**{**dict(num_chains=2, num_samples=20, num_ranks=11), **kwargs})


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(sizes=(1,)), "sizes"),
        (dict(sizes=(1000,)), "sizes"),
        (dict(levels=(0.5, 1.5)), "levels"),
        (dict(method="mcmc"), "method"),
        (dict(threshold="auto"), "method"),
        (dict(threshold="deep"), "threshold"),
        (dict(replicates=0), "replicates"),
    ],
)
def test_coverage_validation(kwargs, name):
    scores = np.linspace(0, 1, 50)
    args = {**dict(threshold=0.5, minimize=False, sizes=(24,)), **kwargs}
    with pytest.raises(ValueError, match=name):
        calibration.coverage(scores, **args)


def test_uniformity_test_validation():
    with pytest.raises(ValueError, match="ranks"):
        calibration.uniformity_test([0, 5, 11], 11)
    with pytest.raises(ValueError, match="num_ranks"):
        calibration.uniformity_test([0], 1)


def test_load_validation(tmp_path):
    with pytest.raises(ValueError, match="path"):
        calibration.load(tmp_path / "missing.jsonl")


# ----------------------------------------------------------------------------- CLI


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_cli_calibrate_sbc(tmp_path, capsys):
    from bayesnq.cli import main

    rc = main(["calibrate", "sbc", "--replicates", "2", "--n", "24", "--chains", "2",
               "--warmup", "20", "--samples", "20", "--ranks", "11", "--batch-size", "2",
               "--seed", "5", "--n-hyperparameters", "5", "--out", str(tmp_path), "--no-progress"])
    assert rc == 0
    for name in ("records.jsonl", "table.csv", "table.json", "sbc_ecdf.png"):
        assert (tmp_path / name).is_file()
    assert "p_value" in capsys.readouterr().out


def test_cli_calibrate_coverage_needs_threshold(tmp_path, capsys):
    from bayesnq.cli import main

    rc = main(["calibrate", "coverage", "alexnet", "--out", str(tmp_path), "--no-progress"])
    assert rc == 2 and "threshold" in capsys.readouterr().err


# ----------------------------------------------------------------------------- LOO-PIT


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_loo_pit_in_summary():
    p = {"alpha": 0.0, "beta": 1.0, "gamma": 2.0, "sigma": 0.02}
    values = calibration.simulate_scores(jax.random.PRNGKey(2), p, 60, threshold=0.6)
    fit = bayesnq.fit(values, threshold=0.6, num_chains=1, num_warmup=40, num_samples=40,
                      progress_bar=False, check=False)
    pit = fit.loo_pit()
    assert pit["n"] == int((values > 0.6).sum()) == pit["pit"].size
    assert np.all((pit["pit"] >= 0) & (pit["pit"] <= 1))
    assert 0 <= pit["ks_p_value"] <= 1
    attrs = fit.summary().attrs["loo_pit"]
    assert attrs["n"] == pit["n"] and attrs["ks_p_value"] == pytest.approx(pit["ks_p_value"])


# ----------------------------------------------------------------------------- slow studies


@pytest.mark.slow
def test_full_sbc(tmp_path):
    res = calibration.sbc(replicates=200, n=48, path=tmp_path / "sbc.jsonl")
    table = res.table()
    print(table)
    assert (table["p_value"] > 1e-3).all()


@pytest.mark.slow
@pytest.mark.parametrize("name, threshold", [("deberta-v3", 0.89), ("alexnet", 0.50)])
def test_full_coverage(name, threshold, tmp_path):
    res = calibration.coverage(bayesnq.datasets.load(name), threshold=threshold,
                               path=tmp_path / f"{name}.jsonl")
    table = res.table()
    print(table.to_string())
    assert len(table) > 0
