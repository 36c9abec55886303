r"""The landscape bank: calibration on real landscapes whose truth is known exactly.

For each :class:`~bayesnq.calibration.bank_sources.Landscape` (every configuration of a
grid evaluated with every seed), each size :math:`n` and replicate :math:`r`:

1. **simulate** a random search of :math:`n` runs (a configuration uniformly, then one of
   its seeds uniformly: :meth:`Landscape.sample`);
2. **fix the threshold by a rule**: :func:`rule_threshold` puts :math:`\tau` midway between
   the :math:`m`-th and :math:`(m+1)`-th best scores, by default
   :math:`m = \min(\operatorname{round}(n/2), \operatorname{round}(\sqrt{12 n}))` (the
   best half of the runs up to 48, then a tail that grows like :math:`\sqrt n`, so that
   its share shrinks as the search grows: 34 of 96 runs, 55 of 256), or
   :math:`m = \max(5, \operatorname{round}(p\,n))` for a fixed share :math:`p`
   (``tail_fraction``); where those two scores tie, :math:`\tau` moves down to the next
   distinct score so that the tied group lies beyond it;
3. **fit** the tail model with the vectorized engine
   (:func:`~bayesnq.calibration.engine.run_vectorized`; continuous :math:`\gamma`, the
   landscape's bound on the best score);
4. **check** whether the equal-tailed pointwise and the simultaneous (:func:`simultaneous_band`)
   ``level`` bands of the median tuning curve cover the exact curve
   :math:`\tau_{1/2}(k)` (:meth:`Landscape.tuning_curve`) at :math:`k` in ``ks`` where the
   true curve lies beyond the search's :math:`\tau` (below it the censored model says
   nothing), and whether the equal-tailed interval of :math:`\beta` (:math:`\alpha` for
   minimize) covers the grid's true best expected score (:meth:`Landscape.best_expected`).
   opda's nonparametric confidence bands of the cdf, turned into tuning-curve bands, are
   checked on the same searches and the same :math:`k`;
5. **record the misfit signals** the search itself shows, for the regime check
   (:func:`misfit_signals`): the LOO-PIT Kolmogorov–Smirnov p-value of the tail runs, the
   largest Pareto :math:`\hat k` of its importance weights, the posterior predictive
   p-value of the tail's best score, divergences, the share of tied scores in the tail,
   and the gap between the best run and the bound in tail widths
   (:func:`~bayesnq.inference.regime.bound_gap`).

With ``threshold="auto"`` (needs ``method="fit"``) each search's fit infers :math:`\tau`
(:func:`bayesnq.fit`) and the record adds the threshold verdict
(:meth:`~bayesnq.inference.Fit.threshold_verdict`).

The study streams to ``path`` and resumes like :func:`~bayesnq.calibration.coverage`;
records are ordered replicate-first (replicate 0 of every landscape and size, then
replicate 1, ...), so a study stopped at any time has about as many replicates of every
landscape. The results are read with :func:`load_bank`
(:class:`~bayesnq.calibration.bank_results.BankResult`).
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from bayesnq import arviz_compat, curves, direction
from bayesnq.calibration.bank_results import BankResult
from bayesnq.calibration.bank_sources import Landscape, bench_landscape
from bayesnq.calibration.engine import run_vectorized
from bayesnq.calibration.statistics import simultaneous_band
from bayesnq.calibration.streaming import EXECUTORS, Stream, digest, execute
from bayesnq.distributions import NoisyQuadratic
from bayesnq.inference.regime import bound_gap, excess_ties, tied_share
from bayesnq.modeling import PARAMETERS, detect_resolution, parse_resolution
from bayesnq.validation import check_choice, check_int, check_levels, check_real, fail

__all__ = ["bank", "load_bank", "rule_threshold", "misfit_signals", "opda_bands", "DEFAULT_KS"]

DEFAULT_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
ROOT_RULE = 12  # the default rule's tail: round(sqrt(ROOT_RULE * n)) runs, at most half
_METHODS = ("vectorized", "fit")


def rule_threshold(values, minimize, tail_fraction="root", min_tail=5):
    r"""The fixed-threshold rule of the bank study: :math:`m` runs beyond :math:`\tau`.

    ``tail_fraction="root"`` (default): :math:`m = \min(\operatorname{round}(n/2),
    \operatorname{round}(\sqrt{12 n}))`, half the runs up to :math:`n = 48` and a shrinking
    share beyond (in extreme-value practice the tail grows more slowly than the sample, so
    that the bias of the asymptotic form shrinks with it); a number :math:`p`:
    :math:`m = \operatorname{round}(p\,n)`; either way at least ``min_tail``.
    With scores oriented to maximize and sorted best first, :math:`s_1 \ge s_2 \ge \dots`:
    :math:`\tau = (s_m + s_{m+1})/2`. If :math:`s_m = s_{m+1}` (a tie across the cut),
    :math:`\tau` is the midpoint between that value and the next lower distinct score, so
    that the whole tied group lies beyond :math:`\tau`. Returns None when no threshold
    leaves ``min_tail`` runs beyond it with runs below it.
    """
    s = np.sort(direction.orient(np.asarray(values, dtype=float), minimize))[::-1]
    want = (min(round(s.size / 2), round(math.sqrt(ROOT_RULE * s.size)))
            if tail_fraction == "root" else round(tail_fraction * s.size))
    m = int(min(s.size - 1, max(min_tail, want)))
    if m < min_tail:
        return None
    hi = s[m - 1]
    lower = s[s < hi]
    if lower.size == 0:
        return None
    t = 0.5 * (hi + lower[0])
    return float(direction.to_user(t, minimize))


@jax.jit
def _signal_terms(a, b, g, s, tail, t):
    """Per draw x tail run: log f(y) and the tail's conditional cdf G(y) (maximize form)."""
    nq = NoisyQuadratic(a[:, None], b[:, None], g[:, None], s[:, None])
    y = tail[None, :]
    cond = -jnp.expm1(nq.log_sf(y) - nq.log_sf(t))
    return nq.log_prob(y), cond


def misfit_signals(draws, values, threshold, minimize, max_draws=400):
    r"""Misfit signals of one fit: LOO-PIT, Pareto :math:`\hat k`, a tail predictive check.

    In the maximize orientation, with tail runs :math:`y_i > \tau` (:math:`m` of them)
    and posterior draws :math:`s` (at most ``max_draws``, evenly spaced):

    - **LOO-PIT**: :math:`u_i = \sum_s w_{is} G_s(y_i)` with the tail's conditional cdf
      :math:`G_s(y) = (F_s(y) - F_s(\tau)) / (1 - F_s(\tau))` and Pareto-smoothed
      weights :math:`w_{is} \propto 1/f_s(y_i)`; ``pit_p`` is the Kolmogorov–Smirnov
      p-value of :math:`u` against uniform, ``pareto_k`` the largest :math:`\hat k`.
    - **Posterior predictive check of the tail's best**: given :math:`s`, the best of
      :math:`m` tail runs has cdf :math:`G_s(y)^m`, so
      :math:`p^+ = \frac1S\sum_s (1 - G_s(y_{\max})^m)` is the probability that a
      replicated tail's best is at least the observed one; ``ppc_best_p`` is the two-sided
      :math:`\min(1, 2\min(p^+, 1 - p^+))`.

    The densities are evaluated by one compiled program per (draws, power of two of the
    tail size): the tail is padded by repeating its last run, and the padding dropped.

    Returns
    -------
    dict with ``pit_p``, ``pareto_k`` and ``ppc_best_p`` (NaN with fewer than 2 tail runs).
    """
    from scipy import stats

    y = direction.orient(np.asarray(values, dtype=float), minimize)
    t = float(direction.orient(float(threshold), minimize))
    tail = np.sort(y[y > t])
    m = tail.size
    if m < 2:
        return {"pit_p": math.nan, "pareto_k": math.nan, "ppc_best_p": math.nan}
    total = np.asarray(draws["alpha"]).size
    idx = np.unique(np.linspace(0, total - 1, min(total, int(max_draws))).round().astype(int))
    a, b = direction.orient_ends(*(np.asarray(draws[k], dtype=float).reshape(-1)[idx]
                                   for k in ("alpha", "beta")), minimize)
    g, s = (np.asarray(draws[k], dtype=float).reshape(-1)[idx] for k in ("gamma", "sigma"))
    width = 1 << int(math.ceil(math.log2(m)))
    padded = np.concatenate([tail, np.full(width - m, tail[-1])])
    log_f, cond = (np.asarray(v)[:, :m] for v in _signal_terms(a, b, g, s, padded, t))
    log_w, k_hat = arviz_compat.psislw(-log_f.T)
    pit = np.clip((np.exp(np.asarray(log_w)) * cond.T).sum(-1), 0.0, 1.0)
    g_best = np.clip(cond[:, -1], 0.0, 1.0)  # the tail is sorted: its best is last
    p_plus = float(np.mean(-np.expm1(m * np.log(np.maximum(g_best, 1e-300)))))
    ks = stats.kstest(pit, "uniform")
    return {"pit_p": float(ks.pvalue), "pareto_k": float(np.max(k_hat)),
            "ppc_best_p": float(min(1.0, 2 * min(p_plus, 1 - p_plus)))}


def _fit_search(s, search, tau, key, replicate, resolution):
    """Posterior draws (flat), divergences and, for an inferred tau, the fit's verdict."""
    minimize = s["minimize"]
    if s["method"] == "vectorized":
        draws, div = run_vectorized(
            search[None], threshold=tau, minimize=minimize, scale=None, bound=s["best_bound"],
            floor=direction.bound_ends(s["bounds"], minimize)[0],
            resolution=resolution, gamma_max=s["n_hyperparameters"],
            num_chains=s["num_chains"], num_warmup=s["num_warmup"],
            num_samples=s["num_samples"], target_accept_prob=s["target_accept_prob"],
            keys=key[None], devices=1)
        return {k: v[0].reshape(-1) for k, v in draws.items()}, int(div[0]), tau, None
    from bayesnq.inference import fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = fit(search, minimize=minimize, bounds=tuple(s["bounds"]),
                resolution=resolution, threshold=s["threshold"] if tau is None else tau,
                n_hyperparameters=s["n_hyperparameters"], num_chains=s["num_chains"],
                num_warmup=s["num_warmup"], num_samples=s["num_samples"],
                target_accept_prob=s["target_accept_prob"], seed=s["seed"] + replicate,
                progress_bar=False, check=False)
        verdict = f.threshold_verdict()["kind"] if f.thresholds is not None else None
    d = {k: np.asarray(v).reshape(-1) for k, v in f.draws().items() if k in PARAMETERS}
    div = int(f.diagnostics()["divergences"])
    return d, div, float(f.threshold), verdict


@lru_cache(maxsize=64)
def _opda_weights(n, level, method):
    """opda's band weights on the sorted points ``[a, y_(1), ..., y_(n), b]``.

    opda's bands (``EmpiricalDistribution.confidence_bands``) are distribution-free: the
    lower and upper cdfs put weights on the order statistics that depend only on ``n``,
    the level and the method, so they are computed once on ``1..n`` (generator seeded 0,
    as for every search) and laid on each search's order statistics.
    """
    from opda.nonparametric import EmpiricalDistribution

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f_lo, _, f_hi = EmpiricalDistribution.confidence_bands(
            np.arange(1.0, n + 1), level, 0.0, n + 1.0, method=method, n_jobs=1,
            generator=np.random.default_rng(0))
    return tuple(np.asarray(f.ws)[np.argsort(f.ys, kind="stable")] for f in (f_lo, f_hi))


def opda_bands(search, ks, level, *, bounds, minimize, method="ld_highest_density"):
    """opda's nonparametric band of the median tuning curve at ``ks`` on one search.

    The simultaneous ``level`` confidence bands of the cdf (opda's
    ``EmpiricalDistribution.confidence_bands`` with ``method``, bounds ``a``, ``b`` as the
    support's ends) turned into tuning-curve bands: the upper cdf band gives the low
    curve and the lower one the high curve. Returns ``(low, high)``.
    """
    from opda.nonparametric import EmpiricalDistribution

    y = np.sort(np.asarray(search, dtype=float))
    a = -np.inf if bounds[0] is None else float(bounds[0])
    b = np.inf if bounds[1] is None else float(bounds[1])
    points = np.concatenate([[a], y, [b]])
    curves_ = []
    for w in _opda_weights(y.size, float(level), method):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = EmpiricalDistribution(points, ws=w / w.sum(), a=a, b=b)
            curves_.append(f.quantile_tuning_curve(ks, q=0.5, minimize=minimize))
    return np.minimum(*curves_), np.maximum(*curves_)


def _bank_task(settings, landscapes, truth, batch):
    """Records of the replicates in ``batch`` (picklable for Dask)."""
    s = settings
    minimize = s["minimize_of"]
    out = []
    n_l, n_s = len(s["landscapes"]), len(s["sizes"])
    ks = np.asarray(s["ks"], dtype=float)
    for rid in batch:
        i, rest = divmod(rid, n_l * n_s)
        si, li = divmod(rest, n_l)
        name, n = s["landscapes"][li], s["sizes"][si]
        land, tr = landscapes[li], truth[name]
        sl = dict(s, minimize=minimize[li], bounds=list(land.bounds),
                  best_bound=direction.bound_ends(land.bounds, minimize[li])[1],
                  n_hyperparameters=land.n_hyperparameters)
        search = land.sample(n, np.random.default_rng([s["seed"], li, si, i]))
        rec = {"replicate": rid, "landscape": name, "size": n, "index": i, "skipped": None}
        tau = None
        if s["threshold"] == "rule":
            tau = rule_threshold(search, minimize[li], s["tail_fraction"])
            if tau is None:
                rec["skipped"] = "no threshold leaves 5 runs beyond it"
                out.append(rec)
                continue
        key = jax.random.fold_in(jax.random.PRNGKey(s["seed"]), rid)
        resolution = (parse_resolution("auto", search)[0] if s["resolution"] == "auto"
                      else s["resolution"])
        d, div, tau, verdict = _fit_search(sl, search, tau, key, rid, resolution)
        curve = np.asarray(tr["curve"])
        checked = direction.beyond(curve, tau, minimize[li])
        tail = search[direction.beyond(search, tau, minimize[li])]
        rec.update(tau=tau, n_tail=int(tail.size), divergences=div, verdict=verdict,
                   resolution=resolution,
                   tail_tied=tied_share(tail),
                   checked=[bool(c) for c in checked])
        rec.update(misfit_signals(d, search, tau, minimize[li], s["max_draws"]))
        rec["bound_gap"] = bound_gap(search, tau, sl["best_bound"], minimize[li])
        rec["tail_tied_excess"] = excess_ties(
            tail, resolution if resolution is not None else detect_resolution(tail)[0])
        best = d[direction.best_name(minimize[li])]
        per_draw = curves.tuning_curve(d, ks, minimize=minimize[li], q=0.5, ci=0.8,
                                       max_draws=s["max_draws"], seed=0).draws
        for level in s["levels"]:
            tag = f"{level:g}"
            lo, hi = np.quantile(per_draw, [(1 - level) / 2, (1 + level) / 2], axis=0)
            cov = (lo <= curve) & (curve <= hi)
            rec[f"point_{tag}"] = [bool(c) if k else None for c, k in zip(cov, checked)]
            if checked.any():
                slo, shi = simultaneous_band(per_draw[:, checked], level)
                rec[f"simul_{tag}"] = bool(np.all((slo <= curve[checked])
                                                  & (curve[checked] <= shi)))
            else:
                rec[f"simul_{tag}"] = None
            blo, bhi = np.quantile(best, [(1 - level) / 2, (1 + level) / 2])
            rec[f"best_{tag}"] = bool(blo <= tr["best"] <= bhi)
            if s["opda"]:
                olo, ohi = opda_bands(search, ks, level, bounds=land.bounds,
                                      minimize=minimize[li], method=s["opda_method"])
                ocov = (olo <= curve) & (curve <= ohi)
                rec[f"opda_{tag}"] = [bool(c) for c in ocov]
                rec[f"opda_all_{tag}"] = bool(ocov[checked].all()) if checked.any() else None
        rec["best_quantiles"] = [float(v) for v in np.quantile(best, [0.025, 0.5, 0.975])]
        out.append(rec)
    return out


def bank(landscapes=None, sizes=(24, 48, 96, 256), replicates=20, levels=(0.5, 0.8, 0.95), *,
         threshold="rule", tail_fraction="root", ks=DEFAULT_KS, method="vectorized",
         resolution=None, num_chains=2, num_warmup=500, num_samples=500,
         target_accept_prob=0.9, max_draws=400, opda=True, opda_method="ld_highest_density",
         seed=0, batch_size=4, path=None, executor=None, address=None,
         progress_bar=False) -> BankResult:
    r"""Calibration of the bands on landscapes whose tuning curves are known exactly.

    Parameters
    ----------
    landscapes : sequence of Landscape or str, optional
        :class:`~bayesnq.calibration.bank_sources.Landscape` objects or names of
        :data:`~bayesnq.calibration.bank_sources.BANK_LANDSCAPES` (loaded with
        :func:`~bayesnq.calibration.bank_sources.bench_landscape`, the ``bench`` extra);
        default all 15.
    sizes : sequence of int, default (24, 48, 96, 256)
        Runs per simulated search.
    replicates : int, default 20
        Searches per landscape and size.
    levels : sequence of float, default (0.5, 0.8, 0.95)
    threshold : "rule" or "auto"
        ``"rule"``: :func:`rule_threshold` on each search (fixed :math:`\tau`);
        ``"auto"``: :math:`\tau` inferred by each fit (needs ``method="fit"``).
    tail_fraction : "root" or float, default "root"
        The rule of :func:`rule_threshold`: ``"root"`` (half the runs up to 48, then
        :math:`\operatorname{round}(\sqrt{12 n})`) or a fixed share :math:`p`.
    ks : sequence of float, default 1, 2, 4, ..., 256
        Numbers of runs at which the curves are compared.
    method : {"vectorized", "fit"}
    resolution : float, "auto" or None
        Passed to the fits: one number for every landscape, or ``"auto"``, a lattice
        detected on each search (:func:`~bayesnq.modeling.detect_resolution`; recorded
        per search as ``resolution``).
    num_chains, num_warmup, num_samples, target_accept_prob, max_draws
        NUTS settings and the draws used for the bands.
    opda, opda_method
        opda's bands on the same searches (``EmpiricalDistribution.confidence_bands``).
    seed, batch_size, path, executor, address, progress_bar
        As in :func:`~bayesnq.calibration.coverage`.

    Returns
    -------
    BankResult
    """
    if landscapes is None:
        from bayesnq.calibration.bank_sources import BANK_LANDSCAPES
        landscapes = BANK_LANDSCAPES
    if isinstance(landscapes, (str, Landscape)):
        landscapes = [landscapes]
    try:
        sizes = tuple(int(v) for v in np.atleast_1d(sizes))
    except (TypeError, ValueError):
        raise fail("sizes", "integers >= 8", sizes) from None
    if not sizes or min(sizes) < 8:
        raise fail("sizes", "integers >= 8", sizes)
    replicates = check_int("replicates", replicates, 1)
    levels = check_levels("levels", levels)
    check_choice("threshold", threshold, ("rule", "auto"))
    check_choice("method", method, _METHODS)
    if threshold == "auto" and method != "fit":
        raise fail("method", "'fit' with threshold='auto'", method)
    if not (isinstance(tail_fraction, str) and tail_fraction == "root"):
        tail_fraction = check_real("tail_fraction", tail_fraction, low=0, high=1,
                                   low_open=True, high_open=True)
    ks_arr = np.atleast_1d(np.asarray(ks, dtype=float))
    if ks_arr.ndim != 1 or ks_arr.size == 0 or not np.all(np.isfinite(ks_arr)) \
            or np.any(ks_arr < 1):
        raise fail("ks", "numbers of runs >= 1", ks)
    check_choice("executor", executor, EXECUTORS)
    for nm, v, lo in (("num_chains", num_chains, 1), ("num_warmup", num_warmup, 0),
                      ("num_samples", num_samples, 1), ("max_draws", max_draws, 1),
                      ("batch_size", batch_size, 1), ("seed", seed, 0)):
        check_int(nm, v, lo)
    if resolution is not None and not (isinstance(resolution, str)
                                       and resolution.strip().lower() == "auto"):
        resolution = check_real("resolution", resolution, low=0, low_open=True)
    elif resolution is not None:
        resolution = "auto"
    lands = [bench_landscape(x) if isinstance(x, str) else x for x in landscapes]
    for x in lands:
        if not isinstance(x, Landscape):
            raise fail("landscapes", "Landscape objects or bank names", x)
    names = [x.name for x in lands]
    if len(set(names)) != len(names):
        raise fail("landscapes", "landscapes of distinct names", names)
    truth = {x.name: {"curve": x.tuning_curve(ks_arr).tolist(), "best": x.best_expected(),
                      "minimize": x.minimize} for x in lands}
    settings = {
        "study": "bank", "landscapes": names, "sizes": list(sizes),
        "replicates": replicates, "levels": list(levels), "threshold": threshold,
        "tail_fraction": tail_fraction if tail_fraction == "root" else float(tail_fraction),
        "ks": ks_arr.tolist(), "method": method,
        "resolution": resolution, "num_chains": int(num_chains),
        "num_warmup": int(num_warmup), "num_samples": int(num_samples),
        "target_accept_prob": float(target_accept_prob), "max_draws": int(max_draws),
        "opda": bool(opda), "opda_method": opda_method, "seed": int(seed),
        "batch_size": int(batch_size), "minimize_of": [x.minimize for x in lands],
        "data_digest": digest([[x.name, x.metric, x.shape, float(np.nansum(x.scores)),
                                list(x.bounds), x.n_hyperparameters] for x in lands]),
    }
    header = {"bayesnq_study": "bank", "settings": settings, "truth": truth}
    stream = Stream(path, header, compare=("bayesnq_study", "settings"))
    per_round = len(lands) * len(sizes)
    total = replicates * per_round
    ids = list(range(total))  # replicate-first: every landscape and size, then the next
    work = [ids[j:j + batch_size] for j in range(0, total, batch_size)]
    execute(partial(_bank_task, settings, lands, truth), work, stream, executor=executor,
            address=address, progress=progress_bar, desc="bank", total=total)
    recs = [stream.records[i] for i in range(total)]
    return BankResult(records=recs, truth=truth, settings=settings)


def load_bank(path) -> BankResult:
    """A bank study's result from its file, with the replicates finished so far."""
    return BankResult.load(path)
