r"""Two searches compared: is A better than B once tuned, and from how many runs on?

Given posterior draws of two independent fits, :math:`\theta_A^{(s)}` and
:math:`\theta_B^{(s)}`, :func:`compare` reports

* the posterior of the difference of the best possible expected scores,
  :math:`\Delta = b_A - b_B`, where :math:`b` is the best end of each noisy quadratic
  (:math:`\beta` when maximizing, :math:`\alpha` when minimizing), and
  ``p_better`` :math:`= P(b_A \text{ better than } b_B \mid y_A, y_B)` (:math:`\Delta > 0`
  when maximizing, :math:`\Delta < 0` when minimizing);
* for each budget :math:`n`, the posterior predictive probability that the best of
  :math:`n` fresh runs of A beats the best of :math:`n` fresh runs of B,

  .. math::

      P_n = E\left[P_\theta(T^A_n \succ T^B_n)\right], \qquad
      P_\theta(T^A_n > T^B_n) = \int_0^1 F_B\!\left(F_A^{-1}(u^{1/n})\right)^n du

  (maximize orientation; a minimize-form search is negated first, see
  :mod:`bayesnq.direction`), the integral over the quantile level :math:`u` of A's best
  of :math:`n`. Each pair of draws takes :math:`K` stratified levels
  :math:`u_k = (k + v_s)/K` with :math:`v_s` uniform, an unbiased estimate whose error
  averages out over pairs; the same is done with A and B exchanged and the two estimates
  are averaged (:math:`P = \tfrac12(\hat P_{A>B} + 1 - \hat P_{B>A})`). Ties have
  probability 0 (continuous distributions);
* the per-draw median tuning curves :math:`\tau_{1/2}(n)` of both and their difference
  :math:`\tau^A_{1/2}(n) - \tau^B_{1/2}(n)` with an equal-tailed credible band;
* the budget at which the ranking *settles*: the smallest :math:`n` of the grid from
  which :math:`P_n` stays above ``settle`` (A ahead) or below ``1 - settle`` (B ahead)
  at every larger budget of the grid; None ("no budget in range") otherwise.

**Assumption.** The two fits are independent: different searches, each fitted on its own
runs, so the joint posterior is the product of the two and draws are paired at random (a
random permutation of B's draws against A's). Searches that share runs or a seed, or whose
fits share parameters (:func:`bayesnq.inference.fit_many`), are not independent and
their draws should not be paired this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq import direction
from bayesnq.curves.draws import (BLOCK, DEFAULT_CI, MIN_DRAWS, N_CHUNK, as_draws, check_n, pad,
                                  pow2_at_least, pow2_at_most, stack, thin)
from bayesnq.curves.kernels import logs_best, noisy_quadratic, per_draw
from bayesnq.validation import check_int, check_level, check_real, fail

__all__ = ["Comparison", "compare", "DEFAULT_BUDGETS", "ASSUMPTION", "settling_budget"]

DEFAULT_BUDGETS = (1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000)

ASSUMPTION = (
    "The two fits are taken as independent (separate searches, separate fits): the joint "
    "posterior is the product of the two, so draws are paired at random. P(A beats B at n) "
    "is the posterior predictive probability that the best of n fresh runs of A beats the "
    "best of n fresh runs of B, each search repeated in its own space."
)


@dataclass(frozen=True, eq=False)
class Comparison:
    r"""Result of :func:`compare` (see the module docstring for the definitions).

    Attributes
    ----------
    names : (str, str)
        Labels of A and B.
    minimize : bool
        Direction of both searches.
    difference : np.ndarray, shape (S,)
        Paired draws of :math:`b_A - b_B` (user units; the best ends).
    p_better : float
        :math:`P(b_A \text{ better than } b_B)`: share of pairs with :math:`\Delta > 0`
        (maximize) or :math:`< 0` (minimize).
    n : np.ndarray, shape (m,)
        Budgets.
    p_beats : np.ndarray, shape (m,)
        :math:`P_n`, the posterior predictive probability that A's best of n beats B's.
    p_beats_draws : np.ndarray, shape (S, m)
        Per pair, the estimate of :math:`P_\theta(T^A_n \succ T^B_n)`; the spread over
        pairs is the posterior uncertainty of the per-parameter probability.
    p_beats_se : np.ndarray, shape (m,)
        Monte Carlo standard error of ``p_beats``.
    curve_a, curve_b : np.ndarray, shape (S, m)
        Per-draw median tuning curves (paired rows).
    ci : float
        Level of the credible bands.
    settle : float
        Level that defines the settled ranking.
    settled_at : float or None
        Smallest budget from which ``p_beats`` stays beyond ``settle`` (or below
        ``1 - settle``); None: no budget in range.
    leader : str or None
        Name of the search ahead from ``settled_at`` on.
    scores : (Scores or None, Scores or None)
        The two fits' scores (their metric names label the figure's axis), or None.
    """

    names: tuple
    minimize: bool
    difference: np.ndarray
    p_better: float
    n: np.ndarray
    p_beats: np.ndarray
    p_beats_draws: np.ndarray = field(repr=False)
    p_beats_se: np.ndarray = field(repr=False)
    curve_a: np.ndarray = field(repr=False)
    curve_b: np.ndarray = field(repr=False)
    ci: float = DEFAULT_CI
    settle: float = 0.9
    settled_at: float | None = None
    leader: str | None = None
    nodes: int = 8
    assumption: str = ASSUMPTION
    scores: tuple = field(default=(None, None), repr=False)

    @property
    def best_name(self) -> str:
        """``'alpha'`` (minimize) or ``'beta'`` (maximize): the end that is compared."""
        return direction.best_name(self.minimize)

    def _band(self, x, axis=0):
        lo, hi = (1 - self.ci) / 2, (1 + self.ci) / 2
        return np.quantile(x, [lo, 0.5, hi], axis=axis)

    @property
    def settle_note(self) -> str:
        """One sentence: where the ranking settles, or that it does not in range."""
        a, b = self.names
        top = f"{float(self.n[-1]):g}"
        if self.settled_at is None:
            return (f"no budget in range: P({a} beats {b}) does not stay above {self.settle:g} "
                    f"or below {1 - self.settle:g} up to n = {top}")
        other = b if self.leader == a else a
        return (f"from n = {self.settled_at:g} runs on (up to n = {top}), {self.leader} beats "
                f"{other} with probability above {self.settle:g}")

    def summary(self):
        """One-row-per-quantity table: the difference of the best ends and ``p_better``."""
        import pandas as pd

        lo, med, hi = self._band(self.difference)
        a, b = self.names
        rows = [{"quantity": f"{self.best_name}_{a} - {self.best_name}_{b}",
                 "mean": float(self.difference.mean()), "median": float(med),
                 "lower": float(lo), "upper": float(hi)},
                {"quantity": f"P({a} better than {b})", "mean": self.p_better,
                 "median": np.nan, "lower": np.nan, "upper": np.nan}]
        df = pd.DataFrame(rows).set_index("quantity")
        df.attrs.update(ci=self.ci, settled_at=self.settled_at, leader=self.leader,
                        settle_note=self.settle_note, assumption=self.assumption,
                        minimize=self.minimize, draws=int(self.difference.size))
        return df

    def to_frame(self):
        """The per-budget table, indexed by ``n``.

        Columns: ``p_a_beats_b`` (:math:`P_n`) with its Monte Carlo ``p_se`` and the
        ``ci`` band of the per-pair probability (``p_lower``, ``p_upper``); the posterior
        median of each median tuning curve (``median_a``, ``median_b``) with bands; the
        difference ``diff_median`` :math:`= \tau^A_{1/2} - \tau^B_{1/2}` with
        ``diff_lower``, ``diff_upper``; ``p_median_better``, the share of pairs whose A
        median curve is the better one. ``attrs`` hold ``p_better``, ``settled_at``,
        ``leader``, the settle note and the assumption.
        """
        import pandas as pd

        pl, _, pu = self._band(self.p_beats_draws)
        al, am, au = self._band(self.curve_a)
        bl, bm, bu = self._band(self.curve_b)
        diff = self.curve_a - self.curve_b
        dl, dm, du = self._band(diff)
        better = direction.orient(diff, self.minimize) > 0
        df = pd.DataFrame({
            "n": self.n, "p_a_beats_b": self.p_beats, "p_se": self.p_beats_se,
            "p_lower": pl, "p_upper": pu,
            "median_a": am, "lower_a": al, "upper_a": au,
            "median_b": bm, "lower_b": bl, "upper_b": bu,
            "diff_median": dm, "diff_lower": dl, "diff_upper": du,
            "p_median_better": better.mean(axis=0),
        }).set_index("n")
        df.attrs.update(names=list(self.names), p_better=self.p_better, ci=self.ci,
                        settle=self.settle, settled_at=self.settled_at, leader=self.leader,
                        settle_note=self.settle_note, assumption=self.assumption,
                        minimize=self.minimize)
        return df

    def to_dict(self) -> dict:
        """Plain-Python (JSON-ready) summary: the difference, p_better and the table."""
        lo, med, hi = self._band(self.difference)
        table = self.to_frame().reset_index()
        return {"names": list(self.names), "minimize": self.minimize, "ci": self.ci,
                "difference": {"parameter": self.best_name, "mean": float(self.difference.mean()),
                               "median": float(med), "lower": float(lo), "upper": float(hi)},
                "p_better": self.p_better, "settle": self.settle,
                "settled_at": self.settled_at, "leader": self.leader,
                "settle_note": self.settle_note, "assumption": self.assumption,
                "draws": int(self.difference.size),
                "budgets": {k: [float(x) for x in table[k]] for k in table.columns}}


def settling_budget(n, p, settle=0.9):
    """Smallest budget from which ``p`` stays above ``settle`` or below ``1 - settle``.

    Returns ``(n_settled, sign)``: ``sign`` +1 (A ahead), -1 (B ahead), or
    ``(None, 0)`` when ``p`` at the largest budget is between the two levels.
    """
    n, p = np.asarray(n, float), np.asarray(p, float)
    for side, inside in ((1, p > settle), (-1, p < 1 - settle)):
        if inside[-1]:
            outside = np.flatnonzero(~inside)
            start = 0 if outside.size == 0 else int(outside[-1]) + 1
            return float(n[start]), side
    return None, 0


def _draws_of(x, name):
    """Draws and direction of a fit (an object with ``draws()`` and ``minimize``)."""
    if isinstance(x, dict) or not callable(getattr(x, "draws", None)):
        raise fail(name, "a fit (bayesnq.fit's result, with draws() and minimize)", x)
    minimize = getattr(x, "minimize", None)
    if not isinstance(minimize, (bool, np.bool_)):
        raise fail(name, "a fit with a minimize attribute", x)
    return as_draws(x), bool(minimize)


def compare(fit_a, fit_b, *, ns=None, ci=DEFAULT_CI, settle=0.9, max_draws=1000, nodes=8, seed=0,
            names=("A", "B")) -> Comparison:
    r"""Compare two independent fits: the best ends and the best of ``n`` runs.

    Parameters
    ----------
    fit_a, fit_b : Fit
        Fits of the two searches (:func:`bayesnq.fit`), of the same direction.
    ns : array_like, optional
        Budgets :math:`n \ge 1` (default :data:`DEFAULT_BUDGETS`, 1 to 1000), sorted.
    ci : float
        Level of the equal-tailed credible bands (default :data:`DEFAULT_CI`, 0.9).
    settle : float
        The ranking is settled from the smallest budget at which :math:`P_n` exceeds
        ``settle`` (or falls below ``1 - settle``) and stays so at every larger budget.
    max_draws : int
        Pairs of draws used: at most this many of each fit (thinned by ``seed``).
    nodes : int
        Stratified quantile levels :math:`K` per pair (see the module docstring).
    seed : int
        Thinning, the random pairing and the stratification offsets.
    names : (str, str)
        Labels of A and B in the tables.

    Returns
    -------
    Comparison

    Notes
    -----
    The fits are assumed independent (see :data:`ASSUMPTION`); the per-budget
    probabilities are those of two fresh searches of ``n`` runs each.
    """
    da, min_a = _draws_of(fit_a, "fit_a")
    db, min_b = _draws_of(fit_b, "fit_b")
    if min_a != min_b:
        raise fail("fit_b", f"a fit of the direction of fit_a (minimize={min_a})",
                   f"a fit with minimize={min_b}")
    minimize = min_a
    ci = check_level("ci", ci)
    settle = check_real("settle", settle, low=0.5, high=1.0, low_open=True, high_open=True)
    max_draws = check_int("max_draws", max_draws, minimum=2)
    nodes = check_int("nodes", nodes, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if not (isinstance(names, (tuple, list)) and len(names) == 2
            and all(isinstance(x, str) and x for x in names) and names[0] != names[1]):
        raise fail("names", "two different non-empty strings", names)
    n = check_n(DEFAULT_BUDGETS if ns is None else ns)
    if np.any(np.diff(n) <= 0):
        raise fail("ns", "increasing budgets", ns)

    size = min(da["alpha"].size, db["alpha"].size, max_draws)
    da, db = thin(da, size, seed), thin(db, size, seed + 1)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(size)  # independent fits: pair draws at random
    db = {k: v[perm] for k, v in db.items()}

    best = direction.best_name(minimize)
    difference = da[best] - db[best]
    p_better = float(np.mean(direction.orient(difference, minimize) > 0))

    curve_a = per_draw("quantile", da, n, 0.5, minimize)
    curve_b = per_draw("quantile", db, n, 0.5, minimize)

    oa, ob = _oriented(da, minimize), _oriented(db, minimize)
    v = rng.random((2, size))
    v = np.where(v > 0, v, 0.5)
    a_wins = _p_first_beats(oa, ob, n, v[0], nodes)
    b_wins = _p_first_beats(ob, oa, n, v[1], nodes)
    per_pair = 0.5 * (a_wins + 1.0 - b_wins)
    p = per_pair.mean(axis=0)
    se = per_pair.std(axis=0, ddof=1) / np.sqrt(size)
    settled_at, side = settling_budget(n, p, settle)
    leader = None if side == 0 else (names[0] if side > 0 else names[1])
    return Comparison(names=tuple(names), minimize=minimize, difference=difference,
                      p_better=p_better, n=n, p_beats=p, p_beats_draws=per_pair, p_beats_se=se,
                      curve_a=curve_a, curve_b=curve_b, ci=ci, settle=settle,
                      settled_at=settled_at, leader=leader, nodes=nodes,
                      scores=(getattr(fit_a, "scores", None), getattr(fit_b, "scores", None)))


def _oriented(d, minimize):
    """Draws in the maximize orientation (the ends swap and change sign when minimizing)."""
    alpha, beta = direction.orient_ends(d["alpha"], d["beta"], minimize)
    return {"alpha": alpha, "beta": beta, "gamma": d["gamma"], "sigma": d["sigma"]}


@jax.jit
def _beats_kernel(pa, pb, n, u):
    r"""Per pair and budget, :math:`\frac1K\sum_k F_B(F_A^{-1}(u_k^{1/n}))^n` (maximize)."""
    da = noisy_quadratic(pa[:, :, None, None], False)
    db = noisy_quadratic(pb[:, :, None, None], False)
    y = da.quantile_tuning_curve(n[None, :, None], u[:, None, :])
    _, log_f, _ = logs_best(db, y)
    return jnp.exp(n[None, :, None] * log_f).mean(-1)


def _p_first_beats(oa, ob, n, v, nodes):
    """P(best of n of the first beats the second's), per pair (S, m); blocks of pairs."""
    pa, pb = stack(oa), stack(ob)
    s, m = pa.shape[1], n.size
    chunk = N_CHUNK  # fixed chunks of n: one compiled shape for any grid length
    u = (np.arange(nodes)[None, :] + v[:, None]) / nodes
    size = min(max(MIN_DRAWS, pow2_at_least(s)), pow2_at_most(max(1, BLOCK // (chunk * nodes))))
    out = np.empty((s, m))
    for j in range(0, m, chunk):
        n_part = jnp.asarray(pad(n[j:j + chunk], chunk))
        cols = min(chunk, m - j)
        for i in range(0, s, size):
            block_a = jnp.asarray(pad(pa[:, i:i + size], size))
            block_b = jnp.asarray(pad(pb[:, i:i + size], size))
            block_u = jnp.asarray(pad(u[i:i + size].T, size).T)
            width = min(size, s - i)
            y = np.asarray(_beats_kernel(block_a, block_b, n_part, block_u))
            out[i:i + width, j:j + cols] = y[:width, :cols]
    return np.clip(out, 0.0, 1.0)

