"""Traub–Miles Hodgkin–Huxley-type neuron (the neuron of the Brette et al. 2007 COBAHH benchmark)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..params import param
from .hh import NaKLeakCell, _is_float32

__all__ = ["TraubMiles"]


def _rates(v: Any, vt: Any, xp: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """alpha/beta of m, h, n in 1/ms (Traub & Miles 1991 as used by Brette et al. 2007)."""
    u = v - vt
    if _is_float32(v):
        am = 0.32 * xp.vtrap(13.0 - u, 4.0)
        bm = 0.28 * xp.vtrap(u - 40.0, 5.0)
        ah = 0.128 * xp.exp((17.0 - u) / 18.0)
        bh = 4.0 / (1.0 + xp.exp((40.0 - u) / 5.0))
        an = 0.032 * xp.vtrap(15.0 - u, 5.0)
        bn = 0.5 * xp.exp((10.0 - u) / 40.0)
        return am, bm, ah, bh, an, bn
    # float64: the exponentials of u/4, u/5 and u/40 from one, e40 = exp(-u/40): e5 = e40^8,
    # e4 = e40^10 (<= 10 ulp, 2e-15 relative); exp((17 - u)/18) is the second. Two
    # exponentials instead of six (the rates are most of the cost of a COBAHH step).
    e40 = xp.exp(-u / 40.0)
    e10 = e40 * e40
    e20 = e10 * e10
    e5 = e20 * e20
    e4 = e5 * e10
    ex = e5 * _E8  # exp((40 - u)/5)
    am = 0.32 * _trap(13.0 - u, 4.0, e4 * _E13_4, xp)
    bm = 0.28 * _trap(u - 40.0, 5.0, 1.0 / ex, xp)
    ah = 0.128 * xp.exp((17.0 - u) / 18.0)
    bh = 4.0 / (1.0 + ex)
    an = 0.032 * _trap(15.0 - u, 5.0, e5 * _E3, xp)
    bn = 0.5 * e40 * _E025
    return am, bm, ah, bh, an, bn


def _relaxation(v: Any, vt: Any, phi: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
    """``(x_inf, 1/tau)`` of m, h, n at ``v`` (1/ms) from :func:`_rates` at ``vt``, the rates
    scaled by ``phi`` (a temperature factor): the Na+/K+ populations that Pospischil-type
    models add to their own (:class:`PospischilAIS`'s AIS, :class:`PospischilDualNa`'s second
    population)."""
    am, bm, ah, bh, an, bn = _rates(v, vt, xp)
    return tuple((a / (a + b), phi * (a + b)) for a, b in ((am, bm), (ah, bh), (an, bn)))


_E8, _E3, _E025, _E13_4 = (float(np.exp(x)) for x in (8.0, 3.0, 0.25, 13.0 / 4.0))


def _trap(x: Any, y: float, ex: Any, xp: Any) -> Any:
    """``x / (exp(x/y) - 1)`` given ``ex = exp(x/y)``; ``y`` at ``x = 0`` (series near it;
    NaN-safe for values and gradients)."""
    z = x / y
    small = xp.abs(z) < 1e-4
    den = xp.where(small, 1.0, ex - 1.0)
    return xp.where(small, y / (1.0 + z * (0.5 + z / 6.0)), x / den)


class TraubMiles(NaKLeakCell):
    r"""Single-compartment Hodgkin–Huxley-type neuron with Na⁺ and delayed-rectifier K⁺
    currents after Traub & Miles (1991), in the form of the COBAHH benchmark of Brette et al.
    (2007):

    .. math::

        C_m \frac{dv}{dt} = I - g_L (v - E_L) - \bar g_{Na} m^3 h (v - E_{Na})
                            - \bar g_{K} n^4 (v - E_K)

    with :math:`\alpha_m = 0.32\,(13 - u)/(e^{(13-u)/4} - 1)`,
    :math:`\beta_m = 0.28\,(u - 40)/(e^{(u-40)/5} - 1)`, :math:`\alpha_h = 0.128\,e^{(17-u)/18}`,
    :math:`\beta_h = 4/(1 + e^{(40-u)/5})`, :math:`\alpha_n = 0.032\,(15-u)/(e^{(15-u)/5} - 1)`,
    :math:`\beta_n = 0.5\,e^{(10-u)/40}` (1/ms), :math:`u = v - V_T` in mV.

    Units: v in mV, t in ms, conductances in mS/cm², :math:`C_m` in µF/cm², the input in µA/cm²
    (synaptic currents in pA are converted with ``area``, 20,000 µm² in the benchmark). The
    benchmark starts the gates at 0 (Brian2's default); :meth:`init_state` starts them at steady
    state unless an initial value is given.

    Reference
    ---------
    Traub RD, Miles R (1991) Neuronal Networks of the Hippocampus. Cambridge University Press.
    Brette R et al. (2007) Simulation of networks of spiking neurons: a review of tools and
    strategies. J Comput Neurosci 23:349–398 (benchmark 3).

    .. code-block:: bibtex

        @book{traub1991neuronal,
          author = {Traub, Roger D. and Miles, Richard},
          title = {Neuronal Networks of the Hippocampus},
          publisher = {Cambridge University Press}, year = {1991}}
    """

    state_vars: ClassVar[dict[str, str]] = {"v": "mV", "m": "1", "h": "1", "n": "1"}
    input_unit: ClassVar[str] = "uA/cm2"
    input_doc: ClassVar[str] = "injected current density"
    gate_vars: ClassVar[tuple[str, ...]] = ("m", "h", "n")
    default_method: ClassVar[str] = "exp_euler"

    g_na: float = param(100.0, unit="mS/cm2", bounds=(0.0, None), doc="peak Na+ conductance density")
    g_k: float = param(30.0, unit="mS/cm2", bounds=(0.0, None), doc="peak K+ (delayed rectifier) density")
    g_l: float = param(0.05, unit="mS/cm2", bounds=(0.0, None), doc="leak conductance density")
    e_na: float = param(50.0, unit="mV", bounds=(-200.0, 200.0), doc="Na+ reversal potential")
    e_k: float = param(-90.0, unit="mV", bounds=(-200.0, 200.0), doc="K+ reversal potential")
    e_l: float = param(-60.0, unit="mV", bounds=(-200.0, 200.0), doc="leak reversal potential")
    c_m: float = param(1.0, unit="uF/cm2", bounds=(0.0, None), inclusive=(False, True),
                       doc="specific membrane capacitance")
    v_t: float = param(-63.0, unit="mV", bounds=(-200.0, 200.0),
                       doc="offset V_T of the rate functions (sets the threshold)")
    v_init: float = param(-60.0, unit="mV", bounds=(-200.0, 200.0), doc="initial membrane potential")
    area: float = param(20000.0, unit="um2", bounds=(0.0, None), inclusive=(False, True),
                        doc="membrane area; converts currents (nA, pA) into densities")

    def gating(self, p: Any, v: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
        am, bm, ah, bh, an, bn = _rates(v, p.v_t, xp)
        return tuple((a / (a + b), a + b) for a, b in ((am, bm), (ah, bh), (an, bn)))
