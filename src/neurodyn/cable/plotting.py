"""Figures for multi-compartment cells: voltage along a path (soma to a dendritic tip) and the
morphology coloured by voltage (or any per-section value) at a chosen time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from .assemble import assemble
from .cell import Cell

__all__ = ["farthest_tip", "path_locations", "plot_along_path", "plot_voltage_on_morphology",
           "section_locations"]


def farthest_tip(cell: Cell, region: str | None = None) -> str:
    """Name of the section (optionally of one region) whose end is farthest from the soma along
    the tree."""
    a = assemble(cell)
    cand = [i for i, s in enumerate(cell.sections) if region is None or s.region == region]
    if not cand:
        raise ParameterError(f"farthest_tip: no section in region {region!r}.")
    return cell.sections[cand[int(np.argmax(a.nodes.path[a.nodes.end[cand]]))]].name


def path_locations(cell: Cell, section: str) -> tuple[list[str], np.ndarray]:
    """Every segment centre from the root section to the end of ``section``: location labels
    (``"<section>(<x>)"``, usable in ``record``) and their path distances from the soma (µm)."""
    a = assemble(cell)
    s = cell.section_index(section)
    chain = []
    while s >= 0:
        chain.append(s)
        s = cell.sections[s].parent
    labels, dist = [], []
    for s in reversed(chain):
        n = int(a.nodes.nseg[s])
        for k in range(n):
            labels.append(f"{cell.sections[s].name}({(k + 0.5) / n:.6g})")
            dist.append(a.nodes.path[a.nodes.first[s] + k])
    return labels, np.array(dist)


def section_locations(cell: Cell) -> list[str]:
    """The middle of every section (one label per section, in section order)."""
    return [f"{s.name}(0.5)" for s in cell.sections]


def plot_along_path(distance: Any, values: Mapping[str, Any], ax: Any = None,
                    ylabel: str = "amplitude (mV)", title: str = "") -> Any:
    """Curves of ``values`` (label -> one value per location) against path distance (µm)."""
    from ..plotting import _axes

    ax = _axes(ax, figsize=(5.5, 3.5))
    for label, y in values.items():
        ax.plot(np.asarray(distance), np.asarray(y), marker="o", ms=3, label=label)
    ax.set_xlabel("path distance from soma (µm)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(values) > 1:
        ax.legend(frameon=False)
    return ax


def plot_voltage_on_morphology(cell: Cell, result: Any, t: float | None = None,
                               values: Sequence[float] | None = None, ax: Any = None,
                               projection: str = "xy", label: str = "V (mV)", **kw: Any) -> Any:
    """The morphology coloured per section: by ``values`` (one per section), or by the voltage at
    time ``t`` (ms) of a result recorded at :func:`section_locations` (or its peak when ``t`` is
    None)."""
    if values is None:
        labels = section_locations(cell)
        missing = [k for k in labels if k not in result.traces]
        if missing:
            raise ParameterError(f"plot_voltage_on_morphology: {missing[0]!r} was not recorded. "
                                 "Fix: simulate(..., record=section_locations(cell)).")
        if t is None:
            values = [float(np.max(result.traces[k])) for k in labels]
        else:
            i = int(np.argmin(np.abs(np.asarray(result.t) - float(t))))
            values = [float(result.traces[k][i]) for k in labels]
    return cell.morphology.plot(ax=ax, projection=projection, values=np.asarray(values),
                                label=label, **kw)
