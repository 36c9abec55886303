r"""``fit_many``: one NUTS fit over several searches, :math:`\gamma` shared or partially pooled.

The model is :func:`bayesnq.modeling.pooled.pooled_model`: each search keeps its own
threshold, :math:`\beta`, :math:`\alpha` (through its tail mass) and :math:`\sigma`;
:math:`\gamma` (and optionally :math:`\sigma`) is one parameter for all
(``pooling="shared"``) or drawn from a common distribution whose spread is learned
(``pooling="partial"``). The per-run log-likelihood stored with the fit is the one censored
likelihood (:func:`bayesnq.modeling.loglik_draws`), so PSIS-LOO of the pooled fit and of
separate fits score the same runs with the same terms:
:meth:`PooledFit.compare_separate` sets the pooled model's :math:`\mathrm{elpd}_{loo}`
against the sum of the separate fits' and gives the standard error of the difference from
the pointwise differences, :math:`\mathrm{se} = \sqrt{N \operatorname{var}_i(\Delta_i)}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import MCMC, NUTS, init_to_value

from bayesnq import arviz_compat, direction
from bayesnq.data import as_scores
from bayesnq.inference.fit import check_best_finite, check_settings
from bayesnq.inference.nuts import TARGET_ACCEPT_PROB
from bayesnq.inference.posterior import tail_mass_draws
from bayesnq.modeling import PARAMETERS, Priors, TailData, loglik_draws, parse_threshold
from bayesnq.modeling.pooled import POOLINGS, SHAREABLE, pooled_initial_values, pooled_model
from bayesnq.sampler_defaults import NUM_CHAINS, NUM_SAMPLES, NUM_WARMUP, SEED
from bayesnq.validation import check_bool, check_choice, check_real, fail

__all__ = ["fit_many", "PooledFit"]

SMALL_ELPD = 4.0  # elpd differences below this are small whatever their se (Sivula et al.)
HYPER_SITES = ("log_gamma", "log_gamma_mean", "log_gamma_sd", "sigma_rel", "log_sigma_sd")


@dataclass
class PooledFit:
    """Result of :func:`fit_many`.

    Attributes
    ----------
    idata : arviz.InferenceData
        ``posterior``: ``alpha``, ``beta``, ``gamma``, ``sigma``, ``tail_mass`` on the
        dimension ``search`` (user units), and the shared sites (``log_gamma``, or
        ``log_gamma_mean`` and the pooling spread ``log_gamma_sd``; ``sigma_rel``,
        ``log_sigma_sd`` when sigma is shared); ``log_likelihood`` ``y`` with one entry per
        run of every search, searches one after the other (``run_search`` says whose);
        ``observed_data``; ``sample_stats``.
    """

    names: tuple
    share: tuple
    pooling: str
    minimize: bool
    thresholds: dict
    scores: dict
    datas: tuple = field(repr=False)
    idata: object = field(repr=False)
    settings: dict = field(repr=False)
    run_search: np.ndarray = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def draws(self, name) -> dict[str, np.ndarray]:
        """Flat draws of one search's alpha, beta, gamma, sigma, tail_mass (user units)."""
        if name not in self.names:
            raise fail("name", f"one of {list(self.names)}", name)
        post = self.idata.posterior.sel(search=name)
        return {k: np.asarray(post[k]).reshape(-1) for k in (*PARAMETERS, "tail_mass")}

    def diagnostics(self) -> dict:
        """r-hat and bulk ESS of every reported parameter; divergences."""
        names = [*PARAMETERS, *(k for k in HYPER_SITES if k in self.idata.posterior)]
        rhat = arviz_compat.rhat(self.idata, var_names=names)
        ess = arviz_compat.ess(self.idata, var_names=names)
        return {"r_hat_max": max(float(np.max(rhat[k])) for k in names),
                "ess_bulk_min": min(float(np.min(ess[k])) for k in names),
                "divergences": int(np.asarray(self.idata.sample_stats["diverging"]).sum())}

    def summary(self, ci=0.9):
        """Table indexed by (search, parameter): mean, sd, median and the ``ci`` interval.

        Per search the best score, gamma, sigma, the other end and the tail mass; then the
        shared sites under search ``"(shared)"`` (``gamma`` itself when shared).
        """
        import pandas as pd

        lo_q, hi_q = (1 - ci) / 2, (1 + ci) / 2
        best, other = direction.best_name(self.minimize), direction.other_name(self.minimize)
        rows = []

        def row(search, label, x):
            x = np.asarray(x).reshape(-1)
            rows.append({"search": search, "parameter": label, "mean": float(x.mean()),
                         "sd": float(x.std(ddof=1)), "median": float(np.median(x)),
                         f"{lo_q:.0%}": float(np.quantile(x, lo_q)),
                         f"{hi_q:.0%}": float(np.quantile(x, hi_q))})

        for name in self.names:
            d = self.draws(name)
            for key in (best, "gamma", "sigma", other, "tail_mass"):
                row(name, key, d[key])
        post = self.idata.posterior
        for key in HYPER_SITES:
            if key in post:
                value = np.exp(post[key]) if key == "log_gamma" else post[key]
                row("(shared)", "gamma" if key == "log_gamma" else key, value)
        df = pd.DataFrame(rows).set_index(["search", "parameter"])
        df.attrs.update(share=list(self.share), pooling=self.pooling, minimize=self.minimize,
                        thresholds=dict(self.thresholds), **self.diagnostics())
        return df

    def loo(self):
        """PSIS-LOO of the pooled model over every run (:func:`bayesnq.arviz_compat.loo`)."""
        if "loo" not in self._cache:
            self._cache["loo"] = arviz_compat.loo(self.idata, pointwise=True)
        return self._cache["loo"]

    def compare_separate(self, separate=None, **fit_kwargs):
        r"""PSIS-LOO of the pooled fit against separate fits of the same searches.

        Parameters
        ----------
        separate : dict of Fit, optional
            One fit per search (:func:`bayesnq.fit` at the same threshold); default: fitted
            here with the pooled fit's settings (``fit_kwargs`` override them).

        Returns
        -------
        pandas.DataFrame
            Rows ``pooled`` and ``separate`` (the sum over searches): ``elpd_loo``, ``se``,
            ``p_loo``, ``d_elpd`` (row minus the better row, 0 for the better) and ``d_se``
            (standard error of the pointwise difference); ``attrs["per_search"]`` holds
            each search's elpd under both, ``attrs["verdict"]`` a sentence: sharing is
            *supported* when the pooled elpd is higher, *clearly* so when the difference
            exceeds both 2 se and :data:`SMALL_ELPD` (4), *not rejected* when separate
            fits are higher by less than that, and *not supported* otherwise.
        """
        import pandas as pd

        from bayesnq.inference.fit import fit as fit_one

        if separate is None:
            s = self.settings
            kwargs = dict(n_hyperparameters=s["n_hyperparameters"], bounds=s["bounds"],
                          priors=s["priors"], num_chains=s["num_chains"],
                          num_warmup=s["num_warmup"], num_samples=s["num_samples"],
                          seed=s["seed"], progress_bar=s["progress_bar"],
                          target_accept_prob=s["target_accept_prob"], check=False)
            kwargs.update(fit_kwargs)
            separate = {name: fit_one(self.scores[name], minimize=self.minimize,
                                      threshold=self.thresholds[name], **kwargs)
                        for name in self.names}
        missing = [n for n in self.names if n not in separate]
        if missing:
            raise fail("separate", f"a fit for each of {list(self.names)}", sorted(separate))
        pooled = self.loo()
        pooled_i = np.asarray(pooled["loo_i"]).reshape(-1)
        parts = [arviz_compat.loo(separate[name].idata, pointwise=True) for name in self.names]
        sep_i = np.concatenate([np.asarray(p["loo_i"]).reshape(-1) for p in parts])
        if sep_i.size != pooled_i.size:
            raise fail("separate", f"fits of the same runs ({pooled_i.size} in all)",
                       f"fits of {sep_i.size} runs")
        diff = pooled_i - sep_i
        d_se = float(np.sqrt(diff.size * diff.var(ddof=1))) if diff.size > 1 else 0.0
        total = float(diff.sum())
        table = pd.DataFrame({
            "elpd_loo": [float(pooled["elpd_loo"]), float(sep_i.sum())],
            "se": [float(pooled["se"]), float(np.sqrt(sum(float(p["se"]) ** 2 for p in parts)))],
            "p_loo": [float(pooled["p_loo"]), float(sum(float(p["p_loo"]) for p in parts))],
            "d_elpd": [min(total, 0.0), min(-total, 0.0)],
            "d_se": [0.0 if total >= 0 else d_se, 0.0 if total < 0 else d_se],
        }, index=pd.Index(["pooled", "separate"], name="model"))
        offsets = np.cumsum([0] + [d.n for d in self.datas])
        per = {name: {"pooled": float(pooled_i[a:b].sum()), "separate": float(p["elpd_loo"])}
               for name, p, a, b in zip(self.names, parts, offsets[:-1], offsets[1:])}
        shown = f"{abs(total):.2f} (se {d_se:.2f})"
        if total > max(2 * d_se, SMALL_ELPD):
            verdict = f"sharing clearly supported: pooled elpd higher by {shown}"
        elif total > 0:
            verdict = (f"sharing supported: pooled elpd higher by {shown}, a small difference "
                       f"(under {SMALL_ELPD:g} or within 2 se), with fewer parameters")
        elif total >= -max(2 * d_se, SMALL_ELPD):
            verdict = (f"sharing not rejected: separate fits higher by {shown}, a small "
                       f"difference (under {SMALL_ELPD:g} or within 2 se)")
        else:
            verdict = f"sharing not supported: separate fits higher by {shown}"
        table.attrs.update(per_search=per, verdict=verdict, difference=total, difference_se=d_se,
                           share=list(self.share), pooling=self.pooling,
                           pareto_k_max_pooled=float(np.max(np.asarray(pooled["pareto_k"]))),
                           pareto_k_max_separate=max(float(np.max(np.asarray(p["pareto_k"])))
                                                     for p in parts))
        return table


def fit_many(searches, *, thresholds, share=("gamma",), pooling="shared", minimize=None,
             n_hyperparameters=None, bounds=None, priors: Priors | None = None, pool_scale=0.5,
             num_chains=NUM_CHAINS, num_warmup=NUM_WARMUP, num_samples=NUM_SAMPLES, seed=SEED,
             progress_bar=True,
             target_accept_prob=TARGET_ACCEPT_PROB) -> PooledFit:
    r"""One NUTS fit over several searches with :math:`\gamma` (and :math:`\sigma`) pooled.

    Parameters
    ----------
    searches : dict
        ``{name: scores}``, two or more; each a :class:`~bayesnq.data.Scores` or an array.
        Names label the results (no ``"/"``).
    thresholds : dict or float
        Each search's threshold (a number; ``"auto"`` grids are not pooled), or one number
        for all.
    share : tuple of str
        What the searches share: ``("gamma",)`` or ``("gamma", "sigma")``.
    pooling : {"shared", "partial"}
        One value for all, or partial pooling with a learned spread (prior
        :math:`\mathrm{HalfNormal}(\text{pool\_scale})` on the spread of the logs); see
        :mod:`bayesnq.modeling.pooled`.
    minimize, n_hyperparameters, bounds
        As in :func:`bayesnq.fit`; each defaults to what the searches' ``Scores`` say, and
        the searches must agree on the direction. ``n_hyperparameters`` bounds every
        :math:`\gamma` (the largest given by the searches when they differ).
    priors, num_chains, num_warmup, num_samples, seed, progress_bar, target_accept_prob
        As in :func:`bayesnq.fit`.

    Returns
    -------
    PooledFit
    """
    if not isinstance(searches, dict) or len(searches) < 2:
        raise fail("searches", "a dict of two or more {name: scores}", searches)
    for name in searches:
        if not isinstance(name, str) or not name or "/" in name:
            raise fail("searches", "keyed by non-empty names without '/'", name)
    share = tuple(share) if isinstance(share, (tuple, list)) else (share,)
    for item in share:
        check_choice("share", item, SHAREABLE)
    if "gamma" not in share:
        raise fail("share", "a tuple that holds 'gamma' (optionally 'sigma')", share)
    check_choice("pooling", pooling, POOLINGS)
    check_real("pool_scale", pool_scale, low=0.0, low_open=True)
    check_bool("progress_bar", progress_bar)
    names = tuple(searches)
    if not isinstance(thresholds, dict):
        thresholds = {name: thresholds for name in names}
    if set(thresholds) != set(names):
        raise fail("thresholds", f"a threshold for each of {list(names)}", thresholds)

    scores, values = {}, {}
    for name in names:
        s = as_scores(searches[name], minimize=minimize, bounds=bounds,
                      n_hyperparameters=n_hyperparameters)
        scores[name], values[name] = s, np.asarray(s.values, dtype=float)
    directions = {s.minimize for s in scores.values()}
    if len(directions) > 1:
        raise fail("searches", "searches of one direction (give minimize=...)",
                   {n: s.minimize for n, s in scores.items()})
    minimize = directions.pop()
    ks = [s.n_hyperparameters for s in scores.values() if s.n_hyperparameters is not None]
    gamma_max = n_hyperparameters if n_hyperparameters is not None else (max(ks) if ks else None)
    check_settings(gamma="continuous", n_hyperparameters=gamma_max, num_chains=num_chains,
                   num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                   target_accept_prob=target_accept_prob)
    datas, taus = [], {}
    for name in names:
        check_best_finite(values[name], minimize)
        tau = parse_threshold(thresholds[name], values[name], minimize=minimize)
        if np.ndim(tau) != 0:
            raise fail(f"thresholds[{name!r}]", "a number (threshold grids are not pooled)",
                       thresholds[name])
        taus[name] = float(tau)
        b = scores[name].bounds
        datas.append(TailData.build(values[name], tau, minimize=minimize,
                                    bounds=b if any(x is not None for x in b) else None))
    priors = priors or Priors()
    arrays = [d.arrays() for d in datas]
    init = pooled_initial_values(datas, names, share, pooling, gamma_max)

    def model(arrays):
        pooled_model(datas, names, arrays, priors, gamma_max, share, pooling, pool_scale)

    kernel = NUTS(model, target_accept_prob=target_accept_prob, dense_mass=True,
                  init_strategy=init_to_value(values=init))
    parallel = jax.local_device_count() >= num_chains and int(num_chains) > 1
    mcmc = MCMC(kernel, num_warmup=int(num_warmup), num_samples=int(num_samples),
                num_chains=int(num_chains), chain_method="parallel" if parallel else "sequential",
                progress_bar=progress_bar)
    mcmc.run(jax.random.PRNGKey(seed), arrays)
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    for name, data in zip(names, datas):
        samples[f"{name}/tail_mass"] = tail_mass_draws(
            {k: samples[f"{name}/{k}"] for k in PARAMETERS}, data)
    idata, run_search = _build(mcmc, samples, datas, names)
    settings = dict(n_hyperparameters=n_hyperparameters, bounds=bounds, priors=priors,
                    num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples,
                    seed=seed, progress_bar=progress_bar, target_accept_prob=target_accept_prob,
                    pool_scale=pool_scale, gamma_max=gamma_max)
    return PooledFit(names=names, share=share, pooling=pooling, minimize=minimize,
                     thresholds=taus, scores=scores, datas=tuple(datas), idata=idata,
                     settings=settings, run_search=run_search)


def _build(mcmc, samples, datas, names):
    """InferenceData of a pooled fit: per-search parameters on ``search``, runs concatenated."""
    keys = (*PARAMETERS, "tail_mass")
    post = {k: np.stack([samples[f"{n}/{k}"] for n in names], axis=-1) for k in keys}
    for k in HYPER_SITES:
        if k in samples:
            post[k] = samples[k]
    lls, observed, run_search = [], [], []
    for i, (data, name) in enumerate(zip(datas, names)):
        alpha, beta = direction.orient_ends(samples[f"{name}/alpha"], samples[f"{name}/beta"],
                                            data.minimize)
        flat = tuple(jnp.asarray(x).reshape(-1) for x in
                     (alpha, beta, samples[f"{name}/gamma"], samples[f"{name}/sigma"]))
        arr = data.arrays()
        ll = loglik_draws(flat, arr["values"], arr["run_index"], data.threshold)
        lls.append(np.asarray(ll).reshape(alpha.shape + (data.n,)))
        observed.append(data.observed())
        run_search.append(np.full(data.n, i))
    stats = mcmc.get_extra_fields(group_by_chain=True)
    idata = arviz_compat.from_dict(
        posterior=post,
        sample_stats={"diverging": np.asarray(stats["diverging"])},
        log_likelihood={"y": np.concatenate(lls, axis=-1)},
        observed_data={"y": np.concatenate(observed)},
        coords={"search": list(names), "run": np.arange(sum(d.n for d in datas))},
        dims={**{k: ["search"] for k in keys}, "y": ["run"]},
    )
    return idata, np.concatenate(run_search)
