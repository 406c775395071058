"""Transient (A-type) K+ current."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ._gates import (
    GatedChannel,
    g_max_param,
    q10_param,
    t_ref_param,
    temperature_factor,
    with_hay_bib,
)

__all__ = ["KA"]


@with_hay_bib
class KA(GatedChannel):
    r"""Fast-inactivating (A-type) K+ current, Hay et al.'s ``K_Tst``.

    .. math::

        i_K = \bar g\, m^4 h\, (v - E_K),\qquad q_t = q_{10}^{(T - 21)/10},

        m_\infty = \frac{1}{1 + e^{-(v + 10)/19}},\qquad
        \tau_m = \frac{0.34 + 0.92\, e^{-((v + 81)/59)^2}}{q_t},

        h_\infty = \frac{1}{1 + e^{(v + 76)/10}},\qquad
        \tau_h = \frac{8 + 49\, e^{-((v + 83)/23)^2}}{q_t}

    (v in mV, τ in ms; Korngreen & Sakmann's fits shifted by -10 mV for the junction potential).
    :math:`E_K` is ``env["e_k"]``.

    Temperature: Hay's file fixes :math:`q_t = 2.3^{(34-21)/10}` (34 °C); here ``celsius`` is
    read from the environment, identical at 34 °C.

    Units: ``g_max`` mS/cm² (``gK_Tstbar`` S/cm² × 1000), current µA/cm².

    Reproduces ``K_Tst.mod`` of Hay et al. (2011), ModelDB 139653, after Korngreen & Sakmann
    (2000).

    References
    ----------
    Korngreen A, Sakmann B (2000). Voltage-gated K+ channels in layer 5 neocortical pyramidal
    neurones from young rats: subtypes and gradients. J Physiol 525:621–639.
    Hay E et al. (2011), PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{korngreen2000voltage,
          author = {Korngreen, Alon and Sakmann, Bert},
          title = {Voltage-gated {K+} channels in layer 5 neocortical pyramidal neurones from
                   young rats: subtypes and gradients},
          journal = {The Journal of Physiology}, volume = {525}, number = {3},
          pages = {621--639}, year = {2000}, doi = {10.1111/j.1469-7793.2000.t01-1-00621.x}}"""

    name: ClassVar[str] = "ka"
    states: ClassVar[tuple[str, ...]] = ("m", "h")
    currents_carried: ClassVar[tuple[str, ...]] = ("k",)
    reads: ClassVar[tuple[str, ...]] = ("celsius", "e_k")
    ion: ClassVar[str] = "k"

    g_max: float = g_max_param(0.01, "maximal A-type K+ conductance density "
                               "(Hay 2011 default 1e-5 S/cm2)")
    q10: float = q10_param(2.3)
    t_ref: float = t_ref_param(21.0)

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        qt = temperature_factor(p, env, xp)
        m_inf = 1.0 / (1.0 + xp.exp(-(v + 10.0) / 19.0))
        tau_m = (0.34 + 0.92 * xp.exp(-(((v + 81.0) / 59.0) ** 2))) / qt
        h_inf = 1.0 / (1.0 + xp.exp((v + 76.0) / 10.0))
        tau_h = (8.0 + 49.0 * xp.exp(-(((v + 83.0) / 23.0) ** 2))) / qt
        return (m_inf, tau_m), (h_inf, tau_h)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        m, h = s
        m2 = m * m
        return m2 * m2 * h
