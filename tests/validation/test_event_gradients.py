"""Gradients through spikes and resets (the event-time terms of engine.kernel.event_gradients).

* LIF under a constant current: the mean membrane potential over 100 ms has a closed form
  (exponential charging to threshold, reset, refractory hold); ``jax.grad`` of the simulated mean
  against central differences of that closed form, with and without a refractory period.
  Without the event terms the gradient has the wrong sign (it sees only the subthreshold
  trajectory between fixed resets).
* AdEx (Brette & Gerstner 2005 values, 800 pA): the Jacobian of the first four spike times
  against central differences of the simulation (1 % steps, which move each spike by many
  time steps); measured: 1.7 % relative error. The explicit step through the exponential
  upswing (-30 to +300 mV in one step) does not resolve it; the spike-time derivative is
  taken where the steps do.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd

pytestmark = pytest.mark.validation

T_LIF = 100.0


def _lif_mean_closed_form(c_m, g_l, amp, t_ref, e_l=-60.0, v_r=-60.0, v_th=-50.0):
    """Mean v (mV) over [0, T_LIF] of a LIF neuron started at reset under ``amp`` pA."""
    tau, v_inf = c_m / g_l, e_l + amp / g_l
    charge = tau * np.log((v_inf - v_r) / (v_inf - v_th))  # reset to threshold (ms)
    t, area = 0.0, 0.0
    while t < T_LIF:
        s = min(charge, T_LIF - t)
        area += v_inf * s + (v_r - v_inf) * tau * (1 - np.exp(-s / tau))
        t += s
        if t >= T_LIF:
            break
        r = min(t_ref, T_LIF - t)
        area += v_r * r
        t += r
    return area / T_LIF


def _lif_mean_simulated(theta, t_ref, dt):
    c_m, g_l, amp = theta
    m = nd.models.LIF(c_m=c_m, g_l=g_l, t_ref=t_ref, e_l=-60.0, v_reset=-60.0, v_th=-50.0,
                      v_init=-60.0)
    r = nd.simulate(m, T_LIF, dt, stimulus=nd.stimuli.Step(amplitude=amp, start=0.0),
                    spikes=False, method="euler")
    return jnp.mean(r.trace("v"))


@pytest.mark.parametrize("t_ref", [0.0, 2.0])
def test_lif_mean_potential_gradient_matches_the_closed_form(t_ref):
    theta = np.array([200.0, 10.0, 150.0])  # pF, nS, pA: 4 spikes in 100 ms
    exact = np.array([(_lif_mean_closed_form(*(theta + e), t_ref)
                       - _lif_mean_closed_form(*(theta - e), t_ref)) / (2 * e[k])
                      for k, e in enumerate(np.diag(1e-4 * theta))])
    g = np.asarray(jax.grad(lambda x: _lif_mean_simulated(x, t_ref, 0.002))(jnp.asarray(theta)))
    rel = np.abs(g - exact) / np.abs(exact)
    print(f"t_ref {t_ref}: closed form {exact}, jax.grad {g}, relative error {rel}")
    assert rel.max() < 0.01, (g, exact)


def test_adex_spike_time_jacobian_matches_finite_differences():
    names = ["g_l", "v_t", "a", "b"]
    theta = np.array([30.0, -50.4, 4.0, 80.5])
    dt = 0.005

    def times(x):
        m = nd.models.AdEx(**dict(zip(names, x)))
        r = nd.simulate(m, 130.0, dt, stimulus=nd.stimuli.Step(amplitude=800.0, start=0.0))
        f = r.spikes.dense
        idx = jnp.nonzero(f >= 0, size=4)[0]
        return (idx + f[idx].astype(jnp.float64)) * dt

    f = jax.jit(times)
    t0 = np.asarray(f(theta))
    assert np.all(np.diff(t0) > 0) and t0[-1] < 125.0  # four spikes, the last well inside
    jac = np.asarray(jax.jit(jax.jacrev(times))(jnp.asarray(theta)))
    fd = np.stack([(np.asarray(f(theta + e)) - np.asarray(f(theta - e))) / (2 * e.max())
                   for e in np.diag(0.01 * np.abs(theta))], axis=1)
    err = np.linalg.norm(jac - fd) / np.linalg.norm(fd)
    print(f"spike times {t0} ms; Jacobian\n{jac}\nfinite differences\n{fd}\nrelative error {err:.3g}")
    assert err < 0.03
    # each parameter's column on its own, too
    col = np.linalg.norm(jac - fd, axis=0) / np.linalg.norm(fd, axis=0)
    assert col[:2].max() < 0.03 and col[2:].max() < 0.10, col
