"""Many points of one distribution: the tabulated path (``distributions.tables``).

A batch of at least ``_TABLE_MIN_POINTS`` points with one parameter set is evaluated from a
Chebyshev table of each output, built per call from the quadrature, instead of one
quadrature per point. These tests hold it to the same standard as the quadrature: the
mpmath references, agreement with the quadrature over the whole range where the table is
used, monotone probabilities, gradients, and the fall-back to the quadrature wherever the
table does not apply.
"""

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

numpyro.enable_x64()
jax.config.update("jax_enable_x64", True)

from bayesnq.distributions import NoisyQuadratic  # noqa: E402
from bayesnq.distributions import tables as T  # noqa: E402
from helpers import ABS_TOL, LOG_COLUMNS, NOISY, REL_TOL, assert_logs_close  # noqa: E402

M = T._TABLE_MIN_POINTS
WHICH = ("pdf", "le", "ge")
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
EPS = np.finfo(float).eps


@partial(jax.jit, static_argnames="minimize")
def _logs(a, b, c, o, y, minimize):
    """(log_prob, log_cdf, log_sf): scalar parameters, so tabulated for M points."""
    d = NoisyQuadratic(a, b, c, o, minimize=minimize)
    return d.log_prob(y), d.log_cdf(y), d.log_sf(y)


@partial(jax.jit, static_argnames="minimize")
def _pointwise_logs(a, b, c, o, y, minimize):
    """The same with the parameters given per point: the quadrature at every point."""
    d = NoisyQuadratic(jnp.full(y.shape, a), b, c, o, minimize=minimize)
    return d.log_prob(y), d.log_cdf(y), d.log_sf(y)


@partial(jax.jit, static_argnames="minimize")
def _used(a, b, c, o, y, minimize):
    """Whether each output (pdf, le, ge) is tabulated for these points."""
    v, u = NoisyQuadratic(a, b, c, o, minimize=minimize)._standardize(y)
    w = b - a
    return jnp.stack([T.uses_table(which, v, u, 0.5 * c, o / w) for which in WHICH])


@partial(jax.jit, static_argnames="minimize")
def _cdf(a, b, c, o, y, minimize):
    return NoisyQuadratic(a, b, c, o, minimize=minimize).cdf(y)


def _spread(a, b, o, size, rng):
    """Points in every region: tails to 1e4 sds, within 40 sds of each end, the interior."""
    w = b - a
    n = size // 6
    z_far = np.exp(rng.uniform(np.log(40.0), np.log(0.99e4), n))
    z_near = rng.uniform(-40.0, 40.0, 2 * n)
    parts = [a - z_far * o, b + z_far * o, a + z_near[:n] * o, b + z_near[n:] * o,
             rng.uniform(a, b, n)]
    rest = size - sum(p.size for p in parts)
    parts.append(a + w * np.exp(rng.uniform(min(np.log(o / w), -1.0), 0.0, rest)))
    return np.concatenate(parts)


def _ratio(got, ref):
    """Error as a fraction of the tolerance max(1e-9, 1e-12 |ref|)."""
    return np.abs(got - ref) / np.maximum(ABS_TOL, REL_TOL * np.abs(ref))


# ----------------------------------------------------------------------------- reference


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_tables_match_reference():
    """Every noisy reference row through the table: one parameter set at a time, its rows
    padded to M points with a grid, and the table used for each of them."""
    keys = np.stack([NOISY[c] for c in ("a", "b", "c", "o")] + [NOISY["convex"]], axis=1)
    groups, index = np.unique(keys, axis=0, return_inverse=True)
    index = index.ravel()
    got = {col: np.full(NOISY["y"].size, np.nan) for col in LOG_COLUMNS}
    not_used = []
    for g, (a, b, c, o, convex) in enumerate(groups):
        rows = np.nonzero(index == g)[0]
        y = np.concatenate([NOISY["y"][rows], np.linspace(a - 3 * o, b + 3 * o, M)])[:M]
        y = jnp.asarray(y)
        minimize = bool(convex)
        if not bool(jnp.all(_used(a, b, c, o, y, minimize))):
            not_used.append((a, b, c, o, minimize))
        for col, val in zip(LOG_COLUMNS, _logs(a, b, c, o, y, minimize)):
            got[col][rows] = np.asarray(val)[:rows.size]
    assert not not_used, f"the table was not used for {not_used}"
    assert_logs_close(NOISY, got, "tabulated NoisyQuadratic vs the references")


# ----------------------------------------------------------------------------- the range


def test_tables_are_used_over_their_range():
    """Across k in (0.025, 50) and s in (1e-12, 300), every table passes its own check."""
    build = jax.jit(T._table_build, static_argnums=0)
    failed = [(which, k, s)
              for k in np.geomspace(0.026, 49.0, 7)
              for s in np.geomspace(1.1e-12, 290.0, 9)
              for which in WHICH
              if not bool(build(which, k, s)[1])]
    assert not failed, failed


@st.composite
def table_params(draw):
    alpha = draw(st.floats(-10.0, 10.0))
    w = 10.0 ** draw(st.floats(-3.0, 2.0))
    k = 10.0 ** draw(st.floats(math.log10(0.026), math.log10(49.0)))
    s = 10.0 ** draw(st.floats(-11.9, math.log10(290.0)))
    return alpha, alpha + w, 2.0 * k, s * w, draw(st.booleans()), draw(st.integers(0, 99))


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@SETTINGS
@given(table_params())
def test_tables_agree_with_the_quadrature(p):
    """The table against the quadrature at every point, anywhere in its range."""
    a, b, c, o, minimize, seed = p
    y = jnp.asarray(_spread(a, b, o, M, np.random.default_rng(seed)))
    assert bool(jnp.all(_used(a, b, c, o, y, minimize)))
    tab = _logs(a, b, c, o, y, minimize)
    ref = _pointwise_logs(a, b, c, o, y, minimize)
    for col, t, r in zip(LOG_COLUMNS, tab, ref):
        t, r = np.asarray(t), np.asarray(r)
        ratio = _ratio(t, r)
        i = int(np.argmax(ratio))
        assert ratio[i] <= 0.2, (col, float(y[i]), t[i], r[i], ratio[i])


@SETTINGS
@given(table_params())
def test_tabulated_cdf_is_monotone(p):
    """On a fine grid (M points): log_cdf rises, log_sf falls, they complement each other,
    and cdf() is monotone to a few ulp, as for the quadrature."""
    a, b, c, o, minimize, _ = p
    pad = 12 * o + min(0.1 * (b - a), 5e3 * o)  # within _TABLE_FAR sds of the support
    y = jnp.linspace(a - pad, b + pad, M)
    # float64 arrays, not Python floats (weakly typed: a compiled program of their own), so
    # that _used and _logs reuse the programs of the other fast tests of M points
    a, b, c, o = (jnp.float64(x) for x in (a, b, c, o))
    assert bool(jnp.all(_used(a, b, c, o, y, minimize)))
    lp, lc, ls = (np.asarray(x) for x in _logs(a, b, c, o, y, minimize))
    assert not np.any(np.isnan(lp) | np.isnan(lc) | np.isnan(ls))
    assert np.all(lc <= 0) and np.all(ls <= 0)
    slack = 1e-12 * np.maximum(1.0, np.abs(lc[:-1]))
    assert np.all(np.diff(lc) >= -slack), np.min(np.diff(lc) + slack)
    slack = 1e-12 * np.maximum(1.0, np.abs(ls[:-1]))
    assert np.all(np.diff(ls) <= slack), np.max(np.diff(ls) - slack)
    assert np.all(np.abs(np.logaddexp(lc, ls)) <= 1e-12)
    cdf = np.asarray(_cdf(a, b, c, o, y, minimize))
    assert np.all((cdf >= 0) & (cdf <= 1))
    assert np.all(np.diff(cdf) >= -4 * EPS), np.min(np.diff(cdf))


# ----------------------------------------------------------------------------- derivatives


METHODS = ("log_prob", "log_cdf", "log_sf")


@partial(jax.jit, static_argnums=(2, 3))
def _grads(p, y, per_point, minimize):
    """Gradients of the sums of log_prob, log_cdf and log_sf in (p, y); p's first entry
    given per point makes every output pointwise (the quadrature at every point)."""
    def total(p, y, method):
        a, b, c, o = p
        if per_point:
            a = jnp.full(y.shape, a)
        return jnp.sum(getattr(NoisyQuadratic(a, b, c, o, minimize=minimize), method)(y))

    return [jax.grad(total, argnums=(0, 1))(p, y, method) for method in METHODS]


@pytest.mark.parametrize("params", [(0.0, 1.0, 1.0, 1e-3), (0.2, 0.9, 0.3, 0.01),
                                    (-1.0, 2.0, 40.0, 0.5)])
@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_tabulated_gradients_match_the_quadrature(params):
    """d/d(alpha, beta, gamma, sigma) of the sum and d/dy at every point (maximize form;
    the minimize form differs only in which end is which)."""
    a, b, c, o = params
    y = jnp.linspace(a - 8 * o, b + 8 * o, M)
    p = tuple(jnp.float64(x) for x in params)
    for method, tab, ref in zip(METHODS, _grads(p, y, False, False),
                                _grads(p, y, True, False)):
        (g_tab, gy_tab), (g_ref, gy_ref) = tab, ref
        np.testing.assert_allclose(np.array(g_tab), np.array(g_ref), rtol=1e-10,
                                   err_msg=method)
        gy_tab, gy_ref = np.asarray(gy_tab), np.asarray(gy_ref)
        err = np.abs(gy_tab - gy_ref) / np.maximum(1.0, np.abs(gy_ref))
        assert np.all(err <= 1e-8), (method, err.max())


# ----------------------------------------------------------------------------- fall-back


@pytest.mark.parametrize("case", ["far point", "tiny s", "huge s", "tiny k", "huge k"])
def test_quadrature_takes_over_where_the_table_does_not_apply(case):
    a, b, c, o = 0.0, 1.0, 2.7, 0.01
    y = np.linspace(a - 3 * o, b + 3 * o, M)
    if case == "far point":
        y[17] = b + 2e4 * o  # beyond _TABLE_FAR noise sds
    else:
        c, o = {"tiny s": (c, 1e-13), "huge s": (c, 500.0), "tiny k": (0.04, o),
                "huge k": (120.0, o)}[case]
    y = jnp.asarray(y)
    a, b, c, o = (jnp.float64(x) for x in (a, b, c, o))  # the programs of the other tests
    assert not bool(jnp.any(_used(a, b, c, o, y, False)))
    for t, r in zip(_logs(a, b, c, o, y, False), _pointwise_logs(a, b, c, o, y, False)):
        np.testing.assert_allclose(np.asarray(t), np.asarray(r), rtol=1e-13, atol=1e-15)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_tabulated_batches_keep_their_shapes_and_nan_stays_local():
    """2-D batches, parameters of shape (1,), vmap over parameter sets, and a NaN point."""
    y = jnp.linspace(-0.1, 1.1, 2 * M).reshape(2, M)
    d = NoisyQuadratic(0.0, 1.0, 2.7, 0.01)
    flat = d.log_prob(y.ravel())
    np.testing.assert_allclose(d.log_prob(y), flat.reshape(2, M), rtol=1e-15)
    d1 = NoisyQuadratic(jnp.zeros(1), jnp.ones(1), jnp.full(1, 2.7), jnp.full(1, 0.01))
    np.testing.assert_allclose(d1.log_prob(y[0]), flat[:M], rtol=1e-15)
    params = jnp.array([[0.0, 1.0, 2.7, 0.01], [0.2, 0.9, 1.0, 0.001], [-3.0, 3.0, 7.3, 2.0]])
    mapped = jax.jit(jax.vmap(lambda p: NoisyQuadratic(*p).log_cdf(y[0])))(params)
    for i in range(3):
        np.testing.assert_allclose(mapped[i], NoisyQuadratic(*params[i]).log_cdf(y[0]),
                                   rtol=1e-13)
    with_nan = y[0].at[5].set(jnp.nan)
    out = np.asarray(d.log_cdf(with_nan))
    assert np.isnan(out[5]) and not np.any(np.isnan(np.delete(out, 5)))


@pytest.mark.parametrize("rel_sigma", [2e-12, 1e-4, 100.0])
@pytest.mark.parametrize("gamma", [
    pytest.param(0.06, marks=pytest.mark.slow),  # the heaviest case (47 s): the slow tier
    2.0, 90.0])
def test_tabulated_values_and_gradients_finite_at_the_ends(rel_sigma, gamma):
    """alpha, beta, the middle, and 1, 40 and 9,000 sds outside, among M points."""
    a, b = 0.25, 0.75
    o = rel_sigma * (b - a)
    special = np.array([a, b, 0.5 * (a + b), a - o, b + o, a - 40 * o, b + 40 * o,
                        a - 9e3 * o, b + 9e3 * o])
    y = jnp.asarray(np.concatenate([special, np.linspace(a, b, M - special.size)]))
    p = tuple(jnp.float64(x) for x in (a, b, gamma, o))
    for minimize in (False, True):
        assert bool(jnp.all(_used(*p, y, minimize)))
        values = _logs(*p, y, minimize)
        for method, v, (g, _) in zip(METHODS, values, _grads(p, y, False, minimize)):
            assert not np.any(np.isnan(np.asarray(v))), method
            assert all(np.isfinite(float(x)) for x in g), (method, g)


def test_benchmark_grid_is_tabulated():
    """The distribution benchmark's cells (benchmarks/bench_distribution.py) time the
    tabulated path, for log_prob and both probabilities."""
    for c in (1, 2, 5, 10):
        for s in (1e-3, 0.05, 0.5):
            y = jnp.linspace(-3 * s, 1 + 3 * s, M)
            p = tuple(jnp.float64(x) for x in (0.0, 1.0, c, s))  # the other tests' programs
            assert bool(jnp.all(_used(*p, y, False))), (c, s)


def test_icdf_of_one_distribution_is_tabulated_and_exact():
    """icdf on M quantiles of one distribution solves on the table and agrees with the
    quadrature's solution (the Newton iteration ends on both)."""
    q = jnp.linspace(0.0, 1.0, M + 2)[1:-1]
    for c, s in ((1.0, 1e-3), (10.0, 0.5)):
        tab = NoisyQuadratic(0.0, 1.0, c, s).icdf(q)
        ref = NoisyQuadratic(jnp.zeros(q.shape), 1.0, c, s).icdf(q)
        np.testing.assert_allclose(tab, ref, rtol=0, atol=1e-13)
