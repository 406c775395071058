"""Linear synapses: the exact propagators against the closed-form kernels."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.math import numpy_math
from neurodyn.synapses import Alpha, BiExp, Exp


@pytest.mark.parametrize("syn", [Exp(tau=5.0), Alpha(tau=2.0), BiExp(tau_rise=0.5, tau_decay=5.0),
                                 BiExp(tau_rise=2.0, tau_decay=2.5)], ids=repr)
def test_propagator_reproduces_the_closed_form_kernel(syn):
    """A unit weight at t = 0, propagated step by step, equals kernel(t) to rounding."""
    p = syn.param_values()
    dt = 0.1
    s = tuple(np.float64(j) for j in syn.jump(p, numpy_math))
    got = []
    for _ in range(400):
        got.append(syn.readout(p, s, numpy_math))
        s = syn.decay(p, s, dt, numpy_math)
    t = np.arange(400) * dt
    np.testing.assert_allclose(got, syn.kernel(t), rtol=1e-12, atol=1e-14)


def test_peak_normalisation():
    t = np.linspace(0, 50, 500001)
    assert Alpha(tau=3.0).kernel(t).max() == pytest.approx(1.0, rel=1e-9)
    assert t[np.argmax(Alpha(tau=3.0).kernel(t))] == pytest.approx(3.0, abs=1e-4)
    assert BiExp(tau_rise=1.0, tau_decay=8.0).kernel(t).max() == pytest.approx(1.0, rel=1e-9)


def test_bad_synapse_parameters_are_rejected_with_the_fix():
    with pytest.raises(ParameterError, match=r"Exp.tau must be > 0 ms; got -1"):
        Exp(tau=-1.0)
    with pytest.raises(ParameterError, match="tau_rise must be < tau_decay"):
        BiExp(tau_rise=5.0, tau_decay=1.0)
    assert Exp(mode="current").weight_unit == "pA" and Exp().weight_unit == "nS"


def test_citations_are_available():
    assert "brette2007" in nd.citation(Exp())
