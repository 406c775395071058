"""Adaptive exponential integrate-and-fire neuron (AdEx)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..params import param
from ._base import AbstractNeuronModel, Preset

__all__ = ["AdEx"]


def _step(amplitude: float):
    def make():
        from ..stimuli import Step

        return Step(amplitude=amplitude, start=0.0)

    return make


_NAUD = "Naud R, Marcille N, Clopath C, Gerstner W (2008) Biol Cybern 99:335-347, Table 1"
_MULLER = ("Naud et al. (2008), values as corrected by P. Mueller to match the paper's figures "
           "(Brian2 example Naud_et_al_2008_adex_firing_patterns.py)")


def _naud(name, c, gl, el, vt, dT, a, tw, b, vr, i, desc, ref=_NAUD):
    return Preset(
        name=name,
        params=dict(c_m=c, g_l=gl, e_l=el, v_t=vt, delta_t=dT, a=a, tau_w=tw, b=b, v_reset=vr,
                    v_peak=0.0, v_init=el),
        description=desc, reference=ref, stimulus=_step(i), t_stop=600.0, dt=0.05,
    )


class AdEx(AbstractNeuronModel):
    r"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005).

    .. math::

        C \frac{dv}{dt} = -g_L (v - E_L) + g_L \Delta_T e^{(v - V_T)/\Delta_T} - w + I_{ext},
        \qquad \tau_w \frac{dw}{dt} = a (v - E_L) - w

    When v reaches :math:`V_{peak}`: v ← :math:`V_r`, w ← w + b. Units: mV, ms, pF, nS, pA.
    Defaults are Brette & Gerstner's (2005) fit to a cortical pyramidal cell (C = 281 pF,
    g_L = 30 nS, E_L = -70.6 mV, V_T = -50.4 mV, Δ_T = 2 mV, τ_w = 144 ms, a = 4 nS,
    b = 80.5 pA, V_r = E_L, V_peak = 20 mV). On the right-hand side the voltage is capped at
    :math:`V_{peak}` (where it is reset): exact below the cut-off, and it keeps intermediate
    Runge–Kutta stages of the explosive upswing from overflowing the exponential or feeding a
    huge overshoot into the adaptation current.

    Presets (``AdEx.preset(name)``): the firing patterns of Naud et al. (2008), Table 1
    (tonic, adapting, initial_burst, regular_bursting, delayed_accelerating, irregular), with
    :math:`V_{peak}` = 0 mV and the step current of the table; ``delayed_regular_bursting`` and
    ``transient`` use the values corrected to match the paper's figures (Brian2's example), as the
    printed rows do not produce those patterns.

    Reference
    ---------
    Brette R, Gerstner W (2005) Adaptive exponential integrate-and-fire model as an effective
    description of neuronal activity. J Neurophysiol 94:3637–3642.
    Naud R, Marcille N, Clopath C, Gerstner W (2008) Firing patterns in the adaptive exponential
    integrate-and-fire model. Biol Cybern 99:335–347.

    .. code-block:: bibtex

        @article{brette2005adaptive,
          author = {Brette, Romain and Gerstner, Wulfram},
          title = {Adaptive exponential integrate-and-fire model as an effective description of
                   neuronal activity},
          journal = {Journal of Neurophysiology}, volume = {94}, number = {5},
          pages = {3637--3642}, year = {2005}, doi = {10.1152/jn.00686.2005}}
        @article{naud2008firing,
          author = {Naud, Richard and Marcille, Nicolas and Clopath, Claudia and Gerstner, Wulfram},
          title = {Firing patterns in the adaptive exponential integrate-and-fire model},
          journal = {Biological Cybernetics}, volume = {99}, pages = {335--347}, year = {2008},
          doi = {10.1007/s00422-008-0264-7}}
    """

    state_vars: ClassVar[dict[str, str]] = {"v": "mV", "w": "pA"}
    input_unit: ClassVar[str] = "pA"
    input_doc: ClassVar[str] = "injected current"
    has_reset: ClassVar[bool] = True
    default_method: ClassVar[str] = "exp_euler"

    c_m: float = param(281.0, unit="pF", bounds=(0.0, None), inclusive=(False, True),
                       doc="membrane capacitance")
    g_l: float = param(30.0, unit="nS", bounds=(0.0, None), inclusive=(False, True),
                       doc="leak conductance")
    e_l: float = param(-70.6, unit="mV", bounds=(-200.0, 200.0), doc="leak reversal potential")
    v_t: float = param(-50.4, unit="mV", bounds=(-200.0, 200.0), doc="threshold (exponential) potential")
    delta_t: float = param(2.0, unit="mV", bounds=(0.0, None), inclusive=(False, True),
                           doc="slope factor of the exponential",
                           hint="Fix: use a positive slope factor (typ. 0.5-5 mV).")
    a: float = param(4.0, unit="nS", bounds=(-100.0, 100.0), doc="subthreshold adaptation")
    tau_w: float = param(144.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="adaptation time constant")
    b: float = param(80.5, unit="pA", bounds=(-1000.0, 10000.0), doc="spike-triggered adaptation")
    v_reset: float = param(-70.6, unit="mV", bounds=(-200.0, 200.0), doc="reset potential")
    v_peak: float = param(20.0, unit="mV", bounds=(-200.0, 200.0), doc="spike cut-off")
    t_ref: float = param(0.0, unit="ms", bounds=(0.0, None), doc="absolute refractory period")
    v_init: float = param(-70.6, unit="mV", bounds=(-200.0, 200.0), doc="initial v")
    w_init: float = param(0.0, unit="pA", bounds=(-1e5, 1e5), doc="initial adaptation current")

    presets: ClassVar[dict[str, Preset]] = {
        p.name: p
        for p in [
            _naud("tonic", 200, 10, -70, -50, 2, 2, 30, 0, -58, 500, "tonic spiking (Fig. 4a)"),
            _naud("adapting", 200, 12, -70, -50, 2, 2, 300, 60, -58, 500,
                  "spike-frequency adaptation (Fig. 4b)"),
            _naud("initial_burst", 130, 18, -58, -50, 2, 4, 150, 120, -50, 400,
                  "initial burst then tonic (Fig. 4c)"),
            _naud("regular_bursting", 200, 10, -58, -50, 2, 2, 120, 100, -46, 210,
                  "regular bursting (Fig. 4d)"),
            _naud("delayed_accelerating", 200, 12, -70, -50, 2, -10, 300, 0, -58, 300,
                  "delayed accelerating (Fig. 4e)"),
            _naud("delayed_regular_bursting", 100, 10, -65, -50, 2, -10, 90, 30, -47, 110,
                  "delayed regular bursting (Fig. 4f)", _MULLER),
            _naud("transient", 100, 10, -65, -50, 2, 10, 90, 100, -47, 180,
                  "transient spiking (Fig. 4g)", _MULLER),
            _naud("irregular", 100, 12, -60, -50, 2, -11, 130, 30, -48, 160, "irregular spiking (Fig. 4h)"),
        ]
    }

    def _check(self) -> None:
        self._require_below("v_reset", "v_peak", "lower v_reset below the spike cut-off.")

    def init_state(self, p: Any, xp: Any) -> Any:
        return self.State(v=p.v_init + 0.0 * p.e_l, w=p.w_init + 0.0 * p.e_l)

    def holding(self, p: Any, v: Any, xp: Any) -> tuple[Any, dict[str, Any]]:
        """Input (pA) holding ``v`` (mV, below ``v_peak``) at steady state, with ``w = a (v - E_L)``."""
        w = p.a * (v - p.e_l)
        i = p.g_l * (v - p.e_l) - p.g_l * p.delta_t * xp.exp((v - p.v_t) / p.delta_t) + w
        return i, {"v_init": v + 0.0 * w, "w_init": w}

    def derivatives(self, p: Any, s: Any, i_ext: Any, xp: Any) -> Any:
        v = xp.minimum(s.v, p.v_peak)  # see the class docstring: v never exceeds v_peak
        spike = p.g_l * p.delta_t * xp.exp((v - p.v_t) / p.delta_t)
        dv = (-p.g_l * (v - p.e_l) + spike - s.w + i_ext) / p.c_m
        dw = (p.a * (v - p.e_l) - s.w) / p.tau_w
        return self.State(v=dv, w=dw)

    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        d = self.derivatives(p, s, i_ext, xp)
        a_w = p.a * (xp.minimum(s.v, p.v_peak) - p.e_l) / p.tau_w
        # zeros_like rather than 0*x: keeps B loop-invariant for the compiler
        b = self.State(v=xp.zeros_like(d.v), w=-1.0 / p.tau_w + xp.zeros_like(a_w))
        return self.State(v=d.v, w=a_w), b

    def spike_condition(self, p: Any, s: Any, xp: Any) -> Any:
        return s.v >= p.v_peak

    def reset(self, p: Any, s: Any, xp: Any) -> Any:
        return self.State(v=xp.full_like(s.v, 1.0) * p.v_reset, w=s.w + p.b)

    def spike_threshold(self, p: Any) -> Any:
        return p.v_peak

    def refractory_period(self, p: Any) -> Any:
        return p.t_ref
