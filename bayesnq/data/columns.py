"""Per-run columns: typing them, picking the score column, columns from and to records."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

__all__ = ["is_number", "check_lengths", "configs_from", "pick_score_column", "numeric_column",
           "records_to_columns", "columns_to_records"]


def is_number(x) -> bool:
    """A real number that is not a boolean."""
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
    if all(is_number(x) for x in present):
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


def numeric_column(name: str, col) -> np.ndarray:
    """Score column as float64; ValueError naming the column when not numeric."""
    arr = col if isinstance(col, np.ndarray) else None
    if arr is not None and arr.dtype.kind in "iuf":
        return arr.astype(np.float64)
    items = list(col if arr is None else arr.tolist())
    for i, x in enumerate(items):
        if x is None or is_number(x):
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
        if present and all(is_number(x) for x in present):
            names.append(k)
    return names


def check_lengths(columns: dict, where: str) -> int:
    """The common length of the columns; ValueError for a scalar or a length that differs."""
    for k, v in columns.items():
        if isinstance(v, str | bytes) or not hasattr(v, "__len__") or getattr(v, "ndim", 1) == 0:
            raise ValueError(f"source: {k!r} of {where} is a single {type(v).__name__}, not a column")
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"source: columns of {where} differ in length: {lengths}")
    return next(iter(lengths.values()), 0)


def configs_from(columns: dict, exclude: str | None) -> dict[str, np.ndarray]:
    """Every scalar column but ``exclude``, typed (the per-run ``configs`` of a Scores)."""
    return {
        str(k): _column_array(col)
        for k, col in columns.items()
        if k != exclude and _is_scalar_column(col)
    }


def pick_score_column(columns: dict, score: str | None, where: str) -> str:
    """The column named ``score``, else the only numeric column."""
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


def records_to_columns(records: list[Mapping]) -> dict[str, list]:
    """Records (one dict per run) as columns; a field a record lacks is None there."""
    keys: dict[str, None] = {}
    for r in records:
        keys.update(dict.fromkeys(r))
    return {k: [r.get(k) for r in records] for k in keys}


def columns_to_records(columns: dict) -> list[dict]:
    """Equal-length columns as records (one dict per run)."""
    n = check_lengths(columns, "the given columns")
    cols = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)) for k, v in columns.items()}
    return [{k: cols[k][i] for k in cols} for i in range(n)]
