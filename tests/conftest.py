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
