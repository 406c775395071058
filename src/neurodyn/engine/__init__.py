"""The simulation engine: integrators, compiled chunk kernels, ``simulate`` and ``Result``."""

import jax as _jax

# float64 by default (float32 HH rate functions hit 0/0 and lose spikes); float32 is an option
# of ``simulate``.
_jax.config.update("jax_enable_x64", True)


def _persistent_cache() -> str | None:
    """Keep compiled kernels on disk between processes (JAX's persistent compilation cache), so
    that a second run of the same model skips most of XLA's compile time. Directory:
    ``$NEURODYN_CACHE_DIR``, else ``$XDG_CACHE_HOME/neurodyn/jax`` (``~/.cache/neurodyn/jax``);
    ``NEURODYN_CACHE_DIR=off`` disables it; a ``JAX_COMPILATION_CACHE_DIR`` set by the user wins.
    A segmentation fault inside this cache's read (``compilation_cache.get_executable_and_time``)
    means the process ran out of memory mappings, not a damaged cache: see
    :mod:`neurodyn.engine.caches` and :func:`clear_caches`."""
    import os

    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return os.environ["JAX_COMPILATION_CACHE_DIR"]
    path = os.environ.get("NEURODYN_CACHE_DIR")
    if path is not None and path.strip().lower() in ("", "0", "off", "none", "false"):
        return None
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "neurodyn", "jax")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    _jax.config.update("jax_compilation_cache_dir", path)
    _jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)
    return path


CACHE_DIR = _persistent_cache()

from .caches import clear_caches as clear_caches  # noqa: E402
from .integrators import FIXED_STEP as FIXED_STEP  # noqa: E402
from .kernel import trace_counts as trace_counts  # noqa: E402
from .result import Result as Result  # noqa: E402
from .result import Spikes as Spikes  # noqa: E402
from .result import Status as Status  # noqa: E402
from .simulate import simulate as simulate  # noqa: E402
