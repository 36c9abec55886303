"""Where a command writes, and how its results look: the output folder, the tables printed
to the terminal, CSV and JSON files and figures. Imported when a command runs.

An output folder is prepared before any computing (:func:`prepare_out_dir`): created,
checked writable, and claimed with a marker file, ``bayesnq-run.json``, that names the
dataset whose results it holds (its source and a digest of its scores). A later command
on another dataset refuses to write there unless given ``--overwrite``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path

from bayesnq.cli.inputs import bundled_dataset
from bayesnq.cli.specs import Settings, UserError
from bayesnq.jsonable import jsonable
from bayesnq.sampler_defaults import NUM_SAMPLES, RESOLUTION_NUM_SAMPLES

__all__ = ["DEFAULT_RESULTS", "MARKER", "RESULT_FILES", "out_dir", "folder_name", "path_tag",
           "result_name", "slug", "dataset_identity", "prepare_out_dir", "curve_grid",
           "format_threshold", "format_draws", "format_curve", "write_curve_csv", "write_json",
           "save_figure", "format_summary", "default_delta", "format_more_runs"]

DEFAULT_RESULTS = Path("results")
CURVE_COLUMNS = ("lower", "median", "upper", "predictive")
MARKER = "bayesnq-run.json"
# every file a command writes into its output folder (what --overwrite replaces)
RESULT_FILES = (
    "summary.csv", "summary.json", "posterior.nc", "tuning_curve.csv", "tuning_curve.png",
    "tail_cdf.png", "pairs.png", "trace.png", "rank.png", "report.html",      # fit
    "thresholds.csv", "parameter_stability.png",                              # thresholds
    "landscape.csv", "landscape.json", "landscape.png",                       # landscape
    "records.jsonl", "table.csv", "table.json", "sbc_ecdf.png", "coverage.png",  # calibrate
)


# ----------------------------------------------------------------------------- names


def out_dir(settings: Settings, scores) -> Path:
    """``--out`` (or the spec's ``out``), else ``results/<folder name>`` in the working
    directory (:func:`folder_name`)."""
    if settings.out is not None:
        return Path(settings.out)
    return Path.cwd() / DEFAULT_RESULTS / folder_name(settings, scores)


def folder_name(settings: Settings, scores) -> str:
    """Name of the default output folder: :func:`result_name`, and for a data file named
    by neither a spec nor ``name`` a short digest of its absolute path
    (:func:`path_tag`), so that two files both named ``runs.csv`` get two folders."""
    return result_name(settings, scores) + path_tag(settings)


def path_tag(settings: Settings) -> str:
    """``-`` and 8 hex digits of the SHA-256 of the data file's absolute path (with
    ``--score`` and ``--curve`` when given: two metrics of one file get two folders); empty
    for a bundled dataset, a spec file or a ``name`` (whose folders keep their names)."""
    if settings.name or settings.spec is not None or bundled_dataset(settings) is not None:
        return ""
    key = str((settings.base_dir / settings.data).resolve())
    for option, value in (("score", settings.score), ("curve", settings.curve)):
        if value is not None:
            key += f"\0{option}={value}"
    return "-" + hashlib.sha256(key.encode()).hexdigest()[:8]


def result_name(settings: Settings, scores) -> str:
    """The spec's ``name``, else the spec file's stem, else the dataset name (``-error``
    appended when minimizing), else the data file's stem; made safe as a folder name."""
    if settings.name:
        return slug(settings.name)
    if settings.spec is not None:
        return slug(settings.spec.stem)
    bundled = bundled_dataset(settings)
    if bundled is not None:
        return bundled + ("-error" if scores.minimize else "")
    return slug(Path(settings.data).stem)


def slug(text: str) -> str:
    """``text`` with runs of characters other than letters, digits, ``.``, ``_`` and ``-``
    replaced by ``-`` (``"scores"`` if nothing is left)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.")
    return name or "scores"


# ----------------------------------------------------------------------------- folder


def dataset_identity(settings: Settings | None, scores, command: str) -> dict:
    """What the marker of an output folder records: the dataset's ``source`` (the bundled
    name and metric, or the data file's absolute path with ``--score``/``--curve``),
    ``scores_sha256`` (a digest of the scores and their direction) and the command.
    ``settings`` and ``scores`` are None for simulated data (``calibrate sbc``)."""
    if scores is None:
        return {"source": f"simulated searches ({command})", "scores_sha256": None,
                "command": command}
    import numpy as np

    bundled = bundled_dataset(settings)
    if bundled is not None:
        source = f"bundled dataset {bundled} ({'error' if scores.minimize else 'accuracy'})"
    else:
        source = str((settings.base_dir / settings.data).resolve())
        picks = [f"{k} {v}" for k, v in (("score", settings.score), ("curve", settings.curve))
                 if v is not None]
        if picks:
            source += f" ({', '.join(picks)})"
    digest = hashlib.sha256(b"minimize" if scores.minimize else b"maximize")
    digest.update(np.ascontiguousarray(scores.values, dtype="<f8").tobytes())
    return {"source": source, "scores_sha256": digest.hexdigest(), "n_runs": len(scores),
            "minimize": bool(scores.minimize), "command": command}


def prepare_out_dir(path, identity: dict, overwrite: bool = False) -> Path:
    """Create the output folder, check that it can be written and claim it for a dataset,
    before anything is computed.

    The folder's marker (:data:`MARKER`) names the dataset whose results it holds. When
    it names another dataset (neither the same source nor the same scores) and the folder
    holds results (:data:`RESULT_FILES`), the command refuses (a :class:`UserError` that
    names the folder and says how to go on) unless ``overwrite``: then those result files
    are removed first, so that nothing of the other dataset is mixed in (a posterior that
    ``landscape`` would read, calibration records that would be resumed). A folder without
    a marker is taken as it is. The marker is then (re)written with ``identity``.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()),
                       None)
        why = (f"{blocker} is a file, not a folder" if blocker is not None
               else exc.strerror or str(exc))
        raise UserError(f"output folder {folder} cannot be created ({why}); "
                        "choose another with --out DIR") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".bayesnq-write-check-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"output folder {folder} is not writable ({exc.strerror or exc}); "
                        "choose another with --out DIR") from None
    marker = folder / MARKER
    old = _read_marker(marker)
    results = [name for name in RESULT_FILES if (folder / name).is_file()]
    if old is not None and results and not _same_dataset(old, identity):
        if not overwrite:
            held, by = old, ""
            if isinstance(old, dict):
                held = old.get("source", f"an unknown dataset ({MARKER} names no source)")
                by = f", written by 'bayesnq {old['command']}'" if old.get("command") else ""
            raise UserError(
                f"output folder {folder} holds the results of another dataset: {held}{by}; "
                f"this run's data is {identity['source']}. Write elsewhere with --out DIR, "
                "or pass --overwrite to replace those results"
            )
        for name in results:
            (folder / name).unlink()
    commands = [identity["command"]]
    if isinstance(old, dict) and _same_dataset(old, identity):
        commands = sorted({*old.get("commands", []), *commands})
    record = {"bayesnq": _version(), **identity, "commands": commands,
              "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    try:
        write_json(marker, record)
    except OSError as exc:
        raise UserError(f"output folder {folder}: cannot write {MARKER} ({exc.strerror or exc}); "
                        "choose another with --out DIR") from None
    return folder


def _read_marker(marker: Path):
    """The marker's dict; None when there is none; a short text when it is unreadable."""
    if not marker.exists():
        return None
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"an unreadable {MARKER}"
    return doc if isinstance(doc, dict) else f"an unreadable {MARKER}"


def _same_dataset(old, new: dict) -> bool:
    """The same source, or the same scores (a copied or moved file)."""
    if not isinstance(old, dict):
        return False
    if old.get("source") == new["source"]:
        return True
    return new["scores_sha256"] is not None and old.get("scores_sha256") == new["scores_sha256"]


def _version() -> str:
    from bayesnq import __version__

    return __version__


# ----------------------------------------------------------------------------- tables


def curve_grid(size: int) -> list[float]:
    """Numbers of runs at which to show a tuning curve: 1, 2, 4, ... up to ``100 * size``."""
    grid, n = [], 1
    while n <= 100 * size:
        grid.append(float(n))
        n *= 2
    return grid


def format_threshold(threshold) -> str:
    return threshold if isinstance(threshold, str) else f"{threshold:g}"


def format_draws(samples) -> str:
    """Draws per chain as set, or the fit's rule where none was set
    (:func:`bayesnq.inference.default_num_samples`)."""
    if samples is not None:
        return f"{samples} draws"
    return (f"{NUM_SAMPLES} draws ({RESOLUTION_NUM_SAMPLES} for scores with a "
            "resolution)")


def format_curve(curve, empirical) -> str:
    """The tuning curve as a text table, with the empirical curve (blank where NaN)."""
    head = (f"{'n':>9}  {'lower':>10}  {'median':>10}  {'upper':>10}  {'predictive':>10}  "
            f"{'empirical':>10}")
    lines = [head]
    for i, n in enumerate(curve.n):
        emp = "" if math.isnan(empirical[i]) else f"{empirical[i]:.7g}"
        lines.append(
            f"{int(n):>9d}  {curve.lower[i]:>10.7g}  {curve.median[i]:>10.7g}  "
            f"{curve.upper[i]:>10.7g}  {curve.predictive[i]:>10.7g}  {emp:>10}"
        )
    return "\n".join(lines)


def format_summary(table) -> str:
    """:meth:`bayesnq.Fit.summary` as text: variable, value, interval, r-hat, ESS, meaning.

    ``value`` is what to quote (the posterior median of a parameter, the probability of a
    probability, the expected score of an expected score); the interval is the table's
    ``attrs["ci"]`` credible interval. Blank where a row has none.
    """
    ci = table.attrs.get("ci")
    level = f"{ci:.0%} interval" if ci is not None else "interval"

    def num(x, fmt="{:.6g}"):
        return "" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)

    rows = []
    for key, row in table.iterrows():
        lower, upper = row.get("lower"), row.get("upper")
        interval = ("" if num(lower) == "" or lower == upper
                    else f"[{num(lower)}, {num(upper)}]")
        rows.append((str(key), num(row.get("value")), interval,
                     num(row.get("r_hat"), "{:.3f}"), num(row.get("ess"), "{:.0f}"),
                     str(row.get("meaning", "") or "")))
    head = ("variable", "value", level, "r_hat", "ess", "meaning")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    lines = []
    for r in [head, *rows]:
        cells = [r[0].ljust(widths[0]), *(r[i].rjust(widths[i]) for i in (1, 2, 3, 4)), r[5]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def default_delta(scores, resolution=None) -> tuple[float, str]:
    """A margin worth asking about, and how it was chosen: one resolution step for scores
    known to a resolution; else 0.1 point of the metric's scale (0.001 for scores within
    [0, 1], 0.1 within [0, 100], else 1/1000 of the known bounds' width or of the scores'
    range, to one significant digit)."""
    import numpy as np

    if resolution:
        return float(resolution), "one resolution step"
    values = np.asarray(scores.values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size and values.min() >= 0.0 and values.max() <= 1.0:
        return 0.001, "0.1 point on a 0-1 scale"
    if values.size and values.min() >= 0.0 and values.max() <= 100.0:
        return 0.1, "0.1 point on a 0-100 scale"
    lo, hi = getattr(scores, "bounds", None) or (None, None)
    width = (hi - lo) if lo is not None and hi is not None and math.isfinite(hi - lo) \
        else float(np.ptp(values)) if values.size else 1.0
    width = width if width > 0 else 1.0
    step = width / 1000.0
    step = float(f"{step:.0e}")
    return step, "1/1000 of the scores' scale"


def format_more_runs(answers, ci=None) -> str:
    """The "more runs" block: for each :class:`bayesnq.curves.MoreRuns` of ``answers``
    (one per margin), P(m more runs beat the best run by the margin) with its interval,
    the expected gain, and the more runs needed for each level."""
    first = answers[0]
    ci = first.ci if ci is None else ci
    made = f"on top of the {first.n_runs} made, " if first.n_runs else ""
    lines = [f"more runs ({made}best run y* = {first.best:.7g}; {ci:.0%} intervals over "
             "the posterior)"]
    for r in answers:
        by = f" by {r.delta:g}" if r.delta > 0 else ""
        lines.append(f"  P({r.m} more runs beat y*{by}) = {r.probability:.3g}  "
                     f"[{r.probability_lower:.3g}, {r.probability_upper:.3g}]")
    lines.append(f"  expected gain of {first.m} more runs: {first.gain:.4g}  "
                 f"[{first.gain_lower:.4g}, {first.gain_upper:.4g}]  (expected best "
                 f"{first.expected_best:.7g})")
    for r in answers:
        by = f" by {r.delta:g}" if r.delta > 0 else ""
        parts = [f"{p:.0%}: {_runs(v['runs'])} [{_runs(v['lower'])}, {_runs(v['upper'])}]"
                 for p, v in r.needed.items()]
        lines.append(f"  more runs needed to beat y*{by}: " + "; ".join(parts))
    lines.append("  (runs needed: on the posterior-averaged probability; brackets: the "
                 "per-draw answers. A fresh search is the tuning curve below.)")
    return "\n".join(lines)


def _runs(x) -> str:
    return "never" if math.isinf(x) else f"{x:,.0f}"


# ----------------------------------------------------------------------------- files


def write_curve_csv(path, curve, empirical=None) -> None:
    """``n, lower, median, upper, predictive[, empirical]``, full precision (``repr``);
    an empirical value that is NaN is left blank."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["n", *CURVE_COLUMNS, *(["empirical"] if empirical is not None else [])])
        for i in range(curve.n.size):
            row = [int(curve.n[i]), *(repr(float(getattr(curve, k)[i])) for k in CURVE_COLUMNS)]
            if empirical is not None:
                row.append("" if math.isnan(empirical[i]) else repr(float(empirical[i])))
            writer.writerow(row)


def write_json(path, obj, indent=2) -> None:
    """``obj`` as JSON, made plain by :func:`bayesnq.jsonable.jsonable` (NaN as null)."""
    with open(path, "w") as fh:
        json.dump(jsonable(obj), fh, indent=indent)


def save_figure(fig, path, dpi=120) -> None:
    """Save a matplotlib figure and close it."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)
