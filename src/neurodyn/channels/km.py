"""M-current (slow, non-inactivating K+ current, Kv7/KCNQ)."""

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

__all__ = ["Im"]


@with_hay_bib
class Im(GatedChannel):
    r"""Muscarine-sensitive M-current, Hay et al.'s ``Im``.

    .. math::

        i_K = \bar g\, m\, (v - E_K),\qquad
        \alpha = 3.3\cdot 10^{-3}\, e^{0.1 (v + 35)},\quad
        \beta = 3.3\cdot 10^{-3}\, e^{-0.1 (v + 35)},

        m_\infty = \frac{\alpha}{\alpha + \beta},\qquad
        \tau_m = \frac{1}{q_t\,(\alpha + \beta)},\qquad q_t = q_{10}^{(T - 21)/10}

    (rates in 1/ms, v in mV; the mod file writes the exponent as ``2.5*0.04*(v - -35)``).
    :math:`E_K` is ``env["e_k"]``.

    Temperature: Hay's file fixes the temperature of :math:`q_t = 2.3^{(34-21)/10}` at 34 °C;
    here ``celsius`` is read from the environment (as in the Blue Brain versions), identical at
    34 °C.

    Units: ``g_max`` mS/cm² (``gImbar`` S/cm² × 1000), current µA/cm².

    Reproduces ``Im.mod`` of Hay et al. (2011), ModelDB 139653, after Adams, Brown & Constanti
    (1982).

    References
    ----------
    Adams PR, Brown DA, Constanti A (1982). M-currents and other potassium currents in bullfrog
    sympathetic neurones. J Physiol 330:537–572.
    Hay E et al. (2011), PLoS Comput Biol 7:e1002107.

    .. code-block:: bibtex

        @article{adams1982mcurrents,
          author = {Adams, P. R. and Brown, D. A. and Constanti, A.},
          title = {M-currents and other potassium currents in bullfrog sympathetic neurones},
          journal = {The Journal of Physiology}, volume = {330}, pages = {537--572},
          year = {1982}, doi = {10.1113/jphysiol.1982.sp014357}}"""

    name: ClassVar[str] = "im"
    states: ClassVar[tuple[str, ...]] = ("m",)
    currents_carried: ClassVar[tuple[str, ...]] = ("k",)
    reads: ClassVar[tuple[str, ...]] = ("celsius", "e_k")
    ion: ClassVar[str] = "k"

    g_max: float = g_max_param(0.01, "maximal M conductance density (Hay 2011 default 1e-5 S/cm2)")
    q10: float = q10_param(2.3)
    t_ref: float = t_ref_param(21.0)

    def gating(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        qt = temperature_factor(p, env, xp)
        alpha = 3.3e-3 * xp.exp(0.1 * (v + 35.0))
        beta = 3.3e-3 * xp.exp(-0.1 * (v + 35.0))
        return ((alpha / (alpha + beta), 1.0 / (alpha + beta) / qt),)

    def open_fraction(self, s: tuple[Any, ...], xp: Any) -> Any:
        return s[0]
