"""Helpers to build parameter sweeps for ``simulate(..., batch=...)``."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["grid"]


def grid(**axes: Any) -> dict[str, np.ndarray]:
    """Full factorial sweep: ``grid(g_na=[100, 120], **{"stimulus.amplitude": [5, 10, 15]})``.

    Returns a ``batch`` mapping whose arrays have shape ``(len(axis1), len(axis2), ...)``, so the
    result's batch shape is the grid's shape.
    """
    names = list(axes)
    arrays = [np.asarray(axes[k], dtype=float) for k in names]
    mesh = np.meshgrid(*arrays, indexing="ij")
    return dict(zip(names, mesh))
