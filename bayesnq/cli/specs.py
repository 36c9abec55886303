"""Settings of a command: model spec files (TOML), defaults and flags, merged.

A spec file (``models/*.toml``, documented in ``models/README.md``) names the data and the
model settings; command-line flags override it. Without ``DATA``, a command uses
``models/deberta-v3.toml`` in the working directory if it exists, else the paper's
DeBERTaV3 scenario (:data:`BUILTIN_DEFAULT`). :func:`resolve_settings` does the merge and
returns a :class:`Settings`. Standard library only.
"""

from __future__ import annotations

import argparse
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bayesnq.sampler_defaults import NUM_CHAINS, NUM_SAMPLES, NUM_WARMUP, SEED

__all__ = ["UserError", "Settings", "load_spec", "resolve_settings", "SPEC_KEYS",
           "SAMPLER_DEFAULTS", "GAMMA_MODES", "BUILTIN_DEFAULT", "DEFAULT_SPEC", "PRUNED_MODES"]

DEFAULT_SPEC = Path("models") / "deberta-v3.toml"

# key -> type of its value in a spec file
SPEC_KEYS = {
    "data": str,
    "score": str,
    "curve": str,
    "minimize": bool,
    "threshold": float,
    "n_hyperparameters": int,
    "bounds": list,
    "gamma": str,
    "resolution": float,
    "chains": int,
    "warmup": int,
    "samples": int,
    "seed": int,
    "name": str,
    "out": str,
    "floor": float,
    "search_space": dict,
    "study": str,
    "objective": str,
    "pruned": str,
}
# fit()'s defaults (bayesnq.sampler_defaults); "samples" without a resolution
SAMPLER_DEFAULTS = {"chains": NUM_CHAINS, "warmup": NUM_WARMUP, "samples": NUM_SAMPLES,
                    "seed": SEED}
GAMMA_MODES = ("continuous", "integer")
# pruned Optuna trials: the choices of bayesnq.data.optuna_study.PRUNED_MODES (repeated here:
# this module is standard library only; a test checks that the two agree)
PRUNED_MODES = ("worst", "drop", "intermediate")

# The paper's DeBERTaV3 scenario, used when no DATA is given and no default spec exists.
BUILTIN_DEFAULT = {
    "data": "deberta-v3",
    "minimize": False,
    "threshold": 0.89,
    "n_hyperparameters": 5,
    "bounds": (0.0, 1.0),
}

# settings a spec may give, and those of them a flag may override (bounds: below)
_FROM_SPEC = ("score", "curve", "minimize", "threshold", "n_hyperparameters", "bounds",
              "gamma", "resolution", "chains", "warmup", "samples", "seed", "name", "out", "floor",
              "search_space", "study", "objective", "pruned")
_FROM_FLAGS = ("score", "curve", "minimize", "threshold", "n_hyperparameters", "gamma",
               "resolution", "chains", "warmup", "samples", "seed", "out", "floor",
               "objective", "pruned")


class UserError(ValueError):
    """A problem with the command line or the inputs (reported without a traceback)."""


@dataclass
class Settings:
    """Everything a command needs, after merging defaults, the spec file and the flags.

    ``data`` is a bundled dataset name or a path relative to ``base_dir`` (the spec's
    folder, else the working directory); ``spec`` is the spec file read, if any.
    """

    data: str
    base_dir: Path = field(default_factory=Path)
    score: str | None = None
    curve: str | None = None
    minimize: bool | None = None
    threshold: float | str | None = None
    n_hyperparameters: int | None = None
    bounds: tuple[float | None, float | None] | None = None
    gamma: str = "continuous"
    resolution: float | str | None = None
    chains: int = SAMPLER_DEFAULTS["chains"]
    warmup: int = SAMPLER_DEFAULTS["warmup"]
    samples: int | None = None  # None: fit's rule (bayesnq.inference.default_num_samples)
    seed: int = SAMPLER_DEFAULTS["seed"]
    name: str | None = None
    out: str | None = None
    floor: float | None = None
    spec: Path | None = None
    search_space: dict | None = None  # name -> {kind, low, high} or "KIND:LOW:HIGH" (issue 22)
    study: str | None = None  # an Optuna study in a storage URL given as DATA
    objective: str | int | None = None  # the objective of a multi-objective study
    pruned: str | None = None  # pruned Optuna trials: PRUNED_MODES (None: "worst")


def resolve_settings(args: argparse.Namespace) -> Settings:
    """Merge the defaults, the spec file (if any) and the command-line flags (which win).

    ``args.data`` is a spec file (``*.toml``), a dataset name, a data file or None (the
    default spec in the working directory, else :data:`BUILTIN_DEFAULT`).
    """
    cwd = Path.cwd()
    data = args.data
    spec: dict = {}
    spec_path = None
    if data is None:
        if (cwd / DEFAULT_SPEC).is_file():
            spec_path = cwd / DEFAULT_SPEC
        else:
            spec = dict(BUILTIN_DEFAULT)
    elif data.lower().endswith(".toml"):
        spec_path = Path(data) if Path(data).is_absolute() else cwd / data
    if spec_path is not None:
        spec = load_spec(spec_path)
    settings = Settings(data=spec.get("data", data),
                        base_dir=spec_path.parent if spec_path else cwd, spec=spec_path)
    for key in _FROM_SPEC:
        if key in spec:
            setattr(settings, key, spec[key])
    for key in _FROM_FLAGS:
        value = getattr(args, key, None)
        if value is not None:
            setattr(settings, key, value)
    if getattr(args, "bounds", None) is not None:
        settings.bounds = tuple(args.bounds)
        check_bounds_order(settings.bounds, "bounds", settings.bounds)
    if getattr(args, "optuna_study", None) is not None:  # --study (calibrate has a 'study')
        settings.study = args.optuna_study
    if getattr(args, "search_space", None):  # --search-space entries win over the spec's
        settings.search_space = {**(settings.search_space or {}),
                                 **search_space_flags(args.search_space)}
    return settings


def search_space_flags(items) -> dict:
    """``--search-space NAME=KIND:LOW:HIGH ...`` as ``{NAME: "KIND:LOW:HIGH"}`` (each
    entry is checked when the data are loaded, by
    :func:`bayesnq.data.search_space.check_search_space`)."""
    out = {}
    for item in items:
        name, eq, entry = item.partition("=")
        if not eq or not name.strip() or not entry.strip():
            raise UserError(f"--search-space must be NAME=KIND:LOW:HIGH or NAME=choice:A,B "
                            f"(e.g. lr=log-uniform:1e-5:1e-1), got --search-space {item!r}")
        out[name.strip()] = entry.strip()
    return out


def load_spec(path) -> dict:
    """Read and check a model spec (TOML); returns its values with ``bounds`` as a tuple.

    Raises
    ------
    UserError
        For invalid TOML, unknown keys, values of the wrong type, or a missing ``data``.
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spec file {str(path)!r} not found")
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"spec file {str(path)!r} is not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise UserError(
            f"spec file {str(path)!r}: unknown key(s) {unknown}; valid keys are {sorted(SPEC_KEYS)}"
        )
    spec = {key: _spec_value(key, value, f"spec file {str(path)!r}: {key}")
            for key, value in raw.items()}
    if "data" not in spec:
        raise UserError(f"spec file {str(path)!r} has no 'data' key (a dataset name or a path)")
    if "gamma" in spec and spec["gamma"] not in GAMMA_MODES:
        raise UserError(
            f"spec file {str(path)!r}: gamma must be one of {list(GAMMA_MODES)}, got {spec['gamma']!r}"
        )
    if "pruned" in spec and spec["pruned"] not in PRUNED_MODES:
        raise UserError(f"spec file {str(path)!r}: pruned must be one of {list(PRUNED_MODES)}, "
                        f"got pruned={spec['pruned']!r}")
    return spec


def _spec_value(key, value, where):
    """One value of a spec file, checked against ``SPEC_KEYS`` (``where`` opens a message)."""
    kind = SPEC_KEYS[key]
    if key in ("threshold", "resolution") and isinstance(value, str) \
            and value.strip().lower() == "auto":
        return "auto"
    if key == "resolution" and (isinstance(value, bool) or not isinstance(value, int | float)
                                or not math.isfinite(value) or value <= 0):
        raise UserError(f'{where} must be a positive number or "auto", got {value!r}')
    if key == "bounds":
        return _spec_bounds(value, where)
    if key == "search_space":
        if not isinstance(value, dict) or not value:
            raise UserError(f"{where} must be a table of hyperparameters, e.g. [search_space] "
                            f'then lr = {{kind = "log-uniform", low = 1e-5, high = 0.1}}, '
                            f"got {value!r}")
        return dict(value)
    if key == "objective":
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise UserError(f"{where} must be an objective index or name, got {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            extra = ' or "auto"' if key == "threshold" else ""
            raise UserError(f"{where} must be a finite number{extra}, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{where} must be an integer, got {value!r}")
        minimum = 0 if key == "seed" else 1
        if value < minimum:
            raise UserError(f"{where} must be >= {minimum}, got {value!r}")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise UserError(f"{where} must be true or false, got {value!r}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _spec_bounds(value, where):
    """``bounds = [low, high]`` of a spec file: numbers, ``inf`` or ``"none"``, low < high;
    messages in the grammar of :mod:`bayesnq.validation`, after the spec file's name."""
    rule = 'a pair [low, high] of numbers, inf or "none"'
    if not isinstance(value, list) or len(value) != 2:
        raise UserError(f"{where} must be {rule}, got bounds={value!r}")
    out = []
    for b in value:
        if isinstance(b, str) and b.strip().lower() == "none":
            out.append(None)
        elif isinstance(b, int | float) and not isinstance(b, bool) and not math.isnan(b):
            out.append(None if math.isinf(b) else float(b))
        else:
            raise UserError(f"{where} must be {rule}, got bounds={value!r}")
    check_bounds_order(out, where, value)
    return tuple(out)


def check_bounds_order(bounds, where: str, shown) -> None:
    """A UserError in the validation grammar when both ends are given and low >= high.

    ``where`` opens the message (``bounds``, or ``spec file '...': bounds``); ``shown`` is
    the value as the user wrote it."""
    low, high = bounds
    if low is not None and high is not None and not low < high:
        raise UserError(f"{where} must be a pair (low, high) with low < high, got bounds={shown!r}")
