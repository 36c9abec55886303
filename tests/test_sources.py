"""Bring your own search (issue 22): configurations from nested objects and flat columns,
search spaces (declared, checked, inferred, printed), Optuna studies, and each source
through load, fit, thresholds and landscape from the command line."""

from __future__ import annotations

import csv
import json
import math
import os
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bayesnq  # noqa: E402
from bayesnq import cli, landscape  # noqa: E402
from bayesnq.data import Scores, load_scores  # noqa: E402
from bayesnq.data.search_space import (check_search_space, format_search_space,  # noqa: E402
                                       infer_search_space)

try:
    import optuna
except ImportError:  # the 'optuna' extra (installed by the 'test' extra)
    optuna = None
needs_optuna = pytest.mark.skipif(optuna is None, reason="optuna is not installed")

N = 80  # runs of the synthetic searches
N_STUDY = 45  # trials of the fast tier's Optuna study (pruned: 3, 20, 41; failed: 7, 30)


def objective(lr, width, opt, dropout, noise=0.0):
    """The known objective: best at lr = 1e-3, falling with dropout; width and opt do not
    matter. Accuracy-like, higher is better."""
    return 0.9 - 0.02 * (math.log10(lr) + 3.0) ** 2 - 0.05 * dropout + noise


def draw_configs(n=N, seed=0):
    """Random-search draws: lr log-uniform [1e-5, 1e-1], width integer-log-uniform
    16..512, opt choice, dropout uniform [0, 0.5]."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        out.append({"lr": float(np.exp(rng.uniform(math.log(1e-5), math.log(1e-1)))),
                    "width": int(round(math.exp(rng.uniform(math.log(16), math.log(512))))),
                    "opt": str(rng.choice(["adam", "sgd"])),
                    "dropout": float(rng.uniform(0.0, 0.5))})
    return out, rng


def nested_jsonl(path: Path, n=N) -> Path:
    """A JSON-lines search with a nested ``config`` object and fields that are not
    configuration (run, seed, train_accuracy, fit_seconds); two runs diverged (null)."""
    configs, rng = draw_configs(n)
    with open(path, "w") as fh:
        for i, c in enumerate(configs):
            acc = objective(**c, noise=float(rng.normal(0, 0.003)))
            fh.write(json.dumps({"run": i, "seed": 100 + i, "config": c,
                                 "accuracy": None if i in (3, 17) else acc,
                                 "train_accuracy": acc + 0.05, "fit_seconds": 10.0 + i}) + "\n")
    return path


def params_csv(path: Path, n=N) -> Path:
    """A flat export as Optuna's ``trials_dataframe()`` writes it (``params_*``)."""
    configs, rng = draw_configs(n, seed=1)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["number", "value", "datetime_start", "duration", "params_dropout",
                    "params_lr", "params_opt", "params_width", "user_attrs_note", "state"])
        for i, c in enumerate(configs):
            w.writerow([i, objective(**c, noise=float(rng.normal(0, 0.003))),
                        "2026-12-05 10:00:00", "0 days 00:00:01", c["dropout"], c["lr"],
                        c["opt"], c["width"], "x", "COMPLETE"])
    return path


# ----------------------------------------------------------------------------- configurations


def test_nested_config_is_the_configuration_and_nothing_is_dropped(tmp_path):
    s = load_scores(nested_jsonl(tmp_path / "r.jsonl"), "accuracy", nonfinite="worst")
    assert s.hyperparameters == ("lr", "width", "opt", "dropout")
    # the other fields stay per-run fields, and the rule names each with its reason
    assert {"run", "seed", "train_accuracy", "fit_seconds"} <= set(s.configs)
    for name in ("run", "seed", "train_accuracy", "fit_seconds"):
        assert name in s.config_rule and name not in s.hyperparameters
    assert "config.*" in s.config_rule
    assert s.n_failed == 2
    text = s.summary()
    assert "configuration: lr, width, opt, dropout" in text and "[search_space]" in text


def test_plain_columns_leave_out_ids_times_and_metrics():
    cols = {"run": [0, 1, 2], "seed": [5, 6, 7], "lr": [1e-3, 1e-2, 1e-1],
            "batch_size": [16, 32, 64], "accuracy": [0.8, 0.9, 0.85],
            "train_loss": [0.1, 0.2, 0.3], "fit_seconds": [1.0, 2.0, 3.0], "trial_id": [1, 2, 3]}
    s = load_scores(cols, "accuracy")
    assert s.hyperparameters == ("lr", "batch_size")
    assert "run, seed, trial_id (an identifier)" in s.config_rule
    assert "train_loss (a metric)" in s.config_rule and "fit_seconds (a time)" in s.config_rule


@pytest.mark.parametrize("prefix", ["config.", "config/", "params_"])
def test_prefixed_columns_are_the_configuration(prefix):
    cols = {"number": [0, 1, 2, 3], "value": [0.8, 0.9, 0.85, 0.7],
            f"{prefix}lr": [1e-3, 1e-2, 1e-1, 1e-4], f"{prefix}opt": ["a", "b", "a", "b"],
            "width": [1, 2, 3, 4]}  # not prefixed: not configuration here
    s = load_scores(cols, "value")
    assert s.hyperparameters == ("lr", "opt")
    np.testing.assert_array_equal(s.configs["lr"], cols[f"{prefix}lr"])
    assert "width" in s.config_rule and "width" not in s.hyperparameters


def test_params_csv_export(tmp_path):
    s = load_scores(params_csv(tmp_path / "trials.csv"), "value")
    assert s.hyperparameters == ("dropout", "lr", "opt", "width")
    for name in ("number", "datetime_start", "duration", "user_attrs_note", "state"):
        assert name in s.config_rule
    assert s.search_space["lr"]["kind"] == "log-uniform"


def test_named_hyperparameters_and_errors():
    cols = {"a": [1.0, 2.0, 3.0], "run": [0, 1, 2], "acc": [0.1, 0.2, 0.3]}
    s = load_scores(cols, "acc", hyperparameters=["a", "run"])
    assert s.hyperparameters == ("a", "run")
    with pytest.raises(ValueError, match="hyperparameters: no column 'lr'"):
        load_scores(cols, "acc", hyperparameters=["lr"])
    with pytest.raises(ValueError, match="score column"):
        load_scores(cols, "acc", hyperparameters=["acc"])
    with pytest.raises(ValueError, match="search_space: .* holds scores only"):
        load_scores([0.1, 0.2], search_space={"a": "uniform:0:1"})


# ----------------------------------------------------------------------------- search spaces


def test_inference_recovers_the_generating_kinds():
    configs, _ = draw_configs(200, seed=3)
    cols = {k: np.array([c[k] for c in configs]) for k in configs[0]}
    cols["steps"] = np.array([c % 5 + 1 for c in range(200)])  # integers 1..5
    cols["const"] = np.full(200, 7.0)
    cols["mixed"] = np.array([1, "a"] * 100, dtype=object)
    space, reasons, problems = infer_search_space(cols, list(cols))
    assert space["lr"]["kind"] == "log-uniform"
    assert space["width"]["kind"] == "integer-log-uniform"
    assert space["dropout"]["kind"] == "uniform"  # spans decades, but evenly on a linear scale
    assert space["opt"] == {"kind": "choice", "choices": ["adam", "sgd"]}
    assert space["steps"] == {"kind": "integer", "low": 1, "high": 5}
    assert set(problems) == {"const", "mixed"} and "choice" in problems["mixed"]
    assert len(reasons) == len(space)


def test_printed_space_pastes_back_into_a_spec():
    space = {"lr": {"kind": "log-uniform", "low": 1e-5, "high": 0.1},
             "width": {"kind": "integer-log-uniform", "low": 16, "high": 512},
             "opt": {"kind": "choice", "choices": ["adam", "sgd"]},
             "my key": {"kind": "uniform", "low": 0.0, "high": 0.5}}
    text = format_search_space(space)
    assert check_search_space(tomllib.loads(text)["search_space"]) == space


@pytest.mark.parametrize("entry, match", [
    ({"kind": "gaussian", "low": 0, "high": 1}, r"search_space\['lr'\]\['kind'\] must be one of"),
    ([1e-5, 1e-1], r"search_space\['lr'\] must be a mapping with a kind: a bare list is "
                   r"ambiguous.*lr = \{kind = \"log-uniform\""),
    ({"kind": "uniform", "low": 1.0, "high": 0.1}, r"search_space\['lr'\] must be a range with low < high"),
    ({"kind": "log-uniform", "low": 0.0, "high": 1.0}, r"search_space\['lr'\]\['low'\] must be > 0"),
    ({"kind": "uniform", "low": 0.0}, r"search_space\['lr'\]\['high'\] must be a finite number"),
    ("log-uniform:1e-5", r"search_space\['lr'\] must be log-uniform:LOW:HIGH"),
    ({"low": 0, "high": 1}, r"search_space\['lr'\] must be a mapping with a 'kind'"),
])
def test_bad_or_ambiguous_space_names_the_hyperparameter(entry, match):
    with pytest.raises(ValueError, match=match):
        check_search_space({"lr": entry})


def test_declared_space_checked_against_the_values():
    cols = {"lr": [1e-4, 1e-3, 0.5], "opt": ["a", "b", "c"], "acc": [0.1, 0.2, 0.3]}
    with pytest.raises(ValueError, match=r"search_space\['lr'\]: 1 values of 'lr' lie outside "
                                         r"\[1e-05, 0.1\].*widen it, e.g. lr = \{kind = "
                                         r"\"log-uniform\", low = 1e-05, high = 0.5\}"):
        load_scores(cols, "acc", search_space={"lr": "log-uniform:1e-5:1e-1"})
    with pytest.raises(ValueError, match=r"value 'c' of 'opt' is not one of the choices"):
        load_scores(cols, "acc", search_space={"opt": {"kind": "choice", "choices": ["a", "b"]}})
    with pytest.raises(ValueError, match=r"'opt' holds text.*kind = \"choice\""):
        load_scores(cols, "acc", search_space={"opt": "uniform:0:1"})
    with pytest.raises(ValueError, match=r"no hyperparameter 'width' among the configurations"):
        load_scores(cols, "acc", search_space={"width": "integer:1:4"})
    s = load_scores(cols, "acc", search_space={"lr": "loguniform:1e-5:1"})
    assert s.search_space == {"lr": {"kind": "log-uniform", "low": 1e-5, "high": 1.0}}
    assert s.hyperparameters == ("lr",) and s.n_hyperparameters == 1
    assert s.space_rule.startswith("declared")


# ----------------------------------------------------------------------------- Optuna

def optuna_objective(trial):
    """The known objective with Optuna's suggestions; trials 3, 20, 41 are pruned and 7,
    30 fail."""
    c = {"lr": trial.suggest_float("lr", 1e-5, 1e-1, log=True),
         "width": trial.suggest_int("width", 16, 512, log=True),
         "opt": trial.suggest_categorical("opt", ["adam", "sgd"]),
         "dropout": trial.suggest_float("dropout", 0.0, 0.5)}
    trial.report(0.5, step=0)
    if trial.number in (3, 20, 41):
        raise optuna.TrialPruned()
    if trial.number in (7, 30):
        raise RuntimeError("diverged")
    return objective(**c)


def two_objectives(trial):
    """(1 - objective, objective): minimize the first, maximize the second; trial 7 fails."""
    c = {"lr": trial.suggest_float("lr", 1e-5, 1e-1, log=True),
         "width": trial.suggest_int("width", 16, 512, log=True),
         "opt": trial.suggest_categorical("opt", ["adam", "sgd"]),
         "dropout": trial.suggest_float("dropout", 0.0, 0.5)}
    if trial.number == 7:
        raise RuntimeError("diverged")
    return 1.0 - objective(**c), objective(**c)


def make_study(path: Path, name="search", n=N, directions=None):
    import logging

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    logging.getLogger("optuna").setLevel(logging.CRITICAL)
    storage = f"sqlite:///{path}"
    study = optuna.create_study(study_name=name, storage=storage,
                                sampler=optuna.samplers.RandomSampler(seed=0),
                                **({"directions": directions} if directions else
                                   {"direction": "maximize"}))
    if directions:
        study.optimize(two_objectives, n_trials=n, catch=(RuntimeError,))
    else:
        study.optimize(optuna_objective, n_trials=n, catch=(RuntimeError,))
    return study, storage


@pytest.fixture(scope="module")
def study_db(tmp_path_factory):
    if optuna is None:
        pytest.skip("optuna is not installed")
    path = tmp_path_factory.mktemp("optuna") / "study.db"
    study, storage = make_study(path, n=N_STUDY)  # SQLite writes cost ~0.3 s per trial here
    return study, storage, path


@needs_optuna
def test_optuna_study_scores_direction_configs_space(study_db):
    study, storage, _ = study_db
    s = bayesnq.load_scores(study)
    assert len(s) == N_STUDY and s.minimize is False and s.name == "search"
    trials = study.get_trials()
    done = [t.state.name == "COMPLETE" for t in trials]
    for t, v in zip(trials, s.values):
        if t.state.name == "COMPLETE":
            assert v == pytest.approx(objective(**t.params))
    # failed (2) and pruned (3) trials get the worst score: the lowest finite one
    assert s.n_failed == 5 and np.array_equal(s.failed, ~np.array(done))
    assert np.all(s.values[s.failed] == s.values[~s.failed].min())
    assert "failed trials (no score): 2" in s.rule and "pruned trials (3)" in s.rule
    assert s.search_space == {
        "lr": {"kind": "log-uniform", "low": 1e-5, "high": 0.1},
        "width": {"kind": "integer-log-uniform", "low": 16, "high": 512},
        "opt": {"kind": "choice", "choices": ["adam", "sgd"]},
        "dropout": {"kind": "uniform", "low": 0.0, "high": 0.5}}
    assert s.n_hyperparameters == 4 and s.hyperparameters == tuple(s.search_space)
    # the same from the storage URL
    t = load_scores(storage, study="search")
    np.testing.assert_array_equal(t.values, s.values)


@needs_optuna
def test_optuna_pruned_modes_and_bounds(study_db):
    study, _, _ = study_db
    dropped = load_scores(study, pruned="drop")
    assert len(dropped) == N_STUDY - 3 and dropped.n_failed == 2
    kept = load_scores(study, pruned="intermediate")
    assert kept.n_failed == 2 and np.all(kept.values[[3, 20, 41]] == 0.5)  # the reported value
    bounded = load_scores(study, bounds=(0.0, 1.0))
    assert np.all(bounded.values[bounded.failed] == 0.0)
    with pytest.raises(ValueError, match="pruned must be one of"):
        load_scores(study, pruned="keep")


@needs_optuna
def test_optuna_multi_objective_needs_an_objective(tmp_path):
    study, storage = make_study(tmp_path / "mo.db", name="mo", n=12,
                                directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"objective: study 'mo' has 2 objectives \(0: "
                                         r"minimize, 1: maximize\).*objective=K"):
        load_scores(study)
    lo, hi = load_scores(study, objective=0), load_scores(storage, objective="1")
    assert lo.minimize and not hi.minimize
    np.testing.assert_allclose(lo.values[~lo.failed], 1 - hi.values[~hi.failed])
    with pytest.raises(ValueError, match="objective must be an objective index 0..1"):
        load_scores(study, objective=2)


@needs_optuna
def test_optuna_storage_errors(tmp_path, study_db):
    _, storage, path = study_db
    missing = tmp_path / "none.db"
    with pytest.raises(FileNotFoundError, match="no such SQLite file"):
        load_scores(f"sqlite:///{missing}")
    assert not missing.exists()  # optuna was not let create an empty database
    with pytest.raises(ValueError, match="study: no study 'other'.*'search'"):
        load_scores(storage, study="other")


@needs_optuna
def test_cli_study_options_and_errors(tmp_path, study_db, capsys):
    _, storage, _ = study_db
    assert cli.main(["landscape", storage, "--study", "search", "--minimize",
                     "--out", str(tmp_path / "a")]) == 2
    assert "maximizes its objective" in capsys.readouterr().err
    assert cli.main(["landscape", str(nested_jsonl(tmp_path / "r.jsonl")), "--study", "x",
                     "--out", str(tmp_path / "b")]) == 2
    assert "--study: applies to an Optuna storage URL" in capsys.readouterr().err
    assert cli.main(["landscape", storage, "--study", "search", "--search-space",
                     "lr=uniform:0:0.01", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "search_space['lr']" in err and "widen it, e.g. lr = " in err


# ----------------------------------------------------------------------------- landscape


def test_analyze_takes_a_space_for_scores_or_infers_one(tmp_path):
    s = load_scores(nested_jsonl(tmp_path / "r.jsonl"), "accuracy", nonfinite="worst")
    bare = Scores(values=s.values, minimize=False, failed=s.failed, configs=s.configs,
                  hyperparameters=s.hyperparameters)
    small = dict(n_permutations=5, n_simulations=5, n_bootstrap=10)
    inferred = landscape.analyze(bare, **small)
    assert inferred.names == ("lr", "width", "opt", "dropout")
    assert inferred.settings["search_space_source"].startswith("inferred")
    given = landscape.analyze(s, search_space={"lr": "log-uniform:1e-5:1e-1",
                                               "dropout": "uniform:0:0.5"}, **small)
    assert given.names == ("lr", "dropout")
    assert given.settings["encoding"]["lr"].startswith("log-uniform [1e-05, 0.1]")
    with pytest.raises(ValueError, match=r"search_space\['dropout'\]"):
        landscape.analyze(s, search_space={"dropout": "log-uniform:0:1"}, **small)


def test_interpret_names_the_curved_direction_and_compares_gamma():
    rng = np.random.default_rng(0)
    configs = {"lr": rng.uniform(0, 1, 200), "wd": rng.uniform(0, 1, 200)}
    y = -4 * (configs["lr"] - 0.5) ** 2 + 0.002 * rng.standard_normal(200)
    space = {"lr": {"kind": "uniform", "low": 0, "high": 1},
             "wd": {"kind": "uniform", "low": 0, "high": 1}}
    r = landscape.analyze(y, configs, space, n_permutations=10, n_simulations=10,
                          n_bootstrap=30)
    text = " ".join(landscape.interpret(r))
    assert "One direction, lr, carries the curvature" in text and "--fit" in text
    q = r.subsets["all"].quadratic
    near = landscape.compare_gamma(q, rng.normal(1.0, 0.2, 4000))
    far = landscape.compare_gamma(q, rng.normal(4.0, 0.2, 4000))
    assert near["agree"] and not far["agree"]
    assert "They agree" in near["sentence"] and "more curved directions" in far["sentence"]
    assert "They agree" in landscape.interpret(r, rng.normal(1.0, 0.2, 4000))[-1]


def test_cli_landscape_never_reads_a_posterior_from_its_folder(tmp_path, capsys):
    """A posterior.nc of other data lying in the output folder is not used (it used
    DeBERTaV3's sigma for AlexNet); --fit of other scores is refused."""
    import arviz as az

    out = tmp_path / "out"
    out.mkdir()
    az.from_dict(posterior={"gamma": np.full((1, 20), 9.0),
                            "sigma": np.full((1, 20), 0.5)}).to_netcdf(str(out / "posterior.nc"))
    data = nested_jsonl(tmp_path / "r.jsonl")
    assert cli.main(["landscape", str(data), "--score", "accuracy", "--out", str(out)]) == 2
    assert "nonfinite" in capsys.readouterr().err  # the two null scores: the rule is asked
    data = nested_jsonl(tmp_path / "r.jsonl", n=40)
    lines = data.read_text().splitlines()
    data.write_text("\n".join(line.replace('"accuracy": null', '"accuracy": 0.0')
                              for line in lines) + "\n")
    assert cli.main(["landscape", str(data), "--score", "accuracy", "--out", str(out),
                     "--k", "5"]) == 0
    printed = capsys.readouterr().out
    assert "using gamma draws" not in printed and "No tail fit given" in printed
    assert "configuration: lr, width, opt, dropout" in printed
    assert "what this means for this search" in printed
    doc = json.loads((out / "landscape.json").read_text())
    assert "gamma_comparison" not in doc and doc["settings"]["sigma"] != 0.5
    assert doc["hyperparameters"] == ["lr", "width", "opt", "dropout"]
    # a fit whose folder's marker names other scores is refused
    other = tmp_path / "other"
    other.mkdir()
    (other / "bayesnq-run.json").write_text(json.dumps({"scores_sha256": "0" * 64}))
    os.replace(out / "posterior.nc", other / "posterior.nc")
    assert cli.main(["landscape", str(data), "--score", "accuracy", "--out", str(out),
                     "--fit", str(other / "posterior.nc")]) == 2
    assert "that fit is of other scores" in capsys.readouterr().err


def test_spec_search_space_table(tmp_path, capsys):
    data = params_csv(tmp_path / "trials.csv", n=40)
    spec = tmp_path / "s.toml"
    spec.write_text(f'data = "{data.name}"\nscore = "value"\n\n[search_space]\n'
                    'lr = {kind = "log-uniform", low = 1e-5, high = 0.1}\n'
                    'width = "integer-log-uniform:16:512"\n')
    from bayesnq.cli import load_data, resolve_settings

    args = cli.build_parser().parse_args(["landscape", str(spec)])
    s = load_data(resolve_settings(args))
    assert tuple(s.search_space) == ("lr", "width") and s.space_rule.startswith("declared")
    args = cli.build_parser().parse_args(["landscape", str(spec), "--search-space",
                                          "lr=uniform:0:0.1"])
    assert load_data(resolve_settings(args)).search_space["lr"]["kind"] == "uniform"
    spec.write_text(f'data = "{data.name}"\nscore = "value"\nsearch_space = 3\n')
    assert cli.main(["landscape", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "search_space must be a table" in capsys.readouterr().err
    assert cli.main(["landscape", str(data), "--score", "value", "--search-space", "lr",
                     "--out", str(tmp_path / "o")]) == 2
    assert "--search-space must be NAME=KIND:LOW:HIGH" in capsys.readouterr().err
    # --fit same fits the tail here, so it needs a threshold (asked before loading)
    assert cli.main(["landscape", str(data), "--score", "value", "--fit", "same",
                     "--out", str(tmp_path / "o")]) == 2
    assert "threshold: --fit same" in capsys.readouterr().err


# ----------------------------------------------------------------------------- end to end

SAMPLER = ["--chains", "1", "--warmup", "150", "--samples", "150", "--seed", "1",
           "--no-progress"]


@pytest.mark.slow
@pytest.mark.parametrize("source", [pytest.param("optuna", marks=needs_optuna), "jsonl", "csv"])
def test_each_source_through_fit_thresholds_and_landscape(source, tmp_path, capsys):
    """An Optuna study in SQLite, a JSONL with nested configs and a params_* CSV export,
    each through fit, thresholds and landscape --fit from the command line, no code."""
    if source == "optuna":
        _, storage = make_study(tmp_path / "study.db")
        data = [storage, "--study", "search"]
    elif source == "jsonl":
        data = [str(nested_jsonl(tmp_path / "r.jsonl")), "--score", "accuracy",
                "--bounds", "0", "1"]
    else:
        data = [str(params_csv(tmp_path / "trials.csv")), "--score", "value"]
    if source == "jsonl":  # two null scores: the worst score rule via the bounds
        path = Path(data[0])
        path.write_text(path.read_text().replace('"accuracy": null', '"accuracy": 0.0'))
    fit_dir, thr_dir, land_dir = (tmp_path / d for d in ("fit", "thr", "land"))
    assert cli.main(["fit", *data, "--threshold", "0.86", "--out", str(fit_dir), *SAMPLER]) == 0
    printed = capsys.readouterr().out
    assert "configuration: " in printed and "posterior summary" in printed
    assert (fit_dir / "posterior.nc").is_file()
    assert cli.main(["thresholds", *data, "--thresholds", "0.85", "0.87", "--out",
                     str(thr_dir), *SAMPLER]) == 0
    assert (thr_dir / "thresholds.csv").is_file()
    capsys.readouterr()
    assert cli.main(["landscape", *data, "--fit", str(fit_dir / "posterior.nc"), "--out",
                     str(land_dir)]) == 0
    printed = capsys.readouterr().out
    assert "using gamma draws" in printed and "The tail fit's gamma" in printed
    doc = json.loads((land_dir / "landscape.json").read_text())
    assert set(doc["hyperparameters"]) == {"lr", "width", "opt", "dropout"}
    assert isinstance(doc["gamma_comparison"]["agree"], bool)
    # the curvature is in lr, as the objective says
    assert "lr" in [s for s in doc["interpretation"] if "carries the curvature" in s
                    or "directions carry" in s][0]
