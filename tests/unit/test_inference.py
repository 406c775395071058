"""Likelihood-free inference: simulators, resumable prior simulations, ABC-SMC and NPE against
the analytic posterior of a Gaussian model, clear errors (issue 6)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurodyn.errors import ParameterError
from neurodyn.inference import Simulator, abc_smc, simulate_prior, voltage_summary

N_OBS, SIGMA = 10, 1.0  # the mean of 10 draws of N(theta, 1): posterior N(mean, 1/10)


def _gauss_sim(sd_statistic: bool = True) -> Simulator:
    """The sample mean (sufficient) and, optionally, the log sample SD (uninformative about
    theta: NPE must learn to ignore it)."""
    def fn(x, seed):
        rng = np.random.default_rng(seed)
        draws = x[:, :1] + SIGMA * rng.standard_normal((x.shape[0], N_OBS))
        out = [draws.mean(1)] + ([np.log(draws.std(1))] if sd_statistic else [])
        return np.stack(out, axis=1)

    names = ("mean", "log_sd") if sd_statistic else ("mean",)
    return Simulator([("theta", -5.0, 5.0)], fn, names, "Gaussian mean")


def test_voltage_summary_counts_spikes_and_moments():
    t = np.arange(0, 100, 0.1)
    v = np.full((2, t.size), -65.0)
    v[1, (t >= 30) & (t < 31)] = 20.0  # two spikes in the window [20, 80)
    v[1, (t >= 50) & (t < 51)] = 20.0
    s = voltage_summary(v, t, (20.0, 80.0))
    assert s[0, 0] == 0 and s[0, 1] == 60.0 and s[0, 5] == 0.0 and s[0, 6] == 0.0
    assert s[1, 0] == 2 and s[1, 1] == pytest.approx(10.0) and s[1, 2] == -65.0
    assert s[1, 5] == pytest.approx(np.std(v[1, (t >= 20) & (t < 80)]))
    with pytest.raises(ParameterError, match="samples before it"):
        voltage_summary(v, t, (0.0, 50.0))


def test_prior_simulations_are_written_per_chunk_and_resumed(tmp_path):
    sim = _gauss_sim()
    u, s, info = simulate_prior(sim, 250, seed=3, chunk=100, folder=str(tmp_path))
    assert u.shape == (250, 1) and s.shape == (250, 2) and info["loaded_chunks"] == 0
    assert len(list(tmp_path.glob("sims_*.npz"))) == 3
    (tmp_path / "sims_00002.npz").unlink()  # a run killed before its last chunk
    sim2 = _gauss_sim()
    u2, s2, info2 = simulate_prior(sim2, 250, seed=3, chunk=100, folder=str(tmp_path))
    assert info2["loaded_chunks"] == 2
    np.testing.assert_array_equal(u2, u)
    np.testing.assert_array_equal(s2, s)  # the re-simulated chunk is the same (seeded)
    other = _gauss_sim()
    other.params = (type(other.params[0])("theta", -4.0, 5.0),)  # other bounds: other problem
    with pytest.raises(ParameterError, match="another problem"):
        simulate_prior(other, 250, seed=3, chunk=100, folder=str(tmp_path))


def test_undefined_statistics_are_filled_or_refused():
    def fn(x, seed):
        out = np.stack([x[:, 0], np.where(x[:, 0] > 0.5, x[:, 0], np.nan)], axis=1)
        return out

    sim = Simulator([("a", 0.0, 1.0)], fn, ("a", "latency"))
    s = sim(np.array([[0.2], [0.6], [0.9]]))
    assert np.all(np.isfinite(s)) and s[0, 1] < 0.6 - 0.3  # filled below the seen range
    dead = Simulator([("a", 0.0, 1.0)], lambda x, seed: np.full((len(x), 1), np.nan),
                     ("first_spike",), "HH without spikes")
    with pytest.raises(ParameterError, match=r"HH without spikes.*every statistic is undefined"):
        dead(np.array([[0.2], [0.4]]))
    half = Simulator([("a", 0.0, 1.0)], lambda x, seed: np.stack(
        [x[:, 0], np.full(len(x), np.nan)], 1), ("a", "AP_width"))
    with pytest.raises(ParameterError, match="AP_width are undefined"):
        half(np.array([[0.2], [0.4]]))
    with pytest.raises(ParameterError, match="low < high"):
        Simulator([("g", 1.0, 1.0)], fn, ("a",))  # a prior of zero width


def test_abc_smc_matches_the_analytic_gaussian_posterior():
    sim = _gauss_sim(sd_statistic=False)
    s_obs = np.array([1.3])  # observed mean 1.3
    res = abc_smc(sim, s_obs, population=1000, generations=8, quantile=0.5, seed=0)
    post = res.sample(20_000, seed=1)[:, 0]
    sd = SIGMA / np.sqrt(N_OBS)
    print(f"ABC-SMC: mean {post.mean():.3f}, SD {post.std():.3f} (analytic 1.3, {sd:.3f}); "
          f"{res.n_simulations} simulations; {res.stopped}")
    assert post.mean() == pytest.approx(1.3, abs=0.05)
    assert post.std() == pytest.approx(sd, rel=0.1)  # ABC's final tolerance widens it a little
    assert len(res.history) == 9 and res.history[-1]["eps"] < res.history[1]["eps"]
    with pytest.raises(ParameterError, match="s_obs has 2 statistics"):
        abc_smc(sim, [1.0, 2.0])


def test_npe_matches_the_analytic_gaussian_posterior():
    pytest.importorskip("sbi", reason="sbi is not installed")
    from neurodyn.inference import calibration, fit_npe

    sim = _gauss_sim()
    u, s, _ = simulate_prior(sim, 3000, seed=0, chunk=3000)
    post = fit_npe(sim.params, u, s, sim.names, seed=0, training_batch_size=200)
    x = post.sample(np.array([1.3, 0.0]), 5000, seed=0)[:, 0]
    sd = SIGMA / np.sqrt(N_OBS)
    print(f"NPE: mean {x.mean():.3f}, SD {x.std():.3f} (analytic 1.3, {sd:.3f}); "
          f"{post.epochs} epochs, {post.train_s:.1f} s")
    assert x.mean() == pytest.approx(1.3, abs=0.05)
    assert x.std() == pytest.approx(sd, rel=0.15)
    ut, st, _ = simulate_prior(sim, 100, seed=9, chunk=100)
    cal = calibration(post, ut, st, n_samples=500)
    assert 0.8 <= cal["coverage_all"] <= 0.98 and cal["ks_p"][0] > 0.01
    assert cal["inside"].shape == (100, 1) and cal["inside"].mean() == cal["coverage_all"]
    assert post.info["hidden_features"] == 50 and post.info["num_transforms"] == 5
    with pytest.raises(ParameterError, match="NaN"):
        post.sample(np.array([np.nan, 0.0]), 10)
    with pytest.raises(ParameterError, match=r"num_transforms must be an integer >= 1; got 0"):
        fit_npe(sim.params, u, s, sim.names, num_transforms=0)
    with pytest.raises(ParameterError, match=r"density_estimator must be .*got 'flow'"):
        fit_npe(sim.params, u, s, sim.names, density_estimator="flow")


def _infer_spec(method: str) -> dict:
    return {
        "name": "t",
        "model": {"type": "HodgkinHuxley", "parameters": {"area": "1000 um2"}},
        "data": {"synthetic": {"g_na": 120.0, "g_k": 36.0},
                 "protocol": {"steps_pA": [30, 60], "start": "20 ms", "stop": "120 ms",
                              "t_stop": "150 ms", "dt": "0.05 ms"}},
        "features": {"names": ["spike_count", "mean_frequency", "voltage_base"]},
        "parameter": [{"path": "g_na", "low": 80, "high": 160},
                      {"path": "g_k", "low": 24, "high": 48}],
        "inference": ({"method": "npe", "simulations": 300, "chunk": 150, "calibration": 10,
                       "samples": 200, "predictive": 2} if method == "npe" else
                      {"method": "abc", "population": 40, "generations": 2, "samples": 200,
                       "predictive": 2}),
    }


@pytest.mark.parametrize("method", ["abc", "npe"])
def test_infer_cli_writes_posterior_report_and_resumes(tmp_path, method):
    pytest.importorskip("efel")
    if method == "npe":
        pytest.importorskip("sbi")
    import json

    from neurodyn.cli.main import main

    spec = tmp_path / "infer.toml"
    spec.write_text(_toml(_infer_spec(method)))
    out = tmp_path / "out"
    assert main(["infer", str(spec), "-o", str(out), "-q"]) == 0
    r = json.loads((out / "result.json").read_text())
    assert set(r["posterior"]) == {"g_na", "g_k"} and r["predictive"]["draws"] == 2
    for f in ("report.md", "pairplot.png", "predictive.png", "samples.npz"):
        assert (out / f).exists(), f
    if method == "npe":
        assert r["n_simulations"] == 300 and r["calibration"]["n_tests"] == 10
        assert (out / "posterior.pt").exists() and len(list((out / "simulations").iterdir())) == 2
        assert main(["infer", str(spec), "-o", str(out), "-q"]) == 0  # resumes
        assert json.loads((out / "result.json").read_text())["loaded_chunks"] == 2
    else:
        assert r["n_simulations"] >= 40 * 3


def test_infer_spec_errors_name_the_key(tmp_path):
    pytest.importorskip("efel")
    from neurodyn.errors import SpecError
    from neurodyn.io.infer_spec import parse_infer_spec

    d = _infer_spec("npe")
    with pytest.raises(SpecError, match=r"\[inference\]\.method"):
        parse_infer_spec({**d, "inference": {"method": "mcmc"}})
    with pytest.raises(SpecError, match=r"\[inference\]\.calibration.*npe"):
        parse_infer_spec({**d, "inference": {"method": "abc", "calibration": 5}})
    with pytest.raises(SpecError, match=r"\[inference\]\.simulations"):
        parse_infer_spec({**d, "inference": {"simulations": 0}})
    with pytest.raises(SpecError, match=r"\[fit\]"):
        parse_infer_spec({**d, "fit": {"method": "cmaes"}})
    with pytest.raises(SpecError, match=r"\[\[parameter\]\]\[0\].*low < high"):
        parse_infer_spec({**d, "parameter": [{"path": "g_na", "low": 100, "high": 100}]})


def _toml(d: dict, prefix: str = "") -> str:
    """A minimal TOML writer for the nested dicts of these tests."""
    def val(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, str):
            return f'"{v}"'
        return repr(v)

    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append(f"[{k}]\n" + "\n".join(f"{a} = {val(b)}" for a, b in v.items()))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            tables += [f"[[{k}]]\n" + "\n".join(f"{a} = {val(b)}" for a, b in x.items())
                       for x in v]
        else:
            lines.append(f"{k} = {val(v)}")
    return "\n".join([*lines, "", *tables]) + "\n"


def test_simulations_are_keyed_to_the_fixed_model_parameters_too(tmp_path):
    import neurodyn as nd

    def make(g_l):
        return Simulator.from_model(nd.models.HodgkinHuxley(g_l=g_l), [("g_na", 100, 140)],
                                    t_stop=30.0, dt=0.05, window=(5.0, 25.0),
                                    stimulus=nd.stimuli.Step(amplitude=10.0, start=5, stop=25))

    assert make(0.3).fingerprint() == make(0.3).fingerprint()
    assert make(0.3).fingerprint() != make(0.3000001).fingerprint()
    simulate_prior(make(0.3), 4, chunk=4, folder=str(tmp_path))
    with pytest.raises(ParameterError, match="another problem"):
        simulate_prior(make(0.31), 4, chunk=4, folder=str(tmp_path))


def test_problem_simulations_are_keyed_to_the_efel_settings():
    """Saved features of a fit problem are not reused by a problem that measures them with
    other eFEL settings (e.g. spikes in the stimulus window only)."""
    pytest.importorskip("efel")
    import neurodyn as nd
    from neurodyn.fitting import FreeParameter, Protocol, synthetic_problem

    prot = Protocol.steps([60], start=20, stop=80, t_stop=100, dt=0.05)
    prob, _ = synthetic_problem(nd.models.HodgkinHuxley(), prot, {"g_na": 120.0},
                                [FreeParameter("g_na", 100, 140)], ["spike_count_stimint"])
    strict = dataclasses.replace(prob, efel_settings={"strict_stiminterval": True})
    assert Simulator.from_problem(prob).fingerprint() == Simulator.from_problem(
        dataclasses.replace(prob)).fingerprint()
    assert Simulator.from_problem(prob).fingerprint() != Simulator.from_problem(
        strict).fingerprint()
