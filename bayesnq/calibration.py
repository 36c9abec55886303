"""Calibration studies (public name of :mod:`bayesnq.studies`).

``bayesnq.calibration.sbc`` (simulation-based calibration) and
``bayesnq.calibration.coverage`` (coverage of the credible bands on subsamples of real
data); see :mod:`bayesnq.studies` for the methods.
"""

from bayesnq.studies import (  # noqa: F401
    SBC_PARAMS,
    CoverageResult,
    SBCResult,
    binomial_interval,
    coverage,
    load,
    prior_draws,
    rank_statistics,
    run_vectorized,
    sbc,
    simulate_scores,
    simultaneous_band,
    uniformity_test,
)

__all__ = [
    "sbc",
    "coverage",
    "load",
    "SBCResult",
    "CoverageResult",
    "prior_draws",
    "simulate_scores",
    "rank_statistics",
    "uniformity_test",
    "binomial_interval",
    "simultaneous_band",
    "run_vectorized",
    "SBC_PARAMS",
]
