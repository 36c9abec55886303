"""Posterior inference for the tail model with NUTS, and the ``Fit`` result."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.infer import MCMC, NUTS, init_to_value

from bayesnq import _arviz
from bayesnq.data import Scores, check_tail
from bayesnq.distribution import NoisyQuadratic
from bayesnq.model import Priors, TailData, derive_alpha, tail_model

__all__ = ["fit", "Fit", "DiagnosticsWarning"]

PARAMS = ("alpha", "beta", "gamma", "sigma")


class DiagnosticsWarning(UserWarning):
    """A fit failed one of its convergence checks."""


def fit(
    scores,
    *,
    minimize=None,
    threshold,
    n_hyperparameters=None,
    bounds=None,
    gamma="continuous",
    priors: Priors | None = None,
    num_chains=4,
    num_warmup=1000,
    num_samples=1000,
    seed=0,
    progress_bar=True,
    target_accept_prob=0.9,
    check=True,
) -> "Fit":
    r"""Fit the noisy quadratic tail beyond ``threshold`` with NUTS.

    Parameters
    ----------
    scores : Scores or array_like
        Random-search scores, one per run. A :class:`~bayesnq.data.Scores` also supplies
        the direction, the metric's bounds and the number of hyperparameters.
    minimize : bool, optional
        Direction of the search (``False``: higher is better). Defaults to the
        ``Scores``' own, else ``False``.
    threshold : float
        Where the asymptotic regime begins: scores beyond it (above when maximizing) enter
        through the density, the others are censored at it.
    n_hyperparameters : int, optional
        Upper bound for :math:`\gamma` (the paper's reading: :math:`\gamma` cannot exceed
        the number of hyperparameters).
    bounds : (float or None, float or None), optional
        Known range of the metric (e.g. ``(0, 1)`` for accuracy); bounds the best possible
        score.
    gamma : {"continuous", "integer"}
        ``"integer"`` marginalizes :math:`\gamma \in \{1, \dots, K\}` exactly and reports
        :math:`P(\gamma = k)`; it needs ``n_hyperparameters``.
    priors : Priors, optional
        Prior scales (see :mod:`bayesnq.model`).
    num_chains, num_warmup, num_samples, seed, progress_bar, target_accept_prob
        NUTS settings. Chains run in parallel when JAX has a device for each.
    check : bool
        Warn (``DiagnosticsWarning``) unless r-hat <= 1.01, bulk ESS >= 400 for every
        parameter and there are no divergences.

    Returns
    -------
    Fit
    """
    if isinstance(scores, Scores):
        data_obj = scores
        minimize = scores.minimize if minimize is None else bool(minimize)
        if bounds is None and any(b is not None for b in scores.bounds):
            bounds = scores.bounds
        if n_hyperparameters is None:
            n_hyperparameters = scores.n_hyperparameters
    else:
        minimize = bool(minimize) if minimize is not None else False
        data_obj = Scores(values=np.asarray(scores, dtype=float), minimize=minimize)
    values = np.asarray(data_obj.values, dtype=float)
    if isinstance(threshold, str):
        raise ValueError(
            f"threshold={threshold!r}: give a number; an inferred threshold is not available"
        )
    threshold = float(threshold)
    check_tail(values, threshold, minimize)
    if gamma not in ("continuous", "integer"):
        raise ValueError(f"gamma must be 'continuous' or 'integer', got gamma={gamma!r}")
    if n_hyperparameters is not None and (int(n_hyperparameters) < 1):
        raise ValueError(f"n_hyperparameters must be >= 1, got {n_hyperparameters!r}")
    if gamma == "integer" and n_hyperparameters is None:
        raise ValueError("gamma='integer' needs n_hyperparameters (the largest gamma)")
    for name, val in (("num_chains", num_chains), ("num_samples", num_samples)):
        if int(val) < 1:
            raise ValueError(f"{name} must be >= 1, got {name}={val!r}")

    data = TailData.build(values, threshold, minimize=minimize, bounds=bounds)
    priors = priors or Priors()
    init = {
        "beta_z": 0.0
        if data.upper_bound is None
        else float(np.log(data.scale / (data.upper_bound - data.threshold - data.scale + 1e-12))),
        "sigma_rel": 0.05,
        "q": float(np.clip(data.tail.size / data.n, 0.01, 0.99)),
    }
    if gamma == "continuous":
        init["log_gamma"] = float(np.log(min(2.0, n_hyperparameters or 2.0) * 0.75))
    kernel = NUTS(
        tail_model,
        target_accept_prob=target_accept_prob,
        init_strategy=init_to_value(values=init),
    )
    chain_method = "parallel" if jax.local_device_count() >= num_chains else "sequential"
    mcmc = MCMC(
        kernel,
        num_warmup=int(num_warmup),
        num_samples=int(num_samples),
        num_chains=int(num_chains),
        chain_method=chain_method,
        progress_bar=progress_bar,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*There are not enough devices.*")
        mcmc.run(
            jax.random.PRNGKey(seed),
            data=data,
            priors=priors,
            gamma_max=n_hyperparameters,
            gamma_mode=gamma,
        )
    result = Fit(
        scores=data_obj,
        minimize=minimize,
        threshold=threshold,
        gamma_mode=gamma,
        n_hyperparameters=n_hyperparameters,
        bounds=bounds,
        idata=_to_idata(mcmc, data, gamma, seed),
        data=data,
    )
    if check:
        result.check()
    return result


def _to_idata(mcmc, data: TailData, gamma_mode, seed):
    samples = mcmc.get_samples(group_by_chain=True)
    if gamma_mode == "integer":
        samples = _integer_gamma_draws(samples, data, seed)
    names = [*PARAMS, "tail_mass"] + (["gamma_logp"] if gamma_mode == "integer" else [])
    post = {k: np.asarray(samples[k]) for k in names}
    for k in ("beta_z", "sigma_rel", "q", "log_gamma"):
        if k in samples:
            post[k] = np.asarray(samples[k])
    ll = _pointwise_loglik(samples, data)
    stats = mcmc.get_extra_fields(group_by_chain=True)
    sample_stats = {
        "diverging": np.asarray(stats["diverging"]),
    }
    for key in ("num_steps", "accept_prob", "energy"):
        if key in stats:
            sample_stats[{"num_steps": "n_steps", "accept_prob": "acceptance_rate"}.get(key, key)] = (
                np.asarray(stats[key])
            )
    y_obs = _observed_values(data)
    pp = _posterior_predictive(post, data, seed)
    dims = {"y": ["run"], "gamma_logp": ["gamma_value"]}
    coords = {"run": np.arange(data.n)}
    thinned = pp.shape[-1] != data.n  # replicate searches shorter than the data
    if "gamma_logp" in post:
        coords["gamma_value"] = np.arange(1, post["gamma_logp"].shape[-1] + 1)
    idata = _arviz.from_dict(
        posterior=post,
        sample_stats=sample_stats,
        log_likelihood={"y": ll},
        observed_data={"y": y_obs},
        posterior_predictive=None if thinned else {"y": pp},
        coords=coords,
        dims=dims,
    )
    if thinned:
        idata.add_groups(
            posterior_predictive={"y": pp},
            coords={"replicate_run": np.arange(pp.shape[-1])},
            dims={"y": ["replicate_run"]},
        )
    return idata


def _observed_values(data: TailData):
    sign = -1.0 if data.minimize else 1.0
    y = np.empty(data.n)
    y[data.index_tail] = sign * data.tail
    y[data.index_below] = sign * data.threshold
    return y


def _pointwise_loglik(samples, data: TailData):
    alpha, beta = jnp.asarray(samples["alpha"]), jnp.asarray(samples["beta"])
    if data.minimize:
        alpha, beta = -beta, -alpha
    gamma, sigma = jnp.asarray(samples["gamma"]), jnp.asarray(samples["sigma"])

    @jax.jit
    def one(a, b, g, s):
        d = NoisyQuadratic(a, b, g, s)
        lp = d.log_prob(jnp.asarray(data.tail))
        lf = d.log_cdf(data.threshold)
        ll = jnp.zeros(data.n).at[data.index_tail].set(lp).at[data.index_below].set(lf)
        return ll

    flat = [x.reshape(-1) for x in (alpha, beta, gamma, sigma)]
    ll = jax.lax.map(lambda p: one(*p), tuple(flat), batch_size=64)
    return np.asarray(ll).reshape(alpha.shape + (data.n,))


def _integer_gamma_draws(samples, data: TailData, seed):
    """Draw gamma from its exact conditional given the continuous parameters."""
    logp = jnp.asarray(samples["gamma_logp"])
    key = jax.random.PRNGKey(seed + 7919)
    idx = jax.random.categorical(key, logp, axis=-1)
    gamma = (idx + 1).astype(float)
    beta_o = jnp.asarray(samples["beta"] if not data.minimize else -samples["alpha"])
    sigma = jnp.asarray(samples["sigma"])
    q = jnp.asarray(samples["q"])
    alpha_o = derive_alpha(beta_o, gamma, q, data.threshold)
    d = NoisyQuadratic(alpha_o, beta_o, gamma, sigma)
    out = dict(samples)
    out["gamma"] = gamma
    if data.minimize:
        out["alpha"], out["beta"] = -beta_o, -alpha_o
    else:
        out["alpha"], out["beta"] = alpha_o, beta_o
    out["tail_mass"] = jnp.exp(d.log_sf(data.threshold))
    return out


def _posterior_predictive(post, data: TailData, seed, max_values=16_000_000):
    """Replicated random searches: n scores per posterior draw (thinned if large)."""
    shape = post["beta"].shape
    d = NoisyQuadratic(
        jnp.asarray(post["alpha"]),
        jnp.asarray(post["beta"]),
        jnp.asarray(post["gamma"]),
        jnp.asarray(post["sigma"]),
        minimize=data.minimize,
    )
    n = data.n if np.prod(shape) * data.n <= max_values else max(1, max_values // int(np.prod(shape)))
    y = d.sample(jax.random.PRNGKey(seed + 104729), (n,))
    return np.moveaxis(np.asarray(y), 0, -1)


@dataclass
class Fit:
    """Result of :func:`fit`: the posterior as labelled data, and what to ask of it.

    Attributes
    ----------
    idata : arviz.InferenceData
        ``posterior`` (``alpha``, ``beta``, ``gamma``, ``sigma``, ``tail_mass`` in the
        paper's meaning, plus the sampler's own coordinates), ``sample_stats``,
        ``log_likelihood`` (one entry per run: tail runs ``log f(y)``, censored runs
        ``log F(tau)``), ``observed_data`` (censored runs at the threshold) and
        ``posterior_predictive`` (replicated searches).
    """

    scores: Scores
    minimize: bool
    threshold: float
    gamma_mode: str
    n_hyperparameters: int | None
    bounds: tuple | None
    idata: object
    data: TailData

    # ------------------------------------------------------------ draws
    def draws(self) -> dict[str, np.ndarray]:
        """Flat posterior draws (chains x draws) of alpha, beta, gamma, sigma, tail_mass."""
        post = self.idata.posterior
        return {k: np.asarray(post[k]).reshape(-1) for k in (*PARAMS, "tail_mass")}

    @property
    def best_name(self) -> str:
        """``'alpha'`` (minimize) or ``'beta'`` (maximize): the best possible score."""
        return "alpha" if self.minimize else "beta"

    def distribution(self) -> NoisyQuadratic:
        """The posterior draws as one batched :class:`NoisyQuadratic`."""
        d = self.draws()
        return NoisyQuadratic(d["alpha"], d["beta"], d["gamma"], d["sigma"], minimize=self.minimize)

    # ------------------------------------------------------------ diagnostics
    def diagnostics(self) -> dict:
        """r-hat, bulk ESS per parameter and the number of divergences."""
        rhat = _arviz.rhat(self.idata, var_names=list(PARAMS))
        ess = _arviz.ess(self.idata, var_names=list(PARAMS))
        div = int(np.asarray(self.idata.sample_stats["diverging"]).sum())
        n_chains = self.idata.posterior.sizes["chain"]
        return {
            "r_hat": {k: float(rhat[k]) for k in PARAMS},
            "ess_bulk": {k: float(ess[k]) for k in PARAMS},
            "divergences": div,
            "chains": int(n_chains),
        }

    def check(self, max_rhat=1.01, min_ess=400) -> list[str]:
        """Warn about failed convergence checks; returns the list of problems."""
        diag = self.diagnostics()
        problems = []
        fixed_gamma = self.gamma_mode == "integer"
        for k in PARAMS:
            if fixed_gamma and k == "gamma":
                continue
            r, e = diag["r_hat"][k], diag["ess_bulk"][k]
            if diag["chains"] > 1 and not r <= max_rhat:
                problems.append(f"r-hat of {k} is {r:.3f} > {max_rhat}")
            if not e >= min_ess:
                problems.append(f"bulk ESS of {k} is {e:.0f} < {min_ess}")
        if diag["divergences"]:
            problems.append(f"{diag['divergences']} divergent transitions")
        if problems:
            warnings.warn(
                "fit diagnostics: "
                + "; ".join(problems)
                + ". Try more samples (num_samples), a longer warmup, target_accept_prob=0.95,"
                " or a threshold deeper in the tail.",
                DiagnosticsWarning,
                stacklevel=3,
            )
        return problems

    # ------------------------------------------------------------ summaries
    def summary(self, ci=0.9):
        """Table of the best possible score, gamma, sigma, the other end and the tail mass.

        Columns: posterior mean, sd, median, the equal-tailed ``ci`` interval, bulk ESS
        and r-hat.
        """
        import pandas as pd

        d = self.draws()
        other = "beta" if self.minimize else "alpha"
        rows = [
            ("best score (" + self.best_name + ")", self.best_name),
            ("gamma", "gamma"),
            ("sigma", "sigma"),
            (other, other),
            ("tail mass P(Y beyond tau)", "tail_mass"),
        ]
        diag = self.diagnostics()
        lo_q, hi_q = (1 - ci) / 2, (1 + ci) / 2
        table = []
        for label, key in rows:
            x = d[key]
            table.append(
                {
                    "parameter": label,
                    "mean": float(np.mean(x)),
                    "sd": float(np.std(x, ddof=1)) if x.size > 1 else 0.0,
                    "median": float(np.median(x)),
                    f"{lo_q:.0%}": float(np.quantile(x, lo_q)),
                    f"{hi_q:.0%}": float(np.quantile(x, hi_q)),
                    "ess_bulk": diag["ess_bulk"].get(key, np.nan),
                    "r_hat": diag["r_hat"].get(key, np.nan),
                }
            )
        df = pd.DataFrame(table).set_index("parameter")
        df.attrs.update(
            threshold=self.threshold,
            minimize=self.minimize,
            n_runs=self.data.n,
            n_tail=int(self.data.tail.size),
            divergences=diag["divergences"],
        )
        return df

    def gamma_probabilities(self) -> dict[int, float]:
        """:math:`P(\\gamma = k \\mid y)` (integer mode, Rao–Blackwellized)."""
        if "gamma_logp" not in self.idata.posterior:
            raise ValueError("gamma_probabilities needs a fit with gamma='integer'")
        lp = np.asarray(self.idata.posterior["gamma_logp"])
        p = np.exp(lp).reshape(-1, lp.shape[-1]).mean(0)
        return {k + 1: float(p[k]) for k in range(p.size)}

    # ------------------------------------------------------------ tuning curves
    def tuning_curve(self, n, q=0.5, ci=0.8, **kwargs):
        """Posterior q-quantile tuning curve with an equal-tailed ``ci`` band."""
        from bayesnq import curves

        return curves.tuning_curve(self.draws(), n, minimize=self.minimize, q=q, ci=ci, **kwargs)

    def average_tuning_curve(self, n, ci=0.8, **kwargs):
        """Posterior mean tuning curve (expected best of n) with a ``ci`` band."""
        from bayesnq import curves

        return curves.average_tuning_curve(self.draws(), n, minimize=self.minimize, ci=ci, **kwargs)

    def runs_to_reach(self, score, q=0.5, ci=0.8):
        """How many runs until the q-quantile tuning curve reaches ``score``."""
        from bayesnq import curves

        return curves.runs_to_reach(self.draws(), score, minimize=self.minimize, q=q, ci=ci)

    def __repr__(self):
        d = self.draws()
        b = d[self.best_name]
        return (
            f"<Fit {self.scores.name or 'scores'}: {self.data.n} runs, "
            f"{self.data.tail.size} beyond {self.threshold:g}; "
            f"{self.best_name} {np.median(b):.4g} [{np.quantile(b, 0.05):.4g}, "
            f"{np.quantile(b, 0.95):.4g}], gamma {np.median(d['gamma']):.3g}>"
        )
