"""Minimal Hodgkin–Huxley-type models of cortical neurons (Pospischil et al. 2008)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..channels.calcium import shell_influx
from ..params import param
from ._base import AbstractNeuronModel, Preset
from .traub_miles import _rates as _traub_rates

__all__ = ["Pospischil"]

#: Q10 factor of the T-current inactivation from 24 °C to 36 °C (3 ** 1.2, Pospischil et al. 2008).
_PHI_T = 3.0 ** 1.2


def _slow_inactivation(v: Any, f: Any, v_half: Any, k: Any, tau: Any, xp: Any) -> tuple[Any, Any]:
    r"""``(x_inf, 1/tau)`` of a slow inactivation gate (the extensions ``z`` and ``y``):
    :math:`x_\infty = 1 - f/(1 + e^{-(v - V_{1/2})/k})`, a voltage-independent ``tau`` (ms)."""
    return 1.0 - f * xp.sigmoid((v - v_half) / k), 1.0 / tau + 0.0 * v


def _step_preset(amplitude_nA: float) -> Any:
    def stimulus() -> Any:
        from ..stimuli import Step

        return Step(amplitude=f"{amplitude_nA} nA", start=100.0, stop=700.0)

    return stimulus


def _preset(name: str, params: dict[str, float], description: str, amp_nA: float) -> Preset:
    return Preset(name=name, params=params, description=description,
                  reference="Pospischil et al. (2008) Biol Cybern 99:427; ModelDB 123623 "
                            "templates sPY (RS), sIN (FS), sPYb (IB)",
                  stimulus=_step_preset(amp_nA),
                  t_stop=800.0, dt=0.025, init=None)


class Pospischil(AbstractNeuronModel):
    r"""Single-compartment conductance model of cortical neurons with the currents of
    Pospischil et al. (2008): Traub-type Na⁺ and delayed-rectifier K⁺ for spikes, a slow
    non-inactivating K⁺ (M) current for adaptation, a low-threshold T-type Ca²⁺ current for
    rebound and low-threshold bursts, a high-threshold L-type Ca²⁺ current, and a leak:

    .. math::

        C_m \frac{dv}{dt} = I - g_L (v - E_L) - \bar g_{Na} m^3 h (v - E_{Na})
            - \bar g_{Kd} n^4 (v - E_K) - \bar g_M p (v - E_K)
            - \bar g_T s_\infty(v)^2 u (v - E_{Ca}) - \bar g_{L\text{-}Ca} q^2 r (v - E_{Ca})

    - m, h, n: Traub & Miles (1991) rates with :math:`u = v - V_T` (as :class:`TraubMiles`),
      e.g. :math:`\alpha_m = 0.32 (13 - u)/(e^{(13-u)/4} - 1)` 1/ms.
    - p (M-current, Yamada, Koch & Adams 1989): :math:`p_\infty = 1/(1 + e^{-(v+35)/10})`,
      :math:`\tau_p = \tau_{max} / (3.3 e^{(v+35)/20} + e^{-(v+35)/20})`.
    - T-current (Destexhe et al. 1998 after Huguenard & McCormick 1992), activation
      instantaneous: :math:`s_\infty = 1/(1 + e^{-(v + V_x + 57)/6.2})`; inactivation
      :math:`u_\infty = 1/(1 + e^{(v + V_x + 81)/4})`,
      :math:`\tau_u = [30.8 + (211.4 + e^{(v + V_x + 113.2)/5}) / (1 + e^{(v + V_x + 84)/3.2})]
      / 3^{1.2}` ms (36 °C).
    - D-current (extension, Golomb et al. 2007; off by default), :math:`\bar g_D a^3 b (v - E_K)`
      added to the K⁺ current: :math:`a_\infty = 1/(1 + e^{-(v+50)/20})`, :math:`\tau_a = 2` ms,
      :math:`b_\infty = 1/(1 + e^{(v+70)/6})`, :math:`\tau_b` = ``tau_d`` (150 ms); it delays the
      first spike. ``v_sh`` shifts the Na⁺ inactivation gate and ``v_sk`` the delayed
      rectifier's activation (:math:`u = v - V_T - v_{sk}` in n's rates) relative to
      :math:`V_T` (extensions, 0 by default): with ``v_sk`` > 0 the K⁺ current that repolarises
      the spike is closed at a depolarised rest (as Kv3 channels are).
    - Slow Na⁺ inactivation (extension; off by default, ``f_z`` = 0): the Na⁺ conductance is
      :math:`\bar g_{Na} m^3 h z` with :math:`z_\infty = 1 - f_z/(1 + e^{-(v - V_z)/k_z})` and
      :math:`\tau_z` = ``tau_z`` (500 ms): a fraction of the channels, at most ``f_z``, enters an
      inactivated state from which it recovers in hundreds of ms, so spikes shrink and widen
      along a sustained depolarisation and firing adapts cumulatively (the mechanism of
      Fleidervish, Friedman & Gutnick 1996, J Physiol 493:83, in neocortical neurones; here a
      first-order Boltzmann form whose parameters are meant to be fitted).
    - Slow inactivation of the delayed rectifier (extension; off by default, ``f_y`` = 0): its
      conductance is :math:`\bar g_{Kd} n^4 y` with :math:`y_\infty = 1 - f_y/(1 +
      e^{-(v - V_y)/k_y})` and :math:`\tau_y` = ``tau_y`` (500 ms): along a sustained
      depolarisation the spike-repolarising K⁺ current runs down, so spikes widen and the
      after-hyperpolarisation becomes shallower the more (and the longer) the cell fires (the
      slowly inactivating K⁺ current of neocortical pyramidal neurones, Korngreen & Sakmann
      2000, J Physiol 525:621; same first-order Boltzmann form as ``z``, to be fitted).
    - L-current (Reuveni et al. 1993): :math:`\alpha_q = 0.055 (-27 - v)/(e^{(-27-v)/3.8} - 1)`,
      :math:`\beta_q = 0.94 e^{(-75-v)/17}`, :math:`\alpha_r = 0.000457 e^{(-13-v)/50}`,
      :math:`\beta_r = 0.0065 / (e^{(-15-v)/28} + 1)` 1/ms.
    - Ca²⁺-activated K⁺ (AHP) current (extension; off by default, ``g_ahp`` = 0):
      :math:`I_{AHP} = \bar g_{AHP}\, \frac{[Ca]}{[Ca] + K_{AHP}} (v - E_K)` with instantaneous
      activation (Wang 1998), added to the K⁺ current. :math:`[Ca]` (mM, state ``ca``) is a
      submembrane shell filled by the T- and L-currents (Destexhe et al. 1993):
      :math:`d[Ca]/dt = -10\, i_{Ca}/(2 F d) - ([Ca] - [Ca]_{rest})/\tau_{Ca}` (:math:`i_{Ca}` in
      µA/cm², d = ``depth_ca`` µm, F = 96485.33 C/mol). The current is closed at rest and opens
      with the calcium that spikes let in: spike-frequency adaptation and a medium AHP without a
      subthreshold conductance (unlike the M-current, which is partly open above −50 mV).
    - Inward-rectifier K⁺ current (extension; off by default, ``g_kir`` = 0):
      :math:`I_{Kir} = \bar g_{Kir}\, m_\infty(v) (v - E_K)`,
      :math:`m_\infty = 1/(1 + e^{(v - V_{Kir})/k_{Kir}})` with instantaneous activation,
      :math:`V_{Kir}` = −82 mV and :math:`k_{Kir}` = 13 mV (Steephen & Manchanda 2009): a
      conductance that grows with hyperpolarisation, so the input resistance and time constant
      fall with the size of a hyperpolarising step.

    Rates are those of the paper at 36 °C; ``celsius`` scales them as the paper's NEURON code
    does (ModelDB 123623: Q10 = 3 for Na/Kd, 2.3 for M, 3 for T inactivation, none for L).
    Units: v in mV, t in ms, conductances in mS/cm², :math:`C_m` in µF/cm², the input in µA/cm²
    (currents in pA/nA are converted with ``area``).
    The default parameters are the regular-spiking (RS) cell of the paper's NEURON code
    (ModelDB 123623, template ``sPY``); presets ``"RS"``, ``"FS"`` (fast-spiking interneuron,
    ``sIN``) and ``"IB"`` (bursting, with L-current, ``sPYb``). Gates and [Ca] start at steady state.

    Reference
    ---------
    Pospischil M, Toledo-Rodriguez M, Monier C, Piwkowska Z, Bal T, Frégnac Y, Markram H,
    Destexhe A (2008) Minimal Hodgkin–Huxley type models for different classes of cortical and
    thalamic neurons. Biol Cybern 99:427–441. doi:10.1007/s00422-008-0263-8
    Golomb D, Donner K, Shacham L, Shlosberg D, Amitai Y, Hansel D (2007) Mechanisms of firing
    patterns in fast-spiking cortical interneurons. PLoS Comput Biol 3:e156 (the D-current).
    Wang X-J (1998) Calcium coding and adaptive temporal computation in cortical pyramidal
    neurons. J Neurophysiol 79:1549–1566 (the AHP current's calcium dependence).
    Destexhe A, Babloyantz A, Sejnowski TJ (1993) Ionic mechanisms for intrinsic slow
    oscillations in thalamic relay neurons. Biophys J 65:1538–1552 (the calcium shell).
    Steephen JE, Manchanda R (2009) Differences in biophysical properties of nucleus accumbens
    medium spiny neurons emerging from inactivation of inward rectifying potassium currents.
    J Comput Neurosci 27:453–470 (the inward rectifier's activation).

    .. code-block:: bibtex

        @article{pospischil2008minimal,
          author = {Pospischil, Martin and Toledo-Rodriguez, Maria and Monier, Cyril and
                    Piwkowska, Zuzanna and Bal, Thierry and Fr{\'e}gnac, Yves and
                    Markram, Henry and Destexhe, Alain},
          title = {Minimal {Hodgkin--Huxley} type models for different classes of cortical
                   and thalamic neurons},
          journal = {Biological Cybernetics}, volume = {99}, pages = {427--441}, year = {2008},
          doi = {10.1007/s00422-008-0263-8}}
    """

    state_vars: ClassVar[dict[str, str]] = {"v": "mV", "m": "1", "h": "1", "n": "1", "p": "1",
                                            "u": "1", "q": "1", "r": "1", "a_d": "1",
                                            "b_d": "1", "z": "1", "y": "1", "ca": "mM"}
    input_unit: ClassVar[str] = "uA/cm2"
    input_doc: ClassVar[str] = "injected current density"
    gate_vars: ClassVar[tuple[str, ...]] = ("m", "h", "n", "p", "u", "q", "r", "a_d", "b_d",
                                            "z", "y")
    default_method: ClassVar[str] = "exp_euler"

    g_na: float = param(50.0, unit="mS/cm2", bounds=(0.0, None), doc="peak Na+ conductance density")
    g_kd: float = param(5.0, unit="mS/cm2", bounds=(0.0, None),
                        doc="peak delayed-rectifier K+ conductance density")
    g_m: float = param(0.07, unit="mS/cm2", bounds=(0.0, None),
                       doc="peak slow K+ (M) conductance density")
    g_t: float = param(0.0, unit="mS/cm2", bounds=(0.0, None),
                       doc="peak T-type (low-threshold) Ca2+ conductance density")
    g_cal: float = param(0.0, unit="mS/cm2", bounds=(0.0, None),
                         doc="peak L-type (high-threshold) Ca2+ conductance density")
    g_d: float = param(0.0, unit="mS/cm2", bounds=(0.0, None),
                       doc="peak D-type (Kv1, slowly inactivating) K+ conductance density "
                           "(extension: Golomb et al. 2007)")
    g_ahp: float = param(0.0, unit="mS/cm2", bounds=(0.0, None),
                         doc="peak Ca2+-activated K+ (AHP) conductance density (extension: "
                             "Wang 1998)")
    k_ahp: float = param(1e-3, unit="mM", bounds=(0.0, None), inclusive=(False, True),
                         doc="[Ca2+] of half activation of the AHP current")
    tau_ca: float = param(80.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                          doc="time constant of Ca2+ removal from the submembrane shell")
    depth_ca: float = param(1.0, unit="um", bounds=(0.0, None), inclusive=(False, True),
                            doc="depth of the submembrane Ca2+ shell")
    ca_rest: float = param(5e-5, unit="mM", bounds=(0.0, None),
                           doc="resting [Ca2+] that removal relaxes to")
    g_kir: float = param(0.0, unit="mS/cm2", bounds=(0.0, None),
                         doc="peak inward-rectifier K+ conductance density (extension: "
                             "Steephen & Manchanda 2009)")
    v_kir: float = param(-82.0, unit="mV", bounds=(-200.0, 200.0),
                         doc="half-activation potential of the inward rectifier")
    k_kir: float = param(13.0, unit="mV", bounds=(0.0, None), inclusive=(False, True),
                         doc="slope factor of the inward rectifier's activation")
    g_l: float = param(0.1, unit="mS/cm2", bounds=(0.0, None), doc="leak conductance density")
    e_na: float = param(50.0, unit="mV", bounds=(-200.0, 200.0), doc="Na+ reversal potential")
    e_k: float = param(-100.0, unit="mV", bounds=(-200.0, 200.0), doc="K+ reversal potential")
    e_ca: float = param(120.0, unit="mV", bounds=(-200.0, 300.0), doc="Ca2+ reversal potential")
    e_l: float = param(-70.0, unit="mV", bounds=(-200.0, 200.0), doc="leak reversal potential")
    c_m: float = param(1.0, unit="uF/cm2", bounds=(0.0, None), inclusive=(False, True),
                       doc="specific membrane capacitance")
    v_t: float = param(-55.0, unit="mV", bounds=(-200.0, 200.0),
                       doc="offset V_T of the Na+/K+ rate functions (sets the spike threshold)")
    tau_max: float = param(1000.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                           doc="peak time constant of the M-current")
    v_x: float = param(2.0, unit="mV", bounds=(-100.0, 100.0),
                       doc="shift of the T-current's voltage dependence")
    v_sk: float = param(0.0, unit="mV", bounds=(-50.0, 50.0),
                        doc="shift of the delayed-rectifier K+ activation (n) relative to V_T "
                            "(extension; positive: a higher-threshold, Kv3-like K+ current)")
    v_sh: float = param(0.0, unit="mV", bounds=(-50.0, 50.0),
                        doc="shift of the Na+ inactivation (h) relative to V_T (extension; "
                            "negative: more inactivation when depolarised)")
    tau_d: float = param(150.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="inactivation time constant of the D-current")
    f_z: float = param(0.0, unit="1", bounds=(0.0, 1.0),
                       doc="largest fraction of Na+ channels in slow inactivation (extension; "
                           "0: off)")
    v_z: float = param(-40.0, unit="mV", bounds=(-200.0, 200.0),
                       doc="half-inactivation potential of the slow Na+ inactivation")
    k_z: float = param(5.0, unit="mV", bounds=(0.0, None), inclusive=(False, True),
                       doc="slope factor of the slow Na+ inactivation")
    tau_z: float = param(500.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="time constant of the slow Na+ inactivation")
    f_y: float = param(0.0, unit="1", bounds=(0.0, 1.0),
                       doc="largest fraction of delayed-rectifier K+ channels in slow "
                           "inactivation (extension; 0: off)")
    v_y: float = param(-40.0, unit="mV", bounds=(-200.0, 200.0),
                       doc="half-inactivation potential of the delayed rectifier's slow "
                           "inactivation")
    k_y: float = param(5.0, unit="mV", bounds=(0.0, None), inclusive=(False, True),
                       doc="slope factor of the delayed rectifier's slow inactivation")
    tau_y: float = param(500.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="time constant of the delayed rectifier's slow inactivation")
    celsius: float = param(36.0, unit="degC", bounds=(-10.0, 50.0),
                           doc="temperature; rates scale by 3^((T-36)/10) (Na, Kd), "
                               "2.3^((T-36)/10) (M), 3^((T-24)/10) (T inactivation)")
    v_init: float = param(-70.0, unit="mV", bounds=(-200.0, 200.0),
                          doc="initial membrane potential (gates start at steady state)")
    area: float = param(28953.0, unit="um2", bounds=(0.0, None), inclusive=(False, True),
                        doc="membrane area (RS: 96 x 96 um cylinder); converts currents into "
                            "densities")

    presets: ClassVar[dict[str, Preset]] = {
        "RS": _preset("RS", {}, "regular spiking with adaptation (M-current)", 0.75),
        "FS": _preset("FS", {"g_kd": 10.0, "g_m": 0.0, "g_l": 0.15, "area": 14103.0},
                      "fast spiking, no adaptation", 0.5),
        "IB": _preset("IB", {"g_m": 0.03, "g_cal": 0.1, "g_l": 0.01},
                      "intrinsically bursting (L-type Ca2+ current)", 0.2),
    }

    # ------------------------------------------------------------------ maths
    def _t_activation(self, p: Any, v: Any, xp: Any) -> Any:
        return 1.0 / (1.0 + xp.exp(-(v + p.v_x + 57.0) / 6.2))

    def gating(self, p: Any, v: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
        """``(x_inf, 1/tau_x)`` of m, h, n, p, u, q, r, a_d, b_d, z, y at ``v`` (1/ms)."""
        am, bm, _, _, _, _ = _traub_rates(v, p.v_t, xp)
        # n's rates at V_T + v_sk through the same code (bit-identical to V_T at v_sk = 0)
        *_, an, bn = _traub_rates(v, p.v_t + p.v_sk, xp)
        uh = v - p.v_t - p.v_sh
        ah = 0.128 * xp.exp((17.0 - uh) / 18.0)
        bh = 4.0 / (1.0 + xp.exp((40.0 - uh) / 5.0))
        dt10 = (p.celsius - 36.0) / 10.0
        phi = xp.power(3.0, dt10)  # Na, Kd (ModelDB hh2.mod: Q10 = 3)
        w = v + 35.0
        p_inf = 1.0 / (1.0 + xp.exp(-w / 10.0))
        k_p = (3.3 * xp.exp(w / 20.0) + xp.exp(-w / 20.0)) / p.tau_max * xp.power(2.3, dt10)
        vx = v + p.v_x
        u_inf = 1.0 / (1.0 + xp.exp((vx + 81.0) / 4.0))
        tau_u = (30.8 + (211.4 + xp.exp((vx + 113.2) / 5.0)) / (1.0 + xp.exp((vx + 84.0) / 3.2)))
        k_u = _PHI_T * xp.power(3.0, dt10) / tau_u
        aq = 0.055 * xp.vtrap(-27.0 - v, 3.8)
        bq = 0.94 * xp.exp((-75.0 - v) / 17.0)
        ar = 0.000457 * xp.exp((-13.0 - v) / 50.0)
        br = 0.0065 / (xp.exp((-15.0 - v) / 28.0) + 1.0)
        a_inf = 1.0 / (1.0 + xp.exp(-(v + 50.0) / 20.0))
        b_inf = 1.0 / (1.0 + xp.exp((v + 70.0) / 6.0))
        return ((am / (am + bm), phi * (am + bm)), (ah / (ah + bh), phi * (ah + bh)),
                (an / (an + bn), phi * (an + bn)),
                (p_inf, k_p), (u_inf, k_u), (aq / (aq + bq), aq + bq), (ar / (ar + br), ar + br),
                (a_inf, 0.5 + 0.0 * v), (b_inf, 1.0 / p.tau_d + 0.0 * v),
                _slow_inactivation(v, p.f_z, p.v_z, p.k_z, p.tau_z, xp),
                _slow_inactivation(v, p.f_y, p.v_y, p.k_y, p.tau_y, xp))

    def rest_state(self, p: Any, v: Any, xp: Any) -> Any:
        """The state at rest at ``v`` (mV): gates at x_inf(v), [Ca] where influx and
        removal balance (the holding current then comes from the base class)."""
        return self.State(**self._soma_rest(p, v, xp))

    def _soma_rest(self, p: Any, v: Any, xp: Any) -> dict[str, Any]:
        """The fields of :meth:`rest_state` that this class declares (by name)."""
        gates = [x for x, _ in Pospischil.gating(self, p, v, xp)]  # this class's gates only
        s = Pospischil.State(v + 0.0 * gates[0], *gates, 0.0 * gates[0])
        g = self._conductances(p, s, xp)
        return s._replace(ca=p.ca_rest + self._ca_influx(p, g, s.v) * p.tau_ca)._asdict()

    def init_state(self, p: Any, xp: Any) -> Any:
        return self.rest_state(p, p.v_init + 0.0 * p.g_na, xp)

    def _conductances(self, p: Any, s: Any, xp: Any) -> dict[str, Any]:
        s_inf = self._t_activation(p, s.v, xp)
        return {"na": p.g_na * s.m**3 * s.h * s.z,
                "kd": p.g_kd * s.n**4 * s.y + p.g_d * s.a_d**3 * s.b_d,
                "m": p.g_m * s.p, "ahp": p.g_ahp * s.ca / (s.ca + p.k_ahp),
                "kir": p.g_kir / (1.0 + xp.exp((s.v - p.v_kir) / p.k_kir)),
                "t": p.g_t * s_inf * s_inf * s.u, "cal": p.g_cal * s.q * s.q * s.r, "l": p.g_l}

    def _ca_influx(self, p: Any, g: dict[str, Any], v: Any) -> Any:
        """Rate of [Ca] rise (mM/ms) from the T- and L-currents (conductances ``g``) at ``v``."""
        return shell_influx((g["t"] + g["cal"]) * (v - p.e_ca), p.depth_ca)

    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        a, b = self._soma_linearized(p, s, i_ext, xp)
        return self.State(**a), self.State(**b)

    def _soma_linearized(self, p: Any, s: Any, i_ext: Any,
                         xp: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """:meth:`linearized` of the fields this class declares, by name (``A``, ``B``)."""
        g = self._conductances(p, s, xp)
        inv_c = 1.0 / p.c_m
        g_k = g["kd"] + g["m"] + g["ahp"] + g["kir"]
        g_ca = g["t"] + g["cal"]
        a_v = (i_ext + g["na"] * p.e_na + g_k * p.e_k + g_ca * p.e_ca + g["l"] * p.e_l) * inv_c
        b_v = -(g["na"] + g_k + g_ca + g["l"]) * inv_c
        gates = Pospischil.gating(self, p, s.v, xp)  # this class's gates only
        inv_tau_ca = 1.0 / p.tau_ca
        a_ca = self._ca_influx(p, g, s.v) + p.ca_rest * inv_tau_ca
        names = Pospischil.gate_vars
        return ({"v": a_v, **{n: k * x for n, (x, k) in zip(names, gates)}, "ca": a_ca},
                {"v": b_v, **{n: -k for n, (_, k) in zip(names, gates)},
                 "ca": -inv_tau_ca + 0.0 * s.ca})

    def derivatives(self, p: Any, s: Any, i_ext: Any, xp: Any) -> Any:
        a, b = self.linearized(p, s, i_ext, xp)
        return self.State(*(ai + bi * xi for ai, bi, xi in zip(a, b, s)))

    def membrane_current(self, p: Any, s: Any, xp: Any) -> dict[str, Any]:
        """Ionic current densities (µA/cm², outward positive); ``i_kd`` includes the D-current."""
        g = self._conductances(p, s, xp)
        return {"i_na": g["na"] * (s.v - p.e_na), "i_kd": g["kd"] * (s.v - p.e_k),
                "i_m": g["m"] * (s.v - p.e_k), "i_ahp": g["ahp"] * (s.v - p.e_k),
                "i_kir": g["kir"] * (s.v - p.e_k),
                "i_t": g["t"] * (s.v - p.e_ca),
                "i_cal": g["cal"] * (s.v - p.e_ca), "i_l": g["l"] * (s.v - p.e_l)}
