"""``bayesnq calibrate bank``: the landscape-bank study (issue 26)."""

from __future__ import annotations

from pathlib import Path

from bayesnq.cli import outputs
from bayesnq.cli.specs import UserError

__all__ = ["run_bank", "BANK_REFUSED"]

# options of ``calibrate`` that the bank study does not take (attribute -> as written)
BANK_REFUSED = {"data": "DATA", "score": "--score", "curve": "--curve", "bounds": "--bounds",
                "resolution": "--resolution", "n": "--n", "ranks": "--ranks",
                "minimize": "--minimize", "n_hyperparameters": "--n-hyperparameters"}


def run_bank(args, common) -> int:
    """Run (or resume) the bank study; write records.jsonl, table.csv/json, regime.csv and
    bank_coverage.png in ``--out`` (default results/calibration-bank)."""
    given = [flag for key, flag in BANK_REFUSED.items()
             if getattr(args, key, None) not in (None, False)]
    if given:
        raise UserError(f"{', '.join(given)}: not an option of 'calibrate bank' (it simulates "
                        "searches on the landscapes of --landscapes)")
    if args.threshold is not None and args.threshold != "auto":
        raise UserError("threshold: the bank study fixes each search's threshold by its rule "
                        f"or infers it ('auto'), got --threshold {args.threshold}")
    from bayesnq.calibration.bank import bank
    from bayesnq.calibration.bank_sources import BANK_LANDSCAPES
    from bayesnq.plots.bank import plot_bank_coverage

    names = tuple(args.landscapes) if getattr(args, "landscapes", None) else BANK_LANDSCAPES
    bad = [x for x in names if x not in BANK_LANDSCAPES]
    if bad:
        raise UserError(f"--landscapes: unknown {', '.join(bad)}; choose from "
                        f"{', '.join(BANK_LANDSCAPES)}")
    out_dir = Path(args.out) if args.out else outputs.DEFAULT_RESULTS / "calibration-bank"
    outputs.prepare_out_dir(out_dir, outputs.dataset_identity(None, None, "calibrate bank"),
                            overwrite=args.overwrite)
    sizes = (24, 48, 96, 256) if args.sizes is None else tuple(args.sizes)
    levels = (0.5, 0.8, 0.95) if args.levels is None else tuple(args.levels)
    threshold = "auto" if args.threshold == "auto" else "rule"
    replicates = args.replicates or 20
    print(f"bank: {len(names)} landscapes, sizes {' '.join(map(str, sizes))}, {replicates} "
          f"searches each, threshold {threshold}; records stream to "
          f"{out_dir / 'records.jsonl'}", flush=True)
    try:
        result = bank(names, sizes=sizes, replicates=replicates, levels=levels,
                      threshold=threshold,
                      method=args.method or ("fit" if threshold == "auto" else "vectorized"),
                      opda=not args.no_opda, path=out_dir / "records.jsonl", **common)
    except ImportError as e:
        raise UserError(str(e)) from None
    table = result.table(by_landscape=True)
    table.to_csv(out_dir / "table.csv", index=False)
    outputs.write_json(out_dir / "table.json", table.to_dict(orient="records"), indent=1)
    regime = result.regime_table()
    regime.to_csv(out_dir / "regime.csv", index=False)
    outputs.save_figure(plot_bank_coverage(result), out_dir / "bank_coverage.png")
    print(result.table(by_landscape=False).to_string(float_format=lambda v: f"{v:.4g}"))
    print(regime.to_string(float_format=lambda v: f"{v:.3g}"))
    print(f"wrote {out_dir}")
    return 0
