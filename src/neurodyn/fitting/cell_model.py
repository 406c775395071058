"""Multi-compartment cells as fit models: a :class:`~neurodyn.cable.Cell` with the electrode
where a protocol's current is injected and the place where the voltage is recorded.

:class:`CellModel` gives a cell the part of the point-model interface that
:class:`~neurodyn.fitting.FitProblem` and :meth:`~neurodyn.fitting.Protocol.simulate` use:

* free parameters are the painted mechanism parameters, addressed by the cable paths
  ``"<target>.<mechanism>.<param>"`` (``"soma.hh.gnabar"``, ``"apical.pas.g"``; see
  :meth:`~neurodyn.cable.CellSimulator.param_paths`), in the mechanism's declared unit;
* :meth:`CellModel.replace` returns a new cell with those parameters changed (the fitted model);
* :meth:`CellModel.run_protocol` runs a whole population of candidates times all sweeps in one
  compiled, batched cable simulation (layout ``[node, candidate, sweep]``).

Stimulus: the union of all sweeps' edges cuts the sweep into windows (as
:meth:`Protocol.simulate` does for point models); each window on which any sweep has current
becomes one :class:`~neurodyn.cable.IClamp` at ``inject`` whose amplitude (nA) is batched per
sweep. ``IClamp`` is evaluated at mid-step, so an edge on the sample grid switches at that
sample, as for the point models.

Capacitance, axial resistivity and geometry are compile-time constants of a cell layout (a new
value recompiles), so they are not free parameters here; scale them through the cell itself
(:meth:`~neurodyn.cable.Cell.set`) between fits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["CellModel"]


@dataclass(frozen=True)
class CellModel:
    """A :class:`~neurodyn.cable.Cell` prepared for protocols and fits.

    Parameters
    ----------
    cell: the cell, without current or voltage clamps (the protocol injects the current).
    inject: location of the protocol's current (``"soma(0.5)"``).
    record: location of the recorded voltage (``"soma(0.5)"``).
    method: cable time stepping, ``"backward_euler"`` (NEURON's default) or
        ``"crank_nicolson"``.
    """

    cell: Any
    inject: str = "soma(0.5)"
    record: str = "soma(0.5)"
    method: str = "backward_euler"

    has_reset = False
    voltage_var = "v"

    def __post_init__(self) -> None:
        from ..cable import Cell
        from ..cable.cell import parse_location

        if not isinstance(self.cell, Cell):
            raise ParameterError(f"CellModel.cell must be a neurodyn.cable.Cell; got "
                                 f"{type(self.cell).__name__}. Fix: build one with "
                                 "Cell(morphology).paint(...).")
        from ..cable.simulate import electrode_prefixes

        clamps = [name for name, _ in electrode_prefixes(self.cell)]
        if clamps:
            raise ParameterError(f"CellModel.cell has an electrode ({clamps[0]}); a protocol "
                                 "injects its own current at CellModel.inject. Fix: build the "
                                 "cell without IClamp/SEClamp (spike detectors and synaptic "
                                 "inputs may stay).")
        for what in ("inject", "record"):
            loc = parse_location(getattr(self, what))
            self.cell.section_index(loc.section)
        if self.method not in ("backward_euler", "crank_nicolson"):
            raise ParameterError(f"CellModel.method must be 'backward_euler' or "
                                 f"'crank_nicolson'; got {self.method!r}.")

    # ------------------------------------------------------------------ parameters
    def _paints(self) -> list[tuple[str, Any]]:
        return [("+".join(targets), m) for targets, m in self.cell.painted]

    def param_specs(self) -> dict[str, Any]:
        """``{path: ParamSpec}`` of every painted mechanism parameter (unit, bounds, doc)."""
        out: dict[str, Any] = {}
        for label, m in self._paints():
            for name, spec in type(m).param_specs().items():
                out[f"{label}.{m.name}.{name}"] = spec
        return out

    def _split(self, path: str) -> tuple[str, str, str]:
        parts = path.rsplit(".", 2)
        if len(parts) != 3 or path not in self.param_specs():
            import difflib

            known = list(self.param_specs())
            close = difflib.get_close_matches(path, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(f"CellModel: no painted parameter {path!r}.{hint} Paths are "
                                 f"'<target>.<mechanism>.<param>'; known: {', '.join(known)}.")
        return parts[0], parts[1], parts[2]

    def replace(self, **values: Any) -> CellModel:
        """A copy whose painted parameters ``{path: value}`` are changed (every paint of that
        target and mechanism)."""
        changes: dict[tuple[str, str], dict[str, Any]] = {}
        for path, val in values.items():
            label, mech, name = self._split(path)
            changes.setdefault((label, mech), {})[name] = val
        painted = tuple((targets, m.replace(**changes[("+".join(targets), m.name)]))
                        if ("+".join(targets), m.name) in changes else (targets, m)
                        for targets, m in self.cell.painted)
        return dataclasses.replace(self, cell=dataclasses.replace(self.cell, painted=painted))

    def values(self) -> dict[str, float]:
        """The current value of every painted parameter, by path."""
        return {f"{label}.{m.name}.{name}": float(np.asarray(getattr(m, name)))
                for label, m in self._paints() for name in type(m).param_specs()}

    # ------------------------------------------------------------------ simulation
    def run_protocol(self, protocol: Any, *, batch: Mapping[str, Any] | None = None,
                     substeps: int = 1, method: str | None = None,
                     throw: bool | str = True) -> Any:
        """All sweeps of ``protocol`` for every parameter set of ``batch`` (paths to arrays of one
        shape ``P``) in one compiled call; the voltage at :attr:`record`,
        ``(*P, n_sweeps, n_samples)`` (mV), as a :class:`~neurodyn.fitting.ProtocolResult`.

        The cell is integrated at ``protocol.dt / substeps`` and sampled every ``protocol.dt``.
        ``throw=False`` or ``"continue"``: a candidate whose voltage becomes non-finite keeps
        NaN in its traces instead of raising. Traced values (inside ``jax.grad``/``jax.jit``)
        run the pure JAX simulator and return JAX traces, so fits can differentiate through it.
        """
        from ..cable import IClamp, build, simulate_cell
        from ..cable.simulate import electrode_prefixes
        from ..params import is_traced
        from .protocol import ProtocolResult

        user = dict(batch or {})
        for k in user:
            self._split(k)
        traced = any(is_traced(v) for v in user.values())
        try:
            pshape = tuple(np.broadcast_shapes(*[np.shape(v) for v in user.values()]))
        except ValueError:
            raise ParameterError(f"CellModel.run_protocol: batch arrays must broadcast to one "
                                 f"shape; got {[np.shape(v) for v in user.values()]}.") from None
        shape = (*pshape, protocol.n_sweeps)
        windows, amps = protocol._batched_steps(int(substeps))
        cell = self.cell
        for a, b in windows:
            cell = cell.place(self.inject, IClamp(amp=0.0, delay=a, dur=b - a))
        names = [p for p, _ in electrode_prefixes(cell)]  # the cell has no electrodes of its own
        if traced:
            import jax.numpy as jnp

            xnp: Any = jnp
        else:
            xnp = np
        values = {k: xnp.broadcast_to(xnp.asarray(v, dtype=float)[..., None], shape)
                  for k, v in user.items()}
        for j, prefix in enumerate(names):
            values[f"{prefix}.amp"] = np.broadcast_to(amps[:, j] / 1000.0, shape)  # pA -> nA
        dt = float(np.float64(protocol.dt) / substeps)
        t_stop = float(protocol.n_samples - 1) * protocol.dt
        method = method or self.method
        if traced:
            sim = build(cell, t_stop, dt, record=(self.record,), record_dt=protocol.dt,
                        method=method)
            v = sim.run(values, shape)["v"][0]
            results: tuple[Any, ...] = ()
        else:
            res = simulate_cell(cell, t_stop, dt, record=(self.record,), record_dt=protocol.dt,
                                method=method, batch=values or None, throw=throw is True)
            v = np.broadcast_to(np.asarray(res.traces[self.record]),
                                (*shape, protocol.n_samples))
            results = (res,)
        return ProtocolResult(t=protocol.t, traces={"v": v}, units={"v": "mV"},
                              batch_shape=pshape, protocol=protocol, results=results,
                              strategy="batch", labels=dict(user), voltage_var="v")

    def describe(self) -> str:
        n = len(self.cell.sections)
        return (f"CellModel({n} sections, inject at {self.inject}, record at {self.record}, "
                f"{len(self.param_specs())} painted parameters)")

