"""Fit problems and CMA-ES: parameter recovery on a small synthetic problem, resume after a
kill, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("efel", reason="eFEL is not installed (pip install efel)")
pytest.importorskip("cma", reason="pycma is not installed (pip install cma)")

import neurodyn as nd
from neurodyn.errors import ParameterError
from neurodyn.fitting import (
    PEERS_FEATURES,
    FeatureTarget,
    FitProblem,
    FreeParameter,
    Protocol,
    extract,
    fit_cmaes,
    synthetic_problem,
)

AREA = math.pi * 17.84**2  # um2, the PEERS soma
TRUTH = {"g_na": 120.0, "g_k": 36.0, "g_l": 0.3}


def _problem(t_stop=300.0, amps=(40, 80, 100)):
    stop = min(250.0, t_stop - 20.0)
    hh = nd.models.HodgkinHuxley(rates="neuron_table", area=AREA)
    prot = Protocol.steps(list(amps), start=50, stop=stop, t_stop=t_stop, dt=0.025)
    params = [FreeParameter("g_na", 50, 250), FreeParameter("g_k", 10, 80),
              FreeParameter("g_l", 0.1, 1.0, transform="log")]
    return synthetic_problem(hh, prot, TRUTH, params, PEERS_FEATURES,
                             method="backward_euler")[0]


def test_truth_scores_zero_and_cmaes_recovers_it(tmp_path):
    prob = _problem()
    ev = prob.evaluate([[TRUTH[p] for p in prob.paths]])
    assert ev.total[0] == pytest.approx(0.0, abs=1e-9)
    res = fit_cmaes(prob, popsize=12, target_score=0.2, max_evaluations=3000, seed=3,
                    folder=str(tmp_path / "fit"))
    assert res.score_ <= 0.2
    for k, v in TRUTH.items():
        assert abs(res.params_[k] / v - 1) < 0.02, (k, res.params_[k])
    assert res.model_.g_na == pytest.approx(res.params_["g_na"])
    lines = (tmp_path / "fit" / "evaluations.jsonl").read_text().splitlines()
    assert len(lines) == len(res.scores)  # every evaluation written
    nu = res.non_uniqueness(1.0)
    assert nu["n"] >= 1 and set(nu["ranges"]) == set(TRUTH)


def test_a_killed_fit_resumes_without_lost_or_repeated_evaluations(tmp_path):
    prob = _problem(t_stop=200.0, amps=(60, 100))
    folder = str(tmp_path / "fit")
    full = fit_cmaes(_problem(t_stop=200.0, amps=(60, 100)), popsize=8, max_evaluations=64,
                     seed=5, folder=str(tmp_path / "ref"))
    # "kill" after 3 generations, then restart with the same folder
    first = fit_cmaes(prob, popsize=8, max_evaluations=24, seed=5, folder=folder)
    assert len(first.scores) == 24
    with open(f"{folder}/evaluations.jsonl", "a") as f:
        f.write('{"generation": 4, "params": {"g_na": 1')  # a line cut by the kill
    resumed = fit_cmaes(prob, popsize=8, max_evaluations=64, seed=5, folder=folder)
    assert len(resumed.scores) == 64
    np.testing.assert_allclose(resumed.x, full.x)  # the same search as without the kill
    np.testing.assert_allclose(resumed.scores, full.scores)
    assert [h["generation"] for h in resumed.history] == list(range(1, 9))


@pytest.mark.parametrize("transform", ["linear", "log", "logit"])
def test_parameter_transforms_map_the_unit_box_onto_the_bounds(transform):
    p = FreeParameter("x", 0.01, 0.99, transform=transform)
    u = np.linspace(0.0, 1.0, 101)
    x = p.from_unit(u)
    assert x[0] == pytest.approx(0.01) and x[-1] == pytest.approx(0.99)
    assert np.all(np.diff(x) > 0)
    np.testing.assert_allclose(p.to_unit(x), u, atol=1e-12)
    if transform == "logit":  # finer steps near both bounds than in the middle
        step = np.diff(x)
        assert step[0] < 0.2 * step[50] and step[-1] < 0.2 * step[50]
        from neurodyn.fitting.gradient import _physical

        prob = type("P", (), {"params": (p,)})()
        got = np.asarray(_physical(prob, np.asarray(u)[:, None])["x"])
        np.testing.assert_allclose(got, x, rtol=1e-12)


def test_bad_fit_input_gives_clear_errors():
    prob = _problem(t_stop=120.0, amps=(80,))
    with pytest.raises(ParameterError, match="low < high"):
        FreeParameter("g_na", 200, 100)
    with pytest.raises(ParameterError, match="log transform needs low > 0"):
        FreeParameter("g_l", 0.0, 1.0, transform="log")
    with pytest.raises(ParameterError, match=r"no parameter 'gna'.*Did you mean 'g_na'"):
        FitProblem(prob.model, [FreeParameter("gna", 50, 250)], prob.protocol, prob.target,
                   PEERS_FEATURES)
    with pytest.raises(ParameterError, match="valid range"):
        FitProblem(prob.model, [FreeParameter("g_na", -5, 250)], prob.protocol, prob.target,
                   PEERS_FEATURES)
    with pytest.raises(ParameterError, match="columns"):
        prob.evaluate(np.ones((2, 5)))
    all_nan = np.full((1, len(PEERS_FEATURES)), np.nan)
    with pytest.raises(ParameterError, match="nothing to fit"):
        FeatureTarget.from_values(all_nan, PEERS_FEATURES)


def test_the_score_sums_z_scores_or_their_powers_or_takes_the_largest():
    from neurodyn.fitting.nsga2 import objective_groups, objective_names

    prob = _problem(t_stop=200.0, amps=(60, 100))
    sq, q4, q8, mx = (FitProblem(prob.model, prob.params, prob.protocol, prob.target,
                                 PEERS_FEATURES, method=prob.method, aggregate=a)
                      for a in ("squares", "fourth", "eighth", "max"))
    x = [[110.0, 40.0, 0.3], [130.0, 33.0, 0.35]]
    z = prob.evaluate(x).z
    np.testing.assert_allclose(prob.evaluate(x).total, np.nansum(z, axis=(1, 2)))
    np.testing.assert_allclose(sq.evaluate(x).total, np.nansum(z**2, axis=(1, 2)))
    np.testing.assert_allclose(q4.evaluate(x).total, np.nansum(z**4, axis=(1, 2)))
    np.testing.assert_allclose(q8.evaluate(x).total, np.nansum(z**8, axis=(1, 2)))
    np.testing.assert_allclose(mx.evaluate(x).total, np.nanmax(z, axis=(1, 2)))
    assert np.all(np.nanmax(z, axis=(1, 2)) > 0)
    np.testing.assert_allclose(objective_groups(z, "features", "max"), np.nanmax(z, axis=1))
    np.testing.assert_allclose(objective_groups(z, "sweeps", "squares"),
                               np.nansum(z**2, axis=2))
    np.testing.assert_allclose(objective_groups(z, "sweeps", "fourth"),
                               np.nansum(z**4, axis=2))
    assert objective_names(q4, "sweeps")[0].endswith("(SD⁴)")
    assert objective_names(q8, "features")[0].endswith("(SD⁸)")
    with pytest.raises(ParameterError, match=r"aggregate must be one of.*got 'largest'"):
        FitProblem(prob.model, prob.params, prob.protocol, prob.target, PEERS_FEATURES,
                   aggregate="largest")


def test_a_profile_scores_as_its_problem_does():
    """profile() re-fits the others on the same problem: its aggregate, margins and eFEL
    settings carry over (the profile's score is the problem's score of the profile point)."""
    from neurodyn.fitting import profile

    prob = _problem(t_stop=200.0, amps=(60, 100))
    sq = FitProblem(prob.model, prob.params, prob.protocol, prob.target, PEERS_FEATURES,
                    method=prob.method, aggregate="squares", margins=(20.0, 0.0),
                    efel_settings={"strict_stiminterval": True})
    prof = profile(sq, "g_l", [0.33], popsize=4, max_evaluations=8, seed=0)
    p = prof["params"][0]
    x = [[p[k] for k in sq.paths]]
    assert prof["scores"][0] == pytest.approx(float(sq.evaluate(x).total[0]), rel=1e-12)
    assert prof["scores"][0] != pytest.approx(float(prob.evaluate(x).total[0]), rel=1e-3)


def test_candidates_whose_features_are_all_undefined_score_the_penalty():
    prob = _problem(t_stop=120.0, amps=(80,))
    ev = prob.evaluate([[50.0, 80.0, 1.0]])  # too little Na: no spike, spike features missing
    assert np.isfinite(ev.total).all() and ev.total[0] >= 250.0


@pytest.mark.parametrize("loss, optimizer", [("spikes", "lm"), ("trace", "adam"),
                                             ("spikes", "lbfgs")])
def test_gradient_fit_from_two_starts(loss, optimizer):
    """Both starts in one batched differentiable run: Levenberg-Marquardt on the spike-aware
    distance (the default) reaches the truth; Adam on the RMS trace distance (mV), a polish for
    starts whose spikes are nearly aligned, and L-BFGS on the spike-aware distance cut it more
    than tenfold (the truth is at 0)."""
    pytest.importorskip("optax")
    from neurodyn.fitting.gradient import fit_gradient

    prob = _problem(t_stop=200.0, amps=(60, 100))
    truth = np.array([[TRUTH[p] for p in prob.paths]])
    target_v = np.asarray(prob.simulate(truth).v)[0]
    x0 = truth * np.array([[1.08, 0.93, 1.1], [0.94, 1.06, 0.9]])
    res = fit_gradient(prob, target_v, x0=x0, steps={"adam": 120, "lm": 30, "lbfgs": 12}[optimizer],
                       learning_rate=0.01, loss=loss, optimizer=optimizer)
    assert res.history[-1]["best"] < res.history[0]["best"] / 10
    assert len(res.extra["trace_distance_mV"]) == 2
    start = prob.evaluate(x0).total.min()
    assert res.score_ < start
    if optimizer == "lm":
        err = np.abs(np.asarray(res.x) / truth - 1)
        assert err.max() < 1e-3, err


def test_nsga2_finds_low_scores_keeps_a_pareto_front_and_resumes(tmp_path):
    pytest.importorskip("pymoo")
    from neurodyn.fitting.nsga2 import fit_nsga2

    prob = _problem(t_stop=200.0, amps=(60, 100))
    ref = fit_nsga2(_problem(t_stop=200.0, amps=(60, 100)), pop_size=16, generations=8, seed=2,
                    folder=str(tmp_path / "ref"))
    assert ref.score_ < ref.scores[:16].min()  # improves on the first generation
    assert ref.extra["pareto_F"].shape[1] == len(PEERS_FEATURES)
    folder = str(tmp_path / "fit")
    fit_nsga2(prob, pop_size=16, generations=3, seed=2, folder=folder)
    resumed = fit_nsga2(prob, pop_size=16, generations=8, seed=2, folder=folder)
    np.testing.assert_allclose(resumed.scores, ref.scores)


def test_nsga2_with_trace_objectives_and_a_reference_point(tmp_path):
    """trace_sweeps adds each named sweep's RMS distance (mV) to the target traces as an
    objective ("subthreshold": the sweeps without spikes); reference_point="ideal" runs
    R-NSGA-II; a killed run resumes to the same evaluations, and only with the same
    objectives."""
    pytest.importorskip("pymoo")
    from neurodyn.fitting.nsga2 import fit_nsga2

    hh = nd.models.HodgkinHuxley(rates="neuron_table", area=AREA)
    prot = Protocol.steps([-20, 100], start=50, stop=180, t_stop=200.0, dt=0.025)
    params = [FreeParameter("g_na", 50, 250), FreeParameter("g_k", 10, 80),
              FreeParameter("g_l", 0.1, 1.0, transform="log")]
    prob, v = synthetic_problem(hh, prot, TRUTH, params, PEERS_FEATURES, method="backward_euler")
    truth = [[TRUTH[p] for p in prob.paths]]
    assert prob.evaluate(truth, target_v=v).trace_rms[0] == pytest.approx([0.0, 0.0], abs=1e-9)
    opts = dict(pop_size=12, objectives="sweeps", target_v=v, trace_sweeps="subthreshold",
                reference_point="ideal", seed=1)
    ref = fit_nsga2(prob, generations=6, folder=str(tmp_path / "ref"), **opts)
    assert ref.extra["objective_names"] == ["sweep -20 pA (SD)", "sweep 100 pA (SD)",
                                           "trace RMS -20 pA (mV)"]
    assert ref.score_ < ref.scores[:12].min()
    px, pf = ref.extra["pareto_x"], ref.extra["pareto_F"]
    assert pf.shape == (len(px), 3)
    # the trace objective is the RMS voltage difference on the hyperpolarising sweep
    sim = np.asarray(prob.simulate(px).v)[:, 0]
    np.testing.assert_allclose(pf[:, 2], np.sqrt(np.mean((sim - v[0]) ** 2, axis=-1)),
                               rtol=1e-9)
    folder = str(tmp_path / "fit")
    fit_nsga2(prob, generations=2, folder=folder, **opts)
    resumed = fit_nsga2(prob, generations=6, folder=folder, **opts)
    np.testing.assert_allclose(resumed.scores, ref.scores)
    with pytest.raises(ParameterError, match="same objectives"):
        fit_nsga2(prob, generations=7, folder=folder, **{**opts, "trace_sweeps": None})
    bad = [({"target_v": None}, "needs the target traces"),
           ({"trace_sweeps": [2]}, "sweep indices 0-1"),
           ({"trace_sweeps": "spiking"}, "'subthreshold' or a list"),
           ({"target_v": v[:, :-1]}, r"target_v must be \(n_sweeps, n_samples\)"),
           ({"target_v": np.where(np.arange(v.shape[-1]) == 7, np.nan, v)},
            r"target_v must be .* finite.*got 2 NaN or Inf values"),
           ({"reference_point": [0.0, 0.0]}, "3 finite values"),
           ({"epsilon": 0.0}, "epsilon must be a number > 0")]
    for change, match in bad:
        with pytest.raises(ParameterError, match=match):
            fit_nsga2(prob, generations=1, **{**opts, **change})
    spiking = synthetic_problem(hh, Protocol.steps([100], start=50, stop=180, t_stop=200.0,
                                                   dt=0.025), TRUTH, params, PEERS_FEATURES,
                                method="backward_euler")
    with pytest.raises(ParameterError, match="every sweep of target_v crosses"):
        fit_nsga2(spiking[0], generations=1, target_v=spiking[1], trace_sweeps="subthreshold")


def test_nsga2_restarts_with_a_doubled_population_on_a_stall(tmp_path):
    """restarts: a run whose best has not fallen by 1 % in stall_generations generations
    ends and a new one starts with twice the population; a fit killed after the restart
    resumes to the same evaluations, and the result keeps every run."""
    pytest.importorskip("pymoo")
    from neurodyn.fitting.nsga2 import fit_nsga2

    prob = _problem(t_stop=200.0, amps=(60, 100))
    opts = dict(pop_size=8, objectives="sweeps", restarts=1, stall_generations=2, seed=0)
    ref = fit_nsga2(prob, generations=30, target_score=1e-9, folder=str(tmp_path / "ref"),
                    **opts)
    runs = ref.extra["runs"]
    assert [r["pop_size"] for r in runs] == [8, 16]
    assert sum(8 * 2 ** k * r["generations"] for k, r in enumerate(runs)) == len(ref.scores)
    # the first run ended on a stall: no 1 % gain over its last 2 generations
    first = [h["best"] for h in ref.history if h["restart"] == 0]
    assert first[-1] > 0.99 * first[-3]
    assert ref.score_ == pytest.approx(min(r["best"] for r in runs))
    folder = str(tmp_path / "fit")
    kill_at = runs[0]["generations"] + 2  # two generations into the second run

    class Killed(Exception):
        pass

    def kill(gen, ev):
        if gen == kill_at:
            raise Killed

    with pytest.raises(Killed):
        fit_nsga2(prob, generations=30, target_score=1e-9, folder=folder, callback=kill, **opts)
    resumed = fit_nsga2(prob, generations=30, target_score=1e-9, folder=folder, **opts)
    np.testing.assert_allclose(resumed.scores, ref.scores)
    assert [r["pop_size"] for r in resumed.extra["runs"]] == [8, 16]
    with pytest.raises(ParameterError, match="integer >= 1"):
        fit_nsga2(prob, generations=1, **{**opts, "stall_generations": 0})


def test_nsga2_with_differential_evolution_variation(tmp_path):
    """variation="de" makes offspring by differential evolution (rand/1/bin) instead of SBX:
    other candidates from the same seed, reproducible, improving on the first generation, and
    a killed run resumes to the same evaluations only with the same variation."""
    pytest.importorskip("pymoo")
    from neurodyn.fitting.nsga2 import fit_nsga2

    prob = _problem(t_stop=200.0, amps=(60, 100))
    opts = dict(pop_size=12, objectives="sweeps", seed=3)
    sbx = fit_nsga2(prob, generations=4, **opts)
    ref = fit_nsga2(prob, generations=4, variation="de", folder=str(tmp_path / "ref"), **opts)
    # the first generation is the same random sample; the offspring differ
    np.testing.assert_allclose(ref.x[:12], sbx.x[:12])
    assert not np.allclose(ref.x[12:], sbx.x[12:])
    assert ref.score_ < ref.scores[:12].min()
    folder = str(tmp_path / "fit")
    fit_nsga2(prob, generations=2, variation="de", folder=folder, **opts)
    resumed = fit_nsga2(prob, generations=4, variation="de", folder=folder, **opts)
    np.testing.assert_allclose(resumed.scores, ref.scores)
    with pytest.raises(ParameterError, match=r"variation='de'.*asks for 'sbx'"):
        fit_nsga2(prob, generations=5, folder=folder, **opts)
    with pytest.raises(ParameterError, match=r"variation must be one of 'sbx', 'de'.*'pcx'"):
        fit_nsga2(prob, generations=1, variation="pcx", **opts)


def test_differential_crossover_is_rand_1_bin_in_the_unit_box():
    """The DE child: the donor x0 + 0.5 (x1 - x2) where it lies in [0, 1] and CR = 1; a
    coordinate outside redrawn between x0's and the bound; with CR = 0 exactly one coordinate
    (from the donor) differs from x0; the same generator state gives the same children."""
    pytest.importorskip("pymoo")
    from neurodyn.fitting._de import DifferentialCrossover

    rng = np.random.default_rng(0)
    X = rng.uniform(0.2, 0.8, size=(3, 50, 6))
    donor = X[0] + 0.5 * (X[1] - X[2])
    child = DifferentialCrossover(cr=1.0)._do(None, X, random_state=np.random.default_rng(1))
    assert child.shape == (1, 50, 6)
    inside = (donor >= 0) & (donor <= 1)
    np.testing.assert_allclose(child[0][inside], donor[inside], rtol=0, atol=1e-15)
    X[1, :, 0], X[2, :, 0] = 1.0, 0.0  # donor x0 + 0.5 > 1 where x0 > 0.5
    child = DifferentialCrossover(cr=1.0)._do(None, X, random_state=np.random.default_rng(1))[0]
    out = X[0, :, 0] > 0.5
    assert out.any() and np.all(child[out, 0] <= 1.0) and np.all(child[out, 0] >= X[0, out, 0])
    one = DifferentialCrossover(cr=0.0)._do(None, X, random_state=np.random.default_rng(2))[0]
    assert np.all(np.sum(one != X[0], axis=1) == 1)
    again = DifferentialCrossover(cr=0.0)._do(None, X, random_state=np.random.default_rng(2))[0]
    np.testing.assert_array_equal(one, again)


def test_reset_models_get_their_spikes_marked_for_efel():
    """Integrate-and-fire traces lose the spike to the reset; the problem marks each spike
    sample at v_peak so eFEL counts the model's own spikes."""
    model = nd.models.AdEx()
    prot = Protocol.steps([-200, 900], start=100, stop=600, t_stop=700, dt=0.05)
    feats = ["spike_count", "voltage_base"]
    dummy = FeatureTarget.from_values(np.ones((2, 2)), feats)
    prob = FitProblem(model, [FreeParameter("b", 0, 300)], prot, dummy, feats, threshold=0.0)
    out = prob.simulate([[80.5]])
    counts = np.array([len(t) for t in out.spike_times()[0]])
    f = extract(prob.voltages(out)[0], np.asarray(out.t), stim_start=100, stim_end=600,
                features=feats, threshold=0.0)
    assert counts[0] == 0 and counts[1] > 0
    np.testing.assert_array_equal(f[:, 0], counts)
    # the gradient now sees spike times through the resets (event_gradients): the spike-aware
    # distance pulls b from 60 towards the 80.5 pA of the target
    pytest.importorskip("optax")
    from neurodyn.fitting.gradient import fit_gradient

    res = fit_gradient(prob, prob.voltages(out)[0], x0=[[60.0]], steps=25, loss="spikes",
                       learning_rate=0.05)
    assert abs(res.params_["b"] - 80.5) < 0.5 * abs(60.0 - 80.5), res.params_
    assert res.history[-1]["best"] < 0.5 * res.history[0]["best"]


def test_spike_time_distance_pairs_extrapolates_and_pulls_out():
    """spike_time_distance: paired spikes, missing ones extrapolated from the last interval,
    extra ones measured to the end of the window; differentiable in the in-step fractions."""
    import jax
    import jax.numpy as jnp

    from neurodyn.fitting.objectives import crossing_times, spike_time_distance

    dt, n = 1.0, 100
    def frac_of(times):
        f = -np.ones(n)
        for t in times:
            f[int(t)] = t - int(t)
        return f

    window = (0.0, 100.0)
    target = [np.array([10.5, 30.5, 50.5])]
    k = 16  # n_max: the mean is over 16 slots
    same = spike_time_distance(frac_of([10.5, 30.5, 50.5])[None], dt, target, window, n_max=k)
    assert float(same[0]) < 1e-5
    late = spike_time_distance(frac_of([11.5, 31.5, 51.5])[None], dt, target, window, n_max=k)
    np.testing.assert_allclose(float(late[0]), np.sqrt(3 / k), rtol=1e-6)
    # one spike missing: the third is extrapolated at 31 + 20 = 51 (0.5 ms off)
    miss = spike_time_distance(frac_of([11.0, 31.0])[None], dt, target, window, n_max=k)
    np.testing.assert_allclose(float(miss[0]), np.sqrt((0.25 * 3) / k), rtol=1e-6)
    # one extra spike at 90.5: 9.5 ms from the end of the window
    extra = spike_time_distance(frac_of([10.5, 30.5, 50.5, 90.5])[None], dt, target, window,
                                n_max=k)
    np.testing.assert_allclose(float(extra[0]), np.sqrt(9.5**2 / k), rtol=1e-6)
    # the gradient moves a late spike earlier
    g = jax.grad(lambda f: spike_time_distance(f[None], dt, target, window, n_max=k)[0])(
        jnp.asarray(frac_of([10.5, 30.7, 50.5])))
    assert float(g[30]) > 0 and float(jnp.sum(jnp.abs(g))) == pytest.approx(float(g[30]))
    # targets from a noisy trace: the crossing on a spike's falling phase is not a spike
    v = np.full((1, 40), -60.0)
    v[0, 10:13] = [0.0, -19.9, -20.1]  # up at 10, noise crosses -20 upwards again at 12-13
    v[0, 13] = -19.0
    assert len(crossing_times(v, 0.1, -20.0, (0.0, 4.0))[0]) == 1
    assert len(crossing_times(v, 0.1, -20.0, (0.0, 4.0), refractory=0.0)[0]) == 2


def test_dask_workers_evaluate_a_generation_as_the_local_process_does():
    pytest.importorskip("distributed")
    from neurodyn.fitting.distributed import DaskEvaluator

    prob = _problem(t_stop=200.0, amps=(60, 100))
    x = prob.from_unit(np.random.default_rng(0).uniform(0.2, 0.8, (6, prob.dim)))
    target_v = np.asarray(prob.simulate([[TRUTH[p] for p in prob.paths]]).v)[0]
    local = prob.evaluate(x, target_v=target_v)
    with DaskEvaluator(prob, n_workers=2) as ev:
        remote = ev(x, target_v=target_v)  # the trace distances of NSGA-II's trace_sweeps
        assert ev.n_workers == 2
        res = fit_cmaes(prob, popsize=6, max_evaluations=12, seed=1, evaluator=ev)
    np.testing.assert_allclose(remote.total, local.total)
    np.testing.assert_allclose(remote.z, local.z)
    assert remote.trace_rms.shape == (6, 2)
    np.testing.assert_allclose(remote.trace_rms, local.trace_rms)
    ref = fit_cmaes(_problem(t_stop=200.0, amps=(60, 100)), popsize=6, max_evaluations=12, seed=1)
    np.testing.assert_allclose(res.scores, ref.scores)


def test_from_traces_measures_the_target_as_the_candidates():
    """FitProblem.from_traces builds the target with the recipe that evaluate() applies to the
    candidates (margins, eFEL settings, step currents): the noiseless truth scores exactly zero,
    and the sign-restricted features are undefined on the other sweeps."""
    hh = nd.models.HodgkinHuxley(rates="neuron_table", area=AREA)
    prot = Protocol.steps([-30, 60, 100], start=50, stop=200, t_stop=250, dt=0.025)
    params = [FreeParameter("g_na", 50, 250), FreeParameter("g_l", 0.1, 1.0, transform="log")]
    v = np.asarray(prot.simulate(hh.replace(**TRUTH), method="backward_euler").v)
    names = ["spike_count_stimint", "time_to_first_spike", "input_resistance", "voltage_base"]
    prob = FitProblem.from_traces(hh, params, prot, v, names,
                                  hyperpolarizing_only=["input_resistance"],
                                  depolarizing_only=["time_to_first_spike"],
                                  method="backward_euler", margins=(10.0, 0.0),
                                  efel_settings={"strict_stiminterval": True})
    defined = prob.target.defined
    np.testing.assert_array_equal(defined[:, 1], [False, True, True])
    np.testing.assert_array_equal(defined[:, 2], [True, False, False])
    assert prob.target.mean[0, 2] > 0  # input resistance (MOhm) of the -30 pA step
    ev = prob.evaluate([[TRUTH["g_na"], TRUTH["g_l"]]])
    assert np.all(np.abs(ev.z[0][defined]) == 0.0)
    with pytest.raises(ParameterError, match="depolarizing_only names"):
        FitProblem.from_traces(hh, params, prot, v, names, depolarizing_only=["AP_width"])
    with pytest.raises(ParameterError, match="in both hyperpolarizing_only"):
        FitProblem.from_traces(hh, params, prot, v, names, hyperpolarizing_only=["voltage_base"],
                               depolarizing_only=["voltage_base"])
