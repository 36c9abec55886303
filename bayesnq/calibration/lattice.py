r"""Random searches scored on a finite validation set: tied lattice scores with a known truth.

Validation accuracy on :math:`N` examples is a count over :math:`N`, so every score lies on
the lattice :math:`\{0, 1/N, \dots, 1\}` and the best runs of a search tie. This module
simulates such searches with a known noisy quadratic truth, to check the resolution-aware
likelihood (:mod:`bayesnq.modeling.resolution`) where the answer is known.

**The simulator.** Run :math:`i` has a noise-free quality (what an infinitely repeated
training of its configuration would average)

.. math::

    Q_i = \beta - w\,U_i^{2/\gamma}, \qquad U_i \sim \mathrm{Uniform}(0, 1),
    \quad w = \beta - \alpha,

and one training of it scores :math:`Y_i = Q_i + \sigma Z_i` with :math:`Z_i \sim N(0,1)`,
so :math:`Y_i \sim Q(\alpha, \beta, \gamma, \sigma)`, the noisy quadratic. :math:`\sigma`
is the *seed noise*: re-training configuration :math:`i` with a fresh seed keeps
:math:`Q_i` and draws a fresh :math:`Z`. The reported score is a count over :math:`N`:

- ``counts="round"``: :math:`k_i = \mathrm{round}(N Y_i)`, the score :math:`k_i/N`. The
  truth of the resolution-aware model is then exact: :math:`P(k/N) = F(k/N + h/2) -
  F(k/N - h/2)` with :math:`h = 1/N`.
- ``counts="binomial"``: :math:`k_i \sim \mathrm{Binomial}(N, \mathrm{clip}(Y_i, 0, 1))`,
  as if each run also drew its validation errors afresh. The score's noise is then about
  :math:`\sqrt{\sigma^2 + p(1-p)/N}` and the fitted :math:`\sigma` estimates that, not
  :math:`\sigma`.

**Threshold and body.** The fixed threshold :math:`\tau` is the truth's
:math:`(1 - q)` quantile for a tail fraction :math:`q`, moved to the nearest half-way point
:math:`(k + 1/2)/N` so that no score lies on it and rounding never moves a run across it.
Runs with :math:`Y_i \le \tau` are replaced by a body that is not noisy quadratic,
:math:`\tau - b E` with :math:`E \sim \mathrm{Exp}(1)` (the fixed-threshold likelihood sees
only their count).

**Heavy ties.** :func:`heavy_tie_truth` sets :math:`w` so that about ``per_cell`` runs share
each lattice cell near the top (:math:`w = n h / \text{per\_cell}` at :math:`\gamma = 2`,
where the quality is uniform) and :math:`\sigma` to a few cells, so several runs tie at the
best score for every size from 48 to 1,024 runs and every :math:`N` from 500 to 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from bayesnq.data import as_scores
from bayesnq.inference import default_target_accept
from bayesnq.inference.fit import check_settings, fit_at_threshold
from bayesnq.modeling import Priors, parse_resolution
from bayesnq.validation import check_choice, check_int, check_real, fail

__all__ = ["LatticeSearch", "heavy_tie_truth", "simulate_lattice_search", "ties_at_top",
           "fit_lattice_search", "lattice_record"]

_COUNTS = ("round", "binomial")


def ties_at_top(scores) -> int:
    """How many runs share the best (largest) score."""
    y = np.asarray(scores, dtype=float)
    return int(np.sum(y == y.max())) if y.size else 0


def heavy_tie_truth(n, n_examples, *, beta=0.8, gamma=2.0, per_cell=8.0, sigma_cells=0.5):
    r"""A noisy quadratic truth whose top is heavily tied on the lattice of step :math:`1/N`.

    :math:`w = \beta - \alpha = \max(n / \text{per\_cell}, 8)\,h` (about ``per_cell`` runs
    per cell near :math:`\beta` when :math:`\gamma = 2`, at least 8 cells wide) and
    :math:`\sigma = \text{sigma\_cells}\cdot h`, with :math:`h = 1/N`.
    """
    n = check_int("n", n, 2)
    n_examples = check_int("n_examples", n_examples, 2)
    per_cell = check_real("per_cell", per_cell, low=0, low_open=True)
    sigma_cells = check_real("sigma_cells", sigma_cells, low=0, low_open=True)
    h = 1.0 / n_examples
    width = max(n / per_cell, 8.0) * h
    return {"alpha": float(beta) - width, "beta": float(beta), "gamma": float(gamma),
            "sigma": sigma_cells * h}


@dataclass(frozen=True)
class LatticeSearch:
    """One simulated search: scores on the lattice ``1/n_examples`` and what made them."""

    scores: np.ndarray
    threshold: float
    truth: dict
    n_examples: int
    counts: str
    quality: np.ndarray = field(repr=False)
    tail_fraction: float = 0.0  # the truth's P(Y > threshold) at the snapped threshold

    @property
    def resolution(self) -> float:
        return 1.0 / self.n_examples

    @property
    def n(self) -> int:
        return int(self.scores.size)

    @property
    def tail(self) -> np.ndarray:
        return self.scores[self.scores > self.threshold]

    @property
    def ties_at_top(self) -> int:
        return ties_at_top(self.scores)

    def retrain(self, run, seeds, rng) -> np.ndarray:
        r"""Scores of ``seeds`` re-trainings of run ``run``: its :math:`Q`, fresh noise.

        Their spread is what a user measures by re-training one configuration; its
        expectation is the seed noise (:math:`\sigma`, blurred by the lattice).
        """
        run = check_int("run", run, 0, self.n - 1)
        seeds = check_int("seeds", seeds, 2)
        y = self.quality[run] + self.truth["sigma"] * rng.standard_normal(seeds)
        return _to_counts(y, self.n_examples, self.counts, rng) / self.n_examples


def _to_counts(y, n_examples, counts, rng):
    if counts == "round":
        return np.clip(np.round(y * n_examples), 0, n_examples)
    return rng.binomial(n_examples, np.clip(y, 0.0, 1.0)).astype(float)


def simulate_lattice_search(n, n_examples, *, truth=None, tail_fraction=0.35, body_scale=None,
                            counts="round", seed=0) -> LatticeSearch:
    r"""A random search of ``n`` runs scored on ``n_examples`` validation examples.

    Parameters
    ----------
    n : int
        Runs in the search (at least 8).
    n_examples : int
        Validation examples :math:`N`: the scores are multiples of :math:`1/N`.
    truth : mapping, optional
        ``alpha``, ``beta``, ``gamma``, ``sigma`` of the noisy quadratic (higher is better,
        scores in [0, 1]); default :func:`heavy_tie_truth` for ``n`` and ``n_examples``.
    tail_fraction : float
        The truth's share of runs beyond the threshold, in (0, 1).
    body_scale : float, optional
        Scale :math:`b` of the exponential body below the threshold (default
        :math:`(\beta - \alpha)/4`).
    counts : {"round", "binomial"}
        How a score becomes a count (module docstring).
    seed : int

    Returns
    -------
    LatticeSearch
    """
    n = check_int("n", n, 8)
    n_examples = check_int("n_examples", n_examples, 2)
    q = check_real("tail_fraction", tail_fraction, low=0, high=1, low_open=True,
                   high_open=True)
    counts = check_choice("counts", counts, _COUNTS)
    seed = check_int("seed", seed, 0)
    truth = dict(heavy_tie_truth(n, n_examples) if truth is None else truth)
    if set(truth) != {"alpha", "beta", "gamma", "sigma"}:
        raise fail("truth", "a mapping of alpha, beta, gamma and sigma", truth)
    a, b, g, s = (float(truth[k]) for k in ("alpha", "beta", "gamma", "sigma"))
    if not (0.0 <= a < b <= 1.0 and g > 0 and s > 0):
        raise fail("truth", "0 <= alpha < beta <= 1, gamma > 0 and sigma > 0", truth)
    scale = (b - a) / 4 if body_scale is None else check_real(
        "body_scale", body_scale, low=0, low_open=True)

    tau = _quantile(a, b, g, s, 1.0 - q)
    tau = (np.floor(tau * n_examples) + 0.5) / n_examples  # half-way between two scores
    rng = np.random.default_rng(seed)
    quality = b - (b - a) * rng.uniform(np.finfo(float).tiny, 1.0, n) ** (2.0 / g)
    y = quality + s * rng.standard_normal(n)
    body = y <= tau
    y[body] = tau - scale * rng.exponential(1.0, int(body.sum()))
    scores = _to_counts(y, n_examples, counts, rng) / n_examples
    return LatticeSearch(scores=scores, threshold=float(tau),
                         truth={"alpha": a, "beta": b, "gamma": g, "sigma": s},
                         n_examples=n_examples, counts=counts, quality=quality,
                         tail_fraction=float(1.0 - _cdf(a, b, g, s, tau)))


_U = (np.arange(40_000) + 0.5) / 40_000  # midpoint rule over the uniform U


def _cdf(a, b, g, s, y):
    r""":math:`F(y) = \int_0^1 \Phi((y - \beta + w u^{2/\gamma})/\sigma)\,du` (midpoint
    rule; to about 1e-5, enough to place a threshold that is then moved onto the lattice)."""
    return float(np.mean(ndtr((y - b + (b - a) * _U ** (2.0 / g)) / s)))


def _quantile(a, b, g, s, p):
    """The ``p`` quantile of the noisy quadratic, by bisection of :func:`_cdf`."""
    lo, hi = a - 10 * s, b + 10 * s
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _cdf(a, b, g, s, mid) < p else (lo, mid)
    return 0.5 * (lo + hi)


def fit_lattice_search(search: LatticeSearch, *, num_chains=2, num_warmup=300, num_samples=300,
                       resolution="auto", seed=0, n_hyperparameters=6, tail_size=None,
                       target_accept_prob=None):
    """Fit a simulated search at its fixed threshold (``resolution="auto"`` by default).

    What :func:`bayesnq.fit` does with the same arguments (``check=False``, no progress
    bar), with one addition for studies: ``tail_size`` pads the distinct tail scores to that
    many entries, so searches of one size share one compiled sampler (compilation, not
    sampling, dominates a small fit). ``n_hyperparameters`` defaults to 6 (the prior's cap
    on :math:`\\gamma` sits well above the truth's 2).
    """
    scores = as_scores(search.scores, minimize=False, n_hyperparameters=n_hyperparameters)
    values = np.asarray(scores.values, dtype=float)
    h, note = parse_resolution(resolution, values)
    if tail_size is not None:
        tail_size = check_int("tail_size", tail_size, int(np.unique(search.tail).size))
    if target_accept_prob is None:
        target_accept_prob = default_target_accept(inferred_threshold=False, resolution=h)
    check_settings(gamma="continuous", n_hyperparameters=n_hyperparameters,
                   num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples,
                   seed=seed, target_accept_prob=target_accept_prob)
    return fit_at_threshold(scores, values, search.threshold, minimize=False,
                            n_hyperparameters=n_hyperparameters, bounds=None,
                            gamma="continuous", priors=Priors(), num_chains=num_chains,
                            num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                            progress_bar=False, target_accept_prob=target_accept_prob,
                            tail_size=tail_size, resolution=h,
                            resolution_note=note)


def lattice_record(search: LatticeSearch, result, *, level=0.9, retrain_seeds=10,
                   seed=0) -> dict:
    r"""What one fit of a simulated search says: intervals, hits, sampler health, seed noise.

    ``level`` central intervals of :math:`\beta, \gamma, \sigma` and whether each covers
    the truth; max r-hat, divergences, bulk ESS of :math:`\beta`; ties at the top; and the
    seed-noise check a user can run: re-train the best run ``retrain_seeds`` times
    (:meth:`LatticeSearch.retrain`), take the sample sd :math:`\hat s` of those scores and
    ask whether :math:`\sigma`'s interval covers it (``sigma_covers_retrain``) and the
    simulator's seed noise :math:`\sigma` itself (``sigma_covers``).
    """
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    draws = result.draws()
    diag = result.diagnostics()
    rec = {"n": search.n, "n_examples": search.n_examples, "tail": int(search.tail.size),
           "distinct_tail": int(np.unique(search.tail).size),
           "ties_at_top": search.ties_at_top, "resolution": result.resolution,
           "max_r_hat": max(diag["r_hat"].values()), "divergences": diag["divergences"],
           "ess_beta": diag["ess_bulk"]["beta"]}
    for k in ("beta", "gamma", "sigma"):
        lo, hi = (float(v) for v in np.quantile(draws[k], [lo_q, hi_q]))
        rec[f"{k}_lo"], rec[f"{k}_hi"] = lo, hi
        rec[f"{k}_covers"] = bool(lo <= search.truth[k] <= hi)
    rng = np.random.default_rng(10_000 + int(seed))
    again = search.retrain(int(np.argmax(search.scores)), retrain_seeds, rng)
    rec["retrain_sd"] = float(np.std(again, ddof=1))
    rec["sigma_covers_retrain"] = bool(rec["sigma_lo"] <= rec["retrain_sd"] <= rec["sigma_hi"])
    return rec
