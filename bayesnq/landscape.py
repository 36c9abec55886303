"""Landscape diagnostics for random-search results.

Fitness-landscape analysis (Huang & Li, arXiv 2311.14014) adapted from full grids to the
scattered output of random search, and linked to the noisy-quadratic (NQ) tail fit.

Conventions
-----------
* **Coordinates.** Every hyperparameter is mapped to ``[0, 1]`` by the CDF of the distribution
  it was sampled from (:func:`encode`), so random-search samples are roughly uniform on the unit
  cube and Euclidean distances are comparable across hyperparameters.
* **Orientation.** Internally every measure works on the *oriented* score ``g = y`` when
  maximizing and ``g = -y`` when minimizing, so larger ``g`` is always better. Correlations
  (FDC, NDC) are therefore negative on a "good" landscape in both directions; Hessian
  eigenvalues of a peak are negative in both directions.
* **Graph.** ``N_k(i)`` are the ``k`` nearest neighbours of run ``i`` in the encoded space
  (Euclidean, KD-tree, ``i`` itself excluded). Local optima and steepest ascent use the
  directed neighbour lists; components, assortativity and the correlogram use the symmetrised,
  de-duplicated edge set.
* **Baselines.** Graph counts mean little on their own: the same counts are computed for
  scores permuted over the same graph ("permutation") and for a simulated single-peak
  landscape evaluated at the same configurations ("single-peak": the concave part of a fitted
  local quadratic around the best run plus Gaussian noise, see :class:`SinglePeak`).
* **Randomness.** Every random step draws from ``numpy.random.default_rng([seed, stream])``
  with a fixed stream number per part, so results do not depend on call order or global state.
"""

from __future__ import annotations

import csv
import json
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import sparse, stats
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

__all__ = [
    "Baseline",
    "Basins",
    "Components",
    "KNNGraph",
    "LandscapeResult",
    "LocalOptima",
    "Neutrality",
    "QuadraticFit",
    "Row",
    "Similarity",
    "SinglePeak",
    "SubsetResult",
    "analyze",
    "assortativity",
    "basins",
    "correlogram",
    "default_quadratic_size",
    "encode",
    "fdc",
    "fidelity_profile",
    "knn_graph",
    "local_optima",
    "local_quadratic",
    "neutrality",
    "null_distribution",
    "plot_landscape",
    "report",
    "similarity",
    "single_peak",
    "superlevel_components",
]

KINDS = ("log-uniform", "uniform", "integer", "choice")
_REAL = (int, float, np.integer, np.floating)

# Relative slack for values stored with a few significant digits just outside their bounds.
_BOUND_TOL = 1e-6

# Random streams: one per part, so that adding a part never shifts another part's draws.
_STREAM_PERMUTATION = 1
_STREAM_SINGLE_PEAK = 2
_STREAM_BOOTSTRAP = 3
_STREAM_CORRELOGRAM = 4


# ------------------------------------------------------------------------------------------
# Argument checking


def _check_int(value, name, minimum=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def _check_real(value, name, *, low=None, high=None, low_open=False, high_open=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _REAL):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return value


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def _check_seed(seed):
    return _check_int(seed, "seed", 0)


def _check_fraction(value, name):
    return _check_real(value, name, low=0.0, high=1.0, low_open=True, high_open=True)


def _check_level(level):
    return _check_real(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)


def _as_float_array(x, name, ndim):
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {x!r:.80}") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    return arr


def _check_finite(arr, name):
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        where = where[0] if len(where) == 1 else where
        raise ValueError(f"{name} must be finite, got {arr[bad][0]!r} at index {where}")
    return arr


def _check_scores(y, name="y", n=None):
    arr = _check_finite(_as_float_array(y, name, 1), name)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must have length {n} (one score per run), got {arr.size}")
    return arr


def _check_points(u, name="u"):
    arr = _check_finite(_as_float_array(u, name, 2), name)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {arr.shape}")
    return arr


def _orient(y, minimize):
    return -y if _check_bool(minimize, "minimize") else y


def _rng(seed, stream):
    return np.random.default_rng([_check_seed(seed), stream])


# ------------------------------------------------------------------------------------------
# Small statistics


def _dot(a, b):
    # einsum, not BLAS: threaded BLAS on short vectors stalls on a busy machine.
    return float(np.einsum("i,i->", a, b))


def _pearson(a, b):
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(_dot(a, a) * _dot(b, b))
    return _dot(a, b) / den if den > 0 else math.nan


def _spearman(a, b):
    return _pearson(stats.rankdata(a), stats.rankdata(b))


def _kendall(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.kendalltau(a, b).statistic)


def _n_top(n, q):
    return max(1, int(math.floor(q * n + 0.5)))


def _top_mask(g, n_top):
    """Mask of the ``n_top`` largest entries of ``g`` (ties broken arbitrarily)."""
    mask = np.zeros(g.size, dtype=bool)
    if n_top >= g.size:
        mask[:] = True
    else:
        mask[np.argpartition(-g, n_top - 1)[:n_top]] = True
    return mask


def _top_set(g, n_top):
    """Indices of the ``n_top`` largest entries of ``g``, ties broken by index."""
    return np.argsort(-g, kind="stable")[:n_top]


def _distance_to(u, point):
    return np.sqrt(((u - point) ** 2).sum(axis=1))


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


# ------------------------------------------------------------------------------------------
# Encoding


def _spec_bound(spec, key, name):
    if key not in spec:
        raise ValueError(f"search_space[{name!r}] needs {key!r}, got {dict(spec)!r}")
    return _check_real(spec[key], f"search_space[{name!r}][{key!r}]")


def _numeric_column(values, name):
    try:
        col = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"configs[{name!r}] must be numeric for this kind") from None
    return _check_finite(col, f"configs[{name!r}]")


def _encode_column(name, values, spec):
    """Map one hyperparameter column to ``[0, 1]`` by its sampling CDF."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"search_space[{name!r}] must be a mapping, got {spec!r}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"search_space[{name!r}]['kind'] must be one of {KINDS}, got {kind!r}")
    if kind == "choice":
        choices = spec.get("choices")
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or not choices:
            raise ValueError(
                f"search_space[{name!r}]['choices'] must be a non-empty sequence, got {choices!r}")
        return _encode_choice(name, values, list(choices))
    low = _spec_bound(spec, "low", name)
    high = _spec_bound(spec, "high", name)
    if not low < high:
        raise ValueError(f"search_space[{name!r}] needs low < high, got low={low!r}, high={high!r}")
    col = _numeric_column(values, name)
    if kind == "log-uniform":
        if low <= 0:
            raise ValueError(
                f"search_space[{name!r}]['low'] must be > 0 for log-uniform, got {low!r}")
        if (col <= 0).any():
            raise ValueError(
                f"configs[{name!r}] must be > 0 for log-uniform, got {col[col <= 0][0]!r}")
        u = (np.log(col) - math.log(low)) / (math.log(high) - math.log(low))
    else:
        if kind == "integer" and (col != np.round(col)).any():
            bad = col[col != np.round(col)][0]
            raise ValueError(f"configs[{name!r}] must hold integers, got {bad!r}")
        u = (col - low) / (high - low)
    outside = (u < -_BOUND_TOL) | (u > 1 + _BOUND_TOL)
    if outside.any():
        raise ValueError(
            f"configs[{name!r}] has value {col[outside][0]!r} outside [{low!r}, {high!r}]")
    return np.clip(u, 0.0, 1.0)


def _encode_choice(name, values, choices):
    n_levels = len(choices)
    scale = 1.0 / (n_levels - 1) if n_levels > 1 else 0.0
    values = np.asarray(values, dtype=object).ravel()
    numeric = all(isinstance(c, _REAL) and not isinstance(c, bool) for c in choices)
    if numeric:
        levels = np.asarray(choices, dtype=float)
        col = _numeric_column(values.astype(float), name)
        index = np.abs(col[:, None] - levels[None, :]).argmin(axis=1)
        close = np.isclose(col, levels[index], rtol=1e-9, atol=0.0)
        if not close.all():
            raise ValueError(f"configs[{name!r}] has value {col[~close][0]!r} not in {choices!r}")
        return index * scale
    lookup = {c: i for i, c in enumerate(choices)}
    index = np.empty(values.size)
    for i, v in enumerate(values):
        if v not in lookup:
            raise ValueError(f"configs[{name!r}] has value {v!r} not in {choices!r}")
        index[i] = lookup[v]
    return index * scale


def _describe_encoding(name, spec):
    kind = spec["kind"]
    if kind == "log-uniform":
        return f"log-uniform [{spec['low']}, {spec['high']}]: (ln x - ln low) / (ln high - ln low)"
    if kind == "uniform":
        return f"uniform [{spec['low']}, {spec['high']}]: (x - low) / (high - low)"
    if kind == "integer":
        return f"integer {spec['low']}..{spec['high']}: (x - low) / (high - low)"
    return f"choice {list(spec['choices'])!r}: index / (L - 1)"


def encode(configs, search_space):
    r"""Map configurations to the unit cube by the CDF of their sampling distribution.

    For hyperparameter :math:`j` with prior :math:`F_j` the coordinate is
    :math:`u_j = F_j(x_j)`:

    * ``"log-uniform"`` on :math:`[l, h]`: :math:`u = (\ln x - \ln l) / (\ln h - \ln l)`;
    * ``"uniform"`` on :math:`[l, h]`: :math:`u = (x - l) / (h - l)`;
    * ``"integer"`` on :math:`l, \dots, h`: :math:`u = (x - l) / (h - l)` (rank scale);
    * ``"choice"`` among :math:`L` levels: :math:`u = \mathrm{index}(x) / (L - 1)`, so the
      order of ``choices`` is taken as ordinal (a single level maps to 0).

    Bounds map to exactly 0 and 1. Values outside their bounds by more than a relative
    ``1e-6`` of the range raise; values within that slack are clipped.

    Parameters
    ----------
    configs : array_like of shape (n, d) or mapping of str to array_like
        Configurations; columns of an array follow the order of ``search_space``, a mapping
        is indexed by hyperparameter name.
    search_space : mapping of str to mapping
        ``name -> {"kind": ..., "low": ..., "high": ...}`` or
        ``{"kind": "choice", "choices": [...]}``.

    Returns
    -------
    u : numpy.ndarray of shape (n, d)
        Encoded coordinates in ``[0, 1]``.
    names : tuple of str
        Hyperparameter names, in column order.
    """
    if not isinstance(search_space, Mapping) or len(search_space) == 0:
        raise ValueError(f"search_space must be a non-empty mapping, got {search_space!r:.80}")
    names = tuple(search_space)
    if isinstance(configs, Mapping):
        missing = [name for name in names if name not in configs]
        if missing:
            raise ValueError(f"configs lacks hyperparameters {missing!r} named in search_space")
        columns = [np.asarray(configs[name],
                              dtype=object if _is_choice(search_space[name]) else None)
                   for name in names]
        lengths = {name: col.reshape(-1).size for name, col in zip(names, columns)}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"configs columns must have equal lengths, got {lengths!r}")
        columns = [col.reshape(-1) for col in columns]
    else:
        arr = np.asarray(configs, dtype=object)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise ValueError(
                f"configs must have shape (n, {len(names)}) to match search_space, got {arr.shape}")
        columns = [arr[:, j] for j in range(len(names))]
    n = columns[0].size
    if n == 0:
        raise ValueError("configs must hold at least one configuration")
    u = np.empty((n, len(names)))
    for j, (name, col) in enumerate(zip(names, columns)):
        u[:, j] = _encode_column(name, col, search_space[name])
    return u, names


def _is_choice(spec):
    return isinstance(spec, Mapping) and spec.get("kind") == "choice"


# ------------------------------------------------------------------------------------------
# The k-nearest-neighbour graph


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
        return -self.g if self.minimize else self.g

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
        Encoded configurations (see :func:`encode`).
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
    u = _check_points(u)
    y = _check_scores(y, "y", u.shape[0])
    g = _orient(y, minimize)
    n = u.shape[0]
    k = _check_int(k, "k", 1)
    if k >= n:
        raise ValueError(f"k must be smaller than the number of runs ({n}), got {k}")
    neighbors, distances = _nearest(u, k)
    return _graph(u, g, minimize, neighbors, distances)


def _nearest(u, k):
    """The k nearest other runs of every run, nearest first."""
    n = u.shape[0]
    dist, idx = cKDTree(u).query(u, k=k + 1, workers=-1)
    keep = idx != np.arange(n)[:, None]
    keep[keep.all(axis=1), -1] = False
    return idx[keep].reshape(n, k), dist[keep].reshape(n, k)


def _graph(u, g, minimize, neighbors, distances):
    n, k = neighbors.shape
    a = np.repeat(np.arange(n, dtype=np.int64), k)
    b = neighbors.ravel().astype(np.int64)
    key = np.sort(np.minimum(a, b) * n + np.maximum(a, b))
    key = key[np.r_[True, key[1:] != key[:-1]]]
    edges = np.column_stack([key // n, key % n])
    return KNNGraph(u, g, bool(minimize), neighbors, distances, edges)


def _check_graph(graph):
    if not isinstance(graph, KNNGraph):
        raise ValueError(f"graph must be a KNNGraph (see knn_graph), got {type(graph).__name__}")
    return graph


# ------------------------------------------------------------------------------------------
# Fitness-distance correlation


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
    u = _check_points(u)
    g = _orient(_check_scores(y, "y", u.shape[0]), minimize)
    if reference not in ("best", "top"):
        raise ValueError(f"reference must be 'best' or 'top', got {reference!r}")
    if method not in ("spearman", "pearson"):
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    m = _check_int(m, "m", 1)
    corr = _spearman if method == "spearman" else _pearson
    if reference == "best":
        best = int(np.argmax(g))
        others = np.arange(g.size) != best
        if others.sum() < 2:
            return math.nan
        return corr(g[others], _distance_to(u[others], u[best]))
    if g.size < 2:
        return math.nan
    centroid = u[_top_set(g, min(m, g.size))].mean(axis=0)
    return corr(g, _distance_to(u, centroid))


# ------------------------------------------------------------------------------------------
# Graph statistics of one score vector


def _components(edges, mask):
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


def _ascent(g, best_neighbor, best_value):
    """Attractor of each run under steepest ascent (pointer jumping)."""
    n = g.size
    nxt = np.where(best_value > g, best_neighbor, np.arange(n))
    while True:
        jumped = nxt[nxt]
        if np.array_equal(jumped, nxt):
            return nxt
        nxt = jumped


def _edge_assortativity(g, edges):
    a = g[edges[:, 0]]
    b = g[edges[:, 1]]
    mu = 0.5 * (a.mean() + b.mean())
    da = a - mu
    db = b - mu
    den = _dot(da, da) + _dot(db, db)
    return 2.0 * _dot(da, db) / den if den > 0 else math.nan


def _graph_statistics(graph, *, n_top, gaps, eps, full=False):
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
    top = _top_mask(g, n_top)
    out = {}
    for label, threshold in gaps.items():
        out[f"local_optima{label}"] = float(np.count_nonzero(gap > threshold))
    out["local_optima_top"] = float(np.count_nonzero((gap > 0) & top))
    n_comp, largest, label = _components(graph.edges, top)
    out["components"] = float(n_comp)
    out["largest_component"] = largest
    attractor = _ascent(g, graph.neighbors[rows, jmax], nb_max)
    out["funnel_fraction"] = float(top[attractor].mean())
    out["assortativity"] = _edge_assortativity(g, graph.edges)
    close = {}
    for lab, e in eps.items():
        close[lab] = (np.abs(nb - g[:, None]) <= e).mean(axis=1)
        out[f"neutrality{lab}"] = float(close[lab].mean())
    if not full:
        return out
    arrays = {"gap": gap, "top": top, "component": label, "attractor": attractor,
              "neutrality": close}
    return out, arrays


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
    graph = _check_graph(graph)
    if not callable(statistic):
        raise ValueError(f"statistic must be callable, got {statistic!r}")
    if kind not in ("permutation", "single-peak"):
        raise ValueError(f"kind must be 'permutation' or 'single-peak', got {kind!r}")
    n = _check_int(n, "n", 1)
    if kind == "permutation":
        rng = _rng(seed, _STREAM_PERMUTATION)

        def draw():
            return rng.permutation(graph.g)
    else:
        if surrogate is None:
            surrogate = single_peak(graph.u, graph.g, graph=graph)
        elif not isinstance(surrogate, SinglePeak):
            raise ValueError(f"surrogate must be a SinglePeak, got {type(surrogate).__name__}")
        rng = _rng(seed, _STREAM_SINGLE_PEAK)
        mean = surrogate.mean(graph.u)

        def draw():
            return surrogate.sample(graph.u, rng, mean=mean)
    draws = [statistic(graph.with_scores(draw())) for _ in range(n)]
    if isinstance(draws[0], Mapping):
        return {key: np.array([d[key] for d in draws], dtype=float) for key in draws[0]}
    return np.asarray(draws, dtype=float)


# ------------------------------------------------------------------------------------------
# Single-peak surrogate


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
    of a fresh :func:`local_quadratic` fit. ``sigma`` defaults to that fit's residual standard
    deviation (an upper estimate of the noise: it includes lack of fit); ``floor`` defaults to
    the worst observed oriented score, so the surrogate has the same floor as the data.

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
        kNN graph of the same runs, reused to centre a fresh :func:`local_quadratic`.

    Returns
    -------
    SinglePeak
    """
    u = _check_points(u)
    g = _orient(_check_scores(y, "y", u.shape[0]), minimize)
    d = u.shape[1]
    if quadratic is not None and not isinstance(quadratic, QuadraticFit):
        raise ValueError(f"quadratic must be a QuadraticFit, got {type(quadratic).__name__}")
    if hessian is None:
        if quadratic is None:
            quadratic = local_quadratic(u, g, n_bootstrap=1, graph=graph)
        hessian = quadratic.hessian
    hessian = _check_finite(_as_float_array(hessian, "hessian", 2), "hessian")
    if hessian.shape != (d, d):
        raise ValueError(f"hessian must have shape ({d}, {d}), got {hessian.shape}")
    if not np.allclose(hessian, hessian.T, rtol=1e-8, atol=1e-12 * max(1.0, np.abs(hessian).max())):
        raise ValueError("hessian must be symmetric")
    if sigma is None:
        if quadratic is None:
            quadratic = local_quadratic(u, g, n_bootstrap=1, graph=graph)
        sigma = quadratic.sigma
    sigma = _check_real(sigma, "sigma", low=0.0)
    if floor is None:
        floor = float(g.min())
    elif not (isinstance(floor, _REAL) and floor == -np.inf):
        floor = _check_real(floor, "floor")
    lam, vec = np.linalg.eigh(0.5 * (hessian + hessian.T))
    curvature = (vec * -np.minimum(lam, 0.0) / 2.0) @ vec.T
    best = int(np.argmax(g))
    return SinglePeak(u[best].copy(), float(g[best]), curvature, sigma, float(floor))


# ------------------------------------------------------------------------------------------
# Public graph measures


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
    margin = _check_real(margin, "margin", low=0.0)
    if sigma is None:
        if margin > 0:
            raise ValueError(f"margin is in units of sigma; give sigma to use margin={margin!r}")
        return 0.0
    return margin * _check_real(sigma, "sigma", low=0.0, low_open=True)


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
    graph = _check_graph(graph)
    delta = _margin_gap(margin, sigma)
    level = _check_level(level)
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
    graph = _check_graph(graph)
    n_top = _n_top(graph.n, _check_fraction(q, "q"))
    level = _check_level(level)
    if surrogate is None:
        surrogate = single_peak(graph.u, graph.g, graph=graph)

    def count(gr):
        return float(_components(gr.edges, _top_mask(gr.g, n_top))[0])

    n_comp, largest, label = _components(graph.edges, _top_mask(graph.g, n_top))
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
    graph = _check_graph(graph)
    n_top = _n_top(graph.n, _check_fraction(q, "q"))
    g = graph.g
    rows = np.arange(g.size)
    nb = g[graph.neighbors]
    jmax = nb.argmax(axis=1)
    attractor = _ascent(g, graph.neighbors[rows, jmax], nb[rows, jmax])
    sizes = np.bincount(attractor, minlength=g.size)
    top = _top_mask(g, n_top)
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
    graph = _check_graph(graph)
    eps = _check_real(eps, "eps", low=0.0)
    if sigma is not None:
        eps *= _check_real(sigma, "sigma", low=0.0, low_open=True)
    g = graph.g
    nu_i = (np.abs(g[graph.neighbors] - g[:, None]) <= eps).mean(axis=1)
    return Neutrality(float(nu_i.mean()), nu_i, _ndc(graph, nu_i), eps)


def _ndc(graph, nu_i):
    best = int(np.argmax(graph.g))
    others = np.arange(graph.n) != best
    return _spearman(nu_i[others], _distance_to(graph.u[others], graph.u[best]))


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
    graph = _check_graph(graph)
    return _edge_assortativity(graph.g, graph.edges)


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
    u = _check_points(u)
    g = _orient(_check_scores(y, "y", u.shape[0]), minimize)
    bins = _check_int(bins, "bins", 1)
    max_pairs = _check_int(max_pairs, "max_pairs", 1)
    n = g.size
    if n < 2:
        raise ValueError(f"correlogram needs at least 2 runs, got {n}")
    n_pairs = n * (n - 1) // 2
    if n_pairs <= max_pairs:
        i, j = np.triu_indices(n, 1)
    else:
        rng = _rng(seed, _STREAM_CORRELOGRAM)
        i = rng.integers(n, size=max_pairs)
        j = rng.integers(n - 1, size=max_pairs)
        j += j >= i
    dist = _distance_to(u[i], u[j])
    c = g - g.mean()
    var = _dot(c, c) / n
    prod = c[i] * c[j] / var if var > 0 else np.full(i.size, np.nan)
    edges = np.quantile(dist, np.linspace(0.0, 1.0, bins + 1))
    which = np.clip(np.searchsorted(edges, dist, side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.bincount(which, weights=prod, minlength=bins) / count
        mean_dist = np.bincount(which, weights=dist, minlength=bins) / count
    return {"edges": edges, "distance": mean_dist, "rho": rho, "count": count}


# ------------------------------------------------------------------------------------------
# Local quadratic fit


@dataclass(frozen=True, eq=False)
class QuadraticFit:
    r"""Least-squares quadratic around the best runs (see :func:`local_quadratic`).

    Attributes
    ----------
    center : numpy.ndarray of shape (d,)
    index : numpy.ndarray of shape (m,)
        Runs used.
    m : int
    radius : float
        Largest distance from ``center`` among the runs used.
    r2 : float
        Coefficient of determination.
    sigma : float
        Residual standard deviation :math:`\sqrt{\mathrm{RSS}/(m - p)}`.
    intercept : float
    gradient : numpy.ndarray of shape (d,)
    hessian : numpy.ndarray of shape (d, d)
        Oriented units: a peak has negative eigenvalues.
    eigenvalues : numpy.ndarray of shape (d,)
        Ascending (most negative, i.e. most curved, first).
    eigenvectors : numpy.ndarray of shape (d, d)
        Column ``j`` is the loading of each hyperparameter on eigenvalue ``j``; signs are fixed
        so the largest-magnitude loading is positive.
    eigenvalue_interval : numpy.ndarray of shape (d, 2)
        Bootstrap percentile intervals of the sorted eigenvalues.
    participation_ratio : float
        :math:`(\sum_j c_j)^2 / \sum_j c_j^2` with :math:`c_j = \max(-\lambda_j, 0)`.
    participation_interval : tuple of float
    n_curved : int
        :math:`\#\{ j : c_j \ge 0.1 \max c \}`.
    n_curved_interval : tuple of float
    n_significant : int
        Eigenvalues whose bootstrap interval lies below 0.
    names : tuple of str
    n_bootstrap : int
    level : float
    unidentified : tuple of str
        Hyperparameters with fewer than 3 distinct values among the runs used: their squared
        term cannot be told from the linear one, so their diagonal curvature is set to 0.
    participation_ratio_abs : float
        :math:`(\sum_j |\lambda_j|)^2 / \sum_j \lambda_j^2` over all eigenvalues, the
        variant in ``landscape.md`` (inflated by noisy positive eigenvalues).
    """

    center: np.ndarray
    index: np.ndarray
    m: int
    radius: float
    r2: float
    sigma: float
    intercept: float
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    eigenvalue_interval: np.ndarray
    participation_ratio: float
    participation_interval: tuple
    n_curved: int
    n_curved_interval: tuple
    n_significant: int
    names: tuple
    n_bootstrap: int
    level: float
    unidentified: tuple = ()
    participation_ratio_abs: float = math.nan

    def loadings(self):
        """``{eigenvalue rank: {hyperparameter: loading}}`` for reporting."""
        return {j: dict(zip(self.names, map(float, self.eigenvectors[:, j])))
                for j in range(self.eigenvalues.size)}

    def to_dict(self):
        return {
            "m": self.m, "radius": self.radius, "r2": self.r2, "sigma": self.sigma,
            "center": self.center.tolist(),
            "eigenvalues": self.eigenvalues.tolist(),
            "eigenvalue_interval": self.eigenvalue_interval.tolist(),
            "loadings": {str(k): v for k, v in self.loadings().items()},
            "participation_ratio": self.participation_ratio,
            "participation_ratio_abs": self.participation_ratio_abs,
            "unidentified": list(self.unidentified),
            "participation_interval": list(self.participation_interval),
            "n_curved": self.n_curved,
            "n_curved_interval": list(self.n_curved_interval),
            "n_significant": self.n_significant,
            "n_bootstrap": self.n_bootstrap, "level": self.level,
        }


def _quadratic_design(z):
    d = z.shape[1]
    iu, ju = np.triu_indices(d)
    return np.hstack([np.ones((z.shape[0], 1)), z, z[:, iu] * z[:, ju]])


def _hessian_from(coef, d):
    iu, ju = np.triu_indices(d)
    upper = np.zeros((d, d))
    upper[iu, ju] = coef[1 + d:]
    return upper + upper.T


def _identifiable_terms(levels):
    """Design columns a quadratic can identify, given distinct levels per coordinate.

    A coordinate with one level has no linear or cross terms; with two levels its square is
    a linear function of the coordinate, so only the square is dropped.
    """
    d = levels.size
    iu, ju = np.triu_indices(d)
    varies = levels >= 2
    square_ok = levels >= 3
    quad = np.where(iu == ju, square_ok[iu], varies[iu] & varies[ju])
    return np.concatenate([[True], varies, quad])


def _participation_abs(eigenvalues):
    a = np.abs(eigenvalues)
    return a.sum() ** 2 / (a ** 2).sum() if (a > 0).any() else 0.0


def _effective_dimension(eigenvalues):
    """Participation ratio and 10%-count of the concave part; works on stacked rows."""
    c = np.maximum(-np.asarray(eigenvalues, dtype=float), 0.0)
    total = c.sum(axis=-1)
    squares = (c ** 2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = np.where(squares > 0, total ** 2 / np.where(squares > 0, squares, 1.0), 0.0)
    top = c.max(axis=-1, keepdims=True)
    n10 = np.where(top[..., 0] > 0, (c >= 0.1 * top).sum(axis=-1), 0)
    return pr, n10


def default_quadratic_size(n, d):
    """Default number of runs for :func:`local_quadratic`: ``max(3p, round(0.1 n))``.

    ``p = (d + 1)(d + 2) / 2 = d(d + 3)/2 + 1`` coefficients; capped at ``n``.
    """
    p = (d + 1) * (d + 2) // 2
    return min(n, max(3 * p, int(round(0.1 * n))))


def _quadratic_center(u, g, how, n_top, graph=None):
    """Centre of the local quadratic (see :func:`local_quadratic`)."""
    if how not in ("peak", "top", "best"):
        raise ValueError(f"center must be 'peak', 'top', 'best' or a point, got {how!r}")
    n = g.size
    best = int(np.argmax(g))
    if how == "best":
        return u[best].copy()
    if how == "top" or n < 3:
        return u[_top_set(g, min(n_top, n))].mean(axis=0)
    if graph is None:
        graph = knn_graph(u, g, k=min(10, n - 1))
    elif not isinstance(graph, KNNGraph) or graph.n != n:
        raise ValueError(f"graph must be a KNNGraph on the same {n} runs")
    label = _components(graph.edges, _top_mask(g, _n_top(n, 0.1)))[2]
    peak = np.flatnonzero(label == label[best])
    return u[peak[_top_set(g[peak], min(n_top, peak.size))]].mean(axis=0)


def local_quadratic(u, y, *, minimize=False, m=None, center=None, n_top=10, n_bootstrap=300,
                    level=0.95, seed=0, names=None, graph=None):
    r"""Fit a quadratic around the best runs; Hessian spectrum and effective dimension.

    The centre :math:`c` is by default (``"peak"``) the centroid of the ``n_top`` best runs
    within the best run's connected component of the top-10% superlevel set on the kNN graph
    (see :func:`superlevel_components`): on a unimodal landscape this is the centroid of the
    ``n_top`` best runs (``"top"``), on a multimodal one it stays on the best peak instead of
    falling between peaks. ``"best"`` centres on the best run. The ``m`` runs nearest to
    :math:`c` (selected on position, not on score, which would truncate the response and bias
    the curvature towards 0) are fitted by least squares with :math:`z = u - c`,

    .. math:: g \approx a + b^\top z + \sum_{i \le j} \beta_{ij} z_i z_j, \qquad
              H_{ii} = 2\beta_{ii},\ H_{ij} = H_{ji} = \beta_{ij},

    i.e. :math:`p = (d+1)(d+2)/2` coefficients. By the NQ asymptotic law the score
    distribution's :math:`\gamma` is the rank of the Hessian at the optimum; with
    :math:`c_j = \max(-\lambda_j, 0)` (curvature of the concave part, oriented units), this
    returns two effective-dimension estimates:

    .. math:: \mathrm{PR} = \frac{(\sum_j c_j)^2}{\sum_j c_j^2}, \qquad
              n_{10} = \#\{ j : c_j \ge 0.1 \max_l c_l \}.

    Intervals come from a nonparametric bootstrap of the ``m`` runs (sorted eigenvalues,
    PR and :math:`n_{10}` recomputed per resample). A discrete hyperparameter with fewer than
    3 distinct values among the ``m`` runs has no identifiable squared term; its diagonal
    curvature is set to 0 and its name listed in ``unidentified``.

    Parameters
    ----------
    u : array_like of shape (n, d)
    y : array_like of shape (n,)
    minimize : bool, default False
    m : int, optional
        Runs in the fit, ``p < m <= n``; default :func:`default_quadratic_size`.
    center : {"peak", "top", "best"} or array_like of shape (d,), default "peak"
    n_top : int, default 10
        Runs averaged into the centre.
    n_bootstrap : int, default 300
        Use 1 to skip the bootstrap (intervals then collapse to the estimate).
    level : float, default 0.95
    seed : int, default 0
    names : sequence of str, optional
    graph : KNNGraph, optional
        kNN graph of the same runs for ``center="peak"`` (built with k = 10 when omitted).

    Returns
    -------
    QuadraticFit
    """
    u = _check_points(u)
    n, d = u.shape
    g = _orient(_check_scores(y, "y", n), minimize)
    p = (d + 1) * (d + 2) // 2
    m = default_quadratic_size(n, d) if m is None else _check_int(m, "m", 1)
    if not p < m <= n:
        raise ValueError(
            f"m must satisfy {p} < m <= n={n} (a quadratic in d={d} has {p} coefficients), "
            f"got m={m}")
    n_top = _check_int(n_top, "n_top", 1)
    n_bootstrap = _check_int(n_bootstrap, "n_bootstrap", 1)
    level = _check_level(level)
    names = _check_names(names, d)
    if center is None or isinstance(center, str):
        center = _quadratic_center(u, g, "peak" if center is None else center, n_top, graph)
    else:
        center = _check_finite(_as_float_array(center, "center", 1), "center")
        if center.size != d:
            raise ValueError(f"center must have length {d}, got {center.size}")
    dist = _distance_to(u, center)
    index = np.sort(np.argpartition(dist, m - 1)[:m]) if m < n else np.arange(n)
    z = u[index] - center
    levels = np.array([np.unique(col).size for col in z.T])
    keep = _identifiable_terms(levels)
    unidentified = tuple(nm for nm, lv in zip(names, levels) if lv < 3)
    x = _quadratic_design(z)[:, keep]
    t = g[index]
    p_fit = int(keep.sum())
    scale = np.abs(x).max(axis=0)
    scale[scale == 0] = 1.0
    xs = x / scale

    def padded(coef_kept):
        coef = np.zeros(keep.size)
        coef[keep] = coef_kept / scale
        return coef

    def resample_fit(rows):
        # Normal equations with einsum: threaded BLAS/LAPACK on tall matrices stalls on a
        # busy machine, and the scaled design is well conditioned.
        xb = xs[rows]
        gram = np.einsum("ij,ik->jk", xb, xb)
        return padded(np.linalg.lstsq(gram, np.einsum("ij,i->j", xb, t[rows]), rcond=None)[0])

    coef = padded(np.linalg.lstsq(xs, t, rcond=None)[0])
    resid = t - x @ coef[keep]
    rss = _dot(resid, resid)
    tss = float(((t - t.mean()) ** 2).sum())
    hessian = _hessian_from(coef, d)
    lam, vec = np.linalg.eigh(hessian)
    vec = vec * np.where(vec[np.abs(vec).argmax(axis=0), np.arange(d)] < 0, -1.0, 1.0)
    pr, n10 = _effective_dimension(lam)
    if n_bootstrap > 1:
        rng = _rng(seed, _STREAM_BOOTSTRAP)
        boot = np.empty((n_bootstrap, d))
        for b in range(n_bootstrap):
            boot[b] = np.linalg.eigvalsh(_hessian_from(resample_fit(rng.integers(m, size=m)), d))
        alpha = (1 - level) / 2
        lam_int = np.quantile(boot, [alpha, 1 - alpha], axis=0).T
        pr_b, n10_b = _effective_dimension(boot)
        pr_int = tuple(float(v) for v in np.quantile(pr_b, [alpha, 1 - alpha]))
        n10_int = tuple(float(v) for v in np.quantile(n10_b, [alpha, 1 - alpha]))
    else:
        lam_int = np.column_stack([lam, lam])
        pr_int = (float(pr), float(pr))
        n10_int = (float(n10), float(n10))
    return QuadraticFit(
        center=center, index=index, m=m, radius=float(dist[index].max()),
        r2=1.0 - rss / tss if tss > 0 else math.nan, sigma=math.sqrt(rss / (m - p_fit)),
        intercept=float(coef[0]), gradient=coef[1:1 + d].copy(), hessian=hessian,
        eigenvalues=lam, eigenvectors=vec, eigenvalue_interval=lam_int,
        participation_ratio=float(pr), participation_interval=pr_int, n_curved=int(n10),
        n_curved_interval=n10_int, n_significant=int((lam_int[:, 1] < 0).sum()),
        names=names, n_bootstrap=n_bootstrap, level=level, unidentified=unidentified,
        participation_ratio_abs=float(_participation_abs(lam)))


def _check_names(names, d):
    if names is None:
        return tuple(f"x{j}" for j in range(d))
    names = tuple(names)
    if len(names) != d or not all(isinstance(s, str) for s in names):
        raise ValueError(f"names must be {d} strings, got {names!r}")
    return names


# ------------------------------------------------------------------------------------------
# Similarity of two landscapes over the same runs


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
    a = _orient(_check_scores(y_a, "y_a"), minimize)
    b = _orient(_check_scores(y_b, "y_b", a.size), minimize)
    top = _check_fraction(top, "top")
    n = a.size
    if n < 2:
        raise ValueError(f"similarity needs at least 2 runs, got {n}")
    ra = stats.rankdata(-a)
    rb = stats.rankdata(-b)
    n_top = _n_top(n, top)
    ta = set(_top_set(a, n_top).tolist())
    tb = set(_top_set(b, n_top).tolist())
    return Similarity(
        spearman=_pearson(ra, rb), kendall=_kendall(a, b),
        shake_up=float(np.abs(ra - rb).mean() / n),
        top_iou=len(ta & tb) / len(ta | tb),
        regret=float(b.max() - b[int(np.argmax(a))]), n=n)


def _check_curves(learning_curves):
    if isinstance(learning_curves, np.ndarray) or not isinstance(learning_curves, Sequence):
        raise ValueError(
            "learning_curves must be a sequence of (m, 2) arrays, "
            f"got {type(learning_curves).__name__}")
    if len(learning_curves) == 0:
        raise ValueError("learning_curves must not be empty")
    out = []
    for i, curve in enumerate(learning_curves):
        arr = np.asarray(curve, dtype=float)
        if arr.size == 0:
            arr = arr.reshape(0, 2)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"learning_curves[{i}] must have shape (m, 2), got {arr.shape}")
        if not np.isfinite(arr[:, 0]).all():
            raise ValueError(f"learning_curves[{i}] has non-finite budgets")
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
    curves = _check_curves(learning_curves)
    if isinstance(fractions, (str, bytes)) or not isinstance(fractions, Sequence) or not fractions:
        raise ValueError(f"fractions must be a non-empty sequence, got {fractions!r}")
    fractions = [_check_real(f, "fractions", low=0.0, high=1.0, low_open=True) for f in fractions]
    sign = -1.0 if _check_bool(minimize, "minimize") else 1.0
    _check_fraction(top, "top")
    n = len(curves)
    lengths = np.array([c.shape[0] for c in curves])
    run = np.repeat(np.arange(n), lengths)
    stacked = np.concatenate(curves, axis=0) if lengths.sum() else np.zeros((0, 2))
    budget = stacked[:, 0]
    value = sign * stacked[:, 1]
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
        end = _as_float_array(final, "final", 1)
        if end.size != n:
            raise ValueError(f"final must have length {n} (one per curve), got {end.size}")
        end = np.where(np.isfinite(end), sign * end, -np.inf)
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


# ------------------------------------------------------------------------------------------
# Full analysis


class Row(NamedTuple):
    """One line of :meth:`LandscapeResult.table`.

    ``baseline`` names the reference distribution (``""`` when none: the baseline fields are
    then NaN); ``"permutation"`` and ``"single-peak"`` are null models, ``"bootstrap"`` a
    bootstrap interval of the value itself.
    """

    subset: str
    measure: str
    value: float
    baseline: str
    baseline_mean: float
    baseline_low: float
    baseline_high: float


@dataclass(frozen=True, eq=False)
class SubsetResult:
    """All measures on one subset of runs ("all" or "non-failed").

    Attributes
    ----------
    name : str
    index : numpy.ndarray
        Indices of the runs into the original data.
    graph : KNNGraph
        Graph at the main ``k``.
    measures : dict of str to float
    baselines : dict of str to dict of str to Baseline
        ``measure -> {"permutation": ..., "single-peak": ...}``.
    is_optimum : numpy.ndarray of bool
    distance_to_best : numpy.ndarray
    attractor : numpy.ndarray
    quadratic : QuadraticFit or None
    correlogram : dict
    surrogate : SinglePeak
    """

    name: str
    index: np.ndarray
    graph: KNNGraph
    measures: dict
    baselines: dict
    is_optimum: np.ndarray
    distance_to_best: np.ndarray
    attractor: np.ndarray
    quadratic: QuadraticFit | None
    correlogram: dict
    surrogate: SinglePeak


@dataclass(frozen=True, eq=False)
class LandscapeResult:
    """Result of :func:`analyze`.

    Attributes
    ----------
    name : str
    names : tuple of str
        Hyperparameter names (encoded columns).
    settings : dict
        Everything the numbers depend on: k, encoding, failed-run convention, sigma, seeds,
        replicate counts.
    subsets : dict of str to SubsetResult
        ``"all"`` and ``"non-failed"``; without failed runs both keys hold the same object,
        with too few non-failed runs ``"non-failed"`` is absent (``settings["subsets"]``).
    failed : numpy.ndarray of bool
    y : numpy.ndarray
        Scores used for "all" (non-finite ones replaced, see ``settings``).
    fidelity : dict or None
        ``subset -> fidelity_profile(...)`` when learning curves were given.
    """

    name: str
    names: tuple
    settings: dict
    subsets: dict
    failed: np.ndarray
    y: np.ndarray
    fidelity: dict | None = None
    _rows: list = field(default_factory=list, repr=False)

    def table(self):
        """Rows ``(subset, measure, value, baseline, baseline_mean, baseline_low,
        baseline_high)``; measures with two baselines appear once per baseline."""
        return list(self._rows)

    def format_table(self):
        """The table as aligned text."""
        lines = [f"{'subset':<11} {'measure':<32} {'value':>11}  {'baseline':<12}"
                 f" {'mean':>11} {'interval':>25}"]
        for r in self._rows:
            base = (f"{r.baseline:<12} {_fmt(r.baseline_mean):>11} "
                    f"[{_fmt(r.baseline_low)}, {_fmt(r.baseline_high)}]".rjust(25)
                    if r.baseline else "")
            lines.append(f"{r.subset:<11} {r.measure:<32} {_fmt(r.value):>11}  {base}")
        return "\n".join(lines)

    def to_dict(self):
        """JSON-ready dictionary (NaN becomes None)."""
        subsets = {}
        for key, sub in self.subsets.items():
            if sub.name != key:
                subsets[key] = f"same as {sub.name!r}"
                continue
            subsets[key] = {
                "n": int(sub.index.size),
                "measures": dict(sub.measures),
                "baselines": {m: {b: base._asdict() for b, base in v.items()}
                              for m, v in sub.baselines.items()},
                "quadratic": sub.quadratic.to_dict() if sub.quadratic is not None else None,
                "correlogram": {k: np.asarray(v).tolist() for k, v in sub.correlogram.items()},
                "single_peak": {"center": sub.surrogate.center.tolist(),
                                "peak": sub.surrogate.peak, "sigma": sub.surrogate.sigma,
                                "floor": sub.surrogate.floor},
            }
        fidelity = None
        if self.fidelity is not None:
            fidelity = {k: {f: np.asarray(v).tolist() for f, v in prof.items()}
                        for k, prof in self.fidelity.items() if self.subsets[k].name == k}
        return _json_clean({
            "name": self.name, "hyperparameters": list(self.names), "settings": self.settings,
            "n_runs": int(self.y.size), "n_failed": int(self.failed.sum()),
            "subsets": subsets, "fidelity": fidelity,
            "table": [r._asdict() for r in self._rows],
        })


def _fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if float(x).is_integer() and abs(x) < 1e7:
        return f"{int(x)}"
    return f"{x:.4g}"


def _json_clean(obj):
    if isinstance(obj, Mapping):
        return {str(k): _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _json_clean(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def _auto_count(value, name, base, n):
    """Replicate count: ``base`` up to 5,000 runs, then shrinking as 1/n (at least 20)."""
    if value is not None:
        return _check_int(value, name, 1)
    return base if n <= 5000 else max(20, int(base * 5000 / n))


def _resolve_data(data, configs, search_space, minimize, failed, learning_curves):
    """Unpack a ``Scores``-like object or plain arrays."""
    name = "scores"
    if hasattr(data, "values") and hasattr(data, "minimize"):
        if configs is not None or search_space is not None:
            raise ValueError("give configs and search_space only with plain score arrays, "
                             "not with a Scores object")
        y = np.asarray(data.values, dtype=float)
        name = str(getattr(data, "name", None) or name)
        configs = getattr(data, "configs", None)
        search_space = getattr(data, "search_space", None)
        if minimize is None:
            minimize = bool(data.minimize)
        if failed is None:
            failed = getattr(data, "failed", None)
        if learning_curves is None:
            learning_curves = getattr(data, "learning_curves", None)
        if configs is None:
            raise ValueError(f"the Scores object {name!r} carries no configs; landscape "
                             "analysis needs configurations")
    else:
        y = _as_float_array(data, "data", 1)
        if configs is None:
            raise ValueError("configs is required when data is a plain score array")
    minimize = False if minimize is None else _check_bool(minimize, "minimize")
    return name, y, configs, search_space, minimize, failed, learning_curves


def analyze(data, configs=None, search_space=None, *, minimize=None, failed=None, floor=None,
            learning_curves=None, k=10, k_band=(5, 20), q=0.1, m_top=10, sigma=None,
            eps=(1.0, 2.0), margin=2.0, m=None, n_permutations=None, n_simulations=None,
            n_bootstrap=None, level=0.95, seed=0):
    r"""Run every landscape diagnostic, on all runs and on non-failed runs.

    Parameters
    ----------
    data : Scores or array_like of shape (n,)
        A ``bayesnq.data.Scores`` (configs, search space, direction, failed mask and learning
        curves are taken from it) or plain scores.
    configs : array_like of shape (n, d) or mapping, optional
        With plain scores: configurations. Without ``search_space`` they must already be
        encoded coordinates in [0, 1].
    search_space : mapping, optional
        See :func:`encode`.
    minimize : bool, optional
        Default: the Scores' direction, else False.
    failed : array_like of bool, optional
        Runs that failed. Non-finite scores always count as failed.
    floor : float, optional
        Runs scoring at or beyond this floor (``<=`` when maximizing, ``>=`` when minimizing)
        also count as failed, e.g. diverged runs at chance accuracy.
    learning_curves : sequence of (m_i, 2) arrays, optional
        For :func:`fidelity_profile`.
    k : int, default 10
    k_band : sequence of int, default (5, 20)
        Further ``k`` at which local optima and components are reported.
    q : float, default 0.1
        Top fraction for components, funnel fraction and top-set overlaps.
    m_top : int, default 10
        Top set size for the FDC centroid and the quadratic centre.
    sigma : float, optional
        Evaluation noise sd. Default: residual sd of the local quadratic on non-failed runs
        (``settings["sigma_source"]`` says which).
    eps : sequence of float, default (1, 2)
        Neutrality thresholds in units of sigma.
    margin : float, default 2
        Second local-optimum count with this margin in units of sigma.
    m : int, optional
        Runs in the local quadratic (default :func:`default_quadratic_size`).
    n_permutations, n_simulations, n_bootstrap : int, optional
        Replicates; default 200, 100, 300 up to 5,000 runs (bootstrap: up to m = 2,000), then
        shrinking in proportion so the cost stays about constant (at least 20).
    level : float, default 0.95
        Level of all baseline and bootstrap intervals.
    seed : int, default 0

    Returns
    -------
    LandscapeResult
    """
    name, y, configs, search_space, minimize, failed, learning_curves = _resolve_data(
        data, configs, search_space, minimize, failed, learning_curves)
    n = y.size
    if n == 0:
        raise ValueError("data must hold at least one score")
    if search_space is None:
        u = _check_points(configs, "configs")
        if ((u < 0) | (u > 1)).any():
            raise ValueError("configs without search_space must be encoded coordinates in [0, 1]")
        names = tuple(f"x{j}" for j in range(u.shape[1]))
        encoding = {nm: "given in [0, 1]" for nm in names}
    else:
        u, names = encode(configs, search_space)
        encoding = {nm: _describe_encoding(nm, search_space[nm]) for nm in names}
    if u.shape[0] != n:
        raise ValueError(f"configs has {u.shape[0]} rows but data has {n} scores")
    k = _check_int(k, "k", 1)
    if isinstance(k_band, (str, bytes)) or not isinstance(k_band, Sequence):
        raise ValueError(f"k_band must be a sequence of integers, got {k_band!r}")
    k_band = tuple(_check_int(kb, "k_band", 1) for kb in k_band)
    q = _check_fraction(q, "q")
    m_top = _check_int(m_top, "m_top", 1)
    margin = _check_real(margin, "margin", low=0.0)
    if isinstance(eps, (str, bytes)) or not isinstance(eps, Sequence):
        raise ValueError(f"eps must be a sequence of numbers, got {eps!r}")
    eps = tuple(_check_real(e, "eps", low=0.0) for e in eps)
    level = _check_level(level)
    seed = _check_seed(seed)

    finite = np.isfinite(y)
    if not finite.any():
        raise ValueError("data has no finite score")
    fail = ~finite
    if failed is not None:
        given = np.asarray(failed)
        if given.dtype != bool or given.shape != (n,):
            raise ValueError(f"failed must be a boolean array of shape ({n},), got "
                             f"{given.dtype} {given.shape}")
        fail = fail | given
    if floor is not None:
        floor = _check_real(floor, "floor")
        fail = fail | ((y >= floor) if minimize else (y <= floor)) & finite
    worst = np.nanmax(y) if minimize else np.nanmin(y)
    y_all = np.where(finite, y, worst)
    g_all = -y_all if minimize else y_all

    ok_index = np.flatnonzero(~fail)
    k_max = max((k, *k_band))
    min_runs = k_max + 2
    if n < min_runs:
        raise ValueError(f"k={k_max} needs at least {min_runs} runs, got {n}")
    subsets_index = {"all": np.arange(n)}
    if not fail.any():
        subsets_note = "no failed runs: 'non-failed' is the same as 'all'"
    elif ok_index.size < min_runs:
        subsets_note = (f"only {ok_index.size} non-failed runs, too few for k: "
                        "'non-failed' omitted")
    else:
        subsets_index["non-failed"] = ok_index
        subsets_note = f"{ok_index.size} non-failed of {n} runs"

    # Curvature and noise of the single-peak baseline come from the quadratic on the runs that
    # did not fail: failed runs at a floor would flatten it.
    base_n = subsets_index.get("non-failed", subsets_index["all"]).size
    d = u.shape[1]
    m_base = default_quadratic_size(base_n, d) if m is None else _check_int(m, "m", 1)
    n_boot = (_check_int(n_bootstrap, "n_bootstrap", 1) if n_bootstrap is not None
              else 300 if m_base <= 2000 else max(20, int(300 * 2000 / m_base)))
    p = (d + 1) * (d + 2) // 2
    # One neighbour query per subset at the largest k; smaller k are prefixes of it.
    nearest = {key: _nearest(u[index], k_max) for key, index in subsets_index.items()}
    graphs = {key: _graph(u[index], g_all[index], minimize, nb[:, :k], dist[:, :k])
              for (key, index), (nb, dist) in zip(subsets_index.items(), nearest.values())}
    quadratics = {}
    for key, index in subsets_index.items():
        mm = default_quadratic_size(index.size, d) if m is None else min(m, index.size)
        quadratics[key] = (local_quadratic(u[index], g_all[index], m=mm, n_top=m_top,
                                           n_bootstrap=n_boot, level=level, seed=seed,
                                           names=names, graph=graphs[key])
                           if mm > p else None)
    base_fit = quadratics.get("non-failed", quadratics["all"])
    if sigma is None:
        if base_fit is None:
            raise ValueError(f"sigma is needed: too few runs ({base_n}) to estimate it from "
                             f"a quadratic in d={d}")
        sigma_value, sigma_source = base_fit.sigma, "residual sd of the local quadratic"
    else:
        sigma_value = _check_real(sigma, "sigma", low=0.0, low_open=True)
        sigma_source = "given"
    hessian = base_fit.hessian if base_fit is not None else np.zeros((d, d))

    settings = {
        "k": k, "k_band": list(k_band), "q": q, "m_top": m_top, "margin_sigma": margin,
        "eps_sigma": list(eps), "sigma": sigma_value, "sigma_source": sigma_source,
        "minimize": minimize, "orientation": "g = -y (minimize)" if minimize else "g = y",
        "encoding": encoding, "distance": "Euclidean in encoded coordinates",
        "failed_convention": (
            "failed = non-finite score | given failed mask"
            + (f" | score {'>=' if minimize else '<='} floor {floor}" if floor is not None else "")
            + "; 'all' keeps failed runs, non-finite scores replaced by the worst finite score"
            + f" ({worst}); 'non-failed' drops them and rebuilds the kNN graph"),
        "floor": floor, "subsets": subsets_note, "seed": seed, "level": level,
        "quadratic": f"m nearest runs to the centroid of the top {m_top} runs on the best run's "
                     f"top-q component; single-peak curvature from "
                     f"the {'non-failed' if 'non-failed' in subsets_index else 'all'}-run fit",
    }
    subsets = {}
    rows = []
    for key, index in subsets_index.items():
        n_sub = index.size
        perm_n = _auto_count(n_permutations, "n_permutations", 200, n_sub)
        sim_n = _auto_count(n_simulations, "n_simulations", 100, n_sub)
        settings.setdefault("n_permutations", {})[key] = perm_n
        settings.setdefault("n_simulations", {})[key] = sim_n
        sub, sub_rows = _analyze_subset(
            key, index, u[index], g_all[index], minimize, k=k, k_band=k_band, q=q,
            m_top=m_top, sigma=sigma_value, eps=eps, margin=margin, hessian=hessian,
            quadratic=quadratics[key], graph=graphs[key], nearest=nearest[key],
            n_permutations=perm_n,
            n_simulations=sim_n, level=level, seed=seed)
        subsets[key] = sub
        rows.extend(sub_rows)
    if not fail.any():
        subsets["non-failed"] = subsets["all"]
    settings["n_bootstrap"] = n_boot

    fidelity = None
    if learning_curves is not None:
        curves = _check_curves(learning_curves)
        if len(curves) != n:
            raise ValueError(f"learning_curves must have {n} curves, got {len(curves)}")
        fidelity = {}
        for key, index in subsets_index.items():
            prof = fidelity_profile([curves[i] for i in index], minimize=minimize, top=q)
            fidelity[key] = prof
            for j, f in enumerate(prof["fraction"]):
                for meas in ("spearman", "kendall", "shake_up", "top_iou", "regret"):
                    rows.append(Row(key, f"fidelity@{f:g} {meas}", float(prof[meas][j]), "",
                                    math.nan, math.nan, math.nan))
        if not fail.any():
            fidelity["non-failed"] = fidelity["all"]
    return LandscapeResult(name=name, names=names, settings=_json_clean(settings),
                           subsets=subsets, failed=fail, y=y_all, fidelity=fidelity, _rows=rows)


def _analyze_subset(key, index, u, g, minimize, *, k, k_band, q, m_top, sigma, eps, margin,
                    hessian, quadratic, graph, nearest, n_permutations, n_simulations, level, seed):
    n = g.size
    n_top = _n_top(n, q)
    surrogate = single_peak(u, g, hessian=hessian, sigma=sigma)
    gaps = {"": 0.0, f"_margin{margin:g}sigma": margin * sigma}
    eps_abs = {f"@{e:g}sigma": e * sigma for e in eps}
    measures = {"n_runs": float(n)}
    baselines = {}
    arrays = None
    for kk in (k, *[kb for kb in k_band if kb != k]):
        if kk >= n:
            continue
        gr = graph if kk == k else _graph(u, g, minimize, nearest[0][:, :kk], nearest[1][:, :kk])
        suffix = "" if kk == k else f"@k={kk}"
        if kk == k:
            observed, arrays = _graph_statistics(gr, n_top=n_top, gaps=gaps, eps=eps_abs,
                                                 full=True)
            stat = _graph_statistics_fn(n_top, gaps, eps_abs)
        else:
            observed = {
                name: v for name, v in _graph_statistics(gr, n_top=n_top, gaps=gaps,
                                                         eps={}).items()
                if name in ("local_optima", "components")}
            stat = _graph_statistics_fn(n_top, gaps, {}, keep=("local_optima", "components"))
        perm = null_distribution(gr, stat, n=n_permutations, seed=seed)
        sim = null_distribution(gr, stat, kind="single-peak", n=n_simulations,
                                surrogate=surrogate, seed=seed)
        for name, value in observed.items():
            measures[name + suffix] = value
            baselines[name + suffix] = {
                "permutation": Baseline.from_draws(perm[name], level),
                "single-peak": Baseline.from_draws(sim[name], level)}

    best = int(np.argmax(g))
    dist_best = _distance_to(u, u[best])
    measures["fdc_best"] = fdc(u, g, reference="best")
    measures["fdc_top"] = fdc(u, g, reference="top", m=m_top)
    sizes = np.bincount(arrays["attractor"], minlength=n)
    measures["n_attractors"] = float(np.count_nonzero(sizes))
    measures["largest_basin"] = float(sizes.max() / n)
    measures["best_basin"] = float(sizes[best] / n)
    for lab, nu_i in arrays["neutrality"].items():
        measures[f"ndc{lab}"] = _ndc(graph, nu_i)
    corr = correlogram(u, g, seed=seed)

    rows = []
    for name, value in measures.items():
        if name in baselines:
            for bname, b in baselines[name].items():
                rows.append(Row(key, name, value, bname, b.mean, b.low, b.high))
        else:
            rows.append(Row(key, name, value, "", math.nan, math.nan, math.nan))
    if quadratic is not None:
        qf = quadratic
        for name, value in (("quadratic_m", qf.m), ("quadratic_radius", qf.radius),
                            ("quadratic_r2", qf.r2), ("quadratic_sigma", qf.sigma)):
            rows.append(Row(key, name, float(value), "", math.nan, math.nan, math.nan))
        rows.append(Row(key, "participation_ratio", qf.participation_ratio, "bootstrap",
                        math.nan, *qf.participation_interval))
        rows.append(Row(key, "participation_ratio_abs", qf.participation_ratio_abs, "",
                        math.nan, math.nan, math.nan))
        rows.append(Row(key, "n_curved_10pct", float(qf.n_curved), "bootstrap", math.nan,
                        *qf.n_curved_interval))
        rows.append(Row(key, "n_significant_negative", float(qf.n_significant), "", math.nan,
                        math.nan, math.nan))
        for j, lam in enumerate(qf.eigenvalues):
            lead = qf.names[int(np.abs(qf.eigenvectors[:, j]).argmax())]
            rows.append(Row(key, f"eigenvalue_{j + 1} ({lead})", float(lam), "bootstrap",
                            math.nan, *map(float, qf.eigenvalue_interval[j])))
    for lo, hi, rho in zip(corr["edges"][:-1], corr["edges"][1:], corr["rho"]):
        rows.append(Row(key, f"correlogram[{lo:.3f},{hi:.3f}]", float(rho), "", math.nan,
                        math.nan, math.nan))
    sub = SubsetResult(name=key, index=index, graph=graph, measures=measures,
                       baselines=baselines, is_optimum=arrays["gap"] > 0,
                       distance_to_best=dist_best, attractor=arrays["attractor"],
                       quadratic=quadratic, correlogram=corr, surrogate=surrogate)
    return sub, rows


def _graph_statistics_fn(n_top, gaps, eps, keep=None):
    def statistic(gr):
        out = _graph_statistics(gr, n_top=n_top, gaps=gaps, eps=eps)
        return out if keep is None else {name: out[name] for name in keep}
    return statistic


# ------------------------------------------------------------------------------------------
# Plots and report


def plot_landscape(result, gamma_draws=None):
    """Figure summarising a :class:`LandscapeResult`.

    Panels: score against distance to the best run (local optima marked, failed runs grey);
    the 2-D PCA projection of the encoded configurations coloured by score; the Hessian
    eigen-spectrum of the local quadratic with bootstrap intervals; with ``gamma_draws``, the
    posterior of the NQ :math:`\\gamma` beside the Hessian's effective dimension (PR and
    :math:`n_{10}`); with learning curves, the fidelity similarity curves.

    Parameters
    ----------
    result : LandscapeResult
    gamma_draws : array_like, optional
        Posterior draws of :math:`\\gamma` from a tail fit.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, LandscapeResult):
        raise ValueError(f"result must be a LandscapeResult, got {type(result).__name__}")
    if gamma_draws is not None:
        gamma_draws = _check_finite(_as_float_array(gamma_draws, "gamma_draws", 1), "gamma_draws")
        if gamma_draws.size == 0:
            raise ValueError("gamma_draws must not be empty")
    panels = [_panel_distance, _panel_pca, _panel_spectrum]
    if gamma_draws is not None:
        panels.append(_panel_gamma)
    if result.fidelity is not None:
        panels.append(_panel_fidelity)
    ncols = 3 if len(panels) > 4 else 2
    nrows = -(-len(panels) // ncols)
    fig = plt.figure(figsize=(5.2 * ncols, 4.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, panel in zip(axes, panels):
        panel(ax, result, gamma_draws)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"Landscape of {result.name} (k={result.settings['k']}, "
                 f"{'minimize' if result.settings['minimize'] else 'maximize'})")
    return fig


def _score_label(result):
    return "score (lower is better)" if result.settings["minimize"] else "score"


def _panel_distance(ax, result, _):
    sub = result.subsets["all"]
    y = sub.graph.y
    failed = result.failed[sub.index]
    dist = sub.distance_to_best
    small = 4 if y.size > 5000 else 12
    ax.scatter(dist[~failed], y[~failed], s=small, c="C0", alpha=0.6, label="runs",
               rasterized=True)
    if failed.any():
        ax.scatter(dist[failed], y[failed], s=small, c="0.6", marker="x", alpha=0.6,
                   label="failed", rasterized=True)
    opt = sub.is_optimum
    ax.scatter(dist[opt], y[opt], s=28, facecolors="none", edgecolors="C3",
               label=f"local optima ({int(opt.sum())})")
    best = int(np.argmax(sub.graph.g))
    ax.scatter([0.0], [y[best]], s=90, marker="*", c="gold", edgecolors="k", label="best")
    ax.set_xlabel("distance to best (encoded)")
    ax.set_ylabel(_score_label(result))
    fdc_value = sub.measures["fdc_best"]
    ax.set_title(f"score vs distance (FDC {fdc_value:+.2f})")
    ax.legend(fontsize=7, loc="best")


def _panel_pca(ax, result, _):
    sub = result.subsets["all"]
    u = sub.graph.u
    centred = u - u.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt[:2].T
    if proj.shape[1] == 1:
        proj = np.column_stack([proj[:, 0], np.zeros(u.shape[0])])
    share = s ** 2 / max(float((s ** 2).sum()), 1e-300)
    y = sub.graph.y
    order = np.argsort(sub.graph.g)
    sc = ax.scatter(proj[order, 0], proj[order, 1], c=y[order], s=4 if y.size > 5000 else 12,
                    cmap="viridis_r" if result.settings["minimize"] else "viridis",
                    rasterized=True)
    best = int(np.argmax(sub.graph.g))
    ax.scatter([proj[best, 0]], [proj[best, 1]], s=90, marker="*", c="gold", edgecolors="k")
    ax.figure.colorbar(sc, ax=ax, label=_score_label(result))
    ax.set_xlabel(f"PC1 ({share[0]:.0%})")
    ax.set_ylabel(f"PC2 ({share[1]:.0%})" if share.size > 1 else "PC2")
    ax.set_title("PCA of encoded configurations")


def _main_quadratic(result):
    sub = result.subsets.get("non-failed", result.subsets["all"])
    return sub.quadratic if sub.quadratic is not None else result.subsets["all"].quadratic


def _panel_spectrum(ax, result, _):
    qf = _main_quadratic(result)
    if qf is None:
        ax.text(0.5, 0.5, "too few runs for a quadratic", ha="center", va="center")
        ax.set_axis_off()
        return
    j = np.arange(1, qf.eigenvalues.size + 1)
    err = np.abs(qf.eigenvalue_interval - qf.eigenvalues[:, None]).T
    ax.errorbar(j, qf.eigenvalues, yerr=err, fmt="o", capsize=3, color="C0")
    ax.axhline(0.0, color="k", lw=0.8)
    labels = [qf.names[int(np.abs(qf.eigenvectors[:, i]).argmax())] for i in range(j.size)]
    ax.set_xticks(j, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Hessian eigenvalue (oriented)")
    ax.set_title(f"local quadratic: PR {qf.participation_ratio:.2f}, n10 {qf.n_curved}, "
                 f"R² {qf.r2:.2f}", fontsize=10)


def _panel_gamma(ax, result, gamma_draws):
    qf = _main_quadratic(result)
    values, counts = np.unique(np.round(gamma_draws, 6), return_counts=True)
    if values.size <= 20:
        ax.bar(values, counts / counts.sum(), width=0.6, color="C2", alpha=0.7,
               label="NQ tail fit γ")
    else:
        ax.hist(gamma_draws, bins=30, density=True, color="C2", alpha=0.7, label="NQ tail fit γ")
    if qf is not None:
        lo, hi = qf.participation_interval
        ax.axvspan(lo, hi, color="C1", alpha=0.2)
        ax.axvline(qf.participation_ratio, color="C1", lw=2, label="Hessian PR")
        ax.axvline(qf.n_curved, color="C3", ls="--", label="Hessian n10")
    ax.set_xlabel("effective dimension γ")
    ax.set_ylabel("posterior share")
    ax.set_title("tail-fit γ vs Hessian effective dimension", fontsize=10)
    ax.legend(fontsize=7)


def _panel_fidelity(ax, result, _):
    for key, style in (("all", "-"), ("non-failed", "--")):
        prof = result.fidelity.get(key)
        if prof is None or (key != "all" and result.subsets[key].name == "all"):
            continue
        for meas, color in (("spearman", "C0"), ("kendall", "C1"), ("top_iou", "C2")):
            ax.plot(prof["fraction"], prof[meas], style, marker="o", color=color,
                    label=f"{meas} ({key})")
    ax.set_xlabel("fraction of each run's budget")
    ax.set_ylabel("similarity to final score")
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.02)
    ax.set_title("can I tune at low fidelity?", fontsize=10)
    ax.legend(fontsize=7)


def report(data, out_dir, gamma_draws=None, **kwargs):
    """Analyze and write ``landscape.csv``, ``landscape.json`` and ``landscape.png``.

    Parameters
    ----------
    data : Scores, LandscapeResult or array_like
        Passed to :func:`analyze` (with ``kwargs``) unless already a result.
    out_dir : str or os.PathLike
        Created when missing.
    gamma_draws : array_like, optional
        See :func:`plot_landscape`.
    **kwargs
        Forwarded to :func:`analyze`.

    Returns
    -------
    LandscapeResult
    """
    if isinstance(data, LandscapeResult):
        if kwargs:
            raise ValueError(
                f"analysis options {sorted(kwargs)!r} cannot apply to a finished result")
        result = data
    else:
        result = analyze(data, **kwargs)
    if not isinstance(out_dir, (str, os.PathLike)):
        raise ValueError(f"out_dir must be a path, got {out_dir!r}")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "landscape.csv"), "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(Row._fields)
        for row in result.table():
            writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
    with open(os.path.join(out_dir, "landscape.json"), "w") as fh:
        json.dump(result.to_dict(), fh, indent=2)
    import matplotlib.pyplot as plt

    fig = plot_landscape(result, gamma_draws=gamma_draws)
    try:
        fig.savefig(os.path.join(out_dir, "landscape.png"), dpi=110)
    finally:
        plt.close(fig)
    return result
