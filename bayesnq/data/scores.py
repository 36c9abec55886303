"""The :class:`Scores` of a random search, and :func:`as_scores`, the one way in.

Every entry point that takes "scores" (a :class:`Scores`, or an array, list or pandas
Series of numbers with a direction and bounds given beside it) turns them into a
validated :class:`Scores` with :func:`as_scores`, so the checks live here once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bayesnq.data.columns import configs_from, numeric_column
from bayesnq.validation import check_bool, check_bounds, check_int, fail

__all__ = ["Scores", "as_scores"]

_MAX_LISTED = 10


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


def _metric_bounds(value) -> tuple[float | None, float | None]:
    """Known range of a metric as ``(low, high)``, each a float or None.

    Checked by :func:`bayesnq.validation.check_bounds`; an infinite end is kept as
    ``±inf`` (not turned into None), since a loss bounded by ``(0, inf)`` takes ``+inf``
    as the worst score of a failed run.
    """
    check_bounds(value)
    if value is None:
        return (None, None)
    low, high = (None if b is None else float(b) for b in value)
    if low is not None and high is not None and not low < high:
        raise fail("bounds", "a pair (low, high) with low < high", value)
    return (low, high)


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
    hyperparameters : tuple of str, optional
        The keys of ``configs`` that are the configuration (the hyperparameters each
        run was given); the other keys are other per-run fields (ids, times,
        metrics). None when unknown.
    config_rule : str, optional
        A sentence saying which columns were taken as the configuration and why the
        others were not.
    space_rule : str, optional
        A sentence saying where ``search_space`` came from (declared, from the tool,
        inferred from the values and how), or why there is none.

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
    hyperparameters: tuple[str, ...] | None = None
    config_rule: str = ""
    space_rule: str = ""

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

        put(self, "minimize", check_bool("minimize", self.minimize))
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

        bounds = _metric_bounds(self.bounds)
        low, high = bounds
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
            put(self, "n_hyperparameters",
                check_int("n_hyperparameters", self.n_hyperparameters, minimum=1))

        if self.hyperparameters is not None:
            names = tuple(str(h) for h in self.hyperparameters)
            unknown = [h for h in names if h not in (self.configs or {})]
            if unknown:
                raise ValueError(f"hyperparameters: {unknown} are not keys of configs")
            put(self, "hyperparameters", names)
        put(self, "config_rule", str(self.config_rule))
        put(self, "space_rule", str(self.space_rule))

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
            hyperparameters=self.hyperparameters,
            config_rule=self.config_rule,
            space_rule=self.space_rule,
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
        if self.config_rule:
            lines.append(f"  {self.config_rule}")
        if self.space_rule:
            lines.append(f"  search space: {self.space_rule}")
        if self.search_space:
            from bayesnq.data.search_space import format_search_space

            lines.append("  search space as a spec-file table (paste into a spec to correct it):")
            table = format_search_space(self.search_space)
            lines.extend("    " + line for line in table.splitlines())
        if self.learning_curves is not None:
            m = [len(c) for c in self.learning_curves]
            lines.append(f"  learning curves: {min(m)}-{max(m)} points per run")
        if self.rule:
            lines.append(f"  rule: {self.rule}")
        return "\n".join(lines)


def as_scores(scores, *, minimize: bool | None = None, bounds=None,
              n_hyperparameters: int | None = None, name: str | None = None,
              score: str | None = None) -> Scores:
    """Scores, or scores as a user holds them, as one validated :class:`Scores`.

    The one way every entry point of bayesnq takes scores in.

    Parameters
    ----------
    scores : Scores, DataFrame, mapping of columns, Series, array or list
        A :class:`Scores`; the scores themselves (a 1-D array, list or pandas Series of
        numbers, one per run in search order); or a table of runs (a pandas DataFrame, a
        dict of equal-length columns or a structured array), whose column ``score`` holds
        the scores and whose other columns become the per-run ``configs``.
    minimize : bool, optional
        True when lower scores are better (strictly a bool: 0, 1 and strings are refused).
        Overrides the ``Scores``' own direction when given; for anything else, None means
        False (higher is better).
    bounds : (float or None, float or None), optional
        Known range of the metric; overrides the ``Scores``' own when given.
    n_hyperparameters : int, optional
        Number of hyperparameters searched; overrides the ``Scores``' own when given.
    name : str, optional
        Label; overrides the ``Scores``' own when given. Defaults to the score column's
        name for a table and to a Series' name.
    score : str, optional
        For a table: the column holding the scores. Without it, the table's only numeric
        column is taken (a column of numbers; booleans and text do not count); with
        several numeric columns, or none, a ValueError lists the candidates.

    Returns
    -------
    Scores
        ``scores`` itself when it is a ``Scores`` and nothing is overridden (or every
        override equals what it holds), else a new, validated ``Scores``.

    Raises
    ------
    ValueError
        For ``minimize`` other than True, False or None, invalid bounds, scores outside
        the bounds, NaN scores, scores that are not a non-empty 1-D array of numbers, a
        ``score`` that is not a numeric column of the table (the message lists the
        columns), or a ``score`` given with scores that have no columns.
    """
    if minimize is not None:
        minimize = check_bool("minimize", minimize)
    if score is not None and not isinstance(score, str):
        raise fail("score", "a column name (str)", score)
    if isinstance(scores, Scores):
        if score is not None:
            raise fail("score", "None for a Scores (it holds its scores already)", score)
        given = {"minimize": minimize, "bounds": None if bounds is None else _metric_bounds(bounds),
                 "n_hyperparameters": n_hyperparameters, "name": name}
        changes = {k: v for k, v in given.items()
                   if v is not None and not _same(v, getattr(scores, k))}
        return dataclasses.replace(scores, **changes) if changes else scores
    columns = _table_columns(scores)
    configs, rule = None, ""
    if columns is not None:
        what = "DataFrame" if hasattr(scores, "columns") else "table"
        column = _score_column(columns, score, what)
        values = numeric_column(column, columns[column])
        configs = configs_from(columns, exclude=column) or None
        rule = f"score = column {column!r} of the given {what}"
        name = column if name is None else name
    else:
        if score is not None:
            raise fail("score", f"None for scores given as a {type(scores).__name__} (score= "
                       "picks a column of a DataFrame or dict of columns)", score)
        series_name = getattr(scores, "name", None)
        if name is None and isinstance(series_name, str):
            name = series_name
        values = np.asarray(scores) if hasattr(scores, "__array__") else scores
    return Scores(
        values=values,
        minimize=False if minimize is None else minimize,
        name="" if name is None else name,
        configs=configs,
        rule=rule,
        bounds=(None, None) if bounds is None else bounds,
        n_hyperparameters=n_hyperparameters,
    )


def _table_columns(scores) -> dict | None:
    """The columns of a table of runs (DataFrame, mapping, structured array), else None."""
    if isinstance(scores, np.ndarray):
        return {k: scores[k] for k in scores.dtype.names} if scores.dtype.names else None
    if hasattr(scores, "columns") and getattr(scores, "ndim", None) == 2:  # a DataFrame
        return {str(k): np.asarray(scores[k]) for k in scores.columns}
    if isinstance(scores, Mapping):
        return {str(k): v for k, v in scores.items()}
    return None


def _score_column(columns: dict, score: str | None, what: str) -> str:
    """The score column of a table: ``score``, else its only numeric column."""
    listed = ", ".join(map(repr, columns)) or "none"
    numeric = [k for k in columns if _is_numeric(k, columns[k])]
    if score is not None:
        if score not in columns:
            raise fail("score", f"a column of the {what} (columns: {listed})", score)
        if score not in numeric:
            try:
                numeric_column(score, columns[score])
            except ValueError as exc:
                raise fail("score", f"a numeric column of the {what} "
                           f"({str(exc).removeprefix('score: ')}; numeric "
                           f"columns: {', '.join(map(repr, numeric)) or 'none'})",
                           score) from None
        return score
    if len(numeric) == 1:
        return numeric[0]
    if not numeric:
        raise fail("score", f"a numeric column of the {what}, and it has none (columns: "
                   f"{listed})", score)
    raise fail("score", f"the name of the score column when the {what} has several numeric "
               f"columns (candidates: {', '.join(map(repr, numeric))})", score)


def _is_numeric(name, col) -> bool:
    """A column of numbers (None/NaN allowed), not booleans or text."""
    try:
        numeric_column(name, col)
    except (TypeError, ValueError):
        return False
    return np.ndim(col) == 1


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b
