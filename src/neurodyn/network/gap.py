"""Gap junctions: electrical coupling between pairs of neurons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from .connectors import Connector, _Explicit
from .population import Population, resolve
from .projection import values

__all__ = ["GapJunctions"]


@dataclass(frozen=True, eq=False)
class GapJunctions:
    r"""Gap junctions between ``pre`` and ``post`` neurons (populations or views; the names only
    say which side the connector draws from: the coupling is symmetric).

    Each pair (i, j) with conductance ``g`` (nS) passes :math:`g (v_j - v_i)` into neuron i and
    :math:`g (v_i - v_j)` into neuron j (pA), continuously: the membrane potentials are read at
    the start of each step and the conductance enters the integrator as for synapses (implicit
    in the neuron's own v for exponential and backward Euler).

    Reference
    ---------
    Bennett MVL, Zukin RS (2004) Electrical coupling and neuronal synchronization in the
    mammalian brain. Neuron 41:495–511.
    """

    pre: Any
    post: Any
    connector: Any
    weight: Any = 1.0
    label: str | None = None

    def __post_init__(self) -> None:
        for side in ("pre", "post"):
            pop, _, _ = resolve(getattr(self, side), f"GapJunctions.{side}")
            if not isinstance(pop, Population):
                raise ParameterError(
                    f"GapJunctions.{side} must be a population of neurons; got {pop!r}. Fix: "
                    "spike sources have no membrane potential to couple."
                )
            if pop.model.input_unit == "1":
                raise ParameterError(
                    f"GapJunctions: {type(pop.model).__name__} has a dimensionless input, so a "
                    "junction current (pA) cannot drive it. Fix: use a model with a current "
                    "input (LIF, AdEx, HodgkinHuxley, TraubMiles)."
                )
        if not isinstance(self.connector, Connector | _Explicit):
            raise ParameterError(f"GapJunctions.connector must be a connector; got {self.connector!r}.")

    @property
    def name(self) -> str:
        return f"{self.pre.name}<->{self.post.name}"

    def build(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (population indices on each side) and conductances (nS)."""
        a, p0, _ = resolve(self.pre, "GapJunctions.pre")
        b, q0, _ = resolve(self.post, "GapJunctions.post")
        shift = (q0 - p0) if a is b else None
        i, j = self.connector.connect(self.pre.size, self.post.size, rng, shift,
                                      getattr(self.pre, "positions", None),
                                      getattr(self.post, "positions", None))
        g = values(self.weight, i.size, rng, "nS", f"GapJunctions {self.name}.weight")
        if i.size and (np.min(g) < 0 or not np.all(np.isfinite(g))):
            raise ParameterError(
                f"GapJunctions {self.name}.weight: conductances must be finite and >= 0 nS; got a "
                f"minimum of {np.min(g):g} nS."
            )
        return i + p0, j + q0, g
