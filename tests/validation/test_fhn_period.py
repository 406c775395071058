"""FitzHugh–Nagumo limit-cycle period against scipy's solve_ivp at tight tolerance."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neurodyn as nd

pytestmark = pytest.mark.validation


def scipy_period(m, i_ext):
    def f(t, y):
        v, w = y
        return [v - v**3 / 3 - w + i_ext, (v + m.a - m.b * w) / m.tau]

    def up(t, y):
        return y[0] - 1.0

    up.direction = 1
    sol = solve_ivp(f, (0, 1000.0), [m.v_init, m.w_init], method="DOP853", rtol=1e-12,
                    atol=1e-12, events=up)
    t = sol.t_events[0]
    return np.mean(np.diff(t[t > 300.0]))


@pytest.mark.parametrize("i_ext", [0.5, 0.8])
@pytest.mark.parametrize(("method", "dt"), [("rk4", 0.01), ("tsit5", 0.01)])
def test_period_within_0_1_percent(i_ext, method, dt):
    m = nd.models.FitzHughNagumo()
    kw = dict(rtol=1e-10, atol=1e-10) if method == "tsit5" else {}
    r = nd.simulate(m, 1000.0, dt, stimulus=nd.stimuli.Step(amplitude=i_ext), method=method,
                    record=(), **kw)
    st = r.spike_times()
    period = np.mean(np.diff(st[st > 300.0]))
    ref = scipy_period(m, i_ext)
    assert abs(period - ref) / ref < 1e-3, f"period {period:.6f} vs solve_ivp {ref:.6f} ms"
