"""Tsodyks–Markram short-term plasticity (depression and facilitation)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..params import Described, param

__all__ = ["TsodyksMarkram"]


class TsodyksMarkram(Described):
    r"""Short-term depression and facilitation of a synapse (Tsodyks & Markram 1997; Markram,
    Wang & Tsodyks 1998).

    Resources ``x`` (fraction available) and utilisation ``u``: between presynaptic spikes

    .. math:: \frac{dx}{dt} = \frac{1 - x}{\tau_{rec}}, \qquad
              \frac{du}{dt} = -\frac{u}{\tau_{facil}};

    at a spike, first ``u <- u + U (1 - u)`` (facilitation), then the synapse releases
    ``r = u x`` and ``x <- x - r``; the postsynaptic weight of that spike is ``w r``. With
    ``tau_facil = 0`` the synapse only depresses (``u = U`` at every spike). This is the form of
    Tsodyks, Pawelzik & Markram (1998), ``u_{n+1} = U + u_n (1 - U) e^{-Delta/tau_facil}``.

    The state is kept per presynaptic neuron and projection (every synapse a neuron makes in one
    projection sees the same spike train and parameters, so they share ``u`` and ``x``); between
    spikes it is advanced exactly.

    For a regular train at rate ``f`` (interval :math:`\Delta = 1/f`) the steady state just after
    a spike is :math:`u^+ = U / (1 - (1 - U) e^{-\Delta/\tau_{facil}})` and just before it
    :math:`x^- = (1 - e^{-\Delta/\tau_{rec}}) / (1 - (1 - u^+) e^{-\Delta/\tau_{rec}})`, so the
    steady-state amplitude is :math:`w u^+ x^-` (:meth:`steady_state`).

    Reference
    ---------
    Tsodyks MV, Markram H (1997) The neural code between neocortical pyramidal neurons depends
    on neurotransmitter release probability. PNAS 94:719–723.
    Markram H, Wang Y, Tsodyks M (1998) Differential signaling via the same axon of neocortical
    pyramidal neurons. PNAS 95:5323–5328.

    .. code-block:: bibtex

        @article{markram1998differential,
          author = {Markram, Henry and Wang, Yun and Tsodyks, Misha},
          title = {Differential signaling via the same axon of neocortical pyramidal neurons},
          journal = {PNAS}, volume = {95}, number = {9}, pages = {5323--5328}, year = {1998},
          doi = {10.1073/pnas.95.9.5323}}
    """

    U: float = param(0.5, unit="1", bounds=(0.0, 1.0), inclusive=(False, True),
                     doc="utilisation increment (release probability at rest)",
                     hint="Fix: U is a fraction in (0, 1] (depressing ~0.5, facilitating ~0.1).")
    tau_rec: float = param(800.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                           doc="recovery time constant of the resources")
    tau_facil: float = param(0.0, unit="ms", bounds=(0.0, None),
                             doc="decay time constant of facilitation (0: depression only)")

    def steady_state(self, rate_hz: Any) -> Any:
        """Steady-state release ``u+ x-`` per spike for a regular train at ``rate_hz`` (Hz)."""
        delta = 1000.0 / np.asarray(rate_hz, dtype=float)
        U = float(self.U)
        if float(self.tau_facil) > 0:
            u = U / (1.0 - (1.0 - U) * np.exp(-delta / float(self.tau_facil)))
        else:
            u = U + 0.0 * delta
        e = np.exp(-delta / float(self.tau_rec))
        x = (1.0 - e) / (1.0 - (1.0 - u) * e)
        return u * x
