r"""Simulated searches for the calibration studies: the prior, and searches drawn from it.

:func:`prior_draws` draws :math:`\theta` from the tail model's prior (with a fixed prior
unit), :func:`simulate_scores` a random search whose tail beyond :math:`\tau` is the noisy
quadratic and whose body is not.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers

from bayesnq import direction
from bayesnq.calibration.engine import vector_model
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling import PARAMETERS, Priors
from bayesnq.validation import check_int

__all__ = ["prior_draws", "simulate_scores"]


def prior_draws(key, *, threshold, scale, bound=None, gamma_max=None, priors=None,
                minimize=False, size=1):
    r"""Parameters drawn from the tail model's prior (with the prior unit ``scale``).

    Returns a dict of arrays of shape ``(size,)``: ``alpha``, ``beta``, ``gamma``,
    ``sigma`` in the user's meaning.
    """
    size = check_int("size", size, 1)
    keys = jax.random.split(key, size)
    t = direction.orient(float(threshold), minimize)
    b = None if bound is None else direction.orient(float(bound), minimize)
    p = _prior_batch(keys, t, float(scale), (b - t) if b is not None else 1.0,
                     priors or Priors(), None if gamma_max is None else int(gamma_max),
                     b is not None)
    out = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    out["alpha"], out["beta"] = direction.user_ends(out["alpha"], out["beta"], minimize)
    return out


@partial(jax.jit, static_argnames=("priors", "gamma_max", "bounded"))
def _prior_batch(keys, t, scale, room, priors, gamma_max, bounded):
    def one(key):
        tr = handlers.trace(handlers.seed(vector_model, key)).get_trace(
            None, None, t, scale, room, 1.0, priors=priors, gamma_max=gamma_max,
            bounded=bounded)
        return {k: tr[k]["value"] for k in PARAMETERS}

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
    n = check_int("n", n, 1)
    p = [jnp.asarray(params[k], dtype=float) for k in PARAMETERS]
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
        body_y = threshold - direction.sign(minimize) * bs * jax.random.exponential(k2, (n,))
        return jnp.where(direction.beyond(y, threshold, minimize), y, body_y)

    return jax.vmap(one)(keys, alpha, beta, gamma, sigma, body)

