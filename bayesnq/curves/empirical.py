r"""Empirical tuning curves: the best of ``n`` draws with replacement from the observed scores.

These need no model: they are the bootstrap counterparts of the posterior curves, exact
for any ``n`` (the order statistics' probabilities are computed in log space).
"""

from __future__ import annotations

import math

import numpy as np

from bayesnq.curves.draws import check_n
from bayesnq.validation import check_bool, check_level

__all__ = ["empirical_tuning_curve", "empirical_average_tuning_curve"]


def _check_values(values) -> np.ndarray:
    try:
        y = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"values must be numeric scores, got {type(values).__name__}") from None
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array of scores, got shape {y.shape}")
    if np.isnan(y).any():
        raise ValueError(f"values: {int(np.isnan(y).sum())} scores are NaN")
    return y


def empirical_tuning_curve(values, n, *, minimize: bool, q: float = 0.5) -> np.ndarray:
    r"""q-quantile of the best of ``n`` draws with replacement from the observed scores.

    With order statistics :math:`y_{(1)} \le \dots \le y_{(N)}` and the empirical cdf
    :math:`\hat F(y_{(i)}) = i/N`, the best of ``n`` resampled scores has cdf
    :math:`\hat F(y)^n` (maximize) or :math:`1 - (1 - \hat F(y))^n` (minimize), so its
    q-quantile (the smallest :math:`y` whose cdf reaches :math:`q`) is
    :math:`y_{(i)}` with :math:`i = \lceil N p\rceil`, :math:`p = q^{1/n}` (maximize) or
    :math:`p = 1 - (1 - q)^{1/n}` (minimize). The comparison :math:`i/N \ge p` is made in
    log space, so large ``n`` is exact.

    Parameters
    ----------
    values : array_like or Scores, shape (N,)
    n : float or array_like, shape (m,)
        Each :math:`\ge 1`.
    minimize : bool
    q : float, default 0.5

    Returns
    -------
    np.ndarray, shape (m,)
    """
    minimize = check_bool("minimize", minimize)
    q = check_level("q", q)
    n = check_n(n)
    y = np.sort(_check_values(values))
    size = y.size
    log_grid = np.log(np.arange(1, size + 1) / size)  # log(i / N)
    if minimize:
        log_p = np.log(-np.expm1(math.log1p(-q) / n))
    else:
        log_p = math.log(q) / n
    idx = np.searchsorted(log_grid, log_p, side="left")
    return y[np.minimum(idx, size - 1)]


def empirical_average_tuning_curve(values, n, *, minimize: bool) -> np.ndarray:
    r"""Mean of the best of ``n`` draws with replacement from the observed scores.

    .. math::

        E[\hat T_n] = \sum_{i=1}^N y_{(i)}\Big[\Big(\frac iN\Big)^n
                       - \Big(\frac{i-1}N\Big)^n\Big] \quad\text{(maximize)},

    and with :math:`(N-i+1)/N` and :math:`(N-i)/N` in place of :math:`i/N`,
    :math:`(i-1)/N` when minimizing (the probability that the minimum is :math:`y_{(i)}`).
    The weights are computed as :math:`(i/N)^n (1 - ((i-1)/i)^n)` in log space.

    Parameters
    ----------
    values : array_like or Scores, shape (N,)
    n : float or array_like, shape (m,)
    minimize : bool

    Returns
    -------
    np.ndarray, shape (m,)
    """
    minimize = check_bool("minimize", minimize)
    n = check_n(n)
    y = np.sort(_check_values(values))
    size = y.size
    i = np.arange(1, size + 1, dtype=np.float64)
    log_top = np.log(i / size)  # log(i/N)
    with np.errstate(divide="ignore"):
        log_ratio = np.log((i - 1) / i)
    nn = n[:, None]
    # P(best = the i-th smallest) for the max; reversed order for the min
    weights = np.exp(nn * log_top) * -np.expm1(nn * log_ratio)
    if minimize:
        weights = weights[:, ::-1]
    terms = np.where(weights > 0, weights * np.where(weights > 0, y, 0.0), 0.0)
    return terms.sum(axis=1)
