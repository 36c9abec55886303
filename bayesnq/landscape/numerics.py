"""Small statistics the landscape measures share, and their random streams.

Correlations are written with ``einsum`` rather than BLAS: threaded BLAS on short vectors
stalls on a busy machine. Every random step draws from
``numpy.random.default_rng([seed, stream])`` with a fixed stream number per part, so that
adding a part never shifts another part's draws and results do not depend on call order
or global state.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

from bayesnq.validation import check_int

# Random streams: one per part.
STREAM_PERMUTATION = 1
STREAM_SINGLE_PEAK = 2
STREAM_BOOTSTRAP = 3
STREAM_CORRELOGRAM = 4


def rng(seed, stream: int) -> np.random.Generator:
    """The generator of one part (``stream``) of an analysis seeded with ``seed``."""
    return np.random.default_rng([check_int("seed", seed, minimum=0), stream])


def dot(a, b) -> float:
    return float(np.einsum("i,i->", a, b))


def pearson(a, b) -> float:
    """Pearson's correlation; NaN when either vector is constant."""
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(dot(a, a) * dot(b, b))
    return dot(a, b) / den if den > 0 else math.nan


def spearman(a, b) -> float:
    """Spearman's correlation (Pearson's on average ranks)."""
    return pearson(stats.rankdata(a), stats.rankdata(b))


def kendall(a, b) -> float:
    """Kendall's tau-b; NaN when undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.kendalltau(a, b).statistic)


def n_top(n: int, q: float) -> int:
    """Size of the top-``q`` set of ``n`` runs: ``max(1, round(q n))``."""
    return max(1, int(math.floor(q * n + 0.5)))


def top_mask(g, size: int) -> np.ndarray:
    """Mask of the ``size`` largest entries of ``g`` (ties broken arbitrarily)."""
    mask = np.zeros(g.size, dtype=bool)
    if size >= g.size:
        mask[:] = True
    else:
        mask[np.argpartition(-g, size - 1)[:size]] = True
    return mask


def top_set(g, size: int) -> np.ndarray:
    """Indices of the ``size`` largest entries of ``g``, ties broken by index."""
    return np.argsort(-g, kind="stable")[:size]


def distance_to(u, point) -> np.ndarray:
    """Euclidean distance of every row of ``u`` to ``point``."""
    return np.sqrt(((u - point) ** 2).sum(axis=1))
