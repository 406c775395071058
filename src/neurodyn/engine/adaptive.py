"""Adaptive time stepping through diffrax, for single cells and small systems.

The run is split into *segments* that end at events, located in time by root finding on the
dense solution (optimistix Newton):

* reset models (LIF, AdEx, Izhikevich): the membrane variable reaching the model's spike
  threshold; the model's reset is applied and, if it has a refractory period, the membrane
  variable is held for that period (a segment with a clamped vector field);
* threshold detectors (HH-type): upward crossings of the threshold (the spike); the next segment
  waits for the downward crossing before a new spike can be detected.

Stimulus discontinuities (step on/off, pulse edges) are passed to the step-size controller as
``jump_ts`` so that no step straddles them. Samples are taken on the ``record_dt`` grid from
each segment's dense interpolation. Each segment's solve is compiled once per structure; values
(parameters, stimulus amplitudes, times) are arguments, so repeated runs do not recompile.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from ..errors import ParameterError, SimulationError
from ..math import jax_math
from ..units import to_unit
from . import caches
from .result import Result, Spikes, Status

__all__ = ["simulate_adaptive"]

_SOLVERS = {
    "tsit5": diffrax.Tsit5,
    "dopri5": diffrax.Dopri5,
    "dopri8": diffrax.Dopri8,
    "kvaerno3": diffrax.Kvaerno3,
    "kvaerno5": diffrax.Kvaerno5,
    "heun_adaptive": diffrax.Heun,
}


def _vector_field(model: Any, stims: tuple[Any, ...]) -> Any:
    def f(t: Any, y: Any, args: Any) -> Any:
        pm, ps, clamp = args
        i_ext = 0.0
        for st, p in zip(stims, ps):
            i_ext = i_ext + st.value(p, t, (), jax_math)  # edges are jump_ts: never straddled
        d = model.derivatives(pm, y, i_ext, jax_math)
        v = model.voltage_var
        return d._replace(**{v: getattr(d, v) * (1.0 - clamp)})

    return f


@functools.lru_cache(maxsize=64)
def _segment_solver(model_key: Any, stim_keys: Any, method: str, n_save: int, n_jumps: int,
                    kind: str) -> Any:
    """A jitted solve of one segment (cached per structure)."""
    model, stims = _TEMPLATES[(model_key, stim_keys)]
    term = diffrax.ODETerm(_vector_field(model, stims))
    solver = _SOLVERS[method]()
    var = model.voltage_var

    field = _vector_field(model, stims)

    def cond(t, y, args, **kw):
        # (v - theta)/(|dv/dt| + 1 mV/ms): same root as v - theta but time-like, so the root
        # finder's tolerance is a tolerance on time even for the AdEx upswing (~1e14 mV/ms)
        pm, ps, clamp, theta = args
        dv = getattr(field(t, y, (pm, ps, clamp)), var)
        return (getattr(y, var) - theta) / (jnp.abs(dv) + 1.0)

    @eqx.filter_jit
    def solve(y0, t0, t1, ts, jump_ts, pm, ps, clamp, theta, rtol, atol, dt0):
        # dtmin: the exponential upswing of AdEx-type models would otherwise need steps below
        # the float resolution of t; steps of dtmin are accepted, the event is still root-found
        controller = diffrax.ClipStepSizeController(
            diffrax.PIDController(rtol=rtol, atol=atol, dtmin=_DTMIN, force_dtmin=True),
            jump_ts=jump_ts,
        )
        event = None
        if kind in ("up", "down"):
            event = diffrax.Event(
                lambda t, y, args, **kw: cond(t, y, (*args, theta)),
                root_finder=optx.Bisection(rtol=1e-12, atol=1e-10),
                direction=(kind == "up"),
            )
        sol = diffrax.diffeqsolve(
            term, solver, t0=t0, t1=t1, dt0=dt0, y0=y0, args=(pm, ps, clamp),
            saveat=diffrax.SaveAt(ts=ts, t1=True), stepsize_controller=controller,
            event=event, max_steps=_MAX_STEPS, throw=False,
        )
        return sol.ts, sol.ys, sol.result, sol.stats

    return solve


_TEMPLATES: dict[Any, Any] = {}
caches.register(_segment_solver.cache_clear)
_MAX_STEPS = 1_000_000
_DTMIN = 1e-9  # ms


def simulate_adaptive(
    model: Any,
    stims: tuple[Any, ...],
    *,
    t_stop: float,
    dt0: float,
    method: str,
    record: tuple[str, ...],
    record_dt: float | None,
    detector: Any,
    init: Any,
    rtol: float,
    atol: float,
    max_steps: int,
    throw: bool,
    labels: dict[str, Any],
    seed: int,
    dtype: str,
) -> Result:
    """Adaptive-step run of ``model`` (see the module docstring)."""
    from .simulate import _provenance, _units

    wall0 = time.perf_counter()
    name = type(model).__name__
    if any(s.stateful for s in stims):
        raise ParameterError(
            f"simulate: method {method!r} (adaptive) cannot integrate noise or spike-driven "
            f"stimuli ({', '.join(type(s).__name__ for s in stims if s.stateful)}). "
            "Fix: use a fixed-step method (method='exp_euler' or 'rk4')."
        )
    if dtype != "float64":
        raise ParameterError(
            "simulate: adaptive methods run in float64 only (tolerance control in float32 is "
            "unreliable). Fix: dtype='float64' or a fixed-step method."
        )
    if "i_ext" in record:
        raise ParameterError(
            "simulate: 'i_ext' cannot be recorded with an adaptive method. Fix: record it with a "
            "fixed-step method or evaluate the stimulus directly."
        )
    for what, val in (("rtol", rtol), ("atol", atol)):
        if not (0 < float(val) < 1):
            raise ParameterError(
                f"simulate.{what} must be in (0, 1); got {val!r}. Fix: typical values 1e-6..1e-10."
            )
    pm_raw = model.params()
    if any(np.ndim(v) for v in pm_raw.values()) or any(
        np.ndim(v) for s in stims for k, v in s.params().items() if not s._param_specs[k].vector
    ):
        raise ParameterError(
            f"simulate: method {method!r} runs one parameter set at a time; got array-valued "
            "parameters (a batch). Fix: loop over the sets, or use a fixed-step method, which "
            "batches them in one compiled call."
        )
    if any(isinstance(v, jax.core.Tracer) for v in pm_raw.values()):
        raise ParameterError(
            f"simulate: method {method!r} is not differentiable here (event restarts). "
            "Fix: take gradients through a fixed-step method ('exp_euler', 'rk4')."
        )

    record_dt = dt0 if record_dt is None else record_dt
    n_save = int(np.floor(t_stop / record_dt + 1e-9)) + 1
    grid = np.arange(n_save) * record_dt
    jumps = sorted({b for s in stims for b in s.breakpoints() if 0.0 < b < t_stop})
    n_j = max(1, len(jumps))
    jump_ts = jnp.asarray((jumps + [t_stop] * n_j)[:n_j] if jumps else [t_stop], dtype=jnp.float64)

    key = (model.static_key(), tuple(s.static_key() for s in stims))
    _TEMPLATES.setdefault(key, (model, stims))
    pm = model.Params(**{k: jnp.asarray(v, jnp.float64) for k, v in pm_raw.items()})
    ps = tuple(s.Params(**{k: jnp.asarray(v, jnp.float64) for k, v in s.params().items()})
               for s in stims)
    y = model.init_state(pm, jax_math)
    y = type(y)(*(jnp.asarray(x, jnp.float64) for x in y))
    for k, v in (init or {}).items():
        y = y._replace(**{k: jnp.asarray(to_unit(v, model.state_vars[k]), jnp.float64)})

    has_reset = model.has_reset
    t_ref = float(model.refractory_period(pm)) if has_reset else 0.0
    if has_reset:
        theta = float(model.spike_threshold(pm))
    elif detector is not None:
        theta = float(detector.threshold)
    else:
        theta = 0.0
    want_events = has_reset or detector is not None
    if detector is not None and not has_reset and detector.var != model.voltage_var:
        raise ParameterError("simulate: adaptive spike detection works on the membrane variable.")

    samples = np.full((len(record), n_save), np.nan)
    spikes: list[float] = []
    t = 0.0
    phase = "up"  # what the next segment waits for
    stats = {"n_steps": 0, "n_accepted": 0, "n_rejected": 0, "n_segments": 0, "n_events": 0}
    status, message = Status.SUCCESS, ""
    filled_upto = -1
    rtol_a, atol_a = jnp.asarray(rtol), jnp.asarray(atol)
    while t < t_stop - 1e-12 and stats["n_segments"] < 100_000:
        clamp_until = None
        if phase == "refractory":
            clamp_until = min(t + t_ref, t_stop)
            kind, t1, clamp = "none", clamp_until, 1.0
        else:
            kind = phase if want_events else "none"
            t1, clamp = t_stop, 0.0
        solve = _segment_solver(key[0], key[1], method, n_save, n_j, kind)
        ts = jnp.asarray(np.clip(grid, t, t1))
        out_ts, ys, result, st = solve(
            y, jnp.asarray(t), jnp.asarray(t1), ts, jump_ts, pm, ps, jnp.asarray(clamp),
            jnp.asarray(theta), rtol_a, atol_a, jnp.asarray(min(dt0, max(t1 - t, 1e-9))))
        stats["n_segments"] += 1
        stats["n_steps"] += int(st["num_steps"])
        stats["n_accepted"] += int(st["num_accepted_steps"])
        stats["n_rejected"] += int(st["num_rejected_steps"])
        if int(stats["n_steps"]) > max_steps:
            result = diffrax.RESULTS.max_steps_reached
        # diffrax packs the saves: the grid points reached, then the end (t1 or the event)
        ts_np = np.asarray(out_ts)
        n_fin = int(np.sum(np.isfinite(ts_np)))
        ok_event = bool(result == diffrax.RESULTS.event_occurred)
        if n_fin == 0 or not (bool(result == diffrax.RESULTS.successful) or ok_event):
            status = Status.SOLVER_FAILED
            message = (f"simulate: the adaptive solver ({method}) failed after t = {t:g} ms for "
                       f"{name}: {result}. Fix: loosen rtol/atol (now {rtol:g}/{atol:g}), raise "
                       f"max_steps (now {max_steps}) or use method='kvaerno5' for stiff dynamics.")
            if throw:
                raise SimulationError(message, time=t)
            break
        t_end = float(ts_np[n_fin - 1])
        ys_np = [np.asarray(getattr(ys, v))[:n_fin] for v in model.state_vars]
        idx = np.arange(n_fin - 1)
        idx = idx[(idx > filled_upto) & (grid[idx] >= t - 1e-12) & (grid[idx] <= t_end + 1e-12)]
        for r, var in enumerate(record):
            samples[r, idx] = ys_np[list(model.state_vars).index(var)][idx]
        if idx.size:
            filled_upto = int(idx[-1])
        y_end = type(y)(*(jnp.asarray(x[-1]) for x in ys_np))
        if not all(np.isfinite(x[-1]) for x in ys_np):
            status = Status.NONFINITE
            message = f"simulate: {name} state became NaN/Inf near t = {t_end:g} ms ({method})."
            if throw:
                raise SimulationError(message + " Fix: tighten rtol/atol or check the parameters.",
                                      time=t_end)
            break
        t = t_end
        y = y_end
        if phase == "refractory":
            phase = "up"
            continue
        if ok_event:
            stats["n_events"] += 1
            if has_reset:
                spikes.append(t_end)
                y = model.reset(pm, y, jax_math)
                y = type(y)(*(jnp.asarray(x, jnp.float64) for x in y))
                phase = "refractory" if t_ref > 0 else "up"
            elif phase == "up":
                spikes.append(t_end)
                phase = "down"
            else:
                phase = "up"
    final = {k: np.asarray(v) for k, v in zip(model.state_vars, y)}
    traces = {var: samples[r] for r, var in enumerate(record)}
    sp = Spikes(np.asarray(spikes), np.zeros(len(spikes), np.int64), ()) if detector is not None \
        else None
    stats["wall_s"] = time.perf_counter() - wall0
    prov = _provenance(model, stims, t_stop, dt0, method, seed, dtype, record, record_dt, labels,
                       (), False)
    prov.update({"rtol": rtol, "atol": atol})
    return Result(t=grid, traces=traces, units=_units(model, record), spikes=sp, batch=labels,
                  batch_shape=(), status=status, message=message, provenance=prov, stats=stats,
                  final_state=final)
