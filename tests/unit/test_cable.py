"""Unit tests of the cable package: tree solve, discretisation, caching, batches, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.cable import (
    Cell,
    IClamp,
    SEClamp,
    assemble,
    build,
    d_lambda,
    fixed,
    hines_solve,
    max_length,
    simulate_cell,
)
from neurodyn.cable.examples import branched_cell
from neurodyn.channels import HH, Passive
from neurodyn.errors import ParameterError, SimulationError
from neurodyn.morphology import ball_and_stick, y_branch


def _dense(d, g, parent):
    n = len(d)
    a = np.diag(d).astype(float)
    for i in range(1, n):
        a[i, parent[i]] -= g[i]
        a[parent[i], i] -= g[i]
    return a


@pytest.mark.parametrize("batch", [(), (3,)])
def test_hines_solve_equals_dense_solve(batch):
    rng = np.random.default_rng(0)
    n = 40
    parent = np.array([0] + [int(rng.integers(0, i)) for i in range(1, n)], dtype=np.int32)
    g = rng.uniform(0.1, 1.0, n)
    g[0] = 0.0
    diag = np.zeros(n)
    for i in range(1, n):
        diag[i] += g[i]
        diag[parent[i]] += g[i]
    d = diag[(...,) + (None,) * len(batch)] + rng.uniform(0.01, 1.0, (n, *batch))
    r = rng.normal(size=(n, *batch))
    x = np.asarray(hines_solve(d, r, g, parent))
    for idx in np.ndindex(*batch):
        sel = (slice(None), *idx)
        np.testing.assert_allclose(_dense(d[sel], g, parent) @ x[sel], r[sel], atol=1e-12)


def test_nseg_rules_and_node_layout():
    morph = ball_and_stick(soma_diameter=20.0, dendrite_length=200.0, dendrite_diameter=2.0)
    a = assemble(Cell(morph, nseg=fixed(5)))
    assert list(a.nodes.nseg) == [5, 5]
    assert a.n == 1 + 2 * (5 + 1)  # root node + (centres + end node) per section
    assert np.all(a.nodes.parent[1:] < np.arange(1, a.n))
    assert np.count_nonzero(a.nodes.area) == 10
    assert list(assemble(Cell(morph, nseg=max_length(30.0))).nodes.nseg) == [1, 7]
    dl = assemble(Cell(morph, nseg=d_lambda(0.1), ra=100.0)).nodes.nseg
    assert all(n % 2 == 1 for n in dl)
    # path distances agree with the morphology's own
    k = a.nodes.node_at(1, 0.9)
    assert a.nodes.path[k] == pytest.approx(morph.path_distance(1, 0.9))


def test_total_area_equals_morphology_surface():
    morph = y_branch(trunk_length=100.0, trunk_diameter=3.0, branch_length=80.0,
                     branch_diameter=1.5)
    a = assemble(Cell(morph, nseg=fixed(7)))
    lateral = sum(np.pi * s.points[0, 3] * s.length for s in morph.sections)
    assert a.nodes.area.sum() == pytest.approx(lateral, rel=1e-12)


def test_compiled_runs_are_not_confused_by_a_cache():
    base = branched_cell()
    r1 = simulate_cell(base, 150.0, 0.025)
    other = Cell(base.morphology, ra=80.0, cm=1.2, v_init=-60.0, celsius=10.0, nseg=base.nseg,
                 painted=base.painted, properties=base.properties,
                 placed=((base.placed[0][0], IClamp(amp=1.5, delay=100.0, dur=800.0)),))
    r2 = simulate_cell(other, 150.0, 0.025)
    r1b = simulate_cell(base, 150.0, 0.025)
    assert not np.allclose(r1.traces["soma(0.5)"], r2.traces["soma(0.5)"])
    np.testing.assert_array_equal(r1.traces["soma(0.5)"], r1b.traces["soma(0.5)"])
    assert r2.traces["soma(0.5)"][0] == -60.0


def test_batch_equals_single_runs_and_nd_simulate_dispatches():
    cell = branched_cell()
    amps = np.array([0.3, 0.75, 1.2])
    rb = nd.simulate(cell, 300.0, 0.025, batch={"soma(0.5).IClamp.amp": amps,
                                                 "soma.hh.g_na": np.array([100.0, 120.0, 140.0])})
    assert rb.batch_shape == (3,)
    for j in range(3):
        pl = ((cell.placed[0][0], IClamp(amp=float(amps[j]), delay=100.0, dur=800.0)),
              cell.placed[1])
        painted = ((cell.painted[0][0], HH(g_na=[100.0, 120.0, 140.0][j])), cell.painted[1])
        single = Cell(cell.morphology, ra=cell.ra, cm=cell.cm, v_init=cell.v_init,
                      celsius=cell.celsius, nseg=cell.nseg, painted=painted,
                      properties=cell.properties, placed=pl)
        rs = simulate_cell(single, 300.0, 0.025)
        np.testing.assert_allclose(rb.traces["soma(0.5)"][j], rs.traces["soma(0.5)"], atol=1e-9)
        np.testing.assert_allclose(rb.spike_times(j), rs.spike_times(), atol=1e-9)


def test_voltage_clamp_holds_the_soma():
    cell = branched_cell().place("soma(0.5)", SEClamp(amp=-40.0, delay=10.0, dur=20.0, rs=0.01))
    r = simulate_cell(cell, 40.0, 0.025, record=["soma(0.5)"])
    v = r.traces["soma(0.5)"]
    assert abs(v[int(25 / 0.025)] + 40.0) < 0.5


@pytest.mark.parametrize("make, match", [
    (lambda m: Cell(m, ra=0.0), "Cell.ra must be > 0"),
    (lambda m: Cell(m, cm=-1.0), "Cell.cm must be > 0"),
    (lambda m: Cell(m, celsius=80.0), "Cell.celsius"),
    (lambda m: Cell(m, conventions="brian"), "conventions"),
    (lambda m: Cell(m).paint("axon", Passive()), "neither 'all', a region"),
    (lambda m: Cell(m).paint("soma", "hh"), "expects mechanisms"),
    (lambda m: Cell(m).set("soma", rm=3.0), "unknown property 'rm'"),
    (lambda m: Cell(m).set("soma", cm=0.0), "must be in"),
    (lambda m: Cell(m).place("soma(1.5)", IClamp()), "x must be in"),
    (lambda m: Cell(m).place("spine[3](0.5)", IClamp()), "no section 'spine\\[3\\]'"),
    (lambda m: Cell(m).place("soma(0.5)", HH()), "expects IClamp"),
    (lambda m: Cell(m, nseg=fixed(0)), "positive integer"),
    (lambda m: HH(g_na=-1.0), "HH.g_na"),
])
def test_bad_cell_input_names_the_problem(make, match):
    morph = ball_and_stick()
    with pytest.raises(ParameterError, match=match):
        make(morph)


def test_bad_run_input_names_the_problem():
    cell = branched_cell()
    with pytest.raises(ParameterError, match="record_dt"):
        simulate_cell(cell, 10.0, 0.025, record_dt=0.03)
    with pytest.raises(ParameterError, match="t_stop"):
        simulate_cell(cell, 10.01, 0.025, record_dt=0.1)
    with pytest.raises(ParameterError, match="does not exist"):
        simulate_cell(cell, 10.0, 0.025, batch={"soma.hh.gnabar": np.ones(2)})
    with pytest.raises(ParameterError, match="one of"):
        build(cell, 10.0, 0.025, method="rk4")
    with pytest.raises(ParameterError, match="no section"):
        simulate_cell(cell, 10.0, 0.025, record=["apic[99](0.5)"])


def test_non_finite_voltage_is_an_error():
    cell = branched_cell().place("soma(0.5)", IClamp(amp=1e308, delay=0.0, dur=5.0))
    with pytest.raises(SimulationError, match="non-finite"):
        simulate_cell(cell, 10.0, 0.025)


def test_simulator_runs_under_jit_vmap_and_grad():
    import jax
    import jax.numpy as jnp

    sim = build(branched_cell(), 120.0, 0.025, record=["soma(0.5)"], record_dt=0.5)
    g_na = jnp.array([100.0, 120.0, 140.0])
    vm = jax.jit(jax.vmap(lambda g: sim.run({"soma.hh.g_na": g})["v"][0]))(g_na)
    for j in range(3):
        single = sim.run({"soma.hh.g_na": g_na[j]})["v"][0]
        np.testing.assert_allclose(vm[j], single, atol=1e-9)
    grad = jax.grad(lambda g: jnp.sum(sim.run({"soma.hh.g_na": g})["v"][0]))(120.0)
    assert np.isfinite(grad) and grad != 0.0


def test_batched_run_with_a_calcium_pool_equals_single_runs():
    from neurodyn.channels import SK, CaHVA, CaPool

    cell = branched_cell().paint("soma", CaHVA(g_max=0.1), CaPool(), SK(g_max=0.1))
    rb = simulate_cell(cell, 150.0, 0.025, batch={"soma.cahva.g_max": np.array([0.05, 0.2])})
    for j, g in enumerate((0.05, 0.2)):
        single = branched_cell().paint("soma", CaHVA(g_max=g), CaPool(), SK(g_max=0.1))
        rs = simulate_cell(single, 150.0, 0.025)
        np.testing.assert_allclose(rb.traces["soma(0.5)"][j], rs.traces["soma(0.5)"], atol=1e-9)


def test_a_later_paint_replaces_a_mechanism_whatever_its_options():
    over = branched_cell().paint("soma", HH(rates="neuron_table"))
    groups = [g for g in assemble(over).groups if type(g.mech) is HH]
    assert len(groups) == 1 and groups[0].mech.rates == "neuron_table"
    ref = branched_cell(rates="neuron_table")
    np.testing.assert_array_equal(simulate_cell(over, 120.0, 0.025).traces["soma(0.5)"],
                                  simulate_cell(ref, 120.0, 0.025).traces["soma(0.5)"])


def test_two_electrodes_of_one_class_at_one_location_have_their_own_paths():
    cell = (branched_cell().place("soma(0.5)", IClamp(amp=0.0, delay=10.0, dur=5.0)))
    sim = build(cell, 20.0, 0.025)
    paths = sim.param_paths()
    assert "soma(0.5).IClamp[0].amp" in paths and "soma(0.5).IClamp[1].amp" in paths
    p = sim.params({"soma(0.5).IClamp[1].amp": 0.3})
    assert [float(e.amp) for e in p["electrodes"]] == [0.75, 0.3]


def test_nseg_must_be_a_whole_number():
    with pytest.raises(ParameterError, match="positive integer"):
        Cell(ball_and_stick(), nseg=2.5)
    assert list(assemble(Cell(ball_and_stick(), nseg=np.int64(3))).nodes.nseg) == [3, 3]
