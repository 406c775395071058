"""The report of a fit: figures (trace overlays per sweep, feature errors in SD units,
convergence, parameter spread of the near-optimal set) and a Markdown summary."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from .objectives import aggregate_name

__all__ = ["write_report"]


def write_report(result: Any, problem: Any, data_v: np.ndarray | None, folder: str, *,
                 name: str = "fit", truth: dict[str, float] | None = None,
                 tolerance: float | None = None) -> dict[str, Any]:
    """Write ``report.md``, ``result.json`` and figures to ``folder``; returns the summary."""
    from matplotlib.figure import Figure

    os.makedirs(folder, exist_ok=True)
    figures = []
    best = np.array([[result.params_[p] for p in problem.paths]])
    out = problem.simulate(best)
    v_best = problem.voltages(out)[0]
    t = np.asarray(out.t)
    n_sw = problem.protocol.n_sweeps
    # traces
    fig = Figure(figsize=(9, 1.6 * n_sw + 0.6), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(n_sw, 1, sharex=True))
    for k, ax in enumerate(axes):
        if data_v is not None:
            ax.plot(t, data_v[k], color="0.5", lw=0.8, label="data")
        ax.plot(t, v_best[k], color="C3", lw=0.8, label="best fit")
        ax.set_ylabel(f"sweep {k}\nV (mV)")
    axes[0].legend(frameon=False, fontsize=7, loc="upper right")
    axes[-1].set_xlabel("time (ms)")
    figures.append(_save(fig, folder, "traces.png"))
    # feature errors
    z = result.z_best if result.z_best is not None else np.zeros((n_sw, len(problem.features)))
    fig = Figure(figsize=(8, 3.2), constrained_layout=True)
    ax = fig.subplots()
    im = ax.imshow(np.where(np.isfinite(z), z, np.nan).T, aspect="auto", cmap="magma_r", vmin=0,
                   vmax=max(3.0, float(np.nanmax(z)) if np.isfinite(z).any() else 3.0))
    ax.set_yticks(range(len(problem.features)), problem.features, fontsize=7)
    ax.set_xticks(range(n_sw), [f"sweep {k}" for k in range(n_sw)], fontsize=7)
    fig.colorbar(im, ax=ax, label="|error| (SD)")
    ax.set_title("feature errors of the best fit (blank: not defined in the data)")
    figures.append(_save(fig, folder, "feature_errors.png"))
    # convergence
    fig = Figure(figsize=(6, 3.2), constrained_layout=True)
    ax = fig.subplots()
    ev = [h["evaluations"] for h in result.history]
    ax.semilogy(ev, [max(h["best"], 1e-3) for h in result.history], label="best")
    ax.semilogy(ev, [max(h["median"], 1e-3) for h in result.history], label="generation median")
    ax.set_xlabel("evaluations")
    ax.set_ylabel(aggregate_name(problem.aggregate))
    ax.legend(frameon=False)
    figures.append(_save(fig, folder, "convergence.png"))
    # Pareto front (multi-objective fits): every pair of the first objectives
    pf = result.extra.get("pareto_F") if isinstance(result.extra, dict) else None
    if pf is not None and np.ndim(pf) == 2 and np.shape(pf)[1] >= 2 and len(pf):
        pf = np.asarray(pf, dtype=float)
        n_obj = pf.shape[1]
        names = result.extra.get("objective_names") or [f"objective {j} (SD)"
                                                         for j in range(n_obj)]
        # objective 0 against the next three, and against the last (e.g. a trace distance)
        cols = list(range(1, min(n_obj, 4))) + ([n_obj - 1] if n_obj > 4 else [])
        fig = Figure(figsize=(2.6 * len(cols), 2.6), constrained_layout=True)
        axes_p = np.atleast_1d(fig.subplots(1, len(cols)))
        for j, ax in zip(cols, axes_p):
            ax.scatter(pf[:, 0], pf[:, j], s=8, color="C0")
            ax.set_xlabel(names[0], fontsize=8)
            ax.set_ylabel(names[j], fontsize=8)
        fig.suptitle(f"final Pareto front ({len(pf)} non-dominated candidates, "
                     f"{pf.shape[1]} objectives)", fontsize=9)
        figures.append(_save(fig, folder, "pareto.png"))
    # parameter spread
    tol = tolerance if tolerance is not None else result.score_ + 2.0
    near = result.within(tol)
    d = len(problem.paths)
    fig = Figure(figsize=(2.2 * d, 2.6), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(1, d))
    for j, (ax, p) in enumerate(zip(axes, problem.params)):
        ax.hist(result.x[:, j], bins=30, color="0.8", range=(p.low, p.high), label="evaluated")
        if len(near):
            ax.hist(near[:, j], bins=30, color="C0", range=(p.low, p.high), label=f"score <= {tol:.3g}")
        ax.axvline(result.params_[p.path], color="C3", lw=1)
        if truth and p.path in truth:
            ax.axvline(truth[p.path], color="k", ls="--", lw=1)
        ax.set_xlabel(p.path)
    axes[0].legend(frameon=False, fontsize=6)
    figures.append(_save(fig, folder, "parameters.png"))
    nu = result.non_uniqueness(tol)
    summary = {"name": name, "method": result.method, "score": result.score_,
               "evaluations": len(result.scores), "stopped": result.stopped,
               "params": result.params_, "truth": truth, "non_uniqueness": nu,
               "z_median": float(np.nanmedian(z)) if np.isfinite(z).any() else None,
               "z_max": float(np.nanmax(z)) if np.isfinite(z).any() else None,
               "wall_s": result.history[-1]["wall_s"] if result.history else 0.0,
               "features": list(problem.features),
               "z_best": np.where(np.isfinite(z), np.abs(z), np.nan).tolist(),
               "figures": figures}
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(summary, f, indent=1, default=float)
    lines = [f"# Fit: {name}", "", problem.describe(), "",
             f"- method {result.method}: best score {result.score_:.4g} "
             f"({aggregate_name(problem.aggregate)}) after {len(result.scores)} evaluations, "
             f"{summary['wall_s']:.1f} s; {result.stopped}",
             f"- feature errors of the best fit: median {_fmt(summary['z_median'])} SD, max "
             f"{_fmt(summary['z_max'])} SD", "", "| parameter | best | bounds | near-optimal range |"
             + (" truth |" if truth else ""), "|---|---|---|---|" + ("---|" if truth else "")]
    for p in problem.params:
        rng = nu.get("ranges", {}).get(p.path)
        rs = f"{rng[0]:.4g} – {rng[1]:.4g}" if rng else "–"
        row = f"| {p.path} | {result.params_[p.path]:.5g} | [{p.low:g}, {p.high:g}] | {rs} |"
        if truth:
            row += f" {truth.get(p.path, float('nan')):.5g} |"
        lines.append(row)
    lines += ["", f"{nu['n']} evaluated candidates score <= {tol:.3g} (the near-optimal set).",
              "", "## Feature errors of the best fit (|z|, in SD units of the target)", "",
              "| feature | sweeps scored | median | max | worst sweep |", "|---|---|---|---|---|"]
    za = np.abs(np.asarray(z, dtype=float))
    for j, feat in enumerate(problem.features):
        col = za[:, j]
        ok = np.isfinite(col)
        if not ok.any():
            lines.append(f"| {feat} | 0 | – | – | – |")
            continue
        worst = int(np.nanargmax(np.where(ok, col, -1.0)))
        lines.append(f"| {feat} | {int(ok.sum())} | {np.median(col[ok]):.3g} | "
                     f"{col[ok].max():.3g} | {worst} |")
    lines += ["", "## Figures", ""] + [f"![{os.path.basename(f)}]({os.path.basename(f)})"
                                        for f in figures]
    with open(os.path.join(folder, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return summary


def _save(fig: Any, folder: str, name: str) -> str:
    path = os.path.join(folder, name)
    fig.savefig(path, dpi=100)
    return path


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}"
