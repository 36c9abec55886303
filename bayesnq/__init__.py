"""bayesnq: Bayesian analysis of hyperparameter random search.

The noisy quadratic distribution, censored tail fits with NUTS, posterior-predictive
tuning curves, threshold comparison, calibration studies and landscape diagnostics.

Importing bayesnq loads nothing heavy: each name below is imported when first used.
The modules that compute with JAX turn on float64 when they load
(``numpyro.enable_x64()``: the log-space tails need it). Nothing else about the process
changes unless you call :func:`bayesnq.configure` (host devices for parallel chains, the
compilation cache), as the command line does.

Layers, each importing only the ones before it (see ``docs/architecture.md``):
``validation``, ``direction`` → ``distributions`` → ``data``, ``datasets`` →
``modeling`` → ``inference``, ``curves`` → ``calibration``, ``landscape`` → ``plots``,
``report``, ``cli``.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# public name -> module that defines it
_NAMES = {
    "NoisyQuadratic": "bayesnq.distributions",
    "Quadratic": "bayesnq.distributions",
    "Scores": "bayesnq.data",
    "load_scores": "bayesnq.data",
    "check_tail": "bayesnq.data",
    "Priors": "bayesnq.modeling",
    "default_thresholds": "bayesnq.modeling",
    "fit": "bayesnq.inference",
    "Fit": "bayesnq.inference",
    "DiagnosticsWarning": "bayesnq.inference",
    "compare_thresholds": "bayesnq.inference",
    "ThresholdComparison": "bayesnq.inference",
    "load_fit": "bayesnq.inference.persist",
    "compare": "bayesnq.curves",
    "Comparison": "bayesnq.curves",
    "fit_many": "bayesnq.inference.pooled",
    "PooledFit": "bayesnq.inference.pooled",
    "configure": "bayesnq.runtime",
}
_MODULES = ("datasets", "distributions", "data", "modeling", "inference", "curves",
            "calibration", "landscape", "plots", "cli", "runtime", "validation", "direction",
            "sampler_defaults", "arviz_compat")

__all__ = [*_NAMES, "datasets", "curves", "calibration", "landscape", "plots", "__version__"]


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"bayesnq.{name}")
    else:
        raise AttributeError(f"module 'bayesnq' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
