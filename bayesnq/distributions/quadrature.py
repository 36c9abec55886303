r"""Quadrature rules on :math:`[0, 1]`: tanh–sinh, Gauss–Legendre and panels of it.

Every rule is given as three numpy arrays over its nodes: the fraction of the interval
below each node, the fraction above it (each exact where it is small, so that a node can
be placed next to either end of a piece without rounding it onto the end) and the log of
each weight (the weights of tanh–sinh span hundreds of orders of magnitude). A node of a
rule on :math:`[a, a + w]` sits at :math:`a + w f` with weight :math:`w e^{\log w_i}`.

The rules are built once, in float64, when the modules that use them are imported:
:mod:`~bayesnq.distributions.integrals` (the distribution's integrals) and
:mod:`~bayesnq.distributions.order_statistics` (the expected best of ``n``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["gauss_legendre", "panels", "tanh_sinh", "tanh_sinh_end"]


def tanh_sinh(j_left: int, j_right: int, h: float):
    """Tanh-sinh on [0, 1], nodes at x = h j for j = -j_left..j_right.

    Returns the fraction of the window below and above each node and the log-weights.
    """
    x = h * np.arange(-j_left, j_right + 1)
    t = np.pi * np.sinh(x)
    frac_lo = np.exp(-np.logaddexp(0.0, -t))
    frac_hi = np.exp(-np.logaddexp(0.0, t))
    return frac_lo, frac_hi, _tanh_sinh_log_weights(x, h)


def _tanh_sinh_log_weights(x, h):
    t = np.pi * np.sinh(x)
    return (np.log(h * np.pi) + np.log(np.cosh(x)) - np.abs(t)
            - 2 * np.logaddexp(0.0, -np.abs(t)))


def tanh_sinh_end(j_first: int, n_end: int, h: float):
    """The ``n_end`` tanh-sinh nodes left of node ``j_first`` (for the r^(k-1) end).

    Returns their log-weights, their log-fractions (exact: every one is below 1e-42, where
    log(fraction) = -log(1 + e^(-t))), and the log of the fraction below the cell of the
    leftmost of them and below that of node ``j_first``.
    """
    x = h * np.arange(j_first - n_end, j_first)
    log_frac = -np.logaddexp(0.0, -np.pi * np.sinh(x))
    log_cut = -np.logaddexp(0.0, -np.pi * np.sinh(x[0] - h / 2))
    log_cut_rule = -np.logaddexp(0.0, -np.pi * np.sinh(h * j_first - h / 2))
    return _tanh_sinh_log_weights(x, h), log_frac, float(log_cut), float(log_cut_rule)


def gauss_legendre(n: int):
    """Gauss-Legendre on [0, 1]: fractions below and above each node, log-weights."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (1.0 + x), 0.5 * (1.0 - x), np.log(0.5 * w)


def panels(n_panels, n_nodes):
    """Fractions, complements and log-weights of equal Gauss-Legendre panels on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    j = np.arange(n_panels)[:, None]
    frac = ((j + 0.5 * (x + 1.0)) / n_panels).ravel()
    comp = ((n_panels - 1 - j + 0.5 * (1.0 - x)) / n_panels).ravel()
    log_w = np.tile(np.log(w / (2.0 * n_panels)), n_panels)
    return frac, comp, log_w
