r"""The report of one fit: the numbers and figures gathered into one HTML page.

What the page answers, top first:

* the **best expected score** (:math:`\beta`, or :math:`\alpha` when minimizing: noise
  excluded) with its equal-tailed ``ci`` interval, beside the best run made :math:`y^*`
  and :math:`P(\beta > y^*)`;
* **more runs on top of those made**: for ``m`` more runs and each margin
  :math:`\Delta`, :math:`P = 1 - E_\theta[F_\theta(y^*+\Delta)^m]`, the expected gain
  and the runs needed for 50/80/95% (:meth:`bayesnq.Fit.more_runs`, where the fit has it);
* the **tuning curve of a fresh search** (best of ``n`` runs started from nothing);
* whether the fit can be **trusted**: r-hat, ESS, divergences, the LOO-PIT check of the
  tail, the threshold verdict, and :meth:`bayesnq.Fit.check`'s problems;
* the settings and the data's provenance (file, dataset, runs, date, bayesnq version).
"""

from __future__ import annotations

import datetime
import io
import os
import warnings
from pathlib import Path

import numpy as np

from bayesnq.report import markup as h
from bayesnq.validation import check_int, check_level, check_real

__all__ = ["render_report", "write_report", "FIGURES", "DEFAULT_M"]

DEFAULT_M = 100
# figure name -> (plots function, caption)
FIGURES = {
    "tuning_curve": ("plot_tuning_curve",
                     "Median best score of a fresh search of n runs, with its band; beyond the "
                     "runs made (shaded) it is an extrapolation. The horizontal band is the "
                     "best expected score (noise excluded); the star is the best run made."),
    "tail_cdf": ("plot_tail_cdf",
                 "The tail beyond the threshold: fitted cdf with its parameter band, the "
                 "posterior-predictive band of a replicated tail of the observed size (dashed), "
                 "and the data's empirical cdf (steps). The steps should stay inside the "
                 "dashed band."),
    "pairs": ("plot_posterior_pairs", "Posterior draws, pair by pair, with marginals."),
    "trace": ("plot_trace", "Traces and marginal densities per chain."),
    "rank": ("plot_rank", "Rank plots: near-uniform bars when the chains mix."),
}


def write_report(fit, path, **kwargs) -> Path:
    """Write :func:`render_report` ``(fit, **kwargs)`` to ``path`` (UTF-8); returns the path.

    The folder must exist. The file is written whole (a temporary file renamed), so a
    reader never sees half a page.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file path, got path={path!r}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path must be in an existing folder, got path={str(path)!r}")
    page = render_report(fit, **kwargs)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


def render_report(fit, *, m: int = DEFAULT_M, deltas=None, ci: float = 0.9, source=None,
                  settings: dict | None = None, figures=tuple(FIGURES), dpi: int = 110,
                  images: dict | None = None) -> str:
    r"""The report of ``fit`` as one self-contained HTML page (a string).

    Parameters
    ----------
    fit : Fit
    m : int, default 100
        More runs asked about (on top of those made).
    deltas : sequence of float, optional
        Margins :math:`\Delta` by which the best run is to be beaten; default ``0`` and,
        for a metric bounded in [0, 1], ``0.001`` (0.1 point).
    ci : float, default 0.9
        Credible level of the intervals computed here.
    source : str, optional
        Where the data came from (a file path), for the provenance section.
    settings : dict, optional
        Further settings to list (e.g. the command line's).
    figures : sequence of str
        Which of :data:`FIGURES` to embed.
    dpi : int, default 110
    images : dict, optional
        Figures already drawn, name to a PNG file's path (or the PNG's bytes), e.g. what
        :func:`bayesnq.plots.save_all` returns: embedded as they are instead of being
        drawn again (the main job draws each figure once).
    """
    m = check_int("m", m, minimum=1)
    ci = check_level("ci", ci)
    dpi = check_int("dpi", dpi, minimum=10)
    images = _check_images(images)
    unknown = [f for f in figures if f not in FIGURES]
    if unknown:
        raise ValueError(f"figures must be names among {list(FIGURES)}, got figures={unknown!r}")
    if deltas is None:
        deltas = (0.0, 0.001) if _unit_bounds(fit) else (0.0,)
    deltas = tuple(check_real("delta", x, low=0.0) for x in np.atleast_1d(deltas))
    name = fit.scores.name or "scores"
    made = int(np.asarray(fit.scores.values).size)
    main = [f for f in figures if f in ("tuning_curve", "tail_cdf")]
    mcmc = [f for f in figures if f not in main]
    body = [
        h.section("answers", "In short", _headline(fit, m, deltas, ci)),
        h.section("figures", "Tuning curve and tail", _figures(fit, main, dpi, images)),
        h.section("summary", "Posterior summary", _summary(fit, ci)),
        h.section("more-runs", f"{m} more runs, on top of the {made} made",
                  _more_runs(fit, m, deltas, ci)),
        h.section("fresh", "Tuning curve of a fresh search", _fresh_curve(fit, ci)),
        h.section("diagnostics", "Diagnostics: can the fit be trusted?",
                  _diagnostics(fit) + _figures(fit, mcmc, dpi, images)),
        h.section("settings", "Settings", _settings(fit, settings)),
        h.section("provenance", "Data and provenance", _provenance(fit, source)),
    ]
    direction = "lower is better" if fit.minimize else "higher is better"
    return h.page(f"bayesnq report: {name}",
                  f"{made} runs, {direction}; threshold {fit.threshold:.6g}. Intervals are "
                  f"equal-tailed {ci:.0%} credible intervals unless a table says otherwise.",
                  "".join(body))


# ----------------------------------------------------------------------------- numbers


def _unit_bounds(fit) -> bool:
    bounds = getattr(fit, "bounds", None) or getattr(fit.scores, "bounds", None)
    return bounds is not None and tuple(bounds) == (0.0, 1.0)


def _interval(x, ci):
    lo, med, hi = np.quantile(np.asarray(x, dtype=np.float64), [(1 - ci) / 2, 0.5, (1 + ci) / 2])
    return float(med), float(lo), float(hi)


def _best_run(fit) -> float:
    values = np.asarray(fit.scores.values, dtype=np.float64)
    return float(values.min() if fit.minimize else values.max())


def _problems(fit) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(fit.check())


def _more(fit, m, delta, ci):
    """Fit.more_runs(m, delta) where the fit has it, else None."""
    ask = getattr(fit, "more_runs", None)
    if not callable(ask):
        return None
    return ask(m=m, delta=delta, ci=ci)


# ----------------------------------------------------------------------------- sections


def _headline(fit, m, deltas, ci) -> str:
    key = "alpha" if fit.minimize else "beta"
    med, lo, hi = _interval(fit.draws()[key], ci)
    best = _best_run(fit)
    beyond = fit.draws()[key] < best if fit.minimize else fit.draws()[key] > best
    than = "below" if fit.minimize else "above"
    items = [
        f"Best expected score {key} = <b>{h.number(med, 4)}</b>, {ci:.0%} interval "
        f"<b>[{h.number(lo, 4)}, {h.number(hi, 4)}]</b> (noise excluded: the best runs "
        "can pass it by luck).",
        f"Best run made: <b>{h.number(best, 6)}</b>; P({key} {than} the best run) = "
        f"{h.number(float(np.mean(beyond)), 3)}.",
    ]
    for delta in deltas:
        more = _more(fit, m, delta, ci)
        if more is None:
            continue
        margin = f" by more than {h.number(delta)}" if delta > 0 else ""
        items.append(
            f"P({m} more runs beat the best run{margin}) = <b>{h.number(more.probability, 3)}"
            f"</b> [{h.number(more.probability_lower, 3)}, {h.number(more.probability_upper, 3)}]"
            f"; expected gain {h.number(more.gain, 3)}.")
    problems = _problems(fit)
    if problems:
        items.append('<span class="warn">Check the fit:</span> '
                     + h.text("; ".join(problems)) + " (see Diagnostics).")
    else:
        items.append('<span class="ok">The fit passes its checks</span> (r-hat, ESS, '
                     "divergences, LOO-PIT of the tail).")
    return '<div class="headline"><ul>' + "".join(f"<li>{i}</li>" for i in items) + "</ul></div>"


def _summary(fit, ci) -> str:
    try:
        table = fit.summary(ci=ci)
    except TypeError:  # a summary without a ci argument
        table = fit.summary()
    caption = table.attrs.get("caption", "")
    note = f"<p>{h.text(caption)}</p>" if caption else ""
    extra = table.attrs.get("threshold_note")
    if extra:
        note += f"<p>{h.text(extra)}</p>"
    return h.frame_table(table) + note


def _more_runs(fit, m, deltas, ci) -> str:
    parts = []
    for delta in deltas:
        more = _more(fit, m, delta, ci)
        if more is None:
            return ("<p>This fit has no <code>more_runs</code>: the chance that more runs beat "
                    "the best run is not available here.</p>")
        frame = more.to_frame()
        title = (f"Beating the best run ({h.number(more.best)}) by more than {h.number(delta)}"
                 if delta > 0 else f"Beating the best run ({h.number(more.best)})")
        parts.append(f"<h3>{title}</h3>" + h.frame_table(frame)
                     + f"<p>{h.text(frame.attrs.get('caption', ''))}</p>")
    parts.append("<p>These answers are about runs <em>added</em> to the search already made. "
                  "The tuning curve below is about a fresh search of n runs.</p>")
    return "".join(parts)


def _fresh_curve(fit, ci) -> str:
    made = int(np.asarray(fit.scores.values).size)
    # 9 or more numbers: the compiled shape of the tuning-curve figure's grid (padded to 32)
    grid = sorted({1, 2, 5, 10, 20, 50, 100, 1000, 10_000, made, 10 * made})
    curve = fit.tuning_curve(grid, q=0.5, ci=ci)
    rows = [[int(n), curve.lower[i], curve.median[i], curve.upper[i], curve.predictive[i]]
            for i, n in enumerate(curve.n)]
    return (f"<p>Median best score of n runs started from nothing ({ci:.0%} band); "
            f"n above {made} is an extrapolation.</p>"
            + h.table(["n", "lower", "median", "upper", "predictive"], rows))


def _check_images(images) -> dict:
    """``images`` as name -> PNG bytes (files read now), names among :data:`FIGURES`."""
    if images is None:
        return {}
    if not isinstance(images, dict):
        raise ValueError(f"images must be a dict of figure name to PNG path or bytes, got "
                         f"images={images!r}")
    out = {}
    for name, value in images.items():
        if name not in FIGURES:
            continue  # a figure this page does not show
        if isinstance(value, bytes | bytearray):
            out[name] = bytes(value)
        elif isinstance(value, str | os.PathLike) and os.path.isfile(value):
            out[name] = Path(value).read_bytes()
        else:
            raise ValueError(f"images must map figure names to PNG paths or bytes, got "
                             f"images[{name!r}]={value!r}")
    return out


def _figures(fit, names, dpi, images=None) -> str:
    import matplotlib.pyplot as plt

    from bayesnq import plots

    out = []
    for name in names:
        maker, caption = FIGURES[name]
        png = (images or {}).get(name)
        if png is None:  # not drawn yet: draw it here
            fig = getattr(plots, maker)(fit)
            buf = io.BytesIO()
            try:
                fig.savefig(buf, format="png", dpi=dpi)
            finally:
                plt.close(fig)
            png = buf.getvalue()
        out.append(h.figure(png, alt=name.replace("_", " "), caption=caption))
    return '<div class="figs">' + "".join(out) + "</div>"


def _diagnostics(fit) -> str:
    diag = fit.diagnostics()
    rows = [[k, diag["r_hat"][k], diag["ess_bulk"][k]] for k in diag["r_hat"]]
    parts = [h.table(["parameter", "r-hat", "bulk ESS"], rows),
             f"<p>{diag['chains']} chain(s); {diag['divergences']} divergent transitions.</p>"]
    pit = fit.loo_pit()
    fits = not (pit["n"] >= 5 and pit["ks_p_value"] < 1e-6)
    verdict = ('<span class="ok">the noisy quadratic describes the tail</span>' if fits else
               '<span class="warn">the tail does not fit the noisy quadratic</span>')
    parts.append(f"<p>LOO-PIT of the {pit['n']} runs beyond the threshold: KS p = "
                 f"{h.number(pit['ks_p_value'], 3)}, largest Pareto k "
                 f"{h.number(pit['pareto_k_max'], 3)}: {verdict}.</p>")
    parts.append(_regime(fit))
    if getattr(fit, "thresholds", None) is not None:
        parts.append(f"<p>Threshold: {h.text(fit.threshold_verdict()['message'])}</p>")
    else:
        parts.append(f"<p>Threshold: fixed at {h.number(fit.threshold)} (not inferred; "
                     "<code>threshold='auto'</code> puts a posterior on it).</p>")
    problems = _problems(fit)
    listed = "".join(f"<li>{h.text(p)}</li>" for p in problems)
    parts.append(f'<p>Checks: <span class="warn">{len(problems)} problem(s)</span></p><ul>'
                 f"{listed}</ul>" if problems else
                 '<p>Checks: <span class="ok">none failed</span> (r-hat &le; 1.01, bulk ESS '
                 "&ge; 400, no divergences, LOO-PIT KS p &ge; 1e-6).</p>")
    return "".join(parts)


def _regime(fit) -> str:
    """The regime check (issue 26): does the search look like one where the bands hold?"""
    from bayesnq.inference.regime import regime_check, regime_line

    r = regime_check(fit)
    line = h.text(regime_line(r))
    if not r["flagged"]:
        return (f'<p>{line} <span class="ok">no sign that the bands are too narrow</span> '
                "(on the landscape bank, unflagged searches missed the 80% band near its "
                "nominal rate).</p>")
    return f'<p>{line}</p><p class="warn">{h.text(r["message"])}</p>'


def _settings(fit, extra) -> str:
    post = fit.idata.posterior
    rows = [
        ["direction", "minimize" if fit.minimize else "maximize"],
        ["threshold", fit.threshold],
        ["gamma", fit.gamma_mode],
        ["n_hyperparameters", "" if fit.n_hyperparameters is None else fit.n_hyperparameters],
        ["bounds", "" if fit.bounds is None else str(tuple(fit.bounds))],
        ["resolution", "continuous" if fit.resolution is None else fit.resolution],
        ["resolution note", getattr(fit, "resolution_note", "")],
        ["chains x draws", f"{post.sizes['chain']} x {post.sizes['draw']}"],
    ]
    for key, value in {**(getattr(fit, "settings", None) or {}), **(extra or {})}.items():
        rows.append([key, value if isinstance(value, (int, float, str)) else str(value)])
    return h.table(["setting", "value"], rows)


def _provenance(fit, source) -> str:
    from bayesnq import __version__

    scores = fit.scores
    failed = getattr(scores, "failed", None)
    rows = [
        ["file", source if source is not None else "(given in Python)"],
        ["dataset", scores.name or ""],
        ["runs", int(np.asarray(scores.values).size)],
        ["runs beyond the threshold", int(fit.data.tail.size)],
        ["failed runs (worst score)", 0 if failed is None else int(np.sum(failed))],
        ["score rule", getattr(scores, "rule", "")],
        ["written", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")],
        ["bayesnq version", __version__],
    ]
    return h.table(["", ""], rows)
