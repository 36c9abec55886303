"""The layered redesign moved code, not results.

``tests/data/regression_8df950c.npz`` holds draws made by the code before the redesign
(commit 8df950c, the flat layout, on this project's 2-core CI machine kind) for small fits of one
simulated search: a fixed threshold (maximize and minimize), an inferred threshold over
three candidates, and the vectorized calibration engine. The fits here run the same
settings on the new layout.

Until commit 22d82da the fits gave the old draws bit for bit (this test asserted equality
and passed at 55b8b00 and 3034f68, 2026-12-05). 22d82da normalizes log_cdf and log_sf by
their computed sum (issue 24: a monotone cdf with cdf + sf = 1), which moves log F(tau) by
about 1e-12; NUTS trajectories amplify that, so the draws now differ, and the tests check
that the posterior is the old one: the 10%, 50% and 90% quantiles of every parameter within
0.35 posterior sds of the old ones (independent chains of 200 draws differ by about 0.15).

The vectorized engine is compared with ``bayesnq.fit`` instead, since the q prior changed
(below). The inferred-threshold fit is no longer compared: issue 20 changed the threshold model on
purpose (the body below each candidate, 6c8b13b to ddd8a19, 2026-12-05), so its old draws
are not its posterior any more. Run on 2026-12-06 at 2a60894 (before that day's changes)
and after them, seeds 5-9 alike put P(tau = 0.5) at 0.17-0.36 against the old 0.71, and
the test failed at both. The spliced model's own tests are in ``tests/test_thresholds.py``.
"""

from pathlib import Path

import jax
import numpy as np
import pytest

import bayesnq
from bayesnq import calibration

OLD = np.load(Path(__file__).parent / "data" / "regression_8df950c.npz")
KW = dict(num_chains=2, num_warmup=100, num_samples=100, seed=5, progress_bar=False,
          check=False)


def same_posterior(new, old, name, width=0.35):
    new, old = np.asarray(new).reshape(-1), np.asarray(old).reshape(-1)
    sd = old.std()
    for q in (0.1, 0.5, 0.9):
        gap = abs(np.quantile(new, q) - np.quantile(old, q))
        assert gap <= width * sd + 1e-12, (name, q, gap, sd)


def test_fixed_threshold_fit_gives_the_old_posterior():
    """Fast tier: the maximize fit. The minimize fit is a second NUTS program of its own
    (the direction is a constant of the model), so it and the mirror check are in the
    slow test below."""
    f = bayesnq.fit(OLD["y"], threshold=0.6, **KW)
    for k in ("beta", "gamma", "sigma", "tail_mass"):
        same_posterior(f.idata.posterior[k], OLD["fixed_" + k], k)


@pytest.mark.slow  # a second compiled sampler (the minimize form)
def test_fixed_threshold_fit_gives_the_old_posterior_both_directions():
    y = OLD["y"]
    f = bayesnq.fit(y, threshold=0.6, **KW)
    for k in ("beta", "gamma", "sigma", "tail_mass"):
        same_posterior(f.idata.posterior[k], OLD["fixed_" + k], k)
    fm = bayesnq.fit(-y, threshold=-0.6, minimize=True, **KW)
    same_posterior(fm.idata.posterior["alpha"], OLD["min_alpha"], "min alpha")
    # the minimize form is the mirror image of the maximize form, draw for draw
    np.testing.assert_allclose(np.asarray(fm.idata.posterior["alpha"]),
                               -np.asarray(f.idata.posterior["beta"]), rtol=1e-9)


@pytest.mark.slow
def test_vectorized_engine_gives_the_posterior_of_fit():
    """The calibration engine samples the tail model's posterior: on the same search, its
    quantiles are those of ``bayesnq.fit`` (4 x 1,000 draws) within 0.35 posterior sds.

    Until 2026-12-07 this compared the engine with its draws of 8df950c. The tail model's
    prior on q then changed on purpose (Beta(1, 1) to Beta(1, 2), docs/thresholds.md), and
    replicate 1's 10% quantile of gamma moved 0.55 sds from the old draws (the old
    posterior is no longer the model's). ``fit`` samples the same model: the engine's
    log density is ``tail_model``'s (tests/test_calibration.py), and this checks its
    sampler on top."""
    y = OLD["y"]
    draws, _ = calibration.run_vectorized(
        np.stack([y, y[::-1]]), threshold=0.6, num_chains=2, num_warmup=300, num_samples=300,
        keys=jax.random.split(jax.random.PRNGKey(1), 2), devices=1)
    ref = bayesnq.fit(y, threshold=0.6, num_chains=4, num_warmup=1000, num_samples=1000,
                      seed=5, progress_bar=False, check=False)
    for k in ("beta", "gamma", "sigma"):
        for r in range(2):
            same_posterior(draws[k][r], ref.idata.posterior[k], f"{k}[{r}]")
