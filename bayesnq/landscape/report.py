"""Files of a landscape analysis: ``landscape.csv``, ``landscape.json`` and ``landscape.png``.

This is presentation: the figure comes from :func:`bayesnq.plots.plot_landscape`, imported
when a report is written, so importing :mod:`bayesnq.landscape` loads no plotting.
"""

from __future__ import annotations

import csv
import json
import math
import os

from bayesnq.jsonable import jsonable
from bayesnq.landscape.analysis import analyze
from bayesnq.landscape.interpret import compare_gamma, interpret
from bayesnq.landscape.results import LandscapeResult, Row
from bayesnq.validation import fail

__all__ = ["report", "plot_landscape"]


def report(data, out_dir, gamma_draws=None, **kwargs):
    """Analyze and write ``landscape.csv``, ``landscape.json`` and ``landscape.png``.

    ``landscape.json`` also holds ``interpretation``, the sentences of
    :func:`~bayesnq.landscape.interpret.interpret`, and with ``gamma_draws`` the
    ``gamma_comparison`` of :func:`~bayesnq.landscape.interpret.compare_gamma`.

    Parameters
    ----------
    data : Scores, LandscapeResult or array_like
        Passed to :func:`~bayesnq.landscape.analyze` (with ``kwargs``) unless already a
        result.
    out_dir : str or os.PathLike
        Created when missing.
    gamma_draws : array_like, optional
        See :func:`bayesnq.plots.plot_landscape`.
    **kwargs
        Forwarded to :func:`~bayesnq.landscape.analyze`.

    Returns
    -------
    LandscapeResult
    """
    if isinstance(data, LandscapeResult):
        if kwargs:
            raise ValueError(
                f"analysis options {sorted(kwargs)!r} cannot apply to a finished result")
        result = data
    else:
        result = analyze(data, **kwargs)
    if not isinstance(out_dir, str | os.PathLike):
        raise fail("out_dir", "a path", out_dir)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "landscape.csv"), "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(Row._fields)
        for row in result.table():
            writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
    doc = result.to_dict()
    doc["interpretation"] = interpret(result, gamma_draws)
    sub = result.subsets.get("non-failed", result.subsets["all"])
    if gamma_draws is not None and sub.quadratic is not None:
        doc["gamma_comparison"] = jsonable(compare_gamma(sub.quadratic, gamma_draws,
                                                         result.settings.get("level", 0.95)))
    with open(os.path.join(out_dir, "landscape.json"), "w") as fh:
        json.dump(doc, fh, indent=2)
    import matplotlib.pyplot as plt

    from bayesnq.plots import plot_landscape as plot

    fig = plot(result, gamma_draws=gamma_draws)
    try:
        fig.savefig(os.path.join(out_dir, "landscape.png"), dpi=110)
    finally:
        plt.close(fig)
    return result


def plot_landscape(result, gamma_draws=None):
    """The landscape figure: :func:`bayesnq.plots.plot_landscape`, its one home.

    Kept under this name for code that calls ``bayesnq.landscape.plot_landscape``; plotting
    is imported only when it is called.
    """
    from bayesnq.plots import plot_landscape as plot

    return plot(result, gamma_draws=gamma_draws)
