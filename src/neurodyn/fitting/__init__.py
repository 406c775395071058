"""Data-in layer for fitting models to current-clamp recordings.

* :mod:`~neurodyn.fitting.recordings`: :class:`Sweep` (t in ms, v in mV, i in pA on a uniform
  grid) and :class:`Recording` (sweeps of one cell, liquid-junction potential in mV), with readers
  for ABF (``pyabf``), NWB (``pynwb``), NPZ and CSV files and :func:`from_arrays`.
* :mod:`~neurodyn.fitting.protocol`: :class:`Protocol`, the piecewise-constant current of every
  sweep (epochs in ms and pA, detected from a recording or built with :meth:`Protocol.steps`),
  and :meth:`Protocol.simulate`, which runs all sweeps of a protocol (times parameter sets) in one
  batched call and returns the traces on the recording's sample times.

Example
-------
>>> from neurodyn import fitting, models
>>> rec = fitting.read_abf("17o05028_ic_steps.abf")            # doctest: +SKIP
>>> protocol = fitting.Protocol.from_recording(rec)            # doctest: +SKIP
>>> out = protocol.simulate(models.AdEx(), batch={"a": [2, 4]})  # doctest: +SKIP
>>> out.v.shape  # (parameter sets, sweeps, samples)           # doctest: +SKIP
(2, 16, 60000)
"""

from .protocol import Epoch, Protocol, ProtocolResult
from .recordings import (
    Recording,
    RecordingError,
    Sweep,
    from_arrays,
    read_abf,
    read_csv,
    read_npz,
    read_nwb,
)

__all__ = [
    "Epoch",
    "Protocol",
    "ProtocolResult",
    "Recording",
    "RecordingError",
    "Sweep",
    "from_arrays",
    "read_abf",
    "read_csv",
    "read_npz",
    "read_nwb",
]
