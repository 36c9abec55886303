r"""The fitted tail beyond the threshold: its cdf per draw, and replicated tails.

A fit models the scores beyond the threshold :math:`\tau`. Per posterior draw
:math:`\theta` the *truncated* cdf of that tail is

.. math::

    G_\theta(y) = P_\theta(Y \le y \mid Y > \tau) = 1 - \frac{S_\theta(y)}{S_\theta(\tau)},
    \; y > \tau \quad\text{(maximize)}, \qquad
    G_\theta(y) = \frac{F_\theta(y)}{F_\theta(\tau)}, \; y < \tau \quad\text{(minimize)},

computed in log space (:func:`tail_cdf`: :math:`-\mathrm{expm1}(\log S(y) - \log S(\tau))`).
Its spread over draws is the *parameter* uncertainty only. Whether the observed tail's
empirical cdf is a plausible sample needs the *posterior-predictive* spread as well
(parameter and sampling uncertainty): per draw, a replicated tail of the observed size
:math:`k` is drawn from :math:`G_\theta` (:func:`replicate_tails`) and its empirical cdf
taken; the band of those empirical cdfs over draws (:func:`tail_cdf_bands`) is where the
observed empirical cdf should lie.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq.curves.draws import PARAMETERS, as_draws, thin
from bayesnq.curves.pointwise import outer_logs
from bayesnq.distributions import NoisyQuadratic
from bayesnq.validation import check_bool, check_int, check_level, check_real

__all__ = ["TailBands", "tail_cdf", "replicate_tails", "empirical_cdf", "tail_cdf_bands"]

MAX_VALUES = 4_000_000  # scores drawn per round of replicate_tails (all draws together)


def tail_cdf(draws, y, threshold: float, *, minimize: bool) -> np.ndarray:
    r"""The truncated tail cdf :math:`G_\theta(y)` per draw, shape ``(draws, len(y))``.

    Parameters
    ----------
    draws : mapping or Fit
        Flat draws of alpha, beta, gamma, sigma (see :func:`bayesnq.curves.thin`).
    y : array_like
        1-D grid of scores.
    threshold : float
    minimize : bool
    """
    d = as_draws(draws)
    minimize = check_bool("minimize", minimize)
    threshold = check_real("threshold", threshold)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    # one compiled per-draw, per-point kernel serves every number of draws and points
    _, lc, ls = outer_logs(*(d[k] for k in PARAMETERS), np.append(y, threshold),
                           minimize=minimize)
    if minimize:  # F(y) / F(tau), capped at 1
        return np.exp(np.minimum(lc[:, :-1] - lc[:, -1:], 0.0))
    return -np.expm1(np.minimum(ls[:, :-1] - ls[:, -1:], 0.0))


def replicate_tails(draws, size: int, threshold: float, *, minimize: bool, seed: int = 0,
                    resolution: float | None = None, origin: float = 0.0,
                    max_rounds: int = 200) -> np.ndarray:
    r"""Per draw, ``size`` scores drawn from the tail beyond ``threshold``.

    Scores are drawn from :math:`Q_\theta` (:meth:`NoisyQuadratic.sample`) and those beyond
    the threshold kept, in rounds, until each draw has ``size`` of them (expected
    :math:`\text{size}/P_\theta(Y > \tau)` per draw; a draw still short after
    ``max_rounds`` rounds keeps NaN in its missing places). With a ``resolution`` :math:`h` the
    replicated scores are rounded to the lattice ``origin + h k`` (the scores' own), so a
    lattice search is compared with lattice replicates.

    Returns
    -------
    np.ndarray, shape (draws, size)
        Each row sorted, best last when maximizing (first when minimizing).
    """
    d = as_draws(draws)
    size = check_int("size", size, minimum=1)
    minimize = check_bool("minimize", minimize)
    threshold = check_real("threshold", threshold)
    params = [d[k] for k in PARAMETERS]
    n_draws = params[0].size
    _, lc, ls = outer_logs(*params, [threshold], minimize=minimize)
    log_mass = (lc if minimize else ls)[:, 0]
    mass = np.clip(np.exp(log_mass), 1e-12, 1.0)
    out = np.full((n_draws, size), np.nan)
    have = np.zeros(n_draws, dtype=int)
    key = jax.random.PRNGKey(seed)
    for _ in range(max_rounds):
        short = np.flatnonzero(have < size)
        if not short.size:
            break
        # enough for the draw with the least tail mass, within ~32 MB per round
        per = int(min(np.ceil(1.3 * size / mass[short].min()) + 16,
                      max(MAX_VALUES // short.size, 64)))
        key, sub = jax.random.split(key)
        sub_dist = NoisyQuadratic(*(jnp.asarray(p[short]) for p in params), minimize=minimize)
        y = np.asarray(sub_dist.sample(sub, (per,))).T  # (short draws, per)
        beyond = (y < threshold) if minimize else (y > threshold)
        for row, i in enumerate(short):
            kept = y[row][beyond[row]][: size - have[i]]
            out[i, have[i]: have[i] + kept.size] = kept
            have[i] += kept.size
    if resolution is not None:
        h = check_real("resolution", resolution, low=0.0, low_open=True)
        out = origin + np.round((out - origin) / h) * h
    return np.sort(out, axis=1)


def empirical_cdf(sorted_rows, y) -> np.ndarray:
    """Right-continuous empirical cdf of each row of ``sorted_rows`` on the grid ``y``.

    ``sorted_rows``: shape ``(rows, k)``, each row sorted ascending (NaN last); returns
    ``(rows, len(y))``: the share of each row's finite values ``<= y``.
    """
    rows = np.atleast_2d(np.asarray(sorted_rows, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    counts = np.isfinite(rows).sum(1)
    out = np.empty((rows.shape[0], y.size))
    for i, row in enumerate(rows):
        out[i] = np.searchsorted(row[: counts[i]], y, side="right") / max(counts[i], 1)
    return out


@dataclass(frozen=True)
class TailBands:
    r"""The tail cdf of a fit on a grid: parameter and posterior-predictive bands.

    Attributes
    ----------
    y : np.ndarray
        Grid of scores, from the threshold outwards (ascending).
    median, lower, upper : np.ndarray
        Posterior median and equal-tailed ``ci`` band of :math:`G_\theta(y)` (parameter
        uncertainty).
    pred_median, pred_lower, pred_upper : np.ndarray
        Median and ``ci`` band of the empirical cdf of a replicated tail of the observed
        size (parameter and sampling uncertainty).
    ci : float
    size : int
        Observed tail size (of each replicate).
    """

    y: np.ndarray
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    pred_median: np.ndarray
    pred_lower: np.ndarray
    pred_upper: np.ndarray
    ci: float
    size: int


def tail_cdf_bands(draws, y, threshold: float, size: int, *, minimize: bool, ci: float = 0.9,
                   max_draws: int | None = 500, seed: int = 0,
                   resolution: float | None = None, origin: float = 0.0) -> TailBands:
    r""":func:`tail_cdf` and the empirical cdfs of :func:`replicate_tails` summarized on ``y``.

    Both bands are equal-tailed ``ci`` intervals over (at most ``max_draws``) posterior
    draws; the predictive one holds, per draw, the empirical cdf of ``size`` replicated
    tail scores.
    """
    ci = check_level("ci", ci)
    d = thin(draws, max_draws, seed)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    g = tail_cdf(d, y, threshold, minimize=minimize)
    reps = replicate_tails(d, size, threshold, minimize=minimize, seed=seed,
                           resolution=resolution, origin=origin)
    e = empirical_cdf(reps, y)
    qs = [(1 - ci) / 2, 0.5, (1 + ci) / 2]
    lo, med, hi = np.quantile(g, qs, axis=0)
    plo, pmed, phi = np.quantile(e, qs, axis=0)
    return TailBands(y=y, median=med, lower=lo, upper=hi, pred_median=pmed, pred_lower=plo,
                     pred_upper=phi, ci=ci, size=int(size))
