r"""The k-nearest-neighbour graph of runs, and the graph algorithms the measures use.

:math:`N_k(i)` are the :math:`k` nearest neighbours of run :math:`i` in the encoded space
(Euclidean, KD-tree, :math:`i` itself excluded). Local optima and steepest ascent use the
directed neighbour lists; components, assortativity and the correlogram use the
symmetrised, de-duplicated edge set. Scores on the graph are *oriented*, ``g = y`` when
maximizing and ``g = -y`` when minimizing (:mod:`bayesnq.direction`), so larger is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from bayesnq.direction import orient, to_user
from bayesnq.landscape.checks import check_points, check_scores
from bayesnq.validation import check_int, check_minimize, fail

__all__ = ["KNNGraph", "knn_graph"]


@dataclass(frozen=True, eq=False)
class KNNGraph:
    """Runs, their oriented scores, and their k-nearest-neighbour graph.

    Attributes
    ----------
    u : numpy.ndarray of shape (n, d)
        Encoded configurations.
    g : numpy.ndarray of shape (n,)
        Oriented scores (``y`` when maximizing, ``-y`` when minimizing).
    minimize : bool
        Direction of the original scores.
    neighbors : numpy.ndarray of shape (n, k)
        ``neighbors[i]`` lists the ``k`` nearest other runs, nearest first.
    distances : numpy.ndarray of shape (n, k)
        The matching Euclidean distances.
    edges : numpy.ndarray of shape (E, 2)
        Undirected edges ``(i, j)``, ``i < j``, of the symmetrised graph, each once.
    """

    u: np.ndarray
    g: np.ndarray
    minimize: bool
    neighbors: np.ndarray
    distances: np.ndarray
    edges: np.ndarray

    @property
    def n(self):
        return self.g.size

    @property
    def k(self):
        return self.neighbors.shape[1]

    @property
    def y(self):
        """Scores in their original direction."""
        return to_user(self.g, self.minimize)

    def with_scores(self, g):
        """The same graph carrying other oriented scores (used by the null models)."""
        return KNNGraph(self.u, g, self.minimize, self.neighbors, self.distances, self.edges)


def knn_graph(u, y, *, minimize=False, k=10):
    r"""Build the k-nearest-neighbour graph of runs in the encoded space.

    :math:`N_k(i)` holds the :math:`k` runs nearest to :math:`u_i` in Euclidean distance,
    :math:`i` excluded (with duplicated configurations, one copy of ``i`` is dropped instead).

    Parameters
    ----------
    u : array_like of shape (n, d)
        Encoded configurations (see :func:`~bayesnq.landscape.encode`).
    y : array_like of shape (n,)
        Finite scores.
    minimize : bool, default False
        Whether smaller scores are better.
    k : int, default 10
        Number of neighbours, ``1 <= k < n``.

    Returns
    -------
    KNNGraph
    """
    u = check_points("u", u)
    y = check_scores("y", y, u.shape[0])
    minimize = check_minimize(minimize)
    g = orient(y, minimize)
    n = u.shape[0]
    k = check_int("k", k, minimum=1)
    if k >= n:
        raise fail("k", f"smaller than the number of runs ({n})", k)
    neighbors, distances = nearest(u, k)
    return from_neighbors(u, g, minimize, neighbors, distances)


def nearest(u, k):
    """The ``k`` nearest other runs of every run and their distances, nearest first."""
    n = u.shape[0]
    dist, idx = cKDTree(u).query(u, k=k + 1, workers=-1)
    keep = idx != np.arange(n)[:, None]
    keep[keep.all(axis=1), -1] = False
    return idx[keep].reshape(n, k), dist[keep].reshape(n, k)


def from_neighbors(u, g, minimize, neighbors, distances):
    """The :class:`KNNGraph` of given neighbour lists (symmetrised edges computed here)."""
    n, k = neighbors.shape
    a = np.repeat(np.arange(n, dtype=np.int64), k)
    b = neighbors.ravel().astype(np.int64)
    key = np.sort(np.minimum(a, b) * n + np.maximum(a, b))
    key = key[np.r_[True, key[1:] != key[:-1]]]
    edges = np.column_stack([key // n, key % n])
    return KNNGraph(u, g, bool(minimize), neighbors, distances, edges)


def check_graph(graph) -> KNNGraph:
    if not isinstance(graph, KNNGraph):
        raise fail("graph", "a KNNGraph (see knn_graph)", graph)
    return graph


def components(edges, mask):
    """Components of the subgraph induced by ``mask``: count, largest share, labels.

    Labels are per run, -1 outside ``mask``.
    """
    n_in = int(mask.sum())
    if n_in == 0:
        return 0, math.nan, np.full(mask.size, -1)
    keep = mask[edges[:, 0]] & mask[edges[:, 1]]
    relabel = np.cumsum(mask) - 1
    a = relabel[edges[keep, 0]]
    b = relabel[edges[keep, 1]]
    adjacency = sparse.csr_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n_in, n_in))
    count, labels = csgraph.connected_components(adjacency, directed=False)
    label = np.full(mask.size, -1)
    label[mask] = labels
    return int(count), float(np.bincount(labels).max() / n_in), label


def ascent(g, best_neighbor, best_value):
    """Attractor of each run under steepest ascent (pointer jumping)."""
    n = g.size
    nxt = np.where(best_value > g, best_neighbor, np.arange(n))
    while True:
        jumped = nxt[nxt]
        if np.array_equal(jumped, nxt):
            return nxt
        nxt = jumped
