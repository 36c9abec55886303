r"""The model layer: priors, the one censored likelihood, the tail and threshold models.

- :mod:`~bayesnq.modeling.priors`: :class:`Priors` and the coordinates NUTS samples;
- :mod:`~bayesnq.modeling.likelihood`: the censored tail likelihood, the one place where
  scores meet the noisy quadratic;
- :mod:`~bayesnq.modeling.tail`: :class:`TailData` and :func:`tail_model` (one threshold);
- :mod:`~bayesnq.modeling.spliced`: :class:`SplicedData` and :func:`threshold_model`
  (the threshold as a parameter, every run with a density);
- :mod:`~bayesnq.modeling.sites`: that model's sampler coordinates for :math:`\alpha`;
- :mod:`~bayesnq.modeling.thresholds`: the one parser of ``threshold`` arguments and the
  default candidate grid;
- :mod:`~bayesnq.modeling.resolution`: the one parser of ``resolution`` (scores known to a
  lattice step) and lattice detection.

Everything is written once, in the maximize orientation (:mod:`bayesnq.direction`).
"""

from bayesnq.modeling.likelihood import (candidate_logliks, distinct_layout, log_interval_prob,
                                         loglik_draws, per_run_loglik, runs_beyond, tail_terms)
from bayesnq.modeling.priors import (BETA_BEND, SAMPLED_SITES, Priors, derive_alpha,
                                     floor_gap, gamma_support, initial_values, sample_beta,
                                     sample_gamma, sample_sigma_rel, sample_tail_parameters,
                                     to_unconstrained)
from bayesnq.modeling.resolution import detect_resolution, parse_resolution
from bayesnq.modeling.sites import initial_coordinates, site_alpha
from bayesnq.modeling.spliced import (BODY_DIRICHLET, SplicedData, body_log_marginal,
                                      body_weights, pointwise_loglik, predictive,
                                      threshold_model)
from bayesnq.modeling.tail import TailData, padded_size, record_parameters, tail_model
from bayesnq.modeling.thresholds import (DEFAULT_TAIL_FRACTIONS, default_thresholds,
                                         parse_threshold)

PARAMETERS = ("alpha", "beta", "gamma", "sigma")  # the noisy quadratic's parameters

__all__ = [
    "PARAMETERS", "Priors", "derive_alpha", "floor_gap", "sample_beta", "sample_gamma",
    "gamma_support", "sample_sigma_rel", "sample_tail_parameters", "initial_values",
    "to_unconstrained", "BETA_BEND", "SAMPLED_SITES", "per_run_loglik", "loglik_draws",
    "runs_beyond", "distinct_layout", "candidate_logliks", "TailData", "tail_model",
    "record_parameters", "padded_size", "SplicedData", "threshold_model", "body_log_marginal",
    "body_weights", "pointwise_loglik", "predictive", "site_alpha", "initial_coordinates",
    "BODY_DIRICHLET",
    "parse_threshold",
    "default_thresholds", "DEFAULT_TAIL_FRACTIONS", "log_interval_prob", "tail_terms",
    "parse_resolution", "detect_resolution",
]
