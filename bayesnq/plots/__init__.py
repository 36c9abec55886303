r"""Figures: tuning curves, the tail cdf, MCMC diagnostics, thresholds, calibration, landscape.

Every function returns the :class:`matplotlib.figure.Figure` it drew on, takes an optional
``ax`` (or ``axes``) to draw into where it draws one panel or a given set, and never calls
``pyplot.show``, so it works under the ``Agg`` backend and in scripts. :func:`save_all`
writes the standard set of PNGs of a fit.

Modules by topic: ``curves`` (tuning curve), ``tail`` (tail cdf), ``diagnostics`` (pair,
trace and rank plots through :mod:`bayesnq.arviz_compat`), ``save`` (:func:`save_all`),
``thresholds`` (parameter stability, threshold probabilities), ``calibration`` (SBC,
coverage) and ``landscape``; ``common`` holds what they share. Each name below is
imported when first used, so the landscape and calibration figures do not load JAX.
"""

from __future__ import annotations

import importlib

# public name -> module of bayesnq.plots that defines it
_NAMES = {
    "plot_tuning_curve": "curves",
    "plot_tail_cdf": "tail",
    "plot_posterior_pairs": "diagnostics",
    "plot_trace": "diagnostics",
    "plot_rank": "diagnostics",
    "save_all": "save",
    "plot_parameter_stability": "thresholds",
    "plot_threshold_probabilities": "thresholds",
    "plot_sbc": "calibration",
    "plot_coverage": "calibration",
    "plot_landscape": "landscape",
    "plot_comparison": "versus",
}

__all__ = list(_NAMES)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module 'bayesnq.plots' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bayesnq.plots.{_NAMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
