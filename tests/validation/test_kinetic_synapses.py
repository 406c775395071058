"""Kinetic receptor models (Destexhe, Mainen & Sejnowski 1994): conductance time courses against
the closed-form solution of the two-state scheme, the NMDA Mg2+ block against Jahr & Stevens
(1990), and the GABA-B cascade against an independent ODE integration."""

import itertools

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.network import Network, OneToOne, Population, Projection, SpikeSource
from neurodyn.plasticity import STDP
from neurodyn.synapses import AMPA, GABAA, GABAB, NMDA

pytestmark = pytest.mark.validation
DT = 0.1


def _clamped(n=1, v=-65.0, **kw):
    """LIF neurons with a huge capacitance: the membrane potential stays at ``v``."""
    return Population("post", nd.models.LIF(c_m=1e12, v_init=-65.0, v_th=150.0), n,
                      init={"v": v}, **kw)


def _one_synapse(syn, times, t_stop, w="2 nS", delay="1 ms", record=("g_x",), v=-65.0, n=1):
    src = SpikeSource("src", times=[times] * n)
    post = _clamped(n, v)
    proj = Projection(src, post, OneToOne(), syn, weight=w, delay=delay, receptor="x")
    return nd.simulate(Network([src, post], [proj]), t_stop, DT,
                       record={"post": {k: list(range(n)) for k in record}})


@pytest.mark.parametrize("syn", [AMPA(), GABAA(), NMDA()], ids=lambda s: type(s).__name__)
def test_conductance_matches_the_two_state_closed_form(syn):
    # includes a spike during a pulse (20.5 ms, ignored) and one right after it (21.3 ms)
    times = [5.0, 7.0, 20.0, 20.5, 21.3, 40.0, 41.0]
    r = _one_synapse(syn, times, 120.0)
    g = r.trace("post", "g_x")[0]
    onsets = np.ceil(np.asarray(times) / DT - 1e-9) * DT + 1.0
    ref = 2.0 * syn.r_closed_form(r.t, onsets)
    err = np.max(np.abs(g - ref)) / np.max(ref)
    print(type(syn).__name__, "max relative error", err)
    assert err < 1e-4  # measured ~1e-14
    assert np.max(ref) > 0.1


def test_nmda_magnesium_block_matches_jahr_stevens():
    """Synaptic current / (g (E - v)) at clamped potentials equals B(v) = 1/(1 + exp(-0.062 v)
    [Mg]/3.57), the fit of Jahr & Stevens (1990), at every clamped potential; the tabulated
    values of that fit at -80, -40, 0 and +40 mV for 1 mM Mg (0.02442, 0.2302, 0.7813, 0.9771)
    within 1e-3; and no block without Mg."""
    v = np.array([-100.0, -80.0, -60.0, -40.0, -20.0, 0.01, 20.0, 40.0])
    for mg, ref_pts in ((1.0, {-80.0: 0.02442, -40.0: 0.2302, 0.01: 0.7813, 40.0: 0.9771}),
                        (0.0, None)):
        r = _one_synapse(NMDA(mg=mg), [2.0], 30.0, record=("g_x", "i_x", "v"), v=v, n=v.size)
        g, i, vm = r.trace("post", "g_x"), r.trace("post", "i_x"), r.trace("post", "v")
        k = 150  # 15 ms: the conductance is large
        vk = vm[:, k]  # the clamp holds v to within 1e-6 mV
        np.testing.assert_allclose(vk, v, atol=1e-5)
        block = i[:, k] / (g[:, k] * (0.0 - vk))
        expected = 1.0 / (1.0 + np.exp(-0.062 * vk) * mg / 3.57)
        np.testing.assert_allclose(block, expected, rtol=1e-9)
        if ref_pts:
            for vv, b in ref_pts.items():
                assert block[list(v).index(vv)] == pytest.approx(b, abs=1e-3)
        else:
            np.testing.assert_allclose(block, 1.0, rtol=1e-12)


def test_gabab_cascade_matches_an_ode_solver():
    """A burst of 10 spikes at 200 Hz onto one GABA-B synapse (the regime where GABA-B responds):
    r, s and g against scipy's DOP853 on the same equations with the same transmitter pulses."""
    syn = GABAB()
    times = list(10.0 + 5.0 * np.arange(10))
    r = _one_synapse(syn, times, 600.0, w="1 nS", delay="1 ms")
    g = r.trace("post", "g_x")[0]
    p = syn.param_values()
    onsets = np.ceil(np.asarray(times) / DT - 1e-9) * DT + 1.0
    c = round(float(p.c_dur) / DT) * DT

    def rhs(t, y):
        T = p.t_max if np.any((t >= onsets) & (t < onsets + c)) else 0.0
        rr, ss = y
        return [p.alpha * T * (1 - rr) - p.beta * rr, p.k3 * rr - p.k4 * ss]

    edges = np.sort(np.concatenate([onsets, onsets + c, [0.0, 600.0]]))
    t_eval = r.t[r.t < 599.9]
    y, ts, ys = [0.0, 0.0], [], []
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        sel = t_eval[(t_eval >= a) & (t_eval < b)]
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-14,
                        t_eval=np.concatenate([sel, [b]]))
        ts.append(sol.t[:-1])
        ys.append(sol.y[:, :-1])
        y = sol.y[:, -1]
    s_ref = np.concatenate([x[1] for x in ys])
    sn = s_ref**4
    g_ref = 1.0 * sn / (sn + p.kd)
    got = g[: g_ref.size]
    print("GABA-B peak", got.max(), "nS at", r.t[np.argmax(got)], "ms; max rel err",
          np.max(np.abs(got - g_ref)) / g_ref.max())
    np.testing.assert_allclose(got, g_ref, rtol=0, atol=1e-6 * g_ref.max())
    assert 50.0 < r.t[np.argmax(got)] < 250.0  # slow: the G-protein cascade delays the peak


def test_kinetic_receptors_drive_neurons_and_reject_plasticity():
    src = SpikeSource("src", times=[[5.0, 10.0, 15.0]])
    post = Population("post", nd.models.LIF(), 1)
    net = Network([src, post], [Projection(src, post, OneToOne(), AMPA(), weight="50 nS")])
    r = nd.simulate(net, 40.0, DT, record={"post": ["v"]})
    assert r.trace("post", "v")[0].max() > -59.0  # depolarised by the AMPA conductance
    with pytest.raises(ParameterError, match="cannot act on AMPA, a kinetic receptor"):
        Projection(src, post, OneToOne(), AMPA(), plasticity=STDP())
