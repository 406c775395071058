"""Built-in example cells (used by the tutorial, the CLI, the benchmarks and the tests)."""

from __future__ import annotations

import math

import numpy as np

from ..channels.hh import HH
from ..channels.passive import Passive
from .cell import Cell
from .discretize import fixed
from .point import IClamp, SpikeDetector

__all__ = ["branched_cell", "branched_morphology", "ca1_cell", "ca1_morphology"]


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


def ca1_morphology() -> object:
    """The CA1 pyramidal cell n120 (NeuroMorpho.Org, Turner archive) shipped with neurodyn."""
    from importlib.resources import files

    from ..morphology import read_swc

    return read_swc(str(files("neurodyn") / "data" / "morphologies" / "ca1_n120.swc"))


def ca1_cell(dendrites: str = "passive", amp: float = 2.0, delay: float = 5.0,
             dur: float = 1.0) -> Cell:
    """CA1 pyramidal cell with NEURON's ``hh`` in the soma and ``dendrites``:

    * ``"passive"``: ``pas`` (g = 0.05 mS/cm², e = −65 mV) on apical and basal dendrites;
    * ``"active"``: ``hh`` at reduced density (g_Na 40, g_K 12, g_L 0.05 mS/cm², E_L −65 mV),
      which carries a backpropagating action potential (Stuart & Sakmann 1994).

    Ra 150 Ω·cm, cm 1 µF/cm², 6.3 °C, d_lambda = 0.1; an ``IClamp`` of ``amp`` nA for ``dur``
    ms at ``delay`` ms in the soma (one action potential) and a spike detector there.
    """
    from .discretize import d_lambda

    if dendrites == "passive":
        dend = Passive(g=0.05, e=-65.0)
    elif dendrites == "active":
        dend = HH(g_na=40.0, g_k=12.0, g_l=0.05, e_l=-65.0)
    else:
        raise ValueError(f"ca1_cell: dendrites must be 'passive' or 'active'; got {dendrites!r}.")
    return (Cell(ca1_morphology(), ra=150.0, cm=1.0, v_init=-65.0, celsius=6.3,
                 nseg=d_lambda(0.1))
            .paint("soma", HH())
            .paint(["apical", "basal"], dend)
            .place("soma(0.5)", IClamp(amp=amp, delay=delay, dur=dur))
            .place("soma(0.5)", SpikeDetector(threshold=0.0)))
