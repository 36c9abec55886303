r"""Coverage of the credible bands on subsamples of a full random search.

From a full search of :math:`N` runs, draw subsamples of :math:`n` runs without replacement,
fit each, and check whether the credible band of the median tuning curve covers the full
data's empirical median tuning curve (pointwise and simultaneously over :math:`k`), and
whether the interval of the best possible score covers the full-data posterior median. A
band at level :math:`\ell` should fail with probability :math:`1 - \ell`; opda's
nonparametric bands on the same subsamples are computed for comparison.
"""

from __future__ import annotations

import math
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq import curves, direction
from bayesnq.calibration.engine import run_vectorized
from bayesnq.calibration.results import CoverageResult
from bayesnq.calibration.statistics import simultaneous_band
from bayesnq.calibration.streaming import EXECUTORS, Stream, batches, digest, execute
from bayesnq.data import as_scores, check_tail
from bayesnq.inference import fit
from bayesnq.modeling import PARAMETERS, parse_resolution, parse_threshold
from bayesnq.validation import check_choice, check_int, check_levels

__all__ = ["coverage", "METHODS"]

METHODS = ("vectorized", "fit")


def _k_grid(size):
    """k = 1, 2, 4, ... up to ``size``."""
    return 2 ** np.arange(int(math.floor(math.log2(size))) + 1)


def _subsample(values, n, seed, size_index, i):
    rng = np.random.default_rng([seed, size_index, i])
    return values[np.sort(rng.choice(values.size, size=n, replace=False))]


def _coverage_task(settings, reference, batch):
    """Records of the replicates in ``batch``, all of one size (picklable for Dask)."""
    s = settings
    values = np.asarray(s["values"], dtype=float)
    minimize = s["minimize"]
    reps = s["replicates"]
    size_index = batch[0] // reps
    n = s["sizes"][size_index]
    subs, recs = [], []
    for rid in batch:
        sub = _subsample(values, n, s["seed"], size_index, rid % reps)
        rec = {"replicate": rid, "size": n, "index": rid % reps, "skipped": None}
        if s["threshold"] != "auto":
            try:
                rec["n_tail"] = check_tail(sub, s["threshold"], minimize)
            except ValueError as e:
                rec["skipped"] = str(e).split(";")[0][:200]
        subs.append(sub)
        recs.append(rec)
    fit_idx = [j for j, r in enumerate(recs) if r["skipped"] is None]
    draws_of = {}
    if fit_idx and s["method"] == "vectorized":
        pad = s["batch_size"] - len(fit_idx)
        data = np.stack([subs[j] for j in fit_idx] + [subs[fit_idx[-1]]] * pad)
        keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(s["seed"]), batch[j])
                          for j in fit_idx] * 1 + [jax.random.PRNGKey(0)] * pad)
        draws, div = run_vectorized(
            data, threshold=s["threshold"], minimize=minimize, scale=None, bound=s["best_bound"],
            floor=direction.bound_ends(s["bounds"], minimize)[0],
            resolution=s["resolution"],
            gamma_max=s["n_hyperparameters"], num_chains=s["num_chains"],
            num_warmup=s["num_warmup"], num_samples=s["num_samples"],
            target_accept_prob=s["target_accept_prob"], keys=keys)
        for m, j in enumerate(fit_idx):
            draws_of[j] = {k: v[m].reshape(-1) for k, v in draws.items()}
            recs[j]["divergences"] = int(div[m])
    elif fit_idx:
        for j in fit_idx:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = fit(subs[j], minimize=minimize, bounds=tuple(s["bounds"]),
                        resolution=s["resolution"], threshold=s["threshold"], n_hyperparameters=s["n_hyperparameters"],
                        num_chains=s["num_chains"], num_warmup=s["num_warmup"],
                        num_samples=s["num_samples"], seed=s["seed"] + batch[j],
                        progress_bar=False, check=False)
            draws_of[j] = {k: v for k, v in f.draws().items() if k in PARAMETERS}
            recs[j]["divergences"] = int(f.diagnostics()["divergences"])
            recs[j]["n_tail"] = int(f.data.tail.size)
    ks = np.asarray(reference["k_used"], dtype=float)
    ref = np.asarray(reference["curve_used"], dtype=float)
    best_name = direction.best_name(minimize)
    for j in fit_idx:
        d = draws_of[j]
        per_draw = curves.tuning_curve(d, ks, minimize=minimize, q=0.5, ci=0.8,
                                       max_draws=s["max_draws"], seed=0).draws
        for level in s["levels"]:
            tag = f"{level:g}"
            lo, hi = np.quantile(per_draw, [(1 - level) / 2, (1 + level) / 2], axis=0)
            recs[j][f"point_{tag}"] = [bool(v) for v in (lo <= ref) & (ref <= hi)]
            slo, shi = simultaneous_band(per_draw, level)
            recs[j][f"simul_{tag}"] = bool(np.all((slo <= ref) & (ref <= shi)))
            blo, bhi = np.quantile(d[best_name], [(1 - level) / 2, (1 + level) / 2])
            recs[j][f"best_{tag}"] = bool(blo <= reference["best"] <= bhi)
    if s["opda"]:
        from opda.nonparametric import EmpiricalDistribution

        lo_b = -np.inf if s["bounds"][0] is None else s["bounds"][0]
        hi_b = np.inf if s["bounds"][1] is None else s["bounds"][1]
        for j, rec in enumerate(recs):
            if rec["skipped"] is not None:
                continue
            for level in s["levels"]:
                tag = f"{level:g}"
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    f_lo, _, f_hi = EmpiricalDistribution.confidence_bands(
                        subs[j], level, lo_b, hi_b, method=s["opda_method"], n_jobs=1,
                        generator=np.random.default_rng(0))
                    c1 = f_hi.quantile_tuning_curve(ks, q=0.5, minimize=minimize)
                    c2 = f_lo.quantile_tuning_curve(ks, q=0.5, minimize=minimize)
                lo, hi = np.minimum(c1, c2), np.maximum(c1, c2)
                cov = (lo <= ref) & (ref <= hi)
                rec[f"opda_{tag}"] = [bool(v) for v in cov]
                rec[f"opda_all_{tag}"] = bool(cov.all())
    return recs


def coverage(scores, sizes=(24, 48, 96), replicates=100, levels=(0.5, 0.8, 0.95), *,
             threshold, minimize=None, bounds=None, n_hyperparameters=None, resolution=None,
             method="vectorized", num_chains=2, num_warmup=500, num_samples=500,
             target_accept_prob=0.9, max_draws=400, reference_fit=None, opda=True,
             opda_method="ld_highest_density", seed=0, batch_size=8, path=None,
             executor=None, address=None, progress_bar=False) -> CoverageResult:
    r"""Coverage of the credible bands on subsamples of a full random search.

    For each size :math:`n` in ``sizes`` and replicate :math:`r`: draw :math:`n` of the
    :math:`N` runs without replacement, fit the tail beyond ``threshold``, and check at
    :math:`k = 1, 2, 4, \dots \le N` whether the ``level`` credible band of the median
    tuning curve :math:`\tau_{1/2}(k)` covers the full data's empirical median tuning curve

    .. math::

        \hat\tau(k) = y_{(\lceil N\, 2^{-1/k} \rceil)} \quad\text{(maximize)},

    pointwise (equal-tailed quantiles of the per-draw curves at each :math:`k`) and
    simultaneously (:func:`simultaneous_band`), and whether the equal-tailed interval of
    the best possible score covers the full-data posterior median. Only :math:`k` with
    :math:`\hat\tau(k)` beyond the threshold are checked: below it the model, which
    censors the body, says nothing about the curve. With ``opda``, opda's simultaneous
    nonparametric CDF bands at the same levels, turned into tuning-curve bands
    (:math:`F_{hi}^{-1}(2^{-1/k})` to :math:`F_{lo}^{-1}(2^{-1/k})`), are checked on the
    same subsamples.

    Parameters
    ----------
    scores : Scores or array_like
        The full random search (a :class:`~bayesnq.data.Scores` supplies direction,
        bounds and the number of hyperparameters).
    sizes : sequence of int, default (24, 48, 96)
        Subsample sizes, each at most the number of runs.
    replicates : int, default 100
        Subsamples per size.
    levels : sequence of float, default (0.5, 0.8, 0.95)
    threshold : float or "auto"
        Passed to the fits. ``"auto"`` (an inferred threshold) needs ``method="fit"``.
    minimize, bounds, n_hyperparameters, resolution
        As in :func:`bayesnq.fit`.
    method : {"vectorized", "fit"}
        ``"vectorized"``: compiled NUTS over batches (continuous :math:`\gamma`);
        ``"fit"``: :func:`bayesnq.fit` per subsample.
    num_chains, num_warmup, num_samples, target_accept_prob
        NUTS settings of the subsample fits.
    max_draws : int, default 400
        Posterior draws per fit used for the tuning-curve bands.
    reference_fit : Fit, optional
        Full-data fit for the reference best score; fitted with ``bayesnq.fit`` (4 chains
        x 1000 draws) if not given.
    opda : bool, default True
    opda_method : str, default "ld_highest_density"
        ``method`` of ``EmpiricalDistribution.confidence_bands``.
    seed, batch_size, path, executor, address, progress_bar
        As in :func:`sbc`.

    Returns
    -------
    CoverageResult
    """
    scores = as_scores(scores, minimize=minimize, bounds=bounds,
                       n_hyperparameters=n_hyperparameters)
    minimize, bounds = scores.minimize, scores.bounds
    n_hyperparameters = scores.n_hyperparameters
    name = scores.name or "scores"
    values = np.asarray(scores.values, dtype=float)
    if values.ndim != 1 or values.size < 2 or not np.isfinite(values).all():
        raise ValueError(f"scores must be a 1-d array of finite numbers, got shape {values.shape}")
    try:
        sizes = tuple(int(v) for v in np.atleast_1d(sizes))
    except (TypeError, ValueError):
        raise ValueError(f"sizes must be integers, got sizes={sizes!r}") from None
    for v in sizes:
        if not 2 <= v <= values.size:
            raise ValueError(f"sizes must lie in 2..{values.size} (the number of runs), "
                             f"got sizes={sizes!r}")
    replicates = check_int("replicates", replicates, 1)
    levels = check_levels("levels", levels)
    check_choice("method", method, METHODS)
    check_choice("executor", executor, EXECUTORS)
    for nm, v, lo in (("num_chains", num_chains, 1), ("num_warmup", num_warmup, 0),
                      ("num_samples", num_samples, 1), ("max_draws", max_draws, 1),
                      ("batch_size", batch_size, 1), ("seed", seed, 0)):
        check_int(nm, v, lo)
    if isinstance(threshold, str) and threshold.strip().lower() == "auto":
        threshold = "auto"
        if method != "fit":
            raise ValueError(f"method must be 'fit' with threshold='auto', got method={method!r}")
    else:  # a number; its subsamples are checked one by one
        threshold = parse_threshold(threshold, values, minimize=minimize,
                                    forms=("number", "auto"), check=False)
    resolution, _ = parse_resolution(resolution, values)  # "auto": the full search's lattice
    best_bound = direction.bound_ends(bounds, minimize)[1]
    settings = {
        "study": "coverage", "dataset": name, "sizes": list(sizes), "replicates": replicates,
        "levels": list(levels), "threshold": threshold, "minimize": minimize,
        "bounds": list(bounds), "best_bound": best_bound, "resolution": resolution,
        "n_hyperparameters": None if n_hyperparameters is None else int(n_hyperparameters),
        "method": method, "num_chains": int(num_chains), "num_warmup": int(num_warmup),
        "num_samples": int(num_samples), "target_accept_prob": float(target_accept_prob),
        "max_draws": int(max_draws), "opda": bool(opda), "opda_method": opda_method,
        "seed": int(seed), "batch_size": int(batch_size), "data_digest": digest(values.tolist()),
    }
    header = {"bayesnq_study": "coverage", "settings": settings}
    stream = Stream(path, header, compare=("bayesnq_study", "settings"))
    reference = stream.header.get("reference")
    if reference is None:
        try:
            reference = _coverage_reference(values, minimize, threshold, bounds,
                                            n_hyperparameters, resolution, reference_fit, seed)
        except BaseException:
            stream.close()  # release the study file's lock for a retry
            raise
        stream.set_header(dict(header, reference=reference))
    settings_run = dict(settings, values=values.tolist())
    work = [b for si in range(len(sizes))
            for b in batches(replicates, batch_size)
            for b in [[si * replicates + i for i in b]]]
    execute(partial(_coverage_task, settings_run, reference), work, stream,
            executor=executor, address=address, progress=progress_bar, desc=f"coverage {name}",
            total=replicates * len(sizes))
    recs = [stream.records[i] for i in range(replicates * len(sizes))]
    return CoverageResult(records=recs, reference=reference, settings=settings)


def _coverage_reference(values, minimize, threshold, bounds, n_hyperparameters, resolution,
                        reference_fit, seed):
    """Full-data empirical median tuning curve and posterior median of the best score."""
    if reference_fit is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference_fit = fit(values, minimize=minimize, bounds=bounds,
                                resolution=resolution, threshold=threshold, n_hyperparameters=n_hyperparameters,
                                seed=seed, progress_bar=False, check=False)
    tau = float(reference_fit.threshold)
    ks = _k_grid(values.size)
    curve = curves.empirical_tuning_curve(values, ks, minimize=minimize, q=0.5)
    beyond = direction.beyond(curve, tau, minimize)
    best = float(np.median(reference_fit.draws()[direction.best_name(minimize)]))
    return {"k": ks.tolist(), "curve": curve.tolist(), "k_used": ks[beyond].tolist(),
            "curve_used": curve[beyond].tolist(), "best": best, "threshold": tau}


