"""Screen designs of the spliced model's body without a sampler, with theta refitted.

``tools/threshold_profile.py`` scores a body design at the *true* tail parameters, which
misses what happens once the tail is refitted (a noisy quadratic stretched over a bump of
body runs). This tool approximates the whole threshold posterior instead:

1. ``collect``: for each threshold-SBC search (``threshold_study(truths="prior")``), at
   every default candidate :math:`\\tau_j`, the tail's own posterior mode
   :math:`\\hat x_j` in :math:`x = (\\beta, \\log(\\beta - \\alpha), \\log\\gamma, \\log\\sigma)`
   (BFGS from the truth and from the previous candidate's mode), the Hessian there and the
   Laplace estimate of :math:`\\log \\int e^{\\ell_j} p_j` (tail only; the Jacobian of
   :math:`x` and :math:`\\gamma`'s prior included). Saved as one pickle per search.
2. ``evaluate``: for each body design (a set of region bin counts M, each with a set of
   grid offsets, averaged with equal weight),
   :math:`P(\\tau_j \\mid y) \\propto \\pi_j e^{\\log Z_j + B_j}` (:math:`\\pi` the model's
   prior over the candidates), the median tail
   fraction, and 90% intervals of :math:`\\beta` and :math:`\\gamma` from the mixture of
   the candidates' Laplace Gaussians. Per family: the median relative bias of the tail
   fraction and the share of intervals that cover the truth.

The Gaussian intervals ignore skew and the hedge, so coverage here is lower than the
sampler's; the screen ranks designs, and the chosen one is then checked with NUTS.

    python tools/body_screen.py collect --out /tmp/screen 51:0-39 52:0-39
    python tools/body_screen.py evaluate --out /tmp/screen 3 1-16 2,3,4,5 1-32/8

A design is a list or range of M, optionally with ``/K`` for the K grid offsets
``0, 1/K, ..., (K-1)/K`` (``bayesnq.modeling.spliced.REGION_OFFSETS``); without it, no
offset. ``1-32/8`` is the model's default.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import logsumexp
from scipy.stats import beta as beta_dist
from scipy.stats import norm

from bayesnq import runtime
from bayesnq.calibration.threshold_study import study_search
from bayesnq.modeling import (BODY_DIRICHLET, Priors, SplicedData, body_log_marginal,
                              default_thresholds)
from bayesnq.modeling.spliced import TAIL_RUNS_POWER
from threshold_terms import SIZES, candidate_terms, tail_ks, theta

OFFSETS = (np.zeros(4), np.array([0.0, 0.5, 0.7, 0.5]), np.array([0.0, -0.3, -0.7, -0.5]))


def _keys(specs):
    """'51:0-39' or '52:18' -> (seed, replicate) pairs."""
    for spec in specs:
        seed, reps = spec.split(":")
        lo, _, hi = reps.partition("-")
        for i in range(int(lo), int(hi or lo) + 1):
            yield int(seed), i


def collect(seed: int, i: int, out: Path) -> None:
    path = out / f"{seed}_{i}.pkl"
    if path.exists():
        return
    runtime.release_compiled_programs()
    family, size, scores, t, _ = study_search(seed, i, sizes=SIZES, truths="prior")
    data = SplicedData.build(scores, default_thresholds(scores, minimize=t.minimize),
                             minimize=t.minimize, region_bins=1, region_offsets=0)
    pr = Priors()
    a0, b0 = (-t.beta, -t.alpha) if t.minimize else (t.alpha, t.beta)  # maximize form
    x0 = np.array([b0, np.log(b0 - a0), np.log(t.gamma), np.log(t.sigma)])

    def log_post(x):  # tail log-likelihood + prior at every candidate, in x
        v = candidate_terms(data, x)
        z = (x[2] - pr.gamma_log_mean) / pr.gamma_log_sd
        return v[0] + v[1] + x[1] + x[3] - 0.5 * z * z

    value_grad = jax.jit(jax.value_and_grad(lambda x, j: -log_post(x)[j]))
    hessians = jax.jit(jax.jacfwd(jax.jacrev(lambda x: -log_post(x))))
    rows, prev = [], x0
    for j in range(data.thresholds.size):
        def objective(x, j=j):
            v, g = value_grad(jnp.asarray(x), j)
            v, g = float(v), np.asarray(g, dtype=float)
            return (v, g) if np.isfinite(v) and np.all(np.isfinite(g)) else (1e12, np.zeros(4))

        best = None
        wide = x0.copy()  # alpha below this candidate, where the truth's alpha lies above it
        wide[1] = np.log(2.0 * max(x0[0] - float(data.thresholds[j]), 1e-12 * abs(x0[0]) + 1e-300))
        for start in (x0, prev, x0 + OFFSETS[1], x0 + OFFSETS[2], wide):
            if objective(start)[0] >= 1e12:
                continue
            r = minimize(objective, start, jac=True, method="BFGS",
                         options=dict(maxiter=500, gtol=1e-6))
            if not r.success:  # polish with Nelder-Mead where BFGS stalls
                r = minimize(lambda x: objective(x)[0], r.x, method="Nelder-Mead",
                             options=dict(maxiter=2000, xatol=1e-8, fatol=1e-8))
            best = r if best is None or r.fun < best.fun else best
        if best is None:
            rows.append(dict(x=x0, cov=np.full((4, 4), np.nan), log_z=-np.inf, ks=np.nan))
            continue
        h = np.asarray(hessians(jnp.asarray(best.x)))[j]
        ok = np.all(np.linalg.eigvalsh(h) > 0)
        log_z = (-best.fun + 2 * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(h)[1]
                 if ok else -np.inf)
        a, b, g, s = (float(v) for v in theta(best.x))
        rows.append(dict(x=best.x, cov=np.linalg.inv(h) if ok else np.full((4, 4), np.nan),
                         log_z=log_z, ks=tail_ks(data, j, a, b, g, s)))
        prev = best.x
    rec = dict(seed=seed, i=i, family=family, n=size, x0=x0, scores=scores,
               minimize=t.minimize, true_fraction=t.observed_tail_fraction,
               fractions=data.tail_fractions, rows=rows)
    path.write_bytes(pickle.dumps(rec))
    print(seed, i, family, size, flush=True)


def _interval(w, mu, sd, q=(0.05, 0.95)):
    grid = np.linspace(np.min(mu - 6 * sd), np.max(mu + 6 * sd), 4001)
    cdf = np.sum(w[:, None] * norm.cdf((grid[None, :] - mu[:, None]) / sd[:, None]), 0)
    return [grid[min(np.searchsorted(cdf, v), grid.size - 1)] for v in q]


def candidate_prior(data, power=None, fractions=None):
    """The log prior over the candidates: the model's (``power=None``), or the model's with
    :data:`~bayesnq.modeling.spliced.TAIL_RUNS_POWER` replaced by ``power``; ``fractions``
    ``(low, high)`` also multiplies it by e^-1 per 0.05 of tail fraction outside that range."""
    lp = np.array(data.base_log_prior, dtype=float)
    if power is not None:
        lp += (power - TAIL_RUNS_POWER) * np.log(np.maximum(data.n_tail, 1))
    if fractions is not None:
        f = data.tail_fractions
        lp -= (np.maximum(0.0, fractions[0] - f) + np.maximum(0.0, f - fractions[1])) / 0.05
    return lp


SMOOTH_GRID = np.exp(np.linspace(np.log(0.5), np.log(40.0), 30))  # Beta shapes a and b


def smooth_region_terms(data, smooth):
    """Per candidate, the region's log marginal with weight ``smooth`` on smooth designs:
    a Beta(a, b) density on (start, tau_j], (a, b) uniform over SMOOTH_GRID squared, and
    ``1 - smooth`` on the histogram designs. Returns the change to ``data.body_term``."""
    out = np.zeros(data.thresholds.size)
    start = data.region_start
    a, b = np.meshgrid(SMOOTH_GRID, SMOOTH_GRID, indexing="ij")
    a, b = a.ravel(), b.ravel()
    for j, tj in enumerate(data.thresholds):
        hist = body_log_marginal(data.region_counts[j], (tj - start) * np.diff(data.region_cuts),
                                 data.dirichlet, data.region_sizes)
        h = float(logsumexp(hist)) - np.log(hist.size)
        y = data.values[(data.values <= tj) & (data.values > start)]
        x = np.clip((y - start) / (tj - start), 1e-12, 1.0 - 1e-12)
        ll = (beta_dist.logpdf(x[None, :], a[:, None], b[:, None]).sum(1)
              - x.size * np.log(tj - start))
        sm = float(logsumexp(ll)) - np.log(ll.size)
        out[j] = np.logaddexp(np.log1p(-smooth) + h, np.log(smooth) + sm) - h
    return out


def evaluate(recs, bins, offsets=(0.0,), dirichlet=BODY_DIRICHLET, power=None,
             fractions=None, smooth=0.0) -> pd.DataFrame:
    rows = []
    for r in recs:
        grid = default_thresholds(r["scores"], minimize=r["minimize"])
        data = SplicedData.build(r["scores"], grid, minimize=r["minimize"],
                                 region_bins=bins, region_offsets=offsets, dirichlet=dirichlet)
        total = (np.array([x["log_z"] for x in r["rows"]]) + data.body_term
                 + candidate_prior(data, power, fractions))
        if smooth > 0:
            total = total + smooth_region_terms(data, smooth)
        w = np.exp(total - logsumexp(total))
        fr = r["fractions"]
        order = np.argsort(fr)
        median = fr[order][min(np.searchsorted(np.cumsum(w[order]), 0.5), fr.size - 1)]
        use = w > 1e-6
        mu = np.array([x["x"] for x in r["rows"]])[use]
        sd = np.sqrt(np.array([np.diag(x["cov"]) for x in r["rows"]])[use])
        (b_lo, b_hi), (g_lo, g_hi) = (_interval(w[use], mu[:, k], sd[:, k]) for k in (0, 2))
        rows.append(dict(family=r["family"], n=r["n"], truth=r["true_fraction"],
                         bias=(median - r["true_fraction"]) / r["true_fraction"],
                         beta=b_lo <= r["x0"][0] <= b_hi, gamma=g_lo <= r["x0"][2] <= g_hi))
    return pd.DataFrame(rows)


def _design(spec: str):
    """'1-32/8' -> (M = 1..32, offsets k/8); '3' -> ([3], no offset)."""
    spec, _, k = spec.partition("/")
    return _bins(spec), tuple(np.arange(int(k or 1)) / int(k or 1))


def _bins(spec: str):
    if "-" in spec:
        lo, hi = spec.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(v) for v in spec.split(",")]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=("collect", "evaluate"))
    p.add_argument("items", nargs="+", help="collect: seed:replicates (51:0-39); evaluate: "
                   "body designs, M or a list/range of M to average over, /K for K grid offsets "
                   "(3, 2,3,4, 1-16, 1-32/8)")
    p.add_argument("--out", type=Path, required=True, help="folder of the per-search records")
    p.add_argument("--dirichlet", type=float, default=BODY_DIRICHLET,
                   help="evaluate: the body bins' Dirichlet concentration a")
    p.add_argument("--power", type=float, default=None,
                   help="evaluate: the power of n_j in the candidates' prior "
                   "(default: the model's)")
    p.add_argument("--fractions", type=float, nargs=2, default=None,
                   help="evaluate: taper the candidates' prior outside this tail-fraction range")
    p.add_argument("--smooth", type=float, default=0.0,
                   help="evaluate: prior weight of smooth Beta designs on the region")
    args = p.parse_args()
    runtime.configure()
    if args.command == "collect":
        args.out.mkdir(parents=True, exist_ok=True)
        for seed, i in _keys(args.items):
            collect(seed, i, args.out)
        return
    recs = [pickle.loads(f.read_bytes()) for f in sorted(args.out.glob("*.pkl"))]
    print(f"{len(recs)} searches")
    for spec in args.items:
        df = evaluate(recs, *_design(spec), dirichlet=args.dirichlet, power=args.power,
                      fractions=args.fractions, smooth=args.smooth)
        g = df.groupby("family")
        print(f"M = {spec:10s} beta {df.beta.mean():.2f} gamma {df.gamma.mean():.2f} | bias "
              + " ".join(f"{f} {v:+.2f}" for f, v in g.bias.median().items())
              + " | beta/gamma covered: "
              + " ".join(f"{f} {b:.2f}/{c:.2f}" for f, b, c in
                         zip(g.beta.mean().index, g.beta.mean(), g.gamma.mean())))


if __name__ == "__main__":
    main()
