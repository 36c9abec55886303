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
of :math:`[0, 1]` that holds all but :math:`e^{-38}` of its mass: Gauss–Legendre (40
nodes) when the window stays clear of :math:`r = 0`, and tanh–sinh (94 nodes, with an
end correction for the :math:`r^{k-1}` singularity) when it touches it. This keeps
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


_TS_LO, _TS_HI, _TS_W, _TS_CUT = _tanh_sinh(53, 40, 0.075)
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
    r_star = 0.5 * (v + jnp.sqrt(v * v + 4 * k * s * s))
    a_in = jnp.maximum(0.0, v - c * s)
    b_in = jnp.minimum(1.0, r_star + c * s)
    a = jnp.where(left_out, 0.0, jnp.where(right_out, 1.0 - width_right, a_in))
    b = jnp.where(left_out, b_left, jnp.where(right_out, 1.0, b_in))
    # A peak well inside a window that touches 0 is split off: tanh-sinh on [0, v] keeps
    # the r^(k-1) end, Gauss-Legendre on [v, b] resolves the kernel's right half.
    split = (a <= 0.0) & (v > s) & (v < b)
    b1 = jnp.where(split, v, b)
    first = _window_integrals(v, u, k, s, a, b1, a <= 0.0)
    second = _window_integrals(v, u, k, s, jnp.where(split, v, 0.0), jnp.where(split, b, 1.0),
                               jnp.zeros_like(split), tanh_sinh=False)
    log_pdf, log_int_le, log_int_ge = (
        jnp.where(split, jnp.logaddexp(x, y), x) for x, y in zip(first, second)
    )
    log_le = jnp.logaddexp(log_ndtr(-u / s), log_int_le)
    log_ge = jnp.logaddexp(log_ndtr(-v / s), log_int_ge)
    return log_pdf, jnp.minimum(log_le, 0.0), jnp.minimum(log_ge, 0.0)



def _window_integrals(v, u, k, s, a, b, at_zero, tanh_sinh=True):
    """Log of the pdf, P(V <= v) and P(V >= v) integrals over the window [a, b].

    Tanh-sinh where ``at_zero`` (the window starts at the r^(k-1) singularity), else
    Gauss-Legendre; ``tanh_sinh=False`` uses the 40 Gauss-Legendre nodes alone.
    """
    near_one = (a > 0.5) & ~at_zero
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

    width = b - a
    aa, bb, ww = a[..., None], b[..., None], width[..., None]
    r = aa + ww * frac_lo
    # at r = 0 the log must come from the node's own log-fraction, not from r
    log_r = jnp.where(sel, jnp.log(bb) + nodes_lo, jnp.log(jnp.where(sel, 1.0, r)))
    one_minus_r = (1.0 - bb) + ww * frac_hi
    # v - r, taken from the side where it is accurate
    diff = jnp.where(near_one[..., None], one_minus_r - u[..., None], v[..., None] - r)
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

        Brackets: since ``alpha + E <= Y <= beta + E``, the normal quantiles shifted to
        alpha and beta enclose the answer. Newton steps on the log-probability, kept
        inside a bisection bracket; 40 steps reach float64 resolution.
        """
        shape = lax.broadcast_shapes(jnp.shape(log_target), self.batch_shape)
        log_target = jnp.broadcast_to(log_target, shape)
        upper = jnp.broadcast_to(upper, shape)
        # normal quantile of the lower-tail probability
        p_low = jnp.where(upper, -jnp.expm1(log_target), jnp.exp(log_target))
        z = jnp.where(upper, -ndtri(jnp.exp(log_target)), ndtri(p_low))
        z = jnp.clip(z, -40.0, 40.0)
        alpha = jnp.broadcast_to(self.alpha, shape)
        beta = jnp.broadcast_to(self.beta, shape)
        sigma = jnp.broadcast_to(self.sigma, shape)
        lo = alpha + sigma * z
        hi = beta + sigma * z
        sign = jnp.where(upper, -1.0, 1.0)

        def objective(y):
            log_pdf, log_cdf, log_sf = self._logs(y)
            log_p = jnp.where(upper, log_sf, log_cdf)
            # d log_p / dy = +-pdf / p
            slope = sign * jnp.exp(log_pdf - log_p)
            return log_p - log_target, slope

        def step(_, state):
            lo, hi, y = state
            f, slope = objective(y)
            # f increases with y for the cdf, decreases for the sf
            too_high = sign * f > 0
            lo = jnp.where(too_high, lo, y)
            hi = jnp.where(too_high, y, hi)
            newton = y - f / jnp.where(slope == 0, jnp.inf, slope)
            ok = (newton > lo) & (newton < hi) & jnp.isfinite(newton)
            y = jnp.where(ok, newton, 0.5 * (lo + hi))
            return lo, hi, y

        start = jnp.clip(self._noiseless_quantile(log_target, upper), lo, hi)
        _, _, y = lax.fori_loop(0, 40, step, (lo, hi, start))
        return y

    def _noiseless_quantile(self, log_target, upper):
        # quantile of the sigma = 0 distribution, as a starting point
        k = 0.5 * self.gamma
        # log P(V <= v) for the standardized variable
        if self.minimize:
            log_le = jnp.where(upper, jnp.log(-jnp.expm1(log_target)), log_target)
            v = jnp.exp(log_le / k)
            return self.alpha + self.width * v
        log_ge = jnp.where(upper, log_target, jnp.log(-jnp.expm1(log_target)))
        v = jnp.exp(jnp.log(-jnp.expm1(log_ge)) / k)
        return self.beta - self.width * v

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
        if self.minimize:
            # P(Y <= y) = 1 - (1 - q)^(1/n): small for large n
            log_target = jnp.log(-jnp.expm1(jnp.log1p(-q) / n))
            return self._solve(log_target, jnp.zeros(jnp.shape(log_target), bool))
        # P(Y > y) = 1 - q^(1/n)
        log_target = jnp.log(-jnp.expm1(jnp.log(q) / n))
        return self._solve(log_target, jnp.ones(jnp.shape(log_target), bool))

    def average_tuning_curve(self, n):
        r"""The expected best of ``n`` independent draws, :math:`E[T_n]`.

        :math:`E[T_n] = \int_0^1 F^{-1}(p)\, n p^{n-1}\, dp`, written as an integral over the
        order statistic :math:`p = U^{1/n}` and evaluated by Gauss–Legendre on
        :math:`\log(1-p)` (maximize) for accuracy at large ``n``. For :math:`\sigma = 0` the
        closed form :math:`\beta - w\,\Gamma(n+1)\Gamma(1+2/\gamma)/\Gamma(n+1+2/\gamma)`.
        """
        n = _as_float(n)
        # Nodes on the Beta(n, 1) quantile scale: p = u^(1/n), u uniform.
        x, w = np.polynomial.legendre.leggauss(48)
        # substitute u = 1 - exp(-t) style: integrate over the uniform u in (0, 1) on a
        # logistic scale t in (-40, 40) to resolve both ends
        t = 40.0 * x
        u_log = -jnp.logaddexp(0.0, -t)  # log u
        one_minus_u_log = -jnp.logaddexp(0.0, t)  # log(1 - u)
        weight = 40.0 * w * jnp.exp(u_log + one_minus_u_log)  # du = u(1-u) dt
        nn = jnp.expand_dims(n, -1)
        log_p = u_log / nn  # log of p = u^(1/n)
        # target the smaller tail of p for the solver
        upper = log_p > -math.log(2)
        target = jnp.where(upper, jnp.log(-jnp.expm1(log_p)), log_p)
        if self.minimize:
            # best of n is the minimum: its quantile u is F^-1(1 - p)
            y = self._expand()._solve(target, ~upper)
        else:
            y = self._expand()._solve(target, upper)
        mean = jnp.sum(weight * y, axis=-1)
        k = 0.5 * self.gamma
        closed = self.width * jnp.exp(
            gammaln(n + 1.0) + gammaln(1.0 + 1.0 / k) - gammaln(n + 1.0 + 1.0 / k)
        )
        closed = self.alpha + closed if self.minimize else self.beta - closed
        return jnp.where(self.sigma <= 0, closed, mean)

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
