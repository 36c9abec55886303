"""Sampler health on tied lattice scores: simulated searches of 48 to 1,024 runs.

Each search is scored on N validation examples (scores k/N, heavy ties at the top, a known
noisy quadratic truth and a fixed threshold: ``bayesnq.calibration.lattice``) and fitted
with ``resolution="auto"``. Prints one markdown row per search: runs, N, tail runs, distinct
tail scores, runs tied at the best score, max r-hat, divergences, bulk ESS of beta, wall
time (compile + sample), whether the 90% intervals of beta, gamma and sigma cover the truth,
and the sd of 10 re-trainings of the best run against sigma's interval. Usage:
python benchmarks/bench_lattice.py [--chains 4 --warmup 1000 --samples 1000] [--seed 0]
    [--sizes 48:500,128:1000,512:5000,1024:10000,1024:719]
"""

import argparse
import json
import time
import warnings

import bayesnq
from bayesnq.calibration.lattice import (fit_lattice_search, lattice_record,
                                         simulate_lattice_search)

bayesnq.configure()  # parallel chains and the compilation cache, as the CLI sets them

DEFAULT_SIZES = "48:500,128:1000,512:5000,1024:10000,1024:719"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="runs:examples pairs, comma-separated")
    p.add_argument("--json", help="also append one JSON record per search to this file")
    a = p.parse_args()
    print("| runs | N | tail runs | distinct tail | tied at top | max r-hat | divergences "
          "| ESS(beta) | time (s) | beta, gamma, sigma covered | re-train sd in sigma's 90% |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for pair in a.sizes.split(","):
        n, n_examples = (int(x) for x in pair.split(":"))
        s = simulate_lattice_search(n, n_examples, seed=a.seed)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = fit_lattice_search(s, num_chains=a.chains, num_warmup=a.warmup,
                                   num_samples=a.samples, seed=a.seed)
        wall = time.perf_counter() - t
        r = lattice_record(s, f, seed=a.seed)
        covered = "/".join("yes" if r[f"{k}_covers"] else "no" for k in ("beta", "gamma",
                                                                           "sigma"))
        print(f"| {n} | {n_examples} | {r['tail']} | {r['distinct_tail']} | "
              f"{r['ties_at_top']} | {r['max_r_hat']:.4f} | {r['divergences']} | "
              f"{r['ess_beta']:.0f} | {wall:.0f} | {covered} | "
              f"{'yes' if r['sigma_covers_retrain'] else 'no'} |", flush=True)
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(r | {"time_s": wall, "seed": a.seed,
                                         "truth": s.truth}) + "\n")


if __name__ == "__main__":
    main()
