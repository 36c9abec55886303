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
every term is positive.

**Quadrature.** Each integral is taken over a window :math:`[a, b]` of :math:`[0, 1]` that
holds all but :math:`e^{-38}` of its mass, split in two pieces :math:`[a, m]` and
:math:`[m, b]`. With :math:`c = \sqrt{2(38 + \max(0, -\log s) + \max(0, -\log k))}` and
:math:`r^*` the peak of :math:`r^k K(r)`:

* inside the support, :math:`[a, b] = [\max(0, v - cs), \min(1, r^* + cs)]`, split at
  :math:`m = v`: Gauss–Legendre on each piece (57 and 30 nodes);
* where :math:`K(0)` is not negligible (:math:`v \le s\sqrt{2(24 + \max(0, -\log k))}`,
  about 7 noise standard deviations, or :math:`v \le 0`) the window starts at
  :math:`r = 0`, and :math:`[0, m]` uses tanh–sinh (57 nodes, :math:`h = 0.125`,
  :math:`x \in [-4.125, 2.875]`; for :math:`f_V`, the :math:`r^{k-1}` end below the
  first node, where :math:`K = K(0)`, is added in closed form, see ``_end_mass``);
  :math:`m = \min(\max(v - 2s, s), b/2)`, so that the peak of :math:`K` lies in the
  Gauss–Legendre piece (for :math:`k > 2`, so that the peak of the integrand does,
  :math:`m = \min(0.7 r^*, b/2)` for :math:`f_V` and :math:`P(V \le v)`, and at most
  :math:`r^*/2` for :math:`P(V \ge v)`, whose integrand peaks near :math:`v` instead);
* right of the support the window :math:`[1 - \omega, 1]` is halved (tanh–sinh on its
  first half if it is all of :math:`[0, 1]`).

The window's ends and the split are held as offsets from the point, each computed where
it is exact, so that nodes sit where they should even when :math:`s` is below
:math:`10^{-12}` (far narrower than the spacing of floats near :math:`v`); for
:math:`1 - r^k`, :math:`1 - r` is likewise taken from offsets from 1. Every point
costs the same 87 node evaluations per integral (89 and 91 for the two
probabilities, whose rules are one and two nodes larger only so that XLA keeps their
per-node work apart when both are evaluated).

**Log space without a pass for the maximum.** With :math:`h` the integrand's factor in
:math:`r` (:math:`k r^{k-1}`, :math:`r^k` or :math:`1 - r^k`), :math:`z = (v - r)/s` and a
reference point :math:`r_0` of the window (the peak of :math:`r^k K` there, or for
:math:`P(V \ge v)` the point nearest :math:`v`),

.. math::

    \log \int_a^b h K = \log\bigl(h(r_0) K(r_0)\bigr) + \log \sum_i w_i\,
    \exp\Bigl(\log\frac{h(r_i)}{h(r_0)} - \tfrac12 (z_i - z_0)(z_i + z_0)\Bigr).

The kernel ratio, written as a product, keeps its relative precision however far the
point is from the window, and the reference keeps the terms within a few hundred nats of
1, so the sum neither overflows nor underflows, even 40 noise standard deviations outside
:math:`[\alpha, \beta]` where the probabilities are far below 1e-300.

**Derivatives** (a ``jax.custom_jvp``): with the weights :math:`p_i \propto w_i h(r_i) K(r_i)`
of the same nodes,

.. math::

    \partial_v \log I = -\frac{E_p[z]}{s}, \quad
    \partial_s \log I = \frac{E_p[z^2]}{s}, \quad
    \partial_k \log I = E_p[\partial_k \log h],

with :math:`\partial_k \log h = 1/k + \log r`, :math:`\log r` or
:math:`-r^k \log r / (1 - r^k)`: the window's moving ends hold less than :math:`e^{-38}`
of the mass (or sit at 0 or 1) and the split point cancels, so these are the derivatives
to the accuracy of the quadrature, at the cost of four sums over the nodes instead of
reverse-mode differentiation through them.

Log-densities and log-probabilities are exact to about 1e-12 nats (relative, for large
ones), from deep inside the support to 40 noise standard deviations outside it, for
:math:`\gamma \ge 0.5` (the reference tables), and the log-density to 3e-14 at
:math:`\gamma` = 0.1–0.4 (tests against mpmath); at :math:`\gamma = 0.05` the 16 closed-form
end terms of ``_end_mass`` leave about 1e-9.

**Tiny relative noise.** Below :math:`s = 10^{-60}` (a width far beyond the noise, as
prior draws can have), a point within :math:`10^{30}` noise sds of an end is moved to
:math:`s = 10^{-60}` at the same distance in sds and the value rescaled by the exact
self-similarity of the distribution near that end; farther points take the noiseless
value inside the support and :math:`-z^2/2` outside it (see ``_rescaled``). :math:`s`
below the smallest normal float64 (2.2e-308) is flushed to zero by XLA on CPU: there the
distribution is its noiseless limit.

**Many points of one distribution.** When one parameter set meets a batch of at least
8,192 points (a likelihood over a data set, a plot, a grid; ``k`` and ``s`` scalars),
each output is a smooth function of the point alone and is tabulated once per call from
the quadrature itself (``_tabulated_log``): on each side of the middle of the support
(:math:`d = v` or :math:`u \le 1/2`), in :math:`\xi = \operatorname{asinh}(d/2s)`
(linear in :math:`d` within a few noise sds of the end, logarithmic beyond), 52 pieces
of 20 Chebyshev-Lobatto nodes from :math:`10^4` noise sds outside the support to its
middle, with the kernel's :math:`-\tfrac12 (d/s)^2` taken out where the output decays
like it. Each point then costs one Chebyshev sum instead of a quadrature (five to ten
times less, table included). A table is used only where it is checked: its last three coefficients on every
piece below 5% of the tolerance, :math:`0.025 < k < 50`, :math:`10^{-12} < s < 300`,
and every point within :math:`10^4` sds of the support; anywhere else the quadrature
takes every point. Derivatives in the point come from the interpolant, those in
:math:`k` and :math:`s` from tables of the quadrature's own derivatives. On the
reference tables (every row through a table) the tabulated outputs are as exact as the
quadrature; against the quadrature over the whole range where tables are used, they
agree to a tenth of the tolerance.

For the maximize form :math:`v = (\beta - y)/w`, :math:`F_Y(y) = P(V \ge v)`; for the
minimize form :math:`v = (y - \alpha)/w`, :math:`F_Y(y) = P(V \le v)`;
:math:`f_Y(y) = f_V(v) / w` in both.

Float64 is needed for this accuracy: call ``numpyro.enable_x64()`` (the public entry points
of bayesnq do) before building your own models.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import gammaln, ndtri
from jax.scipy.special import log_ndtr as _jax_log_ndtr
from numpyro.distributions import Distribution, constraints
from numpyro.distributions.util import promote_shapes, validate_sample
import numpyro as _numpyro

_numpyro.enable_x64()  # TRANSITION: the distributions package will own this

__all__ = ["NoisyQuadratic", "Quadratic", "standardized_logs"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_2 = math.log(2.0)


def log_ndtr(x):
    """log Phi(x); 8 terms of the asymptotic series below -20 (JAX's default 3 err ~1e-9)."""
    return _jax_log_ndtr(x, series_order=8)

_MASS_NATS = 38.0  # integrand mass left outside the quadrature window: below exp(-38)

# ---------------------------------------------------------------- quadrature rules


def _tanh_sinh(j_left: int, j_right: int, h: float):
    """Tanh-sinh on [0, 1], nodes at x = h j for j = -j_left..j_right.

    Returns the fraction of the window below and above each node and the log-weights.
    """
    x = h * np.arange(-j_left, j_right + 1)
    t = np.pi * np.sinh(x)
    frac_lo = np.exp(-np.logaddexp(0.0, -t))
    frac_hi = np.exp(-np.logaddexp(0.0, t))
    return frac_lo, frac_hi, _tanh_sinh_log_weights(x, h)


def _tanh_sinh_log_weights(x, h):
    t = np.pi * np.sinh(x)
    return (np.log(h * np.pi) + np.log(np.cosh(x)) - np.abs(t)
            - 2 * np.logaddexp(0.0, -np.abs(t)))


def _tanh_sinh_end(j_first: int, n_end: int, h: float):
    """The ``n_end`` tanh-sinh nodes left of node ``j_first`` (for the r^(k-1) end).

    Returns their log-weights, their log-fractions (exact: every one is below 1e-42, where
    log(fraction) = -log(1 + e^(-t))), and the log of the fraction below the cell of the
    leftmost of them and below that of node ``j_first``.
    """
    x = h * np.arange(j_first - n_end, j_first)
    log_frac = -np.logaddexp(0.0, -np.pi * np.sinh(x))
    log_cut = -np.logaddexp(0.0, -np.pi * np.sinh(x[0] - h / 2))
    log_cut_rule = -np.logaddexp(0.0, -np.pi * np.sinh(h * j_first - h / 2))
    return _tanh_sinh_log_weights(x, h), log_frac, float(log_cut), float(log_cut_rule)


def _gauss_legendre(n: int):
    """Gauss-Legendre on [0, 1]: fractions below and above each node, log-weights."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (1.0 + x), 0.5 * (1.0 - x), np.log(0.5 * w)


# tanh-sinh x = h j, j = -33..23: nodes from 1e-42 to 1 - 1e-12 of the piece (57 nodes)
_TS_J_LEFT, _TS_J_RIGHT, _TS_H = 33, 23, 0.125
_GL_SECOND = 30  # Gauss-Legendre nodes on the second piece
_TS_END = 16  # further tanh-sinh nodes summed in closed form at the r^(k-1) end (K = K(0))
_END_SUM_K = 0.3  # ... needed only below this k
_ZERO_NATS = 24.0  # the window starts at r = 0 where K(0) / K(v) is above exp(-24) k
_ZERO_GAP = 2.0  # a window from r = 0 is split this many s below v (K's peak in GL)
_PEAK_K = 2.0  # above this k, the split at r = 0 stays below the peak of r^k K
_PEAK_SPLIT = 0.7  # ... at this fraction of it for r^k K (pdf, le); at most half for ge


def _build_rules():
    """Per integrand: its rules, and the pdf's tanh-sinh end nodes (see ``_end_mass``).

    Each integrand (``"pdf"``, ``"le"``, ``"ge"``) gets tanh-sinh and Gauss-Legendre of one
    size for the first piece and Gauss-Legendre for the second, the three of slightly
    different sizes (one or two more nodes): XLA would otherwise merge the per-node arrays
    of two integrands evaluated together and keep them in memory, which is several times
    slower than recomputing them.
    """
    rules = {}
    for extra, which in enumerate(("pdf", "le", "ge")):
        ts = _tanh_sinh(_TS_J_LEFT + extra, _TS_J_RIGHT, _TS_H)
        rules[which] = (ts, _gauss_legendre(ts[0].size),
                        _gauss_legendre(_GL_SECOND + extra))
    return rules, _tanh_sinh_end(-_TS_J_LEFT, _TS_END, _TS_H)


_RULES, _TS_END_NODES = _build_rules()


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
    # roots of quadratics in units of lam = max(s, g), where s^2 and g^2 cannot underflow
    lam = jnp.maximum(s, g)
    g_l, s_l = g / lam, s / lam
    kern = lam * 2 * d * s_l * s_l / (g_l + jnp.sqrt(g_l * g_l + 2 * d * s_l * s_l))
    m_safe = jnp.where(m > 0, m, 1.0)
    mode = lam * 2 * m_safe * s_l * s_l / (jnp.sqrt(g_l * g_l + 4 * m_safe * s_l * s_l) + g_l)
    weighted = jnp.minimum(mode * (1 + _mode_excess(m_safe, d / m_safe)), mode + c * s)
    return jnp.maximum(kern, jnp.where(m > 0, weighted, 0.0))


def _window(v, u, k, s, at_peak=True):
    """Per point: the window [a, m + w_2] of [0, 1], split at m, and two reference points.

    Returns ``(ts, a, m, w_1, w_2, e, log_r_c, d_c, d_v, o_m, o_b)``: whether the first
    piece [a, m] (width w_1) uses tanh-sinh (it starts at r = 0), a, m, the widths of the
    two pieces, e = v - m, log r_c where r_c is the peak of r^k K(r) on the window,
    r_c - m and r_v - m where r_v is the point of the window nearest v (the peak of K),
    and 1 - m and 1 - (m + w_2), each exact where it is small.
    Offsets are each computed where they are exact, so that nodes sit where they should
    relative to v even when s is far below the spacing of floats near v. ``at_peak``
    (integrands r^k K and k r^(k-1) K, not (1 - r^k) K): for k > 2 a window that starts
    at r = 0 is split at ``_PEAK_SPLIT`` r* rather than at most r*/2.
    """
    d = _MASS_NATS
    c = jnp.sqrt(2 * (d + jnp.maximum(0.0, -jnp.log(s)) + jnp.maximum(0.0, -jnp.log(k))))
    left_out = v <= 0
    right_out = u <= 0
    g_left = _where(left_out, -v, 0.0)
    g_right = _where(right_out, -u, 0.0)
    b_left = jnp.minimum(
        1.0,
        jnp.maximum(_edge(g_left, s, k, c), _edge(g_left, s, k - 1.0, c)),
    )
    width_right = jnp.minimum(1.0, _edge(g_right, s, jnp.ones_like(k), c))
    # r* - v and r*, where r* is the peak of r^k K(r), each without cancellation,
    # in units of lam = max(s, |v|), so that nothing underflows when s is below 1e-154
    lam = jnp.maximum(s, jnp.abs(v))
    v_l, s_l = v / lam, s / lam
    q = jnp.sqrt(v_l * v_l + 4 * k * s_l * s_l)
    pos = v > 0
    d_star = lam * jnp.where(pos, 2 * k * s_l * s_l / jnp.where(pos, q + v_l, 1.0),
                             0.5 * (q - v_l))
    r_star = jnp.where(pos, v + d_star,
                       lam * 2 * k * s_l * s_l / jnp.where(pos, 1.0, q - v_l))
    # windows that start at r = 0 (the r^(k-1) end is in them), in absolute terms
    c_zero = jnp.minimum(c, jnp.sqrt(2 * (_ZERO_NATS + jnp.maximum(0.0, -jnp.log(k)))))
    at_zero = ~right_out & (left_out | (v <= c_zero * s))
    b_zero = jnp.where(left_out, b_left, jnp.minimum(1.0, r_star + c * s))
    m_zero = jnp.minimum(jnp.maximum(v - _ZERO_GAP * s, s), 0.5 * b_zero)
    # above k = 2 the peak lies in the Gauss-Legendre piece: for r^k K (pdf, le) the split
    # is at _PEAK_SPLIT r*, for (1 - r^k) K (ge, peaked near v) at most r*/2
    if at_peak:
        m_peak = jnp.minimum(_PEAK_SPLIT * r_star, 0.5 * b_zero)
    else:
        m_peak = jnp.minimum(m_zero, 0.5 * r_star)
    m_zero = jnp.where(k > _PEAK_K, m_peak, m_zero)
    # right of the support, [1 - width, 1] halved; else [v - c s, min(1, r* + c s)] at v
    half_right = 0.5 * width_right
    whole_right = right_out & (width_right >= 1.0)
    hi = jnp.minimum(u, d_star + c * s)
    ts = at_zero | whole_right
    a_mid = jnp.maximum(v - c * s, 0.0)
    a = jnp.where(right_out, jnp.where(whole_right, 0.0, 1.0 - width_right),
                  jnp.where(at_zero, 0.0, a_mid))
    m = jnp.where(right_out, 1.0 - half_right, jnp.where(at_zero, m_zero, v))
    w_1 = jnp.where(right_out, half_right,
                    jnp.where(at_zero, m_zero, jnp.where(a_mid > 0, c * s, v)))
    w_2 = jnp.where(right_out, half_right,
                    jnp.where(at_zero, b_zero - m_zero, jnp.where(hi >= u, u, hi)))
    e = jnp.where(right_out, half_right - u, jnp.where(at_zero, v - m_zero, 0.0))
    r_c = jnp.clip(r_star, a, m + w_2)
    d_c = jnp.clip(jnp.where(at_zero, r_star - m_zero, d_star + e), -w_1, w_2)
    d_v = jnp.clip(e, -w_1, w_2)
    # 1 - m and 1 - (m + w_2), exact where they are small (for 1 - r^k near r = 1)
    o_m = jnp.where(right_out, half_right, jnp.where(at_zero, 1.0 - m_zero, u))
    o_b = o_m - w_2
    return ts, a, m, w_1, w_2, e, jnp.log(r_c), d_c, d_v, o_m, o_b


def _node_sum(terms):
    """Sum over the last axis (the nodes).

    The select that follows is the identity (NaN stays NaN); it keeps XLA:CPU from fusing
    what comes after the sum into the reduction, which then runs several times slower.
    """
    total = jnp.sum(terms, axis=-1)
    return jnp.where(total == total, total, jnp.nan)


# rows of the moments: terms times 1, z = (v - r)/s, z^2 and the k-score's factor
_MOMENTS = np.eye(4)[:, :, None]


def _piece_sums(win, k, s, which, moments=False):
    """Quadrature sums of an integrand over the window, relative to a reference value.

    ``which`` is ``"pdf"`` (integrand k r^(k-1) K), ``"le"`` (r^k K) or ``"ge"``
    ((1 - r^k) K), with K(r) = exp(-(v - r)^2 / 2 s^2). Returns ``log_ref`` and ``total``,
    with log integral = log_ref + log(total). With ``moments``, ``total`` has a last axis
    of 4: the sum, and the sums with each term times z = (v - r)/s, z^2 and d/dk of the
    log of the integrand's factor in r (for ``"ge"`` times 1 - r^k, so that it stays
    finite at r = 1).
    """
    ts, a, m, w_1, w_2, e, log_r_c, d_c, d_v, o_m, o_b = win
    rules_ts, rules_gl, rules_second = _RULES[which]
    if moments:
        ex = (lambda x: x[..., None, None])
        rows = _MOMENTS
    else:
        ex = (lambda x: x[..., None])
    kk = ex(k)
    d_ref = d_v if which == "ge" else d_c
    power = {"pdf": kk - 1.0, "le": kk, "ge": None}[which]
    # log K(r) - log K(r_ref) = -(z - z_ref)(z + z_ref)/2 with z = (v - r)/s and z_ref =
    # (v - r_ref)/s, as a product so that it keeps its relative precision however far
    # the point is from the window. On a piece from ``start`` (a or m) of width w, a node
    # at r = start + w f has z = z_0 - (w/s) f, with z_0 = (v - start)/s taken from the
    # exact offsets: v - m = e and v - a = e + w_1.
    e_s, d_s = e / s, d_ref / s
    z_ref = e_s - d_s

    def terms(r, width_s, frac, log_w, z_0, one_minus_r):
        log_r = jnp.log(r)
        step = ex(width_s) * frac
        z = ex(z_0) - step
        x = log_w + (0.5 * step + ex(-0.5 * (z_0 - z_ref))) * (ex(z_0 + z_ref) - step)
        if power is None:
            # log r corrected by the rounding of r, from the exact 1 - r: r is rounded to
            # ulp(1), which would cost 1 - r^k its relative precision where the window is
            # narrow next to r = 1 (the correction's own error, ~1e-16, is harmless)
            log_r = log_r + ((1.0 - r) - one_minus_r)
            # (r = 1 in floating point, where the window is far narrower than ulp(1),
            # keeps 1 - r^k at 1e-300: finite, and far below any neighbour)
            rk_minus_1 = jnp.expm1(jnp.minimum(kk * log_r, -1e-300))
            base = jnp.exp(x)
            if not moments:
                return base * -rk_minus_1
            return base * (-rk_minus_1 * (rows[0] + (rows[1] + rows[2] * z) * z)
                           - rows[3] * (rk_minus_1 + 1.0) * log_r)
        base = jnp.exp(x + power * (log_r - ex(log_r_c)))
        if not moments:
            return base
        return base * (rows[0] + (rows[1] + rows[2] * z) * z + rows[3] * log_r)

    # first piece [a, m]: tanh-sinh where a = 0, else Gauss-Legendre (same node count)
    t = ex(ts.astype(e.dtype))
    nt = 1.0 - t
    frac, frac_hi, log_w = (t * p + nt * q for p, q in zip(rules_ts, rules_gl))
    sum_1 = _node_sum(terms(ex(a) + ex(w_1) * frac, w_1 / s, frac, log_w, e_s + w_1 / s,
                            ex(o_m) + ex(w_1) * frac_hi))
    frac, frac_hi, log_w = rules_second
    sum_2 = _node_sum(terms(ex(m) + ex(w_2) * frac, w_2 / s, frac, log_w, e_s,
                            ex(o_b) + ex(w_2) * frac_hi))
    w_max = jnp.maximum(w_1, w_2)
    scale_1, scale_2 = w_1 / w_max, w_2 / w_max
    if moments:
        scale_1, scale_2 = scale_1[..., None], scale_2[..., None]
    total = scale_1 * sum_1 + scale_2 * sum_2
    log_ref = -0.5 * jnp.square(z_ref) + jnp.log(w_max)
    if power is not None:
        log_ref = log_ref + (k - 1.0 if which == "pdf" else k) * log_r_c
    return log_ref, total


def _end_mass(v, k, s, m):
    r"""log of the mass of :math:`k r^{k-1} K` on :math:`[0, m]` left of the tanh-sinh rule.

    Below the rule's first node :math:`r < 10^{-42} m`, where :math:`K = K(0)` to double
    precision, so the rule continued to the left is a sum in closed form: with the next
    ``_TS_END`` nodes :math:`f_j` (weights :math:`w_j`) and the fraction :math:`\epsilon`
    below their cells,

    .. math::

        m^k K(0) \Bigl(\epsilon^k + k \sum_j w_j f_j^{k-1}\Bigr).

    The sum is what keeps small :math:`k` exact: :math:`\epsilon^k` alone (the integral
    below the rule) misses the rule's own discretization of the slowly decaying end, which
    is :math:`2 \cdot 10^{-8}` of the density at :math:`k = 0.15` and grows as :math:`k`
    falls (below :math:`10^{-12}` above :math:`k = 0.25`, where the sum is skipped and
    :math:`\epsilon` is the fraction below the rule's own first cell). Returns the log-mass
    and its derivative in :math:`k`.
    """
    log_w, log_f, log_cut, log_cut_rule = _TS_END_NODES

    def with_sum(k):
        kk = k[..., None]
        parts = jnp.concatenate(
            [kk * log_cut, jnp.log(kk) + log_w + (kk - 1.0) * log_f], axis=-1)
        d_parts = jnp.concatenate(
            [jnp.broadcast_to(log_cut, kk.shape), 1.0 / kk + log_f], axis=-1)
        top = jnp.max(parts, axis=-1, keepdims=True)
        p = jnp.exp(parts - top)
        total = jnp.sum(p, axis=-1)
        return top[..., 0] + jnp.log(total), jnp.sum(p * d_parts, axis=-1) / total

    def integral_only(k):
        return k * log_cut_rule, jnp.full_like(k, log_cut_rule)

    # the sum changes the density by less than 1e-12 of itself above k = 0.25: skip it
    # when no point needs it (under vmap both branches run, which is also exact)
    log_sum, d_k = jax.lax.cond(jnp.any(k < _END_SUM_K), with_sum, integral_only, k)
    log_m = jnp.log(m)
    return k * log_m - 0.5 * jnp.square(v / s) + log_sum, log_m + d_k


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _log_integral(which, v, u, k, s):
    r"""log of :math:`\int_0^1 h(r) K(r)\,dr`, :math:`K(r) = e^{-(v - r)^2 / 2s^2}`.

    ``which`` picks :math:`h`: ``"pdf"`` :math:`k r^{k-1}`, ``"le"`` :math:`r^k`, ``"ge"``
    :math:`1 - r^k`. Its derivatives (see ``_log_integral_jvp``) are averages over the
    same nodes.
    """
    win = _window(v, u, k, s, which != "ge")
    log_ref, total = _piece_sums(win, k, s, which)
    out = log_ref + jnp.log(total)
    if which == "pdf":
        ts, m = win[0], win[2]
        out = jnp.log(k) + out
        out = jnp.where(ts, jnp.logaddexp(out, _end_mass(v, k, s, m)[0]), out)
    return out


@_log_integral.defjvp
def _log_integral_jvp(which, primals, tangents):
    r"""Derivatives of :math:`\log I = \log \int h K` as averages over the quadrature.

    :math:`\partial \log I = E[\partial \log(h K)]` under the weights
    :math:`h K / I`: with :math:`z = (v - r)/s`, :math:`\partial_v \log K = -z/s`,
    :math:`\partial_s \log K = z^2/s`, and :math:`\partial_k \log h` is :math:`1/k + \log r`,
    :math:`\log r` or :math:`-r^k \log r / (1 - r^k)`. The window's moving ends carry
    less than :math:`e^{-38}` of the mass (or sit at r = 0 or 1) and its split point
    cancels, so these averages over the same nodes are the derivatives of the integral
    to the accuracy of the quadrature. ``v`` and ``u = 1 - v`` are one variable: the
    derivative goes to whichever of them is smaller, where its own derivative is exact.
    """
    v, u, k, s = primals
    dv, du, dk, ds = tangents
    win = _window(v, u, k, s, which != "ge")
    log_ref, total = _piece_sums(win, k, s, which, moments=True)
    out = log_ref + jnp.log(total[..., 0])
    mean = total[..., 1:] / total[..., :1]
    d_v, d_s, d_k = -mean[..., 0] / s, mean[..., 1] / s, mean[..., 2]
    if which == "pdf":
        ts, m = win[0], win[2]
        out = jnp.log(k) + out
        d_k = d_k + 1.0 / k
        end, d_k_end = _end_mass(v, k, s, m)
        with_end = jnp.logaddexp(out, end)
        p_end = jnp.where(ts, jnp.exp(end - with_end), 0.0)
        p_in = 1.0 - p_end
        z0 = v / s
        d_v = p_in * d_v - p_end * z0 / s
        d_s = p_in * d_s + p_end * jnp.square(z0) / s
        d_k = p_in * d_k + p_end * d_k_end
        out = jnp.where(ts, with_end, out)
    d_point = jnp.where(jnp.abs(v) <= jnp.abs(u), dv, -du)
    return out, d_v * d_point + d_k * dk + d_s * ds


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

    Notes
    -----
    Each output computes only its own integral (unused ones are dropped under ``jit``).
    Derivatives in ``v``, ``u``, ``k`` and ``s`` are averages over the same quadrature
    nodes (a ``jax.custom_jvp``, see the module docstring), not reverse-mode
    differentiation through the quadrature.
    """
    return tuple(_standardized_log(which, v, u, k, s) for which in ("pdf", "le", "ge"))


@partial(jax.jit, static_argnums=0)
def _standardized_log(which, v, u, k, s):
    """One output of :func:`standardized_logs` (``which``: "pdf", "le" or "ge").

    Jitted so that a model traced many times (NumPyro traces it several times while it
    sets up NUTS) traces the quadrature once per shape. A batch of at least
    ``_TABLE_MIN_POINTS`` points that share one ``k`` and one ``s`` goes through
    :func:`_tabulated_log` (a table of the function built from the quadrature); any
    other batch, point by point through the quadrature.
    """
    v, u, k, s = (jnp.asarray(x) for x in (v, u, k, s))
    shape = lax.broadcast_shapes(*(jnp.shape(x) for x in (v, u, k, s)))
    if k.size == 1 and s.size == 1 and math.prod(shape) >= _TABLE_MIN_POINTS:
        v, u = (jnp.broadcast_to(x, shape) for x in (v, u))
        return _tabulated_log(which, v, u, k.reshape(()), s.reshape(()))
    return _pointwise_log(which, *jnp.broadcast_arrays(v, u, k, s))


def _pointwise_log(which, v, u, k, s):
    """One output of :func:`standardized_logs` point by point (arguments of one shape)."""
    # one quadrature per point (the move is an identity where s >= _S_FLOOR); the rescale,
    # a dozen transcendentals per point, runs only for a batch that has a tiny s (under
    # vmap a cond runs both branches, which is still one quadrature)
    v_q, u_q, s_q = _moved(v, u, s)
    out = _quadrature_log(which, v_q, u_q, k, s_q)
    return lax.cond(jnp.any(s < _S_FLOOR), partial(_rescaled, which),
                    lambda out, v, u, k, s: out, out, v, u, k, s)


def _quadrature_log(which, v, u, k, s):
    """One output of :func:`standardized_logs` by quadrature (``s >= _S_FLOOR``)."""
    log_norm = -jnp.log(s) - _LOG_SQRT_2PI
    out = log_norm + _log_integral(which, v, u, k, s)
    if which == "pdf":
        return out
    log_outside = log_ndtr(-u / s) if which == "le" else log_ndtr(-v / s)
    return jnp.minimum(jnp.logaddexp(log_outside, out), 0.0)


_S_FLOOR = 1e-60  # below this s, a point near an end is moved to s = _S_FLOOR ...
_Z_FAR = 1e30  # ... if it is within this many s of the end; beyond, the noise is negligible


def _near_end(v, u, s):
    """Which end is nearer, the signed offset d to it, and where the point is moved."""
    tiny = s < _S_FLOOR
    near_zero = v <= u
    d = jnp.where(near_zero, v, u)
    # z = d / s with both scaled by a power of 2 so that s is near 1: exact, and the
    # derivative of the ratio does not overflow through 1 / s^2
    scale = lax.stop_gradient(jnp.exp2(-jnp.floor(jnp.log2(jnp.where(tiny, s, 1.0)))))
    mapped = tiny & (jnp.abs(d) <= _Z_FAR * s)
    return tiny, near_zero, d, scale, mapped


def _moved(v, u, s):
    """(v, u, s) where the quadrature runs: a tiny-``s`` point near an end goes to ``s_0``."""
    tiny, near_zero, d, scale, mapped = _near_end(v, u, s)
    d_0 = jnp.where(mapped, d * scale, 0.0) / jnp.where(mapped, s * scale, 1.0) * _S_FLOOR
    v_q = jnp.where(mapped, jnp.where(near_zero, d_0, 1.0 - d_0), jnp.where(tiny, 0.5, v))
    u_q = jnp.where(mapped, jnp.where(near_zero, 1.0 - d_0, d_0), jnp.where(tiny, 0.5, u))
    return v_q, u_q, jnp.where(tiny, _S_FLOOR, s)


def _rescaled(which, out, v, u, k, s):
    r"""Where ``s`` is below ``_S_FLOOR``: the output at the point moved by :func:`_moved`.

    Within :math:`|z| \le 10^{30}` noise sds of the nearer end (:math:`z = v/s` at
    :math:`r = 0`, :math:`z = u/s` at :math:`r = 1`), the other end is more than
    :math:`10^{30}` sds away, and the distribution near the end is self-similar in
    :math:`s` at fixed :math:`z`: near :math:`r = 0`,
    :math:`P(V \le v) = s^k E[(z - Z)_+^k]` and :math:`f_V = s^{k-1} k E[(z - Z)_+^{k-1}]`;
    near :math:`r = 1` (to relative order :math:`ks|z|`, below 1e-70),
    :math:`P(V \ge v) = s k E[(z - Z)_+]` and :math:`f_V = k \Phi(z)`. So the point is
    moved to :math:`s_0 = 10^{-60}` at the same :math:`z` and the quadrature's value
    scaled by powers of :math:`\rho = s / s_0`, the complementary probability as
    :math:`1 - \rho^k (1 - P)` or :math:`1 - \rho (1 - P)`. Farther than
    :math:`10^{30}` sds, inside the support the noiseless value is exact to
    :math:`(s/v)^2 < 10^{-60}`, and outside it the log-density and the far tail are
    :math:`-z^2/2` to within an ulp (the other terms are below :math:`10^{-57}` of it),
    about :math:`-5 \cdot 10^{307}` where :math:`z^2` would overflow (:math:`|z| > 10^{154}`).
    """
    tiny, near_zero, d, scale, mapped = _near_end(v, u, s)
    # (-1 where s is not tiny: a finite stand-in, so unused branches keep finite gradients)
    log_rho = jnp.where(tiny, jnp.log(jnp.where(tiny, s, _S_FLOOR)) - math.log(_S_FLOOR), -1.0)
    power = jnp.where(near_zero, k, 1.0)
    grows = {"pdf": None, "le": near_zero, "ge": ~near_zero}[which]
    if which == "pdf":
        scaled = out + jnp.where(near_zero, (k - 1.0) * log_rho, 0.0)
    else:
        log_p = power * log_rho
        # 1 - rho^p (1 - P): from 1 - P where P is near 1, else as a sum of two positives
        near_one = out > -_LOG_2
        complement = jnp.where(
            near_one,
            jnp.log1p(jnp.exp(log_p) * jnp.expm1(jnp.where(near_one, out, 0.0))),
            jnp.logaddexp(jnp.log(-jnp.expm1(log_p)), log_p + out))
        scaled = jnp.where(grows, log_p + out, jnp.minimum(complement, 0.0))

    exact = dict(zip(("pdf", "le", "ge"), _noiseless_logs(v, u, k)))[which]
    far_out = tiny & ~mapped & (d < 0)
    # |z| capped where z^2 / 2 would overflow: -5e307 and a zero gradient instead of -inf
    z_far = jnp.where(far_out, d * scale, 0.0) / jnp.where(far_out, s * scale, 1.0)
    z_far = jnp.clip(z_far, -1e154, 1e154)
    far = jnp.where(far_out & (exact == -jnp.inf), -0.5 * jnp.square(z_far), exact)
    return jnp.where(mapped, scaled, jnp.where(tiny, far, out))


# ---------------------------------------------------------------- one distribution, many points

_TABLE_MIN_POINTS = 8192  # batches of at least this many points with one (k, s) use a table
_TABLE_NODES = 20  # Chebyshev-Lobatto nodes per piece
_TABLE_LAMBDA = 2.0  # xi = asinh(d / (lambda s)): linear in d within ~lambda s, log beyond
_TABLE_FAR = 1e4  # the tables reach this many noise sds beyond either end of the support
_TABLE_XI_MIN = -math.asinh(_TABLE_FAR / _TABLE_LAMBDA)
_TABLE_S = (1e-12, 300.0)  # s and k where tables are used (elsewhere: the quadrature)
_TABLE_K = (0.025, 50.0)
_TABLE_NEAR_XI = 3.0  # fine pieces on [0, 3] in xi (d within ~20 s of the end) ...
_TABLE_END_XI = 1.5  # ... and on the last 1.5 in xi before the middle of the support
_TABLE_PIECES = (24, 12, 12, 4)  # pieces per segment: tail, near the end, middle, last
_TABLE_CHECK = 0.05  # a table is used if its last coefficients are below 5% of tolerance
# which side's tail decays like the kernel (that part is taken out before tabulating):
# (left side, right side)
_TABLE_GAUSSIAN = {"pdf": (1.0, 1.0), "le": (1.0, 0.0), "ge": (0.0, 1.0)}


def _chebyshev_lobatto(n: int):
    """Nodes cos(pi j / (n - 1)); the matrices taking values there to Chebyshev
    coefficients, and coefficients to those of the derivative (n - 1 of them)."""
    j = np.arange(n)
    x = np.cos(np.pi * j / (n - 1))
    dct = np.cos(np.pi * np.outer(j, j) / (n - 1)) * (2.0 / (n - 1))
    dct[:, [0, -1]] *= 0.5
    dct[[0, -1], :] *= 0.5
    # d/dx sum c_j T_j = sum c'_j T_j: c'_{j-1} = c'_{j+1} + 2 j c_j, c'_0 halved
    deriv = np.zeros((n - 1, n))
    for i in range(n - 2, -1, -1):
        deriv[i, i + 1] = 2.0 * (i + 1)
        if i + 2 <= n - 2:
            deriv[i] += deriv[i + 2]
    deriv[0] *= 0.5
    return x, dct, deriv


_TABLE_X, _TABLE_DCT, _TABLE_DERIV = _chebyshev_lobatto(_TABLE_NODES)
_TABLE_OFFSETS = np.concatenate([[0], np.cumsum(_TABLE_PIECES)[:-1]])
_TABLE_SEGMENT = np.repeat(np.arange(len(_TABLE_PIECES)), _TABLE_PIECES)
_TABLE_INDEX = np.concatenate([np.arange(c) for c in _TABLE_PIECES])
_TABLE_P = sum(_TABLE_PIECES)  # pieces per side


def _table_segments(s):
    r"""Starts and widths (in :math:`\xi`) of the four segments of one side's table.

    Tail :math:`[\xi_{min}, 0]` (from ``_TABLE_FAR`` sds outside to the end), near the
    end :math:`[0, \xi_a]`, middle :math:`[\xi_a, \xi_b]` and last
    :math:`[\xi_b, \xi_{mid}]`, where :math:`\xi_{mid}` is the middle of the support
    (:math:`d = 1/2`), :math:`\xi_a = \min(\xi_{mid}, 3)` and
    :math:`\xi_b = \max(\xi_a, \xi_{mid} - 1.5)`; segments may be empty.
    """
    xi_mid = jnp.arcsinh(0.5 / (_TABLE_LAMBDA * s))
    xi_a = jnp.minimum(xi_mid, _TABLE_NEAR_XI)
    xi_b = jnp.maximum(xi_a, xi_mid - _TABLE_END_XI)
    zero = jnp.zeros_like(s)
    lo = jnp.stack([zero + _TABLE_XI_MIN, zero, xi_a, xi_b])
    return lo, jnp.stack([-lo[0], xi_a, xi_b - xi_a, xi_mid - xi_b])


def _table_nodes(s):
    """The nodes of both sides' tables: (v, u) of shape (2, pieces, nodes), and d."""
    lo, width = _table_segments(s)
    counts = np.asarray(_TABLE_PIECES, dtype=float)
    piece_w = width[_TABLE_SEGMENT] / counts[_TABLE_SEGMENT]
    piece_lo = lo[_TABLE_SEGMENT] + piece_w * _TABLE_INDEX
    xi = piece_lo[:, None] + piece_w[:, None] * (0.5 * (1.0 + _TABLE_X))
    d = _TABLE_LAMBDA * s * jnp.sinh(xi)
    return jnp.stack([d, 1.0 - d]), jnp.stack([1.0 - d, d]), d


def _kernel_part(which, left, d, s):
    r"""The part :math:`h = -\tfrac12 g (\min(d, 0)/s)^2` taken out of a tabulated output
    (``g`` is 1 on a side whose tail decays like the kernel, else 0), with
    :math:`\partial h/\partial d` and :math:`\partial h/\partial s`."""
    g = jnp.where(left, *_TABLE_GAUSSIAN[which])
    out = jnp.minimum(d, 0.0) / s
    return -0.5 * g * jnp.square(out), -g * out / s, g * jnp.square(out) / s


def _table_build(which, k, s, partials=False):
    r"""Chebyshev coefficients of one output over both sides, and whether they suffice.

    Each side (left: :math:`d = v \le 1/2`; right: :math:`d = u = 1 - v \le 1/2`) is
    cut into ``_TABLE_P`` pieces in :math:`\xi = \operatorname{asinh}(d / \lambda s)`
    (linear in :math:`d` within a few noise sds of the end, logarithmic beyond, where the
    output is close to a power of :math:`d`). On each piece the quadrature's values at
    ``_TABLE_NODES`` Chebyshev-Lobatto nodes, less the kernel's part (``_kernel_part``)
    outside the support where the output decays like it, give the interpolant's
    coefficients. The table is good if on every piece the last three coefficients are
    below ``_TABLE_CHECK`` of the tolerance :math:`\max(10^{-9}, 10^{-12} |\log p|)`
    (an interpolant's error is about the size of its first neglected coefficients when
    they fall geometrically). With ``partials``, also the coefficients of
    :math:`\partial_k \log p` and :math:`\partial_s \log p` at fixed :math:`v` (less
    the kernel part's), from the same pass of the quadrature over the nodes.
    """
    v, u, d = _table_nodes(s)
    left = np.array([True, False])[:, None, None]
    h, _, dh_ds = _kernel_part(which, left, d, s)

    def at_nodes(k, s):
        return _quadrature_log(which, v, u, jnp.full_like(v, k), jnp.full_like(v, s))

    if partials:
        value, linear = jax.linearize(at_nodes, k, s)
        zero, one = jnp.zeros_like(k), jnp.ones_like(k)
        d_k, d_s = linear(one, zero), linear(zero, one) - dh_ds
    else:
        value = at_nodes(k, s)
    coef = (value - h) @ _TABLE_DCT.T
    tail = jnp.max(jnp.abs(coef[..., -3:]), axis=-1)
    tol = jnp.maximum(1e-9, 1e-12 * jnp.max(jnp.abs(value), axis=-1))
    ok = jnp.all(tail <= _TABLE_CHECK * tol) & jnp.all(jnp.isfinite(coef))
    if partials:
        return coef, ok, (d_k @ _TABLE_DCT.T, d_s @ _TABLE_DCT.T)
    return coef, ok


def _table_locate(v, u, s):
    """Each point's side, d, table row, position t in [-1, 1] on its piece and dt/dd."""
    lo, width = _table_segments(s)
    left = v <= u
    d = jnp.where(left, v, u)
    scale = _TABLE_LAMBDA * s
    xi = jnp.arcsinh(d / scale)
    seg = jnp.where(xi < 0, 0, jnp.where(xi <= lo[2], 1, jnp.where(xi <= lo[3], 2, 3)))

    def pick(a):
        return jnp.where(seg == 0, a[0], jnp.where(seg == 1, a[1],
                                                   jnp.where(seg == 2, a[2], a[3])))

    n = pick(np.asarray(_TABLE_PIECES, dtype=float))
    w = pick(width)
    per_xi = n / jnp.where(w > 0, w, 1.0)  # pieces per unit of xi
    pos = (xi - pick(lo)) * per_xi
    idx = jnp.clip(jnp.floor(pos), 0.0, n - 1.0)
    row = jnp.where(left, 0, _TABLE_P) + pick(_TABLE_OFFSETS) + idx.astype(jnp.int32)
    t = 2.0 * (pos - idx) - 1.0
    dt_dd = 2.0 * per_xi / jnp.sqrt(jnp.square(scale) + jnp.square(d))
    return left, d, row, t, dt_dd


def _clenshaw(coef, row, t):
    """sum_j coef[row, j] T_j(t), per point (``coef`` of shape (..., rows, terms))."""
    flat = coef.reshape(-1, coef.shape[-1])
    b1 = jnp.zeros_like(t)
    b2 = jnp.zeros_like(t)
    for j in range(flat.shape[-1] - 1, 0, -1):
        b1, b2 = 2.0 * t * b1 - b2 + flat[:, j][row], b1
    return t * b1 - b2 + flat[:, 0][row]


def _table_eval(which, coef, v, u, s):
    """The tabulated output at the points."""
    return _table_value(which, coef, _table_locate(v, u, s), s)


def _table_value(which, coef, located, s):
    """The tabulated output at points located by :func:`_table_locate`."""
    left, d, row, t, _ = located
    out = _clenshaw(coef, row, t) + _kernel_part(which, left, d, s)[0]
    # a log-probability near 0 may be interpolated an ulp above it
    return out if which == "pdf" else jnp.minimum(out, 0.0)


def _table_plan(which, v, u, k, s, partials=False):
    """The table (``_table_build``'s coefficients, and with ``partials`` those of the
    derivatives), the ``s`` it was built at, and (last) whether it is used."""
    k_t = jnp.clip(k, *_TABLE_K)  # the table is built inside its range in all cases
    s_t = jnp.clip(s, *_TABLE_S)  # (finite derivatives through an unused table)
    table = _table_build(which, k_t, s_t, partials)
    d = jnp.where(v <= u, v, u)
    inside = jnp.all(d >= -_TABLE_FAR * s_t)
    use = (table[1] & inside & (k > _TABLE_K[0]) & (k < _TABLE_K[1])
           & (s > _TABLE_S[0]) & (s < _TABLE_S[1]))
    return table, s_t, use


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _tabulated_log(which, v, u, k, s):
    r"""One output of :func:`standardized_logs` for many points of one distribution.

    ``k`` and ``s`` are scalars. The output is then a smooth function of the point alone,
    so it is tabulated once from the quadrature (``_table_build``: 2 x 52 pieces of 20
    nodes, 2,080 quadratures) and interpolated at every point: a Chebyshev sum per point
    instead of a quadrature. The quadrature takes every point instead where the table
    does not apply: ``s`` or ``k`` outside ``_TABLE_S`` or ``_TABLE_K``, a point more than
    ``_TABLE_FAR`` noise sds outside the support (or not finite), or a table whose last
    coefficients are not small enough. Derivatives (``_tabulated_log_jvp``) come from the
    interpolant (in the point) and from tables of the quadrature's own derivatives in
    ``k`` and ``s``.
    """
    (coef, _), s_t, use = _table_plan(which, v, u, k, s)
    return lax.cond(use, lambda: _table_eval(which, coef, v, u, s_t),
                    lambda: _pointwise_log(which, v, u, jnp.broadcast_to(k, v.shape),
                                           jnp.broadcast_to(s, v.shape)))


@_tabulated_log.defjvp
def _tabulated_log_jvp(which, primals, tangents):
    r"""Tangent :math:`\partial_d \log p\,\dot d + \partial_k \log p\,\dot k +
    \partial_s \log p\,\dot s`, each factor from a table (:math:`d` is ``v`` on the left
    side, ``u`` on the right, as in the quadrature's own derivatives)."""
    v, u, k, s = primals
    dv, du, dk, ds = tangents
    (coef, _, (k_coef, s_coef)), s_t, use = _table_plan(which, v, u, k, s, partials=True)

    def table():
        located = _table_locate(v, u, s_t)
        left, d, row, t, dt_dd = located
        _, dh_dd, dh_ds = _kernel_part(which, left, d, s_t)
        out = _table_value(which, coef, located, s_t)
        d_d = _clenshaw(coef @ _TABLE_DERIV.T, row, t) * dt_dd + dh_dd
        d_k = _clenshaw(k_coef, row, t)
        d_s = _clenshaw(s_coef, row, t) + dh_ds
        return out, d_d * jnp.where(left, dv, du) + d_k * dk + d_s * ds

    def pointwise():
        shape = v.shape
        return jax.jvp(partial(_pointwise_log, which), (v, u, jnp.broadcast_to(k, shape),
                                                        jnp.broadcast_to(s, shape)),
                       (dv, du, jnp.broadcast_to(dk, shape), jnp.broadcast_to(ds, shape)))

    return lax.cond(use, table, pointwise)


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
        log_le, log_ge = (_standardized_log(w, v, u, kk, ss) for w in ("le", "ge"))
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
    # log v from u where v is near 1, where 1 - v^k needs it
    near_one = u < 0.5
    log_v = jnp.where(near_one, jnp.log1p(-jnp.where(inside & near_one, u, 0.5)),
                      jnp.log(jnp.where(inside & ~near_one, v, 0.5)))
    log_pdf = jnp.where(inside, jnp.log(k) + (k - 1.0) * log_v, -jnp.inf)
    log_le = jnp.where(v <= 0, -jnp.inf, jnp.where(u <= 0, 0.0, k * log_v))
    log_ge = jnp.where(
        v <= 0, 0.0, jnp.where(u <= 0, -jnp.inf, jnp.log(-jnp.expm1(k * log_v)))
    )
    return log_pdf, log_le, log_ge


@partial(jax.jit, static_argnums=0)
def _output_log(which, v, u, k, sigma, width):
    """One output of :func:`standardized_logs` at ``s = sigma / width``, or its noiseless
    limit where ``sigma = 0`` (with one ``sigma``, only the one it takes is evaluated)."""
    noiseless = sigma <= 0
    s = jnp.where(noiseless, 1.0, sigma) / width
    shape = lax.broadcast_shapes(*(jnp.shape(x) for x in (v, u, k, s)))
    i = ("pdf", "le", "ge").index(which)
    noisy = partial(_standardized_log, which, v, u, k, s)

    def exact():
        return jnp.broadcast_to(_noiseless_logs(v, u, k)[i], shape)

    if jnp.ndim(noiseless) == 0:
        return lax.cond(noiseless, exact, noisy)
    return jnp.where(noiseless, exact(), noisy())


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
    how they are evaluated: by quadrature at each point, or, for a batch of at least 8,192
    points of one parameter set (scalar parameters), from a table of the quadrature built
    once per call (several times faster per point, as exact). Mean
    :math:`\beta - w\,\gamma/(\gamma + 2)` (maximize) or
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

    def _logs(self, y, outputs=("pdf", "cdf", "sf")):
        """log pdf, log cdf and log sf at ``y`` (those named in ``outputs``, in order)."""
        y = _as_float(y)
        v, u = self._standardize(y)
        k = 0.5 * self.gamma
        # the cdf is P(V >= v) in the maximize form, P(V <= v) in the minimize form
        side = {"pdf": "pdf", "cdf": "le" if self.minimize else "ge",
                "sf": "ge" if self.minimize else "le"}
        out = []
        for name in outputs:
            value = _output_log(side[name], v, u, k, self.sigma, self.width)
            out.append(value - jnp.log(self.width) if name == "pdf" else value)
        return tuple(out)

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
        return self._logs(value, ("pdf",))[0]

    def log_cdf(self, value):
        """:math:`\\log P(Y \\le y)`, exact deep into both tails."""
        return self._logs(value, ("cdf",))[0]

    def log_sf(self, value):
        """Log survival :math:`\\log P(Y > y)`, exact deep into both tails."""
        return self._logs(value, ("sf",))[0]

    def cdf(self, value):
        r""":math:`P(Y \le y)`; above 1/2 as :math:`1 - P(Y > y)`, exact to an ulp near 1."""
        log_cdf, log_sf = self._logs(value, ("cdf", "sf"))
        return jnp.where(log_cdf < -np.log(2.0), jnp.exp(log_cdf), -jnp.expm1(log_sf))

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
        # the parameters keep their own shapes: with one parameter set, many quantiles
        # share one table (see _tabulated_log)
        alpha, beta, gamma, sigma = self.alpha, self.beta, self.gamma, self.sigma
        closed = jnp.broadcast_to(self._noiseless_quantile(log_target, upper), shape)
        noiseless = jnp.broadcast_to(sigma <= 0, shape)
        sigma_safe = jnp.where(sigma <= 0, 1.0, sigma)
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
            # a few ulp of y, or of the scale w + sigma where y is near 0 (the log-cdf
            # itself is only good to ~1e-14, so Newton cannot settle below that)
            tiny = 4.0 * jnp.spacing(jnp.abs(y)) + 1e-15 * scale
            settled = jnp.isfinite(newton) & (jnp.abs(newton - y) <= tiny)
            # a step strictly inside the bracket, else bisection: a step onto one of its
            # ends (a point already visited) could cycle between two points where the
            # log-probability is no longer exact to the size of the step
            ok = (newton > lo) & (newton < hi) & jnp.isfinite(newton)
            y_new = jnp.where(ok, newton, jnp.where(settled, y, 0.5 * (lo + hi)))
            finished = done | (f == 0) | settled | (hi - lo <= tiny)
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
    """``x`` as a float64 array (float32 input is computed in float64 and returned so).

    Raises ``ValueError`` if JAX's 64-bit mode is off: the log-space accuracy of the
    quadrature and of the tables needs float64.
    """
    if jax.dtypes.canonicalize_dtype(np.float64) != np.float64:
        raise ValueError(
            "NoisyQuadratic computes in float64, but JAX's 64-bit mode is off "
            "(jax_enable_x64=False): call numpyro.enable_x64() first (importing bayesnq "
            "does), and do not turn it off around NoisyQuadratic")
    return jnp.asarray(x, dtype=jnp.float64)


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
