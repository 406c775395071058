"""Exception hierarchy.

Every error raised for bad user input names the object and the parameter, states what was
expected (with its unit), what was received, and ends with a fix. The hierarchy lets callers
catch neurodyn errors as a family or by kind, and keeps the builtin bases (``ValueError``,
``RuntimeError``) so generic handlers still work.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral
from typing import Any

__all__ = [
    "MorphologyError",
    "NeurodynError",
    "ParameterError",
    "SimulationError",
    "SpecError",
    "UnitError",
    "check_integers",
]


class NeurodynError(Exception):
    """Base class of all neurodyn errors."""


class ParameterError(NeurodynError, ValueError):
    """A model, stimulus or simulation parameter is invalid (out of range, wrong type or shape)."""


class UnitError(NeurodynError, ValueError):
    """A quantity has the wrong dimension or its unit string cannot be parsed."""


class SpecError(NeurodynError, ValueError):
    """A TOML simulation spec is malformed; the message gives the key path and the fix."""


class MorphologyError(NeurodynError, ValueError):
    """A morphology file or tree is malformed (SWC/ASC syntax, topology, soma, radii).

    The message names the file, the line number and the sample id where they are known, and ends
    with a fix.

    Attributes
    ----------
    source:
        File path or description of the input (``""`` if unknown).
    line:
        1-based line number in the file (``None`` if not applicable).
    sample:
        SWC sample id (``None`` if not applicable).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        line: int | None = None,
        sample: int | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.sample = sample


class SimulationError(NeurodynError, RuntimeError):
    """A simulation failed at run time (NaN/Inf in the state, solver failure).

    Attributes
    ----------
    time:
        Simulated time of the failure in ms (``None`` if unknown).
    variable:
        Name of the first state variable that became non-finite (``None`` if unknown).
    index:
        Flat batch index of the first failing parameter set (``None`` for unbatched runs).
    """

    def __init__(
        self,
        message: str,
        *,
        time: float | None = None,
        variable: str | None = None,
        index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.time = time
        self.variable = variable
        self.index = index


def check_integers(owner: str, checks: Iterable[tuple[str, Any, int]]) -> None:
    """Raise :class:`ParameterError` naming ``owner.key`` unless each ``(key, value, low)`` has an
    integer ``value >= low`` (Python or NumPy integers; ``True``/``False`` are refused)."""
    for key, val, low in checks:
        if isinstance(val, bool) or not isinstance(val, Integral) or val < low:
            raise ParameterError(f"{owner}.{key} must be an integer >= {low}; got {val!r}.")
