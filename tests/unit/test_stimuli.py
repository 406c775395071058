import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn import stimuli as st
from neurodyn.errors import ParameterError, UnitError
from neurodyn.math import jax_math, numpy_math


def value(stim, t, model=None, left=False):
    s = stim.bind(model) if model is not None else stim
    p = s.param_values()
    t = np.asarray(t, float)
    return np.asarray(s.value(p, t, s.init_state(p, numpy_math), numpy_math, left))


def test_step_window_is_half_open_and_has_left_limits():
    s = st.Step(amplitude=2.0, start=10.0, stop=20.0)
    assert value(s, [9.999, 10.0, 19.999, 20.0]).tolist() == [0.0, 2.0, 2.0, 0.0]
    assert value(s, [10.0, 10.001, 20.0, 20.001], left=True).tolist() == [0.0, 2.0, 2.0, 0.0]


def test_pulse_and_waveform_left_limits():
    pt = st.PulseTrain(amplitude=1.0, width=1.0, period=10.0, start=5.0, n_pulses=2)
    assert value(pt, [5.0, 5.5, 6.0, 15.0, 16.0, 25.0, 26.0], left=True).tolist() == \
        [0, 1, 1, 0, 1, 0, 0]
    w = st.Waveform(values=[1.0, 2.0, 3.0], sample_dt=1.0, interpolation="previous")
    assert value(w, [0.0, 1.0, 2.0, 2.5], left=False).tolist() == [1.0, 2.0, 3.0, 0.0]
    assert value(w, [0.0, 1.0, 2.0], left=True).tolist() == [0.0, 1.0, 2.0]


def test_ramp_sine_pulses_waveform():
    r = st.Ramp(start=0.0, stop=10.0, amplitude_start=1.0, amplitude_stop=3.0)
    assert value(r, [0.0, 5.0, 9.999, 10.0]) == pytest.approx([1.0, 2.0, 2.9998, 0.0])
    s = st.Sine(amplitude=1.0, frequency=50.0, offset=0.5)
    assert value(s, [0.0, 5.0]) == pytest.approx([0.5, 0.5 + np.sin(2 * np.pi * 0.25)])
    pt = st.PulseTrain(amplitude=1.0, width=1.0, period=10.0, start=5.0, n_pulses=2)
    assert value(pt, [4.9, 5.0, 5.9, 6.0, 15.5, 25.5]).tolist() == [0, 1, 1, 0, 1, 0]
    w = st.Waveform(values=[0.0, 1.0, 0.0], sample_dt=2.0, start=1.0)
    assert value(w, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 5.1]) == pytest.approx([0, 0, .5, 1, .5, 0, 0])


def test_amplitude_units_bound_to_the_model():
    hh = nd.models.HodgkinHuxley(area=1000.0)
    s = st.Step(amplitude="0.1 nA").bind(hh)  # 0.1 nA over 1000 um2 = 10 uA/cm2
    assert s.amplitude == pytest.approx(10.0)
    lif = nd.models.LIF()
    assert st.Step(amplitude="0.25 nA").bind(lif).amplitude == pytest.approx(250.0)
    with pytest.raises(UnitError, match="LIF, whose input is a current"):
        st.Step(amplitude="10 uA/cm2").bind(lif)


def test_invalid_windows():
    with pytest.raises(ParameterError, match=r"Step\.stop must be >= start"):
        st.Step(amplitude=1.0, start=10.0, stop=5.0)
    with pytest.raises(ParameterError, match="width must be <= period"):
        st.PulseTrain(width=5.0, period=2.0)


def test_combination():
    c = st.Step(amplitude=1.0) + st.Sine(amplitude=1.0)
    assert len(st.as_stimuli(c)) == 2
    assert len(st.as_stimuli([c, st.Step(amplitude=1.0)])) == 3
    with pytest.raises(ParameterError, match="stimulus must be a stimulus object"):
        st.as_stimuli(3.0)


def test_ou_noise_statistics_and_reproducibility():
    """Stationary mean and SD of the exact OU update, checked on a passive LIF's input."""
    lif = nd.models.LIF()
    noise = st.OUNoise(mean=50.0, sigma=20.0, tau=5.0)
    kw = dict(stimulus=noise, record=["i_ext"], spikes=False, seed=3)
    r1 = nd.simulate(lif, 20000.0, 0.1, **kw)
    r2 = nd.simulate(lif, 20000.0, 0.1, **kw)
    r3 = nd.simulate(lif, 20000.0, 0.1, **{**kw, "seed": 4})
    x = r1.trace("i_ext")[1000:]
    assert np.array_equal(r1.trace("i_ext"), r2.trace("i_ext"))
    assert not np.array_equal(r1.trace("i_ext"), r3.trace("i_ext"))
    # 20 s / 5 ms correlation time ~ 4000 independent samples: SE(mean) ~ 0.3
    assert x.mean() == pytest.approx(50.0, abs=1.5)
    assert x.std() == pytest.approx(20.0, rel=0.05)
    lag = 50  # 5 ms at dt 0.1 ms: autocorrelation exp(-1)
    rho = np.corrcoef(x[:-lag], x[lag:])[0, 1]
    assert rho == pytest.approx(np.exp(-1.0), abs=0.05)


def test_poisson_current_mean():
    lif = nd.models.LIF()
    pc = st.PoissonCurrent(rate=20.0, weight=10.0, tau=5.0, n_sources=50)
    r = nd.simulate(lif, 20000.0, 0.1, stimulus=pc, record=["i_ext"], spikes=False, seed=1)
    expected = 50 * 20.0 * 10.0 * 5.0 / 1000.0  # n * rate * weight * tau
    assert r.trace("i_ext")[500:].mean() == pytest.approx(expected, rel=0.03)


def test_spike_train_current_exact_kernel():
    lif = nd.models.LIF()
    s = st.SpikeTrainCurrent(times=[10.0, 30.0], weight=5.0, tau=4.0)
    r = nd.simulate(lif, 50.0, 0.1, stimulus=s, record=["i_ext"], spikes=False)
    t, i = r.t, r.trace("i_ext")
    expected = 5.0 * np.exp(-(t - 10.1) / 4.0) * (t >= 10.1 - 1e-9)
    expected += 5.0 * np.exp(-(t - 30.1) / 4.0) * (t >= 30.1 - 1e-9)
    assert i == pytest.approx(expected, abs=1e-9)


def test_poisson_times_helper():
    t = st.poisson_times(100.0, 10000.0, seed=0)
    assert len(t) == pytest.approx(1000, rel=0.1) and np.all(np.diff(t) >= 0)


def test_stimulus_maths_is_backend_neutral():
    for s in [st.Step(amplitude=1.0, start=1.0, stop=3.0), st.Sine(amplitude=2.0, frequency=100.0),
              st.PulseTrain(amplitude=1.0, width=0.5, period=1.0), st.Ramp(stop=5.0, amplitude_stop=2.0)]:
        p = s.param_values()
        t = np.linspace(0, 6, 61)
        a = s.value(p, t, (), numpy_math)
        b = s.value(type(p)(*(jnp.asarray(x) for x in p)), jnp.asarray(t), (), jax_math)
        assert np.allclose(a, np.asarray(b))
