"""Point processes placed at locations of a cell: current clamp, voltage clamp, spike detector.

Units follow NEURON's point processes: currents in nA, times in ms, potentials in mV, series
resistance in MΩ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ParameterError
from ..params import Described, param

__all__ = ["AbstractPointProcess", "IClamp", "SEClamp", "SpikeDetector"]

_INF = float("inf")


class AbstractPointProcess(Described):
    """Base of point processes. Electrode currents implement :meth:`current` (nA, positive
    depolarising) and :meth:`conductance` (µS, ``-d(current)/dv``)."""

    kind: ClassVar[str] = "electrode"

    def current(self, p: Any, t: Any, v: Any, xp: Any) -> Any:
        raise NotImplementedError

    def conductance(self, p: Any, t: Any, v: Any, xp: Any) -> Any:
        return 0.0 * v


class IClamp(AbstractPointProcess):
    """Current pulse ``amp`` (nA) on ``[delay, delay + dur)`` (NEURON's ``IClamp``).

    Evaluated at mid-step (``t + dt/2``), as NEURON's fixed step does, so an onset on the time
    grid takes effect in the step that starts there.

    Reference: Hines ML, Carnevale NT (1997). The NEURON simulation environment. Neural Comput
    9:1179–1209.

    .. code-block:: bibtex

        @article{hines1997neuron, author = {Hines, M. L. and Carnevale, N. T.},
          title = {The {NEURON} simulation environment}, journal = {Neural Computation},
          volume = {9}, number = {6}, pages = {1179--1209}, year = {1997}}
    """

    amp: float = param(0.0, unit="nA", doc="current amplitude (positive depolarises)")
    delay: float = param(0.0, unit="ms", bounds=(0.0, None), doc="onset")
    dur: float = param(_INF, unit="ms", bounds=(0.0, None), allow_inf=True, doc="duration")

    def current(self, p: Any, t: Any, v: Any, xp: Any) -> Any:
        on = (t >= p.delay) & (t < p.delay + p.dur)
        return xp.where(on, p.amp, 0.0) + 0.0 * v


class SEClamp(AbstractPointProcess):
    """Single-electrode voltage clamp: holds the node at ``amp`` (mV) through a series
    resistance ``rs`` (MΩ) on ``[delay, delay + dur)``; the current is ``(amp - v)/rs`` (nA)
    and enters the implicit solve with conductance ``1/rs`` (µS) (NEURON's ``SEClamp`` with one
    level).

    .. code-block:: bibtex

        @article{hines1997neuron, author = {Hines, M. L. and Carnevale, N. T.},
          title = {The {NEURON} simulation environment}, journal = {Neural Computation},
          volume = {9}, number = {6}, pages = {1179--1209}, year = {1997}}
    """

    amp: float = param(-65.0, unit="mV", bounds=(-200.0, 200.0), doc="command potential")
    delay: float = param(0.0, unit="ms", bounds=(0.0, None), doc="onset")
    dur: float = param(_INF, unit="ms", bounds=(0.0, None), allow_inf=True, doc="duration")
    rs: float = param(1.0, unit="Mohm", bounds=(0.0, None), inclusive=(False, True),
                      doc="series resistance", hint="Fix: rs must be > 0 MOhm (NEURON default 1).")

    def _on(self, p: Any, t: Any, xp: Any) -> Any:
        return (t >= p.delay) & (t < p.delay + p.dur)

    def current(self, p: Any, t: Any, v: Any, xp: Any) -> Any:
        return xp.where(self._on(p, t, xp), (p.amp - v) / p.rs, 0.0)

    def conductance(self, p: Any, t: Any, v: Any, xp: Any) -> Any:
        return xp.where(self._on(p, t, xp), 1.0 / p.rs, 0.0) + 0.0 * v


class SpikeDetector(Described):
    """Records the times (ms) at which the membrane potential at its location crosses
    ``threshold`` (mV) upwards, linearly interpolated within the step (NEURON's ``NetCon``
    threshold / ``APCount``)."""

    kind: ClassVar[str] = "detector"
    threshold: float = param(0.0, unit="mV", bounds=(-200.0, 200.0), doc="detection threshold")


@dataclass(frozen=True, eq=False)
class SynapticInput:
    """A synapse at a location, driven by given presynaptic spike times.

    ``synapse`` is a linear synapse model of :mod:`neurodyn.synapses` (``Exp``, ``Alpha``,
    ``BiExp``); conductance-based ones inject ``g (e_rev - v)`` with ``g`` in nS (treated
    implicitly in the voltage solve, like NEURON's ``ExpSyn``), current-based ones their current
    in pA. ``weight`` is the peak conductance (nS) or current (pA) per spike; ``times`` (ms) are
    the presynaptic spikes: as in NEURON's fixed step, a spike at ``t_s`` is added at the start of
    the step from ``t`` when ``t_s <= t + dt/2`` (step ``ceil(t_s/dt - 1/2)``; on the grid: the
    step starting at ``t_s``), its conductance then held over each step and decayed exactly.
    """

    synapse: Any
    times: Any
    weight: float = 1.0

    def __post_init__(self) -> None:
        from ..synapses._base import LinearSynapse

        if not isinstance(self.synapse, LinearSynapse):
            raise ParameterError(f"SynapticInput.synapse must be a linear synapse (Exp, Alpha, "
                                 f"BiExp); got {type(self.synapse).__name__}.")
        t = np.sort(np.atleast_1d(np.asarray(self.times, dtype=np.float64)))
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise ParameterError("SynapticInput.times must be finite spike times >= 0 ms; got "
                                 f"{np.asarray(self.times)!r}. Fix: give times in ms from 0.")
        w = float(self.weight)
        if self.synapse.conductance_based and not w >= 0:
            raise ParameterError(f"SynapticInput.weight of a conductance synapse must be >= 0 nS; "
                                 f"got {self.weight!r}. Fix: an inhibitory synapse has a negative "
                                 "e_rev, not a negative weight.")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "weight", w)

    def arrivals(self, n_steps: int, dt: float) -> np.ndarray:
        """Spikes added at the start of each step."""
        k = np.maximum(np.ceil(self.times / dt - 0.5 - 1e-9), 0).astype(np.int64)
        return np.bincount(k[k < n_steps], minlength=n_steps).astype(np.float64)
