"""Figures of posteriors: a pair plot (marginals on the diagonal, pairwise densities below it,
so correlations between parameters, i.e. non-uniqueness, show as ridges) and posterior
predictive traces over the data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["pair_plot", "predictive_plot"]


def pair_plot(samples: Any, names: Sequence[str], *, bounds: Sequence[tuple[float, float]] | None
              = None, truth: Mapping[str, float] | Sequence[float] | None = None,
              units: Sequence[str] | None = None, path: str | None = None,
              bins: int = 40) -> Any:
    """Pair plot of posterior ``samples`` ``(n, d)``: histograms on the diagonal, 2-D histograms
    below, the Pearson correlation above; ``truth`` (a mapping or a sequence) marked in red;
    axes span ``bounds`` (the prior) when given."""
    from ..plotting import _figure

    x = np.asarray(samples, dtype=float)
    d = x.shape[1]
    if isinstance(truth, Mapping):
        truth = [truth.get(n, np.nan) for n in names]
    fig = _figure((2.1 * d + 0.6, 2.1 * d + 0.4))
    axes = np.asarray(fig.subplots(d, d, squeeze=False))
    corr = np.corrcoef(x.T) if d > 1 else np.ones((1, 1))
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            lim = bounds[j] if bounds is not None else (x[:, j].min(), x[:, j].max())
            if i == j:
                ax.hist(x[:, i], bins=bins, range=lim, color="C0", alpha=0.8)
                ax.set_yticks([])
                if truth is not None and np.isfinite(truth[i]):
                    ax.axvline(truth[i], color="C3", lw=1.5)
                ax.set_xlim(lim)
            elif i > j:
                limy = bounds[i] if bounds is not None else (x[:, i].min(), x[:, i].max())
                ax.hist2d(x[:, j], x[:, i], bins=bins, range=[lim, limy], cmap="Blues")
                if truth is not None and np.isfinite(truth[i]) and np.isfinite(truth[j]):
                    ax.plot(truth[j], truth[i], "o", color="C3", ms=4)
            else:
                ax.axis("off")
                ax.text(0.5, 0.5, f"r = {corr[i, j]:+.2f}", ha="center", va="center",
                        transform=ax.transAxes,
                        fontsize=10, color="C3" if abs(corr[i, j]) > 0.5 else "0.3")
            if i == d - 1:
                ax.set_xlabel(names[j] + (f" ({units[j]})" if units else ""), fontsize=8)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(names[i] + (f" ({units[i]})" if units else ""), fontsize=8)
            elif i != j:
                ax.set_yticklabels([])
            ax.tick_params(labelsize=7)
    fig.suptitle(f"posterior ({x.shape[0]} samples)" + ("; truth in red" if truth is not None
                                                       else ""))
    if path:
        fig.savefig(path, dpi=110)
    return fig


def predictive_plot(t: Any, data_v: Any, sim_v: Any, *, sweeps: Sequence[int] | None = None,
                    labels: Sequence[str] | None = None, path: str | None = None) -> Any:
    """Posterior predictive traces: per sweep, the recorded trace ``data_v`` ``(n_sweeps,
    n_samples)`` (black) over traces simulated from posterior samples ``sim_v`` ``(n_draws,
    n_sweeps, n_samples)`` (blue, translucent) (mV against ms)."""
    from ..plotting import _figure

    t = np.asarray(t, dtype=float)
    data_v = np.atleast_2d(np.asarray(data_v, dtype=float))
    sim_v = np.asarray(sim_v, dtype=float)
    if sim_v.ndim == 2:
        sim_v = sim_v[:, None, :]
    sweeps = list(range(data_v.shape[0])) if sweeps is None else list(sweeps)
    fig = _figure((8.0, 1.9 * len(sweeps) + 0.6))
    axes = np.atleast_1d(fig.subplots(len(sweeps), 1, sharex=True, squeeze=False)[:, 0])
    for ax, s in zip(axes, sweeps):
        for k in range(sim_v.shape[0]):
            ax.plot(t, sim_v[k, s], color="C0", lw=0.6, alpha=max(0.08, 1.0 / sim_v.shape[0]))
        ax.plot(t, data_v[s], color="k", lw=0.8)
        ax.set_ylabel("V (mV)", fontsize=8)
        ax.set_title(labels[s] if labels else f"sweep {s}", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("time (ms)")
    fig.suptitle(f"posterior predictive: data (black), {sim_v.shape[0]} posterior draws (blue)")
    if path:
        fig.savefig(path, dpi=110)
    return fig
