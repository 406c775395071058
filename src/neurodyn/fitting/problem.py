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

__all__ = ["Evaluation", "FitProblem", "FreeParameter", "spike_marked_voltages",
           "synthetic_traces"]

_TRANSFORMS = ("linear", "log")


@dataclass(frozen=True)
class FreeParameter:
    """A parameter to fit: its path (a model parameter name such as ``"g_na"``, in the model's
    declared unit), bounds ``low < high`` and the transform of the search coordinate."""

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
        return self.low + u * (self.high - self.low)

    def to_unit(self, x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        if self.transform == "log":
            return (np.log(x) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        return (x - self.low) / (self.high - self.low)


@dataclass
class Evaluation:
    """Scores of a batch of candidates: ``x`` ``(n, d)`` physical values; ``features``
    ``(n, n_sweeps, n_features)``; ``z`` the same shape in SD units; ``total`` ``(n,)``."""

    x: np.ndarray
    features: np.ndarray
    z: np.ndarray
    total: np.ndarray
    sim_s: float = 0.0
    features_s: float = 0.0


@dataclass
class FitProblem:
    """Model + free parameters + protocol + feature target.

    Parameters
    ----------
    model: a point-neuron model description (its other parameters stay fixed).
    params: the :class:`FreeParameter` list.
    protocol: the :class:`~neurodyn.fitting.Protocol` to simulate.
    target: a :class:`~neurodyn.fitting.objectives.FeatureTarget` (per sweep and feature).
    features: feature names (:data:`~neurodyn.fitting.features.FEATURES`), the target's order.
    threshold: spike detection threshold for eFEL (mV).
    stim_window: ``(start, end)`` ms of the analysed stimulus, numbers or one per sweep
        (default: each sweep's main step, :func:`~neurodyn.fitting.features.step_windows`).
    method, substeps: integration (see :meth:`Protocol.simulate`).
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
    n_evaluations: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.params = tuple(self.params)
        if not self.params:
            raise ParameterError("FitProblem.params is empty. Fix: give at least one "
                                 "FreeParameter(path, low, high).")
        specs = self.model.param_specs()
        names = [p.path for p in self.params]
        if len(set(names)) != len(names):
            raise ParameterError(f"FitProblem.params: a path appears twice ({names}).")
        for p in self.params:
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
        if self.stim_window is None:
            from .features import step_windows

            start, stop, _ = step_windows(self.protocol)
            self.stim_window = (start, stop)
        self.features = tuple(self.features)

    # ------------------------------------------------------------------ coordinates
    @property
    def dim(self) -> int:
        return len(self.params)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.params)

    def from_unit(self, u: Any) -> np.ndarray:
        u = np.atleast_2d(np.asarray(u, dtype=float))
        return np.stack([p.from_unit(u[:, j]) for j, p in enumerate(self.params)], axis=1)

    def to_unit(self, x: Any) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        return np.stack([p.to_unit(x[:, j]) for j, p in enumerate(self.params)], axis=1)

    def as_dict(self, x: Any) -> dict[str, float]:
        return {p.path: float(v) for p, v in zip(self.params, np.ravel(x))}

    def fitted_model(self, x: Any) -> Any:
        """A new model with the parameters set to ``x``."""
        return self.model.replace(**self.as_dict(x))

    # ------------------------------------------------------------------ evaluation
    @property
    def resets(self) -> bool:
        """True for integrate-and-fire models (their spikes are reset events, not waveforms)."""
        return bool(getattr(self.model, "has_reset", False))

    def simulate(self, x: Any) -> Any:
        """The protocol run for candidates ``x`` ``(n, d)``: a :class:`ProtocolResult`."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        batch = {p.path: x[:, j] for j, p in enumerate(self.params)}
        return self.protocol.simulate(self.model, batch=batch, method=self.method,
                                      substeps=self.substeps, spikes=self.resets)

    def voltages(self, out: Any) -> np.ndarray:
        """Voltage traces ``(n, n_sweeps, n_samples)`` for feature extraction
        (:func:`spike_marked_voltages`)."""
        return spike_marked_voltages(self.model, self.protocol, out)

    def evaluate(self, x: Any) -> Evaluation:
        """Features, z-scores and their sum for candidates ``x`` ``(n, d)`` (physical units)."""
        from .features import extract
        from .objectives import total, zscores

        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != self.dim:
            raise ParameterError(f"FitProblem.evaluate: x must have {self.dim} columns "
                                 f"({', '.join(self.paths)}); got shape {x.shape}.")
        t0 = time.perf_counter()
        out = self.simulate(x)
        v = self.voltages(out)
        t1 = time.perf_counter()
        feats = extract(v, np.asarray(out.t), stim_start=self.stim_window[0],
                        stim_end=self.stim_window[1], features=self.features,
                        threshold=self.threshold)
        t2 = time.perf_counter()
        z = zscores(feats, self.target, missing_score=self.missing_score)
        self.n_evaluations += x.shape[0]
        return Evaluation(x, feats, z, np.asarray(total(z, self.target)), t1 - t0, t2 - t1)

    def describe(self) -> str:
        rows = [f"{type(self.model).__name__}: {self.dim} free parameters, "
                f"{self.protocol.n_sweeps} sweeps, {len(self.features)} features"]
        rows += [f"  {p.path}: [{p.low:g}, {p.high:g}] ({p.transform})" for p in self.params]
        return "\n".join(rows)


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

