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

Every consumer calls :func:`per_run_loglik` or sums its terms: the pointwise
log-likelihood stored with a fit (:func:`loglik_draws`), the vectorized calibration
engine and importance SBC (:func:`runs_beyond`), the pooled model, the spliced likelihood
of threshold comparison, and the validation score at a common threshold. The tail model
takes the same terms once per distinct score, times its count (:func:`counted_loglik`);
the threshold model sums them for every candidate at once (:func:`candidate_logliks`).

**Scores known to a resolution.** An accuracy on :math:`N` validation examples is a
multiple of :math:`1/N`; a rounded metric a multiple of :math:`10^{-d}`. Such a score
:math:`y` says only that the run's value fell in :math:`(y - h/2, y + h/2]`, so with a
``resolution`` :math:`h` its term is the interval probability

.. math::

    \log P(y - h/2 < Y \le y + h/2) \quad\text{(lower end clipped at } \tau\text{)},

computed from the log cdf or the log survival function, whichever side is smaller, so it is
exact in both tails (:func:`log_interval_prob`). The density of tied scores grows without
bound as :math:`\sigma \to 0` (with :math:`m \ge 3` runs tied at the top the posterior is
improper); an interval probability is at most 1, so the posterior stays proper for any
number of ties.

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

__all__ = ["per_run_loglik", "counted_loglik", "loglik_draws", "runs_beyond",
           "candidate_logliks", "distinct_layout", "log_interval_prob", "tail_terms"]


def log_interval_prob(d, lo, hi):
    r""":math:`\log P(lo < Y \le hi)`, exact in both tails.

    :math:`\log F(hi) + \log(1 - F(lo)/F(hi))` where :math:`F(hi)` is the smaller of
    :math:`F(hi)` and :math:`1 - F(lo)`, else the same with survival functions, so the
    difference is never taken between two numbers close to 1.
    """
    lc_lo, lc_hi = d.log_cdf(lo), d.log_cdf(hi)
    ls_lo, ls_hi = d.log_sf(lo), d.log_sf(hi)
    via_cdf = lc_hi + _log1mexp(lc_lo - lc_hi)
    via_sf = ls_lo + _log1mexp(ls_hi - ls_lo)
    return jnp.where(lc_hi <= ls_lo, via_cdf, via_sf)


def _log1mexp(x):
    r""":math:`\log(1 - e^x)` for :math:`x < 0`, accurate near 0 and far below it.

    ``x`` is kept below -1e-300, and each branch of the ``where`` gets an input that is
    safe for it, so that unused branches stay finite and their gradients with them.
    """
    x = jnp.minimum(x, -1e-300)
    near = x > -0.6931471805599453
    return jnp.where(near, jnp.log(-jnp.expm1(jnp.where(near, x, -1.0))),
                     jnp.log1p(-jnp.exp(jnp.where(near, -1.0, x))))


def tail_terms(d, values, threshold, resolution=None):
    """The per-value term of a score beyond the threshold: log f, or log P(its cell).

    With a ``resolution`` h, the cell of a score y is (y - h/2, y + h/2], its lower end
    clipped at the threshold (a cell the threshold cuts counts only its tail part).
    """
    values = jnp.asarray(values)
    if resolution is None:
        return d.log_prob(values)
    half = 0.5 * resolution
    return log_interval_prob(d, jnp.maximum(values - half, threshold), values + half)


def per_run_loglik(d, values, run_index, threshold, resolution=None):
    r"""Per-run log-likelihood: the tail term beyond :math:`\tau`, :math:`\log F(\tau)` else.

    Parameters
    ----------
    d : NoisyQuadratic
        Maximize form.
    values : array
        Points beyond the threshold (see the module docstring).
    run_index : int array
        For each run, its index in ``values``, or ``len(values)`` when censored.
    threshold : float
    resolution : float, optional
        Scores known to this resolution enter as interval probabilities
        (:func:`tail_terms`); None: as densities.
    """
    lp = tail_terms(d, values, threshold, resolution)
    return jnp.concatenate([lp, d.log_cdf(threshold)[None]])[jnp.asarray(run_index)]


def counted_loglik(d, values, counts, n_below, threshold, resolution=None):
    r"""The search's log-likelihood: :func:`per_run_loglik` summed over the runs, with
    each distinct tail score's term taken once and multiplied by its number of runs,

    .. math::

        \sum_j c_j\,\ell(y_j) + n_{\text{below}} \log F(\tau),

    where :math:`\ell` is the tail term of :func:`tail_terms`. ``counts`` is shaped like
    ``values``; an entry with count 0 (padding) adds nothing. The arrays' shapes depend on
    the number of distinct tail scores alone, not on the number of runs, so one compiled
    sampler serves searches of any size whose distinct scores pad to the same length
    (:meth:`bayesnq.modeling.TailData.sampler_arrays`).
    """
    lp = tail_terms(d, values, threshold, resolution)
    counts = jnp.asarray(counts, dtype=lp.dtype)
    tail = jnp.sum(jnp.where(counts > 0, counts * lp, 0.0), axis=-1)
    n_below = jnp.asarray(n_below, dtype=lp.dtype)
    below = jnp.where(n_below > 0, n_below * d.log_cdf(threshold), 0.0)
    return tail + below


def loglik_draws(params, values, run_index, threshold, resolution=None):
    """:func:`per_run_loglik` for each draw of ``params`` = (alpha, beta, gamma, sigma).

    Maximize orientation, flat arrays of draws; returns shape (draws, runs). The data are
    arguments, so one compiled program serves every fit of the same shapes.
    """
    if resolution is None:
        return _loglik_draws(params, values, run_index, threshold)
    return _loglik_draws_cells(params, values, run_index, threshold, resolution)


@jax.jit
def _loglik_draws(params, values, run_index, threshold):
    def one(p):
        return per_run_loglik(NoisyQuadratic(*p), values, run_index, threshold)

    return jax.lax.map(one, params, batch_size=64)


@jax.jit
def _loglik_draws_cells(params, values, run_index, threshold, resolution):
    def one(p):
        return per_run_loglik(NoisyQuadratic(*p), values, run_index, threshold, resolution)

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


def candidate_logliks(d, tail_sorted, n_tail, thresholds, n, resolution=None):
    r"""The censored log-likelihood at every candidate threshold, shape (T,).

    :math:`\sum_{i:\, y_i > \tau_j} \log f(y_i) + (n - m_j)\log F(\tau_j)`: the per-run
    terms of :func:`per_run_loglik` summed for each candidate :math:`\tau_j`, with the
    density evaluated once for all candidates (at the scores beyond the lowest one,
    ``tail_sorted`` in descending order, once per distinct value) and summed from the top.
    With a ``resolution``, the tail terms are cell probabilities; their lower ends are
    clipped at the lowest candidate only (the default candidates lie halfway between
    distinct scores, so no cell straddles a candidate).
    """
    distinct, inverse = np.unique(np.asarray(tail_sorted), return_inverse=True)
    lf = tail_terms(d, distinct, jnp.min(jnp.asarray(thresholds)),
                    resolution)[jnp.asarray(inverse.reshape(-1))]
    top = jnp.cumsum(lf)[jnp.asarray(np.asarray(n_tail) - 1)]
    lcdf = d.log_cdf(jnp.asarray(thresholds))
    n_below = jnp.asarray(n - np.asarray(n_tail), dtype=float)
    return top + n_below * lcdf
