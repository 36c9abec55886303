r"""The spliced model: the threshold as a parameter.

To compare thresholds, every run needs a density. For a candidate :math:`\tau`
(maximize orientation) the *spliced* density is

.. math::

    p(y \mid \tau, \theta, w) = \begin{cases}
        f_\theta(y), & y > \tau, \\
        F_\theta(\tau)\, h_w(y \mid \tau), & y \le \tau,
    \end{cases}

with :math:`F_\theta, f_\theta` the noisy quadratic cdf and density and :math:`h_w` a
*body* density supported on :math:`(-\infty, \tau]`. It integrates to
:math:`F_\theta(\tau) + (1 - F_\theta(\tau)) = 1`: the tail carries its own fitted mass
:math:`1 - F_\theta(\tau)` (the threshold-mixture design of Behrens, Lopes & Gamerman 2004
and MacDonald et al. 2011 with the noisy quadratic in place of the GPD).

**Body: a histogram with Dirichlet weights on fixed bins.** The bin edges are the same
for every candidate: equal-count edges of the runs below the lowest candidate, then the
candidates themselves, so that each candidate is a bin edge and the body of
:math:`\tau_j` is the set of bins left of it. With counts :math:`c_k`, widths
:math:`\Delta_k` and weights :math:`w \sim \mathrm{Dirichlet}(a, \dots, a)` over the
:math:`K_j` body bins, :math:`h_w(y) = w_{k(y)}/\Delta_{k(y)}` and the weights integrate
out exactly (Dirichlet–multinomial):

.. math::

    B_j = \log\Gamma(K_j a) - \log\Gamma(K_j a + N_j)
        + \sum_{k \le K_j} \big[\log\Gamma(a + c_k) - \log\Gamma(a)\big]
        - \sum_{k \le K_j} c_k \log \Delta_k .

Why this body cannot steal the tail: it has no support beyond :math:`\tau`, its mass
:math:`F_\theta(\tau)` is set by the tail model, and its resolution is fixed across
candidates (bins do not narrow as :math:`\tau` moves), while each extra bin is charged by
the Dirichlet–multinomial's Occam factor. A kernel density with a per-candidate bandwidth,
or a histogram with bins at every data point, would instead fit the runs it is handed
better than any 4-parameter tail and pull :math:`\tau` to the top of the data.

Given :math:`\tau_j` the body factor does not involve :math:`\theta`, so the posterior of
:math:`\theta` at a fixed :math:`\tau` is exactly the censored fit above.

**Marginalizing over a grid of thresholds.** With a uniform prior over candidates
:math:`\tau_1 < \dots < \tau_T` and

.. math::

    \ell_j(\theta) = \sum_{i:\, y_i > \tau_j} \log f_\theta(y_i)
        + n_j^{\le} \log F_\theta(\tau_j) + B_j ,

the model adds :math:`\log \sum_j e^{\ell_j(\theta)} / T` to the log density, so NUTS
samples only the continuous :math:`\theta`. The noisy quadratic is one distribution for
all candidates: :math:`\theta = (\alpha, \beta, \gamma, \sigma)` is shared, as it must be
if the regime starting at :math:`\tau^*` holds beyond every :math:`\tau \ge \tau^*` (the
fits at those thresholds then agree, so the likelihood surfaces line up instead of forming
one mode per candidate). It is parameterized at a fixed *reference* candidate
:math:`\tau_r` (the middle of the grid): ``beta_z``, ``sigma_rel`` and ``q`` as in the
fixed-threshold model with :math:`\tau = \tau_r`, :math:`q` the noiseless mass beyond
:math:`\tau_r` and :math:`\alpha = \beta - (\beta - \tau_r) q^{-2/\gamma}`. The tail mass
beyond the drawn :math:`\tau_j` is then :math:`1 - F_\theta(\tau_j)`. All log densities
above :math:`\tau_1` are evaluated once per step and summed from the top
(:math:`\ell_j` by a cumulative sum), so the cost is about that of one censored fit at
the lowest candidate.

The conditional :math:`P(\tau_j \mid \theta, y) \propto e^{\ell_j(\theta)}` is recorded
(``tau_logp``); :math:`\tau` is drawn from it after sampling and
:math:`P(\tau_j \mid y)` is its average over draws (Rao–Blackwellized).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from scipy.special import gammaln as _gl

from bayesnq import direction
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling.likelihood import candidate_logliks, per_run_loglik, runs_beyond
from bayesnq.modeling.priors import Priors, derive_alpha, sample_gamma, sample_tail_parameters
from bayesnq.modeling.tail import TailData, record_parameters

__all__ = ["SplicedData", "threshold_model", "body_log_marginal", "body_weights",
           "pointwise_loglik", "predictive", "BODY_DIRICHLET"]

BODY_DIRICHLET = 1.0  # Dirichlet concentration a of each body-histogram bin


def body_log_marginal(counts, widths, a=BODY_DIRICHLET):
    r"""Log marginal density of the body runs under the Dirichlet-weighted histogram.

    .. math::

        \log\Gamma(Ka) - \log\Gamma(Ka + N) + \sum_k [\log\Gamma(a + c_k) - \log\Gamma(a)]
        - \sum_k c_k \log \Delta_k ,

    the density of the ordered body values given that they lie in the body (bins with
    counts ``counts``, widths ``widths``); 0 for an empty body.
    """
    c = np.asarray(counts, dtype=float)
    dw = np.asarray(widths, dtype=float)
    if c.size == 0:
        return 0.0
    k, total = float(c.size), float(c.sum())
    return float(
        _gl(k * a) - _gl(k * a + total) + np.sum(_gl(a + c) - _gl(a)) - np.sum(c * np.log(dw))
    )


@dataclass(frozen=True)
class SplicedData:
    """Scores and candidate thresholds arranged for :func:`threshold_model`.

    Everything is in the maximize orientation (scores negated for the minimize form);
    ``thresholds`` ascend, so the tail fraction falls along the grid.
    """

    values: np.ndarray  # all oriented scores, in run order
    thresholds: np.ndarray  # oriented candidates, ascending
    tail_sorted: np.ndarray  # oriented scores above thresholds[0], descending
    n_tail: np.ndarray  # runs strictly beyond each candidate
    body_term: np.ndarray  # B_j of each candidate
    edges: np.ndarray  # body-histogram bin edges (oriented, ascending)
    bin_of: np.ndarray  # bin index of each run (meaningful where the run is in a body)
    bin_counts: np.ndarray  # (T, K) counts of body runs per bin under each candidate
    reference: TailData  # data at the reference candidate (for priors and parameterization)
    reference_index: int
    minimize: bool
    dirichlet: float = BODY_DIRICHLET
    resolution: float | None = None  # scores known to this resolution (cells), or None

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def user_thresholds(self) -> np.ndarray:
        return direction.to_user(self.thresholds.copy(), self.minimize)

    @property
    def user_values(self) -> np.ndarray:
        """The scores in the user's units, in run order."""
        return direction.to_user(self.values.copy(), self.minimize)

    @property
    def tail_fractions(self) -> np.ndarray:
        return self.n_tail / self.n

    @classmethod
    def build(cls, values, thresholds, *, minimize, bounds=(None, None), max_body_bins=12,
              dirichlet=BODY_DIRICHLET, resolution=None):
        y = direction.orient(np.asarray(values, dtype=float), minimize)
        t = np.unique(direction.orient(np.asarray(thresholds, dtype=float), minimize))
        n = y.size
        n_tail = np.array([(y > tj).sum() for tj in t])
        below_first = np.sort(y[y <= t[0]])
        # equal-count edges of the runs below the lowest candidate, then the candidates
        inner = np.empty(0)
        if below_first.size:
            k0 = int(np.clip(round(np.sqrt(below_first.size)), 1, max_body_bins))
            inner = np.unique(np.quantile(below_first, np.arange(1, k0) / k0))
            inner = inner[(inner > below_first[0]) & (inner < t[0])]
            span = t[0] - below_first[0]
            pad = 0.5 * span / k0 if span > 0 else 1e-3 * max(1.0, abs(t[0]))
            lowest = below_first[0] - pad
            edges = np.concatenate([[lowest], inner, t])
        else:
            edges = t.copy()
        widths = np.diff(edges)
        bin_of = np.searchsorted(edges, y, side="left") - 1
        n_bins = widths.size
        first_candidate_bin = inner.size + (1 if below_first.size else 0)  # bins left of t[0]
        counts = np.zeros((t.size, n_bins))
        body_term = np.zeros(t.size)
        for j, tj in enumerate(t):
            in_body = y <= tj
            k_j = first_candidate_bin + j  # number of bins left of t[j]
            c = np.bincount(bin_of[in_body], minlength=n_bins)[:n_bins].astype(float)
            counts[j] = c
            body_term[j] = body_log_marginal(c[:k_j], widths[:k_j], dirichlet)
            if resolution is not None:  # a body run's cell: density times its width h
                body_term[j] += in_body.sum() * np.log(resolution)
        ref = t.size // 2
        reference = TailData.build(values, direction.to_user(t[ref], minimize), minimize=minimize,
                                   bounds=bounds, resolution=resolution)
        return cls(
            values=y,
            thresholds=t,
            tail_sorted=np.sort(y[y > t[0]])[::-1].copy(),
            n_tail=n_tail,
            body_term=body_term,
            edges=edges,
            bin_of=bin_of,
            bin_counts=counts,
            reference=reference,
            reference_index=int(ref),
            minimize=bool(minimize),
            dirichlet=float(dirichlet),
            resolution=None if resolution is None else float(resolution),
        )

    def body_bins(self, j: int) -> int:
        """Number of histogram bins in the body of candidate ``j``."""
        return int(np.searchsorted(self.edges, self.thresholds[j], side="left"))


def _threshold_loglik(data: SplicedData, alpha, beta, gamma, sigma):
    r""":math:`\ell_j(\theta)` for every candidate (oriented), shape (T,)."""
    d = NoisyQuadratic(alpha, beta, gamma, sigma)
    return (candidate_logliks(d, data.tail_sorted, data.n_tail, data.thresholds, data.n,
                              data.resolution)
            + jnp.asarray(data.body_term))


def threshold_model(data: SplicedData, priors: Priors = Priors(), gamma_max=None,
                    gamma_mode="continuous"):
    r"""NumPyro model with the threshold marginalized over the candidate grid.

    Samples ``beta_t``, ``sigma_rel``, ``q`` (and ``log_gamma``) in the parameterization of
    :func:`~bayesnq.modeling.tail_model` at the reference candidate; records ``tau_logp``
    (log :math:`P(\tau_j \mid \theta, y)`, shape (T,)) and, with integer gamma,
    ``gamma_tau_logp`` (shape (K, T)).
    """
    ref = data.reference
    _, beta, sigma, q = sample_tail_parameters(ref.consts, ref.upper_bound is not None, priors)
    log_prior_tau = -jnp.log(float(data.thresholds.size))
    if gamma_mode == "integer":
        ks = jnp.arange(1, int(gamma_max) + 1, dtype=float)

        def per_gamma(g):
            a = derive_alpha(beta, g, q, ref.threshold)
            return a, _threshold_loglik(data, a, beta, g, sigma)

        alpha_k, ll = jax.vmap(per_gamma)(ks)
        joint = ll + log_prior_tau - jnp.log(float(gamma_max))
        total = jax.nn.logsumexp(joint)
        numpyro.factor("tau_gamma_marginal", total)
        numpyro.deterministic("gamma_tau_logp", joint - total)
        w_gamma = jnp.exp(jax.nn.logsumexp(joint, axis=1) - total)
        gamma = jnp.sum(w_gamma * ks)
        alpha = jnp.sum(w_gamma * alpha_k)
        record_parameters(ref.minimize, ref.threshold, alpha, beta, gamma, sigma, None)
        return
    gamma = sample_gamma(priors, gamma_max)
    alpha = derive_alpha(beta, gamma, q, ref.threshold)
    joint = _threshold_loglik(data, alpha, beta, gamma, sigma) + log_prior_tau
    total = jax.nn.logsumexp(joint)
    numpyro.factor("tau_marginal", total)
    numpyro.deterministic("tau_logp", joint - total)
    record_parameters(ref.minimize, ref.threshold, alpha, beta, gamma, sigma, None)


# ----------------------------------------------------------------- per draw, after sampling


def body_weights(data: SplicedData, tau_index, rng):
    """Per draw, body-histogram weights from their Dirichlet posterior; 0 beyond the body."""
    k_body = np.searchsorted(data.edges, data.thresholds, side="left")[tau_index]
    counts = data.bin_counts[tau_index]
    inside = np.arange(counts.shape[-1])[None, :] < k_body[:, None]
    g = np.where(inside, rng.standard_gamma(np.where(inside, data.dirichlet + counts, 1.0)), 0.0)
    total = g.sum(-1, keepdims=True)
    return np.where(total > 0, g / np.where(total > 0, total, 1.0), 0.0)


@jax.jit
def _censored_at(y, a, b, g, s, t):
    """Per-run censored log-likelihood of all runs ``y`` at threshold ``t`` (one draw)."""
    values, run_index = runs_beyond(y, y > t, y)
    return per_run_loglik(NoisyQuadratic(a, b, g, s), values, run_index, t)


@jax.jit
def _censored_cells_at(y, a, b, g, s, t, h):
    """:func:`_censored_at` for scores known to the resolution ``h``."""
    values, run_index = runs_beyond(y, y > t, y)
    return per_run_loglik(NoisyQuadratic(a, b, g, s), values, run_index, t, h)


def pointwise_loglik(data: SplicedData, draws, tau_index, rng):
    r"""Pointwise spliced log-likelihood per draw, shape (S, n).

    Runs beyond the draw's threshold :math:`\tau_s`: :math:`\log f_\theta(y)`; the others
    :math:`\log F_\theta(\tau_s) + \log w_{k(y)} - \log\Delta_{k(y)}`, with the body weights
    :math:`w` drawn from their Dirichlet posterior (independent of :math:`\theta`).

    Parameters
    ----------
    data : SplicedData
    draws : dict of flat arrays alpha, beta, gamma, sigma (user orientation)
    tau_index : array of int, shape (S,)
        Candidate index of each draw.
    rng : numpy Generator
    """
    alpha, beta = direction.orient_ends(*(np.asarray(draws[k], dtype=float)
                                          for k in ("alpha", "beta")), data.minimize)
    gamma, sigma = (np.asarray(draws[k], dtype=float) for k in ("gamma", "sigma"))
    tau = data.thresholds[tau_index]
    y = jnp.asarray(data.values)
    if data.resolution is None:
        def one(p):
            return _censored_at(y, *p)
    else:
        def one(p):
            return _censored_cells_at(y, *p, data.resolution)
    ll = np.asarray(jax.lax.map(one,
                                tuple(jnp.asarray(x) for x in (alpha, beta, gamma, sigma, tau)),
                                batch_size=64))
    w = body_weights(data, tau_index, rng)
    widths = np.diff(data.edges)
    in_body = data.values[None, :] <= tau[:, None]
    bins = np.clip(data.bin_of, 0, widths.size - 1)
    with np.errstate(divide="ignore"):
        body = np.log(w[:, bins]) - np.log(widths[bins])[None, :]
    if data.resolution is not None:
        body = body + np.log(data.resolution)
    return np.where(in_body, ll + body, ll)


def predictive(data: SplicedData, draws, tau_index, rng, max_values=16_000_000):
    """Replicated searches from the spliced model: NQ draws, body runs from the histogram."""
    s_count = tau_index.size
    n = data.n if s_count * data.n <= max_values else max(1, max_values // s_count)
    alpha, beta = direction.orient_ends(*(np.asarray(draws[k], dtype=float)
                                          for k in ("alpha", "beta")), data.minimize)
    d = NoisyQuadratic(jnp.asarray(alpha), jnp.asarray(beta), jnp.asarray(draws["gamma"]),
                       jnp.asarray(draws["sigma"]))
    y = np.moveaxis(np.asarray(d.sample(jax.random.PRNGKey(int(rng.integers(2**31))), (n,))),
                    0, -1)
    tau = data.thresholds[tau_index][:, None]
    w = body_weights(data, tau_index, rng)
    cum = np.cumsum(w, axis=-1)
    u = rng.random((s_count, n)) * cum[:, -1:]
    bins = np.minimum(np.array([np.searchsorted(c, uu) for c, uu in zip(cum, u)]),
                      w.shape[-1] - 1)
    lo, hi = data.edges[bins], data.edges[bins + 1]
    body = lo + (hi - lo) * rng.random((s_count, n))
    return direction.to_user(np.where(y <= tau, body, y), data.minimize)
