"""Traub–Miles neuron against an independent integration of the published equations
(Brette et al. 2007, benchmark 3; Brian2 examples/COBAHH.py), written out here with scipy."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neurodyn as nd

pytestmark = pytest.mark.validation


def _rhs(t, y, i_amp):
    v, m, h, n = y
    u = v + 63.0
    am = 0.32 * (13.0 - u) / (np.exp((13.0 - u) / 4.0) - 1.0)
    bm = 0.28 * (u - 40.0) / (np.exp((u - 40.0) / 5.0) - 1.0)
    ah = 0.128 * np.exp((17.0 - u) / 18.0)
    bh = 4.0 / (1.0 + np.exp((40.0 - u) / 5.0))
    an = 0.032 * (15.0 - u) / (np.exp((15.0 - u) / 5.0) - 1.0)
    bn = 0.5 * np.exp((10.0 - u) / 40.0)
    i = i_amp if 5.0 <= t < 95.0 else 0.0
    dv = i - 0.05 * (v + 60.0) - 100.0 * m**3 * h * (v - 50.0) - 30.0 * n**4 * (v + 90.0)
    return [dv, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def _crossings(t, v, thr=-20.0):
    k = np.nonzero((v[:-1] < thr) & (v[1:] >= thr))[0]
    return t[k] + (thr - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])


@pytest.mark.parametrize("amp", [1.0, 3.0])
def test_spike_times_match_scipy(amp):
    model = nd.models.TraubMiles()
    stim = nd.stimuli.Step(amplitude=amp, start=5.0, stop=95.0)
    res = nd.simulate(model, 100.0, 0.005, stimulus=stim, method="rk4",
                      spikes=nd.SpikeDetector.crossing(-20.0))
    p = model.param_values()
    from neurodyn.math import numpy_math

    y0 = [float(x) for x in model.init_state(p, numpy_math)]
    t_eval = np.arange(0, 100.0, 0.001)
    sol = solve_ivp(_rhs, (0, 100.0), y0, args=(amp,), method="DOP853", rtol=1e-10, atol=1e-10,
                    t_eval=t_eval, max_step=0.05)
    ref = _crossings(sol.t, sol.y[0])
    got = res.spike_times()
    assert len(ref) >= 3 and len(got) == len(ref)
    print("max |dt| (ms):", np.max(np.abs(got - ref)), "n spikes", len(ref))
    np.testing.assert_allclose(got, ref, atol=1e-3)  # measured: 7e-5 ms
