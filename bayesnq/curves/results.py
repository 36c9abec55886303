"""The results of the curves package: :class:`TuningCurve` and :class:`RunsToReach`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TuningCurve", "RunsToReach"]


@dataclass(frozen=True, eq=False)
class TuningCurve:
    r"""A posterior tuning curve of a *fresh* search: per-draw curves and their summaries.

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
    r"""How many runs a *fresh* random search takes for its tuning curve to reach a target.

    A fresh search of ``n`` runs, not runs added to a search already made (for those,
    :class:`~bayesnq.curves.MoreRuns`).

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
