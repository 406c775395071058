"""Hodgkin–Huxley Na+, K+ and leak currents as one density mechanism (NEURON's ``hh``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..models.hh import _TABLE, _rates
from ..params import option, param
from ._base import AbstractMechanism, cnexp

__all__ = ["HH"]


class HH(AbstractMechanism):
    r"""Hodgkin–Huxley (1952) squid-axon channels: NEURON's built-in ``hh`` mechanism.

    .. math::

        i = \bar g_{Na} m^3 h (v - E_{Na}) + \bar g_K n^4 (v - E_K) + g_L (v - E_L),\quad
        \frac{dx}{dt} = \phi\,[\alpha_x(v)(1 - x) - \beta_x(v) x],\ \phi = 3^{(T - 6.3)/10}

    with the rate functions of ``hh.mod`` (modern sign convention, rest near −65 mV). ``E_Na``
    and ``E_K`` come from the cell (``e_na``, ``e_k``), ``E_L`` is this mechanism's ``e_l``.
    States advance by exponential Euler with the rates at the new voltage (``cnexp``).

    Units: conductances mS/cm² (NEURON's ``gnabar`` 0.12 S/cm² = 120 mS/cm²), mV, µA/cm².

    Options
    -------
    rates: ``"exact"`` evaluates the rate functions; ``"neuron_table"`` interpolates NEURON's
        201-point table from −100 to 100 mV (``usetable_hh = 1``, NEURON's default), which
        reproduces NEURON sample by sample.

    Reference
    ---------
    Hodgkin AL, Huxley AF (1952). J Physiol 117:500–544. NEURON ``src/nrnoc/hh.mod``.

    .. code-block:: bibtex

        @article{hodgkin1952quantitative,
          author = {Hodgkin, A. L. and Huxley, A. F.},
          title = {A quantitative description of membrane current and its application to
                   conduction and excitation in nerve},
          journal = {The Journal of Physiology}, volume = {117}, number = {4},
          pages = {500--544}, year = {1952}, doi = {10.1113/jphysiol.1952.sp004764}}
    """

    name: ClassVar[str] = "hh"
    states: ClassVar[tuple[str, ...]] = ("m", "h", "n")
    currents_carried: ClassVar[tuple[str, ...]] = ("na", "k", "nonspecific")
    reads: ClassVar[tuple[str, ...]] = ("e_na", "e_k", "celsius")

    g_na: float = param(120.0, unit="mS/cm2", bounds=(0.0, None), doc="peak Na+ conductance density")
    g_k: float = param(36.0, unit="mS/cm2", bounds=(0.0, None), doc="peak K+ conductance density")
    g_l: float = param(0.3, unit="mS/cm2", bounds=(0.0, None), doc="leak conductance density")
    e_l: float = param(-54.3, unit="mV", bounds=(-200.0, 200.0), doc="leak reversal potential")
    rates: str = option("exact", choices=("exact", "neuron_table"), doc="rate evaluation")

    def _inf_tau(self, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[tuple[Any, Any], ...]:
        phi = xp.power(3.0, (env["celsius"] - 6.3) / 10.0)
        if self.rates == "neuron_table":
            r = xp.interp_uniform(_TABLE, v, -100.0, 1.0)
            return tuple((r[2 * j], r[2 * j + 1] / phi) for j in range(3))
        am, bm, ah, bh, an, bn = _rates(v, xp)
        return tuple((a / (a + b), 1.0 / (phi * (a + b))) for a, b in ((am, bm), (ah, bh), (an, bn)))

    def init_state(self, p: Any, v: Any, env: Mapping[str, Any], xp: Any) -> tuple[Any, ...]:
        return tuple(inf + 0.0 * p.g_na for inf, _ in self._inf_tau(v, env, xp))

    def currents(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any],
                 xp: Any) -> dict[str, tuple[Any, Any]]:
        m, h, n = s
        g_na = p.g_na * m * m * m * h
        n2 = n * n
        g_k = p.g_k * n2 * n2
        return {"na": (g_na * (v - env["e_na"]), g_na), "k": (g_k * (v - env["e_k"]), g_k),
                "nonspecific": (p.g_l * (v - p.e_l), p.g_l)}

    def advance(self, p: Any, s: tuple[Any, ...], v: Any, env: Mapping[str, Any], dt: Any,
                xp: Any) -> tuple[Any, ...]:
        return tuple(cnexp(x, inf, tau, dt, xp) for x, (inf, tau) in zip(s, self._inf_tau(v, env, xp)))
