"""TOML simulation specs for ``neurodyn run``.

A spec describes a model, its stimulus, the run and what to write::

    name = "hh_step"                       # optional; default: the file name
    [model]
    type = "HodgkinHuxley"                 # a class of neurodyn.models (aliases: HH, FHN, Izh)
    preset = "RS"                          # optional, Izhikevich/AdEx presets
    [model.parameters]                     # values with units as strings, or numbers in the
    g_na = "120 mS/cm2"                    # parameter's declared unit; options too
    rates = "exact"

    [simulation]
    t_stop = "200 ms"                      # required
    dt = "0.01 ms"                         # default 0.025 ms
    method = "exp_euler"                   # default: the model's
    seed = 0
    dtype = "float64"

    [[stimulus]]                           # any number; they add up
    type = "Step"
    amplitude = "10 uA/cm2"
    start = "20 ms"
    stop = "180 ms"

    [record]
    variables = ["v"]                      # default ["v"]
    interval = "0.1 ms"                    # default dt
    spikes = true                          # or {threshold = "0 mV", variable = "v"}

    [sweep]                                # optional: a batch in one compiled call
    mode = "grid"                          # "zip" (same-length lists) or "grid" (factorial)
    [sweep.parameters]
    "stimulus.amplitude" = {start = "0 uA/cm2", stop = "20 uA/cm2", num = 21}
    g_na = ["100 mS/cm2", "120 mS/cm2"]

    [output]
    folder = "out/hh_step"                 # default out/<name>; relative to the working dir
    plots = ["traces", "raster", "fi", "phase_plane"]   # default: those that apply

Every error names the key path (``[simulation].t_stop``), what was expected and the fix.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NeurodynError, SpecError
from ..models import ALIASES, REGISTRY, AbstractNeuronModel, SpikeDetector
from ..units import describe_dimension, parse_quantity, to_unit

__all__ = ["RunSpec", "load_spec", "parse_spec"]

_TOP = {"name", "description", "model", "simulation", "stimulus", "record", "sweep", "output"}
_SECTIONS = {
    "model": {"type", "preset", "parameters"},
    "simulation": {"t_stop", "dt", "method", "seed", "dtype", "rtol", "atol", "max_steps"},
    "record": {"variables", "interval", "spikes"},
    "sweep": {"mode", "parameters"},
    "output": {"folder", "plots"},
}
PLOTS = ("traces", "raster", "fi", "phase_plane")


@dataclass
class RunSpec:
    """A parsed spec: everything ``simulate`` needs plus where to write."""

    name: str
    model: AbstractNeuronModel
    stimulus: tuple[Any, ...]
    t_stop: float
    dt: float
    method: str | None
    seed: int
    dtype: str
    rtol: float
    atol: float
    record: tuple[str, ...]
    record_dt: float | None
    spikes: bool | SpikeDetector
    batch: dict[str, np.ndarray] | None
    folder: str
    plots: tuple[str, ...] | None
    description: str = ""
    source: str = "<spec>"
    raw: dict[str, Any] = field(default_factory=dict)

    def simulate_kwargs(self) -> dict[str, Any]:
        kw = dict(stimulus=list(self.stimulus), record=self.record, record_dt=self.record_dt,
                  spikes=self.spikes, method=self.method, seed=self.seed, batch=self.batch,
                  dtype=self.dtype)
        if self.method in ("tsit5", "dopri5", "dopri8", "kvaerno3", "kvaerno5"):
            kw.update(rtol=self.rtol, atol=self.atol)
        return kw


def _err(source: str, key: str, msg: str) -> SpecError:
    return SpecError(f"{source}: {key}: {msg}")


def _check_keys(d: dict[str, Any], allowed: set[str], where: str, source: str) -> None:
    for k in d:
        if k not in allowed:
            close = difflib.get_close_matches(k, sorted(allowed), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise _err(source, f"{where}.{k}" if where else f"[{k}]",
                       f"unknown key. {hint}Allowed: {', '.join(sorted(allowed))}.")


def _table(d: dict[str, Any], key: str, source: str, required: bool = False) -> dict[str, Any]:
    v = d.get(key)
    if v is None:
        if required:
            raise _err(source, f"[{key}]", f"missing section. Fix: add a [{key}] table "
                       "(see the examples/ folder).")
        return {}
    if not isinstance(v, dict):
        raise _err(source, f"[{key}]", f"must be a table; got {type(v).__name__}.")
    return v


def _quantity(value: Any, unit: str, key: str, source: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _err(source, key, f"expected a {describe_dimension(unit)} such as '1 {unit}'; got "
                   f"{value!r} ({type(value).__name__}). Fix: write it as a string with a unit.")
    try:
        if isinstance(value, str):
            q = parse_quantity(value)
            v = float(q.value if q.unit.name == "" else to_unit(q, unit, what=key))
        else:
            v = float(value)
    except NeurodynError as exc:
        raise _err(source, key, f"{exc}") from None
    if positive and not v > 0:
        raise _err(source, key, f"must be > 0 {unit}; got {value!r}. Fix: give a positive value, "
                   f"e.g. '100 {unit}'.")
    return v


def read_toml(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str, str]:
    """The parsed TOML of a spec file, its path and its default name (the file's stem); a
    missing file or bad syntax is a :class:`SpecError` naming the file."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file. Fix: check the path (examples are in examples/).") \
            from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}. Fix: check the syntax at that line "
                        "(strings need quotes: t_stop = \"100 ms\").") from None
    return data, path, os.path.splitext(os.path.basename(path))[0]


def load_spec(path: str | os.PathLike[str]) -> RunSpec:
    """Read and validate a TOML spec file (a :class:`~neurodyn.io.network_spec.NetworkSpec`
    when it has a ``[network]`` table)."""
    data, path, name = read_toml(path)
    if "cell" in data:
        from .cell_spec import parse_cell_spec

        return parse_cell_spec(data, source=path, default_name=name)  # type: ignore[return-value]
    if "network" in data:
        from .network_spec import parse_network_spec

        return parse_network_spec(data, source=path, default_name=name)  # type: ignore[return-value]
    return parse_spec(data, source=path, default_name=name)


def parse_spec(data: dict[str, Any], *, source: str = "<spec>", default_name: str = "run") -> RunSpec:
    """Validate a spec given as a dict (the parsed TOML)."""
    _check_keys(data, _TOP, "", source)
    for sec, allowed in _SECTIONS.items():
        if sec in data and isinstance(data[sec], dict):
            _check_keys(data[sec], allowed, f"[{sec}]", source)
    name = str(data.get("name", default_name))

    # -------------------------------------------------------------- model
    m = _table(data, "model", source, required=True)
    mtype = m.get("type")
    if mtype is None:
        raise _err(source, "[model].type", f"missing. Fix: type = one of {', '.join(REGISTRY)}.")
    if not isinstance(mtype, str):
        raise _err(source, "[model].type", f"must be a string; got {mtype!r}.")
    cls_name = ALIASES.get(mtype, mtype)
    if cls_name not in REGISTRY:
        close = difflib.get_close_matches(cls_name, list(REGISTRY) + list(ALIASES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise _err(source, "[model].type", f"unknown model {mtype!r}.{hint} Known: "
                   f"{', '.join(REGISTRY)} (aliases {', '.join(ALIASES)}).")
    cls = REGISTRY[cls_name]
    params = m.get("parameters", {})
    if not isinstance(params, dict):
        raise _err(source, "[model.parameters]", f"must be a table; got {type(params).__name__}.")
    known = {**cls.param_specs(), **cls.option_specs()}
    for k in params:
        if k not in known:
            close = difflib.get_close_matches(k, list(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise _err(source, f"[model.parameters].{k}",
                       f"{cls_name} has no parameter {k!r}.{hint} Known: {', '.join(known)}.")
        if isinstance(params[k], bool) or not isinstance(params[k], int | float | str):
            raise _err(source, f"[model.parameters].{k}",
                       f"expected a number or a string with a unit; got {params[k]!r} "
                       f"({type(params[k]).__name__}).")
    try:
        model = cls.preset(m["preset"], **params) if "preset" in m else cls(**params)
    except NeurodynError as exc:
        where = "[model].preset" if "preset" in m and "preset" in str(exc) else "[model.parameters]"
        raise _err(source, where, str(exc)) from None

    # -------------------------------------------------------------- simulation
    s = _table(data, "simulation", source, required=True)
    if "t_stop" not in s:
        raise _err(source, "[simulation].t_stop", "missing. Fix: t_stop = \"100 ms\".")
    t_stop = _quantity(s["t_stop"], "ms", "[simulation].t_stop", source, positive=True)
    dt = _quantity(s.get("dt", 0.025), "ms", "[simulation].dt", source, positive=True)
    method = s.get("method")
    if method is not None and not isinstance(method, str):
        raise _err(source, "[simulation].method", f"must be a string; got {method!r}.")
    seed = s.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _err(source, "[simulation].seed", f"must be a non-negative integer; got {seed!r}.")
    dtype = s.get("dtype", "float64")
    if dtype not in ("float64", "float32"):
        raise _err(source, "[simulation].dtype", f"must be 'float64' or 'float32'; got {dtype!r}.")
    rtol = float(s.get("rtol", 1e-6))
    atol = float(s.get("atol", 1e-6))

    # -------------------------------------------------------------- stimulus
    from .. import stimuli as st_mod

    stims_raw = data.get("stimulus", [])
    if isinstance(stims_raw, dict):
        stims_raw = [stims_raw]
    if not isinstance(stims_raw, list):
        raise _err(source, "[[stimulus]]", "must be an array of tables ([[stimulus]] blocks).")
    kinds = {n: getattr(st_mod, n) for n in st_mod.__all__ if n[0].isupper() and
             n not in ("AbstractStimulus", "Combined")}
    stims = []
    for i, sd in enumerate(stims_raw):
        where = f"[[stimulus]][{i}]"
        if not isinstance(sd, dict) or "type" not in sd:
            raise _err(source, f"{where}.type", f"missing. Fix: type = one of {', '.join(kinds)}.")
        if sd["type"] not in kinds:
            raise _err(source, f"{where}.type", f"unknown stimulus {sd['type']!r}. Known: "
                       f"{', '.join(kinds)}.")
        scls = kinds[sd["type"]]
        kw = {k: v for k, v in sd.items() if k != "type"}
        allowed = {**scls.param_specs(), **scls.option_specs()}
        for k in kw:
            if k not in allowed:
                raise _err(source, f"{where}.{k}", f"{sd['type']} has no parameter {k!r}. "
                           f"Known: {', '.join(allowed)}.")
        try:
            stims.append(scls(**kw).bind(model))
        except NeurodynError as exc:
            raise _err(source, where, str(exc)) from None

    # -------------------------------------------------------------- record
    r = _table(data, "record", source)
    variables = r.get("variables", ["v"])
    if isinstance(variables, str):
        variables = [variables]
    if not isinstance(variables, list) or not all(isinstance(x, str) for x in variables):
        raise _err(source, "[record].variables", f"must be a list of names; got {variables!r}.")
    for vname in variables:
        if vname not in model.state_vars and vname not in ("i_ext", "all"):
            raise _err(source, "[record].variables", f"{cls_name} has no variable {vname!r}. "
                       f"Known: {', '.join(model.state_vars)}, i_ext, all.")
    if "all" in variables:
        variables = list(model.state_vars)
    record_dt = None
    if "interval" in r:
        record_dt = _quantity(r["interval"], "ms", "[record].interval", source, positive=True)
    spikes: bool | SpikeDetector = True
    sp = r.get("spikes", True)
    if isinstance(sp, bool):
        spikes = sp
    elif isinstance(sp, dict):
        var = sp.get("variable", "v")
        thr = _quantity(sp.get("threshold", "0 mV"), model.state_vars.get(var, "mV"),
                        "[record].spikes.threshold", source)
        spikes = SpikeDetector.crossing(thr, var=var)
    else:
        raise _err(source, "[record].spikes", f"must be true/false or a table; got {sp!r}.")

    # -------------------------------------------------------------- sweep
    batch = None
    sw = _table(data, "sweep", source)
    if sw:
        mode = sw.get("mode", "zip")
        if mode not in ("zip", "grid"):
            raise _err(source, "[sweep].mode", f"must be 'zip' or 'grid'; got {mode!r}.")
        sp_ = sw.get("parameters", {})
        if not isinstance(sp_, dict) or not sp_:
            raise _err(source, "[sweep.parameters]", "missing or empty. Fix: add e.g. "
                       "\"stimulus.amplitude\" = {start = \"0 uA/cm2\", stop = \"20 uA/cm2\", num = 21}.")
        axes = {}
        for path, val in sp_.items():
            unit = _path_unit(path, model, stims, source)
            where = f"[sweep.parameters].\"{path}\""
            if isinstance(val, dict):
                extra = set(val) - {"start", "stop", "num"}
                if extra or not {"start", "stop", "num"} <= set(val):
                    raise _err(source, where, "a range needs exactly start, stop and num.")
                if not isinstance(val["num"], int) or val["num"] < 1:
                    raise _err(source, f"{where}.num", f"must be a positive integer; got {val['num']!r}.")
                lo = _quantity(val["start"], unit, f"{where}.start", source)
                hi = _quantity(val["stop"], unit, f"{where}.stop", source)
                axes[path] = np.linspace(lo, hi, val["num"])
            elif isinstance(val, list) and val:
                axes[path] = np.array([_quantity(x, unit, where, source) for x in val])
            else:
                raise _err(source, where, "must be a list of values or {start, stop, num}.")
        if mode == "grid":
            from ..sweep import grid

            batch = grid(**axes)
        else:
            lens = {k: len(v) for k, v in axes.items()}
            if len(set(lens.values())) > 1:
                raise _err(source, "[sweep].mode", f"'zip' needs lists of equal length; got {lens}. "
                           "Fix: equal lengths, or mode = \"grid\" for a factorial sweep.")
            batch = axes

    # -------------------------------------------------------------- output
    o = _table(data, "output", source)
    folder = o.get("folder", os.path.join("out", name))
    if not isinstance(folder, str):
        raise _err(source, "[output].folder", f"must be a string; got {folder!r}.")
    plots = o.get("plots")
    if plots is not None:
        if not isinstance(plots, list) or any(p not in PLOTS for p in plots):
            raise _err(source, "[output].plots", f"must be a list drawn from {list(PLOTS)}; got {plots!r}.")
        plots = tuple(plots)
    return RunSpec(
        name=name, model=model, stimulus=tuple(stims), t_stop=t_stop, dt=dt, method=method,
        seed=int(seed), dtype=dtype, rtol=rtol, atol=atol, record=tuple(variables),
        record_dt=record_dt, spikes=spikes, batch=batch, folder=folder, plots=plots,
        description=str(data.get("description", "")), source=source, raw=data,
    )


def _path_unit(path: str, model: Any, stims: list[Any], source: str,
               where: str | None = None) -> str:
    where = where or f"[sweep.parameters].\"{path}\""
    if path.startswith("stimulus"):
        import re

        mt = re.match(r"^stimulus(?:\[(\d+)\])?\.(\w+)$", path)
        if not mt:
            raise _err(source, where, "stimulus paths look like 'stimulus.amplitude' or "
                       "'stimulus[1].sigma'.")
        i = int(mt.group(1) or 0)
        if i >= len(stims):
            raise _err(source, where, f"there are only {len(stims)} stimuli.")
        spec = stims[i].param_specs().get(mt.group(2))
        if spec is None:
            raise _err(source, where, f"{type(stims[i]).__name__} has no parameter "
                       f"{mt.group(2)!r}; known: {', '.join(stims[i].param_specs())}.")
        return model.input_unit if spec.unit == "input" else spec.unit
    name = path.removeprefix("model.")
    spec = model.param_specs().get(name)
    if spec is None:
        raise _err(source, where, f"{type(model).__name__} has no parameter {name!r}; "
                   f"known: {', '.join(model.param_specs())}.")
    return spec.unit
