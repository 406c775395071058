"""Registry of the density mechanisms by name (the ``name`` used in parameter paths)."""

from __future__ import annotations

from ..errors import ParameterError
from ._base import AbstractMechanism
from .calcium import CaHVA, CaPool, CaT
from .hh import HH
from .ih import Ih
from .ka import KA
from .kca import BK, SK
from .km import Im
from .nap import NaP
from .passive import Passive

__all__ = ["MECHANISMS", "get", "register"]

MECHANISMS: dict[str, type[AbstractMechanism]] = {
    cls.name: cls for cls in (HH, Passive, Ih, CaT, CaHVA, CaPool, SK, BK, Im, NaP, KA)
}
"""``{name: class}`` of the known mechanisms."""


def register(cls: type[AbstractMechanism]) -> type[AbstractMechanism]:
    """Add a mechanism class under its ``name`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, AbstractMechanism)) or not cls.name:
        raise ParameterError(
            f"cannot register {cls!r}: expected a subclass of AbstractMechanism with a non-empty "
            "`name`. Fix: subclass neurodyn.channels.AbstractMechanism and set name = '...'."
        )
    other = MECHANISMS.get(cls.name)
    if other is not None and other is not cls:
        raise ParameterError(
            f"mechanism name {cls.name!r} is already used by {other.__module__}.{other.__name__}. "
            "Fix: give the new mechanism another name."
        )
    MECHANISMS[cls.name] = cls
    return cls


def get(name: str) -> type[AbstractMechanism]:
    """The mechanism class registered as ``name`` (e.g. ``"ih"``)."""
    try:
        return MECHANISMS[name]
    except (KeyError, TypeError):
        raise ParameterError(
            f"unknown mechanism {name!r}. Known: {', '.join(sorted(MECHANISMS))}. "
            "Fix: use one of those names or register the class with "
            "neurodyn.channels.registry.register."
        ) from None
