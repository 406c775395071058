"""LIF f–I curve against the analytic formula (Gerstner et al. 2014, eq. 1.11 with t_ref)."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.analysis import fi_curve

pytestmark = pytest.mark.validation


def analytic_rate(lif, i_pa):
    r = 1.0 / lif.g_l  # GOhm: nS^-1; R*I in mV for I in pA
    tau = lif.c_m / lif.g_l
    drive = r * i_pa + lif.e_l
    with np.errstate(divide="ignore", invalid="ignore"):
        t = lif.t_ref + tau * np.log((drive - lif.v_reset) / (drive - lif.v_th))
    return np.where(drive > lif.v_th, 1000.0 / t, 0.0)


@pytest.mark.parametrize("t_ref", [0.0, 5.0])
def test_fi_curve_matches_analytic_within_1_percent(t_ref):
    lif = nd.models.LIF(t_ref=t_ref)
    amps = np.linspace(110.0, 1000.0, 25)  # above rheobase g_l*(v_th - e_l) = 100 pA
    fi = fi_curve(lif, amps, duration=2000.0, dt=0.01, method="exp_euler", transient=50.0)
    expected = analytic_rate(lif, amps)
    rel = np.abs(fi.rates - expected) / expected
    assert rel.max() < 0.01, f"max relative error {rel.max():.2e} at {amps[np.argmax(rel)]} pA"
    below = fi_curve(lif, [50.0, 99.0], duration=500.0, dt=0.01)
    assert np.all(below.rates == 0.0)
