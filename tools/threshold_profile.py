"""Where does the threshold model put tau when the tail's parameters are known?

For synthetic searches with a known regime start (the threshold study's generator,
``bayesnq.calibration.regimes``), this computes the conditional posterior over the default
candidates at the *true* noisy quadratic parameters,

    P(tau_j | theta*, y)  proportional to  pi_j p(theta* | tau_j) exp(l_j(theta*) + B_j),

(``bayesnq.modeling.spliced``: the candidates' prior, theta's prior at each candidate, the
censored tail likelihood at each candidate plus the body's marginal), and prints the
median relative bias of the posterior median tail fraction per body family and size,
for each number of region bins M (one grid, no offsets). No sampler runs, so a design of
the body can be screened on hundreds of searches in minutes; a full ``threshold_study`` is the test of the one chosen.

    python tools/threshold_profile.py --seeds 41 42 43 44 --bins 2 3 4 5 [--truths prior]

The searches are those of ``threshold_study`` with the same seeds (first 60 per seed).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from bayesnq import direction, runtime
from bayesnq.calibration.threshold_study import study_search
from bayesnq.modeling import default_thresholds
from bayesnq.modeling.spliced import SplicedData, threshold_log_probabilities

SIZES = (48, 128, 512, 1024)


def searches(seeds, count, truths="range"):
    """The searches of ``threshold_study(seed=s, truths=truths)``, replicate 0 .. count - 1."""
    for seed in seeds:
        for i in range(count):
            yield study_search(seed, i, sizes=SIZES, truths=truths)[:4]


def profile(seeds, count, bins, truths="range"):
    rows = []
    for family, size, scores, t in searches(seeds, count, truths):
        runtime.release_compiled_programs()  # each search's shapes compile their own programs
        grid = default_thresholds(scores, minimize=t.minimize)
        a, b = direction.orient_ends(np.array(t.alpha), np.array(t.beta), t.minimize)
        for m in bins:
            data = SplicedData.build(scores, grid, minimize=t.minimize, region_bins=m,
                                     region_offsets=0)
            w = np.exp(np.asarray(threshold_log_probabilities(data, float(a), float(b),
                                                              t.gamma, t.sigma)))
            fr = data.tail_fractions
            order = np.argsort(fr)
            cum = np.cumsum(w[order]) / w.sum()
            median, lo, hi = (fr[order][min(np.searchsorted(cum, q - 1e-12), cum.size - 1)]
                              for q in (0.5, 0.05, 0.95))
            truth = t.observed_tail_fraction
            nearest = fr[np.argmin(np.abs(fr - truth))]
            rows.append(dict(bins=m, family=family, n=size, bias=(median - truth) / truth,
                             cover_90=bool(lo <= nearest <= hi)))
    return pd.DataFrame(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[41, 42, 43, 44])
    ap.add_argument("--count", type=int, default=60, help="searches per seed")
    ap.add_argument("--bins", type=int, nargs="+", default=[2, 3, 4, 5, 8])
    ap.add_argument("--truths", choices=("range", "prior"), default="range",
                    help="the threshold study's truths (prior: the threshold SBC's)")
    args = ap.parse_args()
    df = profile(args.seeds, args.count, args.bins, args.truths)
    for m, g in df.groupby("bins"):
        cell = g.groupby(["family", "n"]).bias.median()
        print(f"\nM = {m}: {len(g)} searches, median |bias| over searches "
              f"{g.bias.abs().median():.2f}, cells beyond +-25%: {(cell.abs() > 0.25).sum()} "
              f"of {cell.size}, worst cell {cell.abs().max():.2f}; the tail fraction's "
              f"90% interval at the true parameters covers {g.cover_90.mean():.2f}")
        print(cell.unstack().round(2).to_string())
        print(g.groupby(["family", "n"]).cover_90.mean().unstack().round(2).to_string())


if __name__ == "__main__":
    main()
