"""Hyperpolarisation-activated cation current (HCN, I_h)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..params import param
from ._gates import GatedChannel, g_max_param

__all__ = ["Ih"]


class Ih(GatedChannel):
    r"""I_h, the hyperpolarisation-activated (HCN) cation current of layer 5 pyramidal neurons.

    .. math::

        i_h = \bar g\, m\, (v - E_h), \qquad
        \frac{dm}{dt} = \frac{m_\infty - m}{\tau_m},\quad
        m_\infty = \frac{\alpha}{\alpha + \beta},\quad \tau_m = \frac{1}{\alpha + \beta},

        \alpha = 6.43\cdot 10^{-3}\,\frac{v + 154.9}{\exp((v + 154.9)/11.9) - 1},\qquad
        \beta = 0.193\,\exp(v/33.1)

    (rates in 1/ms, v in mV; the removable singularity of :math:`\alpha` at -154.9 mV is taken
    by ``vtrap``). The current is non-specific with its own reversal potential ``e_rev``
    (-45 mV). The kinetics were fitted at 34 °C and the mod file has no temperature factor; none
    is applied here either (``celsius`` is not read).

    Units: ``g_max`` mS/cm² (NEURON's ``gIhbar`` in S/cm² × 1000), current µA/cm².

    Reproduces ``Ih.mod`` of Hay et al. (2011), ModelDB accession 139653 (also distributed with
    BluePyOpt's L5PC example), whose kinetics are those of Kole, Hallermann & Stuart (2006).

    References
    ----------
    Kole MHP, Hallermann S, Stuart GJ (2006). Single Ih channels in pyramidal neuron dendrites:
    properties, distribution, and impact on action potential output. J Neurosci 26:1677–1687.
    Hay E, Hill S, Schürmann F, Markram H, Segev I (2011). Models of neocortical layer 5b
    pyramidal cells capturing a wide range of dendritic and perisomatic active properties.
    PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{kole2006single,
          author = {Kole, Maarten H. P. and Hallermann, Stefan and Stuart, Greg J.},
          title = {Single {I}h channels in pyramidal neuron dendrites: properties, distribution,
                   and impact on action potential output},
          journal = {Journal of Neuroscience}, volume = {26}, number = {6}, pages = {1677--1687},
          year = {2006}, doi = {10.1523/JNEUROSCI.3664-05.2006}}
        @article{hay2011models,
          author = {Hay, Etay and Hill, Sean and Sch{\"u}rmann, Felix and Markram, Henry and
                    Segev, Idan},
          title = {Models of neocortical layer 5b pyramidal cells capturing a wide range of
                   dendritic and perisomatic active properties},
          journal = {PLoS Computational Biology}, volume = {7}, number = {7}, pages = {e1002107},
          year = {2011}, doi = {10.1371/journal.pcbi.1002107}}
    """

    name: ClassVar[str] = "ih"
    states: ClassVar[tuple[str, ...]] = ("m",)
    currents_carried: ClassVar[tuple[str, ...]] = ("nonspecific",)
    reads: ClassVar[tuple[str, ...]] = ()
    ion: ClassVar[str] = "nonspecific"

    g_max: float = g_max_param(0.01, "maximal I_h conductance density (Hay 2011 default 1e-5 S/cm2)")
    e_rev: float = param(-45.0, unit="mV", bounds=(-200.0, 200.0),
                         doc="reversal potential of the mixed Na+/K+ current")

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        alpha = 6.43e-3 * xp.vtrap(v + 154.9, 11.9)
        beta = 0.193 * xp.exp(v / 33.1)
        tau = 1.0 / (alpha + beta)
        return ((alpha * tau, tau),)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        return s[0]
