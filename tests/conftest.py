"""Test-wide settings."""

import os

# The command line keeps JAX's compiled programs on disk (see bayesnq.cli); tests stay
# hermetic and write nothing to the user's cache folder.
os.environ.setdefault("BAYESNQ_CACHE_DIR", "off")
