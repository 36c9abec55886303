r"""Landscape measures on runs and their kNN graph.

Fitness-distance correlation, local optima, connected components of the top set, basins of
steepest ascent, neutrality, score assortativity and the distance correlogram (Huang & Li,
arXiv 2311.14014, adapted from full grids to the scattered output of random search). Every
measure works on oriented scores (larger is better), so correlations with distance (FDC,
NDC) are negative on a "good" landscape whether the search maximized or minimized. The
counts come with baselines from :mod:`bayesnq.landscape.nulls`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from bayesnq.direction import orient
from bayesnq.landscape import numerics as nx
from bayesnq.landscape.checks import check_points, check_scores
from bayesnq.landscape.graph import ascent, check_graph, components
from bayesnq.landscape.nulls import Baseline, null_distribution, single_peak
from bayesnq.validation import (check_choice, check_int, check_level, check_minimize,
                                check_real, fail)

__all__ = ["LocalOptima", "Components", "Basins", "Neutrality", "fdc", "local_optima",
           "superlevel_components", "basins", "neutrality", "assortativity", "correlogram"]


def fdc(u, y, *, minimize=False, reference="best", m=10, method="spearman"):
    r"""Fitness-distance correlation.

    .. math:: \mathrm{FDC} = \rho(g_i, \lVert u_i - u_\mathrm{ref} \rVert_2)

    with the oriented score :math:`g` (larger is better) and :math:`\rho` Spearman's (default)
    or Pearson's correlation. ``reference="best"`` takes :math:`u_\mathrm{ref}` as the best run,
    which is then left out; ``reference="top"`` takes the centroid of the top ``m`` runs (less
    sensitive to the noise in the argmax).

    **Sign convention.** Because :math:`g` is oriented, FDC < 0 means that better runs sit
    closer to the reference, i.e. a "good", funnel-like landscape, whether the original scores
    are maximized or minimized (for minimized losses this is the negative of the classical
    loss-distance correlation).

    Parameters
    ----------
    u : array_like of shape (n, d)
        Encoded configurations.
    y : array_like of shape (n,)
        Scores.
    minimize : bool, default False
        Whether smaller scores are better.
    reference : {"best", "top"}, default "best"
    m : int, default 10
        Size of the top set for ``reference="top"``.
    method : {"spearman", "pearson"}, default "spearman"

    Returns
    -------
    float
        The correlation (NaN when undefined, e.g. constant scores).
    """
    u = check_points("u", u)
    g = orient(check_scores("y", y, u.shape[0]), check_minimize(minimize))
    reference = check_choice("reference", reference, ("best", "top"))
    method = check_choice("method", method, ("spearman", "pearson"))
    m = check_int("m", m, minimum=1)
    corr = nx.spearman if method == "spearman" else nx.pearson
    if reference == "best":
        best = int(np.argmax(g))
        others = np.arange(g.size) != best
        if others.sum() < 2:
            return math.nan
        return corr(g[others], nx.distance_to(u[others], u[best]))
    if g.size < 2:
        return math.nan
    centroid = u[nx.top_set(g, min(m, g.size))].mean(axis=0)
    return corr(g, nx.distance_to(u, centroid))


class LocalOptima(NamedTuple):
    """Local optima of a kNN landscape and their two baselines.

    Attributes
    ----------
    is_optimum : numpy.ndarray of bool, shape (n,)
    gap : numpy.ndarray of shape (n,)
        :math:`g_i - \\max_{j \\in N_k(i)} g_j` (oriented units).
    count : int
    permutation, single_peak : Baseline
        The count under permuted scores and under the single-peak surrogate.
    """

    is_optimum: np.ndarray
    gap: np.ndarray
    count: int
    permutation: Baseline
    single_peak: Baseline


def _margin_gap(margin, sigma):
    margin = check_real("margin", margin, low=0.0)
    if sigma is None:
        if margin > 0:
            raise fail("sigma", f"given to use margin={margin!r} (margin is in units of sigma)",
                       sigma)
        return 0.0
    return margin * check_real("sigma", sigma, low=0.0, low_open=True)


def local_optima(graph, *, margin=0.0, sigma=None, surrogate=None, n_permutations=200,
                 n_simulations=100, level=0.95, seed=0):
    r"""Strict local optima of the kNN landscape, with permutation and single-peak baselines.

    .. math:: \mathrm{LO} = \{ i : g_i > \max_{j \in N_k(i)} g_j + \delta \},
              \qquad \delta = \mathrm{margin} \cdot \sigma .

    Ties never make an optimum, so a flat plateau (e.g. failed runs at a floor) adds none.
    Even a smooth single peak yields several kNN optima through noise and flat directions;
    hence the two baselines on the same graph: the count for randomly permuted scores (the
    i.i.d. count is about :math:`n/(k+1)`) and for scores simulated from ``surrogate``
    (default :func:`single_peak` with the supplied ``sigma``).

    Parameters
    ----------
    graph : KNNGraph
    margin : float, default 0
        Required margin in units of ``sigma`` (needs ``sigma`` when > 0).
    sigma : float, optional
        Evaluation noise standard deviation (score units).
    surrogate : SinglePeak, optional
    n_permutations, n_simulations : int, default 200, 100
    level : float, default 0.95
        Level of the baseline intervals.
    seed : int, default 0

    Returns
    -------
    LocalOptima
    """
    graph = check_graph(graph)
    delta = _margin_gap(margin, sigma)
    level = check_level("level", level)
    if surrogate is None:
        surrogate = single_peak(graph.u, graph.g, sigma=sigma, graph=graph)

    def count(gr):
        nb_max = gr.g[gr.neighbors].max(axis=1)
        return float(np.count_nonzero(gr.g - nb_max > delta))

    gap = graph.g - graph.g[graph.neighbors].max(axis=1)
    is_opt = gap > delta
    perm = null_distribution(graph, count, n=n_permutations, seed=seed)
    sim = null_distribution(graph, count, kind="single-peak", n=n_simulations,
                            surrogate=surrogate, seed=seed)
    return LocalOptima(is_opt, gap, int(is_opt.sum()), Baseline.from_draws(perm, level),
                       Baseline.from_draws(sim, level))


class Components(NamedTuple):
    """Connected components of the top-q superlevel set, with baselines for the count.

    Attributes
    ----------
    count : int
    largest_share : float
        Share of the top set in the largest component.
    label : numpy.ndarray of shape (n,)
        Component label of each top run, -1 elsewhere.
    permutation, single_peak : Baseline
    """

    count: int
    largest_share: float
    label: np.ndarray
    permutation: Baseline
    single_peak: Baseline


def superlevel_components(graph, *, q=0.1, surrogate=None, n_permutations=200,
                          n_simulations=100, level=0.95, seed=0):
    r"""Connected components of the top-q superlevel set on the symmetrised kNN graph.

    The top set :math:`T` holds the :math:`\max(1, \mathrm{round}(q n))` best runs; the count
    is the number of connected components of the subgraph induced by :math:`T`. One component
    means that the good region is one connected blob at the graph's resolution; a permutation
    of the scores scatters :math:`T` into many.

    Parameters
    ----------
    graph : KNNGraph
    q : float, default 0.1
        Top fraction, in (0, 1).
    surrogate : SinglePeak, optional
        Default :func:`single_peak` on the graph.
    n_permutations, n_simulations : int, default 200, 100
    level : float, default 0.95
    seed : int, default 0

    Returns
    -------
    Components
    """
    graph = check_graph(graph)
    n_top = nx.n_top(graph.n, check_level("q", q))
    level = check_level("level", level)
    if surrogate is None:
        surrogate = single_peak(graph.u, graph.g, graph=graph)

    def count(gr):
        return float(components(gr.edges, nx.top_mask(gr.g, n_top))[0])

    n_comp, largest, label = components(graph.edges, nx.top_mask(graph.g, n_top))
    perm = null_distribution(graph, count, n=n_permutations, seed=seed)
    sim = null_distribution(graph, count, kind="single-peak", n=n_simulations,
                            surrogate=surrogate, seed=seed)
    return Components(n_comp, largest, label, Baseline.from_draws(perm, level),
                      Baseline.from_draws(sim, level))


class Basins(NamedTuple):
    """Basins of attraction under steepest ascent on the kNN graph.

    Attributes
    ----------
    attractor : numpy.ndarray of shape (n,)
        Index of the run where each run's ascent stops.
    sizes : numpy.ndarray of shape (n,)
        ``sizes[i]``: number of runs whose attractor is ``i`` (0 for non-attractors).
    n_attractors : int
    funnel_fraction : float
        Share of runs whose attractor is in the top-q set.
    largest_share : float
        Largest basin's share of runs.
    best_share : float
        The global best run's basin share.
    """

    attractor: np.ndarray
    sizes: np.ndarray
    n_attractors: int
    funnel_fraction: float
    largest_share: float
    best_share: float


def basins(graph, *, q=0.1):
    r"""Steepest-ascent basins and the funnel fraction.

    Each run moves to its best neighbour while that neighbour is strictly better,

    .. math:: \mathrm{next}(i) = \operatorname*{arg\,max}_{j \in N_k(i)} g_j
              \ \text{ if } \max_{j \in N_k(i)} g_j > g_i, \text{ else } i,

    and stops at its attractor. Attractors are the strict local optima plus runs tied with
    their best neighbour (plateaus). The **funnel fraction** is

    .. math:: F_q = \#\{ i : g_{\mathrm{att}(i)} \in T_q \} / n,

    with :math:`T_q` the top-q set: the share of runs from which greedy neighbour steps reach
    the good region. Basin sizes depend on ``k``; the funnel fraction much less so.

    Parameters
    ----------
    graph : KNNGraph
    q : float, default 0.1

    Returns
    -------
    Basins
    """
    graph = check_graph(graph)
    n_top = nx.n_top(graph.n, check_level("q", q))
    g = graph.g
    rows = np.arange(g.size)
    nb = g[graph.neighbors]
    jmax = nb.argmax(axis=1)
    attractor = ascent(g, graph.neighbors[rows, jmax], nb[rows, jmax])
    sizes = np.bincount(attractor, minlength=g.size)
    top = nx.top_mask(g, n_top)
    return Basins(attractor, sizes, int(np.count_nonzero(sizes)), float(top[attractor].mean()),
                  float(sizes.max() / g.size), float(sizes[int(np.argmax(g))] / g.size))


class Neutrality(NamedTuple):
    r"""Neutrality of a kNN landscape.

    Attributes
    ----------
    nu : float
        Share of directed neighbour pairs with :math:`|g_i - g_j| \le \varepsilon`.
    nu_i : numpy.ndarray of shape (n,)
        The same share per run.
    ndc : float
        Spearman correlation of :math:`\nu_i` with the distance to the best run (best left
        out); < 0 means flatter near the optimum.
    eps : float
        Absolute threshold used.
    """

    nu: float
    nu_i: np.ndarray
    ndc: float
    eps: float


def neutrality(graph, *, eps=0.01, sigma=None):
    r"""Neutrality :math:`\nu` and the neutrality-distance correlation (NDC).

    .. math::
        \nu_i = \frac1k \sum_{j \in N_k(i)} \mathbf 1[|g_i - g_j| \le \varepsilon], \qquad
        \nu = \frac1n \sum_i \nu_i, \qquad
        \mathrm{NDC} = \rho_S(\nu_i, \lVert u_i - u_\mathrm{best} \rVert).

    Parameters
    ----------
    graph : KNNGraph
    eps : float, default 0.01
        Threshold; in units of ``sigma`` when ``sigma`` is given, else in score units.
    sigma : float, optional
        Evaluation noise standard deviation.

    Returns
    -------
    Neutrality
    """
    graph = check_graph(graph)
    eps = check_real("eps", eps, low=0.0)
    if sigma is not None:
        eps *= check_real("sigma", sigma, low=0.0, low_open=True)
    g = graph.g
    nu_i = (np.abs(g[graph.neighbors] - g[:, None]) <= eps).mean(axis=1)
    return Neutrality(float(nu_i.mean()), nu_i, ndc(graph, nu_i), eps)


def ndc(graph, nu_i):
    """Spearman correlation of per-run neutrality with the distance to the best run."""
    best = int(np.argmax(graph.g))
    others = np.arange(graph.n) != best
    return nx.spearman(nu_i[others], nx.distance_to(graph.u[others], graph.u[best]))


def assortativity(graph):
    r"""Score assortativity over the edges of the symmetrised kNN graph.

    Pearson's correlation of :math:`(g_i, g_j)` over the undirected edge list with both
    orientations, i.e. with :math:`\mu` the mean over edge endpoints,

    .. math:: r = \frac{2 \sum_{(i,j)} (g_i - \mu)(g_j - \mu)}
                       {\sum_{(i,j)} (g_i - \mu)^2 + (g_j - \mu)^2}.

    Near 1: neighbours score alike (smooth landscape); near 0: no spatial structure.

    Parameters
    ----------
    graph : KNNGraph

    Returns
    -------
    float
    """
    graph = check_graph(graph)
    return edge_assortativity(graph.g, graph.edges)


def correlogram(u, y, *, minimize=False, bins=10, max_pairs=200_000, seed=0):
    r"""Distance correlogram of the scores.

    For pairs of runs in distance bin :math:`h`,

    .. math:: \rho(h) = \frac{1}{N_h\, s^2} \sum_{(i,j) \in h} (g_i - \bar g)(g_j - \bar g),

    with :math:`\bar g`, :math:`s^2` the mean and variance over all runs (Moran-type). Bins have
    equal pair counts. All :math:`n(n-1)/2` pairs are used when there are at most
    ``max_pairs`` of them, else ``max_pairs`` random pairs, so memory stays linear in ``n``.

    Parameters
    ----------
    u : array_like of shape (n, d)
    y : array_like of shape (n,)
    minimize : bool, default False
    bins : int, default 10
    max_pairs : int, default 200000
    seed : int, default 0

    Returns
    -------
    dict
        ``edges`` (bins + 1,), ``distance`` (mean pair distance per bin), ``rho``, ``count``.
    """
    u = check_points("u", u)
    g = orient(check_scores("y", y, u.shape[0]), check_minimize(minimize))
    bins = check_int("bins", bins, minimum=1)
    max_pairs = check_int("max_pairs", max_pairs, minimum=1)
    n = g.size
    if n < 2:
        raise ValueError(f"y must hold at least 2 scores for a correlogram, got {n}")
    n_pairs = n * (n - 1) // 2
    if n_pairs <= max_pairs:
        i, j = np.triu_indices(n, 1)
    else:
        rng = nx.rng(seed, nx.STREAM_CORRELOGRAM)
        i = rng.integers(n, size=max_pairs)
        j = rng.integers(n - 1, size=max_pairs)
        j += j >= i
    dist = nx.distance_to(u[i], u[j])
    c = g - g.mean()
    var = nx.dot(c, c) / n
    prod = c[i] * c[j] / var if var > 0 else np.full(i.size, np.nan)
    edges = np.quantile(dist, np.linspace(0.0, 1.0, bins + 1))
    which = np.clip(np.searchsorted(edges, dist, side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.bincount(which, weights=prod, minlength=bins) / count
        mean_dist = np.bincount(which, weights=dist, minlength=bins) / count
    return {"edges": edges, "distance": mean_dist, "rho": rho, "count": count}


def graph_statistics(graph, *, n_top, gaps, eps, full=False):
    """All graph statistics of the graph's oriented scores in one pass.

    ``gaps`` maps a label to an absolute optimum margin, ``eps`` a label to an absolute
    neutrality threshold. With ``full`` the per-run arrays are returned as well.
    """
    g = graph.g
    nb = g[graph.neighbors]
    jmax = nb.argmax(axis=1)
    rows = np.arange(g.size)
    nb_max = nb[rows, jmax]
    gap = g - nb_max
    top = nx.top_mask(g, n_top)
    out = {}
    for label, threshold in gaps.items():
        out[f"local_optima{label}"] = float(np.count_nonzero(gap > threshold))
    out["local_optima_top"] = float(np.count_nonzero((gap > 0) & top))
    n_comp, largest, label = components(graph.edges, top)
    out["components"] = float(n_comp)
    out["largest_component"] = largest
    attractor = ascent(g, graph.neighbors[rows, jmax], nb_max)
    out["funnel_fraction"] = float(top[attractor].mean())
    out["assortativity"] = edge_assortativity(g, graph.edges)
    close = {}
    for lab, e in eps.items():
        close[lab] = (np.abs(nb - g[:, None]) <= e).mean(axis=1)
        out[f"neutrality{lab}"] = float(close[lab].mean())
    if not full:
        return out
    arrays = {"gap": gap, "top": top, "component": label, "attractor": attractor,
              "neutrality": close}
    return out, arrays


def edge_assortativity(g, edges):
    """Pearson correlation of scores over both orientations of every edge (see above)."""
    a = g[edges[:, 0]]
    b = g[edges[:, 1]]
    mu = 0.5 * (a.mean() + b.mean())
    da = a - mu
    db = b - mu
    den = nx.dot(da, da) + nx.dot(db, db)
    return 2.0 * nx.dot(da, db) / den if den > 0 else math.nan
