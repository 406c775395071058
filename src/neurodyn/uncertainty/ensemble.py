"""Uncertainty propagation: parameter samples (a posterior, or ranges) run as one batched ensemble
through a model, giving the distribution of each output with intervals."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["Propagation", "propagate", "uniform_samples"]


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
