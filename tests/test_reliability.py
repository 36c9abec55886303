"""No silent wrong answer: bad arguments fail at once, with the argument and the value.

Each case here was found by trying a user's mistake (issue 24); each failed before its fix.
"""

import warnings

import numpy as np
import pytest

import bayesnq

Y = np.linspace(0.5, 0.95, 100)  # accuracies: higher is better


@pytest.mark.parametrize("kwargs, message", [
    # 11 scores above the stated bound: fitted before, beta pinned at 0.8999999999
    (dict(bounds=(0, 0.9)), r"bounds: 11 scores lie outside \(0.0, 0.9\)"),
    # taken as True before
    (dict(minimize="yes"), "minimize must be True or False, got minimize='yes'"),
    # accepted before
    (dict(n_hyperparameters=2.5), r"n_hyperparameters must be an integer >= 1, got "
                                  r"n_hyperparameters=2.5"),
    # unpacking errors before
    (dict(bounds=(1, 0)), r"bounds must be a pair \(low, high\) with low < high"),
    (dict(bounds=(0, 1, 2)), r"bounds must be a pair \(low, high\) of numbers or None"),
    (dict(gamma="int"), "gamma must be one of 'continuous', 'integer', got gamma='int'"),
    (dict(num_chains=0), "num_chains must be an integer >= 1, got num_chains=0"),
    (dict(target_accept_prob=1.5), r"target_accept_prob must be a number in \(0, 1\)"),
])
def test_fit_refuses_bad_arguments_before_sampling(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bayesnq.fit(Y, threshold=0.8, progress_bar=False, **kwargs)


def test_infinitely_good_score_is_named_up_front():
    """+inf ran NUTS to the end, then failed with 'got invalid alpha parameter'."""
    y = Y.copy()
    y[5] = np.inf
    with pytest.raises(ValueError, match=r"scores\[5\]=inf"):
        bayesnq.fit(y, threshold=0.8, progress_bar=False)
    with pytest.raises(ValueError, match=r"scores\[5\]=inf"):
        bayesnq.compare_thresholds(y, [0.7, 0.8], progress=False)
    # an infinitely bad score (a failed run's worst score) is censored like the others
    y[5] = -np.inf
    bayesnq.modeling.TailData.build(y, 0.8, minimize=False)


@pytest.mark.slow
def test_wrong_direction_warns_with_what_to_try():
    """minimize=True on accuracies fitted with only a generic warning (LOO-PIT p 9e-42)."""
    scores = bayesnq.datasets.load("deberta-v3")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = bayesnq.fit(scores.values, minimize=True, threshold=0.88, num_chains=2,
                        num_warmup=200, num_samples=200, progress_bar=False)
    texts = [str(w.message) for w in caught if issubclass(w.category, bayesnq.DiagnosticsWarning)]
    assert any("does not fit" in t and "minimize=False" in t for t in texts), texts
    assert f.loo_pit()["ks_p_value"] < 1e-6
