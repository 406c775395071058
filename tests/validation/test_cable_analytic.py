"""Cable solver against analytic solutions and NEURON's stored traces (no NEURON needed).

* Passive sealed-end cylinder with a current step at one end: Rall's series solution (Rall 1969;
  Jack, Noble & Tsien 1975 ch. 3), input resistance ``r_a lambda coth(L/lambda)`` and steady-state
  attenuation ``1/cosh(L/lambda)``. Acceptance: relative RMS error < 0.1 %, input resistance and
  attenuation within 0.5 %.
* The branched reference cell (tests/reference_data/neuron_mc_cell, NEURON 9.0.2 fixed step):
  with NEURON's conventions the soma trace matches sample by sample (|dV| < 1e-3 mV).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurodyn.cable import Cell, IClamp, fixed, simulate_cell
from neurodyn.cable.examples import branched_cell, branched_morphology
from neurodyn.channels.passive import Passive
from neurodyn.morphology.tree import Morphology, Section

pytestmark = pytest.mark.validation

L_UM, D_UM, RA, CM, G_PAS, I0 = 1000.0, 2.0, 100.0, 1.0, 0.1, 0.1  # um, um, ohm cm, uF/cm2, mS/cm2, nA


def _rall(x_um: np.ndarray, t_ms: np.ndarray) -> np.ndarray:
    """Depolarisation (mV) of a sealed-end cylinder after a current step I0 at x = 0."""
    rm = 1.0 / (G_PAS * 1e-3)  # ohm cm2
    lam = np.sqrt(rm * D_UM * 1e-4 / (4 * RA)) * 1e4  # um
    tau = rm * CM * 1e-3  # ms
    r_a = 4 * RA / (np.pi * (D_UM * 1e-4) ** 2)  # ohm / cm
    le = L_UM / lam
    k = np.arange(1, 4000) * np.pi / le
    big_t = t_ms / tau
    modes = (np.cos(np.outer(x_um / lam, k))[:, None, :] / (1 + k**2)
             * (1 - np.exp(-np.outer(big_t, 1 + k**2)))[None])
    s = (1 - np.exp(-big_t)) / le + 2 / le * modes.sum(-1)
    return I0 * 1e-9 * r_a * lam * 1e-4 * s * 1e3


def _cable_constants() -> tuple[float, float]:
    rm = 1.0 / (G_PAS * 1e-3)
    lam = np.sqrt(rm * D_UM * 1e-4 / (4 * RA)) * 1e4
    r_a = 4 * RA / (np.pi * (D_UM * 1e-4) ** 2)
    le = L_UM / lam
    return r_a * lam * 1e-4 / np.tanh(le) * 1e-6, 1.0 / np.cosh(le)  # Mohm, ratio


@pytest.mark.parametrize("method", ["backward_euler", "crank_nicolson"])
def test_sealed_cylinder_matches_rall(method: str) -> None:
    morph = Morphology((Section("cable", "basal", np.array([[0, 0, 0, D_UM], [L_UM, 0, 0, D_UM]]),
                                -1, 0.0),))
    cell = (Cell(morph, ra=RA, cm=CM, v_init=-65.0, nseg=fixed(101))
            .paint("all", Passive(g=G_PAS, e=-65.0))
            .place("cable(0)", IClamp(amp=I0, delay=0.0, dur=1e9)))
    locs = {"cable(0)": 0.0, "cable(0.5)": L_UM / 2, "cable(1)": L_UM}
    r = simulate_cell(cell, 200.0, 0.025, record=list(locs), record_dt=0.1, method=method)
    for lab, x in locs.items():
        va = _rall(np.array([x]), r.t)[0]
        v = r.traces[lab] + 65.0
        rel_rms = np.sqrt(np.mean((v - va) ** 2) / np.mean(va**2))
        assert rel_rms < 1e-3, (lab, rel_rms)
    r_in, att = _cable_constants()
    v0, v_end = r.traces["cable(0)"][-1] + 65.0, r.traces["cable(1)"][-1] + 65.0
    assert abs(v0 / I0 - r_in) / r_in < 5e-3
    assert abs(v_end / v0 - att) / att < 5e-3


def test_crank_nicolson_converges_second_order_in_time() -> None:
    morph = Morphology((Section("cable", "basal", np.array([[0, 0, 0, D_UM], [L_UM, 0, 0, D_UM]]),
                                -1, 0.0),))
    cell = (Cell(morph, ra=RA, cm=CM, v_init=-65.0, nseg=fixed(51))
            .paint("all", Passive(g=G_PAS, e=-65.0))
            .place("cable(0)", IClamp(amp=I0, delay=0.0, dur=1e9)))

    def v_at(dt: float, method: str) -> float:
        r = simulate_cell(cell, 2.0, dt, record=["cable(0.5)"], record_dt=0.2, method=method)
        return float(r.traces["cable(0.5)"][-1])

    ref = v_at(0.0025, "crank_nicolson")
    e1, e2 = (abs(v_at(dt, "crank_nicolson") - ref) for dt in (0.1, 0.05))
    b1, b2 = (abs(v_at(dt, "backward_euler") - ref) for dt in (0.1, 0.05))
    assert 3.0 < e1 / e2 < 5.0  # second order: error / 4 when dt / 2
    assert 1.6 < b1 / b2 < 2.4  # backward Euler: first order


def test_branched_builder_is_the_reference_cell(reference_dir) -> None:
    spec = json.loads((reference_dir / "neuron_mc_cell" / "mc_cell.json").read_text())
    morph = branched_morphology()
    by_name = {s.name: s for s in morph.sections}
    assert len(morph.sections) == spec["n_sections"]
    for d in spec["dendrites"]:
        s = by_name[d["name"]]
        assert s.length == pytest.approx(d["L"], rel=1e-12)
        assert s.points[0, 3] == pytest.approx(d["diam"], rel=1e-12)
        assert morph.sections[s.parent].name == d["parent"] and s.parent_x == d["parent_x"]
    from neurodyn.cable import assemble

    assert assemble(branched_cell()).nodes.nseg.sum() == spec["nseg_total"]


def test_branched_cell_matches_neuron_trace_sample_by_sample(reference_dir) -> None:
    ref = np.load(reference_dir / "neuron_mc_cell" / "mc_soma.npy")
    r = simulate_cell(branched_cell(rates="neuron_table", conventions="neuron"), 1000.0, 0.025,
                      record_dt=0.1)
    v = r.traces["soma(0.5)"]
    assert v.shape == ref.shape
    assert np.max(np.abs(v - ref)) < 1e-3
    assert r.spike_counts() == 62
