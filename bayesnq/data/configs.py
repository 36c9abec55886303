"""Which per-run fields are the configuration (the hyperparameters a run was given).

Searches are stored in several shapes, all read here into one list of hyperparameters:

* **nested objects** (JSON Lines, W&B): ``{"config": {"lr": 0.01, "opt": {"name": "adam"}},
  "accuracy": 0.9}``; nested objects are flattened to ``config.lr``, ``config.opt.name``
  (:func:`flatten_records`);
* **prefixed flat columns**: ``config.lr`` (W&B exports), ``config/lr`` (Ray Tune),
  ``params_lr`` (Optuna's ``trials_dataframe()``), ``hparams.lr``, ... When any column
  carries such a prefix, those columns are the configuration and the prefix is removed
  from their names (``lr``), unless that name is already another column's;
* **plain columns** (``lr``, ``batch_size``): every scalar column but the score and
  those whose name says they are not hyperparameters: identifiers (``run``, ``id``,
  ``trial``, ``seed``, ``number``, ...), times (``*time*``, ``*seconds*``,
  ``duration``, ``datetime_*``, ...), states (``state``, ``status``, ``diverged``, ...)
  and metrics (``*accuracy*``, ``*loss*``, ``*error*``, ``*score*``, ``value``, ...).

Nothing is dropped silently: :func:`pick_hyperparameters` returns a sentence naming the
columns taken and, for every other column, why it was not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["PREFIXES", "flatten_records", "pick_hyperparameters"]

PREFIXES = ("config.", "config/", "configs.", "configs/", "params_", "params.", "params/",
            "param.", "hparams.", "hparams/", "hyperparameters.", "hyperparameters/", "hp.")
_ID = {"run", "runs", "id", "trial", "trials", "number", "index", "idx", "seed", "seeds",
       "uuid", "job", "experiment", "replicate", "fold", "worker", "pid", "attrs"}
# names that are not hyperparameters only as the whole column name
_ID_WHOLE = {"name", "path", "dir", "logdir", "tag", "tags", "group", "host", "node", "user",
             "checkpoint", "iteration", "training_iteration", "step", "global_step"}
_TIME = {"time", "times", "seconds", "sec", "secs", "duration", "datetime", "date", "timestamp",
         "elapsed", "runtime", "walltime", "hours", "minutes"}
_STATE = {"state", "status", "diverged", "failed", "pruned", "crashed", "done", "success",
          "finished", "terminated"}
_METRIC = {"accuracy", "acc", "loss", "losses", "error", "err", "score", "scores", "metric",
           "metrics", "f1", "auc", "auroc", "bleu", "rouge", "reward", "perplexity", "ppl",
           "precision", "recall", "value", "values", "objective", "top1", "top5", "mse", "mae",
           "rmse", "nll", "likelihood", "wer", "cer", "iou", "r2"}


def flatten_records(records) -> list[dict]:
    """Records with nested objects flattened: ``{"config": {"lr": 1}}`` becomes
    ``{"config.lr": 1}`` (recursively; a list stays a list)."""
    return [_flatten(r) for r in records]


def _flatten(record: Mapping, prefix: str = "") -> dict:
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _prefix_of(name: str) -> str | None:
    low = name.lower()
    return next((p for p in PREFIXES if low.startswith(p) and len(name) > len(p)), None)


def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower())
            if t}


def _not_a_hyperparameter(name: str) -> str | None:
    """Why a plain column is not taken as a hyperparameter (None: it is)."""
    low = name.lower()
    if low.startswith(("user_attrs_", "system_attrs_", "values_")):
        return "a recorded attribute"
    tokens = _tokens(name)
    if low.endswith("_id") or tokens & _ID or low in _ID_WHOLE:
        return "an identifier"
    if tokens & _TIME or low.endswith("_s"):
        return "a time"
    if tokens & _STATE:
        return "a state"
    if tokens & _METRIC:
        return "a metric"
    return None


def pick_hyperparameters(columns: Mapping, score: str | None, scalar: set,
                         given=None) -> tuple[dict[str, str], str]:
    """The hyperparameter columns and a sentence saying what was taken and why.

    Parameters
    ----------
    columns : mapping
        Every per-run column (flattened).
    score : str or None
        The score column (never a hyperparameter).
    scalar : set of str
        The columns with one scalar per run (lists are never hyperparameters).
    given : sequence of str, optional
        The hyperparameters named by the user (a column name, or a prefixed column's
        name without its prefix); then no guessing.

    Returns
    -------
    taken : dict of str to str
        Hyperparameter name to the column it comes from, in column order.
    rule : str
        E.g. ``"configuration: lr, batch_size (columns config.*); not configuration: run
        (an identifier), train_accuracy (a metric)"``.
    """
    names = [str(k) for k in columns]
    candidates = [k for k in names if k != score]
    why_not: dict[str, str] = {}
    taken: dict[str, str] = {}
    if given is not None:
        given = [given] if isinstance(given, str) else list(given)
        stripped = {k[len(p):]: k for k in candidates if (p := _prefix_of(k))}
        for g in given:
            column = g if g in columns else stripped.get(g)
            if column is None:
                raise ValueError(
                    f"hyperparameters: no column {g!r} (columns: {', '.join(map(repr, names))})")
            if column == score:
                raise ValueError(f"hyperparameters: {g!r} is the score column, not a "
                                 "hyperparameter")
            if column not in scalar:
                raise ValueError(f"hyperparameters: column {g!r} does not hold one value per "
                                 "run (a list or an object)")
            taken[g] = column
        source = "as given"
        for k in candidates:
            if k not in taken.values():
                why_not[k] = "not named"
    else:
        prefixed = [k for k in candidates if _prefix_of(k) and k in scalar]
        if prefixed:
            used = set(names)
            for k in prefixed:
                short = k[len(_prefix_of(k)):]
                taken[short if short not in used and short not in taken else k] = k
            prefixes = sorted({_prefix_of(k) for k in prefixed})
            source = "columns " + ", ".join(p + "*" for p in prefixes)
            for k in candidates:
                if k not in prefixed:
                    why_not[k] = ("a list or an object per run" if k not in scalar
                                  else "outside " + "/".join(p + "*" for p in prefixes))
        else:
            for k in candidates:
                reason = "a list or an object per run" if k not in scalar \
                    else _not_a_hyperparameter(k)
                if reason is None:
                    taken[k] = k
                else:
                    why_not[k] = reason
            source = "every column but the score and those named as ids, times, states or metrics"
    parts = [f"configuration: {', '.join(taken) or 'none'} ({source})"]
    if why_not:
        groups: dict[str, list[str]] = {}
        for k, why in why_not.items():
            groups.setdefault(why, []).append(k)
        parts.append("not configuration: " + "; ".join(
            f"{', '.join(ks)} ({why})" for why, ks in groups.items()))
    return taken, "; ".join(parts)
