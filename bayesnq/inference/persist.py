r"""Saved fits: :meth:`Fit.save` writes one netCDF file, :func:`load_fit` reads it back.

The file (HDF5-based netCDF-4, every numeric variable zlib-compressed with byte shuffle)
holds:

- the fit's ArviZ groups as netCDF groups: ``posterior``, ``sample_stats`` and
  ``observed_data`` always, ``posterior_predictive`` only with ``predictive=True`` (it is
  as large as the log-likelihood and can be drawn again from the posterior);
- the pointwise log-likelihood, by default **once per distinct column**: runs whose
  log-likelihood columns are identical draw for draw (every censored run contributes
  :math:`\log F(\tau)`, and tied scores share :math:`\log f(y)`) are stored once, in the
  group ``log_likelihood_distinct`` (``y``: chain, draw, ``y_distinct``; ``y_count``:
  runs per distinct column; ``y_column``: each run's distinct column). A run's column is
  restored bit for bit as ``y[..., y_column[run]]``; :func:`load_fit` restores the
  per-run ``log_likelihood`` group, so that PSIS-LOO and every ArviZ call on the loaded
  fit see one entry per run (the compact group has a name of its own, so a reader that
  opens the file with ArviZ directly never takes it for a per-run log-likelihood).
  ``log_likelihood="runs"`` stores the per-run group itself;
- the group ``bayesnq_scores``: the scores (values, failed runs, per-run configs and
  learning curves; a config column of mixed Python objects is stored as text) and, as
  JSON in its attributes, their direction, bounds, name, the
  rule that extracted them and every other field of the :class:`~bayesnq.data.Scores`
  (the data's provenance);
- root attributes (JSON): the format and its version, the package version, the fit's
  fields (direction, threshold, the candidate grid of an inferred threshold, gamma mode,
  number of hyperparameters, bounds, resolution and how it was set) and
  :attr:`Fit.settings` (the arguments of :func:`~bayesnq.fit`: the threshold as given,
  priors, sampler settings, metric).

The tail data (and the spliced data of an inferred threshold) are rebuilt from the scores
and settings, which is deterministic: ``summary()``, ``tuning_curve()``, ``check()`` and
``loo_pit()`` of a loaded fit give the same numbers as the fit that was saved.

Why distinct columns keep LOO exact: PSIS-LOO treats each run on its own,
:math:`\mathrm{elpd}_{loo} = \sum_i \log \sum_s w_{is} p(y_i \mid \theta_s) / \sum_s w_{is}`
with weights from run :math:`i`'s column only, so identical columns have identical terms
and :math:`\mathrm{elpd}_{loo} = \sum_d c_d\, \mathrm{elpd}_d` over distinct columns
:math:`d` with counts :math:`c_d` (:func:`compact_loo`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import uuid
from pathlib import Path

import numpy as np

from bayesnq import arviz_compat
from bayesnq.data import Scores
from bayesnq.inference.result import Fit
from bayesnq.modeling import Priors, SplicedData, TailData
from bayesnq.validation import check_bool, check_choice, fail

__all__ = ["save_fit", "load_fit", "compact_log_likelihood", "expand_log_likelihood",
           "compact_loo", "FORMAT", "FORMAT_VERSION", "LOG_LIKELIHOOD_MODES"]

FORMAT = "bayesnq-fit"
FORMAT_VERSION = 1
LOG_LIKELIHOOD_MODES = ("distinct", "runs")
ENGINE = "h5netcdf"  # netCDF-4 groups and compression (ArviZ's own engine)
COMPRESSION = {"zlib": True, "complevel": 4, "shuffle": True}
COMPACT_GROUP = "log_likelihood_distinct"
SCORES_GROUP = "bayesnq_scores"
_SCORE_ARRAYS = ("values", "failed", "configs", "learning_curves")
_FIT_OBJECTS = ("scores", "idata", "data", "spliced", "settings", "_cache",
                "log_likelihood_distinct")


# ----------------------------------------------------------------------------- log-likelihood


def compact_log_likelihood(loglik):
    """Distinct columns of a pointwise log-likelihood (..., run), with counts.

    Columns are compared byte for byte over all draws, so the compaction is lossless.

    Returns
    -------
    distinct : np.ndarray (..., k)
        The ``k`` distinct columns, in the order of their first run.
    column : np.ndarray of int (run,)
        Each run's distinct column: ``distinct[..., column]`` is ``loglik`` again.
    count : np.ndarray of int (k,)
        Runs per distinct column (summing to the number of runs).
    """
    ll = np.asarray(loglik, dtype=np.float64)
    n = ll.shape[-1]
    rows = np.ascontiguousarray(np.moveaxis(ll, -1, 0).reshape(n, -1))
    keys = rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).reshape(n)
    _, first, inverse, count = np.unique(keys, return_index=True, return_inverse=True,
                                         return_counts=True)
    order = np.argsort(first, kind="stable")  # distinct columns in order of first run
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    column = rank[np.asarray(inverse).reshape(n)]
    return ll[..., first[order]], column.astype(np.int64), count[order].astype(np.int64)


def expand_log_likelihood(distinct, column):
    """The per-run log-likelihood (..., run) from :func:`compact_log_likelihood`'s parts."""
    return np.asarray(distinct)[..., np.asarray(column, dtype=np.intp)]


def compact_loo(idata, distinct, count) -> dict:
    r"""PSIS-LOO of a fit from its distinct log-likelihood columns and their counts.

    Each distinct column :math:`d` gets ArviZ's PSIS-LOO term :math:`\mathrm{elpd}_d`
    (computed with ``idata``'s posterior, for the relative efficiency ArviZ uses); the
    runs sharing it have that same term, so over the :math:`n = \sum_d c_d` runs

    .. math::

        \mathrm{elpd}_{loo} = \sum_d c_d\,\mathrm{elpd}_d, \quad
        p_{loo} = \sum_d c_d\,(\mathrm{lppd}_d - \mathrm{elpd}_d), \quad
        \mathrm{se} = \sqrt{n \cdot \mathrm{Var}_i(\mathrm{elpd}_i)},

    with :math:`\mathrm{lppd}_d = \log \frac1S \sum_s p(y_d \mid \theta_s)` and the
    variance over the runs (each distinct term weighted by its count), as ArviZ's
    ``loo`` computes them from the per-run columns.

    Returns
    -------
    dict
        ``elpd_loo``, ``p_loo``, ``se``, ``n_data_points`` and ``pareto_k`` (per distinct
        column).
    """
    from scipy.special import logsumexp

    distinct = np.asarray(distinct, dtype=np.float64)
    count = np.asarray(count, dtype=np.float64)
    groups = arviz_compat.group_datasets(idata)
    ll = arviz_compat.from_dict(
        posterior={k: np.asarray(v) for k, v in groups["posterior"].data_vars.items()
                   if v.dims[:2] == ("chain", "draw")},
        log_likelihood={"y": distinct})
    res = arviz_compat.loo(ll, pointwise=True)
    elpd_i = np.asarray(res["loo_i"], dtype=np.float64)
    flat = distinct.reshape(-1, distinct.shape[-1])
    lppd_i = logsumexp(flat, axis=0) - np.log(flat.shape[0])
    n = float(count.sum())
    elpd = float(np.sum(count * elpd_i))
    var = float(np.sum(count * (elpd_i - elpd / n) ** 2) / n)
    return {"elpd_loo": elpd, "p_loo": float(np.sum(count * (lppd_i - elpd_i))),
            "se": math.sqrt(n * var), "n_data_points": int(n),
            "pareto_k": np.asarray(res["pareto_k"], dtype=np.float64)}


# ----------------------------------------------------------------------------- saving


def save_fit(fit: Fit, path, *, overwrite=False, predictive=False,
             log_likelihood="distinct") -> Path:
    """Write ``fit`` to one netCDF file at ``path`` (see the module docstring).

    Parameters
    ----------
    fit : Fit
    path : str or path-like
        The file to write. An existing file is refused unless ``overwrite=True``; the
        file is written under a temporary name and moved into place, so a failed save
        leaves no partial file.
    overwrite : bool
        Replace an existing file.
    predictive : bool
        Also store the posterior predictive (replicated searches); off by default.
    log_likelihood : {"distinct", "runs"}
        Store the pointwise log-likelihood once per distinct column with counts
        (default), or one column per run.

    Returns
    -------
    pathlib.Path
    """
    import xarray as xr

    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise fail("path", "a file path (str or path-like)", path)
    path = Path(path)
    check_bool("overwrite", overwrite)
    check_bool("predictive", predictive)
    check_choice("log_likelihood", log_likelihood, LOG_LIKELIHOOD_MODES)
    if path.exists() and not overwrite:
        raise fail("overwrite", f"True to replace the existing file {str(path)!r}", overwrite)
    if path.is_dir():
        raise fail("path", "a file path, not a folder", str(path))
    if not path.parent.is_dir():
        raise fail("path", "a file in an existing folder", str(path))

    groups = dict(arviz_compat.group_datasets(fit.idata))
    if not predictive:
        groups.pop("posterior_predictive", None)
    if log_likelihood == "distinct" and "log_likelihood" in groups:
        groups[COMPACT_GROUP] = _compact_group(groups.pop("log_likelihood"))
    compact = getattr(fit, "log_likelihood_distinct", None)
    if compact is not None and "log_likelihood" not in groups:  # a large search's columns
        ds = _held_group(compact, fit.idata)
        groups[COMPACT_GROUP if log_likelihood == "distinct" else "log_likelihood"] = (
            ds if log_likelihood == "distinct" else _expand_group(ds))
    groups[SCORES_GROUP] = _scores_group(fit.scores)
    attrs = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bayesnq_version": _version(),
        "log_likelihood": log_likelihood if COMPACT_GROUP in groups or
        "log_likelihood" in groups else "none",
        "predictive": int("posterior_predictive" in groups),
        "groups": json.dumps(list(groups)),
        "fit": _dumps(_fit_fields(fit)),
        "settings": _dumps(getattr(fit, "settings", {}) or {}),
    }
    # a temporary name beside the file (created by the writer, so the user's umask sets
    # its permissions), moved into place once complete
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        xr.Dataset(attrs=attrs).to_netcdf(tmp, mode="w", engine=ENGINE)
        for name, ds in groups.items():
            encoding = {k: dict(COMPRESSION) for k, v in ds.data_vars.items()
                        if v.dtype.kind in "biuf" and v.ndim > 0}
            ds.to_netcdf(tmp, mode="a", group=name, engine=ENGINE, encoding=encoding)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _compact_group(ds):
    """The ``log_likelihood`` group with each variable's identical run columns stored once."""
    import xarray as xr

    out = xr.Dataset(attrs=dict(ds.attrs))
    for name, var in ds.data_vars.items():
        if var.dims[:2] != ("chain", "draw") or var.ndim != 3:
            raise ValueError(f"log_likelihood: variable {name!r} has dims {var.dims}, "
                             "expected (chain, draw, run)")
        run_dim = var.dims[2]
        distinct, column, count = compact_log_likelihood(var.values)
        d_dim = f"{name}_distinct"
        out[name] = xr.DataArray(distinct, dims=("chain", "draw", d_dim),
                                 coords={"chain": var.chain.values, "draw": var.draw.values},
                                 attrs=dict(var.attrs))
        out[f"{name}_column"] = xr.DataArray(column, dims=(run_dim,),
                                             coords={run_dim: ds[run_dim].values})
        out[f"{name}_count"] = xr.DataArray(count, dims=(d_dim,))
    return out


def _held_group(compact, idata):
    """The compact group of a fit that holds its log-likelihood per distinct score."""
    import xarray as xr

    post = arviz_compat.group_datasets(idata)["posterior"]
    y = np.asarray(compact["y"])
    column = np.asarray(compact["column"], dtype=np.int64)
    return xr.Dataset({
        "y": xr.DataArray(y, dims=("chain", "draw", "y_distinct"),
                          coords={"chain": post.chain.values, "draw": post.draw.values}),
        "y_column": xr.DataArray(column, dims=("run",), coords={"run": np.arange(column.size)}),
        "y_count": xr.DataArray(np.asarray(compact["count"], dtype=np.int64),
                                dims=("y_distinct",)),
    })


def _expand_group(ds):
    """The per-run ``log_likelihood`` group from :func:`_compact_group`'s."""
    import xarray as xr

    out = xr.Dataset(attrs=dict(ds.attrs))
    for name, var in ds.data_vars.items():
        if name.endswith(("_column", "_count")) or var.dims[:2] != ("chain", "draw"):
            continue
        column = ds[f"{name}_column"]
        run_dim = column.dims[0]
        out[name] = xr.DataArray(expand_log_likelihood(var.values, column.values),
                                 dims=("chain", "draw", run_dim),
                                 coords={"chain": var.chain.values, "draw": var.draw.values,
                                         run_dim: column[run_dim].values},
                                 attrs=dict(var.attrs))
    return out


def _scores_group(scores: Scores):
    """The scores as a Dataset: arrays as variables, every other field as JSON."""
    import xarray as xr

    ds = xr.Dataset({"values": ("run", np.asarray(scores.values, dtype=np.float64)),
                     "failed": ("run", np.asarray(scores.failed, dtype=bool))})
    keys = []
    for i, (key, col) in enumerate((scores.configs or {}).items()):
        col = np.asarray(col)
        if col.dtype.kind not in "biufU":
            col = col.astype(str)
        ds[f"config_{i}"] = ("run", col)
        keys.append(key)
    curves = scores.learning_curves
    if curves is not None:
        sizes = np.array([len(c) for c in curves], dtype=np.int64)
        points = (np.concatenate([np.asarray(c, dtype=np.float64).reshape(-1, 2) for c in curves])
                  if curves else np.empty((0, 2)))
        ds["curve_points"] = (("point", "pair"), points)
        ds["curve_sizes"] = ("run", sizes)
    other = {f.name: getattr(scores, f.name) for f in dataclasses.fields(Scores)
             if f.name not in _SCORE_ARRAYS}
    ds.attrs["fields"] = _dumps(other)
    ds.attrs["config_keys"] = _dumps(keys if scores.configs is not None else None)
    ds.attrs["has_learning_curves"] = int(curves is not None)
    return ds


def _fit_fields(fit: Fit) -> dict:
    """The fit's own fields (not its data objects), as plain values."""
    out = {}
    for f in dataclasses.fields(fit):
        if f.name in _FIT_OBJECTS:
            continue
        value = getattr(fit, f.name)
        if isinstance(value, np.ndarray):
            value = value.tolist()
        out[f.name] = value
    out["resolution"] = fit.data.resolution
    return out


# ----------------------------------------------------------------------------- loading


def load_fit(path) -> Fit:
    """The :class:`~bayesnq.inference.Fit` saved at ``path`` by :meth:`Fit.save`.

    The per-run ``log_likelihood`` group is restored from the distinct columns (bit for
    bit), and the tail data (and the spliced data of an inferred threshold) are rebuilt
    from the saved scores and settings, so the loaded fit answers every question as the
    saved one did. The posterior predictive is there only if it was saved
    (``predictive=True``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        A file that :meth:`Fit.save` did not write.
    """
    import xarray as xr

    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise fail("path", "a file path (str or path-like)", path)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no saved fit at {str(path)!r}")
    try:
        with xr.open_dataset(path, engine=ENGINE) as root:
            attrs = dict(root.attrs)
    except (OSError, ValueError) as exc:
        raise ValueError(f"path: {str(path)!r} is not a saved bayesnq fit ({exc})") from None
    if attrs.get("format") != FORMAT:
        raise ValueError(f"path: {str(path)!r} is not a saved bayesnq fit (no "
                         f"format={FORMAT!r} attribute; write one with Fit.save)")
    if int(attrs.get("format_version", 0)) > FORMAT_VERSION:
        raise ValueError(f"path: {str(path)!r} has format version {attrs['format_version']}, "
                         f"newer than this bayesnq reads ({FORMAT_VERSION}); upgrade bayesnq")
    groups = {}
    for name in json.loads(attrs["groups"]):
        with xr.open_dataset(path, group=name, engine=ENGINE) as ds:
            groups[name] = ds.load()
    scores = _scores_from(groups.pop(SCORES_GROUP))
    held = None
    if COMPACT_GROUP in groups:
        ds = groups.pop(COMPACT_GROUP)
        if "y_column" in ds and ds["y_column"].size > _max_per_run_runs():
            # a large search stays compact in memory (Fit.pointwise_log_likelihood expands)
            held = {"y": ds["y"].values, "column": ds["y_column"].values,
                    "count": ds["y_count"].values}
        else:
            groups["log_likelihood"] = _expand_group(ds)
    order = ("posterior", "posterior_predictive", "log_likelihood", "sample_stats",
             "observed_data")
    groups = {k: groups[k] for k in sorted(groups, key=lambda g: (g not in order,
                                                                  order.index(g) if g in order
                                                                  else 0))}
    idata = arviz_compat.from_datasets(groups)
    fields = _loads(attrs["fit"])
    settings = _loads(attrs.get("settings", "{}"))
    if isinstance(settings.get("priors"), dict):
        settings["priors"] = Priors(**settings["priors"])
    fit = _rebuild(scores, idata, fields, settings)
    if held is not None:
        fit.log_likelihood_distinct = held
    return fit


def _max_per_run_runs() -> int:
    from bayesnq.inference.fit import MAX_PER_RUN_RUNS

    return MAX_PER_RUN_RUNS


def _rebuild(scores, idata, fields, settings) -> Fit:
    values = np.asarray(scores.values, dtype=np.float64)
    minimize = bool(fields["minimize"])
    bounds = None if fields.get("bounds") is None else tuple(fields["bounds"])
    resolution = fields.pop("resolution", None)
    threshold = float(fields["threshold"])
    thresholds = fields.get("thresholds")
    spliced = None
    if thresholds is not None:
        thresholds = np.asarray(thresholds, dtype=np.float64)
        spliced = SplicedData.build(values, thresholds, minimize=minimize, bounds=bounds,
                                    resolution=resolution, priors=settings.get("priors"))
    data = TailData.build(values, threshold, minimize=minimize, bounds=bounds,
                          resolution=resolution)
    known = {f.name for f in dataclasses.fields(Fit)} - set(_FIT_OBJECTS)
    kwargs = {k: v for k, v in fields.items() if k in known}
    kwargs.update(minimize=minimize, bounds=bounds, threshold=threshold,
                  thresholds=thresholds)
    extra = {"settings": settings} if "settings" in {f.name for f in dataclasses.fields(Fit)} \
        else {}
    return Fit(scores=scores, idata=idata, data=data, spliced=spliced, **kwargs, **extra)


def _scores_from(ds) -> Scores:
    fields = _loads(ds.attrs["fields"])
    keys = _loads(ds.attrs.get("config_keys", "null"))
    configs = None
    if keys is not None:
        configs = {key: np.asarray(ds[f"config_{i}"].values) for i, key in enumerate(keys)}
    curves = None
    if int(ds.attrs.get("has_learning_curves", 0)):
        sizes = np.asarray(ds["curve_sizes"].values, dtype=np.int64)
        points = np.asarray(ds["curve_points"].values, dtype=np.float64).reshape(-1, 2)
        curves = np.split(points, np.cumsum(sizes)[:-1]) if sizes.size else []
    if isinstance(fields.get("bounds"), list):
        fields["bounds"] = tuple(fields["bounds"])
    known = {f.name for f in dataclasses.fields(Scores)}
    kwargs = {k: v for k, v in fields.items() if k in known}
    return Scores(values=np.asarray(ds["values"].values, dtype=np.float64),
                  failed=np.asarray(ds["failed"].values, dtype=bool), configs=configs,
                  learning_curves=curves, **kwargs)


# ----------------------------------------------------------------------------- JSON


def _plain(obj):
    """``obj`` as JSON-ready Python values; non-finite floats stay floats (JSON's
    ``Infinity``/``NaN`` tokens, which :func:`json.loads` reads back)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray | np.generic):
        return _plain(obj.tolist())
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return repr(obj)


def _dumps(obj) -> str:
    return json.dumps(_plain(obj))


def _loads(text):
    return json.loads(text)


def _version() -> str:
    import bayesnq

    return str(bayesnq.__version__)
