"""The inputs a command names: its scores (a bundled dataset or a data file) and the
posterior of an earlier ``bayesnq fit``.

A ``DATA`` that names a bundled dataset (:func:`bayesnq.datasets.canonical_name`) and is not
an existing file loads the dataset, with ``--score`` choosing its metric; anything else is
a file read by :func:`bayesnq.data.load_scores`. Heavy modules are imported when called.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bayesnq.cli.specs import Settings, UserError

__all__ = ["load_data", "bundled_dataset", "load_posterior_gamma_sigma", "BUNDLED_METRICS"]

BUNDLED_METRICS = ("accuracy", "error")


def bundled_dataset(settings: Settings) -> str | None:
    """The bundled dataset ``settings.data`` names, or None (also when a file of that name
    exists: the file wins)."""
    from bayesnq import datasets

    try:
        name = datasets.canonical_name(settings.data)
    except ValueError:
        return None
    return None if _path(settings).exists() else name


def load_data(settings: Settings):
    """Load the scores named by ``settings.data`` (bundled name or file).

    A path is taken relative to the spec file's folder (or the working directory). A name
    that is neither a file nor a bundled dataset is an error listing the bundled names.
    Fills in ``settings.minimize`` (from the metric of a bundled dataset; false for a file
    that does not say) and ``settings.n_hyperparameters`` (from a bundled dataset).
    """
    bundled = bundled_dataset(settings)
    if bundled is not None:
        return _load_bundled(bundled, settings)
    from bayesnq import datasets
    from bayesnq.data import load_scores

    path = _path(settings)
    if not path.exists():
        names = ", ".join(datasets.names())
        raise FileNotFoundError(
            f"data {settings.data!r}: no such file ({path}) and not a bundled dataset ({names})"
        )
    if path.is_dir():
        raise UserError(f"data {settings.data!r}: {path} is a folder, expected a file")
    settings.minimize = bool(settings.minimize)
    scores = load_scores(
        path,
        settings.score,
        minimize=settings.minimize,
        curve=settings.curve,
        bounds=settings.bounds if settings.bounds is not None else (None, None),
    )
    if settings.n_hyperparameters is not None and scores.n_hyperparameters is None:
        scores = dataclasses.replace(scores, n_hyperparameters=settings.n_hyperparameters)
    return scores


def _load_bundled(name: str, settings: Settings):
    from bayesnq import datasets

    metric = settings.score or ("error" if settings.minimize else "accuracy")
    if settings.minimize is None:
        settings.minimize = metric == "error"
    if metric not in BUNDLED_METRICS:
        raise UserError(
            f"score: the bundled dataset {name!r} has metrics {list(BUNDLED_METRICS)}, "
            f"got {metric!r}"
        )
    if (metric == "error") != settings.minimize:
        direction = "--minimize" if metric == "error" else "--maximize"
        raise UserError(
            f"score: metric {metric!r} of {name!r} needs {direction} "
            f"(minimize={str(metric == 'error').lower()})"
        )
    if settings.curve is not None:
        raise UserError("curve: not used with a bundled dataset (its curves are built in)")
    scores = datasets.load(name, metric=metric)
    if settings.bounds is not None and tuple(settings.bounds) != tuple(scores.bounds):
        scores = dataclasses.replace(scores, bounds=settings.bounds)
    if settings.n_hyperparameters is None:
        settings.n_hyperparameters = scores.n_hyperparameters
    return scores


def _path(settings: Settings) -> Path:
    return settings.base_dir / settings.data  # an absolute data path stays as it is


def load_posterior_gamma_sigma(path):
    """Gamma draws and the posterior median of sigma from a ``posterior.nc`` of ``bayesnq fit``."""
    import numpy as np

    from bayesnq import arviz_compat

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"posterior {str(path)!r} not found")
    try:
        idata = arviz_compat.from_netcdf(path)
        post = idata.posterior
        gamma = np.asarray(post["gamma"]).ravel()
        sigma = float(np.median(np.asarray(post["sigma"])))
    except (KeyError, AttributeError, ValueError) as exc:
        raise UserError(
            f"posterior {str(path)!r} is not a bayesnq fit (needs gamma and sigma): {exc}"
        ) from None
    if not sigma > 0:
        raise UserError(f"posterior {str(path)!r}: median sigma is {sigma!r}, expected > 0")
    return gamma, sigma
