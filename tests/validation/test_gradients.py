"""jax.grad of a trace loss w.r.t. (g_na, g_k, g_l) against central finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd

pytestmark = pytest.mark.validation

STEP = nd.stimuli.Step(amplitude=8.0, start=5.0, stop=45.0)
TARGET = np.asarray(nd.simulate(nd.models.HodgkinHuxley(g_na=110.0, g_k=40.0, g_l=0.25), 50.0,
                                0.01, stimulus=STEP, record_dt=0.1).trace("v"))


def loss(theta, method):
    g_na, g_k, g_l = theta
    m = nd.models.HodgkinHuxley(g_na=g_na, g_k=g_k, g_l=g_l)
    v = nd.simulate(m, 50.0, 0.01, stimulus=STEP, record_dt=0.1, method=method).trace("v")
    return jnp.mean((v - TARGET) ** 2)


@pytest.mark.parametrize("method", ["exp_euler", "rk4"])
def test_gradient_matches_central_differences(method):
    theta = np.array([120.0, 36.0, 0.3])
    g = np.asarray(jax.jit(jax.grad(lambda x: loss(x, method)))(jnp.asarray(theta)))
    fd = np.zeros(3)
    f = jax.jit(lambda x: loss(x, method))
    for k in range(3):
        h = 1e-5 * theta[k]
        e = np.zeros(3)
        e[k] = h
        fd[k] = (f(theta + e) - f(theta - e)) / (2 * h)
    rel = np.abs(g - fd) / np.abs(fd)
    assert rel.max() < 1e-3, f"grad {g}, finite differences {fd}, relative error {rel}"
