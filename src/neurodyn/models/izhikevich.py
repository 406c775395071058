"""Izhikevich (2003) simple spiking model, with the named classes of 2003 and 2004 as presets."""

from __future__ import annotations

from typing import Any, ClassVar

from ..params import param
from ._base import AbstractNeuronModel, Preset

__all__ = ["Izhikevich"]


def _paper_step(model: Any, p: Any, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
    """The published MATLAB scheme: forward Euler on v, then u from the *updated* v.

    ``V += dt*(0.04V^2 + 5V + 140 - u + I); u += dt*a*(b*V - u)`` (Izhikevich 2003, 2004).
    """
    i_ext = i_at(0.0)
    v = s.v + dt * (p.k2 * s.v**2 + p.k1 * s.v + p.k0 - s.u + i_ext)
    u = s.u + dt * p.a * (p.b * v - s.u)
    return model.State(v=v, u=u)


def _stim(*parts):
    def make():
        from .. import stimuli as st

        items = []
        for kind, kw in parts:
            items.append(getattr(st, kind)(**kw))
        return items[0] if len(items) == 1 else st.Combined(items=tuple(items))

    return make


def _step(amp: float, start: float = 0.0, stop: float = float("inf")):
    return ("Step", dict(amplitude=amp, start=start, stop=stop))


_R03 = "Izhikevich EM (2003) IEEE Trans Neural Netw 14:1569-1572, Fig. 2"
_R04 = ("Izhikevich EM (2004) IEEE Trans Neural Netw 15:1063-1070, Fig. 1 (parameters and "
        "protocols of the published script figure1.m)")


def _p(name, a, b, c, d, v0, stim, t_stop, dt, desc, ref=_R04, **extra):
    params = dict(a=a, b=b, c=c, d=d, v_init=v0, **extra)
    return Preset(name=name, params=params, description=desc, reference=ref,
                  stimulus=stim, t_stop=t_stop, dt=dt)


_PRESETS = [
    # 2003 classes (Fig. 2). The paper injects a dc step ("I = 10"); the amplitudes and initial
    # values here follow the widely used reconstruction (ModelDB 39948) where the paper is silent.
    _p("RS", 0.02, 0.2, -65, 8, -63, _stim(_step(14, 15)), 150, 0.25,
       "regular spiking: tonic firing with spike-frequency adaptation", _R03),
    _p("IB", 0.02, 0.2, -55, 4, -70, _stim(_step(11, 15)), 150, 0.25,
       "intrinsically bursting: an initial burst, then tonic spikes", _R03),
    _p("CH", 0.02, 0.2, -50, 2, -70, _stim(_step(10, 15)), 150, 0.25,
       "chattering: repetitive bursts of closely spaced spikes", _R03),
    _p("FS", 0.1, 0.2, -65, 2, -70, _stim(_step(10, 15)), 150, 0.25,
       "fast spiking: high-frequency tonic firing, little adaptation", _R03),
    _p("LTS", 0.02, 0.25, -65, 2, -63, _stim(_step(10, 25)), 250, 0.25,
       "low-threshold spiking: high-frequency trains with adaptation, low threshold", _R03),
    _p("TC", 0.02, 0.25, -65, 0.05, -87, _stim(_step(-25, 0, 45)), 150, 0.25,
       "thalamo-cortical: rebound burst after release from hyperpolarisation "
       "(tonic firing when depolarised from rest)", _R03),
    _p("RZ", 0.1, 0.26, -65, 2, -70,
       _stim(_step(-2, 0, 10), _step(-0.5, 10), _step(10, 60, 65)), 100, 0.25,
       "resonator: damped subthreshold oscillations; fires for inputs at its resonant frequency",
       _R03),
    # 2004 features (Fig. 1), panel letters in the description.
    _p("tonic_spiking", 0.02, 0.2, -65, 6, -70, _stim(_step(14, 10)), 100, 0.25, "(A) tonic spiking"),
    _p("phasic_spiking", 0.02, 0.25, -65, 6, -64, _stim(_step(0.5, 20)), 200, 0.25, "(B) phasic spiking"),
    _p("tonic_bursting", 0.02, 0.2, -50, 2, -70, _stim(_step(15, 22)), 220, 0.25, "(C) tonic bursting"),
    _p("phasic_bursting", 0.02, 0.25, -55, 0.05, -64, _stim(_step(0.6, 20)), 200, 0.2, "(D) phasic bursting"),
    _p("mixed_mode", 0.02, 0.2, -55, 4, -70, _stim(_step(10, 16)), 160, 0.25, "(E) mixed mode"),
    _p("spike_frequency_adaptation", 0.01, 0.2, -65, 8, -70, _stim(_step(30, 8.5)), 85, 0.25,
       "(F) spike frequency adaptation"),
    _p("class_1", 0.02, -0.1, -55, 6, -60,
       _stim(("Ramp", dict(start=30, stop=300, amplitude_start=0.0, amplitude_stop=0.075 * 270))),
       300, 0.25, "(G) class 1 excitability (rate grows from zero with the input)", k1=4.1, k0=108.0),
    _p("class_2", 0.2, 0.26, -65, 0, -64,
       _stim(_step(-0.5), ("Ramp", dict(start=30, stop=300, amplitude_start=0.0,
                                         amplitude_stop=0.015 * 270))),
       300, 0.25, "(H) class 2 excitability (fires at a non-zero rate)"),
    _p("spike_latency", 0.02, 0.2, -65, 6, -70, _stim(_step(7.04, 10, 13)), 100, 0.2, "(I) spike latency"),
    _p("subthreshold_oscillations", 0.05, 0.26, -60, 0, -62, _stim(_step(2, 20, 25)), 200, 0.25,
       "(J) subthreshold oscillations"),
    _p("resonator", 0.1, 0.26, -60, -1, -62,
       _stim(*[_step(0.65, t0, t0 + 4) for t0 in (40, 60, 280, 320)]), 400, 0.25, "(K) resonator"),
    _p("integrator", 0.02, -0.1, -55, 6, -60,
       _stim(*[_step(9, t0, t0 + 2) for t0 in (100 / 11, 100 / 11 + 5, 70, 80)]), 100, 0.25,
       "(L) integrator", k1=4.1, k0=108.0),
    _p("rebound_spike", 0.03, 0.25, -60, 4, -64, _stim(_step(-15, 20, 25)), 200, 0.2, "(M) rebound spike"),
    _p("rebound_burst", 0.03, 0.25, -52, 0, -64, _stim(_step(-15, 20, 25)), 200, 0.2, "(N) rebound burst"),
    _p("threshold_variability", 0.03, 0.25, -60, 4, -64,
       _stim(_step(1, 10, 15), _step(-6, 70, 75), _step(1, 80, 85)), 100, 0.25,
       "(O) threshold variability"),
    _p("bistability", 0.1, 0.26, -60, 0, -61,
       _stim(_step(0.24), _step(1.0, 37.5, 42.5), _step(1.0, 216, 221)), 300, 0.25, "(P) bistability"),
    _p("dap", 1.0, 0.2, -60, -21, -70, _stim(_step(20, 9, 11)), 50, 0.1,
       "(Q) depolarizing after-potential"),
    _p("inhibition_induced_spiking", -0.02, -1.0, -60, 8, -63.8,
       _stim(_step(80, 0, 50), _step(75, 50, 250), _step(80, 250)), 350, 0.5,
       "(S) inhibition-induced spiking"),
    _p("inhibition_induced_bursting", -0.026, -1.0, -45, -2, -63.8,
       _stim(_step(80, 0, 50), _step(75, 50, 250), _step(80, 250)), 350, 0.5,
       "(T) inhibition-induced bursting"),
]


class Izhikevich(AbstractNeuronModel):
    r"""Izhikevich (2003) simple model of spiking neurons.

    .. math::

        \frac{dv}{dt} = k_2 v^2 + k_1 v + k_0 - u + I_{ext}, \qquad
        \frac{du}{dt} = a (b v - u); \qquad
        v \ge v_{peak} \Rightarrow v \leftarrow c,\ u \leftarrow u + d

    with :math:`k_2 = 0.04`, :math:`k_1 = 5`, :math:`k_0 = 140`, :math:`v_{peak}` = 30 mV.
    (On the right-hand side v is capped at :math:`v_{peak}`, where it is reset: exact below the
    cut-off, and intermediate Runge–Kutta stages beyond it cannot overflow or feed an overshoot
    into u.)
    v in mV, t in ms; u and the input are in the paper's model units (mV/ms; the paper's
    dimensionless "I", not pA). The initial recovery variable is :math:`u_0 = b\,v_0` unless
    ``u_init`` is given.

    Integration methods: any generic method, plus ``"izhikevich2003"``, the published MATLAB
    scheme (forward Euler on v, then u from the updated v), which reproduces the paper's spike
    times exactly at dt = 0.25 ms.

    Presets (``Izhikevich.preset(name)``; ``Izhikevich.presets[name]`` has the protocol): the
    classes RS, IB, CH, FS, LTS, TC and RZ of Izhikevich (2003, Fig. 2) and the features of
    Izhikevich (2004, Fig. 1) with the parameters and protocols of its published script
    (``tonic_spiking`` … ``inhibition_induced_bursting``; panel R, accommodation, needs a
    different u equation and is not included).

    Reference
    ---------
    Izhikevich EM (2003) Simple model of spiking neurons. IEEE Trans Neural Netw 14:1569–1572.
    Izhikevich EM (2004) Which model to use for cortical spiking neurons? IEEE Trans Neural Netw
    15:1063–1070.

    .. code-block:: bibtex

        @article{izhikevich2003simple,
          author = {Izhikevich, Eugene M.},
          title = {Simple model of spiking neurons},
          journal = {IEEE Transactions on Neural Networks}, volume = {14}, number = {6},
          pages = {1569--1572}, year = {2003}, doi = {10.1109/TNN.2003.820440}}
        @article{izhikevich2004which,
          author = {Izhikevich, Eugene M.},
          title = {Which model to use for cortical spiking neurons?},
          journal = {IEEE Transactions on Neural Networks}, volume = {15}, number = {5},
          pages = {1063--1070}, year = {2004}, doi = {10.1109/TNN.2004.832719}}
    """

    state_vars: ClassVar[dict[str, str]] = {"v": "mV", "u": "1"}
    input_unit: ClassVar[str] = "1"
    input_doc: ClassVar[str] = "input current in model units (mV/ms)"
    has_reset: ClassVar[bool] = True
    default_method: ClassVar[str] = "izhikevich2003"
    methods: ClassVar[dict[str, Any]] = {"izhikevich2003": _paper_step}
    presets: ClassVar[dict[str, Preset]] = {p.name: p for p in _PRESETS}

    a: float = param(0.02, unit="1/ms", bounds=(-10.0, 10.0), doc="recovery rate")
    b: float = param(0.2, unit="1", bounds=(-10.0, 10.0), doc="recovery sensitivity to v")
    c: float = param(-65.0, unit="mV", bounds=(-200.0, 200.0), doc="reset potential")
    d: float = param(8.0, unit="1", bounds=(-100.0, 100.0), doc="recovery increment at a spike")
    v_peak: float = param(30.0, unit="mV", bounds=(-200.0, 200.0), doc="spike cut-off")
    k2: float = param(0.04, unit="1/mV/ms", bounds=(0.0, None), inclusive=(False, True),
                      doc="quadratic coefficient")
    k1: float = param(5.0, unit="1/ms", bounds=(-100.0, 100.0), doc="linear coefficient")
    k0: float = param(140.0, unit="mV/ms", bounds=(-1000.0, 1000.0), doc="constant term")
    v_init: float = param(-65.0, unit="mV", bounds=(-200.0, 200.0), doc="initial v")
    u_init: float | None = param(None, unit="1", bounds=(-1e4, 1e4),
                                 doc="initial u (default b*v_init)")

    def __post_init__(self) -> None:
        if self.u_init is None:
            object.__setattr__(self, "u_init", _num(self.b, "1") * _num(self.v_init, "mV"))
        super().__post_init__()

    def _check(self) -> None:
        self._require_below("c", "v_peak", "the reset potential must lie below the spike cut-off.")

    def init_state(self, p: Any, xp: Any) -> Any:
        return self.State(v=p.v_init + 0.0 * p.a, u=p.u_init + 0.0 * p.a)

    def derivatives(self, p: Any, s: Any, i_ext: Any, xp: Any) -> Any:
        v = xp.minimum(s.v, p.v_peak)  # see the class docstring
        dv = p.k2 * v * v + p.k1 * v + p.k0 - s.u + i_ext
        return self.State(v=dv, u=p.a * (p.b * v - s.u))

    def spike_condition(self, p: Any, s: Any, xp: Any) -> Any:
        return s.v >= p.v_peak

    def reset(self, p: Any, s: Any, xp: Any) -> Any:
        return self.State(v=xp.full_like(s.v, 1.0) * p.c, u=s.u + p.d)

    def spike_threshold(self, p: Any) -> Any:
        return p.v_peak


def _num(x: Any, unit: str) -> Any:
    from ..units import to_unit

    x = to_unit(x, unit)
    return x if not isinstance(x, list | tuple) else __import__("numpy").asarray(x, dtype=float)
