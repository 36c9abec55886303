"""Full posterior (bayesnq.fit) against opda's point fit, on the bundled data.

Prints one table: opda's NoisyQuadraticDistribution.fit time; bayesnq.fit's first call
(with an empty compilation cache: tracing, XLA compilation, sampling, post-processing) and a
repeated call with a new seed (compiled programs served from the cache, as for a re-run
notebook cell); the ratio of the repeated call to opda; bulk ESS per second for the
best-score parameter and the number of divergent transitions. A second table says where
the time goes, as ratios (issue 25): XLA compilation (JAX's compile events, summed) in the
first and the repeated call, the number of programs compiled in each, the mean tree depth
and leapfrog steps per draw, and the cost of one leapfrog step, estimated as the repeated
call's time over its leapfrog steps (the draws' steps, scaled by (warmup + samples) /
samples: warm-up trajectories taken as long as the sampling ones, an assumption), with the
warm-up share of the repeated call under the same assumption. Usage:
python benchmarks/bench_fit.py [--chains 4 --warmup 1000 --samples 1000] [--cases deberta-v3]
"""

import argparse
import os
import tempfile
import time
import warnings

import numpy as np
from jax import monitoring

import bayesnq
from bayesnq import arviz_compat

CASES = [("deberta-v3", 0.89, 5), ("alexnet", 0.50, 7), ("convnext", 0.60, 7)]  # tau: the paper's

_COMPILES = []  # (event, seconds) of every XLA compilation in this process
monitoring.register_event_duration_secs_listener(
    lambda event, secs, **kw: _COMPILES.append(secs) if "backend_compile" in event else None)


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


def arguments():
    """The command line shared with bench_bounds.py: NUTS settings and the cases."""
    p = argparse.ArgumentParser()
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--cases", nargs="*", default=[c[0] for c in CASES])
    return p.parse_args()


def main():
    a = arguments()
    # an empty compilation cache, so that the first call pays for compilation: the folder
    # is set before configure() reads it (configure at import time turned on the user's
    # cache folder, which may hold this benchmark's programs from an earlier run)
    os.environ["BAYESNQ_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_fit_cache_")
    applied = bayesnq.configure()  # parallel chains and the compilation cache, as the CLI
    assert applied["compilation_cache"] == os.environ["BAYESNQ_CACHE_DIR"], applied
    assert not os.listdir(applied["compilation_cache"]), "the compilation cache is not empty"
    rows, parts = [], []
    for name, tau, k in [c for c in CASES if c[0] in a.cases]:
        s = bayesnq.datasets.load(name)
        t_opda, d = opda_fit(np.asarray(s.values), tau, k)
        start = len(_COMPILES)
        t_first = timed_fit(s, tau, a.chains, a.warmup, a.samples, seed=0)[0]
        c_first = _COMPILES[start:]
        start = len(_COMPILES)
        t_full, f = timed_fit(s, tau, a.chains, a.warmup, a.samples, seed=1)
        c_full = _COMPILES[start:]
        ess = float(arviz_compat.ess(f.idata, var_names=["beta"])["beta"])
        div = int(np.asarray(f.idata.sample_stats["diverging"]).sum())
        med = np.median(f.draws()["beta"])
        rows.append((name, t_opda, t_first, t_full, t_full / t_opda, ess, ess / t_full, div,
                     d.b, med, t_first / t_opda))
        stats = f.idata.sample_stats
        depth = float(np.mean(stats["tree_depth"]))
        steps = float(np.mean(stats["n_steps"]))
        leapfrogs = steps * a.chains * (a.warmup + a.samples)
        parts.append((name, sum(c_first) / t_first, len(c_first), sum(c_full) / t_full,
                      len(c_full), a.warmup / (a.warmup + a.samples), depth, steps,
                      1e6 * (t_full - sum(c_full)) / leapfrogs))
    print(f"bayesnq.fit: {a.chains} chains x {a.warmup} warmup x {a.samples} draws; "
          "opda: NoisyQuadraticDistribution.fit (point estimate)")
    hdr = ("data", "opda s", "bayesnq first call s", "bayesnq repeat call s",
           "ratio first/opda", "ratio repeat/opda", "ESS(beta)", "ESS(beta)/s",
           "divergences", "opda b", "posterior median b")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.1f} | {r[3]:.1f} | {r[10]:.2f} | {r[4]:.2f} | "
              f"{r[5]:.0f} | {r[6]:.0f} | {r[7]} | {r[8]:.4f} | {r[9]:.4f} |")
    print()
    print("where the time goes (compile shares: XLA compile seconds / call seconds; "
          "warm-up share and leapfrog cost assume warm-up trajectories as long as the draws')")
    hdr = ("data", "compile share first", "programs compiled first", "compile share repeat",
           "programs compiled repeat", "warm-up share", "mean tree depth",
           "leapfrog steps per draw", "us per leapfrog (repeat, all chains)")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in parts:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]} | {r[3]:.2f} | {r[4]} | {r[5]:.2f} | "
              f"{r[6]:.2f} | {r[7]:.1f} | {r[8]:.1f} |")


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
