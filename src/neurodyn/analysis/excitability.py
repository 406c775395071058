"""f–I curves and rheobase, computed with batched simulations (one compiled call per sweep)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..stimuli import Step

__all__ = ["FICurve", "fi_curve", "rheobase"]


@dataclass
class FICurve:
    """Firing rate (Hz) against step amplitude (model input unit)."""

    amplitudes: np.ndarray
    rates: np.ndarray
    unit: str
    measure: str
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def plot(self, ax: Any = None, **kw: Any) -> Any:
        from ..plotting import plot_fi

        return plot_fi(self, ax=ax, **kw)


def _rates(res: Any, start: float, stop: float, measure: str, transient: float) -> np.ndarray:
    rates = np.zeros(res.batch_shape)
    for i, tr in enumerate(res.spikes.trains()):
        tr = tr[(tr >= start + transient) & (tr < stop)]
        if measure == "count":
            rates.flat[i] = tr.size / ((stop - start - transient) * 1e-3)
        else:  # "isi": steady-state rate from the mean interval
            rates.flat[i] = 1000.0 / np.mean(np.diff(tr)) if tr.size >= 2 else 0.0
    return rates


def fi_curve(
    model: Any,
    amplitudes: Any,
    *,
    duration: float = 1000.0,
    delay: float = 0.0,
    dt: float = 0.01,
    method: str | None = None,
    measure: str = "isi",
    transient: float = 0.0,
    **simulate_kw: Any,
) -> FICurve:
    """Firing rate against the amplitude of a current step, in one batched simulation.

    Parameters
    ----------
    amplitudes: step amplitudes in the model's input unit.
    duration, delay: step duration and onset (ms); the run lasts ``delay + duration``.
    measure: ``"isi"`` (1000 / mean ISI of the spikes after ``transient`` ms: the steady-state
        rate) or ``"count"`` (spikes after ``transient`` per second).
    """
    from .. import simulate

    if measure not in ("isi", "count"):
        raise ParameterError(f"fi_curve.measure must be 'isi' or 'count'; got {measure!r}.")
    amps = np.atleast_1d(np.asarray(amplitudes, dtype=float))
    res = simulate(model, delay + duration, dt, stimulus=Step(amplitude=0.0, start=delay),
                   batch={"stimulus.amplitude": amps}, record=(), method=method, **simulate_kw)
    rates = _rates(res, delay, delay + duration, measure, transient)
    return FICurve(amps, rates, model.input_unit, measure, np.asarray(res.spike_counts()))


def rheobase(
    model: Any,
    low: float,
    high: float,
    *,
    duration: float = 500.0,
    delay: float = 10.0,
    dt: float = 0.01,
    rtol: float = 1e-4,
    n_probe: int = 16,
    method: str | None = None,
    **simulate_kw: Any,
) -> float:
    """Smallest step amplitude (model input unit) that evokes at least one spike.

    The bracket ``[low, high]`` (``low`` silent, ``high`` firing) is narrowed by probing
    ``n_probe`` amplitudes per batched simulation until its width is below ``rtol * high``;
    returns the upper end of the final bracket. The step lasts ``duration`` ms after ``delay``.
    """
    from .. import simulate

    if not high > low:
        raise ParameterError(f"rheobase: high ({high}) must be > low ({low}).")

    def counts(amps: np.ndarray) -> np.ndarray:
        r = simulate(model, delay + duration, dt, stimulus=Step(amplitude=0.0, start=delay),
                     batch={"stimulus.amplitude": amps}, record=(), method=method, **simulate_kw)
        return np.asarray(r.spike_counts())

    c = counts(np.array([low, high]))
    if c[0] > 0:
        raise ParameterError(
            f"rheobase: the lower bound {low} {model.input_unit} already fires ({c[0]} spikes). "
            "Fix: lower 'low'."
        )
    if c[1] == 0:
        raise ParameterError(
            f"rheobase: the upper bound {high} {model.input_unit} evokes no spike in {duration} ms. "
            "Fix: raise 'high' or lengthen 'duration'."
        )
    for _ in range(200):
        if high - low <= rtol * abs(high):
            break
        probes = np.linspace(low, high, n_probe + 2)[1:-1]
        fired = counts(probes) > 0
        k = int(np.argmax(fired)) if fired.any() else n_probe
        high = probes[k] if fired.any() else high
        low = probes[k - 1] if k > 0 else low
    return float(high)
