"""Property-based tests of NoisyQuadratic and Quadratic (hypothesis).

Every check is vectorized over a fixed-size grid and jitted once per form, so hypothesis
examples only re-run compiled code. Parameters are drawn on log scales: width
w = beta - alpha in [1e-3, 1e2], gamma in [0.2, 40] (any real, not just integers),
s = sigma / w in [1e-4, 30].
"""

import math
from functools import partial

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import numpyro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jax.scipy.stats import norm

numpyro.enable_x64()
jax.config.update("jax_enable_x64", True)

from bayesnq.distributions import NoisyQuadratic, Quadratic  # noqa: E402
from bayesnq.distributions.standardized import standardized_logs  # noqa: E402

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPS = np.finfo(float).eps


# ----------------------------------------------------------------------------- strategies


@st.composite
def nq_params(draw, log_s=(-4.0, 1.5), log_gamma=(math.log10(0.2), math.log10(40.0))):
    """(alpha, beta, gamma, sigma, minimize) with continuous gamma."""
    alpha = draw(st.floats(-10.0, 10.0))
    w = 10.0 ** draw(st.floats(-3.0, 2.0))
    gamma = 10.0 ** draw(st.floats(*log_gamma))
    s = 10.0 ** draw(st.floats(*log_s))
    minimize = draw(st.booleans())
    beta = alpha + w
    return alpha, beta, gamma, s * (beta - alpha), minimize


def _f(x):
    return np.float64(x)


# ----------------------------------------------------------------------------- jitted helpers
#
# Each helper is compiled once per form: inputs are padded to a fixed length (long inputs
# are processed in chunks of that length), so hypothesis examples never recompile.

CHUNK = 257
N_Q = 65


@partial(jax.jit, static_argnames="minimize")
def _logs(a, b, c, o, y, minimize):
    d = NoisyQuadratic(a, b, c, o, minimize=minimize)
    return d.log_prob(y), d.log_cdf(y), d.log_sf(y)


@partial(jax.jit, static_argnames="minimize")
def _quad_logs(a, b, c, y, minimize):
    d = Quadratic(a, b, c, minimize=minimize)
    return d.log_prob(y), d.log_cdf(y), d.log_sf(y)


@partial(jax.jit, static_argnames="minimize")
def _cdf(a, b, c, o, y, minimize):
    return NoisyQuadratic(a, b, c, o, minimize=minimize).cdf(y)


@partial(jax.jit, static_argnames="minimize")
def _icdf(a, b, c, o, q, minimize):
    return NoisyQuadratic(a, b, c, o, minimize=minimize).icdf(q)


@partial(jax.jit, static_argnames="minimize")
def _tuning_curves(a, b, c, o, n, q, minimize):
    d = NoisyQuadratic(a, b, c, o, minimize=minimize)
    return d.quantile_tuning_curve(n, q), d.average_tuning_curve(n)


@partial(jax.jit, static_argnames="minimize")
def _quad_tuning_curves(a, b, c, n, q, minimize):
    d = Quadratic(a, b, c, minimize=minimize)
    return d.quantile_tuning_curve(n, q), d.average_tuning_curve(n)


def _chunked(fn, params, x, size, fill):
    """fn(*params, x_chunk) on fixed-size chunks of x; returns numpy arrays."""
    x = np.asarray(x, dtype=float)
    n = x.size
    m = max(1, -(-n // size)) * size
    xp = np.concatenate([x.ravel(), np.full(m - n, fill)])
    outs = [fn(*params, xp[i:i + size]) for i in range(0, m, size)]
    if isinstance(outs[0], tuple):
        return tuple(np.concatenate([np.asarray(o[j]) for o in outs])[:n].reshape(x.shape)
                     for j in range(len(outs[0])))
    return np.concatenate([np.asarray(o) for o in outs])[:n].reshape(x.shape)


def logs(a, b, c, o, y, minimize):
    """(log_prob, log_cdf, log_sf) at y, as numpy arrays."""
    fn = partial(_logs, minimize=minimize)
    return _chunked(fn, (_f(a), _f(b), _f(c), _f(o)), y, CHUNK, _f(a))


def quad_logs(a, b, c, y, minimize):
    fn = partial(_quad_logs, minimize=minimize)
    return _chunked(fn, (_f(a), _f(b), _f(c)), y, CHUNK, _f(a))


def cdf_fn(a, b, c, o, y, minimize):
    fn = partial(_cdf, minimize=minimize)
    return _chunked(fn, (_f(a), _f(b), _f(c), _f(o)), y, CHUNK, _f(a))


def icdf_fn(a, b, c, o, q, minimize):
    fn = partial(_icdf, minimize=minimize)
    return _chunked(fn, (_f(a), _f(b), _f(c), _f(o)), q, N_Q, 0.5)


def tuning_curves(a, b, c, o, n, q, minimize):
    """(quantile curve at q, average curve) at n (at most len(NS) values)."""
    fn = partial(_tuning_curves, minimize=minimize)
    return _chunked(lambda *p: fn(*p[:4], p[5], p[4]), (_f(a), _f(b), _f(c), _f(o), _f(q)),
                    n, len(NS), 1.0)


def quad_tuning_curves(a, b, c, n, q, minimize):
    fn = partial(_quad_tuning_curves, minimize=minimize)
    return _chunked(lambda *p: fn(*p[:3], p[4], p[3]), (_f(a), _f(b), _f(c), _f(q)),
                    n, len(NS), 1.0)


@partial(jax.jit, static_argnames="minimize")
def moments(a, b, c, o, minimize):
    d = NoisyQuadratic(a, b, c, o, minimize=minimize)
    return d.mean, d.variance


@partial(jax.jit, static_argnames=("minimize", "n"))
def sample_fn(key, a, b, c, o, minimize, n):
    return NoisyQuadratic(a, b, c, o, minimize=minimize).sample(key, (n,))


def _grid(a, b, o, n=257, pad=12.0):
    w = b - a
    return np.linspace(a - pad * o - 0.1 * w, b + pad * o + 0.1 * w, n)


# ----------------------------------------------------------------------------- cdf / sf


@SETTINGS
@given(nq_params())
def test_cdf_monotone_and_tails_complementary(p):
    a, b, c, o, minimize = p
    y = _grid(a, b, o)
    lp, lc, ls = (np.asarray(x) for x in logs(_f(a), _f(b), _f(c), _f(o), y, minimize))
    assert not np.any(np.isnan(lp) | np.isnan(lc) | np.isnan(ls))
    assert np.all(lc <= 0) and np.all(ls <= 0)
    slack = 1e-12 * np.maximum(1.0, np.abs(lc[:-1]))
    assert np.all(np.diff(lc) >= -slack), np.min(np.diff(lc))
    slack = 1e-12 * np.maximum(1.0, np.abs(ls[:-1]))
    assert np.all(np.diff(ls) <= slack), np.max(np.diff(ls))
    total = np.logaddexp(lc, ls)
    assert np.all(np.abs(total) <= 1e-12), np.max(np.abs(total))
    # linear-space cdf agrees and is monotone too
    cdf = np.asarray(cdf_fn(_f(a), _f(b), _f(c), _f(o), y, minimize))
    assert np.all((cdf >= 0) & (cdf <= 1))
    assert np.all(np.diff(cdf) >= -4 * EPS)


@SETTINGS
@given(nq_params())
def test_icdf_inverts_cdf(p):
    a, b, c, o, minimize = p
    args = (_f(a), _f(b), _f(c), _f(o))
    # q -> y -> q
    q = np.concatenate([np.geomspace(1e-6, 0.5, 16), 1 - np.geomspace(1e-6, 0.5, 16)[:-1]])
    y = np.asarray(icdf_fn(*args, q, minimize))
    assert np.all(np.isfinite(y))
    assert np.all(np.diff(y[:16]) >= 0) and np.all(np.diff(y[16:][::-1]) >= 0)
    lp, lc, ls = (np.asarray(x) for x in logs(*args, y, minimize))
    lower = q <= 0.5
    err = np.where(lower, lc - np.log(q), ls - np.log1p(-q))
    j = int(np.argmax(np.abs(err)))
    # the same error expressed in y: d log p / dy = pdf / p
    dy = abs(err[j]) / np.exp(lp[j] - (lc[j] if lower[j] else ls[j]))
    # 1e-9, or what one ulp of y moves log P by (a narrow distribution far from 0)
    hazard = np.exp(lp - np.where(lower, lc, ls))
    assert np.all(np.abs(err) <= 1e-9 + 2 * np.spacing(np.abs(y)) * hazard), (
        f"log P at icdf(q) off by {err[j]:.3g} at q={q[j]!r} (y={y[j]!r},"
        f" i.e. y off by about {dy:.3g} = {dy / (b - a + o):.3g} (w + sigma))")
    # y -> q -> y, where y is an interior quantile
    y0 = _grid(a, b, o, n=65, pad=3.0)
    lp, lc, ls = (np.asarray(x) for x in logs(*args, y0, minimize))
    tail = np.exp(np.minimum(lc, ls))
    keep = tail > 1e-4
    y1 = np.asarray(icdf_fn(*args, np.exp(lc), minimize))
    # tolerance: float64 resolution of the probability, mapped through the density
    with np.errstate(divide="ignore", invalid="ignore"):  # density 0 where tail is not kept
        tol = 1e-9 * (b - a + o) + 1e-12 * tail / np.exp(lp)
    bad = keep & ~(np.abs(y1 - y0) <= tol)
    assert not bad.any(), list(zip(y0[bad], y1[bad], tail[bad]))


# ----------------------------------------------------------------------------- samples


@FEW
@given(nq_params(log_s=(-3.0, 1.0)), st.integers(0, 2**31 - 1))
def test_sample_moments(p, seed):
    a, b, c, o, minimize = p
    n = 200_000
    args = (_f(a), _f(b), _f(c), _f(o))
    ys = np.asarray(sample_fn(jax.random.PRNGKey(seed), *args, minimize, n))
    assert ys.shape == (n,) and np.all(np.isfinite(ys))
    mean, var = (float(x) for x in moments(*args, minimize))
    m_hat = ys.mean()
    v_hat = ys.var()
    assert abs(m_hat - mean) <= 6 * math.sqrt(var / n), (m_hat, mean)
    m4 = np.mean((ys - m_hat) ** 4)
    assert abs(v_hat - var) <= 6 * math.sqrt(max(m4 - v_hat**2, 0) / n) + 1e-12 * var, (
        v_hat, var)
    # probability integral transform: cdf(Y) is uniform
    u = np.asarray(cdf_fn(*args, ys, minimize))
    assert abs(u.mean() - 0.5) <= 6 / math.sqrt(12 * n)
    assert abs(np.mean(u <= 0.1) - 0.1) <= 6 * math.sqrt(0.09 / n)


# ----------------------------------------------------------------------------- symmetries


@SETTINGS
@given(nq_params())
def test_duality(p):
    """Y ~ Q_min(a, b, c, o)  <=>  -Y ~ Q_max(-b, -a, c, o)."""
    a, b, c, o, _ = p
    y = _grid(a, b, o)
    lp_min, lc_min, ls_min = (np.asarray(x) for x in
                              logs(_f(a), _f(b), _f(c), _f(o), y, True))
    lp_max, lc_max, ls_max = (np.asarray(x) for x in
                              logs(_f(-b), _f(-a), _f(c), _f(o), -y, False))

    def close(x, z):
        return np.all(np.abs(x - z) <= 1e-12 * np.maximum(1.0, np.abs(z)))

    assert close(lp_min, lp_max)
    assert close(lc_min, ls_max)  # P(Y <= y) = P(-Y >= -y)
    assert close(ls_min, lc_max)
    q = np.linspace(0.01, 0.99, 9)
    y_min = np.asarray(icdf_fn(_f(a), _f(b), _f(c), _f(o), q, True))
    y_max = np.asarray(icdf_fn(_f(-b), _f(-a), _f(c), _f(o), 1 - q, False))
    np.testing.assert_allclose(y_min, -y_max, rtol=0, atol=1e-9 * (b - a + o + abs(a)))


@jax.jit
def _affine_terms(a, b, c, o, y):
    """log_prob and its gradient in (y, alpha, beta), both forms."""
    out = []
    for minimize in (False, True):
        def f(y, a, b):
            return NoisyQuadratic(a, b, c, o, minimize=minimize).log_prob(y)
        val = f(y, a, b)
        g = jax.vmap(jax.grad(f, argnums=(0, 1, 2)), in_axes=(0, None, None))(y, a, b)
        out.append((val, g))
    return out


@SETTINGS
@given(nq_params(), st.integers(-8, 8), st.floats(-10.0, 10.0), st.booleans())
def test_affine_map(p, log2_c1, c0, flip):
    """c0 + c1 Y ~ Q(c0 + c1 a, c0 + c1 b, c, c1 o) (c1 > 0), with a flip of form for c1 < 0.

    log_prob shifts by -log|c1|. The tolerance adds the error allowed by rounding the new
    parameters and points to float64 (|d log f / d theta| * ulp(theta)).
    """
    a, b, c, o, minimize = p
    c1 = 2.0 ** log2_c1 * (-1.0 if flip else 1.0)
    y = _grid(a, b, o, n=65, pad=5.0)
    terms = _affine_terms(_f(a), _f(b), _f(c), _f(o), y)
    val, grads = terms[int(minimize)]
    val = np.asarray(val)
    gy, ga, gb = (np.asarray(x) for x in grads)
    if c1 > 0:
        a2, b2, minimize2 = c0 + c1 * a, c0 + c1 * b, minimize
    else:
        a2, b2, minimize2 = c0 + c1 * b, c0 + c1 * a, not minimize
    y2 = c0 + c1 * y
    lp2, _, _ = logs(_f(a2), _f(b2), _f(c), _f(abs(c1) * o), y2, minimize2)
    lp2 = np.asarray(lp2)
    # rounding of the transformed inputs, expressed in the original units
    ulp = lambda x: np.spacing(np.abs(x))  # noqa: E731
    dy = (ulp(y2) + ulp(c1 * y)) / abs(c1)
    da = (ulp(a2) + ulp(c1 * a)) / abs(c1)
    db = (ulp(b2) + ulp(c1 * b)) / abs(c1)
    tol = (1e-11 * np.maximum(1.0, np.abs(val))
           + 4 * (np.abs(gy) * dy + np.abs(ga) * (da if c1 > 0 else db)
                  + np.abs(gb) * (db if c1 > 0 else da)))
    err = np.abs(lp2 - (val - math.log(abs(c1))))
    assert np.all(err <= tol), (np.max(err / tol), y[np.argmax(err / tol)])


# ----------------------------------------------------------------------------- limits


@SETTINGS
@given(nq_params(log_s=(-10.0, -8.0)))
def test_small_noise_limit_is_quadratic(p):
    a, b, c, o, minimize = p
    w = b - a
    y = a + w * np.linspace(0.05, 0.95, 19)
    noisy = [np.asarray(x) for x in logs(_f(a), _f(b), _f(c), _f(o), y, minimize)]
    exact = [np.asarray(x) for x in quad_logs(_f(a), _f(b), _f(c), y, minimize)]
    for got, ref in zip(noisy, exact):
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
    # and sigma = 0 exactly is the quadratic distribution
    zero = [np.asarray(x) for x in logs(_f(a), _f(b), _f(c), _f(0.0), y, minimize)]
    for got, ref in zip(zero, exact):
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13)


@SETTINGS
@given(nq_params(log_s=(3.0, 4.0)))
def test_large_noise_limit_is_normal(p):
    a, b, c, o, minimize = p
    mean, var = (float(x) for x in moments(_f(a), _f(b), _f(c), _f(o), minimize))
    sd = math.sqrt(var)
    y = mean + sd * np.linspace(-4.0, 4.0, 33)
    cdf = np.asarray(cdf_fn(_f(a), _f(b), _f(c), _f(o), y, minimize))
    ref = np.asarray(norm.cdf(y, mean, sd))
    np.testing.assert_allclose(cdf, ref, rtol=0, atol=1e-6)


def test_moments_closed_form():
    a, b, c, o = 0.3, 1.7, 2.7, 0.05
    w = b - a
    for minimize in (False, True):
        mean, var = (float(x) for x in moments(a, b, c, o, minimize))
        expect = a + w * c / (c + 2) if minimize else a + w * 2 / (c + 2)
        assert math.isclose(mean, expect, rel_tol=1e-14)
        assert math.isclose(var, o**2 + w**2 * 4 * c / ((c + 2) ** 2 * (c + 4)),
                            rel_tol=1e-14)


# ----------------------------------------------------------------------------- gamma


@SETTINGS
@given(nq_params(log_gamma=(math.log10(0.3), math.log10(30.0))), st.floats(0.0, 1.0))
def test_gamma_is_continuous_and_stochastically_ordered(p, u):
    """gamma is any positive real: no jumps at integers, and R ~ Beta(gamma/2, 1) grows
    stochastically with gamma, so log P(V <= v) decreases in gamma."""
    a, b, c, o, minimize = p
    y = _grid(a, b, o, n=33, pad=4.0)
    gammas = c * np.array([1.0, 1.0 + 1e-9, 1.25, 1.5, 2.0])
    vals = [[np.asarray(x) for x in logs(_f(a), _f(b), _f(g), _f(o), y, minimize)]
            for g in gammas]
    for j in range(3):
        np.testing.assert_allclose(vals[1][j], vals[0][j], rtol=1e-6, atol=1e-6)
    # P(V <= v): log_cdf (minimize) or log_sf (maximize)
    col = 1 if minimize else 2
    le = np.stack([vals[i][col] for i in (0, 2, 3, 4)])
    slack = 1e-12 * np.maximum(1.0, np.abs(le[:-1]))
    assert np.all(np.diff(le, axis=0) <= slack)


@pytest.mark.parametrize("gamma", [1.0, 2.0, 3.0])
def test_integer_gamma_is_not_special(gamma):
    y = np.linspace(-0.2, 1.2, 29)
    for minimize in (False, True):
        at = [np.asarray(x) for x in logs(0.0, 1.0, gamma, 0.05, y, minimize)]
        for eps in (1e-7, -1e-7):
            near = [np.asarray(x) for x in logs(0.0, 1.0, gamma + eps, 0.05, y, minimize)]
            for x, z in zip(at, near):
                np.testing.assert_allclose(x, z, rtol=0, atol=1e-5)


# ----------------------------------------------------------------------------- shapes


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_batch_shapes_broadcast():
    a = jnp.array([[0.0], [0.5], [-1.0]])
    b = a + jnp.array([[1.0], [0.2], [3.0]])
    c = jnp.array([[1.0], [2.7], [16.0]])
    o = jnp.array([[0.01], [0.3], [1e-4]])
    y = jnp.array([-0.5, 0.1, 0.6, 2.0])
    q = jnp.array([0.1, 0.2, 0.5, 0.9])
    ns = jnp.array([1.0, 10.0, 100.0, 1000.0])

    @partial(jax.jit, static_argnames="minimize")
    def everything(a, b, c, o, minimize):
        d = NoisyQuadratic(a, b, c, o, minimize=minimize)
        return dict(
            log_prob=d.log_prob(y), log_cdf=d.log_cdf(y), log_sf=d.log_sf(y), cdf=d.cdf(y),
            icdf=d.icdf(q), mean=d.mean, variance=d.variance,
            sample=d.sample(jax.random.PRNGKey(0), (5,)),
            quantile_tuning_curve=d.quantile_tuning_curve(ns),
            average_tuning_curve=d.average_tuning_curve(ns),
            row=NoisyQuadratic(a[1, 0], b[1, 0], c[1, 0], o[1, 0],
                               minimize=minimize).log_prob(y),
            scalar=NoisyQuadratic(a[0, 0], b[0, 0], c[0, 0], o[0, 0],
                                  minimize=minimize).log_prob(y[1]),
        )

    expected = dict(log_prob=(3, 4), log_cdf=(3, 4), log_sf=(3, 4), cdf=(3, 4),
                    icdf=(3, 4), mean=(3, 1), variance=(3, 1), sample=(5, 3, 1),
                    quantile_tuning_curve=(3, 4), average_tuning_curve=(3, 4), row=(4,),
                    scalar=())
    for minimize in (False, True):
        d = NoisyQuadratic(a, b, c, o, minimize=minimize)
        assert d.batch_shape == (3, 1)
        assert d.event_shape == ()
        out = everything(a, b, c, o, minimize)
        for name, shape in expected.items():
            assert out[name].shape == shape, (name, out[name].shape)
            assert not jnp.any(jnp.isnan(out[name])), name
        # a batch of rows matches the rows one at a time
        np.testing.assert_allclose(out["log_prob"][1], out["row"], rtol=1e-14)
    assert Quadratic(a, b, c).batch_shape == (3, 1)
    quad = jax.jit(lambda a, b, c: Quadratic(a, b, c).log_cdf(y))(a, b, c)
    assert quad.shape == (3, 4)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_jit_and_vmap():
    ys = jnp.linspace(-0.5, 1.5, 7)

    def f(a, b, c, o, y):
        d = NoisyQuadratic(a, b, c, o)
        return d.log_prob(y) + d.log_cdf(y) - d.log_sf(y)

    params = jnp.array([[0.0, 1.0, 2.7, 0.1], [0.2, 0.9, 1.0, 0.01], [-3.0, 3.0, 7.3, 2.0]])
    # eager (once, on one scalar point), jit, vmap, and vmap under jit all agree
    eager = f(0.0, 1.0, 2.7, 0.1, ys[2])
    f_jit = jax.jit(f)
    np.testing.assert_allclose(f_jit(0.0, 1.0, 2.7, 0.1, ys)[2], eager, rtol=1e-13)
    mapped = jax.vmap(lambda p: f(p[0], p[1], p[2], p[3], ys))(params)
    mapped_jit = jax.jit(jax.vmap(lambda p: f(p[0], p[1], p[2], p[3], ys)))(params)
    assert mapped.shape == (3, 7)
    for i in range(3):
        row = f_jit(*params[i], ys)
        np.testing.assert_allclose(mapped[i], row, rtol=1e-13)
        np.testing.assert_allclose(mapped_jit[i], row, rtol=1e-13)
    # gradients through jit and vmap
    g = jax.jit(jax.vmap(jax.grad(lambda p: jnp.sum(f(p[0], p[1], p[2], p[3], ys)))))(params)
    assert g.shape == (3, 4) and bool(jnp.all(jnp.isfinite(g)))
    # a distribution is a pytree: it can cross a jit boundary
    d = NoisyQuadratic(0.0, 1.0, 2.7, 0.1, minimize=True)
    out = jax.jit(lambda d, y: d.log_prob(y))(d, ys)
    ref = jax.jit(lambda y: NoisyQuadratic(0.0, 1.0, 2.7, 0.1, minimize=True).log_prob(y))(ys)
    np.testing.assert_allclose(out, ref, rtol=1e-13)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(alpha=1.0, beta=1.0, gamma=2.0, sigma=0.1), "alpha"),
        (dict(alpha=2.0, beta=1.0, gamma=2.0, sigma=0.1), "alpha"),
        (dict(alpha=0.0, beta=1.0, gamma=0.0, sigma=0.1), "gamma"),
        (dict(alpha=0.0, beta=1.0, gamma=-1.5, sigma=0.1), "gamma"),
        (dict(alpha=0.0, beta=1.0, gamma=2.0, sigma=-0.1), "sigma"),
        (dict(alpha=jnp.array([0.0, 0.0]), beta=1.0, gamma=2.0,
              sigma=jnp.array([0.1, -1e-9])), "sigma"),
    ],
)
def test_invalid_parameters_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        NoisyQuadratic(**kwargs, minimize=False, validate_args=True)
    with pytest.raises(ValueError, match=name):
        NoisyQuadratic(**kwargs, minimize=True, validate_args=True)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(alpha=1.0, beta=0.5, gamma=2.0), "alpha"),
        (dict(alpha=0.0, beta=1.0, gamma=0.0), "gamma"),
    ],
)
def test_invalid_quadratic_parameters_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Quadratic(**kwargs, validate_args=True)


def test_valid_parameters_do_not_raise():
    NoisyQuadratic(0.0, 1.0, 0.37, 0.0, validate_args=True)
    NoisyQuadratic(jnp.zeros(3), jnp.ones(3), jnp.array([0.5, 2.0, 33.3]), 0.1,
                   minimize=True, validate_args=True)
    Quadratic(-1.0, 1.0, 5.5, validate_args=True)


def test_float32_input_is_computed_in_float64():
    """float32 parameters and points give the float64 results at those float32 values."""
    p32 = [np.float32(x) for x in (0.1, 0.9, 2.7, 0.01)]
    y32 = np.linspace(0.0, 1.0, 9, dtype=np.float32)
    q32 = np.float32([0.1, 0.5, 0.9])
    for minimize in (False, True):
        d32 = NoisyQuadratic(*p32, minimize=minimize)
        d64 = NoisyQuadratic(*(np.float64(x) for x in p32), minimize=minimize)
        for method, x in (("log_prob", y32), ("log_cdf", y32), ("log_sf", y32),
                          ("cdf", y32), ("icdf", q32)):
            out = getattr(d32, method)(x)
            assert out.dtype == jnp.float64, (method, out.dtype)
            np.testing.assert_allclose(out, getattr(d64, method)(x.astype(np.float64)),
                                       rtol=1e-14, err_msg=method)


def test_64_bit_mode_off_raises_a_clear_error():
    with jax.enable_x64(False):
        with pytest.raises(ValueError, match="64-bit mode is off"):
            NoisyQuadratic(0.0, 1.0, 2.0, 0.1)


# ----------------------------------------------------------------------------- extremes


@partial(jax.jit, static_argnames="minimize")
def _everything(a, b, c, o, y, q, minimize):
    d = NoisyQuadratic(a, b, c, o, minimize=minimize)
    vals = (d.log_prob(y), d.log_cdf(y), d.log_sf(y), d.cdf(y), d.icdf(q))

    def per_point(method):
        def f(y, a, b, c, o):
            return getattr(NoisyQuadratic(a, b, c, o, minimize=minimize), method)(y)
        return jax.vmap(jax.grad(f, argnums=(0, 1, 2, 3, 4)),
                        in_axes=(0, None, None, None, None))(y, a, b, c, o)

    grads = [per_point(m) for m in ("log_prob", "log_cdf", "log_sf")]
    return vals, grads


EXTREME_Y = ("-1e6", "1e6", "alpha", "beta", "mid", "alpha-sigma", "beta+sigma",
             "alpha-40sigma", "beta+40sigma", "alpha+1e-3w", "beta-1e-3w")


def _extreme_inputs(rel_sigma):
    a, b = 0.25, 0.75
    w = b - a
    o = rel_sigma * w
    y = jnp.array([-1e6, 1e6, a, b, 0.5 * (a + b), a - o, b + o, a - 40 * o, b + 40 * o,
                   a + 1e-3 * w, b - 1e-3 * w])
    q = jnp.array([1e-300, 1e-12, 1e-3, 0.5, 1 - 1e-3, 1 - 1e-12])
    return a, b, o, y, q


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@pytest.mark.parametrize("rel_sigma", [1e-200, 1e-80, 1e-12, 1e-6, 0.1, 1e6])
@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0, 7.3, 40.0])
def test_no_nan_at_extremes(rel_sigma, gamma):
    """Values: y = +-1e6, sigma from 1e-200 w to 1e6 w, q down to 1e-300."""
    a, b, o, y, q = _extreme_inputs(rel_sigma)
    bad = []
    for minimize in (False, True):
        vals, _ = _everything(a, b, gamma, o, y, q, minimize)
        names = ("log_prob", "log_cdf", "log_sf", "cdf", "icdf")
        for name, v in zip(names, vals):
            v = np.asarray(v)
            where = q if name == "icdf" else EXTREME_Y
            bad += [f"{name} NaN ({'min' if minimize else 'max'}) at {where[i]}"
                    for i in np.nonzero(np.isnan(v))[0]]
        lp, lc, ls = (np.asarray(v) for v in vals[:3])
        assert np.all(lc <= 0) and np.all(ls <= 0)
        assert np.all(np.isfinite(lc) | np.isfinite(ls))
    assert not bad, bad


@pytest.mark.parametrize("rel_sigma", [1e-200, 1e-80, 1e-12, 1e-9, 1e-6, 0.1, 1e6])
@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0, 7.3, 40.0])
def test_no_nan_gradients_at_extremes(rel_sigma, gamma):
    """Gradients of log_prob/log_cdf/log_sf in (y, alpha, beta, gamma, sigma), per point."""
    a, b, o, y, q = _extreme_inputs(rel_sigma)
    bad = []
    for minimize in (False, True):
        _, grads = _everything(a, b, gamma, o, y, q, minimize)
        for method, g in zip(("log_prob", "log_cdf", "log_sf"), grads):
            for pname, gi in zip(("y", "alpha", "beta", "gamma", "sigma"), g):
                gi = np.asarray(gi)
                bad += [f"d{method}/d{pname} NaN ({'min' if minimize else 'max'})"
                        f" at y={EXTREME_Y[i]}" for i in np.nonzero(np.isnan(gi))[0]]
    assert not bad, bad


@pytest.mark.parametrize("gamma", [0.014, 0.5, 2.0, 7.3])
def test_huge_width_scales_exactly(gamma):
    """Widths up to 1e160 (sigma/w below 1e-154, where s^2 underflows; prior draws reach it).

    Near beta the density of R is (gamma/2) r^(gamma/2 - 1), so for y within a few sigma of
    beta, widening [alpha, beta] from w to w' shifts log_prob and log_sf (maximize form) by
    exactly -(gamma/2) log(w'/w) once both widths are far beyond sigma.
    """
    b, o = 0.245, 0.2186
    y = jnp.array([b - 2 * o, b - 0.5 * o, b, b + o, b + 3 * o])
    k = gamma / 2

    def logs_at(w):
        d = NoisyQuadratic(b - w, b, gamma, o)
        return jnp.stack([d.log_prob(y), d.log_sf(y)])

    small, huge = np.asarray(logs_at(1e10)), np.asarray(logs_at(1e160))
    assert np.all(np.isfinite(huge))
    np.testing.assert_allclose(huge, small - k * np.log(1e150), rtol=1e-11, atol=1e-9)

    def grads_at(w):
        return jax.grad(lambda g, s: jnp.sum(NoisyQuadratic(b - w, b, g, s).log_prob(y)),
                        argnums=(0, 1))(gamma, o)

    (g_small, s_small), (g_huge, s_huge) = grads_at(1e10), grads_at(1e160)
    np.testing.assert_allclose(g_huge, g_small - 0.5 * y.size * np.log(1e150), rtol=1e-9)
    # (at gamma = 0.014 the quadrature's derivatives agree to 3e-7, not 1e-9)
    np.testing.assert_allclose(s_huge, s_small, rtol=1e-9 if gamma >= 0.5 else 1e-6)


@pytest.mark.parametrize("k", [0.25, 1.0, 3.65, 20.0])
@pytest.mark.parametrize("s", [1e-80, 1e-150, 1e-250, 1e-300])
def test_tiny_relative_noise_is_self_similar(k, s):
    """Below s = 1e-60 a point within 1e30 sds of an end is rescaled; check the scaling law.

    Near r = 0 at fixed z = v/s: log f_V - (k-1) log s, log P(V <= v) - k log s and
    P(V >= v) = 1 - P(V <= v); near r = 1 at fixed z = u/s: log f_V, log P(V >= v) - log s
    and P(V <= v) = 1 - P(V >= v). Compared with the plain quadrature at s = 1e-20.
    """
    z = np.array([-30.0, -3.0, 0.0, 1.5, 8.0, 30.0])
    ref_s = 1e-20

    def near(end, s):
        d = jnp.asarray(z * s)
        v, u = (d, 1.0 - d) if end == 0 else (1.0 - d, d)
        return np.array([np.asarray(x) for x in standardized_logs(v, u, k, s)])

    shift = {0: np.array([k - 1.0, k, 0.0]), 1: np.array([0.0, 0.0, 1.0])}
    grows = {0: 1, 1: 2}
    for end in (0, 1):
        got, ref = near(end, s), near(end, ref_s)
        assert np.all(np.isfinite(got[[0, grows[end]]])) and not np.any(np.isnan(got))
        expect = ref + shift[end][:, None] * np.log(s / ref_s)
        i = grows[end]
        other = 3 - i
        expect[other] = np.log1p(-np.exp(expect[i]))
        np.testing.assert_allclose(got[[0, i]], expect[[0, i]], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(got[other], expect[other], rtol=1e-9, atol=1e-12)


def test_no_nan_noiseless():
    y = np.array([-1e6, -0.1, 0.0, 0.3, 1.0, 1.1, 1e6])
    q = np.array([1e-9, 0.5, 1 - 1e-9])
    for gamma in (0.3, 1.0, 2.0, 7.3):
        for minimize in (False, True):
            for name, v in zip(("log_prob", "log_cdf", "log_sf"),
                               quad_logs(0.0, 1.0, gamma, y, minimize)):
                assert not np.any(np.isnan(v)), ("Quadratic", gamma, name, v)
            for name, v in zip(("log_prob", "log_cdf", "log_sf"),
                               logs(0.0, 1.0, gamma, 0.0, y, minimize)):
                assert not np.any(np.isnan(v)), ("NoisyQuadratic sigma=0", gamma, name, v)
            assert not np.any(np.isnan(cdf_fn(0.0, 1.0, gamma, 0.0, y, minimize)))
            assert not np.any(np.isnan(icdf_fn(0.0, 1.0, gamma, 0.0, q, minimize)))


# ----------------------------------------------------------------------------- tuning curves

NS = np.array([1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0, 1e3, 1e4, 1e5, 1e6])


@SETTINGS
@given(nq_params(), st.floats(0.05, 0.95))
def test_quantile_tuning_curve(p, q):
    a, b, c, o, minimize = p
    args = (_f(a), _f(b), _f(c), _f(o))
    tq, ta = (np.asarray(x) for x in tuning_curves(*args, NS, _f(q), minimize))
    assert np.all(np.isfinite(tq)) and np.all(np.isfinite(ta))
    scale = b - a + o
    # n = 1 is the q-quantile of one draw
    y1 = float(icdf_fn(*args, np.array([q]), minimize)[0])
    assert abs(tq[0] - y1) <= 1e-9 * scale + 4 * np.spacing(abs(y1))
    # monotone in n: the best of more draws is better
    step = np.diff(tq) * (1.0 if not minimize else -1.0)
    assert np.all(step >= -(1e-10 * scale + 8 * np.spacing(np.abs(tq[1:])))), step
    # defining identity: P(T_n <= tau) = q, checked on the smaller tail
    lp, lc, ls = logs(*args, tq, minimize)
    if minimize:
        target = np.log(-np.expm1(np.log1p(-q) / NS))  # log(1 - (1-q)^(1/n)) = log F
        got = lc
    else:
        target = np.log(-np.expm1(np.log(q) / NS))  # log(1 - q^(1/n)) = log S
        got = ls
    err = got - target
    j = int(np.argmax(np.abs(err)))
    dy = abs(err[j]) / np.exp(lp[j] - got[j])
    assert np.all(np.abs(err) <= 1e-8), (
        f"log P(T_n {'<=' if minimize else '>'} tau) off by {err[j]:.3g} at n={NS[j]:g}"
        f" (tau={tq[j]!r}, i.e. tau off by about {dy:.3g} = {dy / scale:.3g} (w + sigma))")


@SETTINGS
@given(nq_params())
def test_average_tuning_curve(p):
    a, b, c, o, minimize = p
    args = (_f(a), _f(b), _f(c), _f(o))
    _, ta = (np.asarray(x) for x in tuning_curves(*args, NS, _f(0.5), minimize))
    assert np.all(np.isfinite(ta))
    scale = b - a + o
    mean, _ = (float(x) for x in moments(*args, minimize))
    assert abs(ta[0] - mean) <= 1e-8 * scale, (ta[0], mean)
    step = np.diff(ta) * (1.0 if not minimize else -1.0)
    assert np.all(step >= -(1e-9 * scale)), step


def _numeric_average(a, b, c, o, ns, minimize):
    """E[T_n] = lo + int_lo^hi P(T_n > y) dy by the trapezoid rule on a fine grid."""
    lo, hi = a - 12 * o, b + 12 * o
    y = np.linspace(lo, hi, 100_001)
    _, lc, ls = logs(a, b, c, o, y, minimize)
    out = []
    for n in ns:
        if minimize:
            surv = np.exp(n * ls)  # P(min > y) = S(y)^n
        else:
            surv = -np.expm1(n * lc)  # P(max > y) = 1 - F(y)^n
        out.append(lo + np.trapezoid(surv, y))
    return np.array(out)


@pytest.mark.parametrize("minimize", [False, True])
@pytest.mark.parametrize("c, s", [(0.7, 0.05), (2.0, 0.3), (5.5, 0.02), (16.0, 1.0)])
def test_average_tuning_curve_matches_integral_of_cdf(c, s, minimize):
    a, b = 0.1, 0.9
    o = s * (b - a)
    ns = np.array([1.0, 4.0, 32.0, 300.0])
    _, ta = tuning_curves(a, b, c, o, ns, 0.5, minimize)
    ref = _numeric_average(a, b, c, o, ns, minimize)
    mean, _ = moments(a, b, c, o, minimize)
    assert abs(ref[0] - float(mean)) <= 1e-7  # the numerical integral itself is right
    np.testing.assert_allclose(ta, ref, rtol=0, atol=1e-6 * (b - a + o))


def _closed_quantile(a, b, c, n, q, minimize):
    with mpmath.workdps(40):
        a, b, c, n, q = (mpmath.mpf(x) for x in (a, b, c, n, q))
        w = b - a
        if minimize:
            return float(a + w * (-mpmath.expm1(mpmath.log1p(-q) / n)) ** (2 / c))
        return float(b - w * (-mpmath.expm1(mpmath.log(q) / n)) ** (2 / c))


def _closed_average(a, b, c, n, minimize):
    with mpmath.workdps(40):
        a, b, c, n = (mpmath.mpf(x) for x in (a, b, c, n))
        w = b - a
        g = mpmath.exp(mpmath.loggamma(n + 1) + mpmath.loggamma(1 + 2 / c)
                       - mpmath.loggamma(n + 1 + 2 / c))
        return float(a + w * g if minimize else b - w * g)


@SETTINGS
@given(nq_params(), st.floats(0.05, 0.95))
def test_noiseless_tuning_curves_closed_forms(p, q):
    """docs/noisy-quadratic.md section 4, for Quadratic and NoisyQuadratic(sigma=0)."""
    a, b, c, _, minimize = p
    w = b - a
    tq, ta = (np.asarray(x) for x in
              quad_tuning_curves(_f(a), _f(b), _f(c), NS, _f(q), minimize))
    tq0, ta0 = (np.asarray(x) for x in
                tuning_curves(_f(a), _f(b), _f(c), _f(0.0), NS, _f(q), minimize))
    ref_q = np.array([_closed_quantile(a, b, c, n, q, minimize) for n in NS])
    ref_a = np.array([_closed_average(a, b, c, n, minimize) for n in NS])
    tol_q = 1e-10 * w + 4 * np.spacing(np.abs(ref_q))
    tol_a = 1e-8 * w + 4 * np.spacing(np.abs(ref_a))
    for got in (tq, tq0):
        assert np.all(np.abs(got - ref_q) <= tol_q), (got, ref_q)
    for got in (ta, ta0):
        assert np.all(np.abs(got - ref_a) <= tol_a), (got, ref_a)


def test_tuning_curves_large_n():
    ns = np.array([1e4, 1e5, 3e5, 1e6, 3e6, 1e7])
    for minimize in (False, True):
        for c, o in ((0.5, 1e-4), (1.0, 0.001), (2.0, 0.05), (16.0, 2.0), (3.0, 0.0)):
            tq, ta = tuning_curves(0.2, 0.9, c, o, ns, 0.5, minimize)
            assert np.all(np.isfinite(tq)) and np.all(np.isfinite(ta)), (c, o, tq, ta)
            sign = -1.0 if minimize else 1.0
            assert np.all(sign * np.diff(tq) >= -1e-12), (c, o, tq)
            assert np.all(sign * np.diff(ta) >= -1e-12), (c, o, ta)


# ----------------------------------------------------------------------------- issue 3
#
# The average tuning curve against references that share nothing with its quadrature:
# the mean (n = 1), mpmath with the closed-form cdf of gamma = 2 (R uniform), and a fine
# composite Gauss-Legendre rule (thousands of geometrically graded panels) on log_cdf.


@partial(jax.jit, static_argnames="minimize")
def _average(a, b, c, o, n, minimize):
    return NoisyQuadratic(a, b, c, o, minimize=minimize).average_tuning_curve(n)


@pytest.mark.parametrize("minimize", [False, True])
@pytest.mark.parametrize("rel_sigma", [1e-9, 1e-4, 1e-3, 0.05, 3.0])
@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0, 7.3, 40.0])
def test_average_tuning_curve_at_one_is_the_mean(gamma, rel_sigma, minimize):
    a, b = 0.859, 0.905  # DeBERTaV3-like: the old quadrature was 4% of w off here
    w = b - a
    got = float(_average(a, b, gamma, rel_sigma * w, jnp.array([1.0]), minimize)[0])
    mean, _ = (float(x) for x in moments(a, b, gamma, rel_sigma * w, minimize))
    assert abs(got - mean) <= 1e-10 * w + 4 * np.spacing(mean), (got, mean)


def _mp_expected_min_uniform(n, s, dps=30):
    """E[min of n] of V = U + sZ, U uniform (gamma = 2), with mpmath.

    P(V >= v) = s (psi((1 - v)/s) - psi(-v/s)), psi(x) = x Phi(x) + phi(x).
    """
    mp = mpmath.mp
    with mpmath.workdps(dps):
        n, s = mpmath.mpf(n), mpmath.mpf(s)

        def psi(x):
            return x * mp.ncdf(x) + mp.npdf(x)

        def g(v):
            return s * (psi((1 - v) / s) - psi(-v / s))

        c = mpmath.sqrt(2 * (50 + mpmath.log(n)))
        lo, hi = -s * c, 1 + s * c
        pts = sorted({float(x) for x in
                      [lo, -4 * s, -2 * s, -s, 0, s, 2 * s, 4 * s, 1 / n, 10 / n, 0.5,
                       1 - 4 * s, 1, 1 + 4 * s, hi] if lo <= x <= hi})
        neg = [p for p in pts if p <= 0]
        pos = [p for p in pts if p >= 0]
        below = mpmath.quad(lambda v: 1 - g(v) ** n, neg)
        above = mpmath.quad(lambda v: g(v) ** n, pos)
        return above - below


@pytest.mark.parametrize("s", [1e-3, 0.05, 0.5])
def test_average_tuning_curve_matches_mpmath_uniform(s):
    ns = np.array([1.0, 3.0, 30.0, 1e3, 1e6])
    a, b = 0.0, 1.0
    for minimize in (False, True):
        got = np.asarray(_average(a, b, 2.0, s, jnp.asarray(ns), minimize))
        m = np.array([float(_mp_expected_min_uniform(n, s)) for n in ns])
        ref = a + m if minimize else b - m
        scale = np.abs(m) + s
        assert np.all(np.abs(got - ref) <= 1e-9 * scale), (got - ref) / scale


@jax.jit
def _standard_log_ge(v, u, k, s):
    _, log_le, log_ge = standardized_logs(v, u, k, s)
    return jnp.where(log_le < -math.log(2), jnp.log1p(-jnp.exp(log_le)), log_ge)


def _fine_expected_min(n, k, s, per=1500, nodes=16):
    """E[min of n] by Gauss-Legendre on ~6000 panels graded geometrically towards 0 and 1.

    Near v = 1 the panels are laid out in u = 1 - v, so that u keeps full precision.
    """
    c = math.sqrt(2 * (45 + math.log(n)))
    lo, hi = -s * c, 1 + s * c
    tiny = 1e-6 * min(s, (1.0 / n) ** (1 / k))
    g = np.geomspace(tiny, 2.0 + s * c, per)
    x, w = np.polynomial.legendre.leggauss(nodes)
    total = 0.0
    # around 0, in v
    pts = np.unique(np.clip(np.concatenate([[lo, 0.0, 0.5], g, -g]), lo, 0.5))
    # around 1, in u
    upts = np.unique(np.clip(np.concatenate([[1 - hi, 0.0, 0.5], g, -g]), 1 - hi, 0.5))
    for kind, p in (("v", pts), ("u", upts)):
        left, right = p[:-1, None], p[1:, None]
        t = (left + (right - left) * (x + 1) / 2).ravel()
        wt = ((right - left) * w / 2).ravel()
        v, u = (t, 1 - t) if kind == "v" else (1 - t, t)
        lg = np.asarray(_standard_log_ge(jnp.asarray(v), jnp.asarray(u), k, s))
        total += np.sum(wt * np.where(v < 0, np.expm1(n * lg), np.exp(n * lg)))
    return total


@pytest.mark.parametrize("c, s", [(0.3, 1e-6), (1.0, 1.1e-3 / 0.046), (1.0, 1e-4),
                                  (5.5, 0.02), (16.0, 1.0), (40.0, 1e-3)])
@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_average_tuning_curve_matches_fine_quadrature(c, s):
    ns = np.array([1.0, 2.0, 10.0, 100.0, 1e4, 1e6])
    a, b = 0.2, 0.7
    w = b - a
    k = c / 2
    m = np.array([_fine_expected_min(n, k, s) for n in ns])
    scale = np.abs(m) + s
    for minimize in (False, True):
        got = np.asarray(_average(a, b, c, s * w, jnp.asarray(ns), minimize))
        ref = a + w * m if minimize else b - w * m
        err = np.abs(got - ref) / (w * scale)
        assert np.all(err <= 1e-9), (ns[np.argmax(err)], err.max())


def test_average_tuning_curve_noiseless_closed_form_and_limit():
    """sigma = 0 is the closed form; tiny sigma approaches it continuously."""
    ns = jnp.array([1.0, 7.0, 1e3, 1e6])
    for c in (0.5, 2.0, 9.0):
        for minimize in (False, True):
            exact = np.array([_closed_average(0.1, 0.6, c, float(n), minimize) for n in ns])
            zero = np.asarray(_average(0.1, 0.6, c, 0.0, ns, minimize))
            np.testing.assert_allclose(zero, exact, rtol=0, atol=1e-12)  # gammaln
            tiny = np.asarray(_average(0.1, 0.6, c, 1e-13, ns, minimize))
            np.testing.assert_allclose(tiny, exact, rtol=0, atol=1e-11)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
def test_average_tuning_curve_broadcasts():
    a = jnp.array([[0.0], [0.5]])
    d = NoisyQuadratic(a, a + 1.0, jnp.array([[1.0], [3.0]]), 0.01)
    out = d.average_tuning_curve(jnp.array([1.0, 10.0, 1e6]))
    assert out.shape == (2, 3) and bool(jnp.all(jnp.isfinite(out)))
    row = NoisyQuadratic(0.5, 1.5, 3.0, 0.01).average_tuning_curve(jnp.array([1.0, 10.0, 1e6]))
    np.testing.assert_allclose(out[1], row, rtol=1e-14)


@pytest.mark.parametrize("minimize", [False, True])
@pytest.mark.parametrize("rel_sigma", [1e-9, 1e-3, 0.3])
@pytest.mark.parametrize("gamma", [1.0, 2.0, 31.6])
def test_quantile_tuning_curve_full_precision(gamma, rel_sigma, minimize):
    """n up to 1e6 and q from 1e-9 to 1 - 1e-9: the defining identity holds to the
    accuracy of log_cdf itself (a few 1e-14), i.e. tau to a few ulp of w."""
    a, b = 0.1, 0.9
    w = b - a
    o = rel_sigma * w
    ns = np.array([1.0, 2.0, 10.0, 1e3, 1e6])
    for q in (1e-9, 0.05, 0.5, 0.95, 1 - 1e-9):
        tq, _ = tuning_curves(a, b, gamma, o, ns, q, minimize)
        lp, lc, ls = logs(a, b, gamma, o, tq, minimize)
        level = (np.log1p(-q) if minimize else np.log(q)) / ns  # log S or log F
        near_one = level > -math.log(2)
        small = np.where(near_one, np.log(-np.expm1(level)), level)
        # the smaller of the two tail probabilities that define tau
        got = np.where(near_one, lc, ls) if minimize else np.where(near_one, ls, lc)
        err = np.abs(got - small)
        hazard = np.exp(lp - got)
        dy = err / hazard
        assert np.all(dy <= 1e-13 * w), (q, ns[np.argmax(dy)], dy.max() / w)
    # sigma = 0: the closed form exactly
    for q in (1e-9, 0.5, 1 - 1e-9):
        tq0, _ = tuning_curves(a, b, gamma, 0.0, ns, q, minimize)
        ref = np.array([_closed_quantile(a, b, gamma, n, q, minimize) for n in ns])
        np.testing.assert_allclose(tq0, ref, rtol=0, atol=4 * np.spacing(1.0))
