"""Multi-compartment cell descriptions: a morphology, mechanisms painted on regions, point
processes placed at locations (the morphology / labels / decor split of Arbor).

A :class:`Cell` is immutable; :meth:`Cell.paint`, :meth:`Cell.set` and :meth:`Cell.place`
return new cells::

    cell = (Cell(morph, ra=100.0, cm=1.0, v_init=-65.0, celsius=6.3, nseg=d_lambda(0.1))
            .paint("soma", HH())
            .paint("apical", Passive(g=0.1, e=-65.0))
            .set("apical", cm=2.0)
            .place("soma(0.5)", IClamp(amp=0.75, delay=100.0, dur=800.0)))

Targets of ``paint``/``set`` are ``"all"``, a region (``"soma"``, ``"axon"``, ``"basal"``,
``"apical"``, ``"custom5"``), a section name (``"apic[3]"``) or a list of those. Locations are
``"<section>(<x>)"`` strings (``"soma(0.5)"``, ``"apic[12](1)"``) or ``(section, x)`` pairs.

Units: ``ra`` Ω·cm, ``cm`` µF/cm², potentials mV, ``celsius`` °C, concentrations mM.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..channels._base import AbstractMechanism
from ..errors import ParameterError
from .discretize import NsegRule, d_lambda, fixed
from .point import AbstractPointProcess, SpikeDetector, SynapticInput

__all__ = ["PROPERTIES", "Cell", "Location", "parse_location"]

PROPERTIES: dict[str, tuple[str, tuple[float | None, float | None]]] = {
    "cm": ("uF/cm2", (0.0, None)),
    "ra": ("ohm*cm", (0.0, None)),
    "e_na": ("mV", (-200.0, 200.0)),
    "e_k": ("mV", (-200.0, 200.0)),
    "e_ca": ("mV", (-200.0, 300.0)),
    "cai": ("mM", (0.0, None)),
    "cao": ("mM", (0.0, None)),
}
"""Per-region membrane and ion properties that :meth:`Cell.set` accepts: unit and bounds."""

_DEFAULTS = {"cm": 1.0, "ra": 35.4, "e_na": 50.0, "e_k": -77.0, "e_ca": 132.4579341637009,
             "cai": 5e-5, "cao": 2.0}
# NEURON's defaults: Ra 35.4 ohm cm, cm 1 uF/cm2, ena 50, ek -77, eca 132.4579341637009 mV
# (DEF_eca, a fixed value), cai 5e-5, cao 2 mM


@dataclass(frozen=True)
class Location:
    """A point on a cell: a section (name or index) and ``x`` in [0, 1] along it."""

    section: str | int
    x: float = 0.5

    def __str__(self) -> str:
        return f"{self.section}({self.x:g})"


_LOC = re.compile(r"^\s*([A-Za-z_][\w]*(?:\[\d+\])?)\s*(?:\(\s*([-+0-9.eE]+)\s*\))?\s*$")


def parse_location(where: Any) -> Location:
    """``"soma(0.5)"``, ``"apic[3](1)"``, ``"soma"`` (x = 0.5), ``(section, x)`` or a
    :class:`Location`."""
    if isinstance(where, Location):
        return where
    if isinstance(where, tuple) and len(where) == 2:
        return Location(where[0], float(where[1]))
    m = _LOC.match(str(where))
    if m and m.group(2):
        try:
            float(m.group(2))
        except ValueError:
            m = None
    if not m:
        raise ParameterError(f"location {where!r} is not understood. Fix: write "
                             "'<section>(<x>)', e.g. 'soma(0.5)' or 'apic[3](1)'.")
    return Location(m.group(1), float(m.group(2)) if m.group(2) else 0.5)


def _as_targets(target: Any) -> tuple[str, ...]:
    if isinstance(target, str):
        return (target,)
    return tuple(str(t) for t in target)


@dataclass(frozen=True)
class Cell:
    """A multi-compartment neuron (see the module docstring).

    Parameters
    ----------
    morphology: a :class:`neurodyn.morphology.Morphology` (or any object with ``sections``).
    ra, cm: axial resistivity (Ω·cm) and specific capacitance (µF/cm²) everywhere (override per
        region with :meth:`set`).
    v_init: initial potential (mV); mechanisms start at their steady state there.
    celsius: temperature (°C).
    nseg: segments per section: an int, or :func:`~neurodyn.cable.fixed`,
        :func:`~neurodyn.cable.max_length`, :func:`~neurodyn.cable.d_lambda` (default
        ``d_lambda(0.1)``).
    conventions: ``"exact"`` or ``"neuron"``: NEURON's numerical conventions where they are a
        choice (3-D points rounded to single precision as NEURON stores them; use the
        ``rates="neuron_table"`` option of HH-type mechanisms for NEURON's rate tables).
    e_ca: ``"auto"`` (default: from Nernst where a calcium pool is painted, as NEURON does,
        else the ``e_ca`` property), ``"fixed"`` (always the property) or ``"nernst"`` (always
        from ``cai`` and ``cao``).
    """

    morphology: Any
    ra: float = 35.4
    cm: float = 1.0
    v_init: float = -65.0
    celsius: float = 6.3
    nseg: Any = field(default_factory=lambda: d_lambda(0.1))
    conventions: str = "exact"
    e_ca: str = "auto"
    painted: tuple[tuple[tuple[str, ...], AbstractMechanism], ...] = ()
    properties: tuple[tuple[tuple[str, ...], tuple[tuple[str, float], ...]], ...] = ()
    placed: tuple[tuple[Location, Any], ...] = ()

    def __post_init__(self) -> None:
        if not hasattr(self.morphology, "sections") or not len(self.morphology.sections):
            raise ParameterError("Cell.morphology must be a Morphology with at least one section; "
                                 f"got {type(self.morphology).__name__}. Fix: "
                                 "neurodyn.morphology.read('cell.swc') or a builder.")
        if isinstance(self.nseg, numbers.Number) and not isinstance(self.nseg, bool):
            object.__setattr__(self, "nseg", fixed(self.nseg))
        if not isinstance(self.nseg, NsegRule):
            raise ParameterError(f"Cell.nseg must be an int or a rule (fixed, max_length, d_lambda); "
                                 f"got {self.nseg!r}.")
        for name, val, unit, lo in (("ra", self.ra, "ohm*cm", 0.0), ("cm", self.cm, "uF/cm2", 0.0)):
            if not float(val) > lo:
                raise ParameterError(f"Cell.{name} must be > 0 {unit}; got {val!r}. Fix: typical "
                                     f"values are Ra 35-200 ohm*cm, cm ~1 uF/cm2.")
        if not -10.0 <= float(self.celsius) <= 50.0:
            raise ParameterError(f"Cell.celsius must be in [-10, 50] degC; got {self.celsius!r}.")
        if self.conventions not in ("exact", "neuron"):
            raise ParameterError(f"Cell.conventions must be 'exact' or 'neuron'; got "
                                 f"{self.conventions!r}.")
        if self.e_ca not in ("auto", "fixed", "nernst"):
            raise ParameterError(f"Cell.e_ca must be 'auto', 'fixed' or 'nernst'; got "
                                 f"{self.e_ca!r}.")

    # ------------------------------------------------------------------ builders
    def paint(self, target: str | Sequence[str], *mechanisms: AbstractMechanism) -> Cell:
        """Insert mechanisms on a region, a section or ``"all"`` (later paints of the same
        mechanism class override earlier ones where they overlap)."""
        tg = _as_targets(target)
        self.sections_of(tg)  # validate now
        for m in mechanisms:
            if not isinstance(m, AbstractMechanism):
                raise ParameterError(f"Cell.paint({target!r}, ...) expects mechanisms from "
                                     f"neurodyn.channels; got {type(m).__name__}.")
        return dataclasses.replace(self, painted=self.painted + tuple((tg, m) for m in mechanisms))

    def set(self, target: str | Sequence[str], **props: float) -> Cell:
        """Set membrane/ion properties (``cm``, ``ra``, ``e_na``, ``e_k``, ``e_ca``, ``cai``,
        ``cao``; units in :data:`PROPERTIES`) on a region, a section or ``"all"``."""
        tg = _as_targets(target)
        self.sections_of(tg)
        for k, v in props.items():
            if k not in PROPERTIES:
                raise ParameterError(f"Cell.set: unknown property {k!r}. Known: "
                                     f"{', '.join(PROPERTIES)}.")
            unit, (lo, hi) = PROPERTIES[k]
            v = float(v)
            bad = (lo is not None and (v <= lo if k in ("cm", "ra") else v < lo)) or (
                hi is not None and v > hi)
            if bad or v != v:
                raise ParameterError(f"Cell.set({target!r}, {k}=...) must be in "
                                     f"[{lo}, {hi}] {unit}; got {v!r}.")
        entry = (tg, tuple((k, float(v)) for k, v in props.items()))
        return dataclasses.replace(self, properties=(*self.properties, entry))

    def place(self, where: Any, process: Any) -> Cell:
        """Put a point process (:class:`IClamp`, :class:`SEClamp`, :class:`SynapticInput`,
        :class:`SpikeDetector`) at a location."""
        loc = parse_location(where)
        self.section_index(loc.section)
        if not isinstance(process, AbstractPointProcess | SpikeDetector | SynapticInput):
            raise ParameterError(f"Cell.place({where!r}, ...) expects IClamp, SEClamp, "
                                 f"SynapticInput or SpikeDetector; got {type(process).__name__}.")
        if not 0.0 <= loc.x <= 1.0:
            raise ParameterError(f"Cell.place: x must be in [0, 1]; got {loc.x!r} in {where!r}.")
        return dataclasses.replace(self, placed=(*self.placed, (loc, process)))

    # ------------------------------------------------------------------ lookup
    @property
    def sections(self) -> tuple[Any, ...]:
        return tuple(self.morphology.sections)

    def section_index(self, section: str | int) -> int:
        secs = self.sections
        if isinstance(section, int):
            if 0 <= section < len(secs):
                return section
        else:
            for i, s in enumerate(secs):
                if s.name == section:
                    return i
            if section == "soma" and secs and secs[0].region == "soma":
                return 0
        names = ", ".join(s.name for s in secs[:6])
        raise ParameterError(f"Cell: no section {section!r}. Sections: {names}"
                             f"{', ...' if len(secs) > 6 else ''} ({len(secs)} in all).")

    def sections_of(self, targets: tuple[str, ...]) -> list[int]:
        secs = self.sections
        out: set[int] = set()
        regions = {s.region for s in secs}
        for t in targets:
            if t == "all":
                out.update(range(len(secs)))
            elif t in regions:
                out.update(i for i, s in enumerate(secs) if s.region == t)
            else:
                try:
                    out.add(self.section_index(t))
                except ParameterError:
                    raise ParameterError(
                        f"Cell: target {t!r} is neither 'all', a region ({', '.join(sorted(regions))}) "
                        "nor a section name. Fix: use one of those.") from None
        return sorted(out)

    def property_per_section(self, name: str) -> list[float]:
        base = {"cm": float(self.cm), "ra": float(self.ra)}.get(name, _DEFAULTS[name])
        vals = [base] * len(self.sections)
        for tg, props in self.properties:
            for k, v in props:
                if k == name:
                    for i in self.sections_of(tg):
                        vals[i] = v
        return vals
