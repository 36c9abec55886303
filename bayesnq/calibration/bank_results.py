r"""Results of the landscape-bank study: failure rates and the regime check.

A band at level :math:`\ell` should fail with probability :math:`1 - \ell`. Failure
rates carry Clopper–Pearson intervals (:func:`binomial_interval`). The regime check asks
whether the misfit signals a user can see on their own search (:data:`SIGNALS`) predict
a miss: the miss rate among flagged searches against that among unflagged ones, and the
share of misses that were flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bayesnq.calibration.statistics import binomial_interval
from bayesnq.calibration.streaming import read_study
from bayesnq.inference.regime import (REGIME_BOUND_GAP, REGIME_MIN_TAIL, REGIME_TIED,
                                     regime_flags)

__all__ = ["BankResult", "SIGNALS"]


def _lt(key, cut):
    return lambda r: r.get(key) is not None and not math.isnan(r[key]) and r[key] < cut


def _ge(key, cut):
    return lambda r: r.get(key) is not None and not math.isnan(r[key]) and r[key] >= cut


def _gt(key, cut):
    return lambda r: r.get(key) is not None and not math.isnan(r[key]) and r[key] > cut


#: Flags of the regime check: name -> (rule in words, predicate on a record).
SIGNALS = {
    "LOO-PIT p < 0.05": ("KS p-value of the tail's LOO-PIT below 0.05", _lt("pit_p", 0.05)),
    "LOO-PIT p < 0.01": ("KS p-value of the tail's LOO-PIT below 0.01", _lt("pit_p", 0.01)),
    "LOO-PIT p < 1e-6": ("Fit.check's misfit warning (KS p < 1e-6)", _lt("pit_p", 1e-6)),
    "Pareto k > 0.7": ("largest Pareto k of the LOO weights above 0.7", _gt("pareto_k", 0.7)),
    "PPC best p < 0.05": ("two-sided posterior predictive p of the tail's best below 0.05",
                          _lt("ppc_best_p", 0.05)),
    "divergences": ("any divergent transition", _gt("divergences", 0)),
    "tied tail >= 10%": ("10% or more of the tail runs tie", lambda r: r.get("tail_tied", 0) >= 0.1),
    "threshold undecided": ("threshold verdict flat or multimodal (tau inferred)",
                            lambda r: r.get("verdict") not in (None, "decided")),
    "Pareto k > 0.8": ("largest Pareto k of the LOO weights above 0.8", _gt("pareto_k", 0.8)),
    "bound gap < 0.01": ("best run within 1% of the tail's width of the bound",
                         _lt("bound_gap", REGIME_BOUND_GAP)),
    "ties beyond the lattice >= 10%": ("10% or more of the tail runs tie beyond what a "
                                       "lattice explains (excess_ties)",
                                       _ge("tail_tied_excess", REGIME_TIED)),
    f"tail < {REGIME_MIN_TAIL} runs": (
        f"fewer than {REGIME_MIN_TAIL} runs beyond the threshold",
        lambda r: r.get("n_tail") is not None and r["n_tail"] < REGIME_MIN_TAIL),
    "regime check": ("Fit.check's regime check: LOO-PIT p < 0.01, Pareto k > 0.8, bound "
                     "gap < 0.01, ties beyond the lattice >= 10% or a tail of fewer than "
                     f"{REGIME_MIN_TAIL} runs",
                     lambda r: bool(regime_flags(
                         r.get("pit_p"), r.get("pareto_k"), r.get("bound_gap"),
                         r.get("n_tail"), r.get("tail_tied_excess")))),
}
#: The union of the signals that need no inferred threshold and no ties rule.
ANY = ("LOO-PIT p < 0.01", "Pareto k > 0.7", "PPC best p < 0.05", "divergences")


@dataclass
class BankResult:
    r"""Per-search records of :func:`~bayesnq.calibration.bank` and their summaries.

    Attributes
    ----------
    records : list of dict
        One per (replicate, size, landscape): ``tau``, ``n_tail``, ``divergences``, the
        misfit signals (``pit_p``, ``pareto_k``, ``ppc_best_p``, ``tail_tied``,
        ``verdict``), ``checked`` (per :math:`k`: the true curve lies beyond
        :math:`\tau`), and per level ``L``: ``point_L`` (per :math:`k`; None where not
        checked), ``simul_L``, ``best_L``, ``opda_L`` (per :math:`k`, all :math:`k`) and
        ``opda_all_L`` (at every checked :math:`k`). ``skipped`` says why a search was
        not fitted, else None.
    truth : dict
        Per landscape: the exact median tuning curve ``curve`` at ``settings["ks"]`` and
        the true best expected score ``best``.
    settings : dict
    """

    records: list
    truth: dict
    settings: dict

    @classmethod
    def load(cls, path):
        """The result from a study file, with the searches finished so far (no lock)."""
        header, recs = read_study(path, "bank")
        return cls(recs, header["truth"], header["settings"])

    def _fitted(self, landscape=None, size=None):
        return [r for r in self.records if r["skipped"] is None
                and (landscape is None or r["landscape"] == landscape)
                and (size is None or r["size"] == size)]

    def _checks(self, recs, tag, k_max=None):
        ks = np.asarray(self.settings["ks"])
        use = ks <= (np.inf if k_max is None else k_max)
        out = {
            "curve, pointwise": [x for r in recs for x, u in zip(r[f"point_{tag}"], use)
                                 if u and x is not None],
            "curve, simultaneous": [r[f"simul_{tag}"] for r in recs
                                    if r[f"simul_{tag}"] is not None],
            "best score": [r[f"best_{tag}"] for r in recs],
        }
        if self.settings["opda"]:
            out["opda, pointwise"] = [x for r in recs
                                      for x, c, u in zip(r[f"opda_{tag}"], r["checked"], use)
                                      if c and u]
            out["opda, simultaneous"] = [r[f"opda_all_{tag}"] for r in recs
                                         if r[f"opda_all_{tag}"] is not None]
        return out

    def table(self, by_landscape=True, interval=0.95, k_max=None):
        r"""Failure rates against nominal :math:`1 - \ell` per (landscape,) size, level, check.

        ``curve, pointwise`` pools the pairs of search and checked :math:`k` (not
        independent: its interval is too narrow); ``k_max`` keeps only :math:`k \le`
        ``k_max`` in the pointwise rows (e.g. the search's own size: no extrapolation).
        """
        import pandas as pd

        rows = []
        groups = self.settings["landscapes"] if by_landscape else [None]
        for land in groups:
            for size in self.settings["sizes"]:
                recs = self._fitted(land, size)
                if not recs:
                    continue
                skipped = sum(1 for r in self.records if r["skipped"] and r["size"] == size
                              and (land is None or r["landscape"] == land))
                for level in self.settings["levels"]:
                    for name, hits in self._checks(recs, f"{level:g}", k_max).items():
                        rows.append(_rate_row(hits, interval, landscape=land or "all",
                                              size=size, level=level, check=name,
                                              searches=len(recs), skipped=skipped))
        return pd.DataFrame(rows)

    def regime_table(self, level=0.8, check="curve, simultaneous", interval=0.95,
                     signals=None, landscape=None):
        r"""How well each misfit signal predicts a miss of ``check`` at ``level``.

        Per signal (:data:`SIGNALS`, plus ``any`` = the union of :data:`ANY`): searches
        flagged and unflagged, the miss rate in each with its Clopper–Pearson interval, and
        ``misses_flagged``, the share of misses that the signal flagged.
        """
        import pandas as pd

        tag = f"{level:g}"
        key = {"curve, simultaneous": "simul", "best score": "best"}.get(check)
        if key is None:
            raise ValueError(f"check must be 'curve, simultaneous' or 'best score', "
                             f"got check={check!r}")
        recs = [r for r in self._fitted(landscape) if r[f"{key}_{tag}"] is not None]
        miss = np.array([not r[f"{key}_{tag}"] for r in recs], dtype=bool)
        names = list(SIGNALS) + ["any"] if signals is None else list(signals)
        rows = []
        for name in names:
            if name == "any":
                flag = np.array([any(SIGNALS[s][1](r) for s in ANY) for r in recs], dtype=bool)
            else:
                flag = np.array([SIGNALS[name][1](r) for r in recs], dtype=bool)
            row = {"signal": name, "searches": len(recs), "flagged": int(flag.sum())}
            for part, sel in (("flagged", flag), ("unflagged", ~flag)):
                m, t = int(miss[sel].sum()), int(sel.sum())
                lo, hi = binomial_interval(m, t, interval) if t else (math.nan, math.nan)
                row.update({f"miss_{part}": m, f"rate_{part}": m / t if t else math.nan,
                            f"low_{part}": lo, f"high_{part}": hi})
            row["misses_flagged"] = (float(flag[miss].mean()) if miss.any() else math.nan)
            rows.append(row)
        return pd.DataFrame(rows)

    def where(self, keep) -> "BankResult":
        """The result restricted to the records for which ``keep(record)`` is true (e.g.
        even replicates, to pick a rule on one half and report it on the other)."""
        return BankResult([r for r in self.records if keep(r)], self.truth, self.settings)

    def flags(self, record):
        """Names of the :data:`SIGNALS` a record raises."""
        return [k for k, (_, f) in SIGNALS.items() if f(record)]


def _rate_row(hits, interval, **fields):
    trials = len(hits)
    fails = trials - int(np.sum(hits))
    lo, hi = binomial_interval(fails, trials, interval) if trials else (math.nan, math.nan)
    level = fields["level"]
    return dict(fields, trials=trials, failures=fails,
                failure_rate=fails / trials if trials else math.nan,
                nominal=round(1 - level, 10), low=lo, high=hi)
