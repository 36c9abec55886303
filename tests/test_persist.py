"""Saved fits (issue 21): Fit.save / bayesnq.load_fit, full sample_stats, the compact
log-likelihood, and fits of data as users hold them (a DataFrame with a text column).

Fast tier: one tiny fit (2 chains, 100 + 100 draws, 40 scores) shared by the module; two
parallel chains compile one program, one chain compiles warmup and sampling apart
(~11 s of CPU more).
Slow tier: the inferred-threshold model path, and the main job's file size.
"""

import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayesnq
from bayesnq import arviz_compat
from bayesnq.inference.persist import (COMPACT_GROUP, compact_log_likelihood, compact_loo,
                                       expand_log_likelihood, load_fit, save_fit)

GROUPS = ("posterior", "sample_stats", "log_likelihood", "observed_data")
STATS = ("energy", "lp", "n_steps", "tree_depth", "acceptance_rate", "step_size", "diverging")


def runs_frame(n=40, seed=1):
    """A table of runs as a user holds it: run ids (text) and accuracies on a lattice."""
    rng = np.random.default_rng(seed)
    acc = np.round(0.9 - 0.1 * rng.random(n) ** (2 / 3) + 0.005 * rng.standard_normal(n), 3)
    return pd.DataFrame({"run": [f"run{i}" for i in range(n)], "accuracy": acc,
                         "lr": 10.0 ** rng.uniform(-5, -3, n)})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    df = runs_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bayesnq.fit(df, score="accuracy", threshold=float(df.accuracy.median()),
                          bounds=(0, 1), num_chains=2, num_warmup=100, num_samples=100,
                          seed=3, progress_bar=False, check=False)
    path = tmp_path_factory.mktemp("persist") / "fit.nc"
    fit.save(path)
    return fit, path


def test_fit_takes_a_dataframe_and_records_its_settings(tiny):
    fit, _ = tiny
    assert fit.scores.name == "accuracy" and "column 'accuracy'" in fit.scores.rule
    assert list(fit.scores.configs) == ["run", "lr"]
    np.testing.assert_array_equal(fit.scores.values, runs_frame().accuracy.to_numpy())
    s = fit.settings
    assert s["metric"] == "accuracy" and s["seed"] == 3 and s["num_samples"] == 100
    assert s["priors"] == bayesnq.Priors()


def test_round_trip_gives_the_same_numbers(tiny):
    fit, path = tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a tiny fit: diagnostics may warn
        loaded = bayesnq.load_fit(path)
        for name in GROUPS:
            xr.testing.assert_identical(getattr(fit.idata, name), getattr(loaded.idata, name))
        for key, value in fit.draws().items():
            np.testing.assert_array_equal(value, loaded.draws()[key])
        np.testing.assert_equal(fit.diagnostics(), loaded.diagnostics())
        pa, pb = fit.loo_pit(), loaded.loo_pit()
        np.testing.assert_array_equal(pa["pit"], pb["pit"])
        assert pa["ks_p_value"] == pb["ks_p_value"]
        assert fit.check() == loaded.check()
    for key in ("minimize", "threshold", "gamma_mode", "n_hyperparameters", "bounds",
                "resolution_note"):
        assert getattr(loaded, key) == getattr(fit, key), key
    assert loaded.thresholds is None and loaded.resolution == fit.resolution
    np.testing.assert_array_equal(loaded.data.tail, fit.data.tail)
    assert loaded.settings == fit.settings
    sc, sl = fit.scores, loaded.scores
    assert (sl.name, sl.rule, sl.minimize, sl.bounds) == (sc.name, sc.rule, sc.minimize, sc.bounds)
    np.testing.assert_array_equal(sl.values, sc.values)
    np.testing.assert_array_equal(sl.failed, sc.failed)
    assert list(sl.configs) == list(sc.configs)
    for key in sc.configs:
        np.testing.assert_array_equal(sl.configs[key], sc.configs[key])


@pytest.mark.slow
def test_round_trip_summary_and_tuning_curve(tiny):
    """summary() and tuning_curve() of the loaded fit (JAX compiles them: slow tier)."""
    fit, path = tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = bayesnq.load_fit(path)
        ta, tb = fit.summary(), loaded.summary()
        pd.testing.assert_frame_equal(ta, tb)
        assert ta.attrs.keys() == tb.attrs.keys()
        a, b = fit.tuning_curve([1, 10, 100]), loaded.tuning_curve([1, 10, 100])
    for key in ("median", "lower", "upper"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))


def test_file_is_compact_and_says_what_it_holds(tiny):
    fit, path = tiny
    with xr.open_dataset(path, engine="h5netcdf") as root:
        attrs = dict(root.attrs)
    assert attrs["format"] == "bayesnq-fit" and attrs["log_likelihood"] == "distinct"
    groups = json.loads(attrs["groups"])
    assert "posterior_predictive" not in groups and "log_likelihood" not in groups
    with xr.open_dataset(path, engine="h5netcdf", group=COMPACT_GROUP) as ds:
        assert ds["y"].encoding.get("zlib") or ds["y"].encoding.get("compression") == "gzip"
        count = ds["y_count"].values
        column = ds["y_column"].values
    assert count.sum() == fit.data.n
    # every censored run shares one column; tied tail scores share theirs
    below = fit.data.index_below
    assert np.unique(column[below]).size == 1 and count[column[below[0]]] == below.size
    assert count.size == np.unique(fit.data.tail).size + 1


def test_predictive_and_per_run_log_likelihood_on_request(tiny, tmp_path):
    fit, small = tiny
    full = save_fit(fit, tmp_path / "full.nc", predictive=True, log_likelihood="runs")
    loaded = load_fit(full)
    xr.testing.assert_identical(fit.idata.posterior_predictive, loaded.idata.posterior_predictive)
    xr.testing.assert_identical(fit.idata.log_likelihood, loaded.idata.log_likelihood)
    assert "posterior_predictive" not in arviz_compat.group_datasets(load_fit(small).idata)
    assert os.path.getsize(small) < os.path.getsize(full)


def test_refuses_to_overwrite(tiny):
    fit, path = tiny
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"overwrite must be True to replace the existing "
                       rf"file '{path}', got overwrite=False"):
        fit.save(path)
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="predictive must be True or False"):
        fit.save(path, overwrite=True, predictive="yes")
    with pytest.raises(ValueError, match="log_likelihood must be one of"):
        fit.save(path, overwrite=True, log_likelihood="some")
    assert path.read_bytes() == before  # argument errors come before any writing
    fit.save(path, overwrite=True)
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as any file the user writes


def test_every_field_of_the_scores_is_kept(tiny, tmp_path):
    """Provenance: learning curves, mixed configs, search space, rule, bounds with inf."""
    import dataclasses

    fit, _ = tiny
    n = len(fit.scores)
    mixed = np.empty(n, dtype=object)
    mixed[:] = [None if i % 3 else f"tag{i}" for i in range(n)]
    scores = dataclasses.replace(
        fit.scores, configs={**fit.scores.configs, "mixed": mixed},
        learning_curves=[np.arange(2 * (i % 4), dtype=float).reshape(-1, 2) for i in range(n)],
        search_space={"lr": {"kind": "log-uniform", "low": 1e-5, "high": 1e-3}},
        bounds=(0.0, np.inf), rule="score = a rule", name="acc (dev)")
    loaded = load_fit(save_fit(dataclasses.replace(fit, scores=scores), tmp_path / "s.nc"))
    got = loaded.scores
    assert (got.name, got.rule, got.bounds, got.search_space) == \
        (scores.name, scores.rule, (0.0, np.inf), scores.search_space)
    assert [c.shape for c in got.learning_curves] == [c.shape for c in scores.learning_curves]
    for a, b in zip(got.learning_curves, scores.learning_curves):
        np.testing.assert_array_equal(a, b)
    assert list(got.configs["mixed"]) == [str(x) for x in mixed]


def test_load_errors(tmp_path, tiny):
    with pytest.raises(FileNotFoundError, match="no saved fit"):
        load_fit(tmp_path / "none.nc")
    other = tmp_path / "other.nc"
    arviz_compat.to_netcdf(arviz_compat.from_dict(posterior={"a": np.zeros((1, 5))}), other)
    with pytest.raises(ValueError, match="is not a saved bayesnq fit"):
        load_fit(other)
    # the file is ordinary netCDF: ArviZ reads it too
    idata = arviz_compat.from_netcdf(tiny[1])
    np.testing.assert_array_equal(idata.posterior["beta"], tiny[0].idata.posterior["beta"])


def test_sample_stats_are_complete_and_bfmi_works(tiny):
    import matplotlib

    matplotlib.use("Agg")
    import arviz as az
    import matplotlib.pyplot as plt

    fit, _ = tiny
    ss = fit.idata.sample_stats
    assert set(STATS) <= set(ss.data_vars)
    steps, depth = np.asarray(ss["n_steps"]), np.asarray(ss["tree_depth"])
    assert np.all(steps <= 2.0 ** depth - 1) and np.all(steps >= 2.0 ** (depth - 1))
    assert np.all((np.asarray(ss["acceptance_rate"]) >= 0) & (np.asarray(ss["acceptance_rate"]) <= 1))
    assert np.all(np.asarray(ss["step_size"]) > 0)
    bfmi = arviz_compat.bfmi(fit.idata)
    assert bfmi.shape == (2,) and np.all(np.isfinite(bfmi)) and np.all(bfmi > 0)  # per chain
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ax = az.plot_energy(fit.idata)
    assert ax is not None
    plt.close("all")


def test_compact_log_likelihood_keeps_loo(tiny):
    fit, _ = tiny
    ll = np.asarray(fit.idata.log_likelihood["y"])
    distinct, column, count = compact_log_likelihood(ll)
    assert distinct.shape[-1] == count.size < ll.shape[-1] and count.sum() == ll.shape[-1]
    np.testing.assert_array_equal(expand_log_likelihood(distinct, column), ll)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = arviz_compat.loo(fit.idata, pointwise=True)
        compact = compact_loo(fit.idata, distinct, count)
    assert compact["n_data_points"] == ll.shape[-1]
    np.testing.assert_allclose(compact["elpd_loo"], float(full["elpd_loo"]), rtol=1e-12)
    np.testing.assert_allclose(compact["p_loo"], float(full["p_loo"]), rtol=1e-9)
    np.testing.assert_allclose(compact["se"], float(full["se"]), rtol=1e-9)


def test_compaction_is_byte_exact():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 5, 1))
    ll = np.concatenate([a, a, a + 1e-15, -np.inf * np.ones_like(a), a], axis=-1)
    distinct, column, count = compact_log_likelihood(ll)
    assert distinct.shape == (2, 5, 3) and list(column) == [0, 0, 1, 2, 0]
    assert list(count) == [3, 1, 1]
    np.testing.assert_array_equal(expand_log_likelihood(distinct, column), ll)


@pytest.mark.slow
def test_inferred_threshold_round_trip(tmp_path):
    """The threshold model path: sample_stats complete, every answer the same after loading."""
    df = runs_frame(n=80, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bayesnq.fit(df, score="accuracy", threshold="auto", gamma="integer",
                          n_hyperparameters=3, resolution="auto", num_chains=2,
                          num_warmup=150, num_samples=150, seed=2, progress_bar=False,
                          check=False)
        assert set(STATS) <= set(fit.idata.sample_stats.data_vars)
        assert np.all(np.isfinite(arviz_compat.bfmi(fit.idata)))
        loaded = bayesnq.load_fit(fit.save(tmp_path / "auto.nc"))
        for name in GROUPS:
            xr.testing.assert_identical(getattr(fit.idata, name), getattr(loaded.idata, name))
        pd.testing.assert_frame_equal(fit.summary(), loaded.summary())
        pd.testing.assert_frame_equal(fit.threshold_probabilities(),
                                      loaded.threshold_probabilities())
        assert fit.threshold_verdict()["message"] == loaded.threshold_verdict()["message"]
        assert fit.gamma_probabilities() == loaded.gamma_probabilities()
        assert fit.check() == loaded.check()
    np.testing.assert_array_equal(loaded.thresholds, fit.thresholds)
    assert loaded.resolution == fit.resolution and loaded.settings["threshold"] == "auto"


@pytest.mark.slow
def test_main_job_file_is_small(tmp_path):
    """``bayesnq fit models/deberta-v3.toml``: posterior.nc at most 5 MB, and a fit again."""
    from pathlib import Path

    from bayesnq import cli

    spec = Path(__file__).resolve().parents[1] / "models" / "deberta-v3.toml"
    assert cli.main(["fit", str(spec), "--out", str(tmp_path), "--no-progress"]) == 0
    path = tmp_path / "posterior.nc"
    assert os.path.getsize(path) <= 5 * 2**20
    loaded = bayesnq.load_fit(path)
    assert loaded.idata.log_likelihood["y"].shape == (4, 1000, 1024)
    assert loaded.settings["data"] == "deberta-v3" and loaded.threshold == 0.89


def test_cli_keeps_the_posterior_predictive_on_request():
    from bayesnq.cli.parser import build_parser

    parser = build_parser()
    assert parser.parse_args(["fit", "data.csv", "--predictive"]).predictive is True
    assert parser.parse_args(["fit", "data.csv"]).predictive is False
