r"""The noisy quadratic distribution as a NumPyro distribution.

Maximize form (default)::

    Y = beta - (beta - alpha) * R + E,        R ~ Beta(gamma / 2, 1),  E ~ Normal(0, sigma)

minimize form::

    Y = alpha + (beta - alpha) * R + E.

Everything reduces to the standardized variable :math:`V = R + sZ` with
:math:`s = \sigma / w`, :math:`w = \beta - \alpha`, :math:`k = \gamma / 2` and
:math:`Z \sim N(0, 1)`.  With the Gaussian kernel
:math:`K(r) = \varphi((v - r)/s)/s`,

.. math::

    f_V(v) &= \int_0^1 k r^{k-1} K(r)\,dr, \\
    P(V \le v) &= \Phi\!\left(\tfrac{v - 1}{s}\right) + \int_0^1 r^k K(r)\,dr, \\
    P(V \ge v) &= \Phi\!\left(-\tfrac{v}{s}\right) + \int_0^1 (1 - r^k) K(r)\,dr,

(the last two by integrating :math:`\int k r^{k-1}\Phi(\pm(v-r)/s)\,dr` by parts), so that
every term is positive and the three integrals share one kernel and one set of nodes.
Each integral is evaluated in log space (log-sum-exp over quadrature nodes) on a window
of :math:`[0, 1]` that holds all but :math:`e^{-38}` of its mass, split in two at the
peak of :math:`r^k K(r)` (kept at least :math:`s` from :math:`r = 0` and at most half way):
Gauss–Legendre (40 nodes) on each half, except tanh–sinh (100 nodes, with an end
correction for the :math:`r^{k-1}` singularity) on a half that starts at :math:`r = 0`.
The window's ends and the split are held as offsets from the point, each computed where
it is exact, so that nodes sit where they should even when :math:`s` is below
:math:`10^{-12}` (far narrower than the spacing of floats near :math:`v`). This keeps
log-densities exact to about 1e-12 nats even 40 noise standard deviations outside
:math:`[\alpha, \beta]`, where the probabilities are far below 1e-300.

For the maximize form :math:`v = (\beta - y)/w`, :math:`F_Y(y) = P(V \ge v)`; for the
minimize form :math:`v = (y - \alpha)/w`, :math:`F_Y(y) = P(V \le v)`;
:math:`f_Y(y) = f_V(v) / w` in both.

Float64 is needed for this accuracy: call ``numpyro.enable_x64()`` (the public entry points
of bayesnq do) before building your own models.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import gammaln, ndtri
from jax.scipy.special import log_ndtr as _jax_log_ndtr
from numpyro.distributions import Distribution, constraints
from numpyro.distributions.util import promote_shapes, validate_sample

__all__ = ["NoisyQuadratic", "Quadratic", "standardized_logs"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_2 = math.log(2.0)


def log_ndtr(x):
    """log Phi(x); 8 terms of the asymptotic series below -20 (JAX's default 3 err ~1e-9)."""
    return _jax_log_ndtr(x, series_order=8)

_MASS_NATS = 38.0  # integrand mass left outside the quadrature window: below exp(-38)

# ---------------------------------------------------------------- quadrature rules


def _tanh_sinh(j_left: int, j_right: int, h: float):
    x = h * np.arange(-j_left, j_right + 1)
    t = np.pi * np.sinh(x)
    log_lo = -np.log1p(np.exp(-t))  # log of (r - a)/(b - a)
    log_hi = -np.log1p(np.exp(t))  # log of (b - r)/(b - a)
    log_w = (
        np.log(h * np.pi) + np.log(np.cosh(x)) - np.abs(t) - 2 * np.log1p(np.exp(-np.abs(t)))
    )
    # Fraction of the window below the first node's cell, for the r^(k-1) end correction.
    log_cut = -np.log1p(np.exp(-np.pi * np.sinh(x[0] - h / 2)))
    return log_lo, log_hi, log_w, log_cut


def _gauss_legendre(n: int, pad_to: int):
    x, w = np.polynomial.legendre.leggauss(n)
    pad = pad_to - n
    log_lo = np.concatenate([np.log1p(x) - np.log(2), np.full(pad, -1.0)])
    log_hi = np.concatenate([np.log1p(-x) - np.log(2), np.full(pad, -1.0)])
    log_w = np.concatenate([np.log(w / 2), np.full(pad, -np.inf)])
    return log_lo, log_hi, log_w


# the right end reaches 1 - r / b ~ 5e-22: the kernel can peak there (split at the point)
_TS_LO, _TS_HI, _TS_W, _TS_CUT = _tanh_sinh(53, 46, 0.075)
_GL_N = 40
_GL_LO, _GL_HI, _GL_W = _gauss_legendre(_GL_N, _TS_LO.size)
_TS_P_LO, _TS_P_HI, _GL_P_LO, _GL_P_HI = (np.exp(x) for x in (_TS_LO, _TS_HI, _GL_LO, _GL_HI))


# ---------------------------------------------------------------- the core integrals


def _where(cond, x, safe):
    """Value of ``x`` where ``cond``, else ``safe`` (keeps unused branches NaN-free)."""
    return jnp.where(cond, x, safe)


def _mode_excess(m, x_d):
    # smallest x bound with m * (x - log1p(x)) >= D  (x_d = D / m), from above
    return x_d + jnp.log1p(x_d + 2.0 * jnp.sqrt(x_d))


def _edge(g, s, m, c):
    """Width next to an endpoint holding the mass of r^m K, the kernel centred g outside.

    Bounds the point where the log-integrand falls ``_MASS_NATS`` below its maximum, using
    the kernel's slope (``m = 0``), the mode of ``r^m K`` and concavity.
    """
    d = _MASS_NATS
    kern = 2 * d * s * s / (g + jnp.sqrt(g * g + 2 * d * s * s))
    m_safe = jnp.where(m > 0, m, 1.0)
    mode = 2 * m_safe * s * s / (jnp.sqrt(g * g + 4 * m_safe * s * s) + g)
    weighted = jnp.minimum(mode * (1 + _mode_excess(m_safe, d / m_safe)), mode + c * s)
    return jnp.maximum(kern, jnp.where(m > 0, weighted, 0.0))


def standardized_logs(v, u, k, s):
    r"""Log-density, log-cdf and log-survival of :math:`V = R + sZ`, :math:`R \sim Beta(k, 1)`.

    Parameters
    ----------
    v, u : array_like
        The point and its complement :math:`u = 1 - v`, both computed from the data so
        that each is accurate where it is small.
    k : array_like
        Shape :math:`k = \gamma / 2 > 0`.
    s : array_like
        Relative noise :math:`s = \sigma / (\beta - \alpha) > 0`.

    Returns
    -------
    log_pdf, log_le, log_ge : Array
        :math:`\log f_V(v)`, :math:`\log P(V \le v)` and :math:`\log P(V \ge v)`.
    """
    v, u, k, s = jnp.broadcast_arrays(*(jnp.asarray(x) for x in (v, u, k, s)))
    d = _MASS_NATS
    c = jnp.sqrt(2 * (d + jnp.maximum(0.0, -jnp.log(s)) + jnp.maximum(0.0, -jnp.log(k))))

    # Window [a, b] of [0, 1] that holds the mass of all three integrands.
    left_out = v <= 0
    right_out = u <= 0
    g_left = _where(left_out, -v, 0.0)
    g_right = _where(right_out, -u, 0.0)
    b_left = jnp.minimum(
        1.0,
        jnp.maximum(_edge(g_left, s, k, c), _edge(g_left, s, k - 1.0, c)),
    )
    width_right = jnp.minimum(1.0, _edge(g_right, s, jnp.ones_like(k), c))
    # r* - v and r*, where r* is the peak of r^k K(r), each without cancellation
    q = jnp.sqrt(v * v + 4 * k * s * s)
    pos = v > 0
    d_star = jnp.where(pos, 2 * k * s * s / jnp.where(pos, q + v, 1.0), 0.5 * (q - v))
    r_star = jnp.where(pos, v + d_star, 2 * k * s * s / jnp.where(pos, 1.0, q - v))
    # The window [a, b] of [0, 1] is split in two, [a, m] (tanh-sinh where a = 0, which
    # keeps the r^(k-1) end) and [m, b] (Gauss-Legendre), at the point m = v, each half
    # resolving one side of the kernel; where the window starts at r = 0, m is kept at
    # least s from 0 (the peak of r^k K, near v + k s^2 / v, then lies in the second
    # half) and at most half way. Not right of the support, where the kernel is
    # monotone over the window. m moves continuously with v: the rules switch only
    # where the window leaves r = 0 and at the ends of the support.
    at_zero = ~right_out & (left_out | (v <= c * s))
    # windows at r = 0, in absolute terms
    b_zero = jnp.where(left_out, b_left, jnp.minimum(1.0, r_star + c * s))
    m_zero = jnp.minimum(jnp.maximum(v, s), 0.5 * b_zero)
    # other windows in offsets from the point, lo = a - v and hi = b - v, each computed
    # where it is exact (right of the support [1 - width, 1] can be far narrower than
    # ulp(1); b = 1 is u exactly), so that the two halves tile the window around the
    # point even where s << ulp(v) or u + v != 1 in floating point
    lo = -c * s
    hi = jnp.minimum(u, d_star + c * s)
    mid = jnp.zeros_like(v)
    split = ~right_out
    m_abs = jnp.where(at_zero, m_zero, v + mid)
    # right of the support: one window [1 - width, 1], tanh-sinh if it reaches r = 0
    whole_right = right_out & (width_right >= 1.0)
    first = _window_integrals(
        v, u, k, s,
        jnp.where(right_out, jnp.where(whole_right, 0.0, 1.0 - width_right),
                  jnp.where(at_zero, 0.0, v + lo)),
        jnp.where(right_out, 1.0, m_abs),
        jnp.where(right_out, u, jnp.where(at_zero, m_zero - v, mid)),
        jnp.where(right_out, width_right, jnp.where(at_zero, m_zero, mid - lo)),
        at_zero | whole_right)
    b2 = jnp.where(at_zero, b_zero, jnp.where(hi >= u, 1.0, v + hi))
    hi2 = jnp.where(at_zero & (b_zero < 1.0), b_zero - v, hi)
    width2 = jnp.where(at_zero, b_zero - m_zero, hi - mid)
    # (unused right of the support: a harmless stand-in keeps its gradients finite)
    second = _window_integrals(
        v, u, k, s, _where(split, m_abs, 0.0), _where(split, b2, 1.0),
        _where(split, jnp.where(b2 >= 1.0, u, hi2), 1.0), _where(split, width2, 1.0),
        jnp.zeros_like(split), tanh_sinh=False)
    log_pdf, log_int_le, log_int_ge = (
        jnp.where(split, jnp.logaddexp(x, y), x) for x, y in zip(first, second)
    )
    log_le = jnp.logaddexp(log_ndtr(-u / s), log_int_le)
    log_ge = jnp.logaddexp(log_ndtr(-v / s), log_int_ge)
    return log_pdf, jnp.minimum(log_le, 0.0), jnp.minimum(log_ge, 0.0)



def _window_integrals(v, u, k, s, a, b, right_off, width, at_zero, tanh_sinh=True):
    """Log of the pdf, P(V <= v) and P(V >= v) integrals over the window [a, b].

    ``right_off`` is :math:`b - v` and ``width`` :math:`b - a`, each computed where it is
    exact. Tanh-sinh where ``at_zero`` (the window starts at the r^(k-1) singularity),
    else Gauss-Legendre; ``tanh_sinh=False`` uses the 40 Gauss-Legendre nodes alone.
    """
    sel = at_zero[..., None]
    if tanh_sinh:
        nodes_lo = jnp.where(sel, _TS_LO, _GL_LO)
        frac_lo = jnp.where(sel, _TS_P_LO, _GL_P_LO)
        frac_hi = jnp.where(sel, _TS_P_HI, _GL_P_HI)
        nodes_w = jnp.where(sel, _TS_W, _GL_W)
    else:
        n = _GL_N
        nodes_lo, frac_lo, frac_hi, nodes_w = (
            x[:n] for x in (_GL_LO, _GL_P_LO, _GL_P_HI, _GL_W)
        )

    aa, bb, ww = a[..., None], b[..., None], width[..., None]
    r = aa + ww * frac_lo
    # at r = 0 the log must come from the node's own log-fraction, not from r
    log_r = jnp.where(sel, jnp.log(bb) + nodes_lo, jnp.log(jnp.where(sel, 1.0, r)))
    # v - r = (b - v) ... from whichever end of the window is nearer the node, so that
    # the nodes sit exactly where they should relative to the point even when the
    # window is far narrower than ulp(v) (s << v)
    off = right_off[..., None]
    diff = jnp.where(frac_lo < 0.5, (ww - off) - ww * frac_lo, ww * frac_hi - off)
    ss = s[..., None]
    kk = k[..., None]
    log_kernel = -0.5 * jnp.square(diff / ss)
    log_base = (jnp.log(width) - jnp.log(s) - _LOG_SQRT_2PI)[..., None] + nodes_w + log_kernel
    k_log_r = kk * log_r

    log_pdf = jnp.log(k) + jax.nn.logsumexp((kk - 1.0) * log_r + log_base, axis=-1)
    # mass of k r^(k-1) K below the first tanh-sinh node: (b * cut)^k K(0)
    end = k * (jnp.log(b) + _TS_CUT) - 0.5 * jnp.square(v / s) - jnp.log(s) - _LOG_SQRT_2PI
    log_pdf = jnp.where(at_zero, jnp.logaddexp(log_pdf, end), log_pdf)
    log_int_le = jax.nn.logsumexp(k_log_r + log_base, axis=-1)
    log_one_minus_rk = jnp.log(-jnp.expm1(jnp.minimum(k_log_r, -1e-300)))
    log_int_ge = jax.nn.logsumexp(log_one_minus_rk + log_base, axis=-1)
    return log_pdf, log_int_le, log_int_ge


_AVG_GL_N = 16  # Gauss-Legendre nodes per panel of the average tuning curve
_AVG_NEG_PANELS = 12  # panels on [-s c_n, 0]: 1 - G^n falls over ~s / c_n
_AVG_NEAR_PANELS = 4  # panels on [0, v_a]
_AVG_TAIL_PANELS = 4  # panels on [1, 1 + s c_n]
_AVG_CHUNK = 32  # nodes evaluated at a time (bounds memory for large batches)
_AVG_LOG_EPS = 41.0  # mass of G^n or 1 - G^n left out: below exp(-41)


def _panels(n_panels, n_nodes):
    """Fractions, complements and log-weights of equal Gauss-Legendre panels on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    j = np.arange(n_panels)[:, None]
    frac = ((j + 0.5 * (x + 1.0)) / n_panels).ravel()
    comp = ((n_panels - 1 - j + 0.5 * (1.0 - x)) / n_panels).ravel()
    log_w = np.tile(np.log(w / (2.0 * n_panels)), n_panels)
    return frac, comp, log_w


def _tanh_sinh_frac(j, h):
    """Tanh-sinh on [0, 1]: fractions, complements and log-weights, 2j + 1 nodes."""
    x = h * np.arange(-j, j + 1)
    t = np.pi * np.sinh(x)
    frac = np.exp(-np.logaddexp(0.0, -t))
    comp = np.exp(-np.logaddexp(0.0, t))
    log_w = np.log(h * np.pi) + np.log(np.cosh(x)) - np.abs(t) - 2 * np.logaddexp(0.0, -np.abs(t))
    return frac, comp, log_w


_AVG_NEG = _panels(_AVG_NEG_PANELS, _AVG_GL_N)
_AVG_NEAR = _panels(_AVG_NEAR_PANELS, _AVG_GL_N)
_AVG_TAIL = _panels(_AVG_TAIL_PANELS, _AVG_GL_N)
_AVG_TS = _tanh_sinh_frac(44, 0.075)


def _expected_min(n, k, s):
    r""":math:`E[\min(V_1, \dots, V_n)]` for iid :math:`V = R + sZ` (see
    ``NoisyQuadratic.average_tuning_curve``); ``n``, ``k``, ``s`` of one shape."""
    log_n = jnp.log(n)
    c_n = jnp.sqrt(2.0 * (_AVG_LOG_EPS + log_n))
    half = s * c_n
    log_half = jnp.log(half)
    # beyond v_plus, G(v)^n < exp(-41): G(v) <= 1 - (v - s c_n)^k + Phi(-c_n)
    log_v_r = jnp.minimum((jnp.log(_AVG_LOG_EPS + 0.5) - log_n) / k, 1.0)
    v_plus = half + jnp.exp(log_v_r)
    whole = v_plus >= 1.0
    # when the window reaches v = 1, [1 - s c_n, 1] is a piece of its own (the kernel's
    # smoothing of the corner of G at v = 1)
    v_b = jnp.where(whole, jnp.maximum(1.0 - half, 0.0), v_plus)
    log_v_b = jnp.log(jnp.maximum(v_b, jnp.minimum(half, 1.0)))
    log_v_a = jnp.minimum(log_half, log_v_b)
    # n v^k = 1: G^n starts to fall
    log_v_d = jnp.clip(-log_n / k, log_v_a, log_v_b)

    ex = (lambda a: a[..., None])
    pieces = []

    def linear(lo, width, rule, neg=False, u_hi=None):
        frac, comp, log_w = rule
        v = ex(lo) + ex(width) * frac
        u = 1.0 - v if u_hi is None else ex(u_hi) + ex(width) * comp
        pieces.append((v, u, ex(jnp.log(width)) + log_w, neg))

    def logarithmic(z0, z1, m):
        # v = exp(z / m) on z in [z0, z1]: dv = (v / m) dz
        frac, comp, log_w = _AVG_TS
        width = jnp.maximum(z1 - z0, 0.0)  # an empty piece gives weights 0, not NaN
        z = ex(z1) - ex(width) * comp
        log_v = z / m
        v = jnp.exp(log_v)
        u = -jnp.expm1(log_v)
        lw = ex(jnp.log(width)) + log_w + log_v - jnp.log(m)
        pieces.append((v, u, lw, False))

    linear(-half, half, _AVG_NEG, neg=True)
    v_a = jnp.exp(log_v_a)
    linear(jnp.zeros_like(v_a), v_a, _AVG_NEAR, u_hi=1.0 - v_a)
    # [v_a, v_d] in log v; [v_d, v_b] in log p = k log v, where G^n ~ exp(-n p) falls
    logarithmic(log_v_a, log_v_d, 1.0)
    kk = ex(k)
    logarithmic(k * log_v_d, k * log_v_b, kk)
    # [max(v_b, v_a), 1] and [1, 1 + s c_n], only when the window reaches v = 1
    v_c = jnp.exp(log_v_b)
    u_c = jnp.where(half < 1.0, jnp.minimum(half, 1.0 - v_c), 1.0 - v_c)
    frac, comp, log_w = _AVG_NEAR
    pieces.append((1.0 - ex(u_c) * comp, ex(u_c) * comp,
                   jnp.where(ex(whole), ex(jnp.log(u_c)) + log_w, -jnp.inf), False))
    frac, _, log_w = _AVG_TAIL
    d_tail = ex(half) * frac
    pieces.append((1.0 + d_tail, -d_tail,
                   jnp.where(ex(whole), ex(log_half) + log_w, -jnp.inf), False))

    n_nodes = sum(p[0].shape[-1] for p in pieces)
    pad = -n_nodes % _AVG_CHUNK
    zeros = jnp.zeros(jnp.shape(n) + (pad,))
    pieces.append((zeros, 1.0 + zeros, zeros - jnp.inf, False))
    v, u, log_w = (jnp.concatenate([p[i] for p in pieces], axis=-1) for i in range(3))
    neg = np.concatenate([np.full(p[0].shape[-1], p[3]) for p in pieces])
    groups = neg.size // _AVG_CHUNK

    def split(a):
        a = jnp.moveaxis(jnp.broadcast_to(a, jnp.shape(n) + (neg.size,)), -1, 0)
        return a.reshape((groups, _AVG_CHUNK) + jnp.shape(n))

    def chunk(args):
        v, u, log_w, neg = args
        kk, ss, nn = (jnp.broadcast_to(a, v.shape) for a in (k, s, n))
        _, log_le, log_ge = standardized_logs(v, u, kk, ss)
        log_g = jnp.where(log_le < -_LOG_2, jnp.log1p(-jnp.exp(log_le)), log_ge)
        n_log_g = nn * log_g
        below = -jnp.exp(log_w) * -jnp.expm1(n_log_g)
        above = jnp.exp(log_w + n_log_g)
        return jnp.sum(jnp.where(neg, below, above), axis=0)

    parts = lax.map(chunk, (split(v), split(u), split(log_w), split(neg)))
    return jnp.sum(parts, axis=0)


_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188)


def _log_gamma_ratio(x, a):
    r""":math:`\log\Gamma(x) - \log\Gamma(x + a)` for :math:`x \ge 1`, :math:`a > 0`.

    For :math:`x \ge 30` from Stirling's series, arranged without cancellation:

    .. math::

        -\Bigl[(x - \tfrac12)\log(1 + a/x) + a \log(x + a) - a
        + \sum_j \frac{B_{2j}}{2j(2j-1)}\bigl((x+a)^{1-2j} - x^{1-2j}\bigr)\Bigr],

    since a difference of two ``gammaln`` values near :math:`10^7` (``x = 1e6``) keeps
    only about 9 digits.
    """
    big = x >= 30.0
    xb = jnp.where(big, x, 30.0)
    series = sum(c * ((xb + a) ** (1 - 2 * j) - xb ** (1 - 2 * j))
                 for j, c in enumerate(_STIRLING, start=1))
    stirling = -((xb - 0.5) * jnp.log1p(a / xb) + a * jnp.log(xb + a) - a + series)
    xs = jnp.where(big, 1.0, x)
    return jnp.where(big, stirling, gammaln(xs) - gammaln(xs + a))


def _noiseless_logs(v, u, k):
    """The sigma = 0 limit: V = R ~ Beta(k, 1) on [0, 1]."""
    inside = (v > 0) & (u > 0)
    v_safe = jnp.where(inside, v, 0.5)
    log_v = jnp.log(v_safe)
    log_pdf = jnp.where(inside, jnp.log(k) + (k - 1.0) * log_v, -jnp.inf)
    log_le = jnp.where(v <= 0, -jnp.inf, jnp.where(u <= 0, 0.0, k * log_v))
    log_ge = jnp.where(
        v <= 0, 0.0, jnp.where(u <= 0, -jnp.inf, jnp.log(-jnp.expm1(k * log_v)))
    )
    return log_pdf, log_le, log_ge


# ---------------------------------------------------------------- the distribution


class NoisyQuadratic(Distribution):
    r"""Noisy quadratic distribution :math:`Q(\alpha, \beta, \gamma, \sigma)`.

    The distribution of random-search scores near the optimum of a loss surface that is
    locally quadratic (Lourie, He & Cho 2025): a quadratic part on :math:`[\alpha, \beta]`
    plus Gaussian noise.

    Parameters
    ----------
    alpha, beta : array_like
        Ends of the noiseless support, :math:`\alpha < \beta`. ``beta`` (maximize form) or
        ``alpha`` (minimize form) is the best possible *expected* score.
    gamma : array_like
        Effective number of hyperparameters, any positive real (the rank of the Hessian
        at the optimum in the asymptotic law).
    sigma : array_like
        Noise standard deviation, :math:`\sigma \ge 0`; ``sigma = 0`` gives the noiseless
        quadratic distribution exactly.
    minimize : bool, keyword-only
        ``False`` (default): :math:`Y = \beta - (\beta - \alpha)R + E`, tail on the right.
        ``True``: :math:`Y = \alpha + (\beta - \alpha)R + E`, tail on the left.
    validate_args : bool, optional
        Check the parameters (and values passed to ``log_prob``); invalid ones raise
        ``ValueError`` naming the parameter and the value.

    Notes
    -----
    With :math:`R \sim \mathrm{Beta}(\gamma/2, 1)`, :math:`w = \beta - \alpha`, the noiseless
    cdf (maximize form) is :math:`1 - ((\beta - y)/w)^{\gamma/2}`; the noisy one is its
    convolution with :math:`N(0, \sigma^2)`. See the module docstring for the integrals and
    how they are evaluated. Mean :math:`\beta - w\,\gamma/(\gamma + 2)` (maximize) or
    :math:`\alpha + w\,\gamma/(\gamma+2)` (minimize); variance
    :math:`\sigma^2 + w^2\, 4\gamma / ((\gamma+2)^2(\gamma+4))`.

    Examples
    --------
    >>> import numpyro; numpyro.enable_x64()
    >>> d = NoisyQuadratic(0.86, 0.905, 1.0, 0.001)
    >>> float(d.log_prob(0.90))  # doctest: +SKIP
    """

    arg_constraints = {
        "alpha": constraints.real,
        "beta": constraints.real,
        "gamma": constraints.positive,
        "sigma": constraints.nonnegative,
    }
    support = constraints.real
    reparametrized_params = ["alpha", "beta", "gamma", "sigma"]
    pytree_data_fields = ("alpha", "beta", "gamma", "sigma")
    pytree_aux_fields = ("minimize",)

    def __init__(self, alpha, beta, gamma, sigma, *, minimize=False, validate_args=None):
        if validate_args:
            _check_parameters(alpha=alpha, beta=beta, gamma=gamma, sigma=sigma)
        self.alpha, self.beta, self.gamma, self.sigma = promote_shapes(
            *(_as_float(x) for x in (alpha, beta, gamma, sigma))
        )
        self.minimize = bool(minimize)
        batch_shape = lax.broadcast_shapes(
            *(jnp.shape(x) for x in (self.alpha, self.beta, self.gamma, self.sigma))
        )
        super().__init__(batch_shape=batch_shape, validate_args=validate_args)

    # ------------------------------------------------------------ helpers
    @property
    def width(self):
        return self.beta - self.alpha

    def _standardize(self, y):
        """v and 1 - v for V = R + sZ; each taken as a difference from its own end."""
        w = self.width
        if self.minimize:
            return (y - self.alpha) / w, (self.beta - y) / w
        return (self.beta - y) / w, (y - self.alpha) / w

    def _logs(self, y):
        y = _as_float(y)
        v, u = self._standardize(y)
        k = 0.5 * self.gamma
        noiseless = self.sigma <= 0
        s = jnp.where(noiseless, 1.0, self.sigma) / self.width
        noisy = standardized_logs(v, u, k, s)
        exact = _noiseless_logs(v, u, k)
        log_pdf, log_le, log_ge = (jnp.where(noiseless, e, n) for e, n in zip(exact, noisy))
        log_pdf = log_pdf - jnp.log(self.width)
        if self.minimize:
            return log_pdf, log_le, log_ge
        return log_pdf, log_ge, log_le

    # ------------------------------------------------------------ the API
    def sample(self, key, sample_shape=()):
        r"""Draw :math:`Y = \beta - wU^{2/\gamma} + \sigma Z` (reparameterized)."""
        shape = sample_shape + self.batch_shape
        key_r, key_z = jax.random.split(key)
        u = jax.random.uniform(key_r, shape, minval=jnp.finfo(jnp.result_type(float)).tiny)
        r = jnp.exp(jnp.log(u) * 2.0 / self.gamma)
        noise = self.sigma * jax.random.normal(key_z, shape)
        if self.minimize:
            return self.alpha + self.width * r + noise
        return self.beta - self.width * r + noise

    @validate_sample
    def log_prob(self, value):
        """Log-density :math:`\\log f(y)`."""
        return self._logs(value)[0]

    def log_cdf(self, value):
        """:math:`\\log P(Y \\le y)`, exact deep into both tails."""
        return self._logs(value)[1]

    def log_sf(self, value):
        """Log survival :math:`\\log P(Y > y)`, exact deep into both tails."""
        return self._logs(value)[2]

    def cdf(self, value):
        return jnp.exp(self.log_cdf(value))

    def icdf(self, q):
        """Quantile function :math:`F^{-1}(q)` (safeguarded Newton in log space)."""
        q = _as_float(q)
        log_q = jnp.log(q)
        return self._solve(jnp.where(q <= 0.5, log_q, jnp.log1p(-q)), q > 0.5)

    @property
    def mean(self):
        frac = self.gamma / (self.gamma + 2.0)
        if self.minimize:
            return self.alpha + self.width * frac
        return self.beta - self.width * frac

    @property
    def variance(self):
        g = self.gamma
        return jnp.square(self.sigma) + jnp.square(self.width) * 4.0 * g / (
            jnp.square(g + 2.0) * (g + 4.0)
        )

    # ------------------------------------------------------------ quantiles
    def _solve(self, log_target, upper):
        """y with log P(Y <= y) = log_target (upper False) or log P(Y > y) = log_target.

        ``sigma = 0``: the closed form (:meth:`_noiseless_quantile`). Otherwise, since
        ``alpha + E <= Y <= beta + E``, the normal quantiles shifted to alpha and beta
        bracket the answer; Newton steps on the log-probability start from the noiseless
        quantile and are kept inside a shrinking bisection bracket, until the step falls
        below a few ulp of y or 1e-15 (w + sigma) (at most 60 steps; typically 4 to 8).
        """
        shape = lax.broadcast_shapes(jnp.shape(log_target), self.batch_shape)
        log_target = jnp.broadcast_to(log_target, shape)
        upper = jnp.broadcast_to(upper, shape)
        alpha, beta, gamma, sigma = (jnp.broadcast_to(x, shape) for x in
                                     (self.alpha, self.beta, self.gamma, self.sigma))
        closed = self._noiseless_quantile(log_target, upper)
        noiseless = sigma <= 0
        sigma_safe = jnp.where(noiseless, 1.0, sigma)
        d = NoisyQuadratic(alpha, beta, gamma, sigma_safe, minimize=self.minimize)
        # normal quantile of the lower-tail probability
        p_low = jnp.where(upper, -jnp.expm1(log_target), jnp.exp(log_target))
        z = jnp.where(upper, -ndtri(jnp.exp(log_target)), ndtri(p_low))
        z = jnp.clip(z, -40.0, 40.0)
        lo = alpha + sigma_safe * z
        hi = beta + sigma_safe * z
        sign = jnp.where(upper, -1.0, 1.0)
        scale = beta - alpha + sigma_safe

        def objective(y):
            log_pdf, log_cdf, log_sf = d._logs(y)
            log_p = jnp.where(upper, log_sf, log_cdf)
            # d log_p / dy = +-pdf / p
            slope = sign * jnp.exp(log_pdf - log_p)
            return log_p - log_target, slope

        def step(state):
            i, lo, hi, y, done = state
            f, slope = objective(y)
            # f increases with y for the cdf, decreases for the sf
            too_high = sign * f > 0
            lo = jnp.where(too_high | done, lo, y)
            hi = jnp.where(too_high & ~done, y, hi)
            newton = y - f / jnp.where(slope == 0, jnp.inf, slope)
            ok = (newton >= lo) & (newton <= hi) & jnp.isfinite(newton)
            y_new = jnp.where(ok, newton, 0.5 * (lo + hi))
            # a few ulp of y, or of the scale w + sigma where y is near 0 (the log-cdf
            # itself is only good to ~1e-14, so Newton cannot settle below that)
            tiny = 4.0 * jnp.spacing(jnp.abs(y)) + 1e-15 * scale
            finished = done | (f == 0) | (ok & (jnp.abs(y_new - y) <= tiny)) | (hi - lo <= tiny)
            y = jnp.where(done | (f == 0), y, y_new)
            return i + 1, lo, hi, y, finished

        def cond(state):
            return (state[0] < 60) & ~jnp.all(state[4])

        start = jnp.clip(jnp.where(noiseless, 0.5 * (lo + hi), closed), lo, hi)
        state = (0, lo, hi, start, noiseless)
        y = lax.while_loop(cond, step, state)[3]
        return jnp.where(noiseless, closed, y)

    def _noiseless_quantile(self, log_target, upper):
        """Quantile of the sigma = 0 distribution: v = P(V <= v)^(1/k)."""
        k = 0.5 * self.gamma
        # log P(V <= v) for the standardized variable
        log1mexp = (lambda x: jnp.where(x > -_LOG_2, jnp.log(-jnp.expm1(x)),
                                        jnp.log1p(-jnp.exp(x))))
        if self.minimize:
            # P(V <= v) = P(Y <= y)
            log_le = jnp.where(upper, log1mexp(log_target), log_target)
            return self.alpha + self.width * jnp.exp(log_le / k)
        # P(V <= v) = P(Y >= y)
        log_le = jnp.where(upper, log_target, log1mexp(log_target))
        return self.beta - self.width * jnp.exp(log_le / k)

    # ------------------------------------------------------------ tuning curves
    def quantile_tuning_curve(self, n, q=0.5):
        r"""The q-quantile of the best of ``n`` independent draws.

        Maximize form: :math:`F^{-1}(q^{1/n})`; minimize form:
        :math:`F^{-1}(1 - (1-q)^{1/n})`. Solved in log space so that ``n`` up to 1e6 and
        beyond keep full precision; closed form :math:`\beta - w(1 - q^{1/n})^{2/\gamma}`
        when :math:`\sigma = 0`.
        """
        n = _as_float(n)
        q = _as_float(q)
        # P(T_n <= tau) = q with P(T_n <= y) = F(y)^n (maximize) or 1 - S(y)^n (minimize):
        # the level of F (or S) is exp(log(q) / n), and the smaller of it and its complement
        # is the one solved for, in log space.
        log_level = (jnp.log1p(-q) if self.minimize else jnp.log(q)) / n
        near_one = log_level > -_LOG_2
        target = jnp.where(near_one, jnp.log(-jnp.expm1(log_level)), log_level)
        # maximize: level of F, complement S (upper); minimize: level of S (upper),
        # complement F
        upper = near_one if not self.minimize else ~near_one
        return self._solve(target, upper)

    def average_tuning_curve(self, n):
        r"""The expected best of ``n`` independent draws, :math:`E[T_n]`.

        With :math:`V = R + sZ` as in the module docstring, the best of ``n`` draws is
        :math:`\beta - w M_n` (maximize) or :math:`\alpha + w M_n` (minimize), where
        :math:`M_n` is the minimum of ``n`` copies of :math:`V`. With
        :math:`G(v) = P(V \ge v)`,

        .. math::

            E[M_n] = \int_0^\infty G(v)^n\,dv - \int_{-\infty}^0 \bigl(1 - G(v)^n\bigr)\,dv,

        evaluated with :math:`G^n = \exp(n \log G)` on three pieces per ``n``:
        :math:`[-s c_n, 0]` (Gauss–Legendre panels; :math:`1 - G^n \le n\Phi(v/s)`, so
        :math:`c_n = \sqrt{2(41 + \log n)}` leaves out less than :math:`e^{-41}`),
        :math:`[0, \min(1, v_+)]` in the variable :math:`p = v^k` (tanh–sinh, which turns
        :math:`G \approx 1 - p` into a smooth integrand at any ``n``), and
        :math:`[1, 1 + s c_n]` (Gauss–Legendre panels), where
        :math:`v_+ = s c_n + (41.5/n)^{1/k}` bounds the point beyond which
        :math:`G^n < e^{-41}`. For :math:`\sigma = 0` the closed form
        :math:`E[M_n] = \Gamma(n+1)\Gamma(1+1/k)/\Gamma(n+1+1/k)`.

        Parameters
        ----------
        n : array_like
            Number of draws (real, at least 1), broadcast against the batch shape.

        Returns
        -------
        Array
            :math:`E[T_n]`, of shape ``broadcast(n.shape, batch_shape)``.
        """
        n = _as_float(n)
        shape = lax.broadcast_shapes(jnp.shape(n), self.batch_shape)
        n, alpha, beta, gamma, sigma = (
            jnp.broadcast_to(x, shape) for x in (n, self.alpha, self.beta, self.gamma,
                                                  self.sigma))
        w = beta - alpha
        k = 0.5 * gamma
        noiseless = sigma <= 0
        s = jnp.where(noiseless, 1.0, sigma) / w
        noisy = _expected_min(n, k, s)
        closed = jnp.exp(gammaln(1.0 + 1.0 / k) + _log_gamma_ratio(n + 1.0, 1.0 / k))
        m = jnp.where(noiseless, closed, noisy)
        if self.minimize:
            return alpha + w * m
        return beta - w * m

    def _expand(self):
        return NoisyQuadratic(
            jnp.expand_dims(self.alpha, -1),
            jnp.expand_dims(self.beta, -1),
            jnp.expand_dims(self.gamma, -1),
            jnp.expand_dims(self.sigma, -1),
            minimize=self.minimize,
        )


class Quadratic(NoisyQuadratic):
    r"""The noiseless quadratic distribution :math:`Q(\alpha, \beta, \gamma)` (``sigma = 0``).

    Maximize form cdf :math:`1 - ((\beta - y)/w)^{\gamma/2}` on :math:`[\alpha, \beta]`; the
    minimize form :math:`((y - \alpha)/w)^{\gamma/2}`.
    """

    arg_constraints = {
        "alpha": constraints.real,
        "beta": constraints.real,
        "gamma": constraints.positive,
    }
    pytree_data_fields = ("alpha", "beta", "gamma")

    def __init__(self, alpha, beta, gamma, *, minimize=False, validate_args=None):
        super().__init__(
            alpha, beta, gamma, 0.0, minimize=minimize, validate_args=validate_args
        )

    @property
    def support(self):  # noqa: D401 - numpyro property
        return constraints.interval(self.alpha, self.beta)


# ---------------------------------------------------------------- argument checks


def _as_float(x):
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def _check_parameters(*, alpha, beta, gamma, sigma):
    """Raise ``ValueError`` naming the parameter and value when one is invalid."""
    try:
        a, b, g, s = (np.asarray(x, dtype=float) for x in (alpha, beta, gamma, sigma))
    except (TypeError, jax.errors.TracerArrayConversionError):
        return  # traced values: numpyro's own validation applies
    for name, x in (("alpha", a), ("beta", b), ("gamma", g), ("sigma", s)):
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} must be finite, got {name}={x!r}")
    if np.any(a >= b):
        raise ValueError(f"alpha must be less than beta, got alpha={a!r}, beta={b!r}")
    if np.any(g <= 0):
        raise ValueError(f"gamma must be positive, got gamma={g!r}")
    if np.any(s < 0):
        raise ValueError(f"sigma must be non-negative, got sigma={s!r}")
