import numpy as np
import pytest

import neurodyn as nd
from neurodyn.analysis import adaptation_index, fi_curve, firing_rate, isi, isi_stats, rheobase


def test_spike_train_statistics():
    t = np.array([10.0, 20.0, 30.0, 40.0])
    assert firing_rate(t, 0.0, 1000.0) == pytest.approx(4.0)
    assert isi(t).tolist() == [10.0, 10.0, 10.0]
    s = isi_stats(t)
    assert s["mean"] == 10.0 and s["cv"] == 0.0 and s["rate"] == pytest.approx(100.0)
    assert np.isnan(isi_stats([1.0])["cv"])
    assert adaptation_index([0, 10, 30, 60, 100]) > 0
    assert adaptation_index([0, 10, 20, 30]) == 0.0
    with pytest.raises(ValueError):
        firing_rate(t, 5.0, 5.0)


def test_lif_rheobase_is_analytic():
    """A LIF fires for a long step iff g_l*(v_th - e_l) < I (here 100 pA)."""
    lif = nd.models.LIF()
    rb = rheobase(lif, 50.0, 200.0, duration=2000.0, dt=0.1, rtol=1e-3)
    assert rb == pytest.approx(100.0, rel=2e-3)


def test_fi_curve_is_batched_and_monotonic():
    lif = nd.models.LIF()
    fi = fi_curve(lif, np.linspace(0, 500, 11), duration=500.0, dt=0.05)
    assert fi.rates.shape == (11,) and fi.rates[0] == 0.0
    assert np.all(np.diff(fi.rates) >= 0) and fi.unit == "pA"


def test_rheobase_bracket_errors():
    lif = nd.models.LIF()
    with pytest.raises(nd.errors.ParameterError, match="already fires"):
        rheobase(lif, 150.0, 200.0, duration=200.0, dt=0.1)
    with pytest.raises(nd.errors.ParameterError, match="evokes no spike"):
        rheobase(lif, 10.0, 20.0, duration=200.0, dt=0.1)
