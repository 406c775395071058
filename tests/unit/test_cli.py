"""``neurodyn run`` on every shipped example, and the messages for malformed specs."""

import json
from pathlib import Path

import numpy as np
import pytest

from neurodyn.cli.main import main
from neurodyn.errors import ParameterError, SpecError
from neurodyn.io.spec import parse_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.toml"))


def test_examples_exist():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs(spec, tmp_path, capsys):
    out = tmp_path / spec.stem
    assert main(["run", str(spec), "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "success"
    assert (out / "result.h5").is_file() and (out / "summary.md").is_file()
    pngs = list(out.glob("*.png"))
    assert pngs and all(p.stat().st_size > 5000 for p in pngs)
    assert "wrote" in capsys.readouterr().out


GOOD = {
    "model": {"type": "HodgkinHuxley"},
    "simulation": {"t_stop": "10 ms", "dt": "0.025 ms"},
    "stimulus": [{"type": "Step", "amplitude": "10 uA/cm2"}],
}


def _with(path, value):
    import copy

    d = copy.deepcopy(GOOD)
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    if value is _DELETE:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return d


_DELETE = object()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # unknown model
        (_with(("model", "type"), "HH2"), ["[model].type", "unknown model 'HH2'", "Known:"]),
        # bad unit
        (_with(("simulation", "t_stop"), "10 mV"), ["[simulation].t_stop", "time", "voltage"]),
        # negative duration
        (_with(("simulation", "t_stop"), "-5 ms"), ["[simulation].t_stop", "must be > 0 ms",
                                                    "Fix"]),
        # missing key
        (_with(("simulation", "t_stop"), _DELETE), ["[simulation].t_stop", "missing", "Fix"]),
        # wrong type
        (_with(("simulation", "dt"), True), ["[simulation].dt", "expected a time", "bool"]),
        # unknown key with a suggestion
        (_with(("simulation", "tstop"), "10 ms"), ["[simulation].tstop", "did you mean 't_stop'"]),
        # bad model parameter value, from the model's own declaration
        (_with(("model", "parameters"), {"g_na": "-1 mS/cm2"}),
         ["[model.parameters]", "HodgkinHuxley.g_na must be >= 0 mS/cm2"]),
        # stimulus amplitude of the wrong dimension for the model
        (_with(("stimulus",), [{"type": "Step", "amplitude": "1 mV"}]),
         ["[[stimulus]][0]", "current density"]),
        # unknown stimulus
        (_with(("stimulus",), [{"type": "Stepp"}]), ["[[stimulus]][0].type", "unknown stimulus"]),
        # unknown recorded variable
        (_with(("record",), {"variables": ["q"]}), ["[record].variables", "no variable 'q'"]),
        # sweep lists of different length in zip mode
        ({**GOOD, "sweep": {"parameters": {"g_na": [1, 2], "g_k": [1, 2, 3]}}},
         ["[sweep].mode", "equal length"]),
    ],
)
def test_malformed_specs_give_the_key_path_and_fix(spec, expected):
    with pytest.raises(SpecError) as exc:
        parse_spec(spec, source="bad.toml")
    msg = str(exc.value)
    assert msg.startswith("bad.toml: ")
    for part in expected:
        assert part in msg, msg


def test_cli_reports_errors_without_traceback(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text('[model]\ntype = "Nope"\n[simulation]\nt_stop = "1 ms"\n')
    assert main(["run", str(p)]) == 2
    err = capsys.readouterr().err
    assert "neurodyn: error:" in err and "unknown model 'Nope'" in err
    p.write_text("[model\n")
    assert main(["run", str(p)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_other_commands(capsys):
    assert main(["models", "HodgkinHuxley"]) == 0
    out = capsys.readouterr().out
    assert "g_na" in out and "mS/cm2" in out
    assert main(["methods"]) == 0
    assert "backward_euler" in capsys.readouterr().out
    assert main(["cite", "AdEx"]) == 0
    assert "brette2005adaptive" in capsys.readouterr().out


# ---------------------------------------------------------------------- network specs
NET = {
    "network": {
        "population": [{"name": "E", "model": "LIF", "size": 50}],
        "source": [{"name": "drive", "type": "poisson", "size": 20, "rate": "10 Hz"}],
        "projection": [{"pre": "drive", "post": "E", "connector": {"type": "AllToAll"},
                        "synapse": {"type": "Exp", "tau": "5 ms", "e_rev": "0 mV"},
                        "weight": "1 nS", "delay": "1 ms"}],
    },
    "simulation": {"t_stop": "20 ms", "dt": "0.1 ms"},
}


def _net_with(path, value):
    import copy

    d = copy.deepcopy(NET)
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return d


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (_net_with(("network", "population", 0, "model"), "LIFF"),
         ["[[network.population]][0].model", "unknown model 'LIFF'"]),
        (_net_with(("network", "projection", 0, "connector"), {"type": "FixedProbability", "p": 2}),
         ["[[network.projection]][0].connector", "FixedProbability.p must be in [0, 1]"]),
        (_net_with(("network", "projection", 0, "delay"), "0.01 ms"),
         ["[[network.projection]][0].delay", "must be >= dt"]),
        (_net_with(("network", "projection", 0, "weight"), "-1 nS"),
         ["conductance weights must be >= 0 nS"]),
        (_net_with(("network", "projection", 0, "pre"), "noise"),
         ["[[network.projection]][0].pre", "no population or source named 'noise'"]),
        (_net_with(("network", "projection", 0, "synapse"), {"type": "Exp", "tau": "5 mV"}),
         ["[[network.projection]][0].synapse", "time"]),
        (_net_with(("network", "population", 0, "size"), 0),
         ["[[network.population]][0].size", "positive integer"]),
        (_net_with(("network", "builtin"), "cobaa"), ["[network].builtin", "coba, cuba, cobahh"]),
    ],
)
def test_malformed_network_specs_give_the_key_path(spec, expected, tmp_path):

    from neurodyn.io.network_spec import parse_network_spec

    with pytest.raises((SpecError, ParameterError)) as exc:
        spec_obj = parse_network_spec(spec, source="bad.toml")
        # some errors (delays, weights) are found when the network is built
        import neurodyn as nd

        nd.simulate(spec_obj.network, spec_obj.t_stop, spec_obj.dt)
    msg = str(exc.value)
    for part in expected:
        assert part in msg, msg


CELL = {
    "cell": {"builtin": "branched"},
    "simulation": {"t_stop": "20 ms", "dt": "0.025 ms"},
}


def _cell_with(path, value):
    import copy

    d = copy.deepcopy(CELL)
    cur = d
    for k in path[:-1]:
        cur = cur.setdefault(k, {}) if isinstance(cur, dict) else cur[k]
    cur[path[-1]] = value
    return d


def _ca1(**cell):
    morph = str(Path(__file__).resolve().parents[1] / "reference_data" / "morphologies"
                / "morph_ca1_n120.swc")
    return {"cell": {"morphology": morph, **cell}, "simulation": {"t_stop": "5 ms"}}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (_cell_with(("cell", "builtin"), "ca3"), ["[cell].builtin", "ca1_passive"]),
        (_cell_with(("cell", "ra"), 100.0), ["[cell].ra", "builtin cell sets its own"]),
        (_cell_with(("cell", "paint"), [{"target": "soma", "mechanism": "hhh"}]),
         ["[[cell.paint]][0].mechanism", "Did you mean 'hh'"]),
        (_cell_with(("cell", "paint"), [{"target": "axon", "mechanism": "pas"}]),
         ["[[cell.paint]][0]", "neither 'all', a region"]),
        (_cell_with(("cell", "paint"), [{"target": "soma", "mechanism": "hh",
                                         "parameters": {"g_na": "-1 mS/cm2"}}]),
         ["[[cell.paint]][0]", "HH.g_na"]),
        (_cell_with(("cell", "paint"), [{"mechanism": "hh", "parameters": {"gnabar": 0.1}}]),
         ["[[cell.paint]][0].parameters.gnabar", "no parameter"]),
        (_cell_with(("cell", "place"), [{"location": "soma(2)", "type": "IClamp"}]),
         ["[[cell.place]][0]", "x must be in [0, 1]"]),
        (_cell_with(("cell", "place"), [{"location": "soma(0.5)", "type": "Clamp"}]),
         ["[[cell.place]][0].type", "unknown 'Clamp'"]),
        (_cell_with(("cell", "set"), [{"target": "soma", "rm": 1.0}]),
         ["[[cell.set]][0].rm", "unknown key"]),
        (_cell_with(("record", "locations"), ["dend_9_0(0.5)"]), ["no section 'dend_9_0'"]),
        (_cell_with(("batch", "soma.hh.gnabar"), [1, 2]), ["does not exist"]),
        (_cell_with(("simulation", "method"), "rk4"), ["[simulation].method"]),
        (_ca1(nseg=0), ["[cell].nseg", "positive integer"]),
        ({"cell": {"morphology": "missing.swc"}, "simulation": {"t_stop": "5 ms"}},
         ["[cell].morphology"]),
    ],
)
def test_malformed_cell_specs_give_the_key_path(spec, expected):
    from neurodyn.io.cell_spec import parse_cell_spec

    with pytest.raises((SpecError, ParameterError)) as exc:
        parse_cell_spec(spec, source="bad.toml")
    msg = str(exc.value)
    for part in expected:
        assert part in msg, msg


def test_cell_spec_batch_runs(tmp_path, capsys):
    import tomllib

    from neurodyn.cli.main import run_spec

    spec = _cell_with(("batch", "soma.hh.g_na"), [100.0, 140.0])
    spec["record"] = {"path_to": "apical"}
    text = tmp_path / "b.toml"
    import json as _json

    def toml(d, prefix=""):
        lines = []
        for k, v in d.items():
            if isinstance(v, dict):
                lines.append(f"[{prefix}{k}]")
                lines += [f'"{kk}" = {_json.dumps(vv)}' for kk, vv in v.items()]
        return "\n".join(lines)

    text.write_text(toml(spec))
    assert tomllib.loads(text.read_text())["batch"]["soma.hh.g_na"] == [100.0, 140.0]
    summary = run_spec(str(text), str(tmp_path / "out"), quiet=True)
    assert summary["status"] == "success" and summary["batch"]["soma.hh.g_na"] == [100.0, 140.0]
    assert (tmp_path / "out" / "path.png").is_file()


def test_neurodyn_fit_writes_a_report_and_resumes(tmp_path, capsys):
    pytest.importorskip("cma")
    spec = Path(__file__).resolve().parents[2] / "examples" / "fit" / "hh_peers.toml"
    out = tmp_path / "fit"
    assert main(["fit", str(spec), "-o", str(out), "-q"]) == 0
    res = json.loads((out / "result.json").read_text())
    assert res["score"] <= 0.5
    for k, v in {"g_na": 120.0, "g_k": 36.0, "g_l": 0.3, "c_m": 1.0}.items():
        assert abs(res["params"][k] / v - 1) < 0.02
    for f in ("report.md", "traces.png", "feature_errors.png", "convergence.png",
              "parameters.png", "evaluations.jsonl"):
        assert (out / f).is_file()
    n = len((out / "evaluations.jsonl").read_text().splitlines())
    assert main(["fit", str(spec), "-o", str(out), "-q"]) == 0  # resumes: already done
    assert len((out / "evaluations.jsonl").read_text().splitlines()) == n
    # the resumed result reports the same errors (undefined entries stay undefined, not -1)
    again = json.loads((out / "result.json").read_text())
    z0, z1 = np.array(res["z_best"], dtype=float), np.array(again["z_best"], dtype=float)
    assert np.isnan(z0).any()
    np.testing.assert_array_equal(np.isnan(z1), np.isnan(z0))
    np.testing.assert_allclose(z1[~np.isnan(z1)], z0[~np.isnan(z0)])
    assert again["z_median"] == pytest.approx(res["z_median"])


def test_neurodyn_fit_with_the_gradient_method(tmp_path):
    """method = "gradient" in a fit spec: Levenberg-Marquardt on the spike-aware distance from
    the best of the screened starts recovers the PEERS problem within 2 %; bad options name
    their key; NSGA-II with a trace objective, a reference point and restarts runs from a
    spec."""
    import tomllib

    pytest.importorskip("optax")
    spec = Path(__file__).resolve().parents[2] / "examples" / "fit" / "hh_peers.toml"
    d = tomllib.loads(spec.read_text())
    d["fit"] = {"method": "gradient", "starts": 4, "screen": 32, "steps": 40, "seed": 0}
    from neurodyn.cli.main import _fit
    from neurodyn.io.fit_spec import parse_fit_spec

    fs = parse_fit_spec(d, source="g.toml")
    res = _fit(fs, str(tmp_path / "g"), dict(fs.options), quiet=True)
    for k, v in fs.truth.items():
        assert abs(res.params_[k] / v - 1) < 0.02, res.params_
    d["fit"]["objectives"] = "sweeps"
    with pytest.raises(SpecError, match=r"\[fit\].objectives.*nsga2"):
        parse_fit_spec(d, source="g.toml")
    d["fit"] = {"method": "nsga2", "objectives": {"rate": ["spike_count"]}}
    with pytest.raises(SpecError, match="leave out"):
        parse_fit_spec(d, source="g.toml")
    # NSGA-II's trace objectives and reference point: errors under their keys, and a run
    for fit, match in [({"method": "cmaes", "trace_sweeps": [0]}, r"trace_sweeps.*nsga2"),
                       ({"method": "nsga2", "trace_sweeps": [5]}, r"\[fit\].trace_sweeps"),
                       ({"method": "nsga2", "reference_point": [0, 0]},
                        r"\[fit\].reference_point.*8 finite values"),
                       ({"method": "nsga2", "epsilon": 0}, r"\[fit\].epsilon"),
                       ({"method": "nsga2", "epsilon": True},
                        r"\[fit\].epsilon.*number > 0.*got True"),
                       ({"method": "nsga2", "stall_generations": 0},
                        r"\[fit\].stall_generations"),
                       ({"method": "nsga2", "variation": "pcx"},
                        r"\[fit\].variation.*'sbx', 'de'.*'pcx'"),
                       ({"method": "cmaes", "variation": "de"},
                        r"\[fit\].variation.*applies to method nsga2"),
                       ({"method": "nsga2", "restarts": -1}, r"\[fit\].restarts")]:
        d["fit"] = fit
        with pytest.raises(SpecError, match=match):
            parse_fit_spec(d, source="g.toml")
    d["fit"] = {"method": "nsga2", "objectives": "sweeps", "trace_sweeps": [0],
                "reference_point": "ideal", "popsize": 8, "generations": 2, "seed": 0,
                "restarts": 1, "stall_generations": 1, "variation": "de"}
    fs = parse_fit_spec(d, source="g.toml")
    res = _fit(fs, str(tmp_path / "n"), dict(fs.options), quiet=True)
    from neurodyn.fitting.result import FitStore

    # the spec's variation reached the fit: its saved state made offspring by DE
    assert FitStore(str(tmp_path / "n")).load(fs.problem.paths)[0]["variation"] == "de"
    assert res.extra["pareto_F"].shape[1] == 6
    assert res.extra["runs"][0]["pop_size"] == 8
    assert res.extra["objective_names"][-1] == "trace RMS 20 pA (mV)"
    assert res.extra["objective_names"][0] == "sweep 20 pA (SD)"


def _abf_spec(reference_dir, features: str) -> str:
    """A fit spec (TOML text) of the Pospischil model on the 17o05028 recording, held at its
    baseline, with the given [features] lines and g_l free."""
    return f"""
    [model]
    type = "Pospischil"
    [data]
    recording = "{reference_dir / 'ephys' / 'pyabf' / '17o05028_ic_steps.abf'}"
    cut = "700 ms"
    holding = "baseline"
    [features]{features}
    [[parameter]]
    path = "g_l"
    low = 0.001
    high = 1
    transform = "log"
    """


def test_fit_spec_for_a_drifting_recording(reference_dir):
    """[data] cut/holding and [features] margins/hyperpolarizing_only/depolarizing_only reach
    the FitProblem."""
    import tomllib

    from neurodyn.io.fit_spec import parse_fit_spec

    text = _abf_spec(reference_dir, """
    names = ["spike_count_stimint", "input_resistance"]
    margins = ["15 ms", "0 ms"]
    hyperpolarizing_only = ["input_resistance"]""")
    spec = parse_fit_spec(tomllib.loads(text))
    pb = spec.problem
    assert pb.protocol.t_stop < 700.0 and pb.holding == "baseline"
    assert pb.baseline.shape == (16,) and pb.margins == (15.0, 0.0)
    assert pb.aggregate == "sum"  # the default
    sq = parse_fit_spec(tomllib.loads(text.replace("[features]",
                                                   '[features]\n    aggregate = "squares"')))
    assert sq.problem.aggregate == "squares"
    from neurodyn.fitting import step_windows

    amp = step_windows(pb.protocol)[2]
    ir = pb.target.defined[:, 1]
    assert ir.sum() == 5 and not ir[5:].any()  # input resistance on the 5 negative steps only
    assert np.all(amp[:5] < 0)
    bad = tomllib.loads(text.replace('holding = "baseline"', 'holding = "rest"'))
    with pytest.raises(SpecError, match=r"\[data\].holding"):
        parse_fit_spec(bad)
    bad = tomllib.loads(text.replace('hyperpolarizing_only = ["input_resistance"]',
                                     'hyperpolarizing_only = ["sag_ratio"]'))
    with pytest.raises(SpecError, match="hyperpolarizing_only"):
        parse_fit_spec(bad)
    # depolarizing_only: the spike count is then scored on the 10 positive steps only (sweep 5,
    # 0 pA, where the cell fires spontaneously, drops out)
    dep = parse_fit_spec(tomllib.loads(text.replace(
        'hyperpolarizing_only = ["input_resistance"]',
        'hyperpolarizing_only = ["input_resistance"]\n    '
        'depolarizing_only = ["spike_count_stimint"]')))
    sc = dep.problem.target.defined[:, 0]
    assert np.array_equal(sc, amp > 0) and sc.sum() == 10 and amp[5] == 0
    assert pb.target.defined[:, 0].all()  # without it: every sweep
    for bad_text, key in (('depolarizing_only = ["AP_width"]', "depolarizing_only"),
                          ('depolarizing_only = ["input_resistance"]', "scored nowhere")):
        bad = tomllib.loads(text.replace('hyperpolarizing_only = ["input_resistance"]',
                                         'hyperpolarizing_only = ["input_resistance"]\n    '
                                         + bad_text))
        with pytest.raises(SpecError, match=key):
            parse_fit_spec(bad)


def test_fit_spec_efel_settings_reach_target_and_candidates(reference_dir):
    """[features] efel: eFEL settings for the target and for every candidate. In 17o05028 the
    cell fires spontaneously 4.6 ms before the 20 pA step of sweep 7 (inside the 15 ms margin);
    by default eFEL counts that spike as the first (latency -4.6 ms). With
    strict_stiminterval the latency is that of the first peak after the onset, which the test
    finds in the raw trace itself (first local maximum above -20 mV after the onset)."""
    import tomllib

    from neurodyn.fitting import step_windows
    from neurodyn.io.fit_spec import parse_fit_spec

    text = _abf_spec(reference_dir, """
    names = ["time_to_first_spike"]
    margins = ["15 ms", "0 ms"]""")
    plain = parse_fit_spec(tomllib.loads(text))
    strict_text = text.replace("[features]", "[features]\n    efel = {strict_stiminterval = true}")
    strict = parse_fit_spec(tomllib.loads(strict_text))
    assert plain.problem.efel_settings == {}
    assert strict.problem.efel_settings == {"strict_stiminterval": True}
    start = step_windows(strict.problem.protocol)[0]
    t, v = strict.problem.protocol.t, strict.data_v[7]
    assert plain.problem.target.mean[7, 0] == pytest.approx(-4.6, abs=0.05)
    after = np.flatnonzero((t > start[7]) & (v > -20.0))
    i = after[0]
    while v[i + 1] > v[i]:
        i += 1
    assert strict.problem.target.mean[7, 0] == pytest.approx(t[i] - start[7], abs=0.1)
    assert strict.problem.target.mean[7, 0] > 40.0
    # the candidates' features are extracted with the same settings
    import neurodyn.fitting.features as features

    seen = []

    def spy(*args, **kw):
        seen.append(kw.get("settings"))
        return extract(*args, **kw)

    extract = features.extract
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(features, "extract", spy)
        strict.problem.evaluate([[0.05]])
    assert seen == [{"strict_stiminterval": True}]
    for bad, key in (("{strict_stimintervall = true}", "strict_stiminterval"),
                     ("{Threshold = -30.0}", "threshold"),
                     ("true", "must map")):
        with pytest.raises(SpecError, match=rf"\[features\].efel.*{key}"):
            parse_fit_spec(tomllib.loads(text.replace(
                "[features]", f"[features]\n    efel = {bad}")))


@pytest.mark.parametrize(("change", "expected"), [
    (("model", "type", "HodgkinHuxleyy"), "[model].type"),
    (("parameter", 0, "low", 300.0), "low < high"),
    (("parameter", 0, "path", "gna"), "no parameter 'gna'"),
    (("features", "names", ["spike_countt"]), "spike_countt"),
    (("fit", "method", "pso"), "[fit].method"),
    (("features", "aggregate", "largest"), "[features].aggregate"),
    (("fit", "loss", "spikes"), "[fit].loss"),  # cmaes fits features, not traces
    (("fit", "objectives", {"a": ["spike_count"]}), "[fit].objectives"),
    (("fit", "x0", {"g_na": 400.0}), "outside its bounds [50, 250]"),
    (("fit", "x0", {"gna": 100.0}), "'gna', which is not"),
    (("fit", "x0", 100.0), "[fit].x0"),
    (("fit", "sigma0", 0.0), "[fit].sigma0"),
])
def test_malformed_fit_specs_give_the_key_path(change, expected):
    import copy
    import tomllib

    from neurodyn.io.fit_spec import parse_fit_spec

    spec = Path(__file__).resolve().parents[2] / "examples" / "fit" / "hh_peers.toml"
    d = copy.deepcopy(tomllib.loads(spec.read_text()))
    cur = d
    for k in change[:-2]:
        cur = cur[k]
    cur[change[-2]] = change[-1]
    with pytest.raises((SpecError, ParameterError)) as exc:
        parse_fit_spec(d, source="bad.toml")
    assert expected in str(exc.value), str(exc.value)


def test_cmaes_starts_from_x0():
    """``x0`` is where the first generation is sampled: with a small ``sigma0`` every candidate
    of generation 1 lies near it (the middle of the range for parameters it leaves out)."""
    import tomllib

    from neurodyn.fitting import fit_cmaes
    from neurodyn.io.fit_spec import parse_fit_spec

    spec = Path(__file__).resolve().parents[2] / "examples" / "fit" / "hh_peers.toml"
    d = tomllib.loads(spec.read_text())
    d["fit"].update(x0={"g_na": 60.0, "g_k": 70.0}, sigma0=0.01)
    fs = parse_fit_spec(d, source="x0.toml")
    assert fs.options["x0"] == {"g_na": 60.0, "g_k": 70.0} and fs.options["sigma0"] == 0.01
    res = fit_cmaes(fs.problem, x0=fs.options["x0"], sigma0=0.01, popsize=4, max_evaluations=4)
    x = np.asarray(res.x)
    assert x.shape == (4, 4)
    # within 4 sigma (0.04 of each range) of g_na = 60, g_k = 70 and the middle of g_l and c_m
    for j, (p, centre) in enumerate(zip(fs.problem.params, (60.0, 70.0, 0.55, 1.25))):
        assert p.transform == "linear"
        np.testing.assert_allclose(x[:, j], centre, atol=0.04 * (p.high - p.low), rtol=0)
    # the start itself is the first candidate, so the fit never ends worse than its start
    start = [60.0, 70.0, 0.55, 1.25]
    np.testing.assert_allclose(x[0], start, rtol=1e-12)
    assert res.scores[0] == pytest.approx(float(fs.problem.evaluate([start]).total[0]))
    assert res.score_ <= res.scores[0]
    # also where pycma's bound transform is not the identity (a start at a bound's edge)
    edge = {"g_na": 50.01, "g_k": 79.99}
    res = fit_cmaes(fs.problem, x0=edge, sigma0=0.01, popsize=4, max_evaluations=4)
    np.testing.assert_allclose(np.asarray(res.x)[0], [50.01, 79.99, 0.55, 1.25], rtol=1e-12)
