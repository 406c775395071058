"""Holding at a recorded baseline: the models' holding currents, per-sweep values and holding
currents in Protocol.simulate, FitProblem(holding="baseline"), and the pieces the real-data fits
use (Recording.cut, extract(margins=...), simulate(throw="continue"))."""

from __future__ import annotations

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.math import numpy_math


@pytest.mark.parametrize("model", [nd.models.Pospischil(), nd.models.HodgkinHuxley(),
                                   nd.models.TraubMiles(), nd.models.AdEx(),
                                   # the extensions: [Ca] at rest feeds the AHP current
                                   nd.models.Pospischil(g_cal=0.2, g_t=0.05, g_ahp=0.03,
                                                        k_ahp=5e-3, g_kir=0.1),
                                   # an AIS at its own rest, with a Na+ window current
                                   nd.models.PospischilAIS(g_c=20.0, area_ax=80.0,
                                                           g_na_ax=300.0, g_kd_ax=40.0,
                                                           v_t_ax=-12.0)],
                         ids=lambda m: type(m).__name__)
def test_holding_current_makes_the_voltage_a_steady_state(model):
    v = -68.0
    i, init = model.holding(model.param_values(), np.float64(v), numpy_math)
    res = nd.simulate(model.replace(**{k: float(x) for k, x in init.items()}), 200.0, 0.025,
                      stimulus=nd.stimuli.Step(amplitude=float(i), start=0.0, stop=1e9))
    trace = np.asarray(res.trace("v")).ravel()
    assert np.max(np.abs(trace - v)) < 1e-6


def test_holding_is_refused_where_undefined():
    m = nd.models.Izhikevich()
    with pytest.raises(ParameterError, match="holding current is not defined"):
        m.holding(m.param_values(), -65.0, numpy_math)


def _protocol():
    from neurodyn.fitting import Protocol

    return Protocol.steps([-20.0, 0.0, 30.0], start=50.0, stop=150.0, t_stop=200.0,
                                     dt=0.05)


def test_per_sweep_values_and_holding_batch_equals_loop():
    prot = _protocol()
    m = nd.models.AdEx()
    hold = np.array([[10.0, -20.0, 0.0], [0.0, 5.0, 40.0]])  # pA, (P=2, sweeps)
    init = {"v_init": np.array([[-70.0, -60.0, -65.0], [-72.0, -71.0, -50.0]])}
    a = prot.simulate(m, batch={"b": [0.0, 60.0]}, per_sweep=init, holding=hold, strategy="batch")
    b = prot.simulate(m, batch={"b": [0.0, 60.0]}, per_sweep=init, holding=hold, strategy="loop")
    assert np.asarray(a.v).shape == (2, 3, prot.n_samples)
    np.testing.assert_allclose(np.asarray(a.v), np.asarray(b.v), atol=1e-9)
    np.testing.assert_allclose(np.asarray(a.v)[..., 0], init["v_init"])
    # the holding current is there: without it the traces differ
    c = prot.simulate(m, batch={"b": [0.0, 60.0]}, per_sweep=init, strategy="batch")
    assert np.max(np.abs(np.asarray(c.v) - np.asarray(a.v))) > 1.0
    with pytest.raises(ParameterError, match="one value per sweep"):
        prot.simulate(m, holding=np.zeros(2))
    with pytest.raises(ParameterError, match="both batch and per_sweep"):
        prot.simulate(m, batch={"v_init": [-70.0]}, per_sweep={"v_init": np.zeros(3)})


def test_fit_problem_holds_each_sweep_at_its_baseline():
    from neurodyn.fitting import FeatureTarget, FitProblem, FreeParameter, recorded_baseline

    prot = _protocol()
    base = np.array([-75.0, -62.0, -70.0])
    v_rec = np.repeat(base[:, None], prot.n_samples, axis=1)
    np.testing.assert_allclose(recorded_baseline(v_rec, prot), base)
    feats = ["steady_state_voltage"]
    tgt = FeatureTarget.from_values(np.full((3, 1), -70.0), feats)
    params = [FreeParameter("g_l", 0.02, 0.5, "log"), FreeParameter("e_l", -90.0, -50.0)]
    pb = FitProblem(nd.models.Pospischil(), params, prot, tgt, feats, holding="baseline",
                    baseline=base)
    x = np.array([[0.05, -80.0], [0.2, -55.0]])
    out = np.asarray(pb.simulate(x).v)
    # before the step (t < 50 ms) every candidate sits at the sweep's baseline
    np.testing.assert_allclose(out[..., : int(49.0 / prot.dt)],
                               np.broadcast_to(base[None, :, None], (2, 3, int(49.0 / prot.dt))),
                               atol=1e-6)
    with pytest.raises(ParameterError, match="baseline"):
        FitProblem(nd.models.Pospischil(), params, prot, tgt, feats, holding="baseline")
    with pytest.raises(ParameterError, match="holding must be"):
        FitProblem(nd.models.Pospischil(), params, prot, tgt, feats, holding="rest")
    with pytest.raises(ParameterError, match="holding current is not defined"):
        FitProblem(nd.models.Izhikevich(), [FreeParameter("a", 0.01, 0.1)], prot, tgt, feats,
                   holding="baseline", baseline=base)


def test_gradients_through_holding_match_finite_differences_of_the_numpy_path():
    """The gradient method holds each sweep as FitProblem.simulate does, differentiably: the JAX
    gradient of the trace distance (holding current and start from the traced parameters) equals
    central differences of the same distance computed through FitProblem.simulate (NumPy)."""
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    from neurodyn.fitting import FeatureTarget, FitProblem, FreeParameter, fit_gradient
    from neurodyn.fitting.objectives import trace_distance

    prot = _protocol()
    base = np.array([-75.0, -62.0, -70.0])
    feats = ["steady_state_voltage"]
    tgt = FeatureTarget.from_values(np.full((3, 1), -70.0), feats)
    # (with holding, E_L only shifts the holding current: the traces do not depend on it)
    params = [FreeParameter("g_l", 0.02, 0.5, "log"), FreeParameter("area", 5e3, 5e4, "log"),
              FreeParameter("g_m", 0.01, 0.5, "log")]
    pb = FitProblem(nd.models.Pospischil(), params, prot, tgt, feats, holding="baseline",
                    baseline=base)
    truth = np.array([[0.1, 2e4, 0.1]])
    target_v = np.asarray(pb.simulate(truth).v)[0]
    x0 = np.array([0.15, 1.5e4, 0.2])

    def dist_numpy(x):
        return float(trace_distance(np.asarray(pb.simulate(x[None]).v), target_v, prot.dt)[0])

    def dist_jax(x):
        batch, extra = pb.protocol_inputs({p.path: x[j][None] for j, p in enumerate(pb.params)})
        out = prot.simulate(pb.model, batch=batch, method=pb.method, spikes=False, **extra)
        return trace_distance(out.v, jax.numpy.asarray(target_v), prot.dt)[0]

    assert float(dist_jax(jax.numpy.asarray(x0))) == pytest.approx(dist_numpy(x0), rel=1e-9)
    g = np.asarray(jax.grad(dist_jax)(jax.numpy.asarray(x0)))
    h = 1e-5 * x0
    fd = np.array([(dist_numpy(x0 + h[j] * np.eye(3)[j]) - dist_numpy(x0 - h[j] * np.eye(3)[j]))
                   / (2 * h[j]) for j in range(3)])
    assert np.all(np.abs(fd * x0) > 0.01)  # every parameter matters here (mV per e-fold)
    np.testing.assert_allclose(g, fd, rtol=1e-4)
    # and the gradient method runs with holding (the hybrid's polish does too)
    res = fit_gradient(pb, target_v, x0=[x0], steps=30, learning_rate=0.05)
    assert res.history[-1]["best"] < 0.5 * res.history[0]["best"]


def test_nonfinite_candidates_do_not_stop_a_batch():
    m = nd.models.HodgkinHuxley()
    res = nd.simulate(m, 50.0, 0.025, batch={"g_k": [36.0, 36.0], "c_m": [1.0, 1e-3]},
                      stimulus=nd.stimuli.Step(amplitude=10.0, start=5.0, stop=40.0),
                      method="euler", throw="continue")
    v = np.asarray(res.trace("v"))
    assert res.status.name == "NONFINITE" and "NaN" in res.message
    assert v.shape == (2, 2001)
    assert np.all(np.isfinite(v[0])) and not np.all(np.isfinite(v[1]))
    ok = nd.simulate(m, 50.0, 0.025, stimulus=nd.stimuli.Step(amplitude=10.0, start=5.0, stop=40.0),
                     method="euler")
    np.testing.assert_allclose(v[0], np.asarray(ok.trace("v")).ravel(), atol=1e-12)


def test_recording_cut_and_feature_margins():
    from neurodyn.fitting import extract, from_arrays

    t = np.arange(0, 400.0, 0.1)
    v = np.full(t.size, -70.0)
    for t0 in (20.0, 150.0, 180.0, 350.0):  # a spontaneous spike, two evoked, one after the step
        v[(t >= t0) & (t < t0 + 1.0)] = 20.0
    i = np.where((t >= 100) & (t < 300), 50.0, 0.0)
    rec = from_arrays(t, v[None], i[None])
    cut = rec.cut(320.0)
    assert cut.n_samples == 3200 and cut.sweeps[0].t[-1] == pytest.approx(319.9)
    with pytest.raises(Exception, match="cut"):
        rec.cut(0.0)
    kw = dict(stim_start=100.0, stim_end=300.0, features=["spike_count", "time_to_first_spike"])
    whole = extract(v[None], t, **kw)
    framed = extract(v[None], t, margins=(10.0, 0.0), **kw)
    assert whole[0, 0] == 4 and framed[0, 0] == 2
    assert framed[0, 1] == pytest.approx(50.0, abs=1.0)
    with pytest.raises(ParameterError, match="margins"):
        extract(v[None], t, margins=(-1.0, 0.0), **kw)
