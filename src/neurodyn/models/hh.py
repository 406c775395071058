"""Hodgkin–Huxley (1952) squid giant axon, single compartment."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..math import numpy_math
from ..params import option, param
from ._base import AbstractNeuronModel

__all__ = ["HodgkinHuxley", "NaKLeakCell"]


def _rates(v: Any, xp: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """alpha/beta of m, h, n at 6.3 °C in 1/ms (modern sign convention, rest at -65 mV).

    These are the expressions of NEURON's ``hh.mod`` (HH 1952 eqs. 12, 13, 20, 21, 23, 24 with
    V_modern = -V_HH - 65 mV).
    """
    u = -(v + 65.0)
    # Six exponentials of (v + const)/{10, 18, 20, 80} in two: e80 = exp(u/80) gives
    # exp(u/20) = e80**4 and exp(u/10) = e80**8 (3 squarings: <= 8 ulp, 2e-15 relative in
    # float64), and exp((u + 25)/10), exp((u + 30)/10), exp((u + 10)/10) are exp(u/10) times
    # constants. The exponentials are most of the cost of a step (this takes 10% off an HH run).
    e80 = xp.exp(u / 80.0)
    e20 = (e80 * e80) * (e80 * e80)
    e10 = e20 * e20
    bm = 4.0 * xp.exp(u / 18.0)
    ah = 0.07 * e20
    bh = 1.0 / (e10 * _E30 + 1.0)
    bn = 0.125 * e80
    if _is_float32(v):
        # near the removable singularities alpha = x/(exp(x/10) - 1) loses ulp(exp)/|x/10| to
        # cancellation: 8 float32 ulp would be 5e-4 relative at 0.01 mV from them, so the
        # float32 path takes its own exponentials (1 ulp)
        am = 0.1 * xp.vtrap(-(v + 40.0), 10.0)
        an = 0.01 * xp.vtrap(-(v + 55.0), 10.0)
    else:
        am = 0.1 * _trap(-(v + 40.0), e10 * _E25, xp)
        an = 0.01 * _trap(-(v + 55.0), e10 * _E10, xp)
    return am, bm, ah, bh, an, bn


def _is_float32(v: Any) -> bool:
    """Static (trace-time) dtype test; Python floats and float64 arrays are double precision."""
    return np.dtype(getattr(v, "dtype", np.float64)).itemsize < 8


_E25, _E30, _E10 = float(np.exp(2.5)), float(np.exp(3.0)), float(np.exp(1.0))


def _trap(x: Any, ex: Any, xp: Any) -> Any:
    """``x / (exp(x/10) - 1)`` given ``ex = exp(x/10)``; 10 at ``x = 0`` (NEURON's ``vtrap``).

    Near the removable singularity (``|x/10| < 1e-4``) the series ``10 / (1 + z/2 + z^2/6)`` is
    used, as :func:`neurodyn.math.exprel` does; NaN-safe for values and gradients.
    """
    z = x / 10.0
    small = xp.abs(z) < 1e-4
    den = xp.where(small, 1.0, ex - 1.0)
    return xp.where(small, 10.0 / (1.0 + z * (0.5 + z / 6.0)), x / den)


def _inf_tau_table() -> np.ndarray:
    """NEURON's ``TABLE minf, mtau, ... FROM -100 TO 100 WITH 200`` at 6.3 °C.

    Rows: m_inf, 1/(a_m+b_m), h_inf, 1/(a_h+b_h), n_inf, 1/(a_n+b_n); 201 columns, 1 mV apart.
    The time constants are divided by the Q10 factor at run time (as NEURON's table is rebuilt
    when ``celsius`` changes, the division is exact).
    """
    v = np.linspace(-100.0, 100.0, 201)
    with np.errstate(all="ignore"):
        am, bm, ah, bh, an, bn = _rates(v, numpy_math)
    rows = []
    for a, b in ((am, bm), (ah, bh), (an, bn)):
        rows += [a / (a + b), 1.0 / (a + b)]
    return np.stack(rows)


_TABLE = _inf_tau_table()


class NaKLeakCell(AbstractNeuronModel):
    """Shared maths of single-compartment models with a Na+ current (m^3 h), a K+ current (n^4)
    and a leak, gates in relaxation form (subclasses give the parameters g_na, g_k, g_l, e_na,
    e_k, e_l, c_m, v_init and :meth:`gating`): the membrane equation, its linearisation for
    exponential and backward Euler, and the initial state with the gates at steady state."""

    def init_state(self, p: Any, xp: Any) -> Any:
        v = p.v_init + 0.0 * p.g_na
        (m, _), (h, _), (n, _) = self.gating(p, v, xp)
        return self.State(v=v + 0.0 * m, m=m, h=h, n=n)

    def _membrane(self, p: Any, s: Any, i_ext: Any) -> tuple[Any, Any]:
        """(A, B) of dv/dt = A + B*v for fixed gates."""
        g_na = p.g_na * s.m**3 * s.h
        g_k = p.g_k * s.n**4
        g = g_na + g_k + p.g_l
        inv_c = 1.0 / p.c_m  # loop-invariant: hoisted out of the time loop by XLA
        a = (i_ext + g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l) * inv_c
        return a, -g * inv_c

    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        a_v, b_v = self._membrane(p, s, i_ext)
        (mi, km), (hi, kh), (ni, kn) = self.gating(p, s.v, xp)
        return (self.State(v=a_v, m=km * mi, h=kh * hi, n=kn * ni),
                self.State(v=b_v, m=-km, h=-kh, n=-kn))

    def derivatives(self, p: Any, s: Any, i_ext: Any, xp: Any) -> Any:
        a, b = self.linearized(p, s, i_ext, xp)
        return self.State(*(ai + bi * xi for ai, bi, xi in zip(a, b, s)))


class HodgkinHuxley(NaKLeakCell):
    r"""Hodgkin–Huxley model of the squid giant axon (one isopotential compartment).

    .. math::

        C_m \frac{dv}{dt} = I_{ext} - \bar g_{Na} m^3 h (v - E_{Na}) - \bar g_K n^4 (v - E_K)
                            - g_L (v - E_L), \qquad
        \frac{dx}{dt} = \phi\,[\alpha_x(v)(1-x) - \beta_x(v) x],\ x \in \{m, h, n\}

    with the rate functions of HH 1952 in the modern sign convention (rest near -65 mV), exactly
    as NEURON's built-in ``hh`` mechanism writes them, and the temperature factor
    :math:`\phi = Q_{10}^{(T - 6.3)/10}`, :math:`Q_{10} = 3`.

    Units: v in mV, t in ms, conductances in mS/cm², :math:`C_m` in µF/cm², the input in µA/cm²
    (a current in nA is converted with ``area``).

    Options
    -------
    rates:
        ``"exact"`` evaluates the rate functions (NaN-safe ``vtrap`` form, float32 safe);
        ``"neuron_table"`` interpolates NEURON's 201-point table from -100 to 100 mV, which
        reproduces NEURON's ``hh`` (with ``usetable_hh = 1``, its default) sample by sample.

    Reference
    ---------
    Hodgkin AL, Huxley AF (1952). A quantitative description of membrane current and its
    application to conduction and excitation in nerve. J Physiol 117:500–544.

    .. code-block:: bibtex

        @article{hodgkin1952quantitative,
          author = {Hodgkin, A. L. and Huxley, A. F.},
          title = {A quantitative description of membrane current and its application to
                   conduction and excitation in nerve},
          journal = {The Journal of Physiology}, volume = {117}, number = {4},
          pages = {500--544}, year = {1952}, doi = {10.1113/jphysiol.1952.sp004764}}
    """

    state_vars: ClassVar[dict[str, str]] = {"v": "mV", "m": "1", "h": "1", "n": "1"}
    input_unit: ClassVar[str] = "uA/cm2"
    input_doc: ClassVar[str] = "injected current density"
    gate_vars: ClassVar[tuple[str, ...]] = ("m", "h", "n")
    default_method: ClassVar[str] = "exp_euler"

    g_na: float = param(120.0, unit="mS/cm2", bounds=(0.0, None), doc="peak Na+ conductance density",
                        hint="Fix: conductances are non-negative (HH 1952: 120 mS/cm2).")
    g_k: float = param(36.0, unit="mS/cm2", bounds=(0.0, None), doc="peak K+ conductance density",
                       hint="Fix: conductances are non-negative (HH 1952: 36 mS/cm2).")
    g_l: float = param(0.3, unit="mS/cm2", bounds=(0.0, None), doc="leak conductance density",
                       hint="Fix: conductances are non-negative (HH 1952: 0.3 mS/cm2).")
    e_na: float = param(50.0, unit="mV", bounds=(-200.0, 200.0), doc="Na+ reversal potential")
    e_k: float = param(-77.0, unit="mV", bounds=(-200.0, 200.0), doc="K+ reversal potential")
    e_l: float = param(-54.3, unit="mV", bounds=(-200.0, 200.0), doc="leak reversal potential")
    c_m: float = param(1.0, unit="uF/cm2", bounds=(0.0, None), inclusive=(False, True),
                       doc="specific membrane capacitance",
                       hint="Fix: capacitance must be positive (biological membranes: ~1 uF/cm2).")
    celsius: float = param(6.3, unit="degC", bounds=(-10.0, 50.0), doc="temperature",
                           hint="Fix: give the temperature in degC between -10 and 50.")
    q10: float = param(3.0, unit="1", bounds=(0.0, None), inclusive=(False, True),
                       doc="temperature coefficient of the gating rates")
    v_init: float = param(-65.0, unit="mV", bounds=(-200.0, 200.0),
                          doc="initial membrane potential (gates start at steady state)")
    area: float = param(1000.0, unit="um2", bounds=(0.0, None), inclusive=(False, True),
                        doc="membrane area; converts an injected current (nA) into a density")
    rates: str = option("exact", choices=("exact", "neuron_table"), doc="rate evaluation")

    # ------------------------------------------------------------------ maths
    def _phi(self, p: Any, xp: Any) -> Any:
        return xp.power(p.q10, (p.celsius - 6.3) / 10.0)

    def gating(self, p: Any, v: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
        """``(x_inf, k)`` for m, h, n with ``dx/dt = k (x_inf - x)``, ``k = phi (alpha + beta)``.

        With ``rates="neuron_table"``, ``x_inf`` and ``tau_x = 1/(alpha + beta)`` are interpolated
        in NEURON's table (as ``hh.mod`` does) and ``k = phi / tau_x``.
        """
        phi = self._phi(p, xp)
        if self.rates == "neuron_table":
            r = xp.interp_uniform(_TABLE, v, -100.0, 1.0)
            return tuple((r[2 * j], phi / r[2 * j + 1]) for j in range(3))
        am, bm, ah, bh, an, bn = _rates(v, xp)
        return tuple((a / (a + b), phi * (a + b)) for a, b in ((am, bm), (ah, bh), (an, bn)))

    def membrane_current(self, p: Any, s: Any, xp: Any) -> dict[str, Any]:
        """Ionic current densities (µA/cm², outward positive): ``{"i_na", "i_k", "i_l"}``."""
        return {
            "i_na": p.g_na * s.m**3 * s.h * (s.v - p.e_na),
            "i_k": p.g_k * s.n**4 * (s.v - p.e_k),
            "i_l": p.g_l * (s.v - p.e_l),
        }
