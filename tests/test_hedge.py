"""The inferred threshold's posterior in words, and the hedge toward fewer runs
(bayesnq.inference.hedge); the fits that use it are in test_thresholds.py (slow tier)."""

import numpy as np
import pytest
from scipy.special import logsumexp

import bayesnq
from bayesnq.inference.hedge import (candidate_log_probabilities, hedge_prior,
                                     threshold_kind)


@pytest.mark.parametrize("p, kind", [
    ([0.05, 0.9, 0.05], "decided"),
    ([0.0, 0.5, 0.5], "decided"),  # neighbours share the mass: still one place
    ([0.3, 0.3, 0.4], "flat"),
    ([0.6, 0.1, 0.3], "multimodal"),  # a second mode two candidates away
    ([0.6, 0.3, 0.1], "decided"),
])
def test_threshold_kind(p, kind):
    assert threshold_kind(p) == kind


def test_candidate_probabilities_average_the_conditionals_in_log_space():
    rng = np.random.default_rng(0)
    lp = rng.normal(size=(2, 50, 4))
    lp -= logsumexp(lp, axis=-1, keepdims=True)
    lp[..., 3] -= 800.0  # a candidate whose probability underflows exp()
    out = candidate_log_probabilities({"tau_logp": lp})
    flat = lp.reshape(-1, 4)
    np.testing.assert_allclose(np.exp(out[:3]), np.exp(flat[:, :3]).mean(0), rtol=1e-12)
    assert np.isfinite(out[3]) and -900 < out[3] < -790
    # integer gamma: the joint over (gamma, tau) summed over gamma first
    joint = np.stack([lp - np.log(2.0), lp - np.log(2.0)], axis=-2)  # (2, 50, 2, 4)
    np.testing.assert_allclose(candidate_log_probabilities({"gamma_tau_logp": joint}), out,
                               rtol=1e-12)


def test_hedge_prior_moves_weight_to_the_safer_neighbour():
    log_p = np.log([0.001, 0.95, 0.049 - 1e-12, 1e-12])
    h = hedge_prior(log_p)
    assert (h["from"], h["to"]) == (1, 2)
    assert h["log_weight"] == pytest.approx(np.log(0.95 / 0.049), rel=1e-6)
    post = log_p + h["log_prior"]  # the posterior's candidate weights under the new prior
    assert post[2] == pytest.approx(post[1])
    assert np.all(h["log_prior"][[0, 1, 3]] == 0.0)
    # nothing to hedge: P(tau) not decided, or decided on the candidate with fewest runs
    assert hedge_prior(np.log([0.3, 0.3, 0.4])) is None
    assert hedge_prior(np.log([0.6, 0.1, 0.3])) is None
    assert hedge_prior(np.log([0.01, 0.01, 0.98])) is None


def test_threshold_hedge_argument_is_checked_before_sampling():
    y = np.linspace(0.0, 1.0, 60)
    with pytest.raises(ValueError, match="threshold_hedge must be"):
        bayesnq.fit(y, threshold="auto", threshold_hedge="yes", progress_bar=False)
