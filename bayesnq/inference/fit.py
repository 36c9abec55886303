r"""``fit``: the posterior of the noisy quadratic tail of a random search, by NUTS.

At one threshold the model is the censored tail model (:func:`bayesnq.modeling.tail_model`);
with ``threshold="auto"`` or a list of candidates, the threshold is marginalized over the
candidates under the spliced likelihood (:func:`bayesnq.modeling.threshold_model`). The
result is a :class:`~bayesnq.inference.Fit`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from bayesnq import direction
from bayesnq.data import as_scores
from bayesnq.inference.hedge import candidate_log_probabilities, hedge_prior
from bayesnq.inference.idata import build_idata, posterior_names
from bayesnq.inference.nuts import default_num_samples, default_target_accept, run_nuts
from bayesnq.inference.posterior import (draw_tau, integer_gamma_draws, on_lattice,
                                         pointwise_loglik_distinct, posterior_predictive,
                                         tail_mass_draws)
from bayesnq.inference.result import Fit
from bayesnq.inference.strata import draw_counts, interleave, strata, stratum_log_prior
from bayesnq.modeling import (PARAMETERS, Priors, SplicedData, TailData, initial_coordinates,
                              initial_values, parse_resolution, parse_threshold, pointwise_loglik as spliced_pointwise,
                              predictive as spliced_predictive, tail_model, threshold_model)
from bayesnq.sampler_defaults import NUM_CHAINS, NUM_WARMUP, SEED
from bayesnq.validation import check_bool, check_choice, check_int, check_real

__all__ = ["fit", "check_settings", "check_best_finite", "MAX_PER_RUN_RUNS"]

GAMMA_MODES = ("continuous", "integer")

#: Searches of more runs than this keep their pointwise quantities per distinct score
#: (``Fit.log_likelihood_distinct``: columns with counts) and hold no (chain, draw, run)
#: array: no per-run ``log_likelihood`` group and no ``posterior_predictive`` group in
#: ``Fit.idata`` (``Fit.pointwise_log_likelihood()`` and ``Fit.loo()`` work from the
#: columns; issue 25: 100,000 runs took 3.8 GB). Smaller searches get both groups.
MAX_PER_RUN_RUNS = 10_000


def fit(
    scores,
    *,
    score=None,
    minimize=None,
    threshold,
    n_hyperparameters=None,
    bounds=None,
    gamma="continuous",
    resolution=None,
    priors: Priors | None = None,
    num_chains=NUM_CHAINS,
    num_warmup=NUM_WARMUP,
    num_samples=None,
    seed=SEED,
    progress_bar=True,
    target_accept_prob=None,
    check=True,
    threshold_hedge=True,
) -> Fit:
    r"""Fit the noisy quadratic tail beyond ``threshold`` with NUTS.

    Parameters
    ----------
    scores : Scores, DataFrame, Series, array or list
        Random-search scores, one per run (:func:`bayesnq.data.as_scores`). A
        :class:`~bayesnq.data.Scores` also supplies the direction, the metric's bounds and
        the number of hyperparameters; a DataFrame (or dict of columns) is a table of
        runs whose column ``score`` holds the scores.
    score : str, optional
        The score column of a DataFrame; without it, the frame's only numeric column
        (a ValueError lists the candidates when there are several).
    minimize : bool, optional
        Direction of the search (``False``: higher is better; strictly a bool). Defaults
        to the ``Scores``' own, else ``False``.
    threshold : float, "auto" or sequence of float
        Where the asymptotic regime begins: scores beyond it (above when maximizing) enter
        through the density, the others are censored at it. ``"auto"`` or a list of
        candidates makes the threshold a parameter: it is marginalized exactly over the
        candidates (``"auto"``: 16 with tail fractions 5% to 80% of the runs, see
        :func:`bayesnq.default_thresholds`) under the spliced likelihood of
        :mod:`bayesnq.modeling.spliced`, the posterior holds ``tau`` draws and
        :meth:`Fit.threshold_probabilities` gives :math:`P(\tau \mid y)`.
    n_hyperparameters : int, optional
        Upper bound for :math:`\gamma` (the paper's reading: :math:`\gamma` cannot exceed
        the number of hyperparameters).
    bounds : (float or None, float or None), optional
        Known range of the metric (e.g. ``(0, 1)`` for accuracy). The bound at the best
        end bounds the best possible expected score; the one at the worst end is a floor
        on the quadratic part's worst end (:math:`\alpha \ge` low when maximizing,
        :math:`\beta \le` high when minimizing), used when it lies below the threshold
        (:mod:`bayesnq.modeling.priors`). ``(None, 1)`` leaves that end free.
    gamma : {"continuous", "integer"}
        ``"integer"`` marginalizes :math:`\gamma \in \{1, \dots, K\}` exactly and reports
        :math:`P(\gamma = k)`; it needs ``n_hyperparameters``.
    resolution : float, "auto" or None
        Scores known only to this resolution (accuracy on N examples: 1/N; a metric logged
        to d decimals: 10^-d) enter as the probability of their cell
        :math:`(y - h/2, y + h/2]` instead of a density, so that tied scores keep the
        posterior proper (:mod:`bayesnq.modeling.likelihood`). ``"auto"`` detects a
        lattice (:func:`bayesnq.modeling.detect_resolution`) and says what it found in
        ``Fit.resolution_note``; None (default) takes the scores as continuous.
    priors : Priors, optional
        Prior scales (see :mod:`bayesnq.modeling.priors`).
    num_chains, num_warmup, num_samples, seed, progress_bar, target_accept_prob
        NUTS settings. Chains run in parallel when JAX has a device for each
        (:func:`bayesnq.configure`). ``target_accept_prob`` None (default): 0.9 for a
        fixed threshold, 0.95 for an inferred one, whose posterior is a mixture over the
        candidates with more varied curvature (smaller steps, fewer divergent
        transitions), and 0.95 for scores with a resolution, whose best score's cell has
        sharp edges (:func:`bayesnq.inference.nuts.default_target_accept`).
        ``num_samples`` None (default): 1,000 draws per chain, 2,000 for scores with a
        resolution, whose r-hat went over 1.01 now and then at 1,000
        (:func:`bayesnq.inference.nuts.default_num_samples`). Where
        :math:`P(\tau \mid y)` has separate modes, the fit samples each mode apart and
        mixes the draws by their probabilities (:mod:`bayesnq.inference.strata`;
        ``Fit.settings["strata"]``), so that the chains agree.
    check : bool
        Warn (``DiagnosticsWarning``) unless r-hat <= 1.01, bulk ESS >= 400 for every
        parameter and there are no divergences.
    threshold_hedge : bool
        For an inferred threshold: where :math:`P(\tau \mid y)` singles out a candidate,
        sample again with the next candidate with fewer runs beyond it given as much
        posterior weight (:mod:`bayesnq.inference.hedge`: a decided :math:`P(\tau)` can be
        too sure, and only an error toward more runs biases :math:`\beta`). It costs a
        second run of the same compiled sampler. ``False`` keeps the base prior over
        the candidates (:attr:`bayesnq.modeling.SplicedData.base_log_prior`). Ignored for
        a fixed threshold.

    Returns
    -------
    Fit
    """
    data_obj = as_scores(scores, minimize=minimize, bounds=bounds,
                         n_hyperparameters=n_hyperparameters, score=score)
    given = dict(threshold=threshold, resolution=resolution, metric=score)
    minimize = data_obj.minimize
    bounds = data_obj.bounds if any(b is not None for b in data_obj.bounds) else None
    n_hyperparameters = data_obj.n_hyperparameters
    values = np.asarray(data_obj.values, dtype=float)
    check_best_finite(values, minimize)
    threshold = parse_threshold(threshold, values, minimize=minimize)
    resolution, note = parse_resolution(resolution, values)
    if num_samples is None:
        num_samples = default_num_samples(resolution=resolution)
    if target_accept_prob is None:
        target_accept_prob = default_target_accept(inferred_threshold=np.ndim(threshold) == 1,
                                                   resolution=resolution)
    check_settings(gamma=gamma, n_hyperparameters=n_hyperparameters, num_chains=num_chains,
                   num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                   target_accept_prob=target_accept_prob)
    check_bool("progress_bar", progress_bar)
    check_bool("check", check)
    check_bool("threshold_hedge", threshold_hedge)
    settings = dict(minimize=minimize, n_hyperparameters=n_hyperparameters, bounds=bounds,
                    gamma=gamma, priors=priors or Priors(), num_chains=num_chains,
                    num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                    progress_bar=progress_bar, target_accept_prob=target_accept_prob,
                    resolution=resolution, resolution_note=note)
    if np.ndim(threshold) == 1:
        result = _fit_over_thresholds(data_obj, values, threshold, **settings,
                                      threshold_hedge=threshold_hedge)
    else:
        result = fit_at_threshold(data_obj, values, threshold, **settings)
    result.settings.update(given, gamma=gamma, priors=settings["priors"],
                           num_chains=num_chains, num_warmup=num_warmup,
                           num_samples=num_samples, seed=seed,
                           target_accept_prob=target_accept_prob)
    if check:  # after the settings, which its advice reads
        result.check()
    return result


def check_best_finite(values, minimize):
    """Refuse an infinitely good score: it lies beyond every threshold and has no density.

    An infinitely *bad* score (a failed run under the worst-score rule) is fine: it is
    censored like every run short of the threshold.
    """
    best = direction.orient(values, minimize)
    bad = np.flatnonzero(np.isposinf(best))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"scores must be finite where they are better than the threshold, got "
            f"scores[{i}]={float(values[i])!r} ({bad.size} such score(s)); an infinitely "
            "good score has no density: drop it, or give failed runs the worst score")


def check_settings(*, gamma, n_hyperparameters, num_chains, num_warmup, num_samples, seed,
                   target_accept_prob):
    """The checks every fit's settings pass, before any sampling."""
    check_choice("gamma", gamma, GAMMA_MODES)
    if n_hyperparameters is not None:
        check_int("n_hyperparameters", n_hyperparameters, minimum=1)
    if gamma == "integer" and n_hyperparameters is None:
        raise ValueError("n_hyperparameters must be given with gamma='integer' (it is the "
                         "largest gamma), got n_hyperparameters=None")
    check_int("num_chains", num_chains, minimum=1)
    check_int("num_warmup", num_warmup, minimum=0)
    check_int("num_samples", num_samples, minimum=1)
    check_int("seed", seed, minimum=0)
    check_real("target_accept_prob", target_accept_prob, low=0.0, high=1.0, low_open=True,
               high_open=True)


def fit_at_threshold(data_obj, values, threshold, *, minimize, n_hyperparameters, bounds,
                     gamma, priors, num_chains, num_warmup, num_samples, seed, progress_bar,
                     target_accept_prob, tail_size=None, resolution=None,
                     resolution_note="") -> Fit:
    """:func:`fit` at one threshold, arguments checked; ``tail_size`` pads the tail.

    The sampler takes the data's arrays (:meth:`TailData.sampler_arrays`) as arguments,
    shaped by the padded number of distinct tail scores alone, so fits with the same
    padded length and settings share one compiled program, whatever their number of runs:
    by default the length is :func:`~bayesnq.modeling.padded_size` of the count (nearby
    counts share it); :func:`~bayesnq.compare_thresholds` pads every candidate's to the
    largest count.
    """
    data = TailData.build(values, threshold, minimize=minimize, bounds=bounds,
                          resolution=resolution)
    init = initial_values(data.tail.size / data.n, gamma, n_hyperparameters)
    mcmc = run_nuts(tail_model, data, init, priors=priors, gamma=gamma,
                    n_hyperparameters=n_hyperparameters, num_chains=num_chains,
                    num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                    progress_bar=progress_bar, target_accept_prob=target_accept_prob,
                    arrays=data.sampler_arrays(tail_size))
    samples = mcmc.get_samples(group_by_chain=True)
    if gamma == "integer":
        samples = integer_gamma_draws(samples, data, seed)
    samples = {**samples, "tail_mass": tail_mass_draws(samples, data)}
    names = posterior_names(gamma)
    post = {k: np.asarray(samples[k]) for k in names}
    distinct, column, count = pointwise_loglik_distinct(samples, data)
    per_run = data.n <= MAX_PER_RUN_RUNS
    idata = build_idata(mcmc.get_extra_fields(group_by_chain=True), samples, names,
                        log_likelihood=distinct[..., column] if per_run else None,
                        observed=data.observed(),
                        predictive=posterior_predictive(post, data, seed) if per_run else None)
    result = Fit(scores=data_obj, minimize=minimize, threshold=threshold, gamma_mode=gamma,
                 n_hyperparameters=n_hyperparameters, bounds=bounds, idata=idata, data=data,
                 resolution_note=resolution_note)
    if not per_run:
        result.log_likelihood_distinct = {"y": distinct, "column": column, "count": count}
    return result


def _fit_over_thresholds(data_obj, values, grid, *, minimize, n_hyperparameters, bounds, gamma,
                         priors, num_chains, num_warmup, num_samples, seed, progress_bar,
                         target_accept_prob, resolution=None, resolution_note="",
                         threshold_hedge=True) -> Fit:
    data = SplicedData.build(values, grid, minimize=minimize, bounds=bounds,
                             resolution=resolution, priors=priors)
    ref = data.reference
    init = initial_coordinates(ref.tail.size / ref.n, gamma, n_hyperparameters)

    def sample(log_prior):
        """Draws and sampler statistics, (chain, draw, ...), copied out of the sampler
        (whose next run reuses it)."""
        mcmc = run_nuts(threshold_model, data, init, priors=priors, gamma=gamma,
                        n_hyperparameters=n_hyperparameters, num_chains=num_chains,
                        num_warmup=num_warmup, num_samples=num_samples, seed=seed,
                        progress_bar=progress_bar, target_accept_prob=target_accept_prob,
                        arrays=data.sampler_arrays(log_prior))
        return ({k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()},
                {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()})

    draws, stats = sample(data.base_log_prior)
    log_unhedged = candidate_log_probabilities(draws)
    hedge = hedge_prior(log_unhedged) if threshold_hedge else None
    groups = strata(np.exp(log_unhedged)) if hedge is None else None  # None unless multimodal
    if hedge is not None:  # the same compiled sampler, another prior
        draws, stats = sample(data.base_log_prior + hedge["log_prior"])
    elif groups is not None:  # one mode at a time (bayesnq.inference.strata)
        weights = [float(np.exp(logsumexp(log_unhedged[g]))) for g in groups]
        counts = draw_counts(weights, int(num_samples))
        runs = [sample(stratum_log_prior(data.base_log_prior, g)) for g in groups]
        # draws and their sampler statistics take the same positions: one interleave
        mixed = interleave([{**{(0, k): v for k, v in d.items()},
                             **{(1, k): v for k, v in st.items()}} for d, st in runs],
                           counts, seed)
        draws, stats = ({k: v for (part, k), v in mixed.items() if part == p} for p in (0, 1))
    samples = draw_tau(draws, data, gamma, seed)
    names = posterior_names(gamma, threshold_grid=True)
    shape = np.asarray(samples["beta"]).shape
    rng = np.random.default_rng(seed + 2)
    idx = samples["tau_index"].reshape(-1)
    flat = {k: np.asarray(samples[k]).reshape(-1) for k in PARAMETERS}
    ll = spliced_pointwise(data, flat, idx, rng).reshape(shape + (data.n,))
    pp = spliced_predictive(data, flat, idx, rng).reshape(shape + (-1,))
    if resolution is not None:
        pp = on_lattice(pp, data.reference)
    idata = build_idata(stats, samples, names, log_likelihood=ll,
                        observed=data.user_values, predictive=pp,
                        coords={"tau_value": data.user_thresholds},
                        dims={"tau_logp": ["tau_value"]})
    prob = np.exp(candidate_log_probabilities(samples))
    tau_best = float(data.user_thresholds[int(np.argmax(prob))])
    result = Fit(scores=data_obj, minimize=minimize, threshold=tau_best, gamma_mode=gamma,
                 n_hyperparameters=n_hyperparameters, bounds=bounds, idata=idata,
                 data=TailData.build(values, tau_best, minimize=minimize, bounds=bounds,
                                     resolution=resolution),
                 thresholds=data.user_thresholds, spliced=data, resolution_note=resolution_note)
    result.settings["threshold_hedge"] = threshold_hedge
    result.settings["unhedged_threshold_probabilities"] = [float(x) for x in np.exp(log_unhedged)]
    if hedge is not None:
        result.settings["hedged"] = {
            "from": float(data.user_thresholds[hedge["from"]]),
            "to": float(data.user_thresholds[hedge["to"]]),
            "log_weight": float(hedge["log_weight"]),
        }
    if groups is not None:
        result.settings["strata"] = [
            {"from": float(data.user_thresholds[g[0]]), "to": float(data.user_thresholds[g[-1]]),
             "weight": w, "draws_per_chain": int(k)} for g, w, k in zip(groups, weights, counts)]
    return result
