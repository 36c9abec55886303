r"""One model over several searches: :math:`\gamma` (optionally :math:`\sigma`) shared.

Searches of one search space (AlexNet, ResNet18 and ConvNeXt in the paper) should share
what they know about the quadratic's order :math:`\gamma`. :func:`pooled_model` writes the
censored tail model of every search side by side, each with its own threshold
:math:`\tau_k`, best score :math:`\beta_k`, tail mass :math:`q_k` (hence :math:`\alpha_k`)
and noise :math:`\sigma_k`, and ties the chosen parameters together:

``pooling="shared"``
    One :math:`\gamma` for all: the site ``log_gamma`` with the single-search prior
    (:func:`~bayesnq.modeling.priors.sample_gamma`). With ``"sigma"`` in ``share``, one
    noise :math:`\sigma = \bar d\,s` with :math:`s \sim \mathrm{Gamma}(2, 10)` (the
    single-search prior of :math:`\sigma/d`, in units of :math:`\bar d`, the geometric
    mean of the searches' tail scales :math:`d_k`).
``pooling="partial"``
    Hierarchical, non-centred: :math:`\log\gamma_k = \mu + t z_k`,
    :math:`\mu \sim N(\log 2, 1)` (the single-search prior's centre and scale),
    :math:`t \sim \mathrm{HalfNormal}(s_{pool})`, :math:`z_k \sim N(0, 1)`; the pooling
    strength :math:`t` is learned (:math:`t \to 0`: one :math:`\gamma`; large :math:`t`:
    separate fits). With a bound :math:`\gamma \le K` the map is capped smoothly,
    :math:`\log\gamma_k = \log K - \mathrm{softplus}(c(\log K - x_k))/c` with
    :math:`x_k = \mu + t z_k` and :math:`c = 10`, which moves values more than 0.5 below
    :math:`\log K` by less than :math:`10^{-3}`. With ``"sigma"`` in ``share``, likewise
    :math:`\sigma_k = \bar d\, s\, e^{t_\sigma z^\sigma_k}`.

Everything else is the single-search model: the priors of
:mod:`bayesnq.modeling.priors` (:func:`~bayesnq.modeling.priors.sample_scale_parameters`,
``q`` ~ Beta) and the one censored likelihood
(:func:`~bayesnq.modeling.likelihood.per_run_loglik`), so that with nothing shared the
joint posterior is the product of the separate fits'. Each search's sites live
under its name (``"<name>/beta_t"``, ``"<name>/alpha"``, ...; numpyro's ``scope``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.handlers import scope

from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling.likelihood import per_run_loglik
from bayesnq.modeling.priors import (Priors, derive_alpha, sample_gamma,
                                     sample_scale_parameters, sample_sigma_rel)
from bayesnq.modeling.tail import record_parameters

__all__ = ["pooled_model", "SHAREABLE", "POOLINGS", "reference_scale", "pooled_initial_values"]

SHAREABLE = ("gamma", "sigma")
POOLINGS = ("shared", "partial")


def reference_scale(datas) -> float:
    r""":math:`\bar d`: the geometric mean of the searches' tail scales :math:`d_k`."""
    return float(np.exp(np.mean([np.log(d.scale) for d in datas])))


CAP_SHARPNESS = 10.0  # c of the smooth cap of partially pooled log gamma


def _capped(x, gamma_max):
    """Smooth cap of log gamma below log(gamma_max): within 1e-3 of x when 0.5 below it."""
    if gamma_max is None:
        return x
    top = float(np.log(gamma_max))
    return top - jax.nn.softplus(CAP_SHARPNESS * (top - x)) / CAP_SHARPNESS


def pooled_model(datas, names, arrays, priors: Priors = Priors(), gamma_max=None,
                 share=("gamma",), pooling="shared", pool_scale=0.5):
    """NumPyro model of several censored tails with ``share``'d parameters (module docstring).

    ``datas`` are the searches' :class:`~bayesnq.modeling.TailData`, ``names`` their
    labels and ``arrays`` their :meth:`~bayesnq.modeling.TailData.arrays`.
    """
    k_count = len(datas)
    d_ref = reference_scale(datas)
    if "gamma" in share and pooling == "shared":
        gammas = [sample_gamma(priors, gamma_max)] * k_count
    elif "gamma" in share:
        mu = numpyro.sample("log_gamma_mean", dist.Normal(priors.gamma_log_mean,
                                                          priors.gamma_log_sd))
        spread = numpyro.sample("log_gamma_sd", dist.HalfNormal(pool_scale))
        gammas = []
        for name in names:
            z = numpyro.sample(f"{name}/log_gamma_z", dist.Normal(0.0, 1.0))
            gammas.append(jnp.exp(_capped(mu + spread * z, gamma_max)))
    else:
        gammas = [None] * k_count
    if "sigma" in share:
        s = sample_sigma_rel(priors)  # in units of d_ref
        if pooling == "shared":
            sigmas = [d_ref * s] * k_count
        else:
            spread_s = numpyro.sample("log_sigma_sd", dist.HalfNormal(pool_scale))
            sigmas = [d_ref * s * jnp.exp(spread_s * numpyro.sample(f"{name}/log_sigma_z",
                                                                    dist.Normal(0.0, 1.0)))
                      for name in names]
    else:
        sigmas = [None] * k_count
    for data, name, arr, gamma, sigma in zip(datas, names, arrays, gammas, sigmas):
        with scope(prefix=name, divider="/"):
            _one_search(data, arr, priors, gamma_max, gamma, sigma)


def _one_search(data, arr, priors, gamma_max, gamma, sigma):
    """One search's sites and likelihood, given the shared gamma and sigma (or None)."""
    consts = jnp.asarray(arr["consts"])
    threshold = consts[0]
    gap, resolution = data.floor_and_resolution(consts)
    beta, sigma = sample_scale_parameters(consts, data.upper_bound is not None, priors,
                                          resolution=resolution, sigma=sigma)
    q = numpyro.sample("q", dist.Beta(priors.q_a, priors.q_b))
    if gamma is None:
        gamma = sample_gamma(priors, gamma_max)
    alpha = derive_alpha(beta, gamma, q, threshold, gap)
    nq = NoisyQuadratic(alpha, beta, gamma, sigma)
    ll = per_run_loglik(nq, arr["values"], arr["run_index"], threshold, resolution)
    with numpyro.plate("runs", data.n):
        numpyro.factor("y", ll)
    record_parameters(data.minimize, alpha, beta, gamma, sigma)


def pooled_initial_values(datas, names, share, pooling, gamma_max) -> dict:
    """Constrained starting values: each search's as in a single fit, the shared ones central."""
    init = {}
    g0 = float(np.log(min(2.0, gamma_max or 2.0) * 0.75))
    for data, name in zip(datas, names):
        init[f"{name}/beta_t"] = 0.0
        init[f"{name}/q"] = float(np.clip(data.tail.size / data.n, 0.01, 0.99))
        if "sigma" not in share:
            init[f"{name}/sigma_rel"] = 0.05
        elif pooling == "partial":
            init[f"{name}/log_sigma_z"] = 0.0
        if "gamma" not in share:
            init[f"{name}/log_gamma"] = g0
        elif pooling == "partial":
            init[f"{name}/log_gamma_z"] = 0.0
    if "gamma" in share:
        init["log_gamma" if pooling == "shared" else "log_gamma_mean"] = g0
        if pooling == "partial":
            init["log_gamma_sd"] = 0.1
    if "sigma" in share:
        init["sigma_rel"] = 0.05
        if pooling == "partial":
            init["log_sigma_sd"] = 0.1
    return init
