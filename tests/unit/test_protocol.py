"""neurodyn.fitting.protocol: epochs detected from recorded currents (exact and noisy), synthetic
step protocols, the stimuli they make and Protocol.simulate (sample times and step edges equal to
the recording's, unit conversion, parameter sets x sweeps in one batched call)."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError, UnitError
from neurodyn.fitting import Epoch, Protocol, RecordingError, from_arrays, read_abf, read_npz
from neurodyn.stimuli import Combined, Step

ABF = "ephys/pyabf/17o05028_ic_steps.abf"
B6 = "ephys/bluepyefe_B6/B6_IDRest.npz"


@pytest.fixture(scope="module")
def abf_rec(reference_dir):
    pytest.importorskip("pyabf", reason="pyabf is not installed (pip install 'neurodyn[fitting]')")
    return read_abf(reference_dir / ABF)


def _fix(exc_info):
    msg = str(exc_info.value)
    assert "Fix:" in msg, msg
    return msg


# ----------------------------------------------------------------------------- on the recording's grid
def test_simulated_sweeps_have_the_recordings_samples_and_step_edges(abf_rec):
    protocol = Protocol.from_recording(abf_rec)
    assert protocol.dt == abf_rec.dt == 0.05 and protocol.n_samples == abf_rec.n_samples
    out = protocol.simulate(nd.models.AdEx(), record=("v", "i_ext"))
    assert out.strategy == "batch" and len(out.results) == 1
    assert out.v.shape == (16, 60000) and out.units == {"v": "mV", "i_ext": "pA"}
    # exactly the recording's sample times: sample k at k*dt
    np.testing.assert_array_equal(out.t, abf_rec[0].t)
    np.testing.assert_array_equal(out.t, np.arange(60000) * 0.05)
    # the input the model received equals the recorded command current at every sample, so every
    # step edge is at the recorded sample
    np.testing.assert_array_equal(out.trace("i_ext"), abf_rec.currents())
    # the sweeps share their edge times: one Step per segment, amplitudes batched over sweeps
    assert len(out.results[0].provenance["stimulus"]) == 3
    assert set(out.results[0].batch) == {f"stimulus[{j}].amplitude" for j in range(3)}


def test_substeps_keep_edges_on_the_samples(abf_rec):
    rec = abf_rec.select([0, 5, 15])
    protocol = Protocol.from_recording(rec)
    out = protocol.simulate(nd.models.AdEx(), record=("v", "i_ext"), substeps=4)
    np.testing.assert_array_equal(out.t, rec[0].t)
    np.testing.assert_array_equal(out.trace("i_ext"), rec.currents())
    ref = protocol.simulate(nd.models.AdEx(), record=("v",))
    # the finer step changes the trajectory only by the discretisation error
    assert np.max(np.abs(out.v - ref.v)) < 5.0


def test_current_density_models_get_pA_through_their_area(abf_rec):
    rec = abf_rec.select([0, 15])
    protocol = Protocol.from_recording(rec)
    out = protocol.simulate(nd.models.HodgkinHuxley(), batch={"area": [500.0, 1000.0]},
                            record=("v", "i_ext"), substeps=2)
    assert out.batch_shape == (2,) and out.v.shape == (2, 2, 60000)
    assert out.units["i_ext"] == "uA/cm2"
    # 1 pA over A um^2 = 1e-3 nA * 1e5 / A uA/cm2
    expect = rec.currents()[None] * 1e2 / np.array([500.0, 1000.0])[:, None, None]
    np.testing.assert_allclose(out.trace("i_ext"), expect, rtol=1e-12, atol=0)
    assert np.array_equal(out.trace("i_ext") != 0, np.broadcast_to(rec.currents() != 0, (2, 2, 60000)))
    np.testing.assert_array_equal(out.labels["area"], [500.0, 1000.0])


def test_parameter_sets_times_sweeps_in_one_call(abf_rec):
    rec = abf_rec.select([2, 5, 13])
    protocol = Protocol.from_recording(rec)
    model = nd.models.AdEx()
    out = protocol.simulate(model, batch={"a": [0.0, 4.0], "b": [0.0, 80.0]})
    assert out.v.shape == (2, 3, 60000) and out.batch_shape == (2,)
    assert out.results[0].batch_shape == (2, 3)
    # each (parameter set, sweep) equals a separate run of that sweep's stimulus
    stims = protocol.stimuli(model)
    for p, (a, b) in enumerate([(0.0, 0.0), (4.0, 80.0)]):
        for s in range(3):
            ref = nd.simulate(model.replace(a=a, b=b), protocol.t_stop, protocol.dt,
                              stimulus=list(stims[s]))
            np.testing.assert_allclose(out.v[p, s], ref.trace("v"), rtol=0, atol=1e-9)
    # one call per sweep gives the same traces
    loop = protocol.simulate(model, batch={"a": [0.0, 4.0], "b": [0.0, 80.0]}, strategy="loop")
    assert loop.strategy == "loop" and len(loop.results) == 3
    np.testing.assert_allclose(loop.v, out.v, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(loop.spike_counts(), out.spike_counts())


def test_grid_batch_keeps_its_shape():
    protocol = Protocol.steps([300.0, 600.0], start=10, stop=60, t_stop=80, dt=0.1)
    out = protocol.simulate(nd.models.AdEx(), batch=nd.grid(a=[0.0, 2.0, 4.0], b=[0.0, 60.0]))
    assert out.batch_shape == (3, 2) and out.v.shape == (3, 2, 2, 801)
    counts = out.spike_counts()
    assert counts.shape == (3, 2, 2) and out.spike_times().shape == (3, 2, 2)
    assert np.all(counts[..., 1] >= counts[..., 0])  # more current, at least as many spikes


def test_benchmark_step_protocol():
    # the fitting benchmark: 0.02 ... 0.10 nA from 100 to 600 ms, 700 ms
    amps = ["0.02 nA", "0.04 nA", "0.06 nA", "0.08 nA", "0.1 nA"]
    protocol = Protocol.steps(amps, start=100, stop=600, t_stop=700, dt=0.025)
    assert protocol.n_sweeps == 5 and protocol.n_samples == 28001
    assert [e[0] for e in protocol.epochs] == [Epoch(100.0, 600.0, a) for a in (20, 40, 60, 80, 100)]
    assert protocol.names[0] == "20 pA"
    cur = protocol.currents()
    t = protocol.t
    np.testing.assert_array_equal(cur[:, (t >= 100) & (t < 600)][:, 0], [20, 40, 60, 80, 100])
    assert not cur[:, (t < 100) | (t >= 600)].any()
    model = nd.models.HodgkinHuxley(area=500.0)  # 20 pA -> 4 uA/cm2 ... 100 pA -> 20 uA/cm2
    out = protocol.simulate(model, record=("v", "i_ext"))
    np.testing.assert_allclose(out.trace("i_ext"), cur * 0.2, rtol=1e-12)
    counts = out.spike_counts()
    assert counts[-1] > 10 and np.all(np.diff(counts) >= 0), counts
    # with a holding current the epochs are absolute levels
    held = Protocol.steps([50.0], start=100, stop=600, t_stop=700, dt=0.025, holding_pA=-10.0)
    assert held.epochs[0] == (Epoch(0.0, 100.0, -10.0), Epoch(100.0, 600.0, 40.0),
                              Epoch(600.0, 700.025, -10.0))
    assert held.currents()[0, -1] == -10.0 and held.currents()[0, 0] == -10.0


def test_stimuli_are_steps_in_pA():
    protocol = Protocol.steps([10.0, 0.0], start=5, stop=15, t_stop=20, dt=0.5)
    stims = protocol.stimuli(nd.models.AdEx())
    assert isinstance(stims[0], Combined) and len(stims[0]) == 1 and len(stims[1]) == 0
    step = stims[0].items[0]
    assert isinstance(step, Step) and (step.start, step.stop) == (5.0, 15.0)
    assert step.bind(nd.models.AdEx()).amplitude == 10.0
    assert step.bind(nd.models.HodgkinHuxley(area=1000.0)).amplitude == pytest.approx(1.0)
    res = nd.simulate(nd.models.AdEx(), protocol.t_stop, protocol.dt, stimulus=list(stims[0]),
                      record=("i_ext",))
    np.testing.assert_array_equal(res.trace("i_ext"), protocol.currents()[0])
    assert protocol.levels() == ((0.0, 10.0), (0.0,))


# ----------------------------------------------------------------------------- noisy recorded currents
def test_recorded_b6_current_protocol(reference_dir):
    rec = read_npz(reference_dir / B6)
    protocol = Protocol.from_recording(rec, tolerance_pA=20.0)
    assert protocol.t_stop == 2999.75 and protocol.n_samples == 12000
    out = protocol.simulate(nd.models.AdEx(), record=("v", "i_ext"), substeps=5)
    np.testing.assert_array_equal(out.t, rec[0].t)
    np.testing.assert_allclose(out.trace("i_ext"), protocol.currents(), rtol=1e-12, atol=1e-12)
    # the piecewise-constant fit follows the recorded current up to its noise
    resid = rec.currents() - protocol.currents()
    assert np.abs(resid.mean(axis=1)).max() < 0.5 and resid.std() < 5.0
    assert out.v.shape == (5, 12000) and np.all(out.spike_counts() >= 0)


def test_noisy_synthetic_current_levels_and_edges():
    rng = np.random.default_rng(3)
    n, dt = 8000, 0.1
    truth = np.zeros(n)
    truth[1000:5000] = 80.0
    truth[5000:6000] = -30.0
    i = truth + rng.normal(0.0, 3.0, n)
    i[999] = 40.0  # a one-sample transition (amplifier filtering)
    rec = from_arrays(None, np.full(n, -70.0), i, dt_ms=dt)
    protocol = Protocol.from_recording(rec, tolerance_pA=15.0, zero_pA=2.0)
    eps = protocol.epochs[0]
    assert len(eps) == 2
    assert abs(eps[0].start - 100.0) <= dt and eps[0].stop == pytest.approx(500.0)
    assert eps[1][:2] == pytest.approx((500.0, 600.0))
    assert eps[0].amplitude == pytest.approx(80.0, abs=0.5)
    assert eps[1].amplitude == pytest.approx(-30.0, abs=1.0)
    assert "tolerance 15 pA" in protocol.describe()
    # too small a tolerance for the noise: a clear error with the noise estimate
    with pytest.raises(RecordingError, match="cannot be split into constant levels") as e:
        Protocol.from_recording(rec, tolerance_pA=0.5)
    msg = _fix(e)
    assert re.search(r"noise SD is about (2\.9|3\.0)\d* pA", msg), msg


# ----------------------------------------------------------------------------- gradients
def test_protocol_simulate_is_differentiable():
    protocol = Protocol.steps([200.0, 400.0], start=10, stop=40, t_stop=50, dt=0.1)

    def loss(a):
        return jnp.mean(protocol.simulate(nd.models.AdEx(a=a), spikes=False).v)

    g = jax.grad(loss)(2.0)
    eps = 1e-4
    fd = (loss(2.0 + eps) - loss(2.0 - eps)) / (2 * eps)
    assert np.isfinite(g) and g == pytest.approx(float(fd), rel=1e-4)


# ----------------------------------------------------------------------------- errors
def test_protocol_errors():
    with pytest.raises(RecordingError, match="protocol has no stimulus") as e:
        Protocol.steps([0.0, 0.0], start=10, stop=20, t_stop=30, dt=0.1)
    _fix(e)
    with pytest.raises(RecordingError, match="overlap") as e:
        Protocol(((Epoch(0, 10, 5.0), Epoch(5, 20, 1.0)),), t_stop=30, dt=0.1)
    _fix(e)
    with pytest.raises(RecordingError, match="must be after start") as e:
        Protocol((((10, 10, 5.0),),), t_stop=30, dt=0.1)
    _fix(e)
    with pytest.raises(RecordingError, match="whole multiple") as e:
        Protocol((((0, 10, 5.0),),), t_stop=30.05, dt=0.1)
    _fix(e)
    with pytest.raises(RecordingError, match=r"\(start_ms, stop_ms, amplitude_pA\)") as e:
        Protocol((((0, 10),),), t_stop=30, dt=0.1)
    _fix(e)
    with pytest.raises(UnitError, match="current"):
        Protocol.steps(["5 mV"], start=0, stop=10, t_stop=20, dt=0.1)


def test_simulate_errors():
    protocol = Protocol.steps([10.0], start=1, stop=2, t_stop=3, dt=0.1)
    model = nd.models.AdEx()
    with pytest.raises(ParameterError, match="set by the protocol") as e:
        protocol.simulate(model, batch={"stimulus[0].amplitude": [1.0, 2.0]})
    _fix(e)
    with pytest.raises(ParameterError, match="set by the protocol") as e:
        protocol.simulate(model, dt=0.01)
    _fix(e)
    with pytest.raises(ParameterError, match="substeps") as e:
        protocol.simulate(model, substeps=0)
    _fix(e)
    with pytest.raises(ParameterError, match="strategy"):
        protocol.simulate(model, strategy="fast")
    with pytest.raises(UnitError, match="Fix:"):  # dimensionless input: pA cannot drive it
        protocol.simulate(nd.models.FitzHughNagumo())
    with pytest.raises(ParameterError, match="Recording"):
        Protocol.from_recording("file.abf")
    with pytest.raises(ParameterError, match="tolerance_pA") as e:
        Protocol.from_recording(from_arrays(None, np.zeros(9), np.ones(9), dt_ms=1), tolerance_pA=-1)
    _fix(e)
