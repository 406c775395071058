"""NEURON's built-in ``hh`` mechanism as a peer simulator for the Hodgkin–Huxley validation.

One isopotential section (``L = diam`` chosen for a 1000 µm² membrane, ``nseg = 1``) with ``hh`` at
its defaults (gnabar 0.12, gkbar 0.036, gl 0.0003 S/cm², el -54.3 mV, ena 50 mV, ek -77 mV),
``cm = 1`` µF/cm², integrated by CVODE at a tight absolute tolerance. Rates are evaluated exactly
(``usetable_hh = 0``), as neurodyn's ``HodgkinHuxley(rates="exact")`` does.

The current step is an ``IClamp`` whose amplitude (nA) is the density (µA/cm²) times the actual
section area, ``amp = density * area_um2 * 1e-5``. The amplitude is *played* from a vector in
discrete mode, so that under CVODE its edges are events at which the integrator stops and
re-initialises (NEURON 9's ``IClamp`` has its ``at_time`` calls commented out, so its own
``del``/``dur`` edges are only seen through error control). Spike times are the upward crossings
of 0 mV found by a ``NetCon`` with ``condition_order(2)`` (linear interpolation of the crossing
within the step instead of the end of the step).

Each call builds its own section and restores the global state it changes (``celsius``,
``usetable_hh``, the CVODE settings), so runs do not interfere with one another or with other
tests that use NEURON.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from neuron import h

__all__ = ["AREA_DIAM_UM", "rheobase", "run_hh"]

#: L = diam giving a lateral area of pi * L * diam = 1000 um2
AREA_DIAM_UM = math.sqrt(1000.0 / math.pi)
V_INIT = -65.0
THRESHOLD = 0.0


@contextmanager
def _neuron_globals(celsius: float, use_cvode: bool, atol: float, rtol: float,
                    dt: float) -> Iterator[h.CVode]:
    cv = h.CVode()
    saved = {
        "celsius": h.celsius, "usetable_hh": h.usetable_hh, "dt": h.dt,
        "active": cv.active(), "atol": cv.atol(), "rtol": cv.rtol(),
        "order": cv.condition_order(),
    }
    try:
        h.celsius = celsius
        h.usetable_hh = 0  # exact rate functions, not the 1 mV TABLE
        cv.active(1 if use_cvode else 0)
        cv.condition_order(2)  # interpolated threshold crossings (CVODE and fixed step)
        if use_cvode:
            cv.atol(atol)
            cv.rtol(rtol)
        else:
            h.dt = dt
        yield cv
    finally:
        cv.active(saved["active"])
        cv.atol(saved["atol"])
        cv.rtol(saved["rtol"])
        cv.condition_order(int(saved["order"]))
        h.dt = saved["dt"]
        h.usetable_hh = saved["usetable_hh"]
        h.celsius = saved["celsius"]


def run_hh(
    amp_density: float,
    celsius: float,
    delay: float,
    dur: float,
    tstop: float,
    *,
    cvode: bool = True,
    atol: float = 1e-8,
    rtol: float = 0.0,
    dt: float = 0.025,
) -> np.ndarray:
    """Spike times (ms) of NEURON's ``hh`` under a step of ``amp_density`` µA/cm².

    The step is on for ``delay <= t < delay + dur``; the run lasts ``tstop`` ms from
    ``finitialize(-65)`` (gates at their steady state). ``cvode=False`` runs NEURON's fixed-step
    implicit Euler at ``dt`` instead (for cross-checks only).
    """
    soma = h.Section(name="hh_peer_soma")
    soma.L = soma.diam = AREA_DIAM_UM
    soma.nseg = 1
    soma.cm = 1.0
    soma.insert("hh")  # defaults of hh.mod; ena/ek default to 50/-77 mV
    area_um2 = h.area(0.5, sec=soma)
    amp_na = amp_density * area_um2 * 1e-5  # uA/cm2 * um2 * (1e-8 cm2/um2) * (1e3 nA/uA)

    stim = h.IClamp(soma(0.5))
    stim.delay = 0.0
    stim.dur = 1e9
    stim.amp = 0.0
    t_on, t_off = float(delay), float(delay + dur)
    times, amps = [0.0, t_on], [0.0, amp_na]
    if t_off < tstop:
        times.append(t_off)
        amps.append(0.0)
    tvec, avec = h.Vector(times), h.Vector(amps)
    avec.play(stim._ref_amp, tvec, 0)  # discrete: each time is an event under CVODE

    nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    nc.threshold = THRESHOLD
    spikes = h.Vector()
    nc.record(spikes)
    try:
        with _neuron_globals(celsius, cvode, atol, rtol, dt) as cv:
            h.finitialize(V_INIT)
            if cvode:
                cv.solve(tstop)
            else:
                while h.t < tstop - 0.5 * h.dt:
                    h.fadvance()
        return np.array(spikes, dtype=float)
    finally:
        avec.play_remove()
        nc.record()  # detach before the objects go
        del nc, stim, tvec, avec
        h.delete_section(sec=soma)


def rheobase(
    celsius: float,
    low: float,
    high: float,
    *,
    delay: float = 10.0,
    duration: float = 100.0,
    rtol: float = 1e-4,
    atol: float = 1e-8,
) -> float:
    """Smallest step amplitude (µA/cm²) evoking at least one spike, by bisection.

    The step starts at ``delay`` and stays on to the end of the run (``delay + duration`` ms),
    the protocol of :func:`neurodyn.analysis.rheobase`. ``low`` must be silent and ``high``
    firing; the bisection stops when ``high - low <= rtol * high`` and returns ``high``.
    """

    def fires(amp: float) -> bool:
        return run_hh(amp, celsius, delay, duration, delay + duration, atol=atol).size > 0

    if fires(low):
        raise ValueError(f"NEURON rheobase: low = {low} uA/cm2 already fires at {celsius} degC")
    if not fires(high):
        raise ValueError(f"NEURON rheobase: high = {high} uA/cm2 does not fire at {celsius} degC")
    while high - low > rtol * high:
        mid = 0.5 * (low + high)
        if fires(mid):
            high = mid
        else:
            low = mid
    return float(high)
