r"""Order statistics: the expected minimum of ``n`` copies of the standardized variable.

The best of ``n`` independent draws of :class:`~bayesnq.distributions.NoisyQuadratic` is
:math:`\beta - w M_n` (maximize) or :math:`\alpha + w M_n` (minimize), where :math:`M_n`
is the minimum of ``n`` copies of :math:`V = R + sZ`. With :math:`G(v) = P(V \ge v)`,

.. math::

    E[M_n] = \int_0^\infty G(v)^n\,dv - \int_{-\infty}^0 \bigl(1 - G(v)^n\bigr)\,dv,

evaluated with :math:`G^n = \exp(n \log G)` (``_expected_min``): Gauss–Legendre panels on
:math:`[-s c_n, 0]`, where :math:`1 - G^n \le n\Phi(v/s)` and
:math:`c_n = \sqrt{2(41 + \log n)}` leaves out less than :math:`e^{-41}`; Gauss–Legendre
panels next to :math:`v = 0`; tanh–sinh in :math:`\log v` where :math:`G^n` is near 1,
and in :math:`\log p = k \log v` where :math:`G^n \approx e^{-np}` falls; and, when the
window reaches :math:`v = 1`, Gauss–Legendre panels on its last :math:`s c_n` and on
:math:`[1, 1 + s c_n]`. Each :math:`\log G` is one output of
:func:`~bayesnq.distributions.standardized.standardized_logs`, so the quantile and
average tuning curves share its accuracy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bayesnq.distributions.quadrature import panels, tanh_sinh
from bayesnq.distributions.standardized import _standardized_log
from bayesnq.distributions.util import LOG_2

_AVG_GL_N = 16  # Gauss-Legendre nodes per panel of the average tuning curve
_AVG_NEG_PANELS = 12  # panels on [-s c_n, 0]: 1 - G^n falls over ~s / c_n
_AVG_NEAR_PANELS = 4  # panels on [0, v_a]
_AVG_TAIL_PANELS = 4  # panels on [1, 1 + s c_n]
_AVG_CHUNK = 32  # nodes evaluated at a time (bounds memory for large batches)
_AVG_LOG_EPS = 41.0  # mass of G^n or 1 - G^n left out: below exp(-41)

_AVG_NEG = panels(_AVG_NEG_PANELS, _AVG_GL_N)
_AVG_NEAR = panels(_AVG_NEAR_PANELS, _AVG_GL_N)
_AVG_TAIL = panels(_AVG_TAIL_PANELS, _AVG_GL_N)
_AVG_TS = tanh_sinh(44, 44, 0.075)  # 89 nodes, x in [-3.3, 3.3]


# jitted: the lax.map below closes over this call's arrays, so eager calls (an average
# tuning curve outside jit) compiled it anew each time (2.4 s a call, 6.5 s with a gradient)
@jax.jit
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
        log_g = jnp.where(log_le < -LOG_2, jnp.log1p(-jnp.exp(log_le)), log_ge)
        n_log_g = nn * log_g
        below = -jnp.exp(log_w) * -jnp.expm1(n_log_g)
        above = jnp.exp(log_w + n_log_g)
        return jnp.sum(jnp.where(neg, below, above), axis=0)

    parts = lax.map(chunk, (split(v), split(u), split(log_w), split(neg)))
    return jnp.sum(parts, axis=0)
