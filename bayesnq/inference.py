"""Posterior inference for the tail model with NUTS, and the ``Fit`` result."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.distributions import constraints
from numpyro.distributions.transforms import biject_to
from numpyro.infer import MCMC, NUTS, init_to_value

from bayesnq import arviz_compat
from bayesnq.data import Scores, check_tail
from bayesnq.distribution import NoisyQuadratic
from bayesnq.model import Priors, TailData, derive_alpha, _per_run_loglik, tail_model

__all__ = ["fit", "Fit", "DiagnosticsWarning"]

PARAMS = ("alpha", "beta", "gamma", "sigma")
TARGET_ACCEPT_PROB = 0.9  # NUTS's target acceptance rate, unless a caller sets one


class DiagnosticsWarning(UserWarning):
    """A fit failed one of its convergence checks."""


def fit(
    scores,
    *,
    minimize=None,
    threshold,
    n_hyperparameters=None,
    bounds=None,
    gamma="continuous",
    priors: Priors | None = None,
    num_chains=4,
    num_warmup=1000,
    num_samples=1000,
    seed=0,
    progress_bar=True,
    target_accept_prob=TARGET_ACCEPT_PROB,
    check=True,
) -> "Fit":
    r"""Fit the noisy quadratic tail beyond ``threshold`` with NUTS.

    Parameters
    ----------
    scores : Scores or array_like
        Random-search scores, one per run. A :class:`~bayesnq.data.Scores` also supplies
        the direction, the metric's bounds and the number of hyperparameters.
    minimize : bool, optional
        Direction of the search (``False``: higher is better). Defaults to the
        ``Scores``' own, else ``False``.
    threshold : float, "auto" or sequence of float
        Where the asymptotic regime begins: scores beyond it (above when maximizing) enter
        through the density, the others are censored at it. ``"auto"`` or a list of
        candidates makes the threshold a parameter: it is marginalized exactly over the
        candidates (``"auto"``: 16 with tail fractions 5% to 80% of the runs, see
        :func:`bayesnq.criteria.default_thresholds`) under the spliced likelihood of
        :mod:`bayesnq.model`, the posterior holds ``tau`` draws and
        :meth:`Fit.threshold_probabilities` gives :math:`P(\tau \mid y)`.
    n_hyperparameters : int, optional
        Upper bound for :math:`\gamma` (the paper's reading: :math:`\gamma` cannot exceed
        the number of hyperparameters).
    bounds : (float or None, float or None), optional
        Known range of the metric (e.g. ``(0, 1)`` for accuracy); bounds the best possible
        score.
    gamma : {"continuous", "integer"}
        ``"integer"`` marginalizes :math:`\gamma \in \{1, \dots, K\}` exactly and reports
        :math:`P(\gamma = k)`; it needs ``n_hyperparameters``.
    priors : Priors, optional
        Prior scales (see :mod:`bayesnq.model`).
    num_chains, num_warmup, num_samples, seed, progress_bar, target_accept_prob
        NUTS settings. Chains run in parallel when JAX has a device for each.
    check : bool
        Warn (``DiagnosticsWarning``) unless r-hat <= 1.01, bulk ESS >= 400 for every
        parameter and there are no divergences.

    Returns
    -------
    Fit
    """
    if isinstance(scores, Scores):
        data_obj = scores
        minimize = scores.minimize if minimize is None else bool(minimize)
        if bounds is None and any(b is not None for b in scores.bounds):
            bounds = scores.bounds
        if n_hyperparameters is None:
            n_hyperparameters = scores.n_hyperparameters
    else:
        minimize = bool(minimize) if minimize is not None else False
        data_obj = Scores(values=np.asarray(scores, dtype=float), minimize=minimize)
    values = np.asarray(data_obj.values, dtype=float)
    grid = _threshold_grid(values, threshold, minimize)
    if grid is None:
        threshold = float(threshold)
        check_tail(values, threshold, minimize)
    _check_settings(gamma, n_hyperparameters, num_chains, num_samples)

    if grid is not None:
        return _fit_over_thresholds(
            data_obj, values, grid, minimize=minimize, n_hyperparameters=n_hyperparameters,
            bounds=bounds, gamma=gamma, priors=priors or Priors(), num_chains=num_chains,
            num_warmup=num_warmup, num_samples=num_samples, seed=seed,
            progress_bar=progress_bar, target_accept_prob=target_accept_prob, check=check,
        )
    return _fit_fixed(data_obj, values, threshold, minimize=minimize,
                      n_hyperparameters=n_hyperparameters, bounds=bounds, gamma=gamma,
                      priors=priors or Priors(), num_chains=num_chains, num_warmup=num_warmup,
                      num_samples=num_samples, seed=seed, progress_bar=progress_bar,
                      target_accept_prob=target_accept_prob, check=check)


def _check_settings(gamma, n_hyperparameters, num_chains, num_samples):
    if gamma not in ("continuous", "integer"):
        raise ValueError(f"gamma must be 'continuous' or 'integer', got gamma={gamma!r}")
    if n_hyperparameters is not None and (int(n_hyperparameters) < 1):
        raise ValueError(f"n_hyperparameters must be >= 1, got {n_hyperparameters!r}")
    if gamma == "integer" and n_hyperparameters is None:
        raise ValueError("gamma='integer' needs n_hyperparameters (the largest gamma)")
    for name, val in (("num_chains", num_chains), ("num_samples", num_samples)):
        if int(val) < 1:
            raise ValueError(f"{name} must be >= 1, got {name}={val!r}")


def _fit_fixed(data_obj, values, threshold, *, minimize, n_hyperparameters, bounds, gamma,
               priors, num_chains, num_warmup, num_samples, seed, progress_bar,
               target_accept_prob, check, tail_size=None):
    """:func:`fit` at one threshold; ``tail_size`` pads the distinct tail scores.

    The sampler takes the data's arrays (:meth:`TailData.arrays`) as arguments, so fits
    with the same shapes and settings share one compiled program through JAX's
    compilation cache (:func:`_use_compilation_cache`):
    :func:`~bayesnq.criteria.compare_thresholds` pads every candidate's tail to the largest.
    """
    data = TailData.build(values, threshold, minimize=minimize, bounds=bounds)
    mcmc = _run_nuts(tail_model, data, _initial_values(data, gamma, n_hyperparameters),
                     priors=priors, gamma=gamma, n_hyperparameters=n_hyperparameters,
                     num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples,
                     seed=seed, progress_bar=progress_bar,
                     target_accept_prob=target_accept_prob, arrays=data.arrays(tail_size))
    result = Fit(
        scores=data_obj,
        minimize=minimize,
        threshold=threshold,
        gamma_mode=gamma,
        n_hyperparameters=n_hyperparameters,
        bounds=bounds,
        idata=_to_idata(mcmc, data, gamma, seed),
        data=data,
    )
    if check:
        result.check()
    return result


def _initial_values(ref: TailData, gamma, n_hyperparameters) -> dict:
    """Start every chain at a central point of the sampled coordinates."""
    init = {
        "beta_t": 0.0,  # beta a little above the best score (see model.sample_beta)
        "sigma_rel": 0.05,
        "q": float(np.clip(ref.tail.size / ref.n, 0.01, 0.99)),
    }
    if gamma == "continuous":
        init["log_gamma"] = float(np.log(min(2.0, n_hyperparameters or 2.0) * 0.75))
    return init


def _use_compilation_cache():
    """Keep JAX's compiled programs on disk, so that a repeated fit skips compilation.

    Called by every fit (fixed or inferred threshold) and by the command line, which
    also covers its studies. The folder is ``$BAYESNQ_CACHE_DIR``, else the folder
    already set in ``jax.config.jax_compilation_cache_dir``, else
    ``$XDG_CACHE_HOME/bayesnq/jax`` (default ``~/.cache/bayesnq/jax``);
    ``BAYESNQ_CACHE_DIR=off`` turns the cache off. A fixed-threshold sampler takes its data
    as arguments, so the cache serves any fit with the same shapes (runs, distinct tail
    scores) and settings: a re-run cell, a new seed, the CLI run twice, another threshold
    in :func:`~bayesnq.criteria.compare_thresholds`. On AlexNet the fixed cost of a fit
    falls from about 5 s to under 1 s.
    """
    folder = os.environ.get("BAYESNQ_CACHE_DIR")
    if folder is None:
        if jax.config.jax_compilation_cache_dir:
            return
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "bayesnq", "jax")
    if folder.strip().lower() in ("off", "0", "none", ""):
        return
    if jax.config.jax_compilation_cache_dir == folder:
        return
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return  # a read-only home: run without the cache
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def _run_nuts(model, data, init, *, priors, gamma, n_hyperparameters, num_chains, num_warmup,
              num_samples, seed, progress_bar, target_accept_prob, arrays=None) -> MCMC:
    """NUTS on ``model``; chains in parallel when JAX has a device for each.

    The mass matrix is dense: the posterior's parameters are correlated (beta with gamma
    and sigma), and a dense metric takes fewer leapfrog steps per draw than a diagonal one.
    ``model`` gets ``arrays`` (when given) as an argument of the compiled program, and
    the chains start at ``init`` (constrained values) given as one too, so that the
    program depends on the data only through their shapes (see :func:`_parallel_with`).
    """
    _use_compilation_cache()
    _bound_memory_maps()
    settings = dict(data=data, priors=priors, gamma_max=n_hyperparameters, gamma_mode=gamma)
    if arrays is not None:  # numpyro passes only arrays to a model as program arguments
        model, settings = partial(model, **settings), {"arrays": arrays}
    kernel = NUTS(model, target_accept_prob=target_accept_prob, dense_mass=True,
                  init_strategy=init_to_value(values={}))
    parallel = jax.local_device_count() >= num_chains and int(num_chains) > 1
    mcmc = MCMC(kernel, num_warmup=int(num_warmup), num_samples=int(num_samples),
                num_chains=int(num_chains), chain_method="parallel" if parallel else "sequential",
                progress_bar=progress_bar, jit_model_args=arrays is not None)
    if parallel and arrays is not None:
        # set after construction: numpyro turns progress bars off for a callable
        # chain_method, and they work in this one as in its own "parallel"
        mcmc.chain_method = _parallel_with(arrays)
    z0 = _unconstrained(init, n_hyperparameters)
    if int(num_chains) > 1:
        z0 = {k: jnp.broadcast_to(v, (int(num_chains),)) for k, v in z0.items()}
    mcmc.run(jax.random.PRNGKey(seed), init_params=z0, **settings)
    return mcmc


def _bound_memory_maps(fraction=0.6, limit=None):
    """Drop JAX's compiled programs when the process nears the kernel's memory-map limit.

    JAX keeps every compiled sampler while the process lives, and each holds about 2,000
    memory maps (a DeBERTaV3 fit with 2 chains, measured). Linux allows 65,530 per process
    by default (``vm.max_map_count``), so about 30 fits in one process reach it, and XLA
    then crashes (a segfault while compiling or writing the compilation cache). Above
    ``fraction`` of the limit, :func:`jax.clear_caches` frees them all; later calls compile
    again (or load from the compilation cache). Does nothing where ``/proc`` is missing.
    """
    try:
        if limit is None:
            with open("/proc/sys/vm/max_map_count") as fh:
                limit = int(fh.read())
        with open("/proc/self/maps", "rb") as fh:
            used = sum(1 for _ in fh)
    except (OSError, ValueError):
        return
    if used > fraction * limit:
        jax.clear_caches()


def _unconstrained(init, gamma_max):
    """The sampler's coordinates of the constrained starting values ``init``."""
    supports = {"sigma_rel": constraints.positive, "q": constraints.unit_interval}
    if gamma_max is not None:
        supports["log_gamma"] = constraints.less_than_eq(float(np.log(gamma_max)))
    return {k: biject_to(supports.get(k, constraints.real)).inv(jnp.asarray(v, dtype=float))
            for k, v in init.items()}


def _parallel_with(arrays):
    """numpyro's parallel chains, with the model's ``arrays`` as arguments of the pmap.

    numpyro hands its ``chain_method`` the per-chain function with the model's arguments
    bound (a ``functools.partial``); ``chain_method="parallel"`` pmaps it as it is, which
    builds the data into the compiled program, so a new dataset (or threshold) of the same
    shapes is compiled again (about 7 s). Here ``arrays`` is passed to the pmap instead.
    """

    def chain_method(fn):
        bound = dict(fn.keywords)
        kwargs = dict(bound.pop("kwargs"))
        kwargs.pop("arrays")

        def per_chain(map_args, arrays):
            return fn.func(map_args, kwargs=dict(kwargs, arrays=arrays), **bound)

        return lambda map_args: jax.pmap(per_chain, in_axes=(0, None))(map_args, arrays)

    return chain_method


def _to_idata(mcmc, data: TailData, gamma_mode, seed):
    samples = mcmc.get_samples(group_by_chain=True)
    if gamma_mode == "integer":
        samples = _integer_gamma_draws(samples, data, seed)
    names = [*PARAMS, "tail_mass"] + (["gamma_logp"] if gamma_mode == "integer" else [])
    post = {k: np.asarray(samples[k]) for k in names}
    for k in ("beta_t", "sigma_rel", "q", "log_gamma"):
        if k in samples:
            post[k] = np.asarray(samples[k])
    ll = _pointwise_loglik(samples, data)
    stats = mcmc.get_extra_fields(group_by_chain=True)
    sample_stats = {
        "diverging": np.asarray(stats["diverging"]),
    }
    for key in ("num_steps", "accept_prob", "energy"):
        if key in stats:
            sample_stats[{"num_steps": "n_steps", "accept_prob": "acceptance_rate"}.get(key, key)] = (
                np.asarray(stats[key])
            )
    y_obs = _observed_values(data)
    pp = _posterior_predictive(post, data, seed)
    dims = {"y": ["run"], "gamma_logp": ["gamma_value"]}
    coords = {"run": np.arange(data.n)}
    thinned = pp.shape[-1] != data.n  # replicate searches shorter than the data
    if "gamma_logp" in post:
        coords["gamma_value"] = np.arange(1, post["gamma_logp"].shape[-1] + 1)
    idata = arviz_compat.from_dict(
        posterior=post,
        sample_stats=sample_stats,
        log_likelihood={"y": ll},
        observed_data={"y": y_obs},
        posterior_predictive=None if thinned else {"y": pp},
        coords=coords,
        dims=dims,
    )
    if thinned:
        idata.add_groups(
            posterior_predictive={"y": pp},
            coords={"replicate_run": np.arange(pp.shape[-1])},
            dims={"y": ["replicate_run"]},
        )
    return idata


def _observed_values(data: TailData):
    sign = -1.0 if data.minimize else 1.0
    y = np.empty(data.n)
    y[data.index_tail] = sign * data.tail
    y[data.index_below] = sign * data.threshold
    return y


def _pointwise_loglik(samples, data: TailData):
    alpha, beta = jnp.asarray(samples["alpha"]), jnp.asarray(samples["beta"])
    if data.minimize:
        alpha, beta = -beta, -alpha
    gamma, sigma = jnp.asarray(samples["gamma"]), jnp.asarray(samples["sigma"])
    arrays = data.arrays()
    flat = tuple(x.reshape(-1) for x in (alpha, beta, gamma, sigma))
    ll = _loglik_draws(flat, arrays["values"], arrays["run_index"], data.threshold)
    return np.asarray(ll).reshape(alpha.shape + (data.n,))


@jax.jit
def _loglik_draws(params, values, run_index, threshold):
    """Per-run log-likelihood for each draw of ``params`` = (alpha, beta, gamma, sigma).

    The data are arguments, so one compiled program serves every fit of the same shapes.
    """

    def one(p):
        return _per_run_loglik(NoisyQuadratic(*p), values, run_index, threshold)

    return jax.lax.map(one, params, batch_size=64)


def _integer_gamma_draws(samples, data: TailData, seed):
    """Draw gamma from its exact conditional given the continuous parameters."""
    logp = jnp.asarray(samples["gamma_logp"])
    key = jax.random.PRNGKey(seed + 7919)
    idx = jax.random.categorical(key, logp, axis=-1)
    gamma = (idx + 1).astype(float)
    beta_o = jnp.asarray(samples["beta"] if not data.minimize else -samples["alpha"])
    sigma = jnp.asarray(samples["sigma"])
    q = jnp.asarray(samples["q"])
    alpha_o = derive_alpha(beta_o, gamma, q, data.threshold)
    d = NoisyQuadratic(alpha_o, beta_o, gamma, sigma)
    out = dict(samples)
    out["gamma"] = gamma
    if data.minimize:
        out["alpha"], out["beta"] = -beta_o, -alpha_o
    else:
        out["alpha"], out["beta"] = alpha_o, beta_o
    out["tail_mass"] = jnp.exp(d.log_sf(data.threshold))
    return out


def _posterior_predictive(post, data: TailData, seed, max_values=16_000_000):
    """Replicated random searches: n scores per posterior draw (thinned if large)."""
    shape = post["beta"].shape
    d = NoisyQuadratic(
        jnp.asarray(post["alpha"]),
        jnp.asarray(post["beta"]),
        jnp.asarray(post["gamma"]),
        jnp.asarray(post["sigma"]),
        minimize=data.minimize,
    )
    n = data.n if np.prod(shape) * data.n <= max_values else max(1, max_values // int(np.prod(shape)))
    y = d.sample(jax.random.PRNGKey(seed + 104729), (n,))
    return np.moveaxis(np.asarray(y), 0, -1)


# ----------------------------------------------------------------------------- threshold grid


def _threshold_grid(values, threshold, minimize):
    """None for a single threshold; else the candidate grid (user units, validated)."""
    if isinstance(threshold, str):
        if threshold != "auto":
            raise ValueError(
                f"threshold must be a number, 'auto' or a list of numbers, got threshold={threshold!r}"
            )
        from bayesnq.criteria import default_thresholds

        return default_thresholds(values, minimize=minimize)
    if np.ndim(threshold) == 0:
        if isinstance(threshold, bool):
            raise ValueError(f"threshold must be a number, got threshold={threshold!r}")
        try:
            float(threshold)
        except (TypeError, ValueError):
            raise ValueError(
                f"threshold must be a number, 'auto' or a list of numbers, got threshold={threshold!r}"
            ) from None
        return None
    try:
        grid = np.asarray(threshold, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"threshold: a grid must hold numbers, got threshold={threshold!r}") from None
    if grid.ndim != 1 or np.unique(grid).size < 2:
        raise ValueError(
            f"threshold: a grid needs at least 2 distinct candidates, got threshold={threshold!r}"
        )
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"threshold: candidates must be finite, got threshold={threshold!r}")
    for t in np.unique(grid):
        check_tail(values, float(t), minimize)
    return np.unique(grid)


def _fit_over_thresholds(scores, values, grid, *, minimize, n_hyperparameters, bounds, gamma,
                         priors, num_chains, num_warmup, num_samples, seed, progress_bar,
                         target_accept_prob, check):
    from bayesnq.model import SplicedData, threshold_model

    data = SplicedData.build(values, grid, minimize=minimize, bounds=bounds)
    mcmc = _run_nuts(threshold_model, data,
                     _initial_values(data.reference, gamma, n_hyperparameters),
                     priors=priors, gamma=gamma, n_hyperparameters=n_hyperparameters,
                     num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples,
                     seed=seed, progress_bar=progress_bar,
                     target_accept_prob=target_accept_prob)
    idata, best = _threshold_idata(mcmc, data, gamma, seed)
    tau_best = float(data.user_thresholds[best])
    result = Fit(
        scores=scores,
        minimize=minimize,
        threshold=tau_best,
        gamma_mode=gamma,
        n_hyperparameters=n_hyperparameters,
        bounds=bounds,
        idata=idata,
        data=TailData.build(values, tau_best, minimize=minimize, bounds=bounds),
        thresholds=data.user_thresholds,
        spliced=data,
    )
    if check:
        result.check()
    return result


def _draw_tau(samples, data, gamma_mode, seed):
    """Draw tau (and integer gamma) from the exact conditional; returns the new samples."""
    key = jax.random.PRNGKey(seed + 15485863)
    out = {k: np.asarray(v) for k, v in samples.items()}
    beta_o = out["beta"] if not data.minimize else -out["alpha"]
    alpha_o = out["alpha"] if not data.minimize else -out["beta"]
    gamma = out["gamma"]
    if gamma_mode == "integer":
        joint = np.asarray(samples["gamma_tau_logp"])
        k_count, t_count = joint.shape[-2:]
        flat = joint.reshape(joint.shape[:-2] + (k_count * t_count,))
        pick = np.asarray(jax.random.categorical(key, jnp.asarray(flat), axis=-1))
        gamma = (pick // t_count + 1).astype(float)
        idx = pick % t_count
        from scipy.special import logsumexp

        out["gamma_logp"] = logsumexp(joint, axis=-1)
        out["tau_logp"] = logsumexp(joint, axis=-2)
        alpha_o = np.asarray(derive_alpha(beta_o, gamma, out["q"], data.reference.threshold))
        out["gamma"] = gamma
        out.pop("gamma_tau_logp")
    else:
        idx = np.asarray(jax.random.categorical(key, jnp.asarray(out["tau_logp"]), axis=-1))
    tau_o = data.thresholds[idx]
    d = NoisyQuadratic(jnp.asarray(alpha_o), jnp.asarray(beta_o), jnp.asarray(gamma),
                       jnp.asarray(out["sigma"]))
    out["tail_mass"] = np.exp(np.asarray(d.log_sf(jnp.asarray(tau_o))))
    out["alpha"], out["beta"] = (-beta_o, -alpha_o) if data.minimize else (alpha_o, beta_o)
    out["tau"] = -tau_o if data.minimize else tau_o
    out["tau_index"] = idx
    return out


def _threshold_idata(mcmc, data, gamma_mode, seed):
    samples = _draw_tau(mcmc.get_samples(group_by_chain=True), data, gamma_mode, seed)
    names = [*PARAMS, "tail_mass", "tau", "tau_logp"]
    if gamma_mode == "integer":
        names.append("gamma_logp")
    post = {k: np.asarray(samples[k]) for k in names}
    for k in ("beta_t", "sigma_rel", "q", "log_gamma"):
        if k in samples:
            post[k] = np.asarray(samples[k])
    shape = post["beta"].shape
    rng = np.random.default_rng(seed + 2)
    idx = samples["tau_index"].reshape(-1)
    flat = {k: post[k].reshape(-1) for k in PARAMS}
    ll = spliced_pointwise(data, flat, idx, rng).reshape(shape + (data.n,))
    stats = mcmc.get_extra_fields(group_by_chain=True)
    sample_stats = {"diverging": np.asarray(stats["diverging"])}
    for key, name in (("num_steps", "n_steps"), ("accept_prob", "acceptance_rate"),
                      ("energy", "energy")):
        if key in stats:
            sample_stats[name] = np.asarray(stats[key])
    pp = _spliced_predictive(data, flat, idx, rng).reshape(shape + (-1,))
    sign = -1.0 if data.minimize else 1.0
    dims = {"y": ["run"], "tau_logp": ["tau_value"], "gamma_logp": ["gamma_value"]}
    coords = {"run": np.arange(data.n), "tau_value": data.user_thresholds}
    if "gamma_logp" in post:
        coords["gamma_value"] = np.arange(1, post["gamma_logp"].shape[-1] + 1)
    thinned = pp.shape[-1] != data.n
    idata = arviz_compat.from_dict(
        posterior=post,
        sample_stats=sample_stats,
        log_likelihood={"y": ll},
        observed_data={"y": sign * data.values},
        posterior_predictive=None if thinned else {"y": pp},
        coords=coords,
        dims=dims,
    )
    if thinned:
        idata.add_groups(posterior_predictive={"y": pp},
                         coords={"replicate_run": np.arange(pp.shape[-1])},
                         dims={"y": ["replicate_run"]})
    prob = np.exp(post["tau_logp"]).reshape(-1, data.thresholds.size).mean(0)
    return idata, int(np.argmax(prob))


def _body_weights(data, tau_index, rng):
    """Per draw, body-histogram weights from their Dirichlet posterior; 0 beyond the body."""
    k_body = np.searchsorted(data.edges, data.thresholds, side="left")[tau_index]
    counts = data.bin_counts[tau_index]
    inside = np.arange(counts.shape[-1])[None, :] < k_body[:, None]
    g = np.where(inside, rng.standard_gamma(np.where(inside, data.dirichlet + counts, 1.0)), 0.0)
    total = g.sum(-1, keepdims=True)
    return np.where(total > 0, g / np.where(total > 0, total, 1.0), 0.0)


def spliced_pointwise(data, draws, tau_index, rng):
    r"""Pointwise spliced log-likelihood per draw, shape (S, n).

    Runs beyond the draw's threshold :math:`\tau_s`: :math:`\log f_\theta(y)`; the others
    :math:`\log F_\theta(\tau_s) + \log w_{k(y)} - \log\Delta_{k(y)}`, with the body weights
    :math:`w` drawn from their Dirichlet posterior (independent of :math:`\theta`).

    Parameters
    ----------
    data : SplicedData
    draws : dict of flat arrays alpha, beta, gamma, sigma (user orientation)
    tau_index : array of int, shape (S,)
        Candidate index of each draw.
    rng : numpy Generator
    """
    alpha, beta = (np.asarray(draws[k], dtype=float) for k in ("alpha", "beta"))
    if data.minimize:
        alpha, beta = -beta, -alpha
    gamma, sigma = (np.asarray(draws[k], dtype=float) for k in ("gamma", "sigma"))
    tau = data.thresholds[tau_index]
    y = jnp.asarray(data.values)

    @jax.jit
    def one(a, b, g, s, t):
        d = NoisyQuadratic(a, b, g, s)
        return jnp.where(y > t, d.log_prob(y), d.log_cdf(t))

    ll = np.asarray(jax.lax.map(lambda p: one(*p), tuple(jnp.asarray(x) for x in
                                                          (alpha, beta, gamma, sigma, tau)),
                                batch_size=64))
    w = _body_weights(data, tau_index, rng)
    widths = np.diff(data.edges)
    in_body = data.values[None, :] <= tau[:, None]
    bins = np.clip(data.bin_of, 0, widths.size - 1)
    with np.errstate(divide="ignore"):
        body = np.log(w[:, bins]) - np.log(widths[bins])[None, :]
    return np.where(in_body, ll + body, ll)


def _spliced_predictive(data, draws, tau_index, rng, max_values=16_000_000):
    """Replicated searches from the spliced model: NQ draws, body runs replaced by histogram draws."""
    s_count = tau_index.size
    n = data.n if s_count * data.n <= max_values else max(1, max_values // s_count)
    alpha, beta = (np.asarray(draws[k], dtype=float) for k in ("alpha", "beta"))
    if data.minimize:
        alpha, beta = -beta, -alpha
    d = NoisyQuadratic(jnp.asarray(alpha), jnp.asarray(beta), jnp.asarray(draws["gamma"]),
                       jnp.asarray(draws["sigma"]))
    y = np.moveaxis(np.asarray(d.sample(jax.random.PRNGKey(int(rng.integers(2**31))), (n,))), 0, -1)
    tau = data.thresholds[tau_index][:, None]
    w = _body_weights(data, tau_index, rng)
    cum = np.cumsum(w, axis=-1)
    u = rng.random((s_count, n)) * cum[:, -1:]
    bins = np.minimum(np.array([np.searchsorted(c, uu) for c, uu in zip(cum, u)]), w.shape[-1] - 1)
    lo, hi = data.edges[bins], data.edges[bins + 1]
    body = lo + (hi - lo) * rng.random((s_count, n))
    out = np.where(y <= tau, body, y)
    return -out if data.minimize else out


@dataclass
class Fit:
    r"""Result of :func:`fit`: the posterior as labelled data, and what to ask of it.

    Attributes
    ----------
    idata : arviz.InferenceData
        ``posterior`` (``alpha``, ``beta``, ``gamma``, ``sigma``, ``tail_mass`` in the
        paper's meaning, plus the sampler's own coordinates), ``sample_stats``,
        ``log_likelihood`` (one entry per run: tail runs ``log f(y)``, censored runs
        ``log F(tau)``), ``observed_data`` (censored runs at the threshold) and
        ``posterior_predictive`` (replicated searches).
    threshold : float
        The threshold; for an inferred threshold (``thresholds`` set), the candidate with
        the highest posterior probability.
    thresholds : np.ndarray or None
        Candidate grid of an inferred-threshold fit. The posterior then also holds ``tau``
        (drawn from :math:`P(\tau \mid \theta, y)`) and ``tau_logp`` (that conditional);
        ``log_likelihood`` and ``posterior_predictive`` are those of the spliced model at
        the drawn threshold (see :mod:`bayesnq.model`).
    """

    scores: Scores
    minimize: bool
    threshold: float
    gamma_mode: str
    n_hyperparameters: int | None
    bounds: tuple | None
    idata: object
    data: TailData
    thresholds: np.ndarray | None = None  # candidate grid when the threshold was inferred
    spliced: object = None  # the SplicedData of an inferred-threshold fit
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------ draws
    def draws(self) -> dict[str, np.ndarray]:
        """Flat posterior draws (chains x draws) of alpha, beta, gamma, sigma, tail_mass."""
        post = self.idata.posterior
        return {k: np.asarray(post[k]).reshape(-1) for k in (*PARAMS, "tail_mass")}

    @property
    def best_name(self) -> str:
        """``'alpha'`` (minimize) or ``'beta'`` (maximize): the best possible score."""
        return "alpha" if self.minimize else "beta"

    def distribution(self) -> NoisyQuadratic:
        """The posterior draws as one batched :class:`NoisyQuadratic`."""
        d = self.draws()
        return NoisyQuadratic(d["alpha"], d["beta"], d["gamma"], d["sigma"], minimize=self.minimize)

    # ------------------------------------------------------------ diagnostics
    def diagnostics(self) -> dict:
        """r-hat, bulk ESS per parameter and the number of divergences."""
        rhat = arviz_compat.rhat(self.idata, var_names=list(PARAMS))
        ess = arviz_compat.ess(self.idata, var_names=list(PARAMS))
        div = int(np.asarray(self.idata.sample_stats["diverging"]).sum())
        n_chains = self.idata.posterior.sizes["chain"]
        return {
            "r_hat": {k: float(rhat[k]) for k in PARAMS},
            "ess_bulk": {k: float(ess[k]) for k in PARAMS},
            "divergences": div,
            "chains": int(n_chains),
        }

    def check(self, max_rhat=1.01, min_ess=400) -> list[str]:
        """Warn about failed convergence checks; returns the list of problems."""
        diag = self.diagnostics()
        problems = []
        fixed_gamma = self.gamma_mode == "integer"
        for k in PARAMS:
            if fixed_gamma and k == "gamma":
                continue
            r, e = diag["r_hat"][k], diag["ess_bulk"][k]
            if diag["chains"] > 1 and not r <= max_rhat:
                problems.append(f"r-hat of {k} is {r:.3f} > {max_rhat}")
            if not e >= min_ess:
                problems.append(f"bulk ESS of {k} is {e:.0f} < {min_ess}")
        if diag["divergences"]:
            problems.append(f"{diag['divergences']} divergent transitions")
        if problems:
            warnings.warn(
                "fit diagnostics: "
                + "; ".join(problems)
                + ". Try more samples (num_samples), a longer warmup, target_accept_prob=0.95,"
                " or a threshold deeper in the tail.",
                DiagnosticsWarning,
                stacklevel=3,
            )
        return problems

    # ------------------------------------------------------------ summaries
    def summary(self, ci=0.9):
        """Table of the best possible score, gamma, sigma, the other end and the tail mass.

        Columns: posterior mean, sd, median, the equal-tailed ``ci`` interval, bulk ESS
        and r-hat. For an inferred threshold, also a row for ``tau`` and rows
        ``P(tau = ...)`` for the three most probable candidates (probability in ``mean``);
        ``attrs["threshold_note"]`` says where :math:`P(\\tau)` puts its mass and the tail
        mass row is at the drawn threshold.
        """
        import pandas as pd

        d = self.draws()
        other = "beta" if self.minimize else "alpha"
        rows = [
            ("best score (" + self.best_name + ")", self.best_name),
            ("gamma", "gamma"),
            ("sigma", "sigma"),
            (other, other),
            ("tail mass P(Y beyond tau)", "tail_mass"),
        ]
        diag = self.diagnostics()
        lo_q, hi_q = (1 - ci) / 2, (1 + ci) / 2
        table = []
        for label, key in rows:
            x = d[key]
            table.append(
                {
                    "parameter": label,
                    "mean": float(np.mean(x)),
                    "sd": float(np.std(x, ddof=1)) if x.size > 1 else 0.0,
                    "median": float(np.median(x)),
                    f"{lo_q:.0%}": float(np.quantile(x, lo_q)),
                    f"{hi_q:.0%}": float(np.quantile(x, hi_q)),
                    "ess_bulk": diag["ess_bulk"].get(key, np.nan),
                    "r_hat": diag["r_hat"].get(key, np.nan),
                }
            )
        if self.thresholds is not None:
            probs, note = self._threshold_rows(table, ci)
        df = pd.DataFrame(table).set_index("parameter")
        if self.thresholds is not None:
            df.attrs.update(threshold_probabilities=probs.to_dict(orient="list"),
                            threshold_note=note)
        df.attrs.update(
            threshold=self.threshold,
            minimize=self.minimize,
            n_runs=self.data.n,
            n_tail=int(self.data.tail.size),
            divergences=diag["divergences"],
        )
        pit = self.loo_pit()
        df.attrs["loo_pit"] = {k: pit[k] for k in ("ks_statistic", "ks_p_value", "pareto_k_max",
                                                    "n")}
        return df

    def loo_pit(self, max_draws=1000) -> dict:
        r"""LOO-PIT posterior predictive check of the runs beyond the threshold.

        For each tail run :math:`i` (maximize), the leave-one-out probability integral
        transform under the tail's conditional distribution,

        .. math::

            u_i = \sum_s w_{is}\, \frac{F_s(y_i) - F_s(\tau)}{1 - F_s(\tau)},
            \qquad w_{is} \propto 1 / f_s(y_i),

        with Pareto-smoothed importance weights (:func:`arviz.psislw`) over (at most
        ``max_draws``, evenly thinned) posterior draws :math:`s`; for minimize,
        :math:`F_s(y_i)/F_s(\tau)`. Censored runs carry no value to check. If the model
        fits, the :math:`u_i` are close to uniform on [0, 1]; a Kolmogorov–Smirnov test
        summarizes them (approximate: the :math:`u_i` share the data). For an inferred
        threshold the check is made at ``self.threshold`` (the most probable candidate)
        with draws that average over :math:`\tau`, so it is approximate there.

        Returns
        -------
        dict
            ``pit`` (array, one per tail run), ``ks_statistic``, ``ks_p_value``,
            ``pareto_k`` (per run), ``pareto_k_max`` and ``n``.
        """
        key = ("loo_pit", int(max_draws))
        if key not in self._cache:
            self._cache[key] = self._loo_pit(int(max_draws))
        return dict(self._cache[key])

    def _loo_pit(self, max_draws):
        from scipy import stats

        d = self.draws()
        total = d["alpha"].size
        idx = np.unique(np.linspace(0, total - 1, min(total, int(max_draws))).round().astype(int))
        p = [jnp.asarray(d[k][idx])[:, None] for k in PARAMS]
        y = jnp.asarray(-self.data.tail if self.minimize else self.data.tail)[None, :]
        nq = NoisyQuadratic(*p, minimize=self.minimize)
        log_f = np.asarray(nq.log_prob(y))
        if self.minimize:
            cond = np.exp(np.asarray(nq.log_cdf(y)) - np.asarray(nq.log_cdf(self.threshold)))
        else:
            cond = -np.expm1(np.asarray(nq.log_sf(y)) - np.asarray(nq.log_sf(self.threshold)))
        log_w, k_hat = arviz_compat.psislw(-log_f.T)
        pit = np.clip((np.exp(np.asarray(log_w)) * cond.T).sum(-1), 0.0, 1.0)
        ks = stats.kstest(pit, "uniform") if pit.size else None
        k_hat = np.asarray(k_hat)
        return {
            "pit": pit,
            "ks_statistic": float(ks.statistic) if ks else float("nan"),
            "ks_p_value": float(ks.pvalue) if ks else float("nan"),
            "pareto_k": k_hat,
            "pareto_k_max": float(k_hat.max()) if k_hat.size else float("nan"),
            "n": int(pit.size),
        }

    def gamma_probabilities(self) -> dict[int, float]:
        """:math:`P(\\gamma = k \\mid y)` (integer mode, Rao–Blackwellized)."""
        if "gamma_logp" not in self.idata.posterior:
            raise ValueError("gamma_probabilities needs a fit with gamma='integer'")
        lp = np.asarray(self.idata.posterior["gamma_logp"])
        p = np.exp(lp).reshape(-1, lp.shape[-1]).mean(0)
        return {k + 1: float(p[k]) for k in range(p.size)}

    def threshold_probabilities(self):
        r""":math:`P(\tau = \tau_j \mid y)` over the candidates (Rao–Blackwellized).

        The average over draws of the exact conditional
        :math:`P(\tau_j \mid \theta^{(s)}, y)`.

        Returns
        -------
        pandas.DataFrame
            One row per candidate, ordered from the deepest tail (smallest tail fraction):
            ``threshold`` (score units), ``tail_fraction`` (share of runs beyond it),
            ``n_tail`` and ``probability``.
        """
        import pandas as pd

        if self.thresholds is None:
            raise ValueError(
                "threshold_probabilities needs a fit with an inferred threshold "
                f"(threshold='auto' or a list), this fit has threshold={self.threshold!r}"
            )
        lp = np.asarray(self.idata.posterior["tau_logp"])
        p = np.exp(lp).reshape(-1, lp.shape[-1]).mean(0)
        sp = self.spliced
        df = pd.DataFrame({
            "threshold": sp.user_thresholds,
            "tail_fraction": sp.tail_fractions,
            "n_tail": sp.n_tail.astype(int),
            "probability": p,
        })
        return df.iloc[::-1].reset_index(drop=True)

    def _threshold_rows(self, table, ci):
        """Rows for tau and where P(tau) puts its mass (inferred-threshold fits)."""
        probs = self.threshold_probabilities()
        tau = np.asarray(self.idata.posterior["tau"]).reshape(-1)
        lo_q, hi_q = (1 - ci) / 2, (1 + ci) / 2
        table.append({"parameter": "threshold tau", "mean": float(tau.mean()),
                      "sd": float(tau.std(ddof=1)) if tau.size > 1 else 0.0,
                      "median": float(np.median(tau)), f"{lo_q:.0%}": float(np.quantile(tau, lo_q)),
                      f"{hi_q:.0%}": float(np.quantile(tau, hi_q)), "ess_bulk": np.nan,
                      "r_hat": np.nan})
        top = probs.sort_values("probability", ascending=False).head(3)
        for _, row in top.iterrows():
            table.append({"parameter": f"P(tau = {row.threshold:.6g}; {row.tail_fraction:.0%} "
                          "of runs beyond)", "mean": float(row.probability)})
        best = top.iloc[0]
        note = (f"P(tau) puts {best.probability:.0%} on tau = {best.threshold:.6g} "
                f"({best.tail_fraction:.0%} of runs beyond)")
        return probs, note

    # ------------------------------------------------------------ tuning curves
    def tuning_curve(self, n, q=0.5, ci=0.8, **kwargs):
        """Posterior q-quantile tuning curve with an equal-tailed ``ci`` band."""
        from bayesnq import curves

        return curves.tuning_curve(self.draws(), n, minimize=self.minimize, q=q, ci=ci, **kwargs)

    def average_tuning_curve(self, n, ci=0.8, **kwargs):
        """Posterior mean tuning curve (expected best of n) with a ``ci`` band."""
        from bayesnq import curves

        return curves.average_tuning_curve(self.draws(), n, minimize=self.minimize, ci=ci, **kwargs)

    def runs_to_reach(self, score, q=0.5, ci=0.8):
        """How many runs until the q-quantile tuning curve reaches ``score``."""
        from bayesnq import curves

        return curves.runs_to_reach(self.draws(), score, minimize=self.minimize, q=q, ci=ci)

    def __repr__(self):
        d = self.draws()
        b = d[self.best_name]
        return (
            f"<Fit {self.scores.name or 'scores'}: {self.data.n} runs, "
            f"{self.data.tail.size} beyond {self.threshold:g}; "
            f"{self.best_name} {np.median(b):.4g} [{np.quantile(b, 0.05):.4g}, "
            f"{np.quantile(b, 0.95):.4g}], gamma {np.median(d['gamma']):.3g}>"
        )
