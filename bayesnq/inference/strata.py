r"""A multimodal threshold posterior, sampled one mode at a time.

Where :math:`P(\tau \mid y)` has separate modes (:func:`~bayesnq.inference.hedge.threshold_kind`
``"multimodal"``: AlexNet puts 0.58, 0.27 and 0.10 on three candidates 20%, 30% and 40% of
runs deep), the posterior of the tail's parameters is a mixture of as many separate
bumps: the quadratic's width :math:`\beta - \alpha` and :math:`\gamma` differ between them.
NUTS crosses between the bumps rarely, so each chain holds its own share of each and r-hat
flags the chains as disagreeing (1.015 on AlexNet at the default settings, 2026-12-06).

The mixture is sampled stratified instead. With :math:`G` groups of adjacent candidates,
one around each mode (:func:`strata`),

.. math::

    p(\theta, \tau \mid y) = \sum_g P(g \mid y)\; p(\theta, \tau \mid y, \tau \in g),

and each conditional :math:`p(\cdot \mid y, \tau \in g)` is the spliced posterior under a
prior that excludes the candidates outside :math:`g` (:func:`stratum_log_prior`): one bump,
sampled by the same compiled sampler. The weights :math:`P(g \mid y)` are the first
(unrestricted) run's Rao–Blackwellized estimates, summed over the group; their Monte
Carlo error (that run's chains disagreeing on the modes' shares) is not in the result's
r-hat, which judges the groups' runs. Each chain of the
result takes :math:`n_g \approx P(g \mid y) S` of its :math:`S` draws from group :math:`g`'s
run (evenly thinned, in their order), at positions shuffled among the groups
(:func:`interleave`), so that every stretch of every chain holds the groups in about
their proportions and r-hat compares like with like.
"""

from __future__ import annotations

import numpy as np

from bayesnq.inference.hedge import threshold_kind

__all__ = ["strata", "stratum_log_prior", "draw_counts", "interleave", "MIN_MODE",
           "MAX_STRATA", "EXCLUDED"]

MIN_MODE = 0.05  # a local maximum of P(tau) this probable gets a group of its own
MAX_STRATA = 4  # at most this many groups (the most probable modes)
EXCLUDED = -1.0e6  # log prior added outside a group: exp() of it is exactly 0 in float64


def strata(p, min_mode=MIN_MODE, max_strata=MAX_STRATA) -> list[np.ndarray] | None:
    """Groups of adjacent candidates, one around each mode of ``p``, or None.

    ``p``: candidate probabilities in grid order. None unless :math:`P(\\tau)` is
    ``"multimodal"``. The modes are the local maxima holding at least ``min_mode`` (the
    ``max_strata`` most probable); between two modes the grid is cut at the least probable
    candidate, which starts the next group. The groups cover every candidate.
    """
    p = np.asarray(p, dtype=float)
    if p.size < 3 or threshold_kind(p) != "multimodal":
        return None
    t = p.size
    left = np.concatenate([[-np.inf], p[:-1]])
    right = np.concatenate([p[1:], [-np.inf]])
    modes = np.flatnonzero((p >= min_mode) & (p >= left) & (p > right))
    modes = np.sort(modes[np.argsort(p[modes])[::-1][:max_strata]])
    if modes.size < 2:
        return None
    cuts = [a + 1 + int(np.argmin(p[a + 1:b])) for a, b in zip(modes[:-1], modes[1:])]
    return [np.arange(lo, hi) for lo, hi in zip([0, *cuts], [*cuts, t])]


def stratum_log_prior(log_prior, group) -> np.ndarray:
    """``log_prior`` over the candidates with every candidate outside ``group`` excluded."""
    log_prior = np.asarray(log_prior, dtype=float)
    out = np.full(log_prior.shape, EXCLUDED) + log_prior
    out[group] = log_prior[group]
    return out


def draw_counts(weights, n) -> np.ndarray:
    """``n`` draws shared out in proportion to ``weights`` (largest remainders), each
    group with a positive weight getting at least one."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    counts = np.floor(w * n).astype(int)
    counts[(counts == 0) & (w > 0)] = 1
    while counts.sum() > n:  # the ones raised to 1 came out of the largest
        counts[np.argmax(counts)] -= 1
    short = n - counts.sum()
    order = np.argsort(-(w * n - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def interleave(runs, counts, seed) -> dict:
    """One set of (chain, draw, ...) arrays from the groups' runs.

    ``runs``: one dict per group of arrays shaped (chain, draw, ...), all with the same
    chains and draws :math:`S`; ``counts``: draws per chain from each group
    (:func:`draw_counts`, summing to :math:`S`). Chain :math:`c` of the result holds
    ``counts[g]`` draws of chain :math:`c` of group :math:`g`'s run, evenly spaced over it
    and in their order, at positions drawn at random among the groups (from ``seed``: the
    same seed gives the same positions, so draws and their sampler statistics line up).
    """
    counts = np.asarray(counts, dtype=int)
    first = runs[0][next(iter(runs[0]))]
    chains, s = np.shape(first)[:2]
    if counts.sum() != s:
        raise ValueError(f"counts must sum to the {s} draws of a chain, got {counts.tolist()}")
    picks = [np.floor((np.arange(k) + 0.5) * s / k).astype(int) for k in counts]
    rng = np.random.default_rng(seed)
    slots = [[] for _ in counts]  # per group: (chain, positions) of its draws
    for c in range(chains):
        labels = rng.permutation(np.repeat(np.arange(counts.size), counts))
        for g in range(counts.size):
            slots[g].append(np.flatnonzero(labels == g))
    out = {}
    for key in runs[0]:
        parts = [np.asarray(run[key]) for run in runs]
        merged = np.empty((chains, s) + parts[0].shape[2:], dtype=parts[0].dtype)
        for g, part in enumerate(parts):
            for c in range(chains):
                merged[c, slots[g][c]] = part[c, picks[g]]
        out[key] = merged
    return out
