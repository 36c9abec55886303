"""The landscape figure: a summary of a :class:`bayesnq.landscape.LandscapeResult`."""

from __future__ import annotations

import numpy as np

from bayesnq.landscape import LandscapeResult
from bayesnq.validation import check_array, check_finite, fail

__all__ = ["plot_landscape"]


def plot_landscape(result, gamma_draws=None):
    """Figure summarising a :class:`LandscapeResult`.

    Panels: score against distance to the best run (local optima marked, failed runs grey);
    the 2-D PCA projection of the encoded configurations coloured by score; the Hessian
    eigen-spectrum of the local quadratic with bootstrap intervals; with ``gamma_draws``, the
    posterior of the NQ :math:`\\gamma` beside the Hessian's effective dimension (PR and
    :math:`n_{10}`); with learning curves, the fidelity similarity curves.

    Parameters
    ----------
    result : LandscapeResult
    gamma_draws : array_like, optional
        Posterior draws of :math:`\\gamma` from a tail fit.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, LandscapeResult):
        raise fail("result", "a LandscapeResult", result)
    if gamma_draws is not None:
        gamma_draws = check_finite("gamma_draws",
                                   check_array("gamma_draws", gamma_draws, ndim=1, min_size=1))
    panels = [_panel_distance, _panel_pca, _panel_spectrum]
    if gamma_draws is not None:
        panels.append(_panel_gamma)
    if result.fidelity is not None:
        panels.append(_panel_fidelity)
    ncols = 3 if len(panels) > 4 else 2
    nrows = -(-len(panels) // ncols)
    fig = plt.figure(figsize=(5.2 * ncols, 4.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, panel in zip(axes, panels):
        panel(ax, result, gamma_draws)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"Landscape of {result.name} (k={result.settings['k']}, "
                 f"{'minimize' if result.settings['minimize'] else 'maximize'})")
    return fig


def _score_label(result):
    return "score (lower is better)" if result.settings["minimize"] else "score"


def _panel_distance(ax, result, _):
    sub = result.subsets["all"]
    y = sub.graph.y
    failed = result.failed[sub.index]
    dist = sub.distance_to_best
    small = 4 if y.size > 5000 else 12
    ax.scatter(dist[~failed], y[~failed], s=small, c="C0", alpha=0.6, label="runs",
               rasterized=True)
    if failed.any():
        ax.scatter(dist[failed], y[failed], s=small, c="0.6", marker="x", alpha=0.6,
                   label="failed", rasterized=True)
    opt = sub.is_optimum
    ax.scatter(dist[opt], y[opt], s=28, facecolors="none", edgecolors="C3",
               label=f"local optima ({int(opt.sum())})")
    best = int(np.argmax(sub.graph.g))
    ax.scatter([0.0], [y[best]], s=90, marker="*", c="gold", edgecolors="k", label="best")
    ax.set_xlabel("distance to best (encoded)")
    ax.set_ylabel(_score_label(result))
    fdc_value = sub.measures["fdc_best"]
    ax.set_title(f"score vs distance (FDC {fdc_value:+.2f})")
    ax.legend(fontsize=7, loc="best")


def _panel_pca(ax, result, _):
    sub = result.subsets["all"]
    u = sub.graph.u
    centred = u - u.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt[:2].T
    if proj.shape[1] == 1:
        proj = np.column_stack([proj[:, 0], np.zeros(u.shape[0])])
    share = s ** 2 / max(float((s ** 2).sum()), 1e-300)
    y = sub.graph.y
    order = np.argsort(sub.graph.g)
    sc = ax.scatter(proj[order, 0], proj[order, 1], c=y[order], s=4 if y.size > 5000 else 12,
                    cmap="viridis_r" if result.settings["minimize"] else "viridis",
                    rasterized=True)
    best = int(np.argmax(sub.graph.g))
    ax.scatter([proj[best, 0]], [proj[best, 1]], s=90, marker="*", c="gold", edgecolors="k")
    ax.figure.colorbar(sc, ax=ax, label=_score_label(result))
    ax.set_xlabel(f"PC1 ({share[0]:.0%})")
    ax.set_ylabel(f"PC2 ({share[1]:.0%})" if share.size > 1 else "PC2")
    ax.set_title("PCA of encoded configurations")


def _main_quadratic(result):
    sub = result.subsets.get("non-failed", result.subsets["all"])
    return sub.quadratic if sub.quadratic is not None else result.subsets["all"].quadratic


def _panel_spectrum(ax, result, _):
    qf = _main_quadratic(result)
    if qf is None:
        ax.text(0.5, 0.5, "too few runs for a quadratic", ha="center", va="center")
        ax.set_axis_off()
        return
    j = np.arange(1, qf.eigenvalues.size + 1)
    err = np.abs(qf.eigenvalue_interval - qf.eigenvalues[:, None]).T
    ax.errorbar(j, qf.eigenvalues, yerr=err, fmt="o", capsize=3, color="C0")
    ax.axhline(0.0, color="k", lw=0.8)
    labels = [qf.names[int(np.abs(qf.eigenvectors[:, i]).argmax())] for i in range(j.size)]
    ax.set_xticks(j, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Hessian eigenvalue (oriented)")
    ax.set_title(f"local quadratic: PR {qf.participation_ratio:.2f}, n10 {qf.n_curved}, "
                 f"R² {qf.r2:.2f}", fontsize=10)


def _panel_gamma(ax, result, gamma_draws):
    qf = _main_quadratic(result)
    values, counts = np.unique(np.round(gamma_draws, 6), return_counts=True)
    if values.size <= 20:
        ax.bar(values, counts / counts.sum(), width=0.6, color="C2", alpha=0.7,
               label="NQ tail fit γ")
    else:
        ax.hist(gamma_draws, bins=30, density=True, color="C2", alpha=0.7, label="NQ tail fit γ")
    if qf is not None:
        lo, hi = qf.participation_interval
        ax.axvspan(lo, hi, color="C1", alpha=0.2)
        ax.axvline(qf.participation_ratio, color="C1", lw=2, label="Hessian PR")
        ax.axvline(qf.n_curved, color="C3", ls="--", label="Hessian n10")
    ax.set_xlabel("effective dimension γ")
    ax.set_ylabel("posterior share")
    ax.set_title("tail-fit γ vs Hessian effective dimension", fontsize=10)
    ax.legend(fontsize=7)


def _panel_fidelity(ax, result, _):
    for key, style in (("all", "-"), ("non-failed", "--")):
        prof = result.fidelity.get(key)
        if prof is None or (key != "all" and result.subsets[key].name == "all"):
            continue
        for meas, color in (("spearman", "C0"), ("kendall", "C1"), ("top_iou", "C2")):
            ax.plot(prof["fraction"], prof[meas], style, marker="o", color=color,
                    label=f"{meas} ({key})")
    ax.set_xlabel("fraction of each run's budget")
    ax.set_ylabel("similarity to final score")
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.02)
    ax.set_title("can I tune at low fidelity?", fontsize=10)
    ax.legend(fontsize=7)
