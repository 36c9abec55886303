"""Loading random-search scores.

A random search evaluates ``n`` hyperparameter configurations drawn
independently from a search space and records one score per run. This module
turns result files, columns or arrays into a :class:`Scores` object holding
those scores in search order, the direction of optimisation, which runs failed,
and a sentence saying how the scores were extracted.

Score extraction follows the rules of Lourie, He & Cho (COLM 2025):

* when a run has a learning curve, its score is the **best value over the
  curve** (early stopping): :math:`y_i = \\max_t v_{i,t}` when maximising,
  :math:`y_i = \\min_t v_{i,t}` when minimising, over the finite values;
* a run with no finite value (an empty curve, a diverged run) is *failed* and
  gets the metric's **worst score** (accuracy 0, error 1, loss :math:`+\\infty`),
  so it lands in the bottom of the distribution rather than disappearing.
"""

from __future__ import annotations

import csv
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Scores", "load_scores", "check_tail"]

_MAX_LISTED = 10
# Keys that, found in every point of a list-of-dicts curve, give the budget.
_BUDGET_KEYS = ("step", "steps", "global_step", "epoch", "epochs", "budget", "iteration")
_NONFINITE_MODES = ("raise", "drop", "worst")
_REDUCE_MODES = ("best", "last")
_FILE_TYPES = (".csv", ".jsonl", ".ndjson", ".json", ".npy", ".txt")


def _fmt(x: float) -> str:
    """Short, exact-enough rendering of a score for messages."""
    return f"{x:.6g}"


def _runs(k: int) -> str:
    return f"{k} run" if k == 1 else f"{k} runs"


def _list_indices(idx: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in idx[:_MAX_LISTED])
    return shown + (f", ... ({len(idx) - _MAX_LISTED} more)" if len(idx) > _MAX_LISTED else "")


def _frozen_array(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Scores:
    """Scores of a random search, one per run, in search order.

    Parameters
    ----------
    values : np.ndarray
        1-D float64 array of scores :math:`y_1, \\dots, y_n`. Failed runs hold
        the worst score. NaN is not allowed; :math:`\\pm\\infty` is allowed
        (e.g. a worst score of :math:`+\\infty` for a loss).
    minimize : bool
        True when lower scores are better (error, loss), False when higher
        scores are better (accuracy).
    name : str, optional
        Label for plots and reports.
    failed : np.ndarray of bool, optional
        Runs with no finite score that were given the worst score. Defaults
        to no failures.
    configs : dict of str to np.ndarray, optional
        Hyperparameter (and other per-run field) name to an array with one
        entry per run.
    search_space : dict, optional
        Hyperparameter name to its sampling distribution, a dict such as
        ``{"kind": "log-uniform", "low": 1e-6, "high": 1e-3}``, with kind one of
        ``"uniform"``, ``"log-uniform"``, ``"integer"`` (uniform on
        ``low, ..., high``) or ``"choice"`` (uniform on ``"choices"``).
    learning_curves : list of np.ndarray, optional
        Per run, an array of shape ``(m_i, 2)`` whose rows are
        ``[budget, metric value]`` (budget: step or epoch). ``m_i`` may be 0.
    rule : str, optional
        A sentence saying how the scores were extracted.
    bounds : tuple of (float or None, float or None), optional
        Known range ``(low, high)`` of the metric, e.g. ``(0, 1)`` for
        accuracy; None where unbounded. Every score must lie inside.
    n_hyperparameters : int, optional
        Number of hyperparameters searched over; an upper bound on the
        effective dimension :math:`\\gamma` of the noisy quadratic model.

    Notes
    -----
    Arrays are copied and made read-only. ``len(scores)`` is ``n`` and
    ``np.asarray(scores)`` is ``scores.values``.
    """

    values: np.ndarray
    minimize: bool
    name: str = ""
    failed: np.ndarray | None = None
    configs: dict[str, np.ndarray] | None = None
    search_space: dict | None = None
    learning_curves: list[np.ndarray] | None = None
    rule: str = ""
    bounds: tuple[float | None, float | None] = (None, None)
    n_hyperparameters: int | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        try:
            values = np.array(self.values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"values: not numeric ({exc})") from None
        if values.ndim != 1:
            raise ValueError(f"values: must be 1-D, got shape {values.shape}")
        n = values.size
        if n == 0:
            raise ValueError("values: empty (no scores)")
        nan = np.flatnonzero(np.isnan(values))
        if nan.size:
            raise ValueError(
                f"values: {nan.size} of {n} scores are NaN (indices {_list_indices(nan)}); "
                "use load_scores(..., nonfinite='drop' or 'worst')"
            )
        put(self, "values", _frozen_array(values))

        if not isinstance(self.minimize, bool | np.bool_):
            raise ValueError(f"minimize: expected True or False, got {self.minimize!r}")
        put(self, "minimize", bool(self.minimize))
        put(self, "name", str(self.name))
        put(self, "rule", str(self.rule))

        if self.failed is None:
            failed = np.zeros(n, dtype=bool)
        else:
            failed = np.asarray(self.failed)
            if failed.dtype != bool or failed.shape != (n,):
                raise ValueError(
                    f"failed: expected a boolean mask of shape ({n},), "
                    f"got dtype {failed.dtype} and shape {failed.shape}"
                )
        put(self, "failed", _frozen_array(failed))

        if self.configs is not None:
            configs = {}
            for key, col in dict(self.configs).items():
                col = np.asarray(col)
                if col.ndim != 1 or col.shape[0] != n:
                    raise ValueError(
                        f"configs: column {key!r} has shape {col.shape}, expected ({n},)"
                    )
                configs[str(key)] = _frozen_array(col)
            put(self, "configs", configs)

        if self.search_space is not None:
            if not isinstance(self.search_space, Mapping):
                raise ValueError(f"search_space: expected a dict, got {type(self.search_space).__name__}")
            put(self, "search_space", {k: dict(v) for k, v in self.search_space.items()})

        if self.learning_curves is not None:
            curves = list(self.learning_curves)
            if len(curves) != n:
                raise ValueError(f"learning_curves: {len(curves)} curves for {n} scores")
            fixed = []
            for i, c in enumerate(curves):
                c = np.array(c, dtype=np.float64).reshape(-1, 2) if np.size(c) == 0 else np.asarray(c, dtype=np.float64)
                if c.ndim != 2 or c.shape[1] != 2:
                    raise ValueError(
                        f"learning_curves: curve {i} has shape {c.shape}, expected (m, 2) "
                        "rows of [budget, value]"
                    )
                fixed.append(_frozen_array(c))
            put(self, "learning_curves", fixed)

        bounds = tuple(self.bounds)
        if len(bounds) != 2:
            raise ValueError(f"bounds: expected (low, high), got {self.bounds!r}")
        bounds = tuple(None if b is None else float(b) for b in bounds)
        low, high = bounds
        if low is not None and high is not None and not low < high:
            raise ValueError(f"bounds: low {low} must be below high {high}")
        outside = np.zeros(n, dtype=bool)
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
        if outside.any():
            idx = np.flatnonzero(outside)
            raise ValueError(
                f"bounds: {idx.size} scores lie outside {bounds} "
                f"(e.g. {_fmt(values[idx[0]])} at index {idx[0]})"
            )
        put(self, "bounds", bounds)

        if self.n_hyperparameters is not None:
            k = self.n_hyperparameters
            if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
                raise ValueError(f"n_hyperparameters: expected a positive integer, got {k!r}")
            put(self, "n_hyperparameters", int(k))

    def __len__(self) -> int:
        return self.values.size

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if dtype is None and not copy:
            return self.values
        return np.array(self.values, dtype=dtype, copy=True)

    @property
    def n_failed(self) -> int:
        """Number of failed runs (given the worst score)."""
        return int(self.failed.sum())

    @property
    def best(self) -> float:
        """Best score: the minimum when minimising, else the maximum."""
        return float(self.values.min() if self.minimize else self.values.max())

    def take(self, indices) -> Scores:
        """Scores of a subset of runs (e.g. ``range(48)``: the first 48), in the given order.

        Configurations and learning curves are subset alike; the rule is kept
        and states the subset size.
        """
        idx = np.asarray(indices)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.intp, copy=False)
        return Scores(
            values=self.values[idx],
            minimize=self.minimize,
            name=self.name,
            failed=self.failed[idx],
            configs=None if self.configs is None else {k: v[idx] for k, v in self.configs.items()},
            search_space=self.search_space,
            learning_curves=None if self.learning_curves is None else [self.learning_curves[i] for i in idx],
            rule=f"{self.rule} [subset: {idx.size} of {len(self)} runs]" if self.rule else "",
            bounds=self.bounds,
            n_hyperparameters=self.n_hyperparameters,
        )

    def __repr__(self) -> str:
        v = self.values
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"Scores({label}n={v.size}, {'minimize' if self.minimize else 'maximize'}, "
            f"min={_fmt(v.min())}, median={_fmt(float(np.median(v)))}, max={_fmt(v.max())}, "
            f"failed={self.n_failed})"
        )

    def summary(self) -> str:
        """Several lines describing the scores and where they came from."""
        v = self.values
        lines = [
            f"{self.name or 'scores'}: {v.size} runs, "
            f"{'minimizing (lower is better)' if self.minimize else 'maximizing (higher is better)'}",
            f"  min / median / max = {_fmt(v.min())} / {_fmt(float(np.median(v)))} / {_fmt(v.max())}",
            f"  failed runs (given the worst score): {self.n_failed}",
        ]
        if self.bounds != (None, None):
            lines.append(f"  metric bounds: {self.bounds}")
        if self.n_hyperparameters is not None:
            lines.append(f"  hyperparameters searched: {self.n_hyperparameters}")
        if self.configs:
            lines.append(f"  per-run fields: {', '.join(self.configs)}")
        if self.learning_curves is not None:
            m = [len(c) for c in self.learning_curves]
            lines.append(f"  learning curves: {min(m)}-{max(m)} points per run")
        if self.rule:
            lines.append(f"  rule: {self.rule}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Reading sources into one of three raw shapes: values, columns or records.


def _parse_cell(text: str) -> Any:
    s = text.strip()
    if s == "" or s.lower() in ("na", "n/a", "null", "none"):
        return None
    if s.lower() in ("true", "false"):
        return s.lower() == "true"
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def _read_csv(path: Path) -> tuple[str, Any]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"source: {path} is empty (no scores)")
    first = [_parse_cell(c) for c in rows[0]]
    if all(isinstance(c, int | float) and not isinstance(c, bool) for c in first):
        if len(rows[0]) != 1:
            raise ValueError(
                f"source: {path} has no header row; name the columns in a first row "
                "so that `score` can select one"
            )
        return "values", [_parse_cell(r[0]) for r in rows]
    header = [h.strip() for h in rows[0]]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ValueError(f"source: {path} has duplicate column names {dupes}")
    if len(rows) == 1:
        raise ValueError(f"source: {path} has a header but no rows (empty input)")
    columns: dict[str, list] = {h: [] for h in header}
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(
                f"source: {path} line {lineno} has {len(row)} fields, the header has {len(header)}"
            )
        for h, c in zip(header, row):
            columns[h].append(_parse_cell(c))
    return "columns", columns


def _read_txt(path: Path) -> tuple[str, Any]:
    values = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            s = line.split("#", 1)[0].strip()
            if not s:
                continue
            try:
                values.append(float(s))
            except ValueError:
                raise ValueError(
                    f"source: {path} line {lineno} is not a number: {s!r} (expected one score per line)"
                ) from None
    return "values", values


def _classify_json_list(items: list, where: str) -> tuple[str, Any]:
    if all(isinstance(x, Mapping) for x in items):
        return "records", items
    if all(x is None or (isinstance(x, numbers.Real) and not isinstance(x, bool)) for x in items):
        return "values", items
    raise ValueError(f"source: {where} must hold either JSON objects (one per run) or numbers, not a mix")


def _read_json(path: Path) -> tuple[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        else:
            if isinstance(doc, list):
                return _classify_json_list(doc, str(path))
            if isinstance(doc, Mapping):
                return "columns", doc
            raise ValueError(f"source: {path} holds a single {type(doc).__name__}, not runs")
    items = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"source: {path} line {lineno} is not valid JSON ({exc.msg})") from None
    return _classify_json_list(items, str(path))


def _read_npy(path: Path) -> tuple[str, Any]:
    arr = np.load(path, allow_pickle=False)
    if arr.dtype.names:
        return "columns", {k: arr[k] for k in arr.dtype.names}
    return "values", arr


def _as_column(col):
    """Array-likes (e.g. a pandas Series) become ndarrays; lists stay lists."""
    if isinstance(col, np.ndarray | list | tuple | str) or not hasattr(col, "__array__"):
        return col
    return np.asarray(col)


def _read_source(source) -> tuple[str, Any, str]:
    """Return (kind, payload, description) with kind in values/columns/records."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix not in _FILE_TYPES:
            raise ValueError(
                f"source: unsupported file type {suffix or '(none)'!r} for {str(path)!r}; "
                f"use one of {', '.join(_FILE_TYPES)}, or pass an array or a dict of columns"
            )
        if not path.is_file():
            raise FileNotFoundError(f"source: no such file: {str(path)!r}")
        reader = {".csv": _read_csv, ".txt": _read_txt, ".npy": _read_npy}.get(suffix, _read_json)
        kind, payload = reader(path)
        return kind, payload, path.name
    if isinstance(source, np.ndarray):
        if source.dtype.names:
            return "columns", {k: source[k] for k in source.dtype.names}, "the given array"
        return "values", source, "the given array"
    if hasattr(source, "__array__") and getattr(source, "ndim", None) == 1:
        return "values", np.asarray(source), "the given values"
    if hasattr(source, "keys") and not isinstance(source, Sequence):
        return "columns", {k: _as_column(source[k]) for k in source.keys()}, "the given columns"
    if isinstance(source, Iterable) and not isinstance(source, bytes):
        items = list(source)
        if items and all(isinstance(x, Mapping) for x in items):
            return "records", items, "the given records"
        return "values", items, "the given values"
    try:
        return "values", np.asarray(source), "the given values"
    except Exception:
        raise ValueError(
            f"source: expected a file path, an array, a sequence or a dict of columns, "
            f"got {type(source).__name__}"
        ) from None


# ---------------------------------------------------------------------------
# Columns.


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_)


def _column_array(col) -> np.ndarray:
    """Per-run column as an array: int64, float64 (None -> NaN), bool, str or object."""
    arr = np.asarray(col) if isinstance(col, np.ndarray) else None
    if arr is not None and arr.dtype.kind in "biufU":
        return arr.astype(np.float64) if arr.dtype.kind == "f" else arr
    items = list(col if arr is None else arr.tolist())
    present = [x for x in items if x is not None and not (isinstance(x, float) and math.isnan(x))]
    if present and all(isinstance(x, bool | np.bool_) for x in present):
        if len(present) == len(items):
            return np.array(items, dtype=bool)
        return np.array(items, dtype=object)
    if all(_is_number(x) for x in present):
        if len(present) == len(items) and all(isinstance(x, numbers.Integral) for x in items):
            return np.array(items, dtype=np.int64)
        return np.array([np.nan if x is None else float(x) for x in items], dtype=np.float64)
    if all(isinstance(x, str) for x in items):
        return np.array(items, dtype=str)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _is_scalar_column(col) -> bool:
    if isinstance(col, np.ndarray) and col.dtype.kind != "O":
        return col.ndim == 1
    return all(x is None or isinstance(x, str | numbers.Number | np.bool_) for x in col)


def _numeric_column(name: str, col) -> np.ndarray:
    """Score column as float64; ValueError naming the column when not numeric."""
    arr = col if isinstance(col, np.ndarray) else None
    if arr is not None and arr.dtype.kind in "iuf":
        return arr.astype(np.float64)
    items = list(col if arr is None else arr.tolist())
    for i, x in enumerate(items):
        if x is None or _is_number(x):
            continue
        raise ValueError(
            f"score: column {name!r} is not numeric (row {i} holds {x!r} of type {type(x).__name__})"
        )
    return np.array([np.nan if x is None else float(x) for x in items], dtype=np.float64)


def _numeric_names(columns: dict) -> list[str]:
    names = []
    for k, col in columns.items():
        if not _is_scalar_column(col):
            continue
        if isinstance(col, np.ndarray):
            if col.dtype.kind in "iuf":
                names.append(k)
            continue
        present = [x for x in col if x is not None]
        if present and all(_is_number(x) for x in present):
            names.append(k)
    return names


def _check_lengths(columns: dict, where: str) -> int:
    for k, v in columns.items():
        if isinstance(v, str | bytes) or not hasattr(v, "__len__") or getattr(v, "ndim", 1) == 0:
            raise ValueError(f"source: {k!r} of {where} is a single {type(v).__name__}, not a column")
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"source: columns of {where} differ in length: {lengths}")
    return next(iter(lengths.values()), 0)


def _configs_from(columns: dict, exclude: str | None) -> dict[str, np.ndarray]:
    return {
        str(k): _column_array(col)
        for k, col in columns.items()
        if k != exclude and _is_scalar_column(col)
    }


def _pick_score_column(columns: dict, score: str | None, where: str) -> str:
    available = ", ".join(map(repr, columns))
    if score is not None:
        if score not in columns:
            raise ValueError(f"score: no column {score!r} in {where}; available columns: {available}")
        return score
    numeric = _numeric_names(columns)
    if len(numeric) == 1:
        return numeric[0]
    if not numeric:
        raise ValueError(f"score: {where} has no numeric column; available columns: {available}")
    raise ValueError(
        f"score: required when the source has more than one numeric column; "
        f"{where} has {len(numeric)}: {', '.join(map(repr, numeric))}"
    )


def _records_to_columns(records: list[Mapping]) -> dict[str, list]:
    keys: dict[str, None] = {}
    for r in records:
        keys.update(dict.fromkeys(r))
    return {k: [r.get(k) for r in records] for k in keys}


def _columns_to_records(columns: dict) -> list[dict]:
    n = _check_lengths(columns, "the given columns")
    cols = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)) for k, v in columns.items()}
    return [{k: cols[k][i] for k in cols} for i in range(n)]


# ---------------------------------------------------------------------------
# Learning curves.


def _parse_curve_path(curve: str) -> tuple[list[str], list[str]]:
    """Split ``"a.b[].c.d"`` into the path to the list (``[a, b]``) and within a point (``[c, d]``)."""
    if not isinstance(curve, str) or not curve.strip():
        raise ValueError(f"curve: expected a path such as 'learning_curve[].top_1', got {curve!r}")
    if curve.count("[]") > 1:
        raise ValueError(f"curve: {curve!r} has more than one '[]'; only one list level is supported")
    head, _, tail = curve.partition("[]")
    outer = [p for p in head.split(".") if p]
    inner = [p for p in tail.split(".") if p]
    if not outer or ("[]" in curve and not inner):
        raise ValueError(
            f"curve: {curve!r} is incomplete; use 'field[].metric' for a list of objects or "
            "'field.subfield' for a list of [budget, value] pairs"
        )
    return outer, inner


def _as_value(x, where: str) -> float:
    if x is None:
        return math.nan
    if _is_number(x):
        return float(x)
    raise ValueError(f"curve: {where} holds {x!r}, not a number")


def _extract_curve(record: Mapping, i: int, curve: str, outer: list[str], inner: list[str]) -> np.ndarray:
    obj: Any = record
    for depth, key in enumerate(outer):
        if not isinstance(obj, Mapping) or key not in obj:
            have = list(obj) if isinstance(obj, Mapping) else type(obj).__name__
            raise ValueError(
                f"curve: record {i} has no field {'.'.join(outer[: depth + 1])!r} "
                f"(for curve={curve!r}); it has {have}"
            )
        obj = obj[key]
    if obj is None:
        return np.empty((0, 2))
    if not isinstance(obj, Sequence) or isinstance(obj, str):
        raise ValueError(f"curve: record {i}: {'.'.join(outer)!r} is a {type(obj).__name__}, not a list")
    points = list(obj)
    if inner:
        values = []
        for j, p in enumerate(points):
            x = p
            for key in inner:
                if not isinstance(x, Mapping) or key not in x:
                    raise ValueError(
                        f"curve: record {i}, point {j} has no field {key!r} (for curve={curve!r})"
                    )
                x = x[key]
            values.append(_as_value(x, f"record {i}, point {j}"))
        budget_key = next(
            (k for k in _BUDGET_KEYS
             if points and all(isinstance(p, Mapping) and _is_number(p.get(k)) for p in points)),
            None,
        )
        budgets = [float(p[budget_key]) for p in points] if budget_key else list(range(len(points)))
        return np.column_stack([np.asarray(budgets, float), np.asarray(values, float)]).reshape(-1, 2)
    if all(x is None or _is_number(x) for x in points):
        values = [_as_value(x, f"record {i}") for x in points]
        return np.column_stack([np.arange(len(values), dtype=float), values]).reshape(-1, 2)
    pairs = []
    for j, p in enumerate(points):
        if not (isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2):
            raise ValueError(
                f"curve: record {i}, point {j} of {'.'.join(outer)!r} is {p!r}; expected numbers "
                "or [budget, value] pairs (use 'field[].metric' for a list of objects)"
            )
        pairs.append((_as_value(p[0], f"record {i}, point {j}"), _as_value(p[1], f"record {i}, point {j}")))
    return np.asarray(pairs, dtype=float).reshape(-1, 2)


def _reduce_curves(curves: list[np.ndarray], minimize: bool, reduce: str) -> tuple[np.ndarray, np.ndarray]:
    """Score per curve, and the mask of curves with no finite value (score NaN there).

    ``reduce="best"``: :math:`y_i = \\max_t v_{i,t}` (``\\min`` when minimizing)
    over finite :math:`v_{i,t}`; ``reduce="last"``: the last finite value.
    """
    values = np.full(len(curves), np.nan)
    for i, c in enumerate(curves):
        v = c[:, 1]
        v = v[np.isfinite(v)]
        if v.size:
            if reduce == "last":
                values[i] = v[-1]
            else:
                values[i] = v.min() if minimize else v.max()
    return values, np.isnan(values)


# ---------------------------------------------------------------------------
# Worst scores and non-finite values.


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
        raise ValueError(f"worst: expected a number, got {worst!r}") from None
    if math.isnan(w) or w == (-math.inf if minimize else math.inf):
        raise ValueError(f"worst: {worst!r} cannot be the worst score when {'minimizing' if minimize else 'maximizing'}")
    beyond = finite[finite > w] if minimize else finite[finite < w]
    if beyond.size:
        raise ValueError(
            f"worst: {_fmt(w)} is better than {beyond.size} finite scores (e.g. {_fmt(beyond[0])}); "
            f"the worst score must be {'at or above' if minimize else 'at or below'} every score "
            f"when {'minimizing' if minimize else 'maximizing'}"
        )
    return w, f"the worst score {_fmt(w)}"


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


# ---------------------------------------------------------------------------


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
        For an empty source, a missing or non-numeric score column, a missing
        curve field, a source that is not 1-D, non-finite scores under
        ``nonfinite="raise"``, or invalid options. Each message names the
        argument at fault.
    FileNotFoundError
        When ``source`` is a path to no file.

    Examples
    --------
    >>> load_scores([0.81, 0.85, 0.79]).values
    array([0.81, 0.85, 0.79])
    """
    if isinstance(source, Scores):
        return source
    if not isinstance(minimize, bool | np.bool_):
        raise ValueError(f"minimize: expected True or False, got {minimize!r}")
    minimize = bool(minimize)
    if reduce not in _REDUCE_MODES:
        raise ValueError(f"reduce: expected one of {_REDUCE_MODES}, got {reduce!r}")
    if nonfinite not in _NONFINITE_MODES:
        raise ValueError(f"nonfinite: expected one of {_NONFINITE_MODES}, got {nonfinite!r}")
    if score is not None and curve is not None:
        raise ValueError(
            f"score: give either score= (a flat field) or curve= (a learning curve), not both "
            f"(got score={score!r}, curve={curve!r})"
        )
    if score is not None and not isinstance(score, str):
        raise ValueError(f"score: expected a column name (str), got {score!r}")
    try:
        bounds = tuple(bounds)
        assert len(bounds) == 2
    except (TypeError, AssertionError):
        raise ValueError(f"bounds: expected (low, high), got {bounds!r}") from None

    kind, payload, where = _read_source(source)
    label = name if name is not None else (where if isinstance(source, str | os.PathLike) else "")
    common = dict(minimize=minimize, worst=worst, nonfinite=nonfinite, bounds=bounds, name=label)

    if kind == "columns":
        if not payload:
            raise ValueError(f"source: {where} has no columns (empty input)")
        _check_lengths(payload, where)
        if curve is not None:
            kind, payload = "records", _columns_to_records(payload)

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
            outer, inner = _parse_curve_path(curve)
            curves = [_extract_curve(r, i, curve, outer, inner) for i, r in enumerate(payload)]
            values, no_value = _reduce_curves(curves, minimize, reduce)
            columns = _records_to_columns(payload)
            configs = _configs_from(columns, exclude=None)
            how = ("min" if minimize else "max") if reduce == "best" else "last finite value"
            rule = f"score = {how} of {curve} over the learning curve"
            return _finish(values, no_value, configs, curves, rule=rule, **common)
        payload = _records_to_columns(payload)
        where = f"the records of {where}"

    column = _pick_score_column(payload, score, where)
    values = _numeric_column(column, payload[column])
    if values.ndim != 1:
        raise ValueError(f"score: column {column!r} must be 1-D, got shape {values.shape}")
    configs = _configs_from(payload, exclude=column)
    return _finish(values, None, configs, None, rule=f"score = column {column!r} of {where}", **common)


def check_tail(values, threshold: float, minimize: bool | None = None, min_tail: int = 5) -> int:
    """Check that enough scores lie beyond a threshold to fit the tail.

    The tail is the set of scores strictly better than the threshold:
    :math:`\\{i : y_i > \\theta\\}` when maximizing, :math:`\\{i : y_i < \\theta\\}`
    when minimizing.

    Parameters
    ----------
    values : array_like or Scores
        The scores.
    threshold : float
        The threshold :math:`\\theta`.
    minimize : bool, optional
        Direction. May be omitted when ``values`` is a :class:`Scores`.
    min_tail : int, default 5
        Least acceptable number of scores in the tail.

    Returns
    -------
    int
        The number of scores in the tail.

    Raises
    ------
    ValueError
        When all scores are equal, when the threshold lies outside
        ``[min, max]`` of the scores, or when fewer than ``min_tail`` scores
        lie in the tail; the message then suggests a threshold that leaves
        about 20% of the runs (and at least ``min_tail``) in the tail.
    """
    if isinstance(values, Scores):
        if minimize is not None and bool(minimize) != values.minimize:
            raise ValueError(f"minimize: {minimize!r} contradicts the Scores' minimize={values.minimize}")
        minimize = values.minimize
    if minimize is None:
        raise ValueError("minimize: required (True or False) unless values is a Scores")
    if not isinstance(minimize, bool | np.bool_):
        raise ValueError(f"minimize: expected True or False, got {minimize!r}")
    if isinstance(min_tail, bool) or not isinstance(min_tail, numbers.Integral) or min_tail < 1:
        raise ValueError(f"min_tail: expected a positive integer, got {min_tail!r}")
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"values: expected a non-empty 1-D array, got shape {y.shape}")
    if np.isnan(y).any():
        raise ValueError(f"values: {int(np.isnan(y).sum())} scores are NaN")
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold: expected a number, got {threshold!r}") from None
    lo, hi = float(y.min()), float(y.max())
    if lo == hi:
        raise ValueError(f"values: all {y.size} scores equal {_fmt(lo)}; there is no tail to fit")
    if not lo <= t <= hi:
        raise ValueError(
            f"threshold: {_fmt(t)} lies outside the data range [{_fmt(lo)}, {_fmt(hi)}]"
        )
    count = int((y < t).sum() if minimize else (y > t).sum())
    if count >= min_tail:
        return count
    side = "below" if minimize else "above"
    suggestion = _suggest_threshold(y, minimize, max(min_tail, math.ceil(0.2 * y.size)), min_tail)
    hint = (
        f"; a threshold of {_fmt(suggestion[0])} leaves {suggestion[1]} of {y.size} runs "
        f"({100 * suggestion[1] / y.size:.0f}%) in the tail"
        if suggestion else f"; no threshold leaves {min_tail} distinct scores {side} it"
    )
    raise ValueError(
        f"threshold: only {count} of {y.size} scores lie strictly {side} {_fmt(t)} "
        f"(min_tail={min_tail}){hint}"
    )


def _suggest_threshold(y: np.ndarray, minimize: bool, target: int, min_tail: int) -> tuple[float, int] | None:
    """Least extreme data value leaving at least ``target`` (else ``min_tail``) runs beyond it."""
    s = -y if minimize else y
    u = np.unique(s)
    beyond = s.size - np.searchsorted(np.sort(s), u, side="right")
    for need in (target, min_tail):
        ok = np.flatnonzero(beyond >= need)
        if ok.size:
            j = ok[-1]
            return float(-u[j] if minimize else u[j]), int(beyond[j])
    return None
