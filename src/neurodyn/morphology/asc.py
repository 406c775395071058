"""Neurolucida ASCII (``.asc``) reader through MorphIO (``pip install morphio``).

MorphIO parses the file; this module converts its soma and sections to a :class:`Morphology`:
the soma (contour or points) becomes one cylinder along its principal axis (y if it has none)
with ``L = diam = sqrt(A / π)``, where ``A`` is MorphIO's soma surface area, or, for contour
somas (whose area MorphIO does not implement), NeuroM's ``4 π r̄²`` with ``r̄`` the mean distance
of the contour points from the soma centre; the cylinder's lateral area is then ``A``. Neurite
sections keep MorphIO's points and diameters (MorphIO repeats the branch point as the first point
of each child); sections leaving the soma attach at its middle (``parent_x = 0.5``).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from typing import Any

import numpy as np

from ..errors import MorphologyError
from .tree import Morphology, Section, region_of_swc_type, scale_factor, section_names

__all__ = ["read_asc"]


def read_asc(path: str | os.PathLike[str], *, scale: float = 1.0, unit: str | None = None,
             allow_no_soma: bool = False) -> Morphology:
    """Read a Neurolucida ASC file (or any format MorphIO reads: ``.h5``) into a Morphology (µm).

    ``scale``/``unit`` as in :func:`~neurodyn.morphology.read_swc`. Without a soma the file must
    have a single root section and ``allow_no_soma=True``.

    Raises
    ------
    ImportError: MorphIO is not installed.
    FileNotFoundError: no such file.
    MorphologyError: MorphIO rejects the file, or the tree has no soma / several roots.
    """
    try:
        import morphio
    except ImportError:
        raise ImportError("read_asc needs MorphIO. Fix: pip install morphio "
                          "(or pip install 'neurodyn[morphology]').") from None
    source = os.fspath(path)
    factor = scale_factor(scale, unit, "read_asc")
    if not os.path.isfile(source):
        raise FileNotFoundError(f"read_asc: no such file: {source!r}. Fix: check the path.")
    collector = getattr(morphio, "WarningHandlerCollector", None)  # absent in older MorphIO
    collector = collector() if collector is not None else None
    try:
        m = (morphio.Morphology(source, warning_handler=collector) if collector is not None
             else morphio.Morphology(source))
    except morphio.MorphioError as exc:
        msg = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).split())
        raise MorphologyError(f"ASC {source}: MorphIO cannot read it: {msg}. Fix: repair the file "
                              "at the place MorphIO names (check it in NeuroM or Neurolucida).",
                              source=source) from None
    for w in collector.get_all() if collector is not None else ():
        warnings.warn(f"ASC {source}: MorphIO: {getattr(w, 'warning', w)}", stacklevel=2)
    return _convert(m, source, factor, allow_no_soma)


def _soma_cylinder(m: Any, factor: float) -> np.ndarray:
    """(2, 4) points of the soma cylinder (µm)."""
    import morphio

    pts = np.asarray(m.soma.points, dtype=np.float64) * factor
    centre = np.asarray(m.soma.center, dtype=np.float64) * factor
    try:
        area = float(m.soma.surface) * factor**2
    except morphio.MorphioError:  # contour somas: NeuroM's convention
        r = float(np.mean(np.linalg.norm(pts - centre, axis=1)))
        area = 4.0 * math.pi * r**2
    if not area > 0:  # degenerate contour: fall back to the sample diameters
        d = float(np.mean(np.asarray(m.soma.diameters))) * factor
        area = math.pi * d * d
    d = math.sqrt(area / math.pi)
    axis = np.array([0.0, 1.0, 0.0])
    if len(pts) >= 2:
        _, sv, vt = np.linalg.svd(pts - pts.mean(axis=0))
        if sv[0] > 0:
            axis = vt[0] * (1.0 if vt[0][np.argmax(np.abs(vt[0]))] > 0 else -1.0)
    a, b = centre - axis * d / 2, centre + axis * d / 2
    return np.array([[*a, d], [*b, d]])


def _convert(m: Any, source: str, factor: float, allow_no_soma: bool) -> Morphology:
    regions: list[str] = []
    points: list[np.ndarray] = []
    parents: list[int] = []
    xs: list[float] = []
    roots = list(m.root_sections)
    if len(m.soma.points):
        regions.append("soma")
        points.append(_soma_cylinder(m, factor))
        parents.append(-1)
        xs.append(0.0)
        pending = [(s, 0, 0.5) for s in reversed(roots)]
    elif allow_no_soma and len(roots) == 1:
        pending = [(roots[0], -1, 0.0)]
    else:
        raise MorphologyError(f"ASC {source}: has no soma ({len(roots)} root sections). Fix: add the "
                              "CellBody contour, or pass allow_no_soma=True for a single-tree file.",
                              source=source)
    while pending:
        sec, parent, x = pending.pop()
        pts = np.column_stack([np.asarray(sec.points, dtype=np.float64),
                               np.asarray(sec.diameters, dtype=np.float64)]) * factor
        if len(pts) < 2:
            if parent < 0 or len(pts) == 0:
                raise MorphologyError(f"ASC {source}: section {sec.id} has {len(pts)} point(s); "
                                      "need >= 2. Fix: remove or extend that section.", source=source)
            anchor = points[0].mean(axis=0) if regions[parent] == "soma" else points[parent][-1]
            pts = np.vstack([[*anchor[:3], pts[0, 3]], pts])
        if not (np.all(np.isfinite(pts)) and np.all(pts[:, 3] > 0)):
            raise MorphologyError(f"ASC {source}: section {sec.id} (MorphIO id) has non-finite values "
                                  f"or diameters <= 0 µm (minimum {np.min(pts[:, 3]):g}). Fix: give "
                                  "every point a positive diameter.", source=source)
        regions.append(region_of_swc_type(int(sec.type)))
        points.append(pts)
        parents.append(parent)
        xs.append(x)
        k = len(regions) - 1
        pending.extend((c, k, 1.0) for c in reversed(list(sec.children)))
    names = section_names(regions)
    return Morphology(tuple(Section(n, r, p, q, x) for n, r, p, q, x
                            in zip(names, regions, points, parents, xs)), source)
