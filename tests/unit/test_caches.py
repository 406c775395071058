"""Releasing compiled programs (neurodyn.engine.caches): every compiled XLA program holds memory
mappings, and a process that keeps thousands of them reaches Linux's vm.max_map_count and dies in
native code (the test suite's workers did)."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.cable.examples import branched_cell
from neurodyn.cable.simulate import _JIT_CACHE, simulate_cell
from neurodyn.engine import caches, clear_caches

HH = nd.models.HodgkinHuxley()
STEP = nd.stimuli.Step(amplitude=10.0, start=5.0, stop=25.0)


def _runs() -> list[np.ndarray]:
    """HH at six batch sizes (six compiled kernels) and one cell simulator."""
    out = [nd.simulate(HH, 30.0, 0.025, stimulus=STEP,
                       batch={"stimulus.amplitude": np.linspace(0.0, 12.0, n)}).trace("v")
           for n in range(2, 8)]
    out.append(simulate_cell(branched_cell(), 20.0, 0.025).trace("soma(0.5)"))
    return out


def test_clear_caches_releases_the_mappings_of_compiled_programs_and_runs_stay_equal():
    if caches.memory_maps() is None:
        pytest.skip("/proc/self/maps is not available on this system")
    clear_caches()
    m0 = caches.memory_maps()
    first = _runs()
    m1 = caches.memory_maps()
    assert _JIT_CACHE  # the cell simulator is kept between calls
    clear_caches()
    m2 = caches.memory_maps()
    assert not _JIT_CACHE
    print(f"mappings: {m0} before, {m1} with 7 programs compiled, {m2} after clear_caches")
    assert m1 - m0 >= 7  # each program holds at least one mapping
    assert m2 - m0 <= 0.2 * (m1 - m0)  # and clear_caches gives (nearly) all of them back
    again = _runs()  # compiled anew: the same numbers
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_registered_caches_are_emptied():
    kept = {"x": 1}
    caches.register(kept.clear)
    try:
        clear_caches()
        assert kept == {}
    finally:
        caches._CLEARERS.remove(kept.clear)


def test_mapping_limit_is_read_on_linux():
    limit = caches.max_memory_maps()
    if limit is None:
        pytest.skip("/proc/sys/vm/max_map_count is not readable on this system")
    assert limit > 0
