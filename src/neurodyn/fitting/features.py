"""Electrophysiological features of current-clamp sweeps, computed with eFEL.

neurodyn does not re-implement feature algorithms: every per-sweep feature is eFEL's
(``efel.get_feature_values``, serial), on traces in eFEL's units (``T`` in ms, ``V`` in mV, the
stimulus current in nA) with ``stim_start``/``stim_end`` in ms. neurodyn adds

* a registry, :data:`FEATURES`, of neurodyn names with the eFEL feature each uses, its unit and
  what it measures (:class:`FeatureSpec`);
* batching: :func:`extract` takes traces ``(*batch, n_sweeps, n_samples)`` and returns
  ``(*batch, n_sweeps, n_features)`` float64, one number per sweep and feature: the **mean** of
  eFEL's values (eFEL returns one value per spike for spike-shape features, e.g.
  ``AP_amplitude``; the PEERS benchmark scores ``|mean − target|``);
* NaN for "not defined": eFEL returning ``None`` (an error, e.g. no spike) or an empty array,
  a non-finite value, or a trace that contains NaN/Inf (never passed to eFEL);
* the cross-sweep feature ``rheobase`` (see :func:`rheobase`);
* :func:`protocol_features`, which takes the stimulus window and currents from a
  :class:`~neurodyn.fitting.Protocol` (see :func:`step_windows`).

eFEL keeps its settings in module-level state. :func:`extract` sets the spike threshold (and
any ``settings`` given) for the duration of the call and restores the previous values
afterwards, even on error; it is not thread-safe (eFEL is not).

Cost: about 2.4 ms per trace for a 700 ms trace at dt = 0.025 ms (28 001 samples) with the 8
features of the PEERS benchmark, on one core (eFEL 5.7; ``tests/unit/test_features.py`` prints
the number on the machine it runs on).
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = [
    "FEATURES",
    "PEERS_FEATURES",
    "FeatureSpec",
    "check_efel_settings",
    "extract",
    "protocol_features",
    "resolve_features",
    "rheobase",
    "step_windows",
]


@dataclass(frozen=True)
class FeatureSpec:
    """A feature: its neurodyn name, the eFEL feature it uses, its unit and how it is reduced.

    Attributes
    ----------
    name:
        neurodyn name (the key in :data:`FEATURES`).
    efel:
        The eFEL feature (``None`` for features neurodyn computes from eFEL's: ``rheobase``).
    unit:
        Unit of the value (``"1"``: dimensionless).
    doc:
        What it measures (eFEL's definition, in short).
    reduction:
        ``"mean"``: the mean of eFEL's values for the sweep (one per spike for spike-shape
        features, a single value otherwise); ``"cross-sweep"``: one value per protocol.
    needs_current:
        The feature needs the step amplitude of each sweep (``stimulus_current_nA``).
    """

    name: str
    efel: str | None
    unit: str
    doc: str
    reduction: str = "mean"
    needs_current: bool = False

    @property
    def per_sweep(self) -> bool:
        return self.reduction != "cross-sweep"


def _spec(name: str, efel: str | None, unit: str, doc: str, **kw: Any) -> tuple[str, FeatureSpec]:
    return name, FeatureSpec(name, efel, unit, doc, **kw)


#: The registry of features by neurodyn name.
FEATURES: dict[str, FeatureSpec] = dict([
    _spec("spike_count", "spike_count", "1",
          "Number of spikes (peaks above the threshold) in the whole trace. eFEL 5.7's name for "
          "the deprecated 'Spikecount' (same values)."),
    _spec("spike_count_stimint", "spike_count_stimint", "1",
          "Number of spikes in the stimulus window [stim_start, stim_end] (eFEL "
          "spike_count_stimint)."),
    _spec("mean_frequency", "mean_frequency", "Hz",
          "Spikes in the stimulus window divided by the time from stim_start to the last spike "
          "in the window (x 1000)."),
    _spec("time_to_first_spike", "time_to_first_spike", "ms",
          "Time from stim_start to the peak of the first spike."),
    _spec("AP_amplitude", "AP_amplitude", "mV",
          "Mean over spikes of peak voltage minus the voltage at spike onset (dV/dt threshold)."),
    _spec("AP_width", "AP_width", "ms",
          "Mean over spikes of the width at the spike-detection threshold."),
    _spec("AHP_depth_abs", "AHP_depth_abs", "mV",
          "Mean over spikes of the absolute voltage at the first after-hyperpolarisation minimum."),
    _spec("voltage_base", "voltage_base", "mV",
          "Mean voltage over the last 10% of the time before stim_start (0.9-1.0 x stim_start)."),
    _spec("steady_state_voltage", "steady_state_voltage", "mV",
          "Mean voltage after stim_end (to the end of the trace)."),
    _spec("ISI_CV", "ISI_CV", "1",
          "Coefficient of variation of the interspike intervals (the first ISI is ignored, "
          "eFEL's ignore_first_ISI default)."),
    _spec("adaptation_index", "adaptation_index2", "1",
          "eFEL adaptation_index2: mean of (ISI[i+1] - ISI[i]) / (ISI[i+1] + ISI[i]) over the "
          "spikes in the stimulus window, from the second ISI; 0 for constant firing."),
    _spec("sag_ratio", "sag_ratio1", "1",
          "eFEL sag_ratio1: sag amplitude / (voltage_base - minimum voltage) on a "
          "hyperpolarising step; NaN on depolarising steps."),
    _spec("input_resistance", "ohmic_input_resistance_vb_ssse", "MOhm",
          "eFEL ohmic_input_resistance_vb_ssse: (mean V over the last 10% of the step - "
          "voltage_base) / step current (nA); needs stimulus_current_nA.", needs_current=True),
    _spec("time_constant", "time_constant", "ms",
          "eFEL time_constant: the membrane time constant from an exponential fit to the decay "
          "after stim_start, the feature eFEL documents for a cell on a hyperpolarising step "
          "(decay_time_constant_after_stim instead fits 1-10 ms after stim_end). Meaningless on "
          "spiking sweeps."),
    _spec("rheobase", None, "pA",
          "Smallest step amplitude of the protocol whose sweep has at least one spike in the "
          "stimulus window (eFEL spike_count_stimint); NaN if no sweep spikes. Cross-sweep: "
          "reported once, in the row of the first sweep (NaN in the other rows).",
          reduction="cross-sweep", needs_current=True),
])

#: The 8 features of the PEERS fitting benchmark, in its order.
PEERS_FEATURES: tuple[str, ...] = (
    "spike_count", "mean_frequency", "time_to_first_spike", "AP_amplitude", "AP_width",
    "AHP_depth_abs", "voltage_base", "steady_state_voltage",
)

_EFEL_PREFIX = "efel:"


# ---------------------------------------------------------------------------------------- helpers
def _import_efel() -> Any:
    try:
        import efel
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "neurodyn.fitting.features needs eFEL. Fix: pip install efel "
            "(or pip install 'neurodyn[fitting]')."
        ) from None
    return efel


def resolve_features(features: Sequence[str] | str, who: str = "extract") -> tuple[FeatureSpec, ...]:
    """The :class:`FeatureSpec` of each name; unknown names raise :class:`ParameterError` with
    the closest known names. ``"efel:<name>"`` uses any eFEL feature directly (mean reduction,
    unit unknown)."""
    if isinstance(features, str):
        features = [features]
    try:
        names = [str(f) for f in features]
    except TypeError:
        raise ParameterError(
            f"{who}.features must be a list of feature names; got {type(features).__name__}. "
            f"Fix: e.g. features={list(PEERS_FEATURES[:3])!r}."
        ) from None
    if not names:
        raise ParameterError(f"{who}.features is empty. Fix: give at least one of {', '.join(FEATURES)}.")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ParameterError(f"{who}.features lists {dup} more than once. Fix: give each feature once.")
    out = []
    for n in names:
        if n in FEATURES:
            out.append(FEATURES[n])
            continue
        if n.startswith(_EFEL_PREFIX):
            raw = n[len(_EFEL_PREFIX):]
            efel = _import_efel()
            if raw and efel.feature_name_exists(raw):
                out.append(FeatureSpec(n, raw, "", f"eFEL feature {raw!r} (mean of its values)."))
                continue
            close = difflib.get_close_matches(raw, efel.get_feature_names(), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(_EFEL_PREFIX + c for c in close)}?" if close else ""
            raise ParameterError(
                f"{who}: eFEL has no feature {raw!r}.{hint} Fix: use a name from "
                "efel.get_feature_names() after 'efel:'."
            )
        lower = {k.lower(): k for k in FEATURES}
        alias = {spec.efel.lower(): k for k, spec in FEATURES.items() if spec.efel}
        alias["spikecount"] = "spike_count"
        close = difflib.get_close_matches(n, list(FEATURES), n=3, cutoff=0.5)
        for cand in (lower.get(n.lower()), alias.get(n.lower())):
            if cand and cand not in close:
                close.insert(0, cand)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ParameterError(
            f"{who}: unknown feature {n!r}.{hint} Fix: use one of {', '.join(FEATURES)}, or "
            f"'efel:<name>' for any other eFEL feature."
        )
    return tuple(out)


def check_efel_settings(settings: Mapping[str, Any] | None, who: str, *,
                        known_only: bool = True) -> dict[str, Any]:
    """``settings`` as a dict of eFEL settings, checked: a mapping by setting name, without the
    spike threshold (``Threshold``: the ``threshold`` argument sets it) and, with
    ``known_only``, only names of ``efel.Settings`` (a misspelt name would otherwise be added
    as a new setting and silently change nothing)."""
    if settings is None:
        return {}
    if not isinstance(settings, Mapping) or not all(isinstance(k, str) for k in settings):
        raise ParameterError(f"{who} must map eFEL setting names to values; got {settings!r}. "
                             "Fix: e.g. {'strict_stiminterval': True}.")
    if "Threshold" in settings:
        raise ParameterError(
            f"{who}: set the spike threshold with threshold=..., not the eFEL setting "
            "'Threshold'. Fix: e.g. threshold=-20.0 (mV).")
    if known_only:
        known = list(vars(_import_efel().Settings()))
        for k in settings:
            if k not in known:
                close = difflib.get_close_matches(k, known, n=2, cutoff=0.6)
                hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
                raise ParameterError(f"{who}: eFEL has no setting {k!r}.{hint} Fix: use a "
                                     "field of efel.Settings.")
    return dict(settings)


@contextmanager
def _efel_settings(efel: Any, values: Mapping[str, Any]) -> Iterator[None]:
    """Set eFEL settings for the duration of the block; restore the previous values after."""
    current = efel.get_settings()
    old = {k: getattr(current, k) for k in values if hasattr(current, k)}
    added = [k for k in values if not hasattr(current, k)]
    try:
        for k, x in values.items():
            try:
                efel.set_setting(k, x)
            except (TypeError, ValueError) as exc:
                raise ParameterError(
                    f"extract.settings: eFEL rejects {k}={x!r} ({exc}). Fix: give a value of the "
                    "setting's type (see efel.Settings)."
                ) from None
        yield
    finally:
        now = efel.get_settings()
        for k, x in old.items():
            setattr(now, k, x)
        for k in added:
            if k in vars(now):
                delattr(now, k)


def _per_sweep(x: Any, n_sweeps: int, what: str, unit: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"extract.{what} must be a time in {unit} (a number or one per sweep); got {x!r}."
        ) from None
    if a.ndim > 1 or (a.ndim == 1 and a.size not in (1, n_sweeps)):
        raise ParameterError(
            f"extract.{what} must be one number or one per sweep ({n_sweeps}), in {unit}; got "
            f"shape {a.shape}. Fix: pass a scalar or an array of shape ({n_sweeps},)."
        )
    return np.broadcast_to(a.reshape(-1) if a.ndim else a, (n_sweeps,)).astype(np.float64)


def _reduce(values: Any) -> float:
    if values is None:
        return math.nan
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    if a.size == 0:
        return math.nan
    m = float(np.mean(a))
    return m if math.isfinite(m) else math.nan


def _run_efel(efel: Any, traces: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """eFEL on all traces in one call; on an exception, trace by trace and then feature by
    feature, so that one failing feature gives ``None`` (NaN) instead of an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return efel.get_feature_values(traces, names, parallel_map=None, raise_warnings=False)
        except Exception:  # eFEL raises bare Exceptions
            pass
        out: list[dict[str, Any]] = []
        for tr in traces:
            row: dict[str, Any] = {}
            for n in names:
                try:
                    row[n] = efel.get_feature_values([tr], [n], parallel_map=None,
                                                     raise_warnings=False)[0][n]
                except Exception:
                    row[n] = None
            out.append(row)
        return out


# ---------------------------------------------------------------------------------------- extract
def extract(
    v: Any,
    t: Any,
    *,
    stim_start: float | Sequence[float] | np.ndarray,
    stim_end: float | Sequence[float] | np.ndarray,
    features: Sequence[str] | str,
    threshold: float = -20.0,
    stimulus_current_nA: Any = None,
    settings: Mapping[str, Any] | None = None,
    margins: tuple[float, float] | None = None,
) -> np.ndarray:
    """Features of every sweep (and every parameter set), computed with eFEL.

    Parameters
    ----------
    v:
        Membrane potential in mV, ``(*batch, n_sweeps, n_samples)`` or ``(n_sweeps,
        n_samples)`` (NumPy or JAX array, e.g. :attr:`ProtocolResult.v`).
    t:
        Sample times in ms, ``(n_samples,)``, shared by all sweeps.
    stim_start, stim_end:
        The stimulus window in ms: one number, or one per sweep ``(n_sweeps,)``.
    features:
        Names from :data:`FEATURES` (or ``"efel:<name>"`` for any eFEL feature).
    threshold:
        eFEL's spike-detection threshold (mV; eFEL's default -20 mV).
    stimulus_current_nA:
        The step amplitude (relative to the holding current) in nA, broadcastable to
        ``(*batch, n_sweeps)``; needed by ``input_resistance`` and ``rheobase`` (reported in pA).
    settings:
        Other eFEL settings for this call (e.g. ``{"interp_step": 0.025}``; eFEL's default
        interpolates the trace at 0.1 ms, so times are resolved to about 0.1 ms). Restored
        afterwards.
    margins:
        ``(before, after)`` ms: analyse each sweep only on ``[stim_start - before, stim_end +
        after]`` (default: the whole trace). Spontaneous spikes outside that span then do not
        enter spike counts, AP shapes or latencies; ``before`` must cover eFEL's baseline window
        (the last 10 % of the time before ``stim_start``) when baseline-based features are used.

    Returns
    -------
    numpy.ndarray
        ``(*batch, n_sweeps, n_features)`` float64: per sweep, the mean of eFEL's values; NaN
        where the feature is not defined (eFEL error or empty result, e.g. spike features
        without spikes) and for every feature of a trace that contains NaN/Inf. Cross-sweep
        features (``rheobase``) are written in the first sweep's row, NaN in the others.

    Raises
    ------
    ParameterError
        Unknown features (the closest names are suggested), arrays of the wrong shape, a
        stimulus window outside the trace or empty, a missing ``stimulus_current_nA``.
    """
    specs = resolve_features(features)
    efel = _import_efel()
    va = np.asarray(v, dtype=np.float64)
    if va.ndim < 2:
        raise ParameterError(
            f"extract: v must be (n_sweeps, n_samples) or (*batch, n_sweeps, n_samples) in mV; got "
            f"shape {va.shape}. Fix: for a single trace pass v[None] (one sweep)."
        )
    *batch, n_sw, n_s = va.shape
    ta = np.asarray(t, dtype=np.float64)
    if ta.ndim != 1 or ta.size != n_s:
        raise ParameterError(
            f"extract: t must be the 1-D sample times (ms) of the traces, {n_s} values; got shape "
            f"{ta.shape}. Fix: pass result.t (shared by all sweeps)."
        )
    if n_s < 2 or not np.all(np.isfinite(ta)) or np.any(np.diff(ta) <= 0):
        raise ParameterError(
            "extract: t must be finite and strictly increasing (ms), with at least 2 samples. "
            "Fix: pass the sample times of the traces (e.g. result.t)."
        )
    thr = float(threshold)
    if not math.isfinite(thr):
        raise ParameterError(f"extract.threshold must be a finite voltage (mV); got {threshold!r}.")
    start = _per_sweep(stim_start, n_sw, "stim_start", "ms")
    end = _per_sweep(stim_end, n_sw, "stim_end", "ms")
    dt = float(ta[1] - ta[0])
    bad = ~(np.isfinite(start) & np.isfinite(end) & (start < end) & (start >= ta[0] - 1e-9 * dt)
            & (end <= ta[-1] + dt * (1 + 1e-9)))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"extract: the stimulus window of sweep {k} is [{start[k]:g}, {end[k]:g}) ms; it must "
            f"satisfy {ta[0]:g} <= stim_start < stim_end <= {ta[-1] + dt:g} ms (the trace). Fix: "
            "give the step's start and end in ms (e.g. from step_windows(protocol))."
        )
    current = None
    if any(s.needs_current for s in specs):
        if stimulus_current_nA is None:
            need = [s.name for s in specs if s.needs_current]
            raise ParameterError(
                f"extract: {', '.join(need)} need(s) the step amplitude of each sweep; got "
                "stimulus_current_nA=None. Fix: pass stimulus_current_nA (nA, one per sweep), or "
                "use protocol_features(result, protocol, ...) which takes it from the protocol."
            )
        try:
            current = np.broadcast_to(np.asarray(stimulus_current_nA, dtype=np.float64),
                                      (*batch, n_sw))
        except ValueError:
            raise ParameterError(
                f"extract.stimulus_current_nA must broadcast to (*batch, n_sweeps) = "
                f"{(*batch, n_sw)}; got shape {np.shape(stimulus_current_nA)}. Fix: one value per "
                "sweep in nA."
            ) from None
    settings = check_efel_settings(settings, "extract.settings", known_only=False)
    spans = None
    if margins is not None:
        try:
            before, after = (float(x) for x in margins)
        except (TypeError, ValueError):
            raise ParameterError(f"extract.margins must be (before, after) in ms; got "
                                 f"{margins!r}.") from None
        if not (before >= 0 and after >= 0 and math.isfinite(before) and math.isfinite(after)):
            raise ParameterError(f"extract.margins must be two finite times >= 0 ms; got "
                                 f"{margins!r}. Fix: e.g. margins=(0.1 * stim_start, 0).")
        lo = np.searchsorted(ta, start - before - 1e-9 * dt)
        hi = np.searchsorted(ta, end + after + 1e-9 * dt, side="right")
        spans = np.stack([lo, np.maximum(hi, lo + 2)], axis=1)
    return _extract(efel, va, ta, start, end, specs, thr, current, settings, spans)


def _extract(efel: Any, va: np.ndarray, ta: np.ndarray, start: np.ndarray, end: np.ndarray,
             specs: tuple[FeatureSpec, ...], thr: float, current: np.ndarray | None,
             settings: dict[str, Any], spans: np.ndarray | None = None) -> np.ndarray:
    *batch, n_sw, n_s = va.shape
    n_tr = int(np.prod(batch, dtype=np.int64)) * n_sw
    flat = va.reshape(n_tr, n_s)
    cur = None if current is None else np.asarray(current, dtype=np.float64).reshape(n_tr)
    want_rheo = any(s.name == "rheobase" for s in specs)
    names = list(dict.fromkeys(s.efel for s in specs if s.efel))
    if want_rheo and "spike_count_stimint" not in names:
        names.append("spike_count_stimint")
    needs_cur = any(s.efel and s.needs_current for s in specs)
    finite = np.all(np.isfinite(flat), axis=1)
    idx = np.flatnonzero(finite)
    traces = []
    for k in idx:
        s = int(k) % n_sw
        a, b = (0, n_s) if spans is None else spans[s]
        tr: dict[str, Any] = {"T": ta[a:b], "V": flat[k][a:b], "stim_start": [float(start[s])],
                              "stim_end": [float(end[s])]}
        if needs_cur and cur is not None:
            tr["stimulus_current"] = [float(cur[k])]
        traces.append(tr)
    values = np.full((n_tr, len(specs)), np.nan)
    spikes = np.full(n_tr, np.nan)
    if traces and names:
        with _efel_settings(efel, {**settings, "Threshold": thr}):
            rows = _run_efel(efel, traces, names)
        for k, row in zip(idx, rows):
            for j, sp in enumerate(specs):
                if sp.efel is None:
                    continue
                if sp.needs_current and cur is not None and not (math.isfinite(cur[k]) and cur[k] != 0):
                    continue  # no step: eFEL would divide by zero
                values[k, j] = _reduce(row.get(sp.efel))
            if want_rheo:
                spikes[k] = _reduce(row.get("spike_count_stimint"))
    out = values.reshape(*batch, n_sw, len(specs))
    if want_rheo and cur is not None:
        j = next(j for j, s in enumerate(specs) if s.name == "rheobase")
        amps_pA = np.vectorize(lambda x: float(f"{x * 1000.0:.12g}"), otypes=[float])(cur)
        out[..., 0, j] = rheobase(spikes.reshape(*batch, n_sw), amps_pA.reshape(*batch, n_sw))
    return out


# ---------------------------------------------------------------------------------------- rheobase
def rheobase(spike_counts: Any, amplitudes_pA: Any) -> np.ndarray:
    """The smallest step amplitude (pA) whose sweep has at least one spike.

    Parameters
    ----------
    spike_counts:
        Spikes per sweep, ``(*batch, n_sweeps)``; NaN (undefined sweep) counts as no spike.
    amplitudes_pA:
        Step amplitude of each sweep in pA, broadcastable to ``spike_counts``.

    Returns
    -------
    numpy.ndarray
        ``(*batch,)``: the smallest amplitude among the sweeps with ``count >= 1``; NaN where no
        sweep spikes. Sweeps need not be sorted by amplitude.
    """
    c = np.asarray(spike_counts, dtype=np.float64)
    if c.ndim < 1:
        raise ParameterError(
            f"rheobase: spike_counts must be (*batch, n_sweeps); got a scalar {spike_counts!r}. "
            "Fix: pass one count per sweep."
        )
    try:
        a = np.broadcast_to(np.asarray(amplitudes_pA, dtype=np.float64), c.shape)
    except ValueError:
        raise ParameterError(
            f"rheobase: amplitudes_pA (shape {np.shape(amplitudes_pA)}) must broadcast to the spike "
            f"counts {c.shape}. Fix: one amplitude (pA) per sweep."
        ) from None
    fired = np.nan_to_num(c, nan=0.0) >= 1
    masked = np.where(fired, a, np.inf)
    out = masked.min(axis=-1)
    return np.where(np.isfinite(out), out, np.nan)


# ---------------------------------------------------------------------------------------- protocols
def step_windows(protocol: Any, window: tuple[Any, Any] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The main step of every sweep of a protocol: ``(start_ms, stop_ms, amplitude_pA)``, each
    ``(n_sweeps,)``.

    Rule: the holding level of a sweep is the current at t = 0 (0 if no epoch covers it). The
    main step is the **longest** epoch that starts after t = 0 (so that there is a baseline for
    ``voltage_base``) and whose level differs from the holding level; ties go to the earliest.
    Its amplitude is its level minus the holding level (the current step, pA). An epoch that
    runs to the end of the sweep stops at ``n_samples·dt``. A sweep without such an epoch (no
    current) gets the window most sweeps have and amplitude 0. Pass ``stim_start``/``stim_end``
    to :func:`protocol_features` to choose another window.

    With ``window = (start, stop)`` (ms, numbers or one per sweep) that window is every sweep's
    step instead, and its amplitude is the level at the window's midpoint minus the holding
    level (0 where no epoch covers it): for sweeps with several steps, e.g. the first step of
    a recording whose later epochs would win the rule above.
    """
    from .protocol import Protocol

    if not isinstance(protocol, Protocol):
        raise ParameterError(
            f"step_windows needs a neurodyn.fitting.Protocol; got {type(protocol).__name__}. "
            "Fix: Protocol.from_recording(rec) or Protocol.steps(...)."
        )
    end_all = protocol.n_samples * protocol.dt
    if window is not None:
        n_sw = protocol.n_sweeps
        try:
            a, b = (np.broadcast_to(np.asarray(w, dtype=np.float64), (n_sw,)).copy()
                    for w in window)
        except (TypeError, ValueError):
            raise ParameterError(
                f"step_windows.window must be (start, stop) in ms, numbers or one per sweep "
                f"({n_sw}); got {window!r}.") from None
        if not (np.all(np.isfinite(a)) and np.all(b > a) and np.all(a >= 0)):
            raise ParameterError(f"step_windows.window: need 0 <= start < stop (ms); got {window!r}.")
        amp = np.zeros(n_sw)
        for k, eps in enumerate(protocol.epochs):
            hold = next((e.amplitude for e in eps if e.start <= 0.0 < e.stop), 0.0)
            mid = 0.5 * (a[k] + b[k])
            amp[k] = next((e.amplitude for e in eps if e.start <= mid < e.stop), 0.0) - hold
        return a, b, amp
    rows: list[tuple[float, float, float] | None] = []
    for eps in protocol.epochs:
        hold = next((e.amplitude for e in eps if e.start <= 0.0 < e.stop), 0.0)
        cand = [(min(e.stop, end_all) - e.start, -e.start, e) for e in eps
                if e.start > 0.0 and e.amplitude != hold and e.start < end_all]
        if not cand:
            rows.append(None)
            continue
        e = max(cand, key=lambda c: (c[0], c[1]))[2]
        rows.append((float(e.start), float(min(e.stop, end_all)), float(e.amplitude - hold)))
    found = [r[:2] for r in rows if r is not None]
    if not found:
        raise ParameterError(
            f"step_windows: no sweep of {protocol!r} has a step after t = 0 that differs from its "
            "holding current, so there is no stimulus window. Fix: pass stim_start and stim_end "
            "(ms) explicitly."
        )
    common = max(set(found), key=found.count)
    full = [r if r is not None else (*common, 0.0) for r in rows]
    a = np.array(full, dtype=np.float64)
    return a[:, 0], a[:, 1], a[:, 2]


def protocol_features(
    result: Any,
    protocol: Any = None,
    features: Sequence[str] | str = PEERS_FEATURES,
    *,
    stim_start: Any = None,
    stim_end: Any = None,
    threshold: float = -20.0,
    settings: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """:func:`extract` on a :class:`~neurodyn.fitting.ProtocolResult` (or a
    :class:`~neurodyn.fitting.Recording`), with the stimulus window and currents taken from the
    protocol.

    Parameters
    ----------
    result:
        A :class:`ProtocolResult` (``result.v``, ``result.t``; its protocol is the default) or a
        :class:`Recording` (then ``protocol`` is required).
    protocol:
        The protocol (default ``result.protocol``).
    features:
        Feature names (default :data:`PEERS_FEATURES`).
    stim_start, stim_end:
        The window (ms, one or one per sweep); default :func:`step_windows` (the longest epoch
        of each sweep that differs from the holding current).
    threshold, settings:
        As in :func:`extract`.

    The step current of each sweep (``input_resistance``, ``rheobase``) is the protocol's mean
    current in the window minus its current on the sample just before the window.

    Returns
    -------
    numpy.ndarray
        ``(*batch_shape, n_sweeps, n_features)``.
    """
    from .recordings import Recording

    if isinstance(result, Recording):
        if protocol is None:
            raise ParameterError(
                "protocol_features: a Recording needs its protocol. Fix: pass "
                "protocol=Protocol.from_recording(rec, ...)."
            )
        v, t = result.voltages(), result[0].t - result[0].t[0]
    else:
        try:
            v, t = result.v, np.asarray(result.t)
        except AttributeError:
            raise ParameterError(
                f"protocol_features needs a ProtocolResult or a Recording; got "
                f"{type(result).__name__}. Fix: pass protocol.simulate(model, ...)."
            ) from None
        protocol = protocol if protocol is not None else result.protocol
    s0, s1, _ = step_windows(protocol)
    n_sw = protocol.n_sweeps
    if np.shape(v)[-2] != n_sw or np.shape(v)[-1] != protocol.n_samples:
        raise ParameterError(
            f"protocol_features: the traces have shape {np.shape(v)} but the protocol has {n_sw} "
            f"sweeps of {protocol.n_samples} samples. Fix: pass the protocol that made them."
        )
    if stim_start is not None:
        s0 = _per_sweep(stim_start, n_sw, "stim_start", "ms")
    if stim_end is not None:
        s1 = _per_sweep(stim_end, n_sw, "stim_end", "ms")
    cur = protocol.currents()
    tt = protocol.t
    amps = np.zeros(n_sw)
    for s in range(n_sw):
        inside = (tt >= s0[s] - 1e-9 * protocol.dt) & (tt < s1[s] - 1e-9 * protocol.dt)
        if inside.any():
            k0 = int(np.argmax(inside))
            before = cur[s, k0 - 1] if k0 > 0 else 0.0
            amps[s] = float(np.mean(cur[s, inside]) - before)
    return extract(v, t, stim_start=s0, stim_end=s1, features=features, threshold=threshold,
                   stimulus_current_nA=amps / 1000.0, settings=settings)
