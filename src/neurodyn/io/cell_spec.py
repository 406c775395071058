"""TOML specs of multi-compartment cells for ``neurodyn run`` (a ``[cell]`` table)::

    name = "ca1_bap"
    [cell]
    builtin = "ca1_active"            # a complete example cell: ca1_passive, ca1_active, branched
    # ... or a morphology file (path relative to the spec) to paint:
    morphology = "cell.swc"           # .swc or .asc; unit = "nm" for files in nanometres
    ra = "150 ohm*cm"
    cm = "1 uF/cm2"
    v_init = "-65 mV"
    celsius = 6.3
    nseg = {d_lambda = 0.1}           # or an integer, or {max_length = "20 um"}
    conventions = "exact"             # or "neuron"
    [[cell.paint]]
    target = ["apical", "basal"]      # "all", a region, a section name, or a list of those
    mechanism = "hh"                  # hh, pas, ih, cat, cahva, capool, sk, bk, im, nap, ka
    parameters = {g_na = "40 mS/cm2", g_k = "12 mS/cm2"}
    [[cell.set]]
    target = "apical"
    cm = "2 uF/cm2"                   # cm, ra, e_na, e_k, e_ca, cai, cao
    [[cell.place]]
    location = "soma(0.5)"
    type = "IClamp"                   # IClamp, SEClamp, SpikeDetector, SynapticInput
    amp = "0.5 nA"
    delay = "100 ms"
    dur = "800 ms"

    [simulation]
    t_stop = "1 s"
    dt = "0.025 ms"
    method = "backward_euler"         # or crank_nicolson
    record_dt = "0.1 ms"
    [record]
    locations = ["soma(0.5)", "apic[40](0.5)"]
    path_to = "apical"                # every segment from the soma to the farthest apical tip
    sections = true                   # the middle of every section (for the morphology figure)
    [batch]
    "soma.hh.g_na" = [100, 120, 140]  # parameter paths (see CellSimulator.param_paths)
    [output]
    folder = "out/ca1_bap"
    plots = ["traces", "path", "morphology"]

Every error names the key path, what was expected and the fix.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NeurodynError, SpecError
from .network_spec import _described, _err, _keys, _num

__all__ = ["CellSpec", "parse_cell_spec", "parse_cell_table"]

_TOP = {"name", "description", "cell", "simulation", "record", "batch", "output"}
_CELL = {"builtin", "morphology", "unit", "ra", "cm", "v_init", "celsius", "nseg", "conventions",
         "paint", "set", "place"}
_SIM = {"t_stop", "dt", "method", "record_dt"}
_REC = {"locations", "path_to", "sections"}
CELL_PLOTS = ("traces", "path", "morphology")
BUILTINS = ("ca1_passive", "ca1_active", "branched")


@dataclass
class CellSpec:
    name: str
    cell: Any
    t_stop: float
    dt: float
    method: str
    record_dt: float | None
    locations: list[str]
    path: tuple[list[str], np.ndarray] | None
    sections: bool
    batch: dict[str, np.ndarray]
    folder: str
    plots: tuple[str, ...]
    description: str = ""
    source: str = "<spec>"
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def record(self) -> list[str]:
        from ..cable.plotting import section_locations

        out = list(self.locations)
        if self.path is not None:
            out += [k for k in self.path[0] if k not in out]
        if self.sections:
            out += [k for k in section_locations(self.cell) if k not in out]
        return out


def _cell_base(c: dict[str, Any], source: str) -> Any:
    from ..cable import Cell, d_lambda, fixed, max_length
    from ..cable import examples as ex
    from ..morphology import read_morphology

    if "builtin" in c:
        b = c["builtin"]
        if b not in BUILTINS:
            raise _err(source, "[cell].builtin", f"must be one of {', '.join(BUILTINS)}; got {b!r}.")
        other = set(c) & {"morphology", "unit", "ra", "cm", "v_init", "celsius", "nseg",
                          "conventions"}
        if other:
            raise _err(source, f"[cell].{sorted(other)[0]}", "a builtin cell sets its own "
                       "geometry and properties. Fix: remove it, or give morphology = ... instead.")
        if b == "branched":
            return ex.branched_cell()
        return ex.ca1_cell(b.split("_")[1], amp=0.5, delay=100.0, dur=800.0)
    if "morphology" not in c:
        raise _err(source, "[cell]", "needs builtin = ... or morphology = \"file.swc\".")
    path = str(c["morphology"])
    if not os.path.isabs(path) and source not in ("<spec>", ""):
        path = os.path.join(os.path.dirname(os.path.abspath(source)), path)
    try:
        morph = read_morphology(path, unit=c.get("unit"))
    except (NeurodynError, OSError) as exc:
        raise _err(source, "[cell].morphology", str(exc)) from None
    nseg_d = c.get("nseg", {"d_lambda": 0.1})
    nseg = None
    try:
        if isinstance(nseg_d, int) and not isinstance(nseg_d, bool):
            nseg = fixed(nseg_d) if nseg_d >= 1 else None
        elif isinstance(nseg_d, dict) and len(nseg_d) == 1 and "d_lambda" in nseg_d:
            nseg = d_lambda(_num(nseg_d["d_lambda"], "1", "[cell].nseg.d_lambda", source))
        elif isinstance(nseg_d, dict) and len(nseg_d) == 1 and "max_length" in nseg_d:
            nseg = max_length(_num(nseg_d["max_length"], "um", "[cell].nseg.max_length", source))
    except SpecError:
        raise
    except NeurodynError as exc:
        raise _err(source, "[cell].nseg", str(exc)) from None
    if nseg is None:
        raise _err(source, "[cell].nseg", f"must be a positive integer, {{d_lambda = 0.1}} or "
                   f"{{max_length = \"20 um\"}}; got {nseg_d!r}.")
    kw = {"ra": _num(c.get("ra", 35.4), "ohm*cm", "[cell].ra", source),
          "cm": _num(c.get("cm", 1.0), "uF/cm2", "[cell].cm", source),
          "v_init": _num(c.get("v_init", -65.0), "mV", "[cell].v_init", source),
          "celsius": _num(c.get("celsius", 6.3), "degC", "[cell].celsius", source),
          "conventions": c.get("conventions", "exact")}
    try:
        return Cell(morph, nseg=nseg, **kw)
    except SpecError:
        raise
    except NeurodynError as exc:
        raise _err(source, "[cell]", str(exc)) from None


def _point(d: dict[str, Any], where: str, source: str) -> Any:
    from .. import synapses as SY
    from ..cable import IClamp, SEClamp, SpikeDetector, SynapticInput

    t = d.get("type")
    kw = {k: v for k, v in d.items() if k not in ("type", "location")}
    if t == "SynapticInput":
        _keys(kw, {"synapse", "times", "weight"}, where, source)
        syn = _described({"Exp": SY.Exp, "Alpha": SY.Alpha, "BiExp": SY.BiExp},
                         kw.get("synapse"), f"{where}.synapse", source)
        times = kw.get("times", [])
        if not isinstance(times, list):
            raise _err(source, f"{where}.times", f"must be a list of spike times; got {times!r}.")
        times = [_num(x, "ms", f"{where}.times", source) for x in times]
        try:
            return SynapticInput(syn, times,
                                 _num(kw.get("weight", 1.0), syn.weight_unit, f"{where}.weight",
                                      source))
        except SpecError:
            raise
        except NeurodynError as exc:
            raise _err(source, where, str(exc)) from None
    return _described({"IClamp": IClamp, "SEClamp": SEClamp, "SpikeDetector": SpikeDetector},
                      {"type": t, **kw} if t is not None else d, where, source)


def parse_cell_table(table: Any, source: str = "<spec>") -> Any:
    """The :class:`~neurodyn.cable.Cell` of a ``[cell]`` table (builtin or morphology, paints,
    properties, point processes); used by cell specs and by fit specs."""
    from ..channels import MECHANISMS

    c = _keys(table, _CELL, "[cell]", source)
    cell = _cell_base(c, source)
    for i, pd in enumerate(c.get("paint", [])):
        where = f"[[cell.paint]][{i}]"
        _keys(pd, {"target", "mechanism", "parameters"}, where, source)
        name = pd.get("mechanism")
        if name not in MECHANISMS:
            close = difflib.get_close_matches(str(name), list(MECHANISMS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise _err(source, f"{where}.mechanism", f"unknown {name!r}.{hint} Known: "
                       f"{', '.join(MECHANISMS)}.")
        cls = MECHANISMS[name]
        params = pd.get("parameters", {}) or {}
        if not isinstance(params, dict):
            raise _err(source, f"{where}.parameters", f"must be a table, e.g. {{g_na = \"40 "
                       f"mS/cm2\"}}; got {params!r}.")
        kw = {}
        for k, v in params.items():
            spec = {**cls.param_specs(), **cls.option_specs()}.get(k)
            if spec is None:
                raise _err(source, f"{where}.parameters.{k}", f"{cls.__name__} has no parameter "
                           f"{k!r}. Known: {', '.join(cls.param_specs())}.")
            kw[k] = _num(v, spec.unit, f"{where}.parameters.{k}", source) \
                if hasattr(spec, "unit") else v
        try:
            cell = cell.paint(pd.get("target", "all"), cls(**kw))
        except SpecError:
            raise
        except NeurodynError as exc:
            raise _err(source, where, str(exc)) from None
    for i, sd in enumerate(c.get("set", [])):
        where = f"[[cell.set]][{i}]"
        from ..cable.cell import PROPERTIES

        _keys(sd, {"target", *PROPERTIES}, where, source)
        props = {k: _num(v, PROPERTIES[k][0], f"{where}.{k}", source)
                 for k, v in sd.items() if k != "target"}
        try:
            cell = cell.set(sd.get("target", "all"), **props)
        except SpecError:
            raise
        except NeurodynError as exc:
            raise _err(source, where, str(exc)) from None
    for i, pl in enumerate(c.get("place", [])):
        where = f"[[cell.place]][{i}]"
        if not isinstance(pl, dict) or "location" not in pl:
            raise _err(source, f"{where}.location", "missing. Fix: location = \"soma(0.5)\".")
        try:
            cell = cell.place(pl["location"], _point(pl, where, source))
        except SpecError:
            raise
        except NeurodynError as exc:
            raise _err(source, where, str(exc)) from None
    return cell


def parse_cell_spec(data: dict[str, Any], *, source: str = "<spec>",
                    default_name: str = "run") -> CellSpec:
    """Validate a cell spec (the parsed TOML)."""
    from ..cable.plotting import farthest_tip, path_locations

    _keys(data, _TOP, "", source)
    cell = parse_cell_table(data.get("cell"), source)

    s = _keys(data.get("simulation") or {}, _SIM, "[simulation]", source)
    if "t_stop" not in s:
        raise _err(source, "[simulation].t_stop", "missing. Fix: t_stop = \"500 ms\".")
    t_stop = _num(s["t_stop"], "ms", "[simulation].t_stop", source)
    dt = _num(s.get("dt", 0.025), "ms", "[simulation].dt", source)
    record_dt = _num(s["record_dt"], "ms", "[simulation].record_dt", source) \
        if "record_dt" in s else None
    method = s.get("method", "backward_euler")
    if method not in ("backward_euler", "crank_nicolson"):
        raise _err(source, "[simulation].method", f"must be backward_euler or crank_nicolson; got "
                   f"{method!r}.")
    r = _keys(data.get("record") or {}, _REC, "[record]", source)
    locations = r.get("locations", ["soma(0.5)"])
    if not isinstance(locations, list) or not all(isinstance(x, str) for x in locations):
        raise _err(source, "[record].locations", f"must be a list of locations such as "
                   f"[\"soma(0.5)\"]; got {locations!r}.")
    path = None
    if "path_to" in r:
        try:
            tip = r["path_to"]
            regions = {sec.region for sec in cell.sections}
            tip = farthest_tip(cell, tip) if tip in regions else tip
            path = path_locations(cell, tip)
        except SpecError:
            raise
        except NeurodynError as exc:
            raise _err(source, "[record].path_to", str(exc)) from None
    batch = {}
    for k, v in (data.get("batch") or {}).items():
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            arr = np.zeros((0,))
        if arr.ndim != 1 or arr.size == 0:
            raise _err(source, f"[batch].{k}", f"must be a non-empty list of numbers; got {v!r}.")
        batch[k] = arr
    if len({a.size for a in batch.values()}) > 1:
        sizes = ", ".join(f"{k}: {a.size}" for k, a in batch.items())
        raise _err(source, "[batch]", f"every list must have the same length (one value per "
                   f"run); got {sizes}.")
    out = _keys(data.get("output") or {}, {"folder", "plots"}, "[output]", source)
    name = str(data.get("name", default_name))
    plots = tuple(out.get("plots", ("traces",) + (("path",) if path else ())
                          + (("morphology",) if r.get("sections") else ())))
    for p in plots:
        if p not in CELL_PLOTS:
            raise _err(source, "[output].plots", f"unknown plot {p!r}. Known: {', '.join(CELL_PLOTS)}.")
    spec = CellSpec(name, cell, t_stop, dt, method, record_dt, locations, path,
                    bool(r.get("sections", False)), batch, str(out.get("folder", f"out/{name}")),
                    plots, str(data.get("description", "")), source, data)
    from ..cable import build

    try:
        sim = build(cell, t_stop, dt, record=spec.record, record_dt=record_dt, method=method)
        sim.params(batch, (len(next(iter(batch.values()))),) if batch else ())
    except SpecError:
        raise
    except NeurodynError as exc:
        raise _err(source, "[simulation]/[record]/[batch]", str(exc)) from None
    return spec
