"""MCMC diagnostics of a fit: pair, trace and rank plots (ArviZ, via bayesnq.arviz_compat).

Each function takes a Fit (its ``idata``) or an ArviZ InferenceData with a posterior group
and returns the matplotlib figure ArviZ drew on.
"""

from __future__ import annotations

import warnings

import numpy as np

from bayesnq import arviz_compat

__all__ = ["plot_posterior_pairs", "plot_trace", "plot_rank"]

DIAGNOSTIC_VARS = ("alpha", "beta", "gamma", "sigma", "tail_mass")


def plot_posterior_pairs(fit, *, var_names=("alpha", "beta", "gamma", "sigma"), kind="scatter",
                         ax=None, **kwargs):
    """Pairwise scatter plots of posterior draws, with marginals (``arviz.plot_pair``).

    The marginals on the diagonal are titled by their parameter and carry no density ticks.

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
    fig = _arviz_figure(arviz_compat.plot_pair, fit, var_names, ax is None, kind=kind, ax=ax,
                        **kwargs)
    _unlabel_marginals(fig, _var_names(_idata(fit), var_names))
    return fig


def _unlabel_marginals(fig, names):
    """The diagonal's marginal densities carry no y ticks and no parameter name on their y
    axis (ArviZ puts the density's ticks beside the first row's name): each is titled by
    its parameter instead."""
    k = len(names)
    for ax in fig.axes:
        row_col = _grid_position(ax, k)
        if row_col is None or row_col[0] != row_col[1]:
            continue
        ax.tick_params(axis="y", left=False, labelleft=False)
        ax.set_ylabel("")
        ax.set_title(f"{names[row_col[0]]} (marginal)", fontsize="small")


def _grid_position(ax, k):
    """(row, column) of an axes in a k x k grid of subplots, or None."""
    spec = getattr(ax, "get_subplotspec", lambda: None)()
    if spec is None:
        return None
    grid = spec.get_gridspec()
    if grid.nrows != k or grid.ncols != k:
        return None
    return spec.rowspan.start, spec.colspan.start


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
        chosen = [v for v in DIAGNOSTIC_VARS if v in available]
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
    """Run an :mod:`bayesnq.arviz_compat` plot on the fit's posterior and return its Figure."""
    idata = _idata(fit)
    names = _var_names(idata, var_names)
    with warnings.catch_warnings():
        # ArviZ 0.23 passes matplotlib 3.11 a deprecated argument on every call
        warnings.filterwarnings("ignore", message=r".*alias_mapping.*")
        axes = plot(idata, var_names=names, **kwargs)
    return _figure_of(axes, tidy=tidy)
