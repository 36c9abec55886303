"""Test-wide settings."""

import atexit
import os
import shutil
import tempfile

import jax
import pytest

# fit() keeps JAX's compiled programs on disk (see bayesnq.inference); the tests use a
# folder of their own, new for each run and removed after it, so that they stay hermetic
# and still share compiled samplers between fits of the same shapes (notebook kernels
# inherit it). Each pytest-xdist worker makes its own (a worker inherits the folder of the
# process that started it, and the same-shapes test counts the files its fits add).
_OURS = "BAYESNQ_TEST_CACHE_DIR"
if ("BAYESNQ_CACHE_DIR" not in os.environ
        or os.environ["BAYESNQ_CACHE_DIR"] == os.environ.get(_OURS)):
    _CACHE = tempfile.mkdtemp(prefix="bayesnq-test-cache-")
    os.environ["BAYESNQ_CACHE_DIR"] = os.environ[_OURS] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

import bayesnq  # noqa: E402

# what the command line sets up: 4+ host devices (parallel chains) and the cache above
bayesnq.configure(host_devices="auto", compilation_cache=os.environ["BAYESNQ_CACHE_DIR"])


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop JAX's compiled programs after each test module.

    A full run compiles thousands of XLA programs in one process; kept to the end, they
    crashed XLA:CPU's compiler late in the run (a segfault or an abort while compiling,
    three times in test_thresholds after ~450 tests). Programs are rarely shared between
    modules, so little is compiled twice.
    """
    yield
    jax.clear_caches()


# ----------------------------------------------------------------------------- load balance
#
# pytest-xdist (`--dist loadfile`) hands whole files to the 2 workers as they free up, by
# default the files with the most tests first, which put the heavy files of few tests
# (test_large_search, test_persist, test_regression: a compiled sampler each) last: the
# run then ended with one worker idle while the other compiled. Heaviest first instead
# (longest-processing-time order): the last files handed out are the cheap ones. The
# costs are the seconds of each file's tests in the fast tier (`-n 2`, the junit report of
# 2026-12-07, 12:47 UTC, 2-core machine; files under 2 s left out); only their order
# matters. A file not listed counts as _UNKNOWN_COST.
_FILE_COST = {
    "test_distribution_properties.py": 205,
    "test_thresholds.py": 101,
    "test_distribution_tables.py": 97,
    "test_large_search.py": 96,
    "test_answers.py": 91,
    "test_distribution_contract.py": 86,
    "test_distribution_accuracy.py": 65,
    "test_inference.py": 53,
    "test_resolution.py": 36,
    "test_persist.py": 36,
    "test_curves.py": 35,
    "test_recompile.py": 31,
    "test_regression.py": 29,
    "test_calibration.py": 19,
    "test_cli.py": 16,
    "test_regime.py": 15,
    "test_plots.py": 14,
    "test_threshold_study.py": 13,
    "test_gain_reuse.py": 11,
    "test_sources.py": 10,
    "test_landscape.py": 10,
    "test_calibration_files.py": 5,
    "test_report.py": 4,
    "test_plot_labels.py": 4,
}
_UNKNOWN_COST = 10


# The fast tier spends most of its CPU time in XLA compiling small programs that then run
# for milliseconds, so it compiles with LLVM's cheap settings: the same HLO programs (XLA's
# own passes unchanged, no fast-math), less machine-code optimization. Measured on the
# 2-core machine on 2026-12-06: the fast tier took 5 min 43 s (10.5 CPU-min) against
# 7 min 04 s (13.3 CPU-min) with the defaults, all tests passing both ways. The long studies
# (`-m slow`) run long samplers, where optimized code pays, and keep JAX's defaults; so do
# users. BAYESNQ_TEST_XLA_DEFAULTS=1 keeps the defaults in the fast tier too.
_CHEAP_COMPILE = ("--xla_backend_optimization_level=0",
                  "--xla_llvm_disable_expensive_passes=true")


def _compile_cheaply(config):
    if config.option.markexpr != "not slow" or os.environ.get("BAYESNQ_TEST_XLA_DEFAULTS"):
        return
    flags = os.environ.get("XLA_FLAGS", "").split()
    keys = {f.split("=")[0] for f in flags}
    flags += [f for f in _CHEAP_COMPILE if f.split("=")[0] not in keys]
    os.environ["XLA_FLAGS"] = " ".join(flags)  # read when JAX's CPU backend starts


def pytest_configure(config):
    _compile_cheaply(config)
    # keep the order set below (xdist would reorder the files by their number of tests)
    if getattr(config.option, "loadscopereorder", None) is not None:
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """Files heaviest first (a stable sort: each file's tests stay together, in order)."""
    items.sort(key=lambda item: -_FILE_COST.get(item.path.name, _UNKNOWN_COST))
