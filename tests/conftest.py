"""Test-wide settings."""

import os

import jax
import pytest

# The command line keeps JAX's compiled programs on disk (see bayesnq.cli); tests stay
# hermetic and write nothing to the user's cache folder.
os.environ.setdefault("BAYESNQ_CACHE_DIR", "off")


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
