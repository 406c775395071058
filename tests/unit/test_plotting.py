import numpy as np
import pytest

import neurodyn as nd
from neurodyn import plotting
from neurodyn.analysis import fi_curve


def test_traces_raster_fi(tmp_path):
    hh = nd.models.HodgkinHuxley()
    r = nd.simulate(hh, 30.0, 0.025, stimulus=nd.stimuli.Step(amplitude=0.0, start=5.0),
                    batch={"stimulus.amplitude": np.linspace(0, 20, 5)})
    for ax in (plotting.plot_traces(r), plotting.plot_raster(r, sort_by="stimulus.amplitude")):
        ax.figure.savefig(tmp_path / "a.png")
        assert len(ax.get_children()) > 5
    single = nd.simulate(hh, 30.0, 0.025, stimulus=nd.stimuli.Step(amplitude=10.0))
    ax = plotting.plot_traces(single)
    assert "spikes" in ax.get_legend().get_texts()[0].get_text()
    ax = fi_curve(nd.models.LIF(), [0, 200, 400], duration=200.0, dt=0.1).plot()
    assert ax.get_xlabel() == "step amplitude (pA)"


@pytest.mark.parametrize("model", [nd.models.FitzHughNagumo(), nd.models.Izhikevich(),
                                   nd.models.AdEx()], ids=lambda m: type(m).__name__)
def test_phase_plane_has_both_nullclines(model, tmp_path):
    amp = {"FitzHughNagumo": 0.5, "Izhikevich": 10.0, "AdEx": 500.0}[type(model).__name__]
    r = nd.simulate(model, 100.0, 0.01, stimulus=nd.stimuli.Step(amplitude=amp),
                    record="all", method="rk4")
    ax = plotting.phase_plane(model, amp, trajectory=r)
    ax.figure.savefig(tmp_path / "p.png")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["dv/dt = 0", f"d{list(model.state_vars)[1]}/dt = 0"]


def test_fhn_nullclines_are_the_analytic_curves():
    m = nd.models.FitzHughNagumo()
    X, Y, dX, dY = plotting.nullclines(m, 0.5, (-2.5, 2.5), (-1.0, 2.0), n=201)
    # dv/dt = v - v^3/3 - w + I vanishes on w = v - v^3/3 + I
    assert np.allclose(dX, X - X**3 / 3 - Y + 0.5)
    assert np.allclose(dY, (X + 0.7 - 0.8 * Y) / 12.5)


def test_phase_plane_needs_two_variables():
    with pytest.raises(nd.errors.ParameterError, match="needs exactly 2"):
        plotting.phase_plane(nd.models.HodgkinHuxley(), 0.0, x_range=(0, 1), y_range=(0, 1))
