"""Where a command writes, and how its results look: the output folder, the tables printed
to the terminal, CSV and JSON files and figures. Imported when a command runs."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

from bayesnq.cli.inputs import bundled_dataset
from bayesnq.cli.specs import Settings
from bayesnq.jsonable import jsonable

__all__ = ["DEFAULT_RESULTS", "out_dir", "result_name", "slug", "curve_grid",
           "format_threshold", "format_curve", "write_curve_csv", "write_json",
           "save_figure"]

DEFAULT_RESULTS = Path("results")
CURVE_COLUMNS = ("lower", "median", "upper", "predictive")


# ----------------------------------------------------------------------------- names


def out_dir(settings: Settings, scores) -> Path:
    """``--out`` (or the spec's ``out``), else ``results/<name>`` in the working directory."""
    if settings.out is not None:
        return Path(settings.out)
    return Path.cwd() / DEFAULT_RESULTS / result_name(settings, scores)


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
