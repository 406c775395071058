"""The contract of synapse (receptor) models.

A synapse model describes how presynaptic spikes become a postsynaptic current. Linear synapses
(exponential, alpha, bi-exponential) keep their state per *postsynaptic neuron and receptor*:
because their dynamics are linear, the sum over every synapse of one kind onto one neuron obeys
the same equations, so the state size grows with the number of neurons, not of synapses (as in
Brian2's summed variables and NEST's ``iaf_cond_exp``). Each step:

1. the weights arriving at this step are added: ``s += w * jump``;
2. the neuron is advanced with the conductance ``g = readout(s)`` held over the step, its
   current ``g (e_rev - v)`` entering the integrator as an input that is affine in ``v`` (so
   exponential and backward Euler treat it implicitly, as Brian2's exponential Euler does);
3. the state decays exactly over ``dt``: ``s <- P s`` (the propagator of the linear ODE).

Units: conductances in nS, currents in pA, times in ms, potentials in mV. A current-based synapse
(``mode="current"``) has its weight in pA, or in the model's own input unit for models whose
input is dimensionless (Izhikevich, FitzHugh–Nagumo).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..params import Described, option, param

__all__ = ["AbstractSynapse", "LinearSynapse"]


class AbstractSynapse(Described):
    """Base of synapse models."""

    #: names of the state variables (per postsynaptic neuron for linear synapses)
    state_vars: ClassVar[tuple[str, ...]] = ()
    #: ``"nS"`` (conductance) or ``"pA"`` (current): the unit of the weights
    mode: str = option("conductance", choices=("conductance", "current"),
                       doc="conductance-based (weight in nS, current g (e_rev - v)) or "
                           "current-based (weight in pA)")
    e_rev: float = param(0.0, unit="mV", bounds=(-200.0, 200.0),
                         doc="reversal potential (conductance mode only)")

    @property
    def weight_unit(self) -> str:
        return "nS" if self.mode == "conductance" else "pA"

    @property
    def conductance_based(self) -> bool:
        return self.mode == "conductance"


class LinearSynapse(AbstractSynapse):
    """A synapse whose state obeys a linear ODE between spikes (see the module docstring).

    Subclasses implement :meth:`jump`, :meth:`decay` and :meth:`readout`, pure functions of the
    numeric parameters ``p`` and the state tuple ``s`` written against the math namespace ``xp``.
    """

    def jump(self, p: Any, xp: Any) -> tuple[Any, ...]:
        """Increment of each state variable per unit weight arriving."""
        raise NotImplementedError

    def decay(self, p: Any, s: tuple[Any, ...], dt: Any, xp: Any) -> tuple[Any, ...]:
        """The state after ``dt`` ms without input (exact propagator)."""
        raise NotImplementedError

    def readout(self, p: Any, s: tuple[Any, ...], xp: Any) -> Any:
        """The conductance (nS) or current (pA) of the state ``s``."""
        return s[0]

    def kernel(self, t: Any) -> Any:
        """The response to a unit weight at ``t = 0`` (closed form, NumPy; for tests and plots)."""
        raise NotImplementedError
