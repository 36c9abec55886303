"""``bayesnq compare A B``: is search A better than search B, and from how many runs on?

Each side is a spec file (``*.toml``), a bundled dataset name, a data file, or a fit saved
with ``Fit.save`` (``*.nc``, read with :func:`bayesnq.inference.persist.load_fit` where it
exists). The sides are fitted (unless saved) with the same sampler settings, compared with
:func:`bayesnq.compare` (independent fits, draws paired at random), printed, and written
as ``compare.csv`` (the per-budget table), ``compare.json`` and ``compare.png``.

Standard library only at import time, like the parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from pathlib import Path

__all__ = ["add_compare", "run_compare"]


def add_compare(sub, *, number, integer, threshold_value):
    """The ``compare`` subcommand; the option types are the parser's."""
    cmp_ = sub.add_parser(
        "compare", help="compare two searches: best ends and P(A's best of n beats B's)",
        description="Fit two searches (or load saved fits) and compare them: the posterior of "
        "the difference of the best possible scores, P(A better than B), and for each budget "
        "n the probability that the best of n runs of A beats the best of n runs of B, with "
        "the budget at which the ranking settles. The fits are taken as independent (draws "
        "paired at random). Writes compare.csv, compare.json and compare.png.",
    )
    for side in ("a", "b"):
        cmp_.add_argument(side, metavar=side.upper(),
                          help="a spec file (*.toml), a bundled dataset name, a data file, or "
                          "a saved fit (*.nc)")
    cmp_.add_argument("--threshold", type=threshold_value, metavar="X",
                      help="threshold of both sides (overrides the specs')")
    cmp_.add_argument("--threshold-a", type=threshold_value, metavar="X",
                      help="threshold of A only")
    cmp_.add_argument("--threshold-b", type=threshold_value, metavar="X",
                      help="threshold of B only")
    direction = cmp_.add_mutually_exclusive_group()
    direction.add_argument("--maximize", dest="minimize", action="store_const", const=False,
                           default=None, help="higher scores are better")
    direction.add_argument("--minimize", dest="minimize", action="store_const", const=True,
                           help="lower scores are better (both sides)")
    cmp_.add_argument("--score", metavar="COLUMN",
                      help="score column of data files, or the metric of bundled datasets")
    cmp_.add_argument("--ns", type=number("--ns"), nargs="+", metavar="N",
                      help="budgets (default 1 2 3 5 ... 1000)")
    cmp_.add_argument("--ci", type=number("--ci"), default=0.9, metavar="P",
                      help="level of the credible bands (default 0.9)")
    cmp_.add_argument("--settle", type=number("--settle"), default=0.9, metavar="P",
                      help="the ranking settles where P(A beats B) stays above P or below "
                      "1 - P (default 0.9)")
    cmp_.add_argument("--out", metavar="DIR",
                      help="output folder (default results/compare-<A>-vs-<B>)")
    cmp_.add_argument("--chains", type=integer("--chains"), metavar="N",
                      help="NUTS chains per fit (default: the spec's, else 4)")
    cmp_.add_argument("--warmup", type=integer("--warmup"), metavar="N",
                      help="warmup iterations per chain")
    cmp_.add_argument("--samples", type=integer("--samples"), metavar="N",
                      help="draws per chain")
    cmp_.add_argument("--seed", type=integer("--seed", minimum=0), metavar="N",
                      help="random seed of the fits and the pairing (default 0)")
    cmp_.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return cmp_


def _side_name(text: str) -> str:
    path = Path(text)
    return path.stem if path.suffix else text


def _load_saved(path: Path):
    try:
        persist = importlib.import_module("bayesnq.inference.persist")
    except ImportError:
        from bayesnq.cli.specs import UserError

        raise UserError(f"{path}: saved fits need bayesnq.inference.persist (load_fit), "
                        "which this version lacks; give a spec, dataset or data file") from None
    return persist.load_fit(path)


def _side(args, text, threshold):
    """(settings, scores) of one side, or (None, fit) for a saved fit."""
    from bayesnq.cli.inputs import load_data
    from bayesnq.cli.specs import UserError, resolve_settings

    if text.lower().endswith(".nc"):
        path = Path(text)
        if not path.is_file():
            raise UserError(f"{text}: no such saved fit")
        return None, _load_saved(path)
    ns = argparse.Namespace(data=text, score=args.score, curve=None, minimize=args.minimize,
                            bounds=None, threshold=threshold, n_hyperparameters=None,
                            gamma=None, resolution=None, chains=args.chains,
                            warmup=args.warmup, samples=args.samples, seed=args.seed, out=None)
    settings = resolve_settings(ns)
    if settings.threshold is None:
        raise UserError(f"threshold: required for {text!r}; pass --threshold X (both sides), "
                        "--threshold-a/--threshold-b, or give a spec file with a threshold")
    return settings, load_data(settings)


def _fit(settings, scores, progress):
    import bayesnq

    with warnings.catch_warnings(record=True) as caught:
        result = bayesnq.fit(scores, minimize=scores.minimize, threshold=settings.threshold,
                             n_hyperparameters=settings.n_hyperparameters,
                             bounds=settings.bounds, gamma=settings.gamma,
                             resolution=settings.resolution, num_chains=settings.chains,
                             num_warmup=settings.warmup, num_samples=settings.samples,
                             seed=settings.seed, progress_bar=progress)
    for w in caught:
        print(f"bayesnq: warning: {w.message}", file=sys.stderr)
    return result


def run_compare(args) -> int:
    """``bayesnq compare A B``: two fits, :func:`bayesnq.compare`, its table and figure."""
    import matplotlib

    matplotlib.use("Agg")
    import bayesnq
    from bayesnq.cli import outputs
    from bayesnq.cli.specs import UserError
    from bayesnq.validation import check_level, check_real

    try:
        check_level("ci", args.ci)
        check_real("settle", args.settle, low=0.5, high=1.0, low_open=True, high_open=True)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    names = (_side_name(args.a), _side_name(args.b))
    if names[0] == names[1]:
        names = (names[0] + " (A)", names[1] + " (B)")
    sides = [_side(args, args.a, args.threshold_a if args.threshold_a is not None
                   else args.threshold),
             _side(args, args.b, args.threshold_b if args.threshold_b is not None
                   else args.threshold)]
    directions = {bool(s[1].minimize) for s in sides}
    if len(directions) > 1:
        raise UserError("B must have the direction of A: one side minimizes and the other "
                        "maximizes (give --minimize or --maximize, or specs that agree)")
    out_dir = Path(args.out) if args.out else Path("results") / outputs.slug(
        f"compare-{names[0]}-vs-{names[1]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    probe = out_dir / ".bayesnq-write-test"
    probe.write_text("")
    probe.unlink()

    fits = []
    for name, (settings, obj) in zip(names, sides):
        if settings is None:
            print(f"{name}: saved fit ({obj.data.n} runs, threshold {obj.threshold:g})")
            fits.append(obj)
            continue
        print(f"{name}: {len(obj)} runs, threshold "
              f"{outputs.format_threshold(settings.threshold)}; fitting "
              f"({settings.chains} chains x ({settings.warmup} warmup + "
              f"{outputs.format_draws(settings.samples)}))",
              flush=True)
        fits.append(_fit(settings, obj, not args.no_progress))
    seed = args.seed if args.seed is not None else 0
    result = bayesnq.compare(fits[0], fits[1], ns=args.ns, ci=args.ci, settle=args.settle,
                             seed=seed, names=names)
    summary = result.summary()
    table = result.to_frame()
    print("\n" + summary.to_string(float_format=lambda v: f"{v:.5g}"))
    print(f"\nper budget ({result.ci:.0%} bands; P = posterior predictive probability that "
          f"{names[0]}'s best of n beats {names[1]}'s)")
    cols = ["p_a_beats_b", "p_se", "median_a", "median_b", "diff_median", "diff_lower",
            "diff_upper"]
    print(table[cols].to_string(float_format=lambda v: f"{v:.4g}"))
    print(f"\nranking: {result.settle_note}")
    print(f"assumption: {result.assumption}")
    table.to_csv(out_dir / "compare.csv")
    outputs.write_json(out_dir / "compare.json", result.to_dict())
    fig = bayesnq.plots.plot_comparison(result)
    outputs.save_figure(fig, out_dir / "compare.png")
    print(f"\nwrote compare.csv, compare.json, compare.png to {out_dir}")
    return 0
