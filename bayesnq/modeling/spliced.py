r"""The spliced model: the threshold as a parameter.

To compare thresholds, every run needs a density. For a candidate :math:`\tau`
(maximize orientation) the *spliced* density is

.. math::

    p(y \mid \tau, \theta, w) = \begin{cases}
        f_\theta(y), & y > \tau, \\
        F_\theta(\tau)\, h_w(y \mid \tau), & y \le \tau,
    \end{cases}

with :math:`F_\theta, f_\theta` the noisy quadratic cdf and density and :math:`h_w` a
*body* density supported on :math:`(-\infty, \tau]`. It integrates to
:math:`F_\theta(\tau) + (1 - F_\theta(\tau)) = 1`: the tail carries its own fitted mass
:math:`1 - F_\theta(\tau)` (the threshold-mixture design of Behrens, Lopes & Gamerman 2004
and MacDonald et al. 2011 with the noisy quadratic in place of the GPD).

**Body: deep bins and a tilted region, the same complexity for every candidate.** The
runs below the lowest candidate :math:`\tau_1` get fixed equal-count bins; the lowest
:math:`K` of them are a histogram, and the top one, from its lower edge :math:`r` up to
the candidate :math:`\tau_j`, is the *region*, inside which the density is a
log-quadratic tilt of the uniform,

.. math::

    g_\kappa(u) = \frac{e^{\kappa_1 u + \kappa_2 u^2}}{Z(\kappa)}, \qquad
    u = \frac{y - r}{\tau_j - r} \in (0, 1], \qquad
    \kappa_1, \kappa_2 \sim \mathrm{Normal}(0, 10^2),

which can rise toward :math:`\tau_j`, fall, or bulge. The share of body runs in the
region is :math:`v \sim \mathrm{Uniform}(0, 1)`, the deep bins' weights
:math:`w \sim \mathrm{Dirichlet}(a, \dots, a)` within the rest; all three integrate out
(Beta–binomial, Dirichlet–multinomial, and :math:`\kappa` by Laplace's method,
:func:`tilt_log_marginal`):

.. math::

    B_j = \log\frac{m_j!\, D!}{(m_j + D + 1)!}
        + \log\Gamma(K a) - \log\Gamma(K a + D)
        + \sum_{k \le K} \big[\log\Gamma(a + c_k) - \log\Gamma(a) - c_k \log \Delta_k\big]
        + \log \int p(\kappa) \prod_{i \in \text{region}} \frac{g_\kappa(u_i)}{\tau_j - r}
          \, d\kappa ,

with :math:`m_j` runs in the region and :math:`D` in the deep bins (the deep terms are
the same for every candidate).

Why not bins between the candidates (the first design): a body with one bin per candidate
interval pays a Dirichlet–multinomial Occam factor of about :math:`\tfrac12\log N` per
bin, while the noisy quadratic's four parameters are paid once for every candidate, so
handing runs to the tail was almost free and the posterior put :math:`\tau` far too deep
into the body (a search with 36% of its runs in the regime got a median of 75–80%, on
flat and rising bodies alike, with :math:`\beta` or :math:`\gamma` missed:
``docs/thresholds.md``). With the region's two tilt parameters the body has the same
number of parameters at every candidate, so the choice of :math:`\tau` rests on the fit,
not on how many bins it takes. The region's share has a uniform prior of its own: inside
one Dirichlet(1, ..., 1) over all bins, a region holding most of the body would be
charged as a priori unlikely (about 8 nats for 73% of 333 runs against 10 bins), which
again favoured a deep tail. The body still cannot steal the tail: it has no
support beyond :math:`\tau`, and its mass is the tail model's :math:`F_\theta(\tau)`.

Given :math:`\tau_j` the body factor does not involve :math:`\theta`, so the posterior of
:math:`\theta` at a fixed :math:`\tau` is exactly the censored fit above.

**Marginalizing over a grid of thresholds.** With a uniform prior over candidates
:math:`\tau_1 < \dots < \tau_T` and

.. math::

    \ell_j(\theta) = \sum_{i:\, y_i > \tau_j} \log f_\theta(y_i)
        + n_j^{\le} \log F_\theta(\tau_j) + B_j ,

the model adds :math:`\log \sum_j e^{\ell_j(\theta)} / T` to the log density, so NUTS
samples only the continuous :math:`\theta`. The noisy quadratic is one distribution for
all candidates: :math:`\theta = (\alpha, \beta, \gamma, \sigma)` is shared, as it must be
if the regime starting at :math:`\tau^*` holds beyond every :math:`\tau \ge \tau^*` (the
fits at those thresholds then agree, so the likelihood surfaces line up instead of forming
one mode per candidate). It is parameterized at a fixed *reference* candidate
:math:`\tau_r` (the middle of the grid): ``beta_z``, ``sigma_rel`` and ``q`` as in the
fixed-threshold model with :math:`\tau = \tau_r`, :math:`q` the noiseless mass beyond
:math:`\tau_r` and :math:`\alpha = \beta - (\beta - \tau_r) q^{-2/\gamma}`. The tail mass
beyond the drawn :math:`\tau_j` is then :math:`1 - F_\theta(\tau_j)`. All log densities
above :math:`\tau_1` are evaluated once per step and summed from the top
(:math:`\ell_j` by a cumulative sum), so the cost is about that of one censored fit at
the lowest candidate.

The conditional :math:`P(\tau_j \mid \theta, y) \propto e^{\ell_j(\theta)}` is recorded
(``tau_logp``); :math:`\tau` is drawn from it after sampling and
:math:`P(\tau_j \mid y)` is its average over draws (Rao–Blackwellized).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from scipy.special import gammaln as _gl

from bayesnq import direction
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling.likelihood import candidate_logliks, per_run_loglik, runs_beyond
from bayesnq.modeling.priors import Priors, derive_alpha, sample_gamma, sample_tail_parameters
from bayesnq.modeling.tail import TailData, record_parameters

__all__ = ["SplicedData", "threshold_model", "body_log_marginal", "body_weights", "body_tilts",
           "tilt_log_density", "tilt_log_marginal", "tilt_icdf", "pointwise_loglik",
           "predictive", "BODY_DIRICHLET", "TILT_PRIOR_SD"]

BODY_DIRICHLET = 1.0  # Dirichlet concentration a of each body-histogram bin


def body_log_marginal(counts, widths, a=BODY_DIRICHLET):
    r"""Log marginal density of the body runs under the Dirichlet-weighted histogram.

    .. math::

        \log\Gamma(Ka) - \log\Gamma(Ka + N) + \sum_k [\log\Gamma(a + c_k) - \log\Gamma(a)]
        - \sum_k c_k \log \Delta_k ,

    the density of the ordered body values given that they lie in the body (bins with
    counts ``counts``, widths ``widths``); 0 for an empty body.
    """
    c = np.asarray(counts, dtype=float)
    dw = np.asarray(widths, dtype=float)
    if c.size == 0:
        return 0.0
    k, total = float(c.size), float(c.sum())
    return float(
        _gl(k * a) - _gl(k * a + total) + np.sum(_gl(a + c) - _gl(a)) - np.sum(c * np.log(dw))
    )


TILT_PRIOR_SD = 10.0  # prior sd of each coefficient of the region's log-quadratic tilt
_GL_X, _GL_W = np.polynomial.legendre.leggauss(128)
_GL_X, _GL_LOGW = 0.5 * (_GL_X + 1.0), np.log(0.5 * _GL_W)  # nodes and log weights on [0, 1]


def _tilt_moments(kappa):
    r""":math:`\log Z(\kappa)` and the first four moments of :math:`u` under
    :math:`g_\kappa(u) \propto e^{\kappa_1 u + \kappa_2 u^2}` on :math:`[0, 1]`
    (Gauss–Legendre, 128 nodes, in log space)."""
    k = np.asarray(kappa, dtype=float)
    lw = k[..., :1] * _GL_X + k[..., 1:] * _GL_X**2 + _GL_LOGW
    log_z = np.logaddexp.reduce(lw, axis=-1)
    p = np.exp(lw - log_z[..., None])
    return log_z, [np.sum(p * _GL_X**r, axis=-1) for r in (1, 2, 3, 4)]


def tilt_log_density(u, kappa):
    r"""Log density of the log-quadratic tilt on :math:`[0, 1]`,
    :math:`\log g_\kappa(u) = \kappa_1 u + \kappa_2 u^2 - \log Z(\kappa)`;
    ``kappa`` has a last axis of 2 and broadcasts against ``u``."""
    k = np.asarray(kappa, dtype=float)
    log_z, _ = _tilt_moments(k)
    return k[..., 0] * u + k[..., 1] * np.asarray(u) ** 2 - log_z


def tilt_log_marginal(u, prior_sd=TILT_PRIOR_SD):
    r"""Log marginal density of region runs ``u`` in :math:`[0, 1]` under the log-quadratic
    tilt with :math:`\kappa_1, \kappa_2 \sim \mathrm{Normal}(0, s^2)`, by Laplace's method
    (exact for a Gaussian posterior; the likelihood is an exponential family in
    :math:`\kappa`, so its log is concave and the posterior nearly Gaussian):

    .. math::

        \log \int p(\kappa) \prod_i g_\kappa(u_i)\, d\kappa \approx
        L(\hat\kappa) - 2 \log s - \tfrac12 \log\det(-\nabla^2 L(\hat\kappa)),
        \quad L(\kappa) = \kappa \cdot T - m \log Z(\kappa) - \frac{|\kappa|^2}{2s^2},

    with :math:`T = (\sum u_i, \sum u_i^2)`. Returns the log marginal, the mode
    :math:`\hat\kappa` and the Laplace covariance (the posterior used per draw).
    """
    u = np.asarray(u, dtype=float)
    m, stat = u.size, np.array([u.sum(), (u**2).sum()])
    prec = 1.0 / prior_sd**2

    def objective(k):
        log_z, mom = _tilt_moments(k)
        val = k @ stat - m * log_z - 0.5 * prec * k @ k
        grad = stat - m * np.array([mom[0], mom[1]]) - prec * k
        cov = np.array([[mom[1] - mom[0]**2, mom[2] - mom[0] * mom[1]],
                        [mom[2] - mom[0] * mom[1], mom[3] - mom[1]**2]])
        return val, grad, -(m * cov + prec * np.eye(2))

    k = np.zeros(2)
    val, grad, hess = objective(k)
    for _ in range(100):
        step = np.linalg.solve(hess, -grad)
        t = 1.0
        while t > 1e-8:
            k_new = np.clip(k + t * step, -1e3, 1e3)
            v_new, g_new, h_new = objective(k_new)
            if v_new >= val - 1e-12:
                break
            t *= 0.5
        done = abs(v_new - val) < 1e-11 * max(1.0, abs(val))
        k, val, grad, hess = k_new, v_new, g_new, h_new
        if done:
            break
    neg = -hess
    total = float(val - 2.0 * np.log(prior_sd) - 0.5 * np.log(np.linalg.det(neg)))
    return total, k, np.linalg.inv(neg)


def tilt_icdf(v, kappa, points=4096):
    r"""Inverse cdf of the log-quadratic tilt, per row of ``kappa`` (shape (S, 2)), at
    ``v`` (shape (S, m)): the cdf is tabulated on ``points`` cells and inverted linearly."""
    k = np.asarray(kappa, dtype=float)
    grid = (np.arange(points) + 0.5) / points
    logd = k[:, :1] * grid + k[:, 1:] * grid**2
    dens = np.exp(logd - logd.max(-1, keepdims=True))
    cdf = np.concatenate([np.zeros((k.shape[0], 1)), np.cumsum(dens, -1)], -1)
    cdf /= cdf[:, -1:]
    edges = np.linspace(0.0, 1.0, points + 1)
    return np.stack([np.interp(vv, c, edges) for vv, c in zip(np.asarray(v), cdf)])


@dataclass(frozen=True)
class SplicedData:
    """Scores and candidate thresholds arranged for :func:`threshold_model`.

    Everything is in the maximize orientation (scores negated for the minimize form);
    ``thresholds`` ascend, so the tail fraction falls along the grid.
    """

    values: np.ndarray  # all oriented scores, in run order
    thresholds: np.ndarray  # oriented candidates, ascending
    tail_sorted: np.ndarray  # oriented scores above thresholds[0], descending
    n_tail: np.ndarray  # runs strictly beyond each candidate
    body_term: np.ndarray  # B_j of each candidate
    edges: np.ndarray  # deep-bin edges (oriented, ascending); the last starts the region
    bin_of: np.ndarray  # body bin of each run (the last: the region; meaningful in a body)
    bin_counts: np.ndarray  # (T, K + 1) counts of body runs per deep bin and the region
    tilt_mode: np.ndarray  # (T, 2) posterior mode of the region's tilt per candidate
    tilt_cov: np.ndarray  # (T, 2, 2) its Laplace covariance
    reference: TailData  # data at the reference candidate (for priors and parameterization)
    reference_index: int
    minimize: bool
    dirichlet: float = BODY_DIRICHLET
    resolution: float | None = None  # scores known to this resolution (cells), or None

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def user_thresholds(self) -> np.ndarray:
        return direction.to_user(self.thresholds.copy(), self.minimize)

    @property
    def user_values(self) -> np.ndarray:
        """The scores in the user's units, in run order."""
        return direction.to_user(self.values.copy(), self.minimize)

    @property
    def tail_fractions(self) -> np.ndarray:
        return self.n_tail / self.n

    @classmethod
    def build(cls, values, thresholds, *, minimize, bounds=(None, None), max_body_bins=12,
              dirichlet=BODY_DIRICHLET, resolution=None):
        y = direction.orient(np.asarray(values, dtype=float), minimize)
        t = np.unique(direction.orient(np.asarray(thresholds, dtype=float), minimize))
        n = y.size
        n_tail = np.array([(y > tj).sum() for tj in t])
        below_first = np.sort(y[y <= t[0]])
        # deep bins: equal-count edges of the runs below the lowest candidate; the last of
        # them joins the region, which so holds runs for every candidate
        if below_first.size:
            k0 = int(np.clip(round(np.sqrt(below_first.size)), 1, max_body_bins))
            inner = np.unique(np.quantile(below_first, np.arange(1, k0) / k0))
            inner = inner[(inner > below_first[0]) & (inner < t[0])]
            span = t[0] - below_first[0]
            pad = 0.5 * span / k0 if span > 0 else 1e-3 * max(1.0, abs(t[0]))
            edges = np.concatenate([[below_first[0] - pad], inner])
        else:
            edges = np.array([t[0] - 1e-3 * max(1.0, abs(t[0]))])
        start = edges[-1]  # the region is (start, tau_j]
        widths = np.diff(edges)
        n_deep = widths.size
        bin_of = np.searchsorted(edges, y, side="left") - 1
        bin_of = np.where(y > start, n_deep, bin_of)
        counts = np.zeros((t.size, n_deep + 1))
        body_term = np.zeros(t.size)
        tilt_mode, tilt_cov = np.zeros((t.size, 2)), np.tile(np.eye(2), (t.size, 1, 1))
        for j, tj in enumerate(t):
            in_body = y <= tj
            c = np.bincount(bin_of[in_body], minlength=n_deep + 1)[:n_deep + 1].astype(float)
            counts[j] = c
            # deep runs against region runs: w_region ~ Uniform(0, 1) (Beta-binomial);
            # inside the deep bins a Dirichlet-multinomial, the same for every candidate
            m_j, deep_n = c[-1], c[:-1].sum()
            body_term[j] = (float(_gl(m_j + 1) + _gl(deep_n + 1) - _gl(m_j + deep_n + 2))
                            + body_log_marginal(c[:-1], widths, dirichlet))
            # the region's runs: a tilted density on (start, tau_j]
            u = (y[in_body & (y > start)] - start) / (tj - start)
            lm, tilt_mode[j], tilt_cov[j] = tilt_log_marginal(u)
            body_term[j] += lm - u.size * np.log(tj - start)
            if resolution is not None:  # a body run's cell: density times its width h
                body_term[j] += in_body.sum() * np.log(resolution)
        ref = t.size // 2
        reference = TailData.build(values, direction.to_user(t[ref], minimize), minimize=minimize,
                                   bounds=bounds, resolution=resolution)
        return cls(
            values=y,
            thresholds=t,
            tail_sorted=np.sort(y[y > t[0]])[::-1].copy(),
            n_tail=n_tail,
            body_term=body_term,
            edges=edges,
            bin_of=bin_of,
            bin_counts=counts,
            tilt_mode=tilt_mode,
            tilt_cov=tilt_cov,
            reference=reference,
            reference_index=int(ref),
            minimize=bool(minimize),
            dirichlet=float(dirichlet),
            resolution=None if resolution is None else float(resolution),
        )

    @property
    def region_start(self) -> float:
        """Where the region begins (oriented): the top of the deep bins, below every
        candidate."""
        return float(self.edges[-1])

    def body_bins(self, j: int) -> int:
        """Number of body bins of candidate ``j`` (the same for all): the deep bins and
        the region :math:`(r, \tau_j]`."""
        return int(self.edges.size)


def _threshold_loglik(data: SplicedData, alpha, beta, gamma, sigma):
    r""":math:`\ell_j(\theta)` for every candidate (oriented), shape (T,)."""
    d = NoisyQuadratic(alpha, beta, gamma, sigma)
    return (candidate_logliks(d, data.tail_sorted, data.n_tail, data.thresholds, data.n,
                              data.resolution)
            + jnp.asarray(data.body_term))


def threshold_model(data: SplicedData, priors: Priors = Priors(), gamma_max=None,
                    gamma_mode="continuous"):
    r"""NumPyro model with the threshold marginalized over the candidate grid.

    Samples ``beta_t``, ``sigma_rel``, ``q`` (and ``log_gamma``) in the parameterization of
    :func:`~bayesnq.modeling.tail_model` at the reference candidate; records ``tau_logp``
    (log :math:`P(\tau_j \mid \theta, y)`, shape (T,)) and, with integer gamma,
    ``gamma_tau_logp`` (shape (K, T)).
    """
    ref = data.reference
    _, beta, sigma, q = sample_tail_parameters(ref.consts, ref.upper_bound is not None, priors)
    log_prior_tau = -jnp.log(float(data.thresholds.size))
    if gamma_mode == "integer":
        ks = jnp.arange(1, int(gamma_max) + 1, dtype=float)

        def per_gamma(g):
            a = derive_alpha(beta, g, q, ref.threshold)
            return a, _threshold_loglik(data, a, beta, g, sigma)

        alpha_k, ll = jax.vmap(per_gamma)(ks)
        joint = ll + log_prior_tau - jnp.log(float(gamma_max))
        total = jax.nn.logsumexp(joint)
        numpyro.factor("tau_gamma_marginal", total)
        numpyro.deterministic("gamma_tau_logp", joint - total)
        w_gamma = jnp.exp(jax.nn.logsumexp(joint, axis=1) - total)
        gamma = jnp.sum(w_gamma * ks)
        alpha = jnp.sum(w_gamma * alpha_k)
        record_parameters(ref.minimize, ref.threshold, alpha, beta, gamma, sigma, None)
        return
    gamma = sample_gamma(priors, gamma_max)
    alpha = derive_alpha(beta, gamma, q, ref.threshold)
    joint = _threshold_loglik(data, alpha, beta, gamma, sigma) + log_prior_tau
    total = jax.nn.logsumexp(joint)
    numpyro.factor("tau_marginal", total)
    numpyro.deterministic("tau_logp", joint - total)
    record_parameters(ref.minimize, ref.threshold, alpha, beta, gamma, sigma, None)


# ----------------------------------------------------------------- per draw, after sampling


def body_weights(data: SplicedData, tau_index, rng):
    """Per draw, body-bin weights (deep bins, then the region) from their Dirichlet
    posterior; 0 for bins outside the draw's body."""
    counts = data.bin_counts[tau_index]
    region = rng.beta(1.0 + counts[:, -1], 1.0 + counts[:, :-1].sum(-1))
    g = rng.standard_gamma(data.dirichlet + counts[:, :-1])
    total = g.sum(-1, keepdims=True)
    deep = np.where(total > 0, g / np.where(total > 0, total, 1.0), 0.0)
    return np.concatenate([deep * (1.0 - region)[:, None], region[:, None]], axis=-1)


def body_tilts(data: SplicedData, tau_index, rng):
    """Per draw, the region's tilt :math:`\\kappa` (shape (S, 2)) from its Laplace
    posterior."""
    idx = np.asarray(tau_index)
    chol = np.linalg.cholesky(data.tilt_cov[idx])
    z = rng.standard_normal((idx.size, 2))
    return data.tilt_mode[idx] + np.einsum("sij,sj->si", chol, z)


def _body_log_density(data: SplicedData, tau_index, rng):
    """Per draw and run, the log body density (including the bin's weight), shape (S, n)."""
    w = body_weights(data, tau_index, rng)
    kappa = body_tilts(data, tau_index, rng)
    n_deep = data.edges.size - 1
    widths = np.append(np.diff(data.edges), 1.0)
    bins = np.clip(data.bin_of, 0, n_deep)
    span = data.thresholds[tau_index] - data.region_start
    u = np.clip((data.values[None, :] - data.region_start) / span[:, None], 0.0, 1.0)
    region = tilt_log_density(u, kappa[:, None, :]) - np.log(span)[:, None]
    deep = -np.log(widths[bins])[None, :]
    with np.errstate(divide="ignore"):
        return np.log(w[:, bins]) + np.where(bins[None, :] == n_deep, region, deep)


@jax.jit
def _censored_at(y, a, b, g, s, t):
    """Per-run censored log-likelihood of all runs ``y`` at threshold ``t`` (one draw)."""
    values, run_index = runs_beyond(y, y > t, y)
    return per_run_loglik(NoisyQuadratic(a, b, g, s), values, run_index, t)


@jax.jit
def _censored_cells_at(y, a, b, g, s, t, h):
    """:func:`_censored_at` for scores known to the resolution ``h``."""
    values, run_index = runs_beyond(y, y > t, y)
    return per_run_loglik(NoisyQuadratic(a, b, g, s), values, run_index, t, h)


def pointwise_loglik(data: SplicedData, draws, tau_index, rng):
    r"""Pointwise spliced log-likelihood per draw, shape (S, n).

    Runs beyond the draw's threshold :math:`\tau_s`: :math:`\log f_\theta(y)`; the others
    :math:`\log F_\theta(\tau_s) + \log w_{k(y)} - \log\Delta_{k(y)}`, with the body weights
    :math:`w` drawn from their Dirichlet posterior (independent of :math:`\theta`).

    Parameters
    ----------
    data : SplicedData
    draws : dict of flat arrays alpha, beta, gamma, sigma (user orientation)
    tau_index : array of int, shape (S,)
        Candidate index of each draw.
    rng : numpy Generator
    """
    alpha, beta = direction.orient_ends(*(np.asarray(draws[k], dtype=float)
                                          for k in ("alpha", "beta")), data.minimize)
    gamma, sigma = (np.asarray(draws[k], dtype=float) for k in ("gamma", "sigma"))
    tau = data.thresholds[tau_index]
    y = jnp.asarray(data.values)
    if data.resolution is None:
        def one(p):
            return _censored_at(y, *p)
    else:
        def one(p):
            return _censored_cells_at(y, *p, data.resolution)
    ll = np.asarray(jax.lax.map(one,
                                tuple(jnp.asarray(x) for x in (alpha, beta, gamma, sigma, tau)),
                                batch_size=64))
    in_body = data.values[None, :] <= tau[:, None]
    body = _body_log_density(data, tau_index, rng)
    if data.resolution is not None:
        body = body + np.log(data.resolution)
    return np.where(in_body, ll + body, ll)


def predictive(data: SplicedData, draws, tau_index, rng, max_values=16_000_000):
    """Replicated searches from the spliced model: NQ draws, body runs from the histogram."""
    s_count = tau_index.size
    n = data.n if s_count * data.n <= max_values else max(1, max_values // s_count)
    alpha, beta = direction.orient_ends(*(np.asarray(draws[k], dtype=float)
                                          for k in ("alpha", "beta")), data.minimize)
    d = NoisyQuadratic(jnp.asarray(alpha), jnp.asarray(beta), jnp.asarray(draws["gamma"]),
                       jnp.asarray(draws["sigma"]))
    y = np.moveaxis(np.asarray(d.sample(jax.random.PRNGKey(int(rng.integers(2**31))), (n,))),
                    0, -1)
    tau = data.thresholds[tau_index][:, None]
    w = body_weights(data, tau_index, rng)
    kappa = body_tilts(data, tau_index, rng)
    cum = np.cumsum(w, axis=-1)
    u = rng.random((s_count, n)) * cum[:, -1:]
    bins = np.minimum(np.array([np.searchsorted(c, uu) for c, uu in zip(cum, u)]),
                      w.shape[-1] - 1)
    n_deep = data.edges.size - 1
    padded = np.append(data.edges, data.edges[-1])  # (the region's entry is not used)
    deep = np.minimum(bins, n_deep)
    lo, hi = padded[deep], padded[deep + 1]
    body = lo + (hi - lo) * rng.random((s_count, n))
    r = data.region_start
    region = r + (tau - r) * tilt_icdf(rng.random((s_count, n)), kappa)
    body = np.where(bins == n_deep, region, body)
    return direction.to_user(np.where(y <= tau, body, y), data.minimize)
