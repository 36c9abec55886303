r"""Command line: ``bayesnq fit``, ``bayesnq landscape`` and ``bayesnq thresholds``.

``bayesnq thresholds [DATA]`` fits the tail at each candidate threshold
(:func:`bayesnq.compare_thresholds`), prints the table ranked by PSIS-LOO and writes
``thresholds.csv``, ``tuning_curve.csv`` (stacking-weighted), ``parameter_stability.png``
and ``tuning_curve.png``. ``bayesnq fit --threshold auto`` infers the threshold.

``bayesnq fit [DATA]`` fits the noisy quadratic tail of a random search with NUTS, prints
the posterior summary and the median tuning curve at :math:`n = 1, 2, 4, \dots` up to 100
times the number of runs, and writes into ``--out`` (default ``results/<name>``):
``summary.csv``, ``summary.json``, ``posterior.nc``, ``tuning_curve.csv`` and the plots of
:func:`bayesnq.plots.save_all`.

``DATA`` is one of

* a spec file ``*.toml`` (see ``models/README.md``): keys ``data``, ``score``, ``curve``,
  ``minimize``, ``threshold``, ``n_hyperparameters``, ``bounds``, ``gamma``, ``chains``,
  ``warmup``, ``samples``, ``seed``, ``name``, ``out``; command-line flags override them;
* a bundled dataset name (``deberta-v3``, ``alexnet``; see :mod:`bayesnq.datasets`), where
  ``--score`` picks the metric (``accuracy`` or ``error``, default from the direction);
* a data file read by :func:`bayesnq.data.load_scores` (``--score`` names the column,
  ``--curve`` a learning-curve path).

Without ``DATA``: ``models/deberta-v3.toml`` if it exists in the working directory, else
the bundled DeBERTaV3 accuracy scores with the paper's settings (maximize, threshold 0.89,
5 hyperparameters, bounds [0, 1]).

User errors (a missing file, a bad value) print ``bayesnq: error: ...`` to stderr and exit
with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["main", "build_parser", "load_spec", "resolve_settings", "load_data", "Settings"]

DEFAULT_SPEC = Path("models") / "deberta-v3.toml"
DEFAULT_RESULTS = Path("results")

SPEC_KEYS = {
    "data": str,
    "score": str,
    "curve": str,
    "minimize": bool,
    "threshold": float,
    "n_hyperparameters": int,
    "bounds": list,
    "gamma": str,
    "chains": int,
    "warmup": int,
    "samples": int,
    "seed": int,
    "name": str,
    "out": str,
    "floor": float,
}
SAMPLER_DEFAULTS = {"chains": 4, "warmup": 1000, "samples": 1000, "seed": 0}
GAMMA_MODES = ("continuous", "integer")
BUNDLED_METRICS = ("accuracy", "error")

# The paper's DeBERTaV3 scenario, used when no DATA is given and no default spec exists.
BUILTIN_DEFAULT = {
    "data": "deberta-v3",
    "minimize": False,
    "threshold": 0.89,
    "n_hyperparameters": 5,
    "bounds": (0.0, 1.0),
}


class UserError(ValueError):
    """A problem with the command line or the inputs (reported without a traceback)."""


@dataclass
class Settings:
    """Everything a command needs, after merging defaults, the spec file and the flags."""

    data: str
    base_dir: Path = field(default_factory=Path)
    score: str | None = None
    curve: str | None = None
    minimize: bool | None = None
    threshold: float | None = None
    n_hyperparameters: int | None = None
    bounds: tuple[float | None, float | None] | None = None
    gamma: str = "continuous"
    chains: int = 4
    warmup: int = 1000
    samples: int = 1000
    seed: int = 0
    name: str | None = None
    out: str | None = None
    floor: float | None = None
    spec: Path | None = None


# ----------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The ``bayesnq`` argument parser (subcommands ``fit`` and ``landscape``)."""
    parser = argparse.ArgumentParser(
        prog="bayesnq",
        description="Bayesian analysis of hyperparameter random search with the noisy "
        "quadratic distribution.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add_data_arguments(p):
        p.add_argument(
            "data", nargs="?", metavar="DATA",
            help="a spec file (*.toml), a bundled dataset name (deberta-v3, alexnet) or a "
            "data file (.csv, .jsonl, .json, .npy, .txt); default: models/deberta-v3.toml "
            "if present, else the bundled DeBERTaV3 scores with the paper's settings",
        )
        direction = p.add_mutually_exclusive_group()
        direction.add_argument("--maximize", dest="minimize", action="store_const", const=False,
                               default=None, help="higher scores are better (default)")
        direction.add_argument("--minimize", dest="minimize", action="store_const", const=True,
                               help="lower scores are better (error, loss)")
        p.add_argument("--score", metavar="COLUMN",
                       help="score column or field of a data file; for a bundled dataset, "
                       "the metric: accuracy or error")
        p.add_argument("--curve", metavar="PATH",
                       help="learning-curve path in each record, e.g. 'learning_curve[].top_1' "
                       "(the score is the best value over the curve)")
        p.add_argument("--bounds", nargs=2, type=_bound, metavar=("LO", "HI"),
                       help="known range of the metric, e.g. 0 1; 'none' for an open end")
        p.add_argument("--out", metavar="DIR", help="output folder (default: results/<name>)")

    def add_model_arguments(p):
        p.add_argument("--n-hyperparameters", type=_positive_int("--n-hyperparameters"),
                       metavar="K",
                       help="number of hyperparameters searched (upper bound of gamma)")
        p.add_argument("--gamma", choices=GAMMA_MODES,
                       help="gamma as a real number or an integer")

    def add_sampler_arguments(p, progress, chains=None, warmup=None, samples=None, seed=None):
        """NUTS settings; ``None`` defaults come from the spec file or SAMPLER_DEFAULTS."""
        shown = {k: SAMPLER_DEFAULTS[k] if v is None else v
                 for k, v in (("chains", chains), ("warmup", warmup), ("samples", samples),
                              ("seed", seed))}
        p.add_argument("--chains", type=_positive_int("--chains"), default=chains, metavar="N",
                       help=f"NUTS chains per fit (default {shown['chains']})")
        p.add_argument("--warmup", type=_positive_int("--warmup"), default=warmup, metavar="N",
                       help=f"warmup iterations per chain (default {shown['warmup']})")
        p.add_argument("--samples", type=_positive_int("--samples"), default=samples,
                       metavar="N", help=f"draws per chain (default {shown['samples']})")
        p.add_argument("--seed", type=_nonnegative_int("--seed"), default=seed, metavar="N",
                       help=f"random seed (default {shown['seed']})")
        p.add_argument("--no-progress", action="store_true", help=f"hide {progress}")

    fit = sub.add_parser(
        "fit", help="fit the tail with NUTS and write the summary, curves and plots",
        description="Fit the noisy quadratic tail beyond a threshold with NUTS; print the "
        "posterior summary and the tuning curve; write summary.csv, summary.json, "
        "posterior.nc, tuning_curve.csv and PNG plots.",
    )
    add_data_arguments(fit)
    fit.add_argument("--threshold", type=_threshold_value, metavar="X",
                     help="where the asymptotic (quadratic) regime begins; 'auto' infers it "
                     "(marginalized over 16 candidates, tail fractions 5%%..80%%)")
    add_model_arguments(fit)
    add_sampler_arguments(fit, "the progress bar")
    fit.set_defaults(func=_run_fit)

    land = sub.add_parser(
        "landscape", help="landscape diagnostics of the runs (bayesnq.landscape.report)",
        description="Landscape diagnostics of the search: writes landscape.csv, "
        "landscape.json and landscape.png.",
    )
    add_data_arguments(land)
    land.add_argument("--k", type=_positive_int("--k"), default=None, metavar="K",
                      help="neighbours per run in the k-nearest-neighbour graph (default 10)")
    land.add_argument("--floor", type=_number("floor"), metavar="X",
                      help="runs scoring at or beyond X (<= when maximizing) also count as "
                      "failed, e.g. diverged runs at chance accuracy (spec key 'floor')")
    land.add_argument("--sigma", type=_positive("--sigma"), metavar="S",
                      help="evaluation noise sd for neutrality and optimum margins; default: "
                      "the posterior median of sigma from --posterior, else the local "
                      "quadratic's residual sd")
    land.add_argument("--posterior", metavar="PATH",
                      help="posterior.nc written by 'bayesnq fit' (default: the one in the "
                      "output folder, if any): its gamma draws are drawn beside the Hessian "
                      "spectrum and its sigma is the noise scale")
    land.set_defaults(func=_run_landscape)

    thr = sub.add_parser(
        "thresholds", help="compare candidate thresholds by model criteria",
        description="Fit the tail at each candidate threshold; rank them by PSIS-LOO of the "
        "spliced likelihood (and by the validation-threshold route); print the table; write "
        "thresholds.csv, tuning_curve.csv (stacking-weighted), parameter_stability.png and "
        "tuning_curve.png.",
    )
    add_data_arguments(thr)
    thr.add_argument("--thresholds", nargs="+", type=_number("thresholds"), metavar="X",
                     help="candidate thresholds (default: 8 with tail fractions 5%%..80%%)")
    thr.add_argument("--n-thresholds", type=_positive_int("--n-thresholds", minimum=2),
                     default=8, metavar="N", help="number of default candidates (default 8)")
    thr.add_argument("--rank-by", choices=("spliced", "validation"), default="spliced",
                     help="route that ranks the table (default spliced)")
    add_model_arguments(thr)
    add_sampler_arguments(thr, "the per-fit progress lines", chains=2, warmup=500, samples=500)
    thr.set_defaults(func=_run_thresholds)

    cal = sub.add_parser(
        "calibrate", help="calibration studies: SBC, or coverage of the bands on subsamples",
        description="'calibrate sbc': simulation-based calibration of the tail model; "
        "'calibrate coverage DATA': fit subsamples of DATA and check whether the credible "
        "bands cover the full data's median tuning curve (beside opda's bands). Records "
        "stream to records.jsonl in --out (a rerun resumes); writes table.csv, table.json "
        "and a PNG plot.",
    )
    cal.add_argument("study", choices=("sbc", "coverage"), help="which study")
    add_data_arguments(cal)
    cal.add_argument("--threshold", type=_threshold_value, metavar="X",
                     help="coverage: the fits' threshold ('auto' needs --method fit); "
                     "sbc: tau of the simulation (default 0)")
    cal.add_argument("--n-hyperparameters", type=_positive_int("--n-hyperparameters"),
                     metavar="K", help="upper bound of gamma (sbc default 5)")
    cal.add_argument("--replicates", type=_positive_int("--replicates"), metavar="R",
                     help="replicates (sbc default 200; coverage default 100 per size)")
    cal.add_argument("--n", type=_positive_int("--n"), default=48, metavar="N",
                     help="sbc: runs per simulated search (default 48)")
    cal.add_argument("--sizes", nargs="+", type=_positive_int("--sizes", minimum=2),
                     default=[24, 48, 96], metavar="N",
                     help="coverage: subsample sizes (default 24 48 96)")
    cal.add_argument("--levels", nargs="+", type=_number("levels"), default=[0.5, 0.8, 0.95],
                     metavar="L", help="coverage: credible levels (default 0.5 0.8 0.95)")
    cal.add_argument("--method", choices=("vectorized", "fit"), default="vectorized",
                     help="coverage: compiled NUTS over batches, or bayesnq.fit per subsample")
    cal.add_argument("--no-opda", action="store_true", help="coverage: skip opda's bands")
    cal.add_argument("--ranks", type=_positive_int("--ranks", minimum=2), default=100,
                     metavar="L", help="sbc: number of possible ranks (default 100)")
    cal.add_argument("--batch-size", type=_positive_int("--batch-size"), default=8, metavar="B",
                     help="replicates per compiled batch and per Dask task (default 8)")
    cal.add_argument("--executor", choices=("local", "dask"), default="local",
                     help="run here, or on Dask distributed")
    cal.add_argument("--address", metavar="ADDR",
                     help="Dask scheduler address (default: a LocalCluster of two workers)")
    add_sampler_arguments(cal, "the progress bar", chains=2, warmup=500, samples=500, seed=0)
    cal.set_defaults(func=_run_calibrate)
    return parser


def _number(name):
    def parse(text):
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(x):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        return x

    parse.__name__ = name
    return parse


def _threshold_value(text):
    if text.strip().lower() == "auto":
        return "auto"
    return _number("threshold")(text)


def _positive(name):
    number = _number(name)

    def parse(text):
        x = number(text)
        if not x > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
        return x

    parse.__name__ = name
    return parse


def _bound(text):
    if text.strip().lower() in ("none", "inf", "-inf", "+inf"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def _positive_int(name, minimum=1):
    def parse(text):
        try:
            k = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if k < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {k}")
        return k

    parse.__name__ = name
    return parse


def _nonnegative_int(name):
    return _positive_int(name, minimum=0)


# ----------------------------------------------------------------------------- spec files


def load_spec(path) -> dict:
    """Read and check a model spec (TOML); returns its values with ``bounds`` as a tuple.

    Raises
    ------
    ValueError
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
    spec = {}
    for key, value in raw.items():
        kind = SPEC_KEYS[key]
        where = f"spec file {str(path)!r}: {key}"
        if key == "threshold" and isinstance(value, str) and value.strip().lower() == "auto":
            value = "auto"
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                extra = ' or "auto"' if key == "threshold" else ""
                raise UserError(f"{where} must be a finite number{extra}, got {value!r}")
            value = float(value)
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise UserError(f"{where} must be an integer, got {value!r}")
            minimum = 0 if key == "seed" else 1
            if value < minimum:
                raise UserError(f"{where} must be >= {minimum}, got {value!r}")
        elif kind is bool:
            if not isinstance(value, bool):
                raise UserError(f"{where} must be true or false, got {value!r}")
        elif kind is str:
            if not isinstance(value, str) or not value.strip():
                raise UserError(f"{where} must be a non-empty string, got {value!r}")
        elif key == "bounds":
            value = _spec_bounds(value, where)
        spec[key] = value
    if "data" not in spec:
        raise UserError(f"spec file {str(path)!r} has no 'data' key (a dataset name or a path)")
    if "gamma" in spec and spec["gamma"] not in GAMMA_MODES:
        raise UserError(
            f"spec file {str(path)!r}: gamma must be one of {list(GAMMA_MODES)}, got {spec['gamma']!r}"
        )
    return spec


def _spec_bounds(value, where):
    if not isinstance(value, list) or len(value) != 2:
        raise UserError(f"{where} must be a list [low, high], got {value!r}")
    out = []
    for b in value:
        if isinstance(b, str) and b.strip().lower() == "none":
            out.append(None)
        elif isinstance(b, int | float) and not isinstance(b, bool):
            out.append(None if math.isinf(b) else float(b))
        else:
            raise UserError(f"{where} entries must be numbers, inf or \"none\", got {b!r}")
    return tuple(out)


def _is_spec(data: str) -> bool:
    return data.lower().endswith(".toml")


def resolve_settings(args: argparse.Namespace, cwd=None) -> Settings:
    """Merge the defaults, the spec file (if any) and the command-line flags (which win)."""
    cwd = Path.cwd() if cwd is None else Path(cwd)
    data = args.data
    spec: dict = {}
    spec_path = None
    if data is None:
        if (cwd / DEFAULT_SPEC).is_file():
            spec_path = cwd / DEFAULT_SPEC
        else:
            spec = dict(BUILTIN_DEFAULT)
    elif _is_spec(data):
        spec_path = Path(data) if Path(data).is_absolute() else cwd / data
    if spec_path is not None:
        spec = load_spec(spec_path)
    settings = Settings(data=spec.get("data", data), base_dir=spec_path.parent if spec_path else cwd,
                        spec=spec_path)
    for key in ("score", "curve", "minimize", "threshold", "n_hyperparameters", "bounds",
                "gamma", "chains", "warmup", "samples", "seed", "name", "out", "floor"):
        if key in spec:
            setattr(settings, key, spec[key])
    for key in ("score", "curve", "minimize", "threshold", "n_hyperparameters", "gamma",
                "chains", "warmup", "samples", "seed", "out", "floor"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(settings, key, value)
    if getattr(args, "bounds", None) is not None:
        settings.bounds = tuple(args.bounds)
    return settings


# ----------------------------------------------------------------------------- data


def _bundled_name(data: str) -> str | None:
    from bayesnq import datasets

    try:
        return datasets._canonical(data)
    except ValueError:
        return None


def load_data(settings: Settings):
    """Load the scores named by ``settings.data`` (bundled name or file).

    A path is taken relative to the spec file's folder (or the working directory). A name
    that is neither a file nor a bundled dataset is an error listing the bundled names.
    """
    from bayesnq import datasets
    from bayesnq.data import load_scores

    data = settings.data
    path = Path(data)
    if not path.is_absolute():
        path = settings.base_dir / path
    bundled = _bundled_name(data)
    if bundled is not None and not path.exists():
        metric = settings.score or ("error" if settings.minimize else "accuracy")
        if settings.minimize is None:
            settings.minimize = metric == "error"
        if metric not in BUNDLED_METRICS:
            raise UserError(
                f"score: the bundled dataset {bundled!r} has metrics {list(BUNDLED_METRICS)}, "
                f"got {metric!r}"
            )
        if (metric == "error") != settings.minimize:
            direction = "--minimize" if metric == "error" else "--maximize"
            raise UserError(
                f"score: metric {metric!r} of {bundled!r} needs {direction} "
                f"(minimize={str(metric == 'error').lower()})"
            )
        if settings.curve is not None:
            raise UserError("curve: not used with a bundled dataset (its curves are built in)")
        scores = datasets.load(bundled, metric=metric)
        if settings.bounds is not None and tuple(settings.bounds) != tuple(scores.bounds):
            scores = _with(scores, bounds=settings.bounds)
        if settings.n_hyperparameters is None:
            settings.n_hyperparameters = scores.n_hyperparameters
        return scores
    if not path.exists():
        names = ", ".join(datasets.names())
        raise FileNotFoundError(
            f"data {data!r}: no such file ({path}) and not a bundled dataset ({names})"
        )
    if path.is_dir():
        raise UserError(f"data {data!r}: {path} is a folder, expected a file")
    settings.minimize = bool(settings.minimize)
    scores = load_scores(
        path,
        settings.score,
        minimize=settings.minimize,
        curve=settings.curve,
        bounds=settings.bounds if settings.bounds is not None else (None, None),
    )
    if settings.n_hyperparameters is not None and scores.n_hyperparameters is None:
        scores = _with(scores, n_hyperparameters=settings.n_hyperparameters)
    return scores


def _with(scores, **changes):
    import dataclasses

    return dataclasses.replace(scores, **changes)


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.")
    return slug or "scores"


def _result_name(settings: Settings, scores) -> str:
    if settings.name:
        return _slug(settings.name)
    if settings.spec is not None:
        return _slug(settings.spec.stem)
    bundled = _bundled_name(settings.data)
    if bundled is not None and not (settings.base_dir / settings.data).exists():
        return bundled + ("-error" if scores.minimize else "")
    return _slug(Path(settings.data).stem)


def _out_dir(settings: Settings, scores, cwd=None) -> Path:
    if settings.out is not None:
        return Path(settings.out)
    cwd = Path.cwd() if cwd is None else Path(cwd)
    return cwd / DEFAULT_RESULTS / _result_name(settings, scores)


# ----------------------------------------------------------------------------- commands


def _fit_function():
    """``bayesnq.fit`` (looked up at call time, so that tests can stand in for it)."""
    import bayesnq

    fit = getattr(bayesnq, "fit", None)
    if fit is None:  # pragma: no cover - only before bayesnq.inference exists
        raise UserError("bayesnq.fit is not available in this installation")
    return fit


def _curve_grid(size: int) -> list[float]:
    grid, n = [], 1
    while n <= 100 * size:
        grid.append(float(n))
        n *= 2
    return grid


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str):
        try:
            x = x.item()
        except (ValueError, TypeError):
            pass
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, Path):
        return str(x)
    return x


def _format_curve(curve, empirical) -> str:
    head = f"{'n':>9}  {'lower':>10}  {'median':>10}  {'upper':>10}  {'predictive':>10}  {'empirical':>10}"
    lines = [head]
    for i, n in enumerate(curve.n):
        emp = "" if math.isnan(empirical[i]) else f"{empirical[i]:.7g}"
        lines.append(
            f"{int(n):>9d}  {curve.lower[i]:>10.7g}  {curve.median[i]:>10.7g}  "
            f"{curve.upper[i]:>10.7g}  {curve.predictive[i]:>10.7g}  {emp:>10}"
        )
    return "\n".join(lines)


def _run_fit(args, out=None) -> int:
    import numpy as np

    from bayesnq import curves, plots

    out = sys.stdout if out is None else out
    settings = resolve_settings(args)
    if settings.threshold is None:
        raise UserError("threshold: required for a fit; pass --threshold X or set it in the spec file")
    scores = load_data(settings)
    out_dir = _out_dir(settings, scores)
    fit_fn = _fit_function()
    print(scores.summary(), file=out)
    print(
        f"fitting: threshold {_format_threshold(settings.threshold)}, "
        f"{'minimize' if scores.minimize else 'maximize'}, gamma {settings.gamma}"
        f"{f' <= {settings.n_hyperparameters}' if settings.n_hyperparameters else ''}, "
        f"{settings.chains} chains x ({settings.warmup} warmup + {settings.samples} draws), "
        f"seed {settings.seed}",
        file=out,
        flush=True,
    )
    with warnings.catch_warnings(record=True) as caught:  # reported below, one line each
        fit = fit_fn(
            scores,
            minimize=scores.minimize,
            threshold=settings.threshold,
            n_hyperparameters=settings.n_hyperparameters,
            bounds=settings.bounds,
            gamma=settings.gamma,
            num_chains=settings.chains,
            num_warmup=settings.warmup,
            num_samples=settings.samples,
            seed=settings.seed,
            progress_bar=not args.no_progress,
        )
    for w in caught:
        print(f"bayesnq: warning: {w.message}", file=sys.stderr)
    table = fit.summary()
    print("\nposterior summary", file=out)
    print(table.to_string(float_format=lambda v: f"{v:.6g}"), file=out)
    if getattr(fit, "thresholds", None) is not None:
        print(f"\n{table.attrs.get('threshold_note', '')}", file=out)
        print(fit.threshold_probabilities().to_string(float_format=lambda v: f"{v:.4g}"),
              file=out)

    size = len(scores)
    n = _curve_grid(size)
    curve = curves.tuning_curve(fit.draws(), n, minimize=fit.minimize, q=0.5, ci=0.8)
    empirical = np.full(curve.n.size, np.nan)
    inside = curve.n <= size
    empirical[inside] = curves.empirical_tuning_curve(
        scores.values, curve.n[inside], minimize=fit.minimize, q=0.5)
    print(f"\nmedian tuning curve (best of n runs; {curve.ci:.0%} credible band; "
          f"empirical for n <= {size})", file=out)
    print(_format_curve(curve, empirical), file=out)

    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "summary.csv")
    with open(out_dir / "tuning_curve.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["n", "lower", "median", "upper", "predictive", "empirical"])
        for i in range(curve.n.size):
            writer.writerow([
                int(curve.n[i]), repr(float(curve.lower[i])), repr(float(curve.median[i])),
                repr(float(curve.upper[i])), repr(float(curve.predictive[i])),
                "" if math.isnan(empirical[i]) else repr(float(empirical[i])),
            ])
    report = {
        "name": _result_name(settings, scores),
        "data": settings.data,
        "spec": settings.spec,
        "rule": scores.rule,
        "n_runs": size,
        "minimize": fit.minimize,
        "threshold": fit.threshold,
        "n_hyperparameters": settings.n_hyperparameters,
        "bounds": settings.bounds if settings.bounds is not None else scores.bounds,
        "gamma": settings.gamma,
        "sampler": {"chains": settings.chains, "warmup": settings.warmup,
                    "samples": settings.samples, "seed": settings.seed},
        "summary": {str(k): dict(v) for k, v in table.to_dict(orient="index").items()},
        "summary_attrs": dict(table.attrs),
        "tuning_curve": curve.to_dict(),
        "empirical_tuning_curve": empirical.tolist(),
    }
    if callable(getattr(fit, "diagnostics", None)):
        report["diagnostics"] = fit.diagnostics()
    with open(out_dir / "summary.json", "w") as fh:
        json.dump(_jsonable(report), fh, indent=2)
    fit.idata.to_netcdf(str(out_dir / "posterior.nc"))
    written = plots.save_all(fit, out_dir)
    files = ["summary.csv", "summary.json", "posterior.nc", "tuning_curve.csv",
             *(os.path.basename(p) for p in written.values())]
    print(f"\nwrote {', '.join(files)} to {out_dir}", file=out)
    return 0


def _format_threshold(threshold) -> str:
    return threshold if isinstance(threshold, str) else f"{threshold:g}"


def _run_thresholds(args, out=None) -> int:
    """``bayesnq thresholds``: :func:`bayesnq.compare_thresholds`, its table and plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from bayesnq import criteria, plots

    out = sys.stdout if out is None else out
    settings = resolve_settings(args)
    scores = load_data(settings)
    out_dir = _out_dir(settings, scores)
    grid = args.thresholds
    if grid is None:
        grid = criteria.default_thresholds(scores, n=args.n_thresholds)
    print(scores.summary(), file=out)
    print(f"comparing {len(np.unique(grid))} thresholds: "
          f"{', '.join(f'{t:.6g}' for t in np.unique(grid))}; "
          f"{settings.chains} chains x ({settings.warmup} warmup + {settings.samples} draws) "
          "per fit", file=out, flush=True)
    result = criteria.compare_thresholds(
        scores, grid, minimize=scores.minimize, n_hyperparameters=settings.n_hyperparameters,
        bounds=settings.bounds, gamma=settings.gamma, rank_by=args.rank_by,
        num_chains=settings.chains, num_warmup=settings.warmup, num_samples=settings.samples,
        seed=settings.seed, progress=not args.no_progress,
    )
    table = result.table
    print(f"\nthresholds ranked by {args.rank_by} PSIS-LOO elpd (val_*: validation threshold "
          f"{result.validation_threshold:.6g}; weights: stacking)", file=out)
    print(table.to_string(float_format=lambda v: f"{v:.5g}"), file=out)
    print(f"\nbest threshold: {result.best:.6g}", file=out)

    size = len(scores)
    curve = result.tuning_curve(_curve_grid(size), q=0.5, ci=0.8)
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "thresholds.csv")
    with open(out_dir / "tuning_curve.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["n", "lower", "median", "upper", "predictive"])
        for i in range(curve.n.size):
            writer.writerow([int(curve.n[i]), *(repr(float(getattr(curve, k)[i]))
                                                for k in ("lower", "median", "upper", "predictive"))])
    written = []
    for name, fig in (("parameter_stability.png", plots.plot_parameter_stability(result)),
                      ("tuning_curve.png", plots.plot_tuning_curve(
                          curve, empirical=scores.values, k_star=False,
                          title="Tuning curve, stacked over thresholds"))):
        try:
            fig.savefig(out_dir / name, dpi=120)
        finally:
            plt.close(fig)
        written.append(name)
    print(f"\nwrote thresholds.csv, tuning_curve.csv, {', '.join(written)} to {out_dir}",
          file=out)
    return 0


def _run_landscape(args, out=None) -> int:
    out = sys.stdout if out is None else out
    settings = resolve_settings(args)
    scores = load_data(settings)
    out_dir = _out_dir(settings, scores)
    from bayesnq import landscape

    kwargs = {} if args.k is None else {"k": args.k}
    if settings.floor is not None:
        kwargs["floor"] = settings.floor
    posterior = getattr(args, "posterior", None)
    if posterior is None and (out_dir / "posterior.nc").is_file():
        posterior = out_dir / "posterior.nc"
    gamma_draws = None
    if posterior is not None:
        gamma_draws, sigma = _posterior_gamma_sigma(posterior)
        kwargs["sigma"] = sigma
        print(f"using gamma draws and sigma = {sigma:.4g} (posterior median) from {posterior}",
              file=out)
    if getattr(args, "sigma", None) is not None:
        kwargs["sigma"] = args.sigma
    result = landscape.report(scores, out_dir, gamma_draws=gamma_draws, **kwargs)
    table = getattr(result, "format_table", None)
    if callable(table):
        print(table(), file=out)
    print(f"\nwrote landscape.csv, landscape.json, landscape.png to {out_dir}", file=out)
    return 0


def _posterior_gamma_sigma(path):
    """Gamma draws and the posterior median of sigma from a ``posterior.nc`` of ``bayesnq fit``."""
    import numpy as np

    from bayesnq import arviz_compat

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"posterior {str(path)!r} not found")
    try:
        idata = arviz_compat.from_netcdf(path)
        post = idata.posterior
        gamma = np.asarray(post["gamma"]).ravel()
        sigma = float(np.median(np.asarray(post["sigma"])))
    except (KeyError, AttributeError, ValueError) as exc:
        raise UserError(
            f"posterior {str(path)!r} is not a bayesnq fit (needs gamma and sigma): {exc}"
        ) from None
    if not sigma > 0:
        raise UserError(f"posterior {str(path)!r}: median sigma is {sigma!r}, expected > 0")
    return gamma, sigma


# ----------------------------------------------------------------------------- main


def _run_calibrate(args, out=None) -> int:
    """``bayesnq calibrate sbc|coverage``: run (or resume) a study; write tables and plots."""
    from bayesnq import plots, studies

    out = sys.stdout if out is None else out
    common = dict(num_chains=args.chains, num_warmup=args.warmup, num_samples=args.samples,
                  seed=args.seed, batch_size=args.batch_size, executor=args.executor,
                  address=args.address, progress_bar=not args.no_progress)
    if args.study == "sbc":
        threshold = 0.0 if args.threshold is None else args.threshold
        if isinstance(threshold, str):
            raise UserError("threshold: sbc simulates at a fixed threshold; give a number")
        out_dir = Path(args.out) if args.out else DEFAULT_RESULTS / "calibration-sbc"
        out_dir.mkdir(parents=True, exist_ok=True)
        print(f"sbc: {args.replicates or 200} replicates of {args.n} runs, threshold "
              f"{threshold:g}; records stream to {out_dir / 'records.jsonl'}", file=out,
              flush=True)
        result = studies.sbc(replicates=args.replicates or 200, n=args.n, threshold=threshold,
                             minimize=bool(args.minimize),
                             n_hyperparameters=args.n_hyperparameters or 5,
                             num_ranks=args.ranks, path=out_dir / "records.jsonl", **common)
        table = result.table()
        fig = plots.plot_sbc(result)
        fig.savefig(out_dir / "sbc_ecdf.png", dpi=120)
    else:
        settings = resolve_settings(args)
        if settings.threshold is None:
            raise UserError("threshold: required for coverage; pass --threshold X")
        scores = load_data(settings)
        if settings.bounds is not None:
            scores = _with(scores, bounds=tuple(settings.bounds))
        out_dir = (Path(args.out) if args.out else
                   DEFAULT_RESULTS / f"calibration-coverage-{_slug(scores.name or 'scores')}")
        out_dir.mkdir(parents=True, exist_ok=True)
        print(scores.summary(), file=out)
        print(f"coverage: sizes {' '.join(map(str, args.sizes))}, {args.replicates or 100} "
              f"replicates each, threshold {settings.threshold}; records stream to "
              f"{out_dir / 'records.jsonl'}", file=out, flush=True)
        result = studies.coverage(
            scores, sizes=tuple(args.sizes), replicates=args.replicates or 100,
            levels=tuple(args.levels), threshold=settings.threshold,
            n_hyperparameters=settings.n_hyperparameters, method=args.method,
            opda=not args.no_opda, path=out_dir / "records.jsonl", **common)
        table = result.table()
        fig = plots.plot_coverage(result)
        fig.savefig(out_dir / "coverage.png", dpi=120)
    table.to_csv(out_dir / "table.csv", index=args.study == "sbc")
    with open(out_dir / "table.json", "w") as fh:
        json.dump(_jsonable(table.reset_index().to_dict(orient="records")), fh, indent=1)
    print(table.to_string(float_format=lambda v: f"{v:.4g}"), file=out)
    print(f"wrote {out_dir}", file=out)
    return 0


def main(argv=None) -> int:
    """Entry point of the ``bayesnq`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for a user error (reported as ``bayesnq: error: ...`` on stderr).
        Invalid options exit through argparse (status 2, usage message).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    from bayesnq.inference import _use_compilation_cache

    _use_compilation_cache()
    try:
        return args.func(args)
    except (ValueError, OSError) as exc:
        message = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError) and exc.filename:
            message = f"{exc.strerror or exc}: {exc.filename}"
        print(f"bayesnq: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
