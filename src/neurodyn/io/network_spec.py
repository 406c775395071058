"""TOML specs of networks for ``neurodyn run`` (a ``[network]`` table instead of ``[model]``)::

    name = "coba"
    [network]
    builtin = "coba"                  # one of the Brette et al. 2007 networks: coba, cuba,
                                      # cobahh (then no populations/projections are given)

    # ... or an explicit network:
    [[network.population]]
    name = "E"
    model = "LIF"                     # a class of neurodyn.models
    size = 800
    parameters = {v_th = "-50 mV"}    # values with units, as for single models
    init = {v = {uniform = ["-60 mV", "-50 mV"]}}   # a number, or normal = [mean, sd] /
                                                    # uniform = [low, high] per neuron
    [[network.source]]
    name = "noise"
    type = "poisson"                  # or "spikes" with times = [[...], [...]] (ms)
    size = 100
    rate = "10 Hz"
    [[network.projection]]
    pre = "E[0:800]"                  # a population, source, or slice of one
    post = "E"
    connector = {type = "FixedProbability", p = 0.02}
    synapse = {type = "Exp", tau = "5 ms", e_rev = "0 mV"}   # mode = "current" for currents;
                                      # also Alpha, BiExp, AMPA, NMDA, GABAA, GABAB
    weight = "6 nS"                   # or {normal = [mean, sd]} / {uniform = [low, high]}
    delay = "1 ms"
    receptor = "e"
    plasticity = {type = "TsodyksMarkram", U = 0.5, tau_rec = "800 ms"}   # or {type = "STDP", ...}
    [[network.gap]]                   # gap junctions (electrical coupling)
    pre = "I"
    post = "I"
    connector = {type = "FixedProbability", p = 0.1}
    weight = "1 nS"

    [simulation]
    t_stop = "1 s"
    dt = "0.1 ms"
    method = "euler"
    seed = 1
    [record]
    E = {v = [0, 1, 2]}               # state traces of chosen neurons; spikes always
    weights = {ee = [0, 1, 2]}        # STDP weights of projection labelled "ee" (synapse indices)
    [output]
    folder = "out/coba"
    plots = ["network", "traces"]

Every error names the key path, what was expected and the fix.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NeurodynError, SpecError
from ..models import ALIASES, REGISTRY
from ..units import parse_quantity, to_unit

__all__ = ["NetworkSpec", "parse_network_spec"]

_TOP = {"name", "description", "network", "simulation", "record", "output"}
_SIM = {"t_stop", "dt", "method", "seed", "dtype"}
_POP = {"name", "model", "size", "parameters", "init", "threshold"}
_SRC = {"name", "type", "size", "rate", "times"}
_PROJ = {"pre", "post", "connector", "synapse", "weight", "delay", "receptor", "plasticity",
         "label"}
NETWORK_PLOTS = ("network", "traces", "weights")


@dataclass
class NetworkSpec:
    name: str
    network: Any
    t_stop: float
    dt: float
    method: str | None
    seed: int
    dtype: str
    record: dict[str, dict[str, list[int]]]
    folder: str
    plots: tuple[str, ...] | None
    description: str = ""
    source: str = "<spec>"
    raw: dict[str, Any] = field(default_factory=dict)


def _err(source: str, key: str, msg: str) -> SpecError:
    return SpecError(f"{source}: {key}: {msg}")


def _keys(d: Any, allowed: set[str], where: str, source: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise _err(source, where, f"must be a table; got {type(d).__name__}.")
    for k in d:
        if k not in allowed:
            close = difflib.get_close_matches(k, list(allowed), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise _err(source, f"{where}.{k}", f"unknown key.{hint} Known: {', '.join(sorted(allowed))}.")
    return d


def _num(value: Any, unit: str, key: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _err(source, key, f"expected a number or a string with a unit (e.g. '1 {unit}'); "
                   f"got {value!r} ({type(value).__name__}).")
    try:
        if isinstance(value, str):
            q = parse_quantity(value)
            return float(q.value if q.unit.name == "" else to_unit(q, unit, what=key))
        return float(value)
    except NeurodynError as exc:
        raise _err(source, key, str(exc)) from None


def _dist(spec: Any, unit: str, key: str, source: str) -> tuple[str, float, float] | None:
    """``(kind, a, b)`` of ``{normal = [mean, sd]}`` / ``{uniform = [low, high]}`` (in ``unit``),
    or ``None`` for a plain number or quantity."""
    if not isinstance(spec, dict):
        return None
    if len(spec) != 1 or next(iter(spec)) not in ("normal", "uniform"):
        raise _err(source, key, "a distribution is {normal = [mean, sd]} or "
                   f"{{uniform = [low, high]}}; got {spec!r}.")
    kind, args = next(iter(spec.items()))
    if not isinstance(args, list) or len(args) != 2:
        raise _err(source, f"{key}.{kind}", f"needs two values; got {args!r}.")
    a, b = (_num(x, unit, f"{key}.{kind}", source) for x in args)
    return kind, a, b


def _values(spec: Any, unit: str, n: int, rng: np.random.Generator, key: str, source: str) -> Any:
    """A number / quantity, or a distribution drawn ``n`` times."""
    d = _dist(spec, unit, key, source)
    if d is None:
        return _num(spec, unit, key, source)
    kind, a, b = d
    return rng.normal(a, b, n) if kind == "normal" else rng.uniform(a, b, n)


def _distribution(spec: Any, unit: str, key: str, source: str) -> Any:
    """A number / quantity, or a :class:`~neurodyn.network.Normal` / ``Uniform`` drawn when the
    network is built (normal conductances clipped at 0 nS)."""
    from ..network import Normal, Uniform

    d = _dist(spec, unit, key, source)
    if d is None:
        return _num(spec, unit, key, source)
    kind, a, b = d
    return Normal(a, b, clip=(0.0, None) if unit == "nS" else (None, None)) \
        if kind == "normal" else Uniform(a, b)


def _described(cls_map: dict[str, Any], d: Any, key: str, source: str) -> Any:
    """Build a Described object (connector, synapse, plasticity) from {type = ..., params}."""
    if not isinstance(d, dict) or "type" not in d:
        raise _err(source, f"{key}.type", f"missing. Fix: {key} = {{type = one of "
                   f"{', '.join(cls_map)}, ...}}.")
    t = d["type"]
    if t not in cls_map:
        close = difflib.get_close_matches(str(t), list(cls_map), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise _err(source, f"{key}.type", f"unknown {t!r}.{hint} Known: {', '.join(cls_map)}.")
    cls = cls_map[t]
    kw = {k: v for k, v in d.items() if k != "type"}
    known = {**cls.param_specs(), **cls.option_specs()}
    for k in kw:
        if k not in known:
            raise _err(source, f"{key}.{k}", f"{t} has no parameter {k!r}. Known: "
                       f"{', '.join(known)}.")
    try:
        return cls(**kw)
    except NeurodynError as exc:
        raise _err(source, key, str(exc)) from None


def parse_network_spec(data: dict[str, Any], *, source: str = "<spec>",
                       default_name: str = "run") -> NetworkSpec:
    """Validate a network spec (the parsed TOML)."""
    from .. import network as N
    from .. import plasticity as PL
    from .. import synapses as SY

    _keys(data, _TOP, "", source)
    name = str(data.get("name", default_name))
    s = _keys(data.get("simulation", None) or {}, _SIM, "[simulation]", source)
    if "t_stop" not in s:
        raise _err(source, "[simulation].t_stop", "missing. Fix: t_stop = \"1000 ms\".")
    t_stop = _num(s["t_stop"], "ms", "[simulation].t_stop", source)
    dt = _num(s.get("dt", 0.1), "ms", "[simulation].dt", source)
    for key, v in (("t_stop", t_stop), ("dt", dt)):
        if not v > 0:
            raise _err(source, f"[simulation].{key}", f"must be > 0 ms; got {v:g} ms.")
    seed = s.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _err(source, "[simulation].seed", f"must be a non-negative integer; got {seed!r}.")
    method = s.get("method")
    dtype = s.get("dtype", "float64")
    rng = np.random.default_rng([seed, 17])

    net_d = data.get("network")
    if not isinstance(net_d, dict):
        raise _err(source, "[network]", "must be a table with builtin = ... or [[network.population]].")
    _keys(net_d, {"builtin", "population", "source", "projection", "gap"}, "[network]", source)
    if "builtin" in net_d:
        from ..network import brette2007

        b = net_d["builtin"]
        if b not in ("coba", "cuba", "cobahh") or len(net_d) > 1:
            raise _err(source, "[network].builtin", f"must be one of coba, cuba, cobahh (and "
                       f"alone in [network]); got {b!r}.")
        net, settings = getattr(brette2007, b)(seed=seed)
        method = method or settings["method"]
    else:
        objs: dict[str, Any] = {}
        pops = []
        for i, pd in enumerate(net_d.get("population", [])):
            where = f"[[network.population]][{i}]"
            _keys(pd, _POP, where, source)
            for req in ("name", "model", "size"):
                if req not in pd:
                    raise _err(source, f"{where}.{req}", "missing.")
            mtype = ALIASES.get(pd["model"], pd["model"])
            if mtype not in REGISTRY:
                raise _err(source, f"{where}.model", f"unknown model {pd['model']!r}. Known: "
                           f"{', '.join(REGISTRY)}.")
            size = pd["size"]
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise _err(source, f"{where}.size", f"must be a positive integer; got {size!r}.")
            cls = REGISTRY[mtype]
            try:
                model = cls(**pd.get("parameters", {}))
            except NeurodynError as exc:
                raise _err(source, f"{where}.parameters", str(exc)) from None
            init = {}
            for var, spec_v in (pd.get("init") or {}).items():
                if var in model.state_vars:
                    init[var] = _values(spec_v, model.state_vars[var], size, rng,
                                        f"{where}.init.{var}", source)
                    continue
                # a synaptic state ("g_<receptor>"): a conductance (nS) or, for current
                # synapses, a current (pA); the receptor is checked when the network is built
                try:
                    init[var] = _values(spec_v, "nS", size, rng, f"{where}.init.{var}", source)
                except SpecError:
                    init[var] = _values(spec_v, "pA", size, rng, f"{where}.init.{var}", source)
            thr = pd.get("threshold")
            try:
                pop = N.Population(pd["name"], model, size, init=init or None,
                                   threshold=None if thr is None else
                                   _num(thr, "mV", f"{where}.threshold", source))
            except NeurodynError as exc:
                raise _err(source, where, str(exc)) from None
            objs[pop.name] = pop
            pops.append(pop)
        for i, sd in enumerate(net_d.get("source", [])):
            where = f"[[network.source]][{i}]"
            _keys(sd, _SRC, where, source)
            kind = sd.get("type")
            try:
                if kind == "poisson":
                    src = N.PoissonSource(sd["name"], int(sd.get("size", 1)),
                                          rate=_num(sd.get("rate", 10.0), "Hz", f"{where}.rate",
                                                    source))
                elif kind == "spikes":
                    src = N.SpikeSource(sd["name"], times=sd.get("times", []))
                else:
                    raise _err(source, f"{where}.type", f"must be 'poisson' or 'spikes'; got {kind!r}.")
            except (NeurodynError, KeyError) as exc:
                if isinstance(exc, SpecError):
                    raise
                raise _err(source, where, str(exc)) from None
            objs[src.name] = src
            pops.append(src)

        def target(ref: Any, key: str) -> Any:
            if not isinstance(ref, str):
                raise _err(source, key, f"must be a population name or 'name[a:b]'; got {ref!r}.")
            base, _, sl = ref.partition("[")
            if base not in objs:
                raise _err(source, key, f"no population or source named {base!r} (have "
                           f"{', '.join(objs)}).")
            if not sl:
                return objs[base]
            try:
                a, b = sl.rstrip("]").split(":")
                return objs[base][int(a or 0):int(b) if b else None]
            except (ValueError, NeurodynError) as exc:
                raise _err(source, key, f"bad slice {ref!r} ({exc}). Fix: 'E[0:800]'.") from None

        connectors = {c: getattr(N, c) for c in ("AllToAll", "OneToOne", "FixedProbability",
                                                 "FixedInDegree", "FixedOutDegree",
                                                 "DistanceProbability")}
        synapses = {c: getattr(SY, c) for c in ("Exp", "Alpha", "BiExp", "AMPA", "NMDA", "GABAA",
                                                "GABAB")}
        rules = {"TsodyksMarkram": PL.TsodyksMarkram, "STDP": PL.STDP}
        projs = []
        for i, prd in enumerate(net_d.get("projection", [])):
            where = f"[[network.projection]][{i}]"
            _keys(prd, _PROJ, where, source)
            for req in ("pre", "post", "connector", "synapse"):
                if req not in prd:
                    raise _err(source, f"{where}.{req}", "missing.")
            syn = _described(synapses, prd["synapse"], f"{where}.synapse", source)
            delay = _distribution(prd.get("delay", dt), "ms", f"{where}.delay", source)
            if isinstance(delay, float) and delay < dt * (1 - 1e-9):
                raise _err(source, f"{where}.delay", f"must be >= dt ({dt:g} ms); got {delay:g} "
                           "ms. Fix: a spike acts at the earliest one step after it is emitted; "
                           "use a longer delay or a smaller dt.")
            weight = _distribution(prd.get("weight", 1.0), syn.weight_unit, f"{where}.weight",
                                   source)
            if isinstance(weight, float) and syn.conductance_based and weight < 0:
                raise _err(source, f"{where}.weight", f"conductance weights must be >= 0 nS; got "
                           f"{weight:g} nS. Fix: inhibition comes from the synapse's e_rev.")
            try:
                projs.append(N.Projection(
                    target(prd["pre"], f"{where}.pre"), target(prd["post"], f"{where}.post"),
                    _described(connectors, prd["connector"], f"{where}.connector", source), syn,
                    weight=weight, delay=delay,
                    receptor=prd.get("receptor"), label=prd.get("label"),
                    plasticity=None if "plasticity" not in prd else
                    _described(rules, prd["plasticity"], f"{where}.plasticity", source)))
            except NeurodynError as exc:
                if isinstance(exc, SpecError):
                    raise
                raise _err(source, where, str(exc)) from None
        for i, gd in enumerate(net_d.get("gap", [])):
            where = f"[[network.gap]][{i}]"
            _keys(gd, {"pre", "post", "connector", "weight", "label"}, where, source)
            for req in ("pre", "post", "connector"):
                if req not in gd:
                    raise _err(source, f"{where}.{req}", "missing.")
            try:
                projs.append(N.GapJunctions(
                    target(gd["pre"], f"{where}.pre"), target(gd["post"], f"{where}.post"),
                    _described(connectors, gd["connector"], f"{where}.connector", source),
                    weight=_distribution(gd.get("weight", 1.0), "nS", f"{where}.weight", source),
                    label=gd.get("label")))
            except NeurodynError as exc:
                if isinstance(exc, SpecError):
                    raise
                raise _err(source, where, str(exc)) from None
        try:
            net = N.Network(pops, projs)
        except NeurodynError as exc:
            raise _err(source, "[network]", str(exc)) from None

    record = {}
    for pop, d in (data.get("record") or {}).items():
        if not isinstance(d, dict):
            raise _err(source, f"[record].{pop}", f"must be a table {{var = [ids]}}; got {d!r}.")
        record[pop] = {k: [int(i) for i in np.atleast_1d(v)] for k, v in d.items()}
    out = data.get("output") or {}
    _keys(out, {"folder", "plots"}, "[output]", source)
    plots = out.get("plots")
    if plots is not None:
        for p in plots:
            if p not in NETWORK_PLOTS:
                raise _err(source, "[output].plots", f"unknown plot {p!r}; networks have "
                           f"{', '.join(NETWORK_PLOTS)}.")
    return NetworkSpec(name=name, network=net, t_stop=t_stop, dt=dt, method=method, seed=seed,
                       dtype=dtype, record=record, folder=str(out.get("folder", f"out/{name}")),
                       plots=None if plots is None else tuple(plots),
                       description=str(data.get("description", "")), source=source, raw=data)
