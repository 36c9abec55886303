r"""Agreement of two landscapes over the same runs, and the low-fidelity profile.

:func:`similarity` compares two score vectors of the same runs (rank correlations,
shake-up, top-set overlap, regret); :func:`fidelity_profile` applies it to the best score
each run had reached at a fraction of its budget against its final score: "can I tune at
low fidelity?".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats

from bayesnq.direction import orient
from bayesnq.landscape import numerics as nx
from bayesnq.landscape.checks import check_scores, check_sequence
from bayesnq.validation import (check_array, check_finite, check_level, check_minimize,
                                check_real, fail)

__all__ = ["Similarity", "similarity", "fidelity_profile"]


class Similarity(NamedTuple):
    """Agreement of two score vectors over the same runs (see :func:`similarity`)."""

    spearman: float
    kendall: float
    shake_up: float
    top_iou: float
    regret: float
    n: int


def similarity(y_a, y_b, *, minimize=False, top=0.1):
    r"""Rank agreement between two landscapes scored on the same runs.

    With :math:`r_a, r_b` the ranks of the runs (1 = best, ties averaged) and :math:`T_a, T_b`
    the top :math:`\max(1, \mathrm{round}(t n))` runs (ties broken by index):

    * Spearman's :math:`\rho_S` and Kendall's :math:`\tau_b`;
    * shake-up :math:`\mathrm{SU} = \frac1n \sum_i |r_a(i) - r_b(i)| / n`: 0 for identical
      orders, about 1/3 for independent ones, about 1/2 for reversed ones;
    * top-set overlap :math:`|T_a \cap T_b| / |T_a \cup T_b|` (IoU);
    * regret of choosing by ``a``: how much worse, under ``b``, the run that is best under
      ``a`` is than the best under ``b`` — :math:`\max_i g_b(i) - g_b(\arg\max_i g_a(i)) \ge 0`
      in score units (0: choosing by ``a`` loses nothing under ``b``).

    Parameters
    ----------
    y_a, y_b : array_like of shape (n,)
        Finite scores of the same runs, in the same order.
    minimize : bool, default False
        Whether smaller scores are better (for both).
    top : float, default 0.1
        Top fraction :math:`t`.

    Returns
    -------
    Similarity
    """
    minimize = check_minimize(minimize)
    a = orient(check_scores("y_a", y_a, min_size=2), minimize)
    b = orient(check_scores("y_b", y_b, a.size), minimize)
    top = check_level("top", top)
    n = a.size
    ra = stats.rankdata(-a)
    rb = stats.rankdata(-b)
    n_top = nx.n_top(n, top)
    ta = set(nx.top_set(a, n_top).tolist())
    tb = set(nx.top_set(b, n_top).tolist())
    return Similarity(
        spearman=nx.pearson(ra, rb), kendall=nx.kendall(a, b),
        shake_up=float(np.abs(ra - rb).mean() / n),
        top_iou=len(ta & tb) / len(ta | tb),
        regret=float(b.max() - b[int(np.argmax(a))]), n=n)


def check_curves(learning_curves) -> list[np.ndarray]:
    """Learning curves as a list of ``(m_i, 2)`` float arrays with finite budgets."""
    allowed = "a non-empty sequence of (m, 2) arrays"
    if (isinstance(learning_curves, np.ndarray) or not isinstance(learning_curves, Sequence)
            or len(learning_curves) == 0):
        raise fail("learning_curves", allowed, learning_curves)
    out = []
    for i, curve in enumerate(learning_curves):
        arr = np.asarray(curve, dtype=float)
        if arr.size == 0:
            arr = arr.reshape(0, 2)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"learning_curves[{i}] must have shape (m, 2), "
                             f"got learning_curves[{i}] of shape {arr.shape}")
        check_finite(f"learning_curves[{i}][:, 0] (budgets)", arr[:, 0])
        out.append(arr)
    return out


def fidelity_profile(learning_curves, fractions=(0.1, 0.25, 0.5, 0.75), *, minimize=False,
                     final=None, top=0.1):
    r"""Similarity between low-fidelity and final scores: "can I tune at low fidelity?".

    For run :math:`i` with curve :math:`(b_{il}, v_{il})` and own budget
    :math:`B_i = \max_l b_{il}`, the score at fraction :math:`f` is the best-so-far
    :math:`\max\{ v_{il} : b_{il} \le f B_i \}` (minimum when minimizing; NaN metric values are
    skipped) and the final score is the best over the whole curve, or ``final``. For each
    :math:`f`, :func:`similarity` compares the two over the runs where both exist (runs with
    no evaluation by :math:`f B_i` are left out; ``n`` says how many remain).

    Parameters
    ----------
    learning_curves : sequence of array_like of shape (m_i, 2)
        ``[budget, metric]`` rows per run.
    fractions : sequence of float, default (0.1, 0.25, 0.5, 0.75)
        Each in (0, 1].
    minimize : bool, default False
    final : array_like of shape (n,), optional
        Final scores (NaN marks a missing one).
    top : float, default 0.1

    Returns
    -------
    dict of str to numpy.ndarray
        ``fraction``, ``n`` and one array per :class:`Similarity` field.
    """
    curves = check_curves(learning_curves)
    allowed = "a non-empty sequence of numbers in (0, 1]"
    if not check_sequence("fractions", fractions, allowed):
        raise fail("fractions", allowed, fractions)
    fractions = [check_real("fractions", f, low=0.0, high=1.0, low_open=True) for f in fractions]
    minimize = check_minimize(minimize)
    check_level("top", top)
    n = len(curves)
    lengths = np.array([c.shape[0] for c in curves])
    run = np.repeat(np.arange(n), lengths)
    stacked = np.concatenate(curves, axis=0) if lengths.sum() else np.zeros((0, 2))
    budget = stacked[:, 0]
    value = orient(stacked[:, 1], minimize)
    usable = np.isfinite(value)
    budget_max = np.full(n, -np.inf)
    np.maximum.at(budget_max, run, budget)

    def best_where(mask):
        best = np.full(n, -np.inf)
        np.maximum.at(best, run[mask], value[mask])
        return best

    if final is None:
        end = best_where(usable)
    else:
        end = check_array("final", final, ndim=1)
        if end.size != n:
            raise ValueError(f"final must hold {n} scores (one per curve), got {end.size}")
        end = np.where(np.isfinite(end), orient(end, minimize), -np.inf)
    out = {key: [] for key in ("fraction", "n", *Similarity._fields[:-1])}
    for f in fractions:
        early = best_where(usable & (budget <= f * budget_max[run] * (1 + 1e-12)))
        ok = np.isfinite(early) & np.isfinite(end)
        if ok.sum() >= 2:
            sim = similarity(early[ok], end[ok], top=top)
        else:
            sim = Similarity(*([math.nan] * 5), n=int(ok.sum()))
        out["fraction"].append(f)
        out["n"].append(int(ok.sum()))
        for key in Similarity._fields[:-1]:
            out[key].append(getattr(sim, key))
    return {key: np.asarray(val, dtype=int if key == "n" else float) for key, val in out.items()}
