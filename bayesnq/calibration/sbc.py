r"""Simulation-based calibration (Talts et al. 2018) of the tail model and its sampler.

Draw :math:`\theta^{(r)} \sim p(\theta)` from the prior of the tail model, simulate a random
search :math:`y^{(r)} \sim p(y \mid \theta^{(r)})`, draw :math:`L` (thinned) posterior
samples from :math:`p(\theta \mid y^{(r)})` and record the rank of :math:`\theta^{(r)}_j`
among them for :math:`j \in \{\alpha, \beta, \gamma, \sigma\}`: uniform on
:math:`\{0, \dots, L\}` if the sampler draws from the exact posterior. :func:`sbc` uses the
vectorized NUTS engine; :func:`sbc_importance` the same replicates without a sampler
(importance sampling from the prior), which separates the model from the sampler.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bayesnq import direction
from bayesnq.calibration.engine import run_vectorized
from bayesnq.calibration.results import SBCResult
from bayesnq.calibration.simulate import prior_draws, simulate_scores
from bayesnq.calibration.statistics import rank_statistics
from bayesnq.calibration.streaming import (EXECUTORS, Stream, batches, execute,
                                           make_progress_bar)
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling import PARAMETERS, Priors, per_run_loglik, runs_beyond
from bayesnq.validation import check_choice, check_int, check_real

__all__ = ["sbc", "sbc_importance", "check_simulation"]


def check_simulation(scale, threshold, n_hyperparameters):
    """Checks shared by the simulation studies; returns ``n_hyperparameters`` as an int."""
    check_real("scale", scale, low=0.0, low_open=True)
    check_real("threshold", threshold)
    if n_hyperparameters is not None:
        n_hyperparameters = check_int("n_hyperparameters", n_hyperparameters, 1)
    return n_hyperparameters


def _sbc_task(settings, batch):
    """Records of the replicates in ``batch`` (top-level: picklable for Dask)."""
    s = settings
    base = jax.random.PRNGKey(s["seed"])
    ks = [jax.random.split(jax.random.fold_in(base, i), 3) for i in batch]
    pri = Priors(**s["priors"])
    true, data = [], []
    for kp, ky, _ in ks:
        p = prior_draws(kp, threshold=s["threshold"], scale=s["scale"], bound=s["bound"],
                        gamma_max=s["gamma_max"], minimize=s["minimize"], priors=pri)
        p = {k: float(v[0]) for k, v in p.items()}
        true.append(p)
        data.append(simulate_scores(ky, p, s["n"], threshold=s["threshold"],
                                    minimize=s["minimize"]))
    pad = s["batch_size"] - len(batch)  # keep one compiled shape for the last batch
    datasets = np.stack(data + [data[-1]] * pad)
    fit_keys = jnp.stack([k[2] for k in ks] + [ks[-1][2]] * pad)
    draws, div = run_vectorized(
        datasets, threshold=s["threshold"], minimize=s["minimize"], scale=s["scale"],
        bound=s["bound"], gamma_max=s["gamma_max"], num_chains=s["num_chains"],
        num_warmup=s["num_warmup"], num_samples=s["num_samples"],
        target_accept_prob=s["target_accept_prob"], keys=fit_keys,
        priors=pri)
    records = []
    for j, i in enumerate(batch):
        rec = {"replicate": i, "divergences": int(div[j]),
               "n_tail": int(direction.beyond(datasets[j], s["threshold"], s["minimize"]).sum())}
        for k in PARAMETERS:
            rank = rank_statistics([true[j][k]], draws[k][j:j + 1],
                                   num_ranks=s["num_ranks"], key=s["seed"] * 100003 + i)
            rec[f"rank_{k}"] = int(rank[0])
            rec[f"true_{k}"] = true[j][k]
        records.append(rec)
    return records


def sbc(*, replicates=200, n=48, threshold=0.0, scale=1.0, minimize=False, bound=None,
        n_hyperparameters=5, num_ranks=100, num_chains=4, num_warmup=500, num_samples=500,
        target_accept_prob=0.9, priors=None, seed=0, batch_size=16, path=None,
        executor=None, address=None, progress_bar=False) -> SBCResult:
    r"""Simulation-based calibration of the tail model and its NUTS sampler.

    For :math:`r = 1..R`: :math:`\theta^{(r)} \sim p(\theta)` (the prior of
    :mod:`bayesnq.modeling`, with the prior unit :math:`d` fixed at ``scale``), a search of
    ``n`` runs from :func:`simulate_scores`, NUTS on the censored tail model, and the rank
    of :math:`\theta^{(r)}_j` among :math:`L =` ``num_ranks - 1`` posterior draws (thinned
    evenly within chains) for :math:`j \in \{\alpha, \beta, \gamma, \sigma\}`. Under
    calibration each rank is uniform on :math:`\{0, \dots, L\}`.

    :func:`bayesnq.fit` sets the prior unit from the data (:math:`d = \max y - \tau`);
    SBC needs a prior that does not look at the data, so here :math:`d` is the fixed
    ``scale`` in both the simulation and the fits. Everything else is the model of
    :func:`bayesnq.fit` with continuous :math:`\gamma`.

    Parameters
    ----------
    replicates : int, default 200
    n : int, default 48
        Runs per simulated search.
    threshold, scale : float
        :math:`\tau` and the prior unit :math:`d` (only the ratio of scores to ``scale``
        matters: the model is affine invariant).
    minimize : bool
    bound : float, optional
        A known bound on the best possible score (changes the prior of :math:`\beta`).
    n_hyperparameters : int or None, default 5
        Upper bound of :math:`\gamma`.
    num_ranks : int, default 100
        :math:`L + 1`; must be at most ``num_chains * num_samples + 1``.
    num_chains, num_warmup, num_samples, target_accept_prob, priors
        NUTS and model settings.
    seed : int
        Replicate ``i`` uses keys derived from ``fold_in(PRNGKey(seed), i)`` only.
    batch_size : int, default 16
        Replicates vectorized in one JAX program (and the unit of streaming and of Dask
        tasks).
    path : str or Path, optional
        JSON-lines file the records stream to; an existing file with the same settings is
        resumed.
    executor : {None, "local", "dask"}
        ``"dask"``: batches run on Dask distributed (``address``: a scheduler address or
        a ``distributed.Client``; None starts a ``LocalCluster`` of two workers).
    progress_bar : bool

    Returns
    -------
    SBCResult
    """
    replicates = check_int("replicates", replicates, 1)
    n = check_int("n", n, 1)
    num_chains = check_int("num_chains", num_chains, 1)
    num_warmup = check_int("num_warmup", num_warmup, 0)
    num_samples = check_int("num_samples", num_samples, 1)
    num_ranks = check_int("num_ranks", num_ranks, 2)
    batch_size = check_int("batch_size", batch_size, 1)
    seed = check_int("seed", seed, 0)
    if num_ranks > num_chains * num_samples + 1:
        raise ValueError(f"num_ranks must be <= num_chains * num_samples + 1 = "
                         f"{num_chains * num_samples + 1}, got num_ranks={num_ranks!r}")
    n_hyperparameters = check_simulation(scale, threshold, n_hyperparameters)
    check_choice("executor", executor, EXECUTORS)
    if bound is not None and not direction.beyond(bound, threshold, minimize):
        raise ValueError(f"bound must lie beyond the threshold {threshold!r}, got bound={bound!r}")
    pri = priors or Priors()
    settings = {
        "study": "sbc", "n": n, "threshold": float(threshold), "scale": float(scale),
        "minimize": bool(minimize), "bound": None if bound is None else float(bound),
        "gamma_max": n_hyperparameters, "num_ranks": num_ranks, "num_chains": num_chains,
        "num_warmup": num_warmup, "num_samples": num_samples,
        "target_accept_prob": float(target_accept_prob), "priors": vars(pri) | {},
        "seed": seed, "batch_size": batch_size,
    }
    stream = Stream(path, {"bayesnq_study": "sbc", "settings": settings})

    execute(partial(_sbc_task, settings), batches(replicates, batch_size), stream,
             executor=executor, address=address, progress=progress_bar, desc="sbc",
             total=replicates)
    recs = [stream.records[i] for i in range(replicates)]
    return SBCResult(
        ranks={k: np.array([r[f"rank_{k}"] for r in recs]) for k in PARAMETERS},
        num_ranks=num_ranks,
        true={k: np.array([r[f"true_{k}"] for r in recs]) for k in PARAMETERS},
        divergences=np.array([r["divergences"] for r in recs]),
        settings=settings,
    )


def sbc_importance(*, replicates=200, n=48, threshold=0.0, scale=1.0, n_hyperparameters=5,
                   draws=65536, priors=None, seed=0, first=0, progress_bar=False):
    r"""SBC without a sampler: each replicate's posterior by importance sampling from the prior.

    The replicates of :func:`sbc` with the same ``seed`` (the same true parameters and
    simulated searches, maximize form, no bound), but each posterior is the prior
    reweighted by the censored likelihood

    .. math::

        w_\ell \propto \prod_{i: y_i > \tau} f(y_i \mid \theta_\ell)\;
        F(\tau \mid \theta_\ell)^{\,n - n_\text{tail}},
        \qquad \theta_\ell \sim p(\theta),\ \ell = 1..M,

    and the PIT of the true value is :math:`u_j = \sum_\ell w_\ell
    [\theta_{\ell j} < \theta_j]`. Exact as :math:`M \to \infty` (its accuracy is that of
    the effective sample size :math:`1 / \sum_\ell w_\ell^2`, reported per replicate), so
    it separates the model from the sampler: where NUTS's ranks and these PITs agree
    replicate by replicate, a lean in both is the model's (or the simulator's), not NUTS's.

    Parameters
    ----------
    replicates, n, threshold, scale, n_hyperparameters, priors, seed
        As in :func:`sbc`.
    draws : int, default 65536
        Prior draws :math:`M` per replicate, from ``PRNGKey(1000 + i + 1000003 * seed)``
        for replicate ``i`` (independent of the truth's keys).
    first : int, default 0
        Replicates ``first .. first + replicates - 1`` (to extend a study in parts).
    progress_bar : bool

    Returns
    -------
    list of dict
        Per replicate: ``replicate``, ``n_tail``, ``ess``, ``true`` (the parameters) and
        ``pit`` (``beta``, ``gamma``, ``sigma``, ``alpha``).
    """
    replicates = check_int("replicates", replicates, 1)
    n = check_int("n", n, 1)
    draws = check_int("draws", draws, 2)
    seed = check_int("seed", seed, 0)
    first = check_int("first", first, 0)
    n_hyperparameters = check_simulation(scale, threshold, n_hyperparameters)
    pri = priors or Priors()
    base = jax.random.PRNGKey(seed)
    out = []
    bar = make_progress_bar(replicates, 0, progress_bar, "sbc_importance")
    for i in range(first, first + replicates):
        kp, ky, _ = jax.random.split(jax.random.fold_in(base, i), 3)
        p = prior_draws(kp, threshold=threshold, scale=scale, gamma_max=n_hyperparameters,
                        priors=pri)
        p = {k: float(v[0]) for k, v in p.items()}
        y = simulate_scores(ky, p, n, threshold=threshold)
        q = prior_draws(jax.random.PRNGKey(1000 + i + 1000003 * seed), threshold=threshold,
                        scale=scale, gamma_max=n_hyperparameters, priors=pri, size=draws)
        log_w = np.asarray(_censored_log_likelihood(
            jnp.asarray(y), float(threshold), *(jnp.asarray(q[k]) for k in PARAMETERS)))
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        out.append({"replicate": i, "n_tail": int((y > threshold).sum()),
                    "ess": float(1.0 / np.sum(w * w)), "true": p,
                    "pit": {k: float(w[q[k] < p[k]].sum()) for k in PARAMETERS}})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return out


@jax.jit
def _censored_log_likelihood(y, threshold, alpha, beta, gamma, sigma):
    """Censored tail log-likelihood of one search at each of many parameter draws."""
    values, run_index = runs_beyond(y, y > threshold, threshold + 1.0)

    def one(theta):
        return per_run_loglik(NoisyQuadratic(*theta), values, run_index, threshold).sum()

    return lax.map(one, (alpha, beta, gamma, sigma), batch_size=4096)
