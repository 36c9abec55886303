"""What a user waits for after a fit (issue 25): the summary, tuning curves, runs to reach.

One process, one bundled search at the paper's threshold (4 chains x (1000 + 1000) by
default, ``check=False``), then, in order, each timed with the XLA compilation inside it:

- the first ``Fit.summary()`` (it compiles the expected-gain and average-curve kernels
  unless the compilation cache already holds them), and ``summary(m=50)`` after it;
- ``Fit.tuning_curve`` on grids of new lengths (10, 37, 100 points, then 37 again);
- ``Fit.average_tuning_curve`` on 50 points, ``Fit.runs_to_reach`` and ``more_runs(m=200)``.

A tuning curve is one quantile solve per draw and grid point (the per-draw curves) plus
the predictive mixture's; the last column divides each call's time by draws x points,
the cost of one such solve, which is what bounds a curve's time. Targets: first summary
<= 0.3 s, a curve <= 0.1 s per call after the first. Usage:
python benchmarks/bench_after_fit.py [--case deberta-v3] [--cache DIR]
(default: an empty compilation cache, so the first calls include compilation)
"""

import argparse
import os
import tempfile
import time

import numpy as np
from jax import monitoring

import bayesnq
from bench_fit import CASES  # this folder's bench_fit.py

_COMPILES = []
monitoring.register_event_duration_secs_listener(
    lambda event, secs, **kw: _COMPILES.append(secs) if "backend_compile" in event else None)


def timed(label, call, points, draws, rows):
    start, t = len(_COMPILES), time.perf_counter()
    call()
    dt = time.perf_counter() - t
    per = 1e6 * dt / (draws * points) if points else np.nan
    rows.append((label, dt, sum(_COMPILES[start:]), len(_COMPILES) - start, per))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", default="deberta-v3", choices=[c[0] for c in CASES])
    p.add_argument("--cache", default=None)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--samples", type=int, default=1000)
    a = p.parse_args()
    os.environ["BAYESNQ_CACHE_DIR"] = a.cache or tempfile.mkdtemp(prefix="bench_after_")
    bayesnq.configure()
    name, tau, _ = next(c for c in CASES if c[0] == a.case)
    s = bayesnq.datasets.load(name)
    t = time.perf_counter()
    f = bayesnq.fit(s, threshold=tau, num_chains=a.chains, num_warmup=a.warmup,
                    num_samples=a.samples, check=False, progress_bar=False)
    t_fit = time.perf_counter() - t
    draws = f.draws()["beta"].size
    rows = []
    timed("first summary()", f.summary, 0, draws, rows)
    timed("summary(m=50)", lambda: f.summary(m=50), 0, draws, rows)
    for n in (np.arange(1, 11), np.geomspace(1, 1000, 37), np.arange(1, 101),
              np.geomspace(2, 2000, 37)):
        timed(f"tuning_curve, {n.size} points", lambda: f.tuning_curve(n), n.size, draws,
              rows)
    timed("average_tuning_curve, 50 points",
          lambda: f.average_tuning_curve(np.arange(1, 51)), 50, draws, rows)
    best = float(np.median(f.draws()[f.best_name]))
    timed("runs_to_reach(median best)", lambda: f.runs_to_reach(best), 0, draws, rows)
    timed("more_runs(m=200)", lambda: f.more_runs(m=200), 0, draws, rows)
    print(f"{name}, tau {tau}: fit {t_fit:.1f} s ({a.chains} x ({a.warmup} + {a.samples}), "
          f"{draws} draws); compilation cache {os.environ['BAYESNQ_CACHE_DIR']}")
    print("| call | wall s | of which compile s | programs compiled | us per draw and point |")
    print("|---|---|---|---|---|")
    for label, dt, comp, count, per in rows:
        per_text = "" if np.isnan(per) else f"{per:.2f}"
        print(f"| {label} | {dt:.3f} | {comp:.2f} | {count} | {per_text} |")


if __name__ == "__main__":
    main()
