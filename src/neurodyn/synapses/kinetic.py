"""Kinetic receptor models (Destexhe, Mainen & Sejnowski 1994): AMPA, NMDA, GABA-A, GABA-B.

Each presynaptic spike releases a square pulse of transmitter, concentration ``t_max`` for
``c_dur`` ms, at the synapse (after the delay). Receptors bind it with first-order kinetics,

.. math:: \\frac{dr}{dt} = \\alpha\\,[T]\\,(1 - r) - \\beta\\, r,

so during a pulse ``r`` relaxes to :math:`r_\\infty = \\alpha T/(\\alpha T + \\beta)` with rate
:math:`\\alpha T + \\beta`, and decays with rate :math:`\\beta` after it: piecewise exponential,
solved exactly. The conductance is ``w r`` (``w`` in nS, the maximal conductance).

**Summed form.** Because these dynamics are linear while a pulse is on and while it is off,
the synapses of one kind onto a neuron are summed in three quantities per neuron (as NEURON's
``AMPA.mod`` of Destexhe does with its ``Ron``/``Roff``): ``g_on`` (conductance of the synapses
whose pulse is on), ``w_on`` (their summed weights) and ``g_off`` (the others). A spike moves its
synapse into the "on" pool at the pulse start and back at its end (two events, with the value
of ``r`` at those times, which depends only on the presynaptic spike train and is kept per
presynaptic neuron). A spike that comes while the previous pulse of the same neuron is still on
is ignored (rates above 1/``c_dur``).

Units: rates in 1/ms, ``alpha`` in 1/(mM ms), concentrations in mM, times in ms, potentials in
mV, weights (maximal conductances) in nS.

References
----------
Destexhe A, Mainen ZF, Sejnowski TJ (1994) An efficient method for computing synaptic
conductances based on a kinetic model of receptor binding. Neural Comput 6:14–18.
Destexhe A, Mainen ZF, Sejnowski TJ (1998) Kinetic models of synaptic transmission. In: Koch C,
Segev I (eds) Methods in Neuronal Modeling, 2nd ed., MIT Press, pp 1–25 (the rate constants).
Jahr CE, Stevens CF (1990) Voltage dependence of NMDA-activated macroscopic conductances
predicted by single-channel kinetics. J Neurosci 10:3178–3182 (the Mg2+ block).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..params import option, param
from ._base import AbstractSynapse

__all__ = ["AMPA", "GABAA", "GABAB", "NMDA", "KineticSynapse"]

_BIB = """
    .. code-block:: bibtex

        @article{destexhe1994efficient,
          author = {Destexhe, Alain and Mainen, Zachary F. and Sejnowski, Terrence J.},
          title = {An efficient method for computing synaptic conductances based on a kinetic
                   model of receptor binding},
          journal = {Neural Computation}, volume = {6}, number = {1}, pages = {14--18},
          year = {1994}, doi = {10.1162/neco.1994.6.1.14}}
"""


def _with_bib(cls: Any) -> Any:
    cls.__doc__ = (cls.__doc__ or "") + _BIB
    return cls


def _rate(default: float, doc: str, unit: str = "1/ms") -> Any:
    return param(default, unit=unit, bounds=(0.0, None), inclusive=(False, True), doc=doc)


class KineticSynapse(AbstractSynapse):
    """Base of the two-state kinetic receptors (see the module docstring)."""

    kinetic: ClassVar[bool] = True
    #: summed state per postsynaptic neuron; the first three receive spike events
    state_vars: ClassVar[tuple[str, ...]] = ("g_on", "w_on", "g_off")
    n_event_channels: ClassVar[int] = 3

    mode: str = option("conductance", choices=("conductance",), doc="kinetic receptors are "
                       "conductances")
    t_max: float = param(1.0, unit="mM", bounds=(0.0, None), inclusive=(False, True),
                         doc="transmitter concentration during a pulse")
    c_dur: float = param(1.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="pulse duration (rounded to whole steps)")

    # ---------------------------------------------------------------- kinetics
    def rise(self, p: Any) -> tuple[Any, Any]:
        """(r_inf, rate) during a pulse."""
        k = p.alpha * p.t_max + p.beta
        return p.alpha * p.t_max / k, k

    def r_closed_form(self, t: Any, onsets: Any) -> Any:
        """``r(t)`` for pulses starting at ``onsets`` (ms), r(0) = 0; NumPy, for tests."""
        p = self.param_values()
        r_inf, k = (float(x) for x in self.rise(p))
        t = np.asarray(t, dtype=float)
        out = np.zeros_like(t)
        c_dur = float(p.c_dur)
        starts: list[float] = []
        for t0 in sorted(float(x) for x in onsets):  # a pulse that starts while one is on: none
            if not starts or t0 >= starts[-1] + c_dur:
                starts.append(t0)
        r_end, t_end = 0.0, -np.inf
        for i, t0 in enumerate(starts):
            r0 = r_end * np.exp(-float(p.beta) * (t0 - t_end)) if np.isfinite(t_end) else 0.0
            t1 = t0 + c_dur
            nxt = starts[i + 1] if i + 1 < len(starts) else np.inf
            on = (t >= t0) & (t < t1)
            out[on] = r_inf + (r0 - r_inf) * np.exp(-k * (t[on] - t0))
            r_end = r_inf + (r0 - r_inf) * np.exp(-k * c_dur)
            off = (t >= t1) & (t < nxt)
            out[off] = r_end * np.exp(-float(p.beta) * (t[off] - t1))
            t_end = t1
        return out

    # ---------------------------------------------------------------- engine interface
    def decay(self, p: Any, s: tuple[Any, ...], dt: Any, xp: Any) -> tuple[Any, ...]:
        """Exact step of the summed state (the "on" pool relaxes to w_on r_inf)."""
        g_on, w_on, g_off = s[:3]
        r_inf, k = self.rise(p)
        target = w_on * r_inf
        return (target + (g_on - target) * xp.exp(-k * dt), w_on,
                g_off * xp.exp(-p.beta * dt), *s[3:])

    def readout(self, p: Any, s: tuple[Any, ...], xp: Any) -> Any:
        """Conductance (nS) before any voltage dependence."""
        return s[0] + s[2]

    def block(self, p: Any, v: Any, xp: Any) -> Any:
        """Voltage-dependent fraction of the conductance that conducts (1 but for NMDA)."""
        return 1.0

    def jump(self, p: Any, xp: Any) -> tuple[Any, ...]:
        return (1.0, 1.0, 1.0) + (0.0,) * (len(self.state_vars) - 3)


@_with_bib
class AMPA(KineticSynapse):
    """AMPA receptor, two-state kinetics (Destexhe et al. 1998: alpha 1.1 /(mM ms), beta 0.19
    /ms, 1 mM for 1 ms, E 0 mV).

    Reference
    ---------
    Destexhe A, Mainen ZF, Sejnowski TJ (1994) Neural Comput 6:14–18; (1998) Kinetic models of
    synaptic transmission, Methods in Neuronal Modeling, MIT Press.
    """

    alpha: float = _rate(1.1, "binding rate", "1/mM/ms")
    beta: float = _rate(0.19, "unbinding rate")
    e_rev: float = param(0.0, unit="mV", bounds=(-200.0, 200.0), doc="reversal potential")


@_with_bib
class GABAA(KineticSynapse):
    """GABA-A receptor, two-state kinetics (Destexhe et al. 1998: alpha 5 /(mM ms), beta 0.18
    /ms, 1 mM for 1 ms, E -80 mV).

    Reference
    ---------
    Destexhe A, Mainen ZF, Sejnowski TJ (1994) Neural Comput 6:14–18; (1998) Kinetic models of
    synaptic transmission, Methods in Neuronal Modeling, MIT Press.
    """

    alpha: float = _rate(5.0, "binding rate", "1/mM/ms")
    beta: float = _rate(0.18, "unbinding rate")
    e_rev: float = param(-80.0, unit="mV", bounds=(-200.0, 200.0), doc="reversal potential")


class NMDA(KineticSynapse):
    r"""NMDA receptor, two-state kinetics (Destexhe et al. 1998: alpha 0.072 /(mM ms), beta
    0.0066 /ms, 1 mM for 1 ms, E 0 mV) with the Mg²⁺ block of Jahr & Stevens (1990):

    .. math:: B(v) = \frac{1}{1 + e^{-0.062\,v}\,[\mathrm{Mg}^{2+}]_o / 3.57}

    (v in mV, [Mg²⁺] in mM), evaluated at the membrane potential at the start of each step.

    Reference
    ---------
    Jahr CE, Stevens CF (1990) Voltage dependence of NMDA-activated macroscopic conductances
    predicted by single-channel kinetics. J Neurosci 10:3178–3182.

    .. code-block:: bibtex

        @article{jahr1990voltage,
          author = {Jahr, Craig E. and Stevens, Charles F.},
          title = {Voltage dependence of {NMDA}-activated macroscopic conductances predicted by
                   single-channel kinetics},
          journal = {Journal of Neuroscience}, volume = {10}, number = {9},
          pages = {3178--3182}, year = {1990}}
    """

    alpha: float = _rate(0.072, "binding rate", "1/mM/ms")
    beta: float = _rate(0.0066, "unbinding rate")
    e_rev: float = param(0.0, unit="mV", bounds=(-200.0, 200.0), doc="reversal potential")
    mg: float = param(1.0, unit="mM", bounds=(0.0, None), doc="extracellular Mg2+ concentration")

    def block(self, p: Any, v: Any, xp: Any) -> Any:
        return 1.0 / (1.0 + xp.exp(-0.062 * v) * (p.mg / 3.57))


@_with_bib
class GABAB(KineticSynapse):
    r"""GABA-B receptor with its G-protein cascade (Destexhe et al. 1998):

    .. math:: \frac{dr}{dt} = K_1 [T](1 - r) - K_2 r, \quad \frac{ds}{dt} = K_3 r - K_4 s,
              \quad g = w \frac{s^n}{s^n + K_d}

    (K1 0.09 /(mM ms), K2 0.0012, K3 0.18, K4 0.034 /ms, Kd 100, n 4, 0.5 mM for 0.3 ms,
    E -95 mV). The receptor part is summed as for the other kinetic receptors; the G protein is
    summed too (it is linear in r) and integrated exactly; the nonlinearity
    :math:`s^n/(s^n + K_d)` is applied to the summed, weight-normalised G protein of each
    neuron: exact for one synapse per neuron, an approximation when several are active
    (Destexhe et al. apply it per synapse).

    Reference
    ---------
    Destexhe A, Mainen ZF, Sejnowski TJ (1998) Kinetic models of synaptic transmission. In:
    Methods in Neuronal Modeling, 2nd ed., MIT Press.
    """

    state_vars: ClassVar[tuple[str, ...]] = ("g_on", "w_on", "g_off", "s", "w_tot")
    alpha: float = _rate(0.09, "K1, binding rate", "1/mM/ms")
    beta: float = _rate(0.0012, "K2, unbinding rate")
    k3: float = _rate(0.18, "K3, G-protein production rate")
    k4: float = _rate(0.034, "K4, G-protein decay rate")
    kd: float = param(100.0, unit="1", bounds=(0.0, None), inclusive=(False, True),
                      doc="dissociation constant of the G-protein binding")
    n_sites: float = param(4.0, unit="1", bounds=(1.0, None), doc="binding sites n")
    e_rev: float = param(-95.0, unit="mV", bounds=(-200.0, 200.0), doc="reversal potential")
    t_max: float = param(0.5, unit="mM", bounds=(0.0, None), inclusive=(False, True),
                         doc="transmitter concentration during a pulse")
    c_dur: float = param(0.3, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="pulse duration (rounded to whole steps)")

    def decay(self, p: Any, s: tuple[Any, ...], dt: Any, xp: Any) -> tuple[Any, ...]:
        g_on, w_on, g_off, sg, w_tot = s
        # exact: over the step g_off decays with K2, g_on relaxes to w_on r_inf with rate k,
        # and ds/dt = K3 (g_on + g_off) - K4 s integrates those exponentials in closed form
        r_inf, k = self.rise(p)
        target = w_on * r_inf
        e4 = xp.exp(-p.k4 * dt)

        def phi(a: Any) -> Any:  # int_0^dt e^{-a u} e^{-K4 (dt - u)} du
            diff = p.k4 - a
            small = xp.abs(diff * dt) < 1e-8
            d_safe = xp.where(small, 1.0, diff)
            return xp.where(small, dt * e4, (xp.exp(-a * dt) - e4) / d_safe)

        sg = sg * e4 + p.k3 * (g_off * phi(p.beta) + target * (1.0 - e4) / p.k4
                                + (g_on - target) * phi(k))
        base = super().decay(p, (g_on, w_on, g_off), dt, xp)
        return (*base, sg, w_tot)

    def readout(self, p: Any, s: tuple[Any, ...], xp: Any) -> Any:
        sg, w_tot = s[3], s[4]
        w_safe = xp.where(w_tot > 0, w_tot, 1.0)
        sn = xp.power(xp.maximum(sg / w_safe, 0.0), p.n_sites)
        return w_tot * sn / (sn + p.kd)
