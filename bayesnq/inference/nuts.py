"""The NUTS runner: numpyro's MCMC with the data as arguments of the compiled program.

A sampler that closes over its data is compiled anew for every dataset (about 7 s).
Here the model's arrays are arguments of the program, so fits with the same shapes and
settings share one compiled sampler (in memory, and across processes through JAX's
compilation cache when :func:`bayesnq.configure` turned it on). Chains run in parallel
when JAX has a device for each (:func:`bayesnq.configure` asks for them).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from numpyro.infer import MCMC, NUTS, init_to_value

from bayesnq.modeling import to_unconstrained

__all__ = ["run_nuts", "TARGET_ACCEPT_PROB", "EXTRA_FIELDS"]

TARGET_ACCEPT_PROB = 0.9  # NUTS's target acceptance rate, unless a caller sets one

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
    settings = dict(data=data, priors=priors, gamma_max=n_hyperparameters, gamma_mode=gamma)
    if arrays is not None:  # numpyro passes only arrays to a model as program arguments
        model, settings = partial(model, **settings), {"arrays": arrays}
    kernel = NUTS(model, target_accept_prob=target_accept_prob, dense_mass=True,
                  init_strategy=init_to_value(values={}))
    parallel = jax.local_device_count() >= num_chains and int(num_chains) > 1
    mcmc = MCMC(kernel, num_warmup=int(num_warmup), num_samples=int(num_samples),
                num_chains=int(num_chains), chain_method="parallel" if parallel else "sequential",
                progress_bar=progress_bar, jit_model_args=arrays is not None)
    if parallel and arrays is not None:
        # set after construction: numpyro turns progress bars off for a callable
        # chain_method, and they work in this one as in its own "parallel"
        mcmc.chain_method = _parallel_with(arrays)
    z0 = to_unconstrained(init, n_hyperparameters)
    if int(num_chains) > 1:
        z0 = {k: jnp.broadcast_to(v, (int(num_chains),)) for k, v in z0.items()}
    mcmc.run(jax.random.PRNGKey(seed), init_params=z0, extra_fields=EXTRA_FIELDS,
             **settings)
    return mcmc


def _parallel_with(arrays):
    """numpyro's parallel chains, with the model's ``arrays`` as arguments of the pmap.

    numpyro hands its ``chain_method`` the per-chain function with the model's arguments
    bound (a ``functools.partial``); ``chain_method="parallel"`` pmaps it as it is, which
    builds the data into the compiled program, so a new dataset (or threshold) of the same
    shapes is compiled again. Here ``arrays`` is passed to the pmap instead.
    """

    def chain_method(fn):
        bound = dict(fn.keywords)
        kwargs = dict(bound.pop("kwargs"))
        kwargs.pop("arrays")

        def per_chain(map_args, arrays):
            return fn.func(map_args, kwargs=dict(kwargs, arrays=arrays), **bound)

        return lambda map_args: jax.pmap(per_chain, in_axes=(0, None))(map_args, arrays)

    return chain_method
