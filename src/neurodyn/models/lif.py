"""Leaky integrate-and-fire neuron with an absolute refractory period."""

from __future__ import annotations

from typing import Any, ClassVar

from ..params import param
from ._base import AbstractNeuronModel

__all__ = ["LIF"]


class LIF(AbstractNeuronModel):
    r"""Leaky integrate-and-fire neuron.

    .. math::

        C \frac{dv}{dt} = -g_L (v - E_L) + I_{ext};\quad
        v \ge V_{th} \Rightarrow \text{spike},\ v \leftarrow V_{reset}\ \text{held for } t_{ref}

    Units: v in mV, t in ms, C in pF, g_L in nS, the input current in pA
    (:math:`\tau_m = C/g_L`). The defaults are the neurons of the Brette et al. (2007) COBA and
    CUBA benchmarks (Vogels & Abbott 2005): :math:`\tau_m` = 20 ms, :math:`E_L` = -60 mV,
    threshold -50 mV, reset -60 mV, refractory period 5 ms.

    For a constant input the interspike interval is
    :math:`t_{ref} + \tau_m \ln\frac{R I + E_L - V_{reset}}{R I + E_L - V_{th}}` with
    :math:`R = 1/g_L`; exponential Euler integrates the subthreshold dynamics exactly.

    Reference
    ---------
    Lapicque L (1907) J Physiol Pathol Gen 9:620–635; in the form of Gerstner W, Kistler WM,
    Naud R, Paninski L (2014) *Neuronal Dynamics*, ch. 1.3, Cambridge University Press.
    Defaults: Brette R et al. (2007) J Comput Neurosci 23:349–398.

    .. code-block:: bibtex

        @book{gerstner2014neuronal,
          author = {Gerstner, Wulfram and Kistler, Werner M. and Naud, Richard and
                    Paninski, Liam},
          title = {Neuronal Dynamics: From Single Neurons to Networks and Models of Cognition},
          publisher = {Cambridge University Press}, year = {2014}}
    """

    state_vars: ClassVar[dict[str, str]] = {"v": "mV"}
    input_unit: ClassVar[str] = "pA"
    input_doc: ClassVar[str] = "injected current"
    has_reset: ClassVar[bool] = True
    default_method: ClassVar[str] = "exp_euler"

    c_m: float = param(200.0, unit="pF", bounds=(0.0, None), inclusive=(False, True),
                       doc="membrane capacitance")
    g_l: float = param(10.0, unit="nS", bounds=(0.0, None), inclusive=(False, True),
                       doc="leak conductance (tau_m = c_m/g_l)")
    e_l: float = param(-60.0, unit="mV", bounds=(-200.0, 200.0), doc="resting (leak reversal) potential")
    v_th: float = param(-50.0, unit="mV", bounds=(-200.0, 200.0), doc="spike threshold")
    v_reset: float = param(-60.0, unit="mV", bounds=(-200.0, 200.0), doc="reset potential")
    t_ref: float = param(5.0, unit="ms", bounds=(0.0, None), doc="absolute refractory period")
    v_init: float = param(-60.0, unit="mV", bounds=(-200.0, 200.0), doc="initial membrane potential")

    def _check(self) -> None:
        self._require_below("v_reset", "v_th", "lower v_reset or raise v_th, otherwise the neuron "
                            "fires at every step.")

    @property
    def tau_m(self) -> Any:
        """Membrane time constant c_m/g_l in ms."""
        return self.c_m / self.g_l

    def init_state(self, p: Any, xp: Any) -> Any:
        return self.State(v=p.v_init + 0.0 * p.e_l)

    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        a = (p.g_l * p.e_l + i_ext) / p.c_m
        b = -p.g_l / p.c_m + xp.zeros_like(a)  # loop-invariant (0*a would not be)
        return self.State(v=a), self.State(v=b)

    def derivatives(self, p: Any, s: Any, i_ext: Any, xp: Any) -> Any:
        return self.State(v=(-p.g_l * (s.v - p.e_l) + i_ext) / p.c_m)

    def spike_condition(self, p: Any, s: Any, xp: Any) -> Any:
        return s.v >= p.v_th

    def reset(self, p: Any, s: Any, xp: Any) -> Any:
        return self.State(v=xp.full_like(s.v, 1.0) * p.v_reset)

    def spike_threshold(self, p: Any) -> Any:
        return p.v_th

    def refractory_period(self, p: Any) -> Any:
        return p.t_ref
