"""Stimulus protocols: piecewise-constant currents per sweep, extracted from recordings or built
synthetically, and run on a model sweep by sweep.

A :class:`Protocol` is, per sweep, a list of epochs ``(start, stop, amplitude)`` — ms, ms, pA — on
which the current is constant (zero outside the epochs), plus the sampling of the recording:
``dt`` (ms) and ``t_stop`` (ms, the time of the last sample, so a sweep has
``round(t_stop / dt) + 1`` samples at ``k·dt``). Times are relative to the first sample of each
sweep. Windows are half-open, ``[start, stop)``, as everywhere in neurodyn, and edges detected in
a recording lie exactly on the sample grid: an epoch starting at sample ``k`` starts at ``k·dt``,
and an epoch that lasts to the end of the sweep stops at ``n_samples·dt`` (= ``t_stop + dt``).

:meth:`Protocol.simulate` runs all sweeps in one compiled, batched call where it can (see
its notes) and returns the traces on the recording's sample times.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..errors import ParameterError
from ..params import is_traced
from ..stimuli import Combined, Step, VoltageClamp
from ..units import Quantity, parse_quantity
from .recordings import Recording, RecordingError, _unit_factor

__all__ = ["Epoch", "Protocol", "ProtocolResult"]

_MAX_BATCHED_STEPS = 32  # more distinct epochs than this: one call per sweep ("auto" strategy)


class Epoch(NamedTuple):
    """A constant current ``amplitude`` (pA) on ``[start, stop)`` (ms)."""

    start: float
    stop: float
    amplitude: float


# ---------------------------------------------------------------------------------------- detection
def _noise_sd(x: np.ndarray) -> float:
    """Robust estimate of white-noise SD from successive differences (MAD)."""
    d = np.diff(x)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0)) if d.size else 0.0


def _segments_exact(i: np.ndarray) -> list[tuple[int, int, float]]:
    b = np.flatnonzero(i[1:] != i[:-1]) + 1
    edges = [0, *b.tolist(), i.size]
    return [(a, c, float(i[a])) for a, c in itertools.pairwise(edges)]


def _segments_tolerant(i: np.ndarray, tol: float, min_samples: int, max_segments: int,
                       who: str) -> list[tuple[int, int, float]]:
    """Piecewise-constant segmentation of a noisy current.

    1. A running median over ``w`` samples (``w`` odd, about ``min_samples``) removes the noise
       and keeps step edges where they are.
    2. A new segment starts wherever the filtered current departs by more than ``tol`` from its
       value at the segment's first sample.
    3. Segments shorter than ``min_samples`` (transitions, filter ripples) are dropped; adjacent
       long segments whose levels differ by at most ``tol`` are merged; the edge between two long
       segments is the first sample at which the filtered current crosses the midpoint of their
       levels. Levels are the mean of the raw samples.
    """
    from scipy.ndimage import median_filter

    n = i.size
    w = max(1, min(min_samples, n))
    w = w if w % 2 else w - 1 if w > 1 else 1
    f = median_filter(i, size=w, mode="nearest") if w > 1 else i
    bounds = [0]
    s = 0
    while True:
        dev = np.abs(f[s:] - f[s]) > tol
        j = int(np.argmax(dev))
        if not dev[j]:
            break
        s += j
        bounds.append(s)
        if len(bounds) > 20 * max_segments:
            break
    bounds.append(n)
    segs = [(a, c) for a, c in itertools.pairwise(bounds)]
    long = [(a, c) for a, c in segs if c - a >= min_samples]
    covered = sum(c - a for a, c in long) / n
    if not long or len(long) > max_segments or covered < 0.9:
        sd = _noise_sd(i)
        raise RecordingError(
            f"{who}: the current cannot be split into constant levels with tolerance_pA = {tol:g} pA "
            f"and min_duration = {min_samples} samples ({len(long)} level(s) of that length found, "
            f"covering {100 * covered:.0f}% of the sweep; the noise SD is about {sd:.3g} pA). Fix: "
            f"raise tolerance_pA (about 5 x the noise SD, e.g. {max(5 * sd, tol * 2):.3g}) or lower "
            "min_duration_ms."
        )
    # merge neighbours within the tolerance
    merged: list[list[int]] = [list(long[0])]
    for a, c in long[1:]:
        pa, pc = merged[-1]
        if abs(np.median(f[a:c]) - np.median(f[pa:pc])) <= tol:
            merged[-1][1] = c
        else:
            merged.append([a, c])
    # edges at the midpoint crossing; the first and last segments reach the ends of the sweep
    edges = [0]
    for (a1, c1), (a2, c2) in itertools.pairwise(merged):
        l1, l2 = float(np.median(f[a1:c1])), float(np.median(f[a2:c2]))
        mid, sign = 0.5 * (l1 + l2), math.copysign(1.0, l2 - l1)
        region = f[c1:a2 + 1]
        on = (region - mid) * sign >= 0
        edges.append(c1 + int(np.argmax(on)) if on.any() else a2)
    edges.append(n)
    return [(a, c, float(np.mean(i[a:c]))) for a, c in itertools.pairwise(edges) if c > a]


# ---------------------------------------------------------------------------------------- Protocol
@dataclass(frozen=True, eq=False)
class Protocol:
    """Piecewise-constant current-clamp protocol: the epochs of every sweep and the sampling.

    Parameters
    ----------
    epochs:
        Per sweep, a sequence of :class:`Epoch` or ``(start_ms, stop_ms, amplitude_pA)``;
        within a sweep the epochs must not overlap (they are sorted). Epochs of amplitude 0 are
        dropped. ``stop`` may be ``inf`` (until the end).
    t_stop:
        Time of the last sample (ms); a whole multiple of ``dt``.
    dt:
        Sampling interval (ms).
    names:
        Sweep names (default ``"0"``, ``"1"``, ...).
    source:
        Where the protocol came from (a recording, ``"steps"``).
    detection:
        How epochs were detected from a recording (tolerance, minimum duration, noise estimate
        per sweep); empty for synthetic protocols.
    starts:
        When each sweep began in the recording (ms, from the first sweep's first sample), or
        empty when unknown. Sweeps recorded back to back (an episodic recording whose sweep
        interval equals the sweep length) carry the cell's state from one sweep into the next;
        :meth:`simulate` with ``continuous=True`` reproduces that by running them as one
        simulation. :meth:`from_recording` fills it from the sweeps' ``meta["start_ms"]``
        (:func:`read_abf`), except for a :meth:`Recording.cut` recording, whose epochs after the
        cut are lost.

    Raises
    ------
    RecordingError
        Overlapping or inverted epochs, a ``t_stop`` that is not on the sample grid, or a protocol
        without any non-zero epoch ("protocol has no stimulus").
    """

    epochs: tuple[tuple[Epoch, ...], ...]
    t_stop: float
    dt: float
    names: tuple[str, ...] = ()
    source: str = ""
    detection: dict[str, Any] = field(default_factory=dict)
    starts: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        dt, t_stop = _time(self.dt, "Protocol.dt"), _time(self.t_stop, "Protocol.t_stop")
        if not (math.isfinite(dt) and dt > 0):
            raise RecordingError(
                f"Protocol.dt must be a sampling interval > 0 ms; got {self.dt!r}. Fix: pass the "
                "recording's sampling interval (e.g. 0.05 ms at 20 kHz)."
            )
        n = round(t_stop / dt) if math.isfinite(t_stop) else -1
        if not (math.isfinite(t_stop) and t_stop > 0) or abs(n * dt - t_stop) > 1e-9 * max(t_stop, 1.0):
            raise RecordingError(
                f"Protocol.t_stop (the time of the last sample) must be a positive whole multiple of "
                f"dt = {dt:g} ms; got {self.t_stop!r} ms. Fix: use t_stop={max(n, 1) * dt:g}."
            )
        sweeps = []
        for s, eps in enumerate(self.epochs):
            out = []
            for j, e in enumerate(eps):
                try:
                    a, b, amp = e
                except (TypeError, ValueError):
                    raise RecordingError(
                        f"Protocol sweep {s} epoch {j} must be (start_ms, stop_ms, amplitude_pA); "
                        f"got {e!r}. Fix: pass triples such as (100, 600, 50)."
                    ) from None
                a = _time(a, f"Protocol sweep {s} epoch {j} start")
                b = _time(b, f"Protocol sweep {s} epoch {j} stop")
                amp = _to(amp, "pA", f"Protocol sweep {s} epoch {j} amplitude")
                if not (math.isfinite(a) and a >= 0) or math.isnan(b) or not math.isfinite(amp):
                    raise RecordingError(
                        f"Protocol sweep {s} epoch {j}: start must be >= 0 ms and finite, stop a "
                        f"time in ms (inf allowed) and amplitude finite (pA); got {e!r}. "
                        "Fix: give finite times and amplitudes."
                    )
                if b <= a:
                    raise RecordingError(
                        f"Protocol sweep {s} epoch {j}: stop ({b:g} ms) must be after start "
                        f"({a:g} ms). Fix: swap start and stop or drop the empty epoch."
                    )
                if amp != 0.0:
                    out.append(Epoch(a, b, amp))
            out.sort()
            for e1, e2 in itertools.pairwise(out):
                if e2.start < e1.stop:
                    raise RecordingError(
                        f"Protocol sweep {s}: epochs {tuple(e1)} and {tuple(e2)} overlap. "
                        "Fix: split them into non-overlapping epochs (amplitudes are absolute, "
                        "not added)."
                    )
            sweeps.append(tuple(out))
        if not sweeps:
            raise RecordingError(
                "Protocol: protocol has no sweeps. Fix: give one list of epochs per sweep."
            )
        names = tuple(str(x) for x in self.names) or tuple(str(k) for k in range(len(sweeps)))
        if len(names) != len(sweeps):
            raise RecordingError(
                f"Protocol.names has {len(names)} entries for {len(sweeps)} sweeps. "
                "Fix: one name per sweep."
            )
        if not any(sweeps):
            raise RecordingError(
                f"Protocol{f' of {self.source}' if self.source else ''}: protocol has no stimulus: "
                f"none of its {len(sweeps)} sweep(s) has a non-zero current epoch. Fix: check that "
                "the recording's current channel holds the injected (command) current (read_abf: "
                "the command waveform must be defined in the ABF protocol; recorded currents: pass "
                "the current trace as i), or give the amplitudes with Protocol.steps(...)."
            )
        object.__setattr__(self, "epochs", tuple(sweeps))
        object.__setattr__(self, "dt", dt)
        object.__setattr__(self, "t_stop", n * dt if abs(n * dt - t_stop) < 1e-9 * t_stop else t_stop)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "detection", dict(self.detection))
        object.__setattr__(self, "starts", self._check_starts())

    def _check_starts(self) -> tuple[float, ...]:
        if self.starts is None or len(self.starts) == 0:
            return ()
        st = np.asarray(self.starts, dtype=float)
        n_sw, length = len(self.epochs), self.t_stop + self.dt
        if st.shape != (n_sw,) or not np.all(np.isfinite(st)):
            raise RecordingError(
                f"Protocol.starts must give one finite start time (ms) per sweep ({n_sw}); got "
                f"{self.starts!r}. Fix: pass the sweeps' start times, or () when unknown.")
        st = st - st[0]
        gap = np.diff(st)
        if np.any(gap < length - 1e-6 * self.dt):
            k = int(np.argmax(gap < length - 1e-6 * self.dt))
            raise RecordingError(
                f"Protocol.starts: sweep {k + 1} starts {gap[k]:g} ms after sweep {k}, before "
                f"sweep {k} ends (sweeps last {length:g} ms). Fix: give increasing start times at "
                "least one sweep length apart.")
        k = np.round(st / self.dt)
        if np.any(np.abs(k * self.dt - st) > 1e-6 * self.dt):
            raise RecordingError(
                f"Protocol.starts must lie on the sampling grid (multiples of dt = {self.dt:g} "
                f"ms from the first sweep); got {self.starts!r}.")
        return tuple(float(x) for x in k * self.dt)

    # --------------------------------------------------------------- constructors
    @classmethod
    def from_recording(
        cls,
        recording: Recording,
        *,
        tolerance_pA: float = 0.0,
        min_duration_ms: float | None = None,
        zero_pA: float = 0.0,
        max_epochs: int = 200,
    ) -> Protocol:
        """Extract the protocol from the current traces of a recording.

        Parameters
        ----------
        recording:
            Sweeps of one sampling interval and length.
        tolerance_pA:
            0 (default): the current must be exactly piecewise constant (command waveforms);
            every change of value between two samples is an edge. > 0: recorded, noisy currents.
            A running median (about ``min_duration_ms`` wide) removes the noise; a new level
            starts where the filtered current moves by more than ``tolerance_pA``; levels shorter
            than ``min_duration_ms`` (transitions) are dropped and neighbours within the
            tolerance merged; each edge is put at the first sample past the midpoint between
            the two levels. Levels are the mean of the raw samples of each epoch (e.g. the
            holding current, about −12.5 pA in B6). Use about 5 x the noise SD.
        min_duration_ms:
            With ``tolerance_pA > 0``, the shortest epoch (ms); default ``max(1 ms, 5·dt)``.
        zero_pA:
            Levels with ``|level| <= zero_pA`` count as no current (default 0: only exact zeros).
        max_epochs:
            More level changes per sweep than this raise an error (a noisy current read with
            ``tolerance_pA = 0``); the message estimates the noise.

        The levels found are in :attr:`epochs` and :meth:`describe`.
        """
        if not isinstance(recording, Recording):
            raise ParameterError(
                f"Protocol.from_recording needs a neurodyn.fitting.Recording; got "
                f"{type(recording).__name__}. Fix: read it with read_abf/read_nwb/from_arrays."
            )
        dt = recording.dt
        n = recording.n_samples
        tol = float(tolerance_pA)
        if not (math.isfinite(tol) and tol >= 0):
            raise ParameterError(
                f"Protocol.from_recording.tolerance_pA must be >= 0 pA; got {tolerance_pA!r}. "
                "Fix: 0 for command currents, about 5 x the noise SD for recorded currents."
            )
        min_ms = max(1.0, 5 * dt) if min_duration_ms is None else float(min_duration_ms)
        min_samples = max(1, round(min_ms / dt))
        epochs, noise = [], []
        for k, sw in enumerate(recording.sweeps):
            who = f"Protocol.from_recording: sweep {sw.name or k!r}"
            if tol == 0.0:
                segs = _segments_exact(sw.i)
                if len(segs) > max_epochs:
                    sd = _noise_sd(sw.i)
                    raise RecordingError(
                        f"{who}: the current changes value {len(segs) - 1} times (more than "
                        f"max_epochs = {max_epochs}), so it is not a piecewise-constant command; the "
                        f"sample-to-sample noise SD is about {sd:.3g} pA. Fix: for a recorded (noisy) "
                        f"current pass tolerance_pA (about 5 x the noise, e.g. tolerance_pA="
                        f"{max(5 * sd, 1.0):.3g}); for an arbitrary waveform drive the model with "
                        "neurodyn.stimuli.Waveform instead."
                    )
            else:
                segs = _segments_tolerant(sw.i, tol, min_samples, max_epochs, who)
            noise.append(_noise_sd(sw.i))
            eps = [(a * dt, c * dt, 0.0 if abs(lev) <= zero_pA else lev) for a, c, lev in segs]
            epochs.append(tuple(Epoch(a, c, lev) for a, c, lev in eps if lev != 0.0))
        detection = {"tolerance_pA": tol, "zero_pA": float(zero_pA),
                     "min_duration_ms": min_samples * dt if tol > 0 else None,
                     "noise_sd_pA": noise}
        metas = [sw.meta for sw in recording.sweeps]
        known = all("start_ms" in m for m in metas) and not any("cut_ms" in m for m in metas)
        starts = tuple(float(m["start_ms"]) for m in metas) if known else ()
        return cls(tuple(epochs), t_stop=(n - 1) * dt, dt=dt, names=recording.names,
                   source=recording.source or recording.cell, detection=detection, starts=starts)

    @classmethod
    def steps(
        cls,
        amplitudes_pA: Sequence[float | str],
        start: float | str,
        stop: float | str,
        t_stop: float | str,
        dt: float | str,
        *,
        holding_pA: float | str = 0.0,
        names: Sequence[str] | None = None,
    ) -> Protocol:
        """One step per sweep: ``amplitudes_pA[k]`` (pA, or strings such as ``"0.02 nA"``) on
        ``[start, stop)`` (ms), on top of ``holding_pA`` for the whole sweep; sweeps last
        ``t_stop`` ms sampled every ``dt`` ms.

        Example: the 5-sweep benchmark protocol (0.02…0.10 nA from 100 to 600 ms, 700 ms)::

            Protocol.steps([20, 40, 60, 80, 100], start=100, stop=600, t_stop=700, dt=0.025)
        """
        amps = [_to(a, "pA", f"Protocol.steps amplitude {k}")
                for k, a in enumerate(np.ravel(np.asarray(amplitudes_pA, dtype=object)))]
        if not amps:
            raise RecordingError(
                "Protocol.steps: amplitudes_pA is empty. Fix: give one amplitude (pA) per sweep."
            )
        a = _time(start, "Protocol.steps.start")
        b = _time(stop, "Protocol.steps.stop")
        ts = _time(t_stop, "Protocol.steps.t_stop")
        d = _time(dt, "Protocol.steps.dt")
        h = _to(holding_pA, "pA", "Protocol.steps.holding_pA")
        end = ts + d  # the last sample (t_stop) is inside a window that never stops
        epochs = []
        for amp in amps:
            if h == 0.0:
                epochs.append(((a, b, amp),))
            else:
                epochs.append(((0.0, a, h), (a, b, h + amp), (b, end, h)))
        return cls(tuple(epochs), t_stop=ts, dt=d,
                   names=tuple(names) if names is not None else tuple(f"{x:g} pA" for x in amps),
                   source="steps")

    # --------------------------------------------------------------- queries
    @property
    def n_sweeps(self) -> int:
        return len(self.epochs)

    @property
    def n_samples(self) -> int:
        """Samples per sweep: ``round(t_stop / dt) + 1``."""
        return round(self.t_stop / self.dt) + 1

    @property
    def t(self) -> np.ndarray:
        """Sample times (ms): ``k·dt``, ``k = 0 … n_samples − 1``."""
        return np.arange(self.n_samples) * self.dt

    def currents(self) -> np.ndarray:
        """The protocol's current at every sample, ``(n_sweeps, n_samples)`` in pA."""
        t = self.t
        out = np.zeros((self.n_sweeps, t.size))
        for s, eps in enumerate(self.epochs):
            for e in eps:
                a, b = self._grid_time(e.start), self._grid_time(e.stop)
                out[s, (t >= a) & (t < b)] = e.amplitude
        return out

    def levels(self) -> tuple[tuple[float, ...], ...]:
        """Per sweep, the distinct current levels (pA, sorted, including 0 if the sweep has time
        without current)."""
        out = []
        for row in self.currents():
            out.append(tuple(float(x) for x in np.unique(row)))
        return tuple(out)

    def describe(self) -> str:
        """A table of the epochs of every sweep (the levels found in a recording)."""
        lines = [f"Protocol ({self.n_sweeps} sweeps, dt = {self.dt:g} ms, t_stop = {self.t_stop:g} ms"
                 + (f", from {self.source}" if self.source else "") + ")"]
        det = self.detection
        if det:
            tol = det.get("tolerance_pA", 0.0)
            lines.append(
                "  detection: " + ("exact level changes" if not tol else
                                   f"tolerance {tol:g} pA, min duration {det['min_duration_ms']:g} ms")
                + (f", noise SD {np.median(det['noise_sd_pA']):.3g} pA" if tol else ""))
        for name, eps in zip(self.names, self.epochs):
            body = "; ".join(f"{e.start:g}–{e.stop:g} ms: {e.amplitude:.6g} pA" for e in eps) or "no current"
            lines.append(f"  {name}: {body}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"Protocol({self.n_sweeps} sweeps, dt={self.dt:g} ms, t_stop={self.t_stop:g} ms, "
                f"{sum(map(len, self.epochs))} epochs)")

    # --------------------------------------------------------------- stimuli
    def _grid_time(self, t: float, substeps: int = 1) -> float:
        """``t`` snapped onto the simulation grid: for ``t = k·dt`` the float that the engine
        computes for step ``k·substeps`` (``(k·substeps)·(dt/substeps)``), so edges switch on
        exactly at the sample; times off the grid are returned unchanged."""
        if not math.isfinite(t):
            return t
        k = round(t / self.dt)
        if abs(k * self.dt - t) <= 1e-6 * self.dt:
            return float(np.float64(k * substeps) * np.float64(self.dt / substeps))
        return t

    def stimuli(self, model: Any = None, *, substeps: int = 1) -> tuple[Combined, ...]:
        """Per sweep, the neurodyn stimulus: a sum of :class:`~neurodyn.stimuli.Step` with
        amplitudes given as quantities in pA (``"50.0 pA"``), which neurodyn converts to the
        model's input unit (pA for AdEx/LIF; µA/cm² through ``area`` for Hodgkin–Huxley).

        ``model`` (optional) is used to check now that its input accepts a current.
        """
        out = []
        for eps in self.epochs:
            steps = tuple(Step(amplitude=f"{float(e.amplitude)!r} pA",
                               start=self._grid_time(e.start, substeps),
                               stop=self._grid_time(e.stop, substeps)) for e in eps)
            out.append(Combined(items=steps))
        if model is not None:
            _pA_factor(model)
        return tuple(out)

    def _batched_steps(self, substeps: int) -> tuple[list[tuple[float, float]], np.ndarray]:
        """The union of all sweeps' edges cut time into segments; each segment where any sweep
        has current becomes one Step whose amplitude varies across sweeps. Returns the windows
        ``[(start, stop)]`` and the amplitudes ``(n_sweeps, n_steps)`` in pA."""
        g = [[(self._grid_time(e.start, substeps), self._grid_time(e.stop, substeps), e.amplitude)
              for e in eps] for eps in self.epochs]
        bounds = sorted({x for eps in g for e in eps for x in e[:2]})
        windows: list[tuple[float, float]] = []
        cols: list[np.ndarray] = []
        for a, b in itertools.pairwise(bounds):
            col = np.zeros(self.n_sweeps)
            for s, eps in enumerate(g):
                for ea, eb, amp in eps:
                    if ea <= a and b <= eb:
                        col[s] = amp
                        break
            if not col.any():
                continue
            if windows and windows[-1][1] == a and np.array_equal(cols[-1], col):
                windows[-1] = (windows[-1][0], b)
            else:
                windows.append((a, b))
                cols.append(col)
        return windows, np.stack(cols, axis=1)

    # --------------------------------------------------------------- simulation
    def simulate(
        self,
        model: Any,
        *,
        batch: Mapping[str, Any] | None = None,
        record: Sequence[str] | str = ("v",),
        method: str | None = None,
        substeps: int = 1,
        strategy: str = "auto",
        per_sweep: Mapping[str, Any] | None = None,
        holding: Any = None,
        continuous: bool = False,
        lead_in: float = 0.0,
        clamp: tuple[Any, Any] | None = None,
        **kwargs: Any,
    ) -> ProtocolResult:
        """Run every sweep of the protocol on ``model``.

        Parameters
        ----------
        model:
            A point-neuron model whose input is a current (pA) or a current density with an
            ``area`` (Hodgkin–Huxley: pA → µA/cm²); or a multi-compartment
            :class:`~neurodyn.fitting.CellModel` (a bare :class:`~neurodyn.cable.Cell` is
            injected and recorded at ``soma(0.5)``), run by :meth:`CellModel.run_protocol`.
        batch:
            Parameter sets, as in :func:`neurodyn.simulate` (``{"a": [1, 2, 3]}`` or
            ``neurodyn.grid(...)``); model parameters only (the protocol sets the stimulus).
            Their broadcast shape ``P`` becomes the leading axes of the result.
        record:
            Variables to record (``"i_ext"``: the input, in the model's input unit).
        method:
            Integration method (default: the model's).
        substeps:
            Integration steps per sample: the model is integrated at ``dt / substeps`` and sampled
            every ``dt`` (use it when the recording's dt is too coarse for the model).
        strategy:
            ``"batch"``: all sweeps in one compiled call; ``"loop"``: one call per sweep;
            ``"auto"``: batch unless the sweeps have more than 32 distinct epochs.
        per_sweep:
            Model parameters that differ from sweep to sweep (e.g. ``{"v_init": ...}``): arrays
            whose last axis has one value per sweep, ``(n_sweeps,)`` or ``(*P, n_sweeps)``.
        holding:
            A constant current (pA) per sweep added to the protocol's epochs over the whole
            sweep, ``(n_sweeps,)`` or ``(*P, n_sweeps)`` (e.g. the current that holds a model at
            a recording's baseline, :meth:`FitProblem.holding`).
        continuous:
            Run the sweeps back to back, as they were recorded, in one simulation: each sweep
            starts from the state in which the previous one left the model, and the time
            between sweeps (if any) runs with the holding current only. Needs :attr:`starts`
            (a recording read whole, e.g. with :func:`read_abf`); ``holding`` must then be the
            same in every sweep and ``per_sweep`` is not allowed. Use it when the cell's state
            carries over from sweep to sweep (slow after-hyperpolarisations after strong steps).
        lead_in:
            With ``continuous``, ms simulated before the first sweep with the holding current
            only (the model settles from its initial state); a multiple of ``dt``.
        clamp:
            ``(v, until)``: clamp each sweep's membrane potential to the recorded trace ``v``
            ``(n_sweeps, n_samples)`` (mV, sampled as the protocol) until ``until`` (ms, a number
            or one per sweep), then release it (:class:`~neurodyn.stimuli.VoltageClamp`). The
            model then enters the sweep's stimulus in the state that the cell's own recorded
            voltage set (its spontaneous spikes just before a step, say), not in a steady state.
            Not with ``continuous``.
        **kwargs:
            Passed to :func:`neurodyn.simulate` (``spikes``, ``init``, ``dtype``, ``seed``, ...).

        Returns
        -------
        ProtocolResult
            Traces ``(*P, n_sweeps, n_samples)`` on the sample times ``k·dt`` of the recording.

        Notes
        -----
        Batched strategy: the edges of all sweeps cut the sweep into segments; each segment on
        which any sweep has current becomes one ``Step(start, stop)``, and its per-sweep
        amplitudes (converted from pA to the model's input unit) go through ``batch`` as
        ``"stimulus[j].amplitude"``, with shape ``(n_sweeps,)`` against the user's parameter
        arrays reshaped to ``(*P, 1)``: one call simulates the grid (parameter sets × sweeps).
        Sweeps then differ only in amplitudes, which holds for any set of piecewise-constant
        sweeps on one time grid.
        """
        from ..engine.simulate import _apply_batch, simulate

        for bad in ("stimulus", "t_stop", "dt", "record_dt"):
            if bad in kwargs:
                raise ParameterError(
                    f"Protocol.simulate: {bad!r} is set by the protocol (dt = {self.dt:g} ms, "
                    f"t_stop = {self.t_stop:g} ms). Fix: drop it; use substeps=... for a finer "
                    "integration step."
                )
        if not isinstance(substeps, int | np.integer) or substeps < 1:
            raise ParameterError(
                f"Protocol.simulate.substeps must be an integer >= 1; got {substeps!r}. "
                "Fix: e.g. substeps=10 integrates at dt/10 and samples every dt."
            )
        if strategy not in ("auto", "batch", "loop"):
            raise ParameterError(
                f"Protocol.simulate.strategy must be 'auto', 'batch' or 'loop'; got {strategy!r}."
            )
        model = _as_protocol_model(model)
        if hasattr(model, "run_protocol"):  # a multi-compartment cell (CellModel)
            extra = set(kwargs) - {"throw", "spikes"}
            if (per_sweep or holding is not None or extra or kwargs.get("spikes") or continuous
                    or lead_in or clamp is not None):
                what = sorted(extra) or ["per_sweep/holding/spikes/continuous/lead_in/clamp"]
                raise ParameterError(
                    f"Protocol.simulate: {', '.join(what)} is not supported for a "
                    f"multi-compartment cell ({model.describe()}). Fix: drop it.")
            if tuple([record] if isinstance(record, str) else record) != ("v",):
                raise ParameterError(f"Protocol.simulate: a cell records its voltage at "
                                     f"CellModel.record only; got record={record!r}.")
            return model.run_protocol(self, batch=batch, substeps=int(substeps), method=method,
                                      throw=kwargs.get("throw", True))
        user = dict(batch or {})
        for path in user:
            if path.startswith("stimulus"):
                raise ParameterError(
                    f"Protocol.simulate.batch: path {path!r} is set by the protocol (one amplitude "
                    "per sweep). Fix: batch model parameters only; change the stimulus with another "
                    "Protocol (e.g. Protocol.steps([...]))."
                )
        factor = _pA_factor(model)  # checks that the model takes a current
        n_sw = self.n_sweeps
        sweepwise = dict(per_sweep or {})
        if holding is not None:
            sweepwise["<holding>"] = holding
        for k, v in sweepwise.items():
            if k in user:
                raise ParameterError(f"Protocol.simulate: {k!r} is in both batch and per_sweep.")
            if np.ndim(v) < 1 or np.shape(v)[-1] != n_sw:
                what = "holding" if k == "<holding>" else f"per_sweep[{k!r}]"
                raise ParameterError(
                    f"Protocol.simulate.{what} must have one value per sweep on its last axis "
                    f"({n_sw}); got shape {np.shape(v)}.")
        if user:
            model_b, _, labels = _apply_batch(model, (), user)
            factor = _pA_factor(model_b)
        else:
            labels = {}
        pshape = tuple(np.broadcast_shapes(*[np.shape(v) for v in labels.values()],
                                           *[np.shape(v)[:-1] for v in sweepwise.values()]))
        hold = sweepwise.pop("<holding>", None)
        dt_sim = float(np.float64(self.dt) / substeps)
        common = dict(record=record, record_dt=dt_sim * substeps, method=method, **kwargs)
        clamps = None if clamp is None else self._clamps(clamp, continuous, int(substeps))
        if continuous:
            return self._simulate_continuous(model, user, labels, pshape, hold, sweepwise,
                                             factor, int(substeps), float(lead_in), common)
        if lead_in:
            raise ParameterError("Protocol.simulate.lead_in applies with continuous=True only. "
                                 "Fix: drop lead_in, or pass continuous=True.")
        windows, amps = self._batched_steps(int(substeps))
        if strategy == "auto":
            strategy = "batch" if len(windows) <= _MAX_BATCHED_STEPS else "loop"
        whole = (0.0, float(self.n_samples) * self.dt)  # the holding step spans the sweep
        fac = factor if np.ndim(factor) == 0 else _keep(factor)[..., None]
        if strategy == "batch":
            stims = [Step(amplitude=0.0, start=a, stop=b) for a, b in windows]
            # traced values (inside jax.jit/grad) keep their JAX type
            nd_batch: dict[str, Any] = {k: _keep(v)[..., None] for k, v in labels.items()}
            for j in range(len(windows)):
                nd_batch[f"stimulus[{j}].amplitude"] = fac * amps[:, j]
            nd_batch.update({k: _keep(v) for k, v in sweepwise.items()})
            if hold is not None:
                stims.append(Step(amplitude=0.0, start=whole[0], stop=whole[1]))
                nd_batch[f"stimulus[{len(stims) - 1}].amplitude"] = fac * _keep(hold)
            if clamps is not None:  # one command per sweep, on the sweeps' batch axis
                stims.append(VoltageClamp(values=clamps[0], sample_dt=self.dt, stop=clamps[1]))
            res = simulate(model, self.t_stop, dt_sim, stimulus=stims, batch=nd_batch, **common)
            results: tuple[Any, ...] = (res,)
            traces = {k: _fix_shape(v, (*pshape, n_sw)) for k, v in res.traces.items()}
            units = dict(res.units)
        else:
            runs = []
            for sw, stim in enumerate(self.stimuli(substeps=int(substeps))):
                stim_l = list(stim)
                if clamps is not None:
                    stim_l.append(VoltageClamp(values=clamps[0][sw], sample_dt=self.dt,
                                               stop=float(clamps[1][sw])))
                b = {**user, **{k: _keep(v)[..., sw] for k, v in sweepwise.items()}}
                if hold is not None:
                    stim_l.append(Step(amplitude=0.0, start=whole[0], stop=whole[1]))
                    b[f"stimulus[{len(stim_l) - 1}].amplitude"] = (
                        _keep(factor) * _keep(hold)[..., sw])
                runs.append(simulate(model, self.t_stop, dt_sim, stimulus=stim_l or None,
                                     batch=b or None, **common))
            results = tuple(runs)
            units = dict(results[0].units)
            traces = {}
            for k in results[0].traces:
                traces[k] = _stack_sweeps([r.traces[k] for r in results])
        return ProtocolResult(
            t=self.t, traces=traces, units=units, batch_shape=pshape, protocol=self,
            results=results, strategy=strategy, labels=dict(labels),
            voltage_var=getattr(model, "voltage_var", "v"),
        )

    def check_traces(self, v: Any, who: str,
                     fix: str = "pass recording.voltages() of the recording the protocol came "
                                "from") -> np.ndarray:
        """``v`` as traces of this protocol, finite, ``(n_sweeps, n_samples)`` (mV), or a
        :class:`ParameterError` that names ``who`` and ends with ``fix``."""
        v = np.asarray(v, dtype=float)
        want = (self.n_sweeps, self.n_samples)
        bad = v.shape != want
        if bad or not np.all(np.isfinite(v)):
            got = f"shape {v.shape}" if bad else f"{int(np.sum(~np.isfinite(v)))} NaN or Inf values"
            raise ParameterError(f"{who} must be (n_sweeps, n_samples) = {want} traces in mV, "
                                 f"finite, sampled as the protocol; got {got}. Fix: {fix}.")
        return v

    def _clamps(self, clamp: Any, continuous: bool, substeps: int) -> tuple[np.ndarray, np.ndarray]:
        """``clamp = (v, until)`` checked: the commands ``(n_sweeps, n_samples)`` (mV) and the
        release times ``(n_sweeps,)`` (ms) on the simulation grid."""
        who = "Protocol.simulate.clamp"
        if continuous:
            raise ParameterError(f"{who}: a clamp to each sweep's recorded start excludes "
                                 "continuous=True (the sweeps then start from one another). "
                                 "Fix: drop one of them.")
        if not isinstance(clamp, tuple | list) or len(clamp) != 2:
            raise ParameterError(f"{who} must be (v, until): the recorded traces (n_sweeps, "
                                 f"n_samples) in mV and the release time(s) in ms; got a "
                                 f"{type(clamp).__name__}.")
        v, until = clamp
        v = self.check_traces(v, f"{who}: v")
        try:
            u = np.broadcast_to(np.asarray(until, dtype=float), (self.n_sweeps,))
        except (TypeError, ValueError):
            u = np.array([np.nan])
        if not np.all((u >= 0) & (u <= self.t_stop)):
            raise ParameterError(f"{who}: until must be a time within the sweep, 0 to "
                                 f"{self.t_stop:g} ms, or one per sweep ({self.n_sweeps}); got "
                                 f"{until!r}.")
        return v, np.array([self._grid_time(float(x), substeps) for x in u])

    def _simulate_continuous(self, model: Any, user: dict[str, Any], labels: dict[str, Any],
                             pshape: tuple[int, ...], hold: Any, sweepwise: dict[str, Any],
                             factor: Any, substeps: int, lead_in: float,
                             common: dict[str, Any]) -> ProtocolResult:
        """:meth:`simulate` with ``continuous=True``: every sweep in one run."""
        from ..engine.simulate import simulate

        if not self.starts:
            of = f" of {self.source}" if self.source else ""
            raise ParameterError(
                f"Protocol.simulate(continuous=True): the protocol{of} "
                "does not know when its sweeps began (Protocol.starts is empty). Fix: build it "
                "with Protocol.from_recording from a recording read whole (read_abf records the "
                "sweep start times; a Recording.cut recording has lost the epochs after the cut), "
                "or pass starts=... to Protocol.")
        if sweepwise:
            raise ParameterError(
                f"Protocol.simulate(continuous=True): per_sweep ({', '.join(sweepwise)}) would "
                "change parameters at every sweep boundary. Fix: drop per_sweep (the sweeps "
                "start from the previous sweep's end state).")
        if hold is not None:
            h = _keep(hold)
            if not is_traced(h) and np.any(np.ptp(np.asarray(h, dtype=float), axis=-1) != 0):
                raise ParameterError(
                    "Protocol.simulate(continuous=True).holding must be the same in every sweep "
                    "(one current held through the whole recording); got different values "
                    "across sweeps. Fix: pass one holding current, repeated for each sweep.")
            hold = h[..., 0]
        lead = _time(lead_in, "Protocol.simulate.lead_in")
        k_lead = round(lead / self.dt)
        if not (math.isfinite(lead) and lead >= 0) or abs(k_lead * self.dt - lead) > 1e-6 * self.dt:
            raise ParameterError(
                f"Protocol.simulate.lead_in must be a multiple >= 0 of dt = {self.dt:g} ms; got "
                f"{lead_in!r}. Fix: e.g. lead_in={max(k_lead, 0) * self.dt:g}.")
        n, dt = self.n_samples, self.dt
        first = [k_lead + round(st / dt) for st in self.starts]  # first sample of each sweep
        offsets = [self._grid_time(f * dt, substeps) for f in first]
        end = offsets[-1] + n * dt  # one sample past the last sweep
        # an open epoch (stop = inf) ends with its sweep
        stims = [Step(amplitude=f"{float(e.amplitude)!r} pA",
                      start=self._grid_time(off + e.start, substeps),
                      stop=self._grid_time(off + min(e.stop, n * dt), substeps))
                 for off, eps in zip(offsets, self.epochs) for e in eps]
        b_all = dict(user)
        if hold is not None:
            stims.append(Step(amplitude=0.0, start=0.0, stop=self._grid_time(end, substeps)))
            b_all[f"stimulus[{len(stims) - 1}].amplitude"] = _keep(factor) * hold
        res = simulate(model, self._grid_time(end - dt, substeps),
                       float(np.float64(dt) / substeps), stimulus=stims, batch=b_all or None,
                       **common)
        traces = {k: _fix_shape(_stack_sweeps([v[..., f:f + n] for f in first]),
                                (*pshape, self.n_sweeps))
                  for k, v in res.traces.items()}
        return ProtocolResult(
            t=self.t, traces=traces, units=dict(res.units), batch_shape=pshape, protocol=self,
            results=(res,), strategy="continuous", labels=dict(labels),
            voltage_var=getattr(model, "voltage_var", "v"), offsets=tuple(offsets),
        )


def _stack_sweeps(parts: list[Any]) -> Any:
    """Per-sweep traces ``(..., n_samples)`` stacked on a sweep axis ``(..., n_sweeps,
    n_samples)``; traced values (inside ``jax.jit``/``grad``) stay traced."""
    if any(is_traced(p) for p in parts):
        import jax.numpy as jnp

        return jnp.stack(parts, axis=-2)
    return np.stack([np.asarray(p) for p in parts], axis=-2)


def _keep(v: Any) -> Any:
    """``v`` as an array, traced values (inside ``jax.jit``/``grad``) kept as they are."""
    return v if is_traced(v) else np.asarray(v)


def _as_protocol_model(model: Any) -> Any:
    """A :class:`~neurodyn.cable.Cell` becomes a :class:`~neurodyn.fitting.CellModel` (current
    injected and voltage recorded at ``soma(0.5)``); other models pass unchanged."""
    from ..cable import Cell

    if isinstance(model, Cell):
        from .cell_model import CellModel

        return CellModel(model)
    return model


def _fix_shape(x: Any, shape: tuple[int, ...]) -> Any:
    if is_traced(x) or type(x).__module__.startswith("jax"):
        return x.reshape((*shape, x.shape[-1]))
    return np.asarray(x).reshape((*shape, np.shape(x)[-1]))


def _pA_factor(model: Any) -> Any:
    """Value in the model's input unit of 1 pA (an array if ``area`` is batched)."""
    return Step(amplitude="1 pA").bind(model).amplitude


def _to(x: Any, unit: str, what: str) -> float:
    """``x`` (a number in ``unit``, a string with a unit or a Quantity) as a float in ``unit``;
    decimal conversions stay exact (``"0.02 nA"`` is 20.0 pA, not 20.000000000000004)."""
    q = x
    if isinstance(q, str):
        q = parse_quantity(q)
        if q.unit.name == "":
            q = q.value
    if isinstance(q, Quantity):
        fix = f"Fix: give it in {unit} or a compatible unit."
        return float(q.value) * _unit_factor(q.unit.name, unit, what, fix)
    try:
        return float(q)
    except (TypeError, ValueError):
        raise RecordingError(
            f"{what} must be a number in {unit} or a string with a unit; got {x!r}. "
            f"Fix: pass e.g. 10 or '10 {unit}'."
        ) from None


def _time(x: Any, what: str) -> float:
    return _to(x, "ms", what)


# ---------------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class ProtocolResult:
    """Traces of every sweep of a protocol (and every parameter set of a batch).

    Attributes
    ----------
    t:
        Sample times (ms), ``k·dt`` — the recording's sampling, relative to each sweep's first
        sample.
    traces:
        Recorded variables, each ``(*batch_shape, n_sweeps, n_samples)``.
    units:
        Unit of each variable (``i_ext`` in the model's input unit).
    batch_shape:
        Shape ``P`` of the parameter sets (``()`` without ``batch``).
    protocol:
        The protocol that was run.
    results:
        The underlying :class:`~neurodyn.Result` objects (one for the batched strategy, one per
        sweep for the loop).
    strategy:
        ``"batch"``, ``"loop"`` or ``"continuous"`` (every sweep in one run).
    labels:
        The user's batch arrays broadcast to ``batch_shape``.
    offsets:
        ``"continuous"``: the time (ms) in the run of each sweep's first sample.
    """

    t: np.ndarray
    traces: dict[str, Any]
    units: dict[str, str]
    batch_shape: tuple[int, ...]
    protocol: Protocol
    results: tuple[Any, ...]
    strategy: str
    labels: dict[str, Any] = field(default_factory=dict)
    voltage_var: str = "v"
    offsets: tuple[float, ...] = ()

    @property
    def v(self) -> Any:
        """Membrane potential (mV), ``(*batch_shape, n_sweeps, n_samples)``."""
        return self.trace(self.voltage_var)

    def trace(self, name: str = "v") -> Any:
        if name not in self.traces:
            raise KeyError(
                f"{name!r} was not recorded; recorded: {', '.join(self.traces) or 'nothing'}. "
                f"Fix: protocol.simulate(model, record=[{name!r}, ...])."
            )
        return self.traces[name]

    def spike_times(self) -> np.ndarray:
        """Spike times (ms) per parameter set and sweep: an object array
        ``(*batch_shape, n_sweeps)`` of 1-D arrays."""
        n_sw = self.protocol.n_sweeps
        out = np.empty((*self.batch_shape, n_sw), dtype=object)
        flat = out.reshape(-1, n_sw)
        for r in self.results:
            if r.spikes is None:
                raise ValueError("spikes were not recorded. Fix: simulate with spikes=True.")
        if self.strategy == "batch":
            trains = self.results[0].spikes.trains()
            for k, tr in enumerate(trains):
                flat[k // n_sw, k % n_sw] = tr
        elif self.strategy == "continuous":  # one train per parameter set, cut at the sweeps
            length = self.protocol.t_stop + self.protocol.dt
            for k, tr in enumerate(self.results[0].spikes.trains()):
                tr = np.asarray(tr, dtype=float)
                for s, off in enumerate(self.offsets):
                    flat[k, s] = tr[(tr >= off) & (tr < off + length)] - off
        else:
            for s, r in enumerate(self.results):
                for k, tr in enumerate(r.spikes.trains()):
                    flat[k, s] = tr
        return flat.reshape(out.shape)

    def spike_counts(self) -> np.ndarray:
        """Spike count per parameter set and sweep, ``(*batch_shape, n_sweeps)``."""
        st = self.spike_times()
        return np.vectorize(len, otypes=[int])(st) if st.size else np.zeros(st.shape, int)
