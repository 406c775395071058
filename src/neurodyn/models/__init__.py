"""Point-neuron models: Hodgkin–Huxley, Traub–Miles, FitzHugh–Nagumo, Izhikevich, LIF, AdEx and
Pospischil et al. (2008) cortical cells (also with an axon initial segment, or a second Na⁺/K⁺
population)."""

from ._base import AbstractNeuronModel as AbstractNeuronModel
from ._base import Preset as Preset
from ._base import SpikeDetector as SpikeDetector
from .adex import AdEx as AdEx
from .fhn import FitzHughNagumo as FitzHughNagumo
from .hh import HodgkinHuxley as HodgkinHuxley
from .izhikevich import Izhikevich as Izhikevich
from .lif import LIF as LIF
from .pospischil import Pospischil as Pospischil
from .pospischil_ais import PospischilAIS as PospischilAIS
from .pospischil_dual_na import PospischilDualNa as PospischilDualNa
from .traub_miles import TraubMiles as TraubMiles

REGISTRY: dict[str, type[AbstractNeuronModel]] = {
    "HodgkinHuxley": HodgkinHuxley,
    "FitzHughNagumo": FitzHughNagumo,
    "Izhikevich": Izhikevich,
    "LIF": LIF,
    "AdEx": AdEx,
    "TraubMiles": TraubMiles,
    "Pospischil": Pospischil,
    "PospischilAIS": PospischilAIS,
    "PospischilDualNa": PospischilDualNa,
}
"""Models by class name (the names TOML specs use)."""

ALIASES: dict[str, str] = {"HH": "HodgkinHuxley", "FHN": "FitzHughNagumo", "Izh": "Izhikevich"}
