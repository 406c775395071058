"""Synapse models: how presynaptic spikes become postsynaptic currents.

Linear (state per postsynaptic neuron and receptor, exact propagators): :class:`Exp`,
:class:`Alpha`, :class:`BiExp`, each conductance-based (weight in nS, reversal potential
``e_rev``) or current-based (``mode="current"``, weight in pA). Kinetic receptor models
(Destexhe et al. 1994): :class:`AMPA`, :class:`NMDA` (Mg2+ block), :class:`GABAA`,
:class:`GABAB` (G-protein cascade).
"""

from ._base import AbstractSynapse as AbstractSynapse
from ._base import LinearSynapse as LinearSynapse
from .kinetic import AMPA as AMPA
from .kinetic import GABAA as GABAA
from .kinetic import GABAB as GABAB
from .kinetic import NMDA as NMDA
from .kinetic import KineticSynapse as KineticSynapse
from .linear import Alpha as Alpha
from .linear import BiExp as BiExp
from .linear import Exp as Exp

__all__ = ["AMPA", "GABAA", "GABAB", "NMDA", "AbstractSynapse", "Alpha", "BiExp", "Exp",
           "KineticSynapse", "LinearSynapse"]
