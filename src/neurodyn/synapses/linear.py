"""Exponential, alpha and bi-exponential synapses (conductance- or current-based)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..errors import ParameterError
from ..params import param
from ._base import LinearSynapse

__all__ = ["Alpha", "BiExp", "Exp"]

_TAU_HINT = "Fix: synaptic time constants are positive (AMPA ~2-5 ms, GABA-A ~5-10 ms)."


class Exp(LinearSynapse):
    r"""Exponentially decaying synapse: a jump of ``w`` at each arrival, then
    :math:`\tau\, dg/dt = -g`.

    The synapse of the Brette et al. (2007) COBA and CUBA benchmarks and of NEST's
    ``iaf_cond_exp`` / ``iaf_psc_exp``. Weight: peak conductance (nS) or current (pA).

    Reference
    ---------
    Brette R, Rudolph M, Carnevale T, et al. (2007) Simulation of networks of spiking neurons: a
    review of tools and strategies. J Comput Neurosci 23:349–398.

    .. code-block:: bibtex

        @article{brette2007simulation,
          author = {Brette, Romain and Rudolph, Michelle and Carnevale, Ted and others},
          title = {Simulation of networks of spiking neurons: a review of tools and strategies},
          journal = {Journal of Computational Neuroscience}, volume = {23}, pages = {349--398},
          year = {2007}, doi = {10.1007/s10827-007-0038-6}}
    """

    state_vars: ClassVar[tuple[str, ...]] = ("g",)
    tau: float = param(5.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                       doc="decay time constant", hint=_TAU_HINT)

    def jump(self, p: Any, xp: Any) -> tuple[Any, ...]:
        return (1.0,)

    def decay(self, p: Any, s: tuple[Any, ...], dt: Any, xp: Any) -> tuple[Any, ...]:
        return (s[0] * xp.exp(-dt / p.tau),)

    def kernel(self, t: Any) -> Any:
        t = np.asarray(t, dtype=float)
        return np.where(t >= 0, np.exp(-np.maximum(t, 0) / self.tau), 0.0)


class Alpha(LinearSynapse):
    r"""Alpha-function synapse: :math:`g(t) = w\,(t/\tau)\,e^{1 - t/\tau}` after an arrival at
    ``t = 0``; the peak, ``w``, is reached at ``t = tau``.

    Integrated exactly with two states: :math:`\tau\,dh/dt = -h`, :math:`\tau\,dg/dt = h - g`,
    with ``h`` jumping by ``w e`` (Rotter & Diesmann 1999).

    Reference
    ---------
    Rall W (1967) J Neurophysiol 30:1138–1168. Rotter S, Diesmann M (1999) Exact digital
    simulation of time-invariant linear systems with applications to neuronal modeling. Biol
    Cybern 81:381–402.

    .. code-block:: bibtex

        @article{rotter1999exact,
          author = {Rotter, Stefan and Diesmann, Markus},
          title = {Exact digital simulation of time-invariant linear systems with applications to
                   neuronal modeling},
          journal = {Biological Cybernetics}, volume = {81}, pages = {381--402}, year = {1999},
          doi = {10.1007/s004220050570}}
    """

    state_vars: ClassVar[tuple[str, ...]] = ("g", "h")
    tau: float = param(2.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                       doc="time to peak", hint=_TAU_HINT)

    def jump(self, p: Any, xp: Any) -> tuple[Any, ...]:
        return (0.0, float(np.e))

    def decay(self, p: Any, s: tuple[Any, ...], dt: Any, xp: Any) -> tuple[Any, ...]:
        e = xp.exp(-dt / p.tau)
        g, h = s
        return ((g + h * (dt / p.tau)) * e, h * e)

    def kernel(self, t: Any) -> Any:
        t = np.asarray(t, dtype=float)
        x = np.maximum(t, 0) / self.tau
        return np.where(t >= 0, x * np.exp(1.0 - x), 0.0)


class BiExp(LinearSynapse):
    r"""Difference of exponentials: :math:`g(t) = w\,f\,(e^{-t/\tau_d} - e^{-t/\tau_r})`, with
    :math:`f` normalising the peak to ``w`` (as NEURON's ``Exp2Syn``).

    Requires ``tau_rise < tau_decay``.

    Reference
    ---------
    Hines ML, Carnevale NT, NEURON ``Exp2Syn``; Roth A, van Rossum MCW (2009) Modeling synapses.
    In: De Schutter E (ed) Computational Modeling Methods for Neuroscientists, MIT Press.

    .. code-block:: bibtex

        @incollection{roth2009modeling,
          author = {Roth, Arnd and van Rossum, Mark C. W.},
          title = {Modeling Synapses},
          booktitle = {Computational Modeling Methods for Neuroscientists},
          editor = {De Schutter, Erik}, publisher = {MIT Press}, year = {2009}}
    """

    state_vars: ClassVar[tuple[str, ...]] = ("a", "b")
    tau_rise: float = param(0.5, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                            doc="rise time constant", hint=_TAU_HINT)
    tau_decay: float = param(5.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                             doc="decay time constant", hint=_TAU_HINT)

    def _check(self) -> None:
        if np.any(np.asarray(self.tau_rise) >= np.asarray(self.tau_decay)):
            raise ParameterError(
                f"BiExp.tau_rise must be < tau_decay ({self.tau_decay} ms); got "
                f"{self.tau_rise} ms. Fix: swap them, or use Alpha for equal time constants."
            )

    def _factor(self, tr: Any, td: Any, xp: Any) -> Any:
        t_peak = tr * td / (td - tr) * xp.log(td / tr)
        return 1.0 / (xp.exp(-t_peak / td) - xp.exp(-t_peak / tr))

    def jump(self, p: Any, xp: Any) -> tuple[Any, ...]:
        f = self._factor(p.tau_rise, p.tau_decay, xp)
        return (f, f)

    def decay(self, p: Any, s: tuple[Any, ...], dt: Any, xp: Any) -> tuple[Any, ...]:
        return (s[0] * xp.exp(-dt / p.tau_decay), s[1] * xp.exp(-dt / p.tau_rise))

    def readout(self, p: Any, s: tuple[Any, ...], xp: Any) -> Any:
        return s[0] - s[1]

    def kernel(self, t: Any) -> Any:
        t = np.asarray(t, dtype=float)
        tp = np.maximum(t, 0)
        f = self._factor(self.tau_rise, self.tau_decay, np)
        return np.where(t >= 0, f * (np.exp(-tp / self.tau_decay) - np.exp(-tp / self.tau_rise)), 0.0)
