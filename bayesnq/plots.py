r"""Figures for a noisy-quadratic fit: tuning curves, the tail cdf and MCMC diagnostics.

Every function returns the :class:`matplotlib.figure.Figure` it drew on, takes an optional
``ax`` (or ``axes``) to draw into, and never calls ``pyplot.show``, so it works under the
``Agg`` backend and in scripts. :func:`save_all` writes the standard set of PNGs.

A *fit* here is anything with the attributes of :class:`bayesnq.inference.Fit` that a plot
needs: ``draws()`` (dict of flat arrays ``alpha, beta, gamma, sigma``), ``minimize``,
``threshold``, ``scores`` (with ``values`` and ``name``) and ``idata`` (ArviZ
InferenceData, for the diagnostics).
"""

from __future__ import annotations

import math
import os
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq import arviz_compat, curves
from bayesnq.distribution import NoisyQuadratic

__all__ = [
    "plot_tuning_curve",
    "plot_tail_cdf",
    "plot_posterior_pairs",
    "plot_trace",
    "plot_rank",
    "save_all",
    "plot_parameter_stability",
    "plot_threshold_probabilities",
    "plot_sbc",
    "plot_coverage",
]

PARAMETERS = ("alpha", "beta", "gamma", "sigma")
_DIAGNOSTIC_VARS = ("alpha", "beta", "gamma", "sigma", "tail_mass")
_BAND = "C0"
_PRED = "C1"
_DATA = "0.15"


def _figure_and_axes(ax, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise ValueError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax.figure, ax


def _is_fit(obj) -> bool:
    return callable(getattr(obj, "draws", None)) and hasattr(obj, "minimize")


def _n_grid(n_max: float, points: int = 32) -> np.ndarray:
    return np.unique(np.round(np.geomspace(1.0, n_max, points)))


def _label_of(fit) -> str:
    scores = getattr(fit, "scores", None)
    return str(getattr(scores, "name", "") or "")


# ----------------------------------------------------------------------------- tuning curve


def plot_tuning_curve(
    fit_or_curve,
    *,
    n=None,
    q: float = 0.5,
    ci: float = 0.8,
    kind: str = "quantile",
    empirical=None,
    k_star: float | None = None,
    ax=None,
    title: str | None = None,
    max_draws: int | None = 1000,
    seed: int = 0,
):
    r"""Posterior tuning curve with its credible band, the predictive and the empirical curve.

    Parameters
    ----------
    fit_or_curve : Fit or TuningCurve
        A fit (the curve is computed here with :func:`bayesnq.curves.tuning_curve` or
        :func:`~bayesnq.curves.average_tuning_curve`) or a finished curve.
    n : array_like, optional
        Numbers of runs for a fit; default 32 log-spaced integers from 1 to ``10 N``
        (``N`` runs observed). Ignored for a TuningCurve.
    q, ci : float
        Quantile level and band level, for a fit.
    kind : {"quantile", "average"}
        Which curve to compute from a fit.
    empirical : array_like or False, optional
        Scores whose empirical curve (best of ``n`` draws with replacement, shown for
        :math:`n \le N`) is drawn as a step line. Default: the fit's own scores; ``False``
        draws none.
    k_star : float or False, optional
        Regime start :math:`k^* = \ln q/\ln(1 - p)` (:func:`bayesnq.curves.regime_start`),
        drawn as a vertical line. Default for a fit: the posterior median of :math:`k^*`
        at the fit's threshold; ``False`` draws none. When :math:`k^* < 1` the legend says
        the regime starts with the first run.
    ax : matplotlib Axes, optional
    title : str, optional
    max_draws, seed : int
        Thinning of the posterior draws (fit only).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if kind not in ("quantile", "average"):
        raise ValueError(f"kind must be 'quantile' or 'average', got kind={kind!r}")
    if isinstance(fit_or_curve, curves.TuningCurve):
        curve = fit_or_curve
        fit = None
    elif _is_fit(fit_or_curve):
        fit = fit_or_curve
        size = len(np.asarray(fit.scores.values)) if getattr(fit, "scores", None) is not None else 100
        grid = _n_grid(10 * size) if n is None else n
        if kind == "quantile":
            curve = curves.tuning_curve(
                fit.draws(), grid, minimize=fit.minimize, q=q, ci=ci, max_draws=max_draws, seed=seed
            )
        else:
            curve = curves.average_tuning_curve(
                fit.draws(), grid, minimize=fit.minimize, ci=ci,
                max_draws=min(max_draws or 200, 200), seed=seed,
            )
    else:
        raise ValueError(
            "fit_or_curve must be a Fit (with draws(), minimize, scores) or a TuningCurve, "
            f"got {type(fit_or_curve).__name__}"
        )
    if empirical is None and fit is not None and getattr(fit, "scores", None) is not None:
        empirical = fit.scores.values
    if k_star is None and fit is not None and getattr(fit, "threshold", None) is not None:
        k_star = float(np.median(curves.regime_start(
            fit.draws(), float(fit.threshold), minimize=fit.minimize, q=curve.q or 0.5)))

    fig, ax = _figure_and_axes(ax, (6.4, 4.4))
    x = curve.n
    what = "average" if curve.kind == "average" else (
        "median" if curve.q == 0.5 else f"{curve.q:g}-quantile")
    ax.fill_between(x, curve.lower, curve.upper, color=_BAND, alpha=0.25, lw=0,
                    label=f"{curve.ci:.0%} credible band")
    ax.plot(x, curve.median, color=_BAND, lw=2, label=f"posterior median of the {what} curve")
    pred_label = "posterior predictive mean" if curve.kind == "average" else "posterior predictive"
    ax.plot(x, curve.predictive, color=_PRED, lw=1.5, ls="--", label=pred_label)
    if empirical is not None and empirical is not False:
        values = np.asarray(empirical, dtype=np.float64)
        ne = x[x <= values.size]
        if ne.size:
            if curve.kind == "average":
                ye = curves.empirical_average_tuning_curve(values, ne, minimize=curve.minimize)
            else:
                ye = curves.empirical_tuning_curve(values, ne, minimize=curve.minimize, q=curve.q)
            ax.plot(ne, ye, color=_DATA, lw=1.2, drawstyle="steps-post",
                    label=f"empirical (resampling {values.size} runs)")
    if k_star is not None and k_star is not False and math.isfinite(k_star):
        if k_star >= x.min():
            ax.axvline(k_star, color="0.45", ls=":", lw=1.2,
                       label=f"regime start $k^*$ = {k_star:.2g}")
        else:
            ax.plot([], [], color="0.45", ls=":", lw=1.2,
                    label=f"$k^*$ = {k_star:.2g} (tail from the first run)")
    ax.set_xscale("log")
    ax.set_xlabel("number of runs $n$ (log scale)")
    best = "lowest" if curve.minimize else "highest"
    ax.set_ylabel(f"{'expected' if curve.kind == 'average' else what} {best} score of $n$ runs")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower right" if not curve.minimize else "upper right", fontsize="small")
    if title is None:
        label = _label_of(fit) if fit is not None else ""
        title = f"Tuning curve{': ' + label if label else ''}"
    if title:
        ax.set_title(title)
    return fig


# ----------------------------------------------------------------------------- tail cdf


@partial(jax.jit, static_argnames=("minimize",))
def _truncated_cdf(params, y, threshold, minimize):
    r"""Per draw, the cdf conditional on lying beyond the threshold, on the grid ``y``."""
    d = NoisyQuadratic(params[0][:, None], params[1][:, None], params[2][:, None],
                       params[3][:, None], minimize=minimize)
    if minimize:
        # P(Y <= y | Y < tau) = F(y) / F(tau)
        return jnp.exp(jnp.minimum(d.log_cdf(y[None, :]) - d.log_cdf(threshold), 0.0))
    # P(Y <= y | Y > tau) = 1 - S(y) / S(tau)
    return -jnp.expm1(jnp.minimum(d.log_sf(y[None, :]) - d.log_sf(threshold), 0.0))


def plot_tail_cdf(
    fit,
    *,
    ci: float = 0.8,
    points: int = 300,
    max_draws: int | None = 500,
    seed: int = 0,
    ax=None,
    title: str | None = None,
):
    r"""Fitted cdf of the tail beyond the threshold, with its credible band, against the data.

    For each posterior draw the *truncated* cdf of the tail (the part of the distribution
    the fit models),

    .. math::

        G_\theta(y) = \frac{F_\theta(y) - F_\theta(\tau)}{1 - F_\theta(\tau)}, \; y > \tau
        \quad\text{(maximize)}, \qquad
        G_\theta(y) = \frac{F_\theta(y)}{F_\theta(\tau)}, \; y < \tau \quad\text{(minimize)},

    is evaluated on a grid (in log space: :math:`1 - e^{\log S(y) - \log S(\tau)}`); the
    plot shows its posterior median and equal-tailed ``ci`` band, and the empirical cdf of
    the observed scores beyond :math:`\tau`.

    Parameters
    ----------
    fit : Fit
        Needs ``draws()``, ``minimize``, ``threshold`` and ``scores``.
    ci : float, default 0.8
    points : int, default 300
        Grid size.
    max_draws, seed : see :func:`bayesnq.curves.thin`.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not _is_fit(fit) or getattr(fit, "threshold", None) is None or getattr(fit, "scores", None) is None:
        raise ValueError(
            "fit must have draws(), minimize, threshold and scores, "
            f"got {type(fit).__name__}"
        )
    ci = curves._check_level("ci", ci)
    points = curves._check_int("points", points, 2)
    tau = float(fit.threshold)
    minimize = bool(fit.minimize)
    values = np.asarray(fit.scores.values, dtype=np.float64)
    tail = np.sort(values[values < tau] if minimize else values[values > tau])
    tail = tail[np.isfinite(tail)]
    d = curves.thin(fit.draws(), max_draws, seed)
    params = np.stack([d[k] for k in PARAMETERS])
    # grid: from the threshold past the most extreme tail score (or the fitted optimum)
    best_fit = float(np.median(d["alpha"] if minimize else d["beta"]))
    noise = float(np.median(d["sigma"]))
    if minimize:
        far = min(tail.min() if tail.size else best_fit, best_fit - 2 * noise)
        span = tau - far
        y = np.linspace(far - 0.1 * span, tau, points)
    else:
        far = max(tail.max() if tail.size else best_fit, best_fit + 2 * noise)
        span = far - tau
        y = np.linspace(tau, far + 0.1 * span, points)
    g = np.asarray(_truncated_cdf(jnp.asarray(params), jnp.asarray(y), tau, minimize))
    lo, med, hi = np.quantile(g, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=0)

    fig, ax = _figure_and_axes(ax, (6.4, 4.4))
    ax.fill_between(y, lo, hi, color=_BAND, alpha=0.25, lw=0, label=f"{ci:.0%} credible band")
    ax.plot(y, med, color=_BAND, lw=2, label="fitted tail cdf (posterior median)")
    if tail.size:
        ecdf = np.arange(1, tail.size + 1) / tail.size
        xs = np.concatenate([[y[0]], tail, [y[-1]]])
        ys = np.concatenate([[0.0], ecdf, [1.0]])
        ax.plot(xs, ys, color=_DATA, lw=1.2, drawstyle="steps-post",
                label=f"empirical cdf ({tail.size} scores {'below' if minimize else 'above'} $\\tau$)")
    ax.axvline(tau, color="0.45", ls=":", lw=1.2, label=f"threshold $\\tau$ = {tau:.4g}")
    ax.set_xlabel("score")
    cond = "Y < \\tau" if minimize else "Y > \\tau"
    ax.set_ylabel(f"$P(Y \\leq y \\mid {cond})$")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left" if not minimize else "lower right", fontsize="small")
    if title is None:
        label = _label_of(fit)
        title = f"Tail beyond the threshold{': ' + label if label else ''}"
    if title:
        ax.set_title(title)
    return fig


# ----------------------------------------------------------------------------- diagnostics


def _idata(fit_or_idata):
    idata = getattr(fit_or_idata, "idata", fit_or_idata)
    if not hasattr(idata, "posterior"):
        raise ValueError(
            "expected a Fit (with idata) or an ArviZ InferenceData with a posterior group, "
            f"got {type(fit_or_idata).__name__}"
        )
    return idata


def _var_names(idata, var_names):
    available = list(idata.posterior.data_vars)
    if var_names is None:
        chosen = [v for v in _DIAGNOSTIC_VARS if v in available]
        return chosen or available
    var_names = [var_names] if isinstance(var_names, str) else list(var_names)
    missing = [v for v in var_names if v not in available]
    if missing:
        raise ValueError(f"var_names: {missing} not in the posterior (it has {available})")
    return var_names


def _figure_of(axes, tidy: bool = True):
    """The Figure of an ArviZ axes array; with ``tidy``, fewer ticks and constrained layout."""
    flat = [a for a in np.ravel(np.asarray(axes, dtype=object)) if a is not None]
    fig = flat[0].figure
    if tidy:
        from matplotlib.ticker import MaxNLocator

        for a in flat:
            if a.get_visible() and a.get_xscale() == "linear":
                a.xaxis.set_major_locator(MaxNLocator(3))
        try:
            fig.set_layout_engine("constrained")
        except RuntimeError:  # an incompatible engine is already set; keep it
            pass
    return fig


def _arviz_figure(plot, fit, var_names, tidy, **kwargs):
    """Run an ``_arviz`` plot on the fit's posterior and return its Figure."""
    idata = _idata(fit)
    names = _var_names(idata, var_names)
    with warnings.catch_warnings():
        # ArviZ 0.23 passes matplotlib 3.11 a deprecated argument on every call
        warnings.filterwarnings("ignore", message=r".*alias_mapping.*")
        axes = plot(idata, var_names=names, **kwargs)
    return _figure_of(axes, tidy=tidy)


def plot_posterior_pairs(fit, *, var_names=("alpha", "beta", "gamma", "sigma"), kind="scatter",
                         ax=None, **kwargs):
    """Pairwise scatter plots of posterior draws, with marginals (``arviz.plot_pair``).

    Parameters
    ----------
    fit : Fit or InferenceData
    var_names : sequence of str, default ("alpha", "beta", "gamma", "sigma")
    kind : {"scatter", "kde", "hexbin"}, default "scatter"
    ax : array of Axes, optional
        Shape ``(len(var_names), len(var_names))``.
    **kwargs
        Passed to ``arviz.plot_pair``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if kind not in ("scatter", "kde", "hexbin"):
        raise ValueError(f"kind must be 'scatter', 'kde' or 'hexbin', got kind={kind!r}")
    kwargs.setdefault("marginals", True)
    if kind == "scatter":
        kwargs.setdefault("scatter_kwargs", {"alpha": 0.5, "s": 8})
    if ax is None:
        side = 2.3 * len(_var_names(_idata(fit), var_names))
        kwargs.setdefault("figsize", (side, side))
    kwargs.setdefault("textsize", 10)
    return _arviz_figure(arviz_compat.plot_pair, fit, var_names, ax is None, kind=kind, ax=ax, **kwargs)


def plot_trace(fit, *, var_names=None, axes=None, **kwargs):
    """Trace plot per parameter: marginal density by chain and draws over iterations.

    Parameters
    ----------
    fit : Fit or InferenceData
    var_names : sequence of str, optional
        Default: those of alpha, beta, gamma, sigma, tail_mass in the posterior.
    axes : array of Axes, optional
        Shape ``(len(var_names), 2)``.
    **kwargs
        Passed to ``arviz.plot_trace``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    kwargs.setdefault("compact", False)
    return _arviz_figure(arviz_compat.plot_trace, fit, var_names, axes is None, axes=axes, **kwargs)


def plot_rank(fit, *, var_names=None, ax=None, **kwargs):
    """Rank plots per parameter (uniform bars when the chains mix; ``arviz.plot_rank``).

    Parameters
    ----------
    fit : Fit or InferenceData
    var_names : sequence of str, optional
        Default: those of alpha, beta, gamma, sigma, tail_mass in the posterior.
    ax : Axes or array of Axes, optional
    **kwargs
        Passed to ``arviz.plot_rank``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    return _arviz_figure(arviz_compat.plot_rank, fit, var_names, ax is None, ax=ax, **kwargs)


# ----------------------------------------------------------------------------- all


def save_all(fit, out_dir, *, dpi: int = 120) -> dict[str, str]:
    """Write tuning_curve.png, tail_cdf.png, pairs.png, trace.png and rank.png.

    Parameters
    ----------
    fit : Fit
    out_dir : str or os.PathLike
        Created when missing.
    dpi : int, default 120

    Returns
    -------
    dict of str to str
        Plot name to the path written. Figures are closed after saving.
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise ValueError(f"out_dir must be a path, got out_dir={out_dir!r}")
    dpi = curves._check_int("dpi", dpi, 1)
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    makers = {
        "tuning_curve": plot_tuning_curve,
        "tail_cdf": plot_tail_cdf,
        "pairs": plot_posterior_pairs,
        "trace": plot_trace,
        "rank": plot_rank,
    }
    written = {}
    for name, make in makers.items():
        fig = make(fit)
        path = os.path.join(os.fspath(out_dir), f"{name}.png")
        try:
            fig.savefig(path, dpi=dpi)
        finally:
            plt.close(fig)
        written[name] = path
    return written


# ----------------------------------------------------------------------------- thresholds


def plot_parameter_stability(
    fits,
    *,
    params=("beta", "gamma", "sigma"),
    ci: float = 0.9,
    chosen: float | None = None,
    axes=None,
    title: str | None = None,
):
    r"""Posterior intervals of the parameters against the threshold (parameter stability).

    The analogue of the threshold-stability plots of extreme-value practice: above the
    threshold where the asymptotic regime begins, the fitted :math:`\beta, \gamma, \sigma`
    should stay put (up to the widening of the intervals as the tail shrinks).

    Parameters
    ----------
    fits : ThresholdComparison or mapping of float to Fit
        A :func:`bayesnq.compare_thresholds` result, or fits keyed by their threshold.
    params : sequence of str, default ("beta", "gamma", "sigma")
        Posterior variables, one panel each.
    ci : float, default 0.9
        Level of the equal-tailed interval drawn around the posterior median.
    chosen : float, optional
        Threshold to mark (a dashed line); default the comparison's top-ranked candidate.
    axes : sequence of matplotlib Axes, optional
        One per parameter.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = getattr(fits, "fits", None)
    if table is not None and chosen is None:
        chosen = fits.best
    fits = table if table is not None else fits
    if not isinstance(fits, dict) or not fits or not all(_is_fit(f) for f in fits.values()):
        raise ValueError(
            "fits must be a ThresholdComparison or a non-empty dict of threshold to Fit, "
            f"got {type(fits).__name__}"
        )
    ci = curves._check_level("ci", ci)
    params = tuple(params)
    if not params:
        raise ValueError(f"params must name at least one parameter, got params={params!r}")
    taus = np.array(sorted(float(t) for t in fits))
    stats = {}
    for p in params:
        rows = []
        for t in taus:
            d = fits[t].draws()
            if p not in d:
                raise ValueError(f"params: unknown parameter {p!r}; choose from {sorted(d)}")
            rows.append(np.quantile(d[p], [(1 - ci) / 2, 0.5, (1 + ci) / 2]))
        stats[p] = np.array(rows)
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(len(params), 1, figsize=(6.4, 2.2 * len(params) + 0.6),
                                 sharex=True, layout="constrained", squeeze=False)
        axes = axes[:, 0]
    else:
        axes = list(np.ravel(axes))
        if len(axes) != len(params):
            raise ValueError(f"axes: need {len(params)} Axes, got {len(axes)}")
        fig = axes[0].figure
    for ax, p in zip(axes, params):
        lo, med, hi = stats[p].T
        ax.errorbar(taus, med, yerr=[med - lo, hi - med], fmt="o", color=_BAND, ms=4,
                    capsize=3, label=f"median, {ci:.0%} interval")
        ax.set_ylabel(p)
        ax.grid(True, alpha=0.3)
        if chosen is not None:
            ax.axvline(float(chosen), color=_PRED, ls="--", lw=1.2,
                       label=f"chosen $\\tau$ = {float(chosen):.4g}")
    axes[0].legend(fontsize="small", loc="best")
    axes[-1].set_xlabel("threshold $\\tau$")
    if title is None:
        title = "Parameter stability across thresholds"
    if title:
        axes[0].set_title(title)
    return fig


def plot_threshold_probabilities(fit, *, ax=None, title: str | None = None):
    r"""Posterior probability of each candidate threshold, :math:`P(\tau_j \mid y)`.

    Bars over the candidates of a fit with ``threshold="auto"`` (or a list), labelled by
    the share of runs beyond each candidate.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not callable(getattr(fit, "threshold_probabilities", None)):
        raise ValueError(f"fit must be a Fit with an inferred threshold, got {type(fit).__name__}")
    probs = fit.threshold_probabilities()
    fig, ax = _figure_and_axes(ax, (6.4, 3.6))
    x = np.arange(len(probs))
    ax.bar(x, probs["probability"], color=_BAND)
    ax.set_xticks(x, [f"{t:.4g}\n{f:.0%}" for t, f in zip(probs["threshold"],
                                                          probs["tail_fraction"])],
                  fontsize="x-small")
    ax.set_xlabel("threshold $\\tau$ / share of runs beyond it")
    ax.set_ylabel("$P(\\tau \\mid y)$")
    ax.grid(True, axis="y", alpha=0.3)
    if title is None:
        label = _label_of(fit)
        title = f"Where the asymptotic regime begins{': ' + label if label else ''}"
    if title:
        ax.set_title(title)
    return fig


def plot_sbc(result, *, ci_prob=0.95, axes=None, figsize=None):
    r"""SBC rank ECDF-difference plots with simultaneous bands, one panel per parameter.

    Each panel shows :math:`\hat F(u) - u` for the scaled ranks :math:`u = r / L` of
    :class:`bayesnq.studies.SBCResult`, with arviz's simultaneous ``ci_prob`` band for
    uniform ranks (``plot_ecdf(difference=True, confidence_bands=True)``). A curve leaving
    the band rejects calibration of that parameter.
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    names = list(result.ranks)
    if axes is None:
        fig, axes = plt.subplots(1, len(names), figsize=figsize or (3.2 * len(names), 3.0),
                                 squeeze=False, constrained_layout=True)
        axes = axes[0]
    else:
        axes = np.atleast_1d(axes)
        fig = axes[0].figure
    scale = max(result.num_ranks - 1, 1)
    for ax, name in zip(axes, names):
        u = np.asarray(result.ranks[name], dtype=float) / scale
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arviz_compat.plot_ecdf(u, cdf=stats.uniform(0, 1).cdf, difference=True,
                             confidence_bands=True, ci_prob=ci_prob, ax=ax,
                             rvs=stats.uniform(0, 1).rvs, random_state=0)
        ax.set_title(f"{name} (R={u.size})")
        ax.set_xlabel("scaled rank")
    axes[0].set_ylabel("ECDF - uniform")
    return fig


def plot_coverage(result, *, ax=None, figsize=None):
    r"""Failure rate against nominal for each check of a coverage study, with intervals.

    One point per (check, size, level) of :meth:`CoverageResult.table`, at x = the
    nominal failure rate :math:`1 - \ell`, with its Clopper-Pearson interval; the diagonal
    is perfect calibration.
    """
    fig, ax = _figure_and_axes(ax, figsize or (5.5, 4.5))
    table = result.table()
    checks = list(dict.fromkeys(table["check"]))
    sizes = list(dict.fromkeys(table["size"]))
    offsets = np.linspace(-0.012, 0.012, max(len(checks) * len(sizes), 1))
    i = 0
    for ci_, check in enumerate(checks):
        for size in sizes:
            rows = table[(table["check"] == check) & (table["size"] == size)]
            x = rows["nominal"].to_numpy() + offsets[i]
            y = rows["failure_rate"].to_numpy()
            err = np.vstack([y - rows["low"].to_numpy(), rows["high"].to_numpy() - y])
            ax.errorbar(x, y, yerr=err, fmt="o" if "opda" not in check else "s", ms=4,
                        color=f"C{ci_}", alpha=0.6 + 0.4 * (size == sizes[-1]),
                        label=f"{check}, n={size}", capsize=2)
            i += 1
    lim = max(0.6, float(np.nanmax(table["high"])) if len(table) else 0.6)
    ax.plot([0, lim], [0, lim], color="0.5", lw=1, ls="--")
    ax.set_xlabel("nominal failure rate (1 - level)")
    ax.set_ylabel("observed failure rate")
    ax.set_title(f"coverage: {result.settings.get('dataset', '')}")
    ax.legend(fontsize=6, ncol=1, loc="upper left")
    return fig
