"""Pruned Optuna trials from the command line: ``--pruned {worst,drop,intermediate}`` and
the spec key ``pruned`` (the choices of ``load_study(pruned=)``), for every command that
takes an Optuna storage URL as DATA (fit, thresholds, landscape).

Fast tier: a 10-trial SQLite study (trials 2 and 5 pruned after reporting 0.25, trial 7
failed), loaded the way the commands load it (parser -> settings -> load_data); no fit.
"""

from __future__ import annotations

import pytest

from bayesnq import cli
from bayesnq.cli.inputs import load_data
from bayesnq.cli.parser import build_parser
from bayesnq.cli.specs import PRUNED_MODES, UserError, resolve_settings

optuna = pytest.importorskip("optuna")

N = 10
PRUNED = (2, 5)
FAILED = (7,)


def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.report(0.25, step=0)
    if trial.number in PRUNED:
        raise optuna.TrialPruned()
    if trial.number in FAILED:
        raise RuntimeError("diverged")
    return 0.5 + 0.4 * x


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    import logging

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    logging.getLogger("optuna").setLevel(logging.CRITICAL)
    folder = tmp_path_factory.mktemp("pruned")
    url = f"sqlite:///{folder / 'study.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=N, catch=(RuntimeError,))
    return url, folder


def scores_from(argv):
    return load_data(resolve_settings(build_parser().parse_args(argv)))


def test_choices_are_those_of_load_study():
    from bayesnq.data.optuna_study import PRUNED_MODES as DATA_MODES

    assert tuple(PRUNED_MODES) == tuple(DATA_MODES)


@pytest.mark.parametrize("command", ["fit", "thresholds", "landscape"])
def test_each_command_takes_the_flag(command, storage):
    url, _ = storage
    args = build_parser().parse_args([command, url, "--pruned", "drop"])
    assert resolve_settings(args).pruned == "drop"
    assert resolve_settings(build_parser().parse_args([command, url])).pruned is None
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, url, "--pruned", "keep"])


def test_pruned_modes_from_the_command_line(storage):
    url, _ = storage
    worst = scores_from(["fit", url])  # default: pruned trials count as failed
    assert len(worst) == N and worst.n_failed == len(PRUNED) + len(FAILED)
    assert "pruned trials (2) count as failed" in worst.rule
    assert all(worst.values[i] == worst.values[~worst.failed].min() for i in PRUNED)
    assert scores_from(["fit", url, "--pruned", "worst"]).values.tolist() == worst.values.tolist()
    dropped = scores_from(["thresholds", url, "--pruned", "drop"])
    assert len(dropped) == N - len(PRUNED) and dropped.n_failed == len(FAILED)
    assert "pruned trials (2) dropped" in dropped.rule
    kept = scores_from(["landscape", url, "--pruned", "intermediate"])
    assert len(kept) == N and kept.n_failed == len(FAILED)
    assert all(kept.values[i] == 0.25 for i in PRUNED)


def test_spec_key_and_flag_over_it(storage):
    _, folder = storage
    spec = folder / "study.toml"
    spec.write_text('data = "sqlite:///study.db"\npruned = "drop"\n')  # relative to the spec
    assert len(scores_from(["fit", str(spec)])) == N - len(PRUNED)
    over = scores_from(["fit", str(spec), "--pruned", "intermediate"])
    assert len(over) == N and over.n_failed == len(FAILED)
    bad = folder / "bad.toml"
    bad.write_text('data = "sqlite:///study.db"\npruned = "keep"\n')
    with pytest.raises(UserError, match=r"pruned must be one of \['worst', 'drop', "
                                        r"'intermediate'\], got pruned='keep'"):
        scores_from(["fit", str(bad)])


def test_flag_refused_without_a_study(tmp_path, capsys):
    csv = tmp_path / "runs.csv"
    csv.write_text("acc\n0.5\n0.6\n0.7\n0.8\n0.9\n")
    with pytest.raises(UserError, match="--pruned: applies to an Optuna storage URL"):
        scores_from(["fit", str(csv), "--pruned", "drop"])
    assert cli.main(["calibrate", "sbc", "--pruned", "drop"]) == 2
    assert "--pruned drop: applies to 'calibrate coverage' only" in capsys.readouterr().err
