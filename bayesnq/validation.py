"""Argument checks, one grammar for the whole package.

Every check raises :class:`ValueError` with one sentence of the form

    ``{name} must be {what is allowed}, got {name}={value!r}``

so a message names the argument, the rule and the value that broke it. Checks return the
value in its canonical type (``int``, ``float``, ``bool``, ``tuple``, float64 array), so a
caller writes ``n = check_int("n", n, minimum=1)`` and moves on. This module imports only
numpy: every layer of the package may use it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "fail",
    "check_bool",
    "check_int",
    "check_real",
    "check_level",
    "check_levels",
    "check_choice",
    "check_minimize",
    "check_bounds",
    "check_array",
    "check_finite",
]


def _show(value, limit=80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail(name: str, allowed: str, value) -> ValueError:
    """The package's one message: ``{name} must be {allowed}, got {name}={value!r}``."""
    return ValueError(f"{name} must be {allowed}, got {name}={_show(value)}")


def check_bool(name: str, value) -> bool:
    """``True`` or ``False`` (numpy booleans too); strings, numbers and None are refused."""
    if not isinstance(value, bool | np.bool_):
        raise fail(name, "True or False", value)
    return bool(value)


def check_minimize(value, default: bool | None = None) -> bool:
    """The search direction: a strict boolean, or ``default`` when ``value`` is None."""
    if value is None and default is not None:
        return bool(default)
    return check_bool("minimize", value)


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (not a bool, not a float such as 2.5) within ``[minimum, maximum]``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise fail(name, _int_rule(minimum, maximum), value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise fail(name, _int_rule(minimum, maximum), value)
    return int(value)


def _int_rule(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer in {minimum}..{maximum}"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def check_real(name: str, value, *, low=None, high=None, low_open=False, high_open=False,
               finite=True) -> float:
    """A real number (not a bool), finite unless ``finite=False``, within the given range."""
    rule = _real_rule(low, high, low_open, high_open)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise fail(name, rule, value)
    x = float(value)
    if math.isnan(x) or (finite and math.isinf(x)):
        raise fail(name, rule, value)
    if low is not None and (x <= low if low_open else x < low):
        raise fail(name, rule, value)
    if high is not None and (x >= high if high_open else x > high):
        raise fail(name, rule, value)
    return x


def _real_rule(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f"a number in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"a number {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"a number {'<' if high_open else '<='} {high:g}"
    return "a finite number"


def check_level(name: str, value) -> float:
    """A probability level strictly between 0 and 1 (an interval's coverage, a quantile)."""
    return check_real(name, value, low=0.0, high=1.0, low_open=True, high_open=True)


def check_levels(name: str, values) -> tuple[float, ...]:
    """One or more levels in (0, 1), as a tuple."""
    items = values if isinstance(values, list | tuple | np.ndarray) else [values]
    if len(items) == 0:
        raise fail(name, "one or more numbers in (0, 1)", values)
    try:
        return tuple(check_level(name, v if not isinstance(v, np.generic) else v.item())
                     for v in items)
    except ValueError:
        raise fail(name, "one or more numbers in (0, 1)", values) from None


def check_choice(name: str, value, choices):
    """One of ``choices`` (compared with ``==``)."""
    if not any(value is c or (type(value) is type(c) and value == c) for c in choices):
        raise fail(name, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_bounds(value, name: str = "bounds") -> tuple[float | None, float | None]:
    """Known range of a metric: a pair ``(low, high)``, each a number or None, low < high."""
    if value is None:
        return (None, None)
    if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2:
        raise fail(name, "a pair (low, high) of numbers or None", value)
    out = []
    for b in value:
        if b is None:
            out.append(None)
            continue
        if isinstance(b, bool | np.bool_) or not isinstance(b, numbers.Real) or math.isnan(b):
            raise fail(name, "a pair (low, high) of numbers or None", value)
        out.append(None if math.isinf(b) else float(b))
    if out[0] is not None and out[1] is not None and not out[0] < out[1]:
        raise fail(name, "a pair (low, high) with low < high", value)
    return (out[0], out[1])


def check_array(name: str, value, ndim: int | None = 1, min_size: int = 0) -> np.ndarray:
    """A float64 array of ``ndim`` dimensions with at least ``min_size`` entries."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, "numbers" if ndim != 2 else "a 2-D array of numbers", value) from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got {name} of shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} values, got {arr.size}")
    return arr


def check_finite(name: str, arr) -> np.ndarray:
    """``arr`` with every entry finite; the message names the first bad entry and its index."""
    arr = np.asarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        where = where[0] if len(where) == 1 else where
        raise ValueError(f"{name} must be finite, got {name}[{where}]={arr[bad][0]!r}")
    return arr
