"""Assemble a :class:`~neurodyn.cable.Cell` into arrays: nodes, capacitances, mechanism groups
with per-node parameters, ion environment, point processes.

Everything here is NumPy at build time. Mechanisms of one class (and options) are merged into
one *group* evaluated on all the nodes they cover; each ``paint`` call keeps a *label*
(``"<target>.<mechanism>.<parameter>"``, e.g. ``"apical.hh.g_na"``) through which batches and
gradients address the values it set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..channels._base import AbstractMechanism
from ..errors import ParameterError
from .cell import Cell
from .discretize import Nodes, discretize
from .point import AbstractPointProcess, SpikeDetector, SynapticInput

__all__ = ["Assembled", "MechGroup", "assemble"]

@dataclass
class MechGroup:
    """All nodes carrying one mechanism class (with one set of options)."""

    mech: AbstractMechanism
    nodes: np.ndarray
    params: dict[str, np.ndarray]
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # path -> mask over nodes
    inv: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.mech.static_key(), self.nodes.tobytes())


@dataclass
class Assembled:
    cell: Cell
    nodes: Nodes
    cap: np.ndarray  # nF per node
    af: np.ndarray  # area * 1e-5: density (µA/cm², mS/cm²) -> nA, µS
    diag_axial: np.ndarray  # µS: sum of the axial conductances at each node
    groups: list[MechGroup]
    env: dict[str, np.ndarray]  # per node: e_na, e_k, e_ca, cai, cao
    electrodes: list[tuple[int, AbstractPointProcess]]
    detectors: list[tuple[int, float]]
    dynamic_eca: bool
    synapses: list[tuple[int, SynapticInput]] = field(default_factory=list)
    eca_mask: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def n(self) -> int:
        return self.nodes.n

    def param_paths(self) -> list[str]:
        return [p for g in self.groups for p in g.labels]

    def constants_key(self) -> str:
        """Digest of the numbers a compiled run bakes in (geometry, capacitances, ion
        environment, v_init, temperature)."""
        import hashlib

        hsh = hashlib.sha256()
        for arr in (self.nodes.g_axial, self.cap, self.af, self.diag_axial,
                    *(self.env[k] for k in sorted(self.env))):
            hsh.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
        hsh.update(self.eca_mask.tobytes())
        hsh.update(repr((float(self.cell.v_init), float(self.cell.celsius), self.cell.e_ca,
                         tuple(g.mech.static_key() for g in self.groups))).encode())
        return hsh.hexdigest()

    def structure_key(self) -> tuple[Any, ...]:
        return (self.n, self.nodes.parent.tobytes(), tuple(g.key for g in self.groups),
                tuple((n, type(pp)) for n, pp in self.electrodes), tuple(n for n, _ in self.detectors),
                self.dynamic_eca,
                tuple((n, sy.synapse.static_key()) for n, sy in self.synapses))


def assemble(cell: Cell) -> Assembled:
    secs = cell.sections
    ra = cell.property_per_section("ra")
    cm = cell.property_per_section("cm")
    nodes = discretize(secs, cell.nseg, ra, cm, float32_points=cell.conventions == "neuron")
    membrane = nodes.area > 0
    cm_node = np.array(cm)[nodes.section] * membrane
    af = nodes.area * 1e-5
    cap = cm_node * af
    diag = nodes.g_axial.copy()
    np.add.at(diag, nodes.parent[1:], nodes.g_axial[1:])
    env = {k: np.array(cell.property_per_section(k))[nodes.section]
           for k in ("e_na", "e_k", "e_ca", "cai", "cao")}
    groups = _groups(cell, nodes, membrane)
    provides = [g for g in groups if "cai" in g.mech.provides]
    if len(provides) > 1:
        raise ParameterError("Cell: two calcium pools are painted "
                             f"({', '.join(type(g.mech).__name__ for g in provides)}). Fix: one.")
    for g in groups:
        for r in g.mech.reads:
            if r not in ("e_na", "e_k", "e_ca", "cai", "cao", "ica", "celsius"):
                raise ParameterError(f"{type(g.mech).__name__} reads {r!r}, which a cell does "
                                     "not provide.")
    electrodes, detectors, synapses = [], [], []
    for loc, pp in cell.placed:
        node = nodes.node_at(cell.section_index(loc.section), loc.x)
        if isinstance(pp, SpikeDetector):
            detectors.append((node, float(pp.threshold)))
        elif isinstance(pp, SynapticInput):
            synapses.append((node, pp))
        else:
            electrodes.append((node, pp))
    # NEURON recomputes E_Ca by Nernst wherever a mechanism writes cai (ion_style), so "auto"
    # follows a painted calcium pool
    if cell.e_ca == "nernst":
        eca_mask = nodes.area > 0
    elif cell.e_ca == "auto" and provides:
        eca_mask = np.zeros(nodes.n, dtype=bool)
        eca_mask[provides[0].nodes] = True
    else:
        eca_mask = np.zeros(nodes.n, dtype=bool)
    return Assembled(cell, nodes, cap, af, diag, groups, env, electrodes, detectors,
                     bool(eca_mask.any()), synapses, eca_mask)


def _groups(cell: Cell, nodes: Nodes, membrane: np.ndarray) -> list[MechGroup]:
    """One group per mechanism class and options. Where paints of one class overlap, the
    later paint owns the node whatever its options (so painting ``HH(rates="neuron_table")`` on
    the soma after ``HH()`` everywhere replaces the soma's HH instead of adding a second one)."""
    paints = []  # (label, node indices, mechanism), in paint order
    for targets, mech in cell.painted:
        secs = set(cell.sections_of(targets))
        idx = [i for i in range(nodes.n) if membrane[i] and nodes.section[i] in secs]
        paints.append(("+".join(targets), idx, mech))
    owner: dict[tuple[type, int], int] = {}  # (class, node) -> paint index
    for j, (_, idx, mech) in enumerate(paints):
        for i in idx:
            owner[(type(mech), i)] = j
    order: list[Any] = []
    for _, _, mech in paints:
        if mech.static_key() not in order:
            order.append(mech.static_key())
    groups = []
    for key in order:
        mine = [j for j, (_, _, m) in enumerate(paints) if m.static_key() == key]
        cls = type(paints[mine[0]][2])
        node_ids = np.array(sorted(i for (c, i), j in owner.items() if c is cls and j in mine),
                            dtype=np.int64)
        if node_ids.size == 0:
            continue
        mech = paints[mine[-1]][2]
        params: dict[str, np.ndarray] = {}
        for name in mech.param_specs():
            vals = np.empty(node_ids.size)
            for k, i in enumerate(node_ids):
                vals[k] = float(np.asarray(getattr(paints[owner[(cls, i)]][2], name)))
            params[name] = vals
        labels = {}
        for j in mine:
            label, _, m = paints[j]
            mask = np.array([owner[(cls, i)] == j for i in node_ids])
            if mask.any():
                for name in m.param_specs():
                    labels[f"{label}.{m.name}.{name}"] = mask
        inv = np.full(nodes.n, node_ids.size, dtype=np.int64)
        inv[node_ids] = np.arange(node_ids.size)
        groups.append(MechGroup(mech, node_ids, params, labels, inv))
    return groups
