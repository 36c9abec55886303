r"""Local quadratic fit around the best runs: Hessian spectrum and effective dimension.

By the noisy-quadratic asymptotic law the score distribution's :math:`\gamma` is the rank
of the Hessian at the optimum; :func:`local_quadratic` estimates that Hessian from the runs
nearest the best region and reports two effective-dimension estimates with bootstrap
intervals. Hessians are in oriented units (larger scores better): a peak has negative
eigenvalues whether the search maximized or minimized.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bayesnq.direction import orient
from bayesnq.landscape import numerics as nx
from bayesnq.landscape.checks import check_names, check_points, check_scores
from bayesnq.landscape.graph import KNNGraph, components, knn_graph
from bayesnq.validation import (check_array, check_finite, check_int, check_level,
                                check_minimize, fail)

__all__ = ["QuadraticFit", "local_quadratic", "default_quadratic_size"]


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


def default_quadratic_size(n, d):
    """Default number of runs for :func:`local_quadratic`: ``max(3p, round(0.1 n))``.

    ``p = (d + 1)(d + 2) / 2 = d(d + 3)/2 + 1`` coefficients; capped at ``n``.
    """
    p = (d + 1) * (d + 2) // 2
    return min(n, max(3 * p, int(round(0.1 * n))))


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
    u = check_points("u", u)
    n, d = u.shape
    g = orient(check_scores("y", y, n), check_minimize(minimize))
    p = (d + 1) * (d + 2) // 2
    m = default_quadratic_size(n, d) if m is None else check_int("m", m, minimum=1)
    if not p < m <= n:
        raise fail("m", f"an integer in {p + 1}..{n} (a quadratic in d={d} has {p} "
                   "coefficients; n runs)", m)
    n_top = check_int("n_top", n_top, minimum=1)
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, minimum=1)
    level = check_level("level", level)
    names = check_names(names, d)
    if center is None or isinstance(center, str):
        center = _quadratic_center(u, g, "peak" if center is None else center, n_top, graph)
    else:
        center = check_finite("center", check_array("center", center, ndim=1))
        if center.size != d:
            raise ValueError(f"center must hold {d} coordinates, got {center.size}")
    dist = nx.distance_to(u, center)
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
    rss = nx.dot(resid, resid)
    tss = float(((t - t.mean()) ** 2).sum())
    hessian = _hessian_from(coef, d)
    lam, vec = np.linalg.eigh(hessian)
    vec = vec * np.where(vec[np.abs(vec).argmax(axis=0), np.arange(d)] < 0, -1.0, 1.0)
    pr, n10 = _effective_dimension(lam)
    if n_bootstrap > 1:
        rng = nx.rng(seed, nx.STREAM_BOOTSTRAP)
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


def _quadratic_center(u, g, how, n_top, graph=None):
    """Centre of the local quadratic (see :func:`local_quadratic`)."""
    if how not in ("peak", "top", "best"):
        raise fail("center", "'peak', 'top', 'best' or a point", how)
    n = g.size
    best = int(np.argmax(g))
    if how == "best":
        return u[best].copy()
    if how == "top" or n < 3:
        return u[nx.top_set(g, min(n_top, n))].mean(axis=0)
    if graph is None:
        graph = knn_graph(u, g, k=min(10, n - 1))
    elif not isinstance(graph, KNNGraph) or graph.n != n:
        raise fail("graph", f"a KNNGraph on the same {n} runs", graph)
    label = components(graph.edges, nx.top_mask(g, nx.n_top(n, 0.1)))[2]
    peak = np.flatnonzero(label == label[best])
    return u[peak[nx.top_set(g[peak], min(n_top, peak.size))]].mean(axis=0)


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
