"""Spatial discretisation of a morphology into the nodes of a cable equation.

The layout and the geometry are NEURON's (Hines & Carnevale 1997; ``nrnoc/treeset.cpp``):

* a section of ``nseg`` segments has a node at the centre of each segment and a zero-area node
  at its 1-end; its 0-end is the node of the parent it attaches to (the root section has a
  zero-area node of its own at its 0-end);
* a child attached at ``x`` of its parent connects to the parent's 1-end node (``x = 1``), to
  the parent's 0-end node (``x = 0``) or to the centre node of the parent segment containing
  ``x``;
* segment areas and the axial resistances of half segments are integrated piecewise over the
  3-D points (frusta with linearly interpolated diameter; NEURON's ``diam_from_list``); the
  resistance between a node and its parent is the sum of the adjoining half segments.

Numbers of segments per section follow one of three rules (:func:`fixed`, :func:`max_length`,
:func:`d_lambda`, the last as NEURON's ``geom_nseg`` defines it).

Units: lengths and diameters in µm, areas in µm², axial conductances in µS, ``Ra`` in Ω·cm,
``cm`` in µF/cm².
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["Nodes", "NsegRule", "d_lambda", "discretize", "fixed", "lambda_f", "max_length"]


@dataclass(frozen=True)
class NsegRule:
    """How many segments each section gets (see :func:`fixed`, :func:`max_length`,
    :func:`d_lambda`); ``overrides`` maps section names to explicit counts."""

    kind: str
    value: float
    freq: float = 100.0
    overrides: tuple[tuple[str, int], ...] = ()

    def with_overrides(self, overrides: Mapping[str, int]) -> NsegRule:
        return NsegRule(self.kind, self.value, self.freq, tuple(sorted(overrides.items())))

    def nseg(self, sec: Any, points: np.ndarray, ra: float, cm: float) -> int:
        for name, n in self.overrides:
            if name == sec.name:
                return int(n)
        length = float(_arc(points)[-1])
        if self.kind == "fixed":
            return int(self.value)
        if self.kind == "max_length":
            return max(1, math.ceil(length / self.value - 1e-9))
        lam = lambda_f(points, self.freq, ra, cm)
        return int((length / (self.value * lam) + 0.9) / 2) * 2 + 1


def fixed(n: int) -> NsegRule:
    """Every section gets ``n`` segments."""
    try:
        ok = int(n) == n and n >= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"fixed(n): n (segments per section) must be a positive integer; got "
                             f"{n!r}. Fix: e.g. fixed(3).")
    return NsegRule("fixed", int(n))


def max_length(length: float) -> NsegRule:
    """Segments no longer than ``length`` µm: ``nseg = ceil(L / length)``."""
    if not length > 0:
        raise ParameterError(f"max_length(length) must be > 0 um; got {length!r}. Fix: e.g. 20 um.")
    return NsegRule("max_length", float(length))


def d_lambda(d_lambda: float = 0.1, freq: float = 100.0) -> NsegRule:
    """NEURON's d_lambda rule (``stdlib.hoc``, ``geom_nseg``): ``nseg = int((L/(d_lambda
    lambda_f) + 0.9)/2)*2 + 1``, an odd count with segments no longer than ``d_lambda`` times
    the AC length constant at ``freq`` Hz (Hines & Carnevale 2001)."""
    if not d_lambda > 0:
        raise ParameterError(f"d_lambda must be > 0 (fraction of a length constant); got {d_lambda!r}. "
                             "Fix: NEURON's default is 0.1.")
    if not freq > 0:
        raise ParameterError(f"d_lambda freq must be > 0 Hz; got {freq!r}. Fix: NEURON's default is 100 Hz.")
    return NsegRule("d_lambda", float(d_lambda), float(freq))


def lambda_f(points: np.ndarray, freq: float, ra: float, cm: float) -> float:
    """AC length constant (µm) at ``freq`` Hz of a section given by 3-D points (NEURON's
    ``lambda_f``: the length of the section divided by its electrotonic length, integrated over
    the points as ``sum dx / sqrt(d1 + d2)``)."""
    arc = _arc(points)
    d = np.abs(points[:, 3])
    if len(arc) < 2:
        return 1e5 * math.sqrt(d[0] / (4 * math.pi * freq * ra * cm))
    lam = float(np.sum(np.diff(arc) / np.sqrt(d[:-1] + d[1:])))
    lam *= math.sqrt(2.0) * 1e-5 * math.sqrt(4 * math.pi * freq * ra * cm)
    return float(arc[-1]) / lam


def _arc(points: np.ndarray) -> np.ndarray:
    steps = np.sqrt(np.sum(np.diff(points[:, :3], axis=0) ** 2, axis=1))
    return np.concatenate([[0.0], np.cumsum(steps)])


def _segment_geometry(points: np.ndarray, nseg: int, ra: float) -> tuple[np.ndarray, np.ndarray,
                                                                           np.ndarray]:
    """NEURON's ``diam_from_list`` over all segments of one section.

    Returns ``(area, r_left, r_right)``: segment areas (µm²) and the resistances (MΩ) of the
    left and right half of each segment.
    """
    arc = _arc(points)
    diam = np.abs(points[:, 3])
    npt = len(arc)
    ds = arc[-1] / nseg
    area = np.zeros(nseg)
    r_halves = np.zeros((nseg, 2))
    j = 0
    x1, y1 = arc[0], diam[0]
    for inode in range(nseg):
        si = inode * ds
        a = 0.0
        for ihalf in range(2):
            ri = 0.0
            sip = si + ds / 2.0
            while True:
                jp = j + 1
                xj, xjp = arc[j], arc[jp]
                if xjp > sip or jp == npt - 1:
                    frac = 1.0 if abs(xjp - xj) < 1e-10 else (sip - xj) / (xjp - xj)
                    x2 = sip
                    y2 = (1.0 - frac) * diam[j] + frac * diam[jp]
                    jnext = j
                else:
                    x2, y2, jnext = xjp, diam[jp], jp
                delta = x2 - x1
                if delta < 1e-15:
                    delta = 1e-15
                temp = y2 * y1 / delta
                if temp == 0:
                    temp = 1e-15
                ri += 1.0 / temp
                half = 0.5 * (y2 - y1)
                a += (y2 + y1) * math.sqrt(delta * delta + half * half)
                x1, y1 = x2, y2
                if j == jnext:
                    break
                j = jnext
            r_halves[inode, ihalf] = ri * ra / math.pi * (4.0 * 0.01)
            si = sip
        area[inode] = a * 0.5 * math.pi
    return area, r_halves[:, 0], r_halves[:, 1]


def _cylinder_geometry(length: float, diam: float, nseg: int, ra: float) -> tuple[np.ndarray,
                                                                                  np.ndarray,
                                                                                  np.ndarray]:
    """NEURON's formulas for a section given by ``L`` and ``diam`` alone (no 3-D points)."""
    dx = length / nseg
    area = np.full(nseg, math.pi * diam * dx)
    r_half = 1e-2 * ra * (dx / 2) / (math.pi * diam * diam / 4.0)
    return area, np.full(nseg, r_half), np.full(nseg, r_half)


def _is_cylinder(points: np.ndarray) -> bool:
    return len(points) == 2 and points[0, 3] == points[1, 3]


@dataclass(frozen=True)
class Nodes:
    """The discretised cell: one entry per node, in an order where every node's parent comes
    first (Hines order), node 0 the root.

    Attributes
    ----------
    parent: parent node index (-1 for the root).
    area: membrane area (µm²); 0 for the zero-area section-end and root nodes.
    g_axial: conductance (µS) between a node and its parent (0 for the root).
    section: section index of each node.
    x: position of each node on its section (0…1; segment centres at (i + 0.5)/nseg).
    nseg: segments per section.
    first: index of each section's first centre node.
    path: path distance (µm) of each node from the root section's midpoint.
    """

    parent: np.ndarray
    area: np.ndarray
    g_axial: np.ndarray
    section: np.ndarray
    x: np.ndarray
    nseg: np.ndarray
    first: np.ndarray
    end: np.ndarray
    path: np.ndarray

    @property
    def n(self) -> int:
        return len(self.parent)

    @property
    def membrane(self) -> np.ndarray:
        """Indices of the nodes with membrane (segment centres)."""
        return np.nonzero(self.area > 0)[0]

    def node_at(self, section: int, x: float) -> int:
        """The node NEURON associates with point ``x`` of ``section``: the 0-end is the node the
        section attaches to, the 1-end its end node, otherwise the centre of the segment
        containing ``x``."""
        x = float(x)
        if not 0.0 <= x <= 1.0:
            raise ParameterError(f"location x must be in [0, 1]; got {x!r}. Fix: 0 is the start of "
                                 "the section, 1 its end, 0.5 its middle.")
        if x == 1.0:
            return int(self.end[section])
        if x == 0.0:
            return int(self.parent[self.first[section]])
        k = min(int(x * self.nseg[section]), int(self.nseg[section]) - 1)
        return int(self.first[section] + k)


def discretize(sections: Sequence[Any], rule: NsegRule, ra: Sequence[float], cm: Sequence[float],
               *, float32_points: bool = False,
               path_of: Callable[[int, float], float] | None = None) -> Nodes:
    """Nodes and geometry of a tree of sections.

    ``sections`` are objects with ``points`` ((n, 4) µm: x, y, z, diameter), ``parent`` (index,
    -1 for the root) and ``parent_x``, parents before children. ``ra`` and ``cm`` are per section
    (Ω·cm, µF/cm²; ``cm`` only enters the d_lambda rule). ``float32_points=True`` rounds 3-D
    points to single precision as NEURON stores them (``Pt3d``); two-point constant-diameter
    sections are then taken as NEURON's stylised (``L``, ``diam``) sections.
    """
    n_sec = len(sections)
    nseg = np.zeros(n_sec, dtype=np.int64)
    first = np.zeros(n_sec, dtype=np.int64)
    end = np.zeros(n_sec, dtype=np.int64)
    parent: list[int] = [-1]
    area: list[float] = [0.0]
    g_ax: list[float] = [0.0]
    sec_of: list[int] = [0]
    xs: list[float] = [0.0]
    lengths: list[float] = []
    for i, sec in enumerate(sections):
        pts = np.asarray(sec.points, dtype=np.float64)
        if sec.parent >= i:
            raise ParameterError(
                f"section {i} ({getattr(sec, 'name', '?')}) has parent {sec.parent}, which does not "
                "come before it. Fix: order sections parents first (Morphology does this).")
        cyl = _is_cylinder(pts)
        if float32_points and not cyl:
            pts = pts.astype(np.float32).astype(np.float64)
        n = rule.nseg(sec, pts, float(ra[i]), float(cm[i]))
        if n < 1:
            raise ParameterError(f"section {sec.name}: nseg must be >= 1; got {n}.")
        nseg[i] = n
        length = float(_arc(pts)[-1])
        if length <= 0:
            raise ParameterError(f"section {getattr(sec, 'name', i)} has zero length. Fix: give it "
                                 "at least two distinct 3-D points.")
        if cyl:
            a, r_left, r_right = _cylinder_geometry(length, float(pts[0, 3]), n, float(ra[i]))
        else:
            a, r_left, r_right = _segment_geometry(pts, n, float(ra[i]))
        attach = 0 if sec.parent < 0 else _node_of(sec.parent, float(sec.parent_x), first, end,
                                                   nseg, parent)
        first[i] = len(parent)
        for k in range(n):
            parent.append(attach if k == 0 else len(parent) - 1)
            area.append(float(a[k]))
            # between node k and its parent: left half of segment k + right half of k - 1
            g_ax.append(1.0 / (r_left[k] + (r_right[k - 1] if k else 0.0)))
            sec_of.append(i)
            xs.append((k + 0.5) / n)
        end[i] = len(parent)
        parent.append(len(parent) - 1)
        area.append(0.0)
        g_ax.append(1.0 / r_right[n - 1])
        sec_of.append(i)
        xs.append(1.0)
        lengths.append(length)
    par = np.array(parent)
    sec_arr, x_arr = np.array(sec_of), np.array(xs)
    path = _path_from_root_mid(sections, lengths, sec_arr, x_arr)
    return Nodes(par, np.array(area), np.array(g_ax), sec_arr, x_arr, nseg, first, end, path)


def _node_of(section: int, x: float, first: np.ndarray, end: np.ndarray, nseg: np.ndarray,
             parent: list[int]) -> int:
    if x >= 1.0:
        return int(end[section])
    if x <= 0.0:
        return int(parent[first[section]])
    return int(first[section] + min(int(x * nseg[section]), int(nseg[section]) - 1))


def _path_from_root_mid(sections: Sequence[Any], lengths: list[float], sec_arr: np.ndarray,
                        x_arr: np.ndarray) -> np.ndarray:
    """Distance (µm) along the tree from the middle of the root section to each node."""
    n_sec = len(sections)
    # distance from the root midpoint to the 0-end of each section
    start = np.zeros(n_sec)
    for i, sec in enumerate(sections):
        if sec.parent < 0:
            continue
        p, px = sec.parent, float(sec.parent_x)
        if p == 0:
            start[i] = abs(px - 0.5) * lengths[0]
        else:
            start[i] = start[p] + px * lengths[p]
    out = np.empty(len(sec_arr))
    for k, (s, x) in enumerate(zip(sec_arr, x_arr)):
        out[k] = abs(x - 0.5) * lengths[0] if s == 0 else start[s] + x * lengths[s]
    out[0] = 0.5 * lengths[0]  # the root's 0-end node
    return out
