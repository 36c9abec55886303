"""Loading random-search scores: :func:`load_scores`, and the worst-score rule for failed runs.

A run with no finite value (an empty learning curve, a diverged run) is *failed* and gets
the metric's **worst score** (accuracy 0, error 1, loss :math:`+\\infty`), so that it lands
in the bottom of the distribution rather than disappearing (Lourie, He & Cho, COLM 2025).
"""

from __future__ import annotations

import math
import os

import numpy as np

from bayesnq.data.columns import (check_lengths, columns_to_records, configs_from,
                                  numeric_column, pick_score_column, records_to_columns)
from bayesnq.data.learning_curves import (REDUCE_MODES, extract_curve, parse_curve_path,
                                          reduce_curves)
from bayesnq.data.readers import read_source
from bayesnq.data.scores import Scores, _fmt, _list_indices, _metric_bounds, _runs
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
        return source
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
        return _finish(values, None, None, None, rule="score = the given values", **common)

    if kind == "records":
        if not payload:
            raise ValueError(f"source: {where} has no records (empty input)")
        if curve is not None:
            outer, inner = parse_curve_path(curve)
            curves = [extract_curve(r, i, curve, outer, inner) for i, r in enumerate(payload)]
            values, no_value = reduce_curves(curves, minimize, reduce)
            columns = records_to_columns(payload)
            configs = configs_from(columns, exclude=None)
            how = ("min" if minimize else "max") if reduce == "best" else "last finite value"
            rule = f"score = {how} of {curve} over the learning curve"
            return _finish(values, no_value, configs, curves, rule=rule, **common)
        records, read_from = payload, where
        payload = records_to_columns(payload)
        where = f"the records of {where}"

    column = pick_score_column(payload, score, where)
    if kind == "records":
        _check_field_present(records, column, read_from)
    values = numeric_column(column, payload[column])
    if values.ndim != 1:
        raise ValueError(f"score: column {column!r} must be 1-D, got shape {values.shape}")
    configs = configs_from(payload, exclude=column)
    return _finish(values, None, configs, None, rule=f"score = column {column!r} of {where}", **common)
