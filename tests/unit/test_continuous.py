"""Sweeps run back to back (Protocol.simulate(continuous=True)): the sweep start times that
read_abf and Protocol.from_recording keep, the one-run simulation and its spike trains, the
memory it carries from sweep to sweep, FitProblem(continuous=True) with a fitted holding
current, step_windows(window=...) and the fit spec's keys, and the errors of each."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.fitting import (
    HOLDING,
    FitProblem,
    FreeParameter,
    Protocol,
    RecordingError,
    fit_gradient,
    read_abf,
    spike_marked_voltages,
)
from neurodyn.fitting.features import step_windows
from neurodyn.stimuli import Step

ABF = "ephys/pyabf/17o05028_ic_steps.abf"
#: an AdEx whose adaptation current decays slowly (tau_w 2 s): its state outlives a sweep
SLOW = dict(a=2.0, b=80.0, tau_w=2000.0)


def _protocol(gap: float = 0.0) -> Protocol:
    prot = Protocol.steps([0.0, 800.0, 800.0], start=50.0, stop=250.0, t_stop=299.95, dt=0.05)
    length = prot.t_stop + prot.dt
    return dataclasses.replace(prot, starts=tuple(k * (length + gap) for k in range(3)))


def _one_run(model, prot: Protocol, hold: float, lead: float) -> tuple[np.ndarray, np.ndarray]:
    """The reference: every epoch shifted to its sweep's start, one nd.simulate call."""
    stims = [Step(amplitude=f"{e.amplitude} pA", start=lead + s0 + e.start, stop=lead + s0 + e.stop)
             for s0, eps in zip(prot.starts, prot.epochs) for e in eps]
    t_end = lead + prot.starts[-1] + prot.t_stop
    stims.append(Step(amplitude=f"{hold} pA", start=0.0, stop=t_end + 1.0))
    res = nd.simulate(model, t_end, prot.dt, stimulus=stims)
    return np.asarray(res.trace("v")).ravel(), np.asarray(res.spikes.trains()[0])


def test_continuous_run_is_one_simulation_cut_into_sweeps():
    prot, m, lead = _protocol(), nd.models.AdEx(**SLOW), 100.0
    out = prot.simulate(m, holding=np.full(3, 20.0), continuous=True, lead_in=lead)
    v, spikes = _one_run(m, prot, 20.0, lead)
    n = prot.n_samples
    assert out.strategy == "continuous" and np.asarray(out.v).shape == (3, n)
    for s, s0 in enumerate(prot.starts):
        k = round((lead + s0) / prot.dt)
        np.testing.assert_allclose(np.asarray(out.v)[s], v[k:k + n], atol=1e-9)
        mine = out.spike_times()[s]
        ref = spikes[(spikes >= lead + s0) & (spikes < lead + s0 + n * prot.dt)] - lead - s0
        np.testing.assert_allclose(mine, ref, atol=1e-9)
    assert out.spike_counts()[1] > 0


def test_the_state_carries_over_back_to_back_and_not_across_a_long_gap():
    m = nd.models.AdEx(**SLOW)
    sep = _protocol().simulate(m, strategy="batch")
    back = _protocol().simulate(m, continuous=True)
    apart = _protocol(gap=20000.0).simulate(m, continuous=True)  # 10 tau_w: w has decayed
    v_sep, v_back, v_apart = (np.asarray(o.v) for o in (sep, back, apart))
    np.testing.assert_allclose(v_back[0], v_sep[0], atol=1e-9)
    # sweep 1 starts where sweep 0 (0 pA) left the model: 0.1 mV from its initial value
    np.testing.assert_allclose(v_back[1], v_sep[1], atol=0.1)
    # the adaptation that sweep 1's spikes built up slows sweep 2 when it follows at once ...
    assert back.spike_counts()[2] < sep.spike_counts()[2]
    # ... and has decayed after 20 s: the same spikes as a sweep of its own
    assert apart.spike_counts()[2] == sep.spike_counts()[2]
    np.testing.assert_allclose(apart.spike_times()[2], sep.spike_times()[2], atol=0.05)
    np.testing.assert_allclose(v_apart[2, :900], v_sep[2, :900], atol=1e-3)  # before the step


def test_continuous_errors():
    m = nd.models.AdEx()
    with pytest.raises(ParameterError, match="does not know when its sweeps began"):
        Protocol.steps([10.0], start=5.0, stop=10.0, t_stop=20.0, dt=0.05).simulate(
            m, continuous=True)
    prot = _protocol()
    with pytest.raises(ParameterError, match="per_sweep"):
        prot.simulate(m, continuous=True, per_sweep={"v_init": np.zeros(3)})
    with pytest.raises(ParameterError, match="same in every sweep"):
        prot.simulate(m, continuous=True, holding=np.array([0.0, 1.0, 0.0]))
    with pytest.raises(ParameterError, match="multiple >= 0 of dt"):
        prot.simulate(m, continuous=True, lead_in=0.01)
    with pytest.raises(ParameterError, match="continuous=True only"):
        prot.simulate(m, lead_in=10.0)
    with pytest.raises(RecordingError, match="before sweep 0 ends"):
        dataclasses.replace(prot, starts=(0.0, 100.0, 700.0))
    with pytest.raises(RecordingError, match="one finite start time"):
        dataclasses.replace(prot, starts=(0.0, 300.0))
    with pytest.raises(RecordingError, match="sampling grid"):
        dataclasses.replace(prot, starts=(0.0, 300.01, 700.0))


def test_abf_sweeps_know_when_they_began(reference_dir):
    pytest.importorskip("pyabf", reason="pyabf is not installed")
    rec = read_abf(reference_dir / ABF)
    prot = Protocol.from_recording(rec)
    # 16 sweeps of 3 s, recorded back to back (pyABF: sweepIntervalSec = sweepLengthSec = 3)
    assert prot.starts == tuple(3000.0 * k for k in range(16))
    assert Protocol.from_recording(rec.select([3, 4, 5])).starts == (0.0, 3000.0, 6000.0)
    assert Protocol.from_recording(rec.select([3, 5])).starts == ()  # sweep 4 left out
    assert Protocol.from_recording(rec.cut(700.0)).starts == ()  # epochs after 700 ms lost
    assert read_abf(reference_dir / ABF, sweeps=[2, 3]).sweeps[1].meta["start_ms"] == 3000.0
    assert "start_ms" not in read_abf(reference_dir / ABF, sweeps=[2, 4]).sweeps[0].meta


def test_step_windows_with_a_window_take_the_current_there(reference_dir):
    pytest.importorskip("pyabf", reason="pyabf is not installed")
    prot = Protocol.from_recording(read_abf(reference_dir / ABF))
    # the longest-step rule picks the -50 pA pulse + second step (1000 ms) of sweep 0 and the
    # pulse of the 0 pA sweep 5; the window names the first step of every sweep
    _, _, amp_rule = step_windows(prot)
    a, b, amp = step_windows(prot, (146.85, 646.85))
    assert amp_rule[5] == -50.0 and amp[5] == 0.0
    np.testing.assert_array_equal(amp, np.r_[np.arange(-50.0, 0.0, 10.0), np.arange(0.0, 101, 10)])
    assert np.all(a == 146.85) and np.all(b == 646.85)
    with pytest.raises(ParameterError, match="start < stop"):
        step_windows(prot, (600.0, 100.0))


def _fit_problem(**kw):
    prot, m = _protocol(), nd.models.AdEx(**SLOW)
    truth = prot.simulate(m, holding=np.full(3, 20.0), continuous=True, lead_in=100.0)
    params = [FreeParameter("b", 10.0, 200.0), FreeParameter(HOLDING, -50.0, 100.0)]
    opts = dict(continuous=True, lead_in=100.0) | kw
    # the AdEx's spikes marked on its traces as the problem marks the candidates'
    return FitProblem.from_traces(m, params, prot, spike_marked_voltages(m, prot, truth),
                                  ["spike_count", "mean_frequency", "time_to_first_spike"],
                                  depolarizing_only=["mean_frequency", "time_to_first_spike"],
                                  **opts)


def test_fit_problem_with_a_fitted_holding_current_and_continuous_sweeps():
    pb = _fit_problem()
    ev = pb.evaluate(np.array([[80.0, 20.0], [80.0, 0.0], [80.0, 60.0]]))
    assert ev.total[0] == 0.0  # the truth reproduces its own features exactly
    assert ev.total[1] > 0 and ev.total[2] > 0
    # the holding current is the protocol's, not the model's
    assert repr(pb.fitted_model(np.array([80.0, 20.0]))) == repr(pb.model.replace(b=80.0))
    assert pb.param_unit(HOLDING) == "pA" and pb.param_unit("b") == "pA"
    # the same problem with separate sweeps misses the carried-over adaptation
    sep = _fit_problem(continuous=False, lead_in=0.0)
    assert sep.evaluate(np.array([[80.0, 20.0]])).total[0] > 0


def test_fit_problem_continuous_errors():
    with pytest.raises(ParameterError, match="excludes a fitted or fixed holding"):
        _fit_problem(holding="baseline", baseline=np.full(3, -70.0))
    with pytest.raises(ParameterError, match="continuous=True only"):
        _fit_problem(continuous=False)
    prot = Protocol.steps([100.0], start=5.0, stop=50.0, t_stop=60.0, dt=0.05)
    with pytest.raises(ParameterError, match="sweep start times"):
        FitProblem(nd.models.AdEx(), [FreeParameter("b", 1.0, 2.0)], prot, None, ["spike_count"],
                   continuous=True)
    with pytest.raises(ParameterError, match=r"does not support FitProblem\.continuous"):
        pb = _fit_problem()
        fit_gradient(pb, np.zeros((3, pb.protocol.n_samples)), steps=1)


def test_fit_spec_keys(tmp_path, reference_dir):
    pytest.importorskip("pyabf", reason="pyabf is not installed")
    pytest.importorskip("efel", reason="eFEL is not installed")
    from neurodyn.errors import SpecError
    from neurodyn.io.fit_spec import parse_fit_spec

    base = {"model": {"type": "AdEx"},
            "data": {"recording": str(reference_dir / ABF), "continuous": True,
                     "lead_in": "500 ms", "holding": "30 pA"},
            "features": {"names": ["spike_count"], "window": ["146.85 ms", "646.85 ms"]},
            "parameter": [{"path": "b", "low": 0, "high": 100},
                          {"path": "holding", "low": -20, "high": 80}]}
    pb = parse_fit_spec(json.loads(json.dumps(base))).problem
    assert pb.continuous and pb.lead_in == 500.0 and pb.holding_pA == 30.0
    assert pb.paths == ("b", "holding") and pb._step_pA[5] == 0.0
    bad = json.loads(json.dumps(base))
    bad["data"]["cut"] = "700 ms"
    with pytest.raises(SpecError, match="cut recording"):
        parse_fit_spec(bad)
    bad = json.loads(json.dumps(base))
    bad["data"]["holding"] = "warm"
    with pytest.raises(SpecError, match="baseline\" or a current"):
        parse_fit_spec(bad)
    bad = json.loads(json.dumps(base))
    bad["features"]["window"] = ["146.85 ms"]
    with pytest.raises(SpecError, match="start, stop"):
        parse_fit_spec(bad)


def test_profile_over_the_holding_current_holds_the_protocol_current():
    from neurodyn.fitting import profile

    pb = _fit_problem()
    pb = dataclasses.replace(pb, params=[FreeParameter("b", 79.9, 80.1),
                                         FreeParameter("a", 1.99, 2.01), pb.params[1]],
                             target=pb.target)
    out = profile(pb, HOLDING, [20.0, 0.0], max_evaluations=8, popsize=4, seed=0)
    assert [p[HOLDING] for p in out["params"]] == [20.0, 0.0]
    # b and a near the truth: the true holding current scores near 0, no holding far off
    assert out["scores"][0] < 1.0 < out["scores"][1]
