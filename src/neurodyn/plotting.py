"""Figures: traces, raster, f–I curve, phase plane with nullclines, network raster and
population rates (matplotlib).

Every function takes an optional ``ax`` and returns the axes, so figures compose; nothing is
shown or saved implicitly (use ``ax.figure.savefig(...)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = ["phase_plane", "plot_fi", "plot_raster", "plot_traces"]


def _axes(ax: Any, figsize: tuple[float, float] = (7.0, 3.5)) -> Any:
    """``ax`` or new axes: through pyplot if the caller uses pyplot (notebooks), else a bare
    Figure (no GUI backend needed; ``ax.figure.savefig`` works headless)."""
    if ax is not None:
        return ax
    import sys

    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, constrained_layout=True)
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, constrained_layout=True)
    return fig.subplots()


def _figure(figsize: tuple[float, float]) -> Any:
    """A new figure, as :func:`_axes` chooses (pyplot if in use, else a bare Figure)."""
    import sys

    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, constrained_layout=True)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, constrained_layout=True)


def _label(res: Any, i: int) -> str:
    if not res.batch:
        return ""
    return ", ".join(f"{k.split('.')[-1]}={np.ravel(v)[i]:.3g}" for k, v in res.batch.items())


def plot_traces(
    res: Any, var: str = "v", cells: Any = None, ax: Any = None, max_cells: int = 8,
    spikes: bool = True,
) -> Any:
    """Recorded variable ``var`` against time; for a batch, up to ``max_cells`` cells."""
    ax = _axes(ax)
    x = np.asarray(res.trace(var))
    t = np.asarray(res.t)
    if x.ndim == 1:
        ax.plot(t, x, lw=1.0, color="k")
        if spikes and res.spikes is not None and res.spikes.batch_shape == ():
            st = res.spike_times()
            ax.plot(st, np.full_like(st, np.nanmax(x) if x.size else 0.0), "v", color="C3", ms=4,
                    label=f"{len(st)} spikes")
            if len(st):
                ax.legend(loc="upper right", fontsize=8, frameon=False)
    else:
        flat = x.reshape(-1, x.shape[-1])
        if cells is None:  # spread over the batch
            idx = np.unique(np.linspace(0, len(flat) - 1, min(len(flat), max_cells)).astype(int))
        else:
            idx = np.atleast_1d(cells)
        for i in idx:
            ax.plot(t, flat[i], lw=0.9, label=_label(res, int(i)))
        if res.batch:
            ax.legend(loc="upper right", fontsize=7, frameon=False)
    unit = res.units.get(var, "")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{var} ({unit})" if unit not in ("1", "") else var)
    model = res.provenance.get("model", {}).get("class", "")
    ax.set_title(f"{model}: {var}", fontsize=10)
    return ax


def plot_raster(res: Any, ax: Any = None, sort_by: str | None = None) -> Any:
    """Spike raster: one row per cell of the batch (sorted by a batch label if given)."""
    ax = _axes(ax)
    sp = res.spikes
    if sp is None:
        raise ParameterError("plot_raster: spikes were not recorded. Fix: simulate(..., spikes=True).")
    ids = sp.ids
    ylabel = "cell (batch index)"
    if sort_by is not None:
        if sort_by not in res.batch:
            raise ParameterError(f"plot_raster: {sort_by!r} is not a batch label; "
                                 f"labels: {list(res.batch)}.")
        order = np.argsort(np.ravel(res.batch[sort_by]), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        ids = rank[ids]
        ylabel = f"cell (sorted by {sort_by})"
    ax.scatter(sp.times, ids, s=2, color="k", marker="|", linewidths=0.8)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, float(res.provenance.get("t_stop", np.max(sp.times, initial=1.0))))
    ax.set_ylim(-0.5, sp.n_cells - 0.5)
    ax.set_title(f"{len(sp.times)} spikes from {sp.n_cells} cells", fontsize=10)
    return ax


def plot_network(res: Any, pops: Any = None, bin_ms: float = 1.0, max_neurons: int = 500,
                 fig: Any = None) -> Any:
    """Raster (at most ``max_neurons`` per population, the first ones) above the population
    rates (Hz, bins of ``bin_ms``) of a network result; returns the figure."""
    if fig is None:
        fig = _figure((9.0, 5.0))
    names = list(res.spikes) if pops is None else list(pops)
    ax_r, ax_p = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    base = 0
    for k, name in enumerate(names):
        sp = res.spikes[name]
        keep = sp.ids < max_neurons
        ax_r.scatter(sp.times[keep], base + sp.ids[keep], s=1, marker="|", linewidths=0.6,
                     color=f"C{k}", label=name)
        base += min(res.sizes[name], max_neurons)
        t, rate = res.population_rate(name, bin_ms)
        ax_p.plot(t, rate, color=f"C{k}", lw=0.8, label=f"{name} ({res.rate(name):.1f} Hz)")
    ax_r.set_ylabel("neuron")
    ax_r.set_ylim(-0.5, base - 0.5)
    ax_p.set_xlabel("time (ms)")
    ax_p.set_ylabel(f"rate (Hz, {bin_ms:g} ms bins)")
    ax_p.set_xlim(0, res.t_stop)
    ax_p.legend(frameon=False, fontsize=8, loc="upper right")
    return fig


def plot_weights(res: Any, label: str | None = None, ax: Any = None) -> Any:
    """Recorded plastic weights over time (``record={"weights": {label: [indices]}}``)."""
    ax = _axes(ax, (7.0, 3.2))
    rec = res.traces.get("weights", {})
    if not rec:
        raise ParameterError("plot_weights: no weights were recorded. Fix: simulate(..., "
                             "record={'weights': {'<projection label>': [0, 1, 2]}}).")
    for lab in ([label] if label else list(rec)):
        for j, row in enumerate(rec[lab]):
            ax.plot(res.t, row, lw=0.9, label=f"{lab}[{res.recorded['weights'][lab][j]}]")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("weight (synapse unit)")
    ax.legend(frameon=False, fontsize=7, ncol=2)
    return ax


def plot_fi(fi: Any, ax: Any = None, label: str | None = None, **kw: Any) -> Any:
    """An f–I curve (:class:`~neurodyn.analysis.FICurve`)."""
    ax = _axes(ax, (4.5, 3.5))
    ax.plot(fi.amplitudes, fi.rates, "o-", ms=3, label=label, **kw)
    ax.set_xlabel(f"step amplitude ({fi.unit})")
    ax.set_ylabel("firing rate (Hz)")
    ax.set_title(f"f–I curve ({'steady state, 1/ISI' if fi.measure == 'isi' else 'spike count'})",
                 fontsize=10)
    if label:
        ax.legend(frameon=False, fontsize=8)
    return ax


def nullclines(model: Any, i_ext: float, x_range: tuple[float, float], y_range: tuple[float, float],
               n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grid ``(X, Y)`` and the two derivative fields ``(dX, dY)`` of a 2-variable model.

    Evaluated with the NumPy math namespace (the model maths is backend-neutral).
    """
    from .math import numpy_math

    names = list(model.state_vars)
    if len(names) != 2:
        raise ParameterError(
            f"phase_plane: {type(model).__name__} has {len(names)} state variables "
            f"({', '.join(names)}); the phase plane needs exactly 2 (FitzHughNagumo, Izhikevich, "
            "AdEx)."
        )
    xs = np.linspace(*x_range, n)
    ys = np.linspace(*y_range, n)
    X, Y = np.meshgrid(xs, ys)
    p = model.param_values()
    p = type(p)(*(np.asarray(v, dtype=float) for v in p))
    with np.errstate(all="ignore"):
        d = model.derivatives(p, model.State(X, Y), float(i_ext), numpy_math)
    return X, Y, np.asarray(d[0]), np.asarray(d[1])


def phase_plane(
    model: Any,
    i_ext: float = 0.0,
    *,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    trajectory: Any = None,
    ax: Any = None,
    field: bool = True,
) -> Any:
    """Phase plane of a 2-variable model with its nullclines at constant input ``i_ext``.

    ``trajectory``: a :class:`~neurodyn.Result` that recorded both variables (drawn on top).
    """
    ax = _axes(ax, (5.0, 4.0))
    names = list(model.state_vars)
    if trajectory is not None:
        tx = np.asarray(trajectory.trace(names[0]))
        ty = np.asarray(trajectory.trace(names[1]))
    if x_range is None or y_range is None:
        if trajectory is None:
            raise ParameterError("phase_plane: give x_range and y_range, or a trajectory.")
        pad_x = 0.15 * (np.ptp(tx) or 1.0)
        pad_y = 0.15 * (np.ptp(ty) or 1.0)
        x_range = x_range or (float(tx.min() - pad_x), float(tx.max() + pad_x))
        y_range = y_range or (float(ty.min() - pad_y), float(ty.max() + pad_y))
    X, Y, dX, dY = nullclines(model, i_ext, x_range, y_range)
    if field:
        s = slice(None, None, 20)
        norm = np.hypot(dX[s, s] / np.ptp(x_range), dY[s, s] / np.ptp(y_range)) + 1e-12
        ax.quiver(X[s, s], Y[s, s], dX[s, s] / np.ptp(x_range) / norm,
                  dY[s, s] / np.ptp(y_range) / norm, color="0.75", width=0.003)
    c1 = ax.contour(X, Y, dX, levels=[0.0], colors="C0", linewidths=1.5)
    c2 = ax.contour(X, Y, dY, levels=[0.0], colors="C1", linewidths=1.5)
    handles = [c1.legend_elements()[0][0], c2.legend_elements()[0][0]]
    labels = [f"d{names[0]}/dt = 0", f"d{names[1]}/dt = 0"]
    if trajectory is not None:
        # break the line at resets (jumps larger than 30% of the range) instead of joining them
        jump = np.abs(np.diff(tx)) > 0.3 * (np.ptp(tx) or 1.0)
        bx, by = tx.astype(float).copy(), ty.astype(float).copy()
        bx[1:][jump] = np.nan
        (h,) = ax.plot(bx, by, color="k", lw=1.0)
        handles.append(h)
        labels.append("trajectory")
    ax.legend(handles, labels, loc="upper right", fontsize=8, frameon=False)
    units = model.state_vars
    ax.set_xlabel(f"{names[0]}" + (f" ({units[names[0]]})" if units[names[0]] != "1" else ""))
    ax.set_ylabel(f"{names[1]}" + (f" ({units[names[1]]})" if units[names[1]] != "1" else ""))
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    unit = "" if model.input_unit in ("1", "") else f" {model.input_unit}"
    ax.set_title(f"{type(model).__name__}, constant input {i_ext:g}{unit}", fontsize=10)
    return ax
