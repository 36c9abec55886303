"""A second margin ``delta`` reuses the expected gain of the first (it does not depend on
``delta``): the same answers as computed afresh, without solving the gain again."""

import importlib

import numpy as np
import pytest

from bayesnq import curves
from test_answers import stub_fit, synthetic_draws

# the module (the package re-exports a function of the same name)
more_runs_module = importlib.import_module("bayesnq.curves.more_runs")


def test_given_gains_give_the_same_answers_as_computed_ones():
    d = synthetic_draws(64, seed=3)
    first = curves.more_runs(d, 0.79, minimize=False, m=50, delta=0.0)
    fresh = curves.more_runs(d, 0.79, minimize=False, m=50, delta=0.002)
    reused = curves.more_runs(d, 0.79, minimize=False, m=50, delta=0.002,
                              gain_draws=first.gain_draws)
    assert reused.to_dict() == fresh.to_dict()
    np.testing.assert_array_equal(reused.gain_draws, fresh.gain_draws)
    assert fresh.probability < first.probability  # the margin changes what is reused around


def test_gains_of_the_wrong_shape_are_refused():
    d = synthetic_draws(64, seed=3)
    with pytest.raises(ValueError, match=r"gain_draws must hold one gain per draw used \(64\)"):
        curves.more_runs(d, 0.79, minimize=False, m=50, gain_draws=np.zeros(10))


@pytest.mark.parametrize("minimize", [False, True])
def test_fit_solves_the_gain_once_per_m(monkeypatch, minimize):
    fit = stub_fit(minimize=minimize, chains=2, draws=32)
    calls = []
    solve = more_runs_module.gain_per_draw
    monkeypatch.setattr(more_runs_module, "gain_per_draw",
                        lambda *a, **k: calls.append(a[2]) or solve(*a, **k))
    a = fit.more_runs(m=20, delta=0.0)
    b = fit.more_runs(m=20, delta=0.001)
    c = fit.more_runs(m=40, delta=0.001)
    assert calls == [20, 40]
    np.testing.assert_array_equal(a.gain_draws, b.gain_draws)
    assert a.probability > b.probability and c.gain > b.gain
