"""Simple morphologies built from lengths and diameters (all µm), laid out along the x axis.

Soma sections are single cylinders centred at the origin (``L = diam`` gives the area of the
sphere of that diameter, ``π d²``); dendrites leaving a soma attach at its middle
(``parent_x = 0.5``), as the file readers do, so path distances start at the soma centre.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ParameterError
from .tree import Morphology, Section, section_names

__all__ = ["ball_and_stick", "cylinder", "y_branch"]

_REGIONS = ("soma", "axon", "basal", "apical")


def _positive(func: str, name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if isinstance(value, bool) or not (math.isfinite(v) and v > 0):
        raise ParameterError(f"{func}: {name} must be a finite number > 0 µm; got {value!r}. "
                             f"Fix: pass {name}=<length in µm>, e.g. {name}=10.")
    return v


def _make(source: str, spec: list[tuple[str, list[tuple[float, float, float, float]], int, float]]
          ) -> Morphology:
    names = section_names([r for r, *_ in spec])
    return Morphology(tuple(Section(n, r, np.array(p), q, x) for n, (r, p, q, x) in zip(names, spec)),
                      source)


def cylinder(length: float = 20.0, diameter: float = 20.0, region: str = "soma") -> Morphology:
    """One cylinder of ``length`` and ``diameter`` (µm) along x, centred at the origin."""
    length = _positive("cylinder", "length", length)
    diameter = _positive("cylinder", "diameter", diameter)
    if not isinstance(region, str) or not (region in _REGIONS or region.startswith("custom")
                                           or region == "undefined"):
        raise ParameterError(f"cylinder: region must be one of {', '.join(_REGIONS)}, 'undefined' or "
                             f"'custom<k>'; got {region!r}. Fix: pass region='soma'.")
    h = length / 2
    return _make("cylinder", [(region, [(-h, 0, 0, diameter), (h, 0, 0, diameter)], -1, 0.0)])


def ball_and_stick(soma_diameter: float = 20.0, dendrite_length: float = 200.0,
                   dendrite_diameter: float = 2.0) -> Morphology:
    """Soma cylinder (``L = diam = soma_diameter``) with one basal dendrite along +x (µm).

    The dendrite starts at the soma surface and attaches at the soma's middle (``parent_x=0.5``),
    so its far end is ``dendrite_length`` µm from the soma centre along the tree.
    """
    ds = _positive("ball_and_stick", "soma_diameter", soma_diameter)
    ld = _positive("ball_and_stick", "dendrite_length", dendrite_length)
    dd = _positive("ball_and_stick", "dendrite_diameter", dendrite_diameter)
    h = ds / 2
    return _make("ball_and_stick", [
        ("soma", [(-h, 0, 0, ds), (h, 0, 0, ds)], -1, 0.0),
        ("basal", [(h, 0, 0, dd), (h + ld, 0, 0, dd)], 0, 0.5),
    ])


def y_branch(trunk_length: float = 100.0, trunk_diameter: float = 2.0, branch_length: float = 50.0,
             branch_diameter: float = 1.0, angle: float = 60.0) -> Morphology:
    """A trunk along +x from the origin splitting into two equal branches (µm, no soma).

    The branches leave the trunk's end at ``±angle/2`` degrees in the xy plane. The trunk is the
    root section; path distances start at its midpoint.
    """
    lt = _positive("y_branch", "trunk_length", trunk_length)
    dt = _positive("y_branch", "trunk_diameter", trunk_diameter)
    lb = _positive("y_branch", "branch_length", branch_length)
    db = _positive("y_branch", "branch_diameter", branch_diameter)
    a = _positive("y_branch", "angle", angle)
    if a >= 180:
        raise ParameterError(f"y_branch: angle must be in (0, 180) degrees; got {angle!r}. "
                             "Fix: pass e.g. angle=60.")
    half = math.radians(a / 2)
    dx, dy = lb * math.cos(half), lb * math.sin(half)
    return _make("y_branch", [
        ("basal", [(0, 0, 0, dt), (lt, 0, 0, dt)], -1, 0.0),
        ("basal", [(lt, 0, 0, db), (lt + dx, dy, 0, db)], 0, 1.0),
        ("basal", [(lt, 0, 0, db), (lt + dx, -dy, 0, db)], 0, 1.0),
    ])
