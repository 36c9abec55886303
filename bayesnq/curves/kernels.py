r"""Per-draw kernels: the noisy quadratic of each posterior draw, evaluated in blocks.

All probabilities are handled in log space (:meth:`NoisyQuadratic.log_cdf` /
:meth:`~NoisyQuadratic.log_sf`), so ``n`` of :math:`10^6` and beyond keeps full precision.
Importing this module turns on float64 in JAX (through :mod:`bayesnq.distributions`).
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq.curves.draws import BLOCK, MIN_DRAWS, N_CHUNK, pad, pow2_at_least, pow2_at_most, stack
from bayesnq.curves.pointwise import outer_logs
from bayesnq.distributions import NoisyQuadratic

__all__ = ["noisy_quadratic", "logs_best", "per_draw", "log_tail_of"]

_LOG_HALF = -math.log(2.0)


def noisy_quadratic(p, minimize):
    """The noisy quadratic of the draws ``p = (alpha, beta, gamma, sigma)`` (stacked)."""
    return NoisyQuadratic(p[0], p[1], p[2], p[3], minimize=minimize)


def logs_best(d, y):
    r""":math:`\log f`, :math:`\log F` and :math:`\log(1 - F)`, each accurate near 0.

    :math:`\log F` is taken as :math:`\log(1 - S)` where the survival :math:`S < 1/2`
    (and vice versa), so :math:`n \log F` keeps its relative precision for huge ``n``.
    """
    # under jit, XLA merges the three calls' shared quadrature into one pass
    log_pdf, log_cdf, log_sf = d.log_prob(y), d.log_cdf(y), d.log_sf(y)
    log_f = jnp.where(log_sf < _LOG_HALF, jnp.log1p(-jnp.exp(log_sf)), log_cdf)
    log_s = jnp.where(log_cdf < _LOG_HALF, jnp.log1p(-jnp.exp(log_cdf)), log_sf)
    return log_pdf, log_f, log_s


# Shapes are fixed (chunks of N_CHUNK values of n, the last one padded; blocks of at least
# 64 draws, a power of two), so that one compiled kernel serves every n grid: compiling one
# takes seconds.


@partial(jax.jit, static_argnames=("minimize",))
def _quantile_kernel(params, n, q, minimize):
    d = noisy_quadratic(params[:, :, None], minimize)
    return d.quantile_tuning_curve(n[None, :], q)


@partial(jax.jit, static_argnames=("minimize",))
def _average_kernel(params, n, minimize):
    d = noisy_quadratic(params[:, :, None], minimize)
    return d.average_tuning_curve(n[None, :])


def per_draw(kind: str, d: dict, n: np.ndarray, q: float, minimize: bool) -> np.ndarray:
    """Per-draw curves, shape (S, m), in blocks of draws (a loop over blocks, not draws).

    ``kind`` ``"quantile"``: the q-quantile tuning curve of each draw; ``"average"``: its
    average tuning curve (``q`` unused).
    """
    params = stack(d)
    s, m = params.shape[1], n.size
    # the average curve costs ~570 log-cdf evaluations per point (about 48 quantile
    # solves): half the chunk of n there
    chunk = N_CHUNK if kind == "quantile" else N_CHUNK // 2
    cost = chunk if kind == "quantile" else 48 * chunk
    size = min(max(MIN_DRAWS, pow2_at_least(s)), pow2_at_most(BLOCK // cost))
    out = np.empty((s, m))
    for j in range(0, m, chunk):  # fixed-size chunks of n: one compiled shape for any grid
        n_part = jnp.asarray(pad(n[j:j + chunk], chunk))
        cols = min(chunk, m - j)
        for i in range(0, s, size):
            block = jnp.asarray(pad(params[:, i:i + size], size))
            if kind == "quantile":
                y = _quantile_kernel(block, n_part, q, minimize)
            else:
                y = _average_kernel(block, n_part, minimize)
            width = min(size, s - i)
            out[i:i + width, j:j + cols] = np.asarray(y)[:width, :cols]
    return out


def log_tail_of(d: dict, target: float, minimize: bool) -> np.ndarray:
    """Per draw, log P(Y <= t) (maximize) or log P(Y >= t) (minimize): the chance that one
    run does *not* reach ``target``.

    Through the shared per-draw, per-point kernel (:func:`bayesnq.curves.pointwise.outer_logs`:
    no compile of its own), each taken as :func:`logs_best` takes it: the complement of the
    other tail where that one is below 1/2, so that it stays accurate near 0.
    """
    _, log_cdf, log_sf = outer_logs(*stack(d), [float(target)], minimize=minimize)
    log_cdf, log_sf = log_cdf[:, 0], log_sf[:, 0]
    with np.errstate(divide="ignore"):
        if minimize:
            return np.where(log_cdf < _LOG_HALF, np.log1p(-np.exp(log_cdf)), log_sf)
        return np.where(log_sf < _LOG_HALF, np.log1p(-np.exp(log_sf)), log_cdf)
