r"""Learning curves: finding each run's curve in a record, and reducing a curve to a score.

A run's learning curve is an array of shape ``(m, 2)`` whose rows are ``[budget, value]``
(``m`` may be 0). Its score follows Lourie, He & Cho (COLM 2025): the **best value over the
curve** (early stopping), :math:`y_i = \max_t v_{i,t}` when maximizing and
:math:`\min_t v_{i,t}` when minimizing, over the finite values; or the last finite value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bayesnq.data.columns import is_number
from bayesnq.validation import check_bool, check_choice

__all__ = ["REDUCE_MODES", "parse_curve_path", "extract_curve", "reduce_curves"]

# Keys that, found in every point of a list-of-dicts curve, give the budget.
_BUDGET_KEYS = ("step", "steps", "global_step", "epoch", "epochs", "budget", "iteration")
REDUCE_MODES = ("best", "last")


def parse_curve_path(curve: str) -> tuple[list[str], list[str]]:
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
    if is_number(x):
        return float(x)
    raise ValueError(f"curve: {where} holds {x!r}, not a number")


def extract_curve(record: Mapping, i: int, curve: str, outer: list[str], inner: list[str]) -> np.ndarray:
    """Record ``i``'s learning curve, shape ``(m, 2)``, at the path ``curve`` (parsed: outer, inner)."""
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
             if points and all(isinstance(p, Mapping) and is_number(p.get(k)) for p in points)),
            None,
        )
        budgets = [float(p[budget_key]) for p in points] if budget_key else list(range(len(points)))
        return np.column_stack([np.asarray(budgets, float), np.asarray(values, float)]).reshape(-1, 2)
    if all(x is None or is_number(x) for x in points):
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


def reduce_curves(curves, minimize: bool, reduce: str = "best") -> tuple[np.ndarray, np.ndarray]:
    """Score per learning curve, and the mask of curves with no finite value (score NaN there).

    Parameters
    ----------
    curves : sequence of array_like, each of shape (m_i, 2)
        Rows ``[budget, value]``; ``m_i`` may be 0.
    minimize : bool
        True when lower values are better.
    reduce : {"best", "last"}, default "best"
        ``"best"``: :math:`y_i = \\max_t v_{i,t}` (``\\min`` when minimizing) over the
        finite :math:`v_{i,t}`, i.e. early stopping; ``"last"``: the last finite value.

    Returns
    -------
    values : np.ndarray, shape (len(curves),)
        The scores, NaN for a curve with no finite value.
    no_value : np.ndarray of bool
        Where a curve has no finite value (a failed run: it is given the worst score).
    """
    minimize = check_bool("minimize", minimize)
    check_choice("reduce", reduce, REDUCE_MODES)
    values = np.full(len(curves), np.nan)
    for i, c in enumerate(curves):
        c = np.asarray(c, dtype=np.float64)
        if c.size == 0:
            continue
        v = c[:, 1]
        v = v[np.isfinite(v)]
        if v.size:
            if reduce == "last":
                values[i] = v[-1]
            else:
                values[i] = v.min() if minimize else v.max()
    return values, np.isnan(values)
