"""Batched network runs: K parameter sets of one network in one compiled call.

The K copies are laid side by side as one network (each population K times longer, each
projection's synapses repeated with the copy's offset), so a batched run is an ordinary run of
that larger network: the same event-driven step, every neuron update vectorised over K x n
neurons, the per-step overheads paid once for all copies. The connections are drawn once, with
the same seeds as an unbatched run, so copy ``k`` of a batch reproduces the unbatched run with
the same values spike for spike (tested) when the network has no random sources; Poisson sources
draw independently in every copy (copy 0 sees the noise of the unbatched run).

(``jax.vmap`` of the per-network step was slower than running the copies one by one: on XLA:CPU
a vmapped ``while_loop`` and batched scatters cost ~10x the unbatched step.)

Batch keys:

* ``"<population>.<parameter>"``: one value per copy (model units), e.g. ``"P.v_th"``;
* ``"<projection label>.weight_scale"``: a factor per copy on that projection's weights
  (``Projection(..., label="exc")``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import ParameterError
from .connectors import FromList
from .network import Network
from .population import PoissonSource, Population, SpikeSource, resolve
from .projection import Projection

__all__ = ["replicate", "simulate_batch"]


def _parse(net: Network, batch: Mapping[str, Any]) -> tuple[int, dict, dict, list[dict]]:
    sizes = {k: np.size(v) for k, v in batch.items()}
    if len(set(sizes.values())) != 1 or 0 in sizes.values():
        raise ParameterError(
            f"simulate(network).batch: every entry needs the same number of values (>= 1); got "
            f"{sizes}. Fix: give K values per entry (neurodyn.grid builds factorial sweeps)."
        )
    k = next(iter(sizes.values()))
    from .gap import GapJunctions

    labels_of = {pr.label: j for j, pr in enumerate(net.projections)
                 if pr.label and not isinstance(pr, GapJunctions)}
    pops = {p.name: p for p in net.populations if isinstance(p, Population)}
    params: dict[tuple[str, str], np.ndarray] = {}
    scales: dict[int, np.ndarray] = {}
    for name, vals in batch.items():
        vals = np.asarray(vals, dtype=float).reshape(-1)
        head, _, fld = str(name).rpartition(".")
        if fld == "weight_scale":
            if head not in labels_of:
                raise ParameterError(
                    f"simulate(network).batch[{name!r}]: no projection is labelled {head!r} "
                    f"(labels: {', '.join(labels_of) or 'none'}). Fix: Projection(..., label=...)."
                )
            if np.any(vals < 0) or not np.all(np.isfinite(vals)):
                raise ParameterError(f"simulate(network).batch[{name!r}]: weight scales must be "
                                     f"finite and >= 0; got {vals.tolist()}.")
            scales[labels_of[head]] = vals
        elif head in pops:
            model = pops[head].model
            if fld not in model.param_specs():
                raise ParameterError(
                    f"simulate(network).batch[{name!r}]: {type(model).__name__} has no parameter "
                    f"{fld!r} ({', '.join(model.param_specs())})."
                )
            model.replace(**{fld: vals})  # validates unit and bounds of every value
            params[(head, fld)] = vals
        else:
            raise ParameterError(
                f"simulate(network).batch: {name!r} is neither '<population>.<parameter>' "
                f"({', '.join(pops)}) nor '<projection label>.weight_scale'."
            )
    labels = [{key: float(np.asarray(v, float).reshape(-1)[b]) for key, v in batch.items()}
              for b in range(k)]
    return k, params, scales, labels


def _tile(x: Any, n: int, k: int) -> Any:
    """Per-neuron values of one copy (scalar or (n,)) for k copies: (k n,)."""
    return np.tile(np.broadcast_to(np.asarray(x, dtype=float), (n,)), k)


def replicate(net: Network, k: int, params: Mapping[tuple[str, str], np.ndarray],
              scales: Mapping[int, np.ndarray], dt: float, seed: int) -> Network:
    """``k`` copies of ``net`` as one network (see the module docstring)."""
    pops: dict[str, Any] = {}
    for p in net.populations:
        if isinstance(p, Population):
            over = {fld: np.repeat(v, p.size) for (pn, fld), v in params.items() if pn == p.name}
            base = {f: _tile(getattr(p.model, f), p.size, k) for f in p.model.param_specs()
                    if np.ndim(getattr(p.model, f)) or f in over}
            model = p.model.replace(**{**base, **over})
            init = {v: _tile(x, p.size, k) for v, x in (p.init or {}).items()}
            pos = None if p.positions is None else np.tile(p.positions, (k, 1))
            stims = None
            if p.stimulus is not None:  # per-neuron stimulus arrays repeat in every copy
                from ..stimuli import as_stimuli

                stims = [st.replace(**{f: _tile(getattr(st, f), p.size, k)
                                       for f in st.param_specs() if np.ndim(getattr(st, f)) == 1})
                         for st in as_stimuli(p.stimulus)]
            pops[p.name] = replace(p, model=model, size=p.size * k, params=None, init=init,
                                   positions=pos, stimulus=stims)
        elif isinstance(p, PoissonSource):
            pops[p.name] = replace(p, size=p.size * k,
                                   rate=np.tile(np.broadcast_to(p.rate, (p.size,)), k))
        elif isinstance(p, SpikeSource):
            pops[p.name] = replace(p, times=list(p.times) * k)
    from .gap import GapJunctions

    projs: list[Any] = []
    for j, pr in enumerate(net.projections):
        rng = np.random.default_rng([int(seed), 7919, j])  # as engine.build draws projection j
        if isinstance(pr, GapJunctions):
            i_, j_, g = pr.build(rng)
            a, _, _ = resolve(pr.pre, "GapJunctions.pre")
            b, _, _ = resolve(pr.post, "GapJunctions.post")
            off = np.arange(k)[:, None]
            projs.append(GapJunctions(
                pops[a.name], pops[b.name],
                FromList(pre=(i_ + off * a.size).reshape(-1), post=(j_ + off * b.size).reshape(-1)),
                weight=np.tile(g, k), label=pr.label))
            continue
        pre_pop, p0, _ = resolve(pr.pre, "Projection.pre")
        post_pop, q0, _ = resolve(pr.post, "Projection.post")
        pre, post, w, d = pr.build(rng, dt)
        n_pre, n_post = pre_pop.size, post_pop.size
        off = np.arange(k)[:, None]
        big_pre = (pre + p0 + off * n_pre).reshape(-1)
        big_post = (post + q0 + off * n_post).reshape(-1)
        sc = scales.get(j, np.ones(k))
        big_w = (w[None, :] * sc[:, None]).reshape(-1)
        # one delay for every synapse (the common case) passes as a scalar
        big_d = (float(d[0]) * dt if d.size and np.all(d == d[0])
                 else np.tile(np.asarray(d, float) * dt, k))
        projs.append(Projection(pops[pre_pop.name], pops[post_pop.name],
                                FromList(pre=big_pre, post=big_post), pr.synapse, weight=big_w,
                                delay=big_d, receptor=pr.receptor_name(),
                                plasticity=pr.plasticity))
    return Network(list(pops.values()), projs)


def simulate_batch(net: Network, batch: Mapping[str, Any], t_stop: Any, dt: Any, *,
                   record: Mapping[str, Any] | None = None, **kw: Any) -> list[Any]:
    """Run ``net`` with K parameter sets (see :func:`~neurodyn.network.simulate_network`)."""
    from ..engine.result import Spikes
    from .simulate import NetworkResult, _time, simulate_network

    k, params, scales, labels = _parse(net, batch)
    if any(type(getattr(pr, "plasticity", None)).__name__ == "STDP" for pr in net.projections):
        raise ParameterError("simulate(network).batch: batches of networks with STDP are not "
                             "supported yet. Fix: run the parameter sets one by one.")
    dt_f = _time(dt, "dt")
    big = replicate(net, k, params, scales, dt_f, kw.get("seed", 0))
    sizes = {p.name: p.size for p in net.populations}
    big_record = None
    if record:
        big_record = {}
        for pop, want in record.items():
            items = want.items() if isinstance(want, Mapping) else (
                (v, [0]) for v in ([want] if isinstance(want, str) else want))
            n = sizes.get(pop, 0)
            big_record[pop] = {var: (np.arange(k)[:, None] * n
                                     + np.atleast_1d(ids)[None, :]).reshape(-1)
                               for var, ids in items}
    res = simulate_network(big, t_stop, dt, record=big_record, **kw)
    # every population's spikes grouped by copy in one stable sort (time order kept within a
    # copy; a radix sort for int16 keys) instead of one pass over all spikes per copy
    split: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, sp in res.spikes.items():
        copy = sp.ids // sizes[name]
        o = np.argsort(copy.astype(np.int16) if k < 2**15 else copy, kind="stable")
        split[name] = (o, np.concatenate([[0], np.cumsum(np.bincount(copy, minlength=k))]))
    out = []
    for b in range(k):
        spikes = {}
        for name, sp in res.spikes.items():
            n = sizes[name]
            o, bounds = split[name]
            sel = o[bounds[b]:bounds[b + 1]]
            spikes[name] = Spikes(sp.times[sel], sp.ids[sel] - b * n, (n,))
        traces: dict[str, dict[str, np.ndarray]] = {}
        recorded: dict[str, dict[str, np.ndarray]] = {}
        for pop, d in res.traces.items():
            for var, x in d.items():
                m = x.shape[0] // k
                traces.setdefault(pop, {})[var] = x[b * m:(b + 1) * m]
                recorded.setdefault(pop, {})[var] = res.recorded[pop][var][b * m:(b + 1) * m] \
                    - b * sizes[pop]
        out.append(NetworkResult(
            t=res.t, spikes=spikes, traces=traces, recorded=recorded, sizes=sizes,
            t_stop=res.t_stop, dt=res.dt, status=res.status, message=res.message,
            provenance={**res.provenance, "batch": labels[b], "network": repr(net)},
            stats={**res.stats, "batch_index": b, "batch_size": k}))
    return out
