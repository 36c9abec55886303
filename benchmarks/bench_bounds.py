"""What bounds a full posterior's time (issue 25): the sampler, the gradient, the rest.

For each bundled search at the paper's threshold, in one process with the compilation
cache on (so every call after the first is a repeated call):

- opda's point fit (``NoisyQuadraticDistribution.fit``) and ``bayesnq.fit``'s repeated call
  (4 chains x (1000 + 1000) by default, ``check=False``), split into the sampler's run
  (``inference.nuts.run_nuts``, timed on the same data and settings) and everything after
  it (draws, pointwise log-likelihood, predictive, ArviZ);
- the chain-steps taken (leapfrog steps summed over chains, warm-up included: NumPyro
  records the steps of the draws only, so the warm-up's are taken as many per iteration);
- the *sampler floor*: the same NUTS (dense mass, the same target acceptance, 4 chains on
  the same devices) on a 4-dimensional standard normal, whose gradient costs nothing, per
  chain-step: NumPyro's own cost of a step on this machine;
- the model's log density and gradient alone (one chain, ``jax.value_and_grad`` of the
  potential NumPyro builds from ``modeling.tail_model``), per call, timed in a compiled loop.

The last columns put them together: the sampler floor times the fit's chain-steps (what
the fit would cost if the log density were free), and that floor and the sampling time as
ratios of opda's time. Usage:
python benchmarks/bench_bounds.py [--chains 4 --warmup 1000 --samples 1000] [--cases alexnet]
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

import bayesnq
from bench_fit import CASES, arguments, opda_fit, timed_fit  # this folder's bench_fit.py


def sampler_seconds(s, tau, n_hparams, a, seed):
    """The sampler's run alone on the fit's data and settings (its program already built)."""
    from bayesnq.inference.nuts import TARGET_ACCEPT_PROB, run_nuts
    from bayesnq.modeling import Priors, TailData, initial_values, tail_model

    data = TailData.build(np.asarray(s.values), tau, minimize=s.minimize,
                          bounds=s.bounds)
    init = initial_values(data.tail.size / data.n, "continuous", n_hparams)
    t = time.perf_counter()
    mcmc = run_nuts(tail_model, data, init, priors=Priors(), gamma="continuous",
                    n_hyperparameters=n_hparams, num_chains=a.chains,
                    num_warmup=a.warmup, num_samples=a.samples, seed=seed,
                    progress_bar=False, target_accept_prob=TARGET_ACCEPT_PROB,
                    arrays=data.sampler_arrays())
    jax.block_until_ready(mcmc.get_samples())
    return time.perf_counter() - t, mcmc, data


def gradient_microseconds(data, n_hparams, calls=2000):
    """One chain's log density and gradient, per call (a compiled loop of ``calls``)."""
    from numpyro.infer.util import initialize_model

    from bayesnq.modeling import Priors, tail_model

    info = initialize_model(jax.random.PRNGKey(0), tail_model,
                            model_kwargs=dict(data=data, priors=Priors(),
                                              gamma_max=n_hparams, arrays=data.sampler_arrays()))
    z0 = info.param_info.z
    vg = jax.value_and_grad(info.potential_fn)

    @jax.jit
    def loop(z):
        def body(_, carry):
            z, acc = carry
            v, g = vg(z)
            z = jax.tree.map(lambda x, gx: x - 1e-9 * gx, z, g)  # depends on the gradient
            return z, acc + v
        return jax.lax.fori_loop(0, calls, body, (z, 0.0))

    jax.block_until_ready(loop(z0))
    t = time.perf_counter()
    jax.block_until_ready(loop(z0))
    return 1e6 * (time.perf_counter() - t) / calls


def floor_microseconds(a, repeats=3):
    """NumPyro's NUTS on a 4-d standard normal: seconds per chain-step, best of repeats."""
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    from bayesnq.inference.nuts import TARGET_ACCEPT_PROB

    def model():
        numpyro.sample("x", dist.Normal(jnp.zeros(4), 1.0).to_event(1))

    parallel = jax.local_device_count() >= a.chains
    mcmc = MCMC(NUTS(model, dense_mass=True, target_accept_prob=TARGET_ACCEPT_PROB),
                num_warmup=a.warmup, num_samples=a.samples, num_chains=a.chains,
                chain_method="parallel" if parallel else "sequential", progress_bar=False)
    best = np.inf
    for seed in range(repeats + 1):  # the first run compiles
        t = time.perf_counter()
        mcmc.run(jax.random.PRNGKey(seed), extra_fields=("num_steps",))
        jax.block_until_ready(mcmc.get_samples())
        dt = time.perf_counter() - t
        steps = float(np.asarray(mcmc.get_extra_fields()["num_steps"]).sum())
        per = dt / (steps * (a.warmup + a.samples) / a.samples)
        if seed:
            best = min(best, per)
    return 1e6 * best


def main():
    a = arguments()
    bayesnq.configure()  # parallel chains and the compilation cache, as the CLI
    floor = floor_microseconds(a)
    rows = []
    for name, tau, k in [c for c in CASES if c[0] in a.cases]:
        s = bayesnq.datasets.load(name)
        t_opda = opda_fit(np.asarray(s.values), tau, k)[0]
        timed_fit(s, tau, a.chains, a.warmup, a.samples, seed=0)  # compiles
        t_fit = timed_fit(s, tau, a.chains, a.warmup, a.samples, seed=1)[0]
        t_run, mcmc, data = sampler_seconds(s, tau, k, a, seed=1)
        steps = float(np.asarray(mcmc.get_extra_fields()["num_steps"]).sum())
        chain_steps = steps * (a.warmup + a.samples) / a.samples
        grad = gradient_microseconds(data, k)
        rows.append((name, t_opda, t_fit, t_run, t_fit - t_run, chain_steps,
                     1e6 * t_run / chain_steps, floor, grad, data.n_distinct,
                     floor * 1e-6 * chain_steps))
    print(f"{a.chains} chains x ({a.warmup} + {a.samples}); {jax.local_device_count()} JAX "
          f"devices; sampler floor: NUTS on a 4-d standard normal, {floor:.1f} us per "
          "chain-step (wall, chains in parallel)")
    hdr = ("data", "opda s", "fit s (repeat)", "sampler s", "after sampler s",
           "chain-steps", "us per chain-step", "floor us per chain-step",
           "log density + gradient us (1 chain)", "distinct tail scores",
           "floor x chain-steps s", "floor / opda", "sampler / opda")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:.0f} | "
              f"{r[6]:.1f} | {r[7]:.1f} | {r[8]:.1f} | {r[9]} | {r[10]:.2f} | "
              f"{r[10] / r[1]:.2f} | {r[3] / r[1]:.2f} |")


if __name__ == "__main__":
    main()
