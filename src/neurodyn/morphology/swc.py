"""SWC reader with errors that name the file, line number and sample id.

Format: one sample per line, ``id type x y z radius parent`` (whitespace or tabs); ``#`` starts a
comment (whole line or the rest of a line); blank lines are skipped. Exactly 7 columns are
required: lines with more or fewer are rejected (extensions with extra columns are not guessed).
``id``, ``type`` and ``parent`` must be integers (``"3.0"`` is accepted); ``parent`` is -1 for the
root. Coordinates and radii are in the file's unit (µm unless ``unit``/``scale`` say otherwise);
samples may come in any order. The tree must have a single root and no cycles; the soma (type 1
samples) must contain the root. See :mod:`neurodyn.morphology` for how samples become sections.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

import numpy as np

from ..errors import MorphologyError, ParameterError
from .tree import Morphology, Section, region_of_swc_type, scale_factor, section_names

__all__ = ["parse_swc_text", "read_swc"]

_COLUMNS = ("id", "type", "x", "y", "z", "radius", "parent")
_MAX_ABS = 1e15  # µm, after scaling: larger values are certainly a unit or format error


@dataclass
class _Sample:
    id: int
    type: int
    xyz: np.ndarray
    r: float
    parent: int
    line: int


def _error(source: str, line: int | None, sample: int | None, problem: str, fix: str) -> MorphologyError:
    where = f"SWC {source}"
    if line is not None:
        where += f", line {line}"
    if sample is not None:
        where += f", sample {sample}"
    return MorphologyError(f"{where}: {problem} Fix: {fix}", source=source, line=line, sample=sample)


def read_swc(path_or_file: str | os.PathLike[str] | IO[str], *, scale: float = 1.0,
             unit: str | None = None, allow_no_soma: bool = False, min_radius: float | None = None,
             relabel: Mapping[int, int] | None = None) -> Morphology:
    """Read an SWC file (path or open text file); see :func:`parse_swc_text` for the options."""
    if hasattr(path_or_file, "read"):
        source = str(getattr(path_or_file, "name", "<stream>"))
        text = path_or_file.read()  # type: ignore[union-attr]
    else:
        source = os.fspath(path_or_file)  # type: ignore[arg-type]
        try:
            with open(source, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError as exc:
            raise _error(source, None, None, f"is not UTF-8 text ({exc}).",
                         "check that this is an SWC text file.") from None
    return parse_swc_text(text, source, scale=scale, unit=unit, allow_no_soma=allow_no_soma,
                          min_radius=min_radius, relabel=relabel)


def parse_swc_text(text: str, source: str = "<string>", *, scale: float = 1.0,
                   unit: str | None = None, allow_no_soma: bool = False,
                   min_radius: float | None = None,
                   relabel: Mapping[int, int] | None = None) -> Morphology:
    """Parse SWC text into a :class:`Morphology` (µm).

    Parameters
    ----------
    scale: factor applied to coordinates and radii (e.g. ``1e-3`` for nm); multiplies ``unit``.
    unit: the file's length unit, ``"um"`` (default), ``"nm"`` or ``"mm"``.
    allow_no_soma: accept a file without type-1 samples; the root sample's run becomes the root
        section (path distances are then measured from its midpoint).
    min_radius: µm; radii below it, including 0, are raised to it (negative radii still fail).
        Without it a zero radius is an error.
    relabel: ``{old_type: new_type}`` applied before sections are formed, e.g. ``{5: 0, 6: 0}``
        for files that mark fork/end points with types 5/6.

    Raises
    ------
    MorphologyError: malformed text or tree; the message names the line and sample id.
    """
    factor = scale_factor(scale, unit, "read_swc")
    if min_radius is not None and not (isinstance(min_radius, int | float) and min_radius > 0
                                       and math.isfinite(min_radius)):
        raise ParameterError(f"read_swc: min_radius must be a finite number > 0 µm or None; got "
                             f"{min_radius!r}. Fix: pass e.g. min_radius=0.05.")
    samples = _parse_lines(str(text), source, factor, min_radius is not None)
    if relabel:
        for old, new in relabel.items():
            if not (isinstance(old, int) and isinstance(new, int) and new >= 0):
                raise ParameterError(f"read_swc: relabel maps SWC types (integers >= 0) to types; "
                                     f"got {old!r}: {new!r}. Fix: pass e.g. relabel={{5: 0}}.")
        for s in samples.values():
            s.type = relabel.get(s.type, s.type)
    if min_radius is not None:
        for s in samples.values():
            s.r = max(s.r, float(min_radius))
    children, root = _topology(samples, source)
    return _build(samples, children, root, source, allow_no_soma)


def _parse_lines(text: str, source: str, factor: float, zero_ok: bool) -> dict[int, _Sample]:
    samples: dict[int, _Sample] = {}
    for lineno, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        sid = _id_hint(fields[0])
        if len(fields) != 7:
            raise _error(source, lineno, sid, f"expected 7 fields ({' '.join(_COLUMNS)}), got "
                         f"{len(fields)}: {' '.join(fields)[:80]!r}.",
                         "write one sample per line with exactly 7 whitespace-separated columns.")
        vals = []
        for k, (tok, col) in enumerate(zip(fields, _COLUMNS)):
            try:
                vals.append(float(tok))
            except ValueError:
                raise _error(source, lineno, sid, f"column {k + 1} ({col}) must be a number; got "
                             f"{tok[:40]!r}.", f"replace {tok[:40]!r} by a number.") from None
        for k in (0, 1, 6):
            v = vals[k]
            if not (math.isfinite(v) and v == int(v)):
                raise _error(source, lineno, sid, f"column {k + 1} ({_COLUMNS[k]}) must be an "
                             f"integer; got {fields[k][:40]!r}.",
                             f"give the {_COLUMNS[k]} as a whole number.")
        i, t, p = int(vals[0]), int(vals[1]), int(vals[6])
        if i < 0:
            raise _error(source, lineno, i, f"sample id must be >= 0; got {i}.",
                         "number samples with positive integers.")
        if t < 0:
            raise _error(source, lineno, i, f"type must be >= 0 (1 soma, 2 axon, 3 basal, 4 apical, "
                         f">= 5 custom); got {t}.", "use a non-negative structure type.")
        for k in (2, 3, 4, 5):
            v = vals[k] * factor
            if not (math.isfinite(vals[k]) and abs(v) <= _MAX_ABS):
                raise _error(source, lineno, i, f"{_COLUMNS[k]} must be finite with |value| <= "
                             f"{_MAX_ABS:g} µm after scaling; got {fields[k][:40]!r}.",
                             "repair the coordinate/radius or check the file's unit.")
        r = vals[5] * factor
        if r < 0 or (r == 0 and not zero_ok):
            raise _error(source, lineno, i, f"radius must be > 0 µm; got {fields[5][:40]!r}.",
                         "give a positive radius, or pass min_radius=<µm> to replace zero radii."
                         if r == 0 else "give a positive radius (column 6 is a radius, not a diameter).")
        if i in samples:
            raise _error(source, lineno, i, f"duplicate sample id {i} (first defined on line "
                         f"{samples[i].line}).", "give every sample a unique id.")
        samples[i] = _Sample(i, t, np.array(vals[2:5]) * factor, r, p, lineno)
    if not samples:
        raise _error(source, None, None, "contains no samples (only comments or blank lines).",
                     "check that this is an SWC file with lines 'id type x y z radius parent'.")
    return samples


def _id_hint(tok: str) -> int | None:
    try:
        v = float(tok)
    except ValueError:
        return None
    return int(v) if math.isfinite(v) and v == int(v) else None


def _topology(samples: dict[int, _Sample], source: str) -> tuple[dict[int, list[int]], int]:
    """Children lists (file order) and the single root; errors for bad parents, roots, cycles."""
    children: dict[int, list[int]] = {i: [] for i in samples}
    roots = []
    for s in samples.values():
        if s.parent == -1:
            roots.append(s.id)
        elif s.parent == s.id:
            raise _error(source, s.line, s.id, "is its own parent (a cycle of length 1).",
                         "set the parent to the preceding sample, or -1 for the root.")
        elif s.parent not in samples:
            raise _error(source, s.line, s.id, f"parent id {s.parent} does not exist (expected -1 "
                         "for the root or the id of another sample).",
                         "correct the parent column or add the missing sample.")
        else:
            children[s.parent].append(s.id)
    if len(roots) > 1:
        first, second = samples[roots[0]], samples[roots[1]]
        raise _error(source, second.line, second.id, f"is a second root (parent -1); the tree is "
                     f"disconnected ({len(roots)} roots, the first is sample {first.id} on line "
                     f"{first.line}).", "connect every component to the soma (one sample with "
                     "parent -1), or split the file into one file per neuron.")
    seen = set()
    if roots:
        stack = [roots[0]]
        while stack:
            i = stack.pop()
            seen.add(i)
            stack.extend(children[i])
    if len(seen) < len(samples):
        start = next(i for i in samples if i not in seen)
        path: dict[int, None] = {}
        while start not in path:
            path[start] = None
            start = samples[start].parent
        cyc = list(path)[list(path).index(start):]
        ids = " -> ".join(str(i) for i in cyc[:8]) + (" -> ..." if len(cyc) > 8 else "")
        s = samples[start]
        what = "no sample has parent -1 and " if not roots else ""
        raise _error(source, s.line, s.id, f"{what}the parent links form a cycle ({ids} -> "
                     f"{start}).", "break the cycle so that every sample leads to the root.")
    return children, roots[0]


def _build(samples: dict[int, _Sample], children: dict[int, list[int]], root: int, source: str,
           allow_no_soma: bool) -> Morphology:
    regions: list[str] = []
    points: list[np.ndarray] = []
    parents: list[int] = []
    xs: list[float] = []

    def add(region: str, pts: np.ndarray, parent: int, x: float) -> int:
        regions.append(region)
        points.append(pts)
        parents.append(parent)
        xs.append(x)
        return len(regions) - 1

    def row(i: int, xyz: np.ndarray | None = None) -> np.ndarray:
        s = samples[i]
        return np.array([*(s.xyz if xyz is None else xyz), 2.0 * s.r])

    def run(start: int) -> list[int]:
        out = [start]
        while len(children[out[-1]]) == 1 and samples[children[out[-1]][0]].type == samples[start].type:
            out.append(children[out[-1]][0])
        return out

    # pending: (first sample, parent section, parent_x, xyz to prepend when the run is 1 sample long
    # and the parent is the soma / None: prepend the parent's last point)
    pending: list[tuple[int, int, float, np.ndarray | None]] = []
    soma = [i for i in samples if samples[i].type == 1]
    if soma:
        soma_order, xs_soma = _soma(samples, children, root, soma, source)
        r = samples[root].r
        if len(soma_order) == 1 or xs_soma is None:
            c = samples[root].xyz
            pts = np.array([[c[0], c[1] - r, c[2], 2 * r], [c[0], c[1] + r, c[2], 2 * r]])
        else:
            pts = np.array([row(i) for i in soma_order])
        add("soma", pts, -1, 0.0)
        frac = dict(zip(soma_order, xs_soma)) if xs_soma is not None else {}
        kids = sorted((samples[c].line, c, i) for i in soma_order for c in children[i]
                      if samples[c].type != 1)
        pending = [(c, 0, frac.get(i, 0.5), samples[i].xyz) for _, c, i in reversed(kids)]
    else:
        if not allow_no_soma:
            raise _error(source, None, None, "has no soma (no sample of type 1).",
                         "label the soma samples with type 1, or pass allow_no_soma=True to make the "
                         "root sample's branch the root section.")
        first = run(root)
        rest: list[int] = []
        if len(first) == 1:
            if not children[root]:
                raise _error(source, samples[root].line, root, "is the only sample; a morphology "
                             "needs at least 2 samples.", "add samples to the tree.")
            cont = run(children[root][0])
            first, rest = first + cont, children[root][1:]
        k = add(region_of_swc_type(samples[root].type), np.array([row(i) for i in first]), -1, 0.0)
        pending = [(c, k, 1.0, None) for c in reversed(children[first[-1]])]
        pending += [(c, k, 0.0, samples[root].xyz) for c in reversed(rest)]
    while pending:
        start, parent, x, xyz = pending.pop()
        ids = run(start)
        rows = [row(i) for i in ids]
        if xyz is None:
            rows.insert(0, row(start, points[parent][-1, :3]))
        elif len(rows) == 1:
            rows.insert(0, row(start, xyz))
        k = add(region_of_swc_type(samples[start].type), np.array(rows), parent, x)
        pending.extend((c, k, 1.0, None) for c in reversed(children[ids[-1]]))
    names = section_names(regions)
    return Morphology(tuple(Section(n, r, p, q, x) for n, r, p, q, x
                            in zip(names, regions, points, parents, xs)), source)


def _soma(samples: dict[int, _Sample], children: dict[int, list[int]], root: int, soma: list[int],
          source: str) -> tuple[list[int], list[float] | None]:
    """Soma samples in order and each one's arc fraction (None: one-point/three-point cylinder)."""
    rs = samples[root]
    if rs.type != 1:
        first = samples[soma[0]]
        raise _error(source, rs.line, rs.id, f"is the root (parent -1) but has type {rs.type}, while "
                     f"the file has soma samples (type 1, e.g. sample {first.id} on line "
                     f"{first.line}); the soma must contain the root.",
                     "re-root the tree at the soma (e.g. with NeuroM, navis or neuTube).")
    for i in soma:
        s = samples[i]
        if i != root and samples[s.parent].type != 1:
            raise _error(source, s.line, i, f"is a soma sample (type 1) whose parent {s.parent} has "
                         f"type {samples[s.parent].type}; the soma samples must form one connected "
                         "group containing the root.", "relabel the sample or re-root the tree.")
    if len(soma) == 1:
        return [root], None
    soma_kids = {i: [c for c in children[i] if samples[c].type == 1] for i in soma}
    if len(soma) == 3 and _three_point(samples, root, soma_kids[root]):
        return [root, *soma_kids[root]], None
    arms = []
    for head in soma_kids[root]:
        arm = [head]
        while len(soma_kids[arm[-1]]) == 1:
            arm.append(soma_kids[arm[-1]][0])
        arms.append(arm)
    branching = [i for i in soma if len(soma_kids[i]) > (2 if i == root else 1)]
    if branching:
        s = samples[branching[0]]
        raise _error(source, s.line, s.id, f"the soma branches here (soma children "
                     f"{', '.join(map(str, soma_kids[s.id][:5]))}); the type-1 samples must form "
                     "one unbranched line (a chain, possibly running both ways from the root), a "
                     "single sample or the 3-point NeuroMorpho soma.",
                     "relabel the extra soma samples as neurites or reduce the soma to one sample "
                     "with the soma radius.")
    # a line through the root: the second arm reversed, the root, the first arm
    order = [*reversed(arms[1] if len(arms) > 1 else []), root, *arms[0]]
    xyz = np.array([samples[i].xyz for i in order])
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xyz, axis=0), axis=1))])
    fracs = arc / arc[-1] if arc[-1] > 0 else np.full(len(order), 0.5)
    return order, [float(f) for f in fracs]


def _three_point(samples: dict[int, _Sample], root: int, kids: list[int]) -> bool:
    """NeuroMorpho's 3-point soma: two children at -r and +r along y, all of radius r (5 %)."""
    if len(kids) != 2:
        return False
    c, r = samples[root].xyz, samples[root].r
    tol = 0.05 * r
    dy = []
    for k in kids:
        d = samples[k].xyz - c
        if abs(samples[k].r - r) > tol or abs(d[0]) > tol or abs(d[2]) > tol or abs(abs(d[1]) - r) > tol:
            return False
        dy.append(d[1])
    return dy[0] * dy[1] < 0
