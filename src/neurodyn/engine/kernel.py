"""The compiled chunk kernel.

A kernel is built once per *structure* (model class and options, stimulus classes and options,
method, what is recorded, chunk shape, batched or not) and cached; parameter values, the time
step, the initial state, the seed and the number of blocks to run are traced arguments, so
changing them never recompiles. Only new shapes (batch size, chunk buffer size, table lengths)
or dtypes trigger a new trace, as JAX does.

Time is organised in *blocks* of ``every`` steps: the recorded variables are sampled at the start
of each block. Within a block, spikes are gathered per *spike block* of ``spike_block`` steps (a
divisor of ``every``): one float32 per cell and spike block holds the offset of the spike in
steps, fraction included (``-1``: none). Emitting one value per spike block instead of one per
step keeps the largest output (and its host-side scan) small. A cell that spikes twice within one
spike block raises the ``overflow`` flag and the caller re-runs the chunk with
``spike_block = 1``, so no spike is ever dropped.

Batched runs are the same code on arrays of shape ``(cells,)`` (the model maths is element-wise);
outputs are time-major, ``(blocks, cells)``.

Two loop forms:

* eager runs (``dynamic=True``): ``fori_loop`` over a *traced* number of blocks, writing into
  preallocated buffers of ``n_blocks`` entries. The last chunk of a run simply runs fewer blocks:
  no masking, no wasted steps, one kernel for every duration.
* traced runs (inside ``grad``/``jit``/``vmap``; ``dynamic=False``): ``lax.scan`` over exactly
  ``n_blocks`` blocks (reverse-mode differentiable). If the duration is not a whole number of
  blocks (``masked=True``), steps at or beyond ``n_total`` leave the state unchanged.

One call returns ``(carry, samples, spikes, finite, overflow)``: the carry (model state, stimulus
states, refractory counters), the recorded variables ``(n_blocks,)`` each, the spike offsets
``(n_blocks * every // spike_block,)``, whether the final state is finite, and the overflow flag.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ..math import jax_math
from ..models._base import AbstractNeuronModel, SpikeDetector
from . import caches

__all__ = ["EventCarry", "KernelSpec", "event_gradients", "get_kernel", "reset_step",
           "trace_counts"]

_TRACES: Counter[Any] = Counter()


def trace_counts() -> dict[Any, int]:
    """How many times each kernel structure was traced (compiled); for tests and diagnostics."""
    return dict(_TRACES)


@dataclass(frozen=True)
class KernelSpec:
    """Static structure of a kernel (hashable)."""

    model_key: tuple[Any, ...]
    stim_keys: tuple[tuple[Any, ...], ...]
    method: str
    record: tuple[str, ...]
    every: int
    n_blocks: int
    detector: SpikeDetector | None
    batched: bool
    spike_block: int = 1
    dynamic: bool = True
    masked: bool = False
    diagnose: bool = False


def _tree_where(c: Any, a: Any, b: Any) -> Any:
    return jax.tree_util.tree_map(lambda x, y: jnp.where(c, x, y), a, b)


def reset_step(model: AbstractNeuronModel, pm: Any, s: Any, s_int: Any, refr: Any,
               dt: Any) -> tuple[Any, Any, Any, Any]:
    """Refractoriness and resets of a reset model after one integration step from ``s`` to
    ``s_int``: ``(state before any reset, state after, new refractory counters, spiked)``.
    Shared by the single-cell and the network kernels."""
    in_ref = refr > 0
    s_int = _tree_where(in_ref, model.refractory_state(pm, s, s_int, jax_math), s_int)
    spiked = model.spike_condition(pm, s_int, jax_math) & ~in_ref
    s_new = _tree_where(spiked, model.reset(pm, s_int, jax_math), s_int)
    n_ref = jnp.round(model.refractory_period(pm) / dt).astype(refr.dtype)
    return s_int, s_new, jnp.where(spiked, n_ref, jnp.maximum(refr - 1, 0)), spiked


#: a step resolves the upswing when the membrane variable's rate changes by less than this
#: factor across it (explicit steps through an AdEx or Izhikevich upswing change it 100-fold;
#: at 1.5 an AdEx spike-time derivative came out 20 % low, at 1.01 within 1 % of finite
#: differences)
_RESOLVED_RATE_RATIO = 1.01


class EventCarry(NamedTuple):
    """What a traced run of a reset model carries beside the state (all zero in value): the
    record correction accumulated since the last sample, the spike-time derivative pending a
    refractory release, and the time shift of the trajectory at the last resolved step."""

    rec: Any
    pend: Any
    shift: Any
    x_resolved: Any


def event_gradients(model: AbstractNeuronModel, pm: Any, s: Any, s_int: Any, s_new: Any,
                    refr: Any, refr_new: Any, spiked: Any, ev: EventCarry, i_start: Any,
                    i_end: Any, dt: Any) -> tuple[Any, Any, EventCarry, Any]:
    """Spike times in the gradients of a reset model's trajectory (traced runs).

    In the simulation a reset happens at the end of the step in which the membrane variable
    reaches :meth:`~AbstractNeuronModel.spike_threshold`, and the reset value does not depend on
    when: differentiated as it is, the state after a spike forgets how the spike time moved with
    the parameters, and gradients see the subthreshold trajectory only. Three zero-valued terms,
    each ``(x - stop_gradient(x)) · (...)``, leave every simulated value as it is and correct
    the derivatives:

    * **the spike time**, ``dt*/dθ``: the time shift of the trajectory, ``-(dx/dθ) / f``
      (``f`` = dx/dt of the membrane variable), taken at the end of the last step that
      resolves the upswing (its rate changes by less than 1 % across the step) and carried
      on from there by ``d(shift)/dt = -(∂f/∂θ) / f``, plus ``(dθ_spike/dθ) / f`` at the
      crossing. Differentiating the interpolated crossing of the explicit step itself would
      measure the integrator's error at an explosive upswing (a step from -30 to +300 mV): it
      overstated an AdEx spike-time gradient 4-fold.
    * **the state after the reset**: the saltation matrix of a hybrid system (Hiskens & Pai
      2000), ``dx+/dθ = R_x dx-/dθ + (R_x f- - f+) dt*/dθ``, with ``R`` the reset map and
      ``f-``, ``f+`` the vector field before and after it (held while refractory; the release
      at ``t* + t_ref`` gets its own jump, ``(f_held - f_free) dt*/dθ``).
    * **the sampled trace**: it jumps at a spike (from the threshold to the reset value),
      which a sample at a fixed time does not see. The sample after the spike gets ``(x_pre -
      x_post) (dt*/dθ) / dt``, so that the sum of the samples times ``dt`` has the derivative
      of the integral of the trajectory (``(θ - V_r) dt*/dθ`` per spike).

    An upswing that the steps do not resolve belongs to the jump: the membrane variable keeps
    no derivative through it, and the jump (state and trace) runs from the last resolved value
    (shifting the whole spike by ``δ`` moves that much area, as finite differences over many
    steps see it).

    Returns ``(s_new with the jumps, the record correction of this step, the new
    EventCarry, frac)``: ``frac`` is where in the step the spike fell (0..1, interpolated),
    with derivative ``(dt*/dθ) / dt``; the spike detector reports it.

    Reference: Hiskens IA, Pai MA (2000). Trajectory sensitivity analysis of hybrid systems.
    IEEE Trans Circuits Syst I 47:204-220. doi:10.1109/81.828574
    """
    xp = jax_math
    sg = jax.lax.stop_gradient
    tmap = jax.tree_util.tree_map
    var = model.voltage_var
    x_old, x_new = getattr(s, var), getattr(s_int, var)
    theta = model.spike_threshold(pm)
    # dx/dt at the start of the step, differentiated in the parameters only (the state held),
    # and at its end (at the crossing step derivatives() may cap the state at the threshold)
    f_theta = getattr(model.derivatives(pm, tmap(sg, s), i_start, xp), var)
    rate_old = sg(f_theta)
    f_minus = model.derivatives(pm, s_int, i_end, xp)
    rate_new = getattr(f_minus, var)
    resolved = (rate_old > 0) & (rate_new > 0) & (rate_new < _RESOLVED_RATE_RATIO * rate_old)
    safe_new = sg(jnp.where(resolved, rate_new, 1.0))
    # through a step that does not resolve the upswing the shift follows d(shift)/dt =
    # -(df/dθ)/f (a time shift of a trajectory of dx/dt = f(x, θ)), which the step resolves
    # because both grow together
    rising = rate_old > 0
    drift = jnp.where(rising, -(f_theta - rate_old) / jnp.where(rising, rate_old, 1.0), 0.0)
    slope = sg(jnp.where(spiked, (x_new - x_old) / dt, 1.0))  # > 0 at a crossing
    value = jnp.clip((theta - x_old) / (slope * dt), 0.0, 1.0)
    shift = jnp.where(resolved, -(x_new - sg(x_new)) / safe_new, ev.shift + dt * drift)
    # at a spike: from the end of a resolved crossing step, else to the crossing within it
    d_tstar = jnp.where(resolved, shift, ev.shift + sg(value) * dt * drift) + \
        (theta - sg(theta)) / jnp.where(resolved, safe_new, slope)
    frac = sg(value) + d_tstar / dt
    # the vector field before the reset, at the last resolved value (see the upswing below)
    s_pre = s_int._replace(**{var: ev.x_resolved + 0.0 * x_new})
    f_pre = model.derivatives(pm, s_pre, i_end, xp)
    _, r_f_minus = jax.jvp(lambda y: model.reset(pm, y, xp), (s_pre,), (f_pre,))
    f_free = model.derivatives(pm, s_new, i_end, xp)
    held = model.refractory_state(pm, s_new, tmap(lambda a, b: a + dt * b, s_new, f_free), xp)
    f_held = tmap(lambda a, b: (a - b) / dt, held, s_new)
    refractory = jnp.round(model.refractory_period(pm) / dt) > 0
    f_plus = _tree_where(refractory, f_held, f_free)
    release = (refr > 0) & (refr_new == 0) & ~spiked
    s_out = tmap(lambda x, r, fp, fh, ff: x + jnp.where(spiked, (r - fp) * d_tstar, 0.0)
                 + jnp.where(release, (fh - ff) * ev.pend, 0.0),
                 s_new, r_f_minus, f_plus, f_held, f_free)
    # an upswing that the steps do not resolve is part of the jump: the explicit steps'
    # sensitivities there measure their own error (they grow with the overshoot), so the
    # membrane variable keeps no derivative through it, and the jump (state and trace) starts
    # from the last resolved value
    upswing = ~resolved & rising & ~spiked
    x_out = getattr(s_out, var)
    s_out = s_out._replace(**{var: jnp.where(upswing, sg(x_out), x_out)})
    rec = tmap(lambda a, b: jnp.where(spiked, (d_tstar / dt) * (a - b), 0.0), s_pre, s_new)
    x_res = jnp.where(resolved & ~spiked, sg(x_new), ev.x_resolved)
    pend = jnp.where(spiked, d_tstar, ev.pend)
    return s_out, rec, EventCarry(ev.rec, pend, shift, x_res), frac


def build_kernel(spec: KernelSpec, model: AbstractNeuronModel, stims: tuple[Any, ...], step_fn: Any):
    """Build the (un-jitted, per-cell) chunk function for ``spec``."""
    xp = jax_math
    every, n_blocks = spec.every, spec.n_blocks
    sb = spec.spike_block
    n_sub = every // sb
    det = spec.detector
    has_reset = model.has_reset
    # traced (differentiable) runs of a reset model carry event-time gradients (the carry gains
    # an EventCarry; see event_gradients)
    events = has_reset and not spec.dynamic and not spec.diagnose
    any_random = any(s.stateful for s in stims)
    clamps = any(s.clamps for s in stims)  # VoltageClamp: see clamp_state
    vvar = model.voltage_var

    def chunk(pm, ps, carry, key, step0, n_run, n_total, dt, t0):
        _TRACES[spec] += 1  # runs at trace time only
        if events:  # zero-valued corrections (EventCarry)
            zero = jnp.zeros_like(carry[0][0])
            carry = (*carry, EventCarry(jax.tree_util.tree_map(jnp.zeros_like, carry[0]), zero,
                                        zero, jax.lax.stop_gradient(getattr(
                                            carry[0], model.voltage_var))))
        fdt = carry[0][0].dtype  # state dtype; time is kept in float64 (float32 time would
        t64 = jnp.float64        # resolve only 0.06 ms after 10 min)
        dt_s = dt.astype(fdt)    # the step as the integrators see it

        def input_at(stim_states):
            def i_fn(t, left=False):
                total = jnp.zeros((), fdt)
                for st, p, ss in zip(stims, ps, stim_states):
                    total = total + jnp.asarray(st.value(p, t, ss, xp, left)).astype(fdt)
                return total

            return i_fn

        def clamp_state(s, t_end):
            x = getattr(s, vvar)
            for st, p in zip(stims, ps):
                if st.clamps:
                    on, vc = st.command(p, t_end, xp)
                    x = jnp.where(on, jnp.asarray(vc).astype(fdt), x)
            return s._replace(**{vvar: x})

        # ------------------------------------------------------------------ one time step
        def one_step(c, n):
            s, sst, refr = c[0], c[1], c[2]
            t = t0 + n.astype(t64) * dt
            i_fn = input_at(sst)

            def i_at(theta):
                # a stage at the end of the step takes the left limit: a stimulus edge on the
                # time grid belongs to the step after it, whatever stage times the method uses
                # t0 + (n + theta) dt: the end of the step lands exactly on the grid time (n dt
                # + dt can exceed (n + 1) dt by one ulp and switch an edge on a step early)
                return i_fn(t0 + (n.astype(t64) + theta) * dt, left=theta >= 1.0)

            s_int = step_fn(model, pm, s, i_at, dt_s, xp)
            if clamps:  # an ideal voltage clamp sets the potential at the end of the step
                s_int = clamp_state(s_int, t0 + (n.astype(t64) + 1.0) * dt)
            spiked = None
            if has_reset:
                s_int, s_new, refr_new, spiked = reset_step(model, pm, s, s_int, refr, dt_s)
                if events:
                    s_new, rec, ev_new, ev_frac = event_gradients(
                        model, pm, s, s_int, s_new, refr, refr_new, spiked, c[3], i_at(0.0),
                        i_at(1.0), dt_s)
            else:
                s_new, refr_new = s_int, refr
            # stimulus states advance with their own exact updates; random draws depend only on
            # (seed, batch index, global step, stimulus index): independent of the chunking
            new_sst = []
            for j, (st, p, ss) in enumerate(zip(stims, ps, sst)):
                if st.stateful:
                    # stimuli work in float64 (their params, state and draws)
                    d = _draw(st, p, key, n, j, dt) if any_random else None
                    ss = st.advance(p, ss, d, t, dt, xp)
                new_sst.append(ss)
            out = None
            active = (n < n_total) if spec.masked else None
            if det is not None:
                x_old = getattr(s, det.var)
                x_new = getattr(s_int, det.var)  # before any reset
                if det.kind == "reset":
                    hit, theta = spiked, model.spike_threshold(pm)
                else:
                    theta = det.threshold
                    hit = (x_old < theta) & (x_new >= theta)
                if det.interpolate and events and det.kind == "reset":
                    frac = ev_frac  # with the spike-time derivative
                elif det.interpolate:
                    denom = jnp.where(hit, x_new - x_old, 1.0)  # > 0 at a crossing
                    frac = jnp.clip((theta - x_old) / denom, 0.0, 1.0)
                else:
                    frac = jnp.ones_like(x_old)
                if active is not None:
                    hit = hit & active
                out = (hit, frac.astype(jnp.float32))
            c_new = (s_new, tuple(new_sst), refr_new)
            if active is not None:
                c_new = _tree_where(active, c_new, (s, sst, refr))
            if events:  # the record correction accumulates until the next sample
                ev = ev_new._replace(rec=jax.tree_util.tree_map(lambda a, r: a + r / every,
                                                                 c[3].rec, rec))
                c_new = (*c_new, ev if active is None else _tree_where(active, ev, c[3]))
            if spec.diagnose:  # bad[..., k]: first step at which variable k was not finite
                bad = c[3]
                for k_var, x in enumerate(s_new):
                    first = (bad[..., k_var] < 0) & ~jnp.isfinite(x)
                    bad = bad.at[..., k_var].set(jnp.where(first, n, bad[..., k_var]))
                c_new = (*c_new, bad)
            return c_new, out

        # ------------------------------------------------------------------ blocks
        def sample_of(c, step):
            s, sst = c[0], c[1]
            vals = []
            for name in spec.record:
                if name == "i_ext":
                    vals.append(input_at(sst)(t0 + step.astype(t64) * dt))
                elif events:
                    vals.append(getattr(s, name) + getattr(c[3].rec, name))
                else:
                    vals.append(getattr(s, name))
            return tuple(vals)

        def spike_block(c, base):
            """``sb`` steps; the in-block spike offset and whether a cell spiked twice."""
            if sb == 1:
                c, (hit, frac) = one_step(c, base)
                return c, jnp.where(hit, frac, jnp.float32(-1.0)), jnp.zeros((), bool)

            def inner(c2, n):
                cm, acc, cnt = c2
                cm, (hit, frac) = one_step(cm, n)
                acc = jnp.where(hit, (n - base).astype(jnp.float32) + frac, acc)
                return (cm, acc, cnt + hit.astype(jnp.int32)), None

            shape = jnp.shape(c[0][0])  # (cells,) or ()
            init = (c, jnp.full(shape, -1.0, jnp.float32), jnp.zeros(shape, jnp.int32))
            (c, acc, cnt), _ = jax.lax.scan(inner, init, base + jnp.arange(sb))
            return c, acc, jnp.any(cnt > 1)

        def block(c, j):
            """One block of ``every`` steps: sample, then advance."""
            base = step0 + j * every
            sample = sample_of(c, base)
            if events:
                c = (*c[:3], c[3]._replace(rec=jax.tree_util.tree_map(jnp.zeros_like, c[3].rec)))
            if det is None:
                if every == 1:
                    c, _ = one_step(c, base)
                else:
                    c, _ = jax.lax.scan(one_step, c, base + jnp.arange(every))
                return c, sample, None, None
            if n_sub == 1:
                c, spk, over = spike_block(c, base)
                return c, sample, spk[None], over  # (1, cells): one row per spike block

            def sub(c2, b):
                c2, spk, over = spike_block(c2, base + b * sb)
                return c2, (spk, over)

            c, (spk, over) = jax.lax.scan(sub, c, jnp.arange(n_sub))
            return c, sample, spk, jnp.any(over)

        if spec.dynamic:
            # preallocated, time-major outputs (one contiguous row per block), a traced number
            # of blocks
            dtype = carry[0][0].dtype
            cells = jnp.shape(carry[0][0])
            samples = tuple(jnp.zeros((n_blocks, *cells), dtype) for _ in spec.record)
            spikes = (jnp.full((n_blocks * n_sub, *cells), -1.0, jnp.float32)
                      if det is not None else None)
            over0 = jnp.zeros((), bool)

            def body(j, state):
                c, smp, spk, over = state
                c, sample, s_blk, o_blk = block(c, j)
                smp = tuple(buf.at[j].set(v) for buf, v in zip(smp, sample))
                if spk is not None:
                    zero = (0,) * len(cells)
                    spk = jax.lax.dynamic_update_slice(spk, s_blk, (j * n_sub, *zero))
                    over = over | o_blk
                return c, smp, spk, over

            carry, samples, spikes, overflow = jax.lax.fori_loop(
                0, n_run, body, (carry, samples, spikes, over0)
            )
        else:

            def scan_body(c, j):
                c, sample, s_blk, o_blk = block(c, j)
                return c, (sample, s_blk, o_blk)

            carry, (samples, spikes, over) = jax.lax.scan(scan_body, carry, jnp.arange(n_blocks))
            if spikes is not None:
                spikes = spikes.reshape((-1, *spikes.shape[2:]))
            overflow = jnp.zeros((), bool) if over is None else jnp.any(over)
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in carry[0]]))
        if events:
            carry = carry[:3]
        return carry, samples, spikes, finite, overflow

    return chunk


_TEMPLATES: dict[KernelSpec, tuple[Any, Any, Any]] = {}


def _draw(st: Any, p: Any, key: Any, n: Any, j: int, dt: Any) -> Any:
    """Stimulus ``j``'s random draw for step ``n``; per cell when ``key`` is a batch of keys."""

    def one(p1: Any, k1: Any) -> Any:
        d = st.draws(p1, jax.random.fold_in(jax.random.fold_in(k1, n), j), 1, dt)
        return None if d is None else d[0]

    if key.ndim == 1:  # a single key: unbatched run
        return one(p, key)
    return jax.vmap(one, in_axes=(st.batch_axes(), 0))(p, key)


@functools.lru_cache(maxsize=256)
def _cached(spec: KernelSpec) -> Any:
    # Batched runs use the same code on (cells,) arrays: the model maths is element-wise, and an
    # explicit time-major layout writes each block's outputs as one contiguous row (vmap put the
    # batch axis first and made every block write 1000 cache lines, then a transpose).
    model, stims, step_fn = _TEMPLATES[spec]
    return jax.jit(build_kernel(spec, model, stims, step_fn))


caches.register(_cached.cache_clear)


def get_kernel(
    spec: KernelSpec, model: AbstractNeuronModel, stims: tuple[Any, ...], step_fn: Any
) -> Any:
    """The jitted kernel for ``spec`` (built on first use; ``model`` and ``stims`` are templates
    whose options, not values, matter)."""
    if spec not in _TEMPLATES:
        _TEMPLATES[spec] = (model, stims, step_fn)
    return _cached(spec)
