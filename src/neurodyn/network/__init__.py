"""Spiking networks: populations, spike sources, connectors, projections, simulation.

Build a :class:`Network` of :class:`Population` objects (any point model), spike sources
(:class:`PoissonSource`, :class:`SpikeSource`) and :class:`Projection` objects (a connector, a
synapse model from :mod:`neurodyn.synapses`, weights and delays with units), then run it with
:func:`neurodyn.simulate` (or :func:`simulate_network`).
"""

from .connectors import AllToAll as AllToAll
from .connectors import DistanceProbability as DistanceProbability
from .connectors import FixedInDegree as FixedInDegree
from .connectors import FixedOutDegree as FixedOutDegree
from .connectors import FixedProbability as FixedProbability
from .connectors import FromList as FromList
from .connectors import FromMatrix as FromMatrix
from .connectors import OneToOne as OneToOne
from .differentiable import differentiable as differentiable
from .engine import build as build
from .gap import GapJunctions as GapJunctions
from .network import Network as Network
from .population import PoissonSource as PoissonSource
from .population import Population as Population
from .population import PopulationView as PopulationView
from .population import SpikeSource as SpikeSource
from .projection import Normal as Normal
from .projection import Projection as Projection
from .projection import Uniform as Uniform
from .simulate import NetworkResult as NetworkResult
from .simulate import simulate_network as simulate_network

__all__ = ["AllToAll", "DistanceProbability", "FixedInDegree", "FixedOutDegree",
           "FixedProbability", "FromList", "FromMatrix", "GapJunctions", "Network", "NetworkResult", "Normal",
           "OneToOne", "PoissonSource", "Population", "PopulationView", "Projection",
           "SpikeSource", "Uniform", "build", "differentiable", "simulate_network"]
