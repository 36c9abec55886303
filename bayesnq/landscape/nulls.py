r"""Null landscapes on the same graph: permuted scores and a simulated single peak.

Graph counts mean little on their own: the same counts are computed for scores permuted
over the same graph ("permutation": keeps the score distribution, destroys all spatial
structure) and for a simulated single-peak landscape evaluated at the same configurations
("single-peak": the concave part of a fitted local quadratic around the best run plus
Gaussian noise, see :class:`SinglePeak`). :class:`Baseline` summarises the draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from bayesnq.direction import orient
from bayesnq.landscape import numerics as nx
from bayesnq.landscape.checks import check_floor, check_points, check_scores
from bayesnq.landscape.graph import check_graph
from bayesnq.landscape.quadratic import QuadraticFit, local_quadratic
from bayesnq.validation import (check_array, check_choice, check_finite, check_int,
                                check_minimize, check_real, fail)

__all__ = ["Baseline", "SinglePeak", "null_distribution", "single_peak"]


class Baseline(NamedTuple):
    """Summary of a statistic over null replicates.

    Attributes
    ----------
    mean : float
        Mean over replicates.
    low, high : float
        Equal-tailed percentile interval at the requested level.
    n : int
        Number of replicates.
    """

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def from_draws(cls, draws, level=0.95):
        draws = np.asarray(draws, dtype=float)
        if draws.size == 0:
            return cls(math.nan, math.nan, math.nan, 0)
        alpha = (1.0 - level) / 2.0
        low, high = np.quantile(draws, [alpha, 1.0 - alpha])
        return cls(float(draws.mean()), float(low), float(high), int(draws.size))


def null_distribution(graph, statistic, *, kind="permutation", n=200, surrogate=None, seed=0):
    """Draws of a graph statistic under a null landscape on the same graph.

    Parameters
    ----------
    graph : KNNGraph
    statistic : callable
        ``statistic(graph_with_null_scores) -> float or mapping of str to float``.
    kind : {"permutation", "single-peak"}, default "permutation"
        ``"permutation"`` shuffles the observed scores over the runs (keeps the score
        distribution, destroys all spatial structure); ``"single-peak"`` draws scores from
        ``surrogate`` at the same configurations.
    n : int, default 200
        Number of replicates.
    surrogate : SinglePeak, optional
        Needed for ``kind="single-peak"``; defaults to :func:`single_peak` on the graph.
    seed : int, default 0

    Returns
    -------
    numpy.ndarray of shape (n,) or dict of str to numpy.ndarray
        One draw per replicate (a dict when ``statistic`` returns a mapping).
    """
    graph = check_graph(graph)
    if not callable(statistic):
        raise fail("statistic", "callable", statistic)
    kind = check_choice("kind", kind, ("permutation", "single-peak"))
    n = check_int("n", n, minimum=1)
    if kind == "permutation":
        rng = nx.rng(seed, nx.STREAM_PERMUTATION)

        def draw():
            return rng.permutation(graph.g)
    else:
        if surrogate is None:
            surrogate = single_peak(graph.u, graph.g, graph=graph)
        elif not isinstance(surrogate, SinglePeak):
            raise fail("surrogate", "a SinglePeak", surrogate)
        rng = nx.rng(seed, nx.STREAM_SINGLE_PEAK)
        mean = surrogate.mean(graph.u)

        def draw():
            return surrogate.sample(graph.u, rng, mean=mean)
    draws = [statistic(graph.with_scores(draw())) for _ in range(n)]
    if isinstance(draws[0], Mapping):
        return {key: np.array([d[key] for d in draws], dtype=float) for key in draws[0]}
    return np.asarray(draws, dtype=float)


@dataclass(frozen=True, eq=False)
class SinglePeak:
    r"""A single-peak, noisy-quadratic-like landscape in oriented units.

    .. math::
        g(u) = \max\bigl(g_\mathrm{floor},\;
               g^* - (u - u^*)^\top C (u - u^*) + \varepsilon\bigr),
        \qquad \varepsilon \sim N(0, \sigma^2),

    with :math:`C = -\tfrac12 H_-` positive semi-definite, :math:`H_-` the concave part of a
    Hessian (positive eigenvalues set to zero), so that :math:`(u - u^*)^\top C (u - u^*)
    = \lVert A (u - u^*) \rVert^2` with :math:`A^\top A = C`. Flat directions stay flat,
    exactly as in the noisy quadratic distribution whose :math:`\gamma` is the rank of
    :math:`C`.

    Attributes
    ----------
    center : numpy.ndarray of shape (d,)
        Peak location :math:`u^*`.
    peak : float
        Peak value :math:`g^*`.
    curvature : numpy.ndarray of shape (d, d)
        :math:`C`.
    sigma : float
        Noise standard deviation.
    floor : float
        Lowest simulated value (``-inf`` for none).
    """

    center: np.ndarray
    peak: float
    curvature: np.ndarray
    sigma: float
    floor: float

    def mean(self, u):
        """Noiseless surrogate values at the rows of ``u``."""
        z = np.asarray(u, dtype=float) - self.center
        return self.peak - np.einsum("ij,jk,ik->i", z, self.curvature, z)

    def sample(self, u, rng, *, mean=None):
        """One noisy draw at the rows of ``u``, floored."""
        base = self.mean(u) if mean is None else mean
        return np.maximum(base + self.sigma * rng.standard_normal(base.size), self.floor)


def single_peak(u, y, *, minimize=False, hessian=None, sigma=None, quadratic=None, floor=None,
                graph=None):
    """Fit the single-peak surrogate of :class:`SinglePeak` to observed runs.

    The peak sits at the best run (:math:`u^*`, :math:`g^*`). The curvature is the concave part
    of ``hessian`` (in oriented units) when given, otherwise of ``quadratic.hessian``, otherwise
    of a fresh :func:`~bayesnq.landscape.local_quadratic` fit. ``sigma`` defaults to that fit's
    residual standard deviation (an upper estimate of the noise: it includes lack of fit);
    ``floor`` defaults to the worst observed oriented score, so the surrogate has the same
    floor as the data.

    Parameters
    ----------
    u : array_like of shape (n, d)
    y : array_like of shape (n,)
    minimize : bool, default False
    hessian : array_like of shape (d, d), optional
        Symmetric Hessian of the oriented score.
    sigma : float, optional
        Noise standard deviation, >= 0.
    quadratic : QuadraticFit, optional
    floor : float, optional
        Oriented floor; ``-inf`` disables flooring.
    graph : KNNGraph, optional
        kNN graph of the same runs, reused to centre a fresh local quadratic.

    Returns
    -------
    SinglePeak
    """
    u = check_points("u", u)
    g = orient(check_scores("y", y, u.shape[0]), check_minimize(minimize))
    d = u.shape[1]
    if quadratic is not None and not isinstance(quadratic, QuadraticFit):
        raise fail("quadratic", "a QuadraticFit", quadratic)
    if hessian is None:
        if quadratic is None:
            quadratic = local_quadratic(u, g, n_bootstrap=1, graph=graph)
        hessian = quadratic.hessian
    hessian = check_finite("hessian", check_array("hessian", hessian, ndim=2))
    if hessian.shape != (d, d):
        raise ValueError(f"hessian must have shape ({d}, {d}), got hessian of shape "
                         f"{hessian.shape}")
    if not np.allclose(hessian, hessian.T, rtol=1e-8, atol=1e-12 * max(1.0, np.abs(hessian).max())):
        raise fail("hessian", "symmetric", hessian)
    if sigma is None:
        if quadratic is None:
            quadratic = local_quadratic(u, g, n_bootstrap=1, graph=graph)
        sigma = quadratic.sigma
    sigma = check_real("sigma", sigma, low=0.0)
    floor = float(g.min()) if floor is None else check_floor("floor", floor)
    lam, vec = np.linalg.eigh(0.5 * (hessian + hessian.T))
    curvature = (vec * -np.minimum(lam, 0.0) / 2.0) @ vec.T
    best = int(np.argmax(g))
    return SinglePeak(u[best].copy(), float(g[best]), curvature, sigma, float(floor))
