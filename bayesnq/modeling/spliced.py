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

**Body: deep bins and a region of equal-width bins, the same complexity for every
candidate.** The runs below the lowest candidate :math:`\tau_1` get fixed equal-count bins;
they are a histogram whose top edge :math:`r` is the highest of those runs, and from
:math:`r` up to the candidate :math:`\tau_j` lies the *region* (a cluster of diverged
runs tied at chance level, or a gap, below :math:`\tau_1` so stays in the deep bins), cut
into :math:`M` bins of equal width :math:`\Delta_j = (\tau_j - r)/M`, their grid shifted up by
an offset :math:`\phi` of one bin (inner edges at :math:`r + (k + \phi)\Delta_j`, partial
bins at both ends when :math:`\phi > 0`), with the design :math:`(M, \phi)` itself
uncertain: every :math:`M` in :data:`REGION_BINS` (1 to 32) with every :math:`\phi` in
:data:`REGION_OFFSETS` (0, 1/8, ..., 7/8) has equal prior weight. The share of body
runs in the region is :math:`v \sim \mathrm{Uniform}(0, 1)`, the deep bins' weights
:math:`w \sim \mathrm{Dirichlet}(a, \dots, a)` within the rest and the region bins'
weights :math:`\rho \sim \mathrm{Dirichlet}(a, \dots, a)` within the region; all three
integrate out (Beta–binomial and two Dirichlet–multinomials):

.. math::

    B_j = \log\frac{m_j!\, D!}{(m_j + D + 1)!} + H_K(c) + H_M(c^{(j)}) ,
    \qquad
    H_K(c) = \log\frac{\Gamma(K a)}{\Gamma(K a + D)}
        + \sum_{k \le K} \Big[\log\frac{\Gamma(a + c_k)}{\Gamma(a)} - c_k \log \Delta_k\Big],

with :math:`m_j` runs in the region (:math:`c^{(j)}` per region bin, :math:`H_M` the same
expression with the widths :math:`\Delta_j`) and :math:`D` in the deep bins (the deep
terms are the same for every candidate). Averaged over the designs :math:`\mathcal D`,
the region's term is :math:`\log \frac{1}{|\mathcal D|}\sum_{(M, \phi) \in \mathcal D}
e^{H_{M, \phi}(c^{(j, M, \phi)})}` (each design pays its own Occam factor through its
Dirichlet–multinomial marginal), and :math:`P(M, \phi \mid \tau_j, y) \propto
e^{H_{M, \phi}}` (``region_log_weights``) is what the body's predictive and pointwise
densities draw the design from.

Why this body. With one bin per candidate interval (the first design) the body paid a
Dirichlet–multinomial Occam factor of about :math:`\tfrac12\log N` per bin, while the noisy
quadratic's four parameters are paid once for every candidate, so handing runs to the tail
was almost free and the posterior put :math:`\tau` far too deep into the body (a search
with 36% of its runs in the regime got a median of 75–80%, ``docs/thresholds.md``). A
body with the same number of parameters at every candidate removes that pull. The second
design gave the region a smooth log-quadratic density; it could not follow a gap (a cluster
of diverged runs far below, which the region then spans) or a second mode, and the tail
took the body again (80% of runs for 35% true). Equal-width bins leave a gap empty and
follow a bump at the region's resolution; with :math:`M` fixed at 3 (2026-12-04 to 12-06)
that resolution was too coarse for a bump of body runs just below :math:`\tau^*`, and a
noisy quadratic stretched over the bump took it into the tail (the constant's comment,
:data:`REGION_BINS`). With edges only at the fractions :math:`k/M` the region's grid was
sparse near its top, so where the density jumps just below :math:`\tau_j` (a regime that
starts between two candidates) the first candidate above the start paid 13–18 nats more
than the best candidate further up, and the posterior kept too few runs beyond
:math:`\tau`; the offsets put edges near every point of the region
(:data:`REGION_OFFSETS`). The region's share has a uniform prior of its own: inside one
Dirichlet(1, ..., 1) over all bins, a region holding most of the body would be charged as
a priori unlikely (about 8 nats for 73% of 333 runs against 10 bins), which again
favoured a deep tail. The body still cannot steal the tail: it has no support
beyond :math:`\tau`, and its mass is the tail model's :math:`F_\theta(\tau)`.

Given :math:`\tau_j` the body factor does not involve :math:`\theta`, so the posterior of
:math:`\theta` at a fixed :math:`\tau` is exactly the censored fit above, with the prior
that fit has (below).

**Marginalizing over a grid of thresholds.** With a prior :math:`\pi_j` over candidates
:math:`\tau_1 < \dots < \tau_T` and

.. math::

    \ell_j(\theta) = \sum_{i:\, y_i > \tau_j} \log f_\theta(y_i)
        + n_j^{\le} \log F_\theta(\tau_j) + B_j ,

the model adds :math:`\log \sum_j \pi_j\, e^{\ell_j(\theta)}\,
p(\theta \mid \tau_j) / p_s(\theta)` to the log density, so NUTS samples only
the continuous :math:`\theta`. The noisy quadratic is one distribution for
all candidates: :math:`\theta = (\alpha, \beta, \gamma, \sigma)` is shared, as it must be
if the regime starting at :math:`\tau^*` holds beyond every :math:`\tau \ge \tau^*` (the
fits at those thresholds then agree, so the likelihood surfaces line up instead of forming
one mode per candidate). It is parameterized at a fixed *reference* candidate
:math:`\tau_r` (the middle of the grid): ``beta_z``, ``sigma_rel`` as in the
fixed-threshold model with :math:`\tau = \tau_r`, and ``q`` with :math:`\alpha = \beta -
(\beta - A(\beta))\, q^{-2/\gamma}`, where :math:`A(\beta) \ge \tau_r`
(:func:`~bayesnq.modeling.sites.alpha_limit`) follows the candidates below :math:`\beta`,
so that :math:`\alpha` reaches as far as a fit at the highest candidate below
:math:`\beta` lets it (:math:`A = \tau_r` until 2026-12-07). The tail mass beyond the
drawn :math:`\tau_j` is :math:`1 - F_\theta(\tau_j)`.

**The prior over the candidates.** :math:`\pi_j \propto n_j^{\kappa}`, :math:`n_j` the
runs beyond :math:`\tau_j`, :math:`\kappa` = :data:`TAIL_RUNS_POWER` = 2
(:attr:`SplicedData.base_log_prior`; raised at one candidate where hedged,
:mod:`bayesnq.inference.hedge`). Every candidate at or above the regime's start
:math:`\tau^*` is a true model; they differ only in how many runs the noisy quadratic
explains. Its four parameters, learned from :math:`n_j` runs, pay an Occam factor of about
:math:`\tfrac{4}{2}\log n_j`, which the body (the same designs at every candidate) does
not pay again for the runs it takes over, so under a uniform prior (until 2026-12-06)
:math:`P(\tau)` drifted to the valid candidates with the fewest runs: in the threshold SBC
the median tail fraction was 30–45% short of the truth on bodies that thin out toward,
or sit flat below, :math:`\tau^*` (``docs/thresholds.md``). :math:`\kappa = 2` offsets that
factor.
:math:`\pi_j` is also divided by the tail model's prior density of :math:`q` at the
candidate's tail fraction, :math:`p_q(n_j / N)`: the posterior of :math:`q_j` sits near
:math:`n_j / N`, so without it the shape of :math:`p_q` (chosen for the sampler's
geometry: :math:`\mathrm{Beta}(1, 2)` vanishes at :math:`q = 1`,
:mod:`bayesnq.modeling.priors`) would weigh candidates by :math:`1 - n_j/N` as well,
toward fewer runs. For :math:`\mathrm{Beta}(1, 1)` the factor is 1.

**The prior at each candidate.** The tail model's priors are relative to its threshold
(:math:`d = \max y - \tau`, :math:`q` the mass beyond :math:`\tau`,
:mod:`bayesnq.modeling.priors`), so a fit at :math:`\tau_j` and one at :math:`\tau_r`
give :math:`\theta` different priors. The sites carry their own, :math:`p_s(\theta)`
(:func:`~bayesnq.modeling.sites.site_log_prior`: the reference's priors of :math:`\beta`
and :math:`\sigma`, ``q``'s with :math:`\alpha` up to :math:`A(\beta)`), and each candidate's
term adds the log ratio :math:`\log p(\theta \mid \tau_j) - \log p_s(\theta)`
(:func:`candidate_log_priors`, exact densities of :math:`(\alpha, \beta, \sigma)` given
:math:`\gamma`). The joint is then :math:`\pi_j\, p(\theta \mid \tau_j)\,
e^{\ell_j(\theta)}`: given :math:`\tau_j`, :math:`\theta`'s posterior is the fixed fit's
at :math:`\tau_j`, and :math:`P(\tau_j \mid y)` compares each candidate's marginal
likelihood under its own prior. Without the ratio (before 2026-12-06) the prior was the
reference's at every candidate: on a 1,024-run search whose regime starts far from the
grid's middle, P(tau) = 1 on the candidate next to the truth gave a 90% interval of
:math:`\beta` of 14,700–21,100 where a fit at that candidate gives 26,500–43,300 (truth
34,500; ``docs/thresholds.md``). All log densities
above :math:`\tau_1` are evaluated once per step and summed from the top
(:math:`\ell_j` by a cumulative sum), so the cost is about that of one censored fit at
the lowest candidate.

The conditional :math:`P(\tau_j \mid \theta, y) \propto \pi_j\, p(\theta \mid \tau_j)\,
e^{\ell_j(\theta)}` is recorded
(``tau_logp``); :math:`\tau` is drawn from it after sampling and
:math:`P(\tau_j \mid y)` is its average over draws (Rao–Blackwellized).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from scipy.special import gammaln as _gl
from scipy.special import logsumexp
from scipy.stats import beta as beta_dist

from bayesnq import direction
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling.body import (BODY_DIRICHLET, REGION_BINS, REGION_OFFSETS, REGION_RATIO,
                                   body_log_marginal, region_bin, region_cuts, region_designs)
from bayesnq.modeling.likelihood import candidate_logliks, per_run_loglik, runs_beyond
from bayesnq.modeling.priors import (Priors, sample_gamma, sample_scale_parameters,
                                     tail_log_prior)
from bayesnq.modeling.sites import site_alpha, site_log_prior, site_q, site_q_log_prior
from bayesnq.modeling.tail import TailData, record_parameters

__all__ = ["SplicedData", "threshold_model", "threshold_log_probabilities", "candidate_log_priors",
           "body_log_marginal", "body_weights",
           "REGION_BINS", "REGION_OFFSETS", "REGION_RATIO", "TAIL_RUNS_POWER", "region_cuts",
           "pointwise_loglik", "predictive", "BODY_DIRICHLET"]

# The prior over the candidates: P(tau_j) proportional to n_j ** TAIL_RUNS_POWER, with n_j
# the runs beyond tau_j. Every candidate at or above the regime's start is a true model,
# and they differ in how many runs the noisy quadratic must explain; its four parameters
# pay an Occam factor of about (4/2) log n_j that the body's histogram (the same designs at
# every candidate) does not pay for the same runs, so under a uniform prior P(tau) drifted
# to the valid candidates with the fewest runs (median tail fraction -30% to -45% on
# `flat`, `falling` and `rising` bodies in the threshold SBC). The power 2 offsets that
# factor (docs/thresholds.md, "Offsets of the region's grid, and the prior over the
# candidates").
TAIL_RUNS_POWER = 2.0


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
    region_bins: tuple  # the numbers of region bins M averaged over
    region_offsets: tuple  # the offsets of each M's grid (fractions of one bin)
    region_sizes: np.ndarray  # (D,) bins of each design (M, offset), M-major order
    region_counts: np.ndarray  # (T, D, max bins) runs per region bin (0-padded)
    region_cuts: np.ndarray  # (D, max bins + 1) bin edges as fractions of (start, tau_j],
    # padded with 1
    region_log_weights: np.ndarray  # (T, D) log P(design | candidate j, y)
    reference: TailData  # data at the reference candidate (for priors and parameterization)
    reference_index: int
    minimize: bool
    dirichlet: float = BODY_DIRICHLET
    resolution: float | None = None  # scores known to this resolution (cells), or None
    priors: Priors = Priors()  # the tail model's priors (their q prior enters base_log_prior)

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
              dirichlet=BODY_DIRICHLET, resolution=None, region_bins=None, region_offsets=None,
              region_ratio=None, priors=None):
        """Arrange oriented scores and candidates; ``priors`` are the tail model's (default
        :class:`~bayesnq.modeling.Priors`), ``region_bins`` is M (default
        :data:`REGION_BINS`), ``region_offsets`` the offsets of each M's grid (default
        :data:`REGION_OFFSETS`), ``region_ratio`` the ratio of the region bins' widths
        (default :data:`REGION_RATIO`; see :func:`region_cuts`)."""
        y = direction.orient(np.asarray(values, dtype=float), minimize)
        t = np.unique(direction.orient(np.asarray(thresholds, dtype=float), minimize))
        n_tail = np.array([(y > tj).sum() for tj in t])
        below_first = np.sort(y[y <= t[0]])
        # deep bins: equal-count edges of the runs below the lowest candidate, the last edge
        # at the highest of them; the region (start, tau_j] begins there, so that a cluster
        # (diverged runs tied at chance level) or a gap below it stays in the deep bins
        if below_first.size:
            start = float(below_first[-1])
            k0 = int(np.clip(round(np.sqrt(below_first.size)), 1, max_body_bins))
            inner = np.unique(np.quantile(below_first, np.arange(1, k0) / k0))
            inner = inner[(inner > below_first[0]) & (inner < start)]
            span = t[0] - below_first[0]
            pad = 0.5 * span / k0 if span > 0 else 1e-3 * max(1.0, abs(t[0]))
            edges = np.concatenate([[below_first[0] - pad], inner, [start]])
        else:
            edges = np.array([t[0] - 1e-3 * max(1.0, abs(t[0]))])
        start = edges[-1]  # the region is (start, tau_j]
        widths = np.diff(edges)
        n_deep = widths.size
        bin_of = np.searchsorted(edges, y, side="left") - 1
        bin_of = np.where(y > start, n_deep, bin_of)
        counts = np.zeros((t.size, n_deep + 1))
        body_term = np.zeros(t.size)
        ratio = REGION_RATIO if region_ratio is None else region_ratio
        bins, offsets, designs = region_designs(
            REGION_BINS if region_bins is None else region_bins,
            REGION_OFFSETS if region_offsets is None else region_offsets)
        cuts_of = [region_cuts(m, ratio, phi) for m, phi in designs]
        sizes = np.array([c.size - 1 for c in cuts_of])
        cuts = np.ones((len(designs), sizes.max() + 1))
        for k, c in enumerate(cuts_of):
            cuts[k, :c.size] = c
        width = int(sizes.max())
        region_counts = np.zeros((t.size, len(designs), width))
        region_log = np.zeros((t.size, len(designs)))
        for j, tj in enumerate(t):
            in_body = y <= tj
            c = np.bincount(bin_of[in_body], minlength=n_deep + 1)[:n_deep + 1].astype(float)
            counts[j] = c
            # deep runs against region runs: w_region ~ Uniform(0, 1) (Beta-binomial);
            # inside the deep bins a Dirichlet-multinomial, the same for every candidate
            m_j, deep_n = c[-1], c[:-1].sum()
            body_term[j] = (float(_gl(m_j + 1) + _gl(deep_n + 1) - _gl(m_j + deep_n + 2))
                            + body_log_marginal(c[:-1], widths, dirichlet))
            # the region's runs: a histogram on (start, tau_j], averaged over the designs
            # (one row of bins per design; edges padded with 1 add no bins)
            region_runs = y[in_body & (y > start)]
            rb = region_bin(region_runs, start, tj, cuts)  # (designs, runs)
            rows = np.repeat(np.arange(len(designs)), region_runs.size)
            rc = np.bincount(rows * width + rb.ravel(), minlength=len(designs) * width)
            region_counts[j] = rc.reshape(len(designs), width)
            region_log[j] = body_log_marginal(region_counts[j], (tj - start) * np.diff(cuts),
                                              dirichlet, sizes)
            body_term[j] += float(logsumexp(region_log[j])) - np.log(len(designs))
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
            region_bins=bins,
            region_offsets=offsets,
            region_sizes=sizes,
            region_counts=region_counts,
            region_cuts=cuts,
            region_log_weights=region_log - logsumexp(region_log, axis=1, keepdims=True),
            reference=reference,
            reference_index=int(ref),
            minimize=bool(minimize),
            dirichlet=float(dirichlet),
            resolution=None if resolution is None else float(resolution),
            priors=Priors() if priors is None else priors,
        )

    @property
    def region_start(self) -> float:
        """Where the region begins (oriented): the deep bins' top, below every candidate."""
        return float(self.edges[-1])

    @property
    def best_score(self) -> float:
        """The best score (oriented): each prior's unit is d = best score - threshold."""
        return float(self.tail_sorted[0] if self.tail_sorted.size else self.values.max())

    @property
    def base_log_prior(self) -> np.ndarray:
        r"""The log prior over the candidates, shape (T,), normalized:
        :math:`\log \pi_j = \kappa \log n_j - \log p_q(n_j / N) + c`, with :math:`n_j`
        the runs beyond :math:`\tau_j`, :math:`\kappa` = :data:`TAIL_RUNS_POWER` and
        :math:`p_q` the tail model's Beta prior density of :math:`q` (module docstring)."""
        n_j = np.maximum(self.n_tail, 1).astype(float)
        f = np.clip(n_j / self.n, 0.5 / self.n, 1.0 - 0.5 / self.n)
        lp = (TAIL_RUNS_POWER * np.log(n_j)
              - beta_dist.logpdf(f, self.priors.q_a, self.priors.q_b))
        return lp - np.logaddexp.reduce(lp)

    def sampler_arrays(self, log_prior=None) -> dict:
        r"""The arguments of :func:`threshold_model`'s compiled program: ``log_prior``,
        the log prior of each candidate, shape (T,) (default :attr:`base_log_prior`),
        normalized here. Everything else the model reads from the data it closes over, so a
        fit of the same data with another prior over the candidates reuses the sampler
        (:attr:`program_static`)."""
        t = self.thresholds.size
        lp = self.base_log_prior if log_prior is None else np.asarray(log_prior, dtype=float)
        if lp.shape != (t,) or not np.all(np.isfinite(lp)):
            raise ValueError(f"log_prior must hold {t} finite numbers (one per candidate), "
                             f"got {lp!r}")
        return {"log_prior": lp - np.logaddexp.reduce(lp)}

    @property
    def program_static(self) -> tuple:
        """What a compiled sampler of :func:`threshold_model` depends on besides its
        arguments: the data it closes over, as a digest (see
        :func:`bayesnq.inference.nuts.run_nuts`)."""
        h = hashlib.sha256()
        for a in (self.values, self.thresholds, self.body_term, self.reference.consts):
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
        h.update(repr((self.minimize, self.resolution, self.reference.upper_bound,
                       self.reference.lower_bound)).encode())
        return ("spliced", h.hexdigest())

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


def candidate_log_priors(data: SplicedData, alpha, beta, gamma, sigma, priors: Priors = Priors()):
    r""":math:`\log p(\theta \mid \tau_j)` at every candidate, shape (T,): the prior a fit
    at that threshold gives :math:`\theta` (:func:`~bayesnq.modeling.priors.tail_log_prior`,
    oriented :math:`\theta`)."""
    t = jnp.asarray(data.thresholds)
    bound = data.reference.upper_bound
    room = (bound - t) if bound is not None else jnp.ones_like(t)
    return tail_log_prior(t, data.best_score, room, alpha, beta, gamma, sigma, priors,
                          bounded=bound is not None, floor=data.reference.lower_bound)


def _candidate_terms(data: SplicedData, alpha, beta, gamma, sigma, priors: Priors):
    r""":math:`\ell_j(\theta) + \log p(\theta \mid \tau_j) - \log p_s(\theta)`
    for every candidate, shape (T,): each candidate's term, with the prior a fit at that
    threshold gives :math:`\theta` in place of the one the sites carry,
    :math:`p_s` (:func:`~bayesnq.modeling.sites.site_log_prior`; finite wherever the
    sampler goes)."""
    lp = candidate_log_priors(data, alpha, beta, gamma, sigma, priors)
    site = site_log_prior(data, alpha, beta, gamma, sigma, priors)
    return _threshold_loglik(data, alpha, beta, gamma, sigma) + lp - site


def threshold_log_probabilities(data: SplicedData, alpha, beta, gamma, sigma,
                                priors: Priors = Priors()):
    r""":math:`\log P(\tau_j \mid \theta, y)` over the candidates (under
    :attr:`SplicedData.base_log_prior`), shape (T,), for :math:`\theta` in the maximize
    orientation: the conditional that :func:`threshold_model` records as ``tau_logp``,
    :math:`\propto \log \pi_j + \ell_j(\theta) + \log p(\theta \mid \tau_j)`. At the true
    :math:`\theta` of a synthetic search it shows where the model puts :math:`\tau` without
    a sampler (``tools/threshold_profile.py``)."""
    # not relative to the reference's prior: at a theta given from outside (a truth),
    # the reference candidate's prior can be 0 (alpha at or above its threshold)
    ll = (_threshold_loglik(data, alpha, beta, gamma, sigma)
          + candidate_log_priors(data, alpha, beta, gamma, sigma, priors)
          + jnp.asarray(data.base_log_prior))
    return ll - jax.nn.logsumexp(ll)


def threshold_model(data: SplicedData, priors: Priors = Priors(), gamma_max=None,
                    gamma_mode="continuous", arrays=None):
    r"""NumPyro model with the threshold marginalized over the candidate grid.

    Samples ``beta_t`` and ``sigma_rel`` as :func:`~bayesnq.modeling.tail_model` does at
    the reference candidate, ``q_t`` (:func:`~bayesnq.modeling.sites.site_q`:
    :math:`\alpha` up to :math:`A(\beta)`, :func:`~bayesnq.modeling.sites.alpha_limit`)
    and ``log_gamma``; records ``q`` (the site :math:`u`, continuous :math:`\gamma` only)
    and ``tau_logp`` (log :math:`P(\tau_j \mid \theta, y)`, shape (T,)) and, with integer gamma,
    ``gamma_tau_logp`` (shape (K, T)). ``arrays`` (default
    :meth:`SplicedData.sampler_arrays`: :attr:`SplicedData.base_log_prior`) holds the log
    prior over the candidates.
    """
    arrays = data.sampler_arrays() if arrays is None else arrays
    ref = data.reference
    bounded = ref.upper_bound is not None
    beta, sigma = sample_scale_parameters(ref.consts, bounded, priors,
                                          resolution=ref.resolution)
    q_t = numpyro.sample("q_t", dist.ImproperUniform(constraints.real, (), ()))
    log_prior_tau = jnp.asarray(arrays["log_prior"])
    if gamma_mode == "integer":
        ks = jnp.arange(1, int(gamma_max) + 1, dtype=float)

        def per_gamma(g):
            a = site_alpha(data, beta, g, q_t)
            return a, (_candidate_terms(data, a, beta, g, sigma, priors)
                       + site_q_log_prior(data, beta, g, q_t, priors))

        alpha_k, ll = jax.vmap(per_gamma)(ks)
        joint = ll + log_prior_tau[None, :] - jnp.log(float(gamma_max))
        total = jax.nn.logsumexp(joint)
        numpyro.factor("tau_gamma_marginal", total)
        numpyro.deterministic("gamma_tau_logp", joint - total)
        w_gamma = jnp.exp(jax.nn.logsumexp(joint, axis=1) - total)
        gamma = jnp.sum(w_gamma * ks)
        alpha = jnp.sum(w_gamma * alpha_k)
        record_parameters(ref.minimize, alpha, beta, gamma, sigma)
        return
    gamma = sample_gamma(priors, gamma_max)
    numpyro.factor("q_prior", site_q_log_prior(data, beta, gamma, q_t, priors))
    numpyro.deterministic("q", site_q(data, beta, gamma, q_t))
    alpha = site_alpha(data, beta, gamma, q_t)
    joint = _candidate_terms(data, alpha, beta, gamma, sigma, priors) + log_prior_tau
    total = jax.nn.logsumexp(joint)
    numpyro.factor("tau_marginal", total)
    numpyro.deterministic("tau_logp", joint - total)
    record_parameters(ref.minimize, alpha, beta, gamma, sigma)


# ----------------------------------------------------------------- per draw, after sampling


def body_weights(data: SplicedData, tau_index, rng):
    """Per draw, body-bin weights and the region's bin edges: ``(weights, cuts)``.

    ``weights``, shape (S, K + max bins): the deep bins, then the region's bins, from their
    Dirichlet (and the region's Beta) posterior given the draw's candidate; 0 for bins
    outside the draw's body. The region's design (M and its grid's offset) is drawn first
    from its posterior given the candidate (:attr:`SplicedData.region_log_weights`);
    ``cuts``, shape (S, max bins + 1), are that design's edges as fractions of
    :math:`(r, \tau)`, padded with 1 (bins of zero width and weight).
    """
    tau_index = np.asarray(tau_index)
    counts = data.bin_counts[tau_index]
    region = rng.beta(1.0 + counts[:, -1], 1.0 + counts[:, :-1].sum(-1))
    lw = data.region_log_weights[tau_index]  # (S, designs)
    design = np.argmax(lw + rng.gumbel(size=lw.shape), axis=-1)  # a draw of the design
    sizes = data.region_sizes[design]
    valid = np.arange(data.region_counts.shape[-1])[None, :] < sizes[:, None]

    def dirichlet(c, mask=True):  # weights 0 outside the mask (bins beyond a design's)
        g = rng.standard_gamma(np.where(mask, data.dirichlet + c, 1.0)) * mask
        total = g.sum(-1, keepdims=True)
        return np.where(total > 0, g / np.where(total > 0, total, 1.0), 0.0)

    deep = dirichlet(counts[:, :-1]) * (1.0 - region)[:, None]
    inside = dirichlet(data.region_counts[tau_index, design], valid) * region[:, None]
    return np.concatenate([deep, inside], axis=-1), data.region_cuts[design]


def _body_log_density(data: SplicedData, tau_index, rng):
    """Per draw and run, the log body density (the bin's weight over its width), shape
    (S, n); meaningful for runs in the draw's body."""
    w, cuts = body_weights(data, tau_index, rng)
    n_deep = data.edges.size - 1
    deep = np.clip(data.bin_of, 0, max(n_deep - 1, 0))
    tau = data.thresholds[np.asarray(tau_index)][:, None]
    span = np.maximum(tau - data.region_start, np.finfo(float).tiny)  # (S, 1)
    in_region = data.bin_of[None, :] == n_deep
    rbin = region_bin(np.minimum(data.values[None, :], tau), data.region_start, tau, cuts)
    width = span * np.take_along_axis(np.diff(cuts, axis=1), rbin, axis=1)  # (S, n)
    col = np.where(in_region, n_deep + rbin, deep[None, :])
    deep_width = np.diff(data.edges)[deep] if n_deep else np.ones(data.n)
    with np.errstate(divide="ignore"):  # zero-width bins hold no region runs
        log_width = np.where(in_region, np.log(width), np.log(deep_width)[None, :])
        return np.log(np.take_along_axis(w, col, axis=1)) - log_width


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
    w, cuts = body_weights(data, tau_index, rng)
    cum = np.cumsum(w, axis=-1)
    u = rng.random((s_count, n)) * cum[:, -1:]
    bins = np.minimum(np.array([np.searchsorted(c, uu) for c, uu in zip(cum, u)]),
                      w.shape[-1] - 1)
    n_deep = data.edges.size - 1
    r = data.region_start
    # deep bin k spans edges[k]..edges[k+1]; region bin b spans the fractions cuts[b] to
    # cuts[b + 1] of (r, tau], with the draw's own design
    rb = np.clip(bins - n_deep, 0, cuts.shape[1] - 2)
    deep = np.minimum(bins, max(n_deep - 1, 0))
    lo = np.where(bins < n_deep, data.edges[deep],
                  r + (tau - r) * np.take_along_axis(cuts, rb, axis=1))
    hi = np.where(bins < n_deep, data.edges[np.minimum(deep + 1, n_deep)],
                  r + (tau - r) * np.take_along_axis(cuts, rb + 1, axis=1))
    body = lo + (hi - lo) * rng.random((s_count, n))
    return direction.to_user(np.where(y <= tau, body, y), data.minimize)
