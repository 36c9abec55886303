"""Results of a landscape analysis: the table rows, one subset's measures, the whole result.

:class:`LandscapeResult` is what :func:`~bayesnq.landscape.analyze` returns; it renders
itself as rows, aligned text and a JSON-ready dictionary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from bayesnq.jsonable import jsonable
from bayesnq.landscape.graph import KNNGraph
from bayesnq.landscape.nulls import SinglePeak
from bayesnq.landscape.quadratic import QuadraticFit

__all__ = ["Row", "SubsetResult", "LandscapeResult"]


class Row(NamedTuple):
    """One line of :meth:`LandscapeResult.table`.

    ``baseline`` names the reference distribution (``""`` when none: the baseline fields are
    then NaN); ``"permutation"`` and ``"single-peak"`` are null models, ``"bootstrap"`` a
    bootstrap interval of the value itself.
    """

    subset: str
    measure: str
    value: float
    baseline: str
    baseline_mean: float
    baseline_low: float
    baseline_high: float


@dataclass(frozen=True, eq=False)
class SubsetResult:
    """All measures on one subset of runs ("all" or "non-failed").

    Attributes
    ----------
    name : str
    index : numpy.ndarray
        Indices of the runs into the original data.
    graph : KNNGraph
        Graph at the main ``k``.
    measures : dict of str to float
    baselines : dict of str to dict of str to Baseline
        ``measure -> {"permutation": ..., "single-peak": ...}``.
    is_optimum : numpy.ndarray of bool
    distance_to_best : numpy.ndarray
    attractor : numpy.ndarray
    quadratic : QuadraticFit or None
    correlogram : dict
    surrogate : SinglePeak
    """

    name: str
    index: np.ndarray
    graph: KNNGraph
    measures: dict
    baselines: dict
    is_optimum: np.ndarray
    distance_to_best: np.ndarray
    attractor: np.ndarray
    quadratic: QuadraticFit | None
    correlogram: dict
    surrogate: SinglePeak


@dataclass(frozen=True, eq=False)
class LandscapeResult:
    """Result of :func:`analyze`.

    Attributes
    ----------
    name : str
    names : tuple of str
        Hyperparameter names (encoded columns).
    settings : dict
        Everything the numbers depend on: k, encoding, failed-run convention, sigma, seeds,
        replicate counts.
    subsets : dict of str to SubsetResult
        ``"all"`` and ``"non-failed"``; without failed runs both keys hold the same object,
        with too few non-failed runs ``"non-failed"`` is absent (``settings["subsets"]``).
    failed : numpy.ndarray of bool
    y : numpy.ndarray
        Scores used for "all" (non-finite ones replaced, see ``settings``).
    fidelity : dict or None
        ``subset -> fidelity_profile(...)`` when learning curves were given.
    """

    name: str
    names: tuple
    settings: dict
    subsets: dict
    failed: np.ndarray
    y: np.ndarray
    fidelity: dict | None = None
    _rows: list = field(default_factory=list, repr=False)

    def table(self):
        """Rows ``(subset, measure, value, baseline, baseline_mean, baseline_low,
        baseline_high)``; measures with two baselines appear once per baseline."""
        return list(self._rows)

    def format_table(self):
        """The table as aligned text."""
        lines = [f"{'subset':<11} {'measure':<32} {'value':>11}  {'baseline':<12}"
                 f" {'mean':>11} {'interval':>25}"]
        for r in self._rows:
            base = (f"{r.baseline:<12} {_fmt(r.baseline_mean):>11} "
                    f"[{_fmt(r.baseline_low)}, {_fmt(r.baseline_high)}]".rjust(25)
                    if r.baseline else "")
            lines.append(f"{r.subset:<11} {r.measure:<32} {_fmt(r.value):>11}  {base}")
        return "\n".join(lines)

    def to_dict(self):
        """JSON-ready dictionary (NaN becomes None)."""
        subsets = {}
        for key, sub in self.subsets.items():
            if sub.name != key:
                subsets[key] = f"same as {sub.name!r}"
                continue
            subsets[key] = {
                "n": int(sub.index.size),
                "measures": dict(sub.measures),
                "baselines": {m: {b: base._asdict() for b, base in v.items()}
                              for m, v in sub.baselines.items()},
                "quadratic": sub.quadratic.to_dict() if sub.quadratic is not None else None,
                "correlogram": {k: np.asarray(v).tolist() for k, v in sub.correlogram.items()},
                "single_peak": {"center": sub.surrogate.center.tolist(),
                                "peak": sub.surrogate.peak, "sigma": sub.surrogate.sigma,
                                "floor": sub.surrogate.floor},
            }
        fidelity = None
        if self.fidelity is not None:
            fidelity = {k: {f: np.asarray(v).tolist() for f, v in prof.items()}
                        for k, prof in self.fidelity.items() if self.subsets[k].name == k}
        return jsonable({
            "name": self.name, "hyperparameters": list(self.names), "settings": self.settings,
            "n_runs": int(self.y.size), "n_failed": int(self.failed.sum()),
            "subsets": subsets, "fidelity": fidelity,
            "table": [r._asdict() for r in self._rows],
        })


def _fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if float(x).is_integer() and abs(x) < 1e7:
        return f"{int(x)}"
    return f"{x:.4g}"
