"""Calcium-activated potassium channels: small (SK) and large (BK) conductance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..params import param
from ._gates import GatedChannel, g_max_param, with_hay_bib
from .nernst import FARADAY, GAS_CONSTANT, ZERO_CELSIUS

__all__ = ["BK", "SK"]


@with_hay_bib
class SK(GatedChannel):
    r"""Small-conductance Ca2+-activated K+ current (SK2), Hay et al.'s ``SK_E2``.

    .. math::

        i_K = \bar g\, z\, (v - E_K),\qquad
        \frac{dz}{dt} = \frac{z_\infty - z}{\tau_z},\qquad
        z_\infty = \frac{1}{1 + (K_d/c)^{n}},\quad
        c = \begin{cases}[Ca]_i + 10^{-7}\ \text{mM} & [Ca]_i < 10^{-7}\ \text{mM}\\
                         [Ca]_i & \text{otherwise}\end{cases}

    with :math:`K_d` = 0.43 µM (``kd`` = 4.3e-4 mM), Hill coefficient ``hill`` = 4.8 and a
    voltage-independent :math:`\tau_z` = 1 ms; no temperature factor. :math:`[Ca]_i` is
    ``env["cai"]`` (from a :class:`~neurodyn.channels.CaPool` or the cell's fixed value),
    :math:`E_K` is ``env["e_k"]``. The floor of 1e-7 mM (the mod file's) keeps
    :math:`z_\infty` finite at zero calcium.

    Units: ``g_max`` mS/cm² (``gSK_E2bar`` S/cm² × 1000), current µA/cm².

    Reproduces ``SK_E2.mod`` of Hay et al. (2011), ModelDB 139653; Ca2+ dependence from Köhler
    et al. (1996).

    References
    ----------
    Köhler M, Hirschberg B, Bond CT, Kinzie JM, Marrion NV, Maylie J, Adelman JP (1996).
    Small-conductance, calcium-activated potassium channels from mammalian brain. Science
    273:1709–1714.
    Hay E et al. (2011), PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{kohler1996small,
          author = {K{\"o}hler, Martin and Hirschberg, Birgit and Bond, Chris T. and
                    Kinzie, John M. and Marrion, Neil V. and Maylie, James and Adelman, John P.},
          title = {Small-conductance, calcium-activated potassium channels from mammalian brain},
          journal = {Science}, volume = {273}, number = {5282}, pages = {1709--1714},
          year = {1996}, doi = {10.1126/science.273.5282.1709}}"""

    name: ClassVar[str] = "sk"
    states: ClassVar[tuple[str, ...]] = ("z",)
    currents_carried: ClassVar[tuple[str, ...]] = ("k",)
    reads: ClassVar[tuple[str, ...]] = ("e_k", "cai")
    ion: ClassVar[str] = "k"

    g_max: float = g_max_param(0.001, "maximal SK conductance density "
                               "(Hay 2011 default 1e-6 S/cm2)")
    tau_z: float = param(1.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="activation time constant")
    kd: float = param(4.3e-4, unit="mM", bounds=(0.0, None), inclusive=(False, True),
                      doc="[Ca2+]i of half activation")
    hill: float = param(4.8, unit="1", bounds=(0.0, None), inclusive=(False, True),
                        doc="Hill coefficient of the Ca2+ dependence")

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        cai = env["cai"]
        c = xp.where(cai < 1e-7, cai + 1e-7, cai)
        z_inf = 1.0 / (1.0 + xp.power(p.kd / c, p.hill)) + 0.0 * v
        return ((z_inf, p.tau_z),)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        return s[0]


class BK(GatedChannel):
    r"""Large-conductance Ca2+- and voltage-activated K+ current (BK), Moczydlowski & Latorre.

    A two-state (closed/open) channel whose rates depend on voltage and on internal calcium:

    .. math::

        i_K = \bar g\, o\, (v - E_K),\qquad
        \frac{do}{dt} = \alpha (1 - o) - \beta o,

        \alpha = \frac{\bar a\, c}{c + k_1 e^{-2 d_1 F v / RT}},\qquad
        \beta = \frac{\bar b}{1 + c / (k_2 e^{-2 d_2 F v / RT})}

    (:math:`c = [Ca]_i` in mM from ``env["cai"]``; v in mV and :math:`F` in kC/mol so that
    :math:`Fv/RT` is dimensionless; :math:`T` = ``celsius`` + 273.15 K, which enters only through
    the Boltzmann factors: there is no Q10). :math:`o_\infty = \alpha/(\alpha+\beta)`,
    :math:`\tau = 1/(\alpha+\beta)`. Parameters are those of channel A of Table II of
    Moczydlowski & Latorre (1983): :math:`d_1` = 0.84, :math:`d_2` = 1, :math:`k_1` = 0.18 mM,
    :math:`k_2` = 0.011 mM, :math:`\bar a` = 0.48/ms, :math:`\bar b` = 0.28/ms. :math:`\alpha` is
    written as :math:`\bar a c/(c + k_1 e^{\dots})`, equal to the mod file's
    :math:`\bar a/(1 + k_1 e^{\dots}/c)` and finite (0) at :math:`c = 0`.

    Constants: F = 96.48533212331001 kC/mol, R = 8.31446261815324 J/(mol K) (the CODATA 2018
    values that NEURON 9 gives ``FARADAY`` and ``(k-mole)`` in mod files).

    Units: ``g_max`` mS/cm² (``gkbar`` S/cm² × 1000; the mod file's default 0.01 S/cm² is
    10 mS/cm²), current µA/cm².

    Reproduces ``cagk.mod``, the Ca2+-activated K+ channel distributed with NEURON
    (``share/examples/nrniv/nmodl/cagk.mod``, also in many ModelDB entries), which implements
    Moczydlowski & Latorre (1983).

    References
    ----------
    Moczydlowski E, Latorre R (1983). Gating kinetics of Ca2+-activated K+ channels from rat
    muscle incorporated into planar lipid bilayers: evidence for two voltage-dependent Ca2+
    binding reactions. J Gen Physiol 82:511–542.

    .. code-block:: bibtex

        @article{moczydlowski1983gating,
          author = {Moczydlowski, Edward and Latorre, Ramon},
          title = {Gating kinetics of {Ca2+}-activated {K+} channels from rat muscle
                   incorporated into planar lipid bilayers. {E}vidence for two voltage-dependent
                   {Ca2+} binding reactions},
          journal = {Journal of General Physiology}, volume = {82}, number = {4},
          pages = {511--542}, year = {1983}, doi = {10.1085/jgp.82.4.511}}
    """

    name: ClassVar[str] = "bk"
    states: ClassVar[tuple[str, ...]] = ("o",)
    currents_carried: ClassVar[tuple[str, ...]] = ("k",)
    reads: ClassVar[tuple[str, ...]] = ("celsius", "e_k", "cai")
    ion: ClassVar[str] = "k"

    g_max: float = g_max_param(10.0, "maximal BK conductance density (cagk.mod: 0.01 S/cm2)")
    d1: float = param(0.84, unit="1", bounds=(0.0, None),
                      doc="electrical distance of the first Ca2+ binding site")
    d2: float = param(1.0, unit="1", bounds=(0.0, None),
                      doc="electrical distance of the second Ca2+ binding site")
    k1: float = param(0.18, unit="mM", bounds=(0.0, None), inclusive=(False, True),
                      doc="dissociation constant of the first site at 0 mV")
    k2: float = param(0.011, unit="mM", bounds=(0.0, None), inclusive=(False, True),
                      doc="dissociation constant of the second site at 0 mV")
    abar: float = param(0.48, unit="1/ms", bounds=(0.0, None), inclusive=(False, True),
                        doc="maximal opening rate")
    bbar: float = param(0.28, unit="1/ms", bounds=(0.0, None), inclusive=(False, True),
                        doc="maximal closing rate")

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        c = env["cai"]
        # F v / (R T) with F in kC/mol and v in mV
        fv_rt = (FARADAY * 1e-3) * v / GAS_CONSTANT / (ZERO_CELSIUS + env["celsius"])
        e1 = p.k1 * xp.exp(-2.0 * p.d1 * fv_rt)
        e2 = p.k2 * xp.exp(-2.0 * p.d2 * fv_rt)
        alpha = p.abar * c / (c + e1)
        beta = p.bbar * e2 / (e2 + c)
        tau = 1.0 / (alpha + beta)
        return ((alpha * tau, tau),)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        return s[0]
