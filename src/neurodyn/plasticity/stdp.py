"""Spike-timing-dependent plasticity: pair-based (additive or multiplicative, all-to-all or
nearest-neighbour pairing) and the triplet rule of Pfister & Gerstner (2006)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from ..params import Described, option, param

__all__ = ["STDP"]


class STDP(Described):
    r"""Spike-timing-dependent plasticity with traces.

    Each presynaptic neuron keeps a trace :math:`x_{pre}` (time constant ``tau_plus``), each
    postsynaptic neuron :math:`x_{post}` (``tau_minus``); both decay exponentially and, at a spike
    of their neuron, are incremented by 1 (``pairing="all"``, all-to-all interactions) or reset
    to 1 (``pairing="nearest"``). At a postsynaptic spike every synapse onto that neuron is
    potentiated, at a presynaptic spike every synapse from that neuron is depressed:

    * ``rule="additive"``: :math:`\Delta w = +A_+ x_{pre}` and :math:`-A_- x_{post}` (``A`` in the
      synapse's weight unit), then clipped to [``w_min``, ``w_max``];
    * ``rule="multiplicative"`` (soft bounds, van Rossum et al. 2000):
      :math:`\Delta w = +A_+ (w_{max} - w) x_{pre}` and :math:`-A_- (w - w_{min}) x_{post}`
      (``A`` dimensionless).

    For one pre/post pair with :math:`\Delta t = t_{post} - t_{pre}` and traces at rest, the
    additive change is :math:`A_+ e^{-\Delta t/\tau_+}` for :math:`\Delta t > 0` and
    :math:`-A_- e^{\Delta t/\tau_-}` for :math:`\Delta t < 0` (:meth:`window`).

    With ``A3_plus`` or ``A3_minus`` non-zero the rule is the triplet rule of Pfister & Gerstner
    (2006): second traces :math:`r_2` (presynaptic, ``tau_x``) and :math:`o_2` (postsynaptic,
    ``tau_y``) make potentiation :math:`x_{pre} (A_2^+ + A_3^+ o_2)` and depression
    :math:`x_{post} (A_2^- + A_3^- r_2)`, each second trace taken just before its own update.

    Spike times are those of the neurons (emission); axonal delays do not enter the timing.
    Weights live per synapse and the final values are returned in ``result.weights``.

    Reference
    ---------
    Song S, Miller KD, Abbott LF (2000) Competitive Hebbian learning through spike-timing-
    dependent synaptic plasticity. Nat Neurosci 3:919–926. van Rossum MCW, Bi GQ, Turrigiano GG
    (2000) J Neurosci 20:8812–8821. Pfister JP, Gerstner W (2006) Triplets of spikes in a model
    of spike timing-dependent plasticity. J Neurosci 26:9673–9682.

    .. code-block:: bibtex

        @article{pfister2006triplets,
          author = {Pfister, Jean-Pascal and Gerstner, Wulfram},
          title = {Triplets of spikes in a model of spike timing-dependent plasticity},
          journal = {Journal of Neuroscience}, volume = {26}, number = {38},
          pages = {9673--9682}, year = {2006}, doi = {10.1523/JNEUROSCI.1425-06.2006}}
    """

    A_plus: float = param(0.01, unit="1", bounds=(0.0, None),
                          doc="potentiation amplitude A2+ (weight unit if additive)")
    A_minus: float = param(0.012, unit="1", bounds=(0.0, None),
                           doc="depression amplitude A2- (weight unit if additive)")
    tau_plus: float = param(20.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                            doc="presynaptic trace time constant")
    tau_minus: float = param(20.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                             doc="postsynaptic trace time constant")
    w_min: float = param(0.0, unit="1", bounds=(0.0, None),
                         doc="lower weight bound (the synapse's weight unit)")
    w_max: float = param(1.0, unit="1", bounds=(0.0, None),
                         doc="upper weight bound (the synapse's weight unit)")
    A3_plus: float = param(0.0, unit="1", bounds=(0.0, None), doc="triplet potentiation A3+")
    A3_minus: float = param(0.0, unit="1", bounds=(0.0, None), doc="triplet depression A3-")
    tau_x: float = param(100.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="second presynaptic trace (triplet rule)")
    tau_y: float = param(100.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="second postsynaptic trace (triplet rule)")
    rule: str = option("additive", choices=("additive", "multiplicative"),
                       doc="weight dependence of the updates")
    pairing: str = option("all", choices=("all", "nearest"),
                          doc="all-to-all (traces add) or nearest-neighbour (traces reset to 1)")

    def _check(self) -> None:
        if np.any(np.asarray(self.w_min) > np.asarray(self.w_max)):
            raise ParameterError(
                f"STDP.w_min must be <= w_max ({self.w_max}); got {self.w_min}. Fix: swap them."
            )

    @property
    def triplet(self) -> bool:
        return float(self.A3_plus) > 0 or float(self.A3_minus) > 0

    def window(self, delta_t: Any) -> Any:
        """Additive pair window: weight change for one pair, ``delta_t = t_post - t_pre`` (ms)."""
        d = np.asarray(delta_t, dtype=float)
        return np.where(d > 0, self.A_plus * np.exp(-np.abs(d) / self.tau_plus),
                        np.where(d < 0, -self.A_minus * np.exp(-np.abs(d) / self.tau_minus), 0.0))
