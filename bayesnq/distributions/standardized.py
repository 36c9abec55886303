r"""The log-density, log-cdf and log-survival of the standardized variable.

Every output of :class:`~bayesnq.distributions.NoisyQuadratic` reduces to the
standardized variable :math:`V = R + sZ`, :math:`R \sim \mathrm{Beta}(k, 1)`,
:math:`Z \sim N(0, 1)`, with :math:`s = \sigma / w`, :math:`w = \beta - \alpha` and
:math:`k = \gamma / 2`. For the maximize form :math:`v = (\beta - y)/w` and
:math:`F_Y(y) = P(V \ge v)`; for the minimize form :math:`v = (y - \alpha)/w` and
:math:`F_Y(y) = P(V \le v)`; :math:`f_Y(y) = f_V(v) / w` in both.

This module picks how each output is evaluated: from a Chebyshev table
(:mod:`~bayesnq.distributions.tables`) for a batch of at least 8,192 points of one
parameter set, else point by point (:mod:`~bayesnq.distributions.small_noise`: the
quadrature of :mod:`~bayesnq.distributions.integrals`, rescaled below
:math:`s = 10^{-60}`), or the noiseless limit where :math:`\sigma = 0`.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from bayesnq.distributions.small_noise import _noiseless_logs, _pointwise_log
from bayesnq.distributions.tables import _TABLE_MIN_POINTS, _tabulated_log

__all__ = ["standardized_logs"]


def standardized_logs(v, u, k, s):
    r"""Log-density, log-cdf and log-survival of :math:`V = R + sZ`, :math:`R \sim Beta(k, 1)`.

    Parameters
    ----------
    v, u : array_like
        The point and its complement :math:`u = 1 - v`, both computed from the data so
        that each is accurate where it is small.
    k : array_like
        Shape :math:`k = \gamma / 2 > 0`.
    s : array_like
        Relative noise :math:`s = \sigma / (\beta - \alpha) > 0`.

    Returns
    -------
    log_pdf, log_le, log_ge : Array
        :math:`\log f_V(v)`, :math:`\log P(V \le v)` and :math:`\log P(V \ge v)`.

    Notes
    -----
    Each output computes only its own integral (unused ones are dropped under ``jit``).
    Derivatives in ``v``, ``u``, ``k`` and ``s`` are averages over the same quadrature
    nodes (a ``jax.custom_jvp``, see :mod:`~bayesnq.distributions.integrals`), not reverse-mode
    differentiation through the quadrature.
    """
    return tuple(_standardized_log(which, v, u, k, s) for which in ("pdf", "le", "ge"))


@partial(jax.jit, static_argnums=0)
def _standardized_log(which, v, u, k, s):
    """One output of :func:`standardized_logs` (``which``: "pdf", "le" or "ge").

    Jitted so that a model traced many times (NumPyro traces it several times while it
    sets up NUTS) traces the quadrature once per shape. A batch of at least
    ``_TABLE_MIN_POINTS`` points that share one ``k`` and one ``s`` goes through
    :func:`_tabulated_log` (a table of the function built from the quadrature); any
    other batch, point by point through the quadrature.
    """
    v, u, k, s = (jnp.asarray(x) for x in (v, u, k, s))
    shape = lax.broadcast_shapes(*(jnp.shape(x) for x in (v, u, k, s)))
    if k.size == 1 and s.size == 1 and math.prod(shape) >= _TABLE_MIN_POINTS:
        v, u = (jnp.broadcast_to(x, shape) for x in (v, u))
        return _tabulated_log(which, v, u, k.reshape(()), s.reshape(()))
    return _pointwise_log(which, *jnp.broadcast_arrays(v, u, k, s))


@partial(jax.jit, static_argnums=0)
def _output_log(which, v, u, k, sigma, width):
    """One output of :func:`standardized_logs` at ``s = sigma / width``, or its noiseless
    limit where ``sigma = 0`` (with one ``sigma``, only the one it takes is evaluated)."""
    noiseless = sigma <= 0
    s = jnp.where(noiseless, 1.0, sigma) / width
    shape = lax.broadcast_shapes(*(jnp.shape(x) for x in (v, u, k, s)))
    i = ("pdf", "le", "ge").index(which)
    noisy = partial(_standardized_log, which, v, u, k, s)

    def exact():
        return jnp.broadcast_to(_noiseless_logs(v, u, k)[i], shape)

    if jnp.ndim(noiseless) == 0:
        return lax.cond(noiseless, exact, noisy)
    return jnp.where(noiseless, exact(), noisy())
