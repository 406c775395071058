"""A neurodyn :class:`~neurodyn.cable.Cell` rebuilt in NEURON, as the peer for the cable tests.

NEURON gets the *description*, not neurodyn's arrays: the sections with their 3-D points
(``pt3dadd``) or, for two-point constant-diameter sections, ``L`` and ``diam``; the same
``nseg`` per section (neurodyn's rule is checked against NEURON's own ``geom_nseg`` separately);
``Ra``, ``cm``, the ion reversal potentials, and the mechanisms by their NEURON names
(``hh``, ``pas``, and the ``nd_<name>`` mod files of ``tests/peers/mod`` for the rest, which
must have been loaded). NEURON computes its own segment areas and axial resistances and runs its
own fixed-step (or CVODE) integration.

Globals it changes (``celsius``, ``dt``, ``usetable_hh``, CVODE) are restored afterwards, and the
sections are deleted, so calls do not interfere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from neuron import h

from neurodyn.cable import IClamp, SEClamp, SpikeDetector, assemble
from neurodyn.cable.cell import Cell

__all__ = ["run_neuron"]

h.load_file("stdrun.hoc")
h.load_file("stdlib.hoc")

_HH = {"g_na": ("gnabar_hh", 1e-3), "g_k": ("gkbar_hh", 1e-3), "g_l": ("gl_hh", 1e-3),
       "e_l": ("el_hh", 1.0)}


def _insert(sec: Any, mech: Any) -> None:
    name = type(mech).__name__
    if name == "HH":
        sec.insert("hh")
        for k, (nk, f) in _HH.items():
            for seg in sec:
                setattr(seg, nk, float(getattr(mech, k)) * f)
    elif name == "Passive":
        sec.insert("pas")
        for seg in sec:
            seg.g_pas = float(mech.g) * 1e-3
            seg.e_pas = float(mech.e)
    else:
        suffix = f"nd_{mech.name}"
        sec.insert(suffix)
        for k, spec in mech.param_specs().items():
            f = 1e-3 if spec.unit == "mS/cm2" else 1.0
            for seg in sec:
                setattr(seg, f"{k}_{suffix}", float(getattr(mech, k)) * f)


def run_neuron(cell: Cell, t_stop: float, dt: float = 0.025, record: tuple[str, ...] = ("soma(0.5)",),
               record_dt: float = 0.1, use_table: bool = True, cvode: bool = False) -> dict[str, Any]:
    """Run ``cell`` in NEURON; returns ``{"t", "v": {label: trace}, "area", "ri", "nseg"}``."""
    from neurodyn.cable.cell import parse_location

    a = assemble(cell)
    secs = []
    for i, s in enumerate(cell.sections):
        sec = h.Section(name=f"nd_{i}_{s.name}")
        pts = np.asarray(s.points)
        if len(pts) == 2 and pts[0, 3] == pts[1, 3]:
            sec.L = float(np.linalg.norm(pts[1, :3] - pts[0, :3]))
            sec.diam = float(pts[0, 3])
        else:
            for x, y, z, d in pts:
                h.pt3dadd(float(x), float(y), float(z), float(d), sec=sec)
        secs.append(sec)
    for i, s in enumerate(cell.sections):
        if s.parent >= 0:
            secs[i].connect(secs[s.parent](s.parent_x), 0)
    ra, cm = cell.property_per_section("ra"), cell.property_per_section("cm")
    for i, sec in enumerate(secs):
        sec.Ra, sec.cm = ra[i], cm[i]
    # NEURON's own d_lambda rule (stdlib.hoc geom_nseg, d_lambda 0.1 at 100 Hz), for comparison
    nseg_dlambda = [int((sec.L / (0.1 * h.lambda_f(100, sec=sec)) + 0.9) / 2) * 2 + 1
                    for sec in secs]
    for i, sec in enumerate(secs):
        sec.nseg = int(a.nodes.nseg[i])
    for targets, mech in cell.painted:
        for i in cell.sections_of(targets):
            _insert(secs[i], mech)
    ions = {k: cell.property_per_section(k) for k in ("e_na", "e_k", "e_ca")}
    for i, sec in enumerate(secs):
        for ion, key in (("na", "e_na"), ("k", "e_k"), ("ca", "e_ca")):
            if h.ismembrane(f"{ion}_ion", sec=sec):
                setattr(sec, f"e{ion}", ions[key][i])
    keep = []
    for loc, pp in cell.placed:
        seg = secs[cell.section_index(loc.section)](loc.x)
        if isinstance(pp, IClamp):
            stim = h.IClamp(seg)
            stim.amp, stim.delay = float(pp.amp), float(pp.delay)
            stim.dur = float(pp.dur) if np.isfinite(pp.dur) else 1e9
            keep.append(stim)
        elif isinstance(pp, SEClamp):
            clamp = h.SEClamp(seg)
            clamp.amp1, clamp.rs = float(pp.amp), float(pp.rs)
            clamp.dur1 = float(pp.dur) if np.isfinite(pp.dur) else 1e9
            keep.append(clamp)
        elif isinstance(pp, SpikeDetector):
            pass
    recs = {}
    for r in record:
        loc = parse_location(r)
        vec = h.Vector()
        vec.record(secs[cell.section_index(loc.section)](loc.x)._ref_v, record_dt)
        recs[str(loc)] = vec
    old = (h.celsius, h.dt, h.usetable_hh, h.CVode().active())
    try:
        h.celsius = float(cell.celsius)
        h.usetable_hh = 1 if use_table else 0
        h.CVode().active(1 if cvode else 0)
        h.dt = dt
        h.finitialize(float(cell.v_init))
        h.continuerun(t_stop)
        area = [seg.area() for sec in secs for seg in sec]
        ri = [seg.ri() for sec in secs for seg in sec]
        out = {"v": {k: np.array(v) for k, v in recs.items()}, "area": np.array(area),
               "ri": np.array(ri), "nseg": [sec.nseg for sec in secs],
               "nseg_dlambda": nseg_dlambda}
    finally:
        h.celsius, h.dt, h.usetable_hh = old[0], old[1], old[2]
        h.CVode().active(old[3])
        del keep, recs
        for sec in secs:
            h.delete_section(sec=sec)
    return out
