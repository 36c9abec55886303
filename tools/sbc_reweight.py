"""Threshold SBC with stored draws, and the same posteriors under other priors without
sampling again.

``run`` fits threshold-SBC searches (``study_search(seed, i, truths="prior")``) with
``fit(threshold="auto")`` at 2 x (300 + 300), sampler seed i, as the studies in
docs/thresholds.md did. It appends one JSON line per search (coverage of the 50% and 90%
intervals of the best score and gamma, the median tail fraction, divergences, max r-hat,
seconds) and stores the draws each reweighting needs: every draw's
log P(tau_j | theta, y) (``tau_logp``), the best score, gamma, and the prior over the
candidates the draws were sampled under (the hedge included).

``reweight`` gives the posterior under another prior over the candidates, or under other
weights of the region's designs (M, phi), from the stored draws. Both act on P(tau)
alone: given tau_j, theta's posterior is the fixed fit's. So the exact importance weight
of a draw is

    w = sum_j P(tau_j | theta, y) pi'_j / pi_j,

with pi the prior the draws were sampled under and pi' the new one. The hedge is
recomputed from the reweighted P(tau). A design prior pi'_d changes the body term B_j by
log sum_d P(d | tau_j, y) pi'_d / pi_d, which enters pi' the same way. The table gives
coverage counts, the median relative bias of the median tail fraction per body family,
and the least effective sample size of the weights (small: the reweighted counts are not
firm).

    python tools/sbc_reweight.py run --out /tmp/sbc 0 65 2        # keys 0, 2, ..., 64
    python tools/sbc_reweight.py run --out /tmp/sbc 1 65 2        # (a second process)
    python tools/sbc_reweight.py reweight --out /tmp/sbc
    python tools/sbc_reweight.py jump --out /tmp/sbc --family flat
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time
import warnings

import numpy as np
import pandas as pd
from scipy.special import logsumexp

SEED = 52


def run(out, keys, seed=SEED):
    import bayesnq
    from bayesnq.calibration.threshold_study import _discrete_quantile, study_search

    bayesnq.configure()
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "sbc.jsonl"), "a") as log:
        for i in keys:
            family, size, scores, t, _ = study_search(seed, i, truths="prior")
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = bayesnq.fit(scores, minimize=t.minimize, threshold="auto", num_chains=2,
                                num_warmup=300, num_samples=300, seed=int(i),
                                progress_bar=False, check=False)
            seconds = time.perf_counter() - start
            probs = f.threshold_probabilities()
            fr, pr = (probs[k].to_numpy() for k in ("tail_fraction", "probability_unhedged"))
            draws, best = f.draws(), (t.alpha if t.minimize else t.beta)
            diag = f.diagnostics()
            rec = dict(seed=seed, i=i, family=family, n=int(size),
                       true_fraction=t.observed_tail_fraction,
                       median_fraction=_discrete_quantile(fr, pr, 0.5),
                       divergences=int(diag["divergences"]),
                       max_rhat=float(max(diag["r_hat"].values())), seconds=seconds,
                       hedged="hedged" in f.settings)
            for level in (0.5, 0.9):
                lo, hi = (1 - level) / 2, (1 + level) / 2
                for name, x, true in (("best", draws[f.best_name], best),
                                      ("gamma", draws["gamma"], t.gamma)):
                    a, b = np.quantile(x, [lo, hi])
                    rec[f"{name}_{round(100 * level)}"] = bool(a <= true <= b)
            sp = f.spliced
            prior = np.array(sp.base_log_prior, dtype=float)
            if "hedged" in f.settings:
                k = int(np.argmin(np.abs(sp.user_thresholds - f.settings["hedged"]["to"])))
                prior[k] += f.settings["hedged"]["log_weight"]
            np.savez(os.path.join(out, f"{seed}_{i}.npz"),
                     tail_fractions=np.asarray(sp.tail_fractions),
                     base_log_prior=np.asarray(sp.base_log_prior), sampling_log_prior=prior,
                     unhedged=np.asarray(f.settings["unhedged_threshold_probabilities"]),
                     tau_logp=np.asarray(f.idata.posterior["tau_logp"]),
                     best=np.asarray(f.idata.posterior[f.best_name]),
                     gamma=np.asarray(f.idata.posterior["gamma"]), true_best=best,
                     true_gamma=t.gamma, true_fraction=t.observed_tail_fraction,
                     n_tail=np.asarray(sp.n_tail))
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(rec, flush=True)


def _weighted_quantiles(x, w, qs):
    order = np.argsort(x)
    c = np.cumsum(w[order])
    c /= c[-1]
    return [x[order][min(np.searchsorted(c, q), x.size - 1)] for q in qs]


def candidate_priors(fractions, n_tail):
    """Log priors over the candidates to compare (each up to a constant), as shifts of the
    model's: powers of n_j in place of n_j^2, and shapes on the tail fraction."""
    power2 = 2.0 * np.log(np.maximum(n_tail, 1))
    inside = (fractions >= 0.1 - 1e-9) & (fractions <= 0.6 + 1e-9)
    shifts = {f"n_j^{k:g}": k * np.log(np.maximum(n_tail, 1)) - power2
              for k in (0, 0.5, 1, 2)}
    shifts["uniform on 0.1-0.6"] = np.where(inside, 0.0, -30.0) - power2
    shifts["the SBC's p (1 - p on 0.1-0.6)"] = (
        np.where(inside, np.log(np.clip(1 - fractions, 1e-12, None)), -30.0) - power2)
    return shifts


def design_priors(seed, i):
    """Shifts of each candidate's body term under other weights of the region's designs."""
    from bayesnq.calibration.threshold_study import study_search
    from bayesnq.modeling import SplicedData, default_thresholds
    from bayesnq.modeling.body import REGION_BINS, REGION_OFFSETS, region_designs

    _, _, scores, t, _ = study_search(seed, i, truths="prior")
    data = SplicedData.build(scores, default_thresholds(scores, minimize=t.minimize),
                             minimize=t.minimize)
    m = np.array([d[0] for d in region_designs(REGION_BINS, REGION_OFFSETS)[2]], float)
    weights = {"designs 1/M": -np.log(m), "designs 1/M^2": -2 * np.log(m),
               "designs M <= 8": np.where(m <= 8, 0.0, -np.inf),
               "designs M >= 4": np.where(m >= 4, 0.0, -np.inf)}
    lw = np.asarray(data.region_log_weights)  # log P(design | tau_j, y) under equal weights
    return {k: logsumexp(lw + v[None, :] - logsumexp(v), axis=1) for k, v in weights.items()}


def reweight(out, designs=True):
    from bayesnq.calibration.threshold_study import _discrete_quantile
    from bayesnq.inference.hedge import hedge_prior

    recs = {(r["seed"], r["i"]): r
            for r in map(json.loads, open(os.path.join(out, "sbc.jsonl")))}
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "*.npz"))):
        seed, i = (int(v) for v in os.path.basename(path)[:-4].split("_"))
        z = np.load(path)
        shifts = candidate_priors(z["tail_fractions"], z["n_tail"])
        if designs:
            shifts.update(design_priors(seed, i))
        for name, shift in shifts.items():
            lp_tau = np.log(np.maximum(z["unhedged"], 1e-300)) + shift
            lp_tau -= logsumexp(lp_tau)
            hedge = hedge_prior(lp_tau)
            target = z["base_log_prior"] + shift + (0.0 if hedge is None else hedge["log_prior"])
            tau_logp = z["tau_logp"].reshape(-1, target.size)
            lw = logsumexp(tau_logp + target - z["sampling_log_prior"], axis=1)
            w = np.exp(lw - lw.max())
            fr = z["tail_fractions"]
            row = dict(prior=name, family=recs[(seed, i)]["family"],
                       ess=w.sum() ** 2 / (w ** 2).sum(),
                       bias=_discrete_quantile(fr, np.exp(lp_tau), 0.5) / z["true_fraction"] - 1)
            for var in ("best", "gamma"):
                x = z[var].reshape(-1)
                for level in (0.5, 0.9):
                    lo, hi = _weighted_quantiles(x, w, [(1 - level) / 2, (1 + level) / 2])
                    row[f"{var}_{round(100 * level)}"] = bool(lo <= z["true_" + var] <= hi)
            rows.append(row)
    df = pd.DataFrame(rows)
    table = df.groupby("prior", sort=False).agg(
        searches=("ess", "size"), best_90=("best_90", "sum"), gamma_90=("gamma_90", "sum"),
        best_50=("best_50", "sum"), gamma_50=("gamma_50", "sum"), least_ess=("ess", "min"))
    table["least_ess"] = table["least_ess"].round().astype(int)
    bias = df.pivot_table(index="prior", columns="family", values="bias", aggfunc="median",
                          sort=False)
    print(table.join(bias.round(2)).to_string())


# density of each body family on [0, 1] at its top (u = 1, just below tau*), as
# bayesnq.calibration.regimes draws it: rising Beta(4, 1), flat uniform, falling Beta(1, 4),
# bimodal half Beta(12, 2) and half Beta(2, 10), bad_runs 70% uniform
BODY_TOP = {"rising": 4.0, "flat": 1.0, "falling": 0.0, "bimodal": 0.0, "bad_runs": 0.7}


def jump(out, family="flat"):
    """The true density just above tau* over the body's just below it, beside each
    search's median tail fraction: near 1 nothing in the data marks tau*."""
    from bayesnq.calibration.threshold_study import study_search
    from bayesnq.distributions import NoisyQuadratic

    recs = [r for r in map(json.loads, open(os.path.join(out, "sbc.jsonl")))
            if r["family"] == family]
    rows = []
    for r in recs:
        _, size, _, t, _ = study_search(r["seed"], r["i"], truths="prior")
        a, b = (-t.beta, -t.alpha) if t.minimize else (t.alpha, t.beta)
        tau = -t.threshold if t.minimize else t.threshold
        tail = float(np.exp(NoisyQuadratic(a, b, t.gamma, t.sigma).log_prob(tau)))
        body = (1 - t.tail_fraction) * BODY_TOP[family] / (3.0 * (b - tau))  # body_span 3
        rows.append(dict(i=r["i"], runs=size, ratio=tail / body if body > 0 else np.inf,
                         true=r["true_fraction"], median=r["median_fraction"],
                         bias=r["median_fraction"] / r["true_fraction"] - 1,
                         best_90=r["best_90"], gamma_90=r["gamma_90"]))
    print(pd.DataFrame(rows).sort_values("ratio").round(3).to_string(index=False))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="fit SBC searches and store their draws")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("start", type=int)
    p.add_argument("stop", type=int)
    p.add_argument("step", type=int, nargs="?", default=1)
    p = sub.add_parser("reweight", help="coverage and bias under other priors")
    p.add_argument("--out", required=True)
    p.add_argument("--no-designs", action="store_true", help="candidate priors only (fast)")
    p = sub.add_parser("jump", help="density ratio at tau* against the tail-fraction bias")
    p.add_argument("--out", required=True)
    p.add_argument("--family", default="flat", choices=sorted(BODY_TOP))
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.out, range(args.start, args.stop, args.step), args.seed)
    elif args.command == "jump":
        jump(args.out, args.family)
    else:
        reweight(args.out, designs=not args.no_designs)


if __name__ == "__main__":
    main()
