"""The one InferenceData builder: a fit's draws as labelled data.

Groups: ``posterior`` (alpha, beta, gamma, sigma, tail_mass in the user's units, the
sampler's own coordinates, and the threshold's or integer gamma's conditionals where the
model has them), ``sample_stats``, ``log_likelihood`` (``y``, one entry per run),
``observed_data`` and ``posterior_predictive`` (replicated searches; on a dimension of
their own when they are shorter than the data). ArviZ is reached through
:mod:`bayesnq.arviz_compat`.
"""

from __future__ import annotations

import numpy as np

from bayesnq import arviz_compat
from bayesnq.modeling import PARAMETERS, SAMPLED_SITES

__all__ = ["build_idata", "posterior_names", "sampler_stats"]

_STAT_NAMES = {"diverging": "diverging", "num_steps": "n_steps",
               "accept_prob": "acceptance_rate", "energy": "energy",
               "adapt_state.step_size": "step_size"}


def sampler_stats(stats) -> dict:
    r"""ArviZ's ``sample_stats`` from numpyro's per-draw ``extra_fields`` (chain, draw).

    ``energy`` (the Hamiltonian, for :func:`arviz.bfmi` and :func:`arviz.plot_energy`),
    ``lp`` (minus the potential energy: the log density in the sampler's coordinates,
    Jacobian included, up to a constant), ``n_steps`` (leapfrog steps), ``tree_depth``,
    ``acceptance_rate`` (mean Metropolis acceptance probability over the trajectory),
    ``step_size`` and ``diverging``. NUTS doubles its trajectory, so a tree of depth
    :math:`d` takes at most :math:`2^d - 1` leapfrog steps (fewer when a subtree stops it
    early): ``tree_depth`` :math:`= \lceil \log_2(n_{steps} + 1) \rceil`, Stan's convention.
    """
    out = {name: np.asarray(stats[key]) for key, name in _STAT_NAMES.items() if key in stats}
    if "potential_energy" in stats:
        out["lp"] = -np.asarray(stats["potential_energy"], dtype=float)
    if "n_steps" in out:
        steps = np.asarray(out["n_steps"], dtype=np.int64)
        out["tree_depth"] = np.ceil(np.log2(steps + 1.0)).astype(np.int64)
    return out


def posterior_names(gamma_mode, threshold_grid=False) -> list[str]:
    """The posterior variables a fit reports (besides the sampler's coordinates)."""
    names = [*PARAMETERS, "tail_mass"]
    if threshold_grid:
        names += ["tau", "tau_logp"]
    if gamma_mode == "integer":
        names.append("gamma_logp")
    return names


def build_idata(stats, samples, names, *, log_likelihood, observed, predictive, coords=None,
                dims=None):
    """InferenceData of a fit.

    Parameters
    ----------
    stats : dict of arrays (chain, draw)
        The sampler's per-draw statistics (numpyro's ``extra_fields``, see
        :func:`sampler_stats`).
    samples : dict of arrays (chain, draw, ...)
        Posterior draws after post-processing (user units).
    names : list of str
        Which of ``samples`` to report, besides the sampler's coordinates.
    log_likelihood, observed, predictive : arrays
        Per run (chain, draw, run); observed (run,); replicated searches
        (chain, draw, replicate_run). ``log_likelihood`` or ``predictive`` None: the
        group is left out (a large search keeps them per distinct score, see
        :data:`bayesnq.inference.fit.MAX_PER_RUN_RUNS`).
    coords, dims : dict
        Extra coordinates and dimensions (``run`` and the ``y`` dimension are added).
    """
    post = {k: np.asarray(samples[k]) for k in names}
    for k in SAMPLED_SITES:
        if k in samples:
            post[k] = np.asarray(samples[k])
    sample_stats = sampler_stats(stats)
    n = int(np.shape(observed)[-1])
    coords = {"run": np.arange(n), **(coords or {})}
    dims = {"y": ["run"], **(dims or {})}
    if "gamma_logp" in post:
        coords["gamma_value"] = np.arange(1, post["gamma_logp"].shape[-1] + 1)
        dims["gamma_logp"] = ["gamma_value"]
    # replicate searches shorter than the data
    thinned = predictive is not None and predictive.shape[-1] != n
    idata = arviz_compat.from_dict(
        posterior=post,
        sample_stats=sample_stats,
        log_likelihood=None if log_likelihood is None else {"y": log_likelihood},
        observed_data={"y": observed},
        posterior_predictive=None if thinned or predictive is None else {"y": predictive},
        coords=coords,
        dims=dims,
    )
    if thinned:
        arviz_compat.add_group(idata, "posterior_predictive", {"y": predictive},
                               coords={"replicate_run": np.arange(predictive.shape[-1])},
                               dims={"y": ["replicate_run"]})
    return idata
