"""Neuron morphologies: SWC and Neurolucida ASC readers, simple builders, morphometrics, plots.

All lengths and diameters are in µm. A :class:`Morphology` is a tree of :class:`Section` objects
(``(n, 4)`` points ``[x, y, z, diameter]``), parents before children, the soma first.

Soma conventions (in the spirit of NEURON's Import3d):

* SWC one-point soma (one type-1 sample, radius r): a cylinder along y centred on the sample,
  points ``(x, y - r, z, 2r)`` and ``(x, y + r, z, 2r)``; its lateral area is 4πr², the sphere's.
* SWC three-point soma (NeuroMorpho: three type-1 samples, the root and two children of it, at
  ±r along y, radius r, within 5 %): the same cylinder, from the root sample's position and
  radius. Three type-1 samples in any other layout are a line soma (next item).
* Other SWC somas (type-1 samples forming one unbranched line: a chain from the root, or two
  chains leaving the root in both directions, as NeuroMorpho's CA1 files have): one section
  through the samples in line order (the second chain reversed, the root, the first chain).
  Branching type-1 samples raise :class:`~neurodyn.errors.MorphologyError`.
* ASC soma contour: a cylinder along the contour's principal axis with ``L = diam = sqrt(A/π)``
  (``A``: soma surface area; see :mod:`.asc`), centred on the soma centre.
* The soma must contain the tree's root (SWC: the sample with parent -1 has type 1).
* Sections leaving the soma start at their own first sample (no soma point is prepended, unless
  the section would have only one point; then the soma sample it attaches to is prepended, with
  the child's diameter). They attach at ``parent_x = 0.5``, or at the arc
  fraction of the soma sample they leave from (a line soma).
* Neurite sections are maximal unbranched runs of samples of one type: a section ends at a
  branch point (>= 2 children), a tip, or where the type changes. A child section starts with
  its parent's last x, y, z and its own first sample's diameter (``parent_x = 1.0``).
* Without a soma (``allow_no_soma=True``) the root sample's run is the root section; if the root
  sample itself branches, its first child's run continues the root section and the other children
  attach at ``parent_x = 0.0``.
* Sections are ordered depth-first from the root, children in file order; names are numbered per
  region in that order (``soma``, ``dend[i]``, ``apic[i]``, ``axon[i]``, ``custom5[i]``...).
* Path distances are measured along the tree from the midpoint of the root section.
"""

from __future__ import annotations

import os

from ..errors import MorphologyError
from .asc import read_asc
from .builders import ball_and_stick, cylinder, y_branch
from .plot import plot_morphology
from .swc import parse_swc_text, read_swc
from .tree import Morphology, MorphologySummary, Section, region_of_swc_type

__all__ = [
    "Morphology",
    "MorphologyError",
    "MorphologySummary",
    "Section",
    "ball_and_stick",
    "cylinder",
    "parse_swc_text",
    "plot_morphology",
    "read",
    "read_asc",
    "read_morphology",
    "read_swc",
    "region_of_swc_type",
    "y_branch",
]


def read_morphology(path: str | os.PathLike[str], **options: object) -> Morphology:
    """Read a morphology file, choosing the reader by extension: ``.swc`` → :func:`read_swc`,
    ``.asc``/``.h5`` → :func:`read_asc` (MorphIO). ``options`` go to the reader."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext == ".swc":
        return read_swc(path, **options)  # type: ignore[arg-type]
    if ext in (".asc", ".h5"):
        return read_asc(path, **options)  # type: ignore[arg-type]
    raise MorphologyError(f"read_morphology: unknown file type {ext!r} for {os.fspath(path)!r}; "
                          "expected .swc, .asc or .h5. Fix: call read_swc or read_asc directly.",
                          source=os.fspath(path))


read = read_morphology
"""Alias of :func:`read_morphology` (``neurodyn.morphology.read("cell.swc")``)."""
