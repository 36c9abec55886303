"""The NumPyro distribution contract for NoisyQuadratic and Quadratic (issue 24).

Generic checks in the spirit of NumPyro's own suite (``test/test_distributions.py``), run
over a grid of both forms and both classes: batch shapes, the pytree round trip, vmap over
the parameters, jit, gradients against finite differences, samples against the cdf (KS),
mean and variance against quadrature of the cdf, icdf and its gradients; then the
parameter checks (alpha < beta, n >= 1) and the monotone, complementary cdf. The fast
tier runs a small grid; ``-m slow`` runs a larger one and the fuzz over 2,000 random
parameter sets.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest
from scipy import integrate, stats

numpyro.enable_x64()

from bayesnq.distributions import NoisyQuadratic, Quadratic  # noqa: E402

# (class, alpha, beta, gamma, sigma): sigma is None for Quadratic
FAST = [("nq", 0.3, 1.7, 2.7, 0.15), ("q", -1.0, 2.0, 0.6, None)]
SLOW = [("nq", -1.0, 2.0, 0.6, 0.02), ("q", 0.3, 1.7, 2.7, None)] + [
    ("nq", 0.0, 1.0, g, s * 1.0)
    for g in (0.2, 1.0, 5.0, 40.0, 150.0) for s in (1e-3, 0.1, 3.0)
] + [("q", 0.0, 1.0, g, None) for g in (0.2, 1.0, 5.0, 40.0, 150.0)] + [
    ("nq", 1e3, 1e3 + 1e-4, 3.3, 2e-6), ("nq", -5e4, 5e4, 1.5, 300.0)]


def _cases(grid):
    return [pytest.param(c, m, id=f"{c[0]}-{'min' if m else 'max'}-g{c[3]}-s{c[4]}")
            for c in grid for m in (False, True)]


CASES = _cases(FAST)
SLOW_CASES = [pytest.param(*p.values, marks=pytest.mark.slow, id=p.id) for p in _cases(SLOW)]


@pytest.fixture(autouse=True)
def _release_compiled_programs_often(request):
    """Drop JAX's compiled programs after each gradient test: they compile many, and kept
    through the module they crashed XLA:CPU's compiler (a segfault while compiling)."""
    yield
    if "gradient" in request.node.name:
        jax.clear_caches()


def make(case, minimize, **over):
    kind, a, b, g, s = case
    p = dict(alpha=a, beta=b, gamma=g, sigma=s)
    p.update(over)
    if kind == "q":
        p.pop("sigma")
        return Quadratic(**p, minimize=minimize)
    return NoisyQuadratic(**p, minimize=minimize)


def params(case):
    names = ("alpha", "beta", "gamma") if case[0] == "q" else ("alpha", "beta", "gamma",
                                                                  "sigma")
    return {n: v for n, v in zip(names, case[1:])}


def points(case, n=9):
    """Points inside the support and in both tails."""
    _, a, b, _, s = case
    w = b - a
    pad = 4.0 * (s or 0.0)
    inner = np.linspace(a + 0.03 * w, b - 0.03 * w, n)
    outer = np.array([a - pad - 0.01 * w, b + pad + 0.01 * w]) if s else np.array([])
    return np.concatenate([inner, outer])


# ----------------------------------------------------------------------------- shapes


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@pytest.mark.parametrize("case, minimize", CASES)
def test_batch_shapes(case, minimize):
    """Each parameter batched alone: every output is shaped like batch_shape."""
    for name, value in params(case).items():
        batched = value * np.array([1.0, 1.0, 1.0]) if name not in ("alpha", "beta") else (
            value + np.array([0.0, 1e-3, 2e-3]) * (case[2] - case[1]))
        d = make(case, minimize, **{name: jnp.asarray(batched)})
        assert d.batch_shape == (3,), name
        assert d.event_shape == ()
        assert jnp.shape(d.mean) == (3,), name
        assert jnp.shape(d.variance) == (3,), name
        y = jnp.asarray(points(case, 3)[:3])
        for out in (d.log_prob(y), d.log_cdf(y), d.log_sf(y), d.cdf(y), d.icdf(0.3)):
            assert out.shape == (3,), name
        x = d.sample(jax.random.PRNGKey(0), (2, 5))
        assert x.shape == (2, 5, 3)
        assert d.log_prob(x).shape == (2, 5, 3)
        assert d.expand((4, 3)).sample(jax.random.PRNGKey(1)).shape == (4, 3)


@pytest.mark.parametrize("kind", ["nq", "q"])
def test_init_to_mean_in_a_plate_gives_one_value_per_element(kind):
    """With only sigma batched (or gamma, for Quadratic) the latent site has the plate's shape."""
    from numpyro.infer.initialization import init_to_mean
    from numpyro.infer.util import initialize_model

    def model():
        with numpyro.plate("p", 3):
            if kind == "nq":
                numpyro.sample("x", NoisyQuadratic(0.0, 1.0, 2.0, jnp.array([0.1, 0.2, 0.3])))
            else:
                numpyro.sample("x", Quadratic(0.0, 1.0, jnp.array([1.0, 2.0, 3.0])))

    info = initialize_model(jax.random.PRNGKey(0), model, init_strategy=init_to_mean)
    assert info.param_info.z["x"].shape == (3,)


# ----------------------------------------------------------------------------- pytrees, jit, vmap


@pytest.mark.parametrize("case, minimize", CASES)
def test_pytree_round_trip(case, minimize):
    d = make(case, minimize)
    leaves, tree = jax.tree_util.tree_flatten(d)
    e = jax.tree_util.tree_unflatten(tree, leaves)
    assert type(e) is type(d) and e.minimize == d.minimize and e.batch_shape == d.batch_shape
    y = jnp.asarray(points(case))
    np.testing.assert_array_equal(e.log_prob(y), d.log_prob(y))
    # a distribution passed through jit as an argument
    out = jax.jit(lambda dist, y: (dist.log_prob(y), dist.log_cdf(y), dist.mean))(d, y)
    np.testing.assert_allclose(out[0], d.log_prob(y), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(out[1], d.log_cdf(y), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(out[2], d.mean, rtol=1e-15)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@pytest.mark.parametrize("case, minimize", CASES)
def test_jit_matches_eager(case, minimize):
    d = make(case, minimize)
    y = jnp.asarray(points(case))
    q = jnp.array([1e-6, 0.3, 0.5, 0.9, 1 - 1e-9])

    def outputs(p, y, q):
        e = make((case[0],) + tuple(p) + ((None,) if case[0] == "q" else ()), minimize)
        return (e.log_prob(y), e.log_cdf(y), e.log_sf(y), e.icdf(q),
                e.sample(jax.random.PRNGKey(3), (4,)))

    p = tuple(params(case).values())
    eager = outputs(p, y, q)
    jitted = jax.jit(outputs)(p, y, q)
    for a, b in zip(eager, jitted):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    del d


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@pytest.mark.parametrize("case, minimize", CASES)
def test_vmap_over_parameters(case, minimize):
    """vmap over stacked parameter sets matches the batched distribution."""
    names = list(params(case))
    base = np.array(list(params(case).values()))
    w = case[2] - case[1]
    stacked = np.stack([base, base, base])
    stacked[:, 0] += np.array([0.0, -0.1, 0.2]) * w  # alpha
    stacked[:, 2] *= np.array([1.0, 1.7, 0.5])  # gamma
    y = jnp.asarray(points(case, 4))
    q = jnp.array([0.1, 0.5, 0.95])

    def one(p):
        d = make(case, minimize, **dict(zip(names, p)))
        return d.log_prob(y), d.log_cdf(y), d.icdf(q), d.mean

    out = jax.vmap(one)(jnp.asarray(stacked))
    batched = make(case, minimize, **{n: jnp.asarray(stacked[:, i])[:, None]
                                      for i, n in enumerate(names)})
    ref = (batched.log_prob(y), batched.log_cdf(y), batched.icdf(q), batched.mean[:, 0])
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- gradients


def _fd(f, x, h):
    """Central difference over the step as represented: x +- h rounds, and where h is far
    below x (alpha = 1000, h = 1e-10) the rounded step differs from 2h by 1e-3."""
    x = jnp.asarray(x, dtype=jnp.float64)
    up, down = x + h, x - h
    return (f(up) - f(down)) / (up - down)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@pytest.mark.parametrize("case, minimize", CASES)
def test_gradients_match_finite_differences(case, minimize):
    """log_prob, log_cdf, log_sf and icdf, in every parameter and in the point / level."""
    p0 = params(case)
    y = jnp.asarray(points(case, 3))
    q = jnp.array([0.05, 0.5, 0.97])
    scale = {"alpha": case[2] - case[1], "beta": case[2] - case[1], "gamma": case[3],
             "sigma": case[4]}

    def outs(**p):
        d = make(case, minimize, **p)
        return jnp.concatenate([d.log_prob(y), d.log_cdf(y), d.log_sf(y), d.icdf(q)])

    for name in p0:
        def f(x, name=name):
            return outs(**{**p0, name: x})
        jac = jax.jacfwd(f)(jnp.float64(p0[name]))
        rev = jax.jacrev(f)(jnp.float64(p0[name]))
        fd = _fd(f, p0[name], 1e-6 * scale[name])
        np.testing.assert_allclose(jac, fd, rtol=2e-5, atol=2e-5 * np.abs(fd).max(),
                                   err_msg=name)
        np.testing.assert_allclose(rev, jac, rtol=1e-12, atol=1e-12, err_msg=name)
    d = make(case, minimize)
    # in the point and the level
    dlp = jax.vmap(jax.grad(lambda t: d.log_cdf(t)))(y)
    np.testing.assert_allclose(dlp, jnp.exp(d.log_prob(y) - d.log_cdf(y)), rtol=1e-9)
    dq = jax.vmap(jax.grad(lambda t: d.icdf(t)))(q)
    # the reference 1/pdf(icdf(q)) takes the pdf at icdf(q) rounded to float64; where the
    # pdf is steep there (gamma < 2 near the best end) that rounding alone moves it by
    # |d log pdf/dy| * ulp(y), which the tolerance admits
    x = d.icdf(q)
    steep = jnp.abs(jax.vmap(jax.grad(lambda t: d.log_prob(t)))(x)) * jnp.spacing(jnp.abs(x))
    ref = jnp.exp(-d.log_prob(x))
    assert bool(jnp.all(jnp.abs(dq - ref) <= (1e-9 + 2.0 * steep) * jnp.abs(ref))), (dq, ref)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@pytest.mark.parametrize("case, minimize", CASES)
def test_quantile_tuning_curve_gradients(case, minimize):
    """Quantile tuning curves are differentiable (through the implicit icdf derivatives)."""
    p0 = params(case)
    n = jnp.array([2.0, 10.0, 1000.0])
    for name in ("beta", "gamma"):
        def f(x, name=name):
            return make(case, minimize, **{**p0, name: x}).quantile_tuning_curve(n, 0.5)
        jac = jax.jacfwd(f)(jnp.float64(p0[name]))
        fd = _fd(f, p0[name], 1e-6 * abs(p0[name]))
        np.testing.assert_allclose(jac, fd, rtol=2e-5, atol=1e-8, err_msg=name)
    d = make(case, minimize)
    dn = jax.vmap(jax.grad(lambda t: d.quantile_tuning_curve(t, 0.5)))(n)
    fd = _fd(lambda t: d.quantile_tuning_curve(t, 0.5), n, 1e-6 * n)
    np.testing.assert_allclose(dn, fd, rtol=2e-5, atol=1e-9)


@pytest.mark.parametrize("kind", ["nq", "q"])
def test_reparameterized_sampling(kind):
    case = FAST[0] if kind == "nq" else FAST[1]
    d = make(case, False)
    assert d.has_rsample
    key = jax.random.PRNGKey(0)
    x = d.rsample(key, (3,))
    np.testing.assert_array_equal(x, d.sample(key, (3,)))

    def mean_of_draws(beta):
        return make(case, False, beta=beta).rsample(key, (2000,)).mean()
    # Y = beta - w R + E: dY/dbeta = 1 - R, whose mean is 1 - gamma / (gamma + 2)
    g = jax.grad(mean_of_draws)(case[2])
    assert abs(g - 2.0 / (case[3] + 2.0)) < 0.05


# ----------------------------------------------------------------------------- goodness of fit


def _check_fit(case, minimize):
    d = make(case, minimize)
    x = np.asarray(d.sample(jax.random.PRNGKey(11), (4000,)))
    cdf = jax.jit(d.cdf)
    p = stats.kstest(x, lambda t: np.asarray(cdf(jnp.asarray(t)))).pvalue
    assert p > 1e-4, p
    # mean and variance against quadrature of the cdf around a point c inside:
    # E[Y] = c + int_c^inf S - int_-inf^c F, E[(Y - c)^2] = 2 int (y - c) S ... + ...
    _, a, b, _, s = case
    c = 0.5 * (a + b)
    lo, hi = a - 40.0 * (s or 0.0), b + 40.0 * (s or 0.0)
    F = jax.jit(lambda t: jnp.exp(d.log_cdf(t)))
    S = jax.jit(lambda t: jnp.exp(d.log_sf(t)))
    kw = dict(epsabs=0.0, epsrel=1e-11, limit=400)
    ints = []
    for fn, l, r in ((S, c, hi), (F, lo, c)):
        for pw in (0, 1):
            ints.append(integrate.quad(lambda t: float(fn(t)) * abs(t - c) ** pw, l, r,
                                       points=[x for x in (a, b) if l < x < r] or None,
                                       **kw)[0])
    mean = c + ints[0] - ints[2]
    second = 2.0 * (ints[1] + ints[3])
    w = b - a
    np.testing.assert_allclose(float(d.mean), mean, rtol=0, atol=1e-9 * (w + (s or 0)))
    np.testing.assert_allclose(float(d.variance), second - (mean - c) ** 2, rtol=1e-8)


@pytest.mark.slow  # heavy: the slow tier keeps the fast tier within 6 minutes
@pytest.mark.parametrize("case, minimize", CASES)
def test_samples_mean_and_variance(case, minimize):
    _check_fit(case, minimize)


@pytest.mark.parametrize("case, minimize", SLOW_CASES)
def test_samples_mean_and_variance_wide_grid(case, minimize):
    _check_fit(case, minimize)


@pytest.mark.parametrize("case, minimize", SLOW_CASES)
def test_gradients_wide_grid(case, minimize):
    test_gradients_match_finite_differences(case, minimize)


# ----------------------------------------------------------------------------- parameter checks


BAD_ORDER = [dict(alpha=1.0, beta=0.0), dict(alpha=1.0, beta=1.0),
             dict(alpha=jnp.array([0.0, 2.0]), beta=jnp.array([1.0, 1.5]))]


@pytest.mark.parametrize("order", BAD_ORDER)
@pytest.mark.parametrize("kind", ["nq", "q"])
def test_alpha_must_be_below_beta(order, kind):
    def build(**kw):
        if kind == "q":
            return Quadratic(**order, gamma=2.0, **kw)
        return NoisyQuadratic(**order, gamma=2.0, sigma=0.1, **kw)

    # by default (validation off), with numpyro.enable_validation() and validate_args=True
    with pytest.raises(ValueError, match=r"alpha must be less than beta, got alpha=.*beta="):
        build()
    numpyro.enable_validation(True)
    try:
        with pytest.raises(ValueError, match=r"alpha must be less than beta"):
            build()
    finally:
        numpyro.enable_validation(False)
    with pytest.raises(ValueError, match=r"alpha must be less than beta"):
        build(validate_args=True)
    # under jit (nothing concrete to check) every output is NaN
    a, b = (jnp.asarray(order[k]) for k in ("alpha", "beta"))

    @jax.jit
    def outputs(a, b):
        d = (Quadratic(a, b, 2.0) if kind == "q" else NoisyQuadratic(a, b, 2.0, 0.1))
        return (d.log_prob(0.5), d.log_cdf(0.5), d.log_sf(0.5), d.cdf(0.5), d.icdf(0.5),
                d.sample(jax.random.PRNGKey(0)), d.quantile_tuning_curve(3.0))

    for out in outputs(a, b):
        bad = ~(jnp.broadcast_to(a, out.shape) < jnp.broadcast_to(b, out.shape))
        assert bool(jnp.all(jnp.isnan(out[bad]))) and bool(jnp.all(~jnp.isnan(out[~bad])))


def test_default_validation_errors_show_the_value():
    numpyro.enable_validation(True)
    try:
        with pytest.raises(ValueError, match=r"gamma must be positive, got gamma=-1\.5"):
            NoisyQuadratic(0.0, 1.0, -1.5, 0.1)
        with pytest.raises(ValueError, match=r"sigma must be non-negative, got sigma=-0\.2"):
            NoisyQuadratic(0.0, 1.0, 2.0, jnp.array([0.1, -0.2]))
        NoisyQuadratic(0.0, 1.0, 2.0, 0.1)  # valid ones pass
    finally:
        numpyro.enable_validation(False)
    # validate_args=False checks nothing
    NoisyQuadratic(1.0, 0.0, 2.0, 0.1, validate_args=False)


@pytest.mark.parametrize("n", [0.0, -1.0, [1.0, 0.5], float("nan")])
@pytest.mark.parametrize("minimize", [False, True])
def test_quantile_tuning_curve_needs_n_at_least_one(n, minimize):
    d = NoisyQuadratic(0.0, 1.0, 2.0, 0.1, minimize=minimize)
    with pytest.raises(ValueError, match=r"n must be a number >= 1, got n="):
        d.quantile_tuning_curve(n)
    with pytest.raises(ValueError, match=r"n must be a number >= 1, got n="):
        Quadratic(0.0, 1.0, 2.0, minimize=minimize).quantile_tuning_curve(n)
    out = jax.jit(d.quantile_tuning_curve)(jnp.asarray(n))
    assert bool(jnp.any(jnp.isnan(out)))
    assert np.isfinite(float(d.quantile_tuning_curve(1.0)))


# ----------------------------------------------------------------------------- monotone cdf


def _monotone_and_complementary(d, y):
    lc, ls = np.asarray(d.log_cdf(y)), np.asarray(d.log_sf(y))
    assert not np.any(np.isnan(lc)) and not np.any(np.isnan(ls))
    up, down = np.diff(lc), np.diff(ls)
    both = (lc > math.log(1e-300)) & (ls > math.log(1e-300))
    gap = np.abs(np.exp(lc) + np.exp(ls) - 1.0)[both]
    return up.min(), -down.max(), gap.max() if gap.size else 0.0


@pytest.mark.parametrize("minimize", [False, True])
@pytest.mark.parametrize("gamma", [150.0, 200.0])
@pytest.mark.parametrize("s", [1e-3, 1e-2])
def test_log_cdf_monotone_near_the_end_at_large_gamma(gamma, s, minimize):
    """At gamma > 100 near beta the log-cdf was 3e-12 off monotone, cdf + sf 1.7e-12 off 1."""
    d = NoisyQuadratic(0.0, 1.0, gamma, s, minimize=minimize)
    end = 0.0 if minimize else 1.0
    y = end + np.linspace(-0.1 - 5 * s, 0.1 + 5 * s, 2001) * 1.0
    up, down, gap = _monotone_and_complementary(d, jnp.asarray(y))
    assert up >= 0.0 and down >= 0.0, (up, down)
    assert gap <= 1e-13, gap


# ----------------------------------------------------------------------------- fuzz

# sds outside each end, and inside the support (fractions of the width)
_Z = np.concatenate([-np.geomspace(100.0, 0.01, 24), [0.0], np.geomspace(0.01, 100.0, 24)])
_T = np.linspace(0.0, 1.0, 33)[1:-1]


def fuzz_sets(n, seed=24):
    """``n`` random parameter sets: gamma 0.05-200, sigma/w 1e-12-1e4, w 1e-8-1e8."""
    rng = np.random.default_rng(seed)
    gamma = 10.0 ** rng.uniform(np.log10(0.05), np.log10(200.0), n)
    s = 10.0 ** rng.uniform(-12.0, 4.0, n)
    w = 10.0 ** rng.uniform(-8.0, 8.0, n)
    alpha = w * rng.uniform(-1.0, 1.0, n)
    beta = alpha + w
    sigma = s * w
    minimize = rng.random(n) < 0.5
    y = np.concatenate([alpha[:, None] + sigma[:, None] * _Z, beta[:, None] + sigma[:, None] * _Z,
                        alpha[:, None] + w[:, None] * _T], axis=1)
    return alpha, beta, gamma, sigma, minimize, np.sort(y, axis=1)


@jax.jit
def _fuzz_outputs(a, b, g, s, y, minimize):
    out = []
    for m in (False, True):
        d = NoisyQuadratic(a[:, None], b[:, None], g[:, None], s[:, None], minimize=m)
        out.append((d.log_prob(y), d.log_cdf(y), d.log_sf(y)))
    return tuple(jnp.where(minimize[:, None], o1, o0) for o0, o1 in zip(*out))


def fuzz(n, chunk=250):
    """Per set: any NaN, the worst monotonicity violation and the worst |cdf + sf - 1|."""
    a, b, g, s, mini, y = fuzz_sets(n)
    nan, viol, gap = (np.zeros(n, bool), np.zeros(n), np.zeros(n))
    for i in range(0, n, chunk):
        sl = slice(i, i + chunk)
        lp, lc, ls = (np.asarray(x) for x in _fuzz_outputs(
            *(jnp.asarray(x[sl]) for x in (a, b, g, s, y)), jnp.asarray(mini[sl])))
        nan[sl] = np.isnan(lp).any(1) | np.isnan(lc).any(1) | np.isnan(ls).any(1)
        viol[sl] = np.maximum(np.maximum(-np.diff(lc, axis=1), np.diff(ls, axis=1)),
                              0.0).max(1)
        both = (lc > math.log(1e-300)) & (ls > math.log(1e-300))
        gap[sl] = np.where(both, np.abs(np.exp(lc) + np.exp(ls) - 1.0), 0.0).max(1)
    return (a, b, g, s, mini), nan, viol, gap


def _report(sets, values, label, top=5):
    a, b, g, s, mini = sets
    idx = np.argsort(values)[::-1][:top]
    return f"{label}: " + "; ".join(
        f"{values[i]:.3g} at gamma={g[i]:.4g}, sigma/w={s[i] / (b[i] - a[i]):.3g}, "
        f"w={b[i] - a[i]:.3g}, minimize={bool(mini[i])}" for i in idx)


@pytest.mark.slow
def test_fuzz_2000_parameter_sets():
    """No NaN, a monotone log-cdf (and log-sf), cdf + sf within 1e-13 of 1 (both > 1e-300)."""
    sets, nan, viol, gap = fuzz(2000)
    assert not nan.any(), f"NaN in {nan.sum()} sets: " + _report(sets, nan * 1.0, "nan")
    assert viol.max() == 0.0, _report(sets, viol, "non-monotone log_cdf/log_sf")
    assert gap.max() <= 1e-13, _report(sets, gap, "|cdf + sf - 1|")


def test_fuzz_few_parameter_sets():
    sets, nan, viol, gap = fuzz(40, chunk=40)
    assert not nan.any()
    assert viol.max() == 0.0, _report(sets, viol, "non-monotone log_cdf/log_sf")
    assert gap.max() <= 1e-13, _report(sets, gap, "|cdf + sf - 1|")
