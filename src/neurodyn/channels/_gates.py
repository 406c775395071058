"""Shared maths of the gated channels: independent gates in relaxation form, solved by ``cnexp``.

A gated channel has states ``x_1 .. x_k`` with ``dx_j/dt = (x_j,inf - x_j)/tau_j`` (``x_inf`` and
``tau`` functions of ``v`` and the environment), a conductance ``g = g_max * f(x)`` (``f`` a product
of powers of the gates) and an ohmic current ``i = g (v - e)``, outward positive. This is what
NEURON's mod files with ``SOLVE states METHOD cnexp`` compute: ``INITIAL`` sets every gate to its
steady state, ``BREAKPOINT`` evaluates the current at the old voltage, and the ``DERIVATIVE``
block, solved by ``cnexp``, advances each gate exactly over ``dt`` with ``x_inf`` and ``tau``
frozen at the new voltage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from ..params import param
from ._base import AbstractMechanism, cnexp

__all__ = ["GatedChannel", "g_max_param", "q10_param", "t_ref_param", "temperature_factor",
           "with_hay_bib"]

T = TypeVar("T", bound=type)

HAY_BIB = r"""
        @article{hay2011models,
          author = {Hay, Etay and Hill, Sean and Sch{\"u}rmann, Felix and Markram, Henry and
                    Segev, Idan},
          title = {Models of neocortical layer 5b pyramidal cells capturing a wide range of
                   dendritic and perisomatic active properties},
          journal = {PLoS Computational Biology}, volume = {7}, number = {7}, pages = {e1002107},
          year = {2011}, doi = {10.1371/journal.pcbi.1002107}}
"""


def with_hay_bib(cls: T) -> T:
    """Append the BibTeX entry of Hay et al. (2011) to the bibtex block that ends ``cls``'s
    docstring (the channels whose mod files come from ModelDB 139653)."""
    cls.__doc__ = (cls.__doc__ or "").rstrip() + HAY_BIB
    return cls


def temperature_factor(p: Any, env: Mapping[str, Any], xp: Any) -> Any:
    """``q10 ** ((celsius - t_ref)/10)``: the rate factor of the mod files' ``qt``."""
    return xp.power(p.q10, (env["celsius"] - p.t_ref) / 10.0)


def g_max_param(default: float, doc: str) -> Any:
    """The maximal conductance density (mS/cm², non-negative)."""
    return param(default, unit="mS/cm2", bounds=(0.0, None), doc=doc,
                 hint="Fix: conductance densities are non-negative (NEURON S/cm2 x 1000 = mS/cm2).")


def q10_param(default: float = 2.3) -> Any:
    return param(default, unit="1", bounds=(0.0, None), inclusive=(False, True),
                 doc="temperature coefficient of the time constants (qt = q10^((celsius - t_ref)/10))")


def t_ref_param(default: float = 21.0) -> Any:
    return param(default, unit="degC", bounds=(-10.0, 50.0),
                 doc="temperature at which the time constants were measured")


class GatedChannel(AbstractMechanism):
    """Base of channels made of independent gates (see the module docstring).

    Subclasses set :attr:`ion` (``"na"``, ``"k"``, ``"ca"`` or ``"nonspecific"``; the reversal is
    ``env["e_<ion>"]``, or the parameter ``e_rev`` for nonspecific currents) and implement
    :meth:`gating` and :meth:`open_fraction`.
    """

    ion: ClassVar[str] = ""

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        """``((x_inf, tau), ...)`` for each state, in the order of :attr:`states` (tau in ms)."""
        raise NotImplementedError

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        """The fraction of the maximal conductance that is open, ``f(x)``."""
        raise NotImplementedError

    def reversal(self, p: Any, env: Mapping[str, Any]) -> Any:
        if self.ion == "nonspecific":
            return p.e_rev
        return env["e_" + self.ion]

    def init_state(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[Any, ...]:
        zero = 0.0 * p.g_max  # broadcast the state to the parameters' shape
        return tuple(x_inf + zero for x_inf, _ in self.gating(p, v, env, xp))

    def currents(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any],
                 xp: Any) -> dict[str, tuple[Any, Any]]:
        g = p.g_max * self.open_fraction(s, xp)
        return {self.ion: (g * (v - self.reversal(p, env)), g)}

    def advance(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any], dt: Any,
                xp: Any) -> tuple[Any, ...]:
        return tuple(cnexp(x, x_inf, tau, dt, xp)
                     for x, (x_inf, tau) in zip(s, self.gating(p, v, env, xp)))
