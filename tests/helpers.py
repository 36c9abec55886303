"""Shared helpers of the distribution tests: the mpmath reference tables and their tolerance.

Reference files (see tests/reference/README.md):

* ``nq_reference_values.csv``: 432 rows, integer and a few fractional gamma, shared with
  the project (copied from ../shared/reference), with what opda 0.8.0 returns;
* ``nq_extra_reference.csv``: rows made by ``tests/reference/generate_reference.py``.

Tolerance on logpdf, logcdf and logsf: 1e-9 absolute or 1e-12 relative, whichever is
looser. Used by ``test_distribution_accuracy.py`` and ``test_distribution_tables.py``.
"""

import csv
import pathlib

import numpy as np
import pytest

REFERENCE_DIR = pathlib.Path(__file__).parent / "reference"
SHARED_CSV = REFERENCE_DIR / "nq_reference_values.csv"
EXTRA_CSV = REFERENCE_DIR / "nq_extra_reference.csv"

ABS_TOL = 1e-9
REL_TOL = 1e-12
LOG_COLUMNS = ("logpdf", "logcdf", "logsf")
EPS = np.finfo(float).eps
FLOAT_COLUMNS = ("a", "b", "c", "o", "s", "y", "cdf", "sf", "pdf") + LOG_COLUMNS


# ----------------------------------------------------------------------------- loading


def load_reference(path):
    """One reference file as a dict of column -> array (and "file": its name per row)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {"file": np.array([path.name] * len(rows))}
    out["id"] = np.array([int(r["id"]) for r in rows])
    out["convex"] = np.array([r["convex"] == "True" for r in rows])
    out["location"] = np.array([r["location"] for r in rows])
    for col in FLOAT_COLUMNS:
        out[col] = np.array([float(r[col]) for r in rows])
    for col in ("opda_cdf", "opda_pdf"):
        if rows and col in rows[0]:
            out[col] = np.array([float(r[col]) if r[col] != "" else np.nan for r in rows])
    return out


def select(table, mask):
    """The rows of ``table`` where ``mask``."""
    return {k: v[mask] for k, v in table.items()}


def concat(*tables):
    """The rows of several tables, in order (their common columns)."""
    keys = set.intersection(*(set(t) for t in tables))
    return {k: np.concatenate([t[k] for t in tables]) for k in keys}


SHARED = load_reference(SHARED_CSV)
EXTRA = load_reference(EXTRA_CSV)
ALL = concat(SHARED, EXTRA)
NOISY = select(ALL, ALL["o"] > 0)
NOISELESS = select(ALL, ALL["o"] == 0)


# ----------------------------------------------------------------------------- checks


def describe_row(table, i):
    """One row, for a failure message."""
    return (
        f"{table['file'][i]}#{table['id'][i]} "
        f"{'min' if table['convex'][i] else 'max'} a={table['a'][i]!r} b={table['b'][i]!r}"
        f" c={table['c'][i]!r} o={table['o'][i]!r} (s={table['s'][i]:g})"
        f" y={table['y'][i]!r} [{table['location'][i]}]"
    )


def assert_logs_close(table, got, label, n_worst=15):
    """All rows within max(ABS_TOL, REL_TOL*|ref|); list the worst rows otherwise."""
    problems = []
    for col in LOG_COLUMNS:
        ref = table[col]
        val = got[col]
        err = np.abs(val - ref)
        tol = np.maximum(ABS_TOL, REL_TOL * np.abs(ref))
        ratio = np.where(np.isfinite(val), err / tol, np.inf)
        for i in np.nonzero(~(ratio <= 1.0))[0]:
            problems.append((ratio[i], col, i, ref[i], val[i], err[i]))
    if problems:
        problems.sort(key=lambda p: -p[0])
        counts = {col: sum(p[1] == col for p in problems) for col in LOG_COLUMNS}
        lines = [
            f"{label}: {len(problems)} values out of tolerance "
            f"(max({ABS_TOL:g} abs, {REL_TOL:g} rel)) in {len(table['y'])} rows; "
            f"per column {counts}; worst {min(n_worst, len(problems))}:"
        ]
        for ratio, col, i, ref, val, err in problems[:n_worst]:
            lines.append(
                f"  {col}: ref={ref!r} got={val!r} err={err:.3g} ({ratio:.3g}x tol)"
                f"  {describe_row(table, i)}"
            )
        pytest.fail("\n".join(lines), pytrace=False)


def made_up_comparison(settled=True, scores=(None, None), minimize=False):
    """A stand-in :class:`bayesnq.curves.versus.Comparison` (50 draws, n = 1, 10, 100): "new"
    ahead of "old", the ranking settled at n = 100 unless ``settled=False``."""
    from bayesnq.curves.versus import Comparison

    n = np.array([1.0, 10.0, 100.0])
    rng = np.random.default_rng(0)
    p = np.array([0.55, 0.8, 0.95])
    return Comparison(names=("new", "old"), minimize=minimize,
                      difference=0.01 + 0.002 * rng.standard_normal(50), p_better=1.0, n=n,
                      p_beats=p, p_beats_draws=np.clip(p + 0.02 * rng.standard_normal((50, 3)), 0, 1),
                      p_beats_se=np.full(3, 0.003), curve_a=0.7 + 0.01 * rng.random((50, 3)),
                      curve_b=0.69 + 0.01 * rng.random((50, 3)),
                      settled_at=100.0 if settled else None, leader="new" if settled else None,
                      scores=scores)
