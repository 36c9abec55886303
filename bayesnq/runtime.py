"""Process-wide settings, in one place and only when asked for.

Importing bayesnq changes nothing in the process but what its numerics need: the modules
that compute with JAX turn on float64 (``numpyro.enable_x64()``) when they are first
imported, because the log-space tails of the noisy quadratic need it. Everything else
that touches the whole process is done by :func:`configure`, which the command line
calls and a notebook may call once at the top:

- **host devices**: JAX sees one CPU device unless told otherwise before it starts; NUTS
  runs its chains in parallel only with a device per chain (2.2x faster with 4 chains on
  2 cores than one chain after another). ``configure`` asks for
  ``max(4, min(16, cores))`` devices through ``XLA_FLAGS`` (inherited by subprocesses
  started afterwards). It takes effect only if JAX has not started yet.
- **compilation cache**: JAX can keep compiled programs on disk, so that a repeated fit
  of the same shapes skips compiling (about 5 s per fit). ``configure`` points
  ``jax_compilation_cache_dir`` at ``$BAYESNQ_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/bayesnq/jax`` (default ``~/.cache/bayesnq/jax``);
  ``BAYESNQ_CACHE_DIR=off`` or ``compilation_cache=None`` leaves it off.

:func:`release_compiled_programs` is the guard that every NUTS fit calls before it
compiles (:func:`bayesnq.inference.nuts.run_nuts`), so that long loops of fits (calibration
studies, many searches in a notebook) go on: JAX keeps every compiled sampler while
the process lives, each holding about 2,000 memory maps, and about 30 fits reach Linux's
default limit of 65,530 maps, after which XLA crashes.
"""

from __future__ import annotations

import os
import warnings

__all__ = ["configure", "release_compiled_programs", "default_cache_dir", "DEFAULT_DEVICES"]

DEFAULT_DEVICES = max(4, min(16, os.cpu_count() or 1))
_OFF = ("off", "0", "none", "")


def default_cache_dir() -> str | None:
    """``$BAYESNQ_CACHE_DIR`` (None if it says off), else the user's cache folder."""
    folder = os.environ.get("BAYESNQ_CACHE_DIR")
    if folder is not None:
        return None if folder.strip().lower() in _OFF else folder
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "bayesnq", "jax")


def configure(*, host_devices="auto", compilation_cache="auto") -> dict:
    """Set JAX's host devices and compilation cache for this process.

    Parameters
    ----------
    host_devices : int, "auto" or None
        CPU devices for JAX (one per parallel NUTS chain). ``"auto"``:
        ``max(4, min(16, cores))``, unless ``XLA_FLAGS`` already sets a count; None:
        leave as is. Effective only before JAX starts its backend (the first
        computation); later a warning says so.
    compilation_cache : str, "auto" or None
        Folder for JAX's persistent compilation cache. ``"auto"``:
        :func:`default_cache_dir`; None: leave the cache as it is.

    Returns
    -------
    dict
        ``host_devices`` (the count JAX will use, or None if not set here) and
        ``compilation_cache`` (the folder in use, or None).
    """
    from bayesnq.validation import check_int, fail

    applied = {"host_devices": None, "compilation_cache": None}
    if host_devices is not None:
        flags = os.environ.get("XLA_FLAGS", "")
        if host_devices == "auto":
            count = None if "xla_force_host_platform_device_count" in flags else DEFAULT_DEVICES
        else:
            count = check_int("host_devices", host_devices, minimum=1)
        if count is not None:
            import numpyro

            numpyro.set_host_device_count(count)
            applied["host_devices"] = count
            if _backend_started():
                import jax

                if jax.local_device_count() != count:
                    warnings.warn(
                        f"configure(host_devices={count}) came after JAX started with "
                        f"{jax.local_device_count()} device(s); call bayesnq.configure() "
                        "before any computation for parallel chains", stacklevel=2)
    if compilation_cache is not None:
        if compilation_cache == "auto":
            folder = default_cache_dir()
        elif isinstance(compilation_cache, str | os.PathLike):
            folder = os.fspath(compilation_cache)
        else:
            raise fail("compilation_cache", "a folder, 'auto' or None", compilation_cache)
        if folder is not None:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError:
                folder = None  # a read-only home: run without the cache
        if folder is not None:
            import jax

            jax.config.update("jax_compilation_cache_dir", folder)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
            applied["compilation_cache"] = folder
    return applied


def _backend_started() -> bool:
    """Whether JAX has created its backends (after which device counts are fixed)."""
    import sys

    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge
    except ImportError:  # pragma: no cover - JAX moved it: assume started
        return True
    return bool(getattr(xla_bridge, "_backends", {}))


def release_compiled_programs(fraction: float = 0.6, limit: int | None = None) -> bool:
    """Drop JAX's compiled programs when the process nears the kernel's memory-map limit.

    Above ``fraction`` of ``vm.max_map_count`` (default read from ``/proc``), calls
    :func:`jax.clear_caches`; later calls compile again (or load from the compilation
    cache). Returns whether it did. Does nothing where ``/proc`` is missing.
    """
    try:
        if limit is None:
            with open("/proc/sys/vm/max_map_count") as fh:
                limit = int(fh.read())
        with open("/proc/self/maps", "rb") as fh:
            used = sum(1 for _ in fh)
    except (OSError, ValueError):
        return False
    if used > fraction * limit:
        import jax

        jax.clear_caches()
        return True
    return False
