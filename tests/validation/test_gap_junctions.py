"""Gap junctions: two passive cells, current into one: the steady state against the analytic
solution (g_L V1 + g (V1 - V2) = I, g (V1 - V2) = g_L V2)."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.network import GapJunctions, Network, OneToOne, Population, SpikeSource

pytestmark = pytest.mark.validation


@pytest.mark.parametrize("method", ["exp_euler", "euler", "rk4"])
@pytest.mark.parametrize("g", [1.0, 5.0, 20.0])
def test_coupling_coefficient_and_steady_state(g, method):
    g_l, i_amp = 10.0, 100.0  # nS, pA
    lif = nd.models.LIF(g_l=g_l, v_th=150.0)  # passive: never reaches threshold
    P = Population("P", lif, 2, stimulus=nd.stimuli.Step(amplitude=np.array([i_amp, 0.0])))
    net = Network([P], [GapJunctions(P[0:1], P[1:2], OneToOne(), weight=f"{g} nS")])
    r = nd.simulate(net, 600.0, 0.1, record={"P": {"v": [0, 1]}}, method=method)
    v1, v2 = r.trace("P", "v")[:, -1] - lif.e_l
    v1_ref = i_amp * (g + g_l) / (g_l * (g_l + 2 * g))
    assert v2 / v1 == pytest.approx(g / (g + g_l), rel=1e-6)
    assert v1 == pytest.approx(v1_ref, rel=1e-6)


def test_gap_junction_input_checks():
    izh = Population("izh", nd.models.Izhikevich(), 2)
    with pytest.raises(ParameterError, match="dimensionless input"):
        GapJunctions(izh, izh, OneToOne())
    src = SpikeSource("s", times=[[1.0]])
    with pytest.raises(ParameterError, match="spike sources have no membrane potential"):
        GapJunctions(src, izh, OneToOne())
    lif = Population("p", nd.models.LIF(), 2)
    with pytest.raises(ParameterError, match="conductances must be finite and >= 0 nS"):
        nd.simulate(Network([lif], [GapJunctions(lif, lif, OneToOne(), weight=-1.0)]), 1.0, 0.1)
