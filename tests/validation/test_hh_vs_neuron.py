"""Hodgkin–Huxley against NEURON's built-in ``hh`` mechanism (peer simulator).

Acceptance: under a current step, spike times agree with NEURON's ``hh`` run under CVODE at tight
tolerance (atol <= 1e-6; here 1e-8) within 0.05 ms over 100 ms, for RK4 at dt = 0.01 ms and for
the adaptive solver; the rheobase agrees within 1 %; at 6.3 °C and 18.5 °C.

NEURON runs with the exact rate functions (``usetable_hh = 0``), as neurodyn's default
``rates="exact"`` does; the step is converted from µA/cm² to nA with the section's actual area
(see ``tests/peers/neuron_hh.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip(
    "neuron",
    reason="NEURON is not installed (pip install neuron); the HH peer comparison needs it",
)

import neurodyn as nd
from neurodyn.analysis import rheobase as nd_rheobase

try:  # tests/ is on sys.path through the rootdir conftest (no tests/__init__.py) ...
    from peers import neuron_hh
except ImportError:  # ... or tests is a package
    from tests.peers import neuron_hh

pytestmark = [pytest.mark.validation, pytest.mark.requires_neuron]

TEMPERATURES = [6.3, 18.5]  # degC

# current step: 10 uA/cm2 from 10 to 90 ms, 100 ms run (6 spikes at 6.3 degC, 15 at 18.5 degC)
AMP = 10.0  # uA/cm2
DELAY, DUR, T_STOP = 10.0, 80.0, 100.0
SPIKE_TOL = 0.05  # ms, acceptance
NEURON_ATOL = 1e-8  # CVODE absolute tolerance of the reference (acceptance: <= 1e-6)
MIN_SPIKES = 3

# rheobase protocol (same in both simulators): step from 10 ms to the end of a 110 ms run
RB_DELAY, RB_DURATION = 10.0, 100.0
RB_LOW, RB_HIGH = 0.5, 20.0  # uA/cm2 bracket
RB_RTOL = 1e-4  # bisection tolerance of both searches
RB_TOL = 0.01  # relative, acceptance


@pytest.fixture(scope="module")
def neuron_spikes() -> dict[float, np.ndarray]:
    """NEURON CVODE spike times per temperature, with a check that the reference has converged."""
    out = {}
    for celsius in TEMPERATURES:
        ref = neuron_hh.run_hh(AMP, celsius, DELAY, DUR, T_STOP, atol=NEURON_ATOL)
        tighter = neuron_hh.run_hh(AMP, celsius, DELAY, DUR, T_STOP, atol=1e-10)
        assert ref.size >= MIN_SPIKES, (
            f"NEURON fired {ref.size} spikes at {celsius} degC; the protocol needs >= {MIN_SPIKES}"
        )
        assert ref.size == tighter.size and np.max(np.abs(ref - tighter)) < 1e-3, (
            f"NEURON reference not converged at atol={NEURON_ATOL:g} ({celsius} degC): "
            f"{ref} vs {tighter} at atol=1e-10"
        )
        out[celsius] = ref
    return out


def _compare(label: str, celsius: float, ours: np.ndarray, ref: np.ndarray) -> None:
    assert ours.size == ref.size, (
        f"{label} at {celsius} degC: {ours.size} spikes, NEURON {ref.size}\n"
        f"neurodyn: {np.round(ours, 4)}\nNEURON:   {np.round(ref, 4)}"
    )
    err = float(np.max(np.abs(ours - ref)))
    print(f"\nHH vs NEURON {label:>6} {celsius:4.1f} degC: {ref.size} spikes, "
          f"max |dt| = {err:.2e} ms (tol {SPIKE_TOL} ms)")
    assert err < SPIKE_TOL, (
        f"{label} at {celsius} degC: max |dt| = {err:.2e} ms >= {SPIKE_TOL} ms\n"
        f"neurodyn: {np.round(ours, 4)}\nNEURON:   {np.round(ref, 4)}"
    )


def _step() -> nd.stimuli.Step:
    return nd.stimuli.Step(amplitude=AMP, start=DELAY, stop=DELAY + DUR)


@pytest.mark.parametrize("celsius", TEMPERATURES)
def test_spike_times_rk4(celsius: float, neuron_spikes: dict[float, np.ndarray]) -> None:
    model = nd.models.HodgkinHuxley(celsius=celsius)
    res = nd.simulate(model, T_STOP, 0.01, stimulus=_step(), method="rk4", record=())
    _compare("rk4", celsius, np.asarray(res.spike_times(), dtype=float), neuron_spikes[celsius])


@pytest.mark.parametrize("celsius", TEMPERATURES)
def test_spike_times_adaptive(celsius: float, neuron_spikes: dict[float, np.ndarray]) -> None:
    model = nd.models.HodgkinHuxley(celsius=celsius)
    res = nd.simulate(model, T_STOP, 0.01, stimulus=_step(), method="tsit5", rtol=1e-9,
                      atol=1e-9, record=())
    _compare("tsit5", celsius, np.asarray(res.spike_times(), dtype=float), neuron_spikes[celsius])


@pytest.mark.parametrize("celsius", TEMPERATURES)
def test_rheobase(celsius: float) -> None:
    t_run = RB_DELAY + RB_DURATION
    # the bracket must be valid in NEURON: low silent, high firing
    n_low = neuron_hh.run_hh(RB_LOW, celsius, RB_DELAY, RB_DURATION, t_run).size
    n_high = neuron_hh.run_hh(RB_HIGH, celsius, RB_DELAY, RB_DURATION, t_run).size
    assert n_low == 0 and n_high > 0, (
        f"invalid bracket at {celsius} degC: {RB_LOW} uA/cm2 -> {n_low} spikes, "
        f"{RB_HIGH} uA/cm2 -> {n_high} spikes"
    )
    ref = neuron_hh.rheobase(celsius, RB_LOW, RB_HIGH, delay=RB_DELAY, duration=RB_DURATION,
                             rtol=RB_RTOL, atol=NEURON_ATOL)
    ours = nd_rheobase(nd.models.HodgkinHuxley(celsius=celsius), RB_LOW, RB_HIGH,
                       duration=RB_DURATION, delay=RB_DELAY, dt=0.01, method="rk4", rtol=RB_RTOL)
    rel = abs(ours - ref) / ref
    print(f"\nHH vs NEURON rheobase {celsius:4.1f} degC: neurodyn {ours:.5f}, NEURON {ref:.5f} "
          f"uA/cm2, rel. diff {rel:.2e} (tol {RB_TOL:g})")
    assert rel < RB_TOL, (
        f"rheobase at {celsius} degC: neurodyn {ours:.5f} vs NEURON {ref:.5f} uA/cm2, "
        f"rel. diff {rel:.2e} >= {RB_TOL:g}"
    )
