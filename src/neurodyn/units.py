"""Units: one internal unit system, converted once at the public boundary.

Internally neurodyn computes in

============================  ==========
quantity                      unit
============================  ==========
time                          ms
voltage                       mV
length                        µm
specific capacitance          µF/cm²
conductance density           mS/cm²
current density               µA/cm²
point conductance             nS
point current                 pA (point neurons), nA (clamps on cells)
capacitance                   pF
concentration                 mM
temperature                   °C
frequency                     Hz
============================  ==========

Every parameter declares its unit (see :mod:`neurodyn.params`). Public constructors accept

* a plain number or array, taken to be in the declared unit;
* a string such as ``"120 mS/cm2"`` or ``"0.1 nA"``;
* a :class:`Quantity`, e.g. ``120 * u.mS / u.cm**2``.

Strings and quantities are checked for dimension and converted exactly once.

Unit strings use ``*`` or ``·`` for products, ``/`` for quotients (every factor after a ``/`` is in
the denominator), exponents as ``cm2``, ``cm^2`` or ``cm**2``, the SI prefixes p n u µ m c k M G,
and the base symbols m g s A V S F ohm (Ω) Hz M (molar) mol L, plus ``degC`` (°C) for temperature.

Example
-------
>>> from neurodyn import units as u
>>> u.convert("120 mS/cm2", "S/cm2")
0.12
>>> float(u.to_unit(0.1 * u.nA, "pA"))
100.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import UnitError

__all__ = [
    "Quantity",
    "Unit",
    "convert",
    "describe_dimension",
    "parse_quantity",
    "parse_unit",
    "same_dimension",
    "to_unit",
]

# dimension exponents over (m, kg, s, A, mol, degC)
_Dim = tuple[int, int, int, int, int, int]
_NODIM: _Dim = (0, 0, 0, 0, 0, 0)


def _dim(m=0, kg=0, s=0, A=0, mol=0, degC=0) -> _Dim:
    return (m, kg, s, A, mol, degC)


_BASE: dict[str, tuple[float, _Dim]] = {
    "m": (1.0, _dim(m=1)),
    "g": (1e-3, _dim(kg=1)),
    "s": (1.0, _dim(s=1)),
    "A": (1.0, _dim(A=1)),
    "V": (1.0, _dim(m=2, kg=1, s=-3, A=-1)),
    "S": (1.0, _dim(m=-2, kg=-1, s=3, A=2)),
    "F": (1.0, _dim(m=-2, kg=-1, s=4, A=2)),
    "ohm": (1.0, _dim(m=2, kg=1, s=-3, A=-2)),
    "Ohm": (1.0, _dim(m=2, kg=1, s=-3, A=-2)),
    "Ω": (1.0, _dim(m=2, kg=1, s=-3, A=-2)),
    "Hz": (1.0, _dim(s=-1)),
    "mol": (1.0, _dim(mol=1)),
    "M": (1e3, _dim(mol=1, m=-3)),  # molar = mol/L
    "L": (1e-3, _dim(m=3)),
    "l": (1e-3, _dim(m=3)),
    "C": (1.0, _dim(s=1, A=1)),  # coulomb
    "degC": (1.0, _dim(degC=1)),
    "°C": (1.0, _dim(degC=1)),
    "celsius": (1.0, _dim(degC=1)),
}
_PREFIX = {
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,
    "μ": 1e-6,
    "m": 1e-3,
    "c": 1e-2,
    "d": 1e-1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
}

_DIM_NAMES: dict[_Dim, str] = {
    _NODIM: "dimensionless",
    _dim(s=1): "time",
    _dim(s=-1): "frequency",
    _dim(m=1): "length",
    _dim(m=2): "area",
    _BASE["V"][1]: "voltage",
    _BASE["A"][1]: "current",
    _dim(A=1, m=-2): "current density",
    _BASE["S"][1]: "conductance",
    tuple(a - b for a, b in zip(_BASE["S"][1], _dim(m=2))): "conductance density",
    _BASE["F"][1]: "capacitance",
    tuple(a - b for a, b in zip(_BASE["F"][1], _dim(m=2))): "specific capacitance",
    _BASE["ohm"][1]: "resistance",
    tuple(a + b for a, b in zip(_BASE["ohm"][1], _dim(m=1))): "resistivity",
    _dim(mol=1, m=-3): "concentration",
    _dim(degC=1): "temperature",
    tuple(a - b for a, b in zip(_BASE["V"][1], _dim(s=1))): "voltage rate",
}

_FACTOR_RE = re.compile(r"^([A-Za-zµμΩ°]+)(?:(?:\^|\*\*)?(-?\d+))?$")


@dataclass(frozen=True)
class Unit:
    """A unit: a scale factor to SI and a dimension. Multiply a number by it to get a Quantity."""

    scale: float
    dim: _Dim
    name: str

    def __mul__(self, other: Any) -> Unit | Quantity:
        if isinstance(other, Unit):
            return Unit(
                self.scale * other.scale,
                tuple(a + b for a, b in zip(self.dim, other.dim)),
                f"{self.name}*{other.name}",
            )
        return Quantity(other, self)

    __rmul__ = __mul__

    def __truediv__(self, other: Unit) -> Unit:
        if not isinstance(other, Unit):
            return NotImplemented
        return Unit(
            self.scale / other.scale,
            tuple(a - b for a, b in zip(self.dim, other.dim)),
            f"{self.name}/{other.name}",
        )

    def __rtruediv__(self, other: Any) -> Quantity:
        inv = Unit(1.0 / self.scale, tuple(-a for a in self.dim), f"1/{self.name}")
        return Quantity(other, inv)

    def __pow__(self, n: int) -> Unit:
        return Unit(self.scale**n, tuple(a * n for a in self.dim), f"{self.name}^{n}")

    def __repr__(self) -> str:
        return f"Unit({self.name!r})"


@dataclass(frozen=True)
class Quantity:
    """A value (number or array) with a unit; converted to the internal unit at the boundary."""

    value: Any
    unit: Unit

    def to(self, unit: str | Unit) -> Any:
        """Return the bare value expressed in ``unit``."""
        return to_unit(self, unit)

    def __truediv__(self, other: Unit) -> Quantity:
        if isinstance(other, Unit):
            return Quantity(self.value, self.unit / other)
        return Quantity(self.value / other, self.unit)

    def __mul__(self, other: Any) -> Quantity:
        if isinstance(other, Unit):
            return Quantity(self.value, self.unit * other)
        return Quantity(self.value * other, self.unit)

    __rmul__ = __mul__

    def __neg__(self) -> Quantity:
        return Quantity(-self.value, self.unit)

    def __repr__(self) -> str:
        return f"{self.value!r} {self.unit.name}"


def _parse_factor(tok: str, text: str) -> tuple[float, _Dim]:
    mt = _FACTOR_RE.match(tok)
    if not mt:
        raise UnitError(
            f"cannot parse unit {text!r}: factor {tok!r} is not a unit symbol. "
            "Write units like 'mS/cm2', 'uA/cm^2', 'ohm*cm' (no parentheses)."
        )
    sym, exp = mt.group(1), int(mt.group(2) or 1)
    if sym in _BASE:
        scale, dim = _BASE[sym]
    elif len(sym) > 1 and sym[0] in _PREFIX and sym[1:] in _BASE:
        scale, dim = _BASE[sym[1:]]
        scale = scale * _PREFIX[sym[0]]
    else:
        known = "m g s A V S F ohm Hz M mol L degC"
        raise UnitError(
            f"cannot parse unit {text!r}: unknown symbol {sym!r}. Known base units: {known}, "
            "with prefixes p n u µ m c k M G (e.g. 'mV', 'nS', 'uF/cm2')."
        )
    return scale**exp, tuple(d * exp for d in dim)


def parse_unit(text: str | Unit) -> Unit:
    """Parse a unit string such as ``"mS/cm2"`` into a :class:`Unit`."""
    if isinstance(text, Unit):
        return text
    s = str(text).strip().replace("·", "*").replace(" ", "").replace("**", "^")
    if s in ("", "1", "dimensionless", "-"):
        return Unit(1.0, _NODIM, "1")
    if "(" in s or ")" in s:
        raise UnitError(
            f"cannot parse unit {text!r}: parentheses are not supported. "
            "Write every factor after '/' as part of the denominator, e.g. 'mS/cm2' or 'uF/cm2'."
        )
    scale, dim = 1.0, list(_NODIM)
    for i, part in enumerate(s.split("/")):
        for tok in part.split("*"):
            if tok in ("", "1"):
                continue
            fs, fd = _parse_factor(tok, str(text))
            sign = 1 if i == 0 else -1
            scale *= fs**sign
            for k in range(6):
                dim[k] += sign * fd[k]
    return Unit(scale, tuple(dim), str(text).strip())


_NUM_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf)\s*(.*?)\s*$")


def parse_quantity(text: str) -> Quantity:
    """Parse ``"120 mS/cm2"`` (number, then unit) into a :class:`Quantity`.

    A bare number (``"120"``) is returned with a dimensionless unit of name ``""`` so that callers
    can interpret it in their declared unit.
    """
    mt = _NUM_RE.match(str(text))
    if not mt:
        raise UnitError(
            f"cannot parse quantity {text!r}: expected a number followed by a unit, "
            "e.g. '120 mS/cm2', '-65 mV' or '0.5 ms'."
        )
    value = float(mt.group(1))
    unit_text = mt.group(2)
    if unit_text == "":
        return Quantity(value, Unit(1.0, _NODIM, ""))
    return Quantity(value, parse_unit(unit_text))


def describe_dimension(unit: str | Unit) -> str:
    """Human name of a unit's dimension, e.g. ``"conductance density"`` for ``"mS/cm2"``."""
    dim = parse_unit(unit).dim
    return _DIM_NAMES.get(dim, "unit of dimension " + _dim_str(dim))


def _dim_str(dim: _Dim) -> str:
    names = ("m", "kg", "s", "A", "mol", "degC")
    return "*".join(f"{n}^{e}" for n, e in zip(names, dim) if e) or "1"


def same_dimension(a: str | Unit, b: str | Unit) -> bool:
    """Whether two units measure the same kind of quantity."""
    return parse_unit(a).dim == parse_unit(b).dim


def to_unit(value: Any, unit: str | Unit, *, what: str = "value") -> Any:
    """Express ``value`` in ``unit``.

    ``value`` may be a :class:`Quantity`, a string with a unit (``"0.1 nA"``), or a bare
    number/array (returned unchanged: it is taken to be in ``unit`` already). ``what`` names the
    quantity in error messages (e.g. ``"HodgkinHuxley.g_na"``).
    """
    target = parse_unit(unit)
    if isinstance(value, str):
        try:
            value = parse_quantity(value)
        except UnitError as exc:
            raise UnitError(f"{what}: {exc}") from None
        if value.unit.name == "":
            return value.value  # bare number in a string: declared unit
    if isinstance(value, Quantity):
        src = value.unit
        if src.dim != target.dim:
            raise UnitError(
                f"{what} must be a {describe_dimension(target)} (unit {target.name}); "
                f"got {value!r}, a {describe_dimension(src)}. "
                f"Fix: give it in {target.name} or a compatible unit, e.g. '1 {target.name}'."
            )
        factor = src.scale / target.scale
        v = value.value
        if isinstance(v, list | tuple):
            v = np.asarray(v, dtype=float)
        return v * factor if not math.isclose(factor, 1.0, rel_tol=1e-15) else v
    return value


def convert(value: Any, unit: str | Unit, *, what: str = "value") -> Any:
    """Alias of :func:`to_unit` (``convert("120 mS/cm2", "S/cm2") -> 0.12``)."""
    return to_unit(value, unit, what=what)


def _make(name: str) -> Unit:
    return parse_unit(name)


# Public unit objects: ``20 * u.ms``, ``120 * u.mS / u.cm**2``.
ms = _make("ms")
s = _make("s")
us = _make("us")
mV = _make("mV")
V = _make("V")
um = _make("um")
cm = _make("cm")
mm = _make("mm")
nS = _make("nS")
uS = _make("uS")
mS = _make("mS")
S = _make("S")
pA = _make("pA")
nA = _make("nA")
uA = _make("uA")
pF = _make("pF")
uF = _make("uF")
nF = _make("nF")
ohm = _make("ohm")
Mohm = _make("Mohm")
mM = _make("mM")
Hz = _make("Hz")
kHz = _make("kHz")
degC = _make("degC")
