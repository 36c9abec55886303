r"""Posterior tuning curves: how good the best of ``n`` random-search runs will be.

A random search draws scores :math:`Y_1, Y_2, \dots` iid from :math:`F_\theta`, here a noisy
quadratic distribution with :math:`\theta = (\alpha, \beta, \gamma, \sigma)`. The *tuning
curve* follows the best of the first ``n`` runs, :math:`T_n = \max_{i \le n} Y_i` when
maximizing (:math:`\min` when minimizing), whose distribution is

.. math::

    P_\theta(T_n \le y) = F_\theta(y)^n \quad\text{(maximize)}, \qquad
    P_\theta(T_n \le y) = 1 - (1 - F_\theta(y))^n \quad\text{(minimize)}.

Per posterior draw :math:`\theta^{(s)}` this package computes

* the **q-quantile tuning curve** :math:`\tau_q(n; \theta) = F_\theta^{-1}(q^{1/n})`
  (maximize) or :math:`F_\theta^{-1}(1 - (1 - q)^{1/n})` (minimize), and
* the **average tuning curve** :math:`E_\theta[T_n]`,

and summarizes them over draws by the posterior median and an equal-tailed credible band,
with the **posterior-predictive** curve beside them (:mod:`bayesnq.curves.posterior`).
Empirical counterparts (the best of ``n`` draws with replacement from the observed scores,
:mod:`~bayesnq.curves.empirical`), :func:`runs_to_reach`, the number of runs needed to
reach a target score in a fresh search, and :func:`regime_start`
(:mod:`~bayesnq.curves.runs`) complete it.

All of the above is about a *fresh* search of ``n`` runs. Runs *added* to a search
already made are :func:`more_runs` (:mod:`~bayesnq.curves.more_runs`): the chance that
``m`` more runs beat the current best :math:`y^*` by :math:`\Delta`,
:math:`1 - E_\theta[F_\theta(y^* + \Delta)^m]`, the expected gain and the ``m`` needed.

Every interval and band defaults to the equal-tailed :data:`DEFAULT_CI` (90%) level.

Modules: ``results`` (:class:`TuningCurve`, :class:`RunsToReach`), ``draws`` (checking
and thinning posterior draws, numbers of runs, padding), ``kernels`` (per-draw compiled
kernels), ``posterior``, ``empirical``, ``runs``, ``versus`` (:func:`compare`: two fits,
the best ends and the best of ``n`` runs of each).

All probabilities are handled in log space (:meth:`NoisyQuadratic.log_cdf` /
:meth:`~NoisyQuadratic.log_sf`), so ``n`` of :math:`10^6` and beyond keeps full precision.
"""

from __future__ import annotations

from bayesnq.curves.draws import DEFAULT_CI, PARAMETERS, thin
from bayesnq.curves.empirical import empirical_average_tuning_curve, empirical_tuning_curve
from bayesnq.curves.more_runs import MoreRuns, more_runs
from bayesnq.curves.posterior import average_tuning_curve, tuning_curve
from bayesnq.curves.results import RunsToReach, TuningCurve
from bayesnq.curves.runs import regime_start, runs_to_reach
from bayesnq.curves.versus import Comparison, compare

__all__ = [
    "TuningCurve",
    "RunsToReach",
    "tuning_curve",
    "average_tuning_curve",
    "empirical_tuning_curve",
    "empirical_average_tuning_curve",
    "runs_to_reach",
    "regime_start",
    "more_runs",
    "MoreRuns",
    "DEFAULT_CI",
    "thin",
    "PARAMETERS",
    "Comparison",
    "compare",
]
