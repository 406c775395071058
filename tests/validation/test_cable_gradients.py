"""Gradients through a multi-compartment simulation (issue 4, item 5).

The loss is the mean squared difference between the soma trace of the branched reference cell
(1 s at dt = 0.025 ms, 0.75 nA step: 62 spikes) and a target trace made with other conductances.
``jax.grad`` with respect to three regional conductances (soma g_Na, soma g_K, dendritic g_pas)
must agree with central finite differences within 1e-3 relative. The peak temporary memory of the
compiled backward pass (XLA's memory analysis) is reported, with and without checkpointing.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neurodyn.cable import build
from neurodyn.cable.examples import branched_cell

pytestmark = pytest.mark.validation

PATHS = ["soma.hh.g_na", "soma.hh.g_k", "apical.pas.g"]


def _loss_fn(checkpoint: int | None):
    sim = build(branched_cell(), 1000.0, 0.025, record=["soma(0.5)"], record_dt=0.1,
                checkpoint=checkpoint)
    target = np.asarray(sim.run(dict(zip(PATHS, (110.0, 38.0, 0.12))))["v"][0])

    def loss(theta):
        v = sim.run(dict(zip(PATHS, theta)))["v"][0]
        return jnp.mean((v - target) ** 2)

    return loss


def test_gradient_matches_finite_differences_and_memory_is_bounded() -> None:
    loss = _loss_fn(None)
    theta = jnp.array([120.0, 36.0, 0.1])
    grad = jax.jit(jax.grad(loss)).lower(theta).compile()
    temp_ckpt = grad.memory_analysis().temp_size_in_bytes
    g = np.asarray(grad(theta))
    f = jax.jit(loss)
    for i in range(3):
        h = 1e-5 * float(theta[i])
        e = jnp.zeros(3).at[i].set(h)
        fd = (float(f(theta + e)) - float(f(theta - e))) / (2 * h)
        assert abs(g[i] - fd) < 1e-3 * abs(fd), (PATHS[i], g[i], fd)
    full = jax.jit(jax.grad(_loss_fn(10000))).lower(theta).compile()
    temp_full = full.memory_analysis().temp_size_in_bytes
    print(f"backward pass temporary memory, 1 s at dt 0.025 ms: {temp_ckpt / 1e6:.1f} MB with "
          f"checkpointing, {temp_full / 1e6:.1f} MB storing every sample")
    assert temp_ckpt < 50e6 and temp_ckpt < temp_full / 10
