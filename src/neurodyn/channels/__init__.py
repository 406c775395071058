"""Density mechanisms (ion channels, calcium pools) for multi-compartment cells.

Each mechanism is an immutable :class:`~neurodyn.params.Described` following the contract of
:class:`AbstractMechanism` (pure maths over the nodes it covers, NEURON's fixed-step order).
The channels reproduce widely used NEURON mod files (mostly those of Hay et al. 2011, ModelDB
139653); each class docstring gives the equations, units, the mod file and the references.

========  ===========  =====================================================================
name      class        what
========  ===========  =====================================================================
hh        HH           Hodgkin-Huxley Na+, K+ and leak (NEURON's built-in ``hh``)
pas       Passive      passive leak (NEURON's ``pas``)
ih        Ih           HCN / I_h, non-specific cation current (Hay ``Ih``)
cat       CaT          low-voltage-activated (T-type) Ca2+ current (Hay ``Ca_LVAst``)
cahva     CaHVA        high-voltage-activated Ca2+ current (Hay ``Ca_HVA``)
capool    CaPool       submembrane Ca2+ pool, provides ``cai`` (Hay ``CaDynamics_E2``)
sk        SK           small-conductance Ca2+-activated K+ current (Hay ``SK_E2``)
bk        BK           large-conductance Ca2+/voltage-activated K+ current (NEURON ``cagk``)
im        Im           M-current (Hay ``Im``)
nap       NaP          persistent Na+ current (Hay ``Nap_Et2``)
ka        KA           A-type transient K+ current (Hay ``K_Tst``)
========  ===========  =====================================================================
"""

from . import registry as registry
from ._base import AbstractMechanism, cnexp
from ._gates import GatedChannel
from .calcium import CaHVA, CaPool, CaT
from .hh import HH
from .ih import Ih
from .ka import KA
from .kca import BK, SK
from .km import Im
from .nap import NaP
from .nernst import FARADAY, GAS_CONSTANT, nernst
from .passive import Passive
from .registry import MECHANISMS, get

__all__ = [
    "BK",
    "FARADAY",
    "GAS_CONSTANT",
    "HH",
    "KA",
    "MECHANISMS",
    "SK",
    "AbstractMechanism",
    "CaHVA",
    "CaPool",
    "CaT",
    "GatedChannel",
    "Ih",
    "Im",
    "NaP",
    "Passive",
    "cnexp",
    "get",
    "nernst",
    "registry",
]
