"""Data-in layer for fitting models to current-clamp recordings.

* :mod:`~neurodyn.fitting.recordings`: :class:`Sweep` (t in ms, v in mV, i in pA on a uniform
  grid) and :class:`Recording` (sweeps of one cell, liquid-junction potential in mV), with readers
  for ABF (``pyabf``), NWB (``pynwb``), NPZ and CSV files and :func:`from_arrays`.
* :mod:`~neurodyn.fitting.features` (eFEL) and :mod:`~neurodyn.fitting.objectives` (feature
  targets with SDs, z-scores, trace and spike-time distances);
* :mod:`~neurodyn.fitting.problem` (:class:`FitProblem`: model, free parameters with bounds and
  transforms, protocol, target); optimisers: :func:`fit_cmaes` (batched CMA-ES),
  :func:`fit_nsga2` (multi-objective, Pareto front), both incremental and resumable, and
  :func:`fit_gradient` (Levenberg-Marquardt, Adam or L-BFGS on the spike-aware trace
  distance, multi-start in one differentiable call, gradients through spikes and resets) and
  :func:`fit_hybrid` (CMA-ES warm start, gradient polish);
  :class:`~neurodyn.fitting.distributed.DaskEvaluator` spreads generations over Dask workers;
* :mod:`~neurodyn.fitting.protocol`: :class:`Protocol`, the piecewise-constant current of every
  sweep (epochs in ms and pA, detected from a recording or built with :meth:`Protocol.steps`),
  and :meth:`Protocol.simulate`, which runs all sweeps of a protocol (times parameter sets) in one
  batched call and returns the traces on the recording's sample times;
* :mod:`~neurodyn.fitting.cell_model`: :class:`CellModel`, a multi-compartment
  :class:`~neurodyn.cable.Cell` as a fit model (painted parameters by path, the protocol's
  current injected at one location, the voltage recorded at another).

Example
-------
>>> from neurodyn import fitting, models
>>> rec = fitting.read_abf("17o05028_ic_steps.abf")            # doctest: +SKIP
>>> protocol = fitting.Protocol.from_recording(rec)            # doctest: +SKIP
>>> out = protocol.simulate(models.AdEx(), batch={"a": [2, 4]})  # doctest: +SKIP
>>> out.v.shape  # (parameter sets, sweeps, samples)           # doctest: +SKIP
(2, 16, 60000)
"""

from .cell_model import CellModel
from .cmaes import fit_cmaes
from .features import (
    FEATURES,
    PEERS_FEATURES,
    FeatureSpec,
    extract,
    protocol_features,
    rheobase,
    step_windows,
)
from .gradient import fit_gradient
from .hybrid import fit_hybrid
from .nsga2 import fit_nsga2
from .objectives import (
    FeatureTarget,
    crossing_times,
    spike_time_distance,
    total,
    trace_distance,
    zscores,
)
from .problem import (
    HOLDING,
    Evaluation,
    FitProblem,
    FreeParameter,
    recorded_baseline,
    spike_marked_voltages,
    synthetic_problem,
    synthetic_traces,
)
from .profile import profile
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
from .result import FitResult, FitStore

__all__ = [
    "FEATURES",
    "HOLDING",
    "PEERS_FEATURES",
    "CellModel",
    "Epoch",
    "Evaluation",
    "FeatureSpec",
    "FeatureTarget",
    "FitProblem",
    "FitResult",
    "FitStore",
    "FreeParameter",
    "Protocol",
    "ProtocolResult",
    "Recording",
    "RecordingError",
    "Sweep",
    "crossing_times",
    "extract",
    "fit_cmaes",
    "fit_gradient",
    "fit_hybrid",
    "fit_nsga2",
    "from_arrays",
    "profile",
    "protocol_features",
    "read_abf",
    "read_csv",
    "read_npz",
    "read_nwb",
    "recorded_baseline",
    "rheobase",
    "spike_marked_voltages",
    "spike_time_distance",
    "step_windows",
    "synthetic_problem",
    "synthetic_traces",
    "total",
    "trace_distance",
    "zscores",
]
