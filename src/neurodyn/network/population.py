"""Populations of neurons and spike sources, and views (slices) of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..models._base import AbstractNeuronModel
from ..units import to_unit

__all__ = ["PoissonSource", "Population", "PopulationView", "SpikeSource"]


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ParameterError(
            f"{what}.name must be an identifier-like string (letters, digits, _); got {name!r}. "
            "Fix: e.g. name='exc'."
        )
    return name


def _check_size(size: Any, what: str) -> int:
    if not isinstance(size, int | np.integer) or isinstance(size, bool) or size < 1:
        raise ParameterError(f"{what}.size must be a positive integer; got {size!r}. Fix: e.g. size=100.")
    return int(size)


class _Indexable:
    size: int

    def __getitem__(self, sl: slice) -> PopulationView:
        if not isinstance(sl, slice) or sl.step not in (None, 1):
            raise ParameterError(
                f"{self!r}: a population view is a contiguous slice such as pop[0:100]; got {sl!r}."
            )
        base = self.population if isinstance(self, PopulationView) else self
        off = self.start if isinstance(self, PopulationView) else 0
        start, stop, _ = sl.indices(self.size)
        if stop <= start:
            raise ParameterError(f"{base.name}[{sl.start}:{sl.stop}] is empty. Fix: give start < stop.")
        return PopulationView(base, off + start, off + stop)

    def __len__(self) -> int:
        return self.size


@dataclass(frozen=True, eq=False)
class Population(_Indexable):
    """``size`` neurons of one point model.

    Parameters
    ----------
    name:
        Label used for recordings and results.
    model:
        A point-neuron model description (e.g. ``neurodyn.models.LIF()``); parameters given as
        arrays of length ``size`` make the population heterogeneous.
    size:
        Number of neurons.
    params:
        Per-neuron parameter values ``{name: array of length size}`` (model units), merged into
        the model (``model.replace(**params)``, so they are validated like any parameter).
    init:
        Initial state ``{var: scalar or array of length size}`` (model units); the rest starts
        at the model's initial state. Synaptic states are named ``<var>_<receptor>``, e.g.
        ``"g_exc"`` (nS) for the conductance of receptor ``exc``.
    positions:
        Soma positions, ``(size, 3)`` in µm (for distance-dependent connectors).
    stimulus:
        A current stimulus (or list) from :mod:`neurodyn.stimuli` injected into every neuron;
        its parameters may be arrays of length ``size`` (per-neuron currents).
    threshold:
        Spike-detection threshold in mV for models without a reset (HH-type): a spike is an
        upward crossing (default: the model's, 0 mV).
    """

    name: str
    model: AbstractNeuronModel
    size: int
    params: dict[str, Any] | None = None
    init: dict[str, Any] | None = None
    positions: Any = None
    stimulus: Any = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        _check_name(self.name, "Population")
        _check_size(self.size, f"Population {self.name!r}")
        if not isinstance(self.model, AbstractNeuronModel):
            raise ParameterError(
                f"Population {self.name!r}.model must be a neurodyn point model; got "
                f"{self.model!r}. Fix: e.g. neurodyn.models.LIF()."
            )
        if self.params:
            for k, v in self.params.items():
                if np.ndim(v) not in (0, 1) or (np.ndim(v) == 1 and len(v) != self.size):
                    raise ParameterError(
                        f"Population {self.name!r}: params[{k!r}] must be a scalar or have length "
                        f"{self.size}; got shape {np.shape(v)}."
                    )
            object.__setattr__(self, "model", self.model.replace(**self.params))
        for k, v in (self.init or {}).items():
            # synaptic states ("g_exc": state g of receptor exc) are checked when the network
            # is built, once the receptors are known
            if np.ndim(v) not in (0, 1) or (np.ndim(v) == 1 and len(v) != self.size):
                raise ParameterError(
                    f"Population {self.name!r}: init[{k!r}] must be a scalar or have length "
                    f"{self.size}; got shape {np.shape(v)}."
                )
        if self.stimulus is not None:
            from ..stimuli import as_stimuli

            if any(st.clamps for st in as_stimuli(self.stimulus)):
                raise ParameterError(
                    f"Population {self.name!r}.stimulus: a VoltageClamp is for single point "
                    "models (neurodyn.simulate); a network injects currents only. Fix: drive "
                    "the population with a current (e.g. Waveform).")
        if self.positions is not None:
            pos = np.asarray(self.positions, dtype=float)
            if pos.shape != (self.size, 3):
                raise ParameterError(
                    f"Population {self.name!r}.positions must have shape ({self.size}, 3) in um; "
                    f"got {pos.shape}."
                )
            object.__setattr__(self, "positions", pos)

    @property
    def is_source(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Population({self.name!r}, {type(self.model).__name__}, size={self.size})"


@dataclass(frozen=True, eq=False)
class PoissonSource(_Indexable):
    """``size`` independent Poisson spike trains at ``rate`` (Hz; scalar or one per train).

    In each step of ``dt`` a train spikes with probability ``rate * dt`` (at most once per
    step; the error of this Bernoulli approximation is ``(rate dt)^2 / 2`` per step, below 1e-6
    for 10 Hz at dt = 0.1 ms).
    """

    name: str
    size: int
    rate: Any = 10.0
    start: float = 0.0
    stop: float = float("inf")

    def __post_init__(self) -> None:
        _check_name(self.name, "PoissonSource")
        _check_size(self.size, f"PoissonSource {self.name!r}")
        rate = self.rate
        if isinstance(rate, str):
            rate = to_unit(rate, "Hz", what=f"PoissonSource {self.name!r}.rate")
        rate = np.asarray(rate, dtype=float)
        if rate.ndim not in (0, 1) or (rate.ndim == 1 and rate.size != self.size) or np.any(rate < 0):
            raise ParameterError(
                f"PoissonSource {self.name!r}.rate must be >= 0 Hz, a scalar or {self.size} values; "
                f"got {self.rate!r}."
            )
        object.__setattr__(self, "rate", rate)

    @property
    def is_source(self) -> bool:
        return True

    positions = None


@dataclass(frozen=True, eq=False)
class SpikeSource(_Indexable):
    """Given spike times: ``times[i]`` is the array of spike times (ms) of source ``i``.

    A spike at time ``t`` is emitted at the end of the step that contains it, i.e. at the grid
    time ``ceil(t/dt) dt`` (a time on the grid is emitted exactly at that time; ``t = 0`` at
    ``dt``, the end of the first step). At most one spike per train and step.
    """

    name: str
    times: Any = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_name(self.name, "SpikeSource")
        trains = [np.asarray(t, dtype=float).reshape(-1) for t in self.times]
        if not trains:
            raise ParameterError(f"SpikeSource {self.name!r} needs at least one spike train.")
        for i, t in enumerate(trains):
            if np.any(~np.isfinite(t)) or np.any(t < 0):
                raise ParameterError(
                    f"SpikeSource {self.name!r}: train {i} has negative or non-finite times."
                )
        object.__setattr__(self, "times", [np.sort(t) for t in trains])

    @property
    def size(self) -> int:  # type: ignore[override]
        return len(self.times)

    @property
    def is_source(self) -> bool:
        return True

    positions = None


@dataclass(frozen=True, eq=False)
class PopulationView(_Indexable):
    """Neurons ``start..stop-1`` of a population (``pop[start:stop]``)."""

    population: Any
    start: int
    stop: int

    @property
    def size(self) -> int:  # type: ignore[override]
        return self.stop - self.start

    @property
    def name(self) -> str:
        return f"{self.population.name}[{self.start}:{self.stop}]"

    @property
    def positions(self) -> Any:
        pos = getattr(self.population, "positions", None)
        return None if pos is None else pos[self.start:self.stop]


def resolve(obj: Any, what: str) -> tuple[Any, int, int]:
    """``(population, start, stop)`` of a population or view."""
    if isinstance(obj, PopulationView):
        return obj.population, obj.start, obj.stop
    if isinstance(obj, Population | PoissonSource | SpikeSource):
        return obj, 0, obj.size
    raise ParameterError(
        f"{what} must be a Population, a spike source or a view such as pop[0:100]; got {obj!r}."
    )
