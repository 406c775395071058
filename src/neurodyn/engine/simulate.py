"""``simulate``: the one entry point that turns a model description into a :class:`Result`."""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._version import __version__
from ..errors import ParameterError, SimulationError
from ..math import jax_math
from ..models._base import AbstractNeuronModel, SpikeDetector
from ..params import is_traced
from ..stimuli import as_stimuli
from ..units import to_unit
from . import integrators
from .kernel import KernelSpec, get_kernel
from .result import Result, Spikes, Status

__all__ = ["simulate"]

_CHUNK_BYTES = 64e6  # host memory per chunk of streamed output
_MAX_CHUNK_STEPS = 1 << 16
_PROGRESS_AFTER_S = 3.0
_SPIKE_BLOCK = 16  # steps per emitted spike value (re-run per step if a cell spikes twice)


def simulate(
    model: Any,
    t_stop: float | str,
    dt: float | str = 0.025,
    *,
    stimulus: Any = None,
    record: Sequence[str] | str = ("v",),
    record_dt: float | str | None = None,
    spikes: bool | SpikeDetector = True,
    method: str | None = None,
    seed: int = 0,
    batch: Mapping[str, Any] | None = None,
    init: Mapping[str, Any] | None = None,
    dtype: str = "float64",
    rtol: float = 1e-6,
    atol: float = 1e-6,
    max_steps: int = 1_000_000,
    progress: bool | None = None,
    throw: bool | str = True,
    chunk_steps: int | None = None,
) -> Result:
    """Simulate a point-neuron model.

    Parameters
    ----------
    model:
        A model description, e.g. ``neurodyn.models.HodgkinHuxley()``, or a
        :class:`~neurodyn.network.Network` (then see
        :func:`~neurodyn.network.simulate_network` for ``record``).
    t_stop:
        Duration in ms (or a string with a unit, ``"1 s"``).
    dt:
        Time step in ms for fixed-step methods; the initial step for adaptive ones.
    stimulus:
        A stimulus from :mod:`neurodyn.stimuli`, a list of them (summed) or ``None``.
    record:
        State variables to record (``"all"`` for every one); ``"i_ext"`` records the input.
    record_dt:
        Sampling interval in ms (a multiple of ``dt``; default ``dt``).
    spikes:
        ``True`` for the model's default detector (threshold crossing for HH-type models, reset
        events for integrate-and-fire), a :class:`~neurodyn.models.SpikeDetector`, or ``False``.
    method:
        ``"euler"``, ``"exp_euler"``, ``"backward_euler"``, ``"rk4"``, a model-specific scheme
        (``"izhikevich2003"``) or an adaptive one (``"tsit5"``, ``"kvaerno5"``; with ``rtol``,
        ``atol``, ``max_steps``). Default: the model's ``default_method``.
    seed:
        Seed of every random draw (noise stimuli); same seed, same result.
    batch:
        Parameter sets to run in one compiled call: ``{"g_na": array, "stimulus.amplitude":
        array}``. Paths name a model parameter (``"g_na"`` or ``"model.g_na"``) or a stimulus
        parameter (``"stimulus.amplitude"``, ``"stimulus[1].sigma"``). Arrays broadcast together
        to the batch shape; strings with units are allowed. Array-valued model parameters batch
        the same way.
    init:
        Initial values overriding the model's ``init_state`` (``{"v": -70}``).
    dtype:
        ``"float64"`` (default) or ``"float32"``.
    progress:
        Show a progress bar: ``None`` (when a run is expected to take more than a few seconds
        on a terminal), ``True`` or ``False``.
    throw:
        Raise :class:`~neurodyn.errors.SimulationError` when the state becomes NaN/Inf (default);
        with ``False`` the result is truncated at the failing chunk and ``result.status`` says why;
        with ``"continue"`` the run goes on to the end (the parameter sets of a batch of point
        models are independent, so only the failing sets' traces hold NaN/Inf) and
        ``result.status`` says why.
    chunk_steps:
        Steps per compiled chunk (default: chosen from the batch size and what is recorded).

    Returns
    -------
    Result
        Traces ``(*batch_shape, n_samples)``, spikes, batch labels, provenance and status.

    Notes
    -----
    The run is a ``lax.scan`` inside ``jit``, split in chunks: recordings stream to host memory
    chunk by chunk (memory grows with what is recorded, not with ``t_stop``), a progress bar
    advances, and the state is checked for NaN/Inf after every chunk. Inside ``jax.grad``,
    ``jax.jit`` or ``jax.vmap`` (parameters are tracers) the run is one traced scan and the
    result holds JAX arrays (spikes as a dense per-step array).

    Example
    -------
    >>> import neurodyn as nd
    >>> res = nd.simulate(nd.models.HodgkinHuxley(), t_stop=50, dt=0.01,
    ...                   stimulus=nd.stimuli.Step(amplitude=10, start=5))
    >>> res.spike_times()  # doctest: +SKIP
    """
    wall0 = time.perf_counter()
    from ..network.network import Network

    if isinstance(model, Network):
        from ..network.simulate import simulate_network

        _point_only(stimulus, init, spikes, "network", "single models", "give stimuli and "
                    "initial states on each Population (Population(..., stimulus=..., init=...)); "
                    "network spikes are always recorded.")
        return simulate_network(
            model, t_stop, dt, record=None if record == ("v",) else record, record_dt=record_dt,
            method=method, seed=seed, dtype=dtype, progress=progress, throw=throw,
            chunk_steps=chunk_steps, batch=batch)
    from ..cable.cell import Cell

    if isinstance(model, Cell):
        from ..cable.simulate import simulate_cell

        _point_only(stimulus, init, spikes, "cell", "point models", "place stimuli and spike "
                    "detectors on the cell (cell.place('soma(0.5)', IClamp(...))).")
        return simulate_cell(
            model, _positive_time(t_stop, "t_stop"), _positive_time(dt, "dt"),
            record=("soma(0.5)",) if record == ("v",) else record,
            record_dt=None if record_dt is None else _positive_time(record_dt, "record_dt"),
            method=method or "backward_euler", batch=batch, throw=throw)
    if not isinstance(model, AbstractNeuronModel):
        raise ParameterError(
            f"simulate: model must be a neurodyn model (e.g. neurodyn.models.HodgkinHuxley()); "
            f"got {model!r} ({type(model).__name__}). Fix: instantiate the model class."
        )
    t_stop_f = _positive_time(t_stop, "t_stop")
    dt_f = _positive_time(dt, "dt")
    stims = as_stimuli(stimulus)
    method_name, step_fn = integrators.resolve(model, method)
    _check_clamps(model, stims, method_name, step_fn)
    if dtype not in ("float64", "float32"):
        raise ParameterError(
            f"simulate.dtype must be 'float64' or 'float32'; got {dtype!r}. "
            "Fix: float64 is the default and the safe choice; float32 is faster."
        )
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"simulate.seed must be a non-negative integer; got {seed!r}.")

    # ------------------------------------------------------------------ batch and binding
    labels: dict[str, Any] = {}
    if batch:
        model, stims, labels = _apply_batch(model, stims, batch)
    stims = tuple(s.bind(model) for s in stims)
    record_vars = _record_list(model, record)
    detector = _detector(model, spikes)

    if step_fn is None:
        from .adaptive import simulate_adaptive

        return simulate_adaptive(
            model, stims, t_stop=t_stop_f, dt0=dt_f, method=method_name, record=record_vars,
            record_dt=None if record_dt is None else _positive_time(record_dt, "record_dt"),
            detector=detector, init=init, rtol=rtol, atol=atol, max_steps=max_steps,
            throw=throw, labels=labels, seed=int(seed), dtype=dtype,
        )

    if dt_f > t_stop_f:
        raise ParameterError(
            f"simulate.dt must be <= t_stop ({t_stop_f:g} ms); got {dt_f:g} ms. "
            "Fix: use a smaller dt (typ. 0.01-0.1 ms) or a longer t_stop."
        )
    n_steps = _n_steps(t_stop_f, dt_f, "t_stop")
    every = 1 if record_dt is None else _n_steps(_positive_time(record_dt, "record_dt"), dt_f,
                                                  "record_dt")
    if not record_vars and record_dt is None:
        # nothing sampled: blocks only group the spike output; pick one that tiles the run
        every = max(d for d in range(1, _SPIKE_BLOCK + 1) if n_steps % d == 0)
    fdtype = jnp.float64 if dtype == "float64" else jnp.float32

    # ------------------------------------------------------------------ arrays
    pm_raw = model.params()
    ps_raw = [s.params() for s in stims]
    traced = any(is_traced(v) for v in pm_raw.values()) or any(
        is_traced(v) for d in ps_raw for v in d.values()) or any(
        is_traced(v) for v in (init or {}).values())
    shapes = [np.shape(v) for v in pm_raw.values()]
    for s, d in zip(stims, ps_raw):
        # a vector parameter (a sampled waveform) batches on its leading axes, if any
        shapes += [np.shape(v)[:-1] if s._param_specs[k].vector else np.shape(v)
                   for k, v in d.items()]
    shapes += [np.shape(v) for v in (init or {}).values()]
    try:
        batch_shape = tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    except ValueError:
        raise ParameterError(
            "simulate: the shapes of array-valued parameters do not broadcast together "
            f"({sorted(set(shapes))}). Fix: give every swept parameter the same length, or use "
            "neurodyn.grid(...) to build a full factorial sweep."
        ) from None
    batched = batch_shape != ()
    n_cells = int(np.prod(batch_shape)) if batched else 1

    def leaf(x: Any, vector: bool = False, dtype: Any = fdtype) -> Any:
        a = jnp.asarray(x, dtype=dtype)
        if vector and a.ndim > 1 and batched:  # one vector per cell: (cells, samples)
            return jnp.broadcast_to(a, (*batch_shape, a.shape[-1])).reshape(n_cells, -1)
        if vector or not batched:
            return a
        return jnp.broadcast_to(a, batch_shape).reshape(n_cells)

    pm = model.Params(**{k: leaf(v) for k, v in pm_raw.items()})
    # stimuli compute in float64 (time arithmetic); their output is cast to the state dtype
    ps = tuple(
        s.Params(**{k: leaf(v, s._param_specs[k].vector, jnp.float64) for k, v in d.items()})
        for s, d in zip(stims, ps_raw)
    )
    state0 = _initial_state(model, pm, init, batched, n_cells, batch_shape, leaf)
    sst0 = tuple(
        (jax.vmap(lambda p, s=s: s.init_state(p, jax_math), in_axes=(s.batch_axes(),))(p)
         if batched else s.init_state(p, jax_math))
        for s, p in zip(stims, ps)
    )
    refr0 = jnp.zeros((n_cells,) if batched else (), dtype=jnp.int32)
    key = jax.random.PRNGKey(int(seed))
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(n_cells)) if batched else key
    dt_arr = jnp.asarray(dt_f, dtype=jnp.float64)

    # ------------------------------------------------------------------ chunking
    n_samples_total = -(-n_steps // every)  # blocks of `every` steps (the last may be partial)
    spike_block = 1 if traced else max(d for d in range(1, _SPIKE_BLOCK + 1) if every % d == 0)
    bytes_per_sample = n_cells * (len(record_vars) * (8 if dtype == "float64" else 4)
                                  + (4 * every // spike_block if detector is not None else 0))
    if traced:
        n_samp = n_samples_total
    elif chunk_steps is not None:
        if int(chunk_steps) < 1:
            raise ParameterError(f"simulate.chunk_steps must be >= 1; got {chunk_steps!r}.")
        n_samp = max(1, int(chunk_steps) // every)
    else:
        # chunk buffers in power-of-two sizes (few distinct shapes to compile), capped by memory;
        # the last chunk runs fewer blocks (a traced count), so nothing is wasted
        cap = max(1, min(int(_CHUNK_BYTES // max(bytes_per_sample, 1)), _MAX_CHUNK_STEPS // every))
        n_samp = min(1 << (n_samples_total - 1).bit_length(), 1 << (cap.bit_length() - 1))
    n_chunks = -(-n_samples_total // n_samp)

    spec = KernelSpec(
        model_key=model.static_key(),
        stim_keys=tuple(s.static_key() for s in stims),
        method=method_name,
        record=record_vars,
        every=every,
        n_blocks=n_samp,
        detector=detector,
        batched=batched,
        spike_block=spike_block,
        dynamic=not traced,
        masked=n_steps % every != 0,
    )
    kernel = get_kernel(spec, model, stims, step_fn)

    provenance = _provenance(model, stims, t_stop_f, dt_f, method_name, seed, dtype, record_vars,
                             every * dt_f, labels, batch_shape, traced)

    plan = _Plan(model=model, stims=stims, step_fn=step_fn, spec=spec, kernel=kernel, pm=pm,
                 ps=ps, carry=(state0, sst0, refr0), keys=keys, dt=dt_f, dt_arr=dt_arr,
                 step_dtype=jnp.int64 if jax.config.read("jax_enable_x64") else jnp.int32,
                 n_steps=n_steps, every=every, n_blocks=n_samp, n_chunks=n_chunks,
                 n_blocks_total=n_samples_total, batch_shape=batch_shape, n_cells=n_cells,
                 record=record_vars, detector=detector, labels=labels, provenance=provenance)
    if traced:
        return _run_traced(plan)
    return _run_eager(plan, progress=progress, throw=throw, wall0=wall0)


def _check_clamps(model: Any, stims: tuple[Any, ...], method_name: str, step_fn: Any) -> None:
    """A :class:`~neurodyn.stimuli.VoltageClamp` needs a fixed-step method and a model without
    an integrate-and-fire reset."""
    clamp = next((s for s in stims if s.clamps), None)
    if clamp is None:
        return
    who = f"simulate: {type(clamp).__name__} on {type(model).__name__}"
    if model.has_reset:
        raise ParameterError(
            f"{who}: an integrate-and-fire model resets its potential at threshold, which a "
            "clamp of that potential contradicts. Fix: clamp a conductance-based model "
            "(Hodgkin-Huxley type), or drive this one with a current (Waveform).")
    if step_fn is None:
        raise ParameterError(
            f"{who}: the clamp sets the potential at the end of each fixed step; the adaptive "
            f"method {method_name!r} has none. Fix: use a fixed-step method (method="
            "'exp_euler', 'backward_euler', 'rk4' or 'euler').")


@dataclass
class _Plan:
    """Everything a run needs once the description has been turned into arrays and a kernel."""

    model: AbstractNeuronModel
    stims: tuple[Any, ...]
    step_fn: Any
    spec: KernelSpec
    kernel: Any
    pm: Any
    ps: Any
    carry: Any
    keys: Any
    dt: float
    dt_arr: Any
    step_dtype: Any
    n_steps: int
    every: int
    n_blocks: int
    n_chunks: int
    n_blocks_total: int
    batch_shape: tuple[int, ...]
    n_cells: int
    record: tuple[str, ...]
    detector: SpikeDetector | None
    labels: dict[str, Any]
    provenance: dict[str, Any]

    @property
    def batched(self) -> bool:
        return self.batch_shape != ()

    @property
    def n_out(self) -> int:
        """Samples per trace: one per block, plus the final state if it falls on the grid."""
        return self.n_blocks_total + (1 if self.n_steps % self.every == 0 else 0)

    def call_args(self, carry: Any, step0: int, n_run: int) -> tuple[Any, ...]:
        return (self.pm, self.ps, carry, self.keys, jnp.asarray(step0, self.step_dtype),
                jnp.asarray(n_run), jnp.asarray(self.n_steps, self.step_dtype), self.dt_arr, 0.0)


def _run_traced(plan: _Plan) -> Result:
    """One traced scan (inside jax.grad/jit/vmap): results stay JAX arrays."""
    model, batched, batch_shape = plan.model, plan.batched, plan.batch_shape
    carry, samples, spk, _, _ = plan.kernel(*plan.call_args(plan.carry, 0, plan.n_blocks))
    traces = {}
    for name, x in zip(plan.record, samples):
        x = jnp.moveaxis(x, 0, -1)  # time-major -> (cells, samples)
        if plan.n_steps % plan.every == 0:
            last = _final_value(name, carry, plan.stims, plan.ps, model, plan.n_steps * plan.dt_arr)
            x = jnp.concatenate([x, last[..., None]], axis=-1)
        traces[name] = x.reshape((*batch_shape, -1)) if batched else x
    t = jnp.arange(plan.n_out) * (plan.every * plan.dt_arr)
    sp = None
    if plan.detector is not None:
        frac = spk[:plan.n_steps] if not batched else spk[:plan.n_steps].T
        sp = Spikes.from_dense(frac.reshape((*batch_shape, -1)), plan.dt_arr, batch_shape)
    return Result(
        t=t, traces=traces, units=_units(model, plan.record), spikes=sp, batch=plan.labels,
        batch_shape=batch_shape, provenance=plan.provenance,
        final_state=dict(zip(model.state_vars, carry[0])),
    )


def _run_eager(plan: _Plan, *, progress: bool | None, throw: bool | str, wall0: float) -> Result:
    """Chunk by chunk: stream recordings and spikes to host memory, check for NaN/Inf, report
    progress; re-run a chunk step by step when a spike block overflows."""
    model, batched, batch_shape, n_cells = plan.model, plan.batched, plan.batch_shape, plan.n_cells
    n_steps, every, n_samp, dt_f = plan.n_steps, plan.every, plan.n_blocks, plan.dt
    carry = plan.carry
    rec_chunks: dict[str, list[np.ndarray]] = {v: [] for v in plan.record}
    spk_times: list[np.ndarray] = []
    spk_ids: list[np.ndarray] = []
    status, message = Status.SUCCESS, ""
    bar = None
    compile_s = 0.0
    t_loop0 = time.perf_counter()
    steps_done = 0
    n_reruns = 0
    for c in range(plan.n_chunks):
        step0 = c * n_samp * every
        t_c0 = time.perf_counter()
        n_run = min(n_samp, plan.n_blocks_total - c * n_samp)
        call_args = plan.call_args(carry, step0, n_run)
        new_carry, samples, spk, finite, overflow = plan.kernel(*call_args)
        sb = plan.spec.spike_block
        if spk is not None and bool(overflow):
            # a cell spiked twice within one spike block: redo this chunk step by step (exact)
            exact = get_kernel(replace(plan.spec, spike_block=1), model, plan.stims, plan.step_fn)
            new_carry, samples, spk, finite, _ = exact(*call_args)
            sb, n_reruns = 1, n_reruns + 1
        if not bool(finite) and status is not Status.NONFINITE:
            err = _diagnose(plan.spec, model, plan.stims, plan.step_fn, call_args, carry,
                            batch_shape, dt_f, plan.provenance["method"])
            if throw and throw != "continue":
                if bar is not None:
                    bar.close()
                raise err
            status, message = Status.NONFINITE, str(err)
            if throw != "continue":
                if bar is not None:
                    bar.close()
                break
        carry = new_carry
        for name, x in zip(plan.record, samples):
            x = np.asarray(x)
            rec_chunks[name].append(x[:n_run].T if batched else x[:n_run])
        if spk is not None:
            off = np.asarray(spk).reshape(-1, n_cells)  # (blocks, cells): steps into the block
            blocks, ids = np.nonzero(off >= 0)
            if ids.size:
                steps = step0 + blocks * sb + off[blocks, ids].astype(np.float64)
                keep = steps < n_steps
                spk_times.append(steps[keep] * dt_f)
                spk_ids.append(ids[keep])
        steps_done = min(n_steps, step0 + n_samp * every)
        elapsed = time.perf_counter() - t_c0
        if c == 0:
            compile_s = elapsed
        if bar is None and _want_progress(progress, elapsed, plan.n_chunks):
            from tqdm.auto import tqdm

            bar = tqdm(total=n_steps, unit="step", unit_scale=True,
                       desc=f"simulate {type(model).__name__}", initial=steps_done, leave=False)
        elif bar is not None:
            bar.update(steps_done - bar.n)
    if bar is not None:
        bar.close()
    run_s = time.perf_counter() - t_loop0

    traces = {}
    for name in plan.record:
        parts = rec_chunks[name]
        x = np.concatenate(parts, axis=-1) if parts else np.zeros((*((n_cells,) if batched else ()), 0))
        if steps_done >= n_steps and n_steps % every == 0:  # ran to the end (or "continue")
            last = np.asarray(_final_value(name, carry, plan.stims, plan.ps, model, n_steps * dt_f))
            x = np.concatenate([x, last[..., None]], axis=-1)
        traces[name] = x.reshape((*batch_shape, -1)) if batched else x
    n_out = next(iter(traces.values())).shape[-1] if traces else plan.n_out
    t = np.arange(n_out) * (every * dt_f)
    sp = None
    if plan.detector is not None:
        times = np.concatenate(spk_times) if spk_times else np.zeros(0)
        ids = np.concatenate(spk_ids).astype(np.int64) if spk_ids else np.zeros(0, np.int64)
        order = np.lexsort((ids, times))
        sp = Spikes(times[order], ids[order], batch_shape)
    stats = {
        "n_steps": n_steps, "n_chunks": plan.n_chunks, "chunk_steps": n_samp * every,
        "first_chunk_s": compile_s, "run_s": run_s, "wall_s": time.perf_counter() - wall0,
        "steps_done": steps_done, "spike_block": plan.spec.spike_block, "spike_reruns": n_reruns,
    }
    final = {k: np.asarray(v).reshape(batch_shape) if batched else np.asarray(v)
             for k, v in zip(model.state_vars, carry[0])}
    return Result(
        t=t, traces=traces, units=_units(model, plan.record), spikes=sp, batch=plan.labels,
        batch_shape=batch_shape, status=status, message=message, provenance=plan.provenance,
        stats=stats, final_state=final,
    )


# ---------------------------------------------------------------------- helpers
def _point_only(stimulus: Any, init: Any, spikes: Any, kind: str, applies: str, fix: str) -> None:
    """Reject the point-model arguments of :func:`simulate` for a network or a cell."""
    bad = [k for k, v in {"stimulus": stimulus is not None, "init": bool(init),
                          "spikes": spikes is not True}.items() if v]
    if bad:
        raise ParameterError(f"simulate({kind}): {', '.join(bad)} apply to {applies}. Fix: {fix}")


def _positive_time(x: Any, name: str) -> float:
    if is_traced(x):
        raise ParameterError(
            f"simulate.{name} must be a concrete number (it sets the number of steps); got a traced "
            "value. Fix: pass it as a Python float, not a function argument under jit/grad."
        )
    try:
        v = float(to_unit(x, "ms", what=f"simulate.{name}"))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ParameterError) or type(exc).__name__ == "UnitError":
            raise
        raise ParameterError(
            f"simulate.{name} must be a time in ms; got {x!r} ({type(x).__name__}). "
            f"Fix: pass a number in ms or a string such as '100 ms'."
        ) from None
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(
            f"simulate.{name} must be > 0 ms; got {v:g} ms. Fix: give a positive duration "
            f"(e.g. {name}={'100' if name == 't_stop' else '0.025'})."
        )
    return v


def _n_steps(t: float, dt: float, name: str) -> int:
    n = round(t / dt)
    if n < 1 or abs(n * dt - t) > 1e-9 * max(t, 1.0):
        raise ParameterError(
            f"simulate.{name} ({t:g} ms) must be a whole multiple of dt ({dt:g} ms). "
            f"Fix: use {name}={max(n, 1) * dt:g} or a dt that divides it."
        )
    return n


def _want_progress(progress: bool | None, first_chunk_s: float, n_chunks: int) -> bool:
    if progress is False or n_chunks <= 1:
        return False
    if progress:
        return True
    return first_chunk_s * n_chunks > _PROGRESS_AFTER_S and sys.stderr.isatty()


def _record_list(model: AbstractNeuronModel, record: Sequence[str] | str | None) -> tuple[str, ...]:
    if record is None:
        return ()
    if isinstance(record, str):
        record = tuple(model.state_vars) if record == "all" else (record,)
    out = []
    for name in record:
        if name not in model.state_vars and name != "i_ext":
            raise ParameterError(
                f"simulate.record: {type(model).__name__} has no state variable {name!r}. "
                f"Known: {', '.join(model.state_vars)} (and 'i_ext', the input). "
                f"Fix: record=[{', '.join(repr(v) for v in model.state_vars)}]."
            )
        if name not in out:
            out.append(name)
    return tuple(out)


def _detector(model: AbstractNeuronModel, spikes: Any) -> SpikeDetector | None:
    if spikes is False or spikes is None:
        return None
    if spikes is True:
        return model.default_detector()
    if isinstance(spikes, SpikeDetector):
        if spikes.kind == "reset" and not model.has_reset:
            raise ParameterError(
                f"simulate.spikes: {type(model).__name__} has no reset; detect spikes by threshold "
                "crossing instead. Fix: spikes=SpikeDetector.crossing(0.0)."
            )
        if spikes.var not in model.state_vars:
            raise ParameterError(
                f"simulate.spikes: {type(model).__name__} has no variable {spikes.var!r}."
            )
        return spikes
    raise ParameterError(
        f"simulate.spikes must be True, False or a SpikeDetector; got {spikes!r}."
    )


def _units(model: AbstractNeuronModel, names: Sequence[str]) -> dict[str, str]:
    return {n: (model.input_unit if n == "i_ext" else model.state_vars[n]) for n in names}


def _initial_state(model, pm, init, batched, n_cells, batch_shape, leaf):
    if batched:
        state = jax.vmap(lambda p: model.init_state(p, jax_math))(pm)
    else:
        state = model.init_state(pm, jax_math)
    for k, v in (init or {}).items():
        if k not in model.state_vars:
            raise ParameterError(
                f"simulate.init: {type(model).__name__} has no state variable {k!r}. "
                f"Known: {', '.join(model.state_vars)}."
            )
        state = state._replace(**{k: leaf(to_unit(v, model.state_vars[k], what=f"init.{k}"))})
    return state


def _final_value(name, carry, stims, ps, model, t_end):
    if name != "i_ext":
        return getattr(carry[0], name)
    v = getattr(carry[0], model.voltage_var)
    total = jnp.zeros_like(v)
    for s, p, ss in zip(stims, ps, carry[1]):
        total = total + jnp.asarray(s.value(p, t_end, ss, jax_math)).astype(v.dtype)
    return total


def _apply_batch(model, stims, batch):
    """Apply path-addressed parameter arrays; return the new model, stimuli and labels."""
    import re

    model_changes: dict[str, Any] = {}
    stim_changes: dict[int, dict[str, Any]] = {}
    labels: dict[str, Any] = {}
    pat = re.compile(r"^stimulus(?:\[(\d+)\])?\.(\w+)$")
    for path, values in batch.items():
        if isinstance(values, list | tuple) and values and isinstance(values[0], str):
            values = [to_unit(v, _unit_for(path, model, stims), what=f"batch[{path!r}]")
                      for v in values]
        arr = np.asarray(values) if not is_traced(values) else values
        m = pat.match(path)
        name = path.removeprefix("model.")
        if m:
            idx = int(m.group(1) or 0)
            if m.group(1) is None and len(stims) != 1:
                raise ParameterError(
                    f"simulate.batch: path {path!r} is ambiguous with {len(stims)} stimuli. "
                    f"Fix: name one, e.g. 'stimulus[0].{m.group(2)}'."
                )
            if idx >= len(stims) or m.group(2) not in stims[idx]._param_specs:
                what = "no such stimulus" if idx >= len(stims) else (
                    f"{type(stims[idx]).__name__} parameters: {', '.join(stims[idx]._param_specs)}")
                raise ParameterError(f"simulate.batch: unknown path {path!r} ({what}).")
            stim_changes.setdefault(idx, {})[m.group(2)] = arr
        elif name in model._param_specs:
            model_changes[name] = arr
        else:
            raise ParameterError(
                f"simulate.batch: unknown path {path!r}. {type(model).__name__} parameters: "
                f"{', '.join(model._param_specs)}; stimulus parameters as 'stimulus.amplitude' "
                "or 'stimulus[i].name'."
            )
        labels[path] = arr
    if model_changes:
        model = model.replace(**model_changes)
    stims = tuple(
        s.replace(**stim_changes[i]) if i in stim_changes else s for i, s in enumerate(stims)
    )
    try:
        shape = np.broadcast_shapes(*[np.shape(v) for v in labels.values()])
    except ValueError:
        raise ParameterError(
            "simulate.batch: the arrays do not broadcast together "
            f"({ {k: np.shape(v) for k, v in labels.items()} }). Fix: give them the same length "
            "or build a factorial sweep with neurodyn.grid(...)."
        ) from None

    # labels only describe the batch; traced values (inside jit/grad) stay as they are
    labels = {k: v if is_traced(v) else np.broadcast_to(np.asarray(v, dtype=float), shape)
              for k, v in labels.items()}
    return model, stims, labels


def _unit_for(path: str, model: Any, stims: Any) -> str:
    name = path.rsplit(".", 1)[-1]
    if path.startswith("stimulus"):
        unit = "1"
        for s in stims:
            if name in s._param_specs:
                unit = s._param_specs[name].unit
        return model.input_unit if unit == "input" else unit
    spec = model._param_specs.get(name)
    return spec.unit if spec else "1"


def _diagnose(spec, model, stims, step_fn, call_args, carry, batch_shape, dt_f,
              method_name):
    """Re-run the failing chunk recording the first non-finite step of every variable."""
    dspec = replace(spec, diagnose=True, spike_block=1)
    kernel = get_kernel(dspec, model, stims, step_fn)
    n_vars = len(model.state_vars)
    bad0 = jnp.full(((int(np.prod(batch_shape)),) if spec.batched else ()) + (n_vars,), -1,
                    dtype=call_args[5].dtype)
    pm, ps, _, keys, *rest = call_args
    out = kernel(pm, ps, (*carry, bad0), keys, *rest)
    bad = np.asarray(out[0][3]).reshape(-1, n_vars)
    bad = np.where(bad < 0, np.iinfo(np.int64).max, bad)
    cell, var = np.unravel_index(np.argmin(bad), bad.shape)
    step = int(bad[cell, var])
    names = list(model.state_vars)
    t_fail = (step + 1) * dt_f
    where = f" in parameter set {int(cell)} of the batch" if spec.batched else ""
    suspects = _suspect_params(model, int(cell) if spec.batched else None)
    hint = (f"Fix: reduce dt (now {dt_f:g} ms; try {dt_f / 10:g} ms)"
            + ("" if method_name in ("exp_euler", "backward_euler")
               else ", or use method='exp_euler' or 'backward_euler'")
            + (f", or check {suspects}" if suspects else ", or check the model parameters")
            + ".")
    msg = (f"simulate: {type(model).__name__} state became NaN/Inf at t = {t_fail:g} ms in "
           f"variable {names[var]!r}{where} (method {method_name!r}, dt = {dt_f:g} ms). {hint}")
    return SimulationError(msg, time=t_fail, variable=names[var],
                           index=int(cell) if spec.batched else None)


def _suspect_params(model: AbstractNeuronModel, cell: int | None) -> str:
    """Parameters furthest (by ratio) from their defaults, for the NaN hint."""
    scores = []
    values = {k: getattr(model, k) for k in model._param_specs}
    shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
    for k, spec in model._param_specs.items():
        v = values[k]
        if cell is not None and np.ndim(v):
            v = np.broadcast_to(v, shape).ravel()[cell]
        if spec.default is None or not np.ndim(v) == 0:
            continue
        d, x = float(spec.default), float(v)
        if d == x:
            continue
        r = abs(math.log(abs(x) / abs(d))) if d and x and d * x > 0 else float("inf")
        scores.append((r, f"{k} = {x:g} {spec.unit} (default {d:g})"))
    scores.sort(reverse=True)
    return "; ".join(s for _, s in scores[:2])


def _provenance(model, stims, t_stop, dt, method, seed, dtype, record, record_dt, labels,
                batch_shape, traced) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        if is_traced(v):
            return "traced"
        a = np.asarray(v)
        return float(a) if a.ndim == 0 else {"shape": list(a.shape), "min": float(a.min()),
                                             "max": float(a.max())}

    params = {k: plain(v) for k, v in model.params().items()}
    h = hashlib.sha256()
    for k, v in model.params().items():
        if not is_traced(v):
            h.update(k.encode())
            h.update(np.ascontiguousarray(np.asarray(v, dtype=float)).tobytes())
    return {
        "neurodyn_version": __version__,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model": {"class": type(model).__name__, "params": params,
                  "units": {k: s.unit for k, s in model._param_specs.items()},
                  "options": model.options()},
        "stimulus": [{"class": type(s).__name__,
                      "params": {k: plain(v) if not s._param_specs[k].vector else "vector"
                                 for k, v in s.params().items()},
                      "options": s.options()} for s in stims],
        "t_stop": t_stop, "dt": dt, "record_dt": record_dt, "method": method, "seed": int(seed),
        "dtype": dtype, "record": list(record), "batch_shape": list(batch_shape),
        "batch_paths": list(labels), "param_hash": h.hexdigest()[:16], "traced": traced,
        "jax_version": jax.__version__, "numpy_version": np.__version__,
        "python": platform.python_version(), "platform": platform.platform(),
        "backend": jax.default_backend(),
    }
