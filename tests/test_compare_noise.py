"""docs/compare.md, "Why P_n need not tend to p_better at large n": the noise lifts the
best of many runs, so at large budgets the search with the larger sigma wins even when
every draw puts its beta below the other's.

Slow tier: bayesnq.compare compiles its kernels (over a minute on the 2-core machine).
The numbers in the docs come from the same setup with these settings.
"""

import numpy as np
import pytest

from bayesnq.curves.versus import compare


class Draws:
    """A stand-in for a fit: ``draws()`` and ``minimize``."""

    def __init__(self, d):
        self._d, self.minimize = d, False

    def draws(self):
        return self._d


def tight(beta, sigma, size=400, seed=0):
    """A tight synthetic posterior: beta sd 0.0002, alpha = beta - 0.5, gamma 2 (sd 0.05),
    sigma log-normal with sd 5%."""
    rng = np.random.default_rng(seed)
    b = beta + 0.0002 * rng.standard_normal(size)
    return Draws({"alpha": b - 0.5, "beta": b,
                  "gamma": 2.0 + 0.05 * rng.standard_normal(size),
                  "sigma": sigma * np.exp(0.05 * rng.standard_normal(size))})


def best_of(rng, n, beta, sigma, reps):
    """Best of n draws of Y = beta - 0.5 R + sigma Z, R ~ Beta(1, 1) (gamma = 2), reps times."""
    y = beta - 0.5 * rng.random((reps, n)) + sigma * rng.standard_normal((reps, n))
    return y.max(axis=1)


@pytest.mark.slow
def test_larger_sigma_wins_at_large_budgets_despite_lower_beta():
    a, b = tight(0.900, 0.002, seed=1), tight(0.899, 0.006, seed=2)
    ns = [1, 3, 10, 30, 100, 300, 1000, 10000, 100000]
    r = compare(a, b, ns=ns, names=("A", "B"), max_draws=400)
    assert r.p_better == 1.0  # every draw: beta_A > beta_B
    p = r.p_beats
    assert np.all(np.abs(p[:3] - 0.5) < 0.05), p  # the quadratic spread dominates
    assert p[-1] < 1e-3 and np.all(np.diff(p[3:]) < 0), p  # then sigma decides
    assert r.leader == "B" and r.settled_at is not None
    # B's median best of 1000 runs lies above beta_A
    assert np.median(r.curve_b[:, ns.index(1000)]) > 0.9005
    # a direct simulation at the central parameters agrees with the quadrature
    rng = np.random.default_rng(0)
    for i, n in enumerate(ns[:7]):
        reps = 4000
        sim = np.mean(best_of(rng, n, 0.900, 0.002, reps) > best_of(rng, n, 0.899, 0.006, reps))
        assert abs(sim - p[i]) < 4 * np.sqrt(0.25 / reps) + 0.01, (n, sim, p[i])
