r"""Threshold study: does ``threshold="auto"`` find where the regime begins?

Each replicate draws a synthetic search with a known regime start
(:func:`bayesnq.calibration.regimes.regime_search`): a body family, a size :math:`n`,
parameters :math:`\theta` (:func:`~bayesnq.calibration.regimes.draw_truth`: :math:`\gamma`
log-uniform on [0.5, 8], :math:`\sigma/(\beta - \alpha)` log-uniform on [0.002, 0.05], the
tail fraction :math:`p` uniform on [0.1, 0.6]), a direction and a unit (scores scaled by
:math:`10^u`, :math:`u \sim \mathrm{Uniform}(-9, 9)`). It fits with ``threshold="auto"``
and records, at each level :math:`\ell`, whether the equal-tailed :math:`\ell` interval
covers the truth:

- the tail fraction: the share of the search's runs beyond :math:`\tau^*` against the
  posterior of the share beyond :math:`\tau` under the base prior over the candidates
  (:attr:`bayesnq.modeling.SplicedData.base_log_prior`; a discrete distribution; covered
  when the candidate nearest to the truth is in the
  interval; before any hedge, :mod:`bayesnq.inference.hedge`);
- the best end (:math:`\beta` maximizing, :math:`\alpha` minimizing) and :math:`\gamma`,
  from the fit's draws (hedged where the fit hedged, column ``hedged``);

and the relative error of the posterior median tail fraction,
:math:`(\tilde p - p_{\mathrm{obs}}) / p_{\mathrm{obs}}`. With ``control=True`` each
search is also fitted at the true :math:`\tau^*` (columns ``cover_best_90_at_truth``, ...):
the coverage an oracle threshold would give, so that what the inferred threshold costs is
measured apart from the tail model's own coverage on these truths (which are not drawn
from its prior, so need not be nominal even at :math:`\tau^*`).

With ``truths="prior"`` the parameters and the tail fraction are drawn from the tail
model's own prior instead (:func:`~bayesnq.calibration.regimes.draw_prior_truth`,
conditioned on :math:`p \in [0.1, 0.6]`): a *threshold SBC*, where the intervals of
:math:`\beta` and :math:`\gamma` should cover at their nominal rates if the threshold
model and the sampler are right, whatever the body below :math:`\tau^*`. The design cycles over
(family, size) cells, so every cell gets ``replicates`` searches. Records stream to a
JSON-lines file and resume as in the other studies (:mod:`~bayesnq.calibration.streaming`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bayesnq.calibration.regimes import (BODY_FAMILIES, draw_prior_truth, draw_truth,
                                         regime_search)
from bayesnq.calibration.statistics import binomial_interval
from bayesnq.calibration.streaming import EXECUTORS, Stream, batches, execute
from bayesnq.validation import check_bool, check_choice, check_int, check_levels

__all__ = ["threshold_study", "study_search", "ThresholdStudyResult", "DEFAULT_SIZES",
           "TRUTHS"]

DEFAULT_SIZES = (48, 128, 512, 1024)
STUDY = "thresholds"
TRUTHS = ("range", "prior")  # how theta and p are drawn (module docstring)


def _cell(i, families, sizes):
    cells = [(f, s) for s in sizes for f in families]
    return cells[i % len(cells)]


def _discrete_quantile(values, probs, q):
    order = np.argsort(values)
    cum = np.cumsum(probs[order])
    cum = cum / cum[-1]
    return float(values[order][min(np.searchsorted(cum, q - 1e-12), cum.size - 1)])


def study_search(seed, i, *, families=BODY_FAMILIES, sizes=DEFAULT_SIZES, truths="range"):
    """Search ``i`` of ``threshold_study(seed=seed, truths=truths)``, drawn again.

    Returns ``(family, size, scores, truth, unit)``: the cell of the design, the scores
    (user orientation and units), the :class:`~bayesnq.calibration.regimes.RegimeTruth`
    and the unit the scores were scaled by.
    The study and ``tools/threshold_profile.py`` both draw their searches here.
    """
    rng = np.random.default_rng([int(seed), int(i)])
    family, size = _cell(i, list(families), list(sizes))
    truth = draw_prior_truth(rng) if truths == "prior" else draw_truth(rng)
    p = truth.pop("tail_fraction")
    minimize = bool(rng.random() < 0.5)
    unit = float(10.0 ** rng.uniform(-9.0, 9.0))
    scores, t = regime_search(rng, size, **truth, tail_fraction=p, body=family,
                              minimize=minimize, unit=unit, offset=unit * rng.uniform(-3, 3))
    return family, size, scores, t, unit


def _replicate(i, settings):
    from bayesnq.inference import fit

    family, size, scores, t, unit = study_search(
        settings["seed"], i, families=settings["families"], sizes=settings["sizes"],
        truths=settings.get("truths", "range"))
    minimize = t.minimize
    start = time.perf_counter()
    f = fit(scores, minimize=minimize, threshold="auto", num_chains=settings["num_chains"],
            num_warmup=settings["num_warmup"], num_samples=settings["num_samples"],
            seed=int(i), progress_bar=False, check=False,
            threshold_hedge=settings.get("threshold_hedge", True))
    seconds = time.perf_counter() - start
    tp = f.threshold_probabilities()
    # where the model puts tau: P(tau | y) under the base prior over the candidates (the
    # fit's draws may be hedged toward fewer runs, bayesnq.inference.hedge)
    fractions, probs = tp["tail_fraction"].to_numpy(), tp["probability_unhedged"].to_numpy()
    d = f.draws()
    best = t.alpha if minimize else t.beta
    rec = dict(replicate=int(i), family=family, n=int(size), minimize=minimize, unit=unit,
               true_fraction=t.observed_tail_fraction, true_gamma=t.gamma,
               true_relative_sigma=t.sigma / (t.beta - t.alpha),
               median_fraction=_discrete_quantile(fractions, probs, 0.5),
               map_fraction=float(fractions[np.argmax(probs)]),
               verdict=f.threshold_verdict()["kind"], hedged="hedged" in f.settings,
               divergences=int(np.asarray(f.idata.sample_stats["diverging"]).sum()),
               seconds=seconds)
    at_truth = None
    if settings.get("control"):
        try:
            at_truth = fit(scores, minimize=minimize, threshold=t.threshold,
                           num_chains=settings["num_chains"], num_warmup=settings["num_warmup"],
                           num_samples=settings["num_samples"], seed=int(i),
                           progress_bar=False, check=False).draws()
        except ValueError:  # too few runs beyond tau* to fit there: no control
            at_truth = None
    for level in settings["levels"]:
        lo, hi = (1 - level) / 2, (1 + level) / 2
        tag = f"{round(100 * level)}"
        a, b = (_discrete_quantile(fractions, probs, q) for q in (lo, hi))
        # tau lives on the candidate grid: the truth counts as covered when the candidate
        # nearest to it lies in the interval
        nearest = fractions[np.argmin(np.abs(fractions - t.observed_tail_fraction))]
        rec[f"cover_fraction_{tag}"] = bool(a <= nearest <= b)
        fits = [("", d)] + ([("_at_truth", at_truth)] if at_truth is not None else [])
        for suffix, draws in fits:
            for name, x, true in (("best", draws[f.best_name], best),
                                  ("gamma", draws["gamma"], t.gamma)):
                qa, qb = np.quantile(x, [lo, hi])
                rec[f"cover_{name}_{tag}{suffix}"] = bool(qa <= true <= qb)
    return rec


def _task(settings):
    def run(batch):
        return [_replicate(i, settings) for i in batch]

    return run


@dataclass
class ThresholdStudyResult:
    """Records of a threshold study, one per synthetic search, and their summary tables."""

    records: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.records)

    def table(self, by=("family",), interval=0.95):
        """Coverage rates (with Clopper–Pearson ``interval``) and the tail fraction's bias.

        One row per group of ``by`` (columns of :meth:`to_frame`, e.g. ``("family",)`` or
        ``("family", "n")``): ``searches``, per level and quantity the coverage rate and
        its interval, ``median_relative_bias`` (the median over searches of
        :math:`(\\tilde p - p)/p`), ``divergent_searches``.
        """
        import pandas as pd

        df = self.to_frame()
        if df.empty:
            return pd.DataFrame()
        rows = []
        for key, g in df.groupby(list(by), sort=True):
            key = key if isinstance(key, tuple) else (key,)
            row = dict(zip(by, key))
            row["searches"] = len(g)
            for col in [c for c in df.columns if c.startswith("cover_")]:
                hits = g[col].dropna().astype(bool)
                if hits.empty:
                    continue
                k = int(hits.sum())
                lo, hi = binomial_interval(k, len(hits), interval)
                row[col.removeprefix("cover_")] = k / len(hits)
                row[col.removeprefix("cover_") + "_ci"] = (round(lo, 3), round(hi, 3))
            rel = (g["median_fraction"] - g["true_fraction"]) / g["true_fraction"]
            row["median_relative_bias"] = float(np.median(rel))
            row["divergent_searches"] = int((g["divergences"] > 0).sum())
            rows.append(row)
        return pd.DataFrame(rows)


def threshold_study(path=None, *, replicates=4, families=BODY_FAMILIES, sizes=DEFAULT_SIZES,
                    levels=(0.5, 0.9), seed=0, num_chains=2, num_warmup=500, num_samples=500,
                    control=False, truths="range", threshold_hedge=True, executor=None,
                    address=None, progress_bar=False) -> ThresholdStudyResult:
    """Run the threshold study (module docstring): ``replicates`` searches per
    (family, size) cell, each fitted with ``threshold="auto"``.

    Parameters
    ----------
    path : str or Path, optional
        JSON-lines file the records stream to; a study started again on the same file with
        the same settings resumes.
    replicates : int
        Searches per (family, size) cell.
    families : sequence of str
        Body families (:data:`bayesnq.calibration.regimes.BODY_FAMILIES`).
    sizes : sequence of int
        Numbers of runs per search (each at least 24).
    levels : sequence of float
        Interval levels whose coverage is recorded.
    seed : int
    num_chains, num_warmup, num_samples : int
        NUTS settings of every fit.
    control : bool
        Also fit each search at its true threshold (the oracle control, module
        docstring); about doubles the time.
    truths : "range" or "prior"
        Draw each truth over fixed ranges (:func:`~bayesnq.calibration.regimes.draw_truth`)
        or from the tail model's prior
        (:func:`~bayesnq.calibration.regimes.draw_prior_truth`: the threshold SBC).
    threshold_hedge : bool
        Passed to :func:`bayesnq.fit` (:mod:`bayesnq.inference.hedge`); ``False`` measures
        the fits with the base prior over the candidates (no hedge).
    executor : None, "local" or "dask"
    """
    replicates = check_int("replicates", replicates, 1)
    families = tuple(check_choice("families", f, BODY_FAMILIES) for f in families)
    if not families:
        raise ValueError("families must name at least one body family, got families=()")
    sizes = tuple(check_int("sizes", s, 24) for s in sizes)
    if not sizes:
        raise ValueError("sizes must hold at least one size, got sizes=()")
    levels = check_levels("levels", levels)
    check_choice("executor", executor, EXECUTORS)
    settings = dict(families=list(families), sizes=list(sizes), levels=list(levels),
                    seed=check_int("seed", seed, 0),
                    num_chains=check_int("num_chains", num_chains, 1),
                    num_warmup=check_int("num_warmup", num_warmup, 1),
                    num_samples=check_int("num_samples", num_samples, 10))
    if check_bool("control", control):  # only when asked: files written without it resume
        settings["control"] = True
    if check_choice("truths", truths, TRUTHS) == "prior":  # the same: older files resume
        settings["truths"] = "prior"
    if not check_bool("threshold_hedge", threshold_hedge):  # the same
        settings["threshold_hedge"] = False
    total = replicates * len(families) * len(sizes)
    stream = Stream(path, {"bayesnq_study": STUDY, "settings": settings},
                    compare=("bayesnq_study", "settings"))
    execute(_task(settings), batches(total, 1), stream, executor=executor, address=address,
            progress=progress_bar, desc="threshold study", total=total)
    recs = [stream.records[i] for i in sorted(stream.records)]
    return ThresholdStudyResult(records=recs, settings=settings)
