r"""Per draw and per point: the noisy quadratic's log-density, log-cdf and log-survival.

Much of what follows a fit is one outer product: each of :math:`S` posterior draws
:math:`\theta_s` at each of :math:`m` points :math:`y_j` (the pointwise log-likelihood at
the distinct tail scores and the threshold, the LOO-PIT of the tail runs, the fitted tail
cdf on a grid). :func:`outer_logs` evaluates

.. math::

    \big(\log f_{\theta_s}(y_j),\; \log F_{\theta_s}(y_j),\; \log(1 - F_{\theta_s}(y_j))\big)
    \quad\text{for all } s \le S,\ j \le m,

in fixed blocks of :data:`DRAW_BLOCK` draws by :data:`POINT_BLOCK` points (the last ones
padded by repeating an entry), with one compiled program whatever ``S`` and ``m`` are
(issue 25: every new shape of an eagerly evaluated quadrature was compiled anew, which
made compilation most of the time of a fit's first summary). The minimize form is
evaluated through the maximize one on negated scores and ends
(:math:`F_{\min}(y; \alpha, \beta) = 1 - F_{\max}(-y; -\beta, -\alpha)`), which is the same
arithmetic: the standardized point :math:`v` and its complement are the same numbers.
Memory is bounded by the block (the quadrature adds ~100 nodes per point) and by the
three ``(S, m)`` outputs, never by ``S x m x nodes``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq.distributions import NoisyQuadratic

__all__ = ["outer_logs", "DRAW_BLOCK", "POINT_BLOCK"]

DRAW_BLOCK = 256  # draws per compiled call
POINT_BLOCK = 64  # points per compiled call (16,384 evaluations, ~40 MB of intermediates)


@jax.jit
def _block(params, y):
    """(log f, log F, log(1 - F)) of the maximize-form draws ``params`` (4, D) at ``y`` (M,)."""
    d = NoisyQuadratic(params[0][:, None], params[1][:, None], params[2][:, None],
                       params[3][:, None], validate_args=False)
    y = y[None, :]
    return d.log_prob(y), d.log_cdf(y), d.log_sf(y)


def _padded(a, size):
    missing = size - a.shape[-1]
    if missing <= 0:
        return a
    return np.concatenate([a, np.repeat(a[..., -1:], missing, axis=-1)], axis=-1)


def outer_logs(alpha, beta, gamma, sigma, y, *, minimize=False):
    r"""Log-density, log-cdf and log-survival of every draw at every point.

    Parameters
    ----------
    alpha, beta, gamma, sigma : array_like, shape (S,)
        Posterior draws (user orientation: ``alpha`` the low end, ``beta`` the high end),
        checked by the caller.
    y : array_like, shape (m,)
        Points (user units).
    minimize : bool
        Direction of the distribution (:class:`~bayesnq.distributions.NoisyQuadratic`).

    Returns
    -------
    log_pdf, log_cdf, log_sf : np.ndarray, shape (S, m)
        :math:`\log f_{\theta_s}(y_j)`, :math:`\log P_{\theta_s}(Y \le y_j)` and
        :math:`\log P_{\theta_s}(Y > y_j)`, float64.
    """
    params = np.stack([np.asarray(x, dtype=np.float64).reshape(-1)
                       for x in (alpha, beta, gamma, sigma)])
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if minimize:  # F_min(y; a, b) = S_max(-y; -b, -a): the same standardized arithmetic
        params = np.stack([-params[1], -params[0], params[2], params[3]])
        y = -y
    s, m = params.shape[1], y.size
    out = [np.empty((s, m)) for _ in range(3)]
    if s == 0 or m == 0:
        return tuple(out)
    pending = []
    for i in range(0, s, DRAW_BLOCK):
        block = jnp.asarray(_padded(params[:, i:i + DRAW_BLOCK], DRAW_BLOCK))
        for j in range(0, m, POINT_BLOCK):
            pts = jnp.asarray(_padded(y[j:j + POINT_BLOCK], POINT_BLOCK))
            pending.append((i, j, _block(block, pts)))  # dispatched asynchronously
        for i0, j0, res in pending:
            rows, cols = min(DRAW_BLOCK, s - i0), min(POINT_BLOCK, m - j0)
            for target, value in zip(out, res):
                target[i0:i0 + rows, j0:j0 + cols] = np.asarray(value)[:rows, :cols]
        pending.clear()
    log_pdf, log_cdf, log_sf = out
    if minimize:
        log_cdf, log_sf = log_sf, log_cdf
    return log_pdf, log_cdf, log_sf
