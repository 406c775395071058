"""Global (SALib) and local (autodiff) sensitivity analysis (issue 6, acceptance 3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("SALib", reason="SALib is not installed")

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.uncertainty import local_sensitivity, model_outputs, morris, sobol

A, B = 7.0, 0.1
PI_BOX = [(f"x{j}", -math.pi, math.pi) for j in (1, 2, 3)]


def _ishigami(x):
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    # analytic variances (Ishigami & Homma 1990; Sobol' & Levitan 1999), uniform on [-pi, pi]^3
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = 8 * B**2 * math.pi**8 / 225
    v = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / v
    st = np.array([v1 + v13, v2, v13]) / v
    for seed in (0, 1):
        res = sobol(_ishigami, PI_BOX, n=2**14, seed=seed)
        idx = res.indices["y"]
        np.testing.assert_allclose(idx["S1"], s1, atol=0.02)
        np.testing.assert_allclose(idx["ST"], st, atol=0.02)
        assert res.n_evaluations == 2**14 * 5
        assert res.ranking() == ["x1", "x2", "x3"]


def test_morris_screens_out_the_parameter_without_effect():
    def f(x):  # y = 10 x1 + x2^2, x3 has no effect
        return 10 * x[:, 0] + x[:, 1] ** 2

    res = morris(f, [("x1", 0, 1), ("x2", 0, 1), ("x3", 0, 1)], trajectories=20, seed=0)
    mu = res.indices["y"]["mu_star"]
    assert mu[0] == pytest.approx(10.0, rel=1e-9)  # linear: every effect is 10 per unit range
    assert mu[2] == 0.0 and res.ranking() == ["x1", "x2", "x3"]
    assert "| x1 |" in res.table()


HH_PARAMS = [("g_na", 60, 180), ("g_k", 18, 54), ("g_l", 0.15, 0.45),
             ("stimulus.amplitude", 5, 15)]


def test_hh_spike_count_ranking_is_stable_across_seeds(tmp_path):
    fn = model_outputs(nd.models.HodgkinHuxley(), [p for p, *_ in HH_PARAMS],
                       ["spike_count", "mean_v"], t_stop=200.0, window=(20.0, 180.0),
                       stimulus=nd.stimuli.Step(amplitude=10.0, start=20, stop=180))
    ranks = []
    for seed in (0, 1):
        res = sobol(fn, HH_PARAMS, n=256, seed=seed)
        assert res.n_evaluations == 256 * 6
        ranks.append(res.ranking("spike_count"))
        st = res.indices["spike_count"]["ST"]
        print(f"seed {seed}: ST { {n: round(float(s), 3) for n, s in zip(res.names, st)} }; ranking "
              f"{ranks[-1]}")
    assert ranks[0] == ranks[1]
    assert set(ranks[0][:2]) == {"g_na", "g_k"}  # the spiking conductances dominate
    res.plot(str(tmp_path / "sobol.png"))
    assert (tmp_path / "sobol.png").stat().st_size > 10_000


def test_local_sensitivities_by_autodiff_match_finite_differences():
    import jax.numpy as jnp

    hh = nd.models.HodgkinHuxley()
    stim = nd.stimuli.Step(amplitude=1.0, start=5, stop=45)

    def f(p):
        return {"mean_v": jnp.mean(nd.simulate(hh, 50.0, 0.025, batch=dict(p),
                                               stimulus=stim).traces["v"])}

    x0 = {"g_na": 120.0, "g_k": 36.0, "g_l": 0.3}
    d = local_sensitivity(f, x0, relative=False)["mean_v"]
    for k in x0:
        h = 1e-5 * x0[k]
        up, dn = dict(x0), dict(x0)
        up[k] += h
        dn[k] -= h
        fd = (float(f(up)["mean_v"]) - float(f(dn)["mean_v"])) / (2 * h)
        assert d[k] == pytest.approx(fd, rel=1e-5)
    rel = local_sensitivity(f, x0)["mean_v"]
    y0 = float(f(x0)["mean_v"])
    assert rel["g_l"] == pytest.approx(d["g_l"] * 0.3 / y0)


def test_bad_sensitivity_input_gives_clear_errors():
    with pytest.raises(ParameterError, match="low < high"):
        sobol(_ishigami, [("x1", 1.0, 1.0)], n=8)  # a prior of zero width
    with pytest.raises(ParameterError, match="power of 2"):
        sobol(_ishigami, PI_BOX, n=100)
    with pytest.raises(ParameterError, match=r"'y' is NaN.*for 9 of 40.*nan_value"):
        sobol(lambda x: np.where(np.arange(len(x)) < 9, np.nan, x[:, 0]),
              [("a", 0, 1), ("b", 0, 1), ("c", 0, 1)], n=8, seed=0)
    with pytest.raises(ParameterError, match="the same"):
        sobol(lambda x: np.zeros(len(x)), [("a", 0, 1), ("b", 0, 1)], n=8)
    res = sobol(lambda x: np.where(x[:, 0] > 0.5, np.nan, x[:, 0]), [("a", 0, 1), ("b", 0, 1)],
                n=64, nan_value=1.0)
    assert res.ranking() == ["a", "b"]
    with pytest.raises(ParameterError, match="unknown output 'isi'"):
        model_outputs(nd.models.HodgkinHuxley(), ["g_na"], ["isi"], t_stop=10.0)


def test_sensitivity_cli_writes_report_and_spec_errors_name_the_key(tmp_path):
    import json
    import os
    import shutil

    from neurodyn.cli.main import main
    from neurodyn.errors import SpecError
    from neurodyn.io.sensitivity_spec import load_sensitivity_spec, parse_sensitivity_spec

    src = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "sensitivity",
                       "hh_sobol.toml")
    spec_path = tmp_path / "s.toml"
    shutil.copy(src, spec_path)
    text = spec_path.read_text().replace("n = 256", "n = 16")
    spec_path.write_text(text)
    assert main(["sensitivity", str(spec_path), "-o", str(tmp_path / "out"), "-q"]) == 0
    d = json.loads((tmp_path / "out" / "result.json").read_text())
    assert d["n_evaluations"] == 16 * 6 and set(d["ranking"]) == {"spike_count", "mean_v"}
    assert (tmp_path / "out" / "sensitivity.png").exists()
    assert "## Ranking" in (tmp_path / "out" / "report.md").read_text()
    spec = load_sensitivity_spec(str(spec_path))
    assert spec.params[0].path == "g_na" and spec.params[0].high == 180.0
    import tomllib

    raw = tomllib.loads(text)
    bad = {**raw, "parameter": [{"path": "g_nax", "low": 1, "high": 2}]}
    with pytest.raises(SpecError, match=r"\[\[parameter\]\]\[0\]\.path.*g_nax"):
        parse_sensitivity_spec(bad)
    bad = {**raw, "parameter": [{"path": "g_na", "low": "50 mS/cm2", "high": "50 mS/cm2"}]}
    with pytest.raises(SpecError, match=r"\[\[parameter\]\]\[0\].*low < high"):
        parse_sensitivity_spec(bad)
    bad = {**raw, "sensitivity": {"method": "sobol", "trajectories": 10}}
    with pytest.raises(SpecError, match=r"\[sensitivity\]\.trajectories.*does not apply"):
        parse_sensitivity_spec(bad)
    bad = {**raw, "sensitivity": {"outputs": ["isi"]}}
    with pytest.raises(SpecError, match=r"\[sensitivity\]\.outputs"):
        parse_sensitivity_spec(bad)


def test_propagation_of_gaussian_samples_through_a_linear_map_gives_the_analytic_interval():
    from neurodyn.uncertainty import propagate, uniform_samples

    rng = np.random.default_rng(0)
    x = rng.normal([1.0, 2.0], [0.5, 0.2], size=(20_000, 2))
    res = propagate(lambda x: {"y": 3 * x[:, 0] - 2 * x[:, 1]}, x, level=0.9)
    s = res.summary()["y"]
    sd = math.hypot(3 * 0.5, 2 * 0.2)  # y ~ N(-1, sd^2)
    assert s["mean"] == pytest.approx(-1.0, abs=0.03)
    assert s["sd"] == pytest.approx(sd, rel=0.02)
    assert s["hi"] - s["lo"] == pytest.approx(2 * 1.6448536 * sd, rel=0.03)
    u = uniform_samples([("g", 1.0, 100.0, "log")], 1000, seed=1)
    assert u.min() >= 1.0 and u.max() <= 100.0 and abs(np.median(np.log10(u)) - 1.0) < 0.1


def test_hh_rate_uncertainty_from_a_parameter_ensemble(tmp_path):
    from neurodyn.uncertainty import propagate, uniform_samples

    fn = model_outputs(nd.models.HodgkinHuxley(), ["g_na", "g_k"], ["rate", "first_spike"],
                       t_stop=200.0, window=(20.0, 180.0),
                       stimulus=nd.stimuli.Step(amplitude=10.0, start=20, stop=180))
    x = uniform_samples([("g_na", 100, 140), ("g_k", 30, 42)], 256, seed=0)
    res = propagate(fn, x, names=["g_na", "g_k"])
    s = res.summary()
    assert s["rate"]["n"] == 256 and 40 < s["rate"]["median"] < 120  # HH at 10 uA/cm2: ~70 Hz
    assert s["rate"]["lo"] < s["rate"]["median"] < s["rate"]["hi"]
    assert "| rate |" in res.table()
    res.plot(str(tmp_path / "ens.png"), units={"rate": "Hz", "first_spike": "ms"})
    with pytest.raises(ParameterError, match="at least 2 samples"):
        propagate(fn, x[:1])


def test_synchrony_measure_is_one_for_identical_neurons_and_small_for_independent_ones():
    from neurodyn.uncertainty import synchrony

    rng = np.random.default_rng(0)
    same = np.tile(rng.poisson(0.5, 2000), (100, 1))
    assert synchrony(same) == pytest.approx(1.0)
    indep = rng.poisson(0.5, (400, 2000))
    assert synchrony(indep) == pytest.approx(1 / math.sqrt(400), rel=0.1)  # chi ~ 1/sqrt(N)
    assert math.isnan(synchrony(np.zeros((3, 10))))


def test_network_ensembles_give_rate_synchrony_and_oscillation_intervals():
    from neurodyn.network.brette2007 import coba
    from neurodyn.uncertainty import network_outputs, propagate, uniform_samples

    net, _ = coba(seed=1, n=1000, p=0.08)
    fn = network_outputs(net, ["exc.weight_scale", "inh.weight_scale"],
                         ["rate", "synchrony", "band_power", "peak_hz"], t_stop=300.0, dt=0.1,
                         window=(100.0, 300.0), method="euler")
    x = uniform_samples([("exc.weight_scale", 0.9, 1.1), ("inh.weight_scale", 0.9, 1.1)], 4,
                        seed=0)
    res = propagate(fn, x, names=["exc", "inh"])
    s = res.summary()
    assert s["rate"]["n"] == 4 and s["rate"]["median"] > 1.0
    assert 0 < s["synchrony"]["median"] < 1 and 0 <= s["band_power"]["median"] <= 1
    with pytest.raises(ParameterError, match="unknown output 'gamma'"):
        network_outputs(net, ["exc.weight_scale"], ["gamma"], t_stop=10.0, dt=0.1)
