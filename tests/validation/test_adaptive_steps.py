"""Adaptive stepping: steps taken versus fixed steps for the same accuracy (HH, 200 ms).

Accuracy = max error of the spike times against a tight-tolerance reference (tsit5, 1e-12).
For each adaptive tolerance we find the largest fixed RK4 step (dt = 0.2 ms / 2^k) that reaches
the same accuracy and compare the number of steps. The table is printed (pytest -s).
"""

import numpy as np
import pytest

import neurodyn as nd

pytestmark = pytest.mark.validation

HH = nd.models.HodgkinHuxley()
STIM = nd.stimuli.Step(amplitude=10.0, start=10.0, stop=190.0)


def spike_error(res, ref):
    if not res.ok:
        return np.inf
    st = res.spike_times()
    if len(st) != len(ref):
        return np.inf
    return float(np.max(np.abs(st - ref)))


def test_adaptive_needs_fewer_steps_than_fixed_rk4_at_equal_accuracy():
    ref = nd.simulate(HH, 200.0, 0.1, stimulus=STIM, method="tsit5", rtol=1e-12, atol=1e-12,
                      record=()).spike_times()
    assert len(ref) >= 10
    fixed = []
    for k in range(9):
        dt = 0.2 / 2**k
        r = nd.simulate(HH, 200.0, dt, stimulus=STIM, method="rk4", record=(), throw=False)
        fixed.append((dt, r.stats["n_steps"], spike_error(r, ref)))
    rows = []
    for tol in (1e-6, 1e-8):
        ra = nd.simulate(HH, 200.0, 0.1, stimulus=STIM, method="tsit5", rtol=tol, atol=tol,
                         record=())
        err = spike_error(ra, ref)
        steps = ra.stats["n_steps"]  # attempted steps (accepted + rejected)
        match = [f for f in fixed if f[2] <= err]
        assert match, f"no fixed step down to {fixed[-1][0]} ms reaches {err:.1e} ms"
        dt_f, n_f, err_f = match[0]
        rows.append((tol, steps, ra.stats["n_rejected"], err, dt_f, n_f, err_f))
        # tsit5 does 6 right-hand-side evaluations per step, RK4 4: compare work too
        assert steps < n_f and 6 * steps < 4 * n_f, rows[-1]
    print("\nrtol  adaptive steps (rejected)  spike error  | RK4 dt  steps  spike error")
    for tol, steps, rej, err, dt_f, n_f, err_f in rows:
        print(f"{tol:.0e}  {steps:>8} ({rej:>4})  {err:10.2e} ms | {dt_f:<7g} {n_f:>6}  "
              f"{err_f:.2e} ms")
