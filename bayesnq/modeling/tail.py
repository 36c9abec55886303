r"""The censored tail model at one threshold.

:class:`TailData` arranges a search's scores for the model (maximize orientation, see
:mod:`bayesnq.direction`); :func:`tail_model` is the NumPyro model: the priors of
:mod:`bayesnq.modeling.priors` and the likelihood of :mod:`bayesnq.modeling.likelihood`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import numpyro

from bayesnq import direction
from bayesnq.distributions import NoisyQuadratic
from bayesnq.modeling.likelihood import counted_loglik, distinct_layout
from bayesnq.modeling.priors import (Priors, derive_alpha, floor_gap, sample_gamma,
                                     sample_tail_parameters)

__all__ = ["TailData", "tail_model", "record_parameters", "padded_size"]


@dataclass(frozen=True)
class TailData:
    """Scores arranged for the model, in the maximize orientation.

    For the minimize form the scores are negated (:mod:`bayesnq.direction`), so the model
    is written once.
    """

    tail: np.ndarray  # scores beyond the threshold, oriented so the tail is on the right
    n_below: int
    threshold: float  # oriented
    scale: float  # d = max(tail) - threshold, oriented
    upper_bound: float | None  # oriented bound on beta, or None
    minimize: bool
    index_tail: np.ndarray = field(repr=False)
    index_below: np.ndarray = field(repr=False)
    resolution: float | None = None  # scores known to this resolution (cells), or None
    lower_bound: float | None = None  # oriented worst bound L <= alpha, or None (floor_gap)

    @property
    def n(self) -> int:
        return int(self.tail.size + self.n_below)

    @classmethod
    def build(cls, values, threshold, *, minimize, bounds=(None, None), resolution=None):
        oy = direction.orient(np.asarray(values, dtype=float), minimize)
        t = direction.orient(float(threshold), minimize)
        in_tail = oy > t
        worst_bound, best_bound = direction.bound_ends(bounds, minimize)
        if best_bound is not None and not np.isfinite(best_bound):
            best_bound = None  # an infinite bound says nothing about beta
        bound = None if best_bound is None else direction.orient(float(best_bound), minimize)
        floor = None if worst_bound is None else direction.orient(float(worst_bound), minimize)
        if floor_gap(t, floor) is None:
            floor = None  # no bound, or one at or beyond the threshold: alpha is free
        tail = oy[in_tail]
        scale = float(tail.max() - t)
        if bound is not None and bound <= t:
            raise ValueError(
                f"bounds: the best-score bound {best_bound!r} must lie beyond the threshold "
                f"{threshold!r}"
            )
        return cls(
            tail=tail,
            n_below=int((~in_tail).sum()),
            threshold=t,
            scale=scale,
            upper_bound=bound,
            minimize=bool(minimize),
            index_tail=np.flatnonzero(in_tail),
            index_below=np.flatnonzero(~in_tail),
            resolution=None if resolution is None else float(resolution),
            lower_bound=floor,
        )

    @property
    def floor_gap(self) -> float | None:
        r""":math:`\tau - L` for the metric's worst bound :math:`L` (oriented), or None
        without a floor on :math:`\alpha` (:func:`~bayesnq.modeling.priors.floor_gap`)."""
        return floor_gap(self.threshold, self.lower_bound)

    def arrays(self, size=None) -> dict:
        """The data as the arrays :func:`tail_model` computes with.

        ``values``: the distinct tail scores, ascending, padded with the largest to
        ``size`` entries (default: no padding); ``run_index``: for each run, the index of
        its score in ``values``, or ``values.size`` for a run below the threshold;
        ``consts``: the threshold, the scale d, the room below the bound (1 without one),
        the gap above the floor (1 without one), then the resolution when there is one.

        A sampler that takes these as arguments depends on the data only through their
        shapes, so fits of the same runs at thresholds whose tails are padded to one
        ``size`` share one compiled program (see :func:`bayesnq.compare_thresholds`).
        """
        values, run_index = distinct_layout(self.tail, self.index_tail, self.n, size)
        return {"values": values, "run_index": run_index, "consts": self.consts}

    def sampler_arrays(self, size=None) -> dict:
        """The data as :func:`tail_model` computes with: shapes set by ``size`` alone.

        ``values``: the distinct tail scores, ascending, padded with the largest to
        ``size`` entries (default :func:`padded_size` of their number); ``counts``: the
        runs at each (0 for padding); ``n_below``: the runs short of the threshold;
        ``consts`` as in :meth:`arrays`. Nothing here is shaped by the number of runs, so
        the sampler compiled for one search serves any other (of any size, threshold or
        scores) whose distinct tail scores pad to the same ``size``, with the same
        direction, bound, resolution and settings.
        """
        size = padded_size(self.n_distinct) if size is None else size
        values, run_index = distinct_layout(self.tail, self.index_tail, self.n, size)
        counts = np.bincount(run_index, minlength=values.size + 1)[:values.size]
        return {"values": values, "counts": counts.astype(np.float64),
                "n_below": np.float64(self.n_below), "consts": self.consts}

    @property
    def program_static(self) -> tuple:
        """What a compiled sampler of :func:`tail_model` depends on besides its arguments
        (:meth:`sampler_arrays`): the direction, whether beta is bounded, whether the
        scores have a resolution and whether alpha has a floor (see
        :func:`bayesnq.inference.nuts.run_nuts`)."""
        return (bool(self.minimize), self.upper_bound is not None, self.resolution is not None,
                self.lower_bound is not None)

    def floor_and_resolution(self, consts):
        """The gap above the floor and the resolution, read from ``consts`` (:meth:`consts`,
        traced or not): each None where these data have none, so that a model's program
        holds only the terms the data need."""
        gap = None if self.lower_bound is None else consts[3]
        resolution = None if self.resolution is None else consts[4]
        return gap, resolution

    @property
    def consts(self) -> np.ndarray:
        """The threshold, the scale d, the room below the bound (1 without one), the gap
        above the floor (1 without one), the resolution.

        The resolution is appended only when there is one.
        """
        room = self.upper_bound - self.threshold if self.upper_bound is not None else 1.0
        gap = self.floor_gap or 1.0
        extra = [] if self.resolution is None else [self.resolution]
        return np.array([self.threshold, self.scale, room, gap, *extra])

    @property
    def n_distinct(self) -> int:
        """Number of distinct scores in the tail."""
        return int(np.unique(self.tail).size)

    def observed(self) -> np.ndarray:
        """Each run's score in the user's units, censored runs at the threshold."""
        y = np.empty(self.n)
        y[self.index_tail] = self.tail
        y[self.index_below] = self.threshold
        return direction.to_user(y, self.minimize)


def padded_size(k: int) -> int:
    """The length the sampler pads ``k`` distinct tail scores to: ``k`` rounded up to a
    multiple of an eighth of the power of two below it (at most 12.5% more points),
    so that searches of nearby sizes share one compiled sampler."""
    k = int(k)
    step = 1 << max(0, k.bit_length() - 4)
    return -(-k // step) * step


def _loglik(arrays, threshold, beta, gamma, sigma, q, resolution, gap):
    """alpha and the search's log-likelihood (maximize orientation)."""
    alpha = derive_alpha(beta, gamma, q, threshold, gap)
    d = NoisyQuadratic(alpha, beta, gamma, sigma)
    ll = counted_loglik(d, arrays["values"], arrays["counts"], arrays["n_below"], threshold,
                        resolution)
    return alpha, ll


def tail_model(data: TailData, priors: Priors = Priors(), gamma_max=None, gamma_mode="continuous",
               arrays=None):
    """NumPyro model of the censored tail; posterior sites in the paper's meaning.

    Deterministic sites ``alpha``, ``beta``, ``gamma``, ``sigma`` are reported in the
    user's orientation (for the minimize form, ``alpha`` is the best expected score). The
    tail mass :math:`P(Y \\text{ beyond } \\tau)` is not a site: it is computed after
    sampling (:func:`bayesnq.inference.posterior.tail_mass_draws`), which keeps a
    quadrature out of the sampler's compiled program. The model computes
    with ``arrays`` (default ``data.sampler_arrays()``, see :meth:`TailData.sampler_arrays`);
    of ``data`` it uses only the direction, whether :math:`\\beta` is bounded and whether
    the scores have a resolution.
    With ``gamma_mode="integer"``, :math:`\\gamma \\in \\{1..\\gamma_{max}\\}` is summed
    out exactly and ``gamma_logp`` records :math:`\\log P(\\gamma = k \\mid \\theta, y)`.
    """
    arrays = data.sampler_arrays() if arrays is None else arrays
    bounded = data.upper_bound is not None
    consts = jnp.asarray(arrays["consts"])
    gap, resolution = data.floor_and_resolution(consts)
    threshold, beta, sigma, q = sample_tail_parameters(consts, bounded, priors)
    if gamma_mode == "integer":
        ks = jnp.arange(1, int(gamma_max) + 1, dtype=float)
        log_prior_k = -jnp.log(float(gamma_max))
        alpha_k, ll_k = jax.vmap(
            lambda g: _loglik(arrays, threshold, beta, g, sigma, q, resolution, gap))(ks)
        joint = ll_k + log_prior_k
        numpyro.factor("gamma_marginal", jax.nn.logsumexp(joint))
        numpyro.deterministic("gamma_logp", joint - jax.nn.logsumexp(joint))
        # gamma and the per-run log-likelihood are filled in after sampling
        gamma = jnp.sum(jnp.exp(joint - jax.nn.logsumexp(joint)) * ks)
        alpha = jnp.sum(jnp.exp(joint - jax.nn.logsumexp(joint)) * alpha_k)
        record_parameters(data.minimize, alpha, beta, gamma, sigma)
        return
    gamma = sample_gamma(priors, gamma_max)
    alpha, ll = _loglik(arrays, threshold, beta, gamma, sigma, q, resolution, gap)
    numpyro.factor("y", ll)
    record_parameters(data.minimize, alpha, beta, gamma, sigma)


def record_parameters(minimize, alpha, beta, gamma, sigma):
    """Deterministic sites alpha, beta, gamma, sigma (user units).

    The tail mass is left to the draws (:func:`bayesnq.inference.posterior.tail_mass_draws`):
    as a site it put a quadrature of its own into the sampler's program, which NumPyro
    evaluates for every draw, and cost 2.2 s of its 10.8 s compilation (DeBERTaV3).
    """
    alpha, beta = direction.user_ends(alpha, beta, minimize)
    numpyro.deterministic("alpha", alpha)
    numpyro.deterministic("beta", beta)
    numpyro.deterministic("gamma", gamma)
    numpyro.deterministic("sigma", sigma)
