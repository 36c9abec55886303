r"""The noisy quadratic distribution and its noiseless limit, as NumPyro distributions.

Maximize form (default)::

    Y = beta - (beta - alpha) * R + E,        R ~ Beta(gamma / 2, 1),  E ~ Normal(0, sigma)

minimize form::

    Y = alpha + (beta - alpha) * R + E.

The classes hold the parameters and their checks, map a score to the standardized
variable :math:`V = R + sZ` (:mod:`~bayesnq.distributions.standardized`) and back, and
solve for quantiles; the numerics live in the modules below them (see
``docs/numerics.md``). Float64 is needed for their accuracy: importing
:mod:`bayesnq.distributions` turns it on, and the classes refuse to run without it.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import gammaln, ndtri
from numpyro.distributions import Distribution, constraints
from numpyro.distributions.util import promote_shapes, validate_sample

from bayesnq.distributions.order_statistics import _expected_min
from bayesnq.distributions.standardized import _output_log
from bayesnq.distributions.util import LOG_2, log_gamma_ratio
from bayesnq.validation import fail

__all__ = ["NoisyQuadratic", "Quadratic"]


class NoisyQuadratic(Distribution):
    r"""Noisy quadratic distribution :math:`Q(\alpha, \beta, \gamma, \sigma)`.

    The distribution of random-search scores near the optimum of a loss surface that is
    locally quadratic (Lourie, He & Cho 2025): a quadratic part on :math:`[\alpha, \beta]`
    plus Gaussian noise.

    Parameters
    ----------
    alpha, beta : array_like
        Ends of the noiseless support, :math:`\alpha < \beta`. ``beta`` (maximize form) or
        ``alpha`` (minimize form) is the best possible *expected* score. The ordering is
        checked wherever the values are concrete (unless ``validate_args=False``); under
        ``jit`` the outputs are NaN where it fails.
    gamma : array_like
        Effective number of hyperparameters, any positive real (the rank of the Hessian
        at the optimum in the asymptotic law). Accurate to about 1e-12 for
        ``gamma >= 0.5`` and 1e-9 at 0.05; below 0.05 outputs stay finite and monotone
        but the log-density near the ``R = 0`` end comes out high (1.6e-5 nats at 0.02,
        1.5e-4 at 0.01; ``docs/numerics.md``).
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
    convolution with :math:`N(0, \sigma^2)`. See ``docs/numerics.md`` for the integrals and
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

    # alpha < beta: an ordering between two parameters, declared as NumPyro declares
    # Uniform's bounds (dependent constraints, which its generic validation skips) and
    # checked by _check_parameters wherever the values are concrete
    arg_constraints = {
        "alpha": constraints.dependent(is_discrete=False, event_dim=0),
        "beta": constraints.dependent(is_discrete=False, event_dim=0),
        "gamma": constraints.positive,
        "sigma": constraints.nonnegative,
    }
    support = constraints.real
    reparametrized_params = ["alpha", "beta", "gamma", "sigma"]
    pytree_data_fields = ("alpha", "beta", "gamma", "sigma")
    pytree_aux_fields = ("minimize",)

    def __init__(self, alpha, beta, gamma, sigma, *, minimize=False, validate_args=None):
        # validate_args=None follows numpyro.enable_validation(); the ordering alpha < beta
        # is checked wherever the values are concrete unless validate_args=False (under
        # jit, outputs are NaN where it fails)
        validate = Distribution._validate_args if validate_args is None else validate_args
        if validate_args is not False:
            _check_parameters(alpha=alpha, beta=beta, gamma=gamma, sigma=sigma,
                              full=bool(validate))
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
        """log pdf, log cdf and log sf at ``y`` (those named in ``outputs``, in order).

        The cdf and the survival are each divided by their computed sum,
        :math:`\\log F = \\log P_F - \\log(P_F + P_S)`: the two integrals are each exact
        to about 1e-12 relative, so their sum misses 1 by as much, which left
        :math:`\\log F` near 0 (where :math:`F \\approx 1`, computed as
        :math:`1 - S`) off by 1e-12 absolute, not monotone, and cdf + sf off 1. Divided,
        :math:`F = 1/(1 + P_S/P_F)` is monotone wherever the ratio is, each keeps its
        relative accuracy (the smaller one to within the error of the larger), and
        :math:`F + S = 1` to rounding. NaN where ``alpha >= beta`` (traced parameters; where
        they are concrete the constructor refuses them).
        """
        y = _as_float(y)
        v, u = self._standardize(y)
        k = 0.5 * self.gamma
        # the cdf is P(V >= v) in the maximize form, P(V <= v) in the minimize form
        side = {"cdf": "le" if self.minimize else "ge", "sf": "ge" if self.minimize else "le"}
        raw = {}

        def output(which):
            if which not in raw:
                raw[which] = _output_log(which, v, u, k, self.sigma, self.width)
            return raw[which]

        out = []
        for name in outputs:
            if name == "pdf":
                value = output("pdf") - jnp.log(self.width)
            else:
                own, other = output(side[name]), output(side["sf" if name == "cdf" else "cdf"])
                # log F = -log(1 + P_S / P_F), exact where F is near 1
                value = -jnp.logaddexp(other - own, 0.0)
            out.append(jnp.where(self.alpha < self.beta, value, jnp.nan))
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
            y = self.alpha + self.width * r + noise
        else:
            y = self.beta - self.width * r + noise
        return jnp.where(self.alpha < self.beta, y, jnp.nan)

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
        """Quantile function :math:`F^{-1}(q)` (safeguarded Newton in log space).

        Differentiable in ``q`` (:math:`dy/dq = 1/f(y)`) and in the parameters, by the
        implicit function theorem (see :func:`_quantile`).
        """
        q = _as_float(q)
        log_q = jnp.log(q)
        return self._solve(jnp.where(q <= 0.5, log_q, jnp.log1p(-q)), q > 0.5)

    @property
    def mean(self):
        """The mean, shaped like ``batch_shape`` (whichever parameters are batched)."""
        frac = self.gamma / (self.gamma + 2.0)
        if self.minimize:
            mean = self.alpha + self.width * frac
        else:
            mean = self.beta - self.width * frac
        return jnp.broadcast_to(mean, self.batch_shape)

    @property
    def variance(self):
        """The variance, shaped like ``batch_shape``."""
        g = self.gamma
        var = jnp.square(self.sigma) + jnp.square(self.width) * 4.0 * g / (
            jnp.square(g + 2.0) * (g + 4.0)
        )
        return jnp.broadcast_to(var, self.batch_shape)

    # ------------------------------------------------------------ quantiles
    def _solve(self, log_target, upper):
        """y with log P(Y <= y) = log_target (upper False) or log P(Y > y) = log_target.

        ``sigma = 0``: the closed form (:meth:`_noiseless_quantile`). Otherwise, since
        ``alpha + E <= Y <= beta + E``, the normal quantiles shifted to alpha and beta
        bracket the answer; Newton steps on the log-probability start from the noiseless
        quantile and are kept inside a shrinking bisection bracket, until the step falls
        below a few ulp of y or 1e-15 (w + sigma) (at most 60 steps; typically 4 to 8).
        Derivatives by the implicit function theorem (:func:`_quantile`).
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
        y = _solve_quantile(self.minimize, alpha, beta, gamma, sigma_safe, log_target, upper,
                            closed, noiseless)
        y = jnp.where(noiseless, closed, y)
        return jnp.where(alpha < beta, y, jnp.nan)

    def _noiseless_quantile(self, log_target, upper):
        """Quantile of the sigma = 0 distribution: v = P(V <= v)^(1/k)."""
        k = 0.5 * self.gamma
        # log P(V <= v) for the standardized variable
        log1mexp = (lambda x: jnp.where(x > -LOG_2, jnp.log(-jnp.expm1(x)),
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
        _check_n(n)
        n = _as_float(n)
        q = _as_float(q)
        # P(T_n <= tau) = q with P(T_n <= y) = F(y)^n (maximize) or 1 - S(y)^n (minimize):
        # the level of F (or S) is exp(log(q) / n), and the smaller of it and its complement
        # is the one solved for, in log space.
        log_level = (jnp.log1p(-q) if self.minimize else jnp.log(q)) / n
        near_one = log_level > -LOG_2
        target = jnp.where(near_one, jnp.log(-jnp.expm1(log_level)), log_level)
        # maximize: level of F, complement S (upper); minimize: level of S (upper),
        # complement F
        upper = near_one if not self.minimize else ~near_one
        return jnp.where(n >= 1, self._solve(target, upper), jnp.nan)

    def average_tuning_curve(self, n):
        r"""The expected best of ``n`` independent draws, :math:`E[T_n]`.

        With the standardized variable :math:`V = R + sZ`
        (:mod:`~bayesnq.distributions.standardized`), the best of ``n`` draws is
        :math:`\beta - w M_n` (maximize) or :math:`\alpha + w M_n` (minimize), where
        :math:`M_n` is the minimum of ``n`` copies of :math:`V`
        (:mod:`~bayesnq.distributions.order_statistics`). With
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
        closed = jnp.exp(gammaln(1.0 + 1.0 / k) + log_gamma_ratio(n + 1.0, 1.0 / k))
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
            validate_args=False,
        )


class Quadratic(NoisyQuadratic):
    r"""The noiseless quadratic distribution :math:`Q(\alpha, \beta, \gamma)` (``sigma = 0``).

    Maximize form cdf :math:`1 - ((\beta - y)/w)^{\gamma/2}` on :math:`[\alpha, \beta]`; the
    minimize form :math:`((y - \alpha)/w)^{\gamma/2}`.
    """

    arg_constraints = {
        "alpha": constraints.dependent(is_discrete=False, event_dim=0),
        "beta": constraints.dependent(is_discrete=False, event_dim=0),
        "gamma": constraints.positive,
    }
    reparametrized_params = ["alpha", "beta", "gamma"]
    pytree_data_fields = ("alpha", "beta", "gamma")

    def __init__(self, alpha, beta, gamma, *, minimize=False, validate_args=None):
        super().__init__(
            alpha, beta, gamma, 0.0, minimize=minimize, validate_args=validate_args
        )

    @property
    def support(self):  # noqa: D401 - numpyro property
        return constraints.interval(self.alpha, self.beta)


# ---------------------------------------------------------------- quantiles


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _quantile(minimize, alpha, beta, gamma, sigma, log_target, upper, start, skip):
    """Newton's solution y of log P(Y <= y) = log_target (log P(Y > y) where ``upper``).

    ``sigma > 0`` (its stand-in where the caller takes the closed form); ``start`` is the
    noiseless quantile, ``skip`` marks points whose answer the caller takes elsewhere.
    Its derivatives (``_quantile_jvp``) are implicit: the solver's loop (with its
    ``jnp.spacing`` tolerance) is never differentiated.
    """
    d = NoisyQuadratic(alpha, beta, gamma, sigma, minimize=minimize, validate_args=False)
    # normal quantile of the lower-tail probability
    p_low = jnp.where(upper, -jnp.expm1(log_target), jnp.exp(log_target))
    z = jnp.where(upper, -ndtri(jnp.exp(log_target)), ndtri(p_low))
    z = jnp.clip(z, -40.0, 40.0)
    lo = alpha + sigma * z
    hi = beta + sigma * z
    sign = jnp.where(upper, -1.0, 1.0)
    scale = beta - alpha + sigma

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

    start = jnp.clip(jnp.where(skip, 0.5 * (lo + hi), start), lo, hi)
    state = (0, lo, hi, start, skip)
    return lax.while_loop(cond, step, state)[3]


@_quantile.defjvp
def _quantile_jvp(minimize, primals, tangents):
    r"""Implicit derivatives of the quantile: with :math:`G(y, \theta) = \log P - t`,

    .. math::

        dy = \frac{dt - \partial_\theta G\,d\theta}{\partial_y G},
        \qquad \partial_y G = \pm f(y) / P,

    so that :math:`dy/dq = 1/f(y)` for the plain quantile (:math:`t = \log q`). The
    parameters' part is one forward derivative of the log-probability at the solution.
    """
    alpha, beta, gamma, sigma, log_target, upper, start, skip = primals
    d_alpha, d_beta, d_gamma, d_sigma, d_target = tangents[:5]
    y = _quantile(minimize, *primals)

    def log_p(a, b, g, s):
        d = NoisyQuadratic(a, b, g, s, minimize=minimize, validate_args=False)
        log_pdf, log_cdf, log_sf = d._logs(y)
        return jnp.where(upper, log_sf, log_cdf), log_pdf

    (lp, log_pdf), (d_lp, _) = jax.jvp(log_p, (alpha, beta, gamma, sigma),
                                       (d_alpha, d_beta, d_gamma, d_sigma))
    slope = jnp.where(upper, -1.0, 1.0) * jnp.exp(log_pdf - lp)
    ok = jnp.isfinite(slope) & (slope != 0)
    dy = jnp.where(ok, (d_target - d_lp) / jnp.where(ok, slope, 1.0), 0.0)
    return y, jnp.broadcast_to(dy, jnp.shape(y))


#: :func:`_quantile` compiled once per direction and shapes. Unjitted, its ``while_loop``
#: closes over new functions at every call, so eager calls (``icdf``,
#: ``quantile_tuning_curve`` outside ``jit``) compiled the loop anew each time (3 s a call).
_solve_quantile = jax.jit(_quantile, static_argnums=0)


# ---------------------------------------------------------------- argument checks


def _as_float(x):
    """``x`` as a float64 array (float32 input is computed in float64 and returned so).

    Raises ``ValueError`` if JAX's 64-bit mode is off: the log-space accuracy of the
    quadrature and of the tables needs float64.
    """
    if jax.dtypes.canonicalize_dtype(np.float64) != np.float64:
        raise ValueError(
            "NoisyQuadratic computes in float64, but JAX's 64-bit mode is off "
            "(jax_enable_x64=False): call numpyro.enable_x64() first (importing "
            "bayesnq.distributions does), and do not turn it off around NoisyQuadratic")
    return jnp.asarray(x, dtype=jnp.float64)


def _concrete(x):
    """``x`` as a float64 numpy array, or None where it is traced (under jit, grad, vmap)."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, jax.errors.TracerArrayConversionError,
            jax.errors.ConcretizationTypeError):
        return None


def _check_parameters(*, alpha, beta, gamma, sigma, full=True):
    """Raise ``ValueError`` naming the parameter and value when one is invalid.

    The ordering ``alpha < beta`` always (where both are concrete); with ``full`` also
    finiteness, ``gamma > 0`` and ``sigma >= 0``. Traced values are left to the outputs
    (NaN where ``alpha >= beta``) and to NumPyro's own validation.
    """
    a, b = _concrete(alpha), _concrete(beta)
    if full:
        for name, x in (("alpha", a), ("beta", b), ("gamma", _concrete(gamma)),
                        ("sigma", _concrete(sigma))):
            if x is None:
                continue
            if not np.all(np.isfinite(x)):
                raise fail(name, "finite", _first(x, ~np.isfinite(x)))
            if name == "gamma" and np.any(x <= 0):
                raise fail("gamma", "positive", _first(x, x <= 0))
            if name == "sigma" and np.any(x < 0):
                raise fail("sigma", "non-negative", _first(x, x < 0))
    if a is None or b is None:
        return
    a, b = np.broadcast_arrays(a, b)
    bad = ~(a < b)  # NaN too
    if np.any(bad):
        raise ValueError(f"alpha must be less than beta, got alpha={_first(a, bad)!r}, "
                         f"beta={_first(b, bad)!r}")


def _first(x, bad):
    """The first offending entry of ``x`` (the value itself where ``x`` is a scalar)."""
    return float(x[bad].flat[0]) if np.ndim(x) else float(x)


def _check_n(n):
    """``n``, the number of draws of a tuning curve, must be at least 1 (where concrete)."""
    x = _concrete(n)
    if x is not None and not np.all(x >= 1):
        raise fail("n", "a number >= 1", _first(x, ~(x >= 1)))
