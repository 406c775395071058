"""Pospischil's cortical cell with a second Na⁺/K⁺ population: a single compartment."""

from __future__ import annotations

from typing import Any, ClassVar

from ..params import param
from .pospischil import Pospischil
from .traub_miles import _relaxation

__all__ = ["PospischilDualNa"]


class PospischilDualNa(Pospischil):
    r""":class:`Pospischil`'s single-compartment cell with a second population of Na⁺ and
    delayed-rectifier K⁺ channels in the same membrane, with its own threshold and without the
    slow inactivation of the first (``z``, ``y``):

    .. math::

        C_m \frac{dv}{dt} = I_{Pospischil}(v, \dots) + I
            - \bar g_{Na,2}\, m_2^3 h_2 (v - E_{Na}) - \bar g_{Kd,2}\, n_2^4 (v - E_K)

    where :math:`I_{Pospischil}` is every current of :class:`Pospischil` (its parameters keep
    their meaning) and the gates m₂, h₂, n₂ follow the same Traub–Miles rates at
    :math:`V_T` + ``v_t2`` (no extension shifts), scaled by the same ``celsius``.

    Cortical neurones carry Na⁺ channels of more than one kind (Nav1.2 and Nav1.6, with
    thresholds some mV apart and different slow inactivation; Hu et al. 2009). In one
    compartment this is what :class:`PospischilAIS` becomes when its coupling is much faster
    than the membrane: the AIS's channels, with densities scaled by ``area_ax / area``, at the
    soma's potential (the unit tests check this limit). With ``g_na2 = g_kd2 = 0`` (the
    defaults) it is :class:`Pospischil` exactly. Units: v in mV, t in ms, conductance densities
    in mS/cm²; the input as :class:`Pospischil` (µA/cm²).

    Reference
    ---------
    Hu W, Tian C, Li T, Yang M, Hou H, Shu Y (2009) Distinct contributions of Nav1.6 and Nav1.2
    in action potential initiation and backpropagation. Nat Neurosci 12:996–1002.
    doi:10.1038/nn.2359
    Pospischil M et al. (2008) Biol Cybern 99:427–441 (the other currents; see
    :class:`Pospischil`, whose references this class's citation includes).

    .. code-block:: bibtex

        @article{hu2009distinct,
          author = {Hu, Wenqin and Tian, Cuiping and Li, Tun and Yang, Mingpo and Hou, Han
                    and Shu, Yousheng},
          title = {Distinct contributions of {Nav1.6} and {Nav1.2} in action potential
                   initiation and backpropagation},
          journal = {Nature Neuroscience}, volume = {12}, pages = {996--1002}, year = {2009},
          doi = {10.1038/nn.2359}}
    """

    state_vars: ClassVar[dict[str, str]] = {**Pospischil.state_vars, "m2": "1", "h2": "1",
                                            "n2": "1"}
    gate_vars: ClassVar[tuple[str, ...]] = (*Pospischil.gate_vars, "m2", "h2", "n2")

    g_na2: float = param(0.0, unit="mS/cm2", bounds=(0.0, None),
                         doc="peak Na+ conductance density of the second population")
    g_kd2: float = param(0.0, unit="mS/cm2", bounds=(0.0, None),
                         doc="peak delayed-rectifier K+ conductance density of the second "
                             "population")
    v_t2: float = param(0.0, unit="mV", bounds=(-50.0, 50.0),
                        doc="V_T of the second population's rates relative to v_t (positive: "
                            "it opens at higher potentials)")

    # ------------------------------------------------------------------ maths
    def _second_gating(self, p: Any, v: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
        """``(x_inf, 1/tau)`` of m2, h2, n2 at ``v`` (1/ms)."""
        return _relaxation(v, p.v_t + p.v_t2, xp.power(3.0, (p.celsius - 36.0) / 10.0), xp)

    def gating(self, p: Any, v: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
        """``(x_inf, 1/tau_x)`` of :class:`Pospischil`'s gates, then m2, h2, n2 (1/ms)."""
        return (*super().gating(p, v, xp), *self._second_gating(p, v, xp))

    def _second_conductances(self, p: Any, s: Any) -> tuple[Any, Any]:
        return p.g_na2 * s.m2**3 * s.h2, p.g_kd2 * s.n2**4

    def rest_state(self, p: Any, v: Any, xp: Any) -> Any:
        """The state at rest at ``v`` (mV): every gate at x_inf(v), [Ca] as :class:`Pospischil`."""
        (m2, _), (h2, _), (n2, _) = self._second_gating(p, v, xp)
        return self.State(**self._soma_rest(p, v, xp), m2=m2, h2=h2, n2=n2)

    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        a, b = self._soma_linearized(p, s, i_ext, xp)
        g_na, g_k = self._second_conductances(p, s)
        inv_c = 1.0 / p.c_m
        a["v"] = a["v"] + (g_na * p.e_na + g_k * p.e_k) * inv_c
        b["v"] = b["v"] - (g_na + g_k) * inv_c
        for name, (x, k) in zip(("m2", "h2", "n2"), self._second_gating(p, s.v, xp)):
            a[name], b[name] = k * x, -k
        return self.State(**a), self.State(**b)

    def membrane_current(self, p: Any, s: Any, xp: Any) -> dict[str, Any]:
        """:class:`Pospischil`'s current densities and the second population's (``i_na2``,
        ``i_kd2``), µA/cm², outward positive."""
        g_na, g_k = self._second_conductances(p, s)
        return {**super().membrane_current(p, s, xp),
                "i_na2": g_na * (s.v - p.e_na), "i_kd2": g_k * (s.v - p.e_k)}
