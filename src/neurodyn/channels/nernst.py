"""Nernst equilibrium potentials with NEURON's physical constants.

NEURON 9 uses the CODATA 2018 values (``h.FARADAY``, ``h.R``; ``nrnunits.lib`` and the
``_faraday_codata2018``/``_gasconstant_codata2018`` constants of ``eion.cpp``)::

    FARADAY = 96485.33212331001 C/mol   (= e N_A)
    R       = 8.31446261815324 J/(mol K) (= k_B N_A)

and its ``nernst(ci, co, z)`` (and the ``e_ion`` of ions whose concentrations are computed) is
``1000 R (celsius + 273.15)/(z FARADAY) ln(co/ci)`` in mV, with ``+1e6`` mV when ``ci <= 0`` and
``-1e6`` mV when ``co <= 0`` (and 0 for ``z = 0``). :func:`nernst` reproduces that to rounding.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FARADAY", "GAS_CONSTANT", "ZERO_CELSIUS", "nernst"]

#: Faraday constant, C/mol (CODATA 2018, NEURON 9's FARADAY)
FARADAY = 96485.33212331001
#: molar gas constant, J/(mol K) (CODATA 2018, NEURON 9's R)
GAS_CONSTANT = 8.31446261815324
#: 0 °C in K
ZERO_CELSIUS = 273.15


def nernst(c_in: Any, c_out: Any, valence: float, celsius: Any, xp: Any) -> Any:
    """Nernst potential (mV) of an ion of charge ``valence`` for concentrations ``c_in``,
    ``c_out`` (same unit, e.g. mM) at ``celsius`` (°C), as NEURON computes it.

    ``RT/(zF) ln(c_out/c_in)``; where ``c_in <= 0`` the result is +1e6 mV and where
    ``c_out <= 0`` it is -1e6 mV (NEURON's guards), without NaN in values or gradients.
    ``valence`` is a static number (not zero).
    """
    if valence == 0:
        raise ValueError("nernst: valence must be non-zero (NEURON returns 0 mV for z = 0)")
    ktf = 1000.0 * GAS_CONSTANT * (celsius + ZERO_CELSIUS) / FARADAY  # mV
    ok_in = c_in > 0
    ok_out = c_out > 0
    safe_in = xp.where(ok_in, c_in, 1.0)
    safe_out = xp.where(ok_out, c_out, 1.0)
    e = ktf / valence * xp.log(safe_out / safe_in)
    return xp.where(ok_in, xp.where(ok_out, e, -1e6), 1e6)
