"""Simulate a multi-compartment :class:`~neurodyn.cable.Cell`: one run, a batch of parameter
sets in one compiled call, or a differentiable function of chosen parameters."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import caches
from ..engine.result import Result, Spikes
from ..errors import ParameterError, SimulationError
from .assemble import Assembled, assemble
from .cell import Cell, parse_location
from .solver import initial_state, make_step

__all__ = ["CellSimulator", "simulate_cell"]

_METHODS = ("backward_euler", "crank_nicolson")


@dataclass
class CellSimulator:
    """A compiled-on-first-use simulation of one cell layout.

    :meth:`run` maps parameter values (by path, see :meth:`param_paths`) to recorded voltages;
    it is a pure JAX function, so ``jax.grad``/``jax.jit``/``jax.vmap`` apply. Reverse-mode
    memory is bounded by checkpointing: the forward pass stores the state only every
    ``checkpoint`` samples and recomputes within a block (memory ~ (n_blocks + block length) ×
    state instead of n_steps × state).
    """

    assembled: Assembled
    t_stop: float
    dt: float
    record_nodes: np.ndarray
    record_labels: tuple[str, ...]
    steps_per_sample: int
    n_samples: int
    method: str
    checkpoint: int

    def param_paths(self) -> list[str]:
        """Paths of painted parameters (``"<target>.<mechanism>.<param>"``) and of point-process
        parameters (``"<location>.<Class>.<param>"``, ``"<location>.<Class>[<j>].<param>"``
        where one location holds several of a class), and synaptic weights
        (``"synapse[<j>].weight"``, in order of placement)."""
        a = self.assembled
        out = a.param_paths()
        for prefix, pp in self._electrode_prefixes():
            out += [f"{prefix}.{k}" for k in pp.param_specs()]
        out += [f"synapse[{j}].weight" for j in range(len(a.synapses))]
        return out

    def _electrode_prefixes(self) -> list[tuple[str, Any]]:
        return electrode_prefixes(self.assembled.cell)

    # ------------------------------------------------------------------ parameters
    def params(self, values: Mapping[str, Any] | None = None,
               batch_shape: tuple[int, ...] = ()) -> dict[str, Any]:
        """The parameter pytree with ``values`` (path -> scalar or ``batch_shape`` array)."""
        import jax.numpy as jnp

        a = self.assembled
        values = dict(values or {})
        known = set(self.param_paths())
        for k in values:
            if k not in known:
                raise ParameterError(f"cell parameter {k!r} does not exist. Known: "
                                     f"{', '.join(sorted(known)[:12])}{', ...' if len(known) > 12 else ''}.")
        mech = []
        for grp in a.groups:
            fields = {}
            for name, base in grp.params.items():
                arr = jnp.asarray(base).reshape(base.shape + (1,) * len(batch_shape))
                arr = jnp.broadcast_to(arr, base.shape + batch_shape)
                for path, mask in grp.labels.items():
                    if path.rsplit(".", 1)[1] == name and path in values:
                        val = jnp.asarray(values[path])
                        arr = jnp.where(jnp.asarray(mask).reshape(mask.shape + (1,) * len(batch_shape)),
                                        jnp.broadcast_to(val, batch_shape)[None], arr)
                fields[name] = arr
            mech.append(type(grp.mech).Params(**fields))
        elec = []
        for prefix, pp in self._electrode_prefixes():
            fields = {}
            for name in pp.param_specs():
                path = f"{prefix}.{name}"
                fields[name] = jnp.asarray(values.get(path, getattr(pp, name)), dtype=float)
            elec.append(type(pp).Params(**fields))
        syn = []
        n_steps = self.n_samples * self.steps_per_sample
        for j, (_, sy) in enumerate(a.synapses):
            w = values.get(f"synapse[{j}].weight", sy.weight)
            syn.append({"model": sy.synapse.param_values(), "weight": jnp.asarray(w, dtype=float),
                        "arrivals": jnp.asarray(sy.arrivals(n_steps, self.dt))})
        return {"mech": mech, "electrodes": elec, "synapses": syn}

    # ------------------------------------------------------------------ running
    def run(self, values: Mapping[str, Any] | None = None, batch_shape: tuple[int, ...] = ()
            ) -> dict[str, Any]:
        """Recorded voltages ``{"v": [n_record, *batch, n_samples + 1] (from t = 0), "det":
        [n_steps, n_det, *batch] (every step at the spike detectors), "final": the state at
        t_stop}`` (JAX arrays; traceable)."""
        return self.run_params(self.params(values, batch_shape), batch_shape)

    def run_params(self, params: Any, batch_shape: tuple[int, ...] = ()) -> dict[str, Any]:
        """:meth:`run` from a full parameter pytree (:meth:`params`)."""
        import jax
        import jax.numpy as jnp

        a = self.assembled
        step = make_step(a, self.dt, self.method)
        carry = initial_state(a, params, batch_shape)
        rec = jnp.asarray(self.record_nodes)
        v0 = carry[0][rec]
        det = jnp.asarray(np.array([n for n, _ in a.detectors], dtype=np.int64))
        k = self.steps_per_sample

        def sample(carry: Any, i: Any) -> Any:
            ks = i * k + jnp.arange(k)

            def one(c: Any, j: Any) -> Any:
                c, v_new = step(c, j, params)
                return c, v_new[det]

            carry, vdet = jax.lax.scan(one, carry, ks)
            return carry, (carry[0][rec], vdet)

        m = self.checkpoint
        n_blocks = self.n_samples // m

        @jax.checkpoint
        def block(carry: Any, j: Any) -> Any:
            return jax.lax.scan(sample, carry, j * m + jnp.arange(m))

        carry, (vs, vdet) = jax.lax.scan(block, carry, jnp.arange(n_blocks))
        vs = vs.reshape((n_blocks * m, *vs.shape[2:]))
        vdet = vdet.reshape((n_blocks * m * k, *vdet.shape[3:]))
        trace = jnp.concatenate([v0[None], vs], axis=0)
        return {"v": jnp.moveaxis(trace, 0, -1), "det": vdet, "final": carry}


def electrode_prefixes(cell: Cell) -> list[tuple[str, Any]]:
    """``("<location>.<Class>", electrode)`` per electrode placed on ``cell``, with
    ``"<location>.<Class>[<j>]"`` where one location holds several electrodes of one class (in
    order of placement): the prefixes of their parameter paths."""
    placed = [(str(loc), pp) for loc, pp in cell.placed if _is_electrode(pp)]
    names = [f"{loc}.{type(pp).__name__}" for loc, pp in placed]
    seen: dict[str, int] = {}
    out = []
    for name, (_, pp) in zip(names, placed):
        j = seen.get(name, 0)
        seen[name] = j + 1
        out.append((f"{name}[{j}]" if names.count(name) > 1 else name, pp))
    return out


def _is_electrode(pp: Any) -> bool:
    from .point import AbstractPointProcess

    return isinstance(pp, AbstractPointProcess)


def _divisor_near(n: int, target: int) -> int:
    best = 1
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            for c in (d, n // d):
                if abs(c - target) < abs(best - target):
                    best = c
    return best


def build(cell: Cell, t_stop: float, dt: float = 0.025, *, record: Sequence[Any] = ("soma(0.5)",),
          record_dt: float | None = None, method: str = "backward_euler",
          checkpoint: int | None = None) -> CellSimulator:
    """Assemble ``cell`` and prepare a :class:`CellSimulator` (nothing is compiled yet)."""
    if method not in _METHODS:
        raise ParameterError(f"cable method must be one of {', '.join(_METHODS)}; got {method!r}.")
    if not dt > 0:
        raise ParameterError(f"dt must be > 0 ms; got {dt!r}. Fix: 0.025 ms is NEURON's default.")
    if not t_stop > 0:
        raise ParameterError(f"t_stop must be > 0 ms; got {t_stop!r}.")
    a = assemble(cell)
    record_dt = dt if record_dt is None else float(record_dt)
    k = round(record_dt / dt)
    if k < 1 or abs(k * dt - record_dt) > 1e-9 * record_dt:
        raise ParameterError(f"record_dt ({record_dt} ms) must be a multiple of dt ({dt} ms). "
                             f"Fix: record_dt={max(1, k) * dt:g}.")
    n_steps = round(t_stop / dt)
    if abs(n_steps * dt - t_stop) > 1e-9 * t_stop or n_steps % k:
        raise ParameterError(f"t_stop ({t_stop} ms) must be a multiple of record_dt "
                             f"({record_dt} ms). Fix: t_stop={max(1, n_steps // k) * k * dt:g}.")
    n_samples = n_steps // k
    if checkpoint is None:
        checkpoint = _divisor_near(n_samples, max(1, int(math.sqrt(n_samples))))
    elif n_samples % checkpoint:
        raise ParameterError(f"checkpoint ({checkpoint} samples) must divide the number of "
                             f"samples ({n_samples}).")
    locs = [parse_location(r) for r in record]
    nodes = np.array([a.nodes.node_at(cell.section_index(lc.section), lc.x) for lc in locs],
                     dtype=np.int64)
    labels = tuple(r if isinstance(r, str) else str(lc) for r, lc in zip(record, locs))
    return CellSimulator(a, float(t_stop), float(dt), nodes, labels, k,
                         n_samples, method, int(checkpoint))


_JIT_CACHE: dict[Any, Any] = {}
caches.register(_JIT_CACHE.clear)


def simulate_cell(cell: Cell, t_stop: float, dt: float = 0.025, *,
                  record: Sequence[Any] = ("soma(0.5)",), record_dt: float | None = None,
                  method: str = "backward_euler", batch: Mapping[str, Any] | None = None,
                  throw: bool = True) -> Result:
    """Simulate a cell; returns a :class:`~neurodyn.engine.result.Result` whose traces are the
    voltages (mV) at the recorded locations (keys as given, e.g. ``"soma(0.5)"``), with spikes
    from the cell's :class:`~neurodyn.cable.SpikeDetector` (the first one) if any.

    ``batch`` maps parameter paths (:meth:`CellSimulator.param_paths`) to arrays of one shape:
    the cell is run for every set in one compiled call (layout ``[node, batch]``).
    """
    import jax
    import jax.numpy as jnp

    wall0 = time.perf_counter()
    sim = build(cell, t_stop, dt, record=record, record_dt=record_dt, method=method,
                checkpoint=1)
    batch = dict(batch or {})
    shapes = {np.shape(v) for v in batch.values()}
    if len(shapes) > 1:
        raise ParameterError(f"batch arrays must share one shape; got {sorted(shapes)}.")
    batch_shape = shapes.pop() if shapes else ()
    sim.params(batch, batch_shape)  # validates paths
    build_s = time.perf_counter() - wall0
    # parameters are arguments of the compiled function; everything else it bakes in
    # (structure, geometry, ion environment, v_init, temperature) is in the key
    key = (sim.assembled.structure_key(), sim.assembled.constants_key(), sim.dt, sim.n_samples,
           sim.steps_per_sample, sim.method, batch_shape, sim.record_nodes.tobytes())
    fn = _JIT_CACHE.get(key)
    if fn is None:
        fn = jax.jit(lambda params: sim.run_params(params, batch_shape))
        _JIT_CACHE[key] = fn
    t0 = time.perf_counter()
    params = sim.params({k: jnp.asarray(v, dtype=float) for k, v in batch.items()}, batch_shape)
    out = fn(params)
    v = np.asarray(out["v"])
    run_s = time.perf_counter() - t0
    if not np.all(np.isfinite(v)):
        msg = (f"the membrane potential of {type(cell).__name__} became non-finite. Fix: reduce "
               f"dt (now {dt} ms) or check conductances and stimulus amplitudes.")
        if throw:
            raise SimulationError(msg)
    t = np.arange(sim.n_samples + 1) * sim.steps_per_sample * dt
    traces = {lab: np.moveaxis(v[j], -1, -1) for j, lab in enumerate(sim.record_labels)}
    spikes = None
    if sim.assembled.detectors:
        vdet = np.asarray(out["det"])[:, 0]  # [n_steps, *batch]
        thr = sim.assembled.detectors[0][1]
        v_prev = np.concatenate([np.full((1, *vdet.shape[1:]), float(cell.v_init)), vdet[:-1]])
        cross = (v_prev < thr) & (vdet >= thr)
        with np.errstate(all="ignore"):
            frac = np.where(cross, (thr - v_prev) / (vdet - v_prev), -1.0)
        spikes = Spikes.from_dense(np.moveaxis(frac, 0, -1), dt, batch_shape)
    return Result(t=t, traces=traces, units={k: "mV" for k in traces}, spikes=spikes,
                  batch={k: np.asarray(v) for k, v in batch.items()}, batch_shape=batch_shape,
                  provenance={"model": {"class": "Cell"}, "t_stop": float(t_stop), "dt": float(dt),
                              "method": method, "n_nodes": sim.assembled.n},
                  stats={"build_s": build_s, "run_s": run_s, "wall_s": time.perf_counter() - wall0,
                         "n_nodes": sim.assembled.n, "n_steps": sim.n_samples * sim.steps_per_sample})
