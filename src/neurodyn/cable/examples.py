"""Built-in example cells (used by the tutorial, the CLI, the benchmarks and the tests)."""

from __future__ import annotations

import math

import numpy as np

from ..channels.hh import HH
from ..channels.passive import Passive
from .cell import Cell
from .discretize import fixed
from .point import IClamp, SpikeDetector

__all__ = ["branched_cell", "branched_morphology"]


def branched_morphology(levels: int = 6) -> object:
    """The branched reference cell of ``tests/reference_data/neuron_mc_cell``: a soma
    (L = diam = 30 µm) and an apical binary tree of ``levels`` levels, level ``k`` sections
    ``L = 150·0.8^k`` µm long with ``diam = 3·2^(-2k/3)`` µm (Rall's 3/2 power rule), drawn in the
    plane (angles spread per level), breadth-first names ``dend_<level>_<j>``."""
    from ..morphology.tree import Morphology, Section

    secs = [Section("soma", "soma", np.array([[-15.0, 0, 0, 30.0], [15.0, 0, 0, 30.0]]), -1, 0.5)]
    ends = {"soma": (np.array([15.0, 0.0, 0.0]), 0.0)}
    index = {"soma": 0}
    for k in range(levels):
        length = 150.0 * 0.8**k
        diam = 3.0 * 2.0 ** (-2.0 * k / 3.0)
        for j in range(2**k):
            parent = "soma" if k == 0 else f"dend_{k - 1}_{j // 2}"
            start, angle0 = ends[parent]
            angle = angle0 + (0.0 if k == 0 else (0.5 if j % 2 else -0.5) * 0.8**k)
            stop = start + length * np.array([math.cos(angle), math.sin(angle), 0.0])
            name = f"dend_{k}_{j}"
            secs.append(Section(name, "apical", np.array([[*start, diam], [*stop, diam]]),
                                index[parent], 1.0))
            index[name] = len(secs) - 1
            ends[name] = (stop, angle)
    return Morphology(tuple(secs), source="branched_morphology")


def branched_cell(rates: str = "exact", conventions: str = "exact", amp: float = 0.75,
                  levels: int = 6) -> Cell:
    """The branched reference cell with NEURON's ``hh`` in the soma, ``pas`` (g = 0.1 mS/cm²,
    e = -65 mV) in the dendrites, Ra 100 Ω·cm, cm 1 µF/cm², 6.3 °C, trunk 13 segments and 3 per
    other section, an ``IClamp`` of ``amp`` nA at the soma from 100 to 900 ms, and a spike
    detector (0 mV) at the soma."""
    morph = branched_morphology(levels)
    nseg = {s.name: 3 for s in morph.sections}
    nseg.update({"soma": 1, "dend_0_0": 13})
    return (Cell(morph, ra=100.0, cm=1.0, v_init=-65.0, celsius=6.3,
                 nseg=fixed(1).with_overrides(nseg), conventions=conventions)
            .paint("soma", HH(rates=rates))
            .paint("apical", Passive(g=0.1, e=-65.0))
            .set("soma", e_na=50.0, e_k=-77.0)
            .place("soma(0.5)", IClamp(amp=amp, delay=100.0, dur=800.0))
            .place("soma(0.5)", SpikeDetector(threshold=0.0)))
