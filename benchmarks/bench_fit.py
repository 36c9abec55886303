"""Full posterior (bayesnq.fit) against opda's point fit, on the bundled data.

Prints one table: opda's NoisyQuadraticDistribution.fit time, bayesnq's first call
(compile + sample) and second call (sample only), their ratio, and bulk ESS per second for
the best-score parameter. Usage: python benchmarks/bench_fit.py [--chains 4 --warmup 1000
--samples 1000]
"""

import argparse
import time
import warnings

import numpy as np

import bayesnq
from bayesnq import _arviz

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
    rows = []
    for name, tau, k in CASES:
        s = bayesnq.datasets.load(name)
        t_opda, d = opda_fit(np.asarray(s.values), tau, k)
        times = []
        for seed in (0, 1):
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", bayesnq.DiagnosticsWarning)
                f = bayesnq.fit(s, threshold=tau, num_chains=a.chains, num_warmup=a.warmup,
                                num_samples=a.samples, seed=seed, progress_bar=False, check=False)
                f.draws()
            times.append(time.perf_counter() - t)
        ess = float(_arviz.ess(f.idata, var_names=["beta"])["beta"])
        med = np.median(f.draws()["beta"])
        rows.append((name, t_opda, times[0], times[1], times[1] / t_opda, ess, ess / times[1],
                     d.b, med))
    print(f"bayesnq.fit: {a.chains} chains x {a.warmup} warmup x {a.samples} draws; "
          "opda: NoisyQuadraticDistribution.fit (point estimate)")
    hdr = ("data", "opda s", "bayesnq 1st s", "bayesnq 2nd s", "ratio 2nd/opda",
           "ESS(beta)", "ESS/s", "opda b", "posterior median b")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.2f} | {r[5]:.0f} | "
              f"{r[6]:.0f} | {r[7]:.4f} | {r[8]:.4f} |")


if __name__ == "__main__":
    main()
