"""Results to and from HDF5.

Layout (``h5py``)::

    /                      attrs: format="neurodyn-result", format_version, status, message
    /t                     sample times, attrs: units="ms"
    /traces/<var>          (*batch_shape, n_samples), attrs: units
    /spikes/<population>   attrs: sorting="by_time"          (SONATA spike file layout)
        timestamps         float64, attrs: units="ms"
        node_ids           uint64 (flat batch index)
    /batch/<path>          batch labels, shape batch_shape (path '/' written as '|')
    /final_state/<var>
    provenance, stats      JSON strings in root attributes

The ``spikes`` group follows the SONATA spike-file format (Dai et al. 2020, PLoS Comput Biol
16:e1007696), so tools that read SONATA spikes (e.g. bmtk, NEST's SONATA reader) can read
neurodyn spikes; the population is named after the model class unless given.
"""

from __future__ import annotations

import json
import os
from typing import Any

import h5py
import numpy as np

from ..engine.result import Result, Spikes, Status

__all__ = ["load_result", "save_result"]

FORMAT = "neurodyn-result"
FORMAT_VERSION = 1


def _json(x: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    return json.dumps(x, default=default)


def save_result(res: Result, path: str | os.PathLike[str], *, population: str | None = None) -> str:
    """Write ``res`` to ``path`` (HDF5); returns the path."""
    path = os.fspath(path)
    if res.provenance.get("traced"):
        raise ValueError("save_result: a traced result (inside jax.grad/jit) holds no concrete data.")
    pop = population or res.provenance.get("model", {}).get("class", "cells")
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["status"] = res.status.name
        f.attrs["message"] = res.message
        f.attrs["provenance"] = _json(res.provenance)
        f.attrs["stats"] = _json(res.stats)
        f.attrs["batch_shape"] = np.asarray(res.batch_shape, dtype=np.int64)
        f.create_dataset("t", data=np.asarray(res.t, dtype=float)).attrs["units"] = "ms"
        g = f.create_group("traces")
        for k, v in res.traces.items():
            d = g.create_dataset(k, data=np.asarray(v), compression="gzip", compression_opts=4)
            d.attrs["units"] = res.units.get(k, "")
        if res.spikes is not None:
            sg = f.create_group("spikes").create_group(pop)
            sg.attrs["sorting"] = "by_time"
            ts = sg.create_dataset("timestamps", data=np.asarray(res.spikes.times, dtype=np.float64))
            ts.attrs["units"] = "ms"
            sg.create_dataset("node_ids", data=np.asarray(res.spikes.ids, dtype=np.uint64))
        bg = f.create_group("batch")
        for k, v in res.batch.items():
            bg.create_dataset(k.replace("/", "|"), data=np.asarray(v, dtype=float))
        fg = f.create_group("final_state")
        for k, v in res.final_state.items():
            fg.create_dataset(k, data=np.asarray(v))
    os.replace(tmp, path)  # never leave a half-written file under the final name
    return path


def save_network_result(res: Any, path: str | os.PathLike[str]) -> str:
    """Write a network result to HDF5: ``/spikes/<population>/{timestamps, node_ids}``
    (SONATA spike layout, sorted by time, ms), ``/traces/<population>/<var>`` with the recorded
    neuron ids in its ``node_ids`` attribute, ``/t`` (ms), provenance and statistics."""
    path = os.fspath(path)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["kind"] = "network"
        f.attrs["status"] = res.status.name
        f.attrs["message"] = res.message
        f.attrs["provenance"] = _json(res.provenance)
        f.attrs["stats"] = _json(res.stats)
        f.create_dataset("t", data=np.asarray(res.t, dtype=float)).attrs["units"] = "ms"
        spikes = f.create_group("spikes")
        for pop, sp in res.spikes.items():
            g = spikes.create_group(pop)
            g.attrs["sorting"] = "by_time"
            g.attrs["n_nodes"] = int(res.sizes[pop])
            ts = g.create_dataset("timestamps", data=np.asarray(sp.times, dtype=np.float64),
                                  compression="gzip", compression_opts=4)
            ts.attrs["units"] = "ms"
            g.create_dataset("node_ids", data=np.asarray(sp.ids, dtype=np.uint64),
                             compression="gzip", compression_opts=4)
        tr = f.create_group("traces")
        for pop, d in res.traces.items():
            g = tr.create_group(pop)
            for var, x in d.items():
                ds = g.create_dataset(var, data=np.asarray(x), compression="gzip",
                                      compression_opts=4)
                ds.attrs["node_ids"] = np.asarray(res.recorded[pop][var], dtype=np.int64)
    os.replace(tmp, path)
    return path


def load_result(path: str | os.PathLike[str]) -> Result:
    """Read a result written by :func:`save_result`."""
    path = os.fspath(path)
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError(
                f"load_result: {path} is not a neurodyn result file (format attribute "
                f"{f.attrs.get('format')!r}). Fix: pass a file written by Result.save()."
            )
        batch_shape = tuple(int(x) for x in f.attrs["batch_shape"])
        traces = {k: f["traces"][k][()] for k in f["traces"]}
        units = {k: str(f["traces"][k].attrs.get("units", "")) for k in f["traces"]}
        spikes = None
        if "spikes" in f:
            (pop,) = list(f["spikes"])[:1]
            g = f["spikes"][pop]
            spikes = Spikes(g["timestamps"][()], g["node_ids"][()].astype(np.int64), batch_shape)
        batch = {k.replace("|", "/"): f["batch"][k][()] for k in f["batch"]}
        final = {k: f["final_state"][k][()] for k in f["final_state"]}
        return Result(
            t=f["t"][()], traces=traces, units=units, spikes=spikes, batch=batch,
            batch_shape=batch_shape, status=Status[str(f.attrs["status"])],
            message=str(f.attrs["message"]), provenance=json.loads(f.attrs["provenance"]),
            stats=json.loads(f.attrs["stats"]), final_state=final,
        )
