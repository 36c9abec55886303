r"""The inferred threshold's posterior, and the hedge toward fewer runs.

:math:`P(\tau \mid y)` over the candidates is the average over draws of the exact
conditional :math:`P(\tau_j \mid \theta^{(s)}, y)` (Rao–Blackwellized,
:func:`candidate_log_probabilities`). :func:`threshold_kind` reads it in words: *decided*
(the most probable candidate holds at least half, and no candidate apart from its
neighbours holds 15% or more), *flat* or *multimodal*.

**Why hedge.** The spliced model's body (:mod:`bayesnq.modeling.spliced`) is a histogram,
not the search's true body, and its misfit grows with the number of runs: on searches of
512 and 1,024 runs a decided :math:`P(\tau)` is often sure of a candidate next to the
regime's start rather than of the one nearest to it (the threshold SBC of
``docs/thresholds.md``). The two errors cost differently. Beyond any threshold at or
above the regime's start the noisy quadratic holds exactly, so a threshold with *fewer*
runs beyond it only widens the intervals; one with *more* runs puts body runs into the tail
and biases :math:`\beta` and :math:`\gamma`.

**The hedge.** When :math:`P(\tau)` is decided on candidate :math:`k` and a candidate
:math:`k + 1` with fewer runs beyond it exists, the fit samples again (the same compiled
sampler) with the prior of candidate :math:`k + 1` (the base prior,
:attr:`bayesnq.modeling.SplicedData.base_log_prior`) raised by
:math:`\log P(\tau_k \mid y) - \log P(\tau_{k+1} \mid y)`, the first run's estimates, so
that the safer candidate holds about as much posterior mass as the chosen one (more where
the first run underestimated its small probability). The draws are then a posterior
under that prior: the conditional posterior of :math:`\theta` at each candidate is
unchanged; only the candidates' weights are moved toward fewer runs. ``fit(...,
threshold_hedge=False)`` keeps the base prior.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

__all__ = ["candidate_log_probabilities", "threshold_kind", "hedge_prior", "KINDS",
           "MIN_MASS", "MIN_SECOND"]

KINDS = ("decided", "flat", "multimodal")
MIN_MASS = 0.5  # below this on the most probable candidate, P(tau) is flat
MIN_SECOND = 0.15  # a candidate this probable, not next to the first, makes it multimodal


def candidate_log_probabilities(samples) -> np.ndarray:
    r""":math:`\log P(\tau_j \mid y)`, shape (T,), from a sampler's draws: the log of the
    average over draws of :math:`P(\tau_j \mid \theta, y)` (site ``tau_logp``, or
    ``gamma_tau_logp`` summed over :math:`\gamma` with integer :math:`\gamma`), computed in
    log space so that small probabilities keep their size."""
    if "tau_logp" in samples:
        lp = np.asarray(samples["tau_logp"], dtype=float)
    else:
        lp = logsumexp(np.asarray(samples["gamma_tau_logp"], dtype=float), axis=-2)
    lp = lp.reshape(-1, lp.shape[-1])
    return logsumexp(lp, axis=0) - np.log(lp.shape[0])


def threshold_kind(p, min_mass=MIN_MASS, min_second=MIN_SECOND) -> str:
    """``"decided"``, ``"flat"`` or ``"multimodal"`` for candidate probabilities ``p`` in
    grid order (module docstring)."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)[::-1]
    first, second = int(order[0]), int(order[1])
    if p[first] < min_mass:
        return "flat"
    if p[second] >= min_second and abs(first - second) > 1:
        return "multimodal"
    return "decided"


def hedge_prior(log_p) -> dict | None:
    """The hedged log prior over the candidates, or None where there is nothing to hedge.

    ``log_p``: :func:`candidate_log_probabilities` under the base prior, in grid order
    (tail fraction falling along the grid). Returns ``log_prior`` (shape (T,), not
    normalized; added to the base prior), ``from`` and ``to`` (the candidates' indices)
    and ``log_weight`` (what
    the safer candidate's prior was raised by), when :math:`P(\\tau)` is decided and the
    most probable candidate is not the last.
    """
    log_p = np.asarray(log_p, dtype=float)
    k = int(np.argmax(log_p))
    if threshold_kind(np.exp(log_p)) != "decided" or k + 1 >= log_p.size:
        return None
    weight = max(0.0, float(log_p[k] - log_p[k + 1]))
    log_prior = np.zeros(log_p.size)
    log_prior[k + 1] = weight
    return {"log_prior": log_prior, "from": k, "to": k + 1, "log_weight": weight}
