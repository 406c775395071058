"""Fits to the real recordings (issue 5, acceptance 2): the stored best parameters of each example
fit re-evaluated against its recording.

``examples/fit/<name>.toml`` defines each problem (recording, protocol, features, SD rule, free
parameters); ``examples/fit/results/<name>.json`` is the ``result.json`` that ``neurodyn fit``
wrote for it (the best parameters and the per-sweep, per-feature errors |z| in SD units). The
test rebuilds the problem from the recording, simulates the stored parameters and checks that
the errors are the stored ones (the report is reproducible). For the clean recording (B6: a
stable baseline, no spontaneous spikes) the issue's targets are asserted: median error at most
1 SD and none above 3 SD (stored fit: median 0.45, max 2.5 SD, the ISI CV at the weakest step;
the score is the sum of squared z-scores, V_T may go down to -80 mV; with V_T >= -70 mV the
same fit ended at max 3.2 SD, with the plain sum at max 7.5 SD). The two ABF
recordings drift and fire spontaneously at their baseline in the early sweeps; their fits are
stored and reproduced but miss the target (score: the sum of squared z-scores; spikes detected
in the stimulus window only; median 2.9 and 3.2 SD, max 18 and 24; README and the issue's
closing notes say why). ``pospischil_ext_*`` are the same recordings fitted with the model's
extensions (an AHP current with its Ca2+ shell, an inward rectifier, a K+ activation shift), in
three stages (``_1_passive``, ``_2_full``, the final file), with the spike-shape features scored
on positive steps only and, in the last stage (17o05028) or the last two (FSI), spikes
detected in the stimulus window only (eFEL's strict_stiminterval; a spontaneous spike just
before the step is otherwise its "first spike", with a negative latency): median 1.29 and 0.97
SD, max 12.7 and 15.8 SD, 24 of 101 and 16 of 113 entries above 3 SD (still above the
target). ``pospischil_cont_*`` fit the same model with the sweeps run back to back, as
recorded, under one fitted holding current (FSI: median 0.82 SD, 8 of 113 entries above 3 SD).
``pospischil_clamp_*`` fit it with every candidate clamped to the recorded trace until its
sweep's analysed step begins (the cell's own pre-step state, spontaneous spikes included): FSI
median 1.00 SD, max 2.98 SD, none above 3 SD (the target, met at its edge; four stages, the last
scored by the sum of z**4); 17o05028 median 1.10 SD, max 8.7 SD, 18 of 101 above 3 SD, and
with the delayed rectifier's slow inactivation as well (``pospischil_clamp_ky_17o05028``, two
stages) median 1.00 SD, max 8.55 SD, 16 of 101 above 3 SD. ``pospischil_ais_17o05028`` fits
the two-compartment model (``PospischilAIS``) to it under the same clamp, in five stages (spike
shape first; the sum of z**8 in the last two, the last with an inward rectifier): median 0.97
SD, max 3.00 SD, none of 101 above 3 SD (the target, met at its edge; asserted), its spikes
widening with the step as the cell's do. ``pospischil_dual_na_17o05028`` fits a single
compartment with a second Na+/K+ population (``PospischilDualNa``, that model's limit of
infinitely fast coupling) the same way, in four stages from that limit: median 0.77 SD, max 3.00
SD, none of 101 above 3 SD (the target with a single compartment, at its edge; asserted), its
spikes widening as the cell's do.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("efel", reason="eFEL is not installed")
pytest.importorskip("pyabf", reason="pyabf is not installed")

from neurodyn.io.fit_spec import load_fit_spec, parse_fit_spec
from neurodyn.io.spec import read_toml

pytestmark = pytest.mark.validation

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fit"
FITS = sorted(p.stem for p in (EXAMPLES / "results").glob("*.json"))


def test_every_conductance_fit_has_a_stored_result():
    assert {"pospischil_b6", "pospischil_17o05028", "pospischil_fsi", "pospischil_ext_17o05028",
            "pospischil_ext_fsi", "pospischil_clamp_17o05028", "pospischil_clamp_fsi",
            "pospischil_ais_17o05028", "pospischil_dual_na_17o05028"} <= set(FITS)


@pytest.mark.parametrize("name", FITS)
def test_stored_fit_reproduces_its_feature_errors(name):
    spec = load_fit_spec(str(EXAMPLES / f"{name}.toml"))
    stored = json.loads((EXAMPLES / "results" / f"{name}.json").read_text())
    pb = spec.problem
    assert stored["features"] == list(pb.features)
    x = np.array([[stored["params"][p] for p in pb.paths]])
    ev = pb.evaluate(x)
    z = np.abs(ev.z[0])
    d = pb.target.defined
    want = np.array(stored["z_best"], dtype=float)
    np.testing.assert_array_equal(np.isfinite(want), d)
    np.testing.assert_allclose(z[d], want[d], rtol=1e-3, atol=0.02)
    med, mx = float(np.median(z[d])), float(np.max(z[d]))
    worst = np.argwhere(z == mx)[0]
    print(f"{name}: {int(d.sum())} scored entries; |z| median {med:.3g} SD, max {mx:.3g} SD "
          f"({pb.features[worst[1]]}, sweep {worst[0]}); above 3 SD: {int(np.sum(z[d] > 3))}")
    if name == "pospischil_b6":
        assert med <= 1.0 and mx <= 3.0


@pytest.mark.parametrize("rec", ["17o05028", "fsi"])
def test_extended_model_fits_the_abf_recordings_better(rec):
    """The extended conductance model (AHP current with Ca2+ shell and K+ activation shift for
    17o05028; inward rectifier and K+ activation shift for the FSI), fitted in three stages,
    against the plain model's fit, both scored with the same eFEL settings (spikes in the
    stimulus window only): over the entries both score, the median error and the passive
    features' median errors are lower. Both still miss the issue's target: the first-spike
    latencies (SD 5 %, at least 0.1 ms) stay far off (numbers in the example files)."""
    import tomllib

    ext, plain = (json.loads((EXAMPLES / "results" / f"{n}.json").read_text())
                  for n in (f"pospischil_ext_{rec}", f"pospischil_{rec}"))
    settings = [tomllib.loads((EXAMPLES / f"{n}.toml").read_text())["features"].get("efel")
                for n in (f"pospischil_ext_{rec}", f"pospischil_{rec}")]
    assert settings[0] == settings[1] == {"strict_stiminterval": True}
    ze, fe = np.array(ext["z_best"], dtype=float), ext["features"]
    zp, fp = np.abs(np.array(plain["z_best"], dtype=float)), plain["features"]
    assert fp == fe
    both = np.isfinite(zp) & np.isfinite(ze)
    med_p, med_e = float(np.median(zp[both])), float(np.median(ze[both]))
    print(f"{rec}: {int(both.sum())} common entries, median {med_p:.3g} -> {med_e:.3g} SD, "
          f"max {np.max(zp[both]):.3g} -> {np.max(ze[both]):.3g} SD")
    assert med_e < 0.7 * med_p
    for f in ("input_resistance", "time_constant"):
        j = fp.index(f)
        mp, me = np.nanmedian(zp[:, j]), np.nanmedian(ze[:, j])
        print(f"  {f}: median {mp:.3g} -> {me:.3g} SD")
        assert me < 0.6 * mp


@pytest.mark.parametrize("name", ["17o05028_ic_steps.abf", "2019_07_24_0055_fsi.abf"])
def test_first_spike_latencies_scatter_on_the_first_step_only(name):
    """examples/fit/dual_step_latencies.py: every sweep applies its amplitude twice, the second
    time right after a hyperpolarising pulse. On the fitted (first) step the latency is not
    monotonic in the amplitude (the fits' largest errors); on the second it falls steadily
    (rises by at most 0.2 ms, two steps of eFEL's 0.1 ms resampling, between neighbouring
    amplitudes)."""
    import importlib.util

    path = EXAMPLES / "dual_step_latencies.py"
    spec = importlib.util.spec_from_file_location("dual_step_latencies", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    amp, first, second = mod.latencies(name)
    k = amp > 0
    assert np.all(np.diff(amp[k]) > 0) and np.all(np.isfinite(first[k] + second[k]))
    print(f"{name}: first step {np.round(first[k], 1)}; second step {np.round(second[k], 1)}")
    assert np.max(np.diff(first[k])) > 2.0  # rises by more than 2 ms somewhere
    assert np.max(np.diff(second[k])) <= 0.2


def test_fsi_sweeps_back_to_back_with_one_holding_current():
    """pospischil_cont_fsi: the extended model fitted to the FSI recording with its 17 sweeps run
    back to back, as recorded (continuous=True: 51 s in one simulation, after a 2 s lead-in) and
    one fitted holding current instead of a holding current per sweep that imposes each sweep's
    recorded baseline (the per-sweep fit, pospischil_ext_fsi). The same entries are scored
    against the same targets (the features of the first step; [features] window). The fit ran
    in three CMA-ES stages from the per-sweep fit's best (pospischil_cont_fsi_1, _2, then this
    file). Against the per-sweep fit: the median error and the number of entries above 3 SD
    are lower, and the median meets the issue's target (at most 1 SD); entries above 3 SD
    remain (near-threshold first-spike latencies, the spontaneous spikes at 0 pA)."""
    ext, cont = (json.loads((EXAMPLES / "results" / f"{n}.json").read_text())
                 for n in ("pospischil_ext_fsi", "pospischil_cont_fsi"))
    assert ext["features"] == cont["features"]
    ze, zc = (np.array(r["z_best"], dtype=float) for r in (ext, cont))
    np.testing.assert_array_equal(np.isfinite(ze), np.isfinite(zc))
    d = np.isfinite(zc)
    med_e, med_c = float(np.median(ze[d])), float(np.median(zc[d]))
    n_e, n_c = int(np.sum(ze[d] > 3)), int(np.sum(zc[d] > 3))
    print(f"fsi: median {med_e:.3g} -> {med_c:.3g} SD; above 3 SD {n_e} -> {n_c} of {int(d.sum())}")
    assert med_c <= 1.0 and med_c < med_e
    assert n_c < n_e



def test_clamp_to_the_recorded_pre_step_trace_explains_the_fsi_latencies():
    """The FSI's first-step latencies go 2.7, 5.6, 2.7, 3.8 ms from 100 to 175 pA: before the
    125 and 175 pA steps a spontaneous spike ends just before the onset. The per-sweep fit's
    stored parameters (pospischil_ext_fsi, fitted without the clamp), run unchanged: started from
    a steady state, at least one of these four latencies is more than 3 SD off; clamped to the
    recorded trace until the onset ([data] clamp_before_step), all four are within 1 SD."""
    stored = json.loads((EXAMPLES / "results" / "pospischil_ext_fsi.json").read_text())
    z = {}
    for clamp in (False, True):
        data, path, name = read_toml(str(EXAMPLES / "pospischil_ext_fsi.toml"))
        data["data"]["clamp_before_step"] = clamp
        pb = parse_fit_spec(data, source=path, default_name=name).problem
        ev = pb.evaluate(np.array([[stored["params"][p] for p in pb.paths]]))
        j = pb.features.index("time_to_first_spike")
        amp = pb._step_pA[8:12]
        np.testing.assert_allclose(amp, [100.0, 125.0, 150.0, 175.0], atol=1.0)
        z[clamp] = np.abs(ev.z[0, 8:12, j])
        print(f"clamp={clamp}: latencies {np.round(ev.features[0, 8:12, j], 2)} ms against "
              f"{np.round(pb.target.mean[8:12, j], 2)}: |z| {np.round(z[clamp], 2)}")
    assert np.max(z[False]) > 3.0
    assert np.max(z[True]) < 1.0


@pytest.mark.parametrize(("before", "after"), [
    ("pospischil_ext_17o05028", "pospischil_clamp_17o05028"),
    ("pospischil_ext_fsi", "pospischil_clamp_fsi"),
    ("pospischil_clamp_17o05028", "pospischil_clamp_ky_17o05028"),
    ("pospischil_clamp_ky_17o05028", "pospischil_ais_17o05028_3"),
    ("pospischil_ais_17o05028_3", "pospischil_ais_17o05028_4"),
    ("pospischil_ais_17o05028_4", "pospischil_ais_17o05028"),
    ("pospischil_clamp_ky_17o05028", "pospischil_dual_na_17o05028")])
def test_fits_clamped_to_the_recorded_pre_step_trace(before, after):
    """pospischil_clamp_*: the extended model fitted with every candidate clamped to the recorded
    trace until its sweep's analysed step begins ([data] clamp_before_step), from the per-sweep
    fit's best (pospischil_ext_*; FSI in stages _1 to _4, then the final file). The same entries
    are scored against the same targets. Against the unclamped fit: fewer entries above 3 SD and
    a lower largest error. FSI: the issue's target is met (median at most 1 SD, none above 3 SD;
    the median itself is 1.00 against 0.97 unclamped, and the largest error 2.98 SD, both at
    the target's edge). 17o05028: a lower median too, but the target is missed (AP widths and
    AHP depths; numbers in the spec). pospischil_clamp_ky_17o05028: the clamped fit again with
    the delayed rectifier's slow inactivation (gate y, f_y >= 0.2), in two stages: lower on all
    three counts than without it (median 1.00 against 1.10 SD, max 8.55 against 8.74, 16
    against 18 entries above 3 SD), the target still missed: the spikes do not widen as the
    cell's do (numbers in the spec). pospischil_ais_17o05028_3: the two-compartment model
    (PospischilAIS) under the same clamp, in three stages: lower on all three counts than the
    single compartment (test_second_na_population_widens_the_spikes_as_the_cell_does); its
    fourth stage (pospischil_ais_17o05028_4, the sum of z**8) lower again (median 0.76 against
    0.87 SD, max 3.10 against 3.27, 1 against 2 entries above 3 SD); the fifth and final one
    (pospischil_ais_17o05028, with an inward rectifier) meets the target: median 0.97 SD (so
    not lower than stage 4's), max 3.00 SD, none above 3 SD. pospischil_dual_na_17o05028: a
    single compartment again (PospischilDualNa: the clamp_ky model with an inward rectifier and
    a second Na+/K+ population, the two-compartment model's limit of infinitely fast coupling;
    four stages from that limit) meets the target too: median 0.77 SD, max 3.00 SD, none above
    3 SD, against 1.00, 8.55 and 16 above 3 SD without the second population."""
    ext, clamp = (json.loads((EXAMPLES / "results" / f"{n}.json").read_text())
                  for n in (before, after))
    assert ext["features"] == clamp["features"]
    ze, zc = (np.abs(np.array(r["z_best"], dtype=float)) for r in (ext, clamp))
    np.testing.assert_array_equal(np.isfinite(ze), np.isfinite(zc))
    d = np.isfinite(zc)
    med_e, med_c = float(np.median(ze[d])), float(np.median(zc[d]))
    n_e, n_c = int(np.sum(ze[d] > 3)), int(np.sum(zc[d] > 3))
    print(f"{before} -> {after}: median {med_e:.3g} -> {med_c:.3g} SD, max "
          f"{np.max(ze[d]):.3g} -> {np.max(zc[d]):.3g} SD; above 3 SD {n_e} -> {n_c} of "
          f"{int(d.sum())}")
    assert n_c < n_e and np.max(zc[d]) < np.max(ze[d])
    if after in ("pospischil_clamp_fsi", "pospischil_ais_17o05028", "pospischil_dual_na_17o05028"):
        assert med_c <= 1.0 and np.max(zc[d]) <= 3.0
    else:
        assert med_c < med_e
    if after.startswith("pospischil_clamp_ky"):
        assert clamp["params"]["f_y"] >= 0.2


@pytest.mark.parametrize("name", ["pospischil_ais_17o05028", "pospischil_dual_na_17o05028"])
def test_second_na_population_widens_the_spikes_as_the_cell_does(name):
    """pospischil_ais_17o05028: the two-compartment model (PospischilAIS: the soma with slow Na+
    and K+ inactivation, and a second compartment with its own Na+ and K+ channels) fitted in
    five stages: _1 spike shape only, _2, _3, _4 and the final file all 101 entries;
    pospischil_dual_na_17o05028: one compartment with a second Na+/K+ population
    (PospischilDualNa, four stages). The cell's AP width grows from 2.66 ms at 10 pA to 6.41 ms
    at 100 pA; the single-compartment fit without the second population
    (pospischil_clamp_ky_17o05028) keeps its spikes 3.5-3.7 ms wide. Re-evaluated here: each
    fit's width grows with the step as the cell's does (ratio 100 pA / 10 pA above 1.8: 1.95
    and 1.99, against below 1.1 without the second population) and every width is within 3 SD;
    the two-compartment shape stage has all 56 of its entries within 3 SD."""
    widths = {}
    for fit in ("pospischil_clamp_ky_17o05028", name):
        spec = load_fit_spec(str(EXAMPLES / f"{fit}.toml"))
        pb = spec.problem
        stored = json.loads((EXAMPLES / "results" / f"{fit}.json").read_text())
        ev = pb.evaluate(np.array([[stored["params"][p] for p in pb.paths]]))
        j = pb.features.index("AP_width")
        np.testing.assert_allclose(pb._step_pA[[6, 15]], [10.0, 100.0], atol=1.0)
        w, z = ev.features[0, 6:, j], np.abs(ev.z[0, 6:, j])
        widths[fit] = (w[-1] / w[0], float(np.max(z)))
        print(f"{fit}: AP widths 10-100 pA {np.round(w, 2)} ms (cell "
              f"{np.round(pb.target.mean[6:, j], 2)}), max |z| {np.max(z):.2f}")
    assert widths["pospischil_clamp_ky_17o05028"][0] < 1.1
    assert widths[name][0] > 1.8
    assert widths[name][1] <= 3.0
    if name == "pospischil_ais_17o05028":
        shape = json.loads((EXAMPLES / "results" / "pospischil_ais_17o05028_1.json").read_text())
        zs = np.abs(np.array(shape["z_best"], dtype=float))
        assert int(np.isfinite(zs).sum()) == 56 and np.nanmax(zs) <= 3.0
