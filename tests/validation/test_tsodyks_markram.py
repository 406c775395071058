"""Tsodyks–Markram short-term plasticity: the steady-state PSC amplitude against the analytic
expression (Tsodyks, Pawelzik & Markram 1998), in a depressing and a facilitating regime."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.network import Network, OneToOne, Population, Projection, SpikeSource
from neurodyn.plasticity import TsodyksMarkram
from neurodyn.synapses import Exp

pytestmark = pytest.mark.validation

DT = 0.1
W = 10.0  # pA
TAU = 2.0  # ms, synaptic current decay


def _amplitudes(tm: TsodyksMarkram, rate_hz: float, n_spikes: int) -> np.ndarray:
    """Jump of the synaptic current at each arrival of a regular train, from the recorded
    trace: g(t_k) - g(t_k - dt) e^{-dt/tau}."""
    isi = 1000.0 / rate_hz
    times = 10.0 + isi * np.arange(n_spikes)
    src = SpikeSource("src", times=[times])
    post = Population("post", nd.models.LIF(), 1)
    proj = Projection(src, post, OneToOne(), Exp(tau=TAU, mode="current"), weight=W, delay=DT,
                      receptor="x", plasticity=tm)
    t_stop = float(np.ceil((times[-1] + 20.0) / DT) * DT)
    r = nd.simulate(Network([src, post], [proj]), t_stop, DT, record={"post": {"g_x": [0]}})
    g = r.trace("post", "g_x")[0]
    arrive = np.rint((np.ceil(times / DT - 1e-9) * DT + DT) / DT).astype(int)
    return g[arrive] - g[arrive - 1] * np.exp(-DT / TAU)


@pytest.mark.parametrize("tm, rates", [
    (TsodyksMarkram(U=0.5, tau_rec=800.0, tau_facil=0.0), [2.0, 5.0, 10.0, 20.0, 40.0]),
    (TsodyksMarkram(U=0.1, tau_rec=100.0, tau_facil=1000.0), [2.0, 5.0, 10.0, 20.0, 40.0]),
], ids=["depressing", "facilitating"])
def test_steady_state_amplitude_matches_the_analytic_expression(tm, rates):
    measured, expected = [], []
    for f in rates:
        amp = _amplitudes(tm, f, 60)
        measured.append(amp[-1])
        expected.append(W * tm.steady_state(f))
    measured, expected = np.array(measured), np.array(expected)
    print("rate, measured, analytic:", list(zip(rates, measured.round(4), expected.round(4))))
    np.testing.assert_allclose(measured, expected, rtol=1e-2)
    # the two regimes do what their names say: depression falls with rate, facilitation
    # first rises (the first spike releases U)
    first = _amplitudes(tm, 20.0, 3)
    if tm.tau_facil == 0:
        assert np.all(np.diff(measured) < 0) and first[1] < first[0]
    else:
        assert first[1] > first[0] and measured[2] > W * tm.U


def test_first_spike_releases_U():
    tm = TsodyksMarkram(U=0.3, tau_rec=500.0, tau_facil=200.0)
    assert _amplitudes(tm, 10.0, 1)[0] == pytest.approx(W * 0.3, rel=1e-12)


def test_bad_plasticity_is_rejected():
    with pytest.raises(ParameterError, match=r"TsodyksMarkram\.U must be in \(0, 1\]"):
        TsodyksMarkram(U=1.5)
    src = SpikeSource("s", times=[[1.0]])
    post = Population("p", nd.models.LIF(), 1)
    with pytest.raises(ParameterError, match="must be a plasticity rule"):
        Projection(src, post, OneToOne(), Exp(), plasticity="stdp")
