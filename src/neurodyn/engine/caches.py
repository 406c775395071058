"""Compiled programs kept in memory, and how to release them.

Every program XLA compiles for the CPU (a ``jax.jit`` of a simulation, and every eager JAX
operation on a new shape) holds its machine code in memory mappings of its own, a few to a few
dozen per program, for as long as JAX's caches or neurodyn's keep the program. Linux limits the
mappings of one process (``vm.max_map_count``, 65,530 by default). A long-lived process that
compiles many different programs (many models, shapes or batch sizes; a test suite in one
process) reaches that limit, and the next compile or cache load fails inside native code, which
Python cannot turn into an exception. The symptoms are

* ``LLVM ERROR: Unable to allocate section memory!`` (after ``LLVM compilation error: Cannot
  allocate memory``) and ``Fatal Python error: Aborted`` inside ``backend_compile_and_load``;
* ``Fatal Python error: Segmentation fault`` inside JAX's persistent-cache read
  (``compilation_cache.get_executable_and_time``).

Both were seen in neurodyn's test suite (two pytest-xdist workers of about 400 tests each) and
both were reproduced by filling a process's mappings up to the limit (2026-11-28).
:func:`clear_caches` releases the compiled programs (the next call of each compiles again);
raising the limit (``sysctl vm.max_map_count=262144``, as root) is the other remedy.

Modules that keep compiled programs of their own register the function that empties their cache
with :func:`register`, so that :func:`clear_caches` reaches them all.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

_CLEARERS: list[Callable[[], None]] = []


def register(clear: Callable[[], None]) -> Callable[[], None]:
    """Register ``clear`` (no arguments) to be called by :func:`clear_caches`; returns it."""
    _CLEARERS.append(clear)
    return clear


def clear_caches() -> None:
    """Release every compiled program this process holds: JAX's compilation caches
    (``jax.clear_caches``) and neurodyn's own (compiled kernels, cell simulators, stored network
    kernels). Results already computed are untouched; the next run of each model compiles again
    (or loads from the persistent cache, :data:`neurodyn.engine.CACHE_DIR`). Call it between
    unrelated batches of work in a long-lived process (see the module docstring for why)."""
    import jax

    for clear in _CLEARERS:
        clear()
    jax.clear_caches()
    gc.collect()


def memory_maps() -> int | None:
    """The number of memory mappings of this process (Linux: lines of ``/proc/self/maps``);
    ``None`` where that file does not exist."""
    try:
        with open("/proc/self/maps", "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return None


def max_memory_maps() -> int | None:
    """The kernel's limit on a process's memory mappings (``/proc/sys/vm/max_map_count``);
    ``None`` where it cannot be read."""
    try:
        with open("/proc/sys/vm/max_map_count") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None
