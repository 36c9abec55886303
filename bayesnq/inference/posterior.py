"""After sampling: the draws a fit reports, per-run log-likelihood and replicated searches.

NUTS samples the model's coordinates; here the discrete parts the models sum out
(integer gamma, the threshold) are drawn from their exact conditionals, and each draw's
pointwise log-likelihood (:func:`bayesnq.modeling.loglik_draws`, the one censored
likelihood) and a replicated search are computed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import logsumexp

from bayesnq import direction
from bayesnq.curves.pointwise import flat_logs, outer_logs
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling import SplicedData, TailData, derive_alpha, loglik_draws, site_alpha

__all__ = ["integer_gamma_draws", "tail_mass_draws", "pointwise_loglik",
           "pointwise_loglik_distinct", "posterior_predictive", "draw_tau", "on_lattice"]


def integer_gamma_draws(samples, data: TailData, seed):
    """Draw gamma from its exact conditional given the continuous parameters."""
    logp = jnp.asarray(samples["gamma_logp"])
    key = jax.random.PRNGKey(seed + 7919)
    idx = jax.random.categorical(key, logp, axis=-1)
    gamma = (idx + 1).astype(float)
    _, beta_o = direction.orient_ends(jnp.asarray(samples["alpha"]),
                                      jnp.asarray(samples["beta"]), data.minimize)
    q = jnp.asarray(samples["q"])
    alpha_o = derive_alpha(beta_o, gamma, q, data.threshold, data.floor_gap)
    out = dict(samples)
    out["gamma"] = gamma
    out["alpha"], out["beta"] = direction.user_ends(alpha_o, beta_o, data.minimize)
    return out


def tail_mass_draws(samples, data: TailData) -> np.ndarray:
    r"""Per draw, the tail mass :math:`P(Y \text{ beyond } \tau)`: the chance that one run
    lands beyond the threshold, noise included (shaped like ``samples["gamma"]``).

    Computed after sampling through the shared compiled kernel (``_tail_mass``: no compile
    for a new shape), not as a site of the model, whose quadrature NumPyro would compile
    into the sampler.
    """
    alpha_o, beta_o = direction.orient_ends(np.asarray(samples["alpha"], dtype=float),
                                            np.asarray(samples["beta"], dtype=float),
                                            data.minimize)
    return _tail_mass(alpha_o, beta_o, samples["gamma"], samples["sigma"], data.threshold)


def _tail_mass(alpha_o, beta_o, gamma, sigma, tau_o):
    """exp(log P(Y > tau)) in the maximize orientation, point by point (broadcast), through
    the kernel of all three logs that the threshold's log F shares
    (:func:`bayesnq.curves.pointwise.flat_logs`: no compile of its own)."""
    return np.exp(flat_logs(alpha_o, beta_o, gamma, sigma, tau_o)[2])


def pointwise_loglik_distinct(samples, data: TailData):
    r"""The pointwise log-likelihood once per distinct score, with counts.

    Runs with the same score have the same log-likelihood column draw for draw (a tail run
    :math:`\log f_\theta(y)` or, with a resolution, the log-probability of its cell; a
    censored run :math:`\log F_\theta(\tau)`), so the per-run array
    :math:`(\text{chain}, \text{draw}, n)` is ``distinct[..., column]`` and never needs to
    be held: PSIS-LOO over runs is :math:`\sum_d c_d\,\mathrm{elpd}_d`
    (:func:`bayesnq.inference.persist.compact_loo`).

    Returns
    -------
    distinct : np.ndarray, shape (chain, draw, k + 1)
        Columns of the ``k`` distinct tail scores (ascending, oriented), then the censored
        runs' column.
    column : np.ndarray of int64, shape (n,)
        Each run's column.
    count : np.ndarray of int64, shape (k + 1,)
        Runs per column (the censored column may count 0).
    """
    alpha, beta = direction.orient_ends(np.asarray(samples["alpha"], dtype=float),
                                        np.asarray(samples["beta"], dtype=float),
                                        data.minimize)
    gamma = np.asarray(samples["gamma"], dtype=float)
    sigma = np.asarray(samples["sigma"], dtype=float)
    arrays = data.arrays()
    values = np.asarray(arrays["values"])
    column = np.asarray(arrays["run_index"], dtype=np.int64)
    k = values.size
    flat = tuple(x.reshape(-1) for x in (alpha, beta, gamma, sigma))
    if data.resolution is None:
        # shared compiled kernels for every shape (oriented, maximize form): log f alone
        # at the distinct scores (a third of the work of all three logs), and log F at
        # the threshold through the kernel of all three that other callers share (one
        # chunk: compiling a log-F-only kernel would cost more than it saves)
        log_pdf = outer_logs(*flat, values, outputs=("pdf",))[0]
        log_cdf = outer_logs(*flat, [data.threshold])[1]
        ll = np.concatenate([log_pdf, log_cdf], axis=1)
    else:  # cell probabilities: the likelihood's own terms, one column per distinct score
        ll = np.asarray(loglik_draws(flat, values, np.arange(k + 1, dtype=np.int32),
                                     data.threshold, data.resolution))
    count = np.bincount(column, minlength=k + 1).astype(np.int64)
    return ll.reshape(alpha.shape + (k + 1,)), column, count


def pointwise_loglik(samples, data: TailData):
    """Per-run censored log-likelihood of each draw, shape (chain, draw, run)."""
    alpha, beta = direction.orient_ends(jnp.asarray(samples["alpha"]),
                                        jnp.asarray(samples["beta"]), data.minimize)
    gamma, sigma = jnp.asarray(samples["gamma"]), jnp.asarray(samples["sigma"])
    arrays = data.arrays()
    flat = tuple(x.reshape(-1) for x in (alpha, beta, gamma, sigma))
    ll = loglik_draws(flat, arrays["values"], arrays["run_index"], data.threshold,
                      data.resolution)
    return np.asarray(ll).reshape(alpha.shape + (data.n,))


def posterior_predictive(post, data: TailData, seed, max_values=16_000_000):
    """Replicated random searches: n scores per posterior draw (fewer if that is large)."""
    shape = post["beta"].shape
    d = NoisyQuadratic(*(jnp.asarray(post[k]) for k in ("alpha", "beta", "gamma", "sigma")),
                       minimize=data.minimize)
    size = int(np.prod(shape))
    n = data.n if size * data.n <= max_values else max(1, max_values // size)
    y = np.moveaxis(np.asarray(d.sample(jax.random.PRNGKey(seed + 104729), (n,))), 0, -1)
    return on_lattice(y, data)


def on_lattice(y, data: TailData):
    """Replicated scores rounded to the data's lattice (unchanged without a resolution)."""
    if data.resolution is None:
        return y
    h = data.resolution
    offset = float(np.min(data.tail)) % h  # lattice origin, oriented
    origin = direction.to_user(offset, data.minimize)
    return origin + np.round((y - origin) / h) * h


def draw_tau(samples, data: SplicedData, gamma_mode, seed):
    """Draw tau (and integer gamma) from the exact conditional; returns the new samples."""
    key = jax.random.PRNGKey(seed + 15485863)
    out = {k: np.asarray(v) for k, v in samples.items()}
    alpha_o, beta_o = direction.orient_ends(out["alpha"], out["beta"], data.minimize)
    gamma = out["gamma"]
    if gamma_mode == "integer":
        joint = np.asarray(samples["gamma_tau_logp"])
        k_count, t_count = joint.shape[-2:]
        flat = joint.reshape(joint.shape[:-2] + (k_count * t_count,))
        pick = np.asarray(jax.random.categorical(key, jnp.asarray(flat), axis=-1))
        gamma = (pick // t_count + 1).astype(float)
        idx = pick % t_count
        out["gamma_logp"] = logsumexp(joint, axis=-1)
        out["tau_logp"] = logsumexp(joint, axis=-2)
        alpha_o = np.asarray(site_alpha(data, beta_o, gamma, out["q_t"]))
        out["gamma"] = gamma
        out.pop("gamma_tau_logp")
    else:
        idx = np.asarray(jax.random.categorical(key, jnp.asarray(out["tau_logp"]), axis=-1))
    tau_o = data.thresholds[idx]
    out["tail_mass"] = _tail_mass(alpha_o, beta_o, gamma, out["sigma"], tau_o)
    out["alpha"], out["beta"] = direction.user_ends(alpha_o, beta_o, data.minimize)
    out["tau"] = direction.to_user(tau_o, data.minimize)
    out["tau_index"] = idx
    return out
