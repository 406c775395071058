"""The ideal voltage clamp to a recorded trace (neurodyn.stimuli.VoltageClamp), through
nd.simulate, Protocol.simulate(clamp=...), FitProblem(clamp_v=...) and the fit spec's
[data].clamp_before_step; and the errors of each."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.fitting import FeatureTarget, FitProblem, FreeParameter, Protocol
from neurodyn.math import numpy_math
from neurodyn.network import Population
from neurodyn.stimuli import Step, VoltageClamp

DT = 0.025


def test_clamped_gates_relax_as_the_analytic_solution_at_fixed_voltage():
    """HH clamped from rest to -20 mV: every gate relaxes as x_inf + (x0 - x_inf) exp(-k t)
    (the analytic solution of dx/dt = k (x_inf - x) at fixed v), and v is the command; with
    exp_euler, exact for these linear equations at fixed v, the match is to round-off."""
    m = nd.models.HodgkinHuxley()
    t = np.arange(0.0, 10.0 + DT / 2, DT)
    res = nd.simulate(m, 10.0, DT, stimulus=VoltageClamp(values=np.full(t.size, -20.0),
                                                          sample_dt=DT),
                      record="all", method="exp_euler")
    v0 = float(res.trace("v")[0])
    assert v0 == pytest.approx(-65.0, abs=0.1)  # the model's rest: the clamp acts from step 1
    np.testing.assert_allclose(np.asarray(res.trace("v"))[1:], -20.0, atol=1e-12)
    pm = m.param_values()
    rest = [x_inf for x_inf, _ in m.gating(pm, v0, numpy_math)]
    for (x_inf, k), x0, name in zip(m.gating(pm, -20.0, numpy_math), rest, ("m", "h", "n")):
        # step 1 ends at -20 mV but was integrated at the initial v; from there v is -20 mV
        x1 = float(res.trace(name)[1])
        want = x_inf + (x1 - x_inf) * np.exp(-k * (t[1:] - t[1]))
        np.testing.assert_allclose(np.asarray(res.trace(name))[1:], want, rtol=1e-10, atol=1e-13)
        assert abs(x1 - x0) < 0.05  # one step from rest


def test_release_continues_from_the_clamped_state():
    """Clamped to a sine until 20 ms, then free under a step: after the release the trace is
    that of a run started at 20 ms from the clamped run's final state."""
    m = nd.models.HodgkinHuxley()
    t = np.arange(0.0, 40.0 + DT / 2, DT)
    cmd = -65.0 + 15.0 * np.sin(t / 2.0)
    step = Step(amplitude=8.0, start=0.0)
    res = nd.simulate(m, 40.0, DT, stimulus=[VoltageClamp(values=cmd, sample_dt=DT, stop=20.0),
                                             step], record="all")
    v = np.asarray(res.trace("v"))
    k = round(20.0 / DT)
    np.testing.assert_allclose(v[1:k], cmd[1:k], atol=1e-12)
    # the step that ends at the release (20 ms) is the first free one
    head = nd.simulate(m, 20.0, DT, stimulus=[VoltageClamp(values=cmd, sample_dt=DT, stop=20.0),
                                              step])
    tail = nd.simulate(m, 20.0, DT, stimulus=step, init=head.final_state)
    np.testing.assert_allclose(v[k:], np.asarray(tail.trace("v")), atol=1e-9)
    assert np.max(v[k:]) > 0  # the released cell spikes under the step


def test_command_is_interpolated_between_samples():
    m = nd.models.HodgkinHuxley()
    res = nd.simulate(m, 1.0, DT, stimulus=VoltageClamp(values=[-70.0, -60.0], sample_dt=1.0))
    np.testing.assert_allclose(np.asarray(res.trace("v"))[1:], -70.0 + 10.0 * np.arange(1, 41) * DT,
                               atol=1e-9)


def test_clamp_errors():
    with pytest.raises(ParameterError, match="finite"):
        VoltageClamp(values=[1.0, np.nan])
    with pytest.raises(ParameterError, match="at least 2 finite"):
        VoltageClamp(values=[1.0])
    with pytest.raises(ParameterError, match="at least 2 finite"):
        VoltageClamp(values=np.zeros((2, 1)))
    with pytest.raises(ParameterError, match="stop must be >= start"):
        VoltageClamp(values=[0.0, 1.0], start=5.0, stop=1.0)
    vc = VoltageClamp(values=[-60.0, -60.0], sample_dt=1.0)
    with pytest.raises(ParameterError, match="integrate-and-fire"):
        nd.simulate(nd.models.AdEx(), 1.0, 0.1, stimulus=vc)
    with pytest.raises(ParameterError, match="fixed-step method"):
        nd.simulate(nd.models.HodgkinHuxley(), 1.0, 0.1, stimulus=vc, method="tsit5")
    with pytest.raises(ParameterError, match="point models"):
        Population("p", nd.models.HodgkinHuxley(), 2, stimulus=vc)


def _protocol() -> Protocol:
    return Protocol.steps([-20.0, 30.0], start=50.0, stop=150.0, t_stop=200.0, dt=0.05)


def test_protocol_clamps_each_sweep_to_its_trace_until_the_release():
    prot = _protocol()
    m = nd.models.Pospischil()
    rng = np.random.default_rng(0)
    v_rec = -70.0 + rng.normal(0.0, 1.0, (2, prot.n_samples))
    until = np.array([50.0, 30.0])
    out = prot.simulate(m, clamp=(v_rec, until))
    v = np.asarray(out.v)
    assert out.strategy == "batch"  # one command per sweep, all sweeps in one call
    loop = prot.simulate(m, clamp=(v_rec, until), strategy="loop")
    np.testing.assert_allclose(v, np.asarray(loop.v), atol=1e-10)
    both = prot.simulate(m, clamp=(v_rec, until), batch={"g_l": [0.02, 0.05, 0.1]})
    assert np.asarray(both.v).shape == (3, 2, prot.n_samples)
    np.testing.assert_allclose(np.asarray(both.v)[:, :, 1:600],
                               np.broadcast_to(v_rec[:, 1:600], (3, 2, 599)), atol=1e-12)
    for s, u in enumerate(until):
        k = round(u / prot.dt)
        np.testing.assert_allclose(v[s, 1:k], v_rec[s, 1:k], atol=1e-12)
        assert np.max(np.abs(v[s, k + 1:k + 20] - v_rec[s, k + 1:k + 20])) > 0.1  # released
    free = np.asarray(prot.simulate(m).v)
    assert np.max(np.abs(v[:, -100:] - free[:, -100:])) < 0.5  # the clamp's effect fades
    with pytest.raises(ParameterError, match="shape"):
        prot.simulate(m, clamp=(v_rec[:1], 50.0))
    with pytest.raises(ParameterError, match="within the sweep"):
        prot.simulate(m, clamp=(v_rec, 500.0))
    with pytest.raises(ParameterError, match="one per sweep"):
        prot.simulate(m, clamp=(v_rec, [10.0, 20.0, 30.0]))
    with pytest.raises(ParameterError, match="excludes continuous"):
        prot.simulate(m, clamp=(v_rec, 50.0), continuous=True)
    with pytest.raises(ParameterError, match=r"must be \(v, until\)"):
        prot.simulate(m, clamp=v_rec)


def test_fit_problem_releases_at_each_sweeps_stimulus_window():
    prot = _protocol()
    base = np.array([-75.0, -62.0])
    v_rec = np.repeat(base[:, None], prot.n_samples, axis=1)
    v_rec[:, 900:1000] = -20.0  # 45-50 ms: a depolarisation just before the step
    feats = ["steady_state_voltage"]
    tgt = FeatureTarget.from_values(np.full((2, 1), -70.0), feats)
    params = [FreeParameter("g_l", 0.02, 0.5, "log")]
    pb = FitProblem(nd.models.Pospischil(), params, prot, tgt, feats, holding="baseline",
                    baseline=base, clamp_v=v_rec)
    out = np.asarray(pb.simulate(np.array([[0.05], [0.2]])).v)
    k = round(50.0 / prot.dt)
    np.testing.assert_allclose(out[:, :, 1:k], np.broadcast_to(v_rec[:, 1:k], (2, 2, k - 1)),
                               atol=1e-12)
    held = np.asarray(FitProblem(nd.models.Pospischil(), params, prot, tgt, feats,
                                 holding="baseline", baseline=base).simulate(
                                     np.array([[0.05], [0.2]])).v)
    assert np.max(np.abs(out[..., k + 1:] - held[..., k + 1:])) > 0.1  # the history matters
    with pytest.raises(ParameterError, match=r"clamp_v must be \(n_sweeps, n_samples\)"):
        FitProblem(nd.models.Pospischil(), params, prot, tgt, feats, clamp_v=v_rec[:, :10])
    with pytest.raises(ParameterError, match="conductance-based point model"):
        FitProblem(nd.models.AdEx(), [FreeParameter("a", 0.0, 5.0)], prot, tgt, feats,
                   clamp_v=v_rec)


def test_fit_spec_clamp_before_step(reference_dir):
    pytest.importorskip("pyabf", reason="pyabf is not installed")
    pytest.importorskip("efel", reason="eFEL is not installed")
    from neurodyn.errors import SpecError
    from neurodyn.io.fit_spec import parse_fit_spec

    base = {"model": {"type": "Pospischil"},
            "data": {"recording": str(reference_dir / "ephys/pyabf/17o05028_ic_steps.abf"),
                     "cut": "700 ms", "holding": "baseline", "clamp_before_step": True},
            "features": {"names": ["spike_count"]},
            "parameter": [{"path": "g_l", "low": 0.01, "high": 0.1}]}
    spec = parse_fit_spec(json.loads(json.dumps(base)))
    np.testing.assert_array_equal(spec.problem.clamp_v, spec.data_v)
    bad = json.loads(json.dumps(base))
    bad["data"]["clamp_before_step"] = "yes"
    with pytest.raises(SpecError, match="true or false"):
        parse_fit_spec(bad)
    bad = json.loads(json.dumps(base))
    del bad["data"]["cut"], bad["data"]["holding"]
    bad["data"]["continuous"] = True
    with pytest.raises(SpecError, match=r"clamp_before_step.*excludes continuous"):
        parse_fit_spec(bad)


def test_gradient_through_the_clamped_protocol_matches_finite_differences():
    """fit_gradient's path (traced candidate values through FitProblem.protocol_inputs and
    Protocol.simulate) goes through the clamp: jax.grad equals central differences."""
    jax = pytest.importorskip("jax")
    from neurodyn.fitting.objectives import trace_distance

    prot = _protocol()
    base = np.array([-75.0, -62.0])
    v_rec = np.repeat(base[:, None], prot.n_samples, axis=1)
    v_rec[:, 900:1000] = -20.0
    feats = ["steady_state_voltage"]
    tgt = FeatureTarget.from_values(np.full((2, 1), -70.0), feats)
    pb = FitProblem(nd.models.Pospischil(), [FreeParameter("g_l", 0.02, 0.5, "log")], prot, tgt,
                    feats, holding="baseline", baseline=base, clamp_v=v_rec)

    def distance(g):
        batch, extra = pb.protocol_inputs({"g_l": g[None]})
        out = prot.simulate(pb.model, batch=batch, **extra)
        return trace_distance(out.v[0], v_rec, prot.dt)

    g0, h = jax.numpy.asarray(0.05), 1e-4
    fd = (distance(g0 + h) - distance(g0 - h)) / (2 * h)
    np.testing.assert_allclose(float(jax.grad(distance)(g0)), float(fd), rtol=1e-4)


@pytest.mark.parametrize(("gate", "other"), [("z", "y"), ("y", "z")])
def test_slow_inactivation_relaxes_as_its_analytic_solution_under_clamp(gate, other):
    """Pospischil's slow inactivation gates (extensions, off by default): z of the Na+ current
    (f_z > 0), y of the delayed rectifier (f_y > 0). Clamped at -20 mV from rest, the gate
    relaxes as x_inf + (x1 - x_inf) exp(-(t - t1)/tau), x_inf = 1 - f/(1 + e^{-(v-V)/k}); it
    scales its own current's conductance only; when off (the default) it stays 1."""
    pars = {f"f_{gate}": 0.5, f"v_{gate}": -40.0, f"k_{gate}": 5.0, f"tau_{gate}": 200.0}
    m = nd.models.Pospischil(**pars)
    t = np.arange(0.0, 2000.0 + 0.05 / 2, 0.05)
    res = nd.simulate(m, 2000.0, 0.05, stimulus=VoltageClamp(values=np.full(t.size, -20.0),
                                                            sample_dt=0.05), record="all")
    x = np.asarray(res.trace(gate))
    x_inf = 1.0 - 0.5 / (1.0 + np.exp(-(-20.0 + 40.0) / 5.0))
    want = x_inf + (x[1] - x_inf) * np.exp(-(t[1:] - t[1]) / 200.0)
    np.testing.assert_allclose(x[1:], want, rtol=1e-9)
    assert x[-1] == pytest.approx(x_inf, abs=1e-3)
    np.testing.assert_array_equal(np.asarray(res.trace(other)), 1.0)
    s = {k: float(v) for k, v in res.final_state.items()}
    g = m._conductances(m.param_values(), m.State(**s), numpy_math)
    assert g["na"] == pytest.approx(50.0 * s["m"] ** 3 * s["h"] * s["z"])
    assert g["kd"] == pytest.approx(5.0 * s["n"] ** 4 * s["y"])
    assert s[gate] < 0.6
    off = nd.simulate(nd.models.Pospischil(), 50.0, 0.05, record="all", stimulus=Step(amplitude=5.0))
    np.testing.assert_array_equal(np.asarray(off.trace(gate)), 1.0)
