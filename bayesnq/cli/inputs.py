"""The inputs a command names: its scores (a bundled dataset, a data file or an Optuna
storage URL) and the tail fit of an earlier ``bayesnq fit`` (``--fit``).

A ``DATA`` that names a bundled dataset (:func:`bayesnq.datasets.canonical_name`) and is not
an existing file loads the dataset, with ``--score`` choosing its metric; anything else is
a file read by :func:`bayesnq.data.load_scores`. Heavy modules are imported when called.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bayesnq.cli.specs import Settings, UserError

__all__ = ["load_data", "bundled_dataset", "load_posterior_gamma_sigma", "BUNDLED_METRICS",
           "is_storage_url", "load_tail_fit"]

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
    if is_storage_url(settings.data):
        return _load_study(settings)
    if settings.study is not None or settings.objective is not None \
            or settings.pruned is not None:
        flag = ("--study" if settings.study is not None
                else "--objective" if settings.objective is not None else "--pruned")
        raise UserError(f"{flag}: applies to an Optuna storage URL as DATA (e.g. "
                        f"sqlite:///study.db), not to {settings.data!r}")
    bundled = bundled_dataset(settings)
    if bundled is not None:
        scores = _load_bundled(bundled, settings)
        if settings.search_space is not None:
            from bayesnq.data import attach_search_space

            scores = attach_search_space(scores, settings.search_space)
        return scores
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
        search_space=settings.search_space,
    )
    if settings.n_hyperparameters is not None and scores.n_hyperparameters is None:
        scores = dataclasses.replace(scores, n_hyperparameters=settings.n_hyperparameters)
    return scores


def is_storage_url(data) -> bool:
    """A storage URL of a tool where searches live (``sqlite:///study.db``, ...)."""
    return isinstance(data, str) and "://" in data


def _load_study(settings: Settings):
    """The scores of an Optuna study (:func:`bayesnq.data.optuna_study.load_study`): its
    direction is the study's, a relative ``sqlite:///`` path is taken from the spec's
    folder (or the working directory)."""
    from bayesnq.data.optuna_study import load_study

    for key, flag in (("score", "--score"), ("curve", "--curve")):
        if getattr(settings, key) is not None:
            raise UserError(f"{flag}: an Optuna study's score is its objective value; name "
                            "the objective of a multi-objective study with --objective K")
    url = settings.data
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_absolute():
        url = "sqlite:///" + str(settings.base_dir / url[len("sqlite:///"):])
    scores = load_study(url, study=settings.study, objective=settings.objective,
                        pruned=settings.pruned if settings.pruned is not None else "worst",
                        bounds=settings.bounds if settings.bounds is not None else (None, None),
                        search_space=settings.search_space)
    if settings.minimize is not None and settings.minimize != scores.minimize:
        raise UserError(
            f"{'--minimize' if settings.minimize else '--maximize'}: study "
            f"{scores.name!r} {'minimizes' if scores.minimize else 'maximizes'} its objective; "
            "drop the flag (the study's direction is used)")
    settings.minimize = scores.minimize
    if settings.n_hyperparameters is not None:
        scores = dataclasses.replace(scores, n_hyperparameters=settings.n_hyperparameters)
    elif scores.n_hyperparameters is not None:
        settings.n_hyperparameters = scores.n_hyperparameters
    return scores


def load_tail_fit(path, settings: Settings, scores):
    """Gamma draws and the posterior median of sigma of the tail fit named by ``--fit``:
    a ``posterior.nc`` of ``bayesnq fit``, or a fit saved by ``Fit.save`` (read with
    ``bayesnq.load_fit`` where this version has it). A fit whose folder's marker
    (``bayesnq-run.json``) names other scores is refused: its gamma and sigma belong to
    another search."""
    import json

    import numpy as np

    import bayesnq

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"--fit {str(path)!r}: no such file or folder")
    folder = path if path.is_dir() else path.parent
    marker = folder / "bayesnq-run.json"
    if marker.is_file():
        from bayesnq.cli.outputs import dataset_identity

        try:
            theirs = json.loads(marker.read_text()).get("scores_sha256")
        except (ValueError, OSError):
            theirs = None
        ours = dataset_identity(settings, scores, "landscape")["scores_sha256"]
        if theirs is not None and theirs != ours:
            raise UserError(
                f"--fit {str(path)!r}: that fit is of other scores (its folder's "
                f"{marker.name} names another dataset); name the fit of these scores, or "
                "give --fit same to fit the tail here")
    load_fit = getattr(bayesnq, "load_fit", None)  # Fit.save/load_fit, where present
    fit = None
    if load_fit is not None and path.is_file():
        try:
            fit = load_fit(path)
        except ValueError:  # not a saved fit: a posterior.nc of 'bayesnq fit'
            fit = None
    if fit is None:
        return load_posterior_gamma_sigma(path)
    theirs = getattr(fit, "scores", None)
    if theirs is not None and (len(theirs) != len(scores)
                               or not np.array_equal(np.asarray(theirs.values), scores.values)):
        raise UserError(f"--fit {str(path)!r}: that fit is of other scores ({len(theirs)} runs "
                        f"of {theirs.name or 'another search'!r}); name the fit of these "
                        "scores, or give --fit same to fit the tail here")
    post = fit.idata.posterior
    return np.asarray(post["gamma"]).ravel(), float(np.median(np.asarray(post["sigma"])))


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
