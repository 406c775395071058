"""The contract every density mechanism (ion channel, pump, concentration pool) fulfils.

A mechanism is an immutable description (:class:`~neurodyn.params.Described`) painted on
regions of a multi-compartment cell. Its maths are pure, element-wise functions over the nodes
it covers, written against the math namespace ``xp`` (:mod:`neurodyn.math`), with no Python
branching on values. They receive

``p``
    the numeric parameters (this class's ``Params`` NamedTuple; each field an array over the
    nodes the mechanism covers, possibly batched or traced),
``s``
    the state, a tuple in the order of :attr:`AbstractMechanism.states`,
``v``
    membrane potential (mV) at those nodes,
``env``
    a mapping of what the cell provides at those nodes: ``"celsius"`` (°C), the reversal
    potentials ``"e_na"``, ``"e_k"``, ``"e_ca"`` (mV), the concentrations ``"cai"``, ``"cao"``
    (mM) and the total calcium current ``"ica"`` (µA/cm², outward positive) of the step.

Units (NEURON's density conventions scaled to neurodyn's): conductance densities in mS/cm²
(NEURON's S/cm² × 1000), current densities in µA/cm² (NEURON's mA/cm² × 1000), outward positive,
time in ms, concentrations in mM.

Time stepping follows NEURON's fixed step: currents (and their slope ``di/dv``, which enters the
implicit voltage solve) are evaluated at the old voltage; after the voltage solve, :meth:`advance`
updates the states with the *new* voltage over ``dt`` (NEURON's ``SOLVE ... METHOD cnexp``: for a
gate with ``dx/dt = (x_inf - x)/tau``, ``x + (1 - exp(-dt/tau)) (x_inf - x)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..params import Described

__all__ = ["AbstractMechanism", "cnexp"]


def cnexp(x: Any, x_inf: Any, tau: Any, dt: Any, xp: Any) -> Any:
    """Exact update of ``dx/dt = (x_inf - x)/tau`` over ``dt`` with fixed ``x_inf``, ``tau``
    (NEURON's ``cnexp``): ``x + (1 - exp(-dt/tau)) (x_inf - x)``."""
    return x + (1.0 - xp.exp(-dt / tau)) * (x_inf - x)


class AbstractMechanism(Described):
    """Base of density mechanisms (see the module docstring for the contract).

    Class attributes
    ----------------
    name: short name used in parameter paths (``"dend.ih.g_max"``) and recordings.
    states: names of the state variables (gates, concentrations), in the order of ``s``.
    currents_carried: ion names of the currents :meth:`currents` returns: ``"na"``, ``"k"``,
        ``"ca"`` or ``"nonspecific"``; currents of the ion ``"ca"`` add to ``env["ica"]``.
    reads: the ``env`` entries the maths read (checked when the cell is built).
    provides: ``env`` entries this mechanism's state defines (a calcium pool provides
        ``"cai"``; the value is the state of the same name).
    """

    name: ClassVar[str] = ""
    states: ClassVar[tuple[str, ...]] = ()
    currents_carried: ClassVar[tuple[str, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()

    def init_state(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[Any, ...]:
        """The initial state at voltage ``v`` (gates at steady state, as NEURON's ``INITIAL``)."""
        return ()

    def currents(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any],
                 xp: Any) -> dict[str, tuple[Any, Any]]:
        """``{ion: (i, g)}``: current density (µA/cm², outward positive) and its slope
        ``g = di/dv`` (mS/cm²) at the old voltage, one entry per :attr:`currents_carried`."""
        return {}

    def advance(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any], dt: Any,
                xp: Any) -> tuple[Any, ...]:
        """The state after a step ``dt`` (ms) with the new voltage ``v``."""
        return s
