r"""The spliced model's sampler coordinates for :math:`\alpha`, and their density.

:func:`bayesnq.modeling.threshold_model` samples :math:`\beta` and :math:`\sigma` as a
fit at the grid's middle candidate :math:`\tau_r` does, and :math:`\alpha` through a
site that reaches up to :math:`A(\beta)` (:func:`alpha_limit`), as far as a fit at the
highest candidate below :math:`\beta` lets it. Each candidate's term divides by the
sites' own density (:func:`site_log_prior`), so the posterior does not depend on these
coordinates. ``data`` is a :class:`~bayesnq.modeling.SplicedData`; everything is in the
maximize orientation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import gammaln as _gl

from bayesnq.modeling.priors import (Priors, alpha_log_prior, derive_alpha, initial_values,
                                     scale_log_prior)

__all__ = ["alpha_limit", "site_alpha", "site_q", "site_q_log_prior", "site_log_prior",
           "initial_coordinates"]


def alpha_limit(data, beta):
    r"""How far :math:`\alpha` reaches at the sites, given :math:`\beta` (oriented):
    :math:`A(\beta) = \max(\tau_r, e(\beta))`, with :math:`e` the broken line through the
    points :math:`(\tau_{j+1}, \tau_j)` (and :math:`(\tau_T + (\tau_T - \tau_{T-1}),
    \tau_T)`, flat beyond), so that some candidate always lies in
    :math:`(A(\beta), \beta)`.

    A fit at :math:`\tau_j` lets :math:`\alpha` reach :math:`\tau_j`; with the site
    :math:`q` taken at the reference alone (:math:`\alpha < \tau_r`, until 2026-12-07),
    every candidate above the reference lost the part of its posterior with
    :math:`\alpha \in [\tau_r, \tau_j)`: a noisy quadratic with a large :math:`\gamma`
    piles its runs just above :math:`\alpha`, so where the regime starts above the
    reference the truth itself was out of reach. In the threshold SBC all 7 of 65
    searches whose true :math:`\alpha` lay above :math:`\tau_r` missed :math:`\gamma`
    (docs/thresholds.md).
    """
    t = np.asarray(data.thresholds, dtype=float)
    low = jnp.asarray(t[data.reference_index])
    if t.size < 2:
        return low + 0.0 * beta
    ends = np.append(t, t[-1] + (t[-1] - t[-2]))
    return jnp.maximum(low, jnp.interp(beta, ends[1:], ends[:-1]))


def _site_floor(data):
    """The floor on alpha that the site q keeps (None without one at the reference)."""
    return None if data.reference.floor_gap is None else data.reference.lower_bound


# K: how far q_t moves alpha between tau_r and A(beta) (site_q). Chosen on 8 threshold-SBC
# searches that had divergent transitions or r-hat above 1.05 (seed 52: 2, 3, 9, 22, 25,
# 45, 48, 64; 2 x (300 + 300)): K = 1 gave 10 divergent transitions and a largest r-hat of
# 1.057, K = 2 gave 80 (73 on search 2) and 1.563, K = 4 22 and 13 on the first two alone;
# the coordinate before (logistic(q_t - gamma C)) 13 and 1.119. Below 1, the e^{-q_t} term
# would outlast the gamma-free one near A(beta).
REACH_SCALE = 1.0


def _reach(data, beta):
    r""":math:`C = \tfrac12\log\frac{\beta - \tau_r}{\beta - A(\beta)} \ge 0`: how
    far, in half log-widths, :math:`\alpha` can reach above :math:`\tau_r`; the noiseless
    mass beyond :math:`\tau_r` is at most :math:`e^{\gamma C}`."""
    t_r = float(data.thresholds[data.reference_index])
    return 0.5 * (jnp.log(beta - t_r) - jnp.log(beta - alpha_limit(data, beta)))


def _site_log_u(data, beta, gamma, q_t):
    r""":math:`\log u` and :math:`\log(du/dq_t)` of the map from NUTS's coordinate to
    the site (:func:`site_q`)."""
    reach = _reach(data, beta)
    fade = jnp.exp(-jax.nn.softplus(q_t) / REACH_SCALE)
    log_u = -jax.nn.softplus(-q_t) - gamma * reach * fade
    slope = jnp.logaddexp(jax.nn.log_sigmoid(-q_t),
                          jnp.log(gamma * reach / REACH_SCALE + 1e-300)
                          + jax.nn.log_sigmoid(q_t) - jax.nn.softplus(q_t) / REACH_SCALE)
    return log_u, log_u + slope


def site_q(data, beta, gamma, q_t):
    r"""The site ``q`` (:math:`u \in (0, 1)`, ``Beta(q_a, q_b)``) of NUTS's coordinate
    ``q_t``:

    .. math::
        \log u = -\mathrm{softplus}(-q_t) - \gamma C e^{-\mathrm{softplus}(q_t)/K},

    with :math:`C` the reach above :math:`\tau_r` (:func:`_reach`) and :math:`K` =
    :data:`REACH_SCALE`; :math:`u` rises strictly from 0 to 1 with :math:`q_t`. With
    :math:`c = \tfrac12\log\frac{\beta - \tau_r}{\beta - \alpha}`, so that
    :math:`\log u = \gamma (c - C)` (:func:`site_alpha`):

    - for :math:`q_t \ll 0` (:math:`\alpha` well below :math:`\tau_r`),
      :math:`q_t \approx \gamma c`, the log of the noiseless mass beyond
      :math:`\tau_r`, which the data pin down whatever :math:`\gamma` is (the
      coordinate of a fixed fit at :math:`\tau_r`);
    - for :math:`q_t \gg 0` (:math:`\alpha` between :math:`\tau_r` and
      :math:`A(\beta)`), :math:`\log u \approx -(1 + \gamma C) e^{-q_t}` at
      :math:`K = 1`, so :math:`c \approx C - (C + 1/\gamma) e^{-q_t}`: where
      :math:`\gamma C \gg 1` (a large :math:`\gamma` piles the runs just above
      :math:`\alpha`), :math:`q_t` places :math:`\alpha` on that stretch whatever
      :math:`\gamma` is.

    Until 2026-12-08 :math:`u = \mathrm{logistic}(q_t - \gamma C)`, which is the first
    case but, above :math:`\tau_r`, :math:`q_t = \gamma c` grew with :math:`\gamma` at a
    fixed :math:`\alpha`: a banana in :math:`(\log\gamma, q_t)`, where 10 of the
    threshold SBC's 65 searches had divergent transitions (32 in all; on search 2, 80% of
    the draws had :math:`\alpha` above :math:`\tau_r`, its divergences at
    :math:`\gamma` 7–21). A logit of :math:`u` alone (the mass beyond :math:`A(\beta)`)
    gave r-hat 1.06–1.11 on three 48-run searches, against 1.01 with the reference's."""
    return jnp.exp(_site_log_u(data, beta, gamma, q_t)[0])


def site_q_log_prior(data, beta, gamma, q_t, priors: Priors = Priors()):
    r"""Log density of the coordinate ``q_t`` given :math:`\beta, \gamma`: the site's
    :math:`\mathrm{Beta}(q_a, q_b)` at :math:`u` (:func:`site_q`) times
    :math:`du/dq_t`."""
    log_u, log_slope = _site_log_u(data, beta, gamma, q_t)
    log_1mu = jnp.log(-jnp.expm1(jnp.minimum(log_u, -1e-300)))
    return ((priors.q_a - 1.0) * log_u + (priors.q_b - 1.0) * log_1mu + log_slope
            - float(_gl(priors.q_a) + _gl(priors.q_b) - _gl(priors.q_a + priors.q_b)))


def site_alpha(data, beta, gamma, q_t):
    r""":math:`\alpha` of NUTS's coordinate ``q_t`` (oriented):
    :func:`~bayesnq.modeling.derive_alpha` of the site :math:`u` (:func:`site_q`) with
    :math:`A(\beta)` (:func:`alpha_limit`) in place of the threshold."""
    limit = alpha_limit(data, beta)
    floor = _site_floor(data)
    return derive_alpha(beta, gamma, site_q(data, beta, gamma, q_t), limit,
                        None if floor is None else limit - floor)


def site_log_prior(data, alpha, beta, gamma, sigma, priors: Priors = Priors()):
    r"""The log density of :math:`(\alpha, \beta, \sigma)` given :math:`\gamma` that
    the sites carry: the reference candidate's priors of :math:`\sigma` and
    :math:`\beta` (:func:`~bayesnq.modeling.priors.scale_log_prior`) and ``q``'s prior
    with :math:`\alpha` up to :math:`A(\beta)`
    (:func:`~bayesnq.modeling.priors.alpha_log_prior`, :func:`alpha_limit`)."""
    ref = data.reference
    top = float(data.tail_sorted[0]) if data.tail_sorted.size else float(data.values.max())
    room = (ref.upper_bound - ref.threshold) if ref.upper_bound is not None else 1.0
    return (scale_log_prior(ref.threshold, top, room, beta, sigma, priors,
                            bounded=ref.upper_bound is not None)
            + alpha_log_prior(alpha_limit(data, beta), alpha, beta, gamma, priors,
                              floor=_site_floor(data)))


def initial_coordinates(tail_fraction, gamma_mode="continuous", gamma_max=None) -> dict:
    """:func:`~bayesnq.modeling.initial_values` for :func:`threshold_model`: ``q_t`` at
    the log of the share of runs beyond the reference candidate (:func:`site_q`)."""
    init = initial_values(tail_fraction, gamma_mode, gamma_max)
    init["q_t"] = float(np.log(init.pop("q")))
    return init
