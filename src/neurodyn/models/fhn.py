"""FitzHugh–Nagumo model."""

from __future__ import annotations

from typing import Any, ClassVar

from ..params import param
from ._base import AbstractNeuronModel, SpikeDetector

__all__ = ["FitzHughNagumo"]


class FitzHughNagumo(AbstractNeuronModel):
    r"""FitzHugh–Nagumo model, a two-variable reduction of Hodgkin–Huxley.

    .. math::

        \frac{dv}{dt} = v - \frac{v^3}{3} - w + I_{ext}, \qquad
        \tau \frac{dw}{dt} = v + a - b w

    Dimensionless voltage-like ``v`` and recovery ``w``; time in ms (the time unit is nominal:
    :math:`\tau` = 12.5 reproduces FitzHugh's :math:`\phi = 0.08`). Defaults a = 0.7, b = 0.8,
    :math:`\tau` = 12.5 (FitzHugh 1961). With :math:`I_{ext}` = 0.5 the rest point is unstable and
    the model settles on a relaxation limit cycle. Spikes are counted at upward crossings of v = 1.

    Reference
    ---------
    FitzHugh R (1961) Impulses and physiological states in theoretical models of nerve membrane.
    Biophys J 1:445–466. Nagumo J, Arimoto S, Yoshizawa S (1962) Proc IRE 50:2061–2070.

    .. code-block:: bibtex

        @article{fitzhugh1961impulses,
          author = {FitzHugh, Richard},
          title = {Impulses and physiological states in theoretical models of nerve membrane},
          journal = {Biophysical Journal}, volume = {1}, number = {6}, pages = {445--466},
          year = {1961}, doi = {10.1016/S0006-3495(61)86902-6}}
    """

    state_vars: ClassVar[dict[str, str]] = {"v": "1", "w": "1"}
    input_unit: ClassVar[str] = "1"
    input_doc: ClassVar[str] = "dimensionless input"
    default_method: ClassVar[str] = "rk4"

    a: float = param(0.7, unit="1", bounds=(-10.0, 10.0), doc="recovery offset")
    b: float = param(0.8, unit="1", bounds=(0.0, 10.0), doc="recovery self-coupling")
    tau: float = param(12.5, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                       doc="recovery time constant (1/phi)")
    v_init: float = param(-1.2, unit="1", bounds=(-10.0, 10.0), doc="initial v")
    w_init: float = param(-0.6, unit="1", bounds=(-10.0, 10.0), doc="initial w")

    def init_state(self, p: Any, xp: Any) -> Any:
        return self.State(v=p.v_init + 0.0 * p.a, w=p.w_init + 0.0 * p.a)

    def derivatives(self, p: Any, s: Any, i_ext: Any, xp: Any) -> Any:
        return self.State(v=s.v - s.v**3 / 3.0 - s.w + i_ext, w=(s.v + p.a - p.b * s.w) / p.tau)

    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        d = self.derivatives(p, s, i_ext, xp)
        return (self.State(v=d.v, w=(s.v + p.a) / p.tau),
                self.State(v=xp.zeros_like(d.v), w=-p.b / p.tau + xp.zeros_like(d.w)))

    def default_detector(self) -> SpikeDetector:
        return SpikeDetector.crossing(1.0)
