r"""Calibration studies: do the posterior's intervals cover as often as they claim?

Two studies, both public as ``bayesnq.calibration.sbc`` and ``bayesnq.calibration.coverage``.

**Simulation-based calibration** (:func:`sbc`, Talts et al. 2018). Draw
:math:`\theta^{(r)} \sim p(\theta)` from the prior of the tail model, simulate a random
search :math:`y^{(r)} \sim p(y \mid \theta^{(r)})`, draw :math:`L` (thinned) posterior
samples :math:`\theta^{(r)}_{1..L}` from :math:`p(\theta \mid y^{(r)})` and record the rank

.. math::

    r_j = \#\{\ell : \theta^{(r)}_{\ell, j} < \theta^{(r)}_j\} \in \{0, \dots, L\}

for each parameter :math:`j \in \{\alpha, \beta, \gamma, \sigma\}`. If the sampler draws
from the exact posterior, :math:`r_j` is uniform on :math:`\{0, \dots, L\}`, because
:math:`\theta^{(r)}` is itself a draw from the posterior of :math:`y^{(r)}` (averaged over
the prior predictive). Uniformity is tested per parameter with a :math:`\chi^2` test on
``bins`` equal bins of the ranks.

**Coverage on real data** (:func:`coverage`). From a full random search of :math:`N`
runs, draw ``replicates`` subsamples of :math:`n` runs without replacement, fit each, and
check whether the credible band of the median tuning curve covers the full data's
empirical median tuning curve :math:`\hat\tau(k)` at :math:`k = 1, 2, 4, \dots \le N`
(pointwise, per :math:`k`, and simultaneously over all :math:`k`), and whether the
credible interval of the best possible score covers the full-data posterior median. A
band at level :math:`\ell` should fail with probability :math:`1 - \ell`; the failure
rates are reported with Clopper–Pearson intervals. opda's nonparametric confidence bands
(:meth:`opda.nonparametric.EmpiricalDistribution.confidence_bands`) are computed on the
same subsamples for comparison.

**Running at scale.** Replicates are independent. The default engine (``method=
"vectorized"``) runs the NUTS chains of ``batch_size`` replicates as one vectorized JAX
program (``jax.vmap`` of numpyro's functional NUTS over replicates x chains; all
replicates of a study have the same number of runs, and the tail is selected by a mask,
so the arrays have one shape). Every finished batch is appended to ``path`` (JSON lines)
and flushed, so an interrupted study started again with the same ``path`` and settings
resumes after the last finished batch; batches are fixed by replicate index and each
replicate's random key depends only on ``(seed, replicate)``, so a resumed study gives the
same records as an uninterrupted one. ``executor="dask"`` sends the batches to Dask
distributed (a ``LocalCluster`` unless a scheduler address is given).

The vectorized model is :func:`bayesnq.model.tail_model` written for fixed-shape arrays
(continuous :math:`\gamma`; the same priors and parameterization; the test suite checks
that both give the same log density). ``method="fit"`` calls :func:`bayesnq.fit` for
every replicate instead, which accepts everything ``fit`` does (``threshold="auto"``,
``gamma="integer"``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import lax

import bayesnq  # noqa: F401  (float64)
from bayesnq.distribution import NoisyQuadratic
from bayesnq.model import Priors, derive_alpha, sample_beta, sample_sigma_rel

__all__ = [
    "sbc",
    "sbc_importance",
    "coverage",
    "SBCResult",
    "CoverageResult",
    "simulate_scores",
    "rank_statistics",
    "uniformity_test",
    "binomial_interval",
    "simultaneous_band",
    "run_vectorized",
    "prior_draws",
    "load",
    "SBC_PARAMS",
]

SBC_PARAMS = ("alpha", "beta", "gamma", "sigma")
_EXECUTORS = (None, "local", "dask")
_METHODS = ("vectorized", "fit")


# ----------------------------------------------------------------------------- validation


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {name}={value!r}")
    return int(value)


def _check_levels(name, values):
    try:
        levels = tuple(float(v) for v in np.atleast_1d(values))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers in (0, 1), got {name}={values!r}") from None
    if not levels or not all(0.0 < v < 1.0 for v in levels):
        raise ValueError(f"{name} must be numbers in (0, 1), got {name}={values!r}")
    return levels


def _check_simulation(scale, threshold, n_hyperparameters):
    """Checks shared by the simulation studies; returns ``n_hyperparameters`` as an int."""
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got scale={scale!r}")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got threshold={threshold!r}")
    if n_hyperparameters is not None:
        n_hyperparameters = _check_int("n_hyperparameters", n_hyperparameters, 1)
    return n_hyperparameters


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {name}={value!r}")
    return value


# ----------------------------------------------------------------------------- the model


def vector_model(y, mask, threshold, scale, room, *, priors=Priors(), gamma_max=None,
                 bounded=False):
    r""":func:`bayesnq.model.tail_model` (continuous :math:`\gamma`) on fixed-shape arrays.

    All arguments are in the maximize orientation. ``y`` holds every run; ``mask`` is 1
    for runs beyond ``threshold`` (density :math:`f(y)`) and 0 for censored runs
    (:math:`F(\tau)`):

    .. math::

        \log p(y \mid \theta) = \sum_i m_i \log f_\theta(y_i)
            + \Big(\sum_i (1 - m_i)\Big) \log F_\theta(\tau).

    ``scale`` is :math:`d`, the prior's unit, and ``room`` is :math:`B - \tau` for a bound
    :math:`B` on :math:`\beta` (used when ``bounded``).
    """
    d, t = scale, threshold
    sigma_rel = sample_sigma_rel(priors)
    sigma = d * sigma_rel
    beta = sample_beta(t, d, room, sigma_rel, priors, bounded=bounded, prior_only=y is None)
    q = numpyro.sample("q", dist.Beta(priors.q_a, priors.q_b))
    if gamma_max is None:
        log_gamma = numpyro.sample("log_gamma", dist.Normal(priors.gamma_log_mean,
                                                            priors.gamma_log_sd))
    else:
        log_gamma = numpyro.sample("log_gamma", dist.TruncatedNormal(
            priors.gamma_log_mean, priors.gamma_log_sd, high=float(np.log(gamma_max))))
    gamma = jnp.exp(log_gamma)
    alpha = derive_alpha(beta, gamma, q, t)
    if y is not None:
        nq = NoisyQuadratic(alpha, beta, gamma, sigma)
        inside = mask > 0
        safe = jnp.where(inside, y, t + d)
        ll = jnp.where(inside, nq.log_prob(safe), 0.0).sum() + (1.0 - mask).sum() * nq.log_cdf(t)
        numpyro.factor("y", ll)
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


@lru_cache(maxsize=8)
def _engine(cfg: _Config):
    """A jitted function running NUTS for a batch of replicates x chains.

    The sampler is fit()'s: the same model and coordinates, a dense mass matrix.
    """
    from numpyro.infer.hmc import hmc
    from numpyro.infer.util import initialize_model

    kwargs = dict(priors=cfg.priors, gamma_max=cfg.gamma_max, bounded=cfg.bounded)
    example = (jnp.ones(cfg.n), jnp.ones(cfg.n), 0.0, 1.0, 2.0)
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
        return {k: post[k] for k in SBC_PARAMS}, div

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
    devices = _check_int("devices", devices, 1)
    if devices > jax.local_device_count():
        raise ValueError(f"devices: {devices!r} is more than the {jax.local_device_count()} "
                         "local JAX devices")
    return max(1, min(devices, replicates))


def _orient(values, threshold, minimize, bound):
    sign = -1.0 if minimize else 1.0
    y = sign * np.asarray(values, dtype=float)
    t = sign * float(threshold)
    b = None if bound is None else sign * float(bound)
    return y, t, b


def _initial_values(mask, gamma_max, key, num_chains):
    """Unconstrained starting points per chain: fit()'s defaults, jittered by U(-0.5, 0.5)."""
    frac = float(np.clip(mask.mean(), 0.01, 0.99))
    g0 = min(2.0, gamma_max or 2.0) * 0.75
    log_gamma_u = np.log(np.log(gamma_max) - np.log(g0)) if gamma_max is not None else np.log(g0)
    base = np.array([0.0, np.log(0.05), np.log(frac / (1 - frac)), log_gamma_u])
    jitter = np.asarray(jax.random.uniform(key, (num_chains, 4), minval=-0.5, maxval=0.5))
    z = base + jitter
    return {"beta_t": z[:, 0], "sigma_rel": z[:, 1], "q": z[:, 2], "log_gamma": z[:, 3]}


def run_vectorized(datasets, *, threshold, minimize=False, scale=None, bound=None,
                   gamma_max=None, num_chains=4, num_warmup=500, num_samples=500,
                   target_accept_prob=0.9, keys, priors=None, vmap_replicates=False,
                   devices=None):
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
        and replicates (on a CPU, ``bayesnq`` sets up one device per core, at least 4).

    Returns
    -------
    draws : dict of np.ndarray, shape (R, num_chains, num_samples)
        ``alpha``, ``beta``, ``gamma``, ``sigma`` in the user's meaning.
    divergences : np.ndarray, shape (R,)
    """
    data = np.atleast_2d(np.asarray(datasets, dtype=float))
    r, n = data.shape
    y, t, b = _orient(data, threshold, minimize, bound)
    mask = (y > t).astype(float)
    if scale is None:
        d = np.where(mask.any(1), np.where(mask > 0, y, -np.inf).max(1) - t, 1.0)
    else:
        d = np.full(r, float(scale))
    bounded = b is not None
    room = np.full(r, (b - t) if bounded else 1.0)
    cfg = _Config(n, None if gamma_max is None else int(gamma_max), bounded, int(num_chains),
                  int(num_warmup), int(num_samples), float(target_accept_prob),
                  priors or Priors(), bool(vmap_replicates),
                  _num_devices(devices, r))
    keys = jnp.asarray(keys)
    init_keys = jax.vmap(lambda k: jax.random.split(jax.random.fold_in(k, 1), num_chains))(keys)
    chain_keys = jax.vmap(lambda k: jax.random.split(jax.random.fold_in(k, 2), num_chains))(keys)
    inits = [_initial_values(mask[i], cfg.gamma_max, init_keys[i, 0], num_chains)
             for i in range(r)]
    init = {k: jnp.asarray(np.stack([v[k] for v in inits])) for k in inits[0]}
    args = (jnp.asarray(y), jnp.asarray(mask), jnp.full(r, t), jnp.asarray(d), jnp.asarray(room))
    post, div = _engine(cfg)(chain_keys, args, init)
    out = {k: np.asarray(v) for k, v in post.items()}
    if minimize:
        out["alpha"], out["beta"] = -out["beta"], -out["alpha"]
    return out, np.asarray(div).sum(axis=(1, 2))


# ----------------------------------------------------------------------------- simulation


def prior_draws(key, *, threshold, scale, bound=None, gamma_max=None, priors=None,
                minimize=False, size=1):
    r"""Parameters drawn from the tail model's prior (with the prior unit ``scale``).

    Returns a dict of arrays of shape ``(size,)``: ``alpha``, ``beta``, ``gamma``,
    ``sigma`` in the user's meaning.
    """
    size = _check_int("size", size, 1)
    keys = jax.random.split(key, size)
    _, t, b = _orient([], threshold, minimize, bound)
    p = _prior_batch(keys, t, float(scale), (b - t) if b is not None else 1.0,
                     priors or Priors(), None if gamma_max is None else int(gamma_max),
                     b is not None)
    out = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    if minimize:
        out["alpha"], out["beta"] = -out["beta"], -out["alpha"]
    return out


@partial(jax.jit, static_argnames=("priors", "gamma_max", "bounded"))
def _prior_batch(keys, t, scale, room, priors, gamma_max, bounded):
    from numpyro import handlers

    def one(key):
        tr = handlers.trace(handlers.seed(vector_model, key)).get_trace(
            None, None, t, scale, room, priors=priors, gamma_max=gamma_max, bounded=bounded)
        return {k: tr[k]["value"] for k in SBC_PARAMS}

    return jax.vmap(one)(keys)


def simulate_scores(key, params, n, *, threshold, minimize=False, body_scale=None):
    r"""One random search of ``n`` runs: a noisy quadratic tail beyond :math:`\tau`, and a body.

    Every run is drawn from :math:`Q(\alpha, \beta, \gamma, \sigma)`
    (:meth:`NoisyQuadratic.sample`), so the number of runs in the tail is
    :math:`\mathrm{Binomial}(n, P_\theta(Y \text{ beyond } \tau))` and the tail runs are
    the noisy quadratic truncated to the tail. Runs short of :math:`\tau` are replaced by a
    body that is not noisy quadratic, :math:`y = \tau - b\,E` with
    :math:`E \sim \mathrm{Exp}(1)` (mirrored when minimizing) and ``body_scale`` :math:`b`
    (default: the width :math:`\beta - \alpha`): the censored likelihood sees only their
    count, so the body's shape must not matter to the fit.

    Parameters
    ----------
    key : jax PRNG key
    params : mapping
        ``alpha``, ``beta``, ``gamma``, ``sigma`` (scalars or arrays of shape ``(R,)``).
    n : int
    threshold : float
    minimize : bool
    body_scale : float, optional

    Returns
    -------
    np.ndarray, shape (n,) or (R, n)
    """
    n = _check_int("n", n, 1)
    p = [jnp.asarray(params[k], dtype=float) for k in SBC_PARAMS]
    bs = jnp.abs(p[1] - p[0]) if body_scale is None else jnp.asarray(float(body_scale))
    keys = jax.random.split(key, int(np.prod(p[0].shape)) or 1)
    flat = [jnp.broadcast_to(x, p[0].shape).reshape(-1) for x in (*p, bs)]
    y = _simulate_batch(keys, *flat, n, float(threshold), bool(minimize))
    return np.asarray(y).reshape(p[0].shape + (n,))


@partial(jax.jit, static_argnames=("n", "threshold", "minimize"))
def _simulate_batch(keys, alpha, beta, gamma, sigma, body, n, threshold, minimize):
    def one(key, a, b, g, s, bs):
        k1, k2 = jax.random.split(key)
        y = NoisyQuadratic(a, b, g, s, minimize=minimize).sample(k1, (n,))
        sign = -1.0 if minimize else 1.0
        body_y = threshold - sign * bs * jax.random.exponential(k2, (n,))
        return jnp.where(sign * (y - threshold) > 0, y, body_y)

    return jax.vmap(one)(keys, alpha, beta, gamma, sigma, body)


# ----------------------------------------------------------------------------- statistics


def rank_statistics(true, draws, *, num_ranks=None, key=None):
    r"""Ranks :math:`\#\{\ell : \theta_\ell < \theta\}` of true values among draws.

    Parameters
    ----------
    true : array_like, shape (R,)
    draws : array_like, shape (R, C, S) or (R, L)
        Posterior draws per replicate (chains x samples are thinned evenly per chain to
        ``num_ranks - 1`` draws in all when ``num_ranks`` is given).
    num_ranks : int, optional
        :math:`L + 1`, the number of possible ranks.

    Returns
    -------
    np.ndarray of int, shape (R,), values in ``0..L``.

    Ties (a parameter equal to a draw, e.g. at a bound) are broken at random, which keeps
    the ranks uniform under calibration.
    """
    x = np.asarray(draws, dtype=float)
    true = np.asarray(true, dtype=float)
    if x.ndim == 3:
        x = _thin(x, None if num_ranks is None else num_ranks - 1)
    if x.ndim != 2 or x.shape[0] != true.shape[0]:
        raise ValueError(f"draws: need shape (R, C, S) or (R, L) with R={true.shape[0]}, "
                         f"got draws.shape={np.shape(draws)}")
    below = (x < true[:, None]).sum(1)
    ties = (x == true[:, None]).sum(1)
    if ties.any():
        rng = np.random.default_rng(0 if key is None else key)
        below = below + rng.integers(0, ties + 1)
    return below.astype(int)


def _thin(x, num):
    """(R, C, S) -> (R, num): evenly spaced draws within each chain (fewer autocorrelations)."""
    r, c, s = x.shape
    if num is None or num >= c * s:
        return x.reshape(r, c * s)
    per = -(-num // c)
    idx = np.linspace(0, s - 1, per).round().astype(int)
    return x[:, :, idx].reshape(r, c * per)[:, :num]


def uniformity_test(ranks, num_ranks, bins=20):
    r""":math:`\chi^2` test that ranks are uniform on :math:`\{0, \dots, L\}`.

    The :math:`L + 1` rank values are grouped into ``bins`` bins (``bins`` divides
    :math:`L + 1` or the bins are as equal as possible, with expected counts from their
    widths). Statistic :math:`X^2 = \sum_b (O_b - E_b)^2 / E_b` against
    :math:`\chi^2_{B-1}`.

    Returns
    -------
    dict with ``statistic``, ``df`` and ``p_value``.
    """
    from scipy import stats

    ranks = np.asarray(ranks, dtype=int)
    num_ranks = _check_int("num_ranks", num_ranks, 2)
    bins = min(_check_int("bins", bins, 2), num_ranks)
    if ranks.size and (ranks.min() < 0 or ranks.max() >= num_ranks):
        raise ValueError(f"ranks must lie in 0..{num_ranks - 1}, got {ranks.min()}..{ranks.max()}")
    edges = np.linspace(0, num_ranks, bins + 1).round().astype(int)
    observed = np.histogram(ranks, bins=edges)[0]
    expected = ranks.size * np.diff(edges) / num_ranks
    stat = float(((observed - expected) ** 2 / expected).sum()) if ranks.size else 0.0
    return {"statistic": stat, "df": bins - 1, "p_value": float(stats.chi2.sf(stat, bins - 1))}


def binomial_interval(failures, trials, level=0.95):
    r"""Clopper–Pearson interval for a failure rate :math:`k/n`.

    .. math::

        \big[B^{-1}(\tfrac{1-c}{2};\, k, n-k+1),\; B^{-1}(\tfrac{1+c}{2};\, k+1, n-k)\big]

    with :math:`B^{-1}` the Beta quantile (0 and 1 at the ends).
    """
    from scipy import stats

    k, n = int(failures), int(trials)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"failures/trials: need 0 <= failures <= trials, trials >= 1; "
                         f"got failures={failures!r}, trials={trials!r}")
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def simultaneous_band(curves, level):
    r"""Simultaneous credible band of per-draw curves (rank envelope).

    For draws :math:`s = 1..S` and points :math:`k`, let :math:`r_{sk}` be the rank of
    curve :math:`s` at :math:`k` and :math:`D_s = \min_k \min(r_{sk}, S - 1 - r_{sk})` its
    depth. The band is the pointwise envelope of the ``level`` share of deepest curves:
    :math:`[y_{(t)}(k), y_{(S-1-t)}(k)]` with the largest :math:`t` such that
    :math:`\#\{s : D_s \ge t\} \ge \lceil \ell S \rceil`.

    Parameters
    ----------
    curves : array_like, shape (S, m)
    level : float

    Returns
    -------
    lower, upper : np.ndarray, shape (m,)
    """
    x = np.asarray(curves, dtype=float)
    s = x.shape[0]
    order = np.argsort(x, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(s)[:, None].repeat(x.shape[1], 1), axis=0)
    depth = np.minimum(ranks, s - 1 - ranks).min(1)
    need = math.ceil(level * s)
    t = int(np.sort(depth)[::-1][need - 1]) if need >= 1 else (s - 1) // 2
    srt = np.sort(x, axis=0)
    return srt[t], srt[s - 1 - t]


# ----------------------------------------------------------------------------- streaming


class _Stream:
    """JSON-lines file: a header with the study's settings, then one line per replicate."""

    def __init__(self, path, header, compare=None):
        self.path = None if path is None else Path(path)
        self.header = header
        self.records = {}
        if self.path is None:
            return
        if self.path.exists() and self.path.stat().st_size:
            lines = self.path.read_text().splitlines()
            try:
                old = json.loads(lines[0])
            except json.JSONDecodeError:
                old = {}
            keys = compare or tuple(header)
            if not isinstance(old, dict) or any(old.get(k) != header.get(k) for k in keys):
                raise ValueError(
                    f"path={str(self.path)!r} holds a study with other settings; "
                    "use another path or remove the file"
                )
            self.header = old
            for line in lines[1:]:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by an interruption
                    continue
                self.records[rec["replicate"]] = rec
            self._rewrite()  # drops a partial last line
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._rewrite()

    def set_header(self, header):
        self.header = header
        if self.path is not None:
            self._rewrite()

    def _rewrite(self):
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps(self.header) + "\n")
            for i in sorted(self.records):
                f.write(json.dumps(self.records[i]) + "\n")
        os.replace(tmp, self.path)

    def add(self, records):
        new = [r for r in records if r["replicate"] not in self.records]
        for r in new:
            self.records[r["replicate"]] = r
        if self.path is not None and new:
            with open(self.path, "a") as f:
                f.write("".join(json.dumps(r) + "\n" for r in new))
                f.flush()
                os.fsync(f.fileno())


def _progress_bar(total, initial, enabled, desc):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, initial=initial, desc=desc, unit="rep")


def _execute(task, batches, stream, *, executor, address, progress, desc, total):
    """Run ``task(batch)`` for each batch of replicate indices; stream records as they come."""
    todo = [b for b in batches if any(i not in stream.records for i in b)]
    bar = _progress_bar(total, len(stream.records), progress, desc)
    try:
        if executor == "dask":
            client, owned = _dask_client(address)
            try:
                from distributed import as_completed

                futures = [client.submit(task, b, pure=False) for b in todo]
                for fut in as_completed(futures):
                    recs = fut.result()
                    stream.add(recs)
                    if bar is not None:
                        bar.update(len(recs))
            finally:
                if owned:
                    cluster = getattr(client, "cluster", None)
                    client.close()
                    if cluster is not None:
                        cluster.close()
        else:
            for b in todo:
                recs = task(b)
                stream.add(recs)
                if bar is not None:
                    bar.update(len(recs))
    finally:
        if bar is not None:
            bar.close()


def _dask_client(address):
    """A Dask client for ``address`` (a scheduler address, a Client, or None: LocalCluster)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover
        raise ImportError("executor='dask' needs dask.distributed: pip install 'bayesnq[dask]'") from e
    if isinstance(address, Client):
        return address, False
    if address is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), True
    return Client(address), True


def _batches(replicates, batch_size):
    return [list(range(i, min(i + batch_size, replicates)))
            for i in range(0, replicates, batch_size)]


def _digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- SBC


@dataclass
class SBCResult:
    r"""Ranks of the true parameters among posterior draws, one row per replicate.

    Attributes
    ----------
    ranks : dict of np.ndarray, shape (R,)
        Rank of each parameter's true value, in ``0..num_ranks-1``.
    num_ranks : int
        :math:`L + 1`.
    true : dict of np.ndarray
        The parameters drawn from the prior.
    divergences : np.ndarray
    settings : dict
    """

    ranks: dict
    num_ranks: int
    true: dict
    divergences: np.ndarray
    settings: dict

    @property
    def replicates(self) -> int:
        return int(next(iter(self.ranks.values())).size)

    def tests(self, bins=20):
        """``uniformity_test`` per parameter, as a DataFrame."""
        import pandas as pd

        rows = {k: uniformity_test(v, self.num_ranks, bins) for k, v in self.ranks.items()}
        df = pd.DataFrame(rows).T
        df.index.name = "parameter"
        df.attrs["replicates"] = self.replicates
        return df

    def table(self, bins=20):
        """Per parameter: replicates, chi-square statistic, df, p-value, mean scaled rank."""
        df = self.tests(bins)
        df.insert(0, "replicates", self.replicates)
        df["mean_rank_fraction"] = [float(np.mean(self.ranks[k]) / (self.num_ranks - 1))
                                    for k in df.index]
        return df

    def plot(self, **kwargs):
        """ECDF-difference plots of the scaled ranks with simultaneous bands."""
        from bayesnq.plots import plot_sbc

        return plot_sbc(self, **kwargs)


def _sbc_task(settings, batch):
    """Records of the replicates in ``batch`` (top-level: picklable for Dask)."""
    import bayesnq  # noqa: F401  (float64 on a worker)

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
               "n_tail": int(((-1 if s["minimize"] else 1) * (datasets[j] - s["threshold"]) > 0).sum())}
        for k in SBC_PARAMS:
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
    :mod:`bayesnq.model`, with the prior unit :math:`d` fixed at ``scale``), a search of
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
    replicates = _check_int("replicates", replicates, 1)
    n = _check_int("n", n, 1)
    num_chains = _check_int("num_chains", num_chains, 1)
    num_warmup = _check_int("num_warmup", num_warmup, 0)
    num_samples = _check_int("num_samples", num_samples, 1)
    num_ranks = _check_int("num_ranks", num_ranks, 2)
    batch_size = _check_int("batch_size", batch_size, 1)
    seed = _check_int("seed", seed, 0)
    if num_ranks > num_chains * num_samples + 1:
        raise ValueError(f"num_ranks must be <= num_chains * num_samples + 1 = "
                         f"{num_chains * num_samples + 1}, got num_ranks={num_ranks!r}")
    n_hyperparameters = _check_simulation(scale, threshold, n_hyperparameters)
    _check_choice("executor", executor, _EXECUTORS)
    if bound is not None and ((bound <= threshold) if not minimize else (bound >= threshold)):
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
    stream = _Stream(path, {"bayesnq_study": "sbc", "settings": settings})

    _execute(partial(_sbc_task, settings), _batches(replicates, batch_size), stream,
             executor=executor, address=address, progress=progress_bar, desc="sbc",
             total=replicates)
    recs = [stream.records[i] for i in range(replicates)]
    return SBCResult(
        ranks={k: np.array([r[f"rank_{k}"] for r in recs]) for k in SBC_PARAMS},
        num_ranks=num_ranks,
        true={k: np.array([r[f"true_{k}"] for r in recs]) for k in SBC_PARAMS},
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
    replicates = _check_int("replicates", replicates, 1)
    n = _check_int("n", n, 1)
    draws = _check_int("draws", draws, 2)
    seed = _check_int("seed", seed, 0)
    first = _check_int("first", first, 0)
    n_hyperparameters = _check_simulation(scale, threshold, n_hyperparameters)
    pri = priors or Priors()
    base = jax.random.PRNGKey(seed)
    out = []
    bar = _progress_bar(replicates, 0, progress_bar, "sbc_importance")
    for i in range(first, first + replicates):
        kp, ky, _ = jax.random.split(jax.random.fold_in(base, i), 3)
        p = prior_draws(kp, threshold=threshold, scale=scale, gamma_max=n_hyperparameters,
                        priors=pri)
        p = {k: float(v[0]) for k, v in p.items()}
        y = simulate_scores(ky, p, n, threshold=threshold)
        q = prior_draws(jax.random.PRNGKey(1000 + i + 1000003 * seed), threshold=threshold,
                        scale=scale, gamma_max=n_hyperparameters, priors=pri, size=draws)
        log_w = np.asarray(_censored_log_likelihood(
            jnp.asarray(y), float(threshold), *(jnp.asarray(q[k]) for k in SBC_PARAMS)))
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        out.append({"replicate": i, "n_tail": int((y > threshold).sum()),
                    "ess": float(1.0 / np.sum(w * w)), "true": p,
                    "pit": {k: float(w[q[k] < p[k]].sum()) for k in SBC_PARAMS}})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return out


@jax.jit
def _censored_log_likelihood(y, threshold, alpha, beta, gamma, sigma):
    """Censored tail log-likelihood of one search at each of many parameter draws."""
    tail = y > threshold
    safe = jnp.where(tail, y, threshold + 1.0)
    n_below = jnp.sum(~tail)

    def one(theta):
        d = NoisyQuadratic(*theta)
        below = jnp.where(n_below > 0, n_below * d.log_cdf(threshold), 0.0)
        return jnp.sum(jnp.where(tail, d.log_prob(safe), 0.0)) + below

    return lax.map(one, (alpha, beta, gamma, sigma), batch_size=4096)


# ----------------------------------------------------------------------------- coverage


def _k_grid(size):
    """k = 1, 2, 4, ... up to ``size``."""
    return 2 ** np.arange(int(math.floor(math.log2(size))) + 1)


@dataclass
class CoverageResult:
    r"""Per-replicate coverage records of :func:`coverage` and their failure rates.

    Attributes
    ----------
    records : list of dict
        One per (size, replicate): the subsample's tail size, divergences and, per level
        ``L``, ``point_L`` (per :math:`k`: the pointwise band covers), ``simul_L`` (the
        simultaneous band covers at every :math:`k`), ``best_L`` (the interval of the
        best possible score covers the reference) and ``opda_L`` / ``opda_all_L``
        (opda's bands, per :math:`k` and at every :math:`k`). ``skipped`` names why a
        subsample was not fitted (too few runs beyond the threshold), else None.
    reference : dict
        ``k``, the full-data empirical median tuning curve ``curve`` there, ``best``
        (full-data posterior median of the best possible score) and ``k_used`` (the
        :math:`k` whose reference lies beyond the threshold, where the tail model speaks).
    settings : dict
    """

    records: list
    reference: dict
    settings: dict

    def table(self, interval=0.95):
        r"""Failure rates against nominal :math:`1 - \ell`, per size, level and check.

        Checks: ``curve, pointwise`` (pairs of replicate and :math:`k`, pooled),
        ``curve, simultaneous`` (a replicate fails if any :math:`k` is missed),
        ``best score`` and, when computed, ``opda, pointwise`` and ``opda, simultaneous``.
        ``low``/``high``: Clopper–Pearson ``interval`` for the failure rate (for the
        pooled pointwise rows the pairs are not independent, so it is too narrow).
        """
        import pandas as pd

        s = self.settings
        rows = []
        for size in s["sizes"]:
            recs = [r for r in self.records if r["size"] == size and r["skipped"] is None]
            skipped = sum(1 for r in self.records if r["size"] == size and r["skipped"])
            for level in s["levels"]:
                tag = f"{level:g}"
                checks = {
                    "curve, pointwise": [x for r in recs for x in r[f"point_{tag}"]],
                    "curve, simultaneous": [r[f"simul_{tag}"] for r in recs],
                    "best score": [r[f"best_{tag}"] for r in recs],
                }
                if s["opda"]:
                    checks["opda, pointwise"] = [x for r in recs for x in r[f"opda_{tag}"]]
                    checks["opda, simultaneous"] = [r[f"opda_all_{tag}"] for r in recs]
                for name, hits in checks.items():
                    trials = len(hits)
                    fails = trials - int(np.sum(hits))
                    lo, hi = binomial_interval(fails, trials, interval) if trials else (np.nan,) * 2
                    rows.append({
                        "dataset": s["dataset"], "size": size, "level": level, "check": name,
                        "trials": trials, "failures": fails,
                        "failure_rate": fails / trials if trials else np.nan,
                        "nominal": round(1 - level, 10), "low": lo, "high": hi,
                        "skipped": skipped,
                    })
        return pd.DataFrame(rows)

    def pointwise_table(self, level=0.8):
        """Failure rate of the pointwise band per size and k (Bayesian and opda)."""
        import pandas as pd

        tag = f"{level:g}"
        k_used = self.reference["k_used"]
        rows = []
        for size in self.settings["sizes"]:
            recs = [r for r in self.records if r["size"] == size and r["skipped"] is None]
            for j, k in enumerate(k_used):
                row = {"size": size, "k": k, "trials": len(recs)}
                row["failure_rate"] = float(np.mean([not r[f"point_{tag}"][j] for r in recs])) \
                    if recs else np.nan
                if self.settings["opda"] and recs:
                    row["opda_failure_rate"] = float(np.mean([not r[f"opda_{tag}"][j]
                                                              for r in recs]))
                rows.append(row)
        return pd.DataFrame(rows)


def _subsample(values, n, seed, size_index, i):
    rng = np.random.default_rng([seed, size_index, i])
    return values[np.sort(rng.choice(values.size, size=n, replace=False))]


def _coverage_task(settings, reference, batch):
    """Records of the replicates in ``batch``, all of one size (picklable for Dask)."""
    import bayesnq  # noqa: F401
    from bayesnq import curves
    from bayesnq.data import check_tail

    s = settings
    values = np.asarray(s["values"], dtype=float)
    minimize = s["minimize"]
    reps = s["replicates"]
    size_index = batch[0] // reps
    n = s["sizes"][size_index]
    subs, ok, recs = [], [], []
    for rid in batch:
        sub = _subsample(values, n, s["seed"], size_index, rid % reps)
        rec = {"replicate": rid, "size": n, "index": rid % reps, "skipped": None}
        if s["threshold"] != "auto":
            try:
                rec["n_tail"] = check_tail(sub, s["threshold"], minimize)
            except ValueError as e:
                rec["skipped"] = str(e).split(";")[0][:200]
        subs.append(sub)
        recs.append(rec)
    fit_idx = [j for j, r in enumerate(recs) if r["skipped"] is None]
    draws_of = {}
    if fit_idx and s["method"] == "vectorized":
        pad = s["batch_size"] - len(fit_idx)
        data = np.stack([subs[j] for j in fit_idx] + [subs[fit_idx[-1]]] * pad)
        keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(s["seed"]), batch[j])
                          for j in fit_idx] * 1 + [jax.random.PRNGKey(0)] * pad)
        draws, div = run_vectorized(
            data, threshold=s["threshold"], minimize=minimize, scale=None, bound=s["best_bound"],
            gamma_max=s["n_hyperparameters"], num_chains=s["num_chains"],
            num_warmup=s["num_warmup"], num_samples=s["num_samples"],
            target_accept_prob=s["target_accept_prob"], keys=keys)
        for m, j in enumerate(fit_idx):
            draws_of[j] = {k: v[m].reshape(-1) for k, v in draws.items()}
            recs[j]["divergences"] = int(div[m])
    elif fit_idx:
        from bayesnq.data import Scores
        from bayesnq.inference import fit

        for j in fit_idx:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = fit(Scores(values=subs[j], minimize=minimize, bounds=tuple(s["bounds"])),
                        threshold=s["threshold"], n_hyperparameters=s["n_hyperparameters"],
                        num_chains=s["num_chains"], num_warmup=s["num_warmup"],
                        num_samples=s["num_samples"], seed=s["seed"] + batch[j],
                        progress_bar=False, check=False)
            draws_of[j] = {k: v for k, v in f.draws().items() if k in SBC_PARAMS}
            recs[j]["divergences"] = int(f.diagnostics()["divergences"])
            recs[j]["n_tail"] = int(f.data.tail.size)
    ks = np.asarray(reference["k_used"], dtype=float)
    ref = np.asarray(reference["curve_used"], dtype=float)
    best_name = "alpha" if minimize else "beta"
    for j in fit_idx:
        d = draws_of[j]
        per_draw = curves.tuning_curve(d, ks, minimize=minimize, q=0.5, ci=0.8,
                                       max_draws=s["max_draws"], seed=0).draws
        for level in s["levels"]:
            tag = f"{level:g}"
            lo, hi = np.quantile(per_draw, [(1 - level) / 2, (1 + level) / 2], axis=0)
            recs[j][f"point_{tag}"] = [bool(v) for v in (lo <= ref) & (ref <= hi)]
            slo, shi = simultaneous_band(per_draw, level)
            recs[j][f"simul_{tag}"] = bool(np.all((slo <= ref) & (ref <= shi)))
            blo, bhi = np.quantile(d[best_name], [(1 - level) / 2, (1 + level) / 2])
            recs[j][f"best_{tag}"] = bool(blo <= reference["best"] <= bhi)
    if s["opda"]:
        from opda.nonparametric import EmpiricalDistribution

        lo_b = -np.inf if s["bounds"][0] is None else s["bounds"][0]
        hi_b = np.inf if s["bounds"][1] is None else s["bounds"][1]
        for j, rec in enumerate(recs):
            if rec["skipped"] is not None:
                continue
            for level in s["levels"]:
                tag = f"{level:g}"
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    f_lo, _, f_hi = EmpiricalDistribution.confidence_bands(
                        subs[j], level, lo_b, hi_b, method=s["opda_method"], n_jobs=1,
                        generator=np.random.default_rng(0))
                    c1 = f_hi.quantile_tuning_curve(ks, q=0.5, minimize=minimize)
                    c2 = f_lo.quantile_tuning_curve(ks, q=0.5, minimize=minimize)
                lo, hi = np.minimum(c1, c2), np.maximum(c1, c2)
                cov = (lo <= ref) & (ref <= hi)
                rec[f"opda_{tag}"] = [bool(v) for v in cov]
                rec[f"opda_all_{tag}"] = bool(cov.all())
    return recs


def coverage(scores, sizes=(24, 48, 96), replicates=100, levels=(0.5, 0.8, 0.95), *,
             threshold, minimize=None, bounds=None, n_hyperparameters=None,
             method="vectorized", num_chains=2, num_warmup=500, num_samples=500,
             target_accept_prob=0.9, max_draws=400, reference_fit=None, opda=True,
             opda_method="ld_highest_density", seed=0, batch_size=8, path=None,
             executor=None, address=None, progress_bar=False) -> CoverageResult:
    r"""Coverage of the credible bands on subsamples of a full random search.

    For each size :math:`n` in ``sizes`` and replicate :math:`r`: draw :math:`n` of the
    :math:`N` runs without replacement, fit the tail beyond ``threshold``, and check at
    :math:`k = 1, 2, 4, \dots \le N` whether the ``level`` credible band of the median
    tuning curve :math:`\tau_{1/2}(k)` covers the full data's empirical median tuning curve

    .. math::

        \hat\tau(k) = y_{(\lceil N\, 2^{-1/k} \rceil)} \quad\text{(maximize)},

    pointwise (equal-tailed quantiles of the per-draw curves at each :math:`k`) and
    simultaneously (:func:`simultaneous_band`), and whether the equal-tailed interval of
    the best possible score covers the full-data posterior median. Only :math:`k` with
    :math:`\hat\tau(k)` beyond the threshold are checked: below it the model, which
    censors the body, says nothing about the curve. With ``opda``, opda's simultaneous
    nonparametric CDF bands at the same levels, turned into tuning-curve bands
    (:math:`F_{hi}^{-1}(2^{-1/k})` to :math:`F_{lo}^{-1}(2^{-1/k})`), are checked on the
    same subsamples.

    Parameters
    ----------
    scores : Scores or array_like
        The full random search (a :class:`~bayesnq.data.Scores` supplies direction,
        bounds and the number of hyperparameters).
    sizes : sequence of int, default (24, 48, 96)
        Subsample sizes, each at most the number of runs.
    replicates : int, default 100
        Subsamples per size.
    levels : sequence of float, default (0.5, 0.8, 0.95)
    threshold : float or "auto"
        Passed to the fits. ``"auto"`` (an inferred threshold) needs ``method="fit"``.
    minimize, bounds, n_hyperparameters
        As in :func:`bayesnq.fit`.
    method : {"vectorized", "fit"}
        ``"vectorized"``: compiled NUTS over batches (continuous :math:`\gamma`);
        ``"fit"``: :func:`bayesnq.fit` per subsample.
    num_chains, num_warmup, num_samples, target_accept_prob
        NUTS settings of the subsample fits.
    max_draws : int, default 400
        Posterior draws per fit used for the tuning-curve bands.
    reference_fit : Fit, optional
        Full-data fit for the reference best score; fitted with ``bayesnq.fit`` (4 chains
        x 1000 draws) if not given.
    opda : bool, default True
    opda_method : str, default "ld_highest_density"
        ``method`` of ``EmpiricalDistribution.confidence_bands``.
    seed, batch_size, path, executor, address, progress_bar
        As in :func:`sbc`.

    Returns
    -------
    CoverageResult
    """
    from bayesnq.data import Scores

    if isinstance(scores, Scores):
        minimize = scores.minimize if minimize is None else bool(minimize)
        bounds = scores.bounds if bounds is None else bounds
        n_hyperparameters = n_hyperparameters or scores.n_hyperparameters
        name = scores.name or "scores"
    else:
        minimize = bool(minimize)
        name = "scores"
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1 or values.size < 2 or not np.isfinite(values).all():
        raise ValueError(f"scores must be a 1-d array of finite numbers, got shape {values.shape}")
    try:
        sizes = tuple(int(v) for v in np.atleast_1d(sizes))
    except (TypeError, ValueError):
        raise ValueError(f"sizes must be integers, got sizes={sizes!r}") from None
    for v in sizes:
        if not 2 <= v <= values.size:
            raise ValueError(f"sizes must lie in 2..{values.size} (the number of runs), "
                             f"got sizes={sizes!r}")
    replicates = _check_int("replicates", replicates, 1)
    levels = _check_levels("levels", levels)
    _check_choice("method", method, _METHODS)
    _check_choice("executor", executor, _EXECUTORS)
    for nm, v, lo in (("num_chains", num_chains, 1), ("num_warmup", num_warmup, 0),
                      ("num_samples", num_samples, 1), ("max_draws", max_draws, 1),
                      ("batch_size", batch_size, 1), ("seed", seed, 0)):
        _check_int(nm, v, lo)
    if isinstance(threshold, str):
        if threshold != "auto":
            raise ValueError(f"threshold must be a number or 'auto', got threshold={threshold!r}")
        if method != "fit":
            raise ValueError("threshold='auto' needs method='fit', got "
                             f"method={method!r}")
    elif not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got threshold={threshold!r}")
    else:
        threshold = float(threshold)
    bounds = (None, None) if bounds is None else tuple(None if b is None else float(b)
                                                      for b in bounds)
    best_bound = bounds[0] if minimize else bounds[1]
    settings = {
        "study": "coverage", "dataset": name, "sizes": list(sizes), "replicates": replicates,
        "levels": list(levels), "threshold": threshold, "minimize": minimize,
        "bounds": list(bounds), "best_bound": best_bound,
        "n_hyperparameters": None if n_hyperparameters is None else int(n_hyperparameters),
        "method": method, "num_chains": int(num_chains), "num_warmup": int(num_warmup),
        "num_samples": int(num_samples), "target_accept_prob": float(target_accept_prob),
        "max_draws": int(max_draws), "opda": bool(opda), "opda_method": opda_method,
        "seed": int(seed), "batch_size": int(batch_size), "data_digest": _digest(values.tolist()),
    }
    header = {"bayesnq_study": "coverage", "settings": settings}
    stream = _Stream(path, header, compare=("bayesnq_study", "settings"))
    reference = stream.header.get("reference")
    if reference is None:
        reference = _coverage_reference(values, minimize, threshold, bounds, n_hyperparameters,
                                        reference_fit, seed)
        stream.set_header(dict(header, reference=reference))
    settings_run = dict(settings, values=values.tolist())
    batches = [b for si in range(len(sizes))
               for b in _batches(replicates, batch_size)
               for b in [[si * replicates + i for i in b]]]
    _execute(partial(_coverage_task, settings_run, reference), batches, stream,
             executor=executor, address=address, progress=progress_bar, desc=f"coverage {name}",
             total=replicates * len(sizes))
    recs = [stream.records[i] for i in range(replicates * len(sizes))]
    return CoverageResult(records=recs, reference=reference, settings=settings)


def _coverage_reference(values, minimize, threshold, bounds, n_hyperparameters, reference_fit,
                        seed):
    """Full-data empirical median tuning curve and posterior median of the best score."""
    from bayesnq import curves
    from bayesnq.data import Scores
    from bayesnq.inference import fit

    if reference_fit is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference_fit = fit(Scores(values=values, minimize=minimize, bounds=bounds),
                                threshold=threshold, n_hyperparameters=n_hyperparameters,
                                seed=seed, progress_bar=False, check=False)
    tau = float(reference_fit.threshold)
    ks = _k_grid(values.size)
    curve = curves.empirical_tuning_curve(values, ks, minimize=minimize, q=0.5)
    beyond = curve < tau if minimize else curve > tau
    best = float(np.median(reference_fit.draws()["alpha" if minimize else "beta"]))
    return {"k": ks.tolist(), "curve": curve.tolist(), "k_used": ks[beyond].tolist(),
            "curve_used": curve[beyond].tolist(), "best": best, "threshold": tau}


def load(path):
    """The result of a study from its records file, with the replicates finished so far.

    Parameters
    ----------
    path : str or Path
        A JSON-lines file written by :func:`sbc` or :func:`coverage` (``path=``).

    Returns
    -------
    SBCResult or CoverageResult
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"path={str(path)!r} is not a file")
    lines = p.read_text().splitlines()
    try:
        header = json.loads(lines[0])
        kind = header["bayesnq_study"]
    except (IndexError, json.JSONDecodeError, KeyError, TypeError):
        raise ValueError(f"path={str(path)!r} is not a bayesnq study file") from None
    recs = []
    for line in lines[1:]:
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    recs.sort(key=lambda r: r["replicate"])
    s = header["settings"]
    if kind == "sbc":
        return SBCResult(
            ranks={k: np.array([r[f"rank_{k}"] for r in recs], dtype=int) for k in SBC_PARAMS},
            num_ranks=s["num_ranks"],
            true={k: np.array([r[f"true_{k}"] for r in recs]) for k in SBC_PARAMS},
            divergences=np.array([r["divergences"] for r in recs], dtype=int),
            settings=s,
        )
    return CoverageResult(records=recs, reference=header.get("reference"), settings=s)
