"""Reading a source of scores into one of three raw shapes: values, columns or records.

A source is a file (CSV, JSON, JSON Lines, NPY, text), an array, a sequence of numbers or
of dicts, or a mapping of columns (a dict, a pandas DataFrame). :func:`read_source`
returns ``(kind, payload, where)``: ``kind`` is ``"values"`` (the scores themselves),
``"columns"`` (name to per-run column) or ``"records"`` (one dict per run), and ``where``
names the source in messages.
"""

from __future__ import annotations

import csv
import io
import json
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FILE_TYPES", "Records", "read_source"]

FILE_TYPES = (".csv", ".jsonl", ".ndjson", ".json", ".npy", ".txt")


class Records(list):
    """Records read from a file: a list of dicts that remembers the file and, for JSON
    Lines, the line of each record (``lines``; None for a ``.json`` list), so that a
    message can point at the record at fault."""

    def __init__(self, items, path: Path, lines: list[int] | None = None):
        super().__init__(items)
        self.path = path
        self.lines = lines


def _read_text(path: Path, what: str) -> str:
    """The file's text, decoded as UTF-8 with a leading byte-order mark removed.

    A file that is not UTF-8 text (binary data, another encoding, NUL bytes) is a
    ValueError naming the file, the byte offset and what the file should be.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"source: {path} is not a text {what} file: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start} is not UTF-8 ({exc.reason}); save it as UTF-8 text"
        ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ValueError(
            f"source: {path} is not a text {what} file: it holds a NUL byte at offset {nul} "
            "(binary data); save it as UTF-8 text"
        )
    return text


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
    reader = csv.reader(io.StringIO(_read_text(path, "CSV"), newline=""))
    rows, line_of = [], []
    for r in reader:
        if any(c.strip() for c in r):
            rows.append(r)
            line_of.append(reader.line_num)
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
    for lineno, row in zip(line_of[1:], rows[1:]):
        if len(row) != len(header):
            raise ValueError(
                f"source: {path} line {lineno} has {len(row)} fields, the header has {len(header)}"
            )
        for h, c in zip(header, row):
            columns[h].append(_parse_cell(c))
    return "columns", columns


def _read_txt(path: Path) -> tuple[str, Any]:
    values = []
    for lineno, line in enumerate(_read_text(path, ".txt").splitlines(), start=1):
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


def _classify_json_list(items: list, path: Path, lines: list[int] | None = None) -> tuple[str, Any]:
    where = str(path)
    if all(isinstance(x, Mapping) for x in items):
        return "records", Records(items, path, lines)
    if all(x is None or (isinstance(x, numbers.Real) and not isinstance(x, bool)) for x in items):
        return "values", items
    raise ValueError(f"source: {where} must hold either JSON objects (one per run) or numbers, not a mix")


def _read_json(path: Path) -> tuple[str, Any]:
    json_file = path.suffix.lower() == ".json"
    text = _read_text(path, "JSON" if json_file else "JSON Lines")
    if json_file:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        else:
            if isinstance(doc, list):
                return _classify_json_list(doc, path)
            if isinstance(doc, Mapping):
                return "columns", doc
            raise ValueError(f"source: {path} holds a single {type(doc).__name__}, not runs")
    items, lines = [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"source: {path} line {lineno} is not valid JSON ({exc.msg})") from None
        lines.append(lineno)
    return _classify_json_list(items, path, lines)


def _read_npy(path: Path) -> tuple[str, Any]:
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"source: {path} is not a NumPy .npy file of numbers (numpy.load: {exc})") from None
    if arr.dtype.names:
        return "columns", {k: arr[k] for k in arr.dtype.names}
    return "values", arr


def _as_column(col):
    """Array-likes (e.g. a pandas Series) become ndarrays; lists stay lists."""
    if isinstance(col, np.ndarray | list | tuple | str) or not hasattr(col, "__array__"):
        return col
    return np.asarray(col)


def read_source(source) -> tuple[str, Any, str]:
    """Return (kind, payload, description) with kind in values/columns/records."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix not in FILE_TYPES:
            raise ValueError(
                f"source: unsupported file type {suffix or '(none)'!r} for {str(path)!r}; "
                f"use one of {', '.join(FILE_TYPES)}, or pass an array or a dict of columns"
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
