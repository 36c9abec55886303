r"""What a landscape analysis means for this search, in words, and :math:`\gamma` beside it.

:func:`interpret` turns a :class:`~bayesnq.landscape.LandscapeResult` into sentences a
user can act on: how rugged the landscape is against one noisy peak, whether scores
improve towards the best run, which hyperparameters carry the curvature near the best
runs, and, given posterior draws of the noisy quadratic's :math:`\gamma` from a tail fit,
whether the tail's effective dimension agrees with the local quadratic's.

The comparison. By the noisy-quadratic law, :math:`\gamma` is the number of directions in
which the score curves away from the optimum, the rank :math:`r` of the Hessian there:
under a uniform draw near the optimum :math:`P\{(x - x^*)^\top H (x - x^*) \le t\}
\propto t^{r/2}`, which is the noiseless tail mass :math:`((\beta - \tau)/w)^{\gamma/2}`
of the model with :math:`\gamma = r`. The local quadratic estimates the same number from the
geometry: the participation ratio :math:`PR = (\sum_j c_j)^2 / \sum_j c_j^2` of the
curvatures :math:`c_j = \max(-\lambda_j, 0)` and :math:`n_{10} = \#\{j : c_j \ge 0.1
\max c\}`, with bootstrap intervals. They *agree* when the central interval of
:math:`\gamma` (at the analysis' level) overlaps the union of the bootstrap intervals of
:math:`PR` and :math:`n_{10}`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["interpret", "compare_gamma"]


def _fmt(x) -> str:
    return f"{x:.3g}"


def compare_gamma(quadratic, gamma_draws, level: float = 0.95) -> dict:
    r"""Set the tail fit's :math:`\gamma` beside the local quadratic's effective dimension.

    Parameters
    ----------
    quadratic : QuadraticFit
    gamma_draws : array_like
        Posterior draws of :math:`\gamma`.
    level : float
        Central interval level of :math:`\gamma`.

    Returns
    -------
    dict
        ``gamma_median``, ``gamma_interval``, ``geometry_interval`` (the union of
        the PR and :math:`n_{10}` intervals), ``agree`` (the intervals overlap) and
        ``sentence``.
    """
    draws = np.asarray(gamma_draws, dtype=np.float64).ravel()
    draws = draws[np.isfinite(draws)]
    a = (1.0 - level) / 2.0
    lo, med, hi = (float(v) for v in np.quantile(draws, [a, 0.5, 1.0 - a]))
    pr_lo, pr_hi = quadratic.participation_interval
    n_lo, n_hi = quadratic.n_curved_interval
    g_lo, g_hi = min(pr_lo, n_lo), max(pr_hi, n_hi)
    agree = lo <= g_hi and g_lo <= hi
    head = (f"The tail fit's gamma puts about {_fmt(med)} curved directions near the optimum "
            f"(gamma, {level:.0%} interval [{_fmt(lo)}, {_fmt(hi)}]); the local quadratic "
            f"finds {_fmt(quadratic.participation_ratio)} (participation ratio, bootstrap "
            f"[{_fmt(pr_lo)}, {_fmt(pr_hi)}]) and {quadratic.n_curved} with at least 10% of "
            f"the largest curvature ([{_fmt(n_lo)}, {_fmt(n_hi)}]).")
    if agree:
        tail = " They agree: the tail of the scores and the geometry near the best runs tell " \
               "the same story about how many hyperparameters matter there."
    elif lo > g_hi:
        tail = (" They disagree: the tail sees more curved directions than the quadratic "
                "resolves; the runs near the best may be too few or too far apart for the "
                "quadratic, or the curvature is spread over directions the bootstrap "
                "cannot tell from noise.")
    else:
        tail = (" They disagree: the geometry shows more curved directions than the tail "
                "needs; the tail may not yet be in the quadratic regime (try a threshold "
                "closer to the best score), or some curvature is noise.")
    return {"gamma_median": med, "gamma_interval": [lo, hi],
            "geometry_interval": [g_lo, g_hi], "agree": bool(agree),
            "sentence": head + tail}


def _ruggedness(sub, measure="local_optima") -> str | None:
    value = sub.measures.get(measure)
    base = sub.baselines.get(measure, {})
    peak, perm = base.get("single-peak"), base.get("permutation")
    if value is None or peak is None:
        return None
    n = int(sub.measures["n_runs"])
    text = (f"The {n} runs hold {int(value)} local optima (runs better than their "
            f"{sub.graph.neighbors.shape[1]} nearest neighbours); one noisy "
            f"peak at the same configurations would give {_fmt(peak.mean)} "
            f"[{_fmt(peak.low)}, {_fmt(peak.high)}]")
    if perm is not None:
        text += f" and scores shuffled at random {_fmt(perm.mean)}"
    if value > peak.high:
        text += ": the landscape is more rugged than a single peak (several good regions, " \
                "or noise larger than estimated)."
    elif value < peak.low:
        text += ": it is smoother than one noisy peak."
    else:
        text += ": it is consistent with a single noisy peak."
    return text


def _funnel(sub) -> str | None:
    r = sub.measures.get("fdc_best")
    if r is None or not math.isfinite(r):
        return None
    if r <= -0.3:
        what = "scores get better towards the best run: one broad basin leads to it"
    elif r < -0.1:
        what = "scores improve weakly towards the best run: a shallow basin"
    else:
        what = "scores do not improve towards the best run: good runs are scattered"
    return f"Fitness-distance correlation {_fmt(r)} (negative means a funnel): {what}."


def _curvature(q, level) -> str | None:
    if q is None:
        return None
    curv = np.maximum(-np.asarray(q.eigenvalues), 0.0)
    if not curv.any():
        return ("The local quadratic around the best runs is not concave: no direction "
                "curves away from the best region within the noise (a plateau or a ridge).")
    order = np.argsort(-curv)
    strong = [j for j in order if curv[j] >= 0.1 * curv.max()]
    leads, named = [], set()
    for j in strong:
        v = np.abs(q.eigenvectors[:, j])
        top = [q.names[i] for i in np.argsort(-v) if v[i] >= 0.5 * v.max()]
        named.update(top)
        leads.append(top[0] if len(top) == 1 else f"{top[0]} (with {', '.join(top[1:])})")
    if len(strong) == 1:
        text = f"One direction, {leads[0]}, carries the curvature near the best runs"
    else:
        text = (f"{len(strong)} directions carry the curvature near the best runs, the "
                "strongest first: " + "; ".join(f"({k}) {lead}" for k, lead in
                                                 enumerate(leads, 1)))
    flat = [nm for nm in q.names if nm not in named]
    if flat:
        text += f"; the score hardly depends on {', '.join(flat)} there"
    text += (f" (participation ratio {_fmt(q.participation_ratio)}, {level:.0%} bootstrap "
             f"[{_fmt(q.participation_interval[0])}, {_fmt(q.participation_interval[1])}]; "
             f"quadratic R^2 {_fmt(q.r2)} on {q.m} runs).")
    if q.unidentified:
        text += (f" Too few distinct values of {', '.join(q.unidentified)} near the best "
                 "runs to measure their curvature.")
    return text


def interpret(result, gamma_draws=None) -> list[str]:
    r"""Sentences saying what the landscape measures mean for this search.

    Parameters
    ----------
    result : LandscapeResult
    gamma_draws : array_like, optional
        Posterior draws of :math:`\gamma` from a tail fit of the same scores; adds the
        comparison of :func:`compare_gamma`.

    Returns
    -------
    list of str
        Read on the non-failed runs when they form their own subset, else on all runs.
    """
    n_failed = int(np.asarray(result.failed).sum())
    key = "non-failed" if n_failed and "non-failed" in result.subsets else "all"
    sub = result.subsets[key]
    level = float(result.settings.get("level", 0.95))
    lines = [f"{result.y.size} runs over {len(result.names)} hyperparameters "
             f"({', '.join(result.names)}); {n_failed} failed"
             + (f"; read on the {sub.index.size} non-failed runs" if key == "non-failed" else "")
             + f"; noise sd {_fmt(result.settings['sigma'])} ({result.settings['sigma_source']})."]
    for text in (_ruggedness(sub), _funnel(sub), _curvature(sub.quadratic, level)):
        if text:
            lines.append(text)
    if gamma_draws is not None:
        if sub.quadratic is None:
            lines.append("Too few runs for the local quadratic: gamma has no geometry to be "
                         "compared with.")
        else:
            lines.append(compare_gamma(sub.quadratic, gamma_draws, level)["sentence"])
    else:
        lines.append("No tail fit given: name one (bayesnq landscape --fit PATH, or --fit same "
                     "--threshold X to fit it here) to set gamma beside the geometry.")
    return lines
