"""Test-wide settings."""

import atexit
import os
import shutil
import tempfile

# Compiled programs are kept on disk for the length of the test session only, in a
# temporary folder (never the user's cache): fits of the same shapes in later tests, in
# the notebooks' kernels and in the command-line subprocesses then skip compilation.
if "BAYESNQ_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="bayesnq-test-jax-cache-")
    os.environ["BAYESNQ_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
