"""A neurodyn :class:`~neurodyn.cable.Cell` rebuilt in NEURON, as the peer for the cable tests
and benchmarks.

NEURON gets the *description*, not neurodyn's arrays: the sections with their 3-D points
(``pt3dadd``) or, for two-point constant-diameter sections, ``L`` and ``diam``; the same
``nseg`` per section (neurodyn's rule is checked against NEURON's own ``geom_nseg`` separately);
``Ra``, ``cm``, the ion reversal potentials, and the mechanisms by their NEURON names
(``hh``, ``pas``, and the ``nd_<name>`` mod files of ``tests/peers/mod`` for the rest, which
must have been loaded). NEURON computes its own segment areas and axial resistances and runs its
own fixed-step (or CVODE) integration.

Globals a run changes (``celsius``, ``dt``, ``usetable_hh``, CVODE) are restored afterwards;
:meth:`NeuronCell.close` deletes the sections.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from neuron import h

from neurodyn.cable import IClamp, SEClamp, SynapticInput, assemble
from neurodyn.cable.cell import Cell, parse_location

__all__ = ["NeuronCell", "run_neuron"]

h.load_file("stdrun.hoc")
h.load_file("stdlib.hoc")

_HH = {"g_na": ("gnabar_hh", 1e-3), "g_k": ("gkbar_hh", 1e-3), "g_l": ("gl_hh", 1e-3),
       "e_l": ("el_hh", 1.0)}
_PAS = {"g": ("g_pas", 1e-3), "e": ("e_pas", 1.0)}


def _neuron_name(mech: Any, param: str) -> tuple[str, float]:
    """NEURON range-variable name of a neurodyn mechanism parameter and the unit factor."""
    cls = type(mech).__name__
    if cls == "HH":
        return _HH[param]
    if cls == "Passive":
        return _PAS[param]
    spec = mech.param_specs()[param]
    return f"{param}_nd_{mech.name}", (1e-3 if spec.unit == "mS/cm2" else 1.0)


def _suffix(mech: Any) -> str:
    return {"HH": "hh", "Passive": "pas"}.get(type(mech).__name__, f"nd_{mech.name}")


class NeuronCell:
    """``cell`` instantiated in NEURON (build once, run many times)."""

    def __init__(self, cell: Cell, record: tuple[str, ...] = ("soma(0.5)",),
                 record_dt: float = 0.1) -> None:
        self.cell = cell
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
        # NEURON's own d_lambda rule (stdlib.hoc geom_nseg, d_lambda 0.1 at 100 Hz), to compare
        self.nseg_dlambda = [int((sec.L / (0.1 * h.lambda_f(100, sec=sec)) + 0.9) / 2) * 2 + 1
                             for sec in secs]
        for i, sec in enumerate(secs):
            sec.nseg = int(a.nodes.nseg[i])
        for targets, mech in cell.painted:
            for i in cell.sections_of(targets):
                secs[i].insert(_suffix(mech))
                for k in mech.param_specs():
                    self._set(secs[i], mech, k, float(getattr(mech, k)))
        ions = {k: cell.property_per_section(k) for k in ("e_na", "e_k", "e_ca")}
        for i, sec in enumerate(secs):
            for ion, key in (("na", "e_na"), ("k", "e_k"), ("ca", "e_ca")):
                if h.ismembrane(f"{ion}_ion", sec=sec):
                    setattr(sec, f"e{ion}", ions[key][i])
        self.points = []
        for loc, pp in cell.placed:
            seg = secs[cell.section_index(loc.section)](loc.x)
            if isinstance(pp, IClamp):
                stim = h.IClamp(seg)
                stim.amp, stim.delay = float(pp.amp), float(pp.delay)
                stim.dur = float(pp.dur) if np.isfinite(pp.dur) else 1e9
                self.points.append(stim)
            elif isinstance(pp, SEClamp):
                clamp = h.SEClamp(seg)
                clamp.amp1, clamp.rs = float(pp.amp), float(pp.rs)
                clamp.dur1 = float(pp.dur) if np.isfinite(pp.dur) else 1e9
                self.points.append(clamp)
            elif isinstance(pp, SynapticInput):
                self._synapse(seg, pp)
        self.recs = {}
        for r in record:
            loc = parse_location(r)
            vec = h.Vector()
            vec.record(secs[cell.section_index(loc.section)](loc.x)._ref_v, record_dt)
            self.recs[r] = vec
        self.secs = secs

    def _synapse(self, seg: Any, pp: SynapticInput) -> None:
        """An ``ExpSyn`` (neurodyn ``Exp``, conductance mode) fed by one ``NetStim`` per spike
        through a ``NetCon`` of delay 1 ms (weight in uS)."""
        if type(pp.synapse).__name__ != "Exp" or not pp.synapse.conductance_based:
            raise NotImplementedError("the NEURON peer maps only Exp conductance synapses")
        syn = h.ExpSyn(seg)
        syn.tau, syn.e = float(pp.synapse.tau), float(pp.synapse.e_rev)
        self.points.append(syn)
        for ts in pp.times:
            ns = h.NetStim()
            ns.number, ns.start, ns.noise = 1, float(ts) - 1.0, 0
            nc = h.NetCon(ns, syn)
            nc.delay, nc.weight[0] = 1.0, pp.weight * 1e-3
            self.points += [ns, nc]

    def _set(self, sec: Any, mech: Any, param: str, value: float) -> None:
        name, f = _neuron_name(mech, param)
        for seg in sec:
            setattr(seg, name, value * f)

    def set_param(self, path: str, value: float) -> None:
        """Set a painted parameter by neurodyn path (``"soma.hh.g_na"``, value in neurodyn
        units) on the sections of that paint."""
        target, mname, param = path.rsplit(".", 2)
        for targets, mech in self.cell.painted:
            if "+".join(targets) == target and mech.name == mname:
                for i in self.cell.sections_of(targets):
                    self._set(self.secs[i], mech, param, value)
                return
        raise KeyError(path)

    def run(self, t_stop: float, dt: float = 0.025, use_table: bool = True,
            cvode: bool = False) -> dict[str, np.ndarray]:
        old = (h.celsius, h.dt, h.usetable_hh, h.CVode().active())
        try:
            h.celsius = float(self.cell.celsius)
            h.usetable_hh = 1 if use_table else 0
            h.CVode().active(1 if cvode else 0)
            h.dt = dt
            h.finitialize(float(self.cell.v_init))
            h.continuerun(t_stop)
        finally:
            h.celsius, h.dt, h.usetable_hh = old[0], old[1], old[2]
            h.CVode().active(old[3])
        return {k: np.array(v) for k, v in self.recs.items()}

    def geometry(self) -> dict[str, np.ndarray]:
        return {"area": np.array([seg.area() for sec in self.secs for seg in sec]),
                "ri": np.array([seg.ri() for sec in self.secs for seg in sec])}

    def close(self) -> None:
        self.points, self.recs = [], {}
        for sec in self.secs:
            h.delete_section(sec=sec)
        self.secs = []


def run_neuron(cell: Cell, t_stop: float, dt: float = 0.025, record: tuple[str, ...] = ("soma(0.5)",),
               record_dt: float = 0.1, use_table: bool = True, cvode: bool = False) -> dict[str, Any]:
    """Build ``cell`` in NEURON, run it once, delete it; returns ``{"v": {label: trace}, "area",
    "ri", "nseg", "nseg_dlambda"}``."""
    nc = NeuronCell(cell, tuple(record), record_dt)
    try:
        v = nc.run(t_stop, dt, use_table, cvode)
        return {"v": v, **nc.geometry(), "nseg": [sec.nseg for sec in nc.secs],
                "nseg_dlambda": nc.nseg_dlambda}
    finally:
        nc.close()
