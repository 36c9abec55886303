r"""Per draw and per point: the noisy quadratic's log-density, log-cdf and log-survival.

Much of what follows a fit is one outer product: each of :math:`S` posterior draws
:math:`\theta_s` at each of :math:`m` points :math:`y_j` (the pointwise log-likelihood at
the distinct tail scores and the threshold, the LOO-PIT of the tail runs, the fitted tail
cdf on a grid). :func:`outer_logs` evaluates

.. math::

    \big(\log f_{\theta_s}(y_j),\; \log F_{\theta_s}(y_j),\; \log(1 - F_{\theta_s}(y_j))\big)
    \quad\text{for all } s \le S,\ j \le m,

point by point in fixed chunks of :data:`CHUNK` evaluations (the last one padded by
repeating a point), with one compiled program whatever ``S`` and ``m`` are
(issue 25: every new shape of an eagerly evaluated quadrature was compiled anew, which
made compilation most of the time of a fit's first summary). The minimize form is
evaluated through the maximize one on negated scores and ends
(:math:`F_{\min}(y; \alpha, \beta) = 1 - F_{\max}(-y; -\beta, -\alpha)`), which is the same
arithmetic: the standardized point :math:`v` and its complement are the same numbers.
Memory is bounded by the chunk (the quadrature adds ~100 nodes per point) and by the
three ``(S, m)`` outputs, never by ``S x m x nodes``. :func:`flat_logs` is the same with
one parameter set per point (per-draw targets, as in :func:`bayesnq.curves.more_runs`).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq.distributions import NoisyQuadratic
from bayesnq.validation import fail

__all__ = ["outer_logs", "flat_logs", "CHUNK"]

CHUNK = 1 << 14  # evaluations per compiled call (~40 MB of quadrature intermediates)


_OUTPUTS = ("pdf", "cdf", "sf")


@partial(jax.jit, static_argnums=0)
def _chunk(outputs, params, y):
    """Of (log f, log F, log(1 - F)), those named in ``outputs`` (the others None), of
    maximize-form parameters ``params`` (4, CHUNK) at ``y`` (CHUNK,), point by point."""
    d = NoisyQuadratic(params[0], params[1], params[2], params[3], validate_args=False)
    logs = {"pdf": d.log_prob, "cdf": d.log_cdf, "sf": d.log_sf}
    return tuple(logs[name](y) if name in outputs else None for name in _OUTPUTS)


def _evaluate(total, inputs, minimize, outputs=_OUTPUTS):
    """Run the compiled chunk over ``total`` points; ``inputs(lo, hi)`` gives the parameters
    (4, hi - lo) and points (hi - lo,) of points lo..hi in the user's orientation.
    ``outputs`` names the logs wanted in the user's orientation (the others are None)."""
    if minimize:  # the minimize form's cdf is the maximize form's sf at negated points
        outputs = tuple({"cdf": "sf", "sf": "cdf"}.get(name, name) for name in outputs)
    outputs = tuple(name for name in _OUTPUTS if name in outputs)
    out = [np.empty(total) if name in outputs else None for name in _OUTPUTS]
    pending = []
    for lo in range(0, total, CHUNK):
        hi = min(total, lo + CHUNK)
        params, y = inputs(lo, hi)
        if minimize:  # F_min(y; a, b) = S_max(-y; -b, -a): the same standardized arithmetic
            params = np.stack([-params[1], -params[0], params[2], params[3]])
            y = -y
        if hi - lo < CHUNK:  # pad by repeating the last point
            params = np.concatenate([params, np.repeat(params[:, -1:], CHUNK - (hi - lo), 1)], 1)
            y = np.concatenate([y, np.repeat(y[-1:], CHUNK - (hi - lo))])
        pending.append((lo, hi, _chunk(outputs, jnp.asarray(params), jnp.asarray(y))))  # async
        if len(pending) >= 8:
            _collect(pending, out)
    _collect(pending, out)
    log_pdf, log_cdf, log_sf = out
    if minimize:
        log_cdf, log_sf = log_sf, log_cdf
    return log_pdf, log_cdf, log_sf


def _collect(pending, out):
    for lo, hi, res in pending:
        for target, value in zip(out, res):
            if target is not None:
                target[lo:hi] = np.asarray(value)[:hi - lo]
    pending.clear()


def _as_params(alpha, beta, gamma, sigma):
    return np.stack([np.asarray(x, dtype=np.float64).reshape(-1)
                     for x in (alpha, beta, gamma, sigma)])


def outer_logs(alpha, beta, gamma, sigma, y, *, minimize=False, outputs=_OUTPUTS):
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
    outputs : tuple of str
        Which of ``"pdf"``, ``"cdf"`` and ``"sf"`` to compute (each is its own quadrature:
        asking for one costs a third of all three); the others are returned as None.

    Returns
    -------
    log_pdf, log_cdf, log_sf : np.ndarray, shape (S, m), or None
        :math:`\log f_{\theta_s}(y_j)`, :math:`\log P_{\theta_s}(Y \le y_j)` and
        :math:`\log P_{\theta_s}(Y > y_j)`, float64.
    """
    _check_outputs(outputs)
    params = _as_params(alpha, beta, gamma, sigma)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    s, m = params.shape[1], y.size

    def inputs(lo, hi):
        idx = np.arange(lo, hi)
        return params[:, idx // m], y[idx % m]

    return tuple(None if a is None else a.reshape(s, m)
                 for a in _evaluate(s * m, inputs, minimize, outputs))


def flat_logs(alpha, beta, gamma, sigma, y, *, minimize=False, outputs=_OUTPUTS):
    """:func:`outer_logs` point by point: parameters and points of one shape (broadcast),
    each point with its own parameters; returns three arrays of that shape (None for
    those not in ``outputs``)."""
    _check_outputs(outputs)
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64)
                                   for x in (alpha, beta, gamma, sigma, y)))
    shape = arrays[0].shape
    params = _as_params(*arrays[:4])
    y = arrays[4].reshape(-1)

    def inputs(lo, hi):
        return params[:, lo:hi], y[lo:hi]

    return tuple(None if a is None else a.reshape(shape)
                 for a in _evaluate(y.size, inputs, minimize, outputs))


def _check_outputs(outputs):
    if isinstance(outputs, str) or not outputs or any(o not in _OUTPUTS for o in outputs):
        raise fail("outputs", "a non-empty tuple of " + ", ".join(map(repr, _OUTPUTS)),
                   outputs)
