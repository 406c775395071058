"""The three network benchmarks of Brette et al. (2007), as ready-made networks.

* :func:`coba` — benchmark 1: 4000 LIF neurons (3200 E, 800 I), conductance-based exponential
  synapses, self-sustained activity (Vogels & Abbott 2005);
* :func:`cuba` — benchmark 2: the same with current-based exponential synapses and a depolarised
  rest (Brian2's ``examples/CUBA.py``);
* :func:`cobahh` — benchmark 3: 4000 Traub–Miles HH neurons with conductance-based exponential
  synapses (Brian2's ``examples/COBAHH.py``).

Each returns ``(network, settings)``; ``settings`` holds the integration method and ``dt`` the
reference scripts use (pass them to :func:`neurodyn.simulate`). Parameters are those of the
reference scripts, in neurodyn's units: the dimensionless conductances of the Brian scripts
(in units of g_L = 10 nS) become nS, the voltage weights of CUBA (mV) become currents
(``g_L * w``, pA). Every random draw (initial states, connections) uses ``seed``.

Reference
---------
Brette R, Rudolph M, Carnevale T, et al. (2007) Simulation of networks of spiking neurons: a
review of tools and strategies. J Comput Neurosci 23:349–398.
Vogels TP, Abbott LF (2005) Signal propagation and logic gating in networks of
integrate-and-fire neurons. J Neurosci 25:10786–10795.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models import LIF, TraubMiles
from ..synapses import Exp
from .connectors import FixedProbability
from .network import Network
from .population import Population
from .projection import Projection

__all__ = ["coba", "cobahh", "cuba"]

N, N_E = 4000, 3200
G_L = 10.0  # nS: the unit of the dimensionless conductances of the COBA script


def _lif(e_l: float) -> LIF:
    # tau_m = C / g_L = 20 ms
    return LIF(c_m=200.0, g_l=G_L, e_l=e_l, v_th=-50.0, v_reset=-60.0, t_ref=5.0, v_init=-60.0)


def _exc_inh(pop: Population, e: Exp, i: Exp, we: Any, wi: Any, p: float,
             n_e: int = N_E) -> list[Projection]:
    return [Projection(pop[:n_e], pop, FixedProbability(p=p), e, weight=we, delay="0.1 ms",
                       receptor="e", label="exc"),
            Projection(pop[n_e:], pop, FixedProbability(p=p), i, weight=wi, delay="0.1 ms",
                       receptor="i", label="inh")]


def coba(seed: int = 1, n: int = N, p: float = 0.02,
         weight_scale: float = 1.0) -> tuple[Network, dict[str, Any]]:
    """Benchmark 1 (COBA): v0 = -60 + (5 randn - 5) mV, g_e0 = (1.5 randn + 4) g_L,
    g_i0 = (12 randn + 20) g_L; weights 6 nS (E, e_rev 0 mV, tau 5 ms) and 67 nS (I, e_rev
    -80 mV, tau 10 ms); p = 0.02; forward Euler at dt = 0.1 ms as the reference script.

    ``n``, ``p`` and ``weight_scale`` (a factor on both weights) give the same network at
    other sizes (80 % excitatory); keep ``p n weight_scale`` near 80 to keep its activity."""
    rng = np.random.default_rng(seed)
    init = {"v": -60.0 + (rng.standard_normal(n) * 5.0 - 5.0),
            "g_e": (rng.standard_normal(n) * 1.5 + 4.0) * G_L,
            "g_i": (rng.standard_normal(n) * 12.0 + 20.0) * G_L}
    pop = Population("P", _lif(-60.0), n, init=init)
    projs = _exc_inh(pop, Exp(tau=5.0, e_rev=0.0), Exp(tau=10.0, e_rev=-80.0),
                     f"{6.0 * weight_scale} nS", f"{67.0 * weight_scale} nS", p, int(0.8 * n))
    return Network([pop], projs), {"method": "euler", "dt": 0.1}


def cuba(seed: int = 1, n: int = N, p: float = 0.02) -> tuple[Network, dict[str, Any]]:
    """Benchmark 2 (CUBA): E_L = -49 mV; v0 uniform in [V_r, V_t); weights 1.62 mV and -9 mV
    in the reference (voltage jumps of ``g_L``-scaled currents) = 16.2 pA and -90 pA; synaptic
    currents decay with 5 ms (E) and 10 ms (I); exponential Euler (exact subthreshold
    integration for the current held over a step; Brian2 integrates the linear system exactly)."""
    rng = np.random.default_rng(seed)
    init = {"v": -60.0 + rng.random(n) * 10.0}
    pop = Population("P", _lif(-49.0), n, init=init)
    projs = _exc_inh(pop, Exp(tau=5.0, mode="current"), Exp(tau=10.0, mode="current"),
                     f"{G_L * 60 * 0.27 / 10} pA", f"{G_L * -20 * 4.5 / 10} pA", p, int(0.8 * n))
    return Network([pop], projs), {"method": "exp_euler", "dt": 0.1}


def cobahh(seed: int = 1, n: int = N, p: float = 0.02) -> tuple[Network, dict[str, Any]]:
    """Benchmark 3 (COBAHH): Traub–Miles neurons (area 20,000 µm², V_T = -63 mV), gates
    starting at 0 as in the reference script; v0 = -60 + (5 randn - 5) mV, g_e0, g_i0 as in COBA;
    weights 6 nS and 67 nS; spikes = upward crossings of -20 mV; exponential Euler, dt 0.1 ms
    (Brian2's default clock)."""
    rng = np.random.default_rng(seed)
    init = {"v": -60.0 + (rng.standard_normal(n) * 5.0 - 5.0), "m": 0.0, "h": 0.0, "n": 0.0,
            "g_e": (rng.standard_normal(n) * 1.5 + 4.0) * G_L,
            "g_i": (rng.standard_normal(n) * 12.0 + 20.0) * G_L}
    pop = Population("P", TraubMiles(), n, init=init, threshold=-20.0)
    projs = _exc_inh(pop, Exp(tau=5.0, e_rev=0.0), Exp(tau=10.0, e_rev=-80.0), "6 nS", "67 nS", p,
                     int(0.8 * n))
    return Network([pop], projs), {"method": "exp_euler", "dt": 0.1}
