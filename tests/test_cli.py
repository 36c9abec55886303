"""Tests for the bayesnq command line (bayesnq.cli), through ``main`` and its outputs."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
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
        ('data = "x"\nbounds = [0]\n', r"bounds must be a list \[low, high\]"),
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
    with pytest.raises(FileNotFoundError, match=r"not a bundled dataset \(alexnet, deberta-v3\)"):
        cli.load_data(s)


# ----------------------------------------------------------------------------- main


def test_user_errors_exit_2_without_traceback(tmp_path, capsys):
    code = cli.main(["fit", str(tmp_path / "missing.csv"), "--threshold", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("bayesnq: error: data ") and "Traceback" not in err
    data = tiny_scores(tmp_path / "s.txt")
    assert cli.main(["fit", str(data)]) == 2
    assert "threshold: required" in capsys.readouterr().err
    # the threshold check of bayesnq.fit runs before any sampling
    assert cli.main(["fit", str(data), "--threshold", "5", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayesnq: error: threshold") and "Traceback" not in err
    bad = tmp_path / "bad.toml"
    bad.write_text("data = [\n")
    assert cli.main(["fit", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


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
    the posterior.nc found in the output folder; then --sigma and --floor win."""
    import arviz as az

    rng = np.random.default_rng(0)
    gamma, sigma = rng.gamma(4.0, 0.5, size=(2, 50)), rng.uniform(0.01, 0.03, size=(2, 50))
    az.from_dict(posterior={"gamma": gamma, "sigma": sigma}).to_netcdf(str(tmp_path / "posterior.nc"))
    spec = tmp_path / "a.toml"
    spec.write_text('data = "alexnet"\nthreshold = 0.5\nfloor = 0.05\n')
    assert cli.main(["landscape", str(spec), "--k", "7", "--out", str(tmp_path)]) == 0
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


def test_spec_threshold_auto(tmp_path):
    spec = tmp_path / "a.toml"
    spec.write_text('data = "deberta-v3"\nthreshold = "Auto"\n')
    assert cli.load_spec(spec)["threshold"] == "auto"
    spec.write_text('data = "deberta-v3"\nthreshold = "best"\n')
    with pytest.raises(ValueError, match='threshold must be a finite number or "auto"'):
        cli.load_spec(spec)
