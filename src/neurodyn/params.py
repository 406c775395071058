"""Declared parameters: one declaration gives the unit, bounds, default, docs and error messages.

Model and stimulus classes declare their numeric parameters with :func:`param` and their
structural (compile-time) choices with :func:`option`::

    class Leaky(Described):
        g_l: float = param(0.3, unit="mS/cm2", bounds=(0, None), doc="leak conductance density")
        rates: str = option("exact", choices=("exact", "table"), doc="rate evaluation")

Subclasses of :class:`Described` become frozen, keyword-only dataclasses automatically. At
construction every parameter is converted to its declared unit (numbers are taken to be in it,
strings such as ``"120 mS/cm2"`` and :class:`~neurodyn.units.Quantity` objects are converted) and
checked against its bounds. Values that are JAX tracers (inside ``jax.grad``/``jax.jit``) are
passed through unchecked, so models can be built inside differentiated functions.

Numeric parameters may be arrays: their shapes broadcast to the *batch shape* of a simulation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .errors import ParameterError, UnitError
from .units import Quantity, describe_dimension, parse_quantity, to_unit

INPUT_UNIT = "input"
"""Pseudo-unit of stimulus amplitudes: the input unit of the model they drive."""

__all__ = ["Described", "OptionSpec", "ParamSpec", "is_traced", "option", "param"]


@dataclass(frozen=True)
class ParamSpec:
    """Declaration of a numeric parameter.

    Attributes
    ----------
    default: value in ``unit`` (``None``: required).
    unit: internal unit string, e.g. ``"mS/cm2"``; ``"1"`` for dimensionless.
    bounds: ``(low, high)``; ``None`` for an open side.
    inclusive: whether each bound is allowed.
    doc: one-line description.
    hint: the fix to print when the value is rejected.
    vector: the parameter is intrinsically an array (e.g. a sampled waveform); it does not
        broadcast into the batch shape.
    allow_inf: ``+inf`` is a valid value (e.g. a stimulus that never stops).
    """

    default: Any
    unit: str
    bounds: tuple[float | None, float | None] = (None, None)
    inclusive: tuple[bool, bool] = (True, True)
    doc: str = ""
    hint: str = ""
    vector: bool = False
    allow_inf: bool = False

    def constraint_text(self) -> str:
        lo, hi = self.bounds
        lo_op = ">=" if self.inclusive[0] else ">"
        hi_op = "<=" if self.inclusive[1] else "<"
        if lo is not None and hi is not None:
            lb = "[" if self.inclusive[0] else "("
            rb = "]" if self.inclusive[1] else ")"
            return f"in {lb}{_fmt(lo)}, {_fmt(hi)}{rb}"
        if lo is not None:
            return f"{lo_op} {_fmt(lo)}"
        if hi is not None:
            return f"{hi_op} {_fmt(hi)}"
        return "finite"

    def unit_text(self) -> str:
        return "" if self.unit in ("1", "") else f" {self.unit}"


@dataclass(frozen=True)
class OptionSpec:
    """Declaration of a structural option (a compile-time choice such as a rate scheme)."""

    default: Any
    choices: tuple[Any, ...] | None = None
    doc: str = ""


def _fmt(x: float) -> str:
    return f"{x:g}"


def param(
    default: Any = None,
    *,
    unit: str,
    bounds: tuple[float | None, float | None] = (None, None),
    inclusive: tuple[bool, bool] = (True, True),
    doc: str = "",
    hint: str = "",
    vector: bool = False,
    allow_inf: bool = False,
) -> Any:
    """Declare a numeric parameter (see :class:`ParamSpec`)."""
    spec = ParamSpec(default, unit, bounds, inclusive, doc, hint, vector, allow_inf)
    if default is None:
        return field(default=None, metadata={"param": spec})
    return field(default=default, metadata={"param": spec})


def option(default: Any, *, choices: tuple[Any, ...] | None = None, doc: str = "") -> Any:
    """Declare a structural option (hashable; part of the compiled kernel's identity)."""
    return field(default=default, metadata={"option": OptionSpec(default, choices, doc)})


def is_traced(x: Any) -> bool:
    """True for JAX tracers (values inside ``jit``/``grad``/``vmap``)."""
    try:
        import jax

        return isinstance(x, jax.core.Tracer)
    except Exception:  # pragma: no cover - jax always present
        return False


def _type_name(x: Any) -> str:
    return type(x).__name__


def check_value(owner: str, name: str, spec: ParamSpec, value: Any) -> Any:
    """Convert ``value`` to ``spec.unit`` and validate it; return a float, array or tracer."""
    what = f"{owner}.{name}"
    if spec.unit == INPUT_UNIT and value is not None:
        # the unit of the driven model's input: strings/quantities are converted when the
        # stimulus is bound to a model; bare numbers are checked here.
        if isinstance(value, str):
            value = parse_quantity(value)
            if value.unit.name == "":
                value = value.value
        if isinstance(value, Quantity) or is_traced(value):
            return value
        return check_value(owner, name, dataclasses.replace(spec, unit="1"), value)
    if value is None:
        raise ParameterError(
            f"{what} is required ({spec.doc or 'no default'}; unit {spec.unit}); got None. "
            f"Fix: pass {name}=<value in {spec.unit}>."
        )
    try:
        value = to_unit(value, spec.unit, what=what)
    except UnitError:
        raise
    if is_traced(value):
        return value
    if hasattr(value, "shape") and type(value).__module__.startswith("jax"):
        value = np.asarray(value)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{what} must be a number{spec.unit_text()} ({describe_dimension(spec.unit)}); "
            f"got {value!r} ({_type_name(value)}). Fix: pass a number in {spec.unit} or a string "
            f"with a unit such as '1 {spec.unit}'."
        ) from None
    if arr.size == 0:
        raise ParameterError(f"{what} is empty; got {value!r}. Fix: give at least one value.")
    bad = ~np.isfinite(arr) | bad_bounds(arr, spec)
    if spec.allow_inf:
        bad &= ~np.isposinf(arr) | bad_bounds(arr, spec)
    if np.any(bad):
        idx = np.flatnonzero(bad.ravel())[0]
        got = float(arr.ravel()[idx])
        pos = tuple(int(i) for i in np.unravel_index(idx, arr.shape))
        where = "" if arr.ndim == 0 else f" (element {pos})"
        hint = spec.hint or _default_hint(spec)
        raise ParameterError(
            f"{what} must be {spec.constraint_text()}{spec.unit_text()}; "
            f"got {got!r}{where}. {hint}"
        )
    if arr.ndim == 0:
        return float(arr)
    return arr


def bad_bounds(arr: np.ndarray, spec: ParamSpec) -> np.ndarray:
    """Element-wise: which values violate the declared bounds."""
    lo, hi = spec.bounds
    bad = np.zeros(arr.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if lo is not None:
            bad |= (arr < lo) if spec.inclusive[0] else (arr <= lo)
        if hi is not None:
            bad |= (arr > hi) if spec.inclusive[1] else (arr >= hi)
    return bad | np.isnan(arr)


def _default_hint(spec: ParamSpec) -> str:
    lo, hi = spec.bounds
    if lo is not None and hi is not None:
        return f"Fix: choose a value between {_fmt(lo)} and {_fmt(hi)}{spec.unit_text()}."
    if lo is not None:
        return f"Fix: choose a value {'>=' if spec.inclusive[0] else '>'} {_fmt(lo)}{spec.unit_text()}."
    if hi is not None:
        return f"Fix: choose a value {'<=' if spec.inclusive[1] else '<'} {_fmt(hi)}{spec.unit_text()}."
    return "Fix: use a finite number."


class Described:
    """Base of immutable descriptions with declared parameters (models, stimuli).

    Subclasses are turned into frozen, keyword-only dataclasses. After construction, every
    parameter holds a float, a NumPy array or a JAX tracer expressed in its declared unit.
    Override :meth:`_check` for relations between parameters (raise :class:`ParameterError`).
    """

    _param_specs: ClassVar[dict[str, ParamSpec]] = {}
    _option_specs: ClassVar[dict[str, OptionSpec]] = {}
    Params: ClassVar[type]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True, kw_only=True, eq=False, repr=False)(cls)
        cls._param_specs = {
            f.name: f.metadata["param"] for f in dataclasses.fields(cls) if "param" in f.metadata
        }
        cls._option_specs = {
            f.name: f.metadata["option"] for f in dataclasses.fields(cls) if "option" in f.metadata
        }
        from collections import namedtuple

        cls.Params = namedtuple(f"{cls.__name__}Params", list(cls._param_specs))  # type: ignore[misc]

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for name, spec in self._param_specs.items():
            object.__setattr__(self, name, check_value(owner, name, spec, getattr(self, name)))
        for name, ospec in self._option_specs.items():
            val = getattr(self, name)
            if ospec.choices is not None and val not in ospec.choices:
                raise ParameterError(
                    f"{owner}.{name} must be one of {', '.join(map(repr, ospec.choices))}; "
                    f"got {val!r}. Fix: pick one of those ({ospec.doc})."
                )
        if not any(is_traced(v) for v in self.params().values()):
            self._check()

    # -- hooks -----------------------------------------------------------------------------
    def _check(self) -> None:
        """Relations between parameters; raise :class:`ParameterError` with the fix."""

    # -- introspection ---------------------------------------------------------------------
    @classmethod
    def param_specs(cls) -> Mapping[str, ParamSpec]:
        """Declared numeric parameters, in declaration order."""
        return dict(cls._param_specs)

    @classmethod
    def option_specs(cls) -> Mapping[str, OptionSpec]:
        """Declared structural options."""
        return dict(cls._option_specs)

    def params(self) -> dict[str, Any]:
        """Numeric parameter values (internal units)."""
        return {k: getattr(self, k) for k in self._param_specs}

    def param_values(self) -> Any:
        """Numeric parameters as this class's ``Params`` NamedTuple."""
        return self.Params(**self.params())

    def options(self) -> dict[str, Any]:
        """Structural option values."""
        return {k: getattr(self, k) for k in self._option_specs}

    def replace(self, **changes: Any) -> Described:
        """A copy with some parameters or options changed (validated again)."""
        unknown = set(changes) - set(self._param_specs) - set(self._option_specs)
        if unknown:
            raise ParameterError(
                f"{type(self).__name__} has no parameter {sorted(unknown)[0]!r}. "
                f"Known: {', '.join(self._param_specs)}."
            )
        return dataclasses.replace(self, **changes)

    def static_key(self) -> tuple[Any, ...]:
        """Hashable identity of the compiled structure (class and options, not values)."""
        return (type(self), tuple(sorted(self.options().items())))

    def __repr__(self) -> str:
        parts = []
        for k, v in {**self.params(), **self.options()}.items():
            if isinstance(v, float):
                parts.append(f"{k}={v:g}")
            elif isinstance(v, np.ndarray):
                parts.append(f"{k}=array{v.shape}")
            else:
                parts.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"
