r"""Priors of the tail model and the coordinates NUTS samples.

Everything here is in the maximize orientation (see :mod:`bayesnq.direction`). NUTS samples
quantities the data pin down and derives :math:`\alpha`:

- ``beta``: the best possible expected score, :math:`\beta = \tau + \delta`, with
  :math:`\delta > 0` (and :math:`\beta` below the metric's bound when one is known),
  sampled through a coordinate ``beta_t`` whose scale below the best score follows
  :math:`\sigma` (:func:`sample_beta`);
- ``gamma``: continuous on :math:`(0, \gamma_{max}]` (site ``log_gamma``, which NUTS moves
  along a coordinate that is :math:`\log\gamma` itself far below the cap,
  :func:`gamma_support`), or marginalized over integers by the model;
- ``sigma``: the noise, through ``sigma_rel`` :math:`= \sigma / d`;
- ``q``: the noiseless tail mass :math:`q = ((\beta - \tau)/w)^{\gamma/2}`, so that
  :math:`w = (\beta - \tau)\,q^{-2/\gamma}` and :math:`\alpha = \beta - w`
  (:func:`derive_alpha`). When the metric has a worst bound :math:`L` below :math:`\tau`
  (accuracy's 0, an error rate's 1), the noiseless scores cannot lie beyond it, so
  :math:`\alpha \ge L`: :math:`q \ge q_{min} = (\delta / (\beta - L))^{\gamma/2}`, and
  the site is :math:`q`'s position :math:`u` between :math:`q_{min}` and 1
  (:func:`floor_gap`).

Priors are relative to the tail's own scale :math:`d = \max(y) - \tau`, so the model does not
depend on the units of the score:

- :math:`\log(\delta / d) \sim N(0, 1)` without a bound, or
  :math:`\delta = (B - \tau)\,\mathrm{logistic}(z)`,
  :math:`z \sim N(\mathrm{logit}(d/(B-\tau)), 1.5)` with a bound :math:`B`;
- :math:`\log\gamma \sim N(\log 2, 1)`, truncated at :math:`\log\gamma_{max}`;
- :math:`\sigma / d \sim \mathrm{Gamma}(2, 10)` (mean 0.2, 95% in [0.024, 0.56]): its density
  vanishes at :math:`\sigma = 0`, so the posterior does not pile up in the funnel where
  :math:`\beta` is pinned within a few :math:`\sigma` of the best score;
- :math:`q \sim \mathrm{Beta}(1, 2)` (mean 1/3, :math:`P(q < 1/2) = 3/4`): its density
  vanishes at :math:`q = 1`, where the quadratic part starts at the threshold
  (:math:`\alpha = \tau`). With :math:`\mathrm{Beta}(1, 1)` (before 2026-12-07) the prior
  at a threshold :math:`\tau_j` ended in a wall of positive density at :math:`\alpha =
  \tau_j`, and the spliced model's posterior (:mod:`bayesnq.modeling.spliced`), a mixture
  over candidates, dropped by :math:`-\log(1 - P(\tau_j \mid \theta, y))` there (3.5
  nats on a 48-run search): a cliff against which a chain with a large :math:`\gamma` piled
  up, adapted a step size of 1e-7 and stayed, and r-hat reached 1.6–2.8 in the
  threshold SBC. Vanishing at the wall, each candidate's share of the mixture fades out
  continuously as :math:`\alpha` reaches its threshold.
- with a floor :math:`L`, :math:`u \sim \mathrm{Beta}(1, 2)` in place of :math:`q`: for a
  first shape of 1 that is :math:`q`'s :math:`\mathrm{Beta}(1, 2)` truncated to
  :math:`q \ge q_{min}`, so the priors of :math:`\beta`, :math:`\gamma` and
  :math:`\sigma` are unchanged and only :math:`\alpha < L` is cut off. Without the floor
  (before 2026-12-07), a fit of AlexNet (accuracy) with the threshold inferred had a chain
  wander into :math:`\gamma \approx 0.2` with :math:`\alpha` from :math:`-730` to
  :math:`-5 \cdot 10^6`, where the top runs read as noise around a :math:`\beta` below the
  best run, and diverge on its way back (``docs/thresholds.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.distributions.transforms import (AffineTransform, ComposeTransform,
                                              SoftplusTransform, biject_to)
from numpyro.distributions.truncated import RightTruncatedDistribution

__all__ = ["Priors", "derive_alpha", "floor_gap", "sample_beta", "sample_sigma_rel", "sample_gamma",
           "sample_scale_parameters", "sample_tail_parameters", "initial_values",
           "to_unconstrained", "tail_log_prior", "scale_log_prior", "alpha_log_prior",
           "BETA_BEND", "SAMPLED_SITES", "gamma_support"]

BETA_BEND = 3.0  # sharpness kappa of the bend in the beta coordinate (see sample_beta)
CELL_UNITS = 4.0  # units of beta_t across the best score's cell (scores with a resolution)
ABOVE_UNITS = 6.0  # units of beta_t at the noise's scale above that cell
SAMPLED_SITES = ("beta_t", "sigma_rel", "q", "log_gamma")  # NUTS's own coordinates


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
    q_b: float = 2.0  # density 0 at q = 1 (alpha = tau): no wall in the spliced model


def floor_gap(threshold, floor):
    r""":math:`\tau - L`, how far the threshold lies beyond the metric's worst bound
    :math:`L` (both oriented), or None when there is no floor on :math:`\alpha`: no bound
    (``floor`` None or infinite) or one at or beyond the threshold, where :math:`L \le
    \alpha < \tau` cannot hold and the bound is not used."""
    if floor is None or not np.isfinite(floor) or not floor < threshold:
        return None
    return float(threshold - floor)


def _log_q_min(delta, gamma, gap):
    r""":math:`\log q_{min} = \tfrac{\gamma}{2}\log\frac{\delta}{\delta + (\tau - L)}`,
    the least tail mass beyond :math:`\tau` that keeps :math:`\alpha \ge L`."""
    return 0.5 * gamma * (jnp.log(delta) - jnp.log(delta + gap))


def derive_alpha(beta, gamma, q, threshold, gap=None):
    r"""Lower end :math:`\alpha = \beta - (\beta - \tau) q^{-2/\gamma}` (maximize
    orientation) of the site ``q``.

    With a floor (``gap`` :math:`= \tau - L`, :func:`floor_gap`) the site is the tail
    mass's position between its least value and 1: the mass is
    :math:`q_{min} + (1 - q_{min})\,q`, so that :math:`\alpha` runs from :math:`L` (site 0)
    to :math:`\tau` (site 1).
    """
    delta = beta - threshold
    if gap is None:
        log_q = jnp.log(q)
    else:
        log_q_min = _log_q_min(delta, gamma, gap)
        log_q = jnp.logaddexp(log_q_min, jnp.log(-jnp.expm1(log_q_min)) + jnp.log(q))
    return beta - delta * jnp.exp(-2.0 * log_q / gamma)


def sample_sigma_rel(priors: Priors):
    """Site ``sigma_rel`` = sigma / d ~ Gamma(shape, rate), zero density at sigma = 0."""
    return numpyro.sample("sigma_rel", dist.Gamma(priors.sigma_shape, priors.sigma_rate))


def _beta_prior(d, room, priors: Priors, bounded):
    """The prior of z (see :func:`sample_beta`): its centre puts beta at the best score."""
    if bounded:
        p = jnp.minimum(d / room, 1 - 1e-9)
        return dist.Normal(jnp.log(p) - jnp.log1p(-p), priors.beta_logit_sd)
    return dist.Normal(0.0, priors.beta_log_sd)


def _z_of_delta(delta, d, room, bounded):
    """The coordinate z of beta - tau = delta and the log of its slope dz/d(delta)."""
    if bounded:
        s = jnp.clip(delta / room, 1e-300, 1 - 1e-16)
        return jnp.log(s) - jnp.log1p(-s), -jnp.log(room) - jnp.log(s) - jnp.log1p(-s)
    return jnp.log(delta / d), -jnp.log(delta)


def _bent_line(t, slopes, knots):
    r"""A smooth increasing map with slope ``slopes[k]`` between ``knots[k-1]`` and
    ``knots[k]``: :math:`s_0 t + \sum_k (s_k - s_{k-1})\,\mathrm{softplus}(\kappa(t -
    t_k))/\kappa`, and the log of its slope (a positive mix of the ``slopes``)."""
    z = slopes[0] * t
    slope = slopes[0]
    for k, knot in enumerate(knots):
        step = slopes[k + 1] - slopes[k]
        z = z + step * jax.nn.softplus(BETA_BEND * (t - knot)) / BETA_BEND
        slope = slope + step * jax.nn.sigmoid(BETA_BEND * (t - knot))
    return z, jnp.log(slope)


def sample_beta(threshold, d, room, sigma_rel, priors: Priors, *, bounded, prior_only=False,
                resolution=None):
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

    a smooth increasing map with slope :math:`a` below the best score (the wall sits a
    little below :math:`t = 0`, between -2.5 and -0.2, and three :math:`\sigma` of it span
    one to three units of :math:`t`, whatever :math:`\sigma`) and slope 1 above it.
    The prior on :math:`z` is kept exactly: the factor ``beta_prior`` adds its log density
    and the log of the map's slope :math:`dz/dt`, so the posterior is unchanged; only the
    sampler's coordinates are. With ``prior_only`` (draws from the prior, no data),
    :math:`z` is sampled directly as site ``beta_z``.

    Scores known to a resolution :math:`h` have two walls, the edges of the best score's
    cell :math:`[\max y - h/2, \max y + h/2]`: below it the cell has no mass; above it,
    with :math:`\gamma < 2` (the distribution piles up at :math:`\beta`), mass leaks out of
    the cell as :math:`(\beta - \max y - h/2)^{\gamma/2}`, a cusp. Both sharpen to width
    :math:`\sigma` as :math:`\sigma \to 0`, which happens when many runs tie at the top
    (with the one bend above, 1–4 divergent transitions in 4,000 draws when 20 of 25 tail
    runs tied; none with the map below, docs/ties.md). The map then has four slopes,
    joined smoothly as above: :math:`a` (at the lower edge) below the cell, the cell's
    width in :math:`z` over 4 across it (at least :math:`a`), :math:`a` (at the upper
    edge) for 6 units above it, and 1 beyond, so each edge is about one unit of :math:`t`
    wide whatever :math:`\sigma`.
    """
    prior = _beta_prior(d, room, priors, bounded)
    if prior_only:
        z = numpyro.sample("beta_z", prior)
    else:
        t = numpyro.sample("beta_t", dist.ImproperUniform(constraints.real, (), ()))
        sigma = sigma_rel * d
        half = 0.0 if resolution is None else 0.5 * resolution
        z_low, log_dz_low = _z_of_delta(jnp.maximum(d - half, 0.25 * d), d, room, bounded)
        a_low = jnp.minimum(sigma * jnp.exp(log_dz_low), 1.0)
        if resolution is not None:  # a cell: slopes a | cell / 4 | a | 1
            z_high, log_dz_high = _z_of_delta(d + half, d, room, bounded)
            a_high = jnp.minimum(sigma * jnp.exp(log_dz_high), 1.0)
            cell = jnp.clip((z_high - z_low) / CELL_UNITS, jnp.maximum(a_low, a_high), 1.0)
            offset, log_slope = _bent_line(t, (a_low, cell, a_high, 1.0),
                                           (0.0, CELL_UNITS, CELL_UNITS + ABOVE_UNITS))
        else:
            offset, log_slope = _bent_line(t, (a_low, 1.0), (0.0,))
        z = z_low + offset
        numpyro.factor("beta_prior", prior.log_prob(z) + log_slope)
    delta = room * jax.nn.sigmoid(z) if bounded else d * jnp.exp(z)
    return threshold + delta


def tail_log_prior(threshold, top, room, alpha, beta, gamma, sigma, priors: Priors, *, bounded,
                   floor=None):
    r"""Log prior density of :math:`(\alpha, \beta, \sigma)` given :math:`\gamma` in the
    tail model at ``threshold`` (maximize orientation), in those parameters' own units.

    The sites above put their priors on :math:`\sigma / d`, on :math:`z` (a function of
    :math:`\delta = \beta - \tau` and :math:`d`) and on :math:`q = (\delta / w)^{\gamma/2}`
    (:math:`w = \beta - \alpha`), with :math:`d` = ``top`` :math:`- \tau` (``top``: the
    best score); changing variables,

    .. math::

        \log p(\alpha, \beta, \sigma \mid \gamma, \tau) =
        \log p_\sigma(\sigma/d) - \log d + \log p_z(z) + \log|dz/d\delta|
        + \log p_q(q) + \log\frac{\gamma q}{2 w} ,

    :math:`-\infty` where :math:`\beta \le \tau` or :math:`\alpha \ge \tau` (no
    :math:`q` in (0, 1)). With a ``floor`` :math:`L` below :math:`\tau` (the metric's worst
    bound, oriented; :func:`floor_gap`) the site is :math:`u = (q - q_{min}) / (1 -
    q_{min})` (:func:`derive_alpha`), so :math:`\log p_q(q)` above becomes
    :math:`\log p_q(u) - \log(1 - q_{min})`, and the density is :math:`-\infty` where
    :math:`\alpha < L`. ``threshold``, ``top`` and ``room`` (:math:`B - \tau` for a bound
    :math:`B`) broadcast: the spliced model evaluates it at every candidate, so that
    :math:`\theta` has at each candidate the prior a fit at that threshold gives it
    (:func:`bayesnq.modeling.threshold_model`).
    """
    return (scale_log_prior(threshold, top, room, beta, sigma, priors, bounded=bounded)
            + alpha_log_prior(threshold, alpha, beta, gamma, priors, floor=floor))


def scale_log_prior(threshold, top, room, beta, sigma, priors: Priors, *, bounded):
    r"""The part of :func:`tail_log_prior` from the sites of :math:`\sigma` and
    :math:`\beta`: :math:`\log p_\sigma(\sigma/d) - \log d + \log p_z(z) + \log|dz/d\delta|`,
    :math:`-\infty` where :math:`\beta \le \tau`."""
    d = top - threshold
    delta = beta - threshold
    ok = delta > 0
    delta = jnp.where(ok, delta, 0.5 * d)
    lp = dist.Gamma(priors.sigma_shape, priors.sigma_rate).log_prob(sigma / d) - jnp.log(d)
    z, log_dz = _z_of_delta(delta, d, room, bounded)
    lp = lp + _beta_prior(d, room, priors, bounded).log_prob(z) + log_dz
    return jnp.where(ok, lp, -jnp.inf)


def alpha_log_prior(limit, alpha, beta, gamma, priors: Priors, *, floor=None):
    r"""The part of :func:`tail_log_prior` from the site ``q``: the log density of
    :math:`\alpha` given :math:`\beta` and :math:`\gamma` when :math:`q = (\delta /
    w)^{\gamma/2}`, :math:`\delta = \beta - \ell`, has the prior :math:`p_q`:
    :math:`\log p_q(q) + \log\frac{\gamma q}{2 w}`, on :math:`\alpha < \ell` (and
    :math:`\alpha \ge L` with a ``floor`` :math:`L` below :math:`\ell`, the site then
    :math:`u`, :func:`derive_alpha`); :math:`-\infty` elsewhere. ``limit`` :math:`\ell` is
    the threshold in a fit at one threshold; the spliced model's sites reach further
    (:func:`bayesnq.modeling.sites.alpha_limit`)."""
    delta = beta - limit
    w = beta - alpha
    ok = (delta > 0) & (delta < w)
    if floor is not None:  # a limit at or below the floor has none (floor_gap)
        floored = jnp.asarray(limit) > floor
        ok = ok & (~floored | (alpha >= floor))
    delta = jnp.where(ok, delta, 0.5)
    w = jnp.where(ok, w, 1.0)
    log_q = 0.5 * gamma * (jnp.log(delta) - jnp.log(w))
    q = jnp.exp(log_q)
    if floor is None:
        u, log_slope = q, 0.0
    else:
        gap = jnp.where(floored, limit - floor, 1.0)
        q_min = jnp.where(floored, jnp.exp(_log_q_min(delta, gamma, gap)), 0.0)
        u, log_slope = (q - q_min) / (1.0 - q_min), -jnp.log1p(-q_min)
    lp = (dist.Beta(priors.q_a, priors.q_b).log_prob(jnp.clip(u, 1e-300, 1 - 1e-16))
          + log_slope + jnp.log(0.5 * gamma) + log_q - jnp.log(w))
    return jnp.where(ok, lp, -jnp.inf)


class _BelowCap(constraints.less_than_eq):
    r"""The support :math:`\log\gamma \le \log\gamma_{max}`, with its own coordinate for
    NUTS (:func:`_soft_cap`): numpyro's for an upper bound, :math:`c - e^x`, stretches
    :math:`\log\gamma` by :math:`c - \log\gamma` per unit of :math:`x`, so far below the
    cap the posterior's curvature grows with its square."""


@biject_to.register(_BelowCap)
def _soft_cap(constraint):
    r""":math:`\log\gamma = c - \mathrm{softplus}(c - x)`: the identity far below the cap
    :math:`c`, and like numpyro's :math:`c - e^{x'}` as it nears it.

    With numpyro's map, on a 48-run tied search with a floor (docs/ties.md) a chain at
    :math:`\gamma` 0.2–0.5 (3 units of :math:`\log\gamma` below a cap of 6) met a
    curvature of 120–230 along :math:`x` against about 20 at :math:`\gamma \approx 2`,
    and diverged (19 transitions in 8,000) at a step size adapted to the rest.
    """
    c = constraint.upper_bound
    return ComposeTransform([AffineTransform(c, -1.0), SoftplusTransform(),
                             AffineTransform(c, -1.0)])


def gamma_support(gamma_max):
    r"""The support of the site ``log_gamma``: :math:`\log\gamma \le \log\gamma_{max}`,
    or the real line without a cap."""
    return constraints.real if gamma_max is None else _BelowCap(float(np.log(gamma_max)))


class _CappedNormal(RightTruncatedDistribution):
    r""":math:`N(\mu, s)` truncated above, on the support of :func:`gamma_support`."""

    def __init__(self, loc, scale, high):
        super().__init__(dist.Normal(loc, scale), high=high)
        self._support = _BelowCap(high)


def sample_gamma(priors: Priors, gamma_max):
    """Site ``log_gamma``: N(mean, sd), truncated at log(gamma_max) when given; returns gamma.

    Truncated, NUTS samples it through :func:`_soft_cap`.
    """
    if gamma_max is None:
        prior = dist.Normal(priors.gamma_log_mean, priors.gamma_log_sd)
    else:
        prior = _CappedNormal(priors.gamma_log_mean, priors.gamma_log_sd,
                              float(np.log(gamma_max)))
    return jnp.exp(numpyro.sample("log_gamma", prior))


def sample_scale_parameters(consts, bounded, priors: Priors, *, resolution=None, sigma=None,
                            prior_only=False):
    """Sites ``sigma_rel`` (unless ``sigma`` is given, as a pooled fit's shared noise) and
    ``beta_t`` (or ``beta_z``): the tail's scale parameters, relative to the threshold and
    the prior unit d in ``consts`` (:attr:`bayesnq.modeling.TailData.consts`). Returns
    ``(beta, sigma)``."""
    threshold, d, room = consts[0], consts[1], consts[2]
    sigma_rel = sample_sigma_rel(priors) if sigma is None else sigma / d
    beta = sample_beta(threshold, d, room, sigma_rel, priors, bounded=bounded,
                       prior_only=prior_only, resolution=resolution)
    return beta, d * sigma_rel


def sample_tail_parameters(consts, bounded, priors: Priors, prior_only=False):
    """Sites ``sigma_rel``, ``beta_t`` (or ``beta_z``) and ``q``.

    ``consts`` holds the threshold, the prior unit d, the room below the bound, the gap
    above the floor (:func:`floor_gap`; :func:`derive_alpha` uses it) and, for scores
    known to a resolution, that resolution (see
    :attr:`bayesnq.modeling.TailData.consts`). Returns ``(threshold, beta, sigma, q)``.
    """
    resolution = consts[4] if len(consts) > 4 else None
    beta, sigma = sample_scale_parameters(consts, bounded, priors, resolution=resolution,
                                          prior_only=prior_only)
    q = numpyro.sample("q", dist.Beta(priors.q_a, priors.q_b))
    return consts[0], beta, sigma, q


def initial_values(tail_fraction, gamma_mode="continuous", gamma_max=None) -> dict:
    """A central starting point of the sampled coordinates (constrained values).

    ``beta_t = 0`` puts beta a little above the best score (:func:`sample_beta`),
    ``sigma_rel`` 0.05, ``q`` the share of runs in the tail, and ``log_gamma`` at 0.75 of
    ``min(2, gamma_max)``.
    """
    init = {"beta_t": 0.0, "sigma_rel": 0.05, "q": float(np.clip(tail_fraction, 0.01, 0.99))}
    if gamma_mode == "continuous":
        init["log_gamma"] = float(np.log(min(2.0, gamma_max or 2.0) * 0.75))
    return init


def to_unconstrained(init: dict, gamma_max) -> dict:
    """The sampler's (unconstrained) coordinates of the constrained values ``init``."""
    supports = {"sigma_rel": constraints.positive, "q": constraints.unit_interval}
    supports["log_gamma"] = gamma_support(gamma_max)
    return {k: biject_to(supports.get(k, constraints.real)).inv(jnp.asarray(v, dtype=float))
            for k, v in init.items()}
