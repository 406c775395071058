"""TOML specs of fits for ``neurodyn fit``::

    name = "hh_peers"
    [model]
    type = "HodgkinHuxley"
    parameters = {rates = "neuron_table", area = "1000 um2"}
    method = "backward_euler"          # integration method (default: the model's)
    substeps = 1                       # integration steps per recorded sample
    # ... or a multi-compartment cell: a [cell] table as in cell specs (neurodyn run; without
    # current clamps, the protocol injects the current), free parameters by painted path
    # ("soma.hh.g_na", "apical+basal.pas.g"), and [model] with inject = "soma(0.5)",
    # record = "soma(0.5)", method = "backward_euler", substeps = 4

    [data]
    # a recording (.abf, .nwb, .npz, .csv; path relative to the spec) ...
    recording = "cell.abf"
    sweeps = [0, 4, 8]                 # optional subset
    ljp = "14 mV"                      # liquid-junction potential to subtract (optional)
    tolerance_pA = 20                  # stimulus detection in a recorded (noisy) current
    cut = "700 ms"                     # analyse only the first 700 ms of every sweep (optional)
    holding = "baseline"               # hold every sweep at its recorded pre-stimulus potential
                                       # (for a drifting baseline; FitProblem.holding), or a
                                       # constant current through every sweep ("30 pA"); free
                                       # it as [[parameter]] path = "holding" (pA) to fit it
    continuous = true                  # run the sweeps back to back, as recorded (the cell's
                                       # state carries over; needs the whole recording, no cut)
    lead_in = "2000 ms"                # with continuous: settle before the first sweep
    clamp_before_step = true           # clamp the model to the recorded trace until each
                                       # sweep's analysed step begins, then release it (the
                                       # cell's pre-step state: FitProblem.clamp_v)
    # ... or synthetic data: the model with these values under a step protocol
    synthetic = {g_na = 120, g_k = 36, g_l = 0.3, c_m = 1.0}
    protocol = {steps_pA = [20, 40, 60, 80, 100], start = "100 ms", stop = "600 ms",
                t_stop = "700 ms", dt = "0.025 ms"}
    noise_mV = 0.5                     # white noise added to synthetic traces (seeded)

    [features]
    names = ["spike_count", "mean_frequency", "time_to_first_spike", "AP_amplitude"]
    threshold = "-20 mV"
    rel_sd = 0.05                      # SD = max(rel_sd |mean|, floor) (floor 1 for spike_count,
                                       # 0.1 otherwise)
    window = ["146.85 ms", "646.85 ms"]  # the analysed step of every sweep (default: each
                                       # sweep's longest step; FitProblem.stim_window)
    margins = ["15 ms", "0 ms"]        # features see only [stim_start - 15, stim_end + 0] ms
    hyperpolarizing_only = ["input_resistance", "sag_ratio"]   # scored on steps < 0 only
    depolarizing_only = ["AP_width"]   # scored on steps > 0 only (evoked, not spontaneous
                                       # spikes: leaves out sweeps without a stimulus)
    aggregate = "sum"                  # the score: sum of z-scores, "squares" (sum of z**2)
                                       # "fourth" (sum of z**4), "eighth" (of z**8) or
                                       # "max" (the largest z)
    efel = {strict_stiminterval = true}  # other eFEL settings, for the target and the model
                                       # (here: spikes in the stimulus window only, so that a
                                       # spontaneous spike before the step is not the first one)

    [[parameter]]
    path = "g_na"
    low = 50
    high = 250
    transform = "linear"               # or "log", "logit"

    [fit]
    method = "cmaes"                   # or "nsga2" (objectives = "features", "sweeps" or
                                       # {group = [features...], ...}; trace_sweeps =
                                       # "subthreshold" or [indices] adds trace distances;
                                       # reference_point = "ideal" runs R-NSGA-II, epsilon;
                                       # restarts, stall_generations: a new run of twice the
                                       # population on a stall; variation = "sbx" or "de":
                                       # how offspring are made; see fit_nsga2), or "hybrid"
                                       # (CMA-ES to warm_score, then a gradient polish:
                                       # polish_starts, polish_steps, optimizer = "lm",
                                       # "adam" or "lbfgs",
                                       # loss = "spikes" or "trace", spike_weight, guard_ms,
                                       # learning_rate, final_learning_rate), or "gradient"
                                       # (the same from the best starts of screen
                                       # Latin-hypercube points: starts, screen, steps, ...)
    popsize = 16
    max_evaluations = 5000
    max_seconds = 300
    target_score = 0.5
    seed = 0
    restarts = 0                       # IPOP restarts (cmaes, hybrid, nsga2)
    x0 = { g_na = 120 }                # start (cmaes, hybrid): values by path, physical
                                       # units; the others start mid-range
    sigma0 = 0.25                      # initial CMA-ES step, a fraction of each range
    workers = 2                        # spread each generation over local Dask workers, or
    scheduler = "tcp://host:8786"      # over an existing Dask cluster (both optional)

    [output]
    folder = "out/hh_peers"

The folder receives every evaluation as it is scored and the optimiser state after every
generation: running the same command again resumes a killed fit. Every error names the key path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NeurodynError, SpecError, check_integers
from .network_spec import _err, _keys, _num

__all__ = ["FitSpec", "load_fit_spec", "parse_fit_spec", "parse_parameters"]

_TOP = {"name", "description", "model", "cell", "data", "features", "parameter", "fit", "output"}
_FIT = {"method", "popsize", "max_evaluations", "max_seconds", "target_score", "seed", "restarts",
        "generations", "workers", "scheduler", "warm_score", "polish_starts", "polish_steps",
        "learning_rate", "final_learning_rate", "loss", "spike_weight", "starts", "steps",
        "screen", "objectives", "optimizer", "guard_ms", "x0", "sigma0", "trace_sweeps",
        "reference_point", "epsilon", "stall_generations", "variation"}


@dataclass
class FitSpec:
    name: str
    problem: Any
    data_v: np.ndarray | None
    method: str
    options: dict[str, Any]
    folder: str
    truth: dict[str, float] | None = None
    description: str = ""
    source: str = "<spec>"
    raw: dict[str, Any] = field(default_factory=dict)


def load_fit_spec(path: str) -> FitSpec:
    from .spec import read_toml

    data, path, name = read_toml(path)
    return parse_fit_spec(data, source=path, default_name=name)


def _model(d: Any, source: str, cell: Any = None) -> tuple[Any, str | None, int]:
    from ..models import ALIASES, REGISTRY

    if cell is not None:  # a multi-compartment cell: [cell] as in cell specs, [model] options
        from ..fitting import CellModel
        from .cell_spec import parse_cell_table

        m = _keys(d or {}, {"inject", "record", "method", "substeps"}, "[model]", source)
        try:
            model = CellModel(parse_cell_table(cell, source),
                              **{k: m[k] for k in ("inject", "record", "method") if k in m})
        except SpecError:
            raise
        except NeurodynError as exc:
            raise _err(source, "[cell]/[model]", str(exc)) from None
        return model, None, _substeps(m, source)
    m = _keys(d, {"type", "parameters", "method", "substeps"}, "[model]", source)
    if "type" not in m:
        raise _err(source, "[model].type", "missing. Fix: type = \"AdEx\" (a point model), or "
                   "describe a multi-compartment cell in a [cell] table.")
    t = ALIASES.get(m.get("type"), m.get("type"))
    if t not in REGISTRY:
        raise _err(source, "[model].type", f"unknown model {m.get('type')!r}. Known: "
                   f"{', '.join(REGISTRY)}.")
    try:
        model = REGISTRY[t](**(m.get("parameters") or {}))
    except NeurodynError as exc:
        raise _err(source, "[model].parameters", str(exc)) from None
    return model, m.get("method"), _substeps(m, source)


def _substeps(m: dict[str, Any], source: str) -> int:
    substeps = m.get("substeps", 1)
    if isinstance(substeps, bool) or not isinstance(substeps, int) or substeps < 1:
        raise _err(source, "[model].substeps", f"must be an integer >= 1; got {substeps!r}.")
    return substeps


def parse_parameters(data: dict[str, Any], source: str,
                     unit_of: Callable[[str, str], str] | None = None) -> list[Any]:
    """The ``[[parameter]]`` tables (path, low, high, transform) as
    :class:`~neurodyn.fitting.FreeParameter` objects. With ``unit_of(path, where)`` (the
    parameter's unit), bounds may be strings with units; otherwise numbers in the declared
    unit."""
    from ..fitting import FreeParameter
    from .spec import _quantity

    params = []
    for i, pd in enumerate(data.get("parameter") or []):
        where = f"[[parameter]][{i}]"
        _keys(pd, {"path", "low", "high", "transform"}, where, source)
        for req in ("path", "low", "high"):
            if req not in pd:
                raise _err(source, f"{where}.{req}", "missing.")
        path = str(pd["path"])
        try:
            if unit_of is not None:
                unit = unit_of(path, f"{where}.path")
                lo = _quantity(pd["low"], unit, f"{where}.low", source)
                hi = _quantity(pd["high"], unit, f"{where}.high", source)
            else:
                lo, hi = float(pd["low"]), float(pd["high"])
            params.append(FreeParameter(path, lo, hi, pd.get("transform", "linear")))
        except SpecError:
            raise
        except (NeurodynError, TypeError, ValueError) as exc:
            raise _err(source, where, str(exc)) from None
    if not params:
        raise _err(source, "[[parameter]]", "no free parameter. Fix: add [[parameter]] tables "
                   "with path, low and high.")
    return params


def _ms_pair(table: dict[str, Any], key: str, form: str, source: str
             ) -> tuple[float, float] | None:
    """``[features].<key>``: two times in ms (numbers or strings with a unit), or None."""
    if key not in table:
        return None
    v = table[key]
    if not isinstance(v, list) or len(v) != 2:
        raise _err(source, f"[features].{key}", f"must be {form} (ms); got {v!r}.")
    a, b = (_num(x, "ms", f"[features].{key}", source) for x in v)
    return a, b


def parse_fit_spec(data: dict[str, Any], *, source: str = "<spec>",
                   default_name: str = "fit") -> FitSpec:
    from ..fitting import (
        FitProblem,
        Protocol,
        read_abf,
        read_csv,
        read_npz,
        read_nwb,
        recorded_baseline,
        synthetic_traces,
    )
    from ..fitting.features import check_efel_settings
    from ..fitting.objectives import check_aggregate

    _keys(data, _TOP, "", source)
    model, sim_method, substeps = _model(data.get("model"), source, data.get("cell"))
    params = parse_parameters(data, source)
    d = _keys(data.get("data") or {}, {"recording", "sweeps", "ljp", "tolerance_pA", "synthetic",
                                       "protocol", "noise_mV", "cut", "holding", "continuous",
                                       "lead_in", "clamp_before_step"}, "[data]", source)
    fe = _keys(data.get("features") or {}, {"names", "threshold", "rel_sd", "margins",
                                            "hyperpolarizing_only", "depolarizing_only",
                                            "aggregate", "efel", "window"}, "[features]",
               source)
    aggregate = fe.get("aggregate", "sum")
    try:
        check_aggregate(aggregate, "it")
    except NeurodynError as exc:
        raise _err(source, "[features].aggregate", str(exc)) from None
    names = fe.get("names")
    if not isinstance(names, list) or not names:
        raise _err(source, "[features].names", "must be a non-empty list of feature names.")
    threshold = _num(fe.get("threshold", -20.0), "mV", "[features].threshold", source)
    truth = None
    if "recording" in d:
        path = str(d["recording"])
        if not os.path.isabs(path) and source not in ("<spec>", ""):
            path = os.path.join(os.path.dirname(os.path.abspath(source)), path)
        ext = os.path.splitext(path)[1].lower()
        reader = {".abf": read_abf, ".nwb": read_nwb, ".npz": read_npz, ".csv": read_csv}.get(ext)
        if reader is None:
            raise _err(source, "[data].recording", f"unknown file type {ext!r}: use .abf, .nwb, "
                       ".npz or .csv.")
        try:
            rec = reader(path)
            if "sweeps" in d:
                rec = rec.select(list(d["sweeps"]))
            if "ljp" in d:
                rec = rec.corrected(_num(d["ljp"], "mV", "[data].ljp", source))
            if "cut" in d:
                rec = rec.cut(_num(d["cut"], "ms", "[data].cut", source))
            protocol = Protocol.from_recording(rec, tolerance_pA=float(d.get("tolerance_pA", 0.0)))
        except (NeurodynError, OSError) as exc:
            raise _err(source, "[data].recording", str(exc)) from None
        data_v = rec.voltages()
    elif "synthetic" in d:
        pr = _keys(d.get("protocol") or {}, {"steps_pA", "start", "stop", "t_stop", "dt"},
                   "[data].protocol", source)
        try:
            protocol = Protocol.steps(pr["steps_pA"], pr["start"], pr["stop"], pr["t_stop"],
                                      pr.get("dt", 0.025))
        except KeyError as exc:
            raise _err(source, f"[data].protocol.{exc.args[0]}", "missing.") from None
        except NeurodynError as exc:
            raise _err(source, "[data].protocol", str(exc)) from None
        truth = {k: float(v) for k, v in d["synthetic"].items()}
        try:
            data_v = synthetic_traces(model, protocol, truth, method=sim_method, substeps=substeps,
                                      noise_mV=float(d.get("noise_mV", 0.0)))
        except NeurodynError as exc:
            raise _err(source, "[data].synthetic", str(exc)) from None
    else:
        raise _err(source, "[data]", "needs recording = \"file\" or synthetic = {...}.")
    holding, holding_pA = d.get("holding"), 0.0
    if holding is not None and holding != "baseline":
        try:
            holding_pA = _num(holding, "pA", "[data].holding", source)
        except SpecError:
            raise _err(source, "[data].holding", "must be \"baseline\" or a current (\"30 pA\", "
                       f"or a number in pA); got {holding!r}.") from None
        holding = None
    if holding and "recording" not in d:
        raise _err(source, "[data].holding", "needs a recording (the baseline is measured there).")
    continuous = d.get("continuous", False)
    if not isinstance(continuous, bool):
        raise _err(source, "[data].continuous", f"must be true or false; got {continuous!r}.")
    if continuous and "cut" in d:
        raise _err(source, "[data].continuous", "runs the whole recording as it was recorded; "
                   "a cut recording has lost the epochs after the cut. Fix: drop cut (the "
                   "features still see only the stimulus window and its margins).")
    lead_in = _num(d.get("lead_in", 0.0), "ms", "[data].lead_in", source)
    clamp = d.get("clamp_before_step", False)
    if not isinstance(clamp, bool):
        raise _err(source, "[data].clamp_before_step", f"must be true or false; got {clamp!r}.")
    if clamp and "recording" not in d:
        raise _err(source, "[data].clamp_before_step", "needs a recording (its traces are the "
                   "clamp's command).")
    if clamp and continuous:
        raise _err(source, "[data].clamp_before_step", "clamps each sweep to its own recorded "
                   "start, which excludes continuous = true (sweeps that start from one "
                   "another). Fix: drop one of them.")
    margins = _ms_pair(fe, "margins", "[before, after]", source)
    window = _ms_pair(fe, "window", "[start, stop]", source)
    signed = {}
    for key in ("hyperpolarizing_only", "depolarizing_only"):
        signed[key] = fe.get(key, [])
        if not isinstance(signed[key], list) or any(h not in names for h in signed[key]):
            raise _err(source, f"[features].{key}", f"must list features of [features].names; "
                       f"got {signed[key]!r}.")
    try:
        efel_settings = check_efel_settings(fe.get("efel"), "it")
    except NeurodynError as exc:
        raise _err(source, "[features].efel", str(exc)) from None
    both = set(signed["hyperpolarizing_only"]) & set(signed["depolarizing_only"])
    if both:
        raise _err(source, "[features].depolarizing_only", f"{sorted(both)} also in "
                   "hyperpolarizing_only: such a feature would be scored nowhere.")
    try:
        problem = FitProblem.from_traces(
            model, params, protocol, data_v, names, rel_sd=float(fe.get("rel_sd", 0.05)),
            hyperpolarizing_only=signed["hyperpolarizing_only"],
            depolarizing_only=signed["depolarizing_only"], threshold=threshold,
            method=sim_method, substeps=substeps, holding=holding,
            baseline=recorded_baseline(data_v, protocol) if holding else None,
            margins=margins, aggregate=aggregate, efel_settings=efel_settings,
            continuous=continuous, lead_in=lead_in, holding_pA=holding_pA, stim_window=window,
            clamp_v=data_v if clamp else None)
    except NeurodynError as exc:
        raise _err(source, "[features]/[[parameter]]", str(exc)) from None
    fit = _keys(data.get("fit") or {}, _FIT, "[fit]", source)
    method = fit.get("method", "cmaes")
    if method not in ("cmaes", "nsga2", "hybrid", "gradient"):
        raise _err(source, "[fit].method", f"must be 'cmaes', 'nsga2', 'hybrid' or 'gradient'; "
                   f"got {method!r}.")
    if method in ("hybrid", "gradient") and data_v is None:
        raise _err(source, "[fit].method", f"{method!r} fits traces: give [data] traces "
                   "(a recording or synthetic).")
    options = {k: v for k, v in fit.items() if k != "method"}
    rs = options.get("restarts", 0)
    if isinstance(rs, bool) or not isinstance(rs, int) or rs < 0:
        raise _err(source, "[fit].restarts", f"must be an integer >= 0 (runs restarted with "
                   f"twice the population); got {rs!r}.")
    for key, allowed in (("loss", ("hybrid", "gradient")), ("spike_weight", ("hybrid", "gradient")),
                         ("final_learning_rate", ("hybrid", "gradient")),
                         ("optimizer", ("hybrid", "gradient")), ("guard_ms", ("hybrid", "gradient")),
                         ("starts", ("gradient",)), ("steps", ("gradient",)),
                         ("screen", ("gradient",)), ("objectives", ("nsga2",)),
                         ("trace_sweeps", ("nsga2",)), ("reference_point", ("nsga2",)),
                         ("epsilon", ("nsga2",)), ("stall_generations", ("nsga2",)),
                         ("variation", ("nsga2",)),
                         ("x0", ("cmaes", "hybrid")), ("sigma0", ("cmaes", "hybrid"))):
        if key in options and method not in allowed:
            raise _err(source, f"[fit].{key}", f"applies to method {' or '.join(allowed)}, "
                       f"not {method!r}. Fix: drop it.")
    if "loss" in options and options["loss"] not in ("trace", "spikes"):
        raise _err(source, "[fit].loss", f"must be 'trace' or 'spikes'; got {options['loss']!r}.")
    if "optimizer" in options and options["optimizer"] not in ("lm", "adam", "lbfgs"):
        raise _err(source, "[fit].optimizer", f"must be 'lm', 'adam' or 'lbfgs'; got "
                   f"{options['optimizer']!r}.")
    if "x0" in options:
        if not isinstance(options["x0"], dict):
            raise _err(source, "[fit].x0", "must be a table of starting values by parameter "
                       f"path (e.g. x0 = {{ g_na = 50 }}); got {options['x0']!r}.")
        from ..fitting.cmaes import start_point

        try:
            start_point(problem, options["x0"], "x0")
        except NeurodynError as exc:
            raise _err(source, "[fit].x0", str(exc)) from None
    if "sigma0" in options and not 0.0 < float(options["sigma0"]) <= 1.0:
        raise _err(source, "[fit].sigma0", "must be in (0, 1] (a fraction of each parameter's "
                   f"range); got {options['sigma0']!r}.")
    if "objectives" in options:
        obj = options["objectives"]
        if isinstance(obj, dict):
            from ..fitting.nsga2 import check_groups

            try:
                check_groups(obj, problem.features)
            except NeurodynError as exc:
                raise _err(source, "[fit].objectives", str(exc)) from None
        elif obj not in ("features", "sweeps"):
            raise _err(source, "[fit].objectives", f"must be 'features', 'sweeps' or a table of "
                       f"feature groups; got {obj!r}.")
    if method == "nsga2":
        _check_nsga2_options(problem, data_v, options, source)
    out_d = _keys(data.get("output") or {}, {"folder"}, "[output]", source)
    name = str(data.get("name", default_name))
    return FitSpec(name, problem, data_v, method, options,
                   str(out_d.get("folder", f"out/{name}")), truth,
                   str(data.get("description", "")), source, data)


def _check_nsga2_options(problem: Any, data_v: Any, options: dict[str, Any], source: str) -> None:
    """``[fit]``'s trace_sweeps, reference_point, stall_generations, variation and epsilon for
    NSGA-II, each error under its key."""
    from ..fitting.nsga2 import (
        _check_epsilon,
        _check_variation,
        _reference_point,
        _trace_sweeps,
        objective_names,
    )

    if "trace_sweeps" in options and data_v is None:
        raise _err(source, "[fit].trace_sweeps", "needs the target traces: give [data] traces "
                   "(a recording or synthetic).")
    try:
        sweeps = _trace_sweeps(problem, data_v, options.get("trace_sweeps"))[0]
    except NeurodynError as exc:
        raise _err(source, "[fit].trace_sweeps", str(exc)) from None
    if "reference_point" in options:
        names = objective_names(problem, options.get("objectives", "features"), sweeps)
        try:
            _reference_point(options["reference_point"], len(names), names)
        except NeurodynError as exc:
            raise _err(source, "[fit].reference_point", str(exc)) from None
    checks = {"stall_generations": lambda v: check_integers("fit_nsga2",
                                                            (("stall_generations", v, 1),)),
              "variation": _check_variation, "epsilon": _check_epsilon}
    for key, check in checks.items():
        if key in options:  # absent: fit_nsga2's default
            try:
                check(options[key])
            except NeurodynError as exc:
                raise _err(source, f"[fit].{key}", str(exc)) from None
