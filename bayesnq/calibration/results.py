"""Results of the calibration studies, and reading a study back from its file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesnq.calibration.statistics import binomial_interval, uniformity_test
from bayesnq.calibration.streaming import read_study
from bayesnq.modeling import PARAMETERS

__all__ = ["SBCResult", "CoverageResult", "load"]


@dataclass
class SBCResult:
    r"""Ranks of the true parameters among posterior draws, one row per replicate.

    Attributes
    ----------
    ranks : dict of np.ndarray, shape (R,)
        Rank of each parameter's true value, in ``0..num_ranks-1``.
    num_ranks : int
        :math:`L + 1`.
    true : dict of np.ndarray
        The parameters drawn from the prior.
    divergences : np.ndarray
    settings : dict
    """

    ranks: dict
    num_ranks: int
    true: dict
    divergences: np.ndarray
    settings: dict

    @property
    def replicates(self) -> int:
        return int(next(iter(self.ranks.values())).size)

    def tests(self, bins=20):
        """``uniformity_test`` per parameter, as a DataFrame."""
        import pandas as pd

        rows = {k: uniformity_test(v, self.num_ranks, bins) for k, v in self.ranks.items()}
        df = pd.DataFrame(rows).T
        df.index.name = "parameter"
        df.attrs["replicates"] = self.replicates
        return df

    def table(self, bins=20):
        """Per parameter: replicates, chi-square statistic, df, p-value, mean scaled rank."""
        df = self.tests(bins)
        df.insert(0, "replicates", self.replicates)
        df["mean_rank_fraction"] = [float(np.mean(self.ranks[k]) / (self.num_ranks - 1))
                                    for k in df.index]
        return df



@dataclass
class CoverageResult:
    r"""Per-replicate coverage records of :func:`coverage` and their failure rates.

    Attributes
    ----------
    records : list of dict
        One per (size, replicate): the subsample's tail size, divergences and, per level
        ``L``, ``point_L`` (per :math:`k`: the pointwise band covers), ``simul_L`` (the
        simultaneous band covers at every :math:`k`), ``best_L`` (the interval of the
        best possible score covers the reference) and ``opda_L`` / ``opda_all_L``
        (opda's bands, per :math:`k` and at every :math:`k`). ``skipped`` names why a
        subsample was not fitted (too few runs beyond the threshold), else None.
    reference : dict
        ``k``, the full-data empirical median tuning curve ``curve`` there, ``best``
        (full-data posterior median of the best possible score) and ``k_used`` (the
        :math:`k` whose reference lies beyond the threshold, where the tail model speaks).
    settings : dict
    """

    records: list
    reference: dict
    settings: dict

    def table(self, interval=0.95):
        r"""Failure rates against nominal :math:`1 - \ell`, per size, level and check.

        Checks: ``curve, pointwise`` (pairs of replicate and :math:`k`, pooled),
        ``curve, simultaneous`` (a replicate fails if any :math:`k` is missed),
        ``best score`` and, when computed, ``opda, pointwise`` and ``opda, simultaneous``.
        ``low``/``high``: Clopper–Pearson ``interval`` for the failure rate (for the
        pooled pointwise rows the pairs are not independent, so it is too narrow).
        """
        import pandas as pd

        s = self.settings
        rows = []
        for size in s["sizes"]:
            recs = [r for r in self.records if r["size"] == size and r["skipped"] is None]
            skipped = sum(1 for r in self.records if r["size"] == size and r["skipped"])
            for level in s["levels"]:
                tag = f"{level:g}"
                checks = {
                    "curve, pointwise": [x for r in recs for x in r[f"point_{tag}"]],
                    "curve, simultaneous": [r[f"simul_{tag}"] for r in recs],
                    "best score": [r[f"best_{tag}"] for r in recs],
                }
                if s["opda"]:
                    checks["opda, pointwise"] = [x for r in recs for x in r[f"opda_{tag}"]]
                    checks["opda, simultaneous"] = [r[f"opda_all_{tag}"] for r in recs]
                for name, hits in checks.items():
                    trials = len(hits)
                    fails = trials - int(np.sum(hits))
                    lo, hi = binomial_interval(fails, trials, interval) if trials else (np.nan,) * 2
                    rows.append({
                        "dataset": s["dataset"], "size": size, "level": level, "check": name,
                        "trials": trials, "failures": fails,
                        "failure_rate": fails / trials if trials else np.nan,
                        "nominal": round(1 - level, 10), "low": lo, "high": hi,
                        "skipped": skipped,
                    })
        return pd.DataFrame(rows)

    def pointwise_table(self, level=0.8):
        """Failure rate of the pointwise band per size and k (Bayesian and opda)."""
        import pandas as pd

        tag = f"{level:g}"
        k_used = self.reference["k_used"]
        rows = []
        for size in self.settings["sizes"]:
            recs = [r for r in self.records if r["size"] == size and r["skipped"] is None]
            for j, k in enumerate(k_used):
                row = {"size": size, "k": k, "trials": len(recs)}
                row["failure_rate"] = float(np.mean([not r[f"point_{tag}"][j] for r in recs])) \
                    if recs else np.nan
                if self.settings["opda"] and recs:
                    row["opda_failure_rate"] = float(np.mean([not r[f"opda_{tag}"][j]
                                                              for r in recs]))
                rows.append(row)
        return pd.DataFrame(rows)


def load(path):
    """The result of a study from its records file, with the replicates finished so far.

    Parameters
    ----------
    path : str or Path
        A JSON-lines file written by :func:`sbc` or :func:`coverage` (``path=``).

    Returns
    -------
    SBCResult or CoverageResult
        One record per replicate, in replicate order: of a replicate the file holds more
        than once, the last complete record. Reading needs no lock, so a file can be loaded
        while its study still runs.
    """
    header, recs = read_study(path)
    kind = header["bayesnq_study"]
    s = header["settings"]
    if kind == "sbc":
        return SBCResult(
            ranks={k: np.array([r[f"rank_{k}"] for r in recs], dtype=int) for k in PARAMETERS},
            num_ranks=s["num_ranks"],
            true={k: np.array([r[f"true_{k}"] for r in recs]) for k in PARAMETERS},
            divergences=np.array([r["divergences"] for r in recs], dtype=int),
            settings=s,
        )
    return CoverageResult(records=recs, reference=header.get("reference"), settings=s)