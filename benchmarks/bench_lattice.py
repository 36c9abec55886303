"""Sampler health on tied lattice scores: simulated searches of 48 to 1,024 runs.

Each search is scored on N validation examples (scores k/N, heavy ties at the top, a known
noisy quadratic truth and a fixed threshold: ``bayesnq.calibration.lattice``) and fitted
with ``resolution="auto"``. Prints one markdown row per search: runs, N, tail runs, distinct
tail scores, runs tied at the best score, max r-hat, divergences, bulk ESS of beta, wall
time (compile + sample), whether the 90% intervals of beta, gamma and sigma cover the truth,
and the sd of 10 re-trainings of the best run against sigma's interval. Usage:
python benchmarks/bench_lattice.py [--chains 4 --warmup 1000 --samples 2000] [--seed 0]
    [--sizes 48:500,128:1000,512:5000,1024:10000,1024:719]
With ``--ties 2,3,5,10,20`` it instead fits one 48-run search (N = 500, half the runs in
the tail) whose best m runs are set to the best score, for each m, with the tails padded
to one compiled sampler, and prints r-hat, divergences and sigma's 5% quantile and median
(a posterior that collapses has sigma piled at 0).
With ``--coverage 19,18,...`` it runs those seeds of the slow coverage test
(tests/test_resolution.py: the same searches, settings and records) and appends their
records to ``--json``: a second process can share the test's work (set
``BAYESNQ_CACHE_DIR`` to the test's folder to reuse its compiled samplers).
"""

import argparse
import dataclasses
import json
import time
import warnings

import bayesnq
from bayesnq.calibration.lattice import (fit_lattice_search, lattice_record,
                                         simulate_lattice_search)
from bayesnq.sampler_defaults import RESOLUTION_NUM_SAMPLES

bayesnq.configure()  # parallel chains and the compilation cache, as the CLI sets them

DEFAULT_SIZES = "48:500,128:1000,512:5000,1024:10000,1024:719"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--samples", type=int, default=RESOLUTION_NUM_SAMPLES,
                   help="draws per chain (default: fit's for scores with a resolution)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", type=float, default=None,
                   help="target acceptance (default: the fit's own, 0.95 with a resolution)")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="runs:examples pairs, comma-separated")
    p.add_argument("--json", help="also append one JSON record per search to this file")
    p.add_argument("--coverage", help="seeds, comma-separated: the coverage test's searches")
    p.add_argument("--ties", help="m values, comma-separated: the tied-top study instead")
    a = p.parse_args()
    if a.ties:
        return ties(a)
    if a.coverage:
        return coverage(a)
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
                                   num_samples=a.samples, seed=a.seed,
                                   target_accept_prob=a.target)
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


def ties(a):
    import numpy as np

    base = simulate_lattice_search(48, 500, tail_fraction=0.5, seed=a.seed)
    print(f"48 runs, N = 500, {base.tail.size} tail runs, truth {base.truth}")
    print("| m tied at top | distinct tail | max r-hat | divergences | sigma 5% | sigma median "
          "| beta 90% | time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for m in (int(x) for x in a.ties.split(",")):
        y = base.scores.copy()
        y[np.argsort(y)[-m:]] = y.max()
        s = dataclasses.replace(base, scores=y)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = fit_lattice_search(s, num_chains=a.chains, num_warmup=a.warmup,
                                   num_samples=a.samples, seed=a.seed, tail_size=32,
                                   target_accept_prob=a.target)
        wall = time.perf_counter() - t
        d = f.diagnostics()
        sig = f.draws()["sigma"]
        lo, hi = np.quantile(f.draws()["beta"], [0.05, 0.95])
        print(f"| {s.ties_at_top} | {np.unique(s.tail).size} | {max(d['r_hat'].values()):.4f} "
              f"| {d['divergences']} | {np.quantile(sig, 0.05):.2e} | {np.median(sig):.2e} "
              f"| {lo:.4f}-{hi:.4f} | {wall:.0f} |", flush=True)


COVERAGE_SIZES = (128, 256, 512)  # as in tests/test_resolution.py
COVERAGE_EXAMPLES = (500, 1000, 2000, 5000, 10_000)


def coverage(a):
    for seed in (int(x) for x in a.coverage.split(",")):
        s = simulate_lattice_search(COVERAGE_SIZES[seed % 3], COVERAGE_EXAMPLES[seed % 5],
                                    seed=seed)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = fit_lattice_search(s, seed=seed, tail_size=64)
        rec = lattice_record(s, f, seed=seed) | {"seed": seed,
                                                 "time_s": time.perf_counter() - t}
        print("lattice seed", seed, rec, flush=True)
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
