"""Synapse models: how presynaptic spikes become postsynaptic currents.

Linear (state per postsynaptic neuron and receptor, exact propagators): :class:`Exp`,
:class:`Alpha`, :class:`BiExp`, each conductance-based (weight in nS, reversal potential
``e_rev``) or current-based (``mode="current"``, weight in pA).
"""

from ._base import AbstractSynapse as AbstractSynapse
from ._base import LinearSynapse as LinearSynapse
from .linear import Alpha as Alpha
from .linear import BiExp as BiExp
from .linear import Exp as Exp

__all__ = ["AbstractSynapse", "Alpha", "BiExp", "Exp", "LinearSynapse"]
