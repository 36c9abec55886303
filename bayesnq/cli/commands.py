"""The four commands: ``fit``, ``thresholds``, ``landscape`` and ``calibrate``.

Each takes the parsed arguments, prints its results, writes its files and returns the exit
status. Each imports the computing modules it needs when it runs.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from bayesnq.cli import outputs
from bayesnq.cli.compare import run_compare
from bayesnq.cli.inputs import load_data, load_tail_fit
from bayesnq.cli.specs import UserError, resolve_settings

__all__ = ["run_fit", "run_thresholds", "run_landscape", "run_calibrate", "COMMANDS"]


def run_fit(args) -> int:
    """``bayesnq fit``: :func:`bayesnq.fit`, its summary, tuning curve, files and plots."""
    import numpy as np

    import bayesnq
    from bayesnq import curves

    plots = _plots()
    settings = resolve_settings(args)
    auto = settings.threshold is None  # no --threshold and none in a spec: infer it
    if auto:
        settings.threshold = "auto"
    scores = load_data(settings)
    out_dir = _prepare(args, settings, scores, "fit")
    print(scores.summary())
    if auto:
        print("threshold: none given (--threshold or the spec's threshold), so it is inferred "
              "(threshold 'auto': marginalized over 16 candidates); 'bayesnq thresholds' "
              "compares candidates side by side", flush=True)
    print(
        f"fitting: threshold {outputs.format_threshold(settings.threshold)}, "
        f"{'minimize' if scores.minimize else 'maximize'}, gamma {settings.gamma}"
        f"{f' <= {settings.n_hyperparameters}' if settings.n_hyperparameters else ''}, "
        f"{settings.chains} chains x ({settings.warmup} warmup + "
        f"{outputs.format_draws(settings.samples)}), seed {settings.seed}",
        flush=True,
    )
    with warnings.catch_warnings(record=True) as caught:  # reported below, one line each
        fit = bayesnq.fit(
            scores,
            minimize=scores.minimize,
            threshold=settings.threshold,
            n_hyperparameters=settings.n_hyperparameters,
            bounds=settings.bounds,
            gamma=settings.gamma,
            resolution=settings.resolution,
            num_chains=settings.chains,
            num_warmup=settings.warmup,
            num_samples=settings.samples,
            seed=settings.seed,
            progress_bar=not args.no_progress,
        )
    for w in caught:
        print(f"bayesnq: warning: {w.message}", file=sys.stderr)
    more_m = getattr(args, "more_runs", None) or 100
    table = fit.summary(m=more_m)
    if fit.resolution_note:
        print(f"resolution: {fit.resolution_note}")
    print(f"\n{table.attrs['caption']}")
    print(outputs.format_summary(table))
    pit = table.attrs["loo_pit"]
    print(f"\nfit check (LOO-PIT of the {pit['n']} runs beyond the threshold): KS p = "
          f"{pit['ks_p_value']:.3g}, largest Pareto k {pit['pareto_k_max']:.2f}"
          f"{'' if pit['ks_p_value'] >= 1e-6 else '  <- the tail does not fit: see the warning'}")
    from bayesnq.inference.regime import regime_check, regime_line

    print(regime_line(regime_check(fit)))
    if fit.thresholds is not None:
        print(f"\n{table.attrs.get('threshold_note', '')}")
        print(fit.threshold_probabilities().to_string(float_format=lambda v: f"{v:.4g}"))
    delta = getattr(args, "delta", None)
    delta, why = (delta, "--delta") if delta is not None else outputs.default_delta(
        scores, fit.resolution)
    more = [fit.more_runs(m=more_m, delta=x) for x in dict.fromkeys((0.0, delta))]
    print(f"\n{outputs.format_more_runs(more)}\n  (delta {delta:g}: {why})")

    size = len(scores)
    curve = curves.tuning_curve(fit.draws(), outputs.curve_grid(size), minimize=fit.minimize,
                                q=0.5, ci=curves.DEFAULT_CI)
    empirical = np.full(curve.n.size, np.nan)
    inside = curve.n <= size
    empirical[inside] = curves.empirical_tuning_curve(
        scores.values, curve.n[inside], minimize=fit.minimize, q=0.5)
    print(f"\nmedian tuning curve of a fresh search (best of n runs from scratch; "
          f"{curve.ci:.0%} credible band; empirical for n <= {size})")
    print(outputs.format_curve(curve, empirical))

    table.to_csv(out_dir / "summary.csv")
    outputs.write_curve_csv(out_dir / "tuning_curve.csv", curve, empirical)
    outputs.write_json(out_dir / "summary.json", {
        "name": outputs.result_name(settings, scores),
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
                    "samples": fit.settings["num_samples"], "seed": settings.seed},
        "summary": {str(k): dict(v) for k, v in table.to_dict(orient="index").items()},
        "summary_attrs": dict(table.attrs),
        "tuning_curve": curve.to_dict(),
        "empirical_tuning_curve": empirical.tolist(),
        "diagnostics": fit.diagnostics(),
        "more_runs": [r.to_dict() for r in more],
    })
    fit.settings.update(data=settings.data, spec=settings.spec,
                        metric=fit.settings.get("metric") or settings.score)
    fit.save(out_dir / "posterior.nc", overwrite=True,
             predictive=bool(getattr(args, "predictive", False)))
    written = plots.save_all(fit, out_dir)
    files = ["summary.csv", "summary.json", "posterior.nc", "tuning_curve.csv",
             *(os.path.basename(p) for p in written.values())]
    fit.report(out_dir / "report.html", m=more_m, deltas=tuple(dict.fromkeys((0.0, delta))),
               source=outputs.dataset_identity(settings, scores, "fit")["source"],
               images=written)  # the PNGs just written, not drawn again
    files.append("report.html")
    print(f"\nwrote {', '.join(files)} to {out_dir}")
    return 0


def run_thresholds(args) -> int:
    """``bayesnq thresholds``: :func:`bayesnq.compare_thresholds`, its table and plots."""
    import numpy as np

    import bayesnq

    plots = _plots()
    settings = resolve_settings(args)
    scores = load_data(settings)
    out_dir = _prepare(args, settings, scores, "thresholds")
    grid = args.thresholds
    if grid is None:
        grid = bayesnq.default_thresholds(scores, n=args.n_thresholds)
    print(scores.summary())
    print(f"comparing {len(np.unique(grid))} thresholds: "
          f"{', '.join(f'{t:.6g}' for t in np.unique(grid))}; "
          f"{settings.chains} chains x ({settings.warmup} warmup + "
          f"{outputs.format_draws(settings.samples)}) "
          "per fit", flush=True)
    result = bayesnq.compare_thresholds(
        scores, grid, minimize=scores.minimize, n_hyperparameters=settings.n_hyperparameters,
        bounds=settings.bounds, gamma=settings.gamma, resolution=settings.resolution,
        rank_by=args.rank_by,
        num_chains=settings.chains, num_warmup=settings.warmup, num_samples=settings.samples,
        seed=settings.seed, progress=not args.no_progress,
    )
    table = result.table
    print(f"\nthresholds ranked by {args.rank_by} PSIS-LOO elpd (val_*: validation threshold "
          f"{result.validation_threshold:.6g}; weights: stacking)")
    print(table.to_string(float_format=lambda v: f"{v:.5g}"))
    print(f"\nbest threshold: {result.best:.6g}")

    curve = result.tuning_curve(outputs.curve_grid(len(scores)), q=0.5)
    table.to_csv(out_dir / "thresholds.csv")
    outputs.write_curve_csv(out_dir / "tuning_curve.csv", curve)
    outputs.save_figure(plots.plot_parameter_stability(result),
                        out_dir / "parameter_stability.png")
    outputs.save_figure(plots.plot_tuning_curve(curve, empirical=scores.values, k_star=False,
                                                title="Tuning curve, stacked over thresholds"),
                        out_dir / "tuning_curve.png")
    print(f"\nwrote thresholds.csv, tuning_curve.csv, parameter_stability.png, "
          f"tuning_curve.png to {out_dir}")
    return 0


def run_landscape(args) -> int:
    """``bayesnq landscape``: :func:`bayesnq.landscape.report` of the runs, and what it
    means in words (:func:`bayesnq.landscape.interpret`).

    The tail fit whose gamma is set beside the geometry (and whose sigma is the noise
    scale) is the one the user names, ``--fit PATH`` (checked to be a fit of these
    scores), or ``--fit same``, fitted here at ``--threshold``; it is never taken from the
    output folder unasked (issue 22: a folder may hold another dataset's posterior).
    """
    import textwrap

    settings = resolve_settings(args)
    if args.fit == "same" and settings.threshold is None:
        raise UserError("threshold: --fit same fits the tail here and needs --threshold X "
                        "(or 'auto', or the spec's threshold)")
    scores = load_data(settings)
    out_dir = _prepare(args, settings, scores, "landscape")
    _plots()
    from bayesnq import landscape

    print(scores.summary())
    kwargs = {} if args.k is None else {"k": args.k}
    if settings.floor is not None:
        kwargs["floor"] = settings.floor
    gamma_draws = None
    if args.fit == "same":
        gamma_draws, sigma = _fit_same(args, settings, scores)
        kwargs["sigma"] = sigma
    elif args.fit is not None:
        gamma_draws, sigma = load_tail_fit(args.fit, settings, scores)
        kwargs["sigma"] = sigma
        print(f"using gamma draws and sigma = {sigma:.4g} (posterior median) from {args.fit}")
    if args.sigma is not None:
        kwargs["sigma"] = args.sigma
    result = landscape.report(scores, out_dir, gamma_draws=gamma_draws, **kwargs)
    print(result.format_table())
    print("\nwhat this means for this search:")
    for line in landscape.interpret(result, gamma_draws):
        print(textwrap.fill(line, width=96, initial_indent="- ", subsequent_indent="  "))
    print(f"\nwrote landscape.csv, landscape.json, landscape.png to {out_dir}")
    return 0


def _fit_same(args, settings, scores):
    """``landscape --fit same``: the tail fitted on the landscape's own scores; its gamma
    draws and the posterior median of sigma."""
    import numpy as np

    import bayesnq

    print(f"fitting the tail on the same data: threshold "
          f"{outputs.format_threshold(settings.threshold)}, {settings.chains} chains x "
          f"({settings.warmup} warmup + {outputs.format_draws(settings.samples)}), seed "
          f"{settings.seed}",
          flush=True)
    with warnings.catch_warnings(record=True) as caught:
        fit = bayesnq.fit(scores, minimize=scores.minimize, threshold=settings.threshold,
                          n_hyperparameters=settings.n_hyperparameters, bounds=settings.bounds,
                          gamma=settings.gamma, resolution=settings.resolution,
                          num_chains=settings.chains, num_warmup=settings.warmup,
                          num_samples=settings.samples, seed=settings.seed,
                          progress_bar=not args.no_progress)
    for w in caught:
        print(f"bayesnq: warning: {w.message}", file=sys.stderr)
    post = fit.idata.posterior
    return np.asarray(post["gamma"]).ravel(), float(np.median(np.asarray(post["sigma"])))


def run_calibrate(args) -> int:
    """``bayesnq calibrate sbc|coverage``: run (or resume) a study; write tables and plots.

    An option of the other study (DATA and the data options, ``--sizes``, ... for
    coverage; ``--n``, ``--ranks`` for sbc) is a user error rather than ignored.
    """
    _check_study_options(args)
    from bayesnq import calibration

    plots = _plots()
    common = dict(num_chains=args.chains, num_warmup=args.warmup, num_samples=args.samples,
                  seed=args.seed, batch_size=args.batch_size, executor=args.executor,
                  address=args.address, progress_bar=not args.no_progress)
    if args.study == "bank":  # issue 26: the landscape bank
        from bayesnq.cli.bank import run_bank
        return run_bank(args, common)
    if args.study == "sbc":
        threshold = 0.0 if args.threshold is None else args.threshold
        if isinstance(threshold, str):
            raise UserError("threshold: sbc simulates at a fixed threshold; give a number")
        out_dir = Path(args.out) if args.out else outputs.DEFAULT_RESULTS / "calibration-sbc"
        outputs.prepare_out_dir(out_dir, outputs.dataset_identity(None, None, "calibrate sbc"),
                                overwrite=args.overwrite)
        n = 48 if args.n is None else args.n
        print(f"sbc: {args.replicates or 200} replicates of {n} runs, threshold "
              f"{threshold:g}; records stream to {out_dir / 'records.jsonl'}", flush=True)
        result = calibration.sbc(
            replicates=args.replicates or 200, n=n, threshold=threshold,
            minimize=bool(args.minimize), n_hyperparameters=args.n_hyperparameters or 5,
            num_ranks=100 if args.ranks is None else args.ranks,
            path=out_dir / "records.jsonl", **common)
        table = result.table()
        outputs.save_figure(plots.plot_sbc(result), out_dir / "sbc_ecdf.png")
    else:
        settings = resolve_settings(args)
        if settings.threshold is None:
            raise UserError("threshold: required for coverage; pass --threshold X")
        scores = load_data(settings)  # with the bounds of --bounds or the spec
        out_dir = (Path(args.out) if args.out else outputs.DEFAULT_RESULTS
                   / (f"calibration-coverage-{outputs.slug(scores.name or 'scores')}"
                      + outputs.path_tag(settings)))
        outputs.prepare_out_dir(
            out_dir, outputs.dataset_identity(settings, scores, "calibrate coverage"),
            overwrite=args.overwrite)
        sizes = (24, 48, 96) if args.sizes is None else tuple(args.sizes)
        levels = (0.5, 0.8, 0.95) if args.levels is None else tuple(args.levels)
        print(scores.summary())
        print(f"coverage: sizes {' '.join(map(str, sizes))}, {args.replicates or 100} "
              f"replicates each, threshold {settings.threshold}; records stream to "
              f"{out_dir / 'records.jsonl'}", flush=True)
        result = calibration.coverage(
            scores, sizes=sizes, replicates=args.replicates or 100,
            levels=levels, threshold=settings.threshold,
            n_hyperparameters=settings.n_hyperparameters, resolution=settings.resolution,
            method=args.method or "vectorized",
            opda=not args.no_opda, path=out_dir / "records.jsonl", **common)
        table = result.table()
        outputs.save_figure(plots.plot_coverage(result), out_dir / "coverage.png")
    table.to_csv(out_dir / "table.csv", index=args.study == "sbc")
    outputs.write_json(out_dir / "table.json", table.reset_index().to_dict(orient="records"),
                       indent=1)
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    print(f"wrote {out_dir}")
    return 0


# options of one study of ``bayesnq calibrate`` (attribute -> how the user wrote it)
COVERAGE_ONLY = {"data": "DATA", "score": "--score", "curve": "--curve", "bounds": "--bounds",
                 "sizes": "--sizes", "levels": "--levels", "method": "--method",
                 "no_opda": "--no-opda", "resolution": "--resolution",
                 "search_space": "--search-space", "optuna_study": "--study",
                 "objective": "--objective", "pruned": "--pruned"}
SBC_ONLY = {"n": "--n", "ranks": "--ranks"}


def _check_study_options(args) -> None:
    """A UserError naming the options given that belong to the other study."""
    own, other = (COVERAGE_ONLY, "coverage") if args.study == "sbc" else (SBC_ONLY, "sbc")
    given = [(flag, getattr(args, key)) for key, flag in own.items()
             if getattr(args, key, None) not in (None, False)]
    if not given:
        return
    shown = ", ".join(flag if value is True else f"{flag} {_show_value(value)}"
                      for flag, value in given)
    verb = "applies" if len(given) == 1 else "apply"
    why = (" (sbc simulates its searches: it reads no data)" if args.study == "sbc" else "")
    raise UserError(
        f"{shown}: {verb} to 'calibrate {other}' only, not to 'calibrate {args.study}'{why}; "
        f"remove {'it' if len(given) == 1 else 'them'}, or run 'bayesnq calibrate {other}'"
    )


def _show_value(value) -> str:
    if isinstance(value, list | tuple):
        return " ".join("none" if v is None else f"{v:g}" if isinstance(v, float) else str(v)
                        for v in value)
    return str(value)


def _prepare(args, settings, scores, command):
    """The command's output folder, created, checked writable and claimed for these scores
    before anything is computed (:func:`bayesnq.cli.outputs.prepare_out_dir`)."""
    return outputs.prepare_out_dir(
        outputs.out_dir(settings, scores),
        outputs.dataset_identity(settings, scores, command),
        overwrite=getattr(args, "overwrite", False),
    )


COMMANDS = {"fit": run_fit, "thresholds": run_thresholds, "landscape": run_landscape,
            "calibrate": run_calibrate}
COMMANDS["compare"] = run_compare  # bayesnq.cli.compare (issue 23)


def _plots():
    """:mod:`bayesnq.plots`, drawing on matplotlib's file-only backend (Agg: no windows)."""
    import matplotlib

    matplotlib.use("Agg")
    from bayesnq import plots

    return plots
