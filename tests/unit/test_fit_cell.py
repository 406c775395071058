"""Multi-compartment cells in protocols and fit problems (:class:`neurodyn.fitting.CellModel`)."""

from __future__ import annotations

import numpy as np
import pytest

from neurodyn.cable import Cell, IClamp, fixed, simulate_cell
from neurodyn.channels.hh import HH
from neurodyn.channels.passive import Passive
from neurodyn.errors import ParameterError
from neurodyn.fitting import CellModel, FitProblem, FreeParameter, Protocol
from neurodyn.fitting.objectives import FeatureTarget
from neurodyn.morphology.builders import ball_and_stick


def _cell() -> Cell:
    return (Cell(ball_and_stick(), nseg=fixed(3), celsius=6.3)
            .paint("soma", HH()).paint("basal", Passive(g=0.1, e=-65.0)))


PROT = Protocol.steps([-50, 150, 300], start=10, stop=50, t_stop=60, dt=0.1)


def test_a_protocol_on_a_cell_is_one_batched_run_equal_to_clamping_each_sweep():
    model = CellModel(_cell())
    out = PROT.simulate(model, batch={"soma.hh.g_na": [100.0, 140.0],
                                      "basal.pas.g": [0.1, 0.2]}, substeps=4)
    assert out.v.shape == (2, 3, PROT.n_samples)
    fitted = model.replace(**{"soma.hh.g_na": 140.0, "basal.pas.g": 0.2})
    assert fitted.values()["soma.hh.g_na"] == 140.0 and model.values()["soma.hh.g_na"] == 120.0
    for s, amp in enumerate([-50, 150, 300]):
        ref = simulate_cell(fitted.cell.place("soma(0.5)", IClamp(amp=amp / 1000, delay=10,
                                                                  dur=40)),
                            60.0, 0.025, record_dt=0.1)
        np.testing.assert_allclose(out.v[1, s], ref.traces["soma(0.5)"], atol=1e-6)
    assert np.max(out.v[1, 2]) > 0 > np.max(out.v[1, 0])  # the strong step fires, -50 pA does not
    # a bare Cell is injected and recorded at the soma
    bare = PROT.simulate(_cell(), substeps=4)
    assert bare.v.shape == (3, PROT.n_samples)


def test_cell_fit_problems_name_paths_and_refuse_what_cells_do_not_support():
    model = CellModel(_cell())
    assert "basal.pas.g" in model.param_specs()
    assert model.param_specs()["soma.hh.g_na"].unit == "mS/cm2"
    target = FeatureTarget.from_values(np.full((3, 1), -65.0), ["voltage_base"])
    with pytest.raises(ParameterError, match=r"no parameter 'soma.hh.gnabar'.*'soma.hh.g_na'"):
        FitProblem(model, [FreeParameter("soma.hh.gnabar", 50, 200)], PROT, target,
                   ["voltage_base"])
    with pytest.raises(ParameterError, match="multi-compartment cell"):
        FitProblem(_cell(), [FreeParameter("soma.hh.g_na", 50, 200)], PROT, target,
                   ["voltage_base"], holding="baseline", baseline=[-65.0] * 3)
    with pytest.raises(ParameterError, match="per_sweep"):
        PROT.simulate(model, per_sweep={"v_init": np.zeros(3)})
    with pytest.raises(ParameterError, match="continuous"):
        PROT.simulate(model, continuous=True)
    for opts in ({"holding_pA": 10.0}, {"continuous": True}):
        with pytest.raises(ParameterError, match="not implemented for a multi-compartment"):
            FitProblem(model, [FreeParameter("soma.hh.g_na", 50, 200)], PROT, target,
                       ["voltage_base"], **opts)
    with pytest.raises(ParameterError, match=r"must be a neurodyn\.cable\.Cell"):
        CellModel("soma.swc")
    with pytest.raises(ParameterError, match="no section"):
        CellModel(_cell(), record="axon(0.5)")


def test_gradients_flow_through_a_cell_protocol_and_match_finite_differences():
    import jax
    import jax.numpy as jnp

    from neurodyn.fitting.objectives import trace_distance

    model = CellModel(_cell())
    target = PROT.simulate(model, substeps=2).v
    paths = ("soma.hh.g_k", "basal.pas.g")

    def loss(x):
        out = PROT.simulate(model, batch={p: x[j:j + 1] for j, p in enumerate(paths)},
                            substeps=2)
        return jnp.sum(trace_distance(out.v, jnp.asarray(target), PROT.dt))

    x = np.array([40.0, 0.12])
    g = np.asarray(jax.grad(loss)(jnp.asarray(x)))
    for j in range(2):
        h = np.zeros(2)
        h[j] = 1e-5 * x[j]
        fd = (float(loss(x + h)) - float(loss(x - h))) / (2 * h[j])
        assert g[j] == pytest.approx(fd, rel=1e-4)


_SWC = "1 1 0 0 0 10 -1\n2 3 10 0 0 1 1\n3 3 210 0 0 1 2\n"


def _spec(tmp_path, **extra_cell):
    (tmp_path / "bs.swc").write_text(_SWC)
    return {
        "cell": {"morphology": "bs.swc", "nseg": 3,
                 "paint": [{"target": "soma", "mechanism": "hh"},
                           {"target": "basal", "mechanism": "pas",
                            "parameters": {"g": "0.1 mS/cm2", "e": "-65 mV"}}], **extra_cell},
        "model": {"substeps": 2},
        "data": {"synthetic": {"soma.hh.g_k": 36.0},
                 "protocol": {"steps_pA": [-50, 300], "start": "10 ms", "stop": "50 ms",
                              "t_stop": "60 ms", "dt": "0.1 ms"}},
        "features": {"names": ["spike_count", "voltage_base"]},
        "parameter": [{"path": "soma.hh.g_k", "low": 10, "high": 100}],
    }


def test_fit_specs_describe_cells_in_a_cell_table(tmp_path):
    pytest.importorskip("efel")
    from neurodyn.errors import SpecError
    from neurodyn.io.fit_spec import parse_fit_spec

    source = str(tmp_path / "fit.toml")
    spec = parse_fit_spec(_spec(tmp_path), source=source)
    assert isinstance(spec.problem.model, CellModel)
    assert spec.data_v.shape == (2, 601)
    ev = spec.problem.evaluate([[36.0], [60.0]])
    assert ev.total[0] < ev.total[1]  # the truth scores better than a wrong g_K
    bad = _spec(tmp_path, place=[{"location": "soma(0.5)", "type": "IClamp", "amp": "1 nA"}])
    with pytest.raises(SpecError, match=r"\[cell\]/\[model\].*electrode"):
        parse_fit_spec(bad, source=source)
    no_type = {k: v for k, v in _spec(tmp_path).items() if k != "cell"}
    with pytest.raises(SpecError, match=r"\[model\]"):
        parse_fit_spec(no_type, source=source)
