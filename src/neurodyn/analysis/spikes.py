"""Spike-train statistics (times in ms, rates in Hz)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["adaptation_index", "firing_rate", "isi", "isi_stats"]


def _times(times: Any) -> np.ndarray:
    t = np.asarray(times, dtype=float).ravel()
    if t.size > 1 and np.any(np.diff(t) < 0):
        t = np.sort(t)
    return t


def firing_rate(times: Any, t_start: float, t_stop: float) -> float:
    """Mean rate (Hz) of the spikes in ``[t_start, t_stop)`` (ms)."""
    if t_stop <= t_start:
        raise ValueError(f"firing_rate: t_stop ({t_stop} ms) must be > t_start ({t_start} ms).")
    t = _times(times)
    n = np.count_nonzero((t >= t_start) & (t < t_stop))
    return n / ((t_stop - t_start) * 1e-3)


def isi(times: Any) -> np.ndarray:
    """Interspike intervals (ms)."""
    return np.diff(_times(times))


def isi_stats(times: Any) -> dict[str, float]:
    """``n_spikes``, ``mean`` and ``std`` of the ISIs (ms), ``cv`` (std/mean), and ``rate`` (Hz,
    1000/mean ISI). NaN where undefined (fewer than 2 or 3 spikes)."""
    t = _times(times)
    d = np.diff(t)
    mean = float(d.mean()) if d.size else float("nan")
    std = float(d.std(ddof=1)) if d.size > 1 else float("nan")
    return {
        "n_spikes": int(t.size),
        "mean": mean,
        "std": std,
        "cv": std / mean if d.size > 1 and mean > 0 else float("nan"),
        "rate": 1000.0 / mean if d.size and mean > 0 else float("nan"),
    }


def adaptation_index(times: Any, skip: int = 0) -> float:
    """Mean of ``(ISI[k+1] - ISI[k]) / (ISI[k+1] + ISI[k])`` after dropping ``skip`` ISIs.

    Positive for adapting trains, about 0 for tonic ones, negative for accelerating ones
    (Naud et al. 2008; eFEL's ``adaptation_index2`` uses the same definition).
    """
    d = isi(times)[skip:]
    if d.size < 2:
        return float("nan")
    return float(np.mean((d[1:] - d[:-1]) / (d[1:] + d[:-1])))
