r"""The table of :meth:`Fit.summary`: one row per variable, with its meaning in words.

Rows are keyed by the variable's real name (``beta``, ``gamma``, ``sigma``, ``alpha``,
``tail_mass``, ...), never by prose that changes with the direction; the ``meaning``
column says, in words, what each one is and which end is the best. One credible level
for every interval (:data:`bayesnq.curves.DEFAULT_CI`, stated in ``attrs["caption"]``).
"""

from __future__ import annotations

import numpy as np

from bayesnq import curves, direction
from bayesnq.validation import check_int, check_level

__all__ = ["summary_table"]


def summary_table(fit, ci, m):
    """The table of :meth:`bayesnq.Fit.summary` (see there)."""
    import pandas as pd

    ci = check_level("ci", ci)
    m = check_int("m", m, minimum=1)
    d = fit.draws()
    best_key, other = fit.best_name, direction.other_name(fit.minimize)
    y_best = fit.scores.best
    better, ends = ("lower", "floor") if fit.minimize else ("higher", "ceiling")
    diag = fit.diagnostics()
    lo_q, hi_q = (1 - ci) / 2, (1 + ci) / 2

    def row(key, x, meaning, diagnostics=True, mean=True):
        x = np.asarray(x, dtype=np.float64)
        return {"variable": key, "value": float(np.median(x)),
                "mean": float(np.mean(x)) if mean else np.nan,
                "sd": (float(np.std(x, ddof=1)) if x.size > 1 else 0.0) if mean else np.nan,
                "median": float(np.median(x)), "lower": float(np.quantile(x, lo_q)),
                "upper": float(np.quantile(x, hi_q)),
                "r_hat": diag["r_hat"].get(key, np.nan) if diagnostics else np.nan,
                "ess": diag["ess_bulk"].get(key, np.nan) if diagnostics else np.nan,
                "meaning": meaning}

    tau = (f"tau = {fit.threshold:.6g}" if fit.thresholds is None
           else "tau, drawn with the parameters")
    table = [
        row(best_key, d[best_key],
            f"best expected score, noise excluded (the {ends} of the median tuning "
            f"curve); {better} is better, so {best_key} is the best end"),
        row("gamma", d["gamma"], "effective number of hyperparameters: how fast "
            "near-best scores get rare (larger: the best end is harder to reach)"),
        row("sigma", d["sigma"], "noise sd of one run (what a rerun of the same "
            "configuration changes)"),
        row(other, d[other], "worst end of the noise-free quadratic; weakly identified "
            "(only through the runs short of the threshold): median and interval only",
            mean=False),
        row("tail_mass", d["tail_mass"], f"P(one run lands beyond the threshold "
            f"{tau}): the share of a search the tail model describes"),
    ]
    more = fit.more_runs(m=m, delta=0.0, ci=ci)
    beats = direction.beyond(d[best_key], y_best, fit.minimize)
    n_runs = fit.data.n
    fresh = _fresh_best(fit, m, ci)
    table += [
        {"variable": "best_run", "value": y_best, "mean": y_best, "sd": 0.0, "median": y_best,
         "lower": y_best, "upper": y_best, "r_hat": np.nan, "ess": np.nan,
         "meaning": f"best score observed in the {n_runs} runs made (one run: noise "
                    "included, so often beyond the best expected score)"},
        {"variable": "p_beats_best_run", "value": float(np.mean(beats)),
         "mean": float(np.mean(beats)), "sd": np.nan,
         "median": np.nan, "lower": np.nan, "upper": np.nan, "r_hat": np.nan,
         "ess": np.nan,
         "meaning": f"P({best_key} {'<' if fit.minimize else '>'} best_run): chance "
                    "that the best expected score beats the best run (small is usual: "
                    "the best run was partly luck)"},
        {"variable": "best_of_m_fresh", "value": fresh["median"], **fresh,
         "meaning": f"expected best of a fresh search of m = {m} runs (not counting "
                    "the runs made); value: its posterior median (the mean can be "
                    "dominated by draws whose worst end lies far out)"},
        {"variable": "best_after_m_more", "value": more.expected_best,
         "mean": more.expected_best, "sd": np.nan,
         "median": (y_best - more.gain_median if fit.minimize
                    else y_best + more.gain_median),
         "lower": more.expected_best_interval()[0],
         "upper": more.expected_best_interval()[1], "r_hat": np.nan, "ess": np.nan,
         "meaning": f"expected best after m = {m} more runs added to the {n_runs} made "
                    f"(P(any beats best_run) = {more.probability:.2g}; see more_runs)"},
    ]
    if fit.thresholds is not None:
        probs, note = _threshold_rows(fit, table, ci, row)
    df = pd.DataFrame(table).set_index("variable")
    if fit.thresholds is not None:
        df.attrs.update(threshold_probabilities=probs.to_dict(orient="list"),
                        threshold_note=note)
    df.attrs.update(
        ci=ci,
        caption=(f"posterior summary ({'minimize' if fit.minimize else 'maximize'}, "
                 f"{d['alpha'].size} draws): value is the posterior median (for "
                 "probabilities the probability, for best_after_m_more the posterior mean); "
                 f"lower and upper bound the equal-tailed {ci:.0%} credible interval; "
                 f"m = {m}"),
        m=m,
        best_run=y_best,
        threshold=fit.threshold,
        minimize=fit.minimize,
        n_runs=n_runs,
        n_tail=int(fit.data.tail.size),
        resolution=fit.resolution,
        resolution_note=fit.resolution_note,
        divergences=diag["divergences"],
    )
    pit = fit.loo_pit()
    df.attrs["loo_pit"] = {k: pit[k] for k in ("ks_statistic", "ks_p_value", "pareto_k_max",
                                                "n")}
    return df


def _fresh_best(fit, m, ci) -> dict:
    """Summary entries of the expected best of a fresh search of ``m`` runs."""
    key = ("fresh_best", m, ci)
    if key not in fit._cache:
        c = curves.average_tuning_curve(fit.draws(), [float(m)], minimize=fit.minimize,
                                        ci=ci)
        x = c.draws[:, 0]
        fit._cache[key] = {"mean": float(c.predictive[0]),
                            "sd": float(np.std(x, ddof=1)) if x.size > 1 else 0.0,
                            "median": float(c.median[0]), "lower": float(c.lower[0]),
                            "upper": float(c.upper[0]), "r_hat": np.nan, "ess": np.nan}
    return dict(fit._cache[key])


def _threshold_rows(fit, table, ci, row):
    """Rows for tau and where P(tau) puts its mass (inferred-threshold fits)."""
    probs = fit.threshold_probabilities()
    tau = np.asarray(fit.idata.posterior["tau"]).reshape(-1)
    table.append(row("tau", tau, "threshold, inferred: drawn from P(tau | theta, y) over "
                     "the candidates", diagnostics=False))
    top = probs.sort_values("probability", ascending=False).head(3)
    for _, cand in top.iterrows():
        table.append({"variable": f"P(tau={cand.threshold:.6g})",
                      "value": float(cand.probability), "mean": float(cand.probability),
                      "meaning": f"posterior probability of this threshold "
                                 f"({cand.tail_fraction:.0%} of runs beyond it)"})
    best = top.iloc[0]
    note = (f"P(tau) puts {best.probability:.0%} on tau = {best.threshold:.6g} "
            f"({best.tail_fraction:.0%} of runs beyond)")
    verdict = fit.threshold_verdict(ci=ci)
    if verdict["caveat"]:
        note += ". " + verdict["caveat"]
    if not verdict["decided"]:
        note += ". " + verdict["message"]
        for key in ("beta", "gamma"):
            lo, hi = verdict["at_map"][key]
            median = float(np.median(verdict["map_draws"][key]))
            table.append({"variable": f"{key}_at_tau_map", "value": median, "median": median,
                          "lower": lo, "upper": hi,
                          "meaning": f"{key} given the most probable threshold "
                                     f"tau = {best.threshold:.6g} (P(tau) does not "
                                     "decide)"})
    return probs, note
