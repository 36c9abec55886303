"""A large search in bounded memory (issue 25): fit time and peak memory.

100,000 scores, 20% of them beyond the threshold and all of those distinct (20,000
distinct tail values), fitted with 2 chains x (200 warm-up + 200 draws); then the first
``summary()``. Prints the wall-clock time of each step, the XLA compilation time within
it, and the process's peak resident memory (``ru_maxrss``), with what the fit object
holds. Targets: fit <= 30 s, peak memory <= 1 GB. A fit of more than
``bayesnq.inference.fit.MAX_PER_RUN_RUNS`` runs keeps its pointwise log-likelihood per
distinct score with counts (no (draws x runs) array). Usage:
python benchmarks/bench_large.py [--runs 100000 --tail 0.2 --chains 2 --warmup 200 --samples 200]
[--cache DIR]  (default: an empty compilation cache, so compilation is included)
"""

import argparse
import os
import resource
import tempfile
import time
import warnings

import numpy as np
from jax import monitoring

import bayesnq

_COMPILES = []
monitoring.register_event_duration_secs_listener(
    lambda event, secs, **kw: _COMPILES.append(secs) if "backend_compile" in event else None)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def scores(n, tail, seed=0):
    """A noisy quadratic search: continuous scores, so the tail values are all distinct."""
    rng = np.random.default_rng(seed)
    y = 0.9 - 0.3 * rng.random(n) ** (2 / 3) + 0.004 * rng.standard_normal(n)
    return y, float(np.quantile(y, 1.0 - tail))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--tail", type=float, default=0.2)
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--cache", default=None)
    a = p.parse_args()
    os.environ["BAYESNQ_CACHE_DIR"] = a.cache or tempfile.mkdtemp(prefix="bench_large_")
    bayesnq.configure()
    y, tau = scores(a.runs, a.tail)
    n_tail = int((y > tau).sum())
    print(f"{a.runs} runs, {n_tail} beyond tau = {tau:.6g} ({np.unique(y[y > tau]).size} "
          f"distinct), {a.chains} chains x ({a.warmup} + {a.samples}); peak before fit "
          f"{peak_mb():.0f} MB")
    rows = []
    start, t = len(_COMPILES), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = bayesnq.fit(y, threshold=tau, bounds=(0, 1), num_chains=a.chains,
                        num_warmup=a.warmup, num_samples=a.samples, progress_bar=False)
    rows.append(("fit (with check)", time.perf_counter() - t, sum(_COMPILES[start:]),
                 peak_mb()))
    start, t = len(_COMPILES), time.perf_counter()
    table = f.summary()
    rows.append(("first summary()", time.perf_counter() - t, sum(_COMPILES[start:]),
                 peak_mb()))
    start, t = len(_COMPILES), time.perf_counter()
    loo = f.loo()
    rows.append(("loo() from distinct columns", time.perf_counter() - t,
                 sum(_COMPILES[start:]), peak_mb()))
    print("| step | wall s | of which XLA compile s | peak RSS so far MB |")
    print("|---|---|---|---|")
    for name, secs, comp, mb in rows:
        print(f"| {name} | {secs:.1f} | {comp:.1f} | {mb:.0f} |")
    compact = f.log_likelihood_distinct
    held = "per run" if compact is None else (
        f"{compact['y'].shape[-1]} distinct columns ({compact['y'].nbytes / 2**20:.1f} MiB)")
    print(f"log-likelihood held: {held}; groups: "
          f"{sorted(bayesnq.arviz_compat.group_datasets(f.idata))}")
    print(f"beta median {table.loc['beta', 'value']:.6g}, elpd_loo {loo['elpd_loo']:.1f}")


if __name__ == "__main__":
    main()
