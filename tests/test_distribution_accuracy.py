"""Accuracy of NoisyQuadratic / Quadratic against high-precision (mpmath) reference values.

Reference files (see tests/reference/README.md):

* ``nq_reference_values.csv``: 432 rows, integer and a few fractional gamma, shared with
  the project (copied from ../shared/reference), with what opda 0.8.0 returns;
* ``nq_extra_reference.csv``: rows made by ``tests/reference/generate_reference.py``:
  gamma in {0.5, 1, 1.5, 2, 2.7, 7.3, 16}, s = sigma/(beta - alpha) in {1e-4, 1e-2, 0.3, 3},
  both forms, inside the support and 1..40 noise sds outside it, plus sigma = 0 rows.

Tolerance on logpdf, logcdf and logsf: 1e-9 absolute or 1e-12 relative, whichever is
looser.
"""

import csv

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest

numpyro.enable_x64()
jax.config.update("jax_enable_x64", True)

from bayesnq.distributions import NoisyQuadratic, Quadratic  # noqa: E402
from helpers import (  # noqa: E402
    ABS_TOL, EPS, EXTRA, EXTRA_CSV, LOG_COLUMNS, NOISELESS, NOISY, REL_TOL, SHARED,
    SHARED_CSV, assert_logs_close, describe_row, select)

METHODS = {"logpdf": "log_prob", "logcdf": "log_cdf", "logsf": "log_sf"}


# ----------------------------------------------------------------------------- evaluation


ROWS = 256  # every call below runs on chunks of this many rows: one compiled shape


def _in_chunks(fn):
    """``fn`` of row-wise arrays, evaluated on chunks of ROWS rows (the last one padded
    with copies of the first row, whose results are dropped), so that the tests below,
    each with its own number of rows, share one compiled program per function instead
    of compiling it again for every length. Rows are independent: padding changes no
    result."""
    def chunked(*args):
        args = [np.asarray(x, dtype=float) for x in args]
        n = args[0].shape[0]
        m = -(-n // ROWS) * ROWS
        padded = [np.concatenate([x, np.full(m - n, x[0])]) for x in args]
        outs = [fn(*(x[i:i + ROWS] for x in padded)) for i in range(0, m, ROWS)]
        if isinstance(outs[0], tuple):
            return tuple(np.concatenate([np.asarray(o[j]) for o in outs])[:n]
                         for j in range(len(outs[0])))
        return np.concatenate([np.asarray(o) for o in outs])[:n]
    return chunked


def _make(kind, minimize):
    """A jitted function (a, b, c, o, y) -> (log_prob, log_cdf, log_sf)."""

    def f(a, b, c, o, y):
        if kind == "noisy":
            d = NoisyQuadratic(a, b, c, o, minimize=minimize)
        elif kind == "quadratic":
            d = Quadratic(a, b, c, minimize=minimize)
        else:
            raise ValueError(kind)
        return d.log_prob(y), d.log_cdf(y), d.log_sf(y)

    return _in_chunks(jax.jit(f))


_FUNCS = {
    (kind, minimize): _make(kind, minimize)
    for kind in ("noisy", "quadratic")
    for minimize in (False, True)
}


def evaluate(table, kind="noisy"):
    """Evaluate the three log-functions at every row, one call per form."""
    n = len(table["y"])
    got = {col: np.full(n, np.nan) for col in LOG_COLUMNS}
    for minimize in (False, True):
        m = table["convex"] == minimize
        if not m.any():
            continue
        args = [jnp.asarray(table[c][m]) for c in ("a", "b", "c", "o", "y")]
        if kind == "quadratic":
            args[3] = jnp.zeros_like(args[3])
        values = _FUNCS[(kind, minimize)](*args)
        for col, val in zip(LOG_COLUMNS, values):
            got[col][m] = np.asarray(val)
    return got


# ----------------------------------------------------------------------------- values


def test_reference_files_are_sane():
    assert len(SHARED["y"]) == 432
    assert len(EXTRA["y"]) > 1000
    for table in (SHARED, EXTRA):
        for col in LOG_COLUMNS:
            assert np.all(np.isfinite(table[col])), col
        # the stored probabilities agree with the stored logs where they are normal floats
        for col, lcol in (("cdf", "logcdf"), ("sf", "logsf"), ("pdf", "logpdf")):
            ok = table[col] > 1e-300
            np.testing.assert_allclose(np.log(table[col][ok]), table[lcol][ok], rtol=1e-13,
                                       atol=1e-15)
        np.testing.assert_allclose(
            np.logaddexp(table["logcdf"], table["logsf"]), 0.0, atol=1e-15)
    # the generator checked its two quadratures against each other
    extra_diff = np.array([float(r["max_rel_diff_between_methods"])
                           for r in csv.DictReader(open(EXTRA_CSV))])
    assert extra_diff.max() < 1e-20


@pytest.mark.parametrize("name", ["shared", "extra"])
def test_log_functions_match_reference(name):
    table = select(NOISY, NOISY["file"] == {"shared": SHARED_CSV.name,
                                             "extra": EXTRA_CSV.name}[name])
    got = evaluate(table)
    assert_logs_close(table, got, f"NoisyQuadratic vs {name} reference")


_CDF = {minimize: _in_chunks(jax.jit(
    lambda a, b, c, o, y, minimize=minimize: NoisyQuadratic(a, b, c, o, minimize=minimize).cdf(y)))
    for minimize in (False, True)}


def test_cdf_matches_reference_in_linear_space():
    """cdf() = exp(log_cdf): the log tolerance, carried to linear space (relative)."""
    table = NOISY
    problems = []
    for minimize in (False, True):
        m = (table["convex"] == minimize) & (table["cdf"] > 1e-300)
        idx = np.nonzero(m)[0]
        got = _CDF[minimize](*(table[c][m] for c in ("a", "b", "c", "o", "y")))
        ref = table["cdf"][m]
        rel = np.abs(got - ref) / ref
        tol = np.maximum(ABS_TOL, REL_TOL * np.abs(table["logcdf"][m])) * 1.001 + 4 * EPS
        for j in np.nonzero(~(rel <= tol))[0]:
            problems.append((rel[j] / tol[j], f"cdf: ref={ref[j]!r} got={got[j]!r}"
                             f" rel={rel[j]:.3g} at {describe_row(table, idx[j])}"))
    problems.sort(key=lambda p: -p[0])
    assert not problems, f"{len(problems)} cdf values out of tolerance, worst:\n" + "\n".join(
        p[1] for p in problems[:10])


def test_noiseless_rows_quadratic():
    assert len(NOISELESS["y"]) > 100
    assert_logs_close(NOISELESS, evaluate(NOISELESS, "quadratic"), "Quadratic (sigma = 0)")


def test_noiseless_rows_noisy_quadratic_sigma_zero():
    assert np.all(NOISELESS["o"] == 0)
    assert_logs_close(NOISELESS, evaluate(NOISELESS, "noisy"), "NoisyQuadratic(sigma=0)")


def test_opda_reference_columns_are_wrong_in_the_tails():
    """Why we test against mpmath and not against opda 0.8.0.

    The shared file stores what opda returns next to the mpmath values: opda's cdf
    underflows to 0 where the true cdf is positive, and elsewhere in the tails it is off
    by far more than any sensible tolerance.
    """
    t = SHARED
    has = np.isfinite(t["opda_cdf"])
    underflow = has & (t["opda_cdf"] == 0) & (t["cdf"] > 0)
    assert underflow.sum() >= 5, underflow.sum()
    # where opda's cdf is positive, its log can still be off by whole nats in the tails
    pos = has & (t["opda_cdf"] > 0)
    log_err = np.abs(np.log(np.where(pos, t["opda_cdf"], 1.0)) - t["logcdf"])
    assert np.sum(pos & (log_err > 1.0)) >= 5
    # ... while inside the support opda is right to a few digits: the data are not garbage
    inside = has & np.char.startswith(t["location"].astype(str), "I") & (t["cdf"] > 1e-3)
    rel = np.abs(t["opda_cdf"][inside] - t["cdf"][inside]) / t["cdf"][inside]
    assert np.median(rel) < 1e-3


# ----------------------------------------------------------------------------- gradients

PARAM_NAMES = ("y", "alpha", "beta", "gamma", "sigma")


def _grad_fn(method, minimize):
    def total(y, a, b, c, o):
        d = NoisyQuadratic(a, b, c, o, minimize=minimize)
        return getattr(d, method)(y)

    def grads(y, a, b, c, o):
        # rows are independent, so the gradient of the sum is the per-row gradient
        return jax.grad(lambda *p: jnp.sum(total(*p)), argnums=(0, 1, 2, 3, 4))(
            y, a, b, c, o)

    return _in_chunks(jax.jit(total)), _in_chunks(jax.jit(grads))


_GRADS = {(method, minimize): _grad_fn(method, minimize)
          for method in METHODS.values() for minimize in (False, True)}


def _args(table, mask):
    return tuple(jnp.asarray(table[c][mask]) for c in ("y", "a", "b", "c", "o"))


@pytest.mark.parametrize("method", list(METHODS.values()))
def test_gradients_finite_at_every_reference_row(method):
    bad = []
    for minimize in (False, True):
        m = NOISY["convex"] == minimize
        idx = np.nonzero(m)[0]
        _, grads = _GRADS[(method, minimize)]
        g = [np.asarray(x) for x in grads(*_args(NOISY, m))]
        for name, gi in zip(PARAM_NAMES, g):
            for j in np.nonzero(~np.isfinite(gi))[0]:
                bad.append(f"d{method}/d{name}={gi[j]!r} at {describe_row(NOISY, idx[j])}")
    assert not bad, f"{len(bad)} non-finite gradients, first 15:\n" + "\n".join(bad[:15])


def _fd_rows():
    t = NOISY
    loc = t["location"].astype(str)
    interior = np.isin(loc, ["I0.1", "I0.3", "I0.5", "I0.7", "I0.9"])
    return interior & (t["s"] >= 1e-2)


@pytest.mark.parametrize("method", ["log_prob", "log_cdf", "log_sf"])
def test_gradients_match_central_differences(method):
    """jax.grad vs central differences (relative step 1e-6 of each argument's scale)."""
    t = NOISY
    sel = _fd_rows()
    assert sel.sum() >= 50
    problems = []
    for minimize in (False, True):
        m = sel & (t["convex"] == minimize)
        idx = np.nonzero(m)[0]
        fn, grads = _GRADS[(method, minimize)]
        base = [np.asarray(x) for x in _args(t, m)]
        ad = [np.asarray(x) for x in grads(*base)]
        f0 = np.asarray(fn(*base))
        width = base[2] - base[1]
        scales = {
            "y": np.minimum(base[4], width),
            "alpha": np.minimum(base[4], width),
            "beta": np.minimum(base[4], width),
            "gamma": base[3],
            "sigma": base[4],
        }
        for p, name in enumerate(PARAM_NAMES):
            h = 1e-6 * scales[name]
            plus = list(base)
            minus = list(base)
            plus[p] = base[p] + h
            minus[p] = base[p] - h
            step = plus[p] - minus[p]  # the step actually taken, exact in float64
            fd = (np.asarray(fn(*plus)) - np.asarray(fn(*minus))) / step
            # relative 1e-5, with a floor for derivatives that happen to be near zero
            floor = 1e-8 * np.maximum(1.0, np.abs(f0)) / scales[name]
            err = np.abs(fd - ad[p])
            tol = 1e-5 * np.abs(ad[p]) + floor
            for j in np.nonzero(~(err <= tol))[0]:
                problems.append(
                    f"d{method}/d{name}: grad={ad[p][j]!r} fd={fd[j]!r}"
                    f" rel={err[j] / max(abs(ad[p][j]), 1e-300):.2e}"
                    f" at {describe_row(t, idx[j])}")
    assert not problems, (f"{len(problems)} gradient mismatches, first 15:\n"
                          + "\n".join(problems[:15]))


def test_y_gradients_of_log_tails_equal_the_hazards():
    """d/dy log F(y) = f(y)/F(y) and d/dy log S(y) = -f(y)/S(y) at every reference row.

    Relative 1e-6, with a floor of 1e-12 times the sum of the two hazards: where one tail
    is ~1 its hazard is tiny (1e-200, or 0 after underflow) and only its error relative to
    the other tail's hazard matters.
    """
    t = NOISY
    problems = []
    for minimize in (False, True):
        m = t["convex"] == minimize
        idx = np.nonzero(m)[0]
        args = _args(t, m)
        gc = np.asarray(_GRADS[("log_cdf", minimize)][1](*args)[0])
        gs = np.asarray(_GRADS[("log_sf", minimize)][1](*args)[0])
        expect_c = np.exp(t["logpdf"][m] - t["logcdf"][m])
        expect_s = -np.exp(t["logpdf"][m] - t["logsf"][m])
        scale = np.abs(expect_c) + np.abs(expect_s)
        for name, got, expect in (("log_cdf", gc, expect_c), ("log_sf", gs, expect_s)):
            err = np.abs(got - expect)
            tol = 1e-6 * np.abs(expect) + 1e-12 * scale
            for j in np.nonzero(~(err <= tol))[0]:
                problems.append(f"d{name}/dy: grad={got[j]!r} expected={expect[j]!r}"
                                f" at {describe_row(t, idx[j])}")
    assert not problems, f"{len(problems)} mismatches, first 15:\n" + "\n".join(problems[:15])


@pytest.mark.parametrize("method", ["log_prob", "log_cdf", "log_sf"])
def test_gradients_match_central_differences_near_and_outside_the_ends(method):
    """The derivatives (averages over the quadrature nodes, a custom JVP) against central
    differences where the window starts at r = 0 (tanh-sinh), reaches r = 1, or lies
    outside the support: 6 noise sds outside to 9 inside each end, gamma in
    {0.5, 1, 2.7, 7.3}, s in {1e-3, 3e-2, 0.3}."""
    a, b = 0.2, 1.1
    w = b - a
    rows = [(c, s * w, end + z * s * w)
            for c in (0.5, 1.0, 2.7, 7.3) for s in (1e-3, 3e-2, 0.3)
            for z in (-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 9.0) for end in (a, b)]
    c, o, y = (np.array(x) for x in zip(*rows))
    problems = []
    for minimize in (False, True):
        fn, grads = _GRADS[(method, minimize)]
        base = [y, np.full_like(y, a), np.full_like(y, b), c, o]
        ad = [np.asarray(x) for x in grads(*base)]
        f0 = np.asarray(fn(*base))
        scales = {"y": o, "alpha": o, "beta": o, "gamma": c, "sigma": o}
        for p, name in enumerate(PARAM_NAMES):
            h = 1e-6 * scales[name]
            plus, minus = list(base), list(base)
            plus[p] = base[p] + h
            minus[p] = base[p] - h
            fd = (np.asarray(fn(*plus)) - np.asarray(fn(*minus))) / (plus[p] - minus[p])
            floor = 1e-8 * np.maximum(1.0, np.abs(f0)) / scales[name]
            err = np.abs(fd - ad[p])
            for j in np.nonzero(~(err <= 1e-5 * np.abs(ad[p]) + floor))[0]:
                problems.append(f"d{method}/d{name}: grad={ad[p][j]!r} fd={fd[j]!r}"
                                f" ({'min' if minimize else 'max'} gamma={c[j]} s={o[j] / w:g}"
                                f" y={y[j]!r})")
    assert not problems, (f"{len(problems)} gradient mismatches, first 15:\n"
                          + "\n".join(problems[:15]))


def _small_gamma_reference(gamma, s, v):
    """log f_V(v) for V = R + sZ, R ~ Beta(k, 1), via u = r^k (no singularity), in mpmath."""
    import mpmath

    with mpmath.workdps(30):
        k, s, v = mpmath.mpf(gamma) / 2, mpmath.mpf(s), mpmath.mpf(v)
        pts = {mpmath.mpf(0), mpmath.mpf("1e-30"), mpmath.mpf("1e-10"), mpmath.mpf("1e-3"),
               mpmath.mpf("0.1"), mpmath.mpf(1)}
        for dz in (-8, -4, -2, -1, 0, 1, 2, 4, 8):
            r = v + dz * s
            if 0 < r < 1:
                pts.add(r ** k)
        f = mpmath.quad(lambda u: mpmath.npdf(v - u ** (1 / k), 0, s), sorted(pts))
        return float(mpmath.log(f))


@pytest.mark.parametrize("gamma", [0.1, 0.2, 0.3, 0.4])
def test_log_prob_exact_for_small_gamma(gamma):
    """Below gamma = 0.5 the r^(k-1) end holds much of the mass (k = gamma/2 <= 0.2).

    The tanh-sinh rule's own discretization of that end, not only the integral beyond its
    first node, must be accounted for: without it log_prob was off by 3e-8 at gamma = 0.3
    and 2e-6 at gamma = 0.2. The cdf and sf are checked at the same points for agreement
    with the derivative of the cdf being the pdf (central difference).
    """
    problems = []
    for s in (1e-3, 0.05, 0.5, 3.0):
        for v in (0.0, 0.5 * s, 2 * s, 0.3, 1.0, -2 * s):
            if v > 1:
                continue
            y = 1.0 - v  # maximize form on [0, 1]: V = (beta - Y) / (beta - alpha)
            got = float(NoisyQuadratic(0.0, 1.0, gamma, s).log_prob(y))
            ref = _small_gamma_reference(gamma, s, v)
            tol = max(ABS_TOL, REL_TOL * abs(ref))
            if not abs(got - ref) <= tol:
                problems.append(f"s={s} v={v}: got {got!r} ref {ref!r} err {abs(got - ref):.2e}")
    assert not problems, "\n".join(problems)


def test_gamma_gradient_at_small_gamma_matches_central_differences():
    y = jnp.asarray([1.0, 0.99, 0.9, 0.5])
    for gamma in (0.1, 0.3):
        def total(g):
            return NoisyQuadratic(0.0, 1.0, g, 0.05).log_prob(y).sum()

        ad = float(jax.grad(total)(gamma))
        h = 1e-6 * gamma
        fd = (float(total(gamma + h)) - float(total(gamma - h))) / (2 * h)
        assert abs(ad - fd) <= 1e-6 * abs(ad), (gamma, ad, fd)
