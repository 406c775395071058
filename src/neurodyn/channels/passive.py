"""Passive membrane leak (NEURON's ``pas``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..params import param
from ._base import AbstractMechanism

__all__ = ["Passive"]


class Passive(AbstractMechanism):
    r"""Passive leak :math:`i = g (v - e)` (NEURON's ``pas``).

    Units: ``g`` in mS/cm² (NEURON's ``g_pas`` 1e-4 S/cm² = 0.1 mS/cm²), ``e`` in mV.

    Reference
    ---------
    Rall W (1977). Core conductor theory and cable properties of neurons. In: Handbook of
    Physiology, The Nervous System I, 39–97.

    .. code-block:: bibtex

        @incollection{rall1977core,
          author = {Rall, W.}, title = {Core conductor theory and cable properties of neurons},
          booktitle = {Handbook of Physiology, Section 1: The Nervous System, Vol. 1},
          publisher = {American Physiological Society}, pages = {39--97}, year = {1977}}
    """

    name: ClassVar[str] = "pas"
    currents_carried: ClassVar[tuple[str, ...]] = ("nonspecific",)

    g: float = param(0.1, unit="mS/cm2", bounds=(0.0, None), doc="leak conductance density")
    e: float = param(-70.0, unit="mV", bounds=(-200.0, 200.0), doc="leak reversal potential")

    def currents(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any],
                 xp: Any) -> dict[str, tuple[Any, Any]]:
        return {"nonspecific": (p.g * (v - p.e), p.g + 0.0 * v)}
