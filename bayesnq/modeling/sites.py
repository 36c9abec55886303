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


def _log_reach(data, beta, gamma):
    r""":math:`\log Q = \tfrac{\gamma}{2}\log\frac{\beta - \tau_r}{\beta - A(\beta)} \ge 0`:
    the noiseless mass beyond :math:`\tau_r` is at most :math:`Q` (:math:`\alpha <
    A(\beta)`)."""
    t_r = float(data.thresholds[data.reference_index])
    return 0.5 * gamma * (jnp.log(beta - t_r) - jnp.log(beta - alpha_limit(data, beta)))


def site_q(data, beta, gamma, q_t):
    r"""The site ``q`` (:math:`u \in (0, 1)`, ``Beta(q_a, q_b)``) of NUTS's coordinate
    ``q_t``: :math:`u = \mathrm{logistic}(q_t - \log Q)` (:func:`_log_reach`).

    With :math:`u` the mass beyond :math:`A(\beta)` in place of :math:`\tau_r`'s, the
    coordinate :math:`\mathrm{logit}(u)` would be :math:`\tfrac{\gamma}{2}\log` of a
    far smaller ratio than before (:math:`A(\beta)` lies near the best runs), and the
    banana between :math:`\log\gamma` and it sharper (r-hat 1.06–1.11 on three 48-run
    searches at 2 x (300 + 300), against 1.01 with the reference's ``q``). Shifted by
    :math:`\log Q`, :math:`q_t \approx \log` of the noiseless mass beyond
    :math:`\tau_r` wherever :math:`\alpha` lies well below :math:`A(\beta)`, as the
    reference's ``q`` was, and exactly its logit when :math:`A = \tau_r`."""
    return jax.nn.sigmoid(q_t - _log_reach(data, beta, gamma))


def site_q_log_prior(data, beta, gamma, q_t, priors: Priors = Priors()):
    r"""Log density of the coordinate ``q_t`` given :math:`\beta, \gamma`: the site's
    :math:`\mathrm{Beta}(q_a, q_b)` at :math:`u` (:func:`site_q`) times
    :math:`du/dq_t = u (1 - u)`."""
    x = q_t - _log_reach(data, beta, gamma)
    log_u, log_1mu = jax.nn.log_sigmoid(x), jax.nn.log_sigmoid(-x)
    return (priors.q_a * log_u + priors.q_b * log_1mu
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
    room = (ref.upper_bound - ref.threshold) if ref.upper_bound is not None else 1.0
    return (scale_log_prior(ref.threshold, data.best_score, room, beta, sigma, priors,
                            bounded=ref.upper_bound is not None)
            + alpha_log_prior(alpha_limit(data, beta), alpha, beta, gamma, priors,
                              floor=_site_floor(data)))


def initial_coordinates(tail_fraction, gamma_mode="continuous", gamma_max=None) -> dict:
    """:func:`~bayesnq.modeling.initial_values` for :func:`threshold_model`: ``q_t`` at
    the log of the share of runs beyond the reference candidate (:func:`site_q`)."""
    init = initial_values(tail_fraction, gamma_mode, gamma_max)
    init["q_t"] = float(np.log(init.pop("q")))
    return init
