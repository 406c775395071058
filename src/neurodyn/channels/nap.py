"""Persistent (non-inactivating on the time scale of spikes) Na+ current."""

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

__all__ = ["NaP"]


@with_hay_bib
class NaP(GatedChannel):
    r"""Persistent Na+ current, Hay et al.'s ``Nap_Et2``.

    .. math::

        i_{Na} = \bar g\, m^3 h\, (v - E_{Na}),\qquad q_t = q_{10}^{(T - 21)/10},

        m_\infty = \frac{1}{1 + e^{-(v + 52.6)/4.6}},\qquad
        \tau_m = \frac{6}{q_t (\alpha_m + \beta_m)},\quad
        \alpha_m = \frac{0.182\,(v + 38)}{1 - e^{-(v + 38)/6}},\quad
        \beta_m = \frac{0.124\,(-v - 38)}{1 - e^{(v + 38)/6}},

        h_\infty = \frac{1}{1 + e^{(v + 48.8)/10}},\qquad
        \tau_h = \frac{1}{q_t (\alpha_h + \beta_h)},\quad
        \alpha_h = \frac{-2.88\cdot 10^{-6} (v + 17)}{1 - e^{(v + 17)/4.63}},\quad
        \beta_h = \frac{6.94\cdot 10^{-6} (v + 64.4)}{1 - e^{-(v + 64.4)/2.63}}

    (rates in 1/ms, v in mV). The removable singularities at -38, -17 and -64.4 mV (which the mod
    file sidesteps by nudging ``v`` by 1e-4 mV when it hits them exactly) are taken by ``vtrap``:
    :math:`\alpha_m = 0.182\,\mathrm{vtrap}(-(v+38), 6)`,
    :math:`\beta_m = 0.124\,\mathrm{vtrap}(v+38, 6)`,
    :math:`\alpha_h = 2.88\cdot 10^{-6}\,\mathrm{vtrap}(v+17, 4.63)`,
    :math:`\beta_h = 6.94\cdot 10^{-6}\,\mathrm{vtrap}(-(v+64.4), 2.63)`, with
    :math:`\mathrm{vtrap}(x, y) = x/(e^{x/y} - 1)`. :math:`E_{Na}` is ``env["e_na"]``.

    Temperature: Hay's file fixes :math:`q_t = 2.3^{(34-21)/10}` (34 °C); here ``celsius`` is
    read from the environment, identical at 34 °C.

    Units: ``g_max`` mS/cm² (``gNap_Et2bar`` S/cm² × 1000), current µA/cm².

    Reproduces ``Nap_Et2.mod`` of Hay et al. (2011), ModelDB 139653, after Magistretti & Alonso
    (1999) (activation time constants six times those of the transient Na+ current).

    References
    ----------
    Magistretti J, Alonso A (1999). Biophysical properties and slow voltage-dependent
    inactivation of a sustained sodium current in entorhinal cortex layer-II principal neurons:
    a whole-cell and single-channel study. J Gen Physiol 114:491–509.
    Hay E et al. (2011), PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{magistretti1999biophysical,
          author = {Magistretti, Jacopo and Alonso, Angel},
          title = {Biophysical properties and slow voltage-dependent inactivation of a sustained
                   sodium current in entorhinal cortex layer-{II} principal neurons: a whole-cell
                   and single-channel study},
          journal = {Journal of General Physiology}, volume = {114}, number = {4},
          pages = {491--509}, year = {1999}, doi = {10.1085/jgp.114.4.491}}"""

    name: ClassVar[str] = "nap"
    states: ClassVar[tuple[str, ...]] = ("m", "h")
    currents_carried: ClassVar[tuple[str, ...]] = ("na",)
    reads: ClassVar[tuple[str, ...]] = ("celsius", "e_na")
    ion: ClassVar[str] = "na"

    g_max: float = g_max_param(0.01, "maximal persistent Na+ conductance density "
                               "(Hay 2011 default 1e-5 S/cm2)")
    q10: float = q10_param(2.3)
    t_ref: float = t_ref_param(21.0)

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        qt = temperature_factor(p, env, xp)
        m_inf = 1.0 / (1.0 + xp.exp(-(v + 52.6) / 4.6))
        a_m = 0.182 * xp.vtrap(-(v + 38.0), 6.0)
        b_m = 0.124 * xp.vtrap(v + 38.0, 6.0)
        tau_m = 6.0 / (a_m + b_m) / qt
        h_inf = 1.0 / (1.0 + xp.exp((v + 48.8) / 10.0))
        a_h = 2.88e-6 * xp.vtrap(v + 17.0, 4.63)
        b_h = 6.94e-6 * xp.vtrap(-(v + 64.4), 2.63)
        tau_h = 1.0 / (a_h + b_h) / qt
        return (m_inf, tau_m), (h_inf, tau_h)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        m, h = s
        return m * m * m * h
