"""Threshold inference on DeBERTaV3: the tau-marginalized fit against one fixed-tau fit.

Prints one table: wall time (compile + sample) of ``bayesnq.fit`` at the paper's threshold
0.89, of ``bayesnq.fit(threshold=<16 candidates>)`` (tail fractions 5%..80%) and of
``bayesnq.compare_thresholds`` with 8 candidates; the ratio to the fixed fit, bulk ESS of
beta per second, and where each puts the threshold. Usage:
python benchmarks/bench_thresholds.py [--chains 2 --warmup 500 --samples 500] [--skip-compare]
"""

import argparse
import time
import warnings

import numpy as np

import bayesnq
from bayesnq import arviz_compat
from bayesnq import compare_thresholds, default_thresholds

bayesnq.configure()  # parallel chains and the compilation cache, as the CLI sets them


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--skip-compare", action="store_true")
    a = p.parse_args()
    s = bayesnq.datasets.load("deberta-v3")
    kw = dict(num_chains=a.chains, num_warmup=a.warmup, num_samples=a.samples,
              progress_bar=False, check=False)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_fixed, f_fixed = timed(lambda: bayesnq.fit(s, threshold=0.89, **kw))
        grid = default_thresholds(s, n=16)
        t_auto, f_auto = timed(lambda: bayesnq.fit(s, threshold=grid, **kw))
    for label, t, f in (("fit, tau = 0.89", t_fixed, f_fixed),
                        (f"fit, tau over {grid.size} candidates", t_auto, f_auto)):
        ess = float(arviz_compat.ess(f.idata, var_names=["beta"])["beta"])
        b = f.draws()["beta"]
        g = f.draws()["gamma"]
        rows.append((label, t, t / t_fixed, ess / t, f.threshold,
                     f"{np.median(b):.5f} [{np.quantile(b, .05):.5f}, {np.quantile(b, .95):.5f}]",
                     f"{np.median(g):.2f} [{np.quantile(g, .05):.2f}, {np.quantile(g, .95):.2f}]"))
    if not a.skip_compare:
        t_cmp, cmp = timed(lambda: compare_thresholds(
            s, default_thresholds(s, n=8), num_chains=a.chains, num_warmup=a.warmup,
            num_samples=a.samples, progress=True))
        d = cmp.draws()
        rows.append(("compare_thresholds, 8 candidates", t_cmp, t_cmp / t_fixed, float("nan"),
                     cmp.best, f"{np.median(d['beta']):.5f} (stacked)",
                     f"{np.median(d['gamma']):.2f} (stacked)"))
    print(f"DeBERTaV3 accuracy, 1024 runs; NUTS {a.chains} chains x {a.warmup} warmup x "
          f"{a.samples} draws; times include compilation")
    hdr = ("case", "seconds", "x fixed", "ESS(beta)/s", "tau (MAP/best)", "beta median [90%]",
           "gamma median [90%]")
    print(" | ".join(hdr))
    print(" | ".join("---" for _ in hdr))
    for r in rows:
        print(f"{r[0]} | {r[1]:.1f} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.5g} | {r[5]} | {r[6]}")
    print("\nP(tau) of the marginalized fit:")
    print(f_auto.threshold_probabilities().to_string(float_format=lambda v: f"{v:.4g}"))
    if not a.skip_compare:
        print("\ncompare_thresholds table:")
        print(cmp.table.to_string(float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
