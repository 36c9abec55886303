"""Full posterior (bayesnq.fit) against opda's point fit, on the bundled data.

Prints one table: opda's NoisyQuadraticDistribution.fit time; bayesnq.fit's first call
(with an empty compilation cache: tracing, XLA compilation, sampling, post-processing) and a
repeated call with a new seed (compiled programs served from the cache, as for a re-run
notebook cell); the ratio of the repeated call to opda; bulk ESS per second for the
best-score parameter and the number of divergent transitions. Usage:
python benchmarks/bench_fit.py [--chains 4 --warmup 1000 --samples 1000]
"""

import argparse
import os
import tempfile
import time
import warnings

import numpy as np

import bayesnq
from bayesnq import arviz_compat

bayesnq.configure()  # parallel chains and the compilation cache, as the CLI sets them

CASES = [("deberta-v3", 0.89, 5), ("alexnet", 0.50, 7)]


def opda_fit(y, tau, n_hparams):
    from opda.parametric import NoisyQuadraticDistribution

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = NoisyQuadraticDistribution.fit(
            y, limits=(tau, np.inf), constraints={"c": (1, n_hparams), "b": (-np.inf, 1.0)},
            generator=np.random.RandomState(0),
        )
    return time.perf_counter() - t, d


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--samples", type=int, default=1000)
    a = p.parse_args()
    # an empty compilation cache, so that the first call pays for compilation
    os.environ["BAYESNQ_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_fit_cache_")
    rows = []
    for name, tau, k in CASES:
        s = bayesnq.datasets.load(name)
        t_opda, d = opda_fit(np.asarray(s.values), tau, k)
        t_first = timed_fit(s, tau, a.chains, a.warmup, a.samples, seed=0)[0]
        t_full, f = timed_fit(s, tau, a.chains, a.warmup, a.samples, seed=1)
        ess = float(arviz_compat.ess(f.idata, var_names=["beta"])["beta"])
        div = int(np.asarray(f.idata.sample_stats["diverging"]).sum())
        med = np.median(f.draws()["beta"])
        rows.append((name, t_opda, t_first, t_full, t_full / t_opda, ess, ess / t_full, div,
                     d.b, med))
    print(f"bayesnq.fit: {a.chains} chains x {a.warmup} warmup x {a.samples} draws; "
          "opda: NoisyQuadraticDistribution.fit (point estimate)")
    hdr = ("data", "opda s", "bayesnq first call s", "bayesnq repeat call s",
           "ratio repeat/opda", "ESS(beta)", "ESS(beta)/s", "divergences", "opda b",
           "posterior median b")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.2f} | {r[5]:.0f} | "
              f"{r[6]:.0f} | {r[7]} | {r[8]:.4f} | {r[9]:.4f} |")


def timed_fit(s, tau, chains, warmup, samples, seed):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesnq.DiagnosticsWarning)
        f = bayesnq.fit(s, threshold=tau, num_chains=chains, num_warmup=warmup,
                        num_samples=samples, seed=seed, progress_bar=False, check=False)
        f.draws()
    return time.perf_counter() - t, f


if __name__ == "__main__":
    main()
