"""A fit problem: a model, its free parameters (paths, bounds, transforms), a protocol and the
objectives that compare simulated sweeps with targets.

Candidates are evaluated in batches: a population of parameter sets times all sweeps of the
protocol is one compiled simulation (:meth:`Protocol.simulate`), followed by feature extraction
(eFEL) and z-scores against the target (:mod:`.objectives`).

Search coordinates: every free parameter maps to ``u`` in [0, 1], linearly or logarithmically
(``transform="log"``, for conductances spanning decades); optimisers work on ``u``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError

#: The free-parameter path of a fitted holding current (pA; :attr:`FitProblem.holding_pA`).
HOLDING = "holding"

__all__ = ["HOLDING", "Evaluation", "FitProblem", "FreeParameter", "SearchSpace",
           "as_free_parameters", "from_unit", "recorded_baseline", "spike_marked_voltages",
           "synthetic_problem", "synthetic_traces", "to_unit"]

_TRANSFORMS = ("linear", "log", "logit")
_LOGIT_SPAN = 6.0  # logit transform: u in [0, 1] covers logits -6..6 of the position in the box


@dataclass(frozen=True)
class FreeParameter:
    """A parameter to fit: its path (a model parameter name such as ``"g_na"``, or a cell's
    painted parameter such as ``"soma.hh.g_na"``, in the declared unit), bounds ``low < high``
    and the transform of the search coordinate ``u`` in [0, 1]: ``"linear"``, ``"log"``
    (uniform in log: conductances spanning decades) or ``"logit"`` (uniform in the logit of the
    position in the box, ``u = 0.5 ± 0.5`` at logits
    ±6: fine steps near both bounds, for fractions such as a release probability)."""

    path: str
    low: float
    high: float
    transform: str = "linear"

    def __post_init__(self) -> None:
        lo, hi = float(self.low), float(self.high)
        if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
            raise ParameterError(f"FreeParameter({self.path!r}): bounds must be finite with low < "
                                 f"high; got low={self.low!r}, high={self.high!r}. Fix: e.g. "
                                 f"FreeParameter({self.path!r}, 0.5 * value, 2 * value).")
        if self.transform not in _TRANSFORMS:
            raise ParameterError(f"FreeParameter({self.path!r}).transform must be one of "
                                 f"{', '.join(_TRANSFORMS)}; got {self.transform!r}.")
        if self.transform == "log" and lo <= 0:
            raise ParameterError(f"FreeParameter({self.path!r}): a log transform needs low > 0; got "
                                 f"low={lo:g}. Fix: transform='linear', or a positive lower bound.")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    def from_unit(self, u: Any) -> Any:
        """Physical value of search coordinate ``u`` in [0, 1]."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.transform == "log":
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        if self.transform == "logit":
            lo, hi = _sigmoid(-_LOGIT_SPAN), _sigmoid(_LOGIT_SPAN)
            frac = (_sigmoid(_LOGIT_SPAN * (2.0 * u - 1.0)) - lo) / (hi - lo)
            return self.low + frac * (self.high - self.low)
        return self.low + u * (self.high - self.low)

    def to_unit(self, x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        if self.transform == "log":
            return (np.log(x) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        if self.transform == "logit":
            lo, hi = _sigmoid(-_LOGIT_SPAN), _sigmoid(_LOGIT_SPAN)
            q = lo + (x - self.low) / (self.high - self.low) * (hi - lo)
            return (np.log(q / (1.0 - q)) / _LOGIT_SPAN + 1.0) / 2.0
        return (x - self.low) / (self.high - self.low)


def as_free_parameters(params: Sequence[Any], who: str) -> tuple[FreeParameter, ...]:
    """``FreeParameter`` objects from them or from ``(path, low, high[, transform])``."""
    out = []
    for p in params:
        if isinstance(p, FreeParameter):
            out.append(p)
        elif isinstance(p, tuple | list) and len(p) in (3, 4):
            out.append(FreeParameter(*p))
        else:
            raise ParameterError(f"{who}: parameters must be FreeParameter(path, low, high) or "
                                 f"(path, low, high[, transform]) tuples; got {p!r}.")
    if not out:
        raise ParameterError(f"{who}: no parameter. Fix: give at least one (path, low, high).")
    names = [p.path for p in out]
    if len(set(names)) != len(names):
        raise ParameterError(f"{who}: a parameter appears twice ({names}).")
    return tuple(out)


def from_unit(params: Sequence[FreeParameter], u: Any) -> np.ndarray:
    """Physical values ``(n, d)`` of search coordinates ``u`` ``(n, d)`` of ``params``."""
    u = np.atleast_2d(np.asarray(u, dtype=float))
    return np.stack([p.from_unit(u[:, j]) for j, p in enumerate(params)], axis=1)


def to_unit(params: Sequence[FreeParameter], x: Any) -> np.ndarray:
    """Search coordinates ``(n, d)`` of physical values ``x`` ``(n, d)`` of ``params``."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    return np.stack([p.to_unit(x[:, j]) for j, p in enumerate(params)], axis=1)


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


@dataclass
class Evaluation:
    """Scores of a batch of candidates: ``x`` ``(n, d)`` physical values; ``features``
    ``(n, n_sweeps, n_features)``; ``z`` the same shape in SD units; ``total`` ``(n,)``;
    ``trace_rms`` ``(n, n_sweeps)``: each sweep's RMS voltage distance (mV) to the target traces,
    when :meth:`FitProblem.evaluate` was given them (else ``None``)."""

    x: np.ndarray
    features: np.ndarray
    z: np.ndarray
    total: np.ndarray
    sim_s: float = 0.0
    features_s: float = 0.0
    trace_rms: np.ndarray | None = None


class SearchSpace:
    """Coordinates of an object whose ``params`` are :class:`FreeParameter` objects (fit
    problems, inference simulators): their number, paths and the maps between physical values
    and search coordinates."""

    params: Sequence[FreeParameter]

    @property
    def dim(self) -> int:
        return len(self.params)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.params)

    def from_unit(self, u: Any) -> np.ndarray:
        return from_unit(self.params, u)

    def to_unit(self, x: Any) -> np.ndarray:
        return to_unit(self.params, x)


@dataclass
class FitProblem(SearchSpace):
    """Model + free parameters + protocol + feature target.

    Parameters
    ----------
    model: a point-neuron model description, or a multi-compartment
        :class:`~neurodyn.fitting.CellModel` (a bare :class:`~neurodyn.cable.Cell` is wrapped
        with injection and recording at ``soma(0.5)``); its other parameters stay fixed.
    params: the :class:`FreeParameter` list.
    protocol: the :class:`~neurodyn.fitting.Protocol` to simulate.
    target: a :class:`~neurodyn.fitting.objectives.FeatureTarget` (per sweep and feature).
    features: feature names (:data:`~neurodyn.fitting.features.FEATURES`), the target's order.
    threshold: spike detection threshold for eFEL (mV).
    stim_window: ``(start, end)`` ms of the analysed stimulus, numbers or one per sweep
        (default: each sweep's main step, :func:`~neurodyn.fitting.features.step_windows`);
        when given, each sweep's step amplitude is the current in that window.
    method, substeps: integration (see :meth:`Protocol.simulate`).
    holding: ``None`` (the protocol's currents only) or ``"baseline"``: every candidate gets,
        per sweep, the constant current that holds it at ``baseline[s]`` (mV) and starts there
        (:meth:`~neurodyn.models.AbstractNeuronModel.holding`). Use it for recordings whose
        resting potential drifts from sweep to sweep (a changing seal or holding condition that
        no single parameter set reproduces); the pre-stimulus potential is then imposed, so
        leave ``voltage_base`` out of the features.
    baseline: the recorded pre-stimulus potential per sweep (mV), for ``holding="baseline"``
        (:func:`recorded_baseline`).
    margins: ``(before, after)`` ms around each stimulus window that the features see
        (:func:`~neurodyn.fitting.features.extract`; default: the whole sweep).
    aggregate: how the z-scores make the score that the methods minimise: ``"sum"`` (default,
        the sum of z-scores), ``"squares"`` (the sum of their squares; large errors weigh
        more), ``"fourth"`` (of their fourth powers; nearer to minimising the largest error)
        or ``"eighth"`` (of their eighth powers; nearly the largest error alone), or ``"max"``
        (the largest z-score itself).
        NSGA-II's objectives are group sums of the same terms (group maxima with ``"max"``).
    continuous: run the sweeps back to back, as recorded, in one simulation (each starts from
        the state the previous one left; :meth:`Protocol.simulate` ``continuous=True``): for
        cells whose state carries over from sweep to sweep. Needs the protocol's sweep start
        times (:attr:`Protocol.starts`) and excludes ``holding="baseline"``.
    lead_in: with ``continuous``, ms simulated before the first sweep (the model settles under
        the holding current).
    holding_pA: a constant current (pA) through every sweep (and the lead-in), e.g. the bias
        that the recording's holding condition adds to the command. Free it as the parameter
        path ``"holding"`` (:data:`HOLDING`, in pA) to fit it; then it is not a model
        parameter and the fitted model leaves it out.
    clamp_v: the recorded traces ``(n_sweeps, n_samples)`` (mV), to clamp every candidate's
        membrane potential to them until its sweep's stimulus window begins (``stim_window``
        start; :meth:`Protocol.simulate` ``clamp=...``), then release it: each candidate enters
        the analysed step in the state that the cell's own recorded voltage set (spontaneous
        spikes just before the onset, a drifting baseline), while everything the features
        measure after the onset is the model's own response. For recordings whose pre-step
        state varies from sweep to sweep. Excludes ``continuous``; point models without a
        reset (conductance-based) only.
    efel_settings: other eFEL settings for the candidates' features (names of
        ``efel.Settings``; the spike threshold is ``threshold``). Build the target with the same
        settings. E.g. ``{"strict_stiminterval": True}`` detects spikes in the stimulus window
        only, so that a spontaneous spike before the step is not the "first spike" of
        ``time_to_first_spike`` (a negative latency) nor part of the spike-shape means.
    """

    model: Any
    params: Sequence[FreeParameter]
    protocol: Any
    target: Any
    features: Sequence[str]
    threshold: float = -20.0
    stim_window: tuple[Any, Any] | None = None
    method: str | None = None
    substeps: int = 1
    missing_score: float = 250.0
    holding: str | None = None
    baseline: Any = None
    margins: tuple[float, float] | None = None
    aggregate: str = "sum"
    efel_settings: Mapping[str, Any] | None = None
    continuous: bool = False
    lead_in: float = 0.0
    holding_pA: float = 0.0
    clamp_v: Any = None
    n_evaluations: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        from .protocol import _as_protocol_model

        self.model = _as_protocol_model(self.model)
        self.params = tuple(self.params)
        if not self.params:
            raise ParameterError("FitProblem.params is empty. Fix: give at least one "
                                 "FreeParameter(path, low, high).")
        specs = self.model.param_specs()
        names = [p.path for p in self.params]
        if len(set(names)) != len(names):
            raise ParameterError(f"FitProblem.params: a path appears twice ({names}).")
        for p in self.params:
            if p.path == HOLDING:
                continue
            if p.path not in specs:
                import difflib

                close = difflib.get_close_matches(p.path, list(specs), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ParameterError(f"FitProblem: {type(self.model).__name__} has no parameter "
                                     f"{p.path!r}.{hint} Known: {', '.join(specs)}.")
            lo, hi = specs[p.path].bounds
            if (lo is not None and p.low < lo) or (hi is not None and p.high > hi):
                raise ParameterError(f"FitProblem: bounds of {p.path!r} [{p.low:g}, {p.high:g}] "
                                     f"leave the parameter's valid range [{lo}, {hi}] "
                                     f"{specs[p.path].unit}.")
        from .objectives import check_aggregate

        check_aggregate(self.aggregate, "FitProblem.aggregate")
        if self.holding not in (None, "baseline"):
            raise ParameterError(f"FitProblem.holding must be None or 'baseline'; got "
                                 f"{self.holding!r}.")
        if not math.isfinite(float(self.holding_pA)):
            raise ParameterError(f"FitProblem.holding_pA must be a finite current (pA); got "
                                 f"{self.holding_pA!r}.")
        # a fitted or fixed holding current, or sweeps run back to back
        recorded_run = HOLDING in names or bool(self.holding_pA) or self.continuous
        if recorded_run and hasattr(self.model, "run_protocol"):
            raise ParameterError(
                "FitProblem: a holding current ('holding', holding_pA) and continuous=True are "
                "not implemented for a multi-compartment cell. Fix: drop them.")
        if self.holding == "baseline" and recorded_run:
            raise ParameterError(
                "FitProblem: holding='baseline' sets a holding current per sweep; it excludes a "
                "fitted or fixed holding current ('holding', holding_pA) and continuous=True "
                "(one run cannot be held at each sweep's baseline). Fix: drop one of them.")
        if self.continuous:
            if not getattr(self.protocol, "starts", ()):
                raise ParameterError(
                    "FitProblem.continuous needs the protocol's sweep start times "
                    "(Protocol.starts is empty). Fix: build the protocol from a recording read "
                    "whole (read_abf; not Recording.cut), or set continuous=False.")
        elif self.lead_in:
            raise ParameterError("FitProblem.lead_in applies with continuous=True only.")
        if self.holding == "baseline":
            if hasattr(self.model, "run_protocol"):
                raise ParameterError(
                    "FitProblem: holding='baseline' is not implemented for a multi-compartment "
                    "cell (it needs the steady state of the whole tree at the recorded baseline). "
                    "Fix: fit without holding, or set the cell's v_init and leak reversal.")
            n_sw = self.protocol.n_sweeps
            b = None if self.baseline is None else np.asarray(self.baseline, dtype=float)
            if b is None or b.shape != (n_sw,) or not np.all(np.isfinite(b)):
                raise ParameterError(
                    f"FitProblem.baseline: holding='baseline' needs one finite pre-stimulus "
                    f"potential (mV) per sweep ({n_sw}); got {self.baseline!r}. Fix: "
                    "baseline=recorded_baseline(recording.voltages(), protocol).")
            self.baseline = b
            self.holding_inputs(self.from_unit(np.full((1, self.dim), 0.5)))  # model supports it
        from .features import check_efel_settings, resolve_features, step_windows

        self.efel_settings = check_efel_settings(self.efel_settings, "FitProblem.efel_settings")
        start, stop, amp = step_windows(self.protocol, self.stim_window)
        self.stim_window = (start, stop)
        if self.clamp_v is not None:
            self._check_clamp()
        needs = any(f.needs_current for f in resolve_features(self.features))
        self._step_pA = amp  # each sweep's main step (pA): the sign masks of from_traces
        self._step_nA = amp / 1000.0 if needs else None
        self.features = tuple(self.features)

    def _check_clamp(self) -> None:
        who = "FitProblem.clamp_v"
        if self.continuous or hasattr(self.model, "run_protocol") or self.resets:
            raise ParameterError(
                f"{who}: the clamp to the recorded pre-step trace needs separate sweeps "
                "(continuous=False) of a conductance-based point model; got "
                f"{type(self.model).__name__}, continuous={self.continuous}. Fix: drop clamp_v.")
        self.clamp_v = self.protocol.check_traces(self.clamp_v, who)

    # ------------------------------------------------------------------ coordinates: SearchSpace

    def as_dict(self, x: Any) -> dict[str, float]:
        return {p.path: float(v) for p, v in zip(self.params, np.ravel(x))}

    def fitted_model(self, x: Any) -> Any:
        """A new model with the parameters set to ``x`` (a fitted ``"holding"`` current is not
        a model parameter and is left out)."""
        return self.model.replace(**{k: v for k, v in self.as_dict(x).items() if k != HOLDING})

    def param_unit(self, path: str) -> str:
        """The unit of a free parameter (``"holding"``: pA)."""
        return "pA" if path == HOLDING else self.model.param_specs()[path].unit

    # ------------------------------------------------------------------ evaluation
    @property
    def resets(self) -> bool:
        """True for integrate-and-fire models (their spikes are reset events, not waveforms)."""
        return bool(getattr(self.model, "has_reset", False))

    def holding_inputs(self, x: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """For ``holding="baseline"``: per candidate and sweep the holding current (pA,
        ``(n, n_sweeps)``) and the initial-value parameters that start each sweep at its
        baseline."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        with np.errstate(all="ignore"):
            i_pA, init = self.holding_values({p.path: x[:, j] for j, p in enumerate(self.params)})
        return np.array(i_pA), {k: np.array(v) for k, v in init.items()}

    def holding_values(self, values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """:meth:`holding_inputs` for candidate values by path (``(n,)`` arrays, NumPy or
        traced JAX values, as the gradient method passes them): the holding current (pA) and
        the initial values, each ``(n, n_sweeps)``, differentiable in JAX."""
        from ..math import jax_math, numpy_math
        from ..params import is_traced
        from .protocol import _pA_factor

        traced = any(is_traced(v) for v in values.values())
        if traced:
            import jax.numpy as xp

            math = jax_math
        else:
            xp, math = np, numpy_math  # type: ignore[assignment]
        model_b = self.model.replace(**{k: xp.asarray(v)[:, None] for k, v in values.items()})
        i_model, init = self.model.holding(model_b.param_values(),
                                           xp.asarray(self.baseline)[None, :], math)
        n = next(iter(values.values())).shape[0]
        shape = (n, self.protocol.n_sweeps)
        i_pA = xp.broadcast_to(i_model / xp.asarray(_pA_factor(model_b)), shape)
        return i_pA, {k: xp.broadcast_to(v, shape) for k, v in init.items()}

    def protocol_inputs(self, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``batch`` and the other keyword arguments of :meth:`Protocol.simulate` for
        candidate values by path (``(n,)`` arrays, NumPy or traced JAX values): with
        ``holding="baseline"`` the holding currents and the initial values that start each sweep
        at its baseline (:meth:`holding_values`), which replace those parameters in the batch."""
        extra: dict[str, Any] = {"continuous": True, "lead_in": self.lead_in} if self.continuous else {}
        if self.clamp_v is not None:
            extra["clamp"] = (self.clamp_v, self.stim_window[0])
        if self.holding != "baseline":
            values = dict(values)
            hold = values.pop(HOLDING, None)
            if hold is not None or self.holding_pA:
                from ..params import is_traced

                xp: Any = np
                if hold is not None and is_traced(hold):
                    import jax.numpy as xp
                n = len(next(iter(values.values()))) if values else len(hold)
                h = self.holding_pA if hold is None else xp.asarray(hold)[:, None]
                extra["holding"] = xp.broadcast_to(h, (n, self.protocol.n_sweeps))
            return values, extra
        hold, init = self.holding_values(values)
        batch = {k: v for k, v in values.items() if k not in init}
        return batch, {**extra, "holding": hold, "per_sweep": init}

    def simulate(self, x: Any) -> Any:
        """The protocol run for candidates ``x`` ``(n, d)``: a :class:`ProtocolResult`."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        with np.errstate(all="ignore"):
            batch, extra = self.protocol_inputs({p.path: x[:, j] for j, p in enumerate(self.params)})
        # a candidate whose integration fails scores as missing features, it does not stop the fit
        return self.protocol.simulate(self.model, batch=batch, method=self.method,
                                      substeps=self.substeps, spikes=self.resets, throw="continue",
                                      **extra)

    def voltages(self, out: Any) -> np.ndarray:
        """Voltage traces ``(n, n_sweeps, n_samples)`` for feature extraction
        (:func:`spike_marked_voltages`)."""
        return spike_marked_voltages(self.model, self.protocol, out)

    def extract_features(self, v: Any, t: Any) -> np.ndarray:
        """The problem's features of traces ``v`` ``(..., n_sweeps, n_samples)`` (mV) sampled at
        ``t`` (ms), ``(..., n_sweeps, n_features)``: eFEL with the problem's stimulus windows,
        step currents, threshold, margins and eFEL settings. The target and every candidate are
        measured by this one recipe (:meth:`from_traces`, :meth:`evaluate`)."""
        from .features import extract

        return extract(v, t, stim_start=self.stim_window[0], stim_end=self.stim_window[1],
                       features=self.features, threshold=self.threshold,
                       stimulus_current_nA=self._step_nA, margins=self.margins,
                       settings=self.efel_settings)

    @classmethod
    def from_traces(cls, model: Any, params: Sequence[FreeParameter], protocol: Any,
                    traces: Any, features: Sequence[str], *, rel_sd: float = 0.05,
                    floor: Any = None, hyperpolarizing_only: Sequence[str] = (),
                    depolarizing_only: Sequence[str] = (), **options: Any) -> FitProblem:
        """The problem whose target is the features of the recorded (or synthetic) ``traces``
        ``(n_sweeps, n_samples)`` (mV, sampled as ``protocol``), measured exactly as the
        candidates' are (:meth:`extract_features`), with ``SD = max(rel_sd |value|, floor)``
        (:meth:`~neurodyn.fitting.objectives.FeatureTarget.from_values`).

        ``hyperpolarizing_only`` features are scored on sweeps with a negative step only,
        ``depolarizing_only`` ones on positive steps only (elsewhere the target is undefined);
        a feature may be in one of the two at most.
        ``options`` are the other :class:`FitProblem` fields (threshold, method, holding, ...)."""
        from .objectives import FeatureTarget

        features = list(features)
        for key, sub in (("hyperpolarizing_only", hyperpolarizing_only),
                         ("depolarizing_only", depolarizing_only)):
            unknown = [f for f in sub if f not in features]
            if unknown:
                raise ParameterError(f"FitProblem.from_traces: {key} names {unknown}, which are "
                                     f"not among the features ({', '.join(features)}).")
        both = sorted(set(hyperpolarizing_only) & set(depolarizing_only))
        if both:
            raise ParameterError(f"FitProblem.from_traces: {both} are in both hyperpolarizing_only "
                                 "and depolarizing_only, so they would be scored on no sweep; "
                                 "keep each feature in one of them at most.")
        # the target is not known before the features are measured; it is set just below
        problem = cls(model, params, protocol, None, features, **options)
        f = problem.extract_features(np.asarray(traces, dtype=float), np.asarray(protocol.t))
        amp = problem._step_pA
        for name in hyperpolarizing_only:
            f[amp >= 0, features.index(name)] = np.nan
        for name in depolarizing_only:
            f[amp <= 0, features.index(name)] = np.nan
        problem.target = FeatureTarget.from_values(f, features, rel_sd=rel_sd, floor=floor)
        return problem

    def evaluate(self, x: Any, target_v: Any = None) -> Evaluation:
        """Features, z-scores and the score (:attr:`aggregate`) for candidates ``x`` ``(n, d)``
        (physical units). With ``target_v`` ``(n_sweeps, n_samples)`` (mV, sampled as the
        protocol), also each sweep's RMS distance to it over the whole sweep
        (:attr:`Evaluation.trace_rms`, mV; NaN where a candidate's integration failed)."""
        from .objectives import total, trace_distance, zscores

        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != self.dim:
            raise ParameterError(f"FitProblem.evaluate: x must have {self.dim} columns "
                                 f"({', '.join(self.paths)}); got shape {x.shape}.")
        if target_v is not None:
            target_v = self.check_target_v(target_v, "FitProblem.evaluate")
        t0 = time.perf_counter()
        out = self.simulate(x)
        v = self.voltages(out)
        t1 = time.perf_counter()
        feats = self.extract_features(v, np.asarray(out.t))
        t2 = time.perf_counter()
        z = zscores(feats, self.target, missing_score=self.missing_score)
        rms = None
        if target_v is not None:
            rms = np.asarray(trace_distance(v, target_v, self.protocol.dt, per_sweep=True))
        self.n_evaluations += x.shape[0]
        return Evaluation(x, feats, z, np.asarray(total(z, self.target, self.aggregate)),
                          t1 - t0, t2 - t1, rms)

    def check_target_v(self, target_v: Any, who: str) -> np.ndarray:
        """``target_v`` as a float array of the protocol's shape ``(n_sweeps, n_samples)``
        (mV), or a :class:`ParameterError` that names ``who`` (:meth:`Protocol.check_traces`)."""
        return self.protocol.check_traces(target_v, f"{who}: target_v",
                                          fix="pass recording.voltages() or a simulated trace, "
                                              "sampled as the protocol, without gaps")

    def describe(self) -> str:
        rows = [f"{type(self.model).__name__}: {self.dim} free parameters, "
                f"{self.protocol.n_sweeps} sweeps, {len(self.features)} features"]
        rows += [f"  {p.path}: [{p.low:g}, {p.high:g}] ({p.transform})" for p in self.params]
        return "\n".join(rows)


def recorded_baseline(v: Any, protocol: Any) -> np.ndarray:
    """The pre-stimulus potential of each sweep of a recording (mV): the median of ``v``
    ``(n_sweeps, n_samples)`` before the sweep's first current epoch (the median ignores
    spontaneous spikes). Raises if a sweep has no stimulus-free start."""
    v = np.asarray(v, dtype=float)
    out = []
    for s, eps in enumerate(protocol.epochs):
        start = min((e.start for e in eps), default=protocol.t_stop)
        k = round(start / protocol.dt)
        if k < 2:
            raise ParameterError(f"recorded_baseline: sweep {s} has current from its first sample; "
                                 "no pre-stimulus baseline. Fix: give baseline=... yourself.")
        out.append(float(np.median(v[s, :k])))
    return np.array(out)


def spike_marked_voltages(model: Any, protocol: Any, out: Any) -> np.ndarray:
    """The voltage traces of a protocol run, ``(*batch, n_sweeps, n_samples)``. For reset
    (integrate-and-fire) models each spike becomes a 0.2 ms pulse at the model's ``v_peak`` (or
    +20 mV) from the spike's sample, so that eFEL sees the spike the reset removed from the
    sampled trace and keeps it through its resampling; waveform features (AP amplitude, width)
    are then not meaningful for them. Other models' traces are returned as they are."""
    v = np.array(out.v, dtype=float)
    if not getattr(model, "has_reset", False):
        return v
    peak = float(np.max(np.asarray(getattr(model, "v_peak", 20.0))))
    dt = protocol.dt
    flat_v = v.reshape(-1, v.shape[-1])
    width = max(2, round(0.2 / dt))
    for k, tr in enumerate(out.spike_times().reshape(-1)):
        start = np.floor(np.asarray(tr, dtype=float) / dt).astype(int)
        idx = np.clip((start[:, None] + np.arange(width)).ravel(), 0, flat_v.shape[1] - 1)
        flat_v[k, idx] = peak
    return flat_v.reshape(v.shape)


def synthetic_traces(model: Any, protocol: Any, truth: Mapping[str, float], *,
                     method: str | None = None, substeps: int = 1, noise_mV: float = 0.0,
                     seed: int = 0) -> np.ndarray:
    """Synthetic data: the traces ``(n_sweeps, n_samples)`` (mV) of ``model`` with the parameter
    values ``truth`` under ``protocol`` (spikes marked for reset models), plus white noise of SD
    ``noise_mV`` drawn with ``seed``."""
    out = protocol.simulate(model, batch={k: np.array([v]) for k, v in truth.items()},
                            method=method, substeps=substeps,
                            spikes=bool(getattr(model, "has_reset", False)))
    v = spike_marked_voltages(model, protocol, out)[0]
    if noise_mV:
        v = v + np.random.default_rng(seed).normal(0.0, noise_mV, v.shape)
    return v



def synthetic_problem(model: Any, protocol: Any, truth: Mapping[str, float],
                      params: Sequence[FreeParameter], features: Sequence[str], *,
                      method: str | None = None, substeps: int = 1, threshold: float = -20.0,
                      noise_mV: float = 0.0, seed: int = 0,
                      rel_sd: float = 0.05) -> tuple[FitProblem, np.ndarray]:
    """A parameter-recovery problem: the traces of ``model`` with the values ``truth`` under
    ``protocol`` (plus ``noise_mV`` of white noise, :func:`synthetic_traces`), their ``features``
    in each sweep's main step as the target (``SD = max(rel_sd |value|, floor)``,
    :meth:`FeatureTarget.from_values`), and the :class:`FitProblem` over ``params``. Returns the
    problem and the traces ``(n_sweeps, n_samples)`` (mV)."""
    v = synthetic_traces(model, protocol, truth, method=method, substeps=substeps,
                         noise_mV=noise_mV, seed=seed)
    return FitProblem.from_traces(model, params, protocol, v, features, rel_sd=rel_sd,
                                  threshold=threshold, method=method, substeps=substeps), v
