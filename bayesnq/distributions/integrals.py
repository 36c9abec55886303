r"""The integrals of the standardized variable, by quadrature over a window.

With :math:`V = R + sZ`, :math:`R \sim \mathrm{Beta}(k, 1)`, :math:`Z \sim N(0, 1)` and the
kernel :math:`K(r) = e^{-(v - r)^2 / 2s^2}`, the density and both probabilities of
:math:`V` are (up to :math:`1/(s\sqrt{2\pi})`, and the normal tails
:math:`\Phi((v - 1)/s)`, :math:`\Phi(-v/s)` added to the probabilities)

.. math::

    \int_0^1 k r^{k-1} K(r)\,dr, \quad \int_0^1 r^k K(r)\,dr, \quad
    \int_0^1 (1 - r^k) K(r)\,dr,

named ``"pdf"``, ``"le"`` (:math:`P(V \le v)`) and ``"ge"`` (:math:`P(V \ge v)`).

Each is taken over a window of :math:`[0, 1]` that holds all but :math:`e^{-38}` of its
mass (``_window``), in two pieces: tanh–sinh on the first where it starts at
:math:`r = 0` (where the :math:`r^{k-1}` end is), else Gauss–Legendre, and Gauss–Legendre
on the second; 87 to 91 nodes per point. The window's ends and split are held as
offsets from the point, each computed where it is exact, so that nodes sit where they
should even for :math:`s` far below the spacing of floats near :math:`v`.

The sums are in log space without a pass for the maximum (``_piece_sums``): each term is
taken relative to the integrand at a reference point of the window, the kernel ratio
written as a product :math:`-\tfrac12 (z_i - z_0)(z_i + z_0)` that keeps its relative
precision however far the point is from the window. The derivatives (a
``jax.custom_jvp``, ``_log_integral_jvp``) are averages over the same nodes.

Log-densities and log-probabilities are exact to about 1e-12 nats (relative, for large
ones) from deep inside the support to 40 noise sds outside it, for :math:`s \ge 10^{-60}`
(smaller :math:`s`: :mod:`~bayesnq.distributions.small_noise`). The long form, with the
window's rules and the derivatives, is in ``docs/numerics.md``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from bayesnq.distributions.quadrature import gauss_legendre, tanh_sinh, tanh_sinh_end
from bayesnq.distributions.util import LOG_SQRT_2PI, log_ndtr, safe_where

# ---------------------------------------------------------------- the rules

_MASS_NATS = 38.0  # integrand mass left outside the quadrature window: below exp(-38)

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
        ts = tanh_sinh(_TS_J_LEFT + extra, _TS_J_RIGHT, _TS_H)
        rules[which] = (ts, gauss_legendre(ts[0].size),
                        gauss_legendre(_GL_SECOND + extra))
    return rules, tanh_sinh_end(-_TS_J_LEFT, _TS_END, _TS_H)


_RULES, _TS_END_NODES = _build_rules()


# ---------------------------------------------------------------- the window


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
    g_left = safe_where(left_out, -v, 0.0)
    g_right = safe_where(right_out, -u, 0.0)
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


# ---------------------------------------------------------------- the sums over the nodes


def _node_sum(terms):
    """Sum over the last axis (the nodes).

    The select that follows is the identity (NaN stays NaN); it keeps XLA:CPU from fusing
    what comes after the sum into the reduction, which then runs several times slower.
    """
    total = jnp.sum(terms, axis=-1)
    return jnp.where(total == total, total, jnp.nan)


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
                return _node_sum(base * -rk_minus_1)
            b = base * -rk_minus_1
            bz = b * z
            return jnp.stack([_node_sum(b), _node_sum(bz), _node_sum(bz * z),
                              _node_sum(-base * (rk_minus_1 + 1.0) * log_r)], -1)
        base = jnp.exp(x + power * (log_r - ex(log_r_c)))
        if not moments:
            return _node_sum(base)
        bz = base * z
        return jnp.stack([_node_sum(base), _node_sum(bz), _node_sum(bz * z),
                          _node_sum(base * log_r)], -1)

    # first piece [a, m]: tanh-sinh where a = 0, else Gauss-Legendre (same node count)
    t = ex(ts)
    frac, frac_hi, log_w = (jnp.where(t, p, q) for p, q in zip(rules_ts, rules_gl))
    sum_1 = terms(ex(a) + ex(w_1) * frac, w_1 / s, frac, log_w, e_s + w_1 / s,
                  ex(o_m) + ex(w_1) * frac_hi)
    frac, frac_hi, log_w = rules_second
    sum_2 = terms(ex(m) + ex(w_2) * frac, w_2 / s, frac, log_w, e_s,
                  ex(o_b) + ex(w_2) * frac_hi)
    w_max = jnp.maximum(w_1, w_2)
    scale_1, scale_2 = w_1 / w_max, w_2 / w_max
    if moments:
        scale_1, scale_2 = scale_1[..., None], scale_2[..., None]
    total = scale_1 * sum_1 + scale_2 * sum_2
    log_ref = -0.5 * jnp.square(z_ref) + jnp.log(w_max)
    if power is not None:
        log_ref = log_ref + (k - 1.0 if which == "pdf" else k) * log_r_c
    return log_ref, total


# ---------------------------------------------------------------- the log integral


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


def _quadrature_log(which, v, u, k, s):
    """One output of ``standardized_logs`` (``which``: "pdf", "le" or "ge") by quadrature,
    for ``s`` at least 1e-60 (smaller: :mod:`~bayesnq.distributions.small_noise`)."""
    log_norm = -jnp.log(s) - LOG_SQRT_2PI
    out = log_norm + _log_integral(which, v, u, k, s)
    if which == "pdf":
        return out
    log_outside = log_ndtr(-u / s) if which == "le" else log_ndtr(-v / s)
    return jnp.minimum(jnp.logaddexp(log_outside, out), 0.0)
