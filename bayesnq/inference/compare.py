r"""Thresholds compared by model criteria.

Likelihoods of censored fits at different thresholds :math:`\tau` describe different
data (a run below one threshold is censored, above another it has a density), so
``az.compare`` on them is not valid. :func:`compare_thresholds` fits each candidate once
and scores it in two ways that put every candidate on the same data:

1. **Spliced likelihood** (:mod:`bayesnq.modeling.spliced`): every run has a density, the noisy
   quadratic :math:`f_\theta(y)` beyond :math:`\tau` and
   :math:`F_\theta(\tau)\, w_{k(y)} / \Delta_{k(y)}` below it (a histogram body on bins
   shared by all candidates, with Dirichlet weights). The body factor does not involve
   :math:`\theta`, so the fit at :math:`\tau` is the censored fit, and the body weights are
   drawn from their Dirichlet posterior. PSIS-LOO and WAIC of this pointwise likelihood
   compare across candidates.

2. **Validation threshold** (Northrop, Attalides & Jonathan 2017; R package ``threshr``):
   with :math:`v` the highest candidate (deepest in the tail), each candidate's fit
   predicts every run censored at :math:`v`,

   .. math::

       \log p_v(y_i \mid \theta) = \begin{cases}
           \log f_\theta(y_i), & y_i > v,\\
           \log F_\theta(v), & y_i \le v,
       \end{cases}

   which every candidate :math:`\tau \le v` defines (:math:`F_\theta(v)` includes the
   fitted tail between :math:`\tau` and :math:`v`), and needs no body model. Its
   leave-one-out value is
   :math:`\log \sum_s \tilde w_{is}\, p_v(y_i \mid \theta_s)`, with :math:`\tilde w_{is}`
   the Pareto-smoothed importance weights :math:`\propto 1/p_\tau(y_i \mid \theta_s)` of the
   candidate's own (censored) likelihood. WAIC is not defined for this route (the
   predictive and the fitted likelihood differ).

Both give pointwise elpd values; the table has their sums, standard errors
(:math:`\sqrt{n \operatorname{var}_i}`), differences to the best with their standard
errors, the Pareto :math:`\hat k` diagnostics, and *stacking* weights (Yao et al. 2018):
the simplex weights maximizing :math:`\sum_i \log \sum_k w_k e^{\mathrm{elpd}_{ik}}`.
Tuning curves are then averaged over thresholds with those weights.
"""


from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize as scipy_minimize
from scipy.special import logsumexp, softmax

from bayesnq import arviz_compat, curves
from bayesnq.data import as_scores
from bayesnq.inference.fit import check_best_finite, check_settings, fit_at_threshold
from bayesnq.inference.nuts import default_target_accept
from bayesnq.inference.posterior import pointwise_loglik
from bayesnq.modeling import (PARAMETERS, Priors, SplicedData, TailData, parse_resolution,
                              parse_threshold,
                              pointwise_loglik as spliced_pointwise)
from bayesnq.validation import check_choice

__all__ = ["compare_thresholds", "ThresholdComparison", "stacking_weights"]

BAD_K = 0.7  # Pareto k above which the PSIS estimate is unreliable


def stacking_weights(pointwise) -> np.ndarray:
    r"""Stacking weights from pointwise elpd values, shape (n, K).

    Maximizes :math:`\sum_i \log \sum_k w_k \exp(\mathrm{elpd}_{ik})` over the simplex
    (softmax parameterization, L-BFGS).
    """
    lpd = np.asarray(pointwise, dtype=float)
    if lpd.ndim != 2 or lpd.shape[1] < 1:
        raise ValueError(f"pointwise must have shape (n, K), got {lpd.shape}")
    k = lpd.shape[1]
    if k == 1:
        return np.ones(1)
    lpd = lpd - lpd.max(axis=1, keepdims=True)

    def objective(z):
        full = np.concatenate([[0.0], z])
        logw = full - logsumexp(full)
        terms = lpd + logw[None, :]
        row = logsumexp(terms, axis=1)
        resp = np.exp(terms - row[:, None])  # responsibilities
        grad_logw = resp.sum(0)
        w = np.exp(logw)
        grad_full = grad_logw - w * grad_logw.sum()
        return -row.sum(), -grad_full[1:]

    res = scipy_minimize(objective, np.zeros(k - 1), jac=True, method="L-BFGS-B")
    return softmax(np.concatenate([[0.0], res.x]))


def _elpd_stats(pointwise):
    n = pointwise.size
    return float(pointwise.sum()), float(math.sqrt(n * np.var(pointwise, ddof=0))) if n > 1 else 0.0


@dataclass
class ThresholdComparison:
    """Result of :func:`compare_thresholds`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per candidate, ranked by ``rank_by``: ``threshold``, ``tail_fraction``,
        ``n_tail``; for the spliced route ``elpd_loo``, ``se``, ``elpd_diff``, ``dse``,
        ``p_loo``, ``elpd_waic``, ``se_waic``, ``max_k``, ``n_bad_k`` (Pareto
        :math:`\\hat k > 0.7`), ``weight``; for the validation route the same with the
        prefix ``val_`` (no WAIC).
    fits : dict of float to Fit
        The fit at each candidate.
    pointwise : dict of str to np.ndarray
        ``"spliced"`` and ``"validation"``: pointwise elpd, shape (n, K) in ``thresholds``
        order.
    thresholds : np.ndarray
        Candidates in ascending score order.
    validation_threshold : float
    rank_by : str
    minimize : bool
    """

    table: object
    fits: dict
    pointwise: dict
    thresholds: np.ndarray
    validation_threshold: float
    rank_by: str
    minimize: bool

    @property
    def best(self) -> float:
        """The top-ranked candidate."""
        return float(self.table["threshold"].iloc[0])

    def weights(self, route=None) -> dict:
        """Stacking weights per candidate for ``route`` (default: ``rank_by``)."""
        col = "weight" if (route or self.rank_by) == "spliced" else "val_weight"
        return {float(t): float(w) for t, w in zip(self.table["threshold"], self.table[col])}

    def draws(self, route=None, size=4000, seed=0) -> dict:
        """Posterior draws pooled over candidates in proportion to the stacking weights.

        Each candidate contributes :math:`\\approx w_k \\cdot` ``size`` draws (resampled with
        replacement from its fit): draws from the weighted mixture of the posteriors.
        """
        rng = np.random.default_rng(seed)
        weights = self.weights(route)
        counts = rng.multinomial(int(size), np.array(list(weights.values())))
        keys = PARAMETERS
        pooled = {k: [] for k in keys}
        for (t, _), c in zip(weights.items(), counts):
            if c == 0:
                continue
            d = self.fits[t].draws()
            pick = rng.integers(0, d["beta"].size, c)
            for k in keys:
                pooled[k].append(d[k][pick])
        return {k: np.concatenate(v) for k, v in pooled.items()}

    def tuning_curve(self, n, q=0.5, ci=curves.DEFAULT_CI, route=None, **kwargs):
        """The q-quantile tuning curve (fresh search) of the stacking-weighted mixture."""
        return curves.tuning_curve(self.draws(route), n, minimize=self.minimize, q=q, ci=ci,
                                   **kwargs)

    def average_tuning_curve(self, n, ci=curves.DEFAULT_CI, route=None, **kwargs):
        """The average tuning curve (fresh search) of the stacking-weighted mixture."""
        return curves.average_tuning_curve(self.draws(route), n, minimize=self.minimize,
                                           ci=ci, **kwargs)

    def __repr__(self):
        return (f"<ThresholdComparison: {len(self.fits)} candidates, best {self.best:.6g} "
                f"by {self.rank_by}>")


def _psis_elpd(ll_fit, ll_pred):
    """PSIS-LOO of ``ll_pred`` with weights from the fit's own pointwise ``ll_fit`` (S, n)."""
    lw, k = arviz_compat.psislw(-ll_fit.T)
    return logsumexp(lw + ll_pred.T, axis=1), np.asarray(k)


def compare_thresholds(
    scores,
    thresholds=None,
    *,
    minimize=None,
    n_hyperparameters=None,
    bounds=None,
    gamma="continuous",
    resolution=None,
    priors=None,
    rank_by="spliced",
    num_chains=2,
    num_warmup=500,
    num_samples=500,
    seed=0,
    progress=True,
) -> ThresholdComparison:
    r"""Fit the tail at each candidate threshold and compare them on the same data.

    Parameters
    ----------
    scores : Scores or array_like
    thresholds : sequence of float, optional
        At least 2 candidates; default :func:`bayesnq.default_thresholds` with ``n=8``.
    minimize, n_hyperparameters, bounds, gamma, resolution, priors
        As in :func:`bayesnq.fit`.
    rank_by : {"spliced", "validation"}
        Route whose elpd ranks the table (see the module docstring).
    num_chains, num_warmup, num_samples, seed
        NUTS settings of each fit (convergence checks are left to the caller:
        ``result.fits[t].check()``).
    progress : bool
        Print one line per fit to stderr.

    Returns
    -------
    ThresholdComparison

    Notes
    -----
    Every candidate's distinct tail scores are padded to the largest count, so that all
    fits have the same shapes and share one compiled sampler: only the first fit compiles.
    """
    check_choice("rank_by", rank_by, ("spliced", "validation"))
    scores = as_scores(scores, minimize=minimize, bounds=bounds,
                       n_hyperparameters=n_hyperparameters)
    minimize, bounds = scores.minimize, scores.bounds
    n_hyperparameters = scores.n_hyperparameters
    y = np.asarray(scores.values, dtype=float)
    check_best_finite(y, minimize)
    resolution, _ = parse_resolution(resolution, y)
    target = default_target_accept(inferred_threshold=False, resolution=resolution)
    check_settings(gamma=gamma, n_hyperparameters=n_hyperparameters, num_chains=num_chains,
                   num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                   target_accept_prob=target)
    if thresholds is None:
        grid = parse_threshold("auto", y, minimize=minimize, n_auto=8)
    else:
        grid = parse_threshold(thresholds, y, minimize=minimize, forms=("grid",),
                               name="thresholds")
    spliced = SplicedData.build(y, grid, minimize=minimize, bounds=bounds, resolution=resolution)
    order = spliced.user_thresholds  # oriented-ascending order (tail fraction falls)
    v = float(order[-1])
    at_v = TailData.build(y, v, minimize=minimize, bounds=bounds, resolution=resolution)
    rng = np.random.default_rng(seed + 3)
    # every candidate's distinct tail scores padded to the largest count: one compiled sampler
    tail_size = max(TailData.build(y, float(t), minimize=minimize, bounds=bounds).n_distinct
                    for t in order)
    fits, pw_spliced, pw_val, rows = {}, [], [], []
    start = time.perf_counter()
    for j, t in enumerate(order):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = fit_at_threshold(scores, y, float(t), minimize=minimize,
                                 n_hyperparameters=n_hyperparameters, bounds=bounds,
                                 gamma=gamma, priors=priors or Priors(),
                                 num_chains=num_chains, num_warmup=num_warmup,
                                 num_samples=num_samples, seed=seed, progress_bar=False,
                                 target_accept_prob=target,
                                 tail_size=tail_size, resolution=resolution)
        fits[float(t)] = f
        draws = f.draws()
        s_count = draws["beta"].size
        ll_spl = spliced_pointwise(spliced, draws, np.full(s_count, j), rng)
        post_shape = np.asarray(f.idata.posterior["beta"]).shape
        idata = arviz_compat.from_dict(posterior={"beta": np.asarray(f.idata.posterior["beta"])},
                                       log_likelihood={"y": ll_spl.reshape(post_shape
                                                                          + (y.size,))})
        loo = arviz_compat.loo(idata, pointwise=True)
        waic = arviz_compat.waic(idata, pointwise=True)
        elpd_i = np.asarray(loo.loo_i)
        k_i = np.asarray(loo.pareto_k)
        # validation route: the fit's draws scored by the censored likelihood at v
        ll_fit = f.pointwise_log_likelihood().reshape(-1, y.size)  # per run, on request
        ll_v = pointwise_loglik({k: np.asarray(f.idata.posterior[k]) for k in PARAMETERS},
                                at_v).reshape(-1, y.size)
        val_i, val_k = _psis_elpd(ll_fit, ll_v)
        pw_spliced.append(elpd_i)
        pw_val.append(val_i)
        elpd, se = _elpd_stats(elpd_i)
        velpd, vse = _elpd_stats(val_i)
        rows.append({
            "threshold": float(t),
            "tail_fraction": float(spliced.tail_fractions[j]),
            "n_tail": int(spliced.n_tail[j]),
            "elpd_loo": elpd, "se": se, "p_loo": float(loo.p_loo),
            "elpd_waic": float(waic.elpd_waic), "se_waic": float(waic.se),
            "max_k": float(np.max(k_i)), "n_bad_k": int(np.sum(k_i > BAD_K)),
            "val_elpd_loo": velpd, "val_se": vse,
            "val_max_k": float(np.max(val_k)), "val_n_bad_k": int(np.sum(val_k > BAD_K)),
        })
        if progress:
            print(f"compare_thresholds: fit {j + 1}/{order.size} at threshold {t:.6g} "
                  f"({spliced.n_tail[j]} runs beyond): {time.perf_counter() - t0:.1f} s, "
                  f"elpd {elpd:.1f} (spliced), {velpd:.1f} (validation)",
                  file=sys.stderr, flush=True)
    if progress:
        print(f"compare_thresholds: {order.size} fits in {time.perf_counter() - start:.1f} s",
              file=sys.stderr, flush=True)
    return _comparison(rows, pw_spliced, pw_val, fits, order, v, rank_by, minimize, y.size)


def _comparison(rows, pw_spliced, pw_val, fits, order, v, rank_by, minimize, n_runs):
    """The ranked table and the result object."""
    import pandas as pd

    pointwise = {"spliced": np.stack(pw_spliced, axis=1), "validation": np.stack(pw_val, axis=1)}
    table = pd.DataFrame(rows)
    for prefix, key in (("", "spliced"), ("val_", "validation")):
        lpd = pointwise[key]
        best = int(np.argmax(lpd.sum(0)))
        diff = lpd - lpd[:, [best]]
        table[prefix + "elpd_diff"] = diff.sum(0)
        table[prefix + "dse"] = np.sqrt(lpd.shape[0] * np.var(diff, axis=0))
        table[prefix + "weight"] = stacking_weights(lpd)
    key = "elpd_loo" if rank_by == "spliced" else "val_elpd_loo"
    table = table.sort_values(key, ascending=False).reset_index(drop=True)
    table.index.name = "rank"
    cols = ["threshold", "tail_fraction", "n_tail", "elpd_loo", "se", "elpd_diff", "dse", "p_loo",
            "elpd_waic", "se_waic", "max_k", "n_bad_k", "weight", "val_elpd_loo", "val_se",
            "val_elpd_diff", "val_dse", "val_max_k", "val_n_bad_k", "val_weight"]
    table = table[cols]
    table.attrs.update(validation_threshold=v, rank_by=rank_by, minimize=minimize, n_runs=n_runs)
    return ThresholdComparison(table=table, fits=fits, pointwise=pointwise, thresholds=order.copy(),
                               validation_threshold=v, rank_by=rank_by, minimize=minimize)
