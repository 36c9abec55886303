#!/usr/bin/env python
"""Generate high-precision reference values of the noisy quadratic distribution.

Writes ``nq_extra_reference.csv`` (next to this script) with the same columns as
``nq_reference_values.csv`` (without the opda columns): ``id, a, b, c, o, s, convex, y,
location, cdf, sf, pdf, logpdf, logcdf, logsf, max_rel_diff_between_methods, method``.

Parameters: ``a, b, c, o`` = alpha, beta, gamma, sigma; ``s`` = the nominal relative noise
sigma / (beta - alpha); ``convex`` True = minimize form; ``location`` = ``I<fraction>`` for
y = alpha + fraction * (beta - alpha), ``L<m>`` for y = alpha - m * sigma and ``R<m>`` for
y = beta + m * sigma. Inside rows are at the fractions INSIDE_FRACTIONS and, where it fits,
EDGE_SDS noise sds from either end of the support (fraction x*s or 1 - x*s).

Every value is computed for the *exact* float64 inputs written to the file (alpha, beta,
gamma, sigma and y are converted to mpmath numbers without rounding), so a float64
implementation can be compared with the file row by row.

Method (see docs/noisy-quadratic.md sections 2-3). With w = beta - alpha, s = sigma / w and
k = gamma / 2, write V = R + s Z with R ~ Beta(k, 1) and Z ~ N(0, 1). Then

* maximize form: v = (beta - y) / w, cdf_Y(y) = P(V >= v), sf_Y(y) = P(V <= v);
* minimize form: v = (y - alpha) / w, cdf_Y(y) = P(V <= v), sf_Y(y) = P(V >= v);
* pdf_Y(y) = f_V(v) / w, f_V(v) = int_0^1 k r^(k-1) phi((v - r) / s) / s dr,
  P(V <= v) = int_0^1 k r^(k-1) Phi((v - r) / s) dr,
  P(V >= v) = int_0^1 k r^(k-1) Phi((r - v) / s) dr.

All integrands are positive, so there is no cancellation and each tail probability keeps
its full relative precision however small it is (mpmath numbers have an unbounded exponent,
so values far below 1e-300 are exact too). The logs are taken in mpmath; the larger of the
two tail probabilities is 1 - (smaller) and its log is log1p(-smaller).

Each value is computed twice:

(A) in r-space, with the integrable singularity r^(k-1) at an endpoint, and
(B) after the substitution t = r^k (dt = k r^(k-1) dr), which removes it.

Both use mpmath's tanh-sinh quadrature on pieces split at the peak of the kernel, at
v +- 1, 3, 10, 30 s, and where the log-integrand has dropped by 1/2, 3, 12, 40, 120 nats
from its maximum, so that each piece is smooth. The larger tail probability is also
integrated directly and compared with 1 - (smaller); for gamma = 2 the closed forms
f_V(v) = Phi(v/s) - Phi((v-1)/s) and P(V <= v) = s [psi(v/s) - psi((v-1)/s)] with
psi(x) = x Phi(x) + phi(x) are a third check (C2). The largest relative difference between
methods is written to ``max_rel_diff_between_methods`` and must stay below 1e-20.

Rows with sigma = 0 use the closed forms of section 2.

Usage: ``python tests/reference/generate_reference.py [--processes 2] [--out PATH]``.
The tests do not run this script; they read the committed CSV. It takes a few minutes on
two cores.
"""

import argparse
import csv
import itertools
import math
import multiprocessing
import os
import sys
import time

import mpmath
import numpy as np
from mpmath import mp, mpf
from scipy.special import log_ndtr

DPS = 34
MAX_ALLOWED_REL_DIFF = mpf("1e-20")

GAMMAS = (0.5, 1.0, 1.5, 2.0, 2.7, 7.3, 16.0)
RELATIVE_NOISE = (1e-4, 1e-2, 0.3, 3.0)
SUPPORTS = ((0.0, 1.0), (0.83, 0.89), (-2.0, 3.0))
INSIDE_FRACTIONS = (0.001, 0.01, 0.3, 0.5, 0.9, 0.99, 0.999)
OUTSIDE_SDS = (1, 3, 8, 20, 30, 40)
# inside the support, this many noise sds from either end (where x * s <= 1/4)
EDGE_SDS = (0.5, 2, 5, 9)

LEVELS = (0.5, 3.0, 12.0, 40.0, 120.0)
KERNEL_OFFSETS = (0.0, 1.0, 3.0, 10.0, 30.0)

COLUMNS = [
    "id", "a", "b", "c", "o", "s", "convex", "y", "location",
    "cdf", "sf", "pdf", "logpdf", "logcdf", "logsf",
    "max_rel_diff_between_methods", "method",
]

METHOD_NOISY = (
    f"mpmath.quad tanh-sinh dps={DPS}, r-space integral (A); verified vs t=r^(c/2)"
    " substitution (B) and larger tail vs 1-smaller"
)
METHOD_C2 = "; verified vs closed form for c=2 (C2)"
METHOD_NOISELESS = f"closed form (sigma=0), mpmath dps={DPS}"


# -- rows ---------------------------------------------------------------------------------


def _fmt_frac(f):
    return f"{float(f):.6g}"


def row_specs():
    """Yield (a, b, c, o, s, convex, y, location) for every reference row."""
    for (a, b), c, s, convex in itertools.product(
        SUPPORTS, GAMMAS, RELATIVE_NOISE, (False, True),
    ):
        w = b - a
        o = s * w
        for f in INSIDE_FRACTIONS:
            yield a, b, c, o, s, convex, a + f * w, "I" + _fmt_frac(f)
        for m in OUTSIDE_SDS:
            yield a, b, c, o, s, convex, a - m * o, f"L{m}"
        for m in OUTSIDE_SDS:
            yield a, b, c, o, s, convex, b + m * o, f"R{m}"
        for x in EDGE_SDS:
            if x * s <= 0.25:
                for f in (x * s, 1.0 - x * s):
                    yield a, b, c, o, s, convex, a + f * w, "I" + _fmt_frac(f)
    # Noiseless rows, inside the support only.
    for (a, b), c, convex in itertools.product(SUPPORTS, GAMMAS, (False, True)):
        w = b - a
        for f in INSIDE_FRACTIONS:
            yield a, b, c, 0.0, 0.0, convex, a + f * w, "I" + _fmt_frac(f)


# -- special functions in mpmath -----------------------------------------------------------

_CONSTS = {}


def _consts():
    """(sqrt(2), sqrt(2 pi)) at the current working precision."""
    try:
        return _CONSTS[mp.prec]
    except KeyError:
        _CONSTS[mp.prec] = (mpmath.sqrt(2), mpmath.sqrt(2 * mpmath.pi))
        return _CONSTS[mp.prec]


def norm_pdf(x):
    _, sqrt2pi = _consts()
    return mpmath.exp(-x * x / 2) / sqrt2pi


def norm_cdf(x):
    sqrt2, _ = _consts()
    return mpmath.erfc(-x / sqrt2) / 2


# -- breakpoints ----------------------------------------------------------------------------

_GRID = np.unique(np.concatenate([
    np.linspace(0.0, 1.0, 4097),
    np.geomspace(1e-300, 1e-30, 301),
    np.geomspace(1e-30, 1.0, 3001),
    1.0 - np.geomspace(1e-16, 1.0, 1601),
]))


def breakpoints(k, s, v, kind):
    """Split points in r-space (floats in [0, 1]) and a rough log of the integral.

    ``kind`` is "pdf", "lower" (P(V <= v)) or "upper" (P(V >= v)). The log-integral (a
    float64 Riemann sum on a fine grid) is only used to scale the integrand to order one:
    mpmath's quadrature stops on an *absolute* error estimate, so an unscaled integrand
    of size 1e-300 would be accepted after the first, crude, level.
    """
    grid = np.unique(np.concatenate([_GRID, v + s * np.linspace(-64.0, 64.0, 4097)]))
    grid = grid[(grid > 0.0) & (grid < 1.0)]
    x = (v - grid) / s
    if kind == "pdf":
        hk = -0.5 * x * x
    elif kind == "lower":
        hk = log_ndtr(x)
    else:
        hk = log_ndtr(-x)
    curves = [hk]
    full = math.log(k) + (k - 1.0) * np.log(grid) + hk
    if kind == "pdf":
        full = full - math.log(s)
    if k > 1:
        curves.append(full)
    dr = np.gradient(grid)
    log_integral = float(np.logaddexp.reduce(full + np.log(dr)))
    pts = {0.0, 1.0}
    for h in curves:
        i = int(np.argmax(h))
        hmax = h[i]
        pts.add(float(grid[i]))
        for d in LEVELS:
            left = np.nonzero(h[:i] < hmax - d)[0]
            if left.size:
                pts.add(float(grid[left[-1]]))
            right = np.nonzero(h[i + 1:] < hmax - d)[0]
            if right.size:
                pts.add(float(grid[i + 1 + right[0]]))
    for j in KERNEL_OFFSETS:
        for r in (v - j * s, v + j * s):
            if 0.0 < r < 1.0:
                pts.add(float(r))
    if k < 1:
        # The singularity at r = 0 is subtracted on the first piece (see integral_r);
        # a plateau of the kernel can put its argmax at the first grid point.
        pts = {r for r in pts if r == 0.0 or r > 1e-10}
    pts = sorted(pts)
    kept = [pts[0]]
    for r in pts[1:]:
        if r - kept[-1] > 8 * np.finfo(float).eps * r:
            kept.append(r)
    if kept[-1] != 1.0:
        kept[-1] = 1.0
    return kept, log_integral


# -- the integrals --------------------------------------------------------------------------


def _kernel(kind, v, s, scale):
    """K(r), multiplied by ``scale``."""
    if kind == "pdf":
        scale = scale / s
        return lambda r: norm_pdf((v - r) / s) * scale
    if kind == "lower":
        return lambda r: norm_cdf((v - r) / s) * scale
    return lambda r: norm_cdf((r - v) / s) * scale


def integral_r(k, s, v, kind, pts, log_scale):
    """Method A: int_0^1 k r^(k-1) K(r) dr.

    For k < 1 the integrable singularity at r = 0 is subtracted on the first piece
    [0, p1]: int_0^p1 k r^(k-1) K(r) dr = K(0) p1^k + int_0^p1 k r^(k-1) (K(r) - K(0)) dr,
    whose integrand vanishes at 0 like r^k, which tanh-sinh integrates to full precision.
    """
    scale = mpmath.exp(-mpf(log_scale))
    kern = _kernel(kind, v, s, scale)
    km1 = k - 1
    pts = [mpf(p) for p in pts]

    def f(r):
        return k * r**km1 * kern(r)

    if k >= 1:
        return mpmath.quad(f, pts) / scale
    k0 = kern(mpf(0))
    p1 = pts[1]

    def g(r):
        return k * r**km1 * (kern(r) - k0)

    head = k0 * p1**k + mpmath.quad(g, [mpf(0), p1])
    if len(pts) == 2:
        return head / scale
    return (head + mpmath.quad(f, pts[1:])) / scale


def integral_t(k, s, v, kind, pts, log_scale):
    """Method B: int_0^1 K(t^(1/k)) dt, t = r^k."""
    scale = mpmath.exp(-mpf(log_scale))
    kern = _kernel(kind, v, s, scale)
    inv_k = 1 / k

    def f(t):
        return kern(t**inv_k)

    tpts = [mpf(p) ** k for p in pts]
    return mpmath.quad(f, tpts) / scale


def closed_form_c2(s, v, kind):
    """gamma = 2 (k = 1): V = U + s Z, U uniform on [0, 1]."""
    with mp.workdps(2 * DPS + 20):
        s = mpf(s)
        v = mpf(v)
        if kind == "pdf":
            # Phi(v/s) - Phi((v-1)/s), written without cancellation in either tail.
            if v < mpf(1) / 2:
                return norm_cdf(v / s) - norm_cdf((v - 1) / s)
            return norm_cdf((1 - v) / s) - norm_cdf(-v / s)

        def psi(x):
            return x * norm_cdf(x) + norm_pdf(x)

        if kind == "lower":
            return s * (psi(v / s) - psi((v - 1) / s))
        return s * (psi((1 - v) / s) - psi(-v / s))


def _rel(x, y):
    x = mpf(x)
    y = mpf(y)
    if x == y:
        return mpf(0)
    return abs(x - y) / max(abs(x), abs(y))


# -- one row --------------------------------------------------------------------------------


def compute_row(spec):
    a, b, c, o, s_nom, convex, y, location = spec
    mp.dps = DPS
    a_, b_, c_, o_, y_ = (mpf(x) for x in (a, b, c, o, y))
    w = b_ - a_
    k = c_ / 2
    method = METHOD_NOISY
    if o == 0.0:
        u = (y_ - a_) / w if convex else (b_ - y_) / w
        assert 0 < u < 1
        pdf = c_ / (2 * w) * u ** (k - 1)
        uk = u**k  # P(R <= u)
        if convex:
            cdf, sf = uk, 1 - uk
            logcdf, logsf = mpmath.log(uk), mpmath.log1p(-uk)
        else:
            cdf, sf = 1 - uk, uk
            logcdf, logsf = mpmath.log1p(-uk), mpmath.log(uk)
        logpdf = mpmath.log(pdf)
        maxdiff = mpf(0)
        method = METHOD_NOISELESS
    else:
        s = o_ / w
        v = (y_ - a_) / w if convex else (b_ - y_) / w
        vf, sf_ = float(v), float(s)
        kf = float(k)

        pts_pdf, ls_pdf = breakpoints(kf, sf_, vf, "pdf")
        pdf_a = integral_r(k, s, v, "pdf", pts_pdf, ls_pdf)
        pdf_b = integral_t(k, s, v, "pdf", pts_pdf, ls_pdf)
        diffs = [_rel(pdf_a, pdf_b)]

        pts_lo, ls_lo = breakpoints(kf, sf_, vf, "lower")
        pts_up, ls_up = breakpoints(kf, sf_, vf, "upper")
        lower_a = integral_r(k, s, v, "lower", pts_lo, ls_lo)
        upper_a = integral_r(k, s, v, "upper", pts_up, ls_up)
        if lower_a <= upper_a:
            small_kind, small_a, large_a, pts_small, ls_small = (
                "lower", lower_a, upper_a, pts_lo, ls_lo)
        else:
            small_kind, small_a, large_a, pts_small, ls_small = (
                "upper", upper_a, lower_a, pts_up, ls_up)
        small_b = integral_t(k, s, v, small_kind, pts_small, ls_small)
        diffs.append(_rel(small_a, small_b))
        diffs.append(_rel(large_a, 1 - small_a))

        if c == 2.0:
            method += METHOD_C2
            diffs.append(_rel(pdf_a, closed_form_c2(s, v, "pdf")))
            diffs.append(_rel(small_a, closed_form_c2(s, v, small_kind)))

        small = small_a
        log_small = mpmath.log(small)
        log_large = mpmath.log1p(-small)
        if small_kind == "lower":
            lower, upper, log_lower, log_upper = small, 1 - small, log_small, log_large
        else:
            lower, upper, log_lower, log_upper = 1 - small, small, log_large, log_small
        if convex:
            cdf, sf, logcdf, logsf = lower, upper, log_lower, log_upper
        else:
            cdf, sf, logcdf, logsf = upper, lower, log_upper, log_lower
        pdf = pdf_a / w
        logpdf = mpmath.log(pdf)
        maxdiff = max(diffs)

    return {
        "a": repr(float(a)), "b": repr(float(b)), "c": repr(float(c)), "o": repr(float(o)),
        "s": repr(float(s_nom)), "convex": str(bool(convex)), "y": repr(float(y)),
        "location": location,
        "cdf": repr(float(cdf)), "sf": repr(float(sf)), "pdf": repr(float(pdf)),
        "logpdf": repr(float(logpdf)), "logcdf": repr(float(logcdf)),
        "logsf": repr(float(logsf)),
        "max_rel_diff_between_methods": mpmath.nstr(maxdiff, 2, min_fixed=1, max_fixed=0)
        if maxdiff else "0.0e+00",
        "method": method,
        "_maxdiff": float(maxdiff),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "nq_extra_reference.csv"),
    )
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--limit", type=int, default=None,
                        help="only the first LIMIT rows (for a quick check)")
    args = parser.parse_args(argv)

    specs = list(row_specs())
    if args.limit is not None:
        specs = specs[: args.limit]
    start = time.time()
    if args.processes > 1:
        with multiprocessing.Pool(args.processes) as pool:
            rows = pool.map(compute_row, specs, chunksize=4)
    else:
        rows = [compute_row(spec) for spec in specs]
    elapsed = time.time() - start

    worst = max(rows, key=lambda r: r["_maxdiff"])
    for i, row in enumerate(rows):
        row["id"] = str(i)
    with open(args.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows written to {args.out} in {elapsed:.0f} s;"
          f" max relative difference between methods {worst['_maxdiff']:.1e}"
          f" (row {worst['id']}: c={worst['c']} s={worst['s']} convex={worst['convex']}"
          f" location={worst['location']})")
    bad = [r for r in rows if not r["_maxdiff"] < float(MAX_ALLOWED_REL_DIFF)]
    assert not bad, f"{len(bad)} rows with methods disagreeing by >= 1e-20: " + ", ".join(
        r["id"] for r in bad[:20])
    for row in rows:
        for col in ("logpdf", "logcdf", "logsf"):
            assert math.isfinite(float(row[col])), (row["id"], col)
    return 0


if __name__ == "__main__":
    sys.exit(main())
