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
from typing import Any

import jax
import jax.numpy as jnp

from ..math import jax_math
from ..models._base import AbstractNeuronModel, SpikeDetector

__all__ = ["KernelSpec", "get_kernel", "reset_step", "trace_counts"]

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


def build_kernel(spec: KernelSpec, model: AbstractNeuronModel, stims: tuple[Any, ...], step_fn: Any):
    """Build the (un-jitted, per-cell) chunk function for ``spec``."""
    xp = jax_math
    every, n_blocks = spec.every, spec.n_blocks
    sb = spec.spike_block
    n_sub = every // sb
    det = spec.detector
    has_reset = model.has_reset
    any_random = any(s.stateful for s in stims)

    def chunk(pm, ps, carry, key, step0, n_run, n_total, dt, t0):
        _TRACES[spec] += 1  # runs at trace time only
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
            spiked = None
            if has_reset:
                s_int, s_new, refr_new, spiked = reset_step(model, pm, s, s_int, refr, dt_s)
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
                if det.interpolate:
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


def get_kernel(
    spec: KernelSpec, model: AbstractNeuronModel, stims: tuple[Any, ...], step_fn: Any
) -> Any:
    """The jitted kernel for ``spec`` (built on first use; ``model`` and ``stims`` are templates
    whose options, not values, matter)."""
    if spec not in _TEMPLATES:
        _TEMPLATES[spec] = (model, stims, step_fn)
    return _cached(spec)
