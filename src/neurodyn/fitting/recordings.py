"""Current-clamp recordings: sweeps of membrane potential and injected current.

A :class:`Sweep` holds one trace on a uniform time grid, always in neurodyn's units: time ``t``
in ms, membrane potential ``v`` in mV and the injected (or commanded) current ``i`` in pA. A
:class:`Recording` is an ordered tuple of sweeps from one cell, with the liquid-junction
potential (LJP, mV) that was *not* corrected in the data.

Readers convert from the file's units once, here:

* :func:`read_abf` — Axon ABF files (needs ``pyabf``; the command waveform ``sweepC`` is the
  current);
* :func:`read_nwb` — NWB intracellular ephys (needs ``pynwb``): ``CurrentClampSeries`` paired with
  ``CurrentClampStimulusSeries``;
* :func:`read_npz`, :func:`read_csv` and :func:`from_arrays` — plain arrays.

Sign convention of the liquid-junction potential (as BluePyEfe):
``V_corrected = V_recorded − LJP``; e.g. ``Recording.corrected(14)`` shifts every trace down by
14 mV.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, UnitError
from ..units import describe_dimension, parse_unit

__all__ = [
    "Recording",
    "RecordingError",
    "Sweep",
    "from_arrays",
    "read_abf",
    "read_csv",
    "read_npz",
    "read_nwb",
]


class RecordingError(ParameterError):
    """A recording or protocol is malformed (sampling, lengths, NaN, missing stimulus)."""


# ---------------------------------------------------------------------------------------- units
_ALIASES = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s", "msec": "ms",
    "volt": "V", "volts": "V", "ampere": "A", "amperes": "A", "amp": "A", "amps": "A",
    "μa": "uA", "μv": "uV",
}


def _unit_factor(unit: str, target: str, what: str, fix: str) -> float:
    """Factor that converts values in ``unit`` to ``target`` (rounded to 12 significant digits,
    so that ``nA -> pA`` is exactly 1000)."""
    text = str(unit).strip()
    text = _ALIASES.get(text.lower(), _ALIASES.get(text, text))
    try:
        u = parse_unit(text)
        t = parse_unit(target)
    except UnitError:
        raise UnitError(
            f"{what}: unknown unit {unit!r}; expected a {describe_dimension(target)} such as "
            f"{target!r}. {fix}"
        ) from None
    if u.dim != t.dim or text in ("", "1"):
        raise UnitError(
            f"{what} must be a {describe_dimension(target)} (e.g. {target}); got unit {unit!r}, "
            f"a {describe_dimension(u) if text not in ('', '1') else 'dimensionless number'}. {fix}"
        )
    f = u.scale / t.scale
    return float(f"{f:.12g}")


def _rounded_dt(dt: float, dtype: Any) -> float:
    """The sampling interval estimated from the time vector, rounded to the precision of its
    dtype (removes the last-digit error of ``(t[-1] - t[0]) / (n - 1)``)."""
    digits = 6 if np.dtype(dtype) == np.float32 else 12
    return float(f"{dt:.{digits}g}")


# ---------------------------------------------------------------------------------------- Sweep
@dataclass(frozen=True, eq=False)
class Sweep:
    """One current-clamp sweep on a uniform time grid.

    Parameters
    ----------
    t:
        Sample times in ms (1-D, strictly increasing, uniformly spaced). Stored as the exact grid
        ``t[0] + k·dt`` (float64), so float32 times lose nothing but their rounding error.
    v:
        Membrane potential in mV, one value per sample.
    i:
        Injected current in pA (the command or the recorded current), one value per sample.
    name:
        Label of the sweep (e.g. ``"sweep 3"``).
    meta:
        Free-form metadata (file, sweep number, protocol name, ...).

    Raises
    ------
    RecordingError
        Arrays that are not 1-D, of different lengths, with NaN/Inf, non-increasing or
        non-uniform sampling (the message states the largest deviation from the mean interval).
    """

    t: np.ndarray
    v: np.ndarray
    i: np.ndarray
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        who = f"Sweep {self.name!r}" if self.name else "Sweep"
        arrays = {}
        for key, unit in (("t", "ms"), ("v", "mV"), ("i", "pA")):
            raw = getattr(self, key)
            if raw is None:
                raise RecordingError(
                    f"{who}.{key} is required ({unit}); got None. Fix: pass an array"
                    + (" (zeros if no current was injected)." if key == "i" else ".")
                )
            try:
                a = np.asarray(raw)
                af = a.astype(np.float64)
            except (TypeError, ValueError):
                raise RecordingError(
                    f"{who}.{key} must be a 1-D array of numbers in {unit}; got {type(raw).__name__}. "
                    "Fix: pass a NumPy array."
                ) from None
            if af.ndim != 1:
                raise RecordingError(
                    f"{who}.{key} must be 1-D (one value per sample, {unit}); got shape {af.shape}. "
                    "Fix: build one Sweep per row, e.g. with neurodyn.fitting.from_arrays(t, V, I)."
                )
            bad = ~np.isfinite(af)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise RecordingError(
                    f"{who}.{key} contains {int(bad.sum())} NaN/Inf value(s) ({unit}); the first at "
                    f"sample {k}. Fix: drop or interpolate the missing samples (or cut the sweep) "
                    "before building the Sweep."
                )
            arrays[key] = (a, af)
        n = {k: af.size for k, (_, af) in arrays.items()}
        if len(set(n.values())) != 1:
            raise RecordingError(
                f"{who}: t, v and i must have the same length (one value per sample); got "
                f"len(t) = {n['t']}, len(v) = {n['v']}, len(i) = {n['i']}. Fix: cut the longer "
                "arrays or check that they belong to the same sweep."
            )
        if n["t"] < 2:
            raise RecordingError(
                f"{who} needs at least 2 samples to define its sampling; got {n['t']}. "
                "Fix: pass the whole trace."
            )
        t_raw, t = arrays["t"]
        d = np.diff(t)
        if np.any(d <= 0):
            k = int(np.flatnonzero(d <= 0)[0])
            raise RecordingError(
                f"{who}.t must be strictly increasing (ms); t[{k + 1}] = {t[k + 1]:g} ms is not after "
                f"t[{k}] = {t[k]:g} ms. Fix: sort the samples, drop duplicates, or check that t is "
                "the time vector of one sweep (not several concatenated)."
            )
        n_s = t.size
        dt = _rounded_dt((t[-1] - t[0]) / (n_s - 1), t_raw.dtype if t_raw.dtype.kind == "f" else float)
        grid = t[0] + np.arange(n_s) * dt
        dev = np.abs(t - grid)
        eps = np.finfo(t_raw.dtype if t_raw.dtype.kind == "f" else np.float64).eps
        tol = 1e-6 * dt + 4 * eps * float(np.max(np.abs(t)))
        if dev.max() > tol:
            d_med = float(np.median(d))
            j = int(np.argmax(np.abs(d - d_med)))
            raise RecordingError(
                f"{who}.t must be uniformly sampled; the sampling intervals range "
                f"{d.min():.6g}–{d.max():.6g} ms: the largest deviation from the median interval "
                f"({d_med:.6g} ms) is {abs(d[j] - d_med):.3g} ms, between samples {j} and {j + 1} "
                f"(t = {t[j]:.6g} ms), and the sample times deviate from a uniform grid by up to "
                f"{dev.max():.3g} ms. Fix: resample the sweep onto a uniform grid (e.g. numpy.interp) "
                "or split it at the gap."
            )
        object.__setattr__(self, "t", grid)
        object.__setattr__(self, "v", arrays["v"][1])
        object.__setattr__(self, "i", arrays["i"][1])
        object.__setattr__(self, "meta", dict(self.meta))

    @property
    def dt(self) -> float:
        """Sampling interval (ms): ``t = t[0] + k·dt`` exactly."""
        n = self.t.size
        return _rounded_dt((self.t[-1] - self.t[0]) / (n - 1), np.float64)

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.t.size)

    @property
    def duration(self) -> float:
        """``n_samples · dt`` (ms): the time covered by the samples (each holds for one dt)."""
        return self.n_samples * self.dt

    def __repr__(self) -> str:
        return (f"Sweep({self.name!r}, {self.n_samples} samples, dt={self.dt:g} ms, "
                f"t0={self.t[0]:g} ms)")


# ---------------------------------------------------------------------------------------- Recording
@dataclass(frozen=True, eq=False)
class Recording:
    """Sweeps of one cell.

    Parameters
    ----------
    sweeps:
        The sweeps, in protocol order.
    source:
        Where they came from (file path, URL).
    cell:
        Cell identifier.
    ljp:
        Liquid-junction potential in mV that is still *in* the data (``None``: unknown). See
        :meth:`corrected`.
    meta:
        Free-form metadata; :meth:`corrected` records the LJP it subtracted as
        ``meta["ljp_corrected_mV"]``.
    """

    sweeps: tuple[Sweep, ...]
    source: str = ""
    cell: str = ""
    ljp: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sw = self.sweeps
        if isinstance(sw, Sweep):
            sw = (sw,)
        sw = tuple(sw)
        for k, s in enumerate(sw):
            if not isinstance(s, Sweep):
                raise RecordingError(
                    f"Recording.sweeps[{k}] must be a Sweep; got {type(s).__name__}. "
                    "Fix: build sweeps with neurodyn.fitting.Sweep(t, v, i) or use from_arrays(...)."
                )
        if not sw:
            raise RecordingError(
                f"Recording{f' {self.source or self.cell!r}' if self.source or self.cell else ''} has "
                "no sweeps. Fix: pass at least one Sweep (check the file's channel and sweep selection)."
            )
        object.__setattr__(self, "sweeps", sw)
        if self.ljp is not None:
            ljp = float(self.ljp)
            if not math.isfinite(ljp):
                raise RecordingError(
                    f"Recording.ljp must be a finite liquid-junction potential in mV; got {self.ljp!r}. "
                    "Fix: pass e.g. ljp=14 (mV) or None if unknown."
                )
            object.__setattr__(self, "ljp", ljp)
        object.__setattr__(self, "meta", dict(self.meta))

    # --------------------------------------------------------------- container protocol
    def __len__(self) -> int:
        return len(self.sweeps)

    def __iter__(self) -> Iterator[Sweep]:
        return iter(self.sweeps)

    def __getitem__(self, index: int) -> Sweep:
        return self.sweeps[index]

    def __repr__(self) -> str:
        try:
            dt = f"{self.dt:g} ms"
        except RecordingError:
            dt = "mixed"
        return (f"Recording({len(self)} sweeps, dt={dt}, cell={self.cell!r}, source={self.source!r}, "
                f"ljp={self.ljp!r})")

    # --------------------------------------------------------------- sampling
    @property
    def dt(self) -> float:
        """The common sampling interval (ms); :class:`RecordingError` if the sweeps differ."""
        dts = [s.dt for s in self.sweeps]
        if any(not math.isclose(d, dts[0], rel_tol=1e-9) for d in dts):
            detail = ", ".join(f"{s.name or k}: {d:g} ms" for k, (s, d) in enumerate(zip(self.sweeps, dts)))
            raise RecordingError(
                f"Recording {self.cell or self.source!r}: the sweeps have different sampling "
                f"intervals ({detail}). Fix: select sweeps of one sampling with "
                "recording.select([...]) or resample them."
            )
        return dts[0]

    @property
    def n_samples(self) -> int:
        """The common number of samples per sweep; :class:`RecordingError` if they differ."""
        ns = [s.n_samples for s in self.sweeps]
        if len(set(ns)) != 1:
            raise RecordingError(
                f"Recording {self.cell or self.source!r}: the sweeps have different lengths "
                f"({', '.join(map(str, ns))} samples). Fix: select sweeps of one length with "
                "recording.select([...]) or cut them to a common length."
            )
        return ns[0]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sweeps)

    def voltages(self) -> np.ndarray:
        """Membrane potentials as an array ``(n_sweeps, n_samples)`` in mV."""
        self.n_samples  # noqa: B018 - checks the lengths
        return np.stack([s.v for s in self.sweeps])

    def currents(self) -> np.ndarray:
        """Injected currents as an array ``(n_sweeps, n_samples)`` in pA."""
        self.n_samples  # noqa: B018 - checks the lengths
        return np.stack([s.i for s in self.sweeps])

    # --------------------------------------------------------------- transformations
    def select(self, indices: int | slice | Sequence[int]) -> Recording:
        """A new recording with the sweeps at ``indices`` (an int, a slice or a list of ints).
        Unless they are consecutive and in order, the sweeps lose their ``meta["start_ms"]``."""
        n = len(self.sweeps)
        if isinstance(indices, slice):
            idx = list(range(n))[indices]
        elif isinstance(indices, int | np.integer):
            idx = [int(indices)]
        else:
            idx = list(indices)
        for k in idx:
            if not isinstance(k, int | np.integer) or not -n <= int(k) < n:
                raise RecordingError(
                    f"Recording.select: sweep index {k!r} is out of range for {n} sweeps "
                    f"(valid: 0..{n - 1}). Fix: pass integer indices below {n}."
                )
        idx = [int(k) % n for k in idx]
        sweeps = tuple(self.sweeps[k] for k in idx)
        if not _consecutive(idx):
            # sweeps left out between the selected ones: their start times would show pauses
            # without stimulus (Protocol.starts), so they are dropped
            sweeps = tuple(replace(sw, meta={k: v for k, v in sw.meta.items() if k != "start_ms"})
                           for sw in sweeps)
        return replace(self, sweeps=sweeps)

    def cut(self, stop: float) -> Recording:
        """A new recording whose sweeps keep only the samples before ``stop`` (ms from each
        sweep's first sample): analyses of the first part of long sweeps then simulate less."""
        stop = float(stop)
        if not math.isfinite(stop) or stop <= 2 * self.dt:
            raise RecordingError(f"Recording.cut: stop must be a time in ms after the second "
                                 f"sample ({2 * self.dt:g} ms); got {stop!r}.")
        out = []
        for sw in self.sweeps:
            k = int(np.searchsorted(sw.t - sw.t[0], stop - 1e-9 * self.dt))
            out.append(replace(sw, t=sw.t[:k], v=sw.v[:k], i=sw.i[:k],
                               meta={**sw.meta, "cut_ms": stop}))
        return replace(self, sweeps=tuple(out))

    def corrected(self, ljp: float | None = None) -> Recording:
        """The recording with the liquid-junction potential subtracted:
        ``V_corrected = V_recorded − LJP`` (BluePyEfe's convention).

        Parameters
        ----------
        ljp:
            LJP in mV; default: :attr:`ljp`. The result has ``ljp = 0`` and records the value in
            ``meta["ljp_corrected_mV"]``.
        """
        value = self.ljp if ljp is None else ljp
        if value is None:
            raise RecordingError(
                f"Recording.corrected: no liquid-junction potential is known for "
                f"{self.cell or self.source or 'this recording'!r} (ljp=None). Fix: pass it, "
                "e.g. recording.corrected(ljp=14) for 14 mV (V_corrected = V_recorded - 14 mV)."
            )
        value = float(value)
        if not math.isfinite(value):
            raise RecordingError(f"Recording.corrected: ljp must be finite (mV); got {ljp!r}.")
        sweeps = tuple(replace(s, v=s.v - value) for s in self.sweeps)
        meta = dict(self.meta)
        meta["ljp_corrected_mV"] = float(meta.get("ljp_corrected_mV", 0.0)) + value
        remaining = None if self.ljp is None else self.ljp - value
        return replace(self, sweeps=sweeps, ljp=remaining, meta=meta)


# ---------------------------------------------------------------------------------------- arrays
def from_arrays(
    t_ms: Any,
    v_mV: Any,
    i_pA: Any,
    *,
    dt_ms: float | None = None,
    names: Sequence[str] | None = None,
    units: Mapping[str, str] | None = None,
    source: str = "",
    cell: str = "",
    ljp: float | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Recording:
    """Build a :class:`Recording` from arrays.

    Parameters
    ----------
    t_ms:
        Times in ms, shape ``(n_samples,)`` (shared by all sweeps) or ``(n_sweeps, n_samples)``;
        ``None`` with ``dt_ms`` for ``t = k·dt``.
    v_mV:
        Membrane potential in mV, ``(n_samples,)`` for one sweep or ``(n_sweeps, n_samples)``.
    i_pA:
        Injected current in pA, same shape as ``v_mV``.
    dt_ms:
        Sampling interval in ms when ``t_ms`` is ``None``.
    names:
        Sweep names (default ``"0"``, ``"1"``, ...).
    units:
        Units of the arrays if they are not ms/mV/pA, e.g. ``{"t": "s", "v": "V", "i": "nA"}``.
    source, cell, ljp, meta:
        See :class:`Recording` (``ljp`` in mV).

    Example
    -------
    >>> d = np.load("B6_IDRest.npz")  # doctest: +SKIP
    >>> rec = from_arrays(d["t_ms"], d["voltage_mV"], d["current_pA"], ljp=14)  # doctest: +SKIP
    """
    units = dict(units or {})
    unknown = set(units) - {"t", "v", "i"}
    if unknown:
        raise ParameterError(
            f"from_arrays.units: unknown key(s) {sorted(unknown)}; expected 't', 'v' and/or 'i'. "
            "Fix: e.g. units={'t': 's', 'v': 'V', 'i': 'nA'}."
        )
    fac = {
        "t": _unit_factor(units.get("t", "ms"), "ms", "from_arrays: time unit",
                          "Fix: give the time unit as 'ms' or 's'."),
        "v": _unit_factor(units.get("v", "mV"), "mV", "from_arrays: membrane potential unit",
                          "Fix: give the voltage unit as 'mV' or 'V' (current-clamp data)."),
        "i": _unit_factor(units.get("i", "pA"), "pA", "from_arrays: current unit",
                          "Fix: give the current unit as 'pA' or 'nA'."),
    }
    v = np.asarray(v_mV)
    i = np.asarray(i_pA)
    if v.ndim not in (1, 2) or i.ndim not in (1, 2):
        raise RecordingError(
            f"from_arrays: v_mV and i_pA must be 1-D (one sweep) or 2-D (sweeps x samples); got "
            f"shapes {v.shape} and {i.shape}. Fix: reshape to (n_sweeps, n_samples)."
        )
    v2 = np.atleast_2d(v)
    i2 = np.atleast_2d(i)
    if v2.shape[0] != i2.shape[0]:
        raise RecordingError(
            f"from_arrays: v_mV has {v2.shape[0]} sweep(s) but i_pA has {i2.shape[0]}; got shapes "
            f"{v.shape} and {i.shape}. Fix: pass one current trace per voltage trace."
        )
    n_sweeps = v2.shape[0]
    if t_ms is None:
        if dt_ms is None:
            raise ParameterError(
                "from_arrays: give the sample times t_ms or the sampling interval dt_ms (ms); got "
                "neither. Fix: from_arrays(None, v, i, dt_ms=0.05) for 20 kHz."
            )
        dtf = float(dt_ms) * fac["t"]
        if not (math.isfinite(dtf) and dtf > 0):
            raise RecordingError(f"from_arrays.dt_ms must be > 0 ms; got {dt_ms!r}.")
        t2 = np.broadcast_to(np.arange(v2.shape[1]) * dtf, (n_sweeps, v2.shape[1]))
    else:
        t = np.asarray(t_ms)
        if t.ndim not in (1, 2):
            raise RecordingError(
                f"from_arrays: t_ms must be 1-D (shared) or 2-D (per sweep); got shape {t.shape}."
            )
        if t.ndim == 2 and t.shape[0] != n_sweeps:
            raise RecordingError(
                f"from_arrays: t_ms has {t.shape[0]} rows but there are {n_sweeps} sweeps. Fix: pass "
                "one time vector for all sweeps or one per sweep."
            )
        t2 = np.broadcast_to(np.atleast_2d(t), (n_sweeps, t.shape[-1]))
        if fac["t"] != 1.0:
            t2 = t2 * fac["t"]
    if names is None:
        names = [str(k) for k in range(n_sweeps)]
    names = [str(x) for x in names]
    if len(names) != n_sweeps:
        raise RecordingError(
            f"from_arrays.names has {len(names)} entries for {n_sweeps} sweeps. Fix: one name per sweep."
        )
    sweeps = []
    for k in range(n_sweeps):
        vk = v2[k] * fac["v"] if fac["v"] != 1.0 else v2[k]
        ik = i2[k] * fac["i"] if fac["i"] != 1.0 else i2[k]
        sweeps.append(Sweep(t2[k], vk, ik, name=names[k], meta={"index": k}))
    return Recording(tuple(sweeps), source=source, cell=cell, ljp=ljp, meta=dict(meta or {}))


def read_npz(
    path: str | os.PathLike[str],
    *,
    t_key: str | None = None,
    v_key: str | None = None,
    i_key: str | None = None,
    cell: str = "",
    ljp: float | None = None,
) -> Recording:
    """Read sweeps from a NumPy ``.npz`` file.

    Keys (found automatically, or given): time ``t_ms`` (ms), voltage ``v_mV`` or ``voltage_mV``
    (mV, ``(n_sweeps, n_samples)`` or 1-D), current ``i_pA`` or ``current_pA`` (pA). Optional:
    ``sweep_ids``/``names`` (sweep names), ``liquid_junction_potential_mV``/``ljp_mV`` (mV; used
    when ``ljp`` is not given). This reads the derived BluePyEfe ``B6_IDRest.npz`` directly.
    """
    p = Path(path)
    if not p.is_file():
        raise RecordingError(f"read_npz: file not found: {str(p)!r}. Fix: check the path.")
    with np.load(p, allow_pickle=False) as d:
        keys = set(d.files)

        def pick(given: str | None, options: tuple[str, ...], what: str) -> str:
            if given is not None:
                if given not in keys:
                    raise RecordingError(
                        f"read_npz({p.name}): no key {given!r} for the {what}; keys: {sorted(keys)}."
                    )
                return given
            for o in options:
                if o in keys:
                    return o
            raise RecordingError(
                f"read_npz({p.name}): no {what} array (looked for {', '.join(options)}); keys in the "
                f"file: {sorted(keys)}. Fix: pass {what.split()[0]}_key=<name> (values must be in "
                f"{options[0].split('_')[-1]})."
            )

        tk = pick(t_key, ("t_ms",), "t time (ms)")
        vk = pick(v_key, ("v_mV", "voltage_mV"), "v membrane potential (mV)")
        ik = pick(i_key, ("i_pA", "current_pA"), "i current (pA)")
        names = None
        for nk in ("names", "sweep_ids", "sweep_names"):
            if nk in keys:
                names = [str(x) for x in np.ravel(d[nk])]
                break
        if ljp is None:
            for lk in ("liquid_junction_potential_mV", "ljp_mV"):
                if lk in keys:
                    ljp = float(d[lk])
                    break
        meta = {k: d[k].item() for k in keys if d[k].ndim == 0}
        return from_arrays(d[tk], d[vk], d[ik], names=names, source=str(p), cell=cell or p.stem,
                           ljp=ljp, meta=meta)


_CSV_COLUMNS = {"t": ("ms", "time"), "v": ("mV", "membrane potential"), "i": ("pA", "current")}


def read_csv(path: str | os.PathLike[str], *, cell: str = "", ljp: float | None = None) -> Recording:
    """Read sweeps from a CSV file in long format.

    Columns: ``t_ms``, ``v_mV``, ``i_pA`` and optionally ``sweep`` (the sweep label; rows of one
    sweep in time order). Other units are converted when the column name says so: ``t_s``,
    ``v_V``, ``i_nA``. Lines starting with ``#`` are comments.
    """
    p = Path(path)
    if not p.is_file():
        raise RecordingError(f"read_csv: file not found: {str(p)!r}. Fix: check the path.")
    with p.open(newline="") as fh:
        lines = [(no, line) for no, line in enumerate(fh, start=1)
                 if line.strip() and not line.lstrip().startswith("#")]
    numbers = [no for no, _ in lines]
    rows = csv.reader(line for _, line in lines)
    try:
        header = [h.strip() for h in next(rows)]
    except StopIteration:
        raise RecordingError(f"read_csv({p.name}): the file is empty. Fix: write a header line "
                             "t_ms,v_mV,i_pA,sweep and one row per sample.") from None
    cols: dict[str, tuple[int, float]] = {}
    for j, h in enumerate(header):
        base, _, unit = h.partition("_")
        if base in _CSV_COLUMNS and unit:
            target, what = _CSV_COLUMNS[base]
            fix = f"Fix: name the column {base}_{target} (values in {target})."
            cols[base] = (j, _unit_factor(unit, target, f"read_csv({p.name}): column {h!r} ({what})",
                                          fix))
    missing = [f"{b}_{u}" for b, (u, _) in _CSV_COLUMNS.items() if b not in cols]
    if missing:
        raise RecordingError(
            f"read_csv({p.name}): missing column(s) {', '.join(missing)}; the header is "
            f"{header}. Fix: name the columns t_ms, v_mV, i_pA (and sweep for several sweeps)."
        )
    j_sweep = header.index("sweep") if "sweep" in header else None
    data: dict[str, list[list[float]]] = {}
    for line_no, row in zip(numbers[1:], rows):
        if len(row) != len(header):
            raise RecordingError(
                f"read_csv({p.name}) line {line_no}: {len(row)} fields for {len(header)} columns. "
                "Fix: one value per column on every line."
            )
        label = row[j_sweep].strip() if j_sweep is not None else "0"
        try:
            vals = [float(row[cols[b][0]]) * cols[b][1] for b in ("t", "v", "i")]
        except ValueError:
            raise RecordingError(
                f"read_csv({p.name}) line {line_no}: non-numeric value in {row}. Fix: write numbers "
                "(empty cells are not allowed; use nan only where you mean it)."
            ) from None
        data.setdefault(label, []).append(vals)
    if not data:
        raise RecordingError(f"read_csv({p.name}): no data rows. Fix: add one row per sample.")
    sweeps = []
    for k, (label, vals) in enumerate(data.items()):
        a = np.asarray(vals, dtype=float)
        sweeps.append(Sweep(a[:, 0], a[:, 1], a[:, 2], name=label, meta={"index": k}))
    return Recording(tuple(sweeps), source=str(p), cell=cell or p.stem, ljp=ljp)


def _consecutive(idx: Sequence[int]) -> bool:
    """True for a non-empty run of consecutive sweep indices in order (3, 4, 5)."""
    return bool(idx) and list(idx) == list(range(idx[0], idx[0] + len(idx)))


# ---------------------------------------------------------------------------------------- ABF
def read_abf(
    path: str | os.PathLike[str],
    *,
    channel: int = 0,
    sweeps: Sequence[int] | None = None,
    cell: str = "",
    ljp: float | None = None,
) -> Recording:
    """Read a current-clamp Axon ABF file with ``pyabf``.

    Per sweep ``abf.sweepX`` (s) becomes ``t`` in ms, ``abf.sweepY`` (must be a voltage; mV) ``v``
    and ``abf.sweepC``, the command waveform of the protocol (must be a current; pA), ``i``.
    ABF stores the commanded current, not a measured one. Each sweep's ``meta["start_ms"]`` is
    when it began (ms from the first sweep read; pyabf's ``sweepTimesSec``) when the sweeps read
    are consecutive: :attr:`Protocol.starts`, for running them back to back.

    Parameters
    ----------
    path:
        The ``.abf`` file.
    channel:
        ADC channel with the membrane potential (0-based).
    sweeps:
        Sweep numbers to read (default: all).
    cell, ljp:
        Cell label (default: the ABF id) and liquid-junction potential (mV) still in the data.
    """
    try:
        import pyabf
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "read_abf needs pyabf. Fix: pip install pyabf (or pip install 'neurodyn[fitting]')."
        ) from None
    p = Path(path)
    if not p.is_file():
        raise RecordingError(f"read_abf: file not found: {str(p)!r}. Fix: check the path.")
    abf = pyabf.ABF(str(p))
    if not isinstance(channel, int | np.integer) or not 0 <= int(channel) < abf.channelCount:
        raise RecordingError(
            f"read_abf({p.name}).channel must be an ADC channel in 0..{abf.channelCount - 1} "
            f"(channels: {list(abf.adcNames)}); got {channel!r}. Fix: pick the membrane-potential "
            "channel."
        )
    channel = int(channel)
    idx = list(range(abf.sweepCount)) if sweeps is None else [int(s) for s in sweeps]
    # only a run of consecutive sweeps keeps its start times: a gap left by unread sweeps would
    # look like a pause without stimulus to a continuous simulation (Protocol.starts)
    times = getattr(abf, "sweepTimesSec", None)
    consecutive = times is not None and _consecutive(idx)
    for s in idx:
        if not 0 <= s < abf.sweepCount:
            raise RecordingError(
                f"read_abf({p.name}).sweeps: sweep {s} is out of range (the file has "
                f"{abf.sweepCount} sweeps, 0..{abf.sweepCount - 1}). Fix: select existing sweeps."
            )
    out = []
    for s in idx:
        abf.setSweep(s, channel=channel)
        f_t = _unit_factor(abf.sweepUnitsX, "ms", f"read_abf({p.name}): time axis",
                           "Fix: check the file in pyabf/Clampfit, or load the arrays yourself and "
                           "call from_arrays(t, v, i).")
        f_v = _unit_factor(
            abf.sweepUnitsY, "mV",
            f"read_abf({p.name}) channel {channel} ({abf.sweepLabelY!r})",
            "This is not a current-clamp voltage trace (a current here means a voltage-clamp "
            "recording). Fix: pick the membrane-potential channel with channel=..., or use a "
            "current-clamp file.",
        )
        f_i = _unit_factor(
            abf.sweepUnitsC, "pA",
            f"read_abf({p.name}) command waveform ({abf.sweepLabelC!r})",
            "The command of a current-clamp protocol must be a current. Fix: read a current-clamp "
            "file, or pass the injected current yourself with from_arrays(t, v, i).",
        )
        meta = {"file": p.name, "sweep": s, "channel": channel, "protocol": abf.protocol,
                "abf_id": abf.abfID, "date": str(abf.abfDateTime),
                "sample_rate_hz": float(abf.sampleRate)}
        if consecutive:  # when the sweep began (ms from the first one read): Protocol.starts
            meta["start_ms"] = float(np.round(
                (times[s] - times[idx[0]]) * 1000.0, 9))
        out.append(Sweep(np.asarray(abf.sweepX, dtype=float) * f_t,
                         np.asarray(abf.sweepY, dtype=float) * f_v,
                         np.asarray(abf.sweepC, dtype=float) * f_i,
                         name=f"sweep {s}", meta=meta))
    return Recording(tuple(out), source=str(p), cell=cell or abf.abfID, ljp=ljp,
                     meta={"protocol": abf.protocol, "format": f"ABF {abf.abfVersionString}"})


# ---------------------------------------------------------------------------------------- NWB
def _series_arrays(ts: Any, target: str, what: str, fix: str) -> tuple[np.ndarray, np.ndarray]:
    """(times in ms, values in ``target``) of an NWB TimeSeries."""
    data = np.asarray(ts.data[:], dtype=float)
    conv = float(getattr(ts, "conversion", 1.0) or 1.0)
    offset = float(getattr(ts, "offset", 0.0) or 0.0)
    f = _unit_factor(ts.unit, target, what, fix)
    values = (data * conv + offset) * f
    if ts.timestamps is not None:
        t = np.asarray(ts.timestamps[:], dtype=float) * 1e3
    else:
        if ts.rate is None:
            raise RecordingError(f"{what}: the series has neither timestamps nor a rate. "
                                 "Fix: write rate (Hz) or timestamps (s).")
        t0 = float(ts.starting_time or 0.0)
        t = (t0 + np.arange(data.shape[0]) / float(ts.rate)) * 1e3
    return t, values


def read_nwb(
    path: str | os.PathLike[str],
    *,
    cell: str = "",
    ljp: float | None = None,
) -> Recording:
    """Read current-clamp sweeps from an NWB file with ``pynwb``.

    Every ``CurrentClampSeries`` (acquisition) is paired with its ``CurrentClampStimulusSeries``:
    through the file's intracellular-recordings table when it has one, else by ``sweep_number``
    (or by name order when there is a single stimulus). Data are converted with each series'
    ``conversion``/``offset`` and ``unit`` (NWB stores volts and amperes) to mV and pA; time is
    ``timestamps`` or ``starting_time + k/rate`` (s) in ms.
    """
    try:
        from pynwb import NWBHDF5IO
        from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "read_nwb needs pynwb. Fix: pip install pynwb (or pip install 'neurodyn[fitting]')."
        ) from None
    p = Path(path)
    if not p.is_file():
        raise RecordingError(f"read_nwb: file not found: {str(p)!r}. Fix: check the path.")
    with NWBHDF5IO(str(p), "r") as io:
        nwb = io.read()
        pairs: list[tuple[Any, Any]] = []
        table = getattr(nwb, "intracellular_recordings", None)
        if table is not None and len(table) > 0:
            resp_col = table["responses"]["response"]
            stim_col = table["stimuli"]["stimulus"]
            for row in range(len(table)):
                r, s = resp_col[row], stim_col[row]
                resp = r.timeseries if r is not None and r.count != -1 else None
                stim = s.timeseries if s is not None and s.count != -1 else None
                if isinstance(resp, CurrentClampSeries):
                    pairs.append((resp, stim))
        else:
            responses = [x for x in nwb.acquisition.values() if isinstance(x, CurrentClampSeries)]
            stimuli = [x for x in nwb.stimulus.values() if isinstance(x, CurrentClampStimulusSeries)]
            by_sweep = {x.sweep_number: x for x in stimuli if x.sweep_number is not None}
            for resp in sorted(responses, key=lambda x: (x.sweep_number is None, x.sweep_number or 0,
                                                         x.name)):
                stim = by_sweep.get(resp.sweep_number) if resp.sweep_number is not None else None
                if stim is None and len(stimuli) == 1:
                    stim = stimuli[0]
                pairs.append((resp, stim))
        if not pairs:
            raise RecordingError(
                f"read_nwb({p.name}): no CurrentClampSeries found (acquisition: "
                f"{sorted(nwb.acquisition)}). Fix: this reader needs current-clamp data; voltage-"
                "clamp series are not supported."
            )
        sweeps = []
        for resp, stim in pairs:
            what = f"read_nwb({p.name}) {type(resp).__name__} {resp.name!r}"
            if stim is None:
                raise RecordingError(
                    f"{what} has no matching CurrentClampStimulusSeries (no intracellular-recordings "
                    "row and no stimulus with its sweep_number). Fix: write the stimulus with the "
                    "same sweep_number, or load the arrays and call from_arrays(t, v, i)."
                )
            t, v = _series_arrays(resp, "mV", f"{what}: data unit",
                                  "Fix: store the membrane potential in volts (NWB's unit).")
            ts, i = _series_arrays(stim, "pA", f"read_nwb({p.name}) stimulus {stim.name!r}: data unit",
                                   "Fix: store the injected current in amperes (NWB's unit).")
            if t.shape != ts.shape or not np.allclose(t, ts, rtol=0, atol=1e-6 * max(abs(t[-1]), 1)):
                raise RecordingError(
                    f"{what}: the response ({t.size} samples from {t[0]:g} ms) and its stimulus "
                    f"{stim.name!r} ({ts.size} samples from {ts[0]:g} ms) are not sampled on the same "
                    "grid. Fix: resample the stimulus onto the response's time base."
                )
            meta = {"file": p.name, "response": resp.name, "stimulus": stim.name,
                    "sweep_number": None if resp.sweep_number is None else int(resp.sweep_number),
                    "stimulus_description": getattr(resp, "stimulus_description", None)}
            sweeps.append(Sweep(t, v, i, name=resp.name, meta=meta))
        cell_id = cell or str(getattr(nwb, "identifier", "") or p.stem)
    return Recording(tuple(sweeps), source=str(p), cell=cell_id, ljp=ljp, meta={"format": "NWB"})
