"""neurodyn.fitting.features and .objectives: eFEL features of simulated (Hodgkin-Huxley) and
handmade traces checked against threshold crossings counted here, batch shapes, NaN handling,
rheobase, the PEERS z-score rule on a hand-computed example, the missing-feature penalty,
the RMS trace distance, errors, and the real B6 recording.

The eFEL cost per trace for the PEERS benchmark (700 ms at dt 0.025 ms, 8 features) is printed,
not asserted."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("efel", reason="eFEL is not installed (pip install 'neurodyn[fitting]')")

import efel

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.fitting import Protocol, read_npz
from neurodyn.fitting.features import (
    FEATURES,
    PEERS_FEATURES,
    extract,
    protocol_features,
    rheobase,
    step_windows,
)
from neurodyn.fitting.objectives import (
    FeatureTarget,
    total,
    trace_distance,
    zscores,
)
from neurodyn.stimuli import Step

B6 = "ephys/bluepyefe_B6/B6_IDRest.npz"
DT = 0.025
PEERS = list(PEERS_FEATURES)


def _fix(exc_info) -> str:
    msg = str(exc_info.value)
    assert "Fix:" in msg, msg
    return msg


def _crossings(v: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first sample at or above ``level`` (up) and below it (down)."""
    above = v >= level
    up = np.flatnonzero(~above[:-1] & above[1:]) + 1
    down = np.flatnonzero(above[:-1] & ~above[1:]) + 1
    return up, down


def _peak_times(t: np.ndarray, v: np.ndarray, level: float) -> np.ndarray:
    """Time of the maximum between each upward and the next downward crossing of ``level``."""
    up, down = _crossings(v, level)
    out = []
    for a in up:
        b = down[down > a]
        b = b[0] if b.size else v.size
        out.append(t[a + int(np.argmax(v[a:b]))])
    return np.array(out)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def hh_step():
    """A noiseless HH trace: 700 ms at 0.025 ms, 0.1 nA from 100 to 600 ms (area 1000 um2)."""
    res = nd.simulate(nd.models.HodgkinHuxley(), 700.0, DT,
                      stimulus=Step(amplitude="0.1 nA", start=100.0, stop=600.0), spikes=False)
    return np.asarray(res.t), np.asarray(res.trace("v"))


@pytest.fixture(scope="module")
def peers_protocol():
    return Protocol.steps([20, 40, 60, 80, 100], start=100, stop=600, t_stop=700, dt=DT)


@pytest.fixture(scope="module")
def peers_run(peers_protocol):
    return peers_protocol.simulate(nd.models.HodgkinHuxley(area=1000.0), spikes=False)


def _handmade(spike_times, t_stop=300.0, dt=0.05, rest=-70.0, height=100.0, width=0.3):
    """Gaussian 'spikes' of ``height`` mV above ``rest`` peaking at ``spike_times`` (ms)."""
    t = np.arange(round(t_stop / dt) + 1) * dt
    v = np.full_like(t, rest)
    for ts in spike_times:
        v += height * np.exp(-0.5 * ((t - ts) / width) ** 2)
    return t, v


# ----------------------------------------------------------------------------- simulated HH trace
def test_hh_spike_count_and_timing_match_threshold_crossings(hh_step):
    t, v = hh_step
    up0, _ = _crossings(v, 0.0)
    assert up0.size > 20  # tonic firing
    names = ["spike_count", "time_to_first_spike", "mean_frequency"]
    # eFEL at the sampling of the trace (interp_step = dt) and a 0 mV threshold
    f = extract(v[None], t, stim_start=100.0, stim_end=600.0, features=names, threshold=0.0,
                settings={"interp_step": DT})[0]
    assert f[0] == up0.size
    peaks = _peak_times(t, v, 0.0)
    assert np.all(peaks > t[up0]) and np.all(peaks - t[up0] < 1.0)  # the peak follows the crossing
    assert abs(f[1] - (peaks[0] - 100.0)) <= DT + 1e-9
    inside = peaks[(peaks > 100.0) & (peaks < 600.0)]
    expect_freq = 1000.0 * inside.size / (inside[-1] - 100.0)
    assert f[2] == pytest.approx(expect_freq, rel=DT / (inside[-1] - 100.0) + 1e-9)
    # eFEL's default threshold (-20 mV) and interpolation (0.1 ms): same count, times within 0.1 ms
    g = extract(v[None], t, stim_start=100.0, stim_end=600.0, features=names)[0]
    assert g[0] == up0.size and abs(g[1] - f[1]) <= 0.1 + 1e-9
    assert g[2] == pytest.approx(expect_freq, rel=1e-3)


def test_handmade_spikes_and_subthreshold_features():
    times = [60.0, 95.0, 140.0, 200.0]
    t, v = _handmade(times)
    flat = np.full_like(v, -70.0)
    flat[t >= 250.0] = -72.0  # after the stimulus
    f = extract(np.stack([v, flat]), t, stim_start=50.0, stim_end=250.0,
                features=["spike_count", "time_to_first_spike", "mean_frequency", "AP_amplitude",
                          "voltage_base", "steady_state_voltage", "ISI_CV"],
                settings={"interp_step": 0.05})
    assert f.shape == (2, 7) and f.dtype == np.float64
    assert f[0, 0] == 4 and f[0, 1] == pytest.approx(10.0, abs=0.05)
    assert f[0, 2] == pytest.approx(1000.0 * 4 / (200.0 - 50.0), rel=1e-3)
    assert f[0, 3] == pytest.approx(100.0, abs=5.0)  # from the onset (dV/dt threshold) to the peak
    assert f[0, 4] == pytest.approx(-70.0)
    # ISIs 35, 45, 60 ms; eFEL ignores the first: CV of (45, 60) with the sample SD
    assert f[0, 6] == pytest.approx(np.std([45.0, 60.0], ddof=1) / 52.5, rel=1e-3)
    # no spike: count 0, spike features NaN, voltages exact
    assert f[1, 0] == 0 and np.isnan(f[1, [1, 2, 3, 6]]).all()
    assert f[1, 4] == -70.0 and f[1, 5] == -72.0


def test_batch_shapes_and_nan_traces(hh_step):
    t, v = hh_step
    quiet = np.full_like(v, -65.0)
    sweeps = np.stack([v, quiet])  # (2, n)
    one = extract(sweeps, t, stim_start=100.0, stim_end=600.0, features=PEERS)
    assert one.shape == (2, len(PEERS))
    batch = np.broadcast_to(sweeps, (2, 3, 2, v.size)).copy()
    batch[1, 2, 0, 5000] = np.nan  # one trace with a NaN
    batch[0, 1, 1, 10] = np.inf
    out = extract(batch, t, stim_start=100.0, stim_end=[600.0, 600.0], features=PEERS)
    assert out.shape == (2, 3, 2, len(PEERS)) and out.dtype == np.float64
    assert np.isnan(out[1, 2, 0]).all() and np.isnan(out[0, 1, 1]).all()
    ok = np.ones((2, 3, 2), bool)
    ok[1, 2, 0] = ok[0, 1, 1] = False
    np.testing.assert_array_equal(out[ok], np.broadcast_to(one, (2, 3, 2, len(PEERS)))[ok])
    # a JAX array is accepted
    import jax.numpy as jnp

    np.testing.assert_array_equal(
        extract(jnp.asarray(sweeps), t, stim_start=100.0, stim_end=600.0, features=PEERS), one)


def test_efel_threshold_is_restored(hh_step):
    t, v = hh_step
    before = efel.get_settings().Threshold
    interp = efel.get_settings().interp_step
    extract(v[None], t, stim_start=100.0, stim_end=600.0, features=["spike_count"], threshold=-5.0,
            settings={"interp_step": 0.05})
    assert efel.get_settings().Threshold == before and efel.get_settings().interp_step == interp
    # also after an error inside the settings block
    with pytest.raises(ParameterError):
        extract(v[None], t, stim_start=100.0, stim_end=600.0, features=["spike_count"],
                settings={"interp_step": "not a number"})
    assert efel.get_settings().Threshold == before and efel.get_settings().interp_step == interp
    # a threshold above the spikes: no spike detected
    f = extract(v[None], t, stim_start=100.0, stim_end=600.0, features=["spike_count"], threshold=80.0)
    assert f[0, 0] == 0


def test_check_efel_settings():
    from neurodyn.fitting.features import check_efel_settings

    assert check_efel_settings(None, "x") == {}
    assert check_efel_settings({"strict_stiminterval": True}, "x") == {"strict_stiminterval": True}
    with pytest.raises(ParameterError, match="Did you mean 'strict_stiminterval'"):
        check_efel_settings({"strict_stim_interval": True}, "FitProblem.efel_settings")
    with pytest.raises(ParameterError, match="threshold="):
        check_efel_settings({"Threshold": -30.0}, "x")
    with pytest.raises(ParameterError, match="must map"):
        check_efel_settings(["strict_stiminterval"], "x")
    # extract() itself still accepts a new setting (eFEL adds it; custom features may read it)
    assert check_efel_settings({"my_setting": 1}, "x", known_only=False) == {"my_setting": 1}


def test_efel_cost_per_trace_peers_features(hh_step, capsys):
    t, v = hh_step
    assert t.size == 28001  # 700 ms at 0.025 ms
    n = 20
    traces = np.broadcast_to(v, (n, v.size))
    extract(traces[:2], t, stim_start=100.0, stim_end=600.0, features=PEERS)  # warm-up
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        extract(traces, t, stim_start=100.0, stim_end=600.0, features=PEERS)
        best = min(best, (time.perf_counter() - t0) / n)
    with capsys.disabled():
        print(f"\n[eFEL cost] {best * 1e3:.2f} ms per trace (700 ms at dt 0.025 ms, "
              f"{t.size} samples, 8 PEERS features, serial, best of 3 x {n} traces)")
    assert best > 0


# ----------------------------------------------------------------------------- protocols, rheobase
def test_rheobase_from_spike_counts():
    assert rheobase([0, 1, 2, 31, 34], [20, 40, 60, 80, 100]) == 40.0
    assert rheobase([3, 0, 2], [100.0, 20.0, 60.0]) == 60.0  # unsorted sweeps
    assert np.isnan(rheobase([0, 0, np.nan], [1.0, 2.0, 3.0]))
    out = rheobase([[0, 1, 1], [0, 0, 0], [5, 5, 5]], [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(out, [20.0, np.nan, 10.0])


def test_protocol_features_on_the_peers_protocol(peers_protocol, peers_run):
    s0, s1, amp = step_windows(peers_protocol)
    np.testing.assert_array_equal(s0, 100.0)
    np.testing.assert_array_equal(s1, 600.0)
    np.testing.assert_array_equal(amp, [20.0, 40.0, 60.0, 80.0, 100.0])
    names = [*PEERS, "rheobase", "input_resistance"]
    f = protocol_features(peers_run, features=names)
    assert f.shape == (5, len(names))
    counts = f[:, 0]
    v = np.asarray(peers_run.v)
    np.testing.assert_array_equal(counts, [_crossings(x, 0.0)[0].size for x in v])
    assert counts[0] == 0 and counts[1] >= 1 and np.all(np.diff(counts) >= 0)
    first = int(np.argmax(counts >= 1))
    j = names.index("rheobase")
    assert f[0, j] == amp[first] and np.isnan(f[1:, j]).all()
    # input resistance of the quiet sweep: (ssse - voltage_base) / 0.02 nA, about 70 MOhm
    # (R = 1 / (g_l * area) = 333 MOhm is reduced by the open K+ and Na+ channels near rest)
    r = f[0, names.index("input_resistance")]
    assert 30.0 < r < 333.0
    # batched parameter sets: (P, n_sweeps, n_features); a silent model has no rheobase
    run2 = peers_protocol.simulate(nd.models.HodgkinHuxley(), batch={"g_na": [120.0, 0.0]},
                                   spikes=False)
    f2 = protocol_features(run2, peers_protocol, ["spike_count", "rheobase"])
    assert f2.shape == (2, 5, 2)
    np.testing.assert_array_equal(f2[0, :, 0], counts)
    assert f2[0, 0, 1] == f[0, j] and np.isnan(f2[1, 0, 1]) and np.all(f2[1, :, 0] == 0)
    # an explicit window
    g = protocol_features(peers_run, features=["voltage_base"], stim_start=50.0, stim_end=600.0)
    assert g[0, 0] == pytest.approx(np.mean(v[0][(peers_run.t >= 45.0) & (peers_run.t <= 50.0)]),
                                    abs=0.05)


def test_step_windows_with_holding_current():
    p = Protocol.steps([50.0, 0.0, -30.0], start=100, stop=600, t_stop=700, dt=0.1, holding_pA=-10.0)
    s0, s1, amp = step_windows(p)
    np.testing.assert_array_equal(s0, [100.0, 100.0, 100.0])
    np.testing.assert_array_equal(s1, [600.0, 600.0, 600.0])
    np.testing.assert_array_equal(amp, [50.0, 0.0, -30.0])  # relative to the holding current


# ----------------------------------------------------------------------------- objectives
def test_zscore_rule_reproduces_the_peers_definition_by_hand():
    names = ["spike_count", "voltage_base", "AP_width"]
    values = np.array([[3.0, -65.0, 1.0],
                       [40.0, -70.0, np.nan]])
    target = FeatureTarget.from_values(values, names)
    # SD = max(5% |mean|, floor), floor 1 for the spike count and 0.1 otherwise
    expect_sd = np.array([[1.0, 3.25, 0.1],
                          [2.0, 3.5, np.nan]])
    np.testing.assert_allclose(target.sd, expect_sd)
    cand = np.array([[5.0, -60.0, 1.25],
                     [37.0, -70.7, 2.0]])
    z = zscores(cand, target)
    expect = np.array([[2.0, 5.0 / 3.25, 2.5],
                       [1.5, 0.2, np.nan]])
    np.testing.assert_allclose(z, expect)
    assert float(total(z, target)) == pytest.approx(2.0 + 5.0 / 3.25 + 2.5 + 1.5 + 0.2)
    assert float(total(z)) == float(total(z, target))
    # the sum of squares: large errors weigh more
    sq = 4.0 + (5.0 / 3.25) ** 2 + 6.25 + 2.25 + 0.04
    assert float(total(z, target, "squares")) == pytest.approx(sq)
    # the largest z-score, and the same without the target (NaN entries skipped)
    assert float(total(z, target, "max")) == pytest.approx(2.5)
    assert float(total(z, None, "max")) == pytest.approx(2.5)
    with pytest.raises(ParameterError, match="aggregate must be one of"):
        total(z, target, "largest")
    assert target.n_defined == 5 and target.excluded() == [("1", "AP_width")]
    assert "AP_width: NaN (not scored)" in target.describe()
    # a custom floor and relative SD
    t2 = FeatureTarget.from_values(values, names, rel_sd=0.1, floor={"default": 0.5})
    np.testing.assert_allclose(t2.sd[0], [0.5, 6.5, 0.5])


def test_truth_scores_zero_and_missing_features_score_the_penalty(peers_run):
    f = protocol_features(peers_run, features=PEERS)
    target = FeatureTarget.from_values(f, PEERS)
    assert target.n_defined == 35  # as in PEERS: 3 in the silent sweep + 8 x 4
    z = zscores(f[None], target)
    assert z.shape == (1, 5, 8) and float(total(z, target)[0]) == 0.0
    # a candidate that never spikes: every spike feature the target defines scores 250 SDs
    quiet = f.copy()
    quiet[:, 0] = 0.0
    quiet[:, 1:6] = np.nan
    zq = zscores(quiet, target)
    assert np.all(zq[1:, 1:6] == 250.0) and np.isnan(zq[0, 1:6]).all()
    assert np.isfinite(total(zq, target))
    assert np.all(zscores(quiet, target, missing_score=50.0)[1:, 1:6] == 50.0)
    capped = zscores(quiet, target, max_score=10.0)
    assert np.nanmax(capped) == 10.0


def test_target_from_repeats():
    names = ["spike_count", "voltage_base"]
    reps = np.array([[[10.0, -70.0], [np.nan, -71.0]],
                     [[12.0, -70.0], [np.nan, -69.0]],
                     [[14.0, -70.0], [np.nan, np.nan]]])
    t = FeatureTarget.from_repeats(reps, names)
    np.testing.assert_allclose(t.mean, [[12.0, -70.0], [np.nan, -70.0]])
    # SD across repeats (population SD), floored: spike counts 1.633; identical voltages -> 0.1
    np.testing.assert_allclose(t.sd, [[np.std([10, 12, 14]), 0.1], [np.nan, 1.0]])
    np.testing.assert_array_equal(t.n, [[3, 3], [0, 2]])
    assert t.excluded() == [("1", "spike_count")]
    t1 = FeatureTarget.from_repeats(reps, names, ddof=1)
    assert t1.sd[0, 0] == pytest.approx(2.0) and t1.sd[1, 1] == pytest.approx(np.sqrt(2.0))


def test_trace_distance():
    n_s = 101  # 0..10 ms at 0.1 ms
    target = np.zeros((2, n_s))
    v = np.zeros((3, 2, n_s))
    v[1] += 2.0
    v[2, 0] += 3.0
    v[2, 1, :20] = np.nan  # before the window: ignored
    v[2, 1, 20:] = 4.0
    d = trace_distance(v, target, 0.1, window=(2.0, 8.0))
    np.testing.assert_allclose(d, [0.0, 2.0, np.sqrt((9 + 16) / 2)])
    ps = trace_distance(v, target, 0.1, window=(2.0, 8.0), per_sweep=True)
    np.testing.assert_allclose(ps, [[0, 0], [2, 2], [3, 4]])
    assert np.isnan(trace_distance(v, target, 0.1)[2])  # whole trace: the NaN counts
    # windows per sweep: sweep 1 from 0 ms (one sample with 4 mV of 2 counted at 0..0.1 ms)
    w = trace_distance(v[1:2], target, 0.1, window=([2.0, 0.0], [8.0, 0.2]), per_sweep=True)
    np.testing.assert_allclose(w, [[2.0, 2.0]])
    # JAX: differentiable
    import jax
    import jax.numpy as jnp

    g = jax.grad(lambda a: trace_distance(a * jnp.ones((2, n_s)), jnp.asarray(target), 0.1,
                                          window=(2.0, 8.0)))(1.5)
    assert float(g) == pytest.approx(1.0)


def test_smoothed_trace_distance():
    """Gaussian smoothing: a constant offset survives it, a single narrow spike is spread to
    its area (1 mV x 1 ms at SD 10 ms: peak 1/sqrt(2 pi 10^2) mV), in NumPy and JAX alike."""
    dt, n = 0.1, 2001
    target = np.zeros((1, n))
    off = np.full((1, 1, n), 2.0)
    assert trace_distance(off, target, dt, smooth_ms=10.0)[0] == pytest.approx(2.0, rel=1e-9)
    spike = np.zeros((1, 1, n))
    spike[..., 1000:1010] = 1.0  # 1 ms at 1 mV
    from neurodyn.fitting.objectives import _gauss_smooth

    sm = _gauss_smooth(spike, 10.0 / dt, np)
    assert sm.max() == pytest.approx(1.0 / np.sqrt(2 * np.pi * 10.0**2), rel=2e-3)
    assert sm.sum() * dt == pytest.approx(1.0, rel=1e-6)
    raw = trace_distance(spike, target, dt)[0]
    assert trace_distance(spike, target, dt, smooth_ms=10.0)[0] < 0.2 * raw
    import jax.numpy as jnp

    assert float(trace_distance(jnp.asarray(spike), jnp.asarray(target), dt, smooth_ms=10.0)[0]) \
        == pytest.approx(trace_distance(spike, target, dt, smooth_ms=10.0)[0], rel=1e-9)
    with pytest.raises(ParameterError, match="smooth_ms"):
        trace_distance(spike, target, dt, smooth_ms=-1.0)


# ----------------------------------------------------------------------------- errors
def test_errors(hh_step):
    t, v = hh_step
    with pytest.raises(ParameterError, match=r"unknown feature 'Spikecount'.*'spike_count'") as e:
        extract(v[None], t, stim_start=100.0, stim_end=600.0, features=["Spikecount"])
    _fix(e)
    with pytest.raises(ParameterError, match="Did you mean 'AP_amplitude'") as e:
        extract(v[None], t, stim_start=100.0, stim_end=600.0, features=["AP_amplitud"])
    _fix(e)
    with pytest.raises(ParameterError, match="eFEL has no feature") as e:
        extract(v[None], t, stim_start=100.0, stim_end=600.0, features=["efel:AP_amplitud"])
    _fix(e)
    with pytest.raises(ParameterError, match="t must be the 1-D sample times") as e:
        extract(v[None], t[:-1], stim_start=100.0, stim_end=600.0, features=PEERS)
    _fix(e)
    with pytest.raises(ParameterError, match=r"v\[None\]") as e:
        extract(v, t, stim_start=100.0, stim_end=600.0, features=PEERS)
    _fix(e)
    with pytest.raises(ParameterError, match="stimulus window of sweep 0") as e:
        extract(v[None], t, stim_start=600.0, stim_end=100.0, features=PEERS)
    _fix(e)
    with pytest.raises(ParameterError, match="one per sweep") as e:
        extract(v[None], t, stim_start=[100.0, 100.0], stim_end=600.0, features=PEERS)
    _fix(e)
    with pytest.raises(ParameterError, match="stimulus_current_nA=None") as e:
        extract(v[None], t, stim_start=100.0, stim_end=600.0, features=["input_resistance"])
    _fix(e)
    # targets
    with pytest.raises(ParameterError, match="no feature is defined in the target; nothing to fit") as e:
        FeatureTarget.from_values(np.full((5, 3), np.nan), ["spike_count", "AP_width", "ISI_CV"])
    _fix(e)
    with pytest.raises(ParameterError, match=r"values must be \(n_sweeps, n_features = 2\)") as e:
        FeatureTarget.from_values(np.zeros((5, 3)), ["spike_count", "AP_width"])
    _fix(e)
    with pytest.raises(ParameterError, match="floor must be > 0") as e:
        FeatureTarget.from_values(np.zeros((1, 1)), ["voltage_base"], floor=0.0)
    _fix(e)
    target = FeatureTarget.from_values(np.ones((5, 2)), ["spike_count", "AP_width"])
    with pytest.raises(ParameterError, match=r"\(\*batch, 5, 2\)") as e:
        zscores(np.ones((4, 2)), target)
    _fix(e)
    with pytest.raises(ParameterError, match="must broadcast to v") as e:
        trace_distance(np.zeros((2, 3, 10)), np.zeros((3, 11)), 0.1)
    _fix(e)
    with pytest.raises(ParameterError, match="holds no sample") as e:
        trace_distance(np.zeros((2, 3, 10)), np.zeros((3, 10)), 0.1, window=(5.0, 6.0))
    _fix(e)
    assert set(PEERS) <= set(FEATURES)


# ----------------------------------------------------------------------------- real recording
def test_b6_recording_features(reference_dir):
    rec = read_npz(reference_dir / B6).corrected()  # LJP 14 mV: V - 14 mV
    assert rec.ljp == 0.0
    protocol = Protocol.from_recording(rec, tolerance_pA=20.0)
    names = [*PEERS, "ISI_CV", "adaptation_index", "rheobase"]
    f = protocol_features(rec, protocol, names)
    assert f.shape == (5, len(names))
    counts = f[:, 0]
    assert np.all(counts > 0) and np.all(np.diff(counts) > 0), counts
    spiking = counts > 0
    assert np.isfinite(f[spiking][:, : len(PEERS) + 2]).all(), f
    vb = f[:, names.index("voltage_base")]
    assert np.all((vb > -90.0) & (vb < -80.0))  # about -84 mV after the LJP correction
    assert np.all(f[:, names.index("AP_amplitude")] > 30.0)
    # every sweep spikes: the rheobase is the smallest step (about 105 + 12.5 pA above holding)
    _, _, amp = step_windows(protocol)
    assert f[0, names.index("rheobase")] == pytest.approx(amp.min()) and 100.0 < amp.min() < 130.0
    # the same through extract with the npz window (700-2700 ms)
    g = extract(rec.voltages(), rec[0].t, stim_start=700.0, stim_end=2700.0, features=PEERS)
    np.testing.assert_array_equal(g[:, 0], counts)
