"""Benchmark of bayesnq.landscape.

Part 1 times every diagnostic on 1,024 runs (the bundled DeBERTaV3 data when available,
else a synthetic d = 5 landscape) with the default replicate counts. Part 2 runs the whole
analysis on a synthetic landscape of 100,000 runs in d = 5 and reports time and peak memory.

Usage: python benchmarks/bench_landscape.py [--large N] [--skip-large]
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bayesnq import landscape as L  # noqa: E402

SIGMA_DEBERTA = 1.1e-3  # NQ fit of the DeBERTaV3 accuracies (docs/noisy-quadratic.md)


def synthetic(n, d=5, *, seed=0, sigma=2e-3):
    """Rank-2 concave quadratic with a floor, learning curves, d uniform hyperparameters."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, d))
    z = u[:, :2] - np.array([0.6, 0.4])
    y = 0.9 - 1.5 * z[:, 0] ** 2 - 0.4 * z[:, 1] ** 2 - 0.3 * z[:, 0] * z[:, 1]
    y = np.maximum(y + sigma * rng.standard_normal(n), 0.5)
    steps = np.arange(1, 9, dtype=float)
    ramp = 1 - np.exp(-steps / 2)
    curves = [np.column_stack([steps, v * ramp + 0.01 * rng.standard_normal(8)]) for v in y]
    return u, y, curves, sigma


def load_medium():
    try:
        from bayesnq import datasets

        scores = datasets.load("deberta-v3")
    except Exception as exc:  # noqa: BLE001 - fall back to synthetic data on any failure
        print(f"(bundled DeBERTaV3 unavailable: {exc}; using synthetic d=5)")
        u, y, curves, sigma = synthetic(1024)
        return "synthetic d=5", u, y, curves, sigma, None, y + 0.003
    u, _ = L.encode(scores.configs, scores.search_space)
    other = None
    try:
        cols = datasets.arrays("deberta-v3")
        off = cols["curve_offsets"]
        other = np.array([cols["curve.mismatched"][a:b].max() for a, b in zip(off[:-1], off[1:])])
    except Exception:  # noqa: BLE001
        other = None
    return ("DeBERTaV3 (bundled)", u, np.asarray(scores.values), scores.learning_curves,
            SIGMA_DEBERTA, scores, other)


def timed(label, fn, rows):
    t0 = time.perf_counter()
    out = fn()
    rows.append((label, time.perf_counter() - t0))
    return out


def part_one():
    name, u, y, curves, sigma, scores, other = load_medium()
    n, d = u.shape
    print(f"== {n} runs, d = {d}: {name}; sigma = {sigma:g}")
    rows = []
    if scores is not None:
        timed("encode", lambda: L.encode(scores.configs, scores.search_space), rows)
    graph = timed("knn_graph (k=10)", lambda: L.knn_graph(u, y), rows)
    timed("fdc (best + top-10)", lambda: (L.fdc(u, y), L.fdc(u, y, reference="top")), rows)
    quad = timed("local_quadratic (B=300)", lambda: L.local_quadratic(u, y, graph=graph), rows)
    peak = L.single_peak(u, y, quadratic=quad, sigma=sigma)
    timed("local_optima (+200 perm, 100 sim)",
          lambda: L.local_optima(graph, sigma=sigma, surrogate=peak), rows)
    timed("superlevel_components (+200, 100)",
          lambda: L.superlevel_components(graph, surrogate=peak), rows)
    timed("basins", lambda: L.basins(graph), rows)
    timed("neutrality (eps = 1, 2 sigma)",
          lambda: [L.neutrality(graph, eps=e, sigma=sigma) for e in (1.0, 2.0)], rows)
    timed("assortativity", lambda: L.assortativity(graph), rows)
    timed("correlogram (200k pairs)", lambda: L.correlogram(u, y), rows)
    if other is not None:
        timed("similarity (matched vs mismatched)", lambda: L.similarity(y, other), rows)
    timed("fidelity_profile (4 fractions)", lambda: L.fidelity_profile(curves), rows)
    parts = sum(t for _, t in rows)
    data = scores if scores is not None else y
    kwargs = {} if scores is not None else {"configs": u, "learning_curves": curves}
    result = timed("analyze (everything, k band 5/20)",
                   lambda: L.analyze(data, sigma=sigma, **kwargs), rows)
    with tempfile.TemporaryDirectory() as tmp:
        timed("report (csv + json + png)", lambda: L.report(result, tmp), rows)
    width = max(len(label) for label, _ in rows)
    print(f"{'part':<{width}}  seconds")
    for label, t in rows:
        print(f"{label:<{width}}  {t:7.3f}")
    print(f"{'sum of separate parts':<{width}}  {parts:7.3f}")
    print(f"{'analyze + report':<{width}}  {rows[-2][1] + rows[-1][1]:7.3f}")
    return result


def part_two(n):
    u, y, _, sigma = synthetic(n, seed=1)
    n_floor = int((y <= 0.5).sum())
    print(f"\n== {n:,} synthetic runs, d = 5, {n_floor:,} at the floor 0.5 "
          "(analyze with default settings: all and non-failed runs)")
    t0 = time.perf_counter()
    result = L.analyze(y, u, sigma=sigma, floor=0.5)
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    L.analyze(y, u, sigma=sigma, floor=0.5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    s = result.settings
    print(f"time {elapsed:.2f} s; peak traced memory {peak / 2**20:.0f} MiB "
          f"(inputs {u.nbytes / 2**20:.1f} MiB); process max RSS {maxrss:.0f} MiB")
    print(f"replicates: permutations {s['n_permutations']}, simulations {s['n_simulations']}, "
          f"bootstrap {s['n_bootstrap']}")
    m = result.subsets["non-failed"].measures
    q = result.subsets["non-failed"].quadratic
    print(f"non-failed: local optima {m['local_optima']:.0f}, components {m['components']:.0f}, "
          f"funnel {m['funnel_fraction']:.3f}, PR {q.participation_ratio:.2f}, "
          f"n10 {q.n_curved} (true rank 2)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000, help="runs in part 2")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    part_one()
    if not args.skip_large:
        part_two(args.large)


if __name__ == "__main__":
    main()
