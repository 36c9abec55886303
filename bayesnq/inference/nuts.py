"""The NUTS runner: numpyro's MCMC with the data as arguments of the compiled program.

A sampler that closes over its data is compiled anew for every dataset (about 7 s).
Here the model's arrays are arguments of the program, so fits with the same shapes and
settings share one compiled sampler (in memory, and across processes through JAX's
compilation cache when :func:`bayesnq.configure` turned it on). Chains run in parallel
when JAX has a device for each (:func:`bayesnq.configure` asks for them).

A fit whose arrays have the shapes, and whose settings are those, of a fit made before in
this process reuses that fit's sampler and its compiled program (:data:`_PROGRAMS`, at most
:data:`MAX_PROGRAMS` kept), with or without the disk cache: numpyro's ``MCMC`` builds a
new program for every new ``MCMC`` object (issue 25).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import MCMC, NUTS, init_to_value

from bayesnq.modeling import to_unconstrained
from bayesnq.runtime import release_compiled_programs
from bayesnq.sampler_defaults import NUM_SAMPLES, RESOLUTION_NUM_SAMPLES

__all__ = ["run_nuts", "TARGET_ACCEPT_PROB", "THRESHOLD_TARGET_ACCEPT_PROB",
           "RESOLUTION_TARGET_ACCEPT_PROB", "default_target_accept", "default_num_samples",
           "EXTRA_FIELDS", "MAX_PROGRAMS", "clear_samplers", "cached_samplers"]

MAX_PROGRAMS = 8  # compiled samplers kept in memory (oldest dropped first)
_PROGRAMS: dict = {}  # key -> (MCMC, {"pmap": compiled per-chain program})


def clear_samplers() -> None:
    """Forget the samplers kept for reuse (their compiled programs go with them)."""
    _PROGRAMS.clear()


def cached_samplers() -> int:
    """How many samplers are kept for reuse in this process."""
    return len(_PROGRAMS)

TARGET_ACCEPT_PROB = 0.9  # NUTS's target acceptance rate, unless a caller sets one
#: ... and for an inferred threshold. The spliced model's posterior over the tail's
#: parameters is a mixture over the candidates (P(tau) can be multimodal), whose curvature
#: changes between them; on AlexNet (512 runs, P(tau) 0.58 / 0.26 / 0.12 on three
#: candidates) 0.9 gave 2 divergent transitions at seeds 0 and 1 and 0.95 none at seeds
#: 0-7, for about 10% more time; with the modes sampled apart (bayesnq.inference.strata),
#: 0.95 gives 0 or 1 in 4,000 draws at seeds 0-4 (2026-12-06, docs/thresholds.md).
THRESHOLD_TARGET_ACCEPT_PROB = 0.95
#: ... and for scores known to a resolution (tied scores). The best score's cell has two
#: edges of width sigma in beta (bayesnq.modeling.priors.sample_beta), and beta, gamma and
#: sigma mix slowly at 0.9: on a 48-run search with 3 ties at the top (docs/ties.md) the
#: smallest bulk ESS was 469-966 over sampler seeds 0-11 and r-hat 1.0142 and 1.0104 at
#: two of them; at 0.95 the smallest ESS was 553-1050 and r-hat at most 1.0097 at all 12
#: (the same search minimized through fit(): r-hat 1.0107-1.0129 at 3 of 12 seeds, none
#: divergent; r-hat is random at this ESS, and more draws are what guarantee it).
RESOLUTION_TARGET_ACCEPT_PROB = 0.95


def default_target_accept(*, inferred_threshold: bool, resolution) -> float:
    """NUTS's target acceptance rate when the caller sets none: 0.9, or 0.95 for an
    inferred threshold or scores with a resolution (the constants above say why)."""
    if inferred_threshold:
        return THRESHOLD_TARGET_ACCEPT_PROB
    return TARGET_ACCEPT_PROB if resolution is None else RESOLUTION_TARGET_ACCEPT_PROB


def default_num_samples(*, resolution) -> int:
    """Draws per chain when the caller sets none: :data:`~bayesnq.sampler_defaults.NUM_SAMPLES`
    (1,000), or :data:`~bayesnq.sampler_defaults.RESOLUTION_NUM_SAMPLES` (2,000) for scores
    with a resolution (that module says why)."""
    return NUM_SAMPLES if resolution is None else RESOLUTION_NUM_SAMPLES


#: Per-draw sampler statistics kept besides the draws (numpyro's ``extra_fields``): the
#: Hamiltonian, the potential energy (minus the unnormalized log density in the sampler's
#: coordinates), leapfrog steps, mean acceptance probability of the trajectory, divergence,
#: and the adapted step size. :func:`bayesnq.inference.idata.build_idata` names them as
#: ArviZ does (``energy``, ``lp``, ``n_steps``, ``acceptance_rate``, ``diverging``,
#: ``step_size``) and adds ``tree_depth``.
EXTRA_FIELDS = ("energy", "potential_energy", "num_steps", "accept_prob", "diverging",
                "adapt_state.step_size")


def run_nuts(model, data, init, *, priors, gamma, n_hyperparameters, num_chains, num_warmup,
             num_samples, seed, progress_bar, target_accept_prob, arrays=None) -> MCMC:
    """NUTS on ``model``; chains in parallel when JAX has a device for each.

    The mass matrix is dense: the posterior's parameters are correlated (beta with gamma
    and sigma), and a dense metric takes fewer leapfrog steps per draw than a diagonal one.
    ``model`` gets ``arrays`` (when given) as an argument of the compiled program, and
    the chains start at ``init`` (constrained values), so that the program depends on the
    data only through their shapes (see :func:`_parallel_with`).
    """
    # every new shape compiles new programs, and each maps memory that JAX keeps: a loop of
    # fits (a notebook over many searches, a calibration study) would otherwise reach the
    # kernel's memory-map limit after a few dozen fits and die inside LLVM
    release_compiled_programs()
    settings = dict(data=data, priors=priors, gamma_max=n_hyperparameters, gamma_mode=gamma)
    parallel = jax.local_device_count() >= num_chains and int(num_chains) > 1
    key = _program_key(model, data, arrays, priors, gamma, n_hyperparameters, num_chains,
                       num_warmup, num_samples, progress_bar, target_accept_prob, parallel)
    kept = _PROGRAMS.pop(key, None) if key is not None else None
    if kept is None:
        kept = (_new_mcmc(model, settings, arrays, num_chains, num_warmup, num_samples,
                          progress_bar, target_accept_prob, parallel), {})
    if key is not None:  # most recently used last; the oldest beyond MAX_PROGRAMS dropped
        _PROGRAMS[key] = kept
        while len(_PROGRAMS) > MAX_PROGRAMS:
            _PROGRAMS.pop(next(iter(_PROGRAMS)))
    mcmc, compiled = kept
    if arrays is not None:  # numpyro passes only arrays to a model as program arguments
        settings = {"arrays": arrays}
    if parallel and arrays is not None:
        # set after construction: numpyro turns progress bars off for a callable
        # chain_method, and they work in this one as in its own "parallel"
        mcmc.chain_method = _parallel_with(arrays, compiled)
    z0 = to_unconstrained(init, n_hyperparameters)
    if int(num_chains) > 1:
        z0 = {k: jnp.broadcast_to(v, (int(num_chains),)) for k, v in z0.items()}
    mcmc.run(jax.random.PRNGKey(seed), init_params=z0, extra_fields=EXTRA_FIELDS,
             **settings)
    return mcmc


def _new_mcmc(model, settings, arrays, num_chains, num_warmup, num_samples, progress_bar,
              target_accept_prob, parallel):
    if arrays is not None:
        model = partial(model, **settings)
    kernel = NUTS(model, target_accept_prob=target_accept_prob, dense_mass=True,
                  init_strategy=init_to_value(values={}))
    return MCMC(kernel, num_warmup=int(num_warmup), num_samples=int(num_samples),
                num_chains=int(num_chains), chain_method="parallel" if parallel else "sequential",
                progress_bar=progress_bar, jit_model_args=arrays is not None)


def _program_key(model, data, arrays, priors, gamma, n_hyperparameters, num_chains, num_warmup,
                 num_samples, progress_bar, target_accept_prob, parallel):
    """What a sampler's compiled program depends on, or None where it is not reused.

    Reused only where the data's arrays are arguments of the program (``arrays``) and the
    chains are pmapped (a sequential run builds its loop anew each time). What the program
    takes from ``data`` itself is ``data.program_static`` (for the tail model the
    direction, whether beta is bounded, whether there is a resolution and whether alpha
    has a floor; for the spliced
    model a digest of its data); the arrays enter by shape.
    """
    if arrays is None or not parallel:
        return None
    try:
        static = data.program_static
        shapes = tuple(sorted((k, np.shape(v), np.asarray(v).dtype.str)
                              for k, v in arrays.items()))
        key = (model, static, shapes, priors, gamma, n_hyperparameters, int(num_chains),
               int(num_warmup), int(num_samples), bool(progress_bar),
               float(target_accept_prob))
        hash(key)
    except (AttributeError, TypeError):
        return None
    return key


def _parallel_with(arrays, compiled=None):
    """numpyro's parallel chains, with the model's ``arrays`` as arguments of the pmap.

    numpyro hands its ``chain_method`` the per-chain function with the model's arguments
    bound (a ``functools.partial``); ``chain_method="parallel"`` pmaps it as it is, which
    builds the data into the compiled program, so a new dataset (or threshold) of the same
    shapes is compiled again. Here ``arrays`` is passed to the pmap instead, and the pmapped
    function is kept in ``compiled`` (one per sampler: the per-chain function of a sampler
    is the same in every run), so that a later run of the same sampler is not traced or
    compiled again.
    """
    compiled = {} if compiled is None else compiled

    def chain_method(fn):
        pmapped = compiled.get("pmap")
        if pmapped is None:
            bound = dict(fn.keywords)
            kwargs = dict(bound.pop("kwargs"))
            kwargs.pop("arrays")

            def per_chain(map_args, arrays):
                return fn.func(map_args, kwargs=dict(kwargs, arrays=arrays), **bound)

            pmapped = compiled["pmap"] = jax.pmap(per_chain, in_axes=(0, None))
        return lambda map_args: pmapped(map_args, arrays)

    return chain_method
