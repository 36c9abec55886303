r"""Posterior tuning curves: how good the best of ``n`` random-search runs will be.

A random search draws scores :math:`Y_1, Y_2, \dots` iid from :math:`F_\theta`, here a noisy
quadratic distribution with :math:`\theta = (\alpha, \beta, \gamma, \sigma)`. The *tuning
curve* follows the best of the first ``n`` runs, :math:`T_n = \max_{i \le n} Y_i` when
maximizing (:math:`\min` when minimizing), whose distribution is

.. math::

    P_\theta(T_n \le y) = F_\theta(y)^n \quad\text{(maximize)}, \qquad
    P_\theta(T_n \le y) = 1 - (1 - F_\theta(y))^n \quad\text{(minimize)}.

Per posterior draw :math:`\theta^{(s)}` this module computes

* the **q-quantile tuning curve** :math:`\tau_q(n; \theta) = F_\theta^{-1}(q^{1/n})`
  (maximize) or :math:`F_\theta^{-1}(1 - (1 - q)^{1/n})` (minimize), and
* the **average tuning curve** :math:`E_\theta[T_n]`,

and summarizes them over draws by the posterior median and an equal-tailed credible band.
It also computes the **posterior-predictive** curve, the quantile of :math:`T_n` under the
posterior predictive distribution of the search,

.. math::

    P(T_n \le y \mid \text{data}) = E_\theta\big[F_\theta(y)^n\big] \quad\text{(maximize)},
    \qquad 1 - E_\theta\big[(1 - F_\theta(y))^n\big] \quad\text{(minimize)},

which is *not* the plug-in :math:`(E_\theta F_\theta(y))^n`: the ``n`` runs of one future
search share one unknown :math:`\theta`. For the mean, :math:`E[T_n \mid \text{data}] =
E_\theta[E_\theta T_n]`, the posterior mean of the per-draw average curves.

Empirical counterparts (the best of ``n`` draws with replacement from the observed scores)
and :func:`runs_to_reach`, the number of runs needed to reach a target score, complete the
module.

All probabilities are handled in log space (:meth:`NoisyQuadratic.log_cdf` /
:meth:`~NoisyQuadratic.log_sf`), so ``n`` of :math:`10^6` and beyond keeps full precision.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import bayesnq  # noqa: F401  (turns on float64 in JAX)
from bayesnq.distribution import NoisyQuadratic

__all__ = [
    "TuningCurve",
    "RunsToReach",
    "tuning_curve",
    "average_tuning_curve",
    "empirical_tuning_curve",
    "empirical_average_tuning_curve",
    "runs_to_reach",
    "regime_start",
    "thin",
]

PARAMETERS = ("alpha", "beta", "gamma", "sigma")

# Budget (elements of a draws x n block) per vectorized evaluation; the quadrature adds a
# further axis of ~94 nodes, so this keeps every intermediate array near 25 MB.
_BLOCK = 1 << 15
_SOLVER_STEPS = 60
_MIN_DRAWS = 64  # draws are padded to at least this many (one compiled shape for small S)
_LOG_HALF = -math.log(2.0)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class TuningCurve:
    r"""A posterior tuning curve: per-draw curves and their summaries.

    Attributes
    ----------
    n : np.ndarray, shape (m,)
        Numbers of runs :math:`n`.
    lower, median, upper : np.ndarray, shape (m,)
        Equal-tailed ``ci`` credible band and posterior median of the per-draw curves:
        the :math:`(1 - ci)/2`, :math:`1/2` and :math:`(1 + ci)/2` quantiles over draws.
    predictive : np.ndarray, shape (m,)
        The posterior-predictive curve: the q-quantile of :math:`T_n` under
        :math:`E_\theta[F_\theta(y)^n]` (kind ``"quantile"``), or the posterior mean of the
        per-draw average curves (kind ``"average"``).
    draws : np.ndarray, shape (S, m)
        Per-draw curves, one row per (thinned) posterior draw.
    q : float or None
        Quantile level of the best of ``n`` (``None`` for the average curve).
    ci : float
        Credible level of the band.
    kind : {"quantile", "average"}
    minimize : bool
        True when lower scores are better.
    """

    n: np.ndarray
    lower: np.ndarray
    median: np.ndarray
    upper: np.ndarray
    predictive: np.ndarray
    draws: np.ndarray
    q: float | None
    ci: float
    kind: str
    minimize: bool

    def __len__(self) -> int:
        return self.n.size

    def to_dict(self, draws: bool = False) -> dict:
        """Plain-Python (JSON-ready) dict of the curve; per-draw curves only if ``draws``."""
        out = {
            "kind": self.kind,
            "q": self.q,
            "ci": self.ci,
            "minimize": self.minimize,
            "n": self.n.tolist(),
            "lower": self.lower.tolist(),
            "median": self.median.tolist(),
            "upper": self.upper.tolist(),
            "predictive": self.predictive.tolist(),
        }
        if draws:
            out["draws"] = self.draws.tolist()
        return out

    def to_frame(self):
        """pandas DataFrame with columns ``n, lower, median, upper, predictive``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "n": self.n,
                "lower": self.lower,
                "median": self.median,
                "upper": self.upper,
                "predictive": self.predictive,
            }
        )

    def __repr__(self) -> str:
        what = f"q={self.q:g}" if self.kind == "quantile" else "average"
        direction = "minimize" if self.minimize else "maximize"
        n = self.n
        span = f"n={_g(n[0])}" if n.size == 1 else f"n={_g(n[0])}..{_g(n[-1])} ({n.size} points)"
        last = (
            f"median {self.median[-1]:.6g} [{self.lower[-1]:.6g}, {self.upper[-1]:.6g}] "
            f"at n={_g(n[-1])}"
        )
        return (
            f"TuningCurve({what}, {direction}, {span}, ci={self.ci:g}, "
            f"{self.draws.shape[0]} draws; {last})"
        )


@dataclass(frozen=True, eq=False)
class RunsToReach:
    r"""How many random-search runs it takes for the tuning curve to reach a target score.

    Attributes
    ----------
    target : float
        The score to reach (at least, when maximizing; at most, when minimizing).
    median, lower, upper : float
        Posterior median and equal-tailed ``ci`` band of the per-draw run counts ``draws``
        (``inf`` when a quantile falls on draws that never reach the target).
    predictive : float
        The smallest ``n`` whose posterior-predictive q-quantile of the best of ``n``
        reaches the target: :math:`E_\theta[F_\theta(t)^n] \le q` (maximize),
        :math:`E_\theta[(1 - F_\theta(t))^n] \ge 1 - q` (minimize).
    p_reachable : float
        Posterior probability that the target is no better than the best *expected* score
        (:math:`t \le \beta` when maximizing, :math:`t \ge \alpha` when minimizing). Targets
        beyond it are reached only through noise (a lucky run, which a rerun would not
        reproduce): ``n`` is still finite then, but it measures luck, not tuning.
    draws : np.ndarray, shape (S,)
        Per-draw smallest ``n`` (an integer :math:`\ge 1` stored as float, ``inf`` where the
        target's tail probability underflows).
    q, ci : float
    minimize : bool
    """

    target: float
    median: float
    lower: float
    upper: float
    predictive: float
    p_reachable: float
    draws: np.ndarray
    q: float
    ci: float
    minimize: bool

    def to_dict(self) -> dict:
        """JSON-ready dict of the summaries (without the per-draw counts)."""
        return {
            "target": self.target,
            "median": self.median,
            "lower": self.lower,
            "upper": self.upper,
            "predictive": self.predictive,
            "p_reachable": self.p_reachable,
            "q": self.q,
            "ci": self.ci,
            "minimize": self.minimize,
        }

    def __repr__(self) -> str:
        return (
            f"RunsToReach(target={self.target:.6g}, median={_g(self.median)}, "
            f"{self.ci:.0%} band [{_g(self.lower)}, {_g(self.upper)}], "
            f"predictive={_g(self.predictive)}, p_reachable={self.p_reachable:.3f})"
        )


def _g(x: float) -> str:
    x = float(x)
    if math.isinf(x):
        return "inf"
    return f"{x:.0f}" if x == round(x) and abs(x) < 1e15 else f"{x:.4g}"


# ----------------------------------------------------------------------------- checks


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {name}={value!r}")
    return bool(value)


def _check_level(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number in (0, 1), got {name}={value!r}")
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {name}={value!r}")
    return value


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {name}={value!r}")
    return int(value)


def _check_n(n) -> np.ndarray:
    try:
        arr = np.asarray(n, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"n must be numbers of runs (>= 1), got n={n!r}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"n must be a number or a non-empty 1-D array, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 1.0)
    if bad.any():
        raise ValueError(f"n must be finite and >= 1, got n={float(arr[bad][0])!r}")
    return arr


def _draws_dict(draws) -> dict[str, np.ndarray]:
    """Validated flat float64 arrays of alpha, beta, gamma, sigma (same length)."""
    if not isinstance(draws, Mapping) and callable(getattr(draws, "draws", None)):
        draws = draws.draws()
    if not isinstance(draws, Mapping):
        raise ValueError(
            "draws must be a mapping with keys 'alpha', 'beta', 'gamma', 'sigma' "
            f"(e.g. fit.draws()), got {type(draws).__name__}"
        )
    missing = [k for k in PARAMETERS if k not in draws]
    if missing:
        raise ValueError(f"draws is missing {missing}; it needs {list(PARAMETERS)}")
    out = {}
    for k in PARAMETERS:
        try:
            a = np.asarray(draws[k], dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ValueError(f"draws[{k!r}] must be numeric, got {draws[k]!r}") from None
        if a.size == 0:
            raise ValueError(f"draws[{k!r}] is empty")
        if not np.all(np.isfinite(a)):
            i = int(np.flatnonzero(~np.isfinite(a))[0])
            raise ValueError(f"draws[{k!r}] must be finite, got {a[i]!r} at draw {i}")
        out[k] = a
    sizes = {k: v.size for k, v in out.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"draws: parameters have different numbers of draws {sizes}")
    bad = out["alpha"] >= out["beta"]
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"draws: alpha must be below beta, got alpha={out['alpha'][i]!r}, "
            f"beta={out['beta'][i]!r} at draw {i}"
        )
    if np.any(out["gamma"] <= 0):
        i = int(np.flatnonzero(out["gamma"] <= 0)[0])
        raise ValueError(f"draws['gamma'] must be positive, got {out['gamma'][i]!r} at draw {i}")
    if np.any(out["sigma"] < 0):
        i = int(np.flatnonzero(out["sigma"] < 0)[0])
        raise ValueError(f"draws['sigma'] must be >= 0, got {out['sigma'][i]!r} at draw {i}")
    return out


def thin(draws, max_draws: int | None = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """Validated draws, thinned to at most ``max_draws`` without replacement.

    The subset is drawn by ``numpy.random.default_rng(seed)`` and kept in the original
    order, so the same ``(draws, max_draws, seed)`` always gives the same subset.
    ``max_draws=None`` keeps every draw.
    """
    d = _draws_dict(draws)
    seed = _check_int("seed", seed, 0)
    size = d["alpha"].size
    if max_draws is None:
        return d
    max_draws = _check_int("max_draws", max_draws, 1)
    if size <= max_draws:
        return d
    idx = np.sort(np.random.default_rng(seed).choice(size, size=max_draws, replace=False))
    return {k: v[idx] for k, v in d.items()}


# ----------------------------------------------------------------------------- kernels


def _dist(p, minimize):
    return NoisyQuadratic(p[0], p[1], p[2], p[3], minimize=minimize)


def _logs_best(d, y):
    r""":math:`\log f`, :math:`\log F` and :math:`\log(1 - F)`, each accurate near 0.

    :math:`\log F` is taken as :math:`\log(1 - S)` where the survival :math:`S < 1/2`
    (and vice versa), so :math:`n \log F` keeps its relative precision for huge ``n``.
    """
    # under jit, XLA merges the three calls' shared quadrature into one pass
    log_pdf, log_cdf, log_sf = d.log_prob(y), d.log_cdf(y), d.log_sf(y)
    log_f = jnp.where(log_sf < _LOG_HALF, jnp.log1p(-jnp.exp(log_sf)), log_cdf)
    log_s = jnp.where(log_cdf < _LOG_HALF, jnp.log1p(-jnp.exp(log_cdf)), log_sf)
    return log_pdf, log_f, log_s


def _pow2_at_least(k: int) -> int:
    return 1 << max(0, math.ceil(math.log2(max(1, k))))


def _pow2_at_most(k: int) -> int:
    return 1 << max(0, int(math.floor(math.log2(max(1, k)))))


def _bucket(m: int) -> int:
    """Padded number of n values: 8, 32, 128, ... (few compiled shapes)."""
    size = 8
    while size < m:
        size *= 4
    return size


def _pad(a: np.ndarray, size: int, axis: int = -1) -> np.ndarray:
    """Pad ``a`` along ``axis`` to ``size`` by repeating its last entry."""
    missing = size - a.shape[axis]
    if missing <= 0:
        return a
    last = np.take(a, [-1], axis=axis)
    return np.concatenate([a, np.repeat(last, missing, axis=axis)], axis=axis)


# Shapes are bucketed (8, 32, 128, ... values of n; blocks of at least 64 draws, a power of
# two), so that a handful of compiled kernels serve every call: compiling one takes seconds.


@partial(jax.jit, static_argnames=("minimize",))
def _quantile_kernel(params, n, q, minimize):
    d = _dist(params[:, :, None], minimize)
    return d.quantile_tuning_curve(n[None, :], q)


@partial(jax.jit, static_argnames=("minimize",))
def _average_kernel(params, n, minimize):
    d = _dist(params[:, :, None], minimize)
    return d.average_tuning_curve(n[None, :])


def _per_draw(kind: str, d: dict, n: np.ndarray, q: float, minimize: bool) -> np.ndarray:
    """Per-draw curves, shape (S, m), in blocks of draws (a loop over blocks, not draws)."""
    params = np.stack([d[k] for k in PARAMETERS])
    s, m = params.shape[1], n.size
    # the average curve costs ~570 log-cdf evaluations per point (about 48 quantile
    # solves): pad n less generously there
    m_pad = _bucket(m) if kind == "quantile" else max(8, _pow2_at_least(m))
    cost = m_pad if kind == "quantile" else 48 * m_pad
    size = min(max(_MIN_DRAWS, _pow2_at_least(s)), _pow2_at_most(_BLOCK // cost))
    n_pad = jnp.asarray(_pad(n, m_pad))
    out = np.empty((s, m))
    for i in range(0, s, size):
        block = jnp.asarray(_pad(params[:, i:i + size], size))
        if kind == "quantile":
            y = _quantile_kernel(block, n_pad, q, minimize)
        else:
            y = _average_kernel(block, n_pad, minimize)
        width = min(size, s - i)
        out[i:i + width] = np.asarray(y)[:width, :m]
    return out


@partial(jax.jit, static_argnames=("minimize",))
def _predictive_solve(params, mask, n, log_level, lo, hi, start, minimize):
    r"""Solve :math:`E_\theta[P_\theta(y)^n] = \ell` for y, one y per n.

    ``params`` (4, S) with ``mask`` (S,) marking real draws (the rest is padding);
    ``n``, ``lo``, ``hi``, ``start`` (m,). With :math:`P = F` and :math:`\ell = q`
    (maximize) or :math:`P = 1 - F` and :math:`\ell = 1 - q` (minimize),

    .. math::

        L(y) = \log \frac1S \sum_s e^{n \log P_s(y)} \;(\le 0), \qquad
        H(y) = \log(-L(y)) - \log(-\log \ell) = 0,

    the double log making :math:`H` close to linear in the Gaussian and power-law tails
    (:math:`-L \approx n(1 - P)` there). Newton steps with
    :math:`H' = L'/L`, :math:`L' = \sum_s w_s\, n\, (\log P_s)'`, softmax weights
    :math:`w_s \propto P_s^n` and :math:`(\log F)' = f/F`, :math:`(\log(1-F))' = -f/(1-F)`,
    kept inside a shrinking bisection bracket.
    """
    d = _dist(params[:, :, None], minimize)
    log_count = jnp.log(jnp.sum(mask))
    sign = -1.0 if minimize else 1.0  # sign of dL/dy
    keep = mask[:, None]
    target = jnp.log(-log_level)

    def objective(y):
        log_pdf, log_f, log_s = _logs_best(d, y[None, :])
        log_p = log_s if minimize else log_f
        terms = jnp.where(keep, n[None, :] * log_p, -jnp.inf)
        big_l = jnp.minimum(jax.nn.logsumexp(terms, axis=0) - log_count, 0.0)
        w = jax.nn.softmax(terms, axis=0)
        ratio = jnp.where(keep, jnp.exp(log_pdf - log_p), 0.0)
        slope_l = sign * jnp.sum(w * n[None, :] * ratio, axis=0)
        h = jnp.log(-big_l) - target
        return h, slope_l / big_l

    # stop once no y moves by more than this (or after _SOLVER_STEPS steps)
    tol = 1e-13 * (hi - lo) + 8 * jnp.spacing(jnp.abs(hi) + jnp.abs(lo))

    def step(state):
        i, lo, hi, y, _ = state
        h, slope = objective(y)
        # H decreases in y when maximizing (L increases), increases when minimizing
        too_high = (h > 0) if minimize else (h < 0)
        lo = jnp.where(too_high, lo, y)
        hi = jnp.where(too_high, y, hi)
        newton = y - h / jnp.where(slope == 0, jnp.inf, slope)
        ok = (newton >= lo) & (newton <= hi) & jnp.isfinite(newton)
        new = jnp.where(ok, newton, 0.5 * (lo + hi))
        moving = jnp.any(jnp.abs(new - y) > tol)
        return i + 1, lo, hi, new, moving

    def going(state):
        i, _, _, _, moving = state
        return (i < _SOLVER_STEPS) & moving

    _, _, _, y, _ = lax.while_loop(going, step, (0, lo, hi, start, True))
    return y


def _predictive_quantile(d: dict, n: np.ndarray, q: float, minimize: bool, per_draw: np.ndarray):
    params = np.stack([d[k] for k in PARAMETERS])
    s = params.shape[1]
    s_pad = max(_MIN_DRAWS, _pow2_at_least(s))
    mask = jnp.asarray(np.arange(s_pad) < s)
    params = jnp.asarray(_pad(params, s_pad))
    # Every draw's q-quantile of T_n brackets the mixture's: at min_s tau_s all F_s^n <= q.
    lo = per_draw.min(axis=0)
    hi = per_draw.max(axis=0)
    pad = 1e-9 * (hi - lo) + 1e-6 * np.median(d["sigma"]) + 4 * np.spacing(np.abs(hi) + 1.0)
    lo, hi = lo - pad, hi + pad
    start = np.clip(np.median(per_draw, axis=0), lo, hi)
    log_level = math.log1p(-q) if minimize else math.log(q)
    m = n.size
    chunk = max(8, min(_bucket(m), _pow2_at_most(_BLOCK // s_pad)))
    out = np.empty(m)
    for i in range(0, m, chunk):  # loop over blocks of n, never over draws
        part = [jnp.asarray(_pad(a[i:i + chunk], chunk)) for a in (n, lo, hi, start)]
        y = _predictive_solve(params, mask, part[0], log_level, *part[1:], minimize)
        width = min(chunk, m - i)
        out[i:i + width] = np.asarray(y)[:width]
    return out


# ----------------------------------------------------------------------------- curves


def _summarize(per_draw: np.ndarray, ci: float):
    lo, med, hi = np.quantile(per_draw, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=0)
    return lo, med, hi


def tuning_curve(
    draws,
    n,
    *,
    minimize: bool,
    q: float = 0.5,
    ci: float = 0.8,
    max_draws: int | None = 1000,
    seed: int = 0,
) -> TuningCurve:
    r"""Posterior q-quantile tuning curve of the best of ``n`` runs.

    Parameters
    ----------
    draws : mapping or Fit
        Posterior draws: ``{"alpha", "beta", "gamma", "sigma"}`` to equal-length arrays
        (``fit.draws()``); an object with a ``draws()`` method is accepted too.
    n : float or array_like, shape (m,)
        Numbers of runs, each finite and :math:`\ge 1`; :math:`10^6` and beyond are fine.
    minimize : bool
        True: the best of ``n`` is the minimum, and ``draws`` are of the minimize form.
    q : float, default 0.5
        Quantile level of the best of ``n``, :math:`0 < q < 1` (0.5: the median curve).
    ci : float, default 0.8
        Level of the equal-tailed credible band, :math:`0 < ci < 1`.
    max_draws : int or None, default 1000
        Use at most this many draws, a subset chosen by ``seed`` (:func:`thin`); None: all.
    seed : int, default 0

    Returns
    -------
    TuningCurve
        ``draws[s, j]`` :math:`= \tau_q(n_j; \theta^{(s)})`, with
        :math:`\tau_q(n;\theta) = F_\theta^{-1}(q^{1/n})` (maximize) or
        :math:`F_\theta^{-1}(1 - (1-q)^{1/n})` (minimize); ``median``, ``lower``, ``upper``
        their quantiles over draws; ``predictive`` the solution :math:`y` of

        .. math::

            \frac1S \sum_s F_s(y)^n = q \quad\text{(maximize)}, \qquad
            \frac1S \sum_s (1 - F_s(y))^n = 1 - q \quad\text{(minimize)},

        the q-quantile of :math:`T_n` under the posterior predictive, found by safeguarded
        Newton in log space (log-sum-exp over draws), bracketed by the per-draw quantiles.

    Notes
    -----
    The predictive curve averages the *distribution* of :math:`T_n` over draws; it differs
    from both the median curve and the plug-in :math:`\bar F^{-1}(q^{1/n})` of the averaged
    cdf :math:`\bar F = E_\theta F_\theta`, which would treat the ``n`` runs as if each came
    from a fresh :math:`\theta`.
    """
    minimize = _check_bool("minimize", minimize)
    q = _check_level("q", q)
    ci = _check_level("ci", ci)
    n = _check_n(n)
    d = thin(draws, max_draws, seed)
    per_draw = _per_draw("quantile", d, n, q, minimize)
    lo, med, hi = _summarize(per_draw, ci)
    pred = _predictive_quantile(d, n, q, minimize, per_draw)
    return TuningCurve(n, lo, med, hi, pred, per_draw, q, ci, "quantile", minimize)


def average_tuning_curve(
    draws,
    n,
    *,
    minimize: bool,
    ci: float = 0.8,
    max_draws: int | None = 200,
    seed: int = 0,
) -> TuningCurve:
    r"""Posterior average tuning curve :math:`E[T_n]`, the expected best of ``n`` runs.

    Parameters
    ----------
    draws, n, minimize, ci, seed
        As in :func:`tuning_curve`.
    max_draws : int or None, default 200
        Each draw's average curve is an integral over quantiles
        (:meth:`NoisyQuadratic.average_tuning_curve`: about 570 log-cdf evaluations per
        point, the cost of some 50 quantile solves), hence the smaller default.

    Returns
    -------
    TuningCurve
        ``kind="average"``, ``q=None``; ``draws[s, j]`` :math:`= E_{\theta^{(s)}}[T_{n_j}]`;
        ``predictive`` :math:`= \frac1S\sum_s E_{\theta^{(s)}}[T_n]`, which is exactly the
        posterior-predictive mean :math:`E[T_n \mid \text{data}]` (the mean of a mixture is
        the mixture of the means).
    """
    minimize = _check_bool("minimize", minimize)
    ci = _check_level("ci", ci)
    n = _check_n(n)
    d = thin(draws, max_draws, seed)
    per_draw = _per_draw("average", d, n, 0.5, minimize)
    lo, med, hi = _summarize(per_draw, ci)
    return TuningCurve(n, lo, med, hi, per_draw.mean(axis=0), per_draw, None, ci, "average", minimize)


# ----------------------------------------------------------------------------- empirical


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
    minimize = _check_bool("minimize", minimize)
    q = _check_level("q", q)
    n = _check_n(n)
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
    minimize = _check_bool("minimize", minimize)
    n = _check_n(n)
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


# ----------------------------------------------------------------------------- runs to reach


def _quantile_with_inf(x: np.ndarray, probs) -> list[float]:
    """Linear-interpolation quantiles of ``x`` that may hold +inf (no inf - inf NaNs)."""
    x = np.sort(x)
    out = []
    for p in probs:
        pos = p * (x.size - 1)
        lo, hi = int(math.floor(pos)), int(math.ceil(pos))
        frac = pos - lo
        if np.isinf(x[hi]) and (frac > 0 or lo == hi):
            out.append(math.inf)
        elif lo == hi or np.isinf(x[lo]):
            out.append(float(x[lo]))
        else:
            out.append(float(x[lo] + frac * (x[hi] - x[lo])))
    return out


@partial(jax.jit, static_argnames=("minimize",))
def _log_tail(params, target, minimize):
    """log P(Y <= t) (maximize) or log P(Y >= t) (minimize), per draw."""
    d = _dist(params, minimize)
    _, log_f, log_s = _logs_best(d, target)
    return log_s if minimize else log_f


def _log_tail_of(d: dict, target: float, minimize: bool) -> np.ndarray:
    params = np.stack([d[k] for k in PARAMETERS])
    s = params.shape[1]
    padded = jnp.asarray(_pad(params, max(_MIN_DRAWS, _pow2_at_least(s))))
    return np.asarray(_log_tail(padded, jnp.asarray(target), minimize))[:s]


def runs_to_reach(
    draws,
    target: float,
    *,
    minimize: bool,
    q: float = 0.5,
    ci: float = 0.8,
    max_draws: int | None = None,
    seed: int = 0,
) -> RunsToReach:
    r"""Number of runs after which the q-quantile tuning curve reaches ``target``.

    When maximizing, :math:`\tau_q(n) = F^{-1}(q^{1/n}) \ge t \iff F(t)^n \le q`, so per
    draw the smallest such ``n`` is

    .. math::

        n(\theta) = \max\Big(1, \Big\lceil \frac{\log q}{\log F_\theta(t)} \Big\rceil\Big),

    and when minimizing :math:`\tau_q(n) \le t \iff (1 - F(t))^n \ge 1 - q`, so
    :math:`n(\theta) = \max(1, \lceil \log(1-q) / \log(1 - F_\theta(t)) \rceil)`. The
    logarithms come from ``log_cdf``/``log_sf`` (whichever is accurate near 0);
    :math:`n = \infty` where :math:`F(t)` rounds to 1 (maximize) or to 0 (minimize).

    To ask "how many runs to gain :math:`\Delta` over the current best", use
    ``target = scores.best + Δ`` (``- Δ`` when minimizing) and compare the answer with the
    number of runs already made: the curve is about a fresh search of ``n`` runs.

    Parameters
    ----------
    draws : mapping or Fit
        As in :func:`tuning_curve`.
    target : float
        Score to reach.
    minimize : bool
    q : float, default 0.5
        Quantile level of the best of ``n``. Reaching the target means
        :math:`P(T_n \ge t) \ge 1 - q` when maximizing and :math:`P(T_n \le t) \ge q`
        when minimizing; 0.5 (the median) is a 50% chance either way, and an 80% chance
        is ``q=0.2`` when maximizing, ``q=0.8`` when minimizing.
    ci : float, default 0.8
        Level of the equal-tailed band over draws.
    max_draws : int or None, default None
        Thin to this many draws (:func:`thin`); None uses all (one cdf evaluation each).
    seed : int, default 0

    Returns
    -------
    RunsToReach
        Per-draw counts and their median and band, the posterior-predictive count (the
        smallest integer :math:`n \ge 1` with :math:`\frac1S\sum_s F_s(t)^n \le q`,
        maximize; :math:`\frac1S\sum_s (1 - F_s(t))^n \ge 1 - q`, minimize) and
        ``p_reachable`` (see :class:`RunsToReach`).
    """
    minimize = _check_bool("minimize", minimize)
    q = _check_level("q", q)
    ci = _check_level("ci", ci)
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or not math.isfinite(target):
        raise ValueError(f"target must be a finite number, got target={target!r}")
    target = float(target)
    d = thin(draws, max_draws, seed)
    log_p = _log_tail_of(d, target, minimize)
    log_level = math.log1p(-q) if minimize else math.log(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_star = np.where(log_p < 0, log_level / np.where(log_p < 0, log_p, -1.0), np.inf)
    per_draw = np.where(np.isfinite(n_star), np.maximum(1.0, np.ceil(n_star)), np.inf)
    lower, median, upper = _quantile_with_inf(per_draw, [(1 - ci) / 2, 0.5, (1 + ci) / 2])
    predictive = _predictive_runs(log_p, log_level, n_star)
    best = d["alpha"] if minimize else d["beta"]
    reachable = best <= target if minimize else best >= target
    return RunsToReach(
        target=target,
        median=median,
        lower=lower,
        upper=upper,
        predictive=predictive,
        p_reachable=float(np.mean(reachable)),
        draws=per_draw,
        q=q,
        ci=ci,
        minimize=minimize,
    )


def _predictive_runs(log_p: np.ndarray, log_level: float, n_star: np.ndarray) -> float:
    r"""Smallest integer n >= 1 with :math:`\log\frac1S\sum_s e^{n \log p_s} \le \log\ell`.

    The left side decreases in n, and the answer lies between the smallest and largest
    per-draw answers :math:`n_s`: integer bisection inside that bracket.
    """
    from scipy.special import logsumexp

    size = log_p.size

    def h(n):
        return logsumexp(n * log_p) - math.log(size) - log_level

    stuck = np.mean(log_p >= 0)  # draws whose probability never drops below 1
    if stuck >= math.exp(log_level):
        return math.inf
    if h(1.0) <= 0:
        return 1.0
    finite = n_star[np.isfinite(n_star)]
    lo = max(1.0, float(finite.min())) if finite.size else 1.0
    hi = float(finite.max()) if finite.size else 1.0
    while h(hi) > 0:  # only when some draws are stuck at probability 1
        hi *= 2.0
        if hi > 1e300:
            return math.inf
    # integer bisection: h(a) > 0 >= h(b) throughout (h(1) > 0 was checked above)
    a, b = max(1, math.floor(min(lo, hi))), math.ceil(hi)
    if h(float(a)) <= 0:
        a = 1
    while b - a > 1:
        mid = (a + b) // 2
        if h(float(mid)) > 0:
            a = mid
        else:
            b = mid
    return float(b)


# ----------------------------------------------------------------------------- regime


def regime_start(draws, threshold: float, *, minimize: bool, q: float = 0.5) -> np.ndarray:
    r"""Per draw, the number of runs :math:`k^*` after which the q-quantile curve is in the tail.

    With :math:`p = P_\theta(\text{beyond the threshold})` (:math:`1 - F(\tau)` when
    maximizing, :math:`F(\tau)` when minimizing), the q-quantile of the best of ``k`` lies
    beyond the threshold once :math:`(1 - p)^k \le q` (maximize) or
    :math:`(1 - p)^k \le 1 - q` (minimize):

    .. math::

        k^* = \frac{\log q}{\log(1 - p)} \quad\text{(maximize)}, \qquad
        k^* = \frac{\log(1 - q)}{\log(1 - p)} \quad\text{(minimize)},

    :math:`\ln 0.5/\ln(1-p)` for the median in both. Real-valued (below 1 when the
    regime starts with the first run).

    Returns
    -------
    np.ndarray, shape (S,)
    """
    minimize = _check_bool("minimize", minimize)
    q = _check_level("q", q)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got threshold={threshold!r}")
    d = _draws_dict(draws)
    # log(1 - p): log F(tau) when maximizing, log S(tau) when minimizing
    log_rest = _log_tail_of(d, float(threshold), minimize)
    log_level = math.log1p(-q) if minimize else math.log(q)
    with np.errstate(divide="ignore"):
        return np.where(log_rest < 0, log_level / np.minimum(log_rest, -1e-300), np.inf)
