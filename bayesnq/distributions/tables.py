r"""Chebyshev tables of one output for many points of one parameter set.

When one parameter set meets a batch of at least 8,192 points (a likelihood over a data
set, a plot, a grid; ``k`` and ``s`` scalars), each output is a smooth function of the
point alone and is tabulated once per call from the quadrature itself
(``_tabulated_log``): on each side of the middle of the support (:math:`d = v` or
:math:`u \le 1/2`), in :math:`\xi = \operatorname{asinh}(d/2s)` (linear in :math:`d`
within a few noise sds of the end, logarithmic beyond), 52 pieces of 20
Chebyshev–Lobatto nodes from :math:`10^4` noise sds outside the support to its middle,
with the kernel's :math:`-\tfrac12 (d/s)^2` taken out where the output decays like it.
Each point then costs one Chebyshev sum instead of a quadrature.

A table is used only where it is checked: its last three coefficients on every piece
below 5% of the tolerance, :math:`0.025 < k < 50`, :math:`10^{-12} < s < 300`, and every
point within :math:`10^4` sds of the support; anywhere else the quadrature takes every
point. Derivatives in the point come from the interpolant, those in :math:`k` and
:math:`s` from tables of the quadrature's own derivatives. See ``docs/numerics.md``.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bayesnq.distributions.integrals import _quadrature_log
from bayesnq.distributions.small_noise import _pointwise_log

__all__ = ["uses_table"]

# ---------------------------------------------------------------- the layout

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


# ---------------------------------------------------------------- building a table


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


# ---------------------------------------------------------------- evaluating it


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


# ---------------------------------------------------------------- the tabulated output


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


def uses_table(which, v, u, k, s):
    """Whether one output (``"pdf"``, ``"le"`` or ``"ge"``) of the standardized variable at
    the points ``(v, u)``, for scalar ``k`` and ``s``, is taken from a table (a batch of at
    least ``_TABLE_MIN_POINTS`` points) rather than by quadrature at every point.

    Builds the table to check it, as the evaluation does.
    """
    return _table_plan(which, v, u, k, s)[-1]


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _tabulated_log(which, v, u, k, s):
    r"""One output of ``standardized_logs`` for many points of one distribution.

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

