r"""Search spaces: the distribution each hyperparameter was drawn from.

A search space maps a hyperparameter name to one of five kinds (the landscape analysis
encodes a value :math:`x` by the kind's CDF :math:`u = F(x)` in :math:`[0, 1]`):

* ``{"kind": "uniform", "low": l, "high": h}``: :math:`x \sim U(l, h)`,
  :math:`u = (x - l) / (h - l)`;
* ``{"kind": "log-uniform", "low": l, "high": h}`` (:math:`0 < l`):
  :math:`\ln x \sim U(\ln l, \ln h)`, :math:`u = (\ln x - \ln l) / (\ln h - \ln l)`;
* ``{"kind": "integer", "low": l, "high": h}``: uniform on :math:`l, \dots, h`;
* ``{"kind": "integer-log-uniform", "low": l, "high": h}`` (:math:`1 \le l`): integers
  drawn log-uniformly (batch sizes, widths), encoded on the log scale;
* ``{"kind": "choice", "choices": [c_1, \dots, c_L]}``: uniform on the listed levels
  (taken as ordered by the landscape encoding).

:func:`check_search_space` reads a declared space (a dict from Python, a spec file's
``[search_space]`` table, or ``NAME=KIND:LOW:HIGH`` strings from the command line) and
refuses a bad or ambiguous entry with a ValueError naming the hyperparameter and what to
write. :func:`infer_search_space` guesses a space from the values when none is declared
and says what it guessed; :func:`format_search_space` prints a space as a TOML table that
can be pasted into a spec file.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from bayesnq.validation import fail

__all__ = ["KINDS", "check_search_space", "parse_entry", "infer_search_space",
           "format_search_space", "format_entry"]

KINDS = ("uniform", "log-uniform", "integer", "integer-log-uniform", "choice")
_ALIASES = {
    "uniform": "uniform", "float": "uniform", "linear": "uniform",
    "log-uniform": "log-uniform", "loguniform": "log-uniform", "log_uniform": "log-uniform",
    "log": "log-uniform",
    "integer": "integer", "int": "integer", "randint": "integer",
    "integer-log-uniform": "integer-log-uniform", "int-log-uniform": "integer-log-uniform",
    "integer_log_uniform": "integer-log-uniform", "int-log": "integer-log-uniform",
    "lograndint": "integer-log-uniform",
    "choice": "choice", "categorical": "choice",
}
# relative slack for values stored with a few digits just outside the declared bounds
_TOL = 1e-6
# inference: a positive column spanning at least this ratio is a candidate for a log scale
_DECADES = 10.0


def _example(name: str, kind: str = "log-uniform") -> str:
    if kind == "choice":
        return f'{name} = {{kind = "choice", choices = ["a", "b"]}}'
    return f'{name} = {{kind = "{kind}", low = LOW, high = HIGH}}'


def _what_to_write(name: str) -> str:
    return (f"write e.g. {_example(name)} in the spec's [search_space] table, or "
            f"--search-space {name}=log-uniform:LOW:HIGH; kinds: {', '.join(KINDS)}")


def parse_entry(name: str, text: str) -> dict:
    """One entry written as ``KIND:LOW:HIGH`` or ``choice:A,B,...`` (command line)."""
    where = f"search_space[{name!r}]"
    kind, _, rest = text.partition(":")
    canon = _ALIASES.get(kind.strip().lower())
    if canon is None:
        raise fail(where, f"KIND:LOW:HIGH or choice:A,B with KIND one of {', '.join(KINDS)}; "
                   + _what_to_write(name), text)
    if canon == "choice":
        levels = [_parse_level(s) for s in rest.split(",") if s.strip()]
        return {"kind": "choice", "choices": levels}
    parts = rest.split(":")
    if len(parts) != 2:
        raise fail(where, f"{canon}:LOW:HIGH (two bounds)", text)
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise fail(where, f"{canon}:LOW:HIGH with numbers LOW and HIGH", text) from None
    return {"kind": canon, "low": low, "high": high}


def _parse_level(text: str):
    s = text.strip()
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s


def check_search_space(space, configs: Mapping | None = None) -> dict:
    """A declared search space, checked and written in the canonical form.

    Parameters
    ----------
    space : mapping of str to (mapping or str)
        ``name -> {"kind": ..., "low": ..., "high": ...}``, ``{"kind": "choice",
        "choices": [...]}`` or a string ``"KIND:LOW:HIGH"``. Kinds: :data:`KINDS` (aliases
        such as ``"loguniform"``, ``"int"``, ``"categorical"`` are accepted).
    configs : mapping of str to array, optional
        The per-run values; when given, every hyperparameter must be a column and its
        values must lie in the declared range (integers for the integer kinds, one of the
        choices for ``choice``).

    Returns
    -------
    dict
        ``name -> {"kind", "low", "high"}`` (floats; ints for the integer kinds) or
        ``{"kind": "choice", "choices": [...]}``.

    Raises
    ------
    ValueError
        Naming the hyperparameter and what to write: an unknown kind, missing or reversed
        bounds, a log kind with ``low <= 0`` (``< 1`` for integers), a bare ``[low, high]``
        (ambiguous: uniform or log-uniform?), a name that is not a column, values outside
        the range.
    """
    if not isinstance(space, Mapping) or not space:
        raise fail("search_space", "a non-empty mapping of hyperparameter name to "
                   '{kind = ..., low = ..., high = ...}', space)
    out = {}
    for name, spec in space.items():
        name = str(name)
        entry = _check_entry(name, spec)
        if configs is not None:
            _check_values(name, entry, configs)
        out[name] = entry
    return out


def _check_entry(name: str, spec) -> dict:
    where = f"search_space[{name!r}]"
    if isinstance(spec, str):
        spec = parse_entry(name, spec)
    if isinstance(spec, Sequence) and not isinstance(spec, str | bytes):
        raise fail(where, "a mapping with a kind: a bare list is ambiguous (uniform, "
                   "log-uniform or choice?); " + _what_to_write(name), spec)
    if not isinstance(spec, Mapping):
        raise fail(where, "a mapping {kind = ..., low = ..., high = ...}; "
                   + _what_to_write(name), spec)
    if "kind" not in spec:
        raise fail(where, "a mapping with a 'kind' (one of " + ", ".join(KINDS) + "); "
                   + _what_to_write(name), dict(spec))
    kind = _ALIASES.get(str(spec["kind"]).strip().lower())
    if kind is None:
        raise fail(f"{where}['kind']", "one of " + ", ".join(map(repr, KINDS)), spec["kind"])
    if kind == "choice":
        choices = spec.get("choices")
        if isinstance(choices, str | bytes) or not isinstance(choices, Sequence) or not choices:
            raise fail(f"{where}['choices']", "a non-empty list of levels, e.g. "
                       + _example(name, "choice"), choices)
        extra = sorted(set(spec) - {"kind", "choices"})
        if extra:
            raise fail(where, f"kind 'choice' with 'choices' only (not {extra})", dict(spec))
        return {"kind": "choice", "choices": list(choices)}
    extra = sorted(set(spec) - {"kind", "low", "high"})
    if extra:
        raise fail(where, f"kind {kind!r} with 'low' and 'high' only (not {extra}); "
                   + _what_to_write(name), dict(spec))
    bounds = []
    for key in ("low", "high"):
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value):
            raise fail(f"{where}[{key!r}]", f"a finite number (kind {kind!r} needs low and "
                       f"high: {_example(name, kind)})", value)
        bounds.append(float(value))
    low, high = bounds
    if not low < high:
        raise fail(where, f"a range with low < high, e.g. {_example(name, kind)}", dict(spec))
    if kind.startswith("integer"):
        if low != round(low) or high != round(high):
            raise fail(where, f"integer bounds for kind {kind!r}", dict(spec))
        low, high = int(round(low)), int(round(high))
    if kind == "log-uniform" and low <= 0:
        raise fail(f"{where}['low']", "> 0 for kind 'log-uniform' (write kind = \"uniform\" "
                   "for a range that includes 0)", low)
    if kind == "integer-log-uniform" and low < 1:
        raise fail(f"{where}['low']", ">= 1 for kind 'integer-log-uniform' (write kind = "
                   "\"integer\" for a range that includes 0)", low)
    return {"kind": kind, "low": low, "high": high}


def _check_values(name: str, entry: dict, configs: Mapping) -> None:
    where = f"search_space[{name!r}]"
    if name not in configs:
        raise ValueError(
            f"{where}: no hyperparameter {name!r} among the configurations (columns: "
            f"{', '.join(map(repr, configs)) or 'none'}); name one of them, or remove "
            f"{name!r} from the search space")
    col = np.asarray(configs[name])
    if entry["kind"] == "choice":
        values = col.tolist()
        levels = entry["choices"]
        bad = [v for v in values if not any(_same_level(v, c) for c in levels)]
        if bad:
            raise ValueError(
                f"{where}: value {bad[0]!r} of {name!r} is not one of the choices {levels!r}; "
                f"add it: {name} = {{kind = \"choice\", choices = "
                f"{_toml_list(_levels(values))}}}")
        return
    try:
        x = col.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{where}: {name!r} holds text ({col[0]!r}), not numbers; write "
            f"{name} = {{kind = \"choice\", choices = {_toml_list(_levels(col.tolist()))}}}"
        ) from None
    if not np.isfinite(x).all():
        i = int(np.flatnonzero(~np.isfinite(x))[0])
        raise ValueError(f"{where}: run {i} has no finite value of {name!r} ({col[i]!r}); "
                         "every run needs a value of each hyperparameter in the search space")
    low, high = entry["low"], entry["high"]
    slack = _TOL * (high - low)
    outside = (x < low - slack) | (x > high + slack)
    if outside.any():
        raise ValueError(
            f"{where}: {int(outside.sum())} values of {name!r} lie outside [{low}, {high}] "
            f"(e.g. {x[outside][0]:g}); widen it, e.g. "
            + format_entry(name, {**entry, "low": min(low, _floor(x.min(), entry)),
                                  "high": max(high, _ceil(x.max(), entry))}))
    if entry["kind"].startswith("integer") and (x != np.round(x)).any():
        v = x[x != np.round(x)][0]
        raise ValueError(f"{where}: {name!r} takes the non-integer value {v:g}; write kind = "
                         f"\"{'log-uniform' if 'log' in entry['kind'] else 'uniform'}\"")


def _floor(v, entry):
    return int(math.floor(v)) if entry["kind"].startswith("integer") else float(v)


def _ceil(v, entry):
    return int(math.ceil(v)) if entry["kind"].startswith("integer") else float(v)


def _same_level(v, c) -> bool:
    if isinstance(v, numbers.Real) and isinstance(c, numbers.Real) \
            and not isinstance(v, bool) and not isinstance(c, bool):
        return math.isclose(float(v), float(c), rel_tol=1e-9, abs_tol=0.0)
    return v == c


def _levels(values) -> list:
    """Distinct values in sorted order when comparable, else in order of appearance."""
    seen = list(dict.fromkeys(_plain(v) for v in values))
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


# ----------------------------------------------------------------------------- inference


def _ks_uniform(u: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance of points in [0, 1] from the uniform distribution."""
    u = np.sort(u)
    n = u.size
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - u), np.max(u - (i - 1) / n)))


def _infer_numeric(name: str, x: np.ndarray) -> tuple[dict, str]:
    integer = bool((x == np.round(x)).all())
    lo, hi = float(x.min()), float(x.max())
    kind, why = ("integer" if integer else "uniform"), "values on a linear scale"
    if lo > 0 and hi / lo >= _DECADES:
        lin = _ks_uniform((x - lo) / (hi - lo))
        log = _ks_uniform((np.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo)))
        decades = math.log10(hi / lo)
        if log <= lin:
            kind = "integer-log-uniform" if integer else "log-uniform"
            why = f"values span {decades:.1f} decades and are spread evenly on a log scale"
        else:
            why = (f"values span {decades:.1f} decades but are spread evenly on a linear "
                   "scale, not a log one")
    elif lo > 0:
        why = "values span less than a decade"
    else:
        why = "values include 0 or negative numbers"
    if integer:
        why = "all integers; " + why
    entry = {"kind": kind, "low": int(lo) if integer else lo, "high": int(hi) if integer else hi}
    return entry, why


def infer_search_space(configs: Mapping, names) -> tuple[dict, list[str], dict]:
    """Guess a search space from the values of the hyperparameters ``names``.

    Rules, per hyperparameter: text or booleans give ``choice`` among the distinct values;
    numbers give ``integer`` when all are integers, else ``uniform``, on the observed range
    :math:`[\\min x, \\max x]`; a positive column whose range spans at least a decade
    (:math:`\\max x / \\min x \\ge 10`) is taken on the log scale (``log-uniform`` or
    ``integer-log-uniform``) when its log values are spread at least as evenly as its raw
    values (Kolmogorov-Smirnov distance to the uniform on the observed range, smaller or
    equal on the log scale). A constant column is not a searched hyperparameter.

    The observed range is inside the true one: a user who knows the bounds should declare
    them (:func:`format_search_space` prints the guess in a form to paste and correct).

    Returns
    -------
    space : dict
        The guessed entries.
    reasons : list of str
        One line per hyperparameter saying what was guessed and why.
    problems : dict of str to str
        Hyperparameters left out of the space and why (missing values, mixed types,
        constant).
    """
    space, reasons, problems = {}, [], {}
    for name in names:
        col = np.asarray(configs[name])
        values = col.tolist()
        missing = [i for i, v in enumerate(values)
                   if v is None or (isinstance(v, float) and math.isnan(v))]
        if missing:
            problems[name] = (f"{len(missing)} runs have no value (e.g. run {missing[0]}): a "
                              "conditional hyperparameter has no place in one search space")
            continue
        levels = _levels(values)
        if len(levels) < 2:
            problems[name] = f"constant ({levels[0]!r}): not searched"
            continue
        is_num = [isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values]
        if all(is_num):
            entry, why = _infer_numeric(name, np.asarray(values, dtype=np.float64))
        elif not any(is_num):
            entry = {"kind": "choice", "choices": levels}
            why = f"{'booleans' if all(isinstance(v, bool) for v in values) else 'text'}, " \
                  f"{len(levels)} levels"
        else:
            problems[name] = "mixes numbers and text; declare it, e.g. " \
                + _example(name, "choice")
            continue
        space[name] = entry
        reasons.append(f"{name}: {entry['kind']} ({why})")
    return space, reasons, problems


# ----------------------------------------------------------------------------- printing


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return repr(float(v)) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values) -> str:
    return "[" + ", ".join(_toml_value(_plain(v)) for v in values) + "]"


def _toml_key(name: str) -> str:
    bare = name and all(c.isalnum() or c in "_-" for c in name)
    return name if bare else _toml_value(name)


def format_entry(name: str, entry: Mapping) -> str:
    """One line of a spec's ``[search_space]`` table, e.g.
    ``lr = {kind = "log-uniform", low = 1e-05, high = 0.1}``."""
    if entry["kind"] == "choice":
        return f'{_toml_key(name)} = {{kind = "choice", choices = {_toml_list(entry["choices"])}}}'
    return (f'{_toml_key(name)} = {{kind = "{entry["kind"]}", low = {_toml_value(entry["low"])}, '
            f'high = {_toml_value(entry["high"])}}}')


def format_search_space(space: Mapping) -> str:
    """The space as a TOML table to paste into a spec file (``[search_space]`` and one
    line per hyperparameter)."""
    return "\n".join(["[search_space]", *(format_entry(k, v) for k, v in space.items())])
