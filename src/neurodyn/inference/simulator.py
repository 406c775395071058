"""Simulators for likelihood-free inference: parameters in, summary statistics out, batched.

A :class:`Simulator` maps parameter sets ``x`` ``(n, d)`` (physical units, one column per
:class:`~neurodyn.fitting.FreeParameter`) to summary statistics ``(n, k)`` in one batched
simulation. The prior is uniform in each parameter's search coordinate ``u`` in [0, 1] (uniform
in the value for ``"linear"``, in its logarithm for ``"log"``), so inference works in ``u`` and
reports physical values.

Statistics that are undefined for some simulations (eFEL features without spikes) are replaced by
a fixed value per statistic, outside the range seen in the first batch (``fill``), so that
"no spikes" is itself an informative outcome rather than a discarded simulation (discarding
them biases the posterior towards spiking parameters).

Summary statistics of single traces (:func:`voltage_summary`) follow the Hodgkin–Huxley example of
Gonçalves et al. (2020): spike count, first-spike latency, mean and SD of the resting potential,
and the mean, SD, skewness and kurtosis of the potential during the stimulus.

Reference: Gonçalves PJ, Lueckmann J-M, Deistler M, et al. (2020). Training deep neural density
estimators to identify mechanistic models of neural dynamics. eLife 9:e56261.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..fitting.problem import SearchSpace

__all__ = ["SUMMARY_NAMES", "Simulator", "simulate_prior", "voltage_summary"]

SUMMARY_NAMES = ("spike_count", "first_spike_ms", "v_rest_mean", "v_rest_sd", "v_stim_mean",
                 "v_stim_sd", "v_stim_skew", "v_stim_kurtosis")


def voltage_summary(v: Any, t: Any, window: tuple[float, float], *,
                    threshold: float = -20.0) -> np.ndarray:
    """Summary statistics (:data:`SUMMARY_NAMES`) of voltage traces ``v`` ``(..., n_samples)``
    (mV) sampled at ``t`` (ms), with the stimulus on ``window = (start, stop)`` ms: upward
    crossings of ``threshold`` in the window; the first one's latency from ``start`` (the window
    length without a spike); mean and SD before ``start``; mean, SD, skewness and excess kurtosis
    in the window (0 for a flat trace). Returns ``(..., 8)``; every entry is defined."""
    v = np.asarray(v, dtype=float)
    t = np.asarray(t, dtype=float)
    start, stop = window
    rest = t < start
    stim = (t >= start) & (t < stop)
    if rest.sum() < 2 or stim.sum() < 2:
        raise ParameterError(f"voltage_summary: the window {window} ms needs samples before it "
                             f"and inside it (trace {t[0]:g}..{t[-1]:g} ms).")
    vs = v[..., stim]
    up = (vs[..., 1:] >= threshold) & (vs[..., :-1] < threshold)
    count = up.sum(-1).astype(float)
    ts = t[stim][1:]
    first = np.where(up.any(-1), ts[np.argmax(up, axis=-1)] - start, stop - start)
    vr = v[..., rest]
    m = vs.mean(-1)
    sd = vs.std(-1)
    z = (vs - m[..., None]) / np.where(sd > 1e-12, sd, 1.0)[..., None]
    skew = np.where(sd > 1e-12, (z**3).mean(-1), 0.0)
    kurt = np.where(sd > 1e-12, (z**4).mean(-1) - 3.0, 0.0)
    return np.stack([count, first, vr.mean(-1), vr.std(-1), m, sd, skew, kurt], axis=-1)


@dataclass
class Simulator(SearchSpace):
    """Parameters to summary statistics, batched (see the module docstring).

    Parameters
    ----------
    params: the :class:`~neurodyn.fitting.FreeParameter` list (prior bounds and transforms).
    fn: ``fn(x (n, d), seed) -> (n, k)`` statistics (NaN where undefined).
    names: the ``k`` statistic names.
    describe: a one-line description (model, protocol) for reports.
    key: everything else the statistics depend on (fixed model parameters, stimulus, protocol,
        feature settings), for :meth:`fingerprint`.
    """

    params: tuple[Any, ...]
    fn: Callable[[np.ndarray, int], np.ndarray]
    names: tuple[str, ...]
    describe: str = ""
    fill: np.ndarray | None = None
    traces: Callable[[np.ndarray, int], Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    key: str = ""

    def __post_init__(self) -> None:
        from ..fitting.problem import as_free_parameters as _params

        self.params = _params(self.params, "Simulator")
        self.names = tuple(self.names)

    def fingerprint(self) -> str:
        """A digest of what the saved simulations depend on: the parameters (paths, bounds,
        transforms), the statistic names, the description and :attr:`key`."""
        import hashlib

        ps = [(p.path, repr(p.low), repr(p.high), p.transform) for p in self.params]
        return hashlib.sha256(repr((ps, self.names, self.describe, self.key)).encode()).hexdigest()

    def raw(self, x: Any, seed: int = 0) -> np.ndarray:
        """Statistics ``(n, k)`` of parameter sets ``x`` (physical), NaN where undefined."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != self.dim:
            raise ParameterError(f"Simulator: x must have {self.dim} columns "
                                 f"({', '.join(self.paths)}); got shape {x.shape}.")
        s = np.asarray(self.fn(x, int(seed)), dtype=float)
        if s.shape != (x.shape[0], len(self.names)):
            raise ParameterError(f"Simulator.fn returned shape {s.shape}; expected "
                                 f"({x.shape[0]}, {len(self.names)}).")
        return s

    def set_fill(self, s: np.ndarray) -> None:
        """Choose the value that replaces undefined statistics, from a first batch ``s``:
        per statistic, its minimum minus its range (minus 1 if constant). A statistic undefined
        for every simulation of the batch is an error (the prior yields no information on it)."""
        s = np.asarray(s, dtype=float)
        dead = np.all(~np.isfinite(s), axis=0)
        if dead.all():
            raise ParameterError(
                f"Simulator ({self.describe or 'model'}): every statistic is undefined (NaN) in "
                f"all {s.shape[0]} simulations of the first batch, e.g. no spikes anywhere in the "
                "prior. Fix: widen the prior towards excitable parameters (larger g_Na, stronger "
                "stimulus) or use statistics defined without spikes (voltage_base, "
                "steady_state_voltage).")
        if dead.any():
            names = [n for n, d in zip(self.names, dead) if d]
            raise ParameterError(
                f"Simulator ({self.describe or 'model'}): the statistics {', '.join(names)} are "
                f"undefined (NaN) in all {s.shape[0]} simulations of the first batch, so they "
                "carry no information. Fix: drop them or widen the prior so that some "
                "simulations define them.")
        with np.errstate(invalid="ignore"):
            lo = np.nanmin(s, axis=0)
            span = np.nanmax(s, axis=0) - lo
        self.fill = lo - np.where(span > 0, span, 1.0)

    def filled(self, s: Any) -> np.ndarray:
        """``s`` with undefined entries replaced by :attr:`fill`."""
        s = np.array(s, dtype=float)
        if self.fill is None:
            raise ParameterError("Simulator.fill is not set. Fix: call set_fill(first_batch) "
                                 "(simulate_prior does).")
        return np.where(np.isfinite(s), s, np.broadcast_to(self.fill, s.shape))

    def __call__(self, x: Any, seed: int = 0) -> np.ndarray:
        s = self.raw(x, seed)
        if self.fill is None:
            self.set_fill(s)
        return self.filled(s)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_model(cls, model: Any, params: Sequence[Any], *, t_stop: float, dt: float,
                   stimulus: Any, window: tuple[float, float], threshold: float = -20.0,
                   method: str | None = None, record_dt: float | None = None,
                   chunk: int = 2000) -> Simulator:
        """Statistics :func:`voltage_summary` of one run of a point ``model`` per parameter set
        (stimuli may be noisy, e.g. :class:`~neurodyn.stimuli.OUNoise`: each simulation gets its
        own realisation, drawn from ``seed`` and its index), ``chunk`` sets per compiled call."""
        from ..engine.simulate import simulate

        stims = list(stimulus) if isinstance(stimulus, list | tuple) else [stimulus]
        paths = [p.path if hasattr(p, "path") else p[0] for p in params]
        vvar = getattr(model, "voltage_var", "v")

        def run(x: np.ndarray, seed: int) -> Any:
            res = simulate(model, t_stop, dt, stimulus=stims, record=[vvar], record_dt=record_dt,
                           batch={p: x[:, j] for j, p in enumerate(paths)}, method=method,
                           seed=seed, throw="continue")
            return np.asarray(res.t), np.asarray(res.traces[vvar], dtype=float)

        def fn(x: np.ndarray, seed: int) -> np.ndarray:
            out = []
            for k in range(0, x.shape[0], chunk):
                t, v = run(x[k:k + chunk], seed * 7919 + k)
                out.append(voltage_summary(v, t, window, threshold=threshold))
            return np.concatenate(out)

        key = repr((_model_key(model), [(type(st).__name__, _values(st)) for st in stims],
                    t_stop, dt, window, threshold, method, record_dt))
        return cls(params, fn, SUMMARY_NAMES, f"{type(model).__name__}, {t_stop:g} ms, "
                   f"voltage summary over {window[0]:g}-{window[1]:g} ms",
                   traces=lambda x, seed: run(np.atleast_2d(x), seed), key=key)

    @classmethod
    def from_problem(cls, problem: Any) -> Simulator:
        """The eFEL features of a :class:`~neurodyn.fitting.FitProblem` (every sweep and feature
        its target defines) as statistics; :meth:`observed` gives the data's."""
        defined = np.isfinite(np.asarray(problem.target.mean, dtype=float))
        sweeps, feats = np.nonzero(defined)
        names = tuple(f"{problem.features[f]}[{s}]" for s, f in zip(sweeps, feats))

        def fn(x: np.ndarray, seed: int) -> np.ndarray:
            ev = problem.evaluate(x)
            return ev.features[:, sweeps, feats]

        def traces(x: np.ndarray, seed: int) -> Any:
            out = problem.simulate(np.atleast_2d(x))
            return np.asarray(problem.protocol.t), problem.voltages(out)

        sim = cls(problem.params, fn, names,
                  f"{problem.describe().splitlines()[0]}", traces=traces, key=_problem_key(problem))
        sim.meta["observed"] = np.asarray(problem.target.mean, dtype=float)[sweeps, feats]
        sim.meta["sd"] = np.asarray(problem.target.sd, dtype=float)[sweeps, feats]
        return sim

    def observed(self) -> np.ndarray:
        """The data's statistics (for :meth:`from_problem`); undefined ones filled once
        :attr:`fill` is set (before, NaN: :func:`~neurodyn.inference.abc_smc` fills them after
        its first batch)."""
        if "observed" not in self.meta:
            raise ParameterError("Simulator.observed: this simulator has no data. Fix: pass the "
                                 "observation's statistics yourself.")
        obs = np.array(self.meta["observed"], dtype=float)
        return self.filled(obs) if self.fill is not None else obs


def _values(d: Any) -> list[tuple[str, Any]]:
    """A description's parameters at full precision (its repr rounds)."""
    return sorted((k, np.asarray(v).tolist()) for k, v in d.params().items())


#: FitProblem fields that do not change the features of a candidate: the free parameters are
#: the simulator's own (in its fingerprint), the target and the scoring act after the features
_NOT_MEASURED = frozenset({"params", "target", "missing_score", "aggregate"})


def _problem_key(problem: Any) -> str:
    """Every field of a FitProblem that its candidates' features depend on, at full precision:
    all init fields but :data:`_NOT_MEASURED`, so that a field added to FitProblem later is part
    of the key unless it is listed there (a stale reuse of saved features is the worse error)."""

    def plain(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, Mapping):
            return sorted((k, plain(x)) for k, x in v.items())
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v

    parts = []
    for f in fields(problem):
        if not f.init or f.name in _NOT_MEASURED:
            continue
        v = getattr(problem, f.name)
        if f.name == "model":
            v = _model_key(v)
        elif f.name == "protocol":
            v = (v.epochs, v.dt, v.t_stop)
        parts.append((f.name, plain(v)))
    return repr(parts)


def _model_key(model: Any) -> Any:
    if hasattr(model, "run_protocol"):  # a CellModel: painted values and the cell's make-up
        c = model.cell
        return (sorted(model.values().items()), model.inject, model.record, model.method,
                c.ra, c.cm, c.v_init, c.celsius, repr(c.nseg), c.properties,
                [(s.name, s.parent, s.parent_x, np.asarray(s.points).tolist())
                 for s in c.sections],
                [(t, type(m).__name__, m.options()) for t, m in c.painted])
    return (type(model).__name__, _values(model), model.options())


def simulate_prior(sim: Simulator, n: int, *, seed: int = 0, chunk: int = 1000,
                   folder: str | None = None, progress: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """``n`` draws from the prior (uniform in ``u``) and their statistics, ``chunk`` per batched
    simulation. Returns ``(u (n, d), s (n, k), timing)``; undefined statistics are filled
    (:meth:`Simulator.set_fill` from the first chunk).

    With ``folder``, every chunk is written there as it finishes (``sims_<k>.npz``) and chunks
    already there are loaded instead of simulated, so a killed run resumes where it stopped.
    """
    if n < 1 or chunk < 1:
        raise ParameterError(f"simulate_prior: n and chunk must be >= 1; got n={n}, chunk={chunk}.")
    rng = np.random.default_rng(seed)
    u_all = rng.random((n, sim.dim))
    if folder:
        os.makedirs(folder, exist_ok=True)
    raw = []
    t_sim = 0.0
    loaded = 0
    fp = sim.fingerprint()
    t0 = time.perf_counter()
    for c, k in enumerate(range(0, n, chunk)):
        u = u_all[k:k + chunk]
        path = os.path.join(folder, f"sims_{c:05d}.npz") if folder else None
        if path and os.path.exists(path):
            with np.load(path) as f:
                if str(f["fingerprint"]) != fp:
                    raise ParameterError(
                        f"simulate_prior: {folder} holds simulations of another problem "
                        "(parameters, bounds, statistics or model differ). Fix: use a new "
                        "folder, or delete that one to simulate again.")
                if f["u"].shape == u.shape and np.array_equal(f["u"], u):
                    raw.append(f["s"])
                    loaded += 1
                    continue
        t1 = time.perf_counter()
        s = sim.raw(sim.from_unit(u), seed=seed * 100_003 + c)
        t_sim += time.perf_counter() - t1
        if path:
            tmp = path + ".tmp.npz"
            np.savez(tmp, u=u, s=s, fingerprint=np.array(fp))
            os.replace(tmp, path)
        raw.append(s)
        if progress:
            print(f"simulations {min(k + chunk, n)}/{n} ({time.perf_counter() - t0:.1f} s)",
                  flush=True)
    s_all = np.concatenate(raw)
    if sim.fill is None:
        sim.set_fill(raw[0])
    return u_all, sim.filled(s_all), {"simulation_s": t_sim, "loaded_chunks": loaded,
                                      "wall_s": time.perf_counter() - t0}
