"""``Fit``: a fit's posterior as labelled data, and the questions a user asks of it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from bayesnq import arviz_compat, curves, direction
from bayesnq.data import Scores
from bayesnq.distributions import NoisyQuadratic
from bayesnq.curves import DEFAULT_CI
from bayesnq.inference.hedge import (MIN_MASS, MIN_SECOND, candidate_log_probabilities,
                                     threshold_kind)
from bayesnq.modeling import PARAMETERS, TailData

__all__ = ["Fit", "DiagnosticsWarning"]


MISFIT_P = 1e-6  # LOO-PIT KS p-value below which a fit's tail is reported as a misfit
# Searches of at least this many runs, fitted without the hedge, get threshold_verdict's
# caveat on a decided P(tau). In the threshold SBC (docs/thresholds.md) beta's 90% interval
# held the truth in 18 of 21 searches of 48-128 runs where P(tau) was decided, in 27 of 41
# of 512-1,024 runs; over all 60 of 512-1,024 runs in 43, and the union with a second fit at
# the safer threshold in 52. Sizes between were not measured.
LARGE_SEARCH = 512


class DiagnosticsWarning(UserWarning):
    """A fit failed one of its checks (convergence, or the tail's fit)."""


@dataclass
class Fit:
    r"""Result of :func:`fit`: the posterior as labelled data, and what to ask of it.

    Attributes
    ----------
    idata : arviz.InferenceData
        ``posterior`` (``alpha``, ``beta``, ``gamma``, ``sigma``, ``tail_mass`` in the
        paper's meaning, plus the sampler's own coordinates), ``sample_stats``,
        ``log_likelihood`` (one entry per run: tail runs ``log f(y)``, censored runs
        ``log F(tau)``), ``observed_data`` (censored runs at the threshold) and
        ``posterior_predictive`` (replicated searches).
    threshold : float
        The threshold; for an inferred threshold (``thresholds`` set), the candidate with
        the highest posterior probability.
    thresholds : np.ndarray or None
        Candidate grid of an inferred-threshold fit. The posterior then also holds ``tau``
        (drawn from :math:`P(\tau \mid \theta, y)`) and ``tau_logp`` (that conditional);
        ``log_likelihood`` and ``posterior_predictive`` are those of the spliced model at
        the drawn threshold (see :mod:`bayesnq.modeling`).
    settings : dict
        The arguments :func:`fit` was given (threshold as given, resolution, gamma, priors,
        sampler settings, ``metric``: the score column) and, from the command line, the
        data and spec; saved with the fit (:meth:`save`).
    """

    scores: Scores
    minimize: bool
    threshold: float
    gamma_mode: str
    n_hyperparameters: int | None
    bounds: tuple | None
    idata: object
    data: TailData
    thresholds: np.ndarray | None = None  # candidate grid when the threshold was inferred
    spliced: object = None  # the SplicedData of an inferred-threshold fit
    resolution_note: str = ""  # how the scores' resolution was set (fit's ``resolution``)
    settings: dict = field(default_factory=dict)  # fit()'s arguments: priors, sampler, metric
    # a large search's pointwise log-likelihood per distinct score: {"y": (chain, draw, k),
    # "column": each run's column, "count": runs per column}; None: idata holds it per run
    log_likelihood_distinct: dict | None = field(default=None, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def resolution(self) -> float | None:
        """The scores' resolution (each score a cell of this width), or None: continuous."""
        return self.data.resolution

    # ------------------------------------------------------------ draws
    def draws(self) -> dict[str, np.ndarray]:
        """Flat posterior draws (chains x draws) of alpha, beta, gamma, sigma, tail_mass."""
        post = self.idata.posterior
        return {k: np.asarray(post[k]).reshape(-1) for k in (*PARAMETERS, "tail_mass")}

    @property
    def best_name(self) -> str:
        """``'alpha'`` (minimize) or ``'beta'`` (maximize): the best possible score."""
        return direction.best_name(self.minimize)

    def distribution(self) -> NoisyQuadratic:
        """The posterior draws as one batched :class:`NoisyQuadratic`."""
        d = self.draws()
        return NoisyQuadratic(d["alpha"], d["beta"], d["gamma"], d["sigma"], minimize=self.minimize)

    # ------------------------------------------------------------ diagnostics
    def diagnostics(self) -> dict:
        """r-hat, bulk ESS per parameter and the number of divergences."""
        rhat = arviz_compat.rhat(self.idata, var_names=list(PARAMETERS))
        ess = arviz_compat.ess(self.idata, var_names=list(PARAMETERS))
        div = int(np.asarray(self.idata.sample_stats["diverging"]).sum())
        n_chains = self.idata.posterior.sizes["chain"]
        return {
            "r_hat": {k: float(rhat[k]) for k in PARAMETERS},
            "ess_bulk": {k: float(ess[k]) for k in PARAMETERS},
            "divergences": div,
            "chains": int(n_chains),
        }

    def check(self, max_rhat=1.01, min_ess=400, min_pit_p=MISFIT_P) -> list[str]:
        """Warn about failed checks; returns the list of problems.

        Convergence: r-hat at most ``max_rhat`` and bulk ESS at least ``min_ess`` for every
        parameter, no divergent transitions. Fit: the LOO-PIT of the tail runs
        (:meth:`loo_pit`) must not reject uniformity at ``min_pit_p`` (a KS p-value this
        small means the noisy quadratic does not describe the tail: most often the wrong
        direction, e.g. ``minimize=True`` for an accuracy); warned separately, with what
        to try. Regime: the regime check of the landscape-bank study
        (:func:`bayesnq.inference.regime.regime_check`: LOO-PIT KS p < 0.01, largest Pareto
        k > 0.8, or the best run within 1% of the tail's width of the bound) flags searches
        whose bands missed far more often than nominal; warned separately, with what to try.
        """
        pit = self.loo_pit()
        misfit = []
        if pit["n"] >= 5 and pit["ks_p_value"] < min_pit_p:
            flip = "False" if self.minimize else "True"
            misfit.append(f"LOO-PIT KS p = {pit['ks_p_value']:.2g} over {pit['n']} tail runs")
            warnings.warn(
                f"fit check: the tail does not fit the noisy quadratic ({misfit[0]}). If "
                f"{'higher' if self.minimize else 'lower'} scores are better, fit again with "
                f"minimize={flip}; otherwise try a threshold deeper in the tail.",
                DiagnosticsWarning, stacklevel=3)
        from bayesnq.inference.regime import regime_check

        regime = regime_check(self, include_pit=not misfit)  # a misfit is warned above
        if regime["flags"]:
            warnings.warn(regime["message"], DiagnosticsWarning, stacklevel=3)
            misfit = misfit + [f"regime check: {f}" for f in regime["flags"]]
        diag = self.diagnostics()
        problems = []
        fixed_gamma = self.gamma_mode == "integer"
        for k in PARAMETERS:
            if fixed_gamma and k == "gamma":
                continue
            r, e = diag["r_hat"][k], diag["ess_bulk"][k]
            if diag["chains"] > 1 and not r <= max_rhat:
                problems.append(f"r-hat of {k} is {r:.3f} > {max_rhat}")
            if not e >= min_ess:
                problems.append(f"bulk ESS of {k} is {e:.0f} < {min_ess}")
        if diag["divergences"]:
            problems.append(f"{diag['divergences']} divergent transitions")
        if problems:
            warnings.warn(
                "fit diagnostics: "
                + "; ".join(problems)
                + ". Try more samples (num_samples), a longer warmup, target_accept_prob="
                + ("0.99" if self.settings.get("target_accept_prob", 0.9) >= 0.95 else "0.95")
                + ", or a threshold deeper in the tail.",
                DiagnosticsWarning,
                stacklevel=3,
            )
        return problems + misfit

    # ------------------------------------------------------------ summaries
    def summary(self, ci=DEFAULT_CI, m=100):
        r"""The fit as a table keyed by variable, each row with its meaning in words.

        Rows (the index, named ``variable``): the best end of the support first (``beta``
        when maximizing, ``alpha`` when minimizing: the best *expected* score, noise
        excluded), ``gamma``, ``sigma``, the other end, ``tail_mass``; then ``best_run``
        (the best score observed), ``p_beats_best_run`` (:math:`P(\beta > y^*)`, or
        :math:`P(\alpha < y^*)` when minimizing, in ``mean``), ``best_of_m_fresh`` (the
        expected best of a *fresh* search of ``m`` runs, :math:`E_\theta[T_m]`) and
        ``best_after_m_more`` (the expected best once ``m`` more runs are added to those
        made, :math:`E[\max(y^*, T_m)]`; :meth:`more_runs` answers more). An inferred
        threshold adds ``tau``, ``P(tau=...)`` for the three most probable candidates and,
        when :math:`P(\tau)` does not decide, ``beta_at_tau_map``/``gamma_at_tau_map``.

        Columns: ``value`` (the number to quote: the posterior median of a parameter, the
        probability of a probability, the posterior mean of an expected score), ``mean``,
        ``sd``, ``median``, the equal-tailed ``ci`` interval
        ``lower``/``upper`` (quantiles :math:`(1 \mp ci)/2` over the draws), ``r_hat``,
        ``ess`` (bulk) and ``meaning``. The other end (``alpha`` for an accuracy) is
        identified only through the mass below the threshold and its posterior is
        typically wide and skewed: its ``mean`` and ``sd`` are left out (NaN) and the
        median and interval reported. ``attrs`` hold ``ci``, ``caption`` (the level stated),
        ``m``, the threshold and the fit checks.
        """
        from bayesnq.inference.summary import summary_table

        return summary_table(self, ci=ci, m=m)

    def more_runs(self, m=100, delta=0.0, ci=DEFAULT_CI, levels=(0.5, 0.8, 0.95),
                  max_draws=2000):
        r"""The chance that ``m`` more runs, added to those made, beat the best run by
        ``delta``; the expected gain; the more runs needed for each of ``levels``.

        :math:`P = 1 - E_\theta[F_\theta(y^* + \Delta)^m]` with :math:`y^*` the best run
        made (:math:`(1 - F_\theta(y^* - \Delta))^m` inside when minimizing; for scores
        known to a resolution :math:`h`, half a step further: a higher cell); see
        :func:`bayesnq.curves.more_runs`. Not a fresh search: that is
        :meth:`tuning_curve` and :meth:`runs_to_reach`.

        Returns
        -------
        bayesnq.curves.MoreRuns
            With ``to_frame()`` (one labelled row per answer).
        """
        key = ("more_runs", repr((m, delta, ci, levels, max_draws)))
        if key not in self._cache:
            gain_key = ("gain_draws", repr((m, max_draws)))  # the gain ignores delta and ci
            self._cache[key] = curves.more_runs(
                self.draws(), self.scores.best, minimize=self.minimize, m=m, delta=delta,
                ci=ci, levels=levels, n_runs=self.data.n, resolution=self.resolution,
                max_draws=max_draws, gain_draws=self._cache.get(gain_key))
            self._cache[gain_key] = self._cache[key].gain_draws
        return self._cache[key]

    def loo_pit(self, max_draws=1000) -> dict:
        r"""LOO-PIT posterior predictive check of the runs beyond the threshold.

        For each tail run :math:`i` (maximize), the leave-one-out probability integral
        transform under the tail's conditional distribution,

        .. math::

            u_i = \sum_s w_{is}\, \frac{F_s(y_i) - F_s(\tau)}{1 - F_s(\tau)},
            \qquad w_{is} \propto 1 / f_s(y_i),

        with Pareto-smoothed importance weights (:func:`arviz.psislw`) over (at most
        ``max_draws``, evenly thinned) posterior draws :math:`s`; for minimize,
        :math:`F_s(y_i)/F_s(\tau)`. Censored runs carry no value to check. If the model
        fits, the :math:`u_i` are close to uniform on [0, 1]; a Kolmogorov–Smirnov test
        summarizes them (approximate: the :math:`u_i` share the data). For scores with a
        resolution (``fit(..., resolution=h)``) the PIT is randomized: :math:`F_s(y_i)` is
        replaced by a uniform draw between the conditional cdf at the ends of the score's
        cell, and :math:`f_s` by the cell's probability, so lattice scores are not
        flagged for being discrete. For an inferred
        threshold the check is made at ``self.threshold`` (the most probable candidate)
        with draws that average over :math:`\tau`, so it is approximate there.

        Returns
        -------
        dict
            ``pit`` (array, one per tail run), ``ks_statistic``, ``ks_p_value``,
            ``pareto_k`` (per run), ``pareto_k_max`` and ``n``.
        """
        key = ("loo_pit", int(max_draws))
        if key not in self._cache:
            self._cache[key] = self._loo_pit(int(max_draws))
        return dict(self._cache[key])

    def _loo_pit(self, max_draws):
        from scipy import stats

        from bayesnq.curves.pointwise import outer_logs

        d = self.draws()
        total = d["alpha"].size
        idx = np.unique(np.linspace(0, total - 1, min(total, int(max_draws))).round().astype(int))
        p = [d[k][idx] for k in PARAMETERS]
        # each distinct tail score once (tied runs share their column), through the one
        # compiled per-draw, per-point kernel (no compile for a new number of draws or runs)
        y_runs = direction.to_user(self.data.tail, self.minimize)
        y, inv = np.unique(y_runs, return_inverse=True)
        inv = inv.reshape(-1)
        k, h = y.size, self.resolution
        if h is None:
            lp, lc, ls = outer_logs(*p, np.append(y, self.threshold), minimize=self.minimize)
            log_f = lp[:, :k]
            cond = self._tail_cdf_logs(lc, ls)[:, inv]
        else:  # discrete scores: randomized PIT, uniform within each score's cell
            half = 0.5 * h
            lower, upper = y - half, y + half
            if self.minimize:
                upper = np.minimum(upper, self.threshold)
            else:
                lower = np.maximum(lower, self.threshold)
            _, lc, ls = outer_logs(*p, np.concatenate([lower, upper, [self.threshold]]),
                                   minimize=self.minimize)
            log_f = _log_interval(lc[:, :k], lc[:, k:2 * k], ls[:, :k], ls[:, k:2 * k])
            cond_all = self._tail_cdf_logs(lc, ls)
            c_lo, c_hi = cond_all[:, :k][:, inv], cond_all[:, k:2 * k][:, inv]
            v = np.random.default_rng(0).random(c_lo.shape[-1])[None, :]
            cond = c_lo + v * (c_hi - c_lo)
        log_w, k_hat = arviz_compat.psislw(-log_f.T)
        pit = np.clip((np.exp(np.asarray(log_w))[inv] * cond.T).sum(-1), 0.0, 1.0)
        ks = stats.kstest(pit, "uniform") if pit.size else None
        k_hat = np.asarray(k_hat).reshape(-1)[inv] if k else np.asarray(k_hat)
        return {
            "pit": pit,
            "ks_statistic": float(ks.statistic) if ks else float("nan"),
            "ks_p_value": float(ks.pvalue) if ks else float("nan"),
            "pareto_k": k_hat,
            "pareto_k_max": float(k_hat.max()) if k_hat.size else float("nan"),
            "n": int(pit.size),
        }

    def _tail_cdf_logs(self, lc, ls):
        """The tail's conditional cdf from log cdf / log sf columns, the last column at the
        threshold (see :meth:`_tail_cdf`)."""
        if self.minimize:
            return np.exp(lc[:, :-1] - lc[:, -1:])
        return -np.expm1(ls[:, :-1] - ls[:, -1:])

    def _tail_cdf(self, nq, y):
        """The tail's conditional cdf at ``y``: P(Y <= y | Y <= tau) when minimizing,
        P(tau < Y <= y | Y > tau) when maximizing."""
        if self.minimize:
            return np.exp(np.asarray(nq.log_cdf(y)) - np.asarray(nq.log_cdf(self.threshold)))
        return -np.expm1(np.asarray(nq.log_sf(y)) - np.asarray(nq.log_sf(self.threshold)))

    def gamma_probabilities(self) -> dict[int, float]:
        """:math:`P(\\gamma = k \\mid y)` (integer mode, Rao–Blackwellized)."""
        if "gamma_logp" not in self.idata.posterior:
            raise ValueError("gamma_probabilities needs a fit with gamma='integer'")
        lp = np.asarray(self.idata.posterior["gamma_logp"])
        p = np.exp(lp).reshape(-1, lp.shape[-1]).mean(0)
        return {k + 1: float(p[k]) for k in range(p.size)}

    def threshold_probabilities(self):
        r""":math:`P(\tau = \tau_j \mid y)` over the candidates (Rao–Blackwellized).

        The average over draws of the exact conditional
        :math:`P(\tau_j \mid \theta^{(s)}, y)`.

        Returns
        -------
        pandas.DataFrame
            One row per candidate, ordered from the deepest tail (smallest tail fraction):
            ``threshold`` (score units), ``tail_fraction`` (share of runs beyond it),
            ``n_tail``, ``probability`` (under the prior the draws were made with) and
            ``probability_unhedged`` (under the base prior over the candidates,
            :attr:`bayesnq.modeling.SplicedData.base_log_prior`: what the data say before
            the hedge of :mod:`bayesnq.inference.hedge`; the same column where the fit
            was not hedged).
        """
        import pandas as pd

        self._need_thresholds("threshold_probabilities")
        p = np.exp(candidate_log_probabilities(
            {"tau_logp": np.asarray(self.idata.posterior["tau_logp"])}))
        sp = self.spliced
        df = pd.DataFrame({
            "threshold": sp.user_thresholds,
            "tail_fraction": sp.tail_fractions,
            "n_tail": sp.n_tail.astype(int),
            "probability": p,
            "probability_unhedged": self._unhedged_threshold_probabilities(p),
        })
        return df.iloc[::-1].reset_index(drop=True)

    def _need_thresholds(self, what):
        if self.thresholds is None:
            raise ValueError(f"{what} needs a fit with an inferred threshold "
                             f"(threshold='auto' or a list), this fit has "
                             f"threshold={self.threshold!r}")

    def _unhedged_threshold_probabilities(self, p):
        """P(tau | y) under the base prior, in grid order: the first run's, for a hedged
        fit; ``p`` (the draws') otherwise."""
        settings = self.settings or {}
        if settings.get("hedged"):
            # fits saved before 2026-12-06 (a uniform base prior) name it so
            key = ("unhedged_threshold_probabilities"
                   if "unhedged_threshold_probabilities" in settings
                   else "uniform_threshold_probabilities")
            return np.asarray(settings[key], dtype=float)
        return p

    def threshold_verdict(self, ci=DEFAULT_CI, min_mass=MIN_MASS, min_second=MIN_SECOND) -> dict:
        r"""Whether :math:`P(\tau \mid y)` singles out a threshold, in words.

        Read from :math:`P(\tau \mid y)` under the base prior over the candidates
        (before any hedge, :mod:`bayesnq.inference.hedge`). The data *cannot choose* when
        the most probable candidate holds less than ``min_mass`` (flat), or when another
        candidate that is not its neighbour on the grid holds at least ``min_second``
        (multimodal). Then the intervals of beta and gamma averaged over :math:`\tau` (the
        fit's) are reported beside those given the most probable :math:`\tau`, which can
        differ.

        Returns
        -------
        dict
            ``decided`` (bool), ``kind`` ("decided", "flat" or "multimodal"),
            ``message``, ``at_map`` and ``averaged`` (``ci`` intervals of beta and gamma),
            ``map_draws`` (draws at the most probable candidate), ``safer_threshold``
            (the next candidate with fewer runs beyond it than the most probable one, or
            None), ``hedged`` (bool) and ``caveat`` (a sentence, or ""): what the hedge
            did, or, for a decided P(tau) of :data:`LARGE_SEARCH` runs or more fitted
            without it, the safer threshold to check beta against.
        """
        self._need_thresholds("threshold_verdict")
        lp = np.asarray(self.idata.posterior["tau_logp"])
        drawn = np.exp(candidate_log_probabilities({"tau_logp": lp}))
        p = self._unhedged_threshold_probabilities(drawn)
        kind = threshold_kind(p, min_mass, min_second)
        order = np.argsort(p)[::-1]
        first, second = int(order[0]), int(order[1])
        idx = np.asarray(self.idata.posterior["tau_index"]).reshape(-1) \
            if "tau_index" in self.idata.posterior else None
        taus = np.asarray(self.idata.posterior["tau"]).reshape(-1)
        at = idx == first if idx is not None else np.isclose(taus, self.spliced.user_thresholds[first])
        d = self.draws()
        qs = ((1 - ci) / 2, (1 + ci) / 2)
        map_draws = {k: d[k][at] if at.any() else d[k] for k in ("beta", "gamma")}
        at_map = {k: tuple(float(x) for x in np.quantile(v, qs)) for k, v in map_draws.items()}
        averaged = {k: tuple(float(x) for x in np.quantile(d[k], qs)) for k in ("beta", "gamma")}
        thr = self.spliced.user_thresholds
        if kind == "flat":
            message = (f"The data cannot choose a threshold: P(tau) is flat (at most "
                       f"{p[first]:.0%} on one candidate).")
        elif kind == "multimodal":
            message = (f"The data cannot choose a threshold: P(tau) has separate modes at "
                       f"{thr[first]:.6g} ({p[first]:.0%}) and {thr[second]:.6g} "
                       f"({p[second]:.0%}).")
            groups = (self.settings or {}).get("strata")
            if groups:
                message += (f" The fit sampled each mode apart ({len(groups)} groups of "
                            f"candidates, each with its share of P(tau); "
                            f"bayesnq.inference.strata), so that the chains agree.")
        else:
            message = f"P(tau) singles out {thr[first]:.6g} ({p[first]:.0%})."
        # the next candidate with fewer runs beyond it than the most probable one: a fit
        # there leaves out the runs whose side of the regime's start is in doubt, and the
        # regime, if it starts at or below the chosen threshold, holds beyond it too
        n_tail = np.asarray(self.spliced.n_tail)
        fewer = np.flatnonzero(n_tail < n_tail[first])
        k = int(fewer[np.argmax(n_tail[fewer])]) if fewer.size else None
        safer = None if k is None else float(thr[k])
        hedged = bool((self.settings or {}).get("hedged"))
        caveat = ""
        if hedged:
            caveat = (f"The draws are hedged toward fewer runs (docs/thresholds.md): the "
                      f"next candidate, {safer:.6g} ({int(n_tail[k])} runs beyond), was given "
                      f"the prior weight to hold as much posterior mass; the draws put "
                      f"{drawn[first]:.0%} on {thr[first]:.6g} and {drawn[k]:.0%} on it.")
            message += " " + caveat
        elif kind == "decided" and self.spliced.n >= LARGE_SEARCH and k is not None:
            caveat = (f"With {self.spliced.n:,} runs a decided P(tau) can be too sure "
                      f"(docs/thresholds.md): fit again at threshold={safer:.6g}, the next "
                      f"candidate with fewer runs beyond it ({int(n_tail[k])}), "
                      f"or with threshold_hedge=True.")
            message += " " + caveat
        if kind != "decided":
            message += (f" beta {averaged['beta'][0]:.6g} to {averaged['beta'][1]:.6g} averaged "
                        f"over tau, {at_map['beta'][0]:.6g} to {at_map['beta'][1]:.6g} given "
                        f"tau = {thr[first]:.6g}; gamma {averaged['gamma'][0]:.3g} to "
                        f"{averaged['gamma'][1]:.3g} against {at_map['gamma'][0]:.3g} to "
                        f"{at_map['gamma'][1]:.3g} ({ci:.0%} intervals).")
        return {"decided": kind == "decided", "kind": kind, "message": message,
                "at_map": at_map, "averaged": averaged, "map_draws": map_draws,
                "safer_threshold": safer, "hedged": hedged, "caveat": caveat}

    # ------------------------------------------------------------ tuning curves
    def tuning_curve(self, n, q=0.5, ci=DEFAULT_CI, **kwargs):
        """Posterior q-quantile tuning curve of a *fresh* search of ``n`` runs, with an
        equal-tailed ``ci`` band (runs added to those made: :meth:`more_runs`)."""
        return curves.tuning_curve(self.draws(), n, minimize=self.minimize, q=q, ci=ci, **kwargs)

    def average_tuning_curve(self, n, ci=DEFAULT_CI, **kwargs):
        """Posterior mean tuning curve (expected best of a *fresh* search of n runs) with a
        ``ci`` band."""
        return curves.average_tuning_curve(self.draws(), n, minimize=self.minimize, ci=ci, **kwargs)

    def runs_to_reach(self, score, q=0.5, ci=DEFAULT_CI):
        """How many runs a *fresh* search needs for its q-quantile tuning curve to reach
        ``score`` (not more runs on top of those made: for that, :meth:`more_runs`)."""
        return curves.runs_to_reach(self.draws(), score, minimize=self.minimize, q=q, ci=ci)

    # ------------------------------------------------------------ pointwise
    def pointwise_log_likelihood(self) -> np.ndarray:
        """The pointwise log-likelihood per run, shape (chain, draw, run).

        From ``idata.log_likelihood`` where the fit holds it; a large search
        (``log_likelihood_distinct`` set) materializes it here from its distinct columns,
        on request (``distinct[..., column]``, exact).
        """
        compact = self.log_likelihood_distinct
        if compact is not None:
            return np.asarray(compact["y"])[..., np.asarray(compact["column"], dtype=np.intp)]
        return np.asarray(self.idata.log_likelihood["y"])

    def loo(self) -> dict:
        r"""PSIS-LOO over the runs, from the distinct log-likelihood columns with counts.

        :math:`\mathrm{elpd}_{loo} = \sum_d c_d\,\mathrm{elpd}_d` over distinct columns
        :math:`d` (runs with identical columns have identical terms; see
        :func:`bayesnq.inference.persist.compact_loo`), the same number as ArviZ's
        ``loo`` on the per-run group, without holding a (chain, draw, run) array.
        Returns ``elpd_loo``, ``p_loo``, ``se``, ``n_data_points`` and ``pareto_k`` (per
        distinct column).
        """
        from bayesnq.inference.persist import compact_log_likelihood, compact_loo

        compact = self.log_likelihood_distinct
        if compact is None:
            distinct, _, count = compact_log_likelihood(self.idata.log_likelihood["y"].values)
        else:
            distinct, count = np.asarray(compact["y"]), np.asarray(compact["count"])
            keep = count > 0  # a column no run uses (no censored runs) adds nothing
            distinct, count = distinct[..., keep], count[keep]
        return compact_loo(self.idata, distinct, count)

    # ------------------------------------------------------------ saving
    def save(self, path, *, overwrite=False, predictive=False, log_likelihood="distinct"):
        """Write this fit to one netCDF file; :func:`bayesnq.load_fit` reads it back.

        The pointwise log-likelihood is stored once per distinct column with counts
        (``log_likelihood="runs"``: per run), the posterior predictive only with
        ``predictive=True``; an existing file is replaced only with ``overwrite=True``.
        See :mod:`bayesnq.inference.persist`. Returns the path.
        """
        from bayesnq.inference.persist import save_fit

        return save_fit(self, path, overwrite=overwrite, predictive=predictive,
                        log_likelihood=log_likelihood)

    def report(self, path, **kwargs):
        """Write ``report.html``: one self-contained page (summary, more-runs answers, the
        fresh-search tuning curve, figures, diagnostics, settings, provenance) to share.

        ``kwargs`` go to :func:`bayesnq.report.render_report` (``m``, ``deltas``, ``ci``,
        ``source``, ...). Returns the path.
        """
        from bayesnq.report import write_report  # presentation layer: loaded when called

        return write_report(self, path, **kwargs)

    def __repr__(self):
        d = self.draws()
        b = d[self.best_name]
        return (
            f"<Fit {self.scores.name or 'scores'}: {self.data.n} runs, "
            f"{self.data.tail.size} beyond {self.threshold:g}; "
            f"{self.best_name} {np.median(b):.4g} [{np.quantile(b, 0.05):.4g}, "
            f"{np.quantile(b, 0.95):.4g}], gamma {np.median(d['gamma']):.3g}>"
        )


def _log_interval(lc_lo, lc_hi, ls_lo, ls_hi):
    r""":math:`\log P(lo < Y \le hi)` from the log cdf and log sf at both ends, exact in
    both tails (the arithmetic of :func:`bayesnq.modeling.log_interval_prob`)."""
    def log1mexp(x):
        x = np.minimum(x, -1e-300)
        near = x > -0.6931471805599453
        return np.where(near, np.log(-np.expm1(np.where(near, x, -1.0))),
                        np.log1p(-np.exp(np.where(near, -1.0, x))))

    with np.errstate(invalid="ignore", divide="ignore"):
        via_cdf = lc_hi + log1mexp(lc_lo - lc_hi)
        via_sf = ls_lo + log1mexp(ls_hi - ls_lo)
    return np.where(lc_hi <= ls_lo, via_cdf, via_sf)
