r"""One output of the standardized variable at any relative noise, point by point.

Above :math:`s = 10^{-60}` the quadrature (:mod:`~bayesnq.distributions.integrals`) takes
every point. Below it (a width far beyond the noise, as prior draws can have), a point
within :math:`10^{30}` noise sds of an end is moved to :math:`s = 10^{-60}` at the same
distance in sds and the value rescaled by the exact self-similarity of the distribution
near that end; farther points take the noiseless value inside the support and
:math:`-z^2/2` outside it (``_rescaled``). :math:`s` below the smallest normal float64
(2.2e-308) is flushed to zero by XLA on CPU: there the distribution is its noiseless
limit, :math:`V = R \sim \mathrm{Beta}(k, 1)` (``_noiseless_logs``).
"""

from __future__ import annotations

import math
from functools import partial

import jax.numpy as jnp
from jax import lax

from bayesnq.distributions.integrals import _quadrature_log
from bayesnq.distributions.util import LOG_2

_S_FLOOR = 1e-60  # below this s, a point near an end is moved to s = _S_FLOOR ...
_Z_FAR = 1e30  # ... if it is within this many s of the end; beyond, the noise is negligible


def _near_end(v, u, s):
    """Which end is nearer, the signed offset d to it, and where the point is moved."""
    tiny = s < _S_FLOOR
    near_zero = v <= u
    d = jnp.where(near_zero, v, u)
    # z = d / s with both scaled by a power of 2 so that s is near 1: exact, and the
    # derivative of the ratio does not overflow through 1 / s^2
    scale = lax.stop_gradient(jnp.exp2(-jnp.floor(jnp.log2(jnp.where(tiny, s, 1.0)))))
    mapped = tiny & (jnp.abs(d) <= _Z_FAR * s)
    return tiny, near_zero, d, scale, mapped


def _moved(v, u, s):
    """(v, u, s) where the quadrature runs: a tiny-``s`` point near an end goes to ``s_0``."""
    tiny, near_zero, d, scale, mapped = _near_end(v, u, s)
    d_0 = jnp.where(mapped, d * scale, 0.0) / jnp.where(mapped, s * scale, 1.0) * _S_FLOOR
    v_q = jnp.where(mapped, jnp.where(near_zero, d_0, 1.0 - d_0), jnp.where(tiny, 0.5, v))
    u_q = jnp.where(mapped, jnp.where(near_zero, 1.0 - d_0, d_0), jnp.where(tiny, 0.5, u))
    return v_q, u_q, jnp.where(tiny, _S_FLOOR, s)


def _rescaled(which, out, v, u, k, s):
    r"""Where ``s`` is below ``_S_FLOOR``: the output at the point moved by :func:`_moved`.

    Within :math:`|z| \le 10^{30}` noise sds of the nearer end (:math:`z = v/s` at
    :math:`r = 0`, :math:`z = u/s` at :math:`r = 1`), the other end is more than
    :math:`10^{30}` sds away, and the distribution near the end is self-similar in
    :math:`s` at fixed :math:`z`: near :math:`r = 0`,
    :math:`P(V \le v) = s^k E[(z - Z)_+^k]` and :math:`f_V = s^{k-1} k E[(z - Z)_+^{k-1}]`;
    near :math:`r = 1` (to relative order :math:`ks|z|`, below 1e-70),
    :math:`P(V \ge v) = s k E[(z - Z)_+]` and :math:`f_V = k \Phi(z)`. So the point is
    moved to :math:`s_0 = 10^{-60}` at the same :math:`z` and the quadrature's value
    scaled by powers of :math:`\rho = s / s_0`, the complementary probability as
    :math:`1 - \rho^k (1 - P)` or :math:`1 - \rho (1 - P)`. Farther than
    :math:`10^{30}` sds, inside the support the noiseless value is exact to
    :math:`(s/v)^2 < 10^{-60}`, and outside it the log-density and the far tail are
    :math:`-z^2/2` to within an ulp (the other terms are below :math:`10^{-57}` of it),
    about :math:`-5 \cdot 10^{307}` where :math:`z^2` would overflow (:math:`|z| > 10^{154}`).
    """
    tiny, near_zero, d, scale, mapped = _near_end(v, u, s)
    # (-1 where s is not tiny: a finite stand-in, so unused branches keep finite gradients)
    log_rho = jnp.where(tiny, jnp.log(jnp.where(tiny, s, _S_FLOOR)) - math.log(_S_FLOOR), -1.0)
    power = jnp.where(near_zero, k, 1.0)
    grows = {"pdf": None, "le": near_zero, "ge": ~near_zero}[which]
    if which == "pdf":
        scaled = out + jnp.where(near_zero, (k - 1.0) * log_rho, 0.0)
    else:
        log_p = power * log_rho
        # 1 - rho^p (1 - P): from 1 - P where P is near 1, else as a sum of two positives
        near_one = out > -LOG_2
        complement = jnp.where(
            near_one,
            jnp.log1p(jnp.exp(log_p) * jnp.expm1(jnp.where(near_one, out, 0.0))),
            jnp.logaddexp(jnp.log(-jnp.expm1(log_p)), log_p + out))
        scaled = jnp.where(grows, log_p + out, jnp.minimum(complement, 0.0))

    exact = dict(zip(("pdf", "le", "ge"), _noiseless_logs(v, u, k)))[which]
    far_out = tiny & ~mapped & (d < 0)
    # |z| capped where z^2 / 2 would overflow: -5e307 and a zero gradient instead of -inf
    z_far = jnp.where(far_out, d * scale, 0.0) / jnp.where(far_out, s * scale, 1.0)
    z_far = jnp.clip(z_far, -1e154, 1e154)
    far = jnp.where(far_out & (exact == -jnp.inf), -0.5 * jnp.square(z_far), exact)
    return jnp.where(mapped, scaled, jnp.where(tiny, far, out))


def _noiseless_logs(v, u, k):
    """The sigma = 0 limit: V = R ~ Beta(k, 1) on [0, 1]."""
    inside = (v > 0) & (u > 0)
    # log v from u where v is near 1, where 1 - v^k needs it
    near_one = u < 0.5
    log_v = jnp.where(near_one, jnp.log1p(-jnp.where(inside & near_one, u, 0.5)),
                      jnp.log(jnp.where(inside & ~near_one, v, 0.5)))
    log_pdf = jnp.where(inside, jnp.log(k) + (k - 1.0) * log_v, -jnp.inf)
    log_le = jnp.where(v <= 0, -jnp.inf, jnp.where(u <= 0, 0.0, k * log_v))
    log_ge = jnp.where(
        v <= 0, 0.0, jnp.where(u <= 0, -jnp.inf, jnp.log(-jnp.expm1(k * log_v)))
    )
    return log_pdf, log_le, log_ge


def _pointwise_log(which, v, u, k, s):
    """One output of ``standardized_logs`` point by point (arguments of one shape)."""
    # one quadrature per point (the move is an identity where s >= _S_FLOOR); the rescale,
    # a dozen transcendentals per point, runs only for a batch that has a tiny s (under
    # vmap a cond runs both branches, which is still one quadrature)
    v_q, u_q, s_q = _moved(v, u, s)
    out = _quadrature_log(which, v_q, u_q, k, s_q)
    return lax.cond(jnp.any(s < _S_FLOOR), partial(_rescaled, which),
                    lambda out, v, u, k, s: out, out, v, u, k, s)
