"""A 10-minute simulated run recording only spikes keeps peak memory flat.

Each duration runs in a fresh process (peak RSS is a high-water mark): the peak RSS growth of
the run itself (after compilation) must not grow with the simulated duration. Recording v at
every step for 10 min would need 24e6 samples x 8 B = 192 MB.
"""

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.validation, pytest.mark.slow]

SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    import neurodyn as nd
    t_stop = float(sys.argv[1])
    hh = nd.models.HodgkinHuxley()
    step = nd.stimuli.Step(amplitude=10.0)
    nd.simulate(hh, 2000.0, 0.025, stimulus=step, record=())  # compile with the same shapes
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    r = nd.simulate(hh, t_stop, 0.025, stimulus=step, record=())
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"t_stop": t_stop, "growth_kb": peak - base, "spikes": int(r.spike_counts()),
                      "chunks": r.stats["n_chunks"], "wall_s": wall}))
""")


def run(t_stop):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(t_stop)], capture_output=True,
                         text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_peak_memory_flat_over_a_10_minute_run():
    one = run(60_000.0)    # 1 min simulated
    ten = run(600_000.0)   # 10 min simulated, 24 million steps
    print(f"\n1 min: {one}\n10 min: {ten}")
    assert ten["spikes"] > 9 * one["spikes"] > 0
    assert ten["chunks"] > 100
    # growth independent of duration: the 10-min run may not use more than the 1-min run
    # plus 16 MB (the spike list itself is 40k spikes x 16 B ~ 0.7 MB)
    assert ten["growth_kb"] < one["growth_kb"] + 16 * 1024, (one, ten)
