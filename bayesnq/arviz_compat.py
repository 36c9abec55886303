"""Every ArviZ call bayesnq makes, in one place (ArviZ 0.23 today; 1.x later)."""

from __future__ import annotations

import warnings

import arviz as az

__all__ = [
    "from_numpyro",
    "from_dict",
    "summary",
    "rhat",
    "ess",
    "loo",
    "waic",
    "compare",
    "loo_pit",
    "plot_trace",
    "plot_rank",
    "plot_pair",
    "plot_ecdf",
    "InferenceData",
    "from_netcdf",
]

InferenceData = az.InferenceData


def from_numpyro(mcmc, **kwargs) -> az.InferenceData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return az.from_numpyro(mcmc, **kwargs)


def from_dict(posterior=None, **kwargs) -> az.InferenceData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return az.from_dict(posterior=posterior, **kwargs)


def summary(idata, var_names=None, hdi_prob=0.9, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return az.summary(idata, var_names=var_names, hdi_prob=hdi_prob, **kwargs)


def rhat(idata, var_names=None):
    return az.rhat(idata, var_names=var_names)


def ess(idata, var_names=None, method="bulk"):
    return az.ess(idata, var_names=var_names, method=method)


def loo(idata, pointwise=True, var_name=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.loo(idata, pointwise=pointwise, var_name=var_name)


def waic(idata, pointwise=True, var_name=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.waic(idata, pointwise=pointwise, var_name=var_name)


def compare(compare_dict, ic="loo", method="stacking"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.compare(compare_dict, ic=ic, method=method)


def loo_pit(idata, y=None, y_hat=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.loo_pit(idata, y=y, y_hat=y_hat)


def plot_trace(idata, var_names=None, **kwargs):
    return az.plot_trace(idata, var_names=var_names, **kwargs)


def plot_rank(idata, var_names=None, **kwargs):
    return az.plot_rank(idata, var_names=var_names, **kwargs)


def plot_pair(idata, var_names=None, **kwargs):
    return az.plot_pair(idata, var_names=var_names, **kwargs)


def plot_ecdf(values, **kwargs):
    return az.plot_ecdf(values, **kwargs)


def from_netcdf(path) -> az.InferenceData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return az.from_netcdf(str(path))


def psislw(log_weights, reff=1.0):
    """Pareto-smoothed log importance weights (normalized) and the Pareto k per row."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.psislw(log_weights, reff=reff)
