"""Issue 25: a new length of n grid does not compile again.

Curves evaluate the numbers of runs in fixed chunks (``bayesnq.curves.draws.N_CHUNK``), so
one compiled program per kernel serves every grid. Counted with JAX's compile events
(``jax.monitoring``): no timing, so the test holds on a loaded machine.
"""

import numpy as np
import pytest
from jax import monitoring

from bayesnq import curves
from bayesnq.curves.draws import N_CHUNK

_COMPILES = []


def _listen(event, duration, **kwargs):
    if "backend_compile" in event:
        _COMPILES.append(duration)


monitoring.register_event_duration_secs_listener(_listen)


def _compiles(fn):
    """Number of XLA compilations while ``fn()`` runs, and its result."""
    start = len(_COMPILES)
    out = fn()
    return len(_COMPILES) - start, out


def _compile_seconds(fn):
    """Seconds of XLA compilation while ``fn()`` runs, and its result."""
    start = len(_COMPILES)
    out = fn()
    return sum(_COMPILES[start:]), out


def _draws(size=64, seed=0):
    rng = np.random.default_rng(seed)
    return {"alpha": rng.normal(0.5, 0.01, size), "beta": rng.normal(0.9, 0.005, size),
            "gamma": rng.uniform(1.5, 3.0, size), "sigma": rng.uniform(0.005, 0.01, size)}


class _FitLike:
    minimize = False

    def __init__(self, d):
        self._d = d

    def draws(self):
        return self._d


def test_compile_events_are_counted():
    """The counter sees a compile (else the zero-compile tests below would prove nothing)."""
    import jax
    import jax.numpy as jnp

    count, _ = _compiles(lambda: jax.jit(lambda x: x * 3.0 + 1.0)(jnp.ones(7)))
    assert count >= 1


def test_tuning_curve_new_grid_length_does_not_compile():
    d = _draws()
    curves.tuning_curve(d, np.geomspace(1, 1000, 5), minimize=False)  # warm
    for m in (N_CHUNK + 3, 2 * N_CHUNK + 7, 101):
        n = np.geomspace(1, 1000, m)
        count, tc = _compiles(lambda: curves.tuning_curve(d, n, minimize=False))
        assert count == 0, f"m={m} compiled {count} program(s)"
        assert tc.median.shape == (m,) and np.all(np.isfinite(tc.predictive))


def test_chunked_grid_matches_pointwise():
    """Chunking n changes nothing: each value as if alone, and the curve rises with n."""
    d = _draws(seed=1)
    n = np.geomspace(1, 1e5, 2 * N_CHUNK + 5)
    tc = curves.tuning_curve(d, n, minimize=False)
    for j in (0, N_CHUNK, 2 * N_CHUNK + 4):
        one = curves.tuning_curve(d, n[j:j + 1], minimize=False)
        np.testing.assert_allclose(tc.draws[:, j], one.draws[:, 0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(tc.predictive[j], one.predictive[0], rtol=1e-10, atol=1e-12)
    assert np.all(np.diff(tc.median) >= -1e-12)


def test_average_curve_new_grid_length_does_not_compile():
    d = _draws(seed=2)
    curves.average_tuning_curve(d, [1.0, 10.0, 100.0], minimize=False)  # warm
    n = np.geomspace(1, 1000, N_CHUNK + 1)
    count, tc = _compiles(lambda: curves.average_tuning_curve(d, n, minimize=False))
    assert count == 0
    assert np.all(np.isfinite(tc.predictive))


@pytest.mark.parametrize("minimize", [False])
def test_compare_new_grid_length_does_not_compile(minimize):
    a, b = _FitLike(_draws(seed=3)), _FitLike(_draws(seed=4))
    curves.compare(a, b, ns=[1.0, 10.0], max_draws=64)  # warm
    count, res = _compiles(lambda: curves.compare(a, b, ns=np.geomspace(1, 500, 23),
                                                  max_draws=64))
    assert count == 0
    assert res.p_beats.shape == (23,)


def _without_disk_cache(fn):
    """``fn()`` with JAX's persistent compilation cache off (a hit there is no compile
    event, and would hide a program compiled anew at every call)."""
    import jax

    before = jax.config.jax_enable_compilation_cache
    jax.config.update("jax_enable_compilation_cache", False)
    try:
        return fn()
    finally:
        jax.config.update("jax_enable_compilation_cache", before)


@pytest.mark.parametrize("method", ["icdf", "quantile_tuning_curve", "average_tuning_curve"])
def test_eager_solvers_compile_once_per_shape(method):
    """Outside ``jit``, a second call with other parameter values of the same shapes
    compiles nothing: the quantile's Newton loop and the average curve's ``lax.map`` are
    compiled per shape, not per call (they took 2-3 s a call before)."""
    from bayesnq.distributions import NoisyQuadratic

    arg = np.array([0.2, 0.7]) if method == "icdf" else np.array([1.0, 30.0])

    def call(a, minimize):
        return getattr(NoisyQuadratic(a, a + 0.4, 2.5, 0.01, minimize=minimize), method)(arg)

    def both():
        for minimize in (False, True):
            call(0.1, minimize)  # warm
        return _compiles(lambda: [np.asarray(call(0.3, m)) for m in (False, True)])

    count, out = _without_disk_cache(both)
    assert count == 0, f"{method} compiled {count} program(s) on the second call"
    assert all(np.all(np.isfinite(o)) for o in out)


@pytest.mark.slow
def test_second_fit_of_same_shapes_reuses_the_compiled_sampler():
    """Two fits (different data, same shapes) in one process, disk cache off: the second
    compiles no sampler again, and a repeat of the first fit gives the same draws."""
    import jax

    import bayesnq
    from bayesnq.inference import nuts

    rng = np.random.default_rng(5)
    y = 0.9 - 0.05 * rng.random(60) ** 0.5 + 0.002 * rng.standard_normal(60)
    opts = dict(threshold=float(np.quantile(y, 0.6)), num_chains=2, num_warmup=60,
                num_samples=40, progress_bar=False, check=False)
    before = jax.config.jax_enable_compilation_cache
    jax.config.update("jax_enable_compilation_cache", False)
    try:
        nuts.clear_samplers()
        first_count, first = _compiles(lambda: bayesnq.fit(y, seed=1, **opts))
        assert nuts.cached_samplers() == 1
        shifted = dict(opts, threshold=opts["threshold"] - 0.1)
        second_count, second = _compiles(lambda: bayesnq.fit(y - 0.1, seed=2, **shifted))
        again = bayesnq.fit(y, seed=1, **opts)
    finally:
        jax.config.update("jax_enable_compilation_cache", before)
    assert nuts.cached_samplers() == 1
    assert first_count >= 1 and second_count <= first_count // 4, (first_count, second_count)
    np.testing.assert_array_equal(again.draws()["beta"], first.draws()["beta"])
    assert not np.array_equal(second.draws()["beta"], first.draws()["beta"] - 0.1)


@pytest.mark.slow  # two fits that compile a sampler each time they run (~25 s)
def test_searches_of_other_sizes_share_the_sampler_of_their_padded_tail():
    """A search of another size and threshold whose distinct tail scores pad to the same
    length reuses the compiled sampler (disk cache off): the sampler's arrays are shaped by
    the padded distinct count alone, not by the number of runs."""
    import jax

    import bayesnq
    from bayesnq.inference import nuts
    from bayesnq.modeling import TailData

    rng = np.random.default_rng(8)
    y_small = 0.9 - 0.05 * rng.random(80) ** 0.5 + 0.002 * rng.standard_normal(80)
    y_large = 0.7 - 0.08 * rng.random(150) ** 0.7 + 0.003 * rng.standard_normal(150)
    tau_small = float(np.sort(y_small)[-31])  # 30 runs beyond
    tau_large = float(np.sort(y_large)[-30])  # 29 runs beyond: both pad to 30
    sizes = {TailData.build(y, t, minimize=False).sampler_arrays()["values"].size
             for y, t in ((y_small, tau_small), (y_large, tau_large))}
    assert len(sizes) == 1, sizes
    opts = dict(num_chains=2, num_warmup=60, num_samples=40, progress_bar=False, check=False)
    before = jax.config.jax_enable_compilation_cache
    jax.config.update("jax_enable_compilation_cache", False)
    try:
        nuts.clear_samplers()
        first, _ = _compile_seconds(lambda: bayesnq.fit(y_small, threshold=tau_small, **opts))
        second_secs, second = _compile_seconds(
            lambda: bayesnq.fit(y_large, threshold=tau_large, **opts))
    finally:
        jax.config.update("jax_enable_compilation_cache", before)
    # one sampler serves both (a second key would hold a second one); what the second fit
    # compiles is its replicated searches' random draws for 150 runs: seconds against the
    # sampler's (a ratio, so the test holds on a loaded machine)
    assert nuts.cached_samplers() == 1
    assert second_secs <= 0.3 * first, (first, second_secs)
    assert second.data.n == 150 and second.idata.log_likelihood["y"].shape[-1] == 150


def test_outer_logs_refuses_unknown_outputs():
    from bayesnq.curves.pointwise import outer_logs

    with pytest.raises(ValueError, match="outputs must be a non-empty tuple"):
        outer_logs([0.5], [0.9], [2.0], [0.01], [0.8], outputs=("pdf", "mean"))
    with pytest.raises(ValueError, match="outputs="):
        outer_logs([0.5], [0.9], [2.0], [0.01], [0.8], outputs="pdf")
