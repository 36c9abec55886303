"""The inference layer: NUTS fits of the tail model and what to ask of them.

- :mod:`~bayesnq.inference.fit`: :func:`fit` (one threshold, or the threshold inferred);
- :mod:`~bayesnq.inference.nuts`: the NUTS runner (data as arguments of the program);
- :mod:`~bayesnq.inference.posterior`: draws after sampling (conditionals of the discrete
  parts, pointwise log-likelihood, replicated searches);
- :mod:`~bayesnq.inference.idata`: the one InferenceData builder;
- :mod:`~bayesnq.inference.result`: :class:`Fit`;
- :mod:`~bayesnq.inference.compare`: :func:`compare_thresholds` by PSIS-LOO;
- :mod:`~bayesnq.inference.persist`: :meth:`Fit.save` and :func:`load_fit` (one netCDF file).
"""

from bayesnq.inference.compare import ThresholdComparison, compare_thresholds, stacking_weights
from bayesnq.inference.fit import fit
from bayesnq.inference.nuts import TARGET_ACCEPT_PROB, default_num_samples, default_target_accept
from bayesnq.inference.result import DiagnosticsWarning, Fit

__all__ = ["fit", "Fit", "DiagnosticsWarning", "compare_thresholds", "ThresholdComparison",
           "stacking_weights", "TARGET_ACCEPT_PROB", "default_target_accept",
           "default_num_samples"]
