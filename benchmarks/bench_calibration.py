"""Speed of the calibration studies: SBC replicates per minute for n = 48.

Prints one row per engine:

* ``compiled, lax.map, 1 device``: one compiled program runs a batch of replicates one
  after another (chains vmapped), on one JAX device (one core);
* ``compiled, lax.map, N devices``: the default of ``bayesnq.calibration.sbc`` — the
  batch split over the local devices (``jax.pmap``; one per core);
* ``compiled, vmap``: the batch in lockstep (``vmap_replicates=True``);
* ``fit() one after another``: ``bayesnq.fit`` per simulated search (what a plain loop
  over fits costs: every fit traces and compiles its own program).

Each row: replicates timed, seconds (after the first, compiling call for the compiled
engines; the compile time is printed separately), replicates per minute, minutes for 200
replicates, and the speed-up over ``fit()``. The machine is shared, so the load average is
printed with the table.

Usage: ``python benchmarks/bench_calibration.py [--replicates 16] [--fits 3]
[--warmup 500] [--samples 500] [--chains 2]``
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import jax
import numpy as np

import bayesnq
from bayesnq import calibration as studies
from bayesnq.calibration.engine import _num_devices

bayesnq.configure()  # parallel chains and the compilation cache, as the CLI sets them


def _searches(r, n, seed=0):
    base = jax.random.PRNGKey(seed)
    out, keys = [], []
    for i in range(r):
        kp, ky, kf = jax.random.split(jax.random.fold_in(base, i), 3)
        p = studies.prior_draws(kp, threshold=0.0, scale=1.0, gamma_max=5)
        p = {k: float(v[0]) for k, v in p.items()}
        out.append(studies.simulate_scores(ky, p, n, threshold=0.0))
        keys.append(kf)
    return np.stack(out), jax.numpy.stack(keys)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=16)
    ap.add_argument("--fits", type=int, default=3)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--n", type=int, default=48)
    args = ap.parse_args(argv)

    data, keys = _searches(args.replicates, args.n)
    kw = dict(threshold=0.0, scale=1.0, gamma_max=5, num_chains=args.chains,
              num_warmup=args.warmup, num_samples=args.samples)
    rows = []
    ndev = _num_devices(None, args.replicates)
    engines = (("compiled, lax.map, 1 device", False, 1),
               (f"compiled, lax.map, {ndev} devices", False, ndev),
               (f"compiled, vmap, {ndev} devices", True, ndev))
    for label, vm, dev in engines:
        t0 = time.perf_counter()
        studies.run_vectorized(data, keys=keys, vmap_replicates=vm, devices=dev, **kw)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        studies.run_vectorized(data, keys=keys, vmap_replicates=vm, devices=dev, **kw)
        dt = time.perf_counter() - t0
        rows.append((label, args.replicates, dt, first - dt))
        print(f"{label}: {dt:.1f} s for {args.replicates} (+{first - dt:.0f} s compile)",
              flush=True)
    t0 = time.perf_counter()
    for i in range(args.fits):
        y = data[i]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bayesnq.fit(y, threshold=0.0, n_hyperparameters=5, num_chains=args.chains,
                        num_warmup=args.warmup, num_samples=args.samples, seed=i,
                        progress_bar=False, check=False)
    dt = time.perf_counter() - t0
    rows.append(("fit() one after another", args.fits, dt, float("nan")))
    print(f"fit(): {dt:.1f} s for {args.fits}", flush=True)

    base = rows[-1][2] / rows[-1][1]
    print(f"\nSBC, n={args.n}, {args.chains} chains x ({args.warmup} warmup + {args.samples} "
          f"draws); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'engine':32s} {'reps':>5s} {'seconds':>8s} {'reps/min':>9s} {'min/200':>8s} "
          f"{'speed-up':>8s} {'compile s':>9s}")
    for label, r, dt, comp in rows:
        per = dt / r
        print(f"{label:32s} {r:5d} {dt:8.1f} {60 / per:9.2f} {200 * per / 60:8.1f} "
              f"{base / per:8.1f} {comp:9.0f}")


if __name__ == "__main__":
    main()
