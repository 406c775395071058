"""The Pospischil et al. (2008) cortical-cell model against NEURON.

Peer: NEURON 9 with ``tests/peers/mod/nd_pospischil.mod`` (the five voltage-gated currents of the
paper in NMODL, rates at 36 °C, and neurodyn's extensions: D-current, Na+ inactivation and K+
activation shifts, Ca2+-activated K+ current with its Ca2+ shell, inward rectifier) plus ``pas``
for the leak, one compartment ``L = diam = 96`` µm, ``cm`` from the model, fixed step
``dt = 0.025`` ms (backward Euler with ``cnexp`` gates), a 600 ms current step from 100 ms, at
36 °C and at 24 °C (``celsius``). neurodyn runs the same description with
``method="backward_euler"``, NEURON's fixed-step scheme. A transcription of the ModelDB 123623 mod
files themselves (``hh2``, ``im``, ``it``, ``ical``) gave the same agreement (1e-8 mV) when this
test was written.

Acceptance: voltage traces within 1e-6 mV everywhere (measured: < 3e-8 mV), same spike count.

``PospischilAIS`` (soma + axon initial segment) against two NEURON sections with the same
mechanism, the axial conductance taken from NEURON's own ``ri``: same acceptance (measured:
< 2e-8 mV at the soma and the AIS).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.math import numpy_math

pytest.importorskip("neuron", reason="NEURON is not installed (pip install neuron)")
pytestmark = pytest.mark.validation

CASES = {
    # preset (or parameter overrides), step amplitude (nA), minimum spikes in the trace
    "RS": ({}, 0.75, 5),
    "FS": ({"g_kd": 10.0, "g_m": 0.0, "g_l": 0.15}, 1.0, 20),
    "IB": ({"g_m": 0.03, "g_cal": 0.1, "g_l": 0.01}, 0.2, 5),
    # low-threshold (T-current) rebound after a hyperpolarising step
    "LTS": ({"g_t": 0.4, "v_x": -7.0, "g_m": 0.028, "g_l": 0.019, "e_l": -50.0}, -0.15, 2),
    # room temperature: every rate scaled by its Q10 (broader, slower spikes)
    "RS_24C": ({"celsius": 24.0, "g_t": 0.1, "g_cal": 0.05}, 0.75, 3),
    # the extensions: D-current (delayed first spike) and shifted Na+ inactivation
    "RS_D": ({"g_d": 0.1, "tau_d": 300.0, "v_sh": -4.0}, 1.0, 3),
    # the extensions: a higher-threshold delayed rectifier (Kv3-like)
    "FS_VSK": ({"g_kd": 10.0, "g_m": 0.0, "g_l": 0.15, "v_sk": 12.0}, 1.0, 20),
    # the extensions: Ca2+-activated K+ (AHP) current fed by the L- and T-currents
    # (ISIs lengthen from 6 to 30 ms through the step)
    "RS_AHP": ({"g_m": 0.0, "g_cal": 0.2, "g_t": 0.05, "g_ahp": 0.03, "k_ahp": 5e-3,
                "tau_ca": 100.0}, 0.75, 20),
    # the extensions: inward rectifier, hyperpolarising step
    "FS_KIR": ({"g_kd": 10.0, "g_m": 0.0, "g_l": 0.15, "g_kir": 0.1, "v_kir": -75.0}, -0.3, 0),
}


def _soma(h, p: dict[str, float], name: str):
    """A one-segment section L = diam = 96 um with pas and nd_pospischil set from ``p``."""
    sec = h.Section(name=name)
    sec.L = sec.diam = 96.0
    sec.nseg = 1
    sec.cm = p["c_m"]
    sec.insert("pas")
    sec.g_pas, sec.e_pas = p["g_l"] * 1e-3, p["e_l"]
    sec.insert("nd_pospischil")
    mech = sec(0.5).nd_pospischil
    for k in ("g_na", "g_kd", "g_m", "g_t", "g_cal", "g_d", "g_ahp", "g_kir"):
        setattr(mech, k, p[k] * 1e-3)
    for k in ("e_na", "e_k", "e_ca", "v_t", "tau_max", "v_x", "v_sh", "v_sk", "tau_d", "k_ahp",
              "tau_ca", "depth_ca", "ca_rest", "v_kir", "k_kir"):
        setattr(mech, k, p[k])
    return sec


def _run(h, p: dict[str, float], soma, amp_nA: float, dt: float, t_stop: float,
         record: tuple = ()) -> list[np.ndarray]:
    """A 600 ms step into ``soma`` from 100 ms, fixed step ``dt`` at ``p``'s celsius; returns
    the soma's potential and those of the segments in ``record``."""
    old_celsius, h.celsius = h.celsius, p["celsius"]
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 100.0, 600.0, amp_nA
    vs = [h.Vector().record(seg._ref_v) for seg in (soma(0.5), *record)]
    h.dt = dt
    h.steps_per_ms = 1.0 / dt
    try:
        h.finitialize(p["v_init"])
        h.continuerun(t_stop)
    finally:
        h.celsius = old_celsius
    return [np.array(v) for v in vs]


def _run_neuron(p: dict[str, float], amp_nA: float, dt: float, t_stop: float) -> np.ndarray:
    from neuron import h

    h.load_file("stdrun.hoc")
    sec = _soma(h, p, "pospischil_soma")
    return _run(h, p, sec, amp_nA, dt, t_stop)[0]


def _crossings(v: np.ndarray, thr: float = -20.0) -> int:
    return int(np.sum((v[:-1] < thr) & (v[1:] >= thr)))


@pytest.mark.parametrize("case", list(CASES))
def test_pospischil_matches_neuron(case, nrn_mechanisms):
    over, amp, min_spikes = CASES[case]
    model = nd.models.Pospischil(**over, area=math.pi * 96.0 * 96.0)
    p = {k: float(v) for k, v in model.param_values()._asdict().items()}
    dt, t_stop = 0.025, 800.0
    ref = _run_neuron(p, amp, dt, t_stop)
    res = nd.simulate(model, t_stop, dt, method="backward_euler",
                      stimulus=nd.stimuli.Step(amplitude=f"{amp} nA", start=100.0, stop=700.0))
    got = np.asarray(res.trace("v")).ravel()
    n = min(got.size, ref.size)
    err = float(np.max(np.abs(got[:n] - ref[:n])))
    print(f"{case}: {_crossings(ref)} spikes, max |dv| = {err:.2e} mV")
    assert _crossings(ref) >= min_spikes
    assert _crossings(got) == _crossings(ref)
    assert err < 1e-6


def test_presets_fire_as_described():
    """The presets' published behaviour: RS adapts (last ISI > 2 x first), FS does not
    (ISIs within 5 %), IB starts with a burst (first ISI < half the last)."""
    isis = {}
    for name in ("RS", "FS", "IB"):
        pr = nd.models.Pospischil.presets[name]
        res = nd.simulate(nd.models.Pospischil.preset(name), pr.t_stop, pr.dt,
                          stimulus=pr.stimulus(), spikes=nd.SpikeDetector.crossing(-20.0))
        isis[name] = np.diff(np.asarray(res.spike_times()))
        assert isis[name].size >= 4, name
    assert isis["RS"][-1] > 2 * isis["RS"][0]
    assert np.ptp(isis["FS"]) < 0.05 * isis["FS"].mean()
    assert isis["IB"][0] < 0.5 * isis["IB"][-1]


# PospischilAIS: soma as above plus an AIS section (L = 30 µm, diam = 1.2 µm) with the same
# mechanism (Na+ and delayed rectifier only, at V_T + v_t_ax) and pas; the axial conductance
# g_c that neurodyn gets is NEURON's own, from the sections' ri (soma(1).ri() + ais(0.5).ri(),
# MOhm), the AIS area is NEURON's area of its segment.
AIS_CASES = {
    # case: (soma overrides, AIS overrides, soma Ra (Ohm cm), AIS Ra, step (nA), min spikes)
    "RS_AIS": ({}, {"g_na_ax": 150.0, "g_kd_ax": 30.0, "v_t_ax": -6.0}, 10.0, 150.0, 0.75, 5),
    # a weak soma: the spikes are the AIS's, carried to the soma through the axial conductance
    # (the soma alone, g_c = 0, does not fire on this step: asserted below)
    "AIS_DRIVEN": ({"g_na": 5.0, "g_kd": 1.0, "g_m": 0.02, "celsius": 30.0},
                   {"g_na_ax": 400.0, "g_kd_ax": 60.0, "v_t_ax": -10.0}, 10.0, 80.0, 0.5, 10),
}


def _run_neuron_ais(p: dict[str, float], ra: tuple[float, float], amp_nA: float, dt: float,
                    t_stop: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    from neuron import h

    h.load_file("stdrun.hoc")
    soma = _soma(h, p, "pospischil_ais_soma")
    ais = h.Section(name="pospischil_ais_ais")
    ais.L, ais.diam = 30.0, 1.2
    ais.connect(soma(1), 0)
    soma.Ra = ra[0]
    ais.nseg, ais.cm, ais.Ra = 1, p["c_m"], ra[1]
    ais.insert("pas")
    ais.g_pas, ais.e_pas = p["g_l"] * 1e-3, p["e_l"]
    ais.insert("nd_pospischil")
    mech_a = ais(0.5).nd_pospischil
    for k in ("g_m", "g_t", "g_cal", "g_d", "g_ahp", "g_kir"):
        setattr(mech_a, k, 0.0)
    mech_a.g_na, mech_a.g_kd = p["g_na_ax"] * 1e-3, p["g_kd_ax"] * 1e-3
    for k in ("e_na", "e_k", "e_ca"):
        setattr(mech_a, k, p[k])
    mech_a.v_t = p["v_t"] + p["v_t_ax"]
    g_c = 1000.0 / (soma(1).ri() + ais(0.5).ri())  # nS
    v, v_a = _run(h, p, soma, amp_nA, dt, t_stop, record=(ais(0.5),))
    return v, v_a, g_c, ais(0.5).area()


@pytest.mark.parametrize("case", list(AIS_CASES))
def test_pospischil_ais_matches_neuron(case, nrn_mechanisms):
    """Two sections in NEURON against :class:`PospischilAIS` with ``backward_euler`` (both
    potentials solved together, as NEURON's tree solver does), both started as NEURON starts
    them (every section at ``v_init``, gates at steady state there): within 1e-6 mV, same spike
    count."""
    soma_over, ais_over, ra_s, ra_a, amp, min_spikes = AIS_CASES[case]
    base = nd.models.PospischilAIS(**soma_over, **ais_over, area=math.pi * 96.0 * 96.0)
    p = {k: float(v) for k, v in base.param_values()._asdict().items()}
    dt, t_stop = 0.025, 800.0
    ref, ref_a, g_c, area_ax = _run_neuron_ais(p, (ra_s, ra_a), amp, dt, t_stop)
    model = base.replace(g_c=g_c, area_ax=area_ax)
    # NEURON's initial state: the AIS too at v_init, its gates at steady state there
    pv = model.param_values()
    (m, _), (h, _), (n_, _) = model._axon_gating(pv, p["v_init"], numpy_math)
    init = {"v_a": p["v_init"], "m_a": m, "h_a": h, "n_a": n_}
    res = nd.simulate(model, t_stop, dt, method="backward_euler", record=["v", "v_a"], init=init,
                      stimulus=nd.stimuli.Step(amplitude=f"{amp} nA", start=100.0, stop=700.0))
    got, got_a = (np.asarray(res.trace(k)).ravel() for k in ("v", "v_a"))
    n = min(got.size, ref.size)
    err = float(np.max(np.abs(got[:n] - ref[:n])))
    print(f"{case}: g_c {g_c:.2f} nS, AIS area {area_ax:.1f} um2, {_crossings(ref)} spikes, "
          f"max |dv| soma {err:.2e} mV, AIS {np.max(np.abs(got_a[:n] - ref_a[:n])):.2e} mV")
    assert _crossings(ref) >= min_spikes
    assert _crossings(got) == _crossings(ref)
    assert err < 1e-6
    if case == "AIS_DRIVEN":
        alone = nd.simulate(model.replace(g_c=0.0), t_stop, dt, method="backward_euler",
                            stimulus=nd.stimuli.Step(amplitude=f"{amp} nA", start=100.0,
                                                     stop=700.0))
        assert _crossings(np.asarray(alone.trace("v")).ravel()) == 0
