r"""Synthetic searches with a known start of the asymptotic regime, for the threshold study.

A real random search is a noisy quadratic only beyond some :math:`\tau^*`; below it the
runs follow whatever the search space gives (a broad hump of mediocre runs, a cluster of
diverged runs at chance level, ...). :func:`regime_search` draws such a search with the
truth known exactly:

- the parameters :math:`\theta = (\alpha, \beta, \gamma, \sigma)` and a tail fraction
  :math:`p`; the regime starts at :math:`\tau^* = F_\theta^{-1}(1 - p)` (maximize
  orientation);
- :math:`K \sim \mathrm{Binomial}(n, p)` runs from the noisy quadratic truncated beyond
  :math:`\tau^*` (inverse cdf of :math:`U \sim \mathrm{Uniform}(1 - p, 1)`), so the tail
  is exactly the spliced model's;
- :math:`n - K` runs below :math:`\tau^*` from a *body family*, scaled to
  :math:`[\tau^* - L, \tau^*]` with :math:`L` a multiple of the tail's width
  :math:`\beta - \tau^*`:

  ``rising``  density :math:`\propto u^3` on :math:`u \in [0, 1]` (mass piles up just
  below :math:`\tau^*`: the hard case, where a lower threshold looks plausible);
  ``flat``  uniform; ``falling``  :math:`\propto (1 - u)^3`; ``bimodal``  two bumps,
  one near :math:`\tau^*`; ``bad_runs``  a flat body with 30% of its runs in a tight
  cluster far below (diverged runs at chance level).

Two ways to draw :math:`\theta` and :math:`p`: :func:`draw_truth` spreads them over fixed
ranges (log-uniform :math:`\gamma` and :math:`\sigma/(\beta - \alpha)`, uniform :math:`p`),
which reach outside the tail model's prior; :func:`draw_prior_truth` draws them from that
prior (:mod:`bayesnq.modeling.priors`), so that a study built on it is a simulation-based
calibration of the threshold model.

Searches are returned in the user's orientation (mirrored when ``minimize``), with an
optional unit scale and offset, so the same truth can be tried at 1e-9 or 1e9.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp
import numpy as np
from bayesnq import direction
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling import Priors
from bayesnq.validation import check_choice, check_int, check_real

__all__ = ["BODY_FAMILIES", "RegimeTruth", "regime_search", "draw_truth", "draw_prior_truth"]

BODY_FAMILIES = ("rising", "flat", "falling", "bimodal", "bad_runs")


@dataclass(frozen=True)
class RegimeTruth:
    """The truth behind one synthetic search (user orientation and units)."""

    alpha: float
    beta: float
    gamma: float
    sigma: float
    threshold: float  # tau*, where the regime starts
    tail_fraction: float  # p = P(Y beyond tau*) under the generator
    observed_tail_fraction: float  # share of this search's runs beyond tau*
    body: str
    n: int
    minimize: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _body_unit(family: str, size: int, rng) -> np.ndarray:
    """Body positions on [0, 1] (1 is tau*), before scaling."""
    if family == "rising":
        return rng.beta(4.0, 1.0, size)
    if family == "flat":
        return rng.random(size)
    if family == "falling":
        return rng.beta(1.0, 4.0, size)
    if family == "bimodal":
        near = rng.random(size) < 0.5
        return np.where(near, rng.beta(12.0, 2.0, size), rng.beta(2.0, 10.0, size))
    # bad_runs: a flat body and 30% of its runs diverged, in a tight cluster far below
    bad = rng.random(size) < 0.3
    return np.where(bad, -2.0 + 0.02 * rng.standard_normal(size), rng.random(size))


@jax.jit
def _noisy_quadratic_icdf(alpha, beta, gamma, sigma, u):
    return NoisyQuadratic(alpha, beta, gamma, sigma).icdf(u)


_CHUNK = 256  # quantiles are solved in chunks of this many: one compiled program in all


def _quantiles(alpha, beta, gamma, sigma, u) -> np.ndarray:
    """:math:`F_\theta^{-1}(u)`, solved in fixed chunks so that one compiled program serves
    every search: a study draws thousands of searches, and a quantile function compiled per
    size (or not compiled) would fill the process's memory maps."""
    u = np.asarray(u, dtype=float).ravel()
    padded = np.full(-(-max(u.size, 1) // _CHUNK) * _CHUNK, 0.5)
    padded[:u.size] = u
    theta = (float(alpha), float(beta), float(gamma), float(sigma))
    out = [np.asarray(_noisy_quadratic_icdf(*theta, chunk), dtype=float)
           for chunk in padded.reshape(-1, _CHUNK)]
    return np.concatenate(out)[:u.size]


def draw_truth(rng, *, gamma_range=(0.5, 8.0), noise_range=(0.002, 0.05),
               tail_fraction_range=(0.1, 0.6)):
    """Parameters of one search: log-uniform gamma and sigma/(beta - alpha), uniform p."""
    lg = np.log(gamma_range)
    ln = np.log(noise_range)
    return dict(alpha=0.0, beta=1.0, gamma=float(np.exp(rng.uniform(*lg))),
                sigma=float(np.exp(rng.uniform(*ln))),
                tail_fraction=float(rng.uniform(*tail_fraction_range)))


@jax.jit
def _mass_beyond_zero(alpha, beta, gamma, sigma):
    return jnp.exp(NoisyQuadratic(alpha, beta, gamma, sigma).log_sf(0.0))


def draw_prior_truth(rng, priors=None, *, tail_fraction_range=(0.1, 0.6), max_tries=10_000):
    r"""Parameters of one search drawn from the tail model's prior, the regime at 0.

    The fit's priors (:mod:`bayesnq.modeling.priors`) are relative to the tail's scale
    :math:`d = \max y - \tau`, which comes from the data. Here the regime starts at
    :math:`\tau^* = 0` and the unit is the tail's width, :math:`\beta - \tau^* = 1`
    (close to :math:`d`, which exceeds it by a few :math:`\sigma`: the model is affine
    invariant, so only these ratios matter); the rest follows the priors with continuous
    :math:`\gamma`:

    .. math::
        \sigma \sim \mathrm{Gamma}(a_\sigma, b_\sigma),\quad
        \log\gamma \sim N(\mu_\gamma, s_\gamma),\quad
        q \sim \mathrm{Beta}(a_q, b_q),\quad
        \alpha = 1 - q^{-2/\gamma}.

    The prior of :math:`\log((\beta - \tau)/d)`, :math:`N(0, s_\beta)`, is not drawn: it
    states where :math:`\beta` lies relative to the data's best run, and is wide. The tail
    fraction is the truth's own mass beyond the regime start,
    :math:`p = 1 - F_\theta(0)` (what the censored likelihood assumes); draws whose
    :math:`p` falls outside ``tail_fraction_range`` are drawn again, so the truths follow
    the prior conditioned on :math:`p` in that range.

    Returns
    -------
    dict with ``alpha``, ``beta``, ``gamma``, ``sigma`` and ``tail_fraction``, as
    :func:`draw_truth` (the arguments of :func:`regime_search`).
    """
    priors = Priors() if priors is None else priors
    if np.shape(tail_fraction_range) != (2,):
        raise ValueError("tail_fraction_range must be a pair (low, high), got "
                         f"tail_fraction_range={tail_fraction_range!r}")
    low, high = (check_real("tail_fraction_range", v, low=0.0, high=1.0, low_open=True,
                            high_open=True) for v in tail_fraction_range)
    if not low < high:
        raise ValueError("tail_fraction_range must be increasing, got "
                         f"tail_fraction_range={tail_fraction_range!r}")
    for _ in range(check_int("max_tries", max_tries, 1)):
        sigma = float(rng.gamma(priors.sigma_shape, 1.0 / priors.sigma_rate))
        gamma = float(np.exp(rng.normal(priors.gamma_log_mean, priors.gamma_log_sd)))
        q = rng.beta(priors.q_a, priors.q_b)
        alpha = 1.0 - float(np.exp(-2.0 * np.log(q) / gamma))
        if not np.isfinite(alpha) or not alpha < 1.0:
            continue
        p = float(_mass_beyond_zero(alpha, 1.0, gamma, sigma))
        if low <= p <= high:
            return dict(alpha=alpha, beta=1.0, gamma=gamma, sigma=sigma, tail_fraction=p)
    raise ValueError(f"no prior draw had its tail fraction in {tail_fraction_range!r} "
                     f"within max_tries={max_tries!r}")


def regime_search(rng, n, *, alpha, beta, gamma, sigma, tail_fraction, body="flat",
                  body_span=3.0, minimize=False, unit=1.0, offset=0.0):
    r"""One random search of ``n`` runs whose regime starts at a known :math:`\tau^*`.

    Parameters
    ----------
    rng : numpy Generator
    n : int
    alpha, beta, gamma, sigma : float
        The noisy quadratic in the maximize orientation and unit scale (``alpha < beta``).
    tail_fraction : float in (0, 1)
        :math:`p`, the probability that a run lies beyond :math:`\tau^*`.
    body : one of :data:`BODY_FAMILIES`
    body_span : float
        :math:`L / (\beta - \tau^*)`, the body's extent below :math:`\tau^*`.
    minimize : bool
        Return the mirrored search (lower is better).
    unit, offset : float
        User scores are ``offset + unit * y``, ``y`` mirrored first when minimizing.

    Returns
    -------
    scores : np.ndarray, shape (n,)
    truth : RegimeTruth
    """
    n = check_int("n", n, 2)
    body = check_choice("body", body, BODY_FAMILIES)
    p = check_real("tail_fraction", tail_fraction, low=0.0, high=1.0, low_open=True,
                   high_open=True)
    unit = check_real("unit", unit, low=0.0, low_open=True)
    if not alpha < beta:
        raise ValueError(f"alpha must be less than beta, got alpha={alpha!r}, beta={beta!r}")
    k = int(rng.binomial(n, p))
    u = rng.uniform(1.0 - p, 1.0, k)
    q = _quantiles(alpha, beta, gamma, sigma, np.concatenate([[1.0 - p], u]))
    tau, tail = float(q[0]), q[1:]
    tail = np.maximum(tail, np.nextafter(tau, np.inf))  # icdf rounding stays beyond tau*
    span = body_span * max(float(beta) - tau, 1e-12)
    body_y = tau - span * (1.0 - _body_unit(body, n - k, rng))
    body_y = np.minimum(body_y, tau)
    y = rng.permutation(np.concatenate([tail, body_y]))
    scores = offset + unit * direction.to_user(y, minimize)
    ends = sorted(offset + unit * direction.to_user(np.array([alpha, beta], dtype=float),
                                                    minimize))
    truth = RegimeTruth(alpha=float(ends[0]), beta=float(ends[1]), gamma=float(gamma),
                        sigma=float(unit * sigma),
                        threshold=float(offset + unit * direction.to_user(tau, minimize)),
                        tail_fraction=p, observed_tail_fraction=k / n, body=body, n=n,
                        minimize=bool(minimize))
    return scores, truth
