"""Simulation results: traces, spikes, batch labels, provenance and status."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Result", "Spikes", "Status"]


class Status(enum.Enum):
    """Outcome of a run; the value is a human-readable remedy."""

    SUCCESS = "the run completed"
    NONFINITE = "the state became NaN or Inf; reduce dt, use an implicit/exponential method, " \
                "or check the parameters"
    SOLVER_FAILED = "the adaptive solver failed; loosen rtol/atol, raise max_steps or use an " \
                    "implicit method (kvaerno5)"

    def __str__(self) -> str:
        return self.name.lower()


class Spikes:
    """Spike events of a (possibly batched) run, stored as flat SONATA-style arrays.

    ``times`` (ms) and ``ids`` (flat batch index, ``0`` for an unbatched run) are sorted by time.
    In a traced run (inside ``jax.grad``/``jit``/``vmap``) the spikes are held as a dense per-step
    array instead; :meth:`count` and :meth:`padded` work there too.
    """

    def __init__(
        self,
        times: Any,
        ids: Any,
        batch_shape: tuple[int, ...],
        *,
        dense: Any = None,
        dt: float | None = None,
        t0: float = 0.0,
    ) -> None:
        self._times = times
        self._ids = ids
        self.batch_shape = tuple(batch_shape)
        self._dense = dense
        self._dt = dt
        self._t0 = t0

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dense(cls, frac: Any, dt: Any, batch_shape: tuple[int, ...], t0: float = 0.0) -> Spikes:
        """From a dense ``(..., n_steps)`` array of in-step spike fractions (``-1``: none)."""
        return cls(None, None, batch_shape, dense=frac, dt=dt, t0=t0)

    @property
    def is_dense(self) -> bool:
        return self._dense is not None

    @property
    def dense(self) -> Any:
        """A traced run's spikes, ``(*batch_shape, n_steps)``: the fraction of step ``k`` at
        which the cell spiked (``-1``: no spike), differentiable in the parameters (spike ``i``
        is at ``(k + frac)·dt``; :func:`~neurodyn.fitting.objectives.spike_time_distance`).
        ``None`` for an eager run, whose spikes are lists of times."""
        return self._dense

    @property
    def n_cells(self) -> int:
        return int(np.prod(self.batch_shape)) if self.batch_shape else 1

    def _materialise(self) -> None:
        if self._times is None:
            frac = np.asarray(self._dense).reshape(self.n_cells, -1)
            ids, steps = np.nonzero(frac >= 0)
            times = self._t0 + (steps + frac[ids, steps].astype(float)) * float(self._dt)
            order = np.lexsort((ids, times))
            self._times, self._ids = times[order], ids[order].astype(np.int64)

    @property
    def times(self) -> np.ndarray:
        """All spike times (ms), sorted."""
        self._materialise()
        return self._times

    @property
    def ids(self) -> np.ndarray:
        """Flat batch index of each spike."""
        self._materialise()
        return self._ids

    # ------------------------------------------------------------------ queries
    def count(self) -> Any:
        """Spike count per cell, shape ``batch_shape`` (an int for an unbatched run)."""
        if self.is_dense:
            import jax.numpy as jnp

            c = jnp.sum(jnp.asarray(self._dense) >= 0, axis=-1)
            return c
        c = np.bincount(self.ids, minlength=self.n_cells).reshape(self.batch_shape)
        return int(c) if not self.batch_shape else c

    def of(self, index: int | tuple[int, ...] | None = None) -> np.ndarray:
        """Spike times (ms) of one cell (``None`` for an unbatched run)."""
        if index is None:
            if self.batch_shape:
                raise ValueError(
                    f"this run is batched (shape {self.batch_shape}); pass the index of a cell, "
                    "e.g. result.spikes.of(0)"
                )
            flat = 0
        else:
            flat = int(np.ravel_multi_index(np.atleast_1d(index), self.batch_shape)) if isinstance(
                index, tuple) else int(index)
        return self.times[self.ids == flat]

    def trains(self) -> list[np.ndarray]:
        """Spike times of every cell, in flat batch order."""
        order = np.argsort(self.ids, kind="stable")
        ids, times = self.ids[order], self.times[order]
        bounds = np.searchsorted(ids, np.arange(self.n_cells + 1))
        return [times[bounds[i]:bounds[i + 1]] for i in range(self.n_cells)]

    def padded(self, max_spikes: int, fill: float = np.nan) -> Any:
        """First ``max_spikes`` spike times per cell as an array ``(*batch_shape, max_spikes)``.

        Works inside ``jax.grad``: the interpolated spike times are differentiable.
        """
        import jax.numpy as jnp

        if self.is_dense:
            frac = jnp.asarray(self._dense)
            n = frac.shape[-1]

            def one(f):
                (idx,) = jnp.nonzero(f >= 0, size=max_spikes, fill_value=n)
                valid = idx < n
                fv = jnp.take(f, jnp.minimum(idx, n - 1))
                t = self._t0 + (idx + fv) * self._dt
                return jnp.where(valid, t, fill)

            flat = frac.reshape(-1, n)
            out = jnp.stack([one(flat[i]) for i in range(flat.shape[0])])
            return out.reshape((*self.batch_shape, max_spikes))
        out = np.full((self.n_cells, max_spikes), fill)
        for i, tr in enumerate(self.trains()):
            out[i, : min(len(tr), max_spikes)] = tr[:max_spikes]
        return out.reshape((*self.batch_shape, max_spikes))

    def __len__(self) -> int:
        return len(self.times)

    def __repr__(self) -> str:
        if self.is_dense:
            return f"Spikes(dense, batch_shape={self.batch_shape})"
        return f"Spikes({len(self.times)} spikes, batch_shape={self.batch_shape})"


@dataclass
class Result:
    """What :func:`neurodyn.simulate` returns.

    Attributes
    ----------
    t: sample times (ms), shape ``(n_samples,)``.
    traces: recorded variables, each of shape ``(*batch_shape, n_samples)``.
    units: unit of each recorded variable.
    spikes: :class:`Spikes` (``None`` if spikes were not recorded).
    batch: labels of a batched run: parameter path -> values of shape ``batch_shape``.
    batch_shape: ``()`` for a single run.
    status: :class:`Status`; ``message`` tells what happened and what to do.
    provenance: neurodyn version, model, parameters, stimulus, dt, method, seed, dtype, …
    stats: timing and solver statistics (compile_s, run_s, n_steps, …).
    final_state: the state at ``t_stop``, per variable.
    """

    t: Any
    traces: dict[str, Any]
    units: dict[str, str]
    spikes: Spikes | None
    batch: dict[str, np.ndarray]
    batch_shape: tuple[int, ...]
    status: Status = Status.SUCCESS
    message: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    final_state: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ access
    def trace(self, var: str = "v", index: int | tuple[int, ...] | None = None) -> Any:
        """One recorded variable; ``index`` selects a cell of a batched run."""
        if var not in self.traces:
            raise KeyError(
                f"{var!r} was not recorded; recorded: {', '.join(self.traces) or 'nothing'}. "
                f"Fix: simulate(..., record=[{var!r}, ...])."
            )
        x = self.traces[var]
        return x if index is None else x[index]

    def __getitem__(self, var: str) -> Any:
        return self.trace(var)

    def spike_times(self, index: int | tuple[int, ...] | None = None) -> np.ndarray:
        """Spike times (ms) of the single cell, or of cell ``index`` of a batch."""
        self._need_spikes()
        return self.spikes.of(index)  # type: ignore[union-attr]

    def spike_counts(self) -> Any:
        """Number of spikes per cell (an int for a single run)."""
        self._need_spikes()
        return self.spikes.count()  # type: ignore[union-attr]

    def firing_rates(self, t_start: float = 0.0, t_stop: float | None = None) -> np.ndarray:
        """Mean rate (Hz) per cell in ``[t_start, t_stop)``."""
        self._need_spikes()
        t_stop = float(self.provenance.get("t_stop", 0.0)) if t_stop is None else t_stop
        sp = self.spikes
        sel = (sp.times >= t_start) & (sp.times < t_stop)
        counts = np.bincount(sp.ids[sel], minlength=sp.n_cells).reshape(sp.batch_shape)
        return counts / ((t_stop - t_start) * 1e-3)

    def _need_spikes(self) -> None:
        if self.spikes is None:
            raise ValueError("spikes were not recorded. Fix: simulate(..., spikes=True).")

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCESS

    def labels(self, index: int) -> dict[str, float]:
        """Batch labels (parameter values) of flat cell ``index``."""
        return {k: float(np.ravel(v)[index]) for k, v in self.batch.items()}

    # ------------------------------------------------------------------ persistence
    def save(self, path: str) -> str:
        """Write to HDF5 (spikes in the SONATA layout); see :mod:`neurodyn.io.hdf5`."""
        from ..io.hdf5 import save_result

        return save_result(self, path)

    @classmethod
    def load(cls, path: str) -> Result:
        """Read a result written by :meth:`save`."""
        from ..io.hdf5 import load_result

        return load_result(path)

    def __repr__(self) -> str:
        shape = f", batch_shape={self.batch_shape}" if self.batch_shape else ""
        n = len(self.t) if hasattr(self.t, "__len__") else "?"
        model = self.provenance.get("model", {}).get("class", "?")
        return (f"Result({model}, {n} samples, traces={list(self.traces)}{shape}, "
                f"status={self.status})")
