"""Loading random-search scores: :func:`load_scores`, and the worst-score rule for failed runs.

A run with no finite value (an empty learning curve, a diverged run) is *failed* and gets
the metric's **worst score** (accuracy 0, error 1, loss :math:`+\\infty`), so that it lands
in the bottom of the distribution rather than disappearing (Lourie, He & Cho, COLM 2025).
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from bayesnq.data.columns import (check_lengths, columns_to_records, configs_from,
                                  numeric_column, pick_score_column, records_to_columns)
from bayesnq.data.configs import flatten_records, pick_hyperparameters
from bayesnq.data.learning_curves import (REDUCE_MODES, extract_curve, parse_curve_path,
                                          reduce_curves)
from bayesnq.data.readers import Records, read_source
from bayesnq.data.scores import Scores, _fmt, _list_indices, _metric_bounds, _runs
from bayesnq.data.search_space import check_search_space, infer_search_space
from bayesnq.direction import beyond, orient
from bayesnq.validation import check_bool, check_choice, fail

__all__ = ["load_scores"]

_NONFINITE_MODES = ("raise", "drop", "worst")


def _resolve_worst(values: np.ndarray, ok: np.ndarray, minimize: bool, worst, bounds) -> tuple[float, str]:
    """Worst score and the phrase describing it. ``ok`` marks the finite scores."""
    finite = values[ok]
    if worst is None:
        bad_bound = bounds[1] if minimize else bounds[0]
        if bad_bound is not None:
            return float(bad_bound), f"the worst score {_fmt(bad_bound)} (the metric's bound)"
        if finite.size == 0:
            raise ValueError(
                "worst: no run has a finite score, so the worst score cannot be taken from the "
                "data; pass worst= (e.g. 0.0 for accuracy) or bounds="
            )
        w = float(finite.max() if minimize else finite.min())
        which = "highest" if minimize else "lowest"
        return w, f"the worst score {_fmt(w)} (the {which} finite score; `worst` not given)"
    try:
        w = float(worst)
    except (TypeError, ValueError):
        raise fail("worst", "a number", worst) from None
    if math.isnan(w) or orient(w, minimize) == math.inf:  # the best possible score
        raise ValueError(f"worst: {worst!r} cannot be the worst score when {'minimizing' if minimize else 'maximizing'}")
    worse = finite[beyond(w, finite, minimize)]  # finite scores worse than w
    if worse.size:
        raise ValueError(
            f"worst: {_fmt(w)} is better than {worse.size} finite scores (e.g. {_fmt(worse[0])}); "
            f"the worst score must be {'at or above' if minimize else 'at or below'} every score "
            f"when {'minimizing' if minimize else 'maximizing'}"
        )
    return w, f"the worst score {_fmt(w)}"


def _check_field_present(records, field: str, where: str) -> None:
    """A ValueError naming the file, the lines (or indices) and the field when some records
    lack the score field; a record whose score is null or NaN is not missing (it follows
    the ``nonfinite`` rule)."""
    missing = np.flatnonzero([field not in r for r in records])
    if not missing.size:
        return
    path = getattr(records, "path", None)
    lines = getattr(records, "lines", None)
    k = _runs(missing.size).replace("run", "record")
    if path is not None and lines is not None:
        at = np.asarray(lines)[missing]
        place = f"{path} line{'s' if at.size > 1 else ''} {_list_indices(at)}"
    else:
        source = str(path) if path is not None else where
        place = f"{source}, record{'s' if missing.size > 1 else ''} at index {_list_indices(missing)}"
    raise ValueError(
        f"score: {place} ({k} of {len(records)}) {'have' if missing.size > 1 else 'has'} no "
        f"field {field!r}; every record needs the score (write null for a failed run)"
    )


def _finish(
    values: np.ndarray,
    curve_failed: np.ndarray | None,
    configs: dict[str, np.ndarray] | None,
    curves: list[np.ndarray] | None,
    *,
    minimize: bool,
    worst,
    nonfinite: str,
    bounds,
    name: str,
    rule: str,
) -> Scores:
    n = values.size
    if n == 0:
        raise ValueError("source: empty input (no scores)")
    curve_failed = np.zeros(n, bool) if curve_failed is None else curve_failed
    bad = ~np.isfinite(values) & ~curve_failed
    parts = [rule]
    drop = np.zeros(n, bool)
    if bad.any():
        idx = np.flatnonzero(bad)
        if nonfinite == "raise":
            raise ValueError(
                f"nonfinite: {idx.size} of {n} scores are not finite (NaN or ±inf) at indices "
                f"{_list_indices(idx)}; pass nonfinite='drop' to drop them or nonfinite='worst' "
                "to give them the worst score"
            )
        if nonfinite == "drop":
            drop |= bad
            parts.append(f"{_runs(idx.size)} with non-finite scores dropped (indices {_list_indices(idx)})")
    if curve_failed.any() and nonfinite == "drop":
        idx = np.flatnonzero(curve_failed)
        drop |= curve_failed
        parts.append(f"{_runs(idx.size)} with no finite value on the curve dropped (indices {_list_indices(idx)})")
        curve_failed = np.zeros(n, bool)
    failed = curve_failed | (bad if nonfinite == "worst" else False)
    if drop.any():
        keep = ~drop
        if not keep.any():
            raise ValueError(f"nonfinite: all {n} scores are non-finite; nothing is left after dropping them")
        values, failed = values[keep], failed[keep]
        configs = None if configs is None else {k: v[keep] for k, v in configs.items()}
        curves = None if curves is None else [c for c, k in zip(curves, keep) if k]
    values = values.copy()
    if failed.any():
        w, phrase = _resolve_worst(values, ~failed, minimize, worst, bounds)
        values[failed] = w
        what = "runs with no finite value" if curves is not None else "non-finite scores"
        parts.append(f"{what} get {phrase} ({_runs(int(failed.sum()))})")
    elif curves is not None:
        parts.append("every run has a finite value")
    return Scores(
        values=values,
        minimize=minimize,
        name=name,
        failed=failed,
        configs=configs or None,
        learning_curves=curves,
        rule="; ".join(parts),
        bounds=bounds,
    )


def _configuration(columns: dict, score, given) -> tuple[dict, tuple, str]:
    """The typed per-run fields, hyperparameters first (under their names, a prefix such
    as ``config.`` removed), the hyperparameters' names and the rule saying why."""
    typed = configs_from(columns, exclude=score)
    named = {str(k): v for k, v in columns.items()}
    taken, rule = pick_hyperparameters(named, None if score is None else str(score),
                                       set(typed), given)
    configs = {name: typed[col] for name, col in taken.items()}
    used = set(taken.values())
    configs.update({k: v for k, v in typed.items() if k not in used and k not in configs})
    return configs, tuple(taken), rule


def attach_search_space(scores: Scores, search_space=None, *, source: str = "declared",
                        exact: bool | None = None) -> Scores:
    """``scores`` with a search space: the one given (checked against the configurations
    by :func:`~bayesnq.data.search_space.check_search_space`), else the one it holds, else
    one inferred from the values of its hyperparameters
    (:func:`~bayesnq.data.search_space.infer_search_space`). ``space_rule`` says which;
    a given (``exact``) space also sets ``n_hyperparameters`` when unset.
    """
    configs = scores.configs or {}
    if search_space is not None:
        if not configs:
            raise ValueError(
                f"search_space: {scores.name or 'the source'} holds no configurations (per-run "
                "hyperparameter values), so a search space cannot apply; load a file with one "
                "column or field per hyperparameter")
        space = check_search_space(search_space, configs)
        kinds = ", ".join(f"{k} {v['kind']}" for k, v in space.items())
        changes = dict(search_space=space, hyperparameters=tuple(space),
                       space_rule=f"{source}: {kinds}")
        if (exact is None or exact) and scores.n_hyperparameters is None:
            changes["n_hyperparameters"] = len(space)
        return dataclasses.replace(scores, **changes)
    if scores.search_space is not None or not configs:
        return scores
    names = scores.hyperparameters or ()
    if not names:
        return dataclasses.replace(scores, space_rule=(
            "none: no column was taken as a hyperparameter; declare one (search_space=, "
            "the spec's [search_space] table or --search-space NAME=KIND:LOW:HIGH)"))
    space, reasons, problems = infer_search_space(configs, names)
    rule = ("inferred from the values (on the observed range; declare the true space to "
            "correct it): " + "; ".join(reasons)) if space else "none could be inferred"
    if problems:
        rule += "; left out: " + "; ".join(f"{k} ({why})" for k, why in problems.items())
    return dataclasses.replace(scores, search_space=space or None, space_rule=rule)


def load_scores(
    source,
    score: str | None = None,
    *,
    minimize: bool = False,
    curve: str | None = None,
    reduce: str = "best",
    worst: float | None = None,
    nonfinite: str = "raise",
    name: str | None = None,
    bounds: tuple[float | None, float | None] = (None, None),
    search_space=None,
    hyperparameters=None,
    study: str | None = None,
    objective=None,
    pruned: str = "worst",
) -> Scores:
    """Load random-search scores, one per run in search order.

    Parameters
    ----------
    source : path, array_like, sequence of dict, or mapping of columns
        * a path to a ``.csv`` file (header row; or a single headerless
          column of numbers), a ``.jsonl``/``.ndjson`` file (one JSON object
          per run, or one number per line), a ``.json`` file (a list of
          objects or numbers, or an object of columns), a ``.npy`` file (1-D,
          or structured with named fields) or a ``.txt`` file (one number per
          line; ``#`` starts a comment);
        * a 1-D array or sequence of numbers (the scores themselves);
        * a sequence of dicts (records, as parsed from JSON lines);
        * anything with ``.keys()`` and column access ``source[key]``, such as
          a dict of equal-length columns or a pandas DataFrame.
    score : str, optional
        Column (or record field) holding the score. Required when the source
        has more than one numeric column. Every other scalar column becomes a
        per-run entry of ``configs``.
    minimize : bool, default False
        True when lower scores are better.
    curve : str, optional
        Path to each record's learning curve, instead of ``score``:

        * ``"learning_curve[].top_1"``: ``learning_curve`` is a list of
          objects and ``top_1`` the metric inside each. The budget is the
          first of ``step``, ``steps``, ``global_step``, ``epoch``, ``epochs``,
          ``budget``, ``iteration`` present in every point, else the position
          ``0, 1, ...``.
        * ``"learning_curves.matched"``: a list of ``[budget, value]`` pairs
          (or of bare values, whose budget is their position).

        A missing or null curve counts as empty.
    reduce : {"best", "last"}, default "best"
        How a curve becomes a score: ``"best"`` takes
        :math:`\\max_t v_t` (:math:`\\min_t v_t` when minimizing) over the
        finite values, i.e. early stopping; ``"last"`` takes the last finite
        value.
    worst : float, optional
        Score given to failed runs: a curve with no finite value, or a
        non-finite score under ``nonfinite="worst"``. Must be no better than
        any finite score. When omitted: the bad end of ``bounds`` if known
        (low when maximizing, high when minimizing), else the lowest finite
        score when maximizing / the highest when minimizing. The rule says
        which.
    nonfinite : {"raise", "drop", "worst"}, default "raise"
        What to do with NaN or ±inf scores: raise a ValueError listing them;
        drop those runs (and their configs and curves); or mark them failed and
        give them the worst score. For learning curves, a run with no finite
        value is a normal outcome (a diverged or crashed run): it is failed
        and given the worst score under ``"raise"`` and ``"worst"``, and
        dropped under ``"drop"``.
    name : str, optional
        Label; defaults to the file name.
    bounds : (float or None, float or None), default (None, None)
        Known range of the metric, e.g. ``(0, 1)`` for accuracy.
    search_space : mapping, optional
        The distribution each hyperparameter was drawn from, ``name -> {"kind": ...,
        "low": ..., "high": ...}`` or ``{"kind": "choice", "choices": [...]}`` (kinds
        ``uniform``, ``log-uniform``, ``integer``, ``integer-log-uniform``, ``choice``;
        see :mod:`bayesnq.data.search_space`). Checked against the values. When omitted,
        inferred from the values of the hyperparameters (``space_rule`` says how; the
        summary prints it as a ``[search_space]`` table to paste into a spec file).
    hyperparameters : sequence of str, optional
        The columns that are the configuration. When omitted: nested objects are
        flattened (``config.lr``); columns with a prefix such as ``config.``,
        ``config/`` or ``params_`` are the configuration if any exist, else every
        scalar column but the score and those named as ids, times, states or metrics
        (:mod:`bayesnq.data.configs`). ``config_rule`` says which were taken and why the
        others were not.
    study, objective, pruned
        For an Optuna study or storage URL (``"sqlite:///study.db"``): see
        :func:`bayesnq.data.optuna_study.load_study`.

    Returns
    -------
    Scores
        With ``rule`` describing the extraction, e.g. ``"score = max of
        learning_curve[].top_1 over the learning curve; runs with no finite
        value get the worst score 0 (49 runs)"``.

    Raises
    ------
    ValueError
        For an empty source, a file that is not UTF-8 text (a leading
        byte-order mark is fine), a missing or non-numeric score column, a
        record without the score field (naming its line; a null score is not
        missing but non-finite), a missing curve field, a source that is not
        1-D, non-finite scores under ``nonfinite="raise"``, or invalid options
        (bounds that are not a pair with low < high, ...). Each message names
        the argument at fault.
    FileNotFoundError
        When ``source`` is a path to no file.

    Examples
    --------
    >>> load_scores([0.81, 0.85, 0.79]).values
    array([0.81, 0.85, 0.79])
    """
    if isinstance(source, Scores):
        return source if search_space is None else attach_search_space(source, search_space)
    if _is_study(source):
        from bayesnq.data.optuna_study import load_study

        return load_study(source, study=study, objective=objective, pruned=pruned,
                          worst=worst, bounds=bounds, name=name, search_space=search_space)
    minimize = check_bool("minimize", minimize)
    check_choice("reduce", reduce, REDUCE_MODES)
    check_choice("nonfinite", nonfinite, _NONFINITE_MODES)
    if score is not None and curve is not None:
        raise ValueError(
            f"score: give either score= (a flat field) or curve= (a learning curve), not both "
            f"(got score={score!r}, curve={curve!r})"
        )
    if score is not None and not isinstance(score, str):
        raise fail("score", "a column name (str)", score)
    bounds = _metric_bounds(bounds)

    kind, payload, where = read_source(source)
    label = name if name is not None else (where if isinstance(source, str | os.PathLike) else "")
    common = dict(minimize=minimize, worst=worst, nonfinite=nonfinite, bounds=bounds, name=label)

    if kind == "columns":
        if not payload:
            raise ValueError(f"source: {where} has no columns (empty input)")
        check_lengths(payload, where)
        if curve is not None:
            kind, payload = "records", columns_to_records(payload)

    if kind == "values":
        if score is not None or curve is not None:
            arg = "score" if score is not None else "curve"
            raise ValueError(
                f"{arg}: {where} is a plain list of scores with no named columns, so "
                f"{arg}={score if score is not None else curve!r} cannot be applied"
            )
        try:
            values = np.asarray(payload, dtype=np.float64) if not isinstance(payload, list) else np.array(
                [np.nan if x is None else x for x in payload], dtype=np.float64
            )
        except (TypeError, ValueError):
            raise ValueError(f"source: {where} is not numeric") from None
        if values.ndim != 1:
            raise ValueError(f"source: scores must be 1-D, got shape {values.shape} from {where}")
        if search_space is not None or hyperparameters is not None:
            arg = "search_space" if search_space is not None else "hyperparameters"
            raise ValueError(f"{arg}: {where} holds scores only, no configurations; load a file "
                             "with one column or field per hyperparameter")
        return _finish(values, None, None, None, rule="score = the given values", **common)

    if kind == "records":
        if not payload:
            raise ValueError(f"source: {where} has no records (empty input)")
        if curve is not None:
            outer, inner = parse_curve_path(curve)
            curves = [extract_curve(r, i, curve, outer, inner) for i, r in enumerate(payload)]
            values, no_value = reduce_curves(curves, minimize, reduce)
            columns = records_to_columns(flatten_records(payload))
            configs, names, config_rule = _configuration(columns, None, hyperparameters)
            how = ("min" if minimize else "max") if reduce == "best" else "last finite value"
            rule = f"score = {how} of {curve} over the learning curve"
            scores = _finish(values, no_value, configs, curves, rule=rule, **common)
            scores = dataclasses.replace(scores, hyperparameters=names, config_rule=config_rule)
            return attach_search_space(scores, search_space)
        records, read_from = flatten_records(payload), where
        if isinstance(payload, Records):
            records = Records(records, payload.path, payload.lines)
        payload = records_to_columns(records)
        where = f"the records of {where}"

    column = pick_score_column(payload, score, where)
    if kind == "records":
        _check_field_present(records, column, read_from)
    values = numeric_column(column, payload[column])
    if values.ndim != 1:
        raise ValueError(f"score: column {column!r} must be 1-D, got shape {values.shape}")
    configs, names, config_rule = _configuration(payload, column, hyperparameters)
    scores = _finish(values, None, configs, None, rule=f"score = column {column!r} of {where}",
                     **common)
    if scores.configs is not None:
        scores = dataclasses.replace(scores, hyperparameters=names, config_rule=config_rule)
    return attach_search_space(scores, search_space)


def _is_study(source) -> bool:
    """An ``optuna.Study``, or a storage URL such as ``sqlite:///study.db``."""
    if isinstance(source, str) and "://" in source:
        return True
    return type(source).__module__.startswith("optuna") and hasattr(source, "get_trials")
