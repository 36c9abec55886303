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
  :math:`\delta > 0` (and :math:`\beta` below the metric's bound when one is known);
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
- :math:`\sigma / d \sim \mathrm{HalfNormal}(0.5)`; :math:`\sigma \to 0` is allowed;
- :math:`q \sim \mathrm{Beta}(1, 1)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from bayesnq.distribution import NoisyQuadratic

__all__ = ["TailData", "Priors", "tail_model", "derive_alpha"]


@dataclass(frozen=True)
class Priors:
    """Prior scales of the tail model (see the module docstring); all relative to d."""

    beta_log_sd: float = 1.0
    beta_logit_sd: float = 1.5
    gamma_log_mean: float = float(np.log(2.0))
    gamma_log_sd: float = 1.0
    sigma_scale: float = 0.5
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


def derive_alpha(beta, gamma, q, threshold):
    r"""Lower end :math:`\alpha = \beta - (\beta - \tau) q^{-2/\gamma}` (maximize orientation)."""
    return beta - (beta - threshold) * jnp.exp(-2.0 * jnp.log(q) / gamma)


def _params(data: TailData, priors: Priors, gamma_max):
    d = data.scale
    t = data.threshold
    if data.upper_bound is None:
        z = numpyro.sample("beta_z", dist.Normal(0.0, priors.beta_log_sd))
        delta = d * jnp.exp(z)
    else:
        room = data.upper_bound - t
        center = float(np.log(d / room) - np.log1p(-min(d / room, 1 - 1e-9)))
        z = numpyro.sample("beta_z", dist.Normal(center, priors.beta_logit_sd))
        delta = room * jax.nn.sigmoid(z)
    beta = t + delta
    sigma = d * numpyro.sample("sigma_rel", dist.HalfNormal(priors.sigma_scale))
    q = numpyro.sample("q", dist.Beta(priors.q_a, priors.q_b))
    return beta, sigma, q


def _loglik(data: TailData, beta, gamma, sigma, q):
    """Per-run log-likelihood (tail runs: log f; the rest: log F(tau))."""
    alpha = derive_alpha(beta, gamma, q, data.threshold)
    d = NoisyQuadratic(alpha, beta, gamma, sigma)
    lp_tail = d.log_prob(jnp.asarray(data.tail))
    lf = d.log_cdf(data.threshold)
    ll = jnp.zeros(data.n)
    ll = ll.at[data.index_tail].set(lp_tail)
    ll = ll.at[data.index_below].set(lf)
    return alpha, ll, d


def tail_model(data: TailData, priors: Priors = Priors(), gamma_max=None, gamma_mode="continuous"):
    """NumPyro model of the censored tail; posterior sites in the paper's meaning.

    Deterministic sites ``alpha``, ``beta``, ``gamma``, ``sigma`` are reported in the
    user's orientation (for the minimize form, ``alpha`` is the best expected score), and
    ``tail_mass`` is the noisy :math:`P(Y \\text{ beyond } \\tau)`.
    """
    beta, sigma, q = _params(data, priors, gamma_max)
    if gamma_mode == "integer":
        ks = jnp.arange(1, int(gamma_max) + 1, dtype=float)
        log_prior_k = -jnp.log(float(gamma_max))
        alpha_k, ll_k, _ = jax.vmap(lambda g: _loglik(data, beta, g, sigma, q))(ks)
        joint = ll_k.sum(-1) + log_prior_k
        numpyro.factor("gamma_marginal", jax.nn.logsumexp(joint))
        numpyro.deterministic("gamma_logp", joint - jax.nn.logsumexp(joint))
        # gamma and the per-run log-likelihood are filled in after sampling
        gamma = jnp.sum(jnp.exp(joint - jax.nn.logsumexp(joint)) * ks)
        alpha = jnp.sum(jnp.exp(joint - jax.nn.logsumexp(joint)) * alpha_k)
        _record(data, alpha, beta, gamma, sigma, None)
        return
    high = None if gamma_max is None else float(np.log(gamma_max))
    log_gamma = numpyro.sample(
        "log_gamma",
        dist.TruncatedNormal(priors.gamma_log_mean, priors.gamma_log_sd, high=high)
        if high is not None
        else dist.Normal(priors.gamma_log_mean, priors.gamma_log_sd),
    )
    gamma = jnp.exp(log_gamma)
    alpha, ll, d = _loglik(data, beta, gamma, sigma, q)
    with numpyro.plate("runs", data.n):
        numpyro.factor("y", ll)
    _record(data, alpha, beta, gamma, sigma, d)


def _record(data, alpha, beta, gamma, sigma, d):
    if data.minimize:
        alpha, beta = -beta, -alpha
    numpyro.deterministic("alpha", alpha)
    numpyro.deterministic("beta", beta)
    numpyro.deterministic("gamma", gamma)
    numpyro.deterministic("sigma", sigma)
    if d is not None:
        numpyro.deterministic("tail_mass", jnp.exp(d.log_sf(data.threshold)))
