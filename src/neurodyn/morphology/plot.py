"""2-D drawing of a morphology (matplotlib, imported lazily).

Each segment between consecutive points is a line whose width follows its mean diameter; with
``values`` (one number per section, e.g. membrane potential in mV) sections are coloured through
a colormap with a colorbar.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from .tree import Morphology

__all__ = ["plot_morphology"]

_AXES = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2), "yx": (1, 0), "zx": (2, 0), "zy": (2, 1)}


def plot_morphology(morph: Morphology, ax: Any = None, projection: str = "xy", values: Any = None,
                    cmap: Any = "viridis", color: Any = "k", width_scale: float = 0.5,
                    min_width: float = 0.3, vmin: float | None = None, vmax: float | None = None,
                    colorbar: bool = True, label: str = "") -> Any:
    """Draw ``morph`` projected on a plane and return the axes.

    Parameters
    ----------
    ax: matplotlib axes (new figure if None).
    projection: ``"xy"``, ``"xz"`` or ``"yz"`` (also reversed: ``"yx"``...).
    values: optional array of length ``n_sections``; colours each section through ``cmap``.
    color: line colour when ``values`` is None.
    width_scale: line width in points per µm of diameter; ``min_width``: smallest width (points).
    vmin, vmax: colour limits (default: data range); ``colorbar``: add one when ``values`` given;
    label: colorbar label, e.g. ``"V (mV)"``.
    """
    from matplotlib.collections import LineCollection

    from ..plotting import _axes

    if projection not in _AXES:
        raise ParameterError(f"plot_morphology: projection must be one of {', '.join(_AXES)}; got "
                             f"{projection!r}. Fix: pass projection='xy'.")
    i, j = _AXES[projection]
    segs, widths, owner = [], [], []
    for k, s in enumerate(morph.sections):
        p = s.points
        segs.append(np.stack([p[:-1][:, [i, j]], p[1:][:, [i, j]]], axis=1))
        widths.append((p[:-1, 3] + p[1:, 3]) / 2)
        owner.append(np.full(len(p) - 1, k))
    lines = np.concatenate(segs)
    lw = np.maximum(np.concatenate(widths) * float(width_scale), float(min_width))
    ax = _axes(ax, figsize=(5.0, 5.0))
    lc = LineCollection(list(lines), linewidths=lw, capstyle="round")
    if values is not None:
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.shape != (len(morph.sections),):
            raise ParameterError(f"plot_morphology: values must have one entry per section "
                                 f"({len(morph.sections)}); got shape {np.shape(values)}. Fix: pass "
                                 "an array of length n_sections.")
        lc.set_array(v[np.concatenate(owner)])
        lc.set_cmap(cmap)
        lc.set_clim(vmin if vmin is not None else np.nanmin(v), vmax if vmax is not None else np.nanmax(v))
    else:
        lc.set_color(color)
    ax.add_collection(lc)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(f"{projection[0]} (µm)")
    ax.set_ylabel(f"{projection[1]} (µm)")
    if values is not None and colorbar:
        ax.figure.colorbar(lc, ax=ax, label=label)
    return ax
