r"""The censored tail model for random-search scores.

Scores beyond the threshold :math:`\tau` (above it when maximizing, below when minimizing)
follow the noisy quadratic distribution; the others only say that they did not reach the
tail. With :math:`n` runs of which :math:`m` lie in the tail,

.. math::

    \log p(y \mid \theta) = \sum_{i:\, y_i > \tau} \log f_\theta(y_i)
        + (n - m) \log F_\theta(\tau)

(maximize; mirrored for minimize). This is the truncated likelihood of the tail,
:math:`\prod f/(1 - F(\tau))`, times the binomial term :math:`(1-F)^m F^{n-m}` for how many
runs reach it. The truncated part alone does not identify :math:`\alpha`: it only sees the
shape of the density beyond :math:`\tau`. The binomial term ties the tail mass to the
share of runs in it.

Parameterization (maximize form; the minimize form is its mirror image). NUTS samples
quantities the data pin down and :math:`\alpha` is derived:

- ``beta``: the best possible expected score, :math:`\beta = \tau + \delta`, with
  :math:`\delta > 0` (and :math:`\beta` below the metric's bound when one is known),
  sampled through a coordinate ``beta_t`` whose scale below the best score follows
  :math:`\sigma` (:func:`sample_beta`): the likelihood's wall there narrows with
  :math:`\sigma`, and in a coordinate that does not follow it NUTS diverges;
- ``gamma``: continuous on :math:`(0, \gamma_{max}]`, or marginalized over integers;
- ``sigma``: the noise, :math:`\sigma \ge 0`;
- ``q``: the noiseless tail mass :math:`q = ((\beta - \tau)/w)^{\gamma/2}`, so that
  :math:`w = (\beta - \tau)\,q^{-2/\gamma}` and :math:`\alpha = \beta - w`.

Priors are stated relative to the tail's own scale :math:`d = \max(y) - \tau`, so the model
does not depend on the units of the score:

- :math:`\log(\delta / d) \sim N(0, 1)` (without a bound), or
  :math:`\delta = (B - \tau)\,\mathrm{logistic}(z)`, :math:`z \sim N(\mathrm{logit}(d/(B-\tau)), 1.5)`
  with a bound :math:`B`: :math:`\beta` may sit above the observed maximum or below it;
- :math:`\log\gamma \sim N(\log 2, 1)`, truncated at :math:`\log\gamma_{max}`;
- :math:`\sigma / d \sim \mathrm{Gamma}(2, 10)` (mean 0.2, 95% in [0.024, 0.56]): a
  boundary-avoiding prior. Its density vanishes linearly at :math:`\sigma = 0`, so
  :math:`\sigma \to 0` stays possible when the data ask for it, but the posterior does not
  pile up against the boundary. With a prior that is flat at 0 (a half-normal), the
  posterior keeps a plateau down to :math:`\sigma \to 0`, where :math:`\beta` is pinned
  within a few :math:`\sigma` of the best score: a funnel in which NUTS diverges (AlexNet);
- :math:`q \sim \mathrm{Beta}(1, 1)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints

from bayesnq.distribution import NoisyQuadratic

__all__ = ["TailData", "Priors", "tail_model", "derive_alpha", "sample_beta"]


@dataclass(frozen=True)
class Priors:
    """Prior scales of the tail model (see the module docstring); all relative to d."""

    beta_log_sd: float = 1.0
    beta_logit_sd: float = 1.5
    gamma_log_mean: float = float(np.log(2.0))
    gamma_log_sd: float = 1.0
    sigma_shape: float = 2.0
    sigma_rate: float = 10.0
    q_a: float = 1.0
    q_b: float = 1.0


@dataclass(frozen=True)
class TailData:
    """Scores arranged for the model, in the maximize orientation.

    For the minimize form the scores are negated (``Y -> -Y`` maps ``Q_min(alpha, beta)``
    to ``Q_max(-beta, -alpha)``), so the model is written once.
    """

    tail: np.ndarray  # scores beyond the threshold, oriented so the tail is on the right
    n_below: int
    threshold: float  # oriented
    scale: float  # d = max(tail) - threshold, oriented
    upper_bound: float | None  # oriented bound on beta, or None
    minimize: bool
    index_tail: np.ndarray = field(repr=False)
    index_below: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.tail.size + self.n_below)

    @classmethod
    def build(cls, values, threshold, *, minimize, bounds=(None, None)):
        y = np.asarray(values, dtype=float)
        sign = -1.0 if minimize else 1.0
        oy = sign * y
        t = sign * float(threshold)
        in_tail = oy > t
        lo, hi = bounds if bounds is not None else (None, None)
        bound = (None if lo is None else -float(lo)) if minimize else (None if hi is None else float(hi))
        tail = oy[in_tail]
        scale = float(tail.max() - t)
        if bound is not None and bound <= t:
            raise ValueError(
                f"bounds: the best-score bound {sign * bound!r} must lie beyond the threshold "
                f"{threshold!r}"
            )
        return cls(
            tail=tail,
            n_below=int((~in_tail).sum()),
            threshold=t,
            scale=scale,
            upper_bound=bound,
            minimize=bool(minimize),
            index_tail=np.flatnonzero(in_tail),
            index_below=np.flatnonzero(~in_tail),
        )

    def arrays(self, size=None) -> dict:
        """The data as the arrays :func:`tail_model` computes with.

        ``values``: the distinct tail scores, ascending, padded with the largest to
        ``size`` entries (default: no padding); ``run_index``: for each run, the index of
        its score in ``values``, or ``values.size`` for a run below the threshold;
        ``consts``: the threshold, the scale d and the room below the bound (1 without one).

        A sampler that takes these as arguments depends on the data only through their
        shapes, so fits of the same runs at thresholds whose tails are padded to one
        ``size`` share one compiled program (see :func:`bayesnq.criteria.compare_thresholds`).
        """
        distinct, inverse = np.unique(self.tail, return_inverse=True)
        size = distinct.size if size is None else int(size)
        if size < distinct.size:
            raise ValueError(f"size must be at least {distinct.size} (the distinct tail "
                             f"scores), got size={size!r}")
        values = np.full(size, distinct[-1])
        values[:distinct.size] = distinct
        run_index = np.full(self.n, size, dtype=np.int32)
        run_index[self.index_tail] = inverse.reshape(-1)
        return {"values": values, "run_index": run_index, "consts": self.consts}

    @property
    def consts(self) -> np.ndarray:
        """The threshold, the scale d and the room below the bound (1 without one)."""
        room = self.upper_bound - self.threshold if self.upper_bound is not None else 1.0
        return np.array([self.threshold, self.scale, room])

    @property
    def n_distinct(self) -> int:
        """Number of distinct scores in the tail."""
        return int(np.unique(self.tail).size)


def derive_alpha(beta, gamma, q, threshold):
    r"""Lower end :math:`\alpha = \beta - (\beta - \tau) q^{-2/\gamma}` (maximize orientation)."""
    return beta - (beta - threshold) * jnp.exp(-2.0 * jnp.log(q) / gamma)


def _params(consts, bounded, priors: Priors):
    """Sites ``sigma_rel``, ``beta_t`` and ``q``; ``consts`` holds tau, d and the room."""
    threshold, d, room = consts[0], consts[1], consts[2]
    sigma_rel = sample_sigma_rel(priors)
    beta = sample_beta(threshold, d, room, sigma_rel, priors, bounded=bounded)
    q = numpyro.sample("q", dist.Beta(priors.q_a, priors.q_b))
    return threshold, beta, d * sigma_rel, q


BETA_BEND = 3.0  # sharpness kappa of the bend in the beta coordinate (see sample_beta)


def sample_beta(threshold, d, room, sigma_rel, priors: Priors, *, bounded, prior_only=False):
    r"""Sites for :math:`\beta = \tau + \delta`, sampled in a coordinate scaled by the noise.

    The prior is on :math:`z`: :math:`\log(\delta/d) \sim N(0, s_\beta)` without a bound;
    with a bound :math:`B` (``room`` :math:`= B - \tau`), :math:`\delta = (B - \tau)
    \,\mathrm{logistic}(z)`, :math:`z \sim N(\mathrm{logit}(d/(B - \tau)), s_\beta)`. In
    both, :math:`z = c` (the prior's centre) puts :math:`\beta` at the best score.

    NUTS does not sample :math:`z` itself: below the best score the likelihood is a wall,
    :math:`\beta` must stay within a few :math:`\sigma` of it, which in :math:`z` is a width
    :math:`a = \sigma/d` (:math:`a = (\sigma/d)/(1 - d/(B-\tau))` with a bound). As
    :math:`\sigma \to 0` the wall sharpens into a funnel in which NUTS diverges (AlexNet).
    The site ``beta_t`` is :math:`t` with

    .. math::

        z = c + a t + (1 - a)\,\mathrm{softplus}(\kappa t)/\kappa,
        \qquad a \leftarrow \min(a, 1), \ \kappa = 3,

    a smooth increasing map with slope :math:`a` below the best score (the wall sits near
    :math:`t = -3` with width about 1, whatever :math:`\sigma`) and slope 1 above it.
    The prior on :math:`z` is kept exactly: the factor ``beta_prior`` adds its log density
    and :math:`\log |dz/dt| = \log(a + (1 - a)\,\mathrm{sigmoid}(\kappa t))`, so the
    posterior is unchanged; only the sampler's coordinates are. With ``prior_only`` (draws
    from the prior, no data), :math:`z` is sampled directly as site ``beta_z``.
    """
    if bounded:
        p = jnp.minimum(d / room, 1 - 1e-9)
        center = jnp.log(p) - jnp.log1p(-p)
        sd = priors.beta_logit_sd
        a = sigma_rel / (1.0 - p)
    else:
        center, sd, a = 0.0, priors.beta_log_sd, sigma_rel
    if prior_only:
        z = numpyro.sample("beta_z", dist.Normal(center, sd))
    else:
        t = numpyro.sample("beta_t", dist.ImproperUniform(constraints.real, (), ()))
        a = jnp.minimum(a, 1.0)
        z = center + a * t + (1.0 - a) * jax.nn.softplus(BETA_BEND * t) / BETA_BEND
        log_slope = jnp.log(a + (1.0 - a) * jax.nn.sigmoid(BETA_BEND * t))
        numpyro.factor("beta_prior", dist.Normal(center, sd).log_prob(z) + log_slope)
    delta = room * jax.nn.sigmoid(z) if bounded else d * jnp.exp(z)
    return threshold + delta


def sample_sigma_rel(priors: Priors):
    """Site ``sigma_rel`` = sigma / d ~ Gamma(shape, rate), zero density at sigma = 0."""
    return numpyro.sample("sigma_rel", dist.Gamma(priors.sigma_shape, priors.sigma_rate))


def _sample_gamma(priors: Priors, gamma_max):
    """Site ``log_gamma``: N(mean, sd), truncated at log(gamma_max) when given."""
    high = None if gamma_max is None else float(np.log(gamma_max))
    log_gamma = numpyro.sample(
        "log_gamma",
        dist.TruncatedNormal(priors.gamma_log_mean, priors.gamma_log_sd, high=high)
        if high is not None
        else dist.Normal(priors.gamma_log_mean, priors.gamma_log_sd),
    )
    return jnp.exp(log_gamma)


def _log_prob_tied(d, values):
    """``d.log_prob(values)``, evaluated once per distinct value.

    Scores are often rounded (an accuracy on a fixed validation set takes a few hundred
    values): DeBERTaV3's 588 tail runs hold 157 distinct scores. ``values`` is concrete,
    so the grouping is done once, when the model is traced.
    """
    distinct, inverse = np.unique(np.asarray(values), return_inverse=True)
    return d.log_prob(jnp.asarray(distinct))[jnp.asarray(inverse.reshape(-1))]


def _loglik(arrays, threshold, beta, gamma, sigma, q):
    """Per-run log-likelihood (tail runs: log f; the rest: log F(tau)).

    The density is evaluated once per distinct tail score (see :meth:`TailData.arrays`).
    """
    alpha = derive_alpha(beta, gamma, q, threshold)
    d = NoisyQuadratic(alpha, beta, gamma, sigma)
    return alpha, _per_run_loglik(d, arrays["values"], arrays["run_index"], threshold), d


def _per_run_loglik(d, values, run_index, threshold):
    """log f at the distinct tail scores and log F(tau), spread over the runs."""
    lp = d.log_prob(jnp.asarray(values))
    return jnp.concatenate([lp, d.log_cdf(threshold)[None]])[jnp.asarray(run_index)]


def tail_model(data: TailData, priors: Priors = Priors(), gamma_max=None, gamma_mode="continuous",
               arrays=None):
    """NumPyro model of the censored tail; posterior sites in the paper's meaning.

    Deterministic sites ``alpha``, ``beta``, ``gamma``, ``sigma`` are reported in the
    user's orientation (for the minimize form, ``alpha`` is the best expected score), and
    ``tail_mass`` is the noisy :math:`P(Y \\text{ beyond } \\tau)`. The model computes
    with ``arrays`` (default ``data.arrays()``, see :meth:`TailData.arrays`); of ``data``
    it uses only the direction, whether :math:`\\beta` is bounded, and the number of runs.
    """
    arrays = data.arrays() if arrays is None else arrays
    bounded = data.upper_bound is not None
    threshold, beta, sigma, q = _params(jnp.asarray(arrays["consts"]), bounded, priors)
    if gamma_mode == "integer":
        ks = jnp.arange(1, int(gamma_max) + 1, dtype=float)
        log_prior_k = -jnp.log(float(gamma_max))
        alpha_k, ll_k, _ = jax.vmap(
            lambda g: _loglik(arrays, threshold, beta, g, sigma, q))(ks)
        joint = ll_k.sum(-1) + log_prior_k
        numpyro.factor("gamma_marginal", jax.nn.logsumexp(joint))
        numpyro.deterministic("gamma_logp", joint - jax.nn.logsumexp(joint))
        # gamma and the per-run log-likelihood are filled in after sampling
        gamma = jnp.sum(jnp.exp(joint - jax.nn.logsumexp(joint)) * ks)
        alpha = jnp.sum(jnp.exp(joint - jax.nn.logsumexp(joint)) * alpha_k)
        _record(data.minimize, threshold, alpha, beta, gamma, sigma, None)
        return
    gamma = _sample_gamma(priors, gamma_max)
    alpha, ll, d = _loglik(arrays, threshold, beta, gamma, sigma, q)
    with numpyro.plate("runs", data.n):
        numpyro.factor("y", ll)
    _record(data.minimize, threshold, alpha, beta, gamma, sigma, d)


def _record(minimize, threshold, alpha, beta, gamma, sigma, d):
    if minimize:
        alpha, beta = -beta, -alpha
    numpyro.deterministic("alpha", alpha)
    numpyro.deterministic("beta", beta)
    numpyro.deterministic("gamma", gamma)
    numpyro.deterministic("sigma", sigma)
    if d is not None:
        numpyro.deterministic("tail_mass", jnp.exp(d.log_sf(threshold)))


# ============================================================================ spliced model

_SPLICED_DOC = r"""

Spliced likelihood and the threshold as a parameter
---------------------------------------------------
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

__doc__ = (__doc__ or "") + _SPLICED_DOC
__all__ += ["SplicedData", "threshold_model", "body_log_marginal", "BODY_DIRICHLET"]

BODY_DIRICHLET = 1.0  # Dirichlet concentration a of each body-histogram bin


def body_log_marginal(counts, widths, a=BODY_DIRICHLET):
    r"""Log marginal density of the body runs under the Dirichlet-weighted histogram.

    .. math::

        \log\Gamma(Ka) - \log\Gamma(Ka + N) + \sum_k [\log\Gamma(a + c_k) - \log\Gamma(a)]
        - \sum_k c_k \log \Delta_k ,

    the density of the ordered body values given that they lie in the body (bins with
    counts ``counts``, widths ``widths``); 0 for an empty body.
    """
    from scipy.special import gammaln as _gl

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

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def user_thresholds(self) -> np.ndarray:
        return -self.thresholds if self.minimize else self.thresholds.copy()

    @property
    def tail_fractions(self) -> np.ndarray:
        return self.n_tail / self.n

    @classmethod
    def build(cls, values, thresholds, *, minimize, bounds=(None, None), max_body_bins=12,
              dirichlet=BODY_DIRICHLET):
        sign = -1.0 if minimize else 1.0
        y = sign * np.asarray(values, dtype=float)
        t = np.unique(sign * np.asarray(thresholds, dtype=float))
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
        ref = t.size // 2
        reference = TailData.build(values, sign * t[ref], minimize=minimize, bounds=bounds)
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
        )

    def body_bins(self, j: int) -> int:
        """Number of histogram bins in the body of candidate ``j``."""
        return int(np.searchsorted(self.edges, self.thresholds[j], side="left"))


def _threshold_loglik(data: SplicedData, alpha, beta, gamma, sigma):
    r""":math:`\ell_j(\theta)` for every candidate (oriented), shape (T,)."""
    d = NoisyQuadratic(alpha, beta, gamma, sigma)
    lf = _log_prob_tied(d, data.tail_sorted)
    top = jnp.cumsum(lf)[jnp.asarray(data.n_tail - 1)]
    lcdf = d.log_cdf(jnp.asarray(data.thresholds))
    n_below = jnp.asarray(data.n - data.n_tail, dtype=float)
    return top + n_below * lcdf + jnp.asarray(data.body_term)


def threshold_model(data: SplicedData, priors: Priors = Priors(), gamma_max=None,
                    gamma_mode="continuous"):
    """NumPyro model with the threshold marginalized over the candidate grid.

    Samples ``beta_z``, ``sigma_rel``, ``q`` (and ``log_gamma``) in the parameterization of
    :func:`tail_model` at the reference candidate; records ``tau_logp`` (log
    :math:`P(\\tau_j \\mid \\theta, y)`, shape (T,)) and, with integer gamma,
    ``gamma_tau_logp`` (shape (K, T)).
    """
    ref = data.reference
    _, beta, sigma, q = _params(ref.consts, ref.upper_bound is not None, priors)
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
        _record(ref.minimize, ref.threshold, alpha, beta, gamma, sigma, None)
        return
    gamma = _sample_gamma(priors, gamma_max)
    alpha = derive_alpha(beta, gamma, q, ref.threshold)
    joint = _threshold_loglik(data, alpha, beta, gamma, sigma) + log_prior_tau
    total = jax.nn.logsumexp(joint)
    numpyro.factor("tau_marginal", total)
    numpyro.deterministic("tau_logp", joint - total)
    _record(ref.minimize, ref.threshold, alpha, beta, gamma, sigma, None)
