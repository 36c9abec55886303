"""Every ArviZ call bayesnq makes, in one place: ArviZ 0.23 (Python 3.11) and 1.x (3.12+).

ArviZ 1.x (a meta-package over ``arviz-base``, ``arviz-stats`` and ``arviz-plots``; it
requires Python >= 3.12) changed most of the API that bayesnq uses. The wrappers here take
the 0.23 arguments and give the 0.23 results on both, so callers need not know which is
installed (:data:`ARVIZ_1` says). What differs, and what the wrappers do on 1.x:

- data: :class:`xarray.DataTree` instead of ``InferenceData`` (:data:`InferenceData` is the
  class of either). ``from_dict`` takes one dict of groups instead of one keyword per group;
  ``InferenceData.add_groups`` is gone (use :func:`add_group`); ``from_netcdf`` is
  :func:`xarray.open_datatree` (loaded into memory here, as 0.23 does); group access
  (``idata.posterior``), ``idata.posterior.sizes``, ``"x" in idata.posterior`` and
  ``idata.to_netcdf`` work on both.
- ``rhat``/``ess`` return a DataTree node instead of a Dataset: converted to a Dataset.
- ``loo`` returns an ``ELPDData`` object with ``elpd``, ``p``, ``elpd_i`` instead of a
  pandas Series with ``elpd_loo``, ``p_loo``, ``loo_i``: converted to the 0.23 Series.
- ``waic`` is gone: computed here from the pointwise log-likelihood (same estimator).
- ``psislw`` is gone; its replacement (the ``azstats.psislw`` accessor) takes the
  *log-likelihood*, i.e. minus the log ratios that ``psislw`` takes.
- ``compare`` has no ``ic`` (LOO only), names its columns ``elpd``/``p`` and gives
  ``elpd_diff`` with the opposite sign: converted to the 0.23 table.
- ``summary`` has ``ci_prob``/``ci_kind`` instead of ``hdi_prob``, rounds to strings by
  default and names the interval ``hdi90_lb``/``hdi90_ub``: called unrounded, rounded and
  renamed as 0.23 does (``hdi_5%``, ``hdi_95%``).
- ``loo_pit`` takes ``var_names`` and returns a Dataset: ``y`` (a name) maps to it and the
  values come back as an array.
- plots return a ``PlotCollection``/``PlotMatrix`` and draw into a figure of their own;
  ``plot_trace`` (density and trace) is ``plot_trace_dist``; ``plot_ecdf`` is gone (drawn
  here with :func:`arviz_stats.ecdf_utils.ecdf_pit`). The wrappers return an array of the
  figure's axes, like 0.23; drawing into given axes (``ax=``/``axes=``) needs ArviZ 0.23.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # 0.23 announces the refactor on import
    import arviz as az

#: The installed ArviZ's version and whether it is the 1.x API.
ARVIZ_VERSION = str(az.__version__)
ARVIZ_MAJOR = int(ARVIZ_VERSION.split(".")[0])
ARVIZ_1 = ARVIZ_MAJOR >= 1

if ARVIZ_1:
    import arviz_stats  # noqa: F401  (registers the ``azstats`` accessor psislw uses)
    import xarray as xr

    #: The class of the data objects (``xarray.DataTree`` on ArviZ 1.x).
    InferenceData = xr.DataTree
else:
    InferenceData = az.InferenceData

__all__ = [
    "ARVIZ_1",
    "ARVIZ_MAJOR",
    "ARVIZ_VERSION",
    "InferenceData",
    "add_group",
    "bfmi",
    "compare",
    "ess",
    "from_datasets",
    "from_dict",
    "from_netcdf",
    "from_numpyro",
    "loo",
    "loo_pit",
    "plot_ecdf",
    "plot_pair",
    "plot_rank",
    "plot_trace",
    "group_datasets",
    "psislw",
    "rhat",
    "summary",
    "to_netcdf",
    "waic",
]

_SAMPLE_DIMS = ("chain", "draw")


@contextmanager
def _quiet(category=Warning):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category)
        yield


# ----------------------------------------------------------------------------- data


def from_numpyro(mcmc, **kwargs):
    """Data of a NumPyro ``MCMC`` run (``arviz.from_numpyro``; same keywords on both)."""
    with _quiet(FutureWarning):
        return az.from_numpyro(mcmc, **kwargs)


def from_dict(posterior=None, **kwargs):
    """Data from dicts of arrays, one keyword per group (0.23's ``from_dict`` signature).

    Groups: ``posterior``, ``sample_stats``, ``log_likelihood``, ``observed_data``,
    ``posterior_predictive``, ... (a group given as None is left out); ``coords`` and
    ``dims`` as in ArviZ, other keywords passed on.
    """
    if not ARVIZ_1:
        with _quiet(FutureWarning):
            return az.from_dict(posterior=posterior, **kwargs)
    options = {k: kwargs.pop(k) for k in ("coords", "dims", "pred_dims", "pred_coords",
                                          "index_origin", "save_warmup", "attrs",
                                          "sample_dims", "check_conventions")
               if k in kwargs}
    groups = {"posterior": posterior, **kwargs}
    data = {name: dict(group) for name, group in groups.items() if group is not None}
    with _quiet(FutureWarning):
        return az.from_dict(data, **options)


def add_group(idata, name, data, coords=None, dims=None):
    """Add (or replace) group ``name`` made of ``data`` (dict of arrays); returns ``idata``.

    On both versions (``InferenceData.add_groups`` is gone in ArviZ 1.x). Variables whose
    leading dimensions are (chain, draw) get them as sample dimensions, as in ``from_dict``.
    """
    if not ARVIZ_1:
        with _quiet(FutureWarning):
            idata.add_groups({name: data}, coords=coords, dims=dims)
        return idata
    sample_dims = list(_SAMPLE_DIMS) if name not in ("observed_data", "constant_data") else []
    with _quiet(FutureWarning):
        ds = az.dict_to_dataset(dict(data), coords=coords, dims=dims, sample_dims=sample_dims)
    idata[name] = xr.DataTree(ds)
    return idata


def from_netcdf(path):
    """Read data written by ``to_netcdf`` (either version), loaded into memory."""
    if not ARVIZ_1:
        with _quiet(FutureWarning):
            return az.from_netcdf(str(path))
    with xr.open_datatree(str(path)) as tree:
        return tree.load()


def to_netcdf(idata, path):
    """Write ``idata`` to a netCDF file (groups as netCDF groups); returns the path."""
    with _quiet(FutureWarning):
        idata.to_netcdf(str(path))
    return str(path)


def group_datasets(idata) -> dict:
    """The groups of ``idata`` as ``{name: xarray.Dataset}`` (either version), in order."""
    if ARVIZ_1:
        return {name: idata[name].to_dataset() for name in idata.children}
    return {name: getattr(idata, name) for name in idata.groups()}


def from_datasets(groups):
    """Data made of ``{name: xarray.Dataset}`` groups (the inverse of :func:`group_datasets`)."""
    if ARVIZ_1:
        return xr.DataTree.from_dict({f"/{name}": ds for name, ds in groups.items()})
    with _quiet(UserWarning):  # a group outside ArviZ's scheme is kept, with a warning
        return az.InferenceData(**groups)


# ----------------------------------------------------------------------------- diagnostics


def bfmi(idata):
    r"""Bayesian fraction of missing information per chain, from ``sample_stats.energy``.

    :math:`\mathrm{BFMI} = \frac{1}{T-1}\sum_{t=2}^{T} (E_t - E_{t-1})^2 \big/
    \frac{1}{T}\sum_{t=1}^{T} (E_t - \bar E)^2` over a chain's :math:`T` draws of the
    energy :math:`E` (``arviz.bfmi``); values below 0.3 flag a sampler that explores the
    energy's marginal poorly.
    """
    if not ARVIZ_1:
        return np.asarray(az.bfmi(idata))
    energy = np.asarray(idata["sample_stats"]["energy"], dtype=float)
    return np.square(np.diff(energy, axis=1)).mean(axis=1) / np.var(energy, axis=1)


def _as_dataset(result):
    return result.to_dataset() if ARVIZ_1 and isinstance(result, xr.DataTree) else result


def rhat(idata, var_names=None):
    """Rank-normalized split r-hat per variable (a Dataset)."""
    with _quiet(FutureWarning):
        return _as_dataset(az.rhat(idata, var_names=var_names))


def ess(idata, var_names=None, method="bulk"):
    """Effective sample size per variable (a Dataset)."""
    with _quiet(FutureWarning):
        return _as_dataset(az.ess(idata, var_names=var_names, method=method))


def _round_summary(df, round_to):
    """0.23's rounding: ``round_to`` decimals, or by default 3 (ESS 0, r-hat 2)."""
    if round_to in ("none", "None"):
        return df
    if round_to is not None:
        return df.round(round_to)
    return df.round({c: 0 if c.startswith("ess_") else 2 if c == "r_hat" else 3
                     for c in df.columns})


def summary(idata, var_names=None, hdi_prob=0.9, **kwargs):
    """Posterior summary table: mean, sd, HDI (``hdi_5%``...), MCSE, ESS, r-hat."""
    if not ARVIZ_1:
        with _quiet(FutureWarning):
            return az.summary(idata, var_names=var_names, hdi_prob=hdi_prob, **kwargs)
    round_to = kwargs.pop("round_to", None)
    kwargs.setdefault("ci_kind", "hdi")
    with _quiet():
        df = az.summary(idata, var_names=var_names, ci_prob=hdi_prob, round_to="none",
                        **kwargs)
    if kwargs.get("fmt", "wide") != "wide":
        return df
    kind = kwargs["ci_kind"]
    pct = 100 * float(hdi_prob)
    lo, hi = (f"{p:g}%" for p in ((100 - pct) / 2, 100 - (100 - pct) / 2))
    label = f"{kind}{pct:g}"
    df = df.rename(columns={f"{label}_lb": f"{kind}_{lo}", f"{label}_ub": f"{kind}_{hi}"})
    order = ["mean", "sd", f"{kind}_{lo}", f"{kind}_{hi}", "mcse_mean", "mcse_sd",
             "ess_bulk", "ess_tail", "r_hat"]
    df = df[[c for c in order if c in df.columns] + [c for c in df.columns if c not in order]]
    return _round_summary(df.astype(float), round_to)


# ----------------------------------------------------------------------------- LOO, WAIC


def _elpd_series(values, pointwise):
    import pandas as pd

    if not pointwise:
        values = {k: v for k, v in values.items() if not k.endswith("_i") and k != "pareto_k"}
    return pd.Series(values, index=list(values), dtype=object)


def _log_likelihood(idata, var_name):
    group = idata.log_likelihood
    names = list(group.data_vars)
    if var_name is None:
        if len(names) != 1:
            raise TypeError(f"several log-likelihoods {names}: pass var_name")
        var_name = names[0]
    return group[var_name]


def loo(idata, pointwise=True, var_name=None):
    """PSIS-LOO: a Series with ``elpd_loo``, ``se``, ``p_loo``, ``loo_i``, ``pareto_k``..."""
    if not ARVIZ_1:
        with _quiet():
            return az.loo(idata, pointwise=pointwise, var_name=var_name)
    with _quiet():
        res = az.loo(idata, pointwise=True, var_name=var_name)
    return _elpd_series({
        "elpd_loo": float(res.elpd), "se": float(res.se), "p_loo": float(res.p),
        "n_samples": int(res.n_samples), "n_data_points": int(res.n_data_points),
        "warning": bool(res.warning),
        "loo_i": res.elpd_i.rename("loo_i"),
        "pareto_k": res.pareto_k.rename("pareto_shape"),
        "scale": str(getattr(res, "scale", "log")), "good_k": float(res.good_k),
    }, pointwise)


def waic(idata, pointwise=True, var_name=None):
    """WAIC: a Series with ``elpd_waic``, ``se``, ``p_waic``, ``waic_i``...

    On ArviZ 1.x (which dropped WAIC): per observation, the log of the posterior mean
    likelihood minus the posterior variance of the log-likelihood (Watanabe 2010;
    Vehtari, Gelman and Gabry 2017), with the variance over draws as ArviZ 0.23 takes it.
    """
    if not ARVIZ_1:
        with _quiet():
            return az.waic(idata, pointwise=pointwise, var_name=var_name)
    from scipy.special import logsumexp

    ll = _log_likelihood(idata, var_name)
    stacked = ll.stack(__sample__=list(_SAMPLE_DIMS)).transpose(..., "__sample__")
    values = np.asarray(stacked, dtype=float)
    n_samples = values.shape[-1]
    lppd_i = logsumexp(values, axis=-1) - np.log(n_samples)
    p_i = values.var(axis=-1)
    elpd_i = lppd_i - p_i
    n = elpd_i.size
    waic_i = xr.DataArray(elpd_i, dims=stacked.dims[:-1],
                          coords={d: ll.coords[d] for d in stacked.dims[:-1] if d in ll.coords},
                          name="waic_i")
    return _elpd_series({
        "elpd_waic": float(elpd_i.sum()), "se": float(np.sqrt(n * elpd_i.var())),
        "p_waic": float(p_i.sum()), "n_samples": int(n_samples), "n_data_points": int(n),
        "warning": bool(np.any(p_i > 0.4)), "waic_i": waic_i, "scale": "log",
    }, pointwise)


def psislw(log_weights, reff=1.0):
    """Pareto-smoothed log importance weights (normalized) and the Pareto k per row.

    ``log_weights`` (..., samples): the log importance ratios (for LOO, minus the
    log-likelihood), samples on the last axis (or the ``__sample__`` dimension of a
    DataArray). Returns arrays (DataArrays for a DataArray) of the shapes of 0.23's
    ``psislw``.
    """
    if not ARVIZ_1:
        with _quiet():
            return az.psislw(log_weights, reff=reff)
    is_da = isinstance(log_weights, xr.DataArray)
    if is_da:
        da = log_weights.transpose(..., "__sample__")
    else:
        arr = np.asarray(log_weights, dtype=float)
        da = xr.DataArray(arr, dims=[f"dim_{i}" for i in range(arr.ndim - 1)] + ["__sample__"])
    # arviz-stats' psislw takes the log-likelihood: it smooths the ratios exp(-input)
    with _quiet():
        lw, k = (-da).azstats.psislw(dim="__sample__", r_eff=reff)
    lw = lw.transpose(*da.dims)
    from scipy.special import logsumexp

    lw = lw - logsumexp(lw, axis=-1, keepdims=True)  # normalized, as 0.23 returns them
    if is_da:
        return lw, k
    return np.asarray(lw), np.asarray(k)


def compare(compare_dict, ic="loo", method="stacking"):
    """Rank models by ELPD: the 0.23 table (``elpd_loo``, ``p_loo``, ``elpd_diff`` >= 0...)."""
    if not ARVIZ_1:
        with _quiet():
            return az.compare(compare_dict, ic=ic, method=method)
    if ic != "loo":
        raise NotImplementedError(f"compare(ic={ic!r}) needs ArviZ 0.23; ArviZ 1.x compares by LOO")
    with _quiet():
        table = az.compare(compare_dict, method=method, round_to="none")
    table = table.rename(columns={"elpd": "elpd_loo", "p": "p_loo"})
    table["elpd_diff"] = 0.0 - table["elpd_diff"]  # 0.23: best minus this one (>= 0)
    warn = {}
    for name in table.index:
        data = compare_dict[name]
        res = loo(data) if isinstance(data, InferenceData) else None
        warn[name] = bool(res.warning) if res is not None else False
    table["warning"] = [warn[n] for n in table.index]
    table["scale"] = "log"
    order = ["rank", "elpd_loo", "p_loo", "elpd_diff", "weight", "se", "dse", "warning",
             "scale"]
    return table[order + [c for c in table.columns if c not in order]]


def loo_pit(idata, y=None, y_hat=None):
    """LOO-PIT values of the observations (an array; ``y``/``y_hat`` variable names)."""
    if not ARVIZ_1:
        with _quiet():
            return az.loo_pit(idata, y=y, y_hat=y_hat)
    if not (y is None or isinstance(y, str)) or not (y_hat is None or isinstance(y_hat, str)):
        raise NotImplementedError("loo_pit of arrays needs ArviZ 0.23; pass variable names")
    if y is None:
        names = list(idata.observed_data.data_vars)
        if len(names) != 1:
            raise ValueError(f"several observed variables {names}: pass y")
        y = names[0]
    if y_hat not in (None, y):
        raise NotImplementedError("loo_pit with y_hat other than y needs ArviZ 0.23")
    with _quiet():
        res = az.loo_pit(idata, var_names=[y])
    return np.asarray(res[y])


# ----------------------------------------------------------------------------- plots


def _no_given_axes(func, **given):
    named = [k for k, v in given.items() if v is not None]
    if named:
        raise NotImplementedError(
            f"{func}({named[0]}=...): ArviZ {ARVIZ_VERSION} draws into a figure of its own; "
            "drawing into given axes needs ArviZ 0.23"
        )


def _axes_of(plot):
    """The axes of a 1.x PlotCollection/PlotMatrix's figure, on its grid where it has one."""
    fig = plot.get_viz("figure")
    fig = getattr(fig, "item", lambda: fig)()
    axes = np.array(list(fig.axes), dtype=object)
    try:
        rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry()
    except (AttributeError, IndexError):
        return axes
    return axes.reshape(rows, cols) if rows * cols == axes.size else axes


def _figure_kwargs(kwargs):
    fk = dict(kwargs.pop("figure_kwargs", None) or {})
    if kwargs.get("figsize") is not None:
        fk["figsize"] = kwargs.pop("figsize")
    kwargs.pop("figsize", None)
    return {"figure_kwargs": fk} if fk else {}


def plot_trace(idata, var_names=None, **kwargs):
    """Per variable, the marginal density by chain and the draws over iterations (axes)."""
    if not ARVIZ_1:
        return az.plot_trace(idata, var_names=var_names, **kwargs)
    _no_given_axes("plot_trace", axes=kwargs.pop("axes", None))
    kwargs.pop("show", None)
    fig_kw = _figure_kwargs(kwargs)
    with _quiet():
        pc = az.plot_trace_dist(idata, var_names=var_names, backend="matplotlib",
                                compact=kwargs.pop("compact", True), **fig_kw, **kwargs)
    axes = _axes_of(pc)
    return axes.reshape(-1, 2) if axes.size % 2 == 0 else axes


def plot_rank(idata, var_names=None, **kwargs):
    """Rank plots per variable (on 1.x, ECDF of the fractional ranks per chain) (axes)."""
    if not ARVIZ_1:
        return az.plot_rank(idata, var_names=var_names, **kwargs)
    _no_given_axes("plot_rank", ax=kwargs.pop("ax", None))
    kwargs.pop("show", None)
    fig_kw = _figure_kwargs(kwargs)
    with _quiet():
        pc = az.plot_rank(idata, var_names=var_names, backend="matplotlib", **fig_kw, **kwargs)
    return np.ravel(_axes_of(pc))


def plot_pair(idata, var_names=None, **kwargs):
    """Pairwise plots of the draws with marginals (a square array of axes).

    0.23 keywords understood on 1.x: ``kind`` ("scatter"; "kde" -> contour lines; "hexbin"
    -> filled contours), ``marginals``, ``scatter_kwargs``, ``figsize``, ``textsize``.
    """
    if not ARVIZ_1:
        return az.plot_pair(idata, var_names=var_names, **kwargs)
    import matplotlib as mpl

    _no_given_axes("plot_pair", ax=kwargs.pop("ax", None))
    kwargs.pop("show", None)
    kind = kwargs.pop("kind", "scatter")
    visuals = dict(kwargs.pop("visuals", None) or {})
    scatter = kwargs.pop("scatter_kwargs", None)
    if kind == "scatter":
        if scatter:
            visuals.setdefault("scatter", dict(scatter))
    elif kind in ("kde", "hexbin"):
        visuals.setdefault("scatter", False)
        visuals.setdefault("contour" if kind == "kde" else "contourf", True)
    else:
        raise ValueError(f"kind must be 'scatter', 'kde' or 'hexbin', got {kind!r}")
    if "marginals" in kwargs:
        kwargs["marginal"] = kwargs.pop("marginals")
    textsize = kwargs.pop("textsize", None)
    fig_kw = _figure_kwargs(kwargs)
    rc = {"font.size": textsize} if textsize else {}
    with _quiet(), mpl.rc_context(rc):
        pm = az.plot_pair(idata, var_names=var_names, backend="matplotlib",
                          visuals=visuals or None, triangle=kwargs.pop("triangle", "lower"),
                          **fig_kw, **kwargs)
    return _axes_of(pm)


def plot_ecdf(values, cdf=None, difference=False, confidence_bands=False, ci_prob=None,
              ax=None, **kwargs):
    """ECDF of ``values`` (minus ``cdf`` with ``difference``) with simultaneous bands; the axes.

    On ArviZ 1.x the ECDF is that of the PIT ``cdf(values)``, on a grid of [0, 1] (for a
    uniform(0, 1) ``cdf``, the 0.23 plot); the band is the simultaneous ``ci_prob`` band
    of :func:`arviz_stats.ecdf_utils.ecdf_pit` (``num_trials`` simulations, ``random_state``).
    """
    if not ARVIZ_1:
        return az.plot_ecdf(values, cdf=cdf, difference=difference,
                            confidence_bands=confidence_bands, ci_prob=ci_prob, ax=ax, **kwargs)
    import matplotlib.pyplot as plt
    from arviz_stats.ecdf_utils import ecdf_pit

    values = np.ravel(np.asarray(values, dtype=float))
    if ax is None:
        _, ax = plt.subplots(figsize=kwargs.get("figsize"))
    seed = kwargs.get("random_state")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    plot_kw = {"color": "C0", **(kwargs.get("plot_kwargs") or {})}
    if cdf is None:
        x = np.sort(values)
        ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", **plot_kw)
        return ax
    pit = np.asarray(cdf(values), dtype=float)
    prob = 0.94 if ci_prob is None else float(ci_prob)
    with _quiet():
        x, ecdf, lower, upper = ecdf_pit(pit, prob, int(kwargs.get("num_trials", 500)), rng=rng)
    x, ecdf, lower, upper = (np.asarray(a, dtype=float) for a in (x, ecdf, lower, upper))
    ref = x if difference else 0.0
    ax.step(x, ecdf - ref, where="post", **plot_kw)
    if confidence_bands:
        fill_kw = {"color": "C0", "alpha": 0.2, "step": "post", **(kwargs.get("fill_kwargs") or {})}
        if kwargs.get("fill_band", True):
            ax.fill_between(x, lower - ref, upper - ref, **fill_kw)
        else:
            ax.step(x, lower - ref, where="post", color=fill_kw["color"], linestyle="--")
            ax.step(x, upper - ref, where="post", color=fill_kw["color"], linestyle="--")
    return ax
