"""Calcium channels (low- and high-voltage activated) and the submembrane calcium pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..params import param
from ._base import AbstractMechanism, cnexp
from ._gates import (
    GatedChannel,
    g_max_param,
    q10_param,
    t_ref_param,
    temperature_factor,
    with_hay_bib,
)
from .nernst import FARADAY

__all__ = ["CAI0", "CaHVA", "CaPool", "CaT", "shell_influx"]

#: NEURON's default initial internal calcium concentration (``cai0_ca_ion``), mM
CAI0 = 5e-5


def shell_influx(ica: Any, depth: Any) -> Any:
    """Rate (mM/ms) at which a calcium current density ``ica`` (µA/cm², outward positive:
    inward current raises the concentration) fills a submembrane shell ``depth`` µm deep:
    ``-10 ica / (2 F depth)`` (the 10 converts µA/cm² over µm to mM/ms; F in C/mol;
    Destexhe et al. 1993). :class:`CaPool` and the point model
    :class:`~neurodyn.models.Pospischil` share it."""
    return -10.0 * ica / (2.0 * FARADAY * depth)


@with_hay_bib
class CaT(GatedChannel):
    r"""Low-voltage-activated (T-type) Ca2+ current, Hay et al.'s ``Ca_LVAst``.

    .. math::

        i_{Ca} = \bar g\, m^2 h\, (v - E_{Ca}),\qquad
        m_\infty = \frac{1}{1 + e^{-(v + 40)/6}},\quad
        \tau_m = \frac{5 + 20/(1 + e^{(v + 35)/5})}{q_t},

        h_\infty = \frac{1}{1 + e^{(v + 90)/6.4}},\quad
        \tau_h = \frac{20 + 50/(1 + e^{(v + 50)/7})}{q_t},\qquad
        q_t = q_{10}^{(T - 21)/10}

    (v in mV, τ in ms; the published curves shifted by -10 mV for the junction potential).
    :math:`E_{Ca}` is ``env["e_ca"]`` (fixed or Nernst, provided by the cell); the current adds to
    the calcium current ``ica`` that a :class:`CaPool` integrates.

    Temperature: Hay's file evaluates :math:`q_t = 2.3^{(34-21)/10}` with the temperature fixed
    at 34 °C; here (as in the Blue Brain versions of the file) ``celsius`` is read from the
    environment, so at 34 °C the two agree exactly.

    Units: ``g_max`` mS/cm² (``gCa_LVAstbar`` S/cm² × 1000), current µA/cm².

    Reproduces ``Ca_LVAst.mod`` of Hay et al. (2011), ModelDB 139653; kinetics after Avery &
    Johnston (1996), time constants from Randall & Tsien (1997).

    References
    ----------
    Avery RB, Johnston D (1996). Multiple channel types contribute to the low-voltage-activated
    calcium current in hippocampal CA3 pyramidal neurons. J Neurosci 16:5567–5582.
    Randall AD, Tsien RW (1997). Contrasting biophysical and pharmacological properties of
    T-type and R-type calcium channels. Neuropharmacology 36:879–893.
    Hay E et al. (2011), PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{avery1996multiple,
          author = {Avery, Robert B. and Johnston, Daniel},
          title = {Multiple channel types contribute to the low-voltage-activated calcium
                   current in hippocampal {CA3} pyramidal neurons},
          journal = {Journal of Neuroscience}, volume = {16}, number = {18},
          pages = {5567--5582}, year = {1996}, doi = {10.1523/JNEUROSCI.16-18-05567.1996}}
        @article{randall1997contrasting,
          author = {Randall, Andrew D. and Tsien, Richard W.},
          title = {Contrasting biophysical and pharmacological properties of {T}-type and
                   {R}-type calcium channels},
          journal = {Neuropharmacology}, volume = {36}, number = {7}, pages = {879--893},
          year = {1997}, doi = {10.1016/S0028-3908(97)00086-5}}"""

    name: ClassVar[str] = "cat"
    states: ClassVar[tuple[str, ...]] = ("m", "h")
    currents_carried: ClassVar[tuple[str, ...]] = ("ca",)
    reads: ClassVar[tuple[str, ...]] = ("celsius", "e_ca")
    ion: ClassVar[str] = "ca"

    g_max: float = g_max_param(0.01, "maximal T-type Ca2+ conductance density "
                               "(Hay 2011 default 1e-5 S/cm2)")
    q10: float = q10_param(2.3)
    t_ref: float = t_ref_param(21.0)

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        qt = temperature_factor(p, env, xp)
        m_inf = 1.0 / (1.0 + xp.exp(-(v + 40.0) / 6.0))
        tau_m = (5.0 + 20.0 / (1.0 + xp.exp((v + 35.0) / 5.0))) / qt
        h_inf = 1.0 / (1.0 + xp.exp((v + 90.0) / 6.4))
        tau_h = (20.0 + 50.0 / (1.0 + xp.exp((v + 50.0) / 7.0))) / qt
        return (m_inf, tau_m), (h_inf, tau_h)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        m, h = s
        return m * m * h



@with_hay_bib
class CaHVA(GatedChannel):
    r"""High-voltage-activated Ca2+ current, Hay et al.'s ``Ca_HVA``.

    .. math::

        i_{Ca} = \bar g\, m^2 h\, (v - E_{Ca}),\qquad
        x_\infty = \frac{\alpha_x}{\alpha_x + \beta_x},\quad \tau_x = \frac{1}{\alpha_x + \beta_x},

        \alpha_m = 0.055\,\frac{-27 - v}{e^{(-27 - v)/3.8} - 1},\quad
        \beta_m = 0.94\, e^{(-75 - v)/17},

        \alpha_h = 4.57\cdot 10^{-4}\, e^{(-13 - v)/50},\quad
        \beta_h = \frac{0.0065}{e^{(-v - 15)/28} + 1}

    (rates in 1/ms, v in mV; the singularity of :math:`\alpha_m` at -27 mV is taken by
    ``vtrap``). There is no temperature factor, as in the mod file. :math:`E_{Ca}` is
    ``env["e_ca"]``.

    Units: ``g_max`` mS/cm² (``gCa_HVAbar`` S/cm² × 1000), current µA/cm².

    Reproduces ``Ca_HVA.mod`` of Hay et al. (2011), ModelDB 139653, with the kinetics of Reuveni
    et al. (1993).

    References
    ----------
    Reuveni I, Friedman A, Amitai Y, Gutnick MJ (1993). Stepwise repolarization from Ca2+ plateaus
    in neocortical pyramidal cells: evidence for nonhomogeneous distribution of HVA Ca2+ channels
    in dendrites. J Neurosci 13:4609–4621.
    Hay E et al. (2011), PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{reuveni1993stepwise,
          author = {Reuveni, Iris and Friedman, Alon and Amitai, Yael and Gutnick, Michael J.},
          title = {Stepwise repolarization from {Ca2+} plateaus in neocortical pyramidal cells:
                   evidence for nonhomogeneous distribution of {HVA} {Ca2+} channels in dendrites},
          journal = {Journal of Neuroscience}, volume = {13}, number = {11},
          pages = {4609--4621}, year = {1993}, doi = {10.1523/JNEUROSCI.13-11-04609.1993}}"""

    name: ClassVar[str] = "cahva"
    states: ClassVar[tuple[str, ...]] = ("m", "h")
    currents_carried: ClassVar[tuple[str, ...]] = ("ca",)
    reads: ClassVar[tuple[str, ...]] = ("e_ca",)
    ion: ClassVar[str] = "ca"

    g_max: float = g_max_param(0.01, "maximal HVA Ca2+ conductance density "
                               "(Hay 2011 default 1e-5 S/cm2)")

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        a_m = 0.055 * xp.vtrap(-27.0 - v, 3.8)
        b_m = 0.94 * xp.exp((-75.0 - v) / 17.0)
        a_h = 0.000457 * xp.exp((-13.0 - v) / 50.0)
        b_h = 0.0065 / (xp.exp((-v - 15.0) / 28.0) + 1.0)
        tau_m = 1.0 / (a_m + b_m)
        tau_h = 1.0 / (a_h + b_h)
        return (a_m * tau_m, tau_m), (a_h * tau_h, tau_h)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        m, h = s
        return m * m * h



@with_hay_bib
class CaPool(AbstractMechanism):
    r"""Submembrane calcium pool: a shell that fills with the Ca2+ current and decays to a floor.

    .. math::

        \frac{d[Ca]_i}{dt} = -\frac{10\,\gamma\, i_{Ca}}{2 F d} - \frac{[Ca]_i - [Ca]_{min}}{\tau}

    with :math:`i_{Ca}` the total calcium current density in µA/cm² (``env["ica"]``, outward
    positive: inward current raises the concentration), :math:`\gamma` the fraction of entering
    calcium that stays free (not buffered), :math:`d` the shell depth in µm, :math:`\tau` the
    removal time constant in ms, :math:`F` = 96485.33212331001 C/mol (NEURON 9's FARADAY) and
    the factor 10 the unit conversion (µA/cm² over µm to mM/ms; the mod file's 10000 for
    mA/cm²). :math:`[Ca]_i` in mM. The equation is linear in :math:`[Ca]_i` and advanced exactly
    over a step with the current frozen (NEURON's ``cnexp``).

    The state ``cai`` is what the pool *provides* to the mechanisms on the same nodes
    (``env["cai"]`` of SK/BK channels and of a Nernst ``e_ca``).

    Initial state: ``env["cai"]`` if the cell provides one, otherwise 5e-5 mM. This is NEURON's
    behaviour: the mod file has no ``INITIAL`` block, so ``cai`` starts at the ion's
    ``cai0_ca_ion`` (5e-5 mM by default), *not* at ``min_cai``; it relaxes to ``min_cai`` with
    ``decay``.

    Units: ``gamma`` dimensionless, ``decay`` ms, ``depth`` µm, ``min_cai`` mM.

    Reproduces ``CaDynamics_E2.mod`` of Hay et al. (2011), ModelDB 139653 (``minCai`` is
    ``min_cai`` here), whose header says "modified from Destexhe et al. 1994": Destexhe's
    ``cad.mod`` shell, described in Destexhe, Babloyantz & Sejnowski (1993).

    References
    ----------
    Destexhe A, Babloyantz A, Sejnowski TJ (1993). Ionic mechanisms for intrinsic slow
    oscillations in thalamic relay neurons. Biophys J 65:1538–1552.
    Hay E et al. (2011), PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{destexhe1993ionic,
          author = {Destexhe, Alain and Babloyantz, Agnessa and Sejnowski, Terrence J.},
          title = {Ionic mechanisms for intrinsic slow oscillations in thalamic relay neurons},
          journal = {Biophysical Journal}, volume = {65}, number = {4}, pages = {1538--1552},
          year = {1993}, doi = {10.1016/S0006-3495(93)81190-1}}"""

    name: ClassVar[str] = "capool"
    states: ClassVar[tuple[str, ...]] = ("cai",)
    currents_carried: ClassVar[tuple[str, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ("ica",)
    provides: ClassVar[tuple[str, ...]] = ("cai",)

    gamma: float = param(0.05, unit="1", bounds=(0.0, 1.0),
                         doc="fraction of the entering Ca2+ that stays free (not buffered)")
    decay: float = param(80.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="time constant of Ca2+ removal")
    depth: float = param(0.1, unit="um", bounds=(0.0, None), inclusive=(False, True),
                         doc="depth of the submembrane shell")
    min_cai: float = param(1e-4, unit="mM", bounds=(0.0, None),
                           doc="resting floor of [Ca2+]i that removal relaxes to")

    def _inf(self, p: Any, env: Mapping[str, Any]) -> Any:
        """The concentration the pool relaxes to with the current frozen (mM)."""
        return p.min_cai + shell_influx(p.gamma * env["ica"], p.depth) * p.decay

    def init_state(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[Any, ...]:
        cai = env["cai"] if "cai" in env else CAI0
        return (cai + 0.0 * v + 0.0 * p.min_cai,)

    def advance(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any], dt: Any,
                xp: Any) -> tuple[Any, ...]:
        return (cnexp(s[0], self._inf(p, env), p.decay, dt, xp),)

