r"""The censored tail likelihood: the one place where scores meet the noisy quadratic.

Scores beyond the threshold :math:`\tau` (maximize orientation) enter through the density,
the others only say that they did not reach the tail. With :math:`n` runs of which
:math:`m` lie beyond :math:`\tau`,

.. math::

    \log p(y \mid \theta) = \sum_{i:\, y_i > \tau} \log f_\theta(y_i)
        + (n - m) \log F_\theta(\tau),

the truncated likelihood of the tail, :math:`\prod f/(1 - F(\tau))`, times the binomial
term :math:`(1-F)^m F^{n-m}` for how many runs reach it. The truncated part alone does not
identify :math:`\alpha`; the binomial term ties the tail mass to the share of runs in it.

Every consumer calls :func:`per_run_loglik`: the tail model's factor, the pointwise
log-likelihood stored with a fit (:func:`loglik_draws`), the vectorized calibration
engine and importance SBC (:func:`runs_beyond`), the spliced likelihood of threshold
comparison, and the validation score at a common threshold. The threshold model sums the
same per-run terms for every candidate at once (:func:`candidate_logliks`).

Data layout: ``values`` holds points beyond the threshold (the distinct tail scores, or
one entry per run), and ``run_index`` gives, for each run, the index of its score in
``values``, or ``len(values)`` for a censored run. With distinct scores the density is
evaluated once per distinct value: an accuracy on a fixed validation set takes a few
hundred values (DeBERTaV3's 588 tail runs hold 157).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq.distributions import NoisyQuadratic

__all__ = ["per_run_loglik", "loglik_draws", "runs_beyond", "candidate_logliks",
           "distinct_layout"]


def per_run_loglik(d, values, run_index, threshold):
    r"""Per-run log-likelihood: :math:`\log f(y_i)` beyond :math:`\tau`, :math:`\log F(\tau)` else.

    Parameters
    ----------
    d : NoisyQuadratic
        Maximize form.
    values : array
        Points beyond the threshold (see the module docstring).
    run_index : int array
        For each run, its index in ``values``, or ``len(values)`` when censored.
    threshold : float
    """
    lp = d.log_prob(jnp.asarray(values))
    return jnp.concatenate([lp, d.log_cdf(threshold)[None]])[jnp.asarray(run_index)]


@jax.jit
def loglik_draws(params, values, run_index, threshold):
    """:func:`per_run_loglik` for each draw of ``params`` = (alpha, beta, gamma, sigma).

    Maximize orientation, flat arrays of draws; returns shape (draws, runs). The data are
    arguments, so one compiled program serves every fit of the same shapes.
    """

    def one(p):
        return per_run_loglik(NoisyQuadratic(*p), values, run_index, threshold)

    return jax.lax.map(one, params, batch_size=64)


def runs_beyond(y, in_tail, filler):
    """The layout of :func:`per_run_loglik` with one entry per run, for fixed shapes.

    ``y`` (runs) with the boolean ``in_tail``: censored runs' entries are replaced by
    ``filler`` (a point where the density is finite, never used), and their index points
    past the end. Works on JAX arrays under ``jit``/``vmap``.
    """
    n = y.shape[-1]
    values = jnp.where(in_tail, y, filler)
    run_index = jnp.where(in_tail, jnp.arange(n), n)
    return values, run_index


def distinct_layout(tail, index_tail, n, size=None):
    """Distinct tail scores (ascending, padded with the largest to ``size``) and run indices.

    ``tail`` holds the oriented scores beyond the threshold and ``index_tail`` their runs
    among ``n``. Returns ``(values, run_index)`` for :func:`per_run_loglik`.
    """
    distinct, inverse = np.unique(np.asarray(tail), return_inverse=True)
    size = distinct.size if size is None else int(size)
    if size < distinct.size:
        raise ValueError(f"size must be at least {distinct.size} (the distinct tail "
                         f"scores), got size={size!r}")
    values = np.full(size, distinct[-1])
    values[:distinct.size] = distinct
    run_index = np.full(n, size, dtype=np.int32)
    run_index[index_tail] = inverse.reshape(-1)
    return values, run_index


def candidate_logliks(d, tail_sorted, n_tail, thresholds, n):
    r"""The censored log-likelihood at every candidate threshold, shape (T,).

    :math:`\sum_{i:\, y_i > \tau_j} \log f(y_i) + (n - m_j)\log F(\tau_j)`: the per-run
    terms of :func:`per_run_loglik` summed for each candidate :math:`\tau_j`, with the
    density evaluated once for all candidates (at the scores beyond the lowest one,
    ``tail_sorted`` in descending order, once per distinct value) and summed from the top.
    """
    distinct, inverse = np.unique(np.asarray(tail_sorted), return_inverse=True)
    lf = d.log_prob(jnp.asarray(distinct))[jnp.asarray(inverse.reshape(-1))]
    top = jnp.cumsum(lf)[jnp.asarray(np.asarray(n_tail) - 1)]
    lcdf = d.log_cdf(jnp.asarray(thresholds))
    n_below = jnp.asarray(n - np.asarray(n_tail), dtype=float)
    return top + n_below * lcdf
