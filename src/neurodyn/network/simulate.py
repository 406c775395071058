"""``simulate`` for networks: build, run in chunks, collect spikes and traces."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np

from .._version import __version__
from ..engine.result import Spikes, Status
from ..engine.simulate import _n_steps
from ..engine.simulate import _positive_time as _time
from ..errors import ParameterError, SimulationError
from .engine import BuiltNetwork, NetKernelSpec, _dev, build, consts_of
from .network import Network

__all__ = ["NetworkResult", "simulate_network"]

_CHUNK_STEPS = 2000
_UNROLL = 2
_PROGRESS_AFTER_S = 3.0


@dataclass
class NetworkResult:
    """Spikes per population, sampled traces of chosen neurons, and run statistics.

    ``spikes[pop]`` is a :class:`~neurodyn.engine.result.Spikes` (times in ms, neuron ids,
    SONATA-style flat arrays sorted by time); ``traces[pop][var]`` is ``(n_recorded, n_samples)``
    for the neurons in ``recorded[pop][var]``; ``t`` the sample times (ms).
    """

    t: np.ndarray
    spikes: dict[str, Spikes]
    traces: dict[str, dict[str, np.ndarray]]
    recorded: dict[str, dict[str, np.ndarray]]
    sizes: dict[str, int]
    t_stop: float
    dt: float
    status: Status = Status.SUCCESS
    message: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    #: final weights of STDP projections, by label, in the connector's synapse order
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    def rate(self, pop: str, t_start: float = 0.0, t_stop: float | None = None) -> float:
        """Mean firing rate of population ``pop`` in Hz over ``[t_start, t_stop)`` (ms)."""
        t1 = self.t_stop if t_stop is None else t_stop
        times = self.spikes[pop].times
        n = np.count_nonzero((times >= t_start) & (times < t1))
        return n / (self.sizes[pop] * (t1 - t_start) * 1e-3)

    def population_rate(self, pop: str, bin_ms: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``(bin centres in ms, rate in Hz)`` of population ``pop``."""
        edges = np.arange(0.0, self.t_stop + bin_ms * 0.5, bin_ms)
        h, _ = np.histogram(self.spikes[pop].times, edges)
        return 0.5 * (edges[1:] + edges[:-1]), h / (self.sizes[pop] * bin_ms * 1e-3)

    def isi_cv(self, pop: str, min_spikes: int = 3) -> np.ndarray:
        """Coefficient of variation of the interspike intervals of each neuron of ``pop`` with at
        least ``min_spikes`` spikes."""
        sp = self.spikes[pop]
        order = np.lexsort((sp.times, sp.ids))
        ids, times = sp.ids[order], sp.times[order]
        cvs = []
        bounds = np.searchsorted(ids, np.arange(self.sizes[pop] + 1))
        for i in range(self.sizes[pop]):
            t = times[bounds[i]:bounds[i + 1]]
            if t.size >= min_spikes:
                isi = np.diff(t)
                cvs.append(isi.std() / isi.mean())
        return np.asarray(cvs)

    def trace(self, pop: str, var: str = "v") -> np.ndarray:
        return self.traces[pop][var]

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCESS

    def __repr__(self) -> str:
        rates = ", ".join(f"{p}: {self.rate(p):.2f} Hz" for p in self.spikes)
        return f"NetworkResult({self.t_stop:g} ms, dt {self.dt:g} ms; {rates})"


def decode_words(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(step, neuron)`` of every set bit of a ``(steps, n_words)`` uint64 spike record, in
    step order and ascending neuron within a step (bit ``j`` of word ``k`` is neuron
    ``64 k + j``). Only non-zero words are expanded, so the cost follows the number of spikes,
    not of neurons x steps; a word with one bit set (most of them) is decoded by its binary
    exponent, only words with several bits are unpacked (5x faster than unpacking every
    non-zero word: 0.10 -> 0.02 s for 2000 steps of 128,000 neurons with 500,000 spikes)."""
    n_words = words.shape[1]
    flat = np.flatnonzero(words)
    if flat.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    v = words.reshape(-1)[flat]
    st, wk = np.divmod(flat, n_words)
    cnt = np.bitwise_count(v).astype(np.int64)
    one = cnt == 1
    # a power of two converts to float64 exactly: its exponent is the bit's position
    j_one = np.frexp(v[one].astype(np.float64))[1].astype(np.int64) - 1
    if one.all():
        return st, wk * 64 + j_one
    start = np.cumsum(cnt) - cnt  # first output slot of each word
    ids = np.empty(int(cnt.sum()), np.int64)
    ids[start[one]] = wk[one] * 64 + j_one
    multi = np.flatnonzero(~one)
    bits = np.unpackbits(v[multi].view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    r, b = np.nonzero(bits)  # by word, then ascending bit
    c_m = cnt[multi]
    rank = np.arange(r.size) - (np.cumsum(c_m) - c_m)[r]
    ids[start[multi][r] + rank] = wk[multi][r] * 64 + b
    return np.repeat(st, cnt), ids


def _record_spec(bn: BuiltNetwork, record: Mapping[str, Any] | None) -> tuple[Any, ...]:
    out = []
    for pop_name, want in (record or {}).items():
        if pop_name == "weights":  # {"weights": {label: [synapse indices]}}: STDP weights
            stdp = {tb.label: (key, tb) for key, tb in bn.tables.items()
                    if type(tb.plasticity).__name__ == "STDP"}
            if not isinstance(want, Mapping):
                raise ParameterError("simulate(network).record['weights'] must map a projection "
                                     "label to synapse indices, e.g. {'exc': [0, 1, 2]}.")
            for label, ids in want.items():
                if label not in stdp:
                    raise ParameterError(
                        f"simulate(network).record['weights']: no STDP projection labelled "
                        f"{label!r} (have {', '.join(stdp) or 'none'})."
                    )
                key, tb = stdp[label]
                idx = np.atleast_1d(np.asarray(ids, dtype=np.int64))
                if idx.size and (idx.min() < 0 or idx.max() >= tb.syn_positions.size):
                    raise ParameterError(
                        f"simulate(network).record['weights'][{label!r}]: synapse indices must "
                        f"lie in [0, {tb.syn_positions.size - 1}]."
                    )
                out.append((-1, f"w:{key}", tuple(int(x) for x in tb.syn_positions[idx])))
                out.append(("label", label, tuple(int(x) for x in idx)))
            continue
        ks = [k for k, p in enumerate(bn.neurons) if p.name == pop_name]
        if not ks:
            raise ParameterError(
                f"simulate(network).record: {pop_name!r} is not a population of neurons "
                f"({', '.join(p.name for p in bn.neurons)})."
            )
        k = ks[0]
        pop = bn.neurons[k]
        if isinstance(want, Mapping):
            items = want.items()
        else:  # {"pop": ["v", ...]} records neuron 0
            items = ((v, [0]) for v in ([want] if isinstance(want, str) else want))
        allowed = list(pop.model.state_vars) + [f"{q}_{r.name}" for r in pop.receptors
                                                for q in ("g", "i")]
        for var, ids in items:
            if var not in allowed:
                raise ParameterError(
                    f"simulate(network).record[{pop_name!r}]: {var!r} is not recordable; choose "
                    f"from {', '.join(allowed)} (g_<receptor>: the synaptic conductance, nS, or a "
                    "current synapse's current, pA (model units for models with a dimensionless "
                    "input); i_<receptor>: the current into the cell, likewise)."
                )
            ids_t = tuple(int(i) for i in np.atleast_1d(ids))
            if any(i < 0 or i >= pop.n for i in ids_t):
                raise ParameterError(
                    f"simulate(network).record[{pop_name!r}][{var!r}]: neuron ids must lie in "
                    f"[0, {pop.n - 1}]."
                )
            out.append((k, var, ids_t))
    return tuple(out)


def simulate_network(
    net: Network,
    t_stop: float | str,
    dt: float | str = 0.1,
    *,
    record: Mapping[str, Any] | None = None,
    record_dt: float | str | None = None,
    method: str | None = None,
    seed: int = 0,
    dtype: str = "float64",
    progress: bool | None = None,
    throw: bool = True,
    chunk_steps: int | None = None,
    built: BuiltNetwork | None = None,
    batch: Mapping[str, Any] | None = None,
) -> Any:
    """Simulate a :class:`~neurodyn.network.Network` (see :func:`neurodyn.simulate`).

    ``record`` maps a population name to the variables to sample: ``{"exc": {"v": [0, 1, 2],
    "g_exc": [0]}}`` (neuron ids per variable) or ``{"exc": ["v"]}`` (neuron 0). Spikes of every
    population and source are always recorded. ``built`` reuses the arrays of an earlier
    :func:`~neurodyn.network.engine.build` (same ``dt``, seed and dtype).

    ``batch`` runs the same network (same connections) with K parameter sets in one compiled
    call (see :mod:`neurodyn.network.batch`): ``{"<population>.<parameter>": K values}``
    (model units) and ``{"<projection label>.weight_scale": K factors}``. It returns a list of
    K results, each with its values in ``provenance["batch"]``.
    """
    wall0 = time.perf_counter()
    if not isinstance(net, Network):
        raise ParameterError(f"simulate_network: expected a Network; got {net!r}.")
    if batch:
        if built is not None:
            raise ParameterError("simulate_network: `built` and `batch` cannot be combined.")
        from .batch import simulate_batch

        return simulate_batch(net, batch, t_stop, dt, record=record, record_dt=record_dt,
                              method=method, seed=seed, dtype=dtype, progress=progress,
                              throw=throw, chunk_steps=chunk_steps)
    t_stop_f, dt_f = _time(t_stop, "t_stop"), _time(dt, "dt")
    if dt_f > t_stop_f:
        raise ParameterError(f"simulate.dt ({dt_f:g} ms) must be <= t_stop ({t_stop_f:g} ms).")
    n_steps = _n_steps(t_stop_f, dt_f, "t_stop")
    if dtype not in ("float64", "float32"):
        raise ParameterError(f"simulate.dtype must be 'float64' or 'float32'; got {dtype!r}.")
    fdtype = jnp.float64 if dtype == "float64" else jnp.float32
    every = 1
    if record_dt is not None:
        r = _time(record_dt, "record_dt")
        every = _n_steps(r, dt_f, "record_dt")
        if n_steps % every:
            raise ParameterError(
                f"simulate(network).record_dt ({r:g} ms) must divide t_stop ({t_stop_f:g} ms): "
                "the run is organised in whole sampling intervals. Fix: choose a record_dt that "
                f"divides {t_stop_f:g} ms."
            )
    if built is not None:
        if built.net is not net or abs(built.dt - dt_f) > 1e-12 * dt_f or (
                np.dtype(built.dtype) != np.dtype(fdtype)) or (
                method is not None and built.method != method) or built.seed != int(seed):
            raise ParameterError(
                "simulate_network: `built` was made for another network, dt, dtype, method or "
                f"seed (built: dt {built.dt:g} ms, {np.dtype(built.dtype)}, method {built.method}, "
                f"seed {built.seed}; asked: dt {dt_f:g} ms, {dtype}, method {method}, seed "
                f"{seed}). Fix: "
                "build(net, dt, seed=..., dtype=..., method=...) with the same settings."
            )
        bn = built
    else:
        bn = build(net, dt_f, seed=seed, dtype=fdtype, method=method)
    rec_all = _record_spec(bn, record)
    rec_spec = tuple(e for e in rec_all if e[0] != "label")
    weight_labels = [e for e in rec_all if e[0] == "label"]
    chunk = chunk_steps or _CHUNK_STEPS
    n_blocks = max(1, min(chunk, n_steps) // every)
    steps_per_chunk = n_blocks * every
    n_blocks_total = -(-n_steps // every)
    n_chunks = -(-n_blocks_total // n_blocks)
    sizes = [bn.neurons[i].n if kind == "neuron" else bn.sources[i].n for kind, i in bn.order]
    names = [bn.neurons[i].name if kind == "neuron" else bn.sources[i].name for kind, i in bn.order]
    consts = consts_of(bn)
    # jax.random.PRNGKey(seed) as data (threefry: [seed >> 32, seed & 0xffffffff]) without
    # compiling the seeding program
    key = _dev(np.array([int(seed) >> 32, int(seed) & 0xFFFFFFFF], np.uint32), np.uint32)

    states = tuple((p.init, _dev(np.zeros(p.n), np.int32), tuple(p.syn_init)) for p in bn.neurons)
    buf = bn.initial_buffer()
    arrivals = _dev(np.zeros(bn.n_slots), fdtype)
    plast = bn.initial_plasticity()
    n_batch, labels = 0, []
    kern = bn.kernel(NetKernelSpec(every, n_blocks, rec_spec, tuple(sizes), bucketed=True,
                                  unroll=_UNROLL))
    B = 1
    spk_t = [[[] for _ in names] for _ in range(B)]
    spk_i = [[[] for _ in names] for _ in range(B)]
    samples_all = [[[] for _ in rec_spec] for _ in range(B)]
    status, message = Status.SUCCESS, ""
    bar = None
    compile_s = 0.0
    t_loop0 = time.perf_counter()

    def n_run_of(c: int) -> int:  # blocks in chunk c (the last may be short)
        return min(n_blocks, n_blocks_total - c * n_blocks)

    def launch(c: int, carry: Any) -> Any:
        return kern(carry, consts, key, np.int32(c * steps_per_chunk), np.int32(n_run_of(c)))

    # chunk c + 1 is dispatched before chunk c's spikes are decoded on the host: the device
    # (or XLA's CPU thread) runs it meanwhile. If chunk c turns out non-finite, c + 1 is dropped.
    pending = launch(0, (states, buf, arrivals, plast))
    for c in range(n_chunks):
        t_c0 = t_loop0 if c == 0 else time.perf_counter()  # chunk 0: with its compilation
        step0 = c * steps_per_chunk
        n_run = n_run_of(c)
        (new_states, new_buf, new_arr, new_plast), samples, rec, finite = pending
        if c + 1 < n_chunks:
            pending = launch(c + 1, (new_states, new_buf, new_arr, new_plast))
        if not bool(np.all(np.asarray(finite))):
            t_bad = (step0 + n_run * every) * dt_f
            err = SimulationError(
                f"simulate(network): NaN/Inf in the state by t = {t_bad:g} ms (dt = {dt_f:g} ms). "
                "Fix: reduce dt, check weights (a runaway network) and the model parameters.",
                time=t_bad, variable=None, index=None,
            )
            if throw:
                raise err
            status, message = Status.NONFINITE, str(err)
            break
        states, buf, arrivals, plast = new_states, new_buf, new_arr, new_plast
        n_done = n_run * every
        for pi in range(len(names)):
            words_all = np.asarray(rec[pi])
            for b in range(B):
                words = words_all[b] if n_batch else words_all
                steps, ids = decode_words(words[:n_done])
                keep = step0 + steps < n_steps
                spk_t[b][pi].append((step0 + steps[keep] + 1) * dt_f)
                spk_i[b][pi].append(ids[keep])
        for j, x in enumerate(samples):
            x = np.asarray(x)
            for b in range(B):
                samples_all[b][j].append((x[b] if n_batch else x)[:n_run])
        elapsed = time.perf_counter() - t_c0
        if c == 0:
            compile_s = elapsed
        if bar is None and progress is not False and n_chunks > 1 and (
                progress or (elapsed * n_chunks > _PROGRESS_AFTER_S and sys.stderr.isatty())):
            from tqdm.auto import tqdm

            bar = tqdm(total=n_steps, unit="step", unit_scale=True, desc="simulate network",
                       initial=min(n_steps, step0 + n_done), leave=False)
        elif bar is not None:
            bar.update(min(n_steps, step0 + n_done) - bar.n)
    if bar is not None:
        bar.close()
    run_s = time.perf_counter() - t_loop0
    final_weights = {}
    for tkey, tb in bn.tables.items():
        if type(tb.plasticity).__name__ == "STDP":
            final_weights[tb.label] = np.asarray(plast[tkey][0]).reshape(-1)[tb.syn_positions]
    results = []
    for b in range(B):
        results.append(_assemble(
            b, names, sizes, spk_t[b], spk_i[b], samples_all[b], rec_spec, bn, every, dt_f,
            t_stop_f, n_steps, n_chunks, steps_per_chunk, compile_s, run_s, wall0, seed, dtype,
            net, status, message, labels[b] if n_batch else None, weight_labels))
    results[0].weights = final_weights
    return results if n_batch else results[0]


def _assemble(b, names, sizes, spk_t, spk_i, samples_all, rec_spec, bn, every, dt_f, t_stop_f,
              n_steps, n_chunks, steps_per_chunk, compile_s, run_s, wall0, seed, dtype, net,
              status, message, label, weight_labels=()) -> NetworkResult:
    """One parameter set's result from the chunk outputs collected on the host."""
    spikes = {}
    for pi, name in enumerate(names):
        times = np.concatenate(spk_t[pi]) if spk_t[pi] else np.zeros(0)
        ids = np.concatenate(spk_i[pi]).astype(np.int64) if spk_i[pi] else np.zeros(0, np.int64)
        # decoded in (time, neuron) order already; sorted only if that ever fails
        dt_ = np.diff(times)
        if not np.all((dt_ > 0) | ((dt_ == 0) & (np.diff(ids) > 0))):
            o = np.lexsort((ids, times))
            times, ids = times[o], ids[o]
        spikes[name] = Spikes(times, ids, (sizes[pi],))
    traces: dict[str, dict[str, np.ndarray]] = {}
    recorded: dict[str, dict[str, np.ndarray]] = {}
    w_labels = iter(weight_labels)
    for j, (k, var, ids) in enumerate(rec_spec):
        if k < 0:  # plastic weights: traces["weights"][label], recorded = synapse indices
            _, label, idx = next(w_labels)
            x = np.concatenate(samples_all[j], axis=0).T if samples_all[j] else \
                np.zeros((len(ids), 0))
            traces.setdefault("weights", {})[label] = x
            recorded.setdefault("weights", {})[label] = np.asarray(idx)
            continue
        pname = bn.neurons[k].name
        x = np.concatenate(samples_all[j], axis=0).T if samples_all[j] else np.zeros((len(ids), 0))
        traces.setdefault(pname, {})[var] = x
        recorded.setdefault(pname, {})[var] = np.asarray(ids)
    n_samp = max((x.shape[-1] for d in traces.values() for x in d.values()), default=0)
    stats = {"build_s": bn.build_s, "first_chunk_s": compile_s, "run_s": run_s,
             "wall_s": time.perf_counter() - wall0, "n_steps": n_steps, "n_chunks": n_chunks,
             "chunk_steps": steps_per_chunk, "n_synapses": bn.n_synapses,
             "ring_rows": bn.rows}
    if label is not None:
        stats = {**stats, "batch_index": b}
    prov = {"neurodyn": __version__, "dt": dt_f, "t_stop": t_stop_f, "seed": int(seed),
            "dtype": dtype, "method": {p.name: p.method for p in bn.neurons},
            "network": repr(net)}
    if label is not None:
        prov["batch"] = label
    return NetworkResult(
        t=np.arange(n_samp) * every * dt_f, spikes=spikes, traces=traces, recorded=recorded,
        sizes=dict(zip(names, sizes)), t_stop=t_stop_f, dt=dt_f, status=status, message=message,
        provenance=prov, stats=stats)
