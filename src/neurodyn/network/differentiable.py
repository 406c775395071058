"""Gradients through network simulations.

:func:`differentiable` returns a pure function ``run(theta) -> traces`` and the starting
``theta``: the neuron parameters of every population and the weights of every synapse table.
``run`` is one ``lax.scan`` over all steps (reverse-mode differentiable: spike delivery takes a
fixed "every neuron" bucket instead of the ``while_loop`` of ordinary runs, still exact), so
``jax.grad`` of any scalar function of the traces gives the gradient with respect to every
parameter and weight.

What is differentiable:

* everything continuous: graded dynamics (HH-type neurons, gap junctions), the synaptic
  conductances and currents, and the weights through the conductance jumps they cause;
* not spike times and spike counts: threshold crossings and resets are discrete events, so the
  gradient does not see how a parameter moves a spike (it is zero through the spike condition).
  For integrate-and-fire networks this means the gradient of a loss is only the part carried by
  the subthreshold dynamics between fixed spikes; a surrogate-gradient spike function (as in
  spiking-network training) is not provided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..engine.simulate import _n_steps
from ..errors import ParameterError
from .engine import NetKernelSpec, _dev, build, consts_of, make_chunk
from .network import Network
from .simulate import _record_spec, _time

__all__ = ["differentiable"]


def differentiable(net: Network, t_stop: float | str, dt: float | str = 0.1, *,
                   record: Mapping[str, Any], method: str | None = None,
                   seed: int = 0) -> tuple[Callable[[Any], dict], dict[str, Any]]:
    """``(run, theta0)``: ``run(theta)`` simulates ``net`` and returns the recorded traces
    ``{population: {var: (n_recorded, n_steps)}}`` (every step, from t = 0), differentiable in
    ``theta = {"params": {population: Params}, "weights": {table: array}}``.

    Example
    -------
    >>> run, theta = differentiable(net, 100.0, 0.025, record={"P": {"v": [0]}})
    >>> loss = lambda th: jnp.mean(run(th)["P"]["v"])
    >>> grads = jax.grad(loss)(theta)   # grads["params"]["P"].g_na, grads["weights"][...]
    """
    t_stop_f, dt_f = _time(t_stop, "t_stop"), _time(dt, "dt")
    n_steps = _n_steps(t_stop_f, dt_f, "t_stop")
    if not record:
        raise ParameterError("differentiable: give record={population: {var: [ids]}} (the traces "
                             "a loss is computed from).")
    if any(type(getattr(pr, "plasticity", None)).__name__ == "STDP" for pr in net.projections):
        raise ParameterError("differentiable: networks with STDP are not supported (their weights "
                             "are state, not parameters). Fix: remove the STDP rule.")
    bn = build(net, dt_f, seed=seed, method=method)
    rec_all = _record_spec(bn, record)
    if any(e[0] in ("label", -1) for e in rec_all):
        raise ParameterError("differentiable: recording weights is not supported here; the final "
                             "weights are part of theta.")
    sizes = tuple(bn.neurons[i].n if kind == "neuron" else bn.sources[i].n
                  for kind, i in bn.order)
    spec = NetKernelSpec(1, n_steps, rec_all, sizes, bucketed=True, full_last=True,
                         step_only=True)
    one_step, sample = make_chunk(bn, spec)
    consts = consts_of(bn)
    key = _dev(np.array([int(seed) >> 32, int(seed) & 0xFFFFFFFF], np.uint32), np.uint32)
    states0 = tuple((p.init, _dev(np.zeros(p.n), np.int32), tuple(p.syn_init))
                    for p in bn.neurons)
    rec0 = tuple(jnp.zeros((n_steps, -(-n // 64)), jnp.uint64) for n in sizes)
    carry0 = (states0, bn.initial_buffer(), jnp.zeros((bn.n_slots,), bn.dtype), rec0,
              bn.initial_plasticity())
    theta0 = {"params": {p.name: consts["params"][k] for k, p in enumerate(bn.neurons)},
              "weights": {key_: consts["tables"][key_]["weights"] for key_ in consts["tables"]}}

    def run(theta: dict[str, Any]) -> dict[str, dict[str, Any]]:
        c = dict(consts)
        c["params"] = [theta["params"][p.name] for p in bn.neurons]
        c["tables"] = {k: {**v, "weights": theta["weights"][k]} for k, v in consts["tables"].items()}

        def body(carry: Any, n: Any) -> Any:
            smp = sample(carry[0], carry[2], carry[4], c)
            carry, _ = one_step(carry, n, c, key, jnp.int32(0))
            return carry, smp

        _, samples = jax.lax.scan(body, carry0, jnp.arange(n_steps, dtype=jnp.int32))
        out: dict[str, dict[str, Any]] = {}
        for (k, var, _), x in zip(rec_all, samples):
            out.setdefault(bn.neurons[k].name, {})[var] = x.T
        return out

    return run, theta0
