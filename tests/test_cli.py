"""Tests for the bayesnq command line (bayesnq.cli), through ``main`` and its outputs."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bayesnq import cli  # noqa: E402
from bayesnq.cli import outputs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"


def tiny_scores(path: Path, minimize=False) -> Path:
    """60 scores with a quadratic optimum near 0.9 (maximize) or 0.1 (minimize), one a line."""
    rng = np.random.default_rng(7)
    values = 0.9 - 0.4 * rng.random(60) + 0.01 * rng.standard_normal(60)
    np.savetxt(path, 1.0 - values if minimize else values)
    return path


def parse(*argv):
    return cli.build_parser().parse_args(list(argv))


# ----------------------------------------------------------------------------- parser


def test_parser_fit_flags():
    args = parse("fit", "data.csv", "--minimize", "--threshold", "0.11", "--score", "err",
                 "--curve", "lc[].v", "--n-hyperparameters", "5", "--bounds", "0", "none",
                 "--gamma", "integer", "--chains", "2", "--warmup", "50", "--samples", "60",
                 "--seed", "3", "--out", "o", "--no-progress")
    assert args.command == "fit" and args.data == "data.csv" and args.minimize is True
    assert (args.threshold, args.score, args.curve) == (0.11, "err", "lc[].v")
    assert args.n_hyperparameters == 5 and args.bounds == [0.0, None] and args.gamma == "integer"
    assert (args.chains, args.warmup, args.samples, args.seed) == (2, 50, 60, 3)
    assert args.out == "o" and args.no_progress
    defaults = parse("fit")
    assert defaults.data is None and defaults.minimize is None and defaults.threshold is None
    assert parse("fit", "--maximize").minimize is False
    land = parse("landscape", "alexnet", "--k", "7", "--out", "x")
    assert (land.command, land.data, land.k, land.out) == ("landscape", "alexnet", 7, "x")


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "--maximize", "--minimize"],
        ["fit", "--chains", "0"],
        ["fit", "--threshold", "high"],
        ["fit", "--threshold", "nan"],
        ["fit", "--gamma", "real"],
        ["fit", "--bounds", "0"],
        ["landscape", "--k", "-1"],
        [],
    ],
)
def test_parser_rejects(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage: bayesnq" in capsys.readouterr().err


# ----------------------------------------------------------------------------- specs


@pytest.mark.parametrize(
    "spec, expected, name, n_runs",
    [
        ("deberta-v3.toml", dict(minimize=False, threshold=0.89, n_hyperparameters=5), "deberta-v3", 1024),
        ("deberta-v3-error.toml", dict(minimize=True, threshold=0.11, n_hyperparameters=5),
         "deberta-v3 (error)", 1024),
        ("alexnet.toml", dict(minimize=False, threshold=0.50, n_hyperparameters=7), "alexnet", 512),
    ],
)
def test_bundled_specs(spec, expected, name, n_runs):
    raw = cli.load_spec(MODELS / spec)
    assert raw["bounds"] == (0.0, 1.0) and raw["gamma"] == "continuous"
    settings = cli.resolve_settings(parse("fit", str(MODELS / spec)))
    for key, value in expected.items():
        assert getattr(settings, key) == value, key
    scores = cli.load_data(settings)
    assert scores.name == name and len(scores) == n_runs and scores.minimize is expected["minimize"]
    assert outputs.result_name(settings, scores) == spec.removesuffix(".toml")


def test_spec_values_and_flags_override(tmp_path, monkeypatch):
    tiny_scores(tmp_path / "scores.txt")
    spec = tmp_path / "m.toml"
    spec.write_text(
        'data = "scores.txt"\nthreshold = 0.7\nsamples = 10\nwarmup = 20\nbounds = [-inf, 1]\n'
        'name = "my run"\n'
    )
    s = cli.resolve_settings(parse("fit", str(spec)))
    assert (s.threshold, s.samples, s.warmup, s.chains, s.bounds) == (0.7, 10, 20, 4, (None, 1.0))
    s = cli.resolve_settings(parse("fit", str(spec), "--threshold", "0.8", "--samples", "20",
                                   "--bounds", "0", "2", "--chains", "1"))
    assert (s.threshold, s.samples, s.warmup, s.chains, s.bounds) == (0.8, 20, 20, 1, (0.0, 2.0))
    scores = cli.load_data(s)  # the data path is relative to the spec's folder
    assert len(scores) == 60 and scores.minimize is False and scores.bounds == (0.0, 2.0)
    monkeypatch.chdir(tmp_path)
    assert outputs.out_dir(s, scores) == tmp_path / "results" / "my-run"


def test_default_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = cli.resolve_settings(parse("fit"))  # no models/ here: the built-in default
    assert (s.data, s.minimize, s.threshold, s.n_hyperparameters, s.bounds) == (
        "deberta-v3", False, 0.89, 5, (0.0, 1.0))
    assert s.spec is None
    (tmp_path / "models").mkdir()
    shutil.copy(MODELS / "deberta-v3.toml", tmp_path / "models" / "deberta-v3.toml")
    s = cli.resolve_settings(parse("fit"))
    assert s.spec == tmp_path / "models" / "deberta-v3.toml" and s.threshold == 0.89


@pytest.mark.parametrize(
    "text, pattern",
    [
        ('data = "x"\nthreshold = 0.5\ntreshold = 0.4\n', r"unknown key\(s\) \['treshold'\]"),
        ('data = "x"\nthreshold = "high"\n', r"threshold must be a finite number or \"auto\", got 'high'"),
        ('data = "x"\nminimize = "yes"\n', r"minimize must be true or false"),
        ('data = "x"\nchains = 0\n', r"chains must be >= 1, got 0"),
        ('data = "x"\nbounds = [0]\n', r"bounds must be a pair \[low, high\] of numbers, inf "
         r"or \"none\", got bounds=\[0\]"),
        ('data = "x"\ngamma = "real"\n', r"gamma must be one of \['continuous', 'integer'\]"),
        ("threshold = 0.5\n", r"has no 'data' key"),
        ("data = \n", r"is not valid TOML"),
    ],
)
def test_spec_errors(tmp_path, text, pattern):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    with pytest.raises(ValueError, match=pattern):
        cli.load_spec(spec)


@pytest.mark.parametrize(
    "bounds, pattern",
    [
        ("[0, 1, 2]", r"bounds must be a pair \[low, high\] of numbers, inf or \"none\", "
         r"got bounds=\[0, 1, 2\]"),
        ("[1, 0]", r"bounds must be a pair \(low, high\) with low < high, got bounds=\[1, 0\]"),
        ("[0.5, 0.5]", r"bounds must be a pair \(low, high\) with low < high, "
         r"got bounds=\[0.5, 0.5\]"),
        ('[0, "one"]', r"bounds must be a pair \[low, high\] of numbers, inf or \"none\", "
         r"got bounds=\[0, 'one'\]"),
        ("[nan, 1]", r"bounds must be a pair \[low, high\] of numbers, inf or \"none\", "
         r"got bounds=\[nan, 1\]"),
        ("1", r"bounds must be a pair \[low, high\] of numbers, inf or \"none\", got bounds=1"),
    ],
)
def test_spec_bounds_errors_name_the_file_and_value(tmp_path, bounds, pattern):
    """Issue 24: reversed or 3-element bounds in a spec are refused when the spec is read,
    in the validation grammar, after the spec file's name."""
    spec = tmp_path / "bad.toml"
    spec.write_text(f'data = "deberta-v3"\nthreshold = 0.9\nbounds = {bounds}\n')
    with pytest.raises(ValueError, match=r"spec file '.*bad.toml': " + pattern):
        cli.load_spec(spec)
    with pytest.raises(ValueError, match=r"spec file '.*bad.toml': " + pattern):
        cli.resolve_settings(parse("fit", str(spec)))


def test_reversed_bounds_flag_is_refused_before_loading(tmp_path, capsys):
    with pytest.raises(cli.UserError, match=r"bounds must be a pair \(low, high\) with low < high, "
                       r"got bounds=\(1.0, 0.0\)"):
        cli.resolve_settings(parse("fit", str(tmp_path / "missing.csv"), "--bounds", "1", "0"))
    for command in (["fit", "deberta-v3", "--threshold", "0.9"], ["landscape", "alexnet"],
                    ["thresholds", "alexnet"], ["calibrate", "coverage", "alexnet"]):
        code = cli.main([*command, "--bounds", "0.5", "0.5", "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert code == 2 and "got bounds=(0.5, 0.5)" in err and "Traceback" not in err, command
    assert not (tmp_path / "o").exists()  # refused before the output folder is made


def test_three_bounds_on_the_command_line_name_the_option(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["fit", "runs.csv", "--bounds", "0", "1", "2", "--threshold", "0.5"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "usage: bayesnq" in err
    assert "argument --bounds: expected 2 values LO HI, got 3: --bounds 0 1 2" in err
    with pytest.raises(SystemExit):
        cli.main(["fit", "--bounds", "0", "1", "runs.csv", "extra"])
    assert "unrecognized arguments: extra" in capsys.readouterr().err


def test_bundled_metric_and_direction():
    s = cli.resolve_settings(parse("fit", "deberta", "--score", "error", "--threshold", "0.11"))
    scores = cli.load_data(s)
    assert scores.minimize is True and s.minimize is True  # the metric sets the direction
    s = cli.resolve_settings(parse("fit", "deberta-v3", "--minimize"))
    assert cli.load_data(s).name == "deberta-v3 (error)"
    s = cli.resolve_settings(parse("fit", "deberta-v3", "--maximize", "--score", "error"))
    with pytest.raises(ValueError, match=r"score: metric 'error' of 'deberta-v3' needs --minimize"):
        cli.load_data(s)
    s = cli.resolve_settings(parse("fit", "alexnet", "--score", "top5"))
    with pytest.raises(ValueError, match=r"metrics \['accuracy', 'error'\], got 'top5'"):
        cli.load_data(s)
    s = cli.resolve_settings(parse("fit", "no-such-thing"))
    with pytest.raises(FileNotFoundError, match=r"not a bundled dataset \(alexnet, deberta-v3, convnext\)"):
        cli.load_data(s)


# ----------------------------------------------------------------------------- main


def test_user_errors_exit_2_without_traceback(tmp_path, capsys):
    code = cli.main(["fit", str(tmp_path / "missing.csv"), "--threshold", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("bayesnq: error: data ") and "Traceback" not in err
    data = tiny_scores(tmp_path / "s.txt")
    # no threshold given: the fit infers it ('auto') and says so (issue 21); here the
    # gamma check stops it before any sampling
    assert cli.main(["fit", str(data), "--gamma", "integer", "--out", str(tmp_path / "a")]) == 2
    captured = capsys.readouterr()
    assert "threshold 'auto'" in captured.out and "bayesnq thresholds" in captured.out
    assert "n_hyperparameters must be given" in captured.err
    # the threshold check of bayesnq.fit runs before any sampling
    assert cli.main(["fit", str(data), "--threshold", "5", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayesnq: error: threshold") and "Traceback" not in err
    bad = tmp_path / "bad.toml"
    bad.write_text("data = [\n")
    assert cli.main(["fit", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_fit_command_writes_outputs(tmp_path, capsys):
    """The real bayesnq.fit with a few draws: what the command prints and writes."""
    data = tiny_scores(tmp_path / "s.txt", minimize=True)
    out = tmp_path / "out"
    code = cli.main(["fit", str(data), "--minimize", "--threshold", "0.25", "--chains", "2",
                     "--warmup", "20", "--samples", "20", "--no-progress", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "fitting: threshold 0.25, minimize, gamma continuous, 2 chains x (20 warmup + 20 " \
        "draws), seed 0" in captured.out
    assert "posterior summary" in captured.out and "median tuning curve" in captured.out
    assert "fit check (LOO-PIT of the " in captured.out and "KS p = " in captured.out
    # 40 draws fail the convergence checks: the warning is one line on stderr
    assert "bayesnq: warning: fit diagnostics: " in captured.err
    for name in ("summary.csv", "summary.json", "posterior.nc", "tuning_curve.csv",
                 "tuning_curve.png", "tail_cdf.png", "pairs.png", "trace.png", "rank.png"):
        assert (out / name).is_file(), name
    assert "wrote summary.csv, summary.json, posterior.nc, tuning_curve.csv" in captured.out
    with open(out / "tuning_curve.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["n"]) for r in rows] == [2.0**k for k in range(13)]  # 1 .. 100 x 60 runs
    assert rows[0]["empirical"] and not rows[-1]["empirical"]  # empirical only for n <= 60
    report = json.loads((out / "summary.json").read_text())
    assert report["n_runs"] == 60 and report["threshold"] == 0.25 and report["minimize"] is True
    assert report["name"] == "s" and report["gamma"] == "continuous"
    assert report["sampler"] == {"chains": 2, "warmup": 20, "samples": 20, "seed": 0}
    assert len(report["tuning_curve"]["median"]) == 13
    assert report["empirical_tuning_curve"][-1] is None  # NaN written as null
    assert report["diagnostics"]["chains"] == 2
    median = np.array(report["tuning_curve"]["median"])
    assert np.all(np.diff(median) <= 0)  # minimizing: the best of more runs is lower


def test_landscape_command(tmp_path, capsys):
    """The real landscape report of AlexNet: the spec's floor, --k, and gamma and sigma from
    the posterior.nc named by --fit (never taken from the folder unasked, issue 22); then
    --sigma and --floor win."""
    import arviz as az

    rng = np.random.default_rng(0)
    gamma, sigma = rng.gamma(4.0, 0.5, size=(2, 50)), rng.uniform(0.01, 0.03, size=(2, 50))
    az.from_dict(posterior={"gamma": gamma, "sigma": sigma}).to_netcdf(str(tmp_path / "posterior.nc"))
    spec = tmp_path / "a.toml"
    spec.write_text('data = "alexnet"\nthreshold = 0.5\nfloor = 0.05\n')
    assert cli.main(["landscape", str(spec), "--k", "7", "--out", str(tmp_path),
                     "--fit", str(tmp_path / "posterior.nc")]) == 0
    printed = capsys.readouterr().out
    assert f"sigma = {np.median(sigma):.4g} (posterior median)" in printed
    assert f"wrote landscape.csv, landscape.json, landscape.png to {tmp_path}" in printed
    for name in ("landscape.csv", "landscape.json", "landscape.png"):
        assert (tmp_path / name).is_file(), name
    settings = json.loads((tmp_path / "landscape.json").read_text())["settings"]
    assert settings["k"] == 7 and settings["floor"] == 0.05
    assert settings["sigma"] == pytest.approx(np.median(sigma))

    assert cli.main(["landscape", str(spec), "--out", str(tmp_path), "--sigma", "0.5",
                     "--floor", "0.1"]) == 0
    settings = json.loads((tmp_path / "landscape.json").read_text())["settings"]
    assert settings["sigma"] == 0.5 and settings["floor"] == 0.1 and settings["k"] == 10


def test_landscape_bad_posterior(tmp_path, capsys):
    """A posterior without sigma is a user error, not a traceback."""
    import arviz as az

    az.from_dict(posterior={"gamma": np.ones((2, 5))}).to_netcdf(str(tmp_path / "bad.nc"))
    assert cli.main(["landscape", "alexnet", "--out", str(tmp_path / "x"),
                     "--posterior", str(tmp_path / "bad.nc")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayesnq: error: posterior ") and "not a bayesnq fit" in err


# ----------------------------------------------------------------------------- output folders
# Issue 24: problems with the output folder are found before any computing, and one
# dataset's results are never replaced by another's without --overwrite.


def test_unwritable_out_folder_fails_before_fitting(tmp_path, capsys):
    """A folder under a regular file can never be created (also as root): exit 2 at once,
    naming the folder, before the fit starts."""
    data = tiny_scores(tmp_path / "s.txt")
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    cli.main(["fit", str(tmp_path / "missing.txt"), "--threshold", "0.5"])  # warm the imports
    capsys.readouterr()
    for out in (blocker / "sub", blocker):
        start = time.perf_counter()
        code = cli.main(["fit", str(data), "--threshold", "0.75", "--chains", "1", "--warmup",
                         "20", "--samples", "20", "--no-progress", "--out", str(out)])
        elapsed = time.perf_counter() - start
        captured = capsys.readouterr()
        assert code == 2, captured.err
        assert captured.err.startswith(f"bayesnq: error: output folder {out} cannot be created "
                                       f"({blocker} is a file, not a folder)")
        assert "--out" in captured.err and "Traceback" not in captured.err
        assert "fitting:" not in captured.out and "posterior summary" not in captured.out
        assert elapsed < 1.0, elapsed


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into a read-only folder")
def test_read_only_out_folder_fails_before_fitting(tmp_path, capsys):
    data = tiny_scores(tmp_path / "s.txt")
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        code = cli.main(["fit", str(data), "--threshold", "0.75", "--chains", "1", "--warmup",
                         "20", "--samples", "20", "--no-progress", "--out", str(out)])
    finally:
        out.chmod(0o700)
    captured = capsys.readouterr()
    assert code == 2 and f"output folder {out} is not writable" in captured.err
    assert "fitting:" not in captured.out


def test_results_of_another_dataset_are_not_replaced(tmp_path, capsys):
    """landscape writes a marker naming the data; the same data overwrites; other data is
    refused before computing unless --overwrite, which replaces the old results."""
    out = tmp_path / "res"
    assert cli.main(["landscape", "alexnet", "--out", str(out)]) == 0
    marker = json.loads((out / outputs.MARKER).read_text())
    assert marker["source"] == "bundled dataset alexnet (accuracy)" and marker["n_runs"] == 512
    assert len(marker["scores_sha256"]) == 64 and marker["commands"] == ["landscape"]
    before = (out / "landscape.json").read_text()
    capsys.readouterr()

    code = cli.main(["fit", "deberta-v3", "--threshold", "0.89", "--chains", "1", "--warmup",
                     "20", "--samples", "20", "--no-progress", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2 and "fitting:" not in captured.out
    assert captured.err.startswith(f"bayesnq: error: output folder {out} holds the results of "
                                   "another dataset: bundled dataset alexnet (accuracy)")
    assert "bundled dataset deberta-v3 (accuracy)" in captured.err
    assert "--out DIR" in captured.err and "--overwrite" in captured.err
    assert (out / "landscape.json").read_text() == before
    assert json.loads((out / outputs.MARKER).read_text())["source"] == marker["source"]

    # the same data, by another route (the spec file of alexnet), overwrites as before
    assert cli.main(["landscape", str(MODELS / "alexnet.toml"), "--out", str(out)]) == 0
    assert json.loads((out / outputs.MARKER).read_text())["commands"] == ["landscape"]

    assert cli.main(["landscape", "deberta-v3", "--out", str(out), "--overwrite"]) == 0
    marker = json.loads((out / outputs.MARKER).read_text())
    assert marker["source"] == "bundled dataset deberta-v3 (accuracy)" and marker["n_runs"] == 1024
    assert (out / "landscape.json").read_text() != before
    capsys.readouterr()


def test_marker_rules(tmp_path):
    """Same source or same scores: the same dataset; a folder that holds no results (only a
    marker) is free; an unreadable marker guards its results; --overwrite removes only
    bayesnq's result files."""
    a = {"source": "/data/a.csv", "scores_sha256": "1" * 64, "command": "fit"}
    out = outputs.prepare_out_dir(tmp_path / "o", a)
    (out / "summary.csv").write_text("x")
    (out / "notes.txt").write_text("mine")
    outputs.prepare_out_dir(out, {**a, "scores_sha256": "2" * 64})  # the file was updated
    a = {**a, "source": "/moved/a.csv", "scores_sha256": "2" * 64}
    outputs.prepare_out_dir(out, a)  # a copy of the same scores
    other = {"source": "/data/b.csv", "scores_sha256": "3" * 64, "command": "landscape"}
    with pytest.raises(cli.UserError, match=r"holds the results of another dataset: "
                       r"/moved/a.csv, written by 'bayesnq fit'; this run's data is /data/b.csv"):
        outputs.prepare_out_dir(out, other)
    outputs.prepare_out_dir(out, other, overwrite=True)
    assert not (out / "summary.csv").exists() and (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / outputs.MARKER).read_text())["source"] == "/data/b.csv"
    outputs.prepare_out_dir(out, a)  # nothing but the marker (and other files): free
    (out / "posterior.nc").write_text("x")
    (out / outputs.MARKER).write_text("{not json")
    with pytest.raises(cli.UserError, match=r"an unreadable bayesnq-run.json"):
        outputs.prepare_out_dir(out, a)
    sbc = outputs.dataset_identity(None, None, "calibrate sbc")
    with pytest.raises(cli.UserError, match=r"this run's data is simulated searches"):
        outputs.prepare_out_dir(out, sbc)
    plain = tmp_path / "plain"  # a folder without a marker is taken as it is
    plain.mkdir()
    (plain / "summary.csv").write_text("x")
    outputs.prepare_out_dir(plain, a)
    assert (plain / "summary.csv").exists() and (plain / outputs.MARKER).is_file()


def test_default_folders_of_files_with_the_same_name_differ(tmp_path, monkeypatch):
    """Two files both named runs.csv get two default folders; bundled datasets and spec
    files keep theirs (results/deberta-v3, ...)."""
    monkeypatch.chdir(tmp_path)
    folders = []
    for parent in ("a", "b"):
        (tmp_path / parent).mkdir()
        tiny_scores(tmp_path / parent / "runs.txt")
        s = cli.resolve_settings(parse("fit", f"{parent}/runs.txt"))
        scores = cli.load_data(s)
        folders.append(outputs.out_dir(s, scores))
        assert outputs.result_name(s, scores) == "runs"  # the label stays the file's stem
    assert folders[0] != folders[1]
    for folder in folders:
        assert folder.parent == tmp_path / "results" and re.fullmatch(r"runs-[0-9a-f]{8}", folder.name)
    again = cli.resolve_settings(parse("fit", str(tmp_path / "a" / "runs.txt")))  # absolute
    assert outputs.out_dir(again, cli.load_data(again)) == folders[0]
    column = cli.resolve_settings(parse("fit", "a/runs.txt", "--score", "loss"))
    assert outputs.out_dir(column, scores).name not in {f.name for f in folders}
    for argv, name in ((["fit", "deberta-v3"], "deberta-v3"),
                       (["fit", "deberta-v3", "--minimize"], "deberta-v3-error"),
                       (["fit", "alexnet"], "alexnet"),
                       (["fit", str(MODELS / "deberta-v3-error.toml")], "deberta-v3-error")):
        s = cli.resolve_settings(parse(*argv))
        assert outputs.out_dir(s, cli.load_data(s)) == tmp_path / "results" / name, argv


@pytest.mark.parametrize(
    "argv, named",
    [
        (["calibrate", "sbc", "runs.csv"], "DATA runs.csv: applies to 'calibrate coverage' only"),
        (["calibrate", "sbc", "--sizes", "10", "20"], "--sizes 10 20: applies to 'calibrate coverage"),
        (["calibrate", "sbc", "--levels", "0.9"], "--levels 0.9: applies"),
        (["calibrate", "sbc", "--method", "fit", "--no-opda"],
         "--method fit, --no-opda: apply to 'calibrate coverage' only"),
        (["calibrate", "sbc", "--bounds", "0", "none"], "--bounds 0 none: applies"),
        (["calibrate", "sbc", "--score", "acc", "--curve", "lc[].v"], "--score acc, --curve lc[].v"),
        (["calibrate", "coverage", "alexnet", "--threshold", "0.5", "--n", "30"],
         "--n 30: applies to 'calibrate sbc' only"),
        (["calibrate", "coverage", "alexnet", "--threshold", "0.5", "--ranks", "50"],
         "--ranks 50: applies to 'calibrate sbc' only"),
    ],
)
def test_calibrate_refuses_the_other_studys_options(tmp_path, capsys, argv, named):
    blocker = tmp_path / "a_file"  # were the option ignored, the run would stop here at once
    blocker.write_text("")
    assert cli.main([*argv, "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayesnq: error: ") and named in err and "Traceback" not in err
    assert "output folder" not in err


@pytest.mark.slow
def test_fit_end_to_end(tmp_path, capsys):
    """The real bayesnq.fit (NUTS) on 60 runs; about a minute, mostly compiling."""
    data = tiny_scores(tmp_path / "s.txt")
    out = tmp_path / "out"
    code = cli.main(["fit", str(data), "--threshold", "0.75", "--chains", "1", "--warmup", "50",
                     "--samples", "50", "--no-progress", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    for name in ("summary.csv", "summary.json", "posterior.nc", "tuning_curve.csv",
                 "tuning_curve.png", "tail_cdf.png", "pairs.png", "trace.png", "rank.png"):
        assert (out / name).is_file(), name
    report = json.loads((out / "summary.json").read_text())
    median = np.array(report["tuning_curve"]["median"])
    assert np.all(np.isfinite(median)) and np.all(np.diff(median) > 0)
    assert 0.8 < median[5] < 1.0  # the best of 32 runs: near the data's top (about 0.9)


def test_main_configures_runtime(tmp_path, monkeypatch, capsys):
    """main sets up the compilation cache (bayesnq.configure) when a command runs, not for
    an argument error."""
    import jax

    before = jax.config.jax_compilation_cache_dir
    monkeypatch.setenv("BAYESNQ_CACHE_DIR", str(tmp_path / "c"))
    try:
        with pytest.raises(SystemExit):
            cli.main(["fit", "--chains", "0"])
        assert jax.config.jax_compilation_cache_dir == before
        assert cli.main(["fit", str(tmp_path / "missing.txt"), "--threshold", "0.5"]) == 2
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "c")
        assert (tmp_path / "c").is_dir()
    finally:
        jax.config.update("jax_compilation_cache_dir", before)
    capsys.readouterr()


def test_help_is_light():
    """``bayesnq --help`` (and an argument error) imports nothing heavy; ``python -m bayesnq``
    is the command."""
    code = (
        "import sys\n"
        "from bayesnq.cli import main\n"
        "for argv in (['--help'], ['fit', '--help'], ['fit', '--chains', '0']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('jax', 'numpy', 'numpyro', 'arviz', 'matplotlib', 'pandas', 'scipy')\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert "LOADED []" in run.stdout, run.stdout + run.stderr
    run = subprocess.run([sys.executable, "-m", "bayesnq", "--help"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("usage: bayesnq"), run.stderr


def test_help_states_the_fits_draw_rule(monkeypatch, capsys):
    """``fit --help`` shows the draw counts fit() applies, read from their one home (a
    changed constant changes the help)."""
    import bayesnq.cli.parser as parser_module
    import bayesnq.sampler_defaults as defaults

    monkeypatch.setattr(parser_module, "RESOLUTION_NUM_SAMPLES", 3456)
    with pytest.raises(SystemExit):
        parser_module.build_parser().parse_args(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"default {defaults.NUM_SAMPLES}; 3456 for scores with a resolution" in text
    from bayesnq.inference import default_num_samples

    assert default_num_samples(resolution=None) == defaults.NUM_SAMPLES


def test_spec_threshold_auto(tmp_path):
    spec = tmp_path / "a.toml"
    spec.write_text('data = "deberta-v3"\nthreshold = "Auto"\n')
    assert cli.load_spec(spec)["threshold"] == "auto"
    spec.write_text('data = "deberta-v3"\nthreshold = "best"\n')
    with pytest.raises(ValueError, match='threshold must be a finite number or "auto"'):
        cli.load_spec(spec)
