#!/usr/bin/env python
"""Speed of bayesnq's NoisyQuadratic next to opda 0.8.0's NoisyQuadraticDistribution.

Prints one markdown table: for gamma in {1, 2, 5, 10} x s = sigma/(beta - alpha) in
{1e-3, 0.05, 0.5} (maximize form, alpha = 0, beta = 1), on N points spread evenly over
[alpha - 3 sigma, beta + 3 sigma]:

* ``lp``: jitted ``log_prob`` time; ``opda pdf``: ``opda ... .pdf`` on the same points;
* ``lcdf``: jitted ``log_cdf`` time; ``opda cdf``: ``opda ... .cdf``;
* ``lp/opda``, ``lcdf/opda``: time ratios (below 1: bayesnq is faster);
* ``lp pointwise``, ``lcdf pointwise``: the same with the parameters given per point
  (``alpha`` as an array of the points' shape), so that every point takes its own
  quadrature: the path of batches that do not share one parameter set (posterior draws
  against data, small batches); with the ratio to opda;
* ``v&g``: value and gradient of sum(log_prob) w.r.t. (alpha, beta, gamma, sigma) (opda
  has no gradients);
* ``lp/log_ndtr``: ``log_prob`` time over ``jax.scipy.special.log_ndtr`` on the same points;
* ``icdf``: jitted ``icdf`` on N/10 probabilities spread over (0, 1);
* ``table``: whether each call of one parameter set was served by its per-call table
  (``bayesnq.distributions.tables``, used for batches of at least 8,192 points);
  the script stops if one was not;
* ``max|dlog pdf| vs opda``: max |bayesnq log_prob - log(opda pdf)| inside [alpha, beta],
  where opda is meant to be usable (outside, its tails are wrong; see
  tests/reference/README.md). Inside, the disagreement is opda's error: bayesnq matches
  mpmath to ~1e-12 there (tests/test_distribution_accuracy.py), while opda's
  polynomial approximation of v^(c/2 - 1) is off by up to ~5e-2 nats near the optimum for
  c = 1.

bayesnq times are the best of 3 after a warm-up (compilation) call, each ended with
``block_until_ready()``, evaluated in chunks of at most 65,536 points (``lax.map``) to bound memory; opda times are the best of 3 calls. Then a summary line with the
median and max ratios over the grid.

Usage: ``python benchmarks/bench_distribution.py [--n 1000000] [--repeat 3]``
(``--n 100000`` for a quick run).
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import numpyro

numpyro.enable_x64()
jax.config.update("jax_enable_x64", True)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bayesnq.distributions import NoisyQuadratic  # noqa: E402
from bayesnq.distributions.tables import uses_table  # noqa: E402

GAMMAS = (1, 2, 5, 10)
RELATIVE_NOISE = (1e-3, 0.05, 0.5)
ALPHA, BETA = 0.0, 1.0


def best_of(fn, repeat):
    """Best wall time of ``repeat`` calls (fn must block until its result is ready)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# bayesnq is evaluated in chunks of CHUNK points (lax.map over a (chunks, CHUNK) array):
# one call on 1e6 points would hold ~1e6 x (quadrature nodes) temporaries, and reverse
# mode keeps them all (over 10 GB); chunks bound the memory without changing the work.
CHUNK = 1 << 16  # at most this many points per chunk


def _as_chunks(x):
    """Split x (numpy) into equal chunks of at most CHUNK points, padding the last one
    with x's last value (less than one point per chunk); return (chunks, mask)."""
    x = np.asarray(x, dtype=float)
    k = -(-x.size // CHUNK)
    size = -(-x.size // k)
    m = k * size
    xp = np.concatenate([x, np.full(m - x.size, x[-1])]).reshape(k, size)
    mask = (np.arange(m) < x.size).reshape(k, size)
    return jnp.asarray(xp), jnp.asarray(mask)


def _mapped(method, pointwise=False):
    @jax.jit
    def fn(a, b, c, o, chunks):
        def one(y):
            alpha = jnp.full(y.shape, a) if pointwise else a
            return getattr(NoisyQuadratic(alpha, b, c, o), method)(y)

        return jax.lax.map(one, chunks)

    return fn


_log_prob = _mapped("log_prob")
_log_cdf = _mapped("log_cdf")
_icdf = _mapped("icdf")
_log_prob_pointwise = _mapped("log_prob", pointwise=True)
_log_cdf_pointwise = _mapped("log_cdf", pointwise=True)


@jax.jit
def _tabulated(a, b, c, o, chunks):
    """Whether the pdf and both probabilities of each chunk are tabulated (one distribution)."""
    def one(y):
        # the standardized point of the maximize form, v = (beta - y)/w, and u = 1 - v
        v, u = (b - y) / (b - a), (y - a) / (b - a)
        return jnp.stack([uses_table(which, v, u, 0.5 * c, o / (b - a))
                          for which in ("pdf", "le", "ge")])

    return jnp.all(jax.lax.map(one, chunks))


@jax.jit
def _value_and_grad(a, b, c, o, chunks, mask):
    """Value and gradient of sum(log_prob) w.r.t. (alpha, beta, gamma, sigma)."""

    def one(args):
        y, m = args

        def total(params):
            return jnp.sum(jnp.where(m, NoisyQuadratic(*params).log_prob(y), 0.0))

        return jax.value_and_grad(total)((a, b, c, o))

    values, grads = jax.lax.map(one, (chunks, mask))
    return values.sum(), tuple(g.sum(0) for g in grads)


@jax.jit
def _log_ndtr(chunks):
    return jax.lax.map(jax.scipy.special.log_ndtr, chunks)


def timed_jax(fn, *args, repeat):
    jax.block_until_ready(fn(*args))  # compile and warm up
    return best_of(lambda: jax.block_until_ready(fn(*args)), repeat)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="points per cell")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls (best of)")
    args = parser.parse_args(argv)

    try:
        from opda.parametric import NoisyQuadraticDistribution
    except ImportError:  # pragma: no cover - opda is a test dependency
        NoisyQuadraticDistribution = None

    n, repeat = args.n, args.repeat
    n_q = max(n // 10, 1)
    q, _ = _as_chunks(np.linspace(0.0, 1.0, n_q + 2)[1:-1])

    rows = []
    for c in GAMMAS:
        for s in RELATIVE_NOISE:
            o = s * (BETA - ALPHA)
            y_np = np.linspace(ALPHA - 3 * o, BETA + 3 * o, n)
            y, mask = _as_chunks(y_np)
            params = tuple(jnp.float64(x) for x in (ALPHA, BETA, c, o))

            if not bool(_tabulated(*params, y)):
                raise SystemExit(f"gamma={c} s={s:g}: a chunk was not tabulated")
            t_lp = timed_jax(_log_prob, *params, y, repeat=repeat)
            t_lcdf = timed_jax(_log_cdf, *params, y, repeat=repeat)
            t_lp_pw = timed_jax(_log_prob_pointwise, *params, y, repeat=repeat)
            t_lcdf_pw = timed_jax(_log_cdf_pointwise, *params, y, repeat=repeat)
            t_vg = timed_jax(_value_and_grad, *params, y, mask, repeat=repeat)
            t_ndtr = timed_jax(_log_ndtr, y, repeat=repeat)
            t_icdf = timed_jax(_icdf, *params, q, repeat=repeat)
            lp = np.asarray(_log_prob(*params, y)).ravel()[:n]
            value, grads = _value_and_grad(*params, y, mask)
            finite_grads = all(bool(jnp.isfinite(g)) for g in grads)

            lp_pw = np.asarray(_log_prob_pointwise(*params, y)).ravel()[:n]
            lcdf = np.asarray(_log_cdf(*params, y)).ravel()[:n]
            lcdf_pw = np.asarray(_log_cdf_pointwise(*params, y)).ravel()[:n]
            tol = (lambda ref: np.maximum(1e-9, 1e-12 * np.abs(ref)))
            table_err = max(np.max(np.abs(lp - lp_pw) / tol(lp_pw)),
                            np.max(np.abs(lcdf - lcdf_pw) / tol(lcdf_pw)))
            row = dict(c=c, s=s, lp=t_lp, lcdf=t_lcdf, lp_pw=t_lp_pw, lcdf_pw=t_lcdf_pw,
                       vg=t_vg, ndtr=t_ndtr, icdf=t_icdf, table_err=table_err,
                       nan=int(np.isnan(lp).sum()), grads_ok=finite_grads)
            if NoisyQuadraticDistribution is not None:
                dist = NoisyQuadraticDistribution(ALPHA, BETA, c, o, convex=False)
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    row["opda_pdf"] = best_of(lambda: dist.pdf(y_np), repeat)
                    row["opda_cdf"] = best_of(lambda: dist.cdf(y_np), repeat)
                    pdf = dist.pdf(y_np)
                inside = (y_np >= ALPHA) & (y_np <= BETA) & (pdf > 0)
                row["err"] = float(np.max(np.abs(lp[inside] - np.log(pdf[inside]))))
            rows.append(row)
            print(f"  done gamma={c} s={s:g}", file=sys.stderr, flush=True)

    ms = 1e3
    have_opda = NoisyQuadraticDistribution is not None
    header = ["gamma", "s", "lp ms"]
    if have_opda:
        header += ["opda pdf ms", "lp/opda"]
    header += ["lcdf ms"]
    if have_opda:
        header += ["opda cdf ms", "lcdf/opda"]
    header += ["lp pointwise ms"]
    if have_opda:
        header += ["/opda"]
    header += ["lcdf pointwise ms"]
    if have_opda:
        header += ["/opda"]
    header += ["v&g ms", "lp/log_ndtr", f"icdf ms ({n_q:.0e} q)",
               "max |table - pointwise| / tol"]
    if have_opda:
        header += ["max|dlog pdf| vs opda in [a,b]"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        cells = [f"{r['c']}", f"{r['s']:g}", f"{r['lp'] * ms:.1f}"]
        if have_opda:
            cells += [f"{r['opda_pdf'] * ms:.1f}", f"{r['lp'] / r['opda_pdf']:.2f}"]
        cells += [f"{r['lcdf'] * ms:.1f}"]
        if have_opda:
            cells += [f"{r['opda_cdf'] * ms:.1f}", f"{r['lcdf'] / r['opda_cdf']:.2f}"]
        cells += [f"{r['lp_pw'] * ms:.1f}"]
        if have_opda:
            cells += [f"{r['lp_pw'] / r['opda_pdf']:.2f}"]
        cells += [f"{r['lcdf_pw'] * ms:.1f}"]
        if have_opda:
            cells += [f"{r['lcdf_pw'] / r['opda_cdf']:.2f}"]
        cells += [f"{r['vg'] * ms:.1f}", f"{r['lp'] / r['ndtr']:.1f}",
                  f"{r['icdf'] * ms:.1f}", f"{r['table_err']:.1e}"]
        if have_opda:
            cells += [f"{r['err']:.1e}"]
        lines.append("| " + " | ".join(cells) + " |")

    dev = jax.devices()[0]
    print(f"NoisyQuadratic (bayesnq, maximize form, alpha={ALPHA}, beta={BETA}) vs opda 0.8.0;"
          f" {n:.0e} points over [alpha - 3 sigma, beta + 3 sigma]; best of {repeat};"
          f" jax {jax.__version__} on {dev.platform} ({dev.device_kind}),"
          f" {os.cpu_count()} CPUs, {platform.machine()}")
    print()
    print("\n".join(lines))
    print()
    ndtr = statistics.median(r["ndtr"] for r in rows)
    print(f"log_ndtr on the same {n:.0e} points: {ndtr * ms:.1f} ms (median over cells)")
    if have_opda:
        for label, lp_key, lcdf_key in (("one distribution (tabulated)", "lp", "lcdf"),
                                         ("parameters per point (quadrature)", "lp_pw",
                                          "lcdf_pw")):
            pdf_ratios = [r[lp_key] / r["opda_pdf"] for r in rows]
            cdf_ratios = [r[lcdf_key] / r["opda_cdf"] for r in rows]
            print(f"summary, {label}: bayesnq/opda time ratio, log_prob vs pdf: median"
                  f" {statistics.median(pdf_ratios):.2f}, max {max(pdf_ratios):.2f};"
                  f" log_cdf vs cdf: median {statistics.median(cdf_ratios):.2f},"
                  f" max {max(cdf_ratios):.2f}")
        print(f"max |dlog pdf| vs opda inside the support {max(r['err'] for r in rows):.1e};"
              f" max |tabulated - pointwise| {max(r['table_err'] for r in rows):.1e} of the"
              f" tolerance max(1e-9, 1e-12 |log p|)")
    bad = [(r["c"], r["s"]) for r in rows if r["nan"] or not r["grads_ok"]]
    if bad:
        print(f"WARNING: NaN log_prob or non-finite gradients in cells {bad}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
