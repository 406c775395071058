"""Uncertainty propagation: parameter samples (a posterior, or ranges) run as one batched ensemble
through a model or a network, giving the distribution of each output with intervals.

Network outputs (:func:`network_outputs`) per parameter set, from one population's spikes over a
window: the mean rate (Hz); the synchrony measure χ of Golomb (2007), the SD of the population's
binned mean activity over the mean SD of the single neurons' binned activity (1 when all neurons
fire together, about 1/√N for independent neurons); and the oscillation power, the fraction of
the population rate's variance in a frequency band, with the frequency of the spectral peak.

Reference: Golomb D (2007). Neuronal synchrony measures. Scholarpedia 2(1):1347.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["NETWORK_OUTPUTS", "Propagation", "network_outputs", "propagate", "synchrony",
           "uniform_samples"]

NETWORK_OUTPUTS = ("rate", "synchrony", "band_power", "peak_hz")


@dataclass
class Propagation:
    """Outputs of an ensemble: ``x`` ``(n, d)`` the parameter samples, ``y`` ``{output: (n,)}``,
    ``level`` of the central intervals; :meth:`summary` gives mean, SD, median and interval per
    output (undefined values, NaN, are counted and left out)."""

    names: tuple[str, ...]
    x: np.ndarray
    y: dict[str, np.ndarray]
    level: float
    wall_s: float

    def summary(self) -> dict[str, dict[str, float]]:
        a = (1.0 - self.level) / 2.0
        out = {}
        for k, v in self.y.items():
            ok = v[np.isfinite(v)]
            if ok.size == 0:
                out[k] = {"n": 0, "undefined": int(v.size)}
                continue
            lo, med, hi = np.quantile(ok, [a, 0.5, 1.0 - a])
            out[k] = {"n": int(ok.size), "undefined": int(v.size - ok.size),
                      "mean": float(ok.mean()), "sd": float(ok.std(ddof=1)) if ok.size > 1
                      else 0.0, "median": float(med), "lo": float(lo), "hi": float(hi)}
        return out

    def table(self) -> str:
        pct = f"{100 * self.level:g} %"
        rows = [f"| output | mean | SD | median | {pct} interval | undefined |",
                "|---|---|---|---|---|---|"]
        for k, s in self.summary().items():
            if s["n"] == 0:
                rows.append(f"| {k} | - | - | - | - | {s['undefined']} |")
                continue
            rows.append(f"| {k} | {s['mean']:.4g} | {s['sd']:.3g} | {s['median']:.4g} | "
                        f"[{s['lo']:.4g}, {s['hi']:.4g}] | {s['undefined']} |")
        return "\n".join(rows)

    def plot(self, path: str | None = None, units: Mapping[str, str] | None = None) -> Any:
        """Histogram of each output with its median and central interval."""
        from ..plotting import _figure

        outs = list(self.y)
        fig = _figure((3.3 * len(outs), 2.8))
        axes = np.atleast_1d(fig.subplots(1, len(outs), squeeze=False)[0])
        summ = self.summary()
        for ax, k in zip(axes, outs):
            v = self.y[k][np.isfinite(self.y[k])]
            ax.hist(v, bins=40, color="C0", alpha=0.8)
            s = summ[k]
            if s["n"]:
                ax.axvline(s["median"], color="k", lw=1)
                ax.axvspan(s["lo"], s["hi"], color="C1", alpha=0.2,
                           label=f"{100 * self.level:g} % interval")
            ax.set_xlabel(k + (f" ({units[k]})" if units and k in units else ""))
            ax.set_yticks([])
        axes[0].legend(fontsize=7, frameon=False)
        fig.suptitle(f"ensemble of {self.x.shape[0]} parameter sets")
        if path:
            fig.savefig(path, dpi=110)
        return fig


def uniform_samples(params: Sequence[Any], n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` parameter sets ``(n, d)`` uniform in each parameter's search coordinate
    (:class:`~neurodyn.fitting.FreeParameter` or ``(path, low, high[, transform])``)."""
    from ..fitting.problem import as_free_parameters as _params
    from ..fitting.problem import from_unit

    ps = _params(params, "uniform_samples")
    return from_unit(ps, np.random.default_rng(seed).random((int(n), len(ps))))


def propagate(fn: Callable[[np.ndarray], Any], samples: Any, *,
              names: Sequence[str] | None = None, level: float = 0.9) -> Propagation:
    """Run parameter ``samples`` ``(n, d)`` (physical units; e.g. posterior samples, or
    :func:`uniform_samples`) through the batched function ``fn`` (as for
    :func:`~neurodyn.uncertainty.sobol`: ``x (n, d) -> (n,)``, ``(n, k)`` or ``{output: (n,)}``)
    in one call, and summarise the output distributions with central ``level`` intervals."""
    from .sensitivity import _outputs

    x = np.atleast_2d(np.asarray(samples, dtype=float))
    if x.shape[0] < 2:
        raise ParameterError(f"propagate: need at least 2 samples for a distribution; got "
                             f"{x.shape[0]}.")
    if not 0 < level < 1:
        raise ParameterError(f"propagate.level must be in (0, 1); got {level!r}.")
    t0 = time.perf_counter()
    y = _outputs(fn(x), x.shape[0], "propagate")
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(x.shape[1]))
    return Propagation(names, x, y, level, time.perf_counter() - t0)


def synchrony(counts: Any) -> float:
    """Golomb's χ of binned spike counts ``(n_neurons, n_bins)``: ``sqrt(var(mean over neurons)
    / mean over neurons of var)``; NaN when no neuron's activity varies."""
    c = np.asarray(counts, dtype=float)
    var_i = c.var(axis=1)
    den = var_i.mean()
    return float(np.sqrt(c.mean(axis=0).var() / den)) if den > 0 else float("nan")


def _band_power(rate: np.ndarray, bin_ms: float, band: tuple[float, float]) -> tuple[float, float]:
    x = rate - rate.mean()
    if not np.any(x):
        return 0.0, float("nan")
    f = np.fft.rfftfreq(x.size, bin_ms / 1000.0)
    pw = np.abs(np.fft.rfft(x)) ** 2
    pw[0] = 0.0
    sel = (f >= band[0]) & (f <= band[1])
    return float(pw[sel].sum() / pw.sum()), float(f[np.argmax(pw)])


def network_outputs(net: Any, paths: Sequence[str], outputs: Sequence[str] = ("rate",), *,
                    t_stop: float, dt: float, population: str | None = None,
                    window: tuple[float, float] | None = None, bin_ms: float = 1.0,
                    band: tuple[float, float] = (30.0, 80.0),
                    **simulate_kwargs: Any) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """A batched function ``x (n, d) -> {output: (n,)}`` that runs ``net`` with the batch keys
    ``paths`` (``"<population>.<parameter>"``, ``"<projection label>.weight_scale"``; see
    :mod:`neurodyn.network.batch`) set from the rows of ``x``, all ``n`` copies in one compiled
    run, and measures :data:`NETWORK_OUTPUTS` of ``population`` (default: the first) over
    ``window`` (ms): ``rate`` (Hz), ``synchrony`` (χ, bins of ``bin_ms``), ``band_power`` (the
    fraction of the population rate's variance in ``band``, Hz) and ``peak_hz``."""
    from ..network.batch import simulate_batch

    unknown = [o for o in outputs if o not in NETWORK_OUTPUTS]
    if unknown or not outputs:
        raise ParameterError(f"network_outputs: unknown output {unknown[0] if unknown else None!r}."
                             f" Known: {', '.join(NETWORK_OUTPUTS)}.")
    pop = population or net.populations[0].name
    sizes = {p.name: p.size for p in net.populations}
    if pop not in sizes:
        raise ParameterError(f"network_outputs: no population {pop!r}; populations: "
                             f"{', '.join(sizes)}.")
    start, stop = window if window is not None else (0.0, float(t_stop))
    if not 0.0 <= start < stop <= t_stop or not bin_ms >= dt:
        raise ParameterError(f"network_outputs: need 0 <= start < stop <= t_stop ({t_stop:g} ms) "
                             f"and bin_ms >= dt; got window={window!r}, bin_ms={bin_ms!r}.")
    paths = tuple(paths)
    n_bins = int((stop - start) // bin_ms)

    def fn(x: np.ndarray) -> dict[str, np.ndarray]:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        res = simulate_batch(net, {p: x[:, j] for j, p in enumerate(paths)}, t_stop, dt,
                             **simulate_kwargs)
        out: dict[str, list[float]] = {o: [] for o in outputs}
        for r in res:
            sp = r.spikes[pop]
            t, ids = np.asarray(sp.times), np.asarray(sp.ids)
            sel = (t >= start) & (t < start + n_bins * bin_ms)
            b = ((t[sel] - start) // bin_ms).astype(int)
            counts = np.zeros((sizes[pop], n_bins))
            np.add.at(counts, (ids[sel], b), 1.0)
            rate = counts.sum(0) / sizes[pop] / (bin_ms / 1000.0)
            frac, peak = _band_power(rate, bin_ms, band)
            vals = {"rate": float(sel.sum() / sizes[pop] / ((stop - start) / 1000.0)),
                    "synchrony": synchrony(counts), "band_power": frac, "peak_hz": peak}
            for o in outputs:
                out[o].append(vals[o])
        return {o: np.array(v) for o, v in out.items()}

    return fn
