r"""The vectorized NUTS engine of the calibration studies.

Replicates are independent searches of the same size, so their NUTS chains can run as one
compiled JAX program: numpyro's functional NUTS, ``jax.vmap`` over chains, and over
replicates either ``lax.map`` (one after another) or ``vmap`` (in lockstep), split over the
local devices with ``pmap``. The model is :func:`vector_model`: the censored tail model of
:func:`bayesnq.modeling.tail_model` (continuous :math:`\gamma`, the same priors and
coordinates, the same likelihood function) on arrays of one shape: the tail is selected by
a mask.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from jax import lax
from numpyro.infer.hmc import hmc
from numpyro.infer.util import initialize_model

from bayesnq import direction
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling import (PARAMETERS, Priors, derive_alpha, floor_gap, initial_values,
                              per_run_loglik, runs_beyond, sample_gamma, sample_tail_parameters,
                              to_unconstrained)
from bayesnq.validation import check_int

__all__ = ["vector_model", "run_vectorized"]


def vector_model(y, mask, threshold, scale, room, gap, *, priors=Priors(), gamma_max=None,
                 bounded=False, resolution=None, floored=False):
    r""":func:`bayesnq.modeling.tail_model` (continuous :math:`\gamma`) on fixed-shape arrays.

    All arguments are in the maximize orientation. ``y`` holds every run; ``mask`` is 1
    for runs beyond ``threshold`` (density :math:`f(y)`) and 0 for censored runs
    (:math:`F(\tau)`): the censored likelihood of :mod:`bayesnq.modeling.likelihood` with
    one entry per run. ``scale`` is :math:`d`, the prior's unit, and ``room`` is
    :math:`B - \tau` for a bound :math:`B` on :math:`\beta` (used when ``bounded``);
    ``gap`` is :math:`\tau - L` for the metric's worst bound :math:`L`, a floor on
    :math:`\alpha` (used when ``floored``, :func:`bayesnq.modeling.priors.floor_gap`).
    With a ``resolution``, tail scores enter as cell probabilities. With ``y=None`` the model
    draws from the prior (site ``beta_z`` in place of
    ``beta_t``).
    """
    consts = (threshold, scale, room, gap)
    t, beta, sigma, q = sample_tail_parameters(consts, bounded, priors, prior_only=y is None)
    gamma = sample_gamma(priors, gamma_max)
    alpha = derive_alpha(beta, gamma, q, t, gap if floored else None)
    if y is not None:
        values, run_index = runs_beyond(y, mask > 0, t + scale)
        ll = per_run_loglik(NoisyQuadratic(alpha, beta, gamma, sigma), values, run_index, t,
                            resolution)
        numpyro.factor("y", ll.sum())
    numpyro.deterministic("alpha", alpha)
    numpyro.deterministic("beta", beta)
    numpyro.deterministic("gamma", gamma)
    numpyro.deterministic("sigma", sigma)


@dataclass(frozen=True)
class _Config:
    """Static settings of one vectorized engine (one compilation)."""

    n: int
    gamma_max: int | None
    bounded: bool
    num_chains: int
    num_warmup: int
    num_samples: int
    target_accept_prob: float
    priors: Priors = field(default_factory=Priors)
    vmap_replicates: bool = False
    devices: int = 1
    resolution: float | None = None
    floored: bool = False


@lru_cache(maxsize=8)
def _engine(cfg: _Config):
    """A jitted function running NUTS for a batch of replicates x chains.

    The sampler is fit()'s: the same model and coordinates, a dense mass matrix.
    """
    kwargs = dict(priors=cfg.priors, gamma_max=cfg.gamma_max, bounded=cfg.bounded,
                  resolution=cfg.resolution, floored=cfg.floored)
    example = (jnp.ones(cfg.n), jnp.ones(cfg.n), 0.0, 1.0, 2.0, 1.0)
    info = initialize_model(jax.random.PRNGKey(0), vector_model, model_args=example,
                            model_kwargs=kwargs, dynamic_args=True)
    potential_gen, post_gen = info.potential_fn, info.postprocess_fn

    def one_chain(key, args, init):
        init_kernel, sample_kernel = hmc(potential_gen(*args, **kwargs), algo="NUTS")
        state = init_kernel(init, num_warmup=cfg.num_warmup, dense_mass=True,
                            target_accept_prob=cfg.target_accept_prob, rng_key=key)
        state = lax.fori_loop(0, cfg.num_warmup, lambda _, s: sample_kernel(s), state)

        def step(s, _):
            s = sample_kernel(s)
            return s, (s.z, s.diverging)

        _, (zs, div) = lax.scan(step, state, None, length=cfg.num_samples)
        post = jax.vmap(post_gen(*args, **kwargs))(zs)
        return {k: post[k] for k in PARAMETERS}, div

    # chains of one replicate share its data; replicates run one after another in the
    # same program (lax.map), or in lockstep (vmap): NUTS trees differ in depth between
    # replicates, and in lockstep every step waits for the deepest
    chains = jax.vmap(one_chain, in_axes=(0, None, 0))
    if cfg.vmap_replicates:
        batch = jax.vmap(chains, in_axes=(0, 0, 0))
    else:
        def batch(keys, args, init):
            return lax.map(lambda a: chains(*a), (keys, args, init))
    if cfg.devices == 1:
        return jax.jit(batch)
    # replicates split over the local devices (one thread each: the cores of a CPU)
    sharded = jax.pmap(batch, devices=jax.local_devices()[:cfg.devices])

    def run(keys, args, init):
        r = keys.shape[0]
        per = -(-r // cfg.devices)
        pad = per * cfg.devices - r

        def split(x):
            x = jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]) if pad else x
            return x.reshape((cfg.devices, per) + x.shape[1:])

        out = sharded(*jax.tree_util.tree_map(split, (keys, args, init)))
        return jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[2:])[:r], out)

    return run


def _num_devices(devices, replicates):
    if devices is None:
        devices = min(jax.local_device_count(), os.cpu_count() or 1)
    devices = check_int("devices", devices, 1)
    if devices > jax.local_device_count():
        raise ValueError(f"devices: {devices!r} is more than the {jax.local_device_count()} "
                         "local JAX devices")
    return max(1, min(devices, replicates))


def _initial_values(mask, gamma_max, key, num_chains):
    """Unconstrained starting points per chain: fit()'s, jittered by U(-0.5, 0.5)."""
    z0 = to_unconstrained(initial_values(float(mask.mean()), "continuous", gamma_max),
                          gamma_max)
    base = np.array([float(z0[k]) for k in ("beta_t", "sigma_rel", "q", "log_gamma")])
    jitter = np.asarray(jax.random.uniform(key, (num_chains, 4), minval=-0.5, maxval=0.5))
    z = base + jitter
    return {"beta_t": z[:, 0], "sigma_rel": z[:, 1], "q": z[:, 2], "log_gamma": z[:, 3]}


def run_vectorized(datasets, *, threshold, minimize=False, scale=None, bound=None,
                   gamma_max=None, num_chains=4, num_warmup=500, num_samples=500,
                   target_accept_prob=0.9, keys, priors=None, vmap_replicates=False,
                   devices=None, resolution=None, floor=None):
    r"""NUTS for several datasets of equal size at once; posterior draws per dataset.

    Parameters
    ----------
    datasets : array_like, shape (R, n)
        ``R`` random searches of ``n`` runs each (user orientation).
    threshold : float
        :math:`\tau`, shared by all.
    minimize : bool
    scale : float or None
        Prior unit :math:`d`; None: each dataset's own :math:`\max(y) - \tau` (what
        :func:`bayesnq.fit` uses).
    bound : float or None
        Known bound on the best possible score (``1.0`` for accuracy).
    floor : float or None
        Known bound on the worst possible score (``0.0`` for accuracy): with one below
        ``threshold``, :math:`\alpha` stays at or beyond it, as in :func:`bayesnq.fit`.
    gamma_max : int or None
    num_chains, num_warmup, num_samples, target_accept_prob
        NUTS settings.
    keys : array, shape (R, 2)
        One PRNG key per dataset.
    priors : Priors, optional
    vmap_replicates : bool, default False
        Run the replicates in lockstep (``jax.vmap``) rather than one after another
        inside the same compiled program (``lax.map``); chains are always vmapped.
    devices : int or None
        Split the replicates over this many local JAX devices (``jax.pmap``), each
        running its share one after another; None: as many as there are devices, cores
        and replicates (:func:`bayesnq.configure` sets up one device per core, at least 4).
    resolution : float or None
        Scores known to this resolution enter as cell probabilities (as in
        :func:`bayesnq.fit`); a compile-time constant of the engine.

    Returns
    -------
    draws : dict of np.ndarray, shape (R, num_chains, num_samples)
        ``alpha``, ``beta``, ``gamma``, ``sigma`` in the user's meaning.
    divergences : np.ndarray, shape (R,)
    """
    data = np.atleast_2d(np.asarray(datasets, dtype=float))
    r, n = data.shape
    y = direction.orient(data, minimize)
    t = direction.orient(float(threshold), minimize)
    b = None if bound is None else direction.orient(float(bound), minimize)
    mask = (y > t).astype(float)
    if scale is None:
        d = np.where(mask.any(1), np.where(mask > 0, y, -np.inf).max(1) - t, 1.0)
    else:
        d = np.full(r, float(scale))
    bounded = b is not None
    room = np.full(r, (b - t) if bounded else 1.0)
    gap = floor_gap(t, None if floor is None else direction.orient(float(floor), minimize))
    cfg = _Config(n, None if gamma_max is None else int(gamma_max), bounded, int(num_chains),
                  int(num_warmup), int(num_samples), float(target_accept_prob),
                  priors or Priors(), bool(vmap_replicates),
                  _num_devices(devices, r), None if resolution is None else float(resolution),
                  gap is not None)
    keys = jnp.asarray(keys)
    init_keys = jax.vmap(lambda k: jax.random.split(jax.random.fold_in(k, 1), num_chains))(keys)
    chain_keys = jax.vmap(lambda k: jax.random.split(jax.random.fold_in(k, 2), num_chains))(keys)
    inits = [_initial_values(mask[i], cfg.gamma_max, init_keys[i, 0], num_chains)
             for i in range(r)]
    init = {k: jnp.asarray(np.stack([v[k] for v in inits])) for k in inits[0]}
    args = (jnp.asarray(y), jnp.asarray(mask), jnp.full(r, t), jnp.asarray(d), jnp.asarray(room),
            jnp.full(r, gap or 1.0))
    post, div = _engine(cfg)(chain_keys, args, init)
    out = {k: np.asarray(v) for k, v in post.items()}
    out["alpha"], out["beta"] = direction.user_ends(out["alpha"], out["beta"], minimize)
    return out, np.asarray(div).sum(axis=(1, 2))

