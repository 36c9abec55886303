r"""Calibration studies: do the posterior's intervals cover as often as they claim?

Two studies, :func:`sbc` and :func:`coverage`, with their engine, statistics and streaming
in modules of their own:

- :mod:`~bayesnq.calibration.engine`: vectorized NUTS over replicates;
- :mod:`~bayesnq.calibration.simulate`: prior draws and simulated searches;
- :mod:`~bayesnq.calibration.statistics`: ranks, uniformity tests, intervals, bands;
- :mod:`~bayesnq.calibration.streaming`: results files that resume, local or Dask runs;
- :mod:`~bayesnq.calibration.sbc`, :mod:`~bayesnq.calibration.coverage`: the studies;
- :mod:`~bayesnq.calibration.results`: their results, and :func:`load`.

**Simulation-based calibration** (:func:`sbc`, Talts et al. 2018). Draw
:math:`\theta^{(r)} \sim p(\theta)` from the prior of the tail model, simulate a random
search :math:`y^{(r)} \sim p(y \mid \theta^{(r)})`, draw :math:`L` (thinned) posterior
samples :math:`\theta^{(r)}_{1..L}` from :math:`p(\theta \mid y^{(r)})` and record the rank

.. math::

    r_j = \#\{\ell : \theta^{(r)}_{\ell, j} < \theta^{(r)}_j\} \in \{0, \dots, L\}

for each parameter :math:`j \in \{\alpha, \beta, \gamma, \sigma\}`. If the sampler draws
from the exact posterior, :math:`r_j` is uniform on :math:`\{0, \dots, L\}`, because
:math:`\theta^{(r)}` is itself a draw from the posterior of :math:`y^{(r)}` (averaged over
the prior predictive). Uniformity is tested per parameter with a :math:`\chi^2` test on
``bins`` equal bins of the ranks.

**Coverage on real data** (:func:`coverage`). From a full random search of :math:`N`
runs, draw ``replicates`` subsamples of :math:`n` runs without replacement, fit each, and
check whether the credible band of the median tuning curve covers the full data's
empirical median tuning curve :math:`\hat\tau(k)` at :math:`k = 1, 2, 4, \dots \le N`
(pointwise, per :math:`k`, and simultaneously over all :math:`k`), and whether the
credible interval of the best possible score covers the full-data posterior median. A
band at level :math:`\ell` should fail with probability :math:`1 - \ell`; the failure
rates are reported with Clopper–Pearson intervals. opda's nonparametric confidence bands
(:meth:`opda.nonparametric.EmpiricalDistribution.confidence_bands`) are computed on the
same subsamples for comparison.

**Running at scale.** Replicates are independent. The default engine (``method=
"vectorized"``) runs the NUTS chains of ``batch_size`` replicates as one vectorized JAX
program (``jax.vmap`` of numpyro's functional NUTS over replicates x chains; all
replicates of a study have the same number of runs, and the tail is selected by a mask,
so the arrays have one shape). Every finished batch is appended to ``path`` (JSON lines)
and flushed, so an interrupted study started again with the same ``path`` and settings
resumes after the last finished batch; batches are fixed by replicate index and each
replicate's random key depends only on ``(seed, replicate)``, so a resumed study gives the
same records as an uninterrupted one. ``executor="dask"`` sends the batches to Dask
distributed (a ``LocalCluster`` unless a scheduler address is given).

The vectorized model is :func:`bayesnq.modeling.tail_model` written for fixed-shape arrays
(continuous :math:`\gamma`; the same priors and parameterization; the test suite checks
that both give the same log density). ``method="fit"`` calls :func:`bayesnq.fit` for
every replicate instead, which accepts everything ``fit`` does (``threshold="auto"``,
``gamma="integer"``).
"""

from bayesnq.calibration.coverage import coverage
from bayesnq.calibration.engine import run_vectorized, vector_model
from bayesnq.calibration.results import CoverageResult, SBCResult, load
from bayesnq.calibration.sbc import sbc, sbc_importance
from bayesnq.calibration.simulate import prior_draws, simulate_scores
from bayesnq.calibration.statistics import (binomial_interval, rank_statistics,
                                            simultaneous_band, uniformity_test)

__all__ = [
    "sbc",
    "sbc_importance",
    "coverage",
    "SBCResult",
    "CoverageResult",
    "simulate_scores",
    "rank_statistics",
    "uniformity_test",
    "binomial_interval",
    "simultaneous_band",
    "run_vectorized",
    "vector_model",
    "prior_draws",
    "load",
]
