"""Tables and figure of a landscape-bank study file (docs/bank-results.md).

    python tools/bank_report.py RECORDS.jsonl [--figure docs/bank-coverage.png]

Prints markdown tables: failure rates pooled over landscapes per size, level and check;
per landscape at the 80% level; the regime check (miss rates among flagged and unflagged
searches); writes the nominal-against-actual figure.
"""

import argparse
import math

import numpy as np

from bayesnq.calibration.bank import load_bank
from bayesnq.calibration.statistics import binomial_interval


def _ci(f, t):
    if not t:
        return "n/a"
    lo, hi = binomial_interval(f, t)
    return f"{f / t:.2f} [{lo:.2f}, {hi:.2f}] ({f}/{t})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("records")
    ap.add_argument("--figure")
    a = ap.parse_args()
    res = load_bank(a.records)
    s = res.settings
    fitted = [r for r in res.records if r["skipped"] is None]
    print(f"searches: {len(res.records)} ({len(res.records) - len(fitted)} skipped); "
          f"settings: {s['num_chains']} chains x ({s['num_warmup']} + {s['num_samples']}), "
          f"threshold {s['threshold']} (tail fraction {s['tail_fraction']}), "
          f"opda {s['opda_method']}")
    pooled = res.table(by_landscape=False)
    print("\n### Pooled over landscapes\n")
    print("| size | level | check | failure rate [95% CI] (failures/trials) | nominal |")
    print("|---|---|---|---|---|")
    for _, r in pooled.iterrows():
        print(f"| {r['size']} | {r['level']:g} | {r['check']} | "
              f"{_ci(r['failures'], r['trials'])} | {r['nominal']:g} |")
    print("\n### Pointwise, k up to the search's size only (no extrapolation)\n")
    for size in s["sizes"]:
        inside = res.table(by_landscape=False, k_max=size)
        inside = inside[(inside["size"] == size) & inside["check"].str.endswith("pointwise")]
        for _, r in inside.iterrows():
            print(f"- {r['size']} runs, {r['level']:g}, {r['check']}: "
                  f"{_ci(r['failures'], r['trials'])}")
    full = res
    for size in s["sizes"]:
        res = full.where(lambda r, n=size: r["size"] == n)
        fitted = [r for r in res.records if r["skipped"] is None]
        if fitted:
            _per_size(res, fitted, size)
    if a.figure:
        from bayesnq.plots.bank import plot_bank_coverage
        fig = plot_bank_coverage(full)
        fig.savefig(a.figure, dpi=110)
        print(f"wrote {a.figure}")


def _per_size(res, fitted, size):
    """Per-landscape and regime-check tables of one size."""
    s = res.settings
    per = res.table(by_landscape=True)
    per = per[(per["level"] == 0.8) & (per["size"] == size)]
    print(f"\n### Per landscape, 80% level, {size} runs (flagged: the regime check)\n")
    cols = ["curve, pointwise", "curve, simultaneous", "best score", "opda, pointwise",
            "opda, simultaneous"]
    print("| landscape | searches | flagged | " + " | ".join(cols) + " |")
    print("|---|---|---|" + "---|" * len(cols))
    from bayesnq.calibration.bank_results import SIGNALS
    for land in s["landscapes"]:
        rows = per[per["landscape"] == land].set_index("check")
        if rows.empty:
            print(f"| {land} | 0 | | " + " | ".join("" for _ in cols) + " |")
            continue
        recs = [r for r in fitted if r["landscape"] == land]
        flagged = sum(SIGNALS["regime check"][1](r) for r in recs)
        cells = []
        for c in cols:
            if c in rows.index:
                f, t = int(rows.loc[c, "failures"]), int(rows.loc[c, "trials"])
                cells.append(f"{f}/{t}")
            else:
                cells.append("")
        print(f"| {land} | {int(rows['searches'].iloc[0])} | {flagged} | "
              + " | ".join(cells) + " |")
    for check in ("curve, simultaneous", "best score"):
        print(f"\n### Regime check: misses of the 80% {check}, {size} runs\n")
        reg = res.regime_table(level=0.8, check=check)
        print("| signal | flagged | miss rate, flagged | miss rate, unflagged | "
              "misses flagged |")
        print("|---|---|---|---|---|")
        for _, r in reg.iterrows():
            mf = "n/a" if math.isnan(r["misses_flagged"]) else f"{r['misses_flagged']:.2f}"
            print(f"| {r['signal']} | {r['flagged']}/{r['searches']} | "
                  f"{_ci(r['miss_flagged'], r['flagged'])} | "
                  f"{_ci(r['miss_unflagged'], r['searches'] - r['flagged'])} | {mf} |")
    tails = np.array([r["n_tail"] for r in fitted])
    div = np.array([r["divergences"] for r in fitted])
    print(f"\ntail runs: median {np.median(tails):.0f} (range {tails.min()}-{tails.max()}); "
          f"searches with divergences: {(div > 0).sum()}/{div.size}")


if __name__ == "__main__":
    main()
