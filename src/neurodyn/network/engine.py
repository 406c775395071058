"""Building a network into arrays and running it: the compiled step loop.

**Time grid.** Step ``n`` advances every neuron from ``t_n = n dt`` to ``t_{n+1}``. A neuron that
spikes during step ``n`` has spike time ``t_{n+1}`` (reset models: the step at whose end the
threshold is reached, as in Brian2 and NEST; crossing detectors: the end of the crossing step).
A synapse with delay ``d`` (``round(d/dt)`` steps, at least 1) delivers that spike at grid time
``t_{n+1} + d``: its weight is added to the synaptic state at the start of the step that begins
then, before the neurons are advanced. So a delay is exact on the grid, and the shortest one is
``dt`` (Brian2's zero-delay synapses act after one step too).

**One step**, for each population of neurons: add this step's arrivals to the synaptic states;
form the synaptic input as an affine function of the membrane potential, ``a + b v``, held over
the step (``g (e_rev - v)`` for conductance synapses), so that exponential and backward Euler
treat the synaptic conductance implicitly; advance the neurons with the chosen integrator;
apply resets and refractoriness; detect spikes; let the synaptic states decay exactly over ``dt``.
Gap junctions add ``g (v_partner - v)`` the same way. Then deliver the spikes of every population
and spike source (:mod:`.delivery`; kinetic receptors and plasticity rules in :mod:`.rules`),
update plastic weights, and append the step's spikes to the chunk's record as packed 64-bit
words (one bit per neuron: exact, no capacity to overflow).

**Chunks.** As for single cells (:mod:`neurodyn.engine.kernel`), the loop runs in chunks:
recordings stream to the host after each chunk, the state is checked for NaN/Inf, and a
progress bar advances. Two steps run per loop iteration. The compiled chunk is cached per network
structure in the process and, serialised, on disk for later processes (:class:`_StoredKernel`).
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..engine import caches, integrators
from ..engine.kernel import reset_step
from ..errors import ParameterError
from ..math import jax_math, numpy_math
from ..models._base import AbstractNeuronModel
from ..stimuli import as_stimuli
from . import delivery
from .network import Network
from .population import PoissonSource, Population, SpikeSource, resolve
from .rules import add_arrivals, channels, deliver_kinetic, stdp_step, tm_step

__all__ = ["BuiltNetwork", "build"]

xp = jax_math


# ---------------------------------------------------------------------- synaptic drive
class DriveParams(NamedTuple):
    base: Any  # the model's own parameters
    a: Any  # synaptic input at v = 0 (model input unit)
    b: Any  # d(input)/dv (model input unit per mV); None: no conductance input
    gain: Any  # d(dv/dt)/d(input)


class Driven:
    """A point model driven by an extra input ``a + b v`` (model input units) held over a step.

    The integrators see an ordinary model. ``linearized`` moves the ``b v`` term into the
    membrane's linear coefficient, so exponential Euler integrates a conductance input exactly
    (for fixed conductances) and backward Euler implicitly.
    """

    def __init__(self, base: AbstractNeuronModel) -> None:
        self.base = base
        self.State = base.State
        self.state_vars = base.state_vars
        self.gate_vars = base.gate_vars
        self.voltage_var = base.voltage_var
        self.has_reset = base.has_reset
        self.methods = {k: _driven_method(f) for k, f in getattr(base, "methods", {}).items()}

    def _v(self, s: Any) -> Any:
        return getattr(s, self.voltage_var)

    def derivatives(self, p: DriveParams, s: Any, i_ext: Any, xp: Any) -> Any:
        if p.b is None:
            return self.base.derivatives(p.base, s, i_ext + p.a, xp)
        return self.base.derivatives(p.base, s, i_ext + p.a + p.b * self._v(s), xp)

    def linearized(self, p: DriveParams, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        if p.b is None:  # current input only: the model's own linearisation (loop-invariant B)
            return self.base.linearized(p.base, s, i_ext + p.a, xp)
        v = self._v(s)
        a, b = self.base.linearized(p.base, s, i_ext + p.a + p.b * v, xp)
        vn = self.voltage_var
        extra = p.gain * p.b
        return (a._replace(**{vn: getattr(a, vn) - extra * v}),
                b._replace(**{vn: getattr(b, vn) + extra}))

    def gating(self, p: DriveParams, v: Any, xp: Any) -> Any:
        return self.base.gating(p.base, v, xp)


def _driven_method(f: Any) -> Any:
    """A model's own scheme (e.g. Izhikevich's published one) with the drive added to its input."""

    def step(model: Driven, p: DriveParams, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
        v = getattr(s, model.voltage_var)
        extra = p.a if p.b is None else p.a + p.b * v
        return f(model.base, p.base, s, lambda th: i_at(th) + extra, dt, xp)

    return step


def input_gain(model: AbstractNeuronModel, p: Any, xp: Any = jax_math) -> Any:
    """``d(dv/dt)/d(input)`` of ``model`` (constant in v for every model here)."""
    s0 = model.init_state(p, xp)
    d1 = model.derivatives(p, s0, 1.0, xp)
    d0 = model.derivatives(p, s0, 0.0, xp)
    return getattr(d1, model.voltage_var) - getattr(d0, model.voltage_var)


def pa_factor(model: AbstractNeuronModel, what: str) -> Any:
    """Multiply a current in pA by this to get the model's input unit (``None``: dimensionless)."""
    unit = model.input_unit
    if unit == "pA":
        return 1.0
    if unit == "nA":
        return 1e-3
    if unit == "uA/cm2":
        area = getattr(model, "area", None)
        if area is None:
            raise ParameterError(
                f"{what}: {type(model).__name__} takes a current density (uA/cm2) but has no "
                "area parameter to convert synaptic currents (pA). Fix: give the model an area."
            )
        return 100.0 / np.asarray(area, dtype=float)  # 1 pA / 1 um2 = 100 uA/cm2
    if unit == "1":
        return None
    raise ParameterError(f"{what}: cannot drive a model whose input unit is {unit!r} with synapses.")


# ---------------------------------------------------------------------- the built network
@dataclass
class _Receptor:
    name: str
    synapse: Any
    params: Any
    offset: int  # first slot of this receptor's n neurons in the arrival vector


@dataclass
class _NeuronPop:
    name: str
    n: int
    model: AbstractNeuronModel
    driven: Driven
    step_fn: Any
    method: str
    params: Any  # model Params of (n,) arrays
    init: Any  # State of (n,) arrays
    receptors: list[_Receptor]
    stims: tuple[Any, ...]
    stim_params: list[Any]
    factor: Any  # pA -> input unit (n,) or None
    gain: Any  # (n,)
    threshold: float | None  # crossing detector threshold (non-reset models)
    syn_init: list[tuple[Any, ...]] = field(default_factory=list)  # per receptor, per state var

    gap_input: bool = False  # gap junctions couple this population

    @property
    def conductance_input(self) -> bool:
        return self.gap_input or any(r.synapse.conductance_based for r in self.receptors)


@dataclass
class _Source:
    name: str
    n: int
    kind: str  # "poisson" | "times"
    rate: Any = None  # (n,) Hz
    start: float = 0.0
    stop: float = math.inf
    # spike times: events sorted by step; step_ptr[n] .. step_ptr[n+1]
    ev_ids: Any = None
    ev_ptr: Any = None
    max_per_step: int = 0


class _KinParams(NamedTuple):
    alpha: Any
    beta: Any
    t_max: Any
    c_dur_steps: Any  # the pulse duration on the grid (ms)


@dataclass
class _OutTable:
    targets: Any  # (n+1, M) int32, flat slot in the arrival vector (dump region for padding)
    weights: Any  # (n+1, M)
    delays: Any  # (n+1, M) int32 steps, or None if all equal
    delay: int  # the common delay when delays is None
    pre: str = ""  # presynaptic population
    plasticity: Any = None  # a plasticity rule (TsodyksMarkram or STDP)
    plasticity_params: Any = None
    # STDP only: the postsynaptic population, the slot of its neuron 0 in the arrival vector,
    # the flat positions (row * M + col) of each postsynaptic neuron's incoming synapses
    # (padded with positions in the dump row n + 1), and each synapse's position in the
    # projection's own order (for the final weights)
    kinetic: bool = False  # kinetic receptor: two events (pulse start, end) per spike
    c_steps: int = 0
    n_post_block: int = 0
    kin_params: Any = None
    post: str = ""
    post_offset: int = 0
    in_positions: Any = None
    syn_positions: Any = None
    label: str = ""


@dataclass
class BuiltNetwork:
    """A network turned into arrays for a given ``dt``, seed and dtype."""

    net: Network
    dt: float
    dtype: Any
    neurons: list[_NeuronPop]
    sources: list[_Source]
    order: list[tuple[str, int]]  # ("neuron"|"source", index) in network order
    tables: dict[str, _OutTable]
    n_slots: int  # arrival slots (all receptors of all populations)
    width: int  # ring-buffer row width: n_slots + dump region
    rows: int  # ring-buffer rows: max delay + 1
    n_synapses: int
    build_s: float
    proj_sizes: list[int] = field(default_factory=list)

    method: str | None = None
    gaps: list[Any] = field(default_factory=list)  # (pop a, pop b, i, j, g (nS), n pairs)
    seed: int = 0

    @property
    def uniform_delays(self) -> bool:
        return all(t.delays is None for t in self.tables.values())

    def initial_plasticity(self) -> dict[str, Any]:
        """Initial short-term plasticity state per plastic table: u = 0 (U at the first spike),
        x = 1 (all resources available)."""
        out = {}
        sizes = {p.name: p.size for p in self.net.populations}
        for key, tb in self.tables.items():
            if tb.kinetic:
                n = tb.targets.shape[0]
                out[key] = (_dev(np.zeros(n), self.dtype), _dev(np.full(n, -1e30), self.dtype))
                continue
            if tb.plasticity is None:
                continue
            if type(tb.plasticity).__name__ == "STDP":
                n_pre, n_post = sizes[tb.pre], sizes[tb.post]
                z = np.zeros
                # weights (the table's, now state), x_pre, x_post, r2 (pre), o2 (post)
                out[key] = (tb.weights, _dev(z(n_pre + 2), self.dtype),
                            _dev(z(n_post + 1), self.dtype), _dev(z(n_pre + 2), self.dtype),
                            _dev(z(n_post + 1), self.dtype))
            else:
                n = tb.targets.shape[0] - 1
                out[key] = (_dev(np.zeros(n), self.dtype), _dev(np.ones(n), self.dtype))
        return out

    def initial_buffer(self) -> Any:
        """The empty buffer of pending arrivals (see :func:`make_chunk`)."""
        if self.uniform_delays:
            return tuple(_dev(np.zeros(self.width), self.dtype) for _ in range(self.rows))
        return _dev(np.zeros(self.rows * self.width), self.dtype)

    def structure_key(self) -> tuple[Any, ...]:
        """Everything the compiled loop depends on besides the arrays it is passed: networks
        that differ only in parameter values, weights, delays (at equal ring size) and initial
        states share one compiled kernel."""
        neurons = tuple(
            (p.name, p.n, p.model.static_key(), p.method,
             tuple((r.name, r.offset, r.synapse.static_key()) for r in p.receptors),
             tuple(st.static_key() for st in p.stims), p.factor is None, p.threshold)
            for p in self.neurons)
        sources = tuple((s.name, s.kind, s.n, s.start, s.stop, s.max_per_step,
                         None if s.ev_ptr is None else int(s.ev_ptr.shape[0]),
                         None if s.ev_ids is None else int(s.ev_ids.shape[0]))
                        for s in self.sources)
        tables = tuple(sorted((k, tuple(t.targets.shape), t.delays is None,
                               t.delay if t.delays is None else None, t.pre,
                               None if t.plasticity is None else _rule_key(t),
                               (t.kinetic, t.c_steps, t.n_post_block))
                              for k, t in self.tables.items()))
        gaps = tuple((ka, kb, n) for ka, kb, _, _, _, n in self.gaps)
        return (self.dt, str(np.dtype(self.dtype)), self.rows, self.width, self.n_slots,
                tuple(self.order), neurons, sources, tables, gaps)

    def kernel(self, spec: NetKernelSpec) -> Any:
        """The compiled chunk function for ``spec`` (cached across networks of equal
        structure)."""
        key = (self.structure_key(), spec)
        if key not in _KERNELS:
            _KERNELS[key] = _StoredKernel(make_chunk(self, spec), key, len(spec.record),
                                          len(spec.sizes))
        return _KERNELS[key]


class _StoredKernel:
    """The chunk function, compiled once per network structure and kept on disk between
    processes as a serialised XLA executable: a later process with the same structure loads it
    (~10 ms) instead of tracing the step, lowering it and asking XLA's cache (~0.5 s for the
    Brette networks). Inputs and outputs are passed as flat lists (the pytree definitions are
    rebuilt from the arguments). The file name hashes the structure, the argument shapes, the
    JAX/neurodyn versions and the CPU. Without a cache directory, or if anything fails, it is
    the plain jitted function."""

    def __init__(self, fn: Any, key: Any, n_samples: int, n_pops: int) -> None:
        self.fn, self.key, self.n_samples, self.n_pops = fn, key, n_samples, n_pops
        self.calls: dict[Any, Any] = {}
        self.paths: dict[Any, str] = {}
        self.checked: set[Any] = set()

    def __call__(self, carry: Any, consts: Any, rng: Any, step0: Any, n_run: Any) -> Any:
        args = (carry, consts, rng, step0, n_run)
        leaves, in_tree = jax.tree_util.tree_flatten(args)
        avals = tuple((tuple(np.shape(x)), str(x.dtype) if hasattr(x, "dtype")
                       else str(np.asarray(x).dtype)) for x in leaves)
        sig = (str(in_tree), avals)
        call = self.calls.get(sig)
        if call is None:
            call = self.calls[sig] = self._load_or_compile(in_tree, avals, leaves, sig)
        if call is self.fn:
            return self.fn(*args)
        out_tree = jax.tree_util.tree_structure(
            (carry, tuple(range(self.n_samples)), tuple(range(self.n_pops)), 0))
        if sig in self.checked:  # ran here before: dispatch asynchronously
            return jax.tree_util.tree_unflatten(out_tree, call(*leaves))
        try:  # the first run waits, so that an executable that does not run here shows now
            out = jax.block_until_ready(call(*leaves))
        except Exception:  # a stored executable that does not run here: drop it, compile anew
            self._forget(sig)
            return self.fn(*args)
        self.checked.add(sig)
        return jax.tree_util.tree_unflatten(out_tree, out)

    def _forget(self, sig: Any) -> None:
        path = self.paths.pop(sig, None)
        if path is not None:
            try:
                os.remove(path)
            except OSError:
                pass
        self.calls[sig] = self.fn

    def _load_or_compile(self, in_tree: Any, avals: tuple, leaves: list, sig: Any) -> Any:
        import pickle

        from .. import __version__
        from ..engine import CACHE_DIR

        if CACHE_DIR is None:
            return self.fn
        try:
            from jax.experimental import serialize_executable as se

            digest = hashlib.sha256(repr((self.key, str(in_tree), avals, jax.__version__,
                                          __version__, _machine(), _code())).encode()
                                    ).hexdigest()[:32]
            path = os.path.join(CACHE_DIR, "neurodyn-kernels", f"{digest}.pkl")
            self.paths[sig] = path
            if os.path.exists(path):
                with open(path, "rb") as f:
                    payload, itree, otree = pickle.load(f)
                return se.deserialize_and_load(payload, itree, otree)
            fn = self.fn

            def flat(*xs: Any) -> Any:
                return jax.tree_util.tree_leaves(fn(*jax.tree_util.tree_unflatten(in_tree, xs)))

            # lowered with the arguments themselves (their placement, not only their shapes):
            # an executable compiled for abstract inputs copied the constants at every call.
            # Compiled afresh, not taken from JAX's persistent cache: re-serialising an
            # executable that was itself deserialised lost kernels (NOT_FOUND when run).
            enabled = jax.config.jax_enable_compilation_cache
            jax.config.update("jax_enable_compilation_cache", False)
            try:
                compiled = jax.jit(flat).lower(*leaves).compile()
            finally:
                jax.config.update("jax_enable_compilation_cache", enabled)
            payload, itree, otree = se.serialize(compiled)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                pickle.dump((payload, itree, otree), f)
            os.replace(tmp, path)
            return compiled
        except Exception:  # an optimisation only: fall back to the jitted function
            return self.fn


@functools.lru_cache(maxsize=1)
def _code() -> str:
    """A hash of neurodyn's own source files: an edited engine never loads a stale kernel."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), "rb") as f:
                    h.update(name.encode() + f.read())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _machine() -> str:
    """The CPU the cached executables were compiled for (they use its instruction set)."""
    import platform

    info = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags")):
                    info += "|" + line.split(":", 1)[1].strip()
                    if line.startswith("flags"):
                        break
    except OSError:
        pass
    return hashlib.sha256(info.encode()).hexdigest()[:16]


_KERNELS: dict[Any, Any] = {}
caches.register(_KERNELS.clear)


def _rule_key(t: _OutTable) -> tuple[Any, ...]:
    rule = t.plasticity
    if type(rule).__name__ == "STDP":
        return (rule.static_key(), rule.triplet, t.post, t.post_offset,
                tuple(t.in_positions.shape))
    return (rule.static_key(), float(rule.tau_facil) > 0)


def _dev(x: Any, dtype: Any) -> Any:
    """A device array from host data without compiling anything (``device_put`` of a NumPy
    array of the final dtype; ``jnp.asarray`` with a conversion would compile an XLA program)."""
    # committed to the device, as the kernel's outputs are: a first call with uncommitted
    # arrays would compile the kernel a second time for the next chunk (other shardings)
    return jax.device_put(np.ascontiguousarray(np.asarray(x, dtype=dtype)), jax.devices()[0])


def build(net: Network, dt: float, *, seed: int = 0, dtype: Any = jnp.float64,
          method: str | None = None) -> BuiltNetwork:
    """Draw the connections and lay the network out in arrays."""
    t0 = time.perf_counter()
    neurons: list[_NeuronPop] = []
    sources: list[_Source] = []
    order: list[tuple[str, int]] = []
    index_of: dict[int, tuple[str, int]] = {}
    slot = 0
    receptor_slots: dict[tuple[str, str], _Receptor] = {}
    # receptors in projection order, per postsynaptic population
    rec_by_pop: dict[str, list[_Receptor]] = {}
    from .gap import GapJunctions

    gap_projs = [(k, pr) for k, pr in enumerate(net.projections) if isinstance(pr, GapJunctions)]
    for pr in net.projections:
        if isinstance(pr, GapJunctions):
            continue
        post, _, _ = resolve(pr.post, "Projection.post")
        key = (post.name, pr.receptor_name())
        if key not in receptor_slots:
            r = _Receptor(key[1], pr.synapse, pr.synapse.Params(**{
                k: _dev(v, dtype) for k, v in pr.synapse.params().items()}), -1)
            receptor_slots[key] = r
            rec_by_pop.setdefault(post.name, []).append(r)
    for pop in net.populations:
        if isinstance(pop, Population):
            model = pop.model
            mname, step_fn = integrators.resolve(model, method)
            if step_fn is None:
                raise ParameterError(
                    f"simulate(network): method {mname!r} is adaptive; networks use fixed steps. "
                    "Fix: method='exp_euler', 'euler', 'backward_euler' or 'rk4'."
                )
            driven = Driven(model)
            if mname in driven.methods:
                step_fn = driven.methods[mname]
            # per-neuron arrays (scalar parameters measured 1.5x slower on the 4000-neuron COBA
            # network: XLA fused and vectorised the step differently)
            pm_np = model.Params(**{k: np.broadcast_to(np.asarray(v, dtype), (pop.size,))
                                    for k, v in model.params().items()})
            pm = model.Params(*(_dev(v, dtype) for v in pm_np))
            recs = rec_by_pop.get(pop.name, [])
            user_init = dict(pop.init or {})
            syn_names = {f"{var}_{r.name}": (r, j) for r in recs
                         for j, var in enumerate(r.synapse.state_vars)}
            for k in user_init:
                if k not in model.state_vars and k not in syn_names:
                    raise ParameterError(
                        f"Population {pop.name!r}: init[{k!r}] is neither a state variable of "
                        f"{type(model).__name__} ({', '.join(model.state_vars)}) nor a synaptic "
                        f"state ({', '.join(syn_names) or 'no synapses onto this population'})."
                    )
            # NumPy at build time: jnp operations here would each compile a small XLA program
            with np.errstate(all="ignore"):
                init = model.init_state(pm_np, numpy_math)
            init = init._replace(**{k: v for k, v in user_init.items() if k in model.state_vars})
            init = model.State(*(_dev(np.broadcast_to(np.asarray(x, dtype), (pop.size,)), dtype)
                                 for x in init))
            syn_init = []
            for r in recs:
                syn_init.append(tuple(
                    _dev(np.broadcast_to(np.asarray(user_init.get(f"{var}_{r.name}", 0.0), dtype),
                                         (pop.size,)), dtype) for var in r.synapse.state_vars))
            for r in recs:
                r.offset = slot
                slot += pop.size * channels(r.synapse)
            stims = tuple(s.bind(model) for s in as_stimuli(pop.stimulus))
            for s in stims:
                if s.stateful:
                    raise ParameterError(
                        f"Population {pop.name!r}: {type(s).__name__} is a stateful (random) "
                        "stimulus, which networks do not take yet. Fix: drive the population "
                        "with a PoissonSource through a current synapse, or use a "
                        "deterministic stimulus."
                    )
            stim_params = [s.Params(**{k: _dev(v, np.float64) for k, v in s.params().items()})
                           for s in stims]
            factor = pa_factor(model, f"Population {pop.name!r}")
            factor = 1.0 if factor is None and not recs else factor
            gain = _dev(np.broadcast_to(np.asarray(input_gain(model, pm_np, numpy_math), dtype),
                                        (pop.size,)), dtype)
            thr = None
            if not model.has_reset:
                det = model.default_detector()
                thr = float(pop_threshold(pop, det.threshold))
            index_of[id(pop)] = ("neuron", len(neurons))
            order.append(("neuron", len(neurons)))
            neurons.append(_NeuronPop(
                pop.name, pop.size, model, driven, step_fn, mname, pm, init, recs, stims,
                stim_params, None if factor is None else _dev(factor, dtype), gain, thr,
                syn_init))
        else:
            src = _build_source(pop, dt)
            index_of[id(pop)] = ("source", len(sources))
            order.append(("source", len(sources)))
            sources.append(src)
    n_slots = slot

    # ---------------------------------------------------------------- gap junctions
    gaps = []
    pop_index = {p.name: i for i, p in enumerate(neurons)}
    for k, gj in gap_projs:
        rng = np.random.default_rng([int(seed), 7919, k])
        i, j, g = gj.build(rng)
        a, _, _ = resolve(gj.pre, "GapJunctions.pre")
        b, _, _ = resolve(gj.post, "GapJunctions.post")
        ka, kb = pop_index[a.name], pop_index[b.name]
        neurons[ka].gap_input = neurons[kb].gap_input = True
        for q in (neurons[ka], neurons[kb]):
            if q.factor is None:
                raise ParameterError(f"GapJunctions {gj.name}: {type(q.model).__name__} cannot "
                                     "take a junction current.")
        gaps.append((ka, kb, _dev(i, np.int32), _dev(j, np.int32), _dev(g, dtype), int(i.size)))

    # ---------------------------------------------------------------- synapses
    per_pre: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}
    plastic: dict[str, tuple[str, Any]] = {}
    post_info: dict[str, tuple[str, int, int, str]] = {}
    kin_info: dict[str, tuple[Any, int, int, Any]] = {}
    proj_sizes = []
    for k, pr in enumerate(net.projections):
        if isinstance(pr, GapJunctions):
            continue
        rng = np.random.default_rng([int(seed), 7919, k])
        pre_pop, p0, _ = resolve(pr.pre, "Projection.pre")
        post_pop, q0, _ = resolve(pr.post, "Projection.post")
        pre, post, w, d = pr.build(rng, dt)
        r = receptor_slots[(post_pop.name, pr.receptor_name())]
        # synapses with short-term plasticity get a table of their own (their weights are
        # scaled at each spike by the release of their presynaptic neuron)
        kinetic = getattr(pr.synapse, "kinetic", False)
        key = pre_pop.name if pr.plasticity is None and not kinetic else f"{pre_pop.name}#{k}"
        if kinetic:
            if pr.plasticity is not None:
                raise ParameterError(
                    f"Projection {pr.name}: plasticity on kinetic receptors "
                    f"({type(pr.synapse).__name__}) is not supported: their conductance follows "
                    "the transmitter pulse, not a weight scaled per spike. Fix: use Exp/Alpha/"
                    "BiExp synapses with plasticity, or drop the rule."
                )
            c_steps = max(1, round(float(pr.synapse.c_dur) / dt))
            kin_info[key] = (pr.synapse, c_steps, post_pop.size, r)
        per_pre.setdefault(key, []).append((pre + p0, r.offset + q0 + post, w, d))
        if pr.plasticity is not None:
            plastic[key] = (pre_pop.name, pr.plasticity)
            post_info[key] = (post_pop.name, r.offset, post_pop.size, pr.label or f"projection{k}")
        proj_sizes.append(int(pre.size))
    n_syn = int(sum(proj_sizes))
    max_delay = max((int(d.max()) + (kin_info[key][1] if key in kin_info else 0)
                     for key, lst in per_pre.items() for (_, _, _, d) in lst if d.size),
                    default=1)
    rows = max_delay + 1
    tables: dict[str, _OutTable] = {}
    width_dump = 1
    raw_tables = {}
    sizes_of = {p.name: p.size for p in net.populations}
    for key, lst in per_pre.items():
        size = sizes_of[key.split("#")[0]]
        # each synapse's column in its presynaptic row, as a stable sort of all the lists by
        # presynaptic neuron would give (earlier lists first, input order within a list), but
        # without concatenating or sorting: 10 M synapses (32 batched COBA copies) took 1.9 s
        # on the concatenations, the argsort and the permutation gathers, now ~0.2 s
        deg = np.zeros(size, np.int64)
        cols = []
        for pre_e, *_ in lst:
            deg_e = np.bincount(pre_e, minlength=size)
            starts_e = np.cumsum(deg_e) - deg_e
            if pre_e.size > 1 and np.any(pre_e[1:] < pre_e[:-1]):  # not sorted: rank by sort
                o = np.argsort(pre_e, kind="stable")
                rank = np.empty(pre_e.size, np.int64)
                rank[o] = np.arange(pre_e.size) - starts_e[pre_e[o]]
            else:
                rank = np.arange(pre_e.size) - starts_e[pre_e]
            cols.append(rank + deg[pre_e])
            deg += deg_e
        m = max(int(deg.max()) if deg.size else 0, 1)
        width_dump = max(width_dump, m)
        raw_tables[key] = (lst, cols, deg, m)
    width = n_slots + width_dump
    for name, (lst, cols, deg, m) in raw_tables.items():
        n = deg.size
        stdp = name in plastic and type(plastic[name][1]).__name__ == "STDP"
        extra = 2 if stdp else 1  # row n: "no spike"; STDP row n + 1: dump of padded updates
        # int32 and the run dtype from the start (10 M synapses: 1.45 -> 1.31 GB peak)
        T = np.tile(n_slots + np.arange(m, dtype=np.int32), (n + extra, 1))  # padding -> dump
        W = np.zeros((n + extra, m), dtype=np.dtype(dtype))
        D = np.ones((n + extra, m), dtype=np.int32)
        d0 = next((int(e[3][0]) for e in lst if e[3].size), None)
        uniform_d = True
        for (pre_e, tgt_e, w_e, d_e), col_e in zip(lst, cols):
            T[pre_e, col_e] = tgt_e
            W[pre_e, col_e] = w_e
            D[pre_e, col_e] = d_e
            uniform_d = uniform_d and bool(np.all(d_e == d0))
        common = d0 if d0 is not None and uniform_d else None
        pre_name, rule = plastic.get(name, (name.split("#")[0], None))
        tb = _OutTable(
            targets=_dev(T, np.int32), weights=_dev(W, dtype),
            delays=None if common is not None else _dev(D, np.int32),
            delay=common if common is not None else 0, pre=pre_name, plasticity=rule,
            plasticity_params=None if rule is None else rule.Params(
                **{k: _dev(v, dtype) for k, v in rule.params().items()}))
        if name in kin_info:
            syn, c_steps, n_post_block, rec = kin_info[name]
            sp = syn.param_values()
            tb.kinetic = True
            tb.c_steps = c_steps
            tb.n_post_block = n_post_block
            tb.kin_params = _KinParams(_dev(sp.alpha, dtype), _dev(sp.beta, dtype),
                                       _dev(sp.t_max, dtype), _dev(c_steps * dt, dtype))
            if "w_tot" in syn.state_vars:  # GABA-B: the summed weights onto each neuron
                k_pop = next(i for i, q in enumerate(neurons)
                             if any(x is rec for x in q.receptors))
                pop_rec = next(i for i, x in enumerate(neurons[k_pop].receptors) if x is rec)
                wt = sum(np.bincount(e[1] - rec.offset, weights=e[2], minlength=n_post_block)
                         for e in lst)
                old = list(neurons[k_pop].syn_init[pop_rec])
                old[syn.state_vars.index("w_tot")] = _dev(
                    np.asarray(old[syn.state_vars.index("w_tot")]) + wt, dtype)
                neurons[k_pop].syn_init[pop_rec] = tuple(old)
        if stdp:
            post_name, offset, n_post, label = post_info[name]
            # flat position of each synapse, in input order (the lists one after the other)
            syn_pos = np.concatenate([e[0] * m + c for e, c in zip(lst, cols)])
            order_ = np.argsort(np.concatenate([e[0] for e in lst]), kind="stable")
            pos = syn_pos[order_]  # sorted by presynaptic neuron
            post_idx = np.concatenate([e[1] for e in lst])[order_] - offset
            in_deg = np.bincount(post_idx, minlength=n_post)
            m_in = max(int(in_deg.max()) if in_deg.size else 0, 1)
            o = np.argsort(post_idx, kind="stable")
            in_starts = np.concatenate([[0], np.cumsum(in_deg)[:-1]])
            in_col = np.arange(pos.size) - in_starts[post_idx[o]]
            P = (n + 1) * m + (np.arange(m_in)[None, :] % m) + np.zeros((n_post + 1, 1), np.int64)
            P[post_idx[o], in_col] = pos[o]
            tb.post, tb.post_offset, tb.label = post_name, int(offset), label
            tb.in_positions = _dev(P, np.int32)
            tb.syn_positions = syn_pos
        tables[name] = tb
    bn = BuiltNetwork(net, float(dt), dtype, neurons, sources, order, tables, n_slots, width,
                      rows, n_syn, time.perf_counter() - t0, proj_sizes, method)
    bn.gaps = gaps
    bn.seed = int(seed)
    return bn


def pop_threshold(pop: Population, default: float) -> float:
    return default if getattr(pop, "threshold", None) is None else pop.threshold


def _build_source(pop: Any, dt: float) -> _Source:
    if isinstance(pop, PoissonSource):
        return _Source(pop.name, pop.size, "poisson",
                       rate=_dev(np.broadcast_to(pop.rate, (pop.size,)), np.float64),
                       start=float(pop.start), stop=float(pop.stop))
    assert isinstance(pop, SpikeSource)
    ids, steps = [], []
    for i, t in enumerate(pop.times):
        # emitted at the end of the step containing t: grid time ceil(t/dt) dt (>= dt)
        k = np.maximum(np.ceil(t / dt - 1e-9), 1).astype(np.int64) - 1
        ids.append(np.full(k.size, i))
        steps.append(k)
    ids_a = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    steps_a = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    o = np.lexsort((ids_a, steps_a))
    ids_a, steps_a = ids_a[o], steps_a[o]
    same = (np.diff(ids_a) == 0) & (np.diff(steps_a) == 0)
    if np.any(same):
        i = int(ids_a[1:][same][0])
        raise ParameterError(
            f"SpikeSource {pop.name!r}: train {i} has two spikes in one step of {dt:g} ms (at "
            f"{(steps_a[1:][same][0] + 1) * dt:g} ms on the grid); a source emits at most one "
            "spike per step. Fix: use a smaller dt, or split the train over two sources."
        )
    n_steps_max = int(steps_a.max()) + 2 if steps_a.size else 1
    ptr = np.searchsorted(steps_a, np.arange(n_steps_max + 1), side="left")
    per = np.diff(ptr)
    return _Source(pop.name, pop.size, "times", ev_ids=_dev(np.r_[ids_a, pop.size], np.int32),
                   ev_ptr=_dev(ptr, np.int32), max_per_step=int(per.max()) if per.size else 0)


# ---------------------------------------------------------------------- the kernel
@dataclass(frozen=True)
class NetKernelSpec:
    every: int
    n_blocks: int
    # (neuron pop index, var, neuron ids); (-1, "w:<table>", flat positions) for plastic weights
    record: tuple[tuple[int, str, tuple[int, ...]], ...]
    sizes: tuple[int, ...]  # population sizes (network order)
    bucketed: bool
    unroll: int = 1
    block: int = delivery.BLOCK  # spikes per while-loop iteration
    # reverse-mode differentiable delivery: the last bucket is every neuron (no while_loop)
    full_last: bool = False
    step_only: bool = False  # make_chunk returns (one_step, sample) instead of a chunk


def make_chunk(bn: BuiltNetwork, spec: NetKernelSpec) -> Any:
    """The jitted chunk function of ``bn`` for ``spec``."""
    dtype = bn.dtype
    dt = bn.dt
    rows, width, n_slots = bn.rows, bn.width, bn.n_slots
    every, n_blocks = spec.every, spec.n_blocks
    # all delays equal within each presynaptic population: the pending arrivals are a tuple of
    # rows with static indices (shifted by one row per step); otherwise one flat ring buffer
    # indexed modulo its length (dynamic slices, which XLA:CPU runs element by element)
    uniform = bn.uniform_delays
    tables_of: dict[str, list[str]] = {}
    for tkey, tb in bn.tables.items():
        tables_of.setdefault(tb.pre, []).append(tkey)
    stdp_keys = [k for k, tb in bn.tables.items() if type(tb.plasticity).__name__ == "STDP"]
    n_steps_chunk = every * n_blocks
    pops_all = bn.order

    def one_step_impl(c, n, consts, key, step0):
        dts = jnp.asarray(dt, dtype)
        neuron_states, buf, arrivals, rec, plast = c
        t = n.astype(jnp.float64) * dt
        new_states = []
        spiked_by_pop: dict[str, Any] = {}
        # gap junctions: g (v_j - v_i) with the potentials at the start of the step, entering
        # as a conductance (implicit in the neuron's own v) plus a current from the partner
        gap_a = {k: None for k in range(len(bn.neurons))}
        gap_b = dict(gap_a)
        for (ka, kb, *_), (gi, gj, gg) in zip(bn.gaps, consts["gaps"]):
            va = getattr(neuron_states[ka][0], bn.neurons[ka].model.voltage_var)
            vb = getattr(neuron_states[kb][0], bn.neurons[kb].model.voltage_var)
            for k_, idx, v_other in ((ka, gi, vb[gj]), (kb, gj, va[gi])):
                n_ = bn.neurons[k_].n
                add_a = jnp.zeros((n_,), dtype).at[idx].add(gg * v_other)
                add_b = jnp.zeros((n_,), dtype).at[idx].add(gg)
                gap_a[k_] = add_a if gap_a[k_] is None else gap_a[k_] + add_a
                gap_b[k_] = add_b if gap_b[k_] is None else gap_b[k_] + add_b
        for k, pop in enumerate(bn.neurons):
            s, refr, syn = neuron_states[k]
            pm = consts["params"][k]
            a = jnp.zeros((pop.n,), dtype)
            b = jnp.zeros((pop.n,), dtype) if pop.conductance_input else None
            if gap_a[k] is not None:
                f = consts["factor"][k]
                a = a + f * gap_a[k]
                b = b - f * gap_b[k]
            new_syn = []
            for r, sr in zip(pop.receptors, syn):
                rp = consts["rec_params"][(k, r.name)]
                sr = add_arrivals(r, rp, sr, arrivals, pop.n)
                g = r.synapse.readout(rp, sr, xp)
                if getattr(r.synapse, "kinetic", False):
                    g = g * r.synapse.block(rp, getattr(s, pop.model.voltage_var), xp)
                f = None if pop.factor is None else consts["factor"][k]
                if r.synapse.conductance_based:
                    a = a + f * g * rp.e_rev
                    b = b - f * g
                else:
                    a = a + (g if f is None else f * g)
                new_syn.append(sr)
            dp = DriveParams(pm, a, b, consts["gain"][k])
            sps = consts["stim_params"][k]

            def i_at(theta, pop=pop, sps=sps):
                # (n + theta) dt, not n dt + theta dt: the end of a step must land exactly on
                # the grid time, or a stimulus edge there leaks into the step before it
                tt = (n.astype(jnp.float64) + theta) * dt
                total = jnp.zeros((), dtype)
                for st, p in zip(pop.stims, sps):
                    total = total + jnp.asarray(st.value(p, tt, None, xp, theta >= 1.0)).astype(dtype)
                return total

            s_int = pop.step_fn(pop.driven, dp, s, i_at, dts, xp)
            model = pop.model
            if model.has_reset:
                s_int, s_new, refr, spiked = reset_step(model, pm, s, s_int, refr, dts)
            else:
                v0 = getattr(s, model.voltage_var)
                v1 = getattr(s_int, model.voltage_var)
                spiked = (v0 < pop.threshold) & (v1 >= pop.threshold)
                s_new = s_int
            new_syn = [r.synapse.decay(consts["rec_params"][(k, r.name)], sr, dts, xp)
                       for r, sr in zip(pop.receptors, new_syn)]
            new_states.append((s_new, refr, tuple(new_syn)))
            spiked_by_pop[pop.name] = spiked
        for j, src in enumerate(bn.sources):
            spiked_by_pop[src.name] = _source_spikes(src, consts["sources"][j], key, n, t, dt, j)
        # ---------------------------------------------------------- deliver and record
        words = []
        new_plast = dict(plast)
        packs: dict[str, Any] = {}
        for kind, idx in pops_all:
            name = bn.neurons[idx].name if kind == "neuron" else bn.sources[idx].name
            spiked = spiked_by_pop[name]
            pk = delivery.pack(spiked)
            packs[name] = pk
            words.append(pk.words)
            for tkey in tables_of.get(name, ()):
                tab = consts["tables"][tkey]
                release = None
                stdp_w = plast[tkey][0] if tkey in stdp_keys else None
                if bn.tables[tkey].kinetic:
                    buf, new_plast[tkey] = deliver_kinetic(
                        bn.tables[tkey], tab, plast[tkey], pk, spiked, t + dt, n, buf, uniform,
                        rows, width, spec)
                    continue
                if tkey in plast and stdp_w is None:
                    # Tsodyks-Markram: advance (u, x) over the step, then the spike jumps
                    u, x = plast[tkey]
                    tp = tab["plasticity"]
                    u, x, release = tm_step(tp, u, x, spiked, dts,
                                             bn.tables[tkey].plasticity.tau_facil > 0)
                    new_plast[tkey] = (u, x)

                def weights(ids, tab=tab, release=release, stdp_w=stdp_w):
                    w = (tab["weights"] if stdp_w is None else stdp_w)[ids]
                    return w if release is None else w * release[ids][:, None]

                if uniform:
                    # every synapse of this table has the same delay d: one row, static
                    d = bn.tables[tkey].delay

                    def body_u(row, ids, base, tab=tab, weights=weights):
                        T = tab["targets"][ids]
                        return row.at[T.reshape(-1)].add(weights(ids).reshape(-1),
                                                         mode="promise_in_bounds")

                    rows_ = list(buf)
                    rows_[d] = delivery.each_block(pk, body_u, rows_[d], spec)
                    buf = tuple(rows_)
                    continue

                def body(bb, ids, base, tab=tab, weights=weights):
                    T = tab["targets"][ids]
                    if tab["delays"] is None:
                        flat = ((n + 1 + tab["delay"]) % rows) * width + T
                    else:
                        flat = ((n + 1 + tab["delays"][ids]) % rows) * width + T
                    return bb.at[flat.reshape(-1)].add(weights(ids).reshape(-1),
                                                       mode="promise_in_bounds")

                buf = delivery.each_block(pk, body, buf, spec)
        for tkey in stdp_keys:  # learning after delivery: a spike carries its old weight
            tb = bn.tables[tkey]
            new_plast[tkey] = stdp_step(
                tb, consts["tables"][tkey], plast[tkey], packs[tb.pre], packs[tb.post],
                spiked_by_pop[tb.pre], spiked_by_pop[tb.post], dts, spec)
        at = ((n - step0).astype(jnp.int32), jnp.int32(0))
        rec = tuple(jax.lax.dynamic_update_slice(r, w[None, :], at) for r, w in zip(rec, words))
        # the arrivals of the next step are final now (delays are >= 1 step): take them out
        # of the buffer into a plain array. Slicing the ring buffer with a dynamic offset
        # inside the neuron update made every fusion that read it scalar (3x slower).
        if uniform:
            # rows[k] holds the arrivals k steps after the next one: shift by one row
            arrivals = buf[0][:n_slots]
            buf = (*buf[1:], jnp.zeros((width,), dtype))
        else:
            arrivals, buf = _take_row(buf, (n + 1) % rows, width, n_slots, dtype)
        return (tuple(new_states), buf, arrivals, rec, new_plast), None

    # traced once and called at every place a step is taken (the unrolled body and the
    # remainder loop): tracing the step three times cost ~0.25 s per first call
    def sample_impl(states, arrivals, plast, consts):
        """Recorded values at the start of a step; a synaptic variable includes the
        weights arriving at that time (a jump at t shows at t)."""
        out = []
        for k, var, ids in spec.record:
            if k < 0:  # plastic weights: var = "w:<table>", ids = flat positions
                w_tab = plast[var[2:]][0].reshape(-1)
                out.append(w_tab[jnp.asarray(ids, jnp.int32)])
                continue
            s, _, syn = states[k]
            pop = bn.neurons[k]
            if var in pop.model.state_vars:
                x = getattr(s, var)
            else:
                rname = var[2:]
                ri = [r.name for r in pop.receptors].index(rname)
                r = pop.receptors[ri]
                rp = consts["rec_params"][(k, r.name)]
                sr = add_arrivals(r, rp, syn[ri], arrivals, pop.n)
                x = r.synapse.readout(rp, sr, xp)
                if var.startswith("i_"):  # the synaptic current into the cell, pA
                    v = getattr(s, pop.model.voltage_var)
                    if getattr(r.synapse, "kinetic", False):
                        x = x * r.synapse.block(rp, v, xp)
                    if r.synapse.conductance_based:
                        x = x * (rp.e_rev - v)
            out.append(x[jnp.asarray(ids, jnp.int32)])
        return tuple(out)

    if spec.step_only:  # the pieces, for the differentiable runner
        return one_step_impl, sample_impl
    one_step_j = jax.jit(one_step_impl)

    def chunk(carry, consts, key, step0, n_run):
        # step0: first global step of the chunk; n_run: blocks to run (traced)
        neuron_states, buf, arrivals0, plast0 = carry

        def one_step(c, n):
            return one_step_j(c, n, consts, key, step0)

        def sample(states, arrivals, plast):
            return sample_impl(states, arrivals, plast, consts)

        samples0 = tuple(jnp.zeros((n_blocks, len(ids)), dtype) for _, _, ids in spec.record)
        # spikes: one row of packed 64-bit words per step and population (exact, no capacity)
        rec0 = tuple(jnp.zeros((n_steps_chunk, -(-n // 64)), jnp.uint64) for n in spec.sizes)

        def step_and_sample(i, st):
            c, smp = st
            n = step0 + i
            # sample at the start of every block of `every` steps (one loop over steps: a nested
            # loop per block made XLA copy the chunk's spike record at every step)
            j = (i // every).astype(jnp.int32)
            take = (i % every) == 0
            zero = jnp.int32(0)
            smp = tuple(jax.lax.dynamic_update_slice(
                bufr, jnp.where(take, v, jax.lax.dynamic_slice(bufr, (j, zero), (1, v.shape[0]))[0])[None],
                (j, zero)) for bufr, v in zip(smp, sample(c[0], c[2], c[4])))
            return one_step(c, n)[0], smp

        # `unroll` steps per loop iteration: values passed between steps inside one iteration
        # need no loop-carry copies (XLA:CPU copied ~10 state arrays per iteration: unrolling
        # by 2 took 20-25% off the Brette benchmarks); a second loop does the remainder.
        unroll = spec.unroll

        def several(k, st):
            for u in range(unroll):
                st = step_and_sample(k * unroll + u, st)
            return st

        n_total = n_run * every
        st = (neuron_states, buf, arrivals0, rec0, plast0), samples0
        if unroll > 1:
            st = jax.lax.fori_loop(0, n_total // unroll, several, st)
            st = jax.lax.fori_loop(n_total // unroll * unroll, n_total, step_and_sample, st)
        else:
            st = jax.lax.fori_loop(0, n_total, step_and_sample, st)
        (states, buf, arrivals, rec, plast), samples = st
        finite = jnp.asarray(True)
        for s, _, _ in states:
            for x in s:
                finite = finite & jnp.all(jnp.isfinite(x))
        return (states, buf, arrivals, plast), samples, rec, finite

    return jax.jit(chunk)


def _take_row(buf: Any, row: Any, width: int, n_slots: int, dtype: Any) -> tuple[Any, Any]:
    """Row ``row`` of the flat ring buffer (its first ``n_slots`` entries) and the buffer with
    that row zeroed."""
    start = (row * width).astype(jnp.int32)
    out = jax.lax.dynamic_slice(buf, (start,), (n_slots,))
    return out, jax.lax.dynamic_update_slice(buf, jnp.zeros((width,), dtype), (start,))


def _source_spikes(src: _Source, const: Any, key: Any, n: Any, t: Any, dt: float,
                   index: int) -> Any:
    if src.kind == "poisson":
        # one stream per source (``index``) and step: independent trains in every source
        k = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, 0x5EED), index), n)
        u = jax.random.uniform(k, (src.n,), dtype=jnp.float64)
        active = (t >= src.start) & (t < src.stop)
        return (u < const["rate"] * (dt * 1e-3)) & active
    ptr = const["ptr"]
    last = ptr.shape[0] - 2
    k = jnp.minimum(n, last)
    lo = jnp.where(n <= last, ptr[k], 0)
    hi = jnp.where(n <= last, ptr[k + 1], 0)
    m = max(src.max_per_step, 1)
    j = lo + jnp.arange(m, dtype=jnp.int32)
    ids = jnp.where(j < hi, const["ids"][jnp.minimum(j, const["ids"].shape[0] - 1)], src.n)
    return jnp.zeros((src.n + 1,), bool).at[ids].set(True)[: src.n]


def consts_of(bn: BuiltNetwork) -> dict[str, Any]:
    tables = {}
    for name, tb in bn.tables.items():
        tables[name] = {"targets": tb.targets, "weights": tb.weights, "delays": tb.delays,
                        "delay": tb.delay, "plasticity": tb.plasticity_params,
                        "in_positions": tb.in_positions, "kinetic": tb.kin_params}
    return {
        "params": [p.params for p in bn.neurons],
        "gain": [p.gain for p in bn.neurons],
        "factor": [_dev(0.0, bn.dtype) if p.factor is None else p.factor for p in bn.neurons],
        "stim_params": [p.stim_params for p in bn.neurons],
        "rec_params": {(k, r.name): r.params for k, p in enumerate(bn.neurons) for r in p.receptors},
        "sources": [{"rate": s.rate} if s.kind == "poisson" else {"ptr": s.ev_ptr, "ids": s.ev_ids}
                    for s in bn.sources],
        "tables": tables,
        "gaps": [(i, j, g) for _, _, i, j, g, _ in bn.gaps],
    }

