"""Scores of an Optuna study: :func:`load_study` (optuna is imported when called).

An Optuna study holds one trial per run, in the order ``trial.number``. From it come

* the **scores**: each trial's objective value (``trial.values[k]`` for objective ``k``);
* the **direction**: ``study.directions[k]`` (minimize or maximize);
* the **configurations**: ``trial.params``;
* the **search space**: the trials' distributions, ``FloatDistribution(low, high, log)``
  as ``uniform`` / ``log-uniform``, ``IntDistribution(low, high, log)`` as ``integer`` /
  ``integer-log-uniform`` and ``CategoricalDistribution(choices)`` as ``choice``
  (:mod:`bayesnq.data.search_space`).

Trials that did not finish are runs all the same, under the package's worst-score rule
(Lourie, He & Cho, COLM 2025): a **failed** trial (state ``FAIL``: the objective raised or
returned NaN) is a run with no score and gets the **worst score**, so that it lands in the
bottom of the distribution instead of disappearing; a **pruned** trial (state ``PRUNED``)
was stopped early by the pruner as a poor run and holds only its last intermediate value,
so by default (``pruned="worst"``) it gets the worst score too; ``pruned="drop"`` drops
it and ``pruned="intermediate"`` keeps its stored value. Trials still running or waiting
are left out (they are not runs yet). The worst score is the bad end of ``bounds`` if
known, else ``worst``, else the worst finite score; the rule says which.

A multi-objective study is refused unless an objective is named (its index, or its name
from ``study.set_metric_names``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bayesnq.data.columns import configs_from
from bayesnq.data.load import _finish, attach_search_space
from bayesnq.data.scores import _metric_bounds
from bayesnq.validation import check_choice, fail

__all__ = ["load_study", "PRUNED_MODES", "space_from_distributions"]

PRUNED_MODES = ("worst", "drop", "intermediate")


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ValueError("source: reading an Optuna study needs the optuna package: "
                         "pip install 'bayesnq[optuna]'") from None
    return optuna


def _open_study(optuna, url: str, study: str | None):
    """The study named ``study`` in the storage at ``url`` (the only one when not named)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.is_file():  # optuna would create an empty database
            raise FileNotFoundError(f"source: no such SQLite file: {str(path)!r} (from {url!r})")
    names = [s.study_name for s in optuna.get_all_study_summaries(storage=url)]
    if study is None:
        if len(names) != 1:
            raise ValueError(
                f"study: the storage {url} holds {len(names)} studies "
                f"({', '.join(map(repr, names)) or 'none'}); name one with study= "
                "(--study NAME)")
        study = names[0]
    elif study not in names:
        raise ValueError(f"study: no study {study!r} in {url}; it holds "
                         f"{', '.join(map(repr, names)) or 'no study'}")
    return optuna.load_study(study_name=study, storage=url)


def _objective_index(study, objective) -> int:
    directions = list(study.directions)
    names = list(getattr(study, "metric_names", None) or [])
    listed = ", ".join(
        f"{k}{f' ({names[k]!r})' if k < len(names) else ''}: "
        f"{'minimize' if d.name == 'MINIMIZE' else 'maximize'}"
        for k, d in enumerate(directions))
    if objective is None:
        if len(directions) > 1:
            raise ValueError(
                f"objective: study {study.study_name!r} has {len(directions)} objectives "
                f"({listed}); a random-search analysis takes one: name it with objective=K "
                "(--objective K)")
        return 0
    if isinstance(objective, str) and objective.strip().lstrip("-").isdigit():
        objective = int(objective)
    if isinstance(objective, str):
        if objective not in names:
            raise fail("objective", f"an objective index or name ({listed})", objective)
        return names.index(objective)
    if isinstance(objective, bool) or not isinstance(objective, int) \
            or not 0 <= objective < len(directions):
        raise fail("objective", f"an objective index 0..{len(directions) - 1} ({listed})",
                   objective)
    return objective


def space_from_distributions(trials) -> tuple[dict, list[str]]:
    """The search space of the trials' distributions, and notes on what was merged or left
    out (a parameter absent from some trials is conditional: it has no place in one space).
    """
    seen: dict[str, list] = {}
    for t in trials:
        for name, dist in t.distributions.items():
            seen.setdefault(name, []).append(dist)
    space, notes = {}, []
    for name, dists in seen.items():
        if len(dists) < len(trials):
            notes.append(f"{name} left out: set in {len(dists)} of {len(trials)} trials "
                         "(conditional)")
            continue
        kinds = {type(d).__name__ for d in dists}
        if len(kinds) > 1:
            notes.append(f"{name} left out: its distribution changes type ({sorted(kinds)})")
            continue
        d = dists[0]
        kind = type(d).__name__
        if kind == "CategoricalDistribution":
            choices = list(dict.fromkeys(c for dd in dists for c in dd.choices))
            space[name] = {"kind": "choice", "choices": choices}
            continue
        low = min(dd.low for dd in dists)
        high = max(dd.high for dd in dists)
        if len({(dd.low, dd.high, dd.log) for dd in dists}) > 1:
            notes.append(f"{name}: its range changes between trials; taken as [{low}, {high}]")
        log = bool(d.log)
        integer = kind == "IntDistribution"
        if getattr(d, "step", None) not in (None, 1):
            notes.append(f"{name}: drawn on a grid of step {d.step}, taken as continuous")
        if low == high:
            notes.append(f"{name} left out: a single value ({low})")
            continue
        kind = {(False, False): "uniform", (False, True): "log-uniform",
                (True, False): "integer", (True, True): "integer-log-uniform"}[(integer, log)]
        space[name] = {"kind": kind, "low": low, "high": high}
    return space, notes


def load_study(source, *, study: str | None = None, objective=None, pruned: str = "worst",
               worst: float | None = None, bounds=(None, None), name: str | None = None,
               search_space=None):
    """Scores of an Optuna study, with its direction, configurations and search space.

    Parameters
    ----------
    source : optuna.Study or str
        A study, or a storage URL such as ``"sqlite:///study.db"``.
    study : str, optional
        The study's name in the storage (needed when it holds several).
    objective : int or str, optional
        For a multi-objective study: the objective's index or name (required there).
    pruned : {"worst", "drop", "intermediate"}, default "worst"
        Pruned trials: the worst score (failed), dropped, or their last intermediate value.
    worst, bounds, name, search_space
        As for :func:`bayesnq.data.load_scores`; a given ``search_space`` replaces the
        trials' distributions.

    Returns
    -------
    Scores
        In trial order, with ``configs`` (the parameters), ``search_space``,
        ``n_hyperparameters`` (the number of parameters in the space) and rules saying
        what was taken.

    Raises
    ------
    ValueError
        Without optuna, for a storage holding several studies and no ``study``, a
        multi-objective study without ``objective``, or no finished trial.
    FileNotFoundError
        For a ``sqlite:///`` URL to no file.
    """
    optuna = _optuna()
    check_choice("pruned", pruned, PRUNED_MODES)
    bounds = _metric_bounds(bounds)
    if isinstance(source, str):
        source = _open_study(optuna, source, study)
    k = _objective_index(source, objective)
    minimize = source.directions[k].name == "MINIMIZE"
    state = optuna.trial.TrialState
    trials = sorted(source.get_trials(deepcopy=False), key=lambda t: t.number)
    unfinished = [t for t in trials if t.state in (state.RUNNING, state.WAITING)]
    trials = [t for t in trials if t.state not in (state.RUNNING, state.WAITING)]
    n_pruned = sum(t.state == state.PRUNED for t in trials)
    if pruned == "drop":
        trials = [t for t in trials if t.state != state.PRUNED]
    if not trials:
        raise ValueError(f"source: study {source.study_name!r} has no finished trial")
    values = np.full(len(trials), np.nan)
    for i, t in enumerate(trials):
        keep = t.state == state.COMPLETE or (t.state == state.PRUNED and pruned == "intermediate")
        if keep and t.values is not None and len(t.values) > k and t.values[k] is not None:
            values[i] = float(t.values[k])
    n_failed = sum(t.state == state.FAIL for t in trials)
    params = list(dict.fromkeys(p for t in trials for p in t.params))
    columns = {p: [t.params.get(p) for t in trials] for p in params}
    configs = configs_from(columns, exclude=None)
    metric = (source.metric_names[k] if getattr(source, "metric_names", None) else None) \
        or ("value" if len(source.directions) == 1 else f"values[{k}]")
    parts = [f"score = objective {metric!r} of Optuna study {source.study_name!r} "
             f"({'minimize' if minimize else 'maximize'}), one run per trial in trial order"]
    if n_failed:
        parts.append(f"failed trials (no score): {n_failed}")
    if n_pruned:
        parts.append(f"pruned trials ({n_pruned}) " + {
            "worst": "count as failed (stopped early as poor runs)",
            "drop": "dropped",
            "intermediate": "keep their last intermediate value"}[pruned])
    if unfinished:
        parts.append(f"{len(unfinished)} running or waiting trials left out")
    scores = _finish(values, None, configs, None, minimize=minimize, worst=worst,
                     nonfinite="worst", bounds=bounds,
                     name=name if name is not None else source.study_name, rule="; ".join(parts))
    space, notes = space_from_distributions(trials)
    config_rule = f"configuration: {', '.join(params) or 'none'} (the trials' parameters)"
    scores = dataclasses.replace(scores, hyperparameters=tuple(params), config_rule=config_rule)
    if search_space is not None:
        return attach_search_space(scores, search_space)
    if not space:
        return attach_search_space(scores)
    out = attach_search_space(scores, space, source="from the trials' distributions")
    if notes:
        out = dataclasses.replace(out, space_rule=out.space_rule + "; " + "; ".join(notes))
    return out

