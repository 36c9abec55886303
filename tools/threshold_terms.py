"""Why does the threshold model choose a candidate? Its terms, at the truth and refitted.

For threshold-SBC searches (``bayesnq.calibration.threshold_study.study_search``, prior
truths), this prints for every default candidate :math:`\\tau_j`:

- at the *true* :math:`\\theta`: the censored tail log-likelihood :math:`\\ell_j`, the body's
  term :math:`B_j`, the log prior of :math:`\\theta` at that candidate, and their total
  with the candidate's own prior :math:`\\log \\pi_j`, relative to the best candidate (what
  ``tools/threshold_profile.py`` sums over);
- at :math:`\\hat\\theta_j`, the tail's own posterior mode at that candidate
  (:math:`\\ell_j + \\log p_j(\\theta)`, Nelder–Mead from three starts): the fitted
  :math:`\\gamma` and :math:`\\sigma / (\\beta - \\alpha)`, a Laplace estimate of
  :math:`\\log Z_j = \\log \\int e^{\\ell_j(\\theta)} p_j(\\theta)\\,d\\theta + B_j
  + \\log \\pi_j` relative to the best candidate (nan where the mode's Hessian is not
  positive definite: a degenerate fit), and the KS p-value of the tail's runs under
  :math:`\\hat\\theta_j` (the conditional CDF beyond :math:`\\tau_j`, against uniform).

It separates the body's term from the tail's fit: a candidate that wins only once
:math:`\\theta` is refitted, with a tail that fails the KS check, is chosen because the
body's histogram describes the runs it leaves out worse than a misfitting tail does.

    python tools/threshold_terms.py 52:18 51:53 51:33   # seed:replicate of threshold_study
    python tools/threshold_terms.py --brief --bins 6 --ratio 2 52:10 52:11 ...
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize
from scipy.stats import kstest

from bayesnq import runtime
from bayesnq.calibration.threshold_study import study_search
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling import SplicedData, candidate_logliks, default_thresholds
from bayesnq.modeling.spliced import candidate_log_priors

SIZES = (48, 128, 512, 1024)
STARTS = (np.zeros(4), np.array([0.0, 0.5, 0.7, 0.5]), np.array([0.0, -0.3, -0.7, -0.5]))


def theta(x):
    """(alpha, beta, gamma, sigma) from (beta, log width, log gamma, log sigma)."""
    return x[0] - jnp.exp(x[1]), x[0], jnp.exp(x[2]), jnp.exp(x[3])


def candidate_terms(data: SplicedData, x):
    """Tail log-likelihood and log prior of theta(x) at every candidate, shape (2, T)."""
    a, b, g, s = theta(x)
    tail = candidate_logliks(NoisyQuadratic(a, b, g, s), data.tail_sorted, data.n_tail,
                             data.thresholds, data.n, data.resolution)
    return jnp.stack([tail, candidate_log_priors(data, a, b, g, s)])


def tail_ks(data: SplicedData, j, a, b, g, s) -> float:
    nq = NoisyQuadratic(a, b, g, s)
    tj = float(data.thresholds[j])
    beyond = np.sort(data.values[data.values > tj])
    f_tau = float(nq.cdf(tj))
    u = (np.asarray(nq.cdf(beyond)) - f_tau) / (1.0 - f_tau)
    return float(kstest(u, "uniform").pvalue)


def report(seed: int, i: int, region_bins=None, region_ratio=None, brief=False) -> None:
    family, size, scores, t, _ = study_search(seed, i, sizes=SIZES, truths="prior")
    data = SplicedData.build(scores, default_thresholds(scores, minimize=t.minimize),
                             minimize=t.minimize, region_bins=region_bins,
                             region_ratio=region_ratio)
    a0, b0 = (-t.beta, -t.alpha) if t.minimize else (t.alpha, t.beta)  # maximize form
    x0 = np.array([b0, np.log(b0 - a0), np.log(t.gamma), np.log(t.sigma)])
    terms = jax.jit(lambda x: candidate_terms(data, x))
    at_truth = np.asarray(terms(jnp.asarray(x0)))
    fr = data.tail_fractions
    nearest = int(np.argmin(np.abs(fr - t.observed_tail_fraction)))
    if not brief:
        print(f"\nsearch {seed}:{i}, {family}, {size} runs: true tail fraction "
              f"{t.observed_tail_fraction:.3f} (nearest candidate {nearest}), true gamma "
              f"{t.gamma:.2f}, sigma/(beta - alpha) {t.sigma / (b0 - a0):.3f}")

    def objective(x, j):
        v = terms(jnp.asarray(x))
        v = float(v[0, j] + v[1, j])
        return -v if np.isfinite(v) else 1e12

    rows = []
    for j in range(fr.size):
        best = None
        for start in STARTS:
            r = minimize(objective, x0 + start, args=(j,), method="Nelder-Mead",
                         options=dict(maxiter=4000, xatol=1e-7, fatol=1e-7))
            r = minimize(objective, r.x, args=(j,), method="Nelder-Mead",
                         options=dict(maxiter=4000, xatol=1e-8, fatol=1e-8))
            best = r if best is None or r.fun < best.fun else best
        hess = np.asarray(jax.hessian(lambda x, j=j: -jnp.sum(terms(x)[:, j]))(
            jnp.asarray(best.x)))
        sign, logdet = np.linalg.slogdet(hess)
        log_z = (-best.fun + 2 * np.log(2 * np.pi) - 0.5 * logdet + data.body_term[j]
                 + data.base_log_prior[j]
                 if sign > 0 else np.nan)
        a, b, g, s = (float(v) for v in theta(best.x))
        rows.append((j, fr[j], *at_truth[:, j], -best.fun, g, s / (b - a), log_z,
                     tail_ks(data, j, a, b, g, s)))
    truth_total = np.array([r[2] + data.body_term[r[0]] + r[3] + data.base_log_prior[r[0]]
                            for r in rows])
    log_z = np.array([r[7] for r in rows])
    if brief:  # one line: the truth's candidate, and where the evidence peaks
        k = int(np.nanargmax(log_z))
        print(f"{seed}:{i} {family:8s} {size:5d}  true {t.observed_tail_fraction:.3f}  "
              f"evidence peak {fr[k]:.3f} (KS p {rows[k][8]:.2g}; nearest candidate's KS p "
              f"{rows[nearest][8]:.2g}, log Z {log_z[nearest] - log_z[k]:.1f})", flush=True)
        return
    print(" j  tail | true theta: tail ll   body B_j  log prior  total - max | refitted: "
          "tail ll + prior  gamma  sigma/w  log Z - max  KS p")
    for r, tot, lz in zip(rows, truth_total - truth_total.max(), log_z - np.nanmax(log_z)):
        j, f, tail, prior, fitted, g, sw, _, ks = r
        print(f"{j:2d} {f:.3f} | {tail:16.1f} {data.body_term[j]:10.1f} {prior:10.1f} "
              f"{tot:12.1f} | {fitted:17.1f} {g:6.2f} {sw:8.3f} {lz:12.1f}  {ks:.2g}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("searches", nargs="+", help="seed:replicate, e.g. 52:18")
    p.add_argument("--bins", help="region bins M, or a comma list to average over (default: "
                   "the model's, bayesnq.modeling.spliced.REGION_BINS)")
    p.add_argument("--ratio", type=float, help="region bins' width ratio (default: the model's)")
    p.add_argument("--brief", action="store_true", help="one line per search")
    args = p.parse_args()
    runtime.configure()
    for key in args.searches:
        seed, i = (int(v) for v in key.split(":"))
        bins = None if args.bins is None else [int(v) for v in args.bins.split(",")]
        report(seed, i, bins, args.ratio, args.brief)


if __name__ == "__main__":
    main()
