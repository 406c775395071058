"""Data model of a neuron morphology: a tree of unbranched sections of 3-D points (µm).

A :class:`Morphology` is a tuple of :class:`Section` objects in topological order (every parent
before its children, the root first: the soma when there is one). Each section holds ``(n, 4)``
points ``[x, y, z, diameter]`` in µm and says where it attaches to its parent (``parent_x``, a
fraction of the parent's arc length). Path distances are measured along the tree from the
midpoint of the root section (the soma centre). See :mod:`neurodyn.morphology` for the soma
conventions the readers follow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import MorphologyError, ParameterError

__all__ = ["Morphology", "MorphologySummary", "Section", "region_of_swc_type", "section_names"]

_PREFIX = {"soma": "soma", "axon": "axon", "basal": "dend", "apical": "apic"}
_UNIT_FACTORS = {"um": 1.0, "µm": 1.0, "μm": 1.0, "micrometer": 1.0, "micron": 1.0,
                 "nm": 1e-3, "nanometer": 1e-3, "mm": 1e3, "millimeter": 1e3}


def region_of_swc_type(swc_type: int) -> str:
    """Region name of an SWC structure type: 1 soma, 2 axon, 3 basal, 4 apical, 0 undefined,
    k >= 5 ``"custom<k>"``."""
    return {0: "undefined", 1: "soma", 2: "axon", 3: "basal", 4: "apical"}.get(
        int(swc_type), f"custom{int(swc_type)}")


def section_names(regions: Sequence[str]) -> list[str]:
    """NEURON-like names, numbered per region in order: ``soma`` (``soma[i]`` if several),
    ``dend[i]`` (basal), ``apic[i]``, ``axon[i]``, ``<region>[i]`` otherwise."""
    count: dict[str, int] = {}
    n_soma = sum(r == "soma" for r in regions)
    names = []
    for r in regions:
        k = count.get(r, 0)
        count[r] = k + 1
        names.append("soma" if r == "soma" and n_soma == 1 else f"{_PREFIX.get(r, r)}[{k}]")
    return names


def scale_factor(scale: Any, unit: str | None, where: str) -> float:
    """Combined factor to µm of a reader's ``scale`` and ``unit`` options (they multiply)."""
    try:
        s = float(scale)
    except (TypeError, ValueError):
        s = float("nan")
    if not (math.isfinite(s) and s > 0):
        raise ParameterError(f"{where}: scale must be a finite number > 0 (dimensionless factor to "
                             f"µm); got {scale!r}. Fix: pass e.g. scale=1e-3 for a file in nm.")
    if unit is None:
        return s
    if not isinstance(unit, str) or unit.strip().lower() not in _UNIT_FACTORS:
        raise ParameterError(f"{where}: unit must be one of 'um', 'nm', 'mm' (the file's length "
                             f"unit); got {unit!r}. Fix: pass unit='nm' for a file in nanometres.")
    return s * _UNIT_FACTORS[unit.strip().lower()]


def _segments(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axial lengths (µm) and end radii (µm) of the frusta between consecutive points."""
    h = np.linalg.norm(np.diff(points[:, :3], axis=0), axis=1)
    return h, points[:-1, 3] / 2.0, points[1:, 3] / 2.0


@dataclass(frozen=True)
class Section:
    """An unbranched piece of neurite (or the soma).

    Attributes
    ----------
    name: NEURON-like name, e.g. ``"soma"``, ``"dend[0]"``, ``"apic[3]"``, ``"custom5[0]"``.
    region: ``"soma"``, ``"axon"``, ``"basal"``, ``"apical"``, ``"undefined"`` or ``"custom<k>"``.
    points: ``(n, 4)`` read-only float64 array ``[x, y, z, diameter]`` in µm, ``n >= 2``.
    parent: index of the parent section in :attr:`Morphology.sections`; -1 for the root.
    parent_x: attachment point on the parent, as a fraction (0..1) of its arc length.
    """

    name: str
    region: str
    points: np.ndarray
    parent: int
    parent_x: float

    def __post_init__(self) -> None:
        try:
            pts = np.array(self.points, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise MorphologyError(f"Section {self.name!r}: points must be an (n, 4) array of "
                                  f"numbers (x, y, z, diameter in µm); {exc}. Fix: pass a float "
                                  "array.") from None
        if pts.ndim != 2 or pts.shape[1] != 4 or pts.shape[0] < 2:
            raise MorphologyError(f"Section {self.name!r}: points must have shape (n, 4) with n >= 2 "
                                  f"([x, y, z, diameter] in µm); got shape {pts.shape}. Fix: give "
                                  "at least two points of four values.")
        if not np.all(np.isfinite(pts)):
            raise MorphologyError(f"Section {self.name!r}: points must be finite; got NaN/inf. "
                                  "Fix: remove or repair the non-finite values.")
        if not np.all(pts[:, 3] > 0):
            raise MorphologyError(f"Section {self.name!r}: diameters must be > 0 µm; got minimum "
                                  f"{pts[:, 3].min():g} µm. Fix: give every point a positive "
                                  "diameter.")
        px = float(self.parent_x)
        if not 0.0 <= px <= 1.0:
            raise MorphologyError(f"Section {self.name!r}: parent_x must be in [0, 1] (fraction of "
                                  f"the parent's length); got {self.parent_x!r}. Fix: use 1.0 for "
                                  "the parent's end.")
        pts.setflags(write=False)
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "parent", int(self.parent))
        object.__setattr__(self, "parent_x", px)

    @cached_property
    def arc(self) -> np.ndarray:
        """Cumulative arc length (µm) at each point, starting at 0 (read-only)."""
        h = np.linalg.norm(np.diff(self.points[:, :3], axis=0), axis=1)
        out = np.concatenate([[0.0], np.cumsum(h)])
        out.setflags(write=False)
        return out

    @property
    def length(self) -> float:
        """Length (µm): sum of the 3-D distances between consecutive points."""
        return float(self.arc[-1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Section):
            return NotImplemented
        return (self.name, self.region, self.parent, self.parent_x) == (
            other.name, other.region, other.parent, other.parent_x) and np.array_equal(
            self.points, other.points)

    def __hash__(self) -> int:
        return hash((self.name, self.region, self.parent, self.parent_x, self.points.tobytes()))


@dataclass(frozen=True)
class MorphologySummary:
    """Morphometrics of a :class:`Morphology` (lengths µm, areas µm², volumes µm³).

    ``n_points`` counts the rows of all sections (branch points repeated in child sections);
    ``total_length`` includes the soma section, ``neurite_length`` excludes it; ``surface_area``
    and ``volume`` sum frusta between consecutive points (soma included, end caps excluded);
    ``n_branch_points`` counts points outside the soma where a neurite splits in two or more;
    ``n_tips`` counts free neurite ends; ``max_path_length`` is the largest distance along the
    tree from the root midpoint (soma centre).
    """

    n_sections: int
    n_points: int
    total_length: float
    neurite_length: float
    surface_area: float
    volume: float
    n_branch_points: int
    n_tips: int
    max_path_length: float
    length_by_region: dict[str, float] = field(default_factory=dict)
    source: str = ""

    def __str__(self) -> str:
        rows = [
            ("sections", f"{self.n_sections}"),
            ("points", f"{self.n_points}"),
            ("total length", f"{self.total_length:.2f} µm"),
            ("neurite length (no soma)", f"{self.neurite_length:.2f} µm"),
            ("surface area", f"{self.surface_area:.2f} µm²"),
            ("volume", f"{self.volume:.2f} µm³"),
            ("branch points", f"{self.n_branch_points}"),
            ("tips", f"{self.n_tips}"),
            ("max path length", f"{self.max_path_length:.2f} µm"),
        ]
        rows += [(f"length {r}", f"{v:.2f} µm") for r, v in self.length_by_region.items()]
        width = max(len(k) for k, _ in rows)
        head = f"Morphology summary{f' ({self.source})' if self.source else ''}"
        return "\n".join([head, *(f"  {k:<{width}}  {v:>14}" for k, v in rows)])


@dataclass(frozen=True)
class Morphology:
    """A neuron morphology: sections in topological order, root first.

    Attributes
    ----------
    sections: tuple of :class:`Section`; ``sections[i].parent < i``, ``sections[0].parent == -1``.
    source: file path or builder name (used in error messages).
    """

    sections: tuple[Section, ...]
    source: str = ""

    def __post_init__(self) -> None:
        secs = tuple(self.sections)
        object.__setattr__(self, "sections", secs)
        where = f"Morphology({self.source!r})" if self.source else "Morphology"
        if not secs:
            raise MorphologyError(f"{where}: has no sections. Fix: give at least one Section.")
        for i, s in enumerate(secs):
            if not isinstance(s, Section):
                raise MorphologyError(f"{where}: sections[{i}] must be a Section; got "
                                      f"{type(s).__name__}. Fix: build Section objects.")
            ok = s.parent == -1 if i == 0 else 0 <= s.parent < i
            if not ok:
                raise MorphologyError(
                    f"{where}: section {i} ({s.name}) has parent {s.parent}; expected "
                    f"{'-1 (root)' if i == 0 else f'an index in [0, {i - 1}]'}. Fix: order sections "
                    "parents first with a single root at index 0.")

    @property
    def regions(self) -> tuple[str, ...]:
        """Region names present, in order of first appearance."""
        return tuple(dict.fromkeys(s.region for s in self.sections))

    def children(self, section: int) -> tuple[int, ...]:
        """Indices of the sections attached to ``section``."""
        return tuple(i for i, s in enumerate(self.sections) if s.parent == section)

    @cached_property
    def _start(self) -> np.ndarray:
        """Path distance (µm) from the root midpoint to the 0-end of each section."""
        start = np.zeros(len(self.sections))
        lengths = [s.length for s in self.sections]
        for i, s in enumerate(self.sections[1:], 1):
            p = s.parent
            start[i] = abs(s.parent_x - 0.5) * lengths[0] if p == 0 else start[p] + s.parent_x * lengths[p]
        return start

    def path_distance(self, section: int, x: float) -> float:
        """Distance (µm) along the tree from the root section's midpoint (the soma centre) to
        point ``x`` (fraction 0..1 of arc length) of section ``section``."""
        n = len(self.sections)
        if isinstance(section, bool) or not isinstance(section, int | np.integer) or not 0 <= section < n:
            raise ParameterError(f"Morphology.path_distance: section must be an index in [0, {n - 1}]; "
                                 f"got {section!r}. Fix: pass a section index.")
        if not 0.0 <= float(x) <= 1.0:
            raise ParameterError(f"Morphology.path_distance: x must be in [0, 1] (fraction of the "
                                 f"section's length); got {x!r}. Fix: pass e.g. x=0.5.")
        length = self.sections[section].length
        if section == 0:
            return abs(float(x) - 0.5) * length
        return float(self._start[section] + float(x) * length)

    def scaled(self, factor: float) -> Morphology:
        """A copy with coordinates and diameters multiplied by ``factor`` (> 0)."""
        f = scale_factor(factor, None, "Morphology.scaled")
        return Morphology(tuple(Section(s.name, s.region, s.points * f, s.parent, s.parent_x)
                                for s in self.sections), self.source)

    def summary(self) -> MorphologySummary:
        """Morphometrics (see :class:`MorphologySummary`)."""
        area = volume = 0.0
        by_region: dict[str, float] = {}
        at_end = [0] * len(self.sections)
        elsewhere = [0] * len(self.sections)
        for s in self.sections:
            h, r1, r2 = _segments(s.points)
            area += float(np.sum(np.pi * (r1 + r2) * np.sqrt(h**2 + (r1 - r2) ** 2)))
            volume += float(np.sum(np.pi * h / 3.0 * (r1**2 + r1 * r2 + r2**2)))
            by_region[s.region] = by_region.get(s.region, 0.0) + s.length
            if s.parent >= 0:
                (at_end if s.parent_x >= 1.0 else elsewhere)[s.parent] += 1
        neurite = [i for i, s in enumerate(self.sections) if s.region != "soma"]
        # a point splits when >= 2 branches leave it: children at the end; children elsewhere plus
        # the section's own continuation.
        n_branch = sum((at_end[i] >= 2) + (elsewhere[i] > 0) for i in neurite)
        n_tips = sum(at_end[i] == 0 for i in neurite)
        ends = [self.path_distance(i, 1.0) for i in range(len(self.sections))]
        total = float(sum(by_region.values()))
        return MorphologySummary(
            n_sections=len(self.sections),
            n_points=int(sum(len(s.points) for s in self.sections)),
            total_length=total,
            neurite_length=total - by_region.get("soma", 0.0),
            surface_area=area,
            volume=volume,
            n_branch_points=int(n_branch),
            n_tips=int(n_tips),
            max_path_length=float(max(ends)),
            length_by_region=by_region,
            source=self.source,
        )

    def plot(self, ax: Any = None, projection: str = "xy", values: Any = None, cmap: Any = "viridis",
             **kwargs: Any) -> Any:
        """2-D projection on matplotlib axes; see :func:`neurodyn.morphology.plot.plot_morphology`."""
        from .plot import plot_morphology

        return plot_morphology(self, ax=ax, projection=projection, values=values, cmap=cmap, **kwargs)

    def __len__(self) -> int:
        return len(self.sections)
