"""Every NUTS fit checks the memory-map limit before it compiles, so that a loop of fits in
one process (many searches in a notebook, a calibration study) does not die inside LLVM
("Cannot allocate memory": two threshold-study processes did after 15 searches each)."""

import importlib
import warnings

import numpy as np
import pytest

import bayesnq

nuts = importlib.import_module("bayesnq.inference.nuts")


# two small fits with their post-processing: ~35 CPU-s, so in the slow tier; the guard itself
# is checked fast (tests/test_inference.py::test_compiled_programs_dropped_near_the_memory_map_limit)
@pytest.mark.slow
def test_each_fit_runs_the_guard_before_sampling(monkeypatch):
    order = []
    guard, run = nuts.release_compiled_programs, nuts.MCMC.run
    monkeypatch.setattr(nuts, "release_compiled_programs",
                        lambda *a, **k: order.append("guard") or guard(*a, **k))
    monkeypatch.setattr(nuts.MCMC, "run", lambda *a, **k: order.append("run") or run(*a, **k))
    y = 0.9 - 0.3 * np.random.default_rng(0).random(40) ** (2 / 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in (0, 1):
            bayesnq.fit(y, threshold=float(np.quantile(y, 0.5)), num_chains=1, num_warmup=5,
                        num_samples=5, seed=seed, progress_bar=False, check=False)
    assert order == ["guard", "run", "guard", "run"]
