"""Random-search results bundled with bayesnq.

Three datasets from the opda project (Nicholas Lourie; CC BY-SA 4.0, see
``ATTRIBUTION.md`` and ``LICENSE`` in this folder):

``"alexnet"``
    AlexNet on ImageNet, 512 random-search runs, 7 hyperparameters, a
    learning curve of validation top-1/top-5 accuracy per epoch.
``"deberta-v3"`` (aliases ``"deberta"``, ``"deberta-v3-base"``)
    DeBERTaV3-base on MultiNLI, 1,024 random-search runs, 5 hyperparameters,
    learning curves of matched and mismatched validation accuracy every
    1,000 steps and at the end of training. Please cite Lourie, Cho & He,
    "Show Your Work with Confidence: Confidence Bands for Tuning Curves"
    (arXiv:2311.09480, 2023) when using it.
``"convnext"`` (alias ``"convnext-tiny"``)
    ConvNeXt-tiny on ImageNet, 512 random-search runs in AlexNet's search
    space (7 hyperparameters), a learning curve per run as for AlexNet.

Use :func:`load` for scores, :func:`names` for the list and :func:`arrays` for
the stored columns. The files are built from the source JSON Lines by
``tools/build_datasets.py``; the conversion is lossless.
"""

from __future__ import annotations

import functools
import io
import json
from importlib import resources

import numpy as np

from bayesnq.data import Scores, reduce_curves

__all__ = ["names", "canonical_name", "load", "arrays", "info"]

_NAMES = ("alexnet", "deberta-v3", "convnext")
_ALIASES = {
    "alexnet": "alexnet",
    "deberta-v3": "deberta-v3",
    "deberta": "deberta-v3",
    "deberta-v3-base": "deberta-v3",
    "debertav3": "deberta-v3",
    "convnext": "convnext",
    "convnext-tiny": "convnext",
}
_METRICS = ("accuracy", "error")

_ALEXNET_SPACE = {
    "epochs": {"kind": "integer", "low": 20, "high": 100},
    "batch_size": {"kind": "choice", "choices": [128, 256, 512, 1024]},
    "lr": {"kind": "log-uniform", "low": 5e-3, "high": 5e1},
    "lr_peak_proportion": {
        "kind": "uniform", "low": 0.0, "high": 0.8,
        "note": "sampled as proportion; stored as lr_peak_epoch = floor(proportion * epochs)",
    },
    "momentum": {"kind": "uniform", "low": 0.7, "high": 1.0},
    "weight_decay": {"kind": "log-uniform", "low": 1e-6, "high": 1e-3},
    "label_smoothing": {"kind": "uniform", "low": 0.0, "high": 0.5},
}

_DEBERTA_SPACE = {
    "num_train_epochs": {"kind": "integer", "low": 1, "high": 4},
    "train_batch_size": {"kind": "integer", "low": 16, "high": 64},
    "learning_rate": {"kind": "log-uniform", "low": 1e-6, "high": 1e-3},
    "warmup_proportion": {
        "kind": "uniform", "low": 0.0, "high": 0.6,
        "note": "proportion of the first epoch; stored as warmup_steps",
    },
    "cls_drop_out": {"kind": "uniform", "low": 0.0, "high": 0.3},
}


def names() -> tuple[str, ...]:
    """Names of the bundled datasets: ``("alexnet", "deberta-v3", "convnext")``."""
    return _NAMES


def canonical_name(name: str) -> str:
    """The dataset a name or alias means: ``"DeBERTa_v3_base"`` -> ``"deberta-v3"``.

    Case, surrounding spaces and ``_`` versus ``-`` do not matter.

    Raises
    ------
    ValueError
        For a name that is no bundled dataset (the message lists the names and aliases).
    """
    key = str(name).strip().lower().replace("_", "-")
    if key not in _ALIASES:
        aliases = ", ".join(repr(a) for a in _ALIASES if a not in _NAMES)
        raise ValueError(
            f"name: unknown dataset {name!r}; valid names are "
            f"{', '.join(map(repr, _NAMES))} (aliases: {aliases})"
        )
    return _ALIASES[key]


@functools.lru_cache(maxsize=None)
def _read(name: str) -> tuple[dict[str, np.ndarray], dict]:
    blob = resources.files(__name__).joinpath(f"{name}.npz").read_bytes()
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        stored = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    for a in stored.values():
        a.setflags(write=False)
    return stored, meta


def arrays(name: str) -> dict[str, np.ndarray]:
    """The stored columns of a dataset, as in the source file.

    Per-run fields are ``"run.<field>"`` (one entry per run, in search order);
    learning-curve points are concatenated in ``"curve.<field>"``, run ``i``
    owning ``curve.<field>[curve_offsets[i]:curve_offsets[i + 1]]``.
    """
    stored, _ = _read(canonical_name(name))
    return {k: v.copy() for k, v in stored.items()}


def info(name: str) -> dict:
    """Metadata of a dataset: source file and URL, creator, licence, field lists."""
    return dict(_read(canonical_name(name))[1])


def _split(values: np.ndarray, budgets: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [
        np.column_stack([budgets[a:b], values[a:b]]).astype(np.float64)
        for a, b in zip(offsets[:-1], offsets[1:])
    ]


def load(name: str, metric: str = "accuracy") -> Scores:
    """Load a bundled dataset as :class:`~bayesnq.data.Scores`.

    Parameters
    ----------
    name : str
        ``"alexnet"``, ``"deberta-v3"`` (aliases ``"deberta"``,
        ``"deberta-v3-base"``) or ``"convnext"`` (alias ``"convnext-tiny"``);
        case-insensitive.
    metric : {"accuracy", "error"}, default "accuracy"
        ``"accuracy"``: maximize the best accuracy over the learning curve,
        :math:`y_i = \\max_t a_{i,t}`. ``"error"``: minimize the best error,
        :math:`y_i = \\min_t (1 - a_{i,t}) = 1 - \\max_t a_{i,t}`. The learning
        curves hold the chosen metric. Bounds are ``(0, 1)`` either way.

    Returns
    -------
    Scores
        Scores in search order with ``configs``, ``search_space``,
        ``learning_curves``, ``failed``, ``rule``, ``bounds=(0, 1)`` and
        ``n_hyperparameters``.

    Notes
    -----
    **AlexNet** (ImageNet, 512 runs): accuracy is validation ``top_1``,
    evaluated after each epoch (budget = 0-indexed epoch). 147 runs had a NaN
    training loss and their curves stop where training diverged; 49 of them
    have an empty curve and get the worst score (accuracy 0, error 1), marked
    in ``failed``. ``configs["nan_train_loss"]`` keeps the divergence flag.
    The search space has 7 hyperparameters, so ``n_hyperparameters=7``
    (the paper's notebook used 8, counting an added ``use_blurpool`` flag).
    The sampled peak proportion is exposed as ``configs["lr_peak_proportion"]``
    :math:`= \\text{lr\\_peak\\_epoch} / \\text{epochs}`; since the stored epoch
    is :math:`\\lfloor p \\cdot \\text{epochs} \\rfloor`, this is the sampled
    proportion :math:`p` rounded down to a multiple of ``1/epochs``.

    **ConvNeXt** (ConvNeXt-tiny, ImageNet, 512 runs): the layout, search space
    and rules of AlexNet; 71 runs have an empty curve and get the worst score.

    **DeBERTaV3** (MultiNLI, 1,024 runs): accuracy on the *matched*
    validation set, evaluated every 1,000 steps and at the end (budget =
    optimisation step); the mismatched curves are in :func:`arrays` but not
    used. No run lacks a finite value. ``n_hyperparameters=5``. The sampled
    warmup proportion (of the first epoch) is reconstructed as
    ``warmup_proportion`` :math:`= \\text{warmup\\_steps} /
    (\\text{total\\_model\\_steps} / \\text{num\\_train\\_epochs})`, which lies in
    [0.0013, 0.5997].

    Examples
    --------
    >>> s = load("deberta-v3")
    >>> len(s), float(s.values.max())
    (1024, 0.9075904228222109)
    """
    key = canonical_name(name)
    if metric not in _METRICS:
        raise ValueError(f"metric: unknown metric {metric!r}; valid metrics are {', '.join(map(repr, _METRICS))}")
    stored, _ = _read(key)
    offsets = stored["curve_offsets"]
    minimize = metric == "error"
    run = {k.removeprefix("run."): v for k, v in stored.items() if k.startswith("run.")}

    if key in ("alexnet", "convnext"):
        acc = stored["curve.top_1"].astype(np.float64)
        budgets = stored["curve.epoch"]
        configs = {
            "epochs": run["epochs"],
            "batch_size": run["batch_size"],
            "lr": run["lr"],
            "lr_peak_proportion": run["lr_peak_epoch"] / run["epochs"],
            "momentum": run["momentum"],
            "weight_decay": run["weight_decay"],
            "label_smoothing": run["label_smoothing"],
            "lr_peak_epoch": run["lr_peak_epoch"],
            "nan_train_loss": run["nan_train_loss"],
        }
        space, k, label = _ALEXNET_SPACE, 7, key
        metric_text = "ImageNet validation top_1" if metric == "accuracy" else "1 - top_1 (ImageNet validation)"
        over = "after each epoch"
        failure = "an empty learning curve"
    else:
        acc = stored["curve.matched"]
        budgets = stored["curve.step"]
        steps_per_epoch = run["total_model_steps"] / run["num_train_epochs"]
        configs = {
            "num_train_epochs": run["num_train_epochs"],
            "train_batch_size": run["train_batch_size"],
            "learning_rate": run["learning_rate"],
            "warmup_proportion": run["warmup_steps"] / steps_per_epoch,
            "cls_drop_out": run["cls_drop_out"],
            "warmup_steps": run["warmup_steps"],
            "total_model_steps": run["total_model_steps"],
        }
        space, k, label = _DEBERTA_SPACE, 5, "deberta-v3"
        metric_text = (
            "MultiNLI matched validation accuracy" if metric == "accuracy"
            else "1 - MultiNLI matched validation accuracy"
        )
        over = "every 1,000 steps and at the end"
        failure = "no finite value"

    curve_values = 1.0 - acc if minimize else acc
    curves = _split(curve_values, budgets, offsets)
    values, failed = reduce_curves(curves, minimize, "best")
    worst = 1.0 if minimize else 0.0
    values[failed] = worst
    rule = f"score = {'min' if minimize else 'max'} of {metric_text} over the learning curve (evaluated {over})"
    if failed.any():
        rule += f"; runs with {failure} get the worst score {worst} ({int(failed.sum())} runs)"
    else:
        rule += "; every run has a finite value, so no worst score was assigned"

    return Scores(
        values=values,
        minimize=minimize,
        name=label if metric == "accuracy" else f"{label} (error)",
        failed=failed,
        configs=configs,
        search_space=space,
        learning_curves=curves,
        rule=rule,
        bounds=(0.0, 1.0),
        n_hyperparameters=k,
    )
