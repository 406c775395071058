"""Convergence orders on an analytic problem: a passive LIF membrane under a sine current.

C dv/dt = -g (v - E) + A sin(w t) has the closed-form solution below; the observed order of
each scheme (error ratio when dt halves) must match its theory: 1 (euler, exp_euler with a
time-varying input, backward_euler) and 4 (rk4).
"""

import numpy as np
import pytest

import neurodyn as nd

C, G, E, A, F = 200.0, 10.0, -60.0, 50.0, 40.0  # pF, nS, mV, pA, Hz


def exact(t):
    tau, w = C / G, 2 * np.pi * F * 1e-3
    # particular solution of v' = -(v-E)/tau + (A/C) sin(w t), plus the homogeneous part with v(0)=E
    k = A / C
    amp_s = k * (1 / tau) / ((1 / tau) ** 2 + w**2)
    amp_c = -k * w / ((1 / tau) ** 2 + w**2)
    vp = E + amp_s * np.sin(w * t) + amp_c * np.cos(w * t)
    return vp - amp_c * np.exp(-t / tau)


def error(method, dt):
    lif = nd.models.LIF(c_m=C, g_l=G, e_l=E, v_init=E, v_th=100.0, v_reset=0.0)
    r = nd.simulate(lif, 40.0, dt, stimulus=nd.stimuli.Sine(amplitude=A, frequency=F),
                    method=method, spikes=False, record_dt=0.5)
    return np.max(np.abs(r.trace("v") - exact(r.t)))


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("exp_euler", 1),
                                               ("backward_euler", 1), ("rk4", 4)])
def test_convergence_order(method, order):
    dts = [0.1, 0.05, 0.025] if order == 1 else [0.5, 0.25, 0.125]
    errs = [error(method, dt) for dt in dts]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - order) < 0.15), (method, errs, orders)


def test_exp_euler_is_exact_for_constant_input():
    lif = nd.models.LIF(v_th=100.0, v_reset=0.0, v_init=-60.0)
    r = nd.simulate(lif, 50.0, 1.0, stimulus=nd.stimuli.Step(amplitude=80.0), spikes=False)
    v_inf = -60.0 + 80.0 / 10.0
    expected = v_inf + (-60.0 - v_inf) * np.exp(-r.t / 20.0)
    assert np.max(np.abs(r.trace("v") - expected)) < 1e-12
