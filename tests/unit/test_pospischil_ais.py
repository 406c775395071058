"""PospischilAIS (soma + axon initial segment): the coupled schemes against the analytic
solution of the passive two-compartment circuit, the uncoupled model against Pospischil, and the
rest state; PospischilDualNa (one compartment, two Na+/K+ populations) against Pospischil and as
PospischilAIS's limit of infinitely fast coupling. The comparison with NEURON (two sections) is in
tests/validation/test_pospischil_vs_neuron.py."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

import neurodyn as nd
from neurodyn.math import numpy_math

PASSIVE = dict(g_na=0.0, g_kd=0.0, g_m=0.0, g_na_ax=0.0, g_kd_ax=0.0, g_l=0.05, e_l=-65.0,
               v_init=-65.0, c_m=0.9, area=2000.0)


def _passive_reference(model, amp_nA: float, start: float, t: np.ndarray) -> np.ndarray:
    """Soma and AIS potentials (mV) of the passive circuit after a current step into the soma,
    from the matrix exponential of its 2 x 2 system (scipy)."""
    p = model.param_values()
    c_s = 100.0 * p.g_c / p.area  # mS/cm2 of each compartment
    c_a = 100.0 * p.g_c / p.area_ax
    m = np.array([[-(p.g_l + c_s), c_s], [c_a, -(p.g_l + c_a)]]) / p.c_m
    drive = np.array([amp_nA * 1e5 / p.area / p.c_m, 0.0])  # nA -> uA/cm2 of the soma
    x_star = -np.linalg.solve(m, drive)
    out = np.zeros((t.size, 2))
    for k, tk in enumerate(t):
        out[k] = 0.0 if tk <= start else (expm(m * (tk - start)) @ -x_star + x_star)
    return out + p.e_l


@pytest.mark.parametrize("g_c, area_ax", [(0.5, 400.0), (50.0, 50.0)])
def test_exp_euler_is_exact_for_the_passive_circuit(g_c, area_ax):
    """The two potentials are one affine system once the gates are frozen; exp_euler updates it
    exactly, so at dt = 0.1 ms it matches the matrix exponential to rounding, also when the
    coupling is far faster than the step (second case: c_a dt = 11)."""
    model = nd.models.PospischilAIS(**PASSIVE, g_c=g_c, area_ax=area_ax)
    dt, t_stop, start = 0.1, 60.0, 10.0
    res = nd.simulate(model, t_stop, dt, method="exp_euler", record=["v", "v_a"],
                      stimulus=nd.stimuli.Step(amplitude="0.05 nA", start=start))
    t = np.asarray(res.t)
    ref = _passive_reference(model, 0.05, start, t)
    got = np.stack([np.asarray(res.trace(k)).ravel() for k in ("v", "v_a")], axis=1)
    assert np.ptp(ref[:, 0]) > 2.0  # the step moves the soma by millivolts
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)


def test_backward_euler_converges_to_the_passive_solution():
    """First order: the error of the coupled backward Euler falls tenfold with dt."""
    model = nd.models.PospischilAIS(**PASSIVE, g_c=50.0, area_ax=50.0)
    errs = []
    for dt in (0.1, 0.01):
        res = nd.simulate(model, 30.0, dt, method="backward_euler", record=["v", "v_a"],
                          stimulus=nd.stimuli.Step(amplitude="0.05 nA", start=10.0))
        t = np.asarray(res.t)
        ref = _passive_reference(model, 0.05, 10.0, t)
        got = np.stack([np.asarray(res.trace(k)).ravel() for k in ("v", "v_a")], axis=1)
        errs.append(float(np.max(np.abs(got - ref))))
    assert errs[0] < 0.05
    assert 7.0 < errs[0] / errs[1] < 13.0


@pytest.mark.parametrize("method", ["exp_euler", "backward_euler"])
def test_without_coupling_the_soma_is_pospischil(method):
    """g_c = 0: the soma is Pospischil's cell (the RS preset on its step), spike for spike."""
    kw = dict(stimulus=nd.stimuli.Step(amplitude="0.75 nA", start=100.0, stop=700.0),
              method=method)
    ref = nd.simulate(nd.models.Pospischil(), 800.0, 0.025, **kw)
    got = nd.simulate(nd.models.PospischilAIS(g_c=0.0), 800.0, 0.025, **kw)
    v_ref, v = (np.asarray(r.trace("v")).ravel() for r in (ref, got))
    assert np.sum((v_ref[:-1] < -20) & (v_ref[1:] >= -20)) >= 5
    np.testing.assert_allclose(v, v_ref, rtol=0, atol=1e-8)


def test_rest_state_with_its_holding_current_is_a_steady_state():
    """holding(): the soma at -60 mV, the AIS at its own balance (an active AIS, whose Na+
    window current holds it 13 uV above the soma), every derivative zero."""
    model = nd.models.PospischilAIS(g_c=20.0, area_ax=80.0, g_na_ax=300.0, g_kd_ax=40.0,
                                    v_t_ax=-8.0, e_l=-75.0, g_l=0.02)
    p = model.param_values()
    i_hold, init = model.holding(p, -60.0, numpy_math)
    s = model.rest_state(p, -60.0, numpy_math)
    d = model.derivatives(p, s, i_hold, numpy_math)
    assert init["v_init"] == pytest.approx(-60.0)
    assert 1e-3 < abs(s.v_a - s.v) < 1.0  # its own balance (Na+ window current), near the soma
    assert max(abs(float(x)) for x in d) < 1e-10


def test_the_coupled_scheme_is_used_and_declared():
    assert nd.models.PospischilAIS.default_method == "exp_euler"
    assert set(nd.models.PospischilAIS.methods) == {"exp_euler", "backward_euler"}
    r = nd.simulate(nd.models.PospischilAIS(), 5.0, 0.025, record="all")
    assert set(r.provenance["model"]["params"]) >= {"g_c", "area_ax", "g_na_ax", "g_kd_ax",
                                                    "v_t_ax"}


# ---------------------------------------------------------------- PospischilDualNa
_AIS = dict(g_na=20.0, g_kd=0.4, g_m=0.02, g_l=0.002, e_l=-80.0, v_t=-52.0, area=6000.0,
            celsius=33.0, f_z=0.9, v_z=-51.0, k_z=9.0, tau_z=70.0, f_y=0.78, v_y=-38.0,
            k_y=1.1, tau_y=120.0, v_sk=-9.0, area_ax=20.0, g_na_ax=860.0, g_kd_ax=3.4,
            v_t_ax=13.7)


def _dual_of(ais: dict) -> dict:
    """PospischilDualNa's parameters for PospischilAIS's limit of infinite coupling: the AIS's
    channels, leak and capacitance added to the soma's with the weight area_ax / area."""
    w = ais["area_ax"] / ais["area"]
    out = {k: v for k, v in ais.items() if k not in ("g_c", "area_ax", "g_na_ax", "g_kd_ax",
                                                     "v_t_ax")}
    out.update(g_na2=ais["g_na_ax"] * w, g_kd2=ais["g_kd_ax"] * w, v_t2=ais["v_t_ax"],
               g_l=ais["g_l"] * (1 + w), c_m=ais.get("c_m", 1.0) * (1 + w))
    return out


def test_dual_na_without_its_second_population_is_pospischil():
    kw = dict(stimulus=nd.stimuli.Step(amplitude="0.1 nA", start=20.0, stop=220.0),
              record=["v"])
    base = {k: v for k, v in _dual_of(_AIS).items() if k not in ("g_na2", "g_kd2", "v_t2")}
    want = nd.simulate(nd.models.Pospischil(**base), 250.0, 0.025, **kw).trace("v")
    got = nd.simulate(nd.models.PospischilDualNa(**base), 250.0, 0.025, **kw).trace("v")
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_dual_na_is_the_limit_of_infinitely_fast_coupling():
    """PospischilAIS with the AIS following the soma ever faster converges to PospischilDualNa
    (one compartment with the AIS's channels at the soma's potential), at first order in
    1/g_c: each tenfold increase of g_c shrinks the largest difference tenfold (0.31, 0.031,
    0.0031 mV at 1e5, 1e6, 1e7 nS), and at 1e7 nS the 15 spike times in 250 ms agree within
    1 µs (0.13 µs)."""
    kw = dict(stimulus=nd.stimuli.Step(amplitude="0.02 nA", start=20.0, stop=220.0),
              record=["v"])
    dual = nd.simulate(nd.models.PospischilDualNa(**_dual_of(_AIS)), 250.0, 0.025, **kw)
    errs = []
    for g_c in (1e5, 1e6, 1e7):
        ais = nd.simulate(nd.models.PospischilAIS(**_AIS, g_c=g_c), 250.0, 0.025, **kw)
        assert ais.spike_counts() == dual.spike_counts() >= 5
        errs.append(np.max(np.abs(ais.trace("v") - dual.trace("v"))))
        dt_spk = np.max(np.abs(ais.spike_times() - dual.spike_times()))
    print(f"max |v_AIS - v_dual| at g_c 1e5, 1e6, 1e7 nS: {np.round(errs, 5)} mV; "
          f"{dual.spike_counts()} spikes, their times within {dt_spk * 1000:.2f} us at 1e7")
    assert errs[1] < 0.2 * errs[0] and errs[2] < 0.2 * errs[1]
    assert errs[2] < 0.05 and dt_spk < 1e-3
