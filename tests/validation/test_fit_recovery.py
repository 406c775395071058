"""Parameter recovery on synthetic data with noise (issue 5, acceptance 1).

HH (g_Na, g_K, g_L, C_m; the PEERS problem: 5 steps of 20-100 pA, 500 ms, 8 eFEL features per
sweep) with 0.5 mV white noise, by CMA-ES, NSGA-II (objectives: the z-score sum of each sweep),
the hybrid (CMA-ES warm start to a score of 2, Levenberg-Marquardt polish of the spike-aware
trace distance) and the gradient method alone (Levenberg-Marquardt from the 8 best of 64
Latin-hypercube points): every parameter within 5 %.

AdEx (8 parameters: C, g_L, E_L, V_T, Delta_T, a, tau_w, b) under a 5-sweep step protocol
(-200, 700, 900, 1100, 1300 pA, 500 ms), 0.5 mV white noise on the traces, 7 eFEL features per
sweep. Each parameter must be recovered within 10 %, or shown non-identifiable: held at the
truth with the others re-fitted (its profile, Raue et al. 2009), the score is within the noise
tolerance as it is at the estimate, so the near-optimal set spans the miss. CMA-ES, the hybrid
and the gradient method do this here, and so does NSGA-II in the form that works on this
problem: reference-point NSGA-II (R-NSGA-II) with the subthreshold sweep's trace distance
beside the per-sweep objectives and differential evolution's variation. NSGA-II with feature
objectives alone does not (it stalls at scores of 2-20 against a noise floor of 0.34, with
three or more parameters over 10 % off, whatever the population, restarts, operators or
reference point tried), nor does R-NSGA-II with SBX in every seed (seed 3 stalls):
benchmarks/fit_methods_adex.py --methods rnsga2-trace,rnsga2-trace-de (benchmarks/README.md);
the options are tested in tests/unit/test_fitting.py. The gradient
sees spike times through the resets (engine.kernel.event_gradients, tested in
test_event_gradients.py).
(The 4-parameter HH recovery within 2 % is also tested in tests/unit/test_fitting.py and
tests/unit/test_cli.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("efel", reason="eFEL is not installed")
pytest.importorskip("cma", reason="pycma is not installed")

import neurodyn as nd
from neurodyn.fitting import (
    PEERS_FEATURES,
    FreeParameter,
    Protocol,
    fit_cmaes,
    fit_gradient,
    fit_hybrid,
    fit_nsga2,
    profile,
    synthetic_problem,
)
from neurodyn.io.fit_spec import load_fit_spec

pytestmark = [pytest.mark.validation, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fit"


def test_adex_parameters_are_recovered_or_shown_non_identifiable():
    # the problem of examples/fit/adex_synthetic.toml (benchmarks/fit_methods_adex.py runs the
    # other methods on it)
    spec = load_fit_spec(str(EXAMPLES / "adex_synthetic.toml"))
    prob, TRUTH = spec.problem, spec.truth
    floor = float(prob.evaluate([[TRUTH[p] for p in prob.paths]]).total[0])  # the noise floor
    res = fit_cmaes(prob, popsize=16, target_score=max(0.5, floor), max_seconds=240,
                    max_evaluations=100_000, restarts=6, seed=0)
    tol = max(1.0, 2.0 * floor)
    assert res.score_ <= tol
    missed = [p for p in prob.paths if abs(res.params_[p] / TRUTH[p] - 1) > 0.10]
    print(f"noise floor {floor:.3g}; best {res.score_:.3g}; errors "
          f"{ {p: round(res.params_[p] / TRUTH[p] - 1, 3) for p in prob.paths} }; missed {missed}")
    assert len(missed) <= 2
    for p in missed:
        # the fit itself is a point of the profile at the estimate (score <= tol, above); the
        # profile at the truth re-fits the others with p held there: also within the floor, so
        # the near-optimal set spans both values
        prof = profile(prob, p, [TRUTH[p]], popsize=16, target_score=0.5, max_seconds=60,
                       max_evaluations=100_000, restarts=4, seed=0)
        print(f"profile of {p} at the truth {TRUTH[p]:g}: {prof['scores'][0]:.3g}; at the "
              f"estimate {res.params_[p]:.3g}: {res.score_:.3g}")
        assert prof["scores"][0] <= tol, (p, prof["scores"])


def _distance_at(prob, v, truth):
    """The spike-aware distance (mV) of the true parameters to the noisy target: its floor."""
    res = fit_gradient(prob, v, x0=[[truth[p] for p in prob.paths]], steps=0)
    return res.extra["trace_distance_mV"][0]


@pytest.mark.parametrize("method", ["gradient", "hybrid"])
def test_adex_parameters_are_recovered_by_the_gradient_methods(method):
    """Levenberg-Marquardt on the spike-aware distance (subthreshold trace away from spikes,
    spike times through the resets): alone from the 16 best of 256 Latin-hypercube points, or
    as the polish of a CMA-ES warm start to a score of 2 (from a warm start at 4.6 the polish
    stalls at 4.0: that start lies in another basin, C_m and g_L 45-55 % high). The warm start's
    path depends on the last bits of the simulation, so it differs between machines: on one it
    reached 1.99 after 1,748 evaluations, and 40 polish steps ended at 0.77 mV (the truth's
    distance is 0.52), still falling by 0.1 mV per 5 steps; the polish therefore gets up to 80
    steps (it stops earlier when no start improves for 5 steps; there: after 59, at 0.54 mV)."""
    pytest.importorskip("optax")
    spec = load_fit_spec(str(EXAMPLES / "adex_synthetic.toml"))
    prob, TRUTH, v = spec.problem, spec.truth, spec.data_v
    floor = float(prob.evaluate([[TRUTH[p] for p in prob.paths]]).total[0])
    if method == "gradient":
        res = fit_gradient(prob, v, starts=16, screen=256, steps=80, seed=0)
    else:
        res = fit_hybrid(prob, v, warm_score=2.0, max_seconds=240, popsize=16, restarts=6,
                         seed=0, polish_steps=80)
        print(f"warm start {res.extra['warm_score']:.3g}, polish {res.extra['polish_score']:.3g}")
    err = {p: res.params_[p] / TRUTH[p] - 1 for p in prob.paths}
    d_floor = _distance_at(prob, v, TRUTH)
    print(f"{method}: noise floor {floor:.3g}, best {res.score_:.3g} after {len(res.scores)} "
          f"evaluations; distance {min(res.extra['trace_distance_mV']):.3g} mV (at the truth "
          f"{d_floor:.3g}); errors {({p: round(e, 4) for p, e in err.items()})}")
    assert min(res.extra["trace_distance_mV"]) <= 1.1 * d_floor
    assert res.score_ <= max(1.0, 2.0 * floor)
    assert max(abs(e) for e in err.values()) <= 0.10, err


def test_adex_parameters_are_recovered_by_nsga2():
    """Reference-point NSGA-II (R-NSGA-II, reference point at the ideal) with one objective
    per sweep plus the subthreshold sweep's trace distance, its offspring made by differential
    evolution (variation="de"). With NSGA-II's SBX instead, the same search stalled in false
    basins (a, Delta_T, tau_w and b off together) in 1 of 4 seeds even with 4 restarts and
    1800 s (benchmarks/README.md). A fixed number of generations, not a time limit, so that the
    result does not depend on the machine's speed or load: 200 generations (12,800 evaluations)
    take about 170 s on one core; here the best candidate was within 10 % from generation 57 on
    and ended at 0.973 (floor 0.336), the worst parameter a +3.1 %. With restarts and 900 s
    per seed, seeds 0-3 all recover every parameter within 6.0 %
    (benchmarks/fit_methods_adex.py --methods rnsga2-trace-de)."""
    import numpy as np

    pytest.importorskip("pymoo")
    spec = load_fit_spec(str(EXAMPLES / "adex_synthetic.toml"))
    prob, TRUTH, v = spec.problem, spec.truth, spec.data_v
    floor = float(prob.evaluate([[TRUTH[p] for p in prob.paths]]).total[0])
    res = fit_nsga2(prob, pop_size=64, generations=200, objectives="sweeps", target_v=v,
                    trace_sweeps="subthreshold", reference_point="ideal", variation="de",
                    seed=0)
    assert res.stopped == "200 generations", res.stopped
    err = {p: res.params_[p] / TRUTH[p] - 1 for p in prob.paths}
    truth = np.array([TRUTH[p] for p in prob.paths])
    off = np.max(np.abs(np.asarray(res.x) / truth - 1), axis=1)  # worst error per candidate
    best = np.minimum.accumulate(np.asarray(res.scores))
    at = [int(np.argmin(res.scores[:64 * g])) for g in range(1, 201)]
    first = next((g + 1 for g, k in enumerate(at) if off[k] <= 0.10), None)
    print(f"R-NSGA-II (DE): noise floor {floor:.3g}, best {res.score_:.3g} after "
          f"{len(res.scores)} evaluations (best {best[64 * 100 - 1]:.3g} after 100 generations);"
          f" the best within 10 % from generation {first}; errors "
          f"{({p: round(e, 4) for p, e in err.items()})}")
    assert max(abs(e) for e in err.values()) <= 0.10, err


HH_TRUTH = {"g_na": 120.0, "g_k": 36.0, "g_l": 0.3, "c_m": 1.0}


@pytest.mark.parametrize("method", ["cmaes", "nsga2", "hybrid", "gradient"])
def test_hh_parameters_are_recovered_by_each_method(method):
    import math

    import numpy as np

    hh = nd.models.HodgkinHuxley(rates="neuron_table", area=math.pi * 17.84**2)
    prot = Protocol.steps([20, 40, 60, 80, 100], start=100, stop=600, t_stop=700, dt=0.025)
    params = [FreeParameter("g_na", 50, 250), FreeParameter("g_k", 10, 80),
              FreeParameter("g_l", 0.1, 1.0, "log"), FreeParameter("c_m", 0.5, 2.0)]
    prob, v = synthetic_problem(hh, prot, HH_TRUTH, params, PEERS_FEATURES,
                                method="backward_euler", noise_mV=0.5, seed=0)
    floor = float(prob.evaluate([[HH_TRUTH[p] for p in prob.paths]]).total[0])  # noise floor
    if method == "cmaes":
        res = fit_cmaes(prob, popsize=16, target_score=max(0.5, floor), max_seconds=120, seed=0)
    elif method == "nsga2":
        # a fixed number of generations (not a time limit), so that the result does not depend
        # on the machine's speed or load: 130 generations take about 115 s on one core; the best
        # score, 1.63 (floor 1.07), is found in generation 120
        res = fit_nsga2(prob, pop_size=32, generations=130, objectives="sweeps",
                        max_seconds=900, seed=0)
        assert res.stopped == "130 generations", res.stopped
        assert res.extra["pareto_F"].shape[1] == 5
    elif method == "hybrid":
        res = fit_hybrid(prob, v, warm_score=2.0, max_seconds=120, seed=0)
        # the polish reaches the noise (0.5 mV RMS) of the target traces
        assert min(res.extra["trace_distance_mV"]) <= 1.1 * _distance_at(prob, v, HH_TRUTH)
    else:
        res = fit_gradient(prob, v, starts=8, screen=64, steps=60, seed=0)
        assert min(res.extra["trace_distance_mV"]) <= 1.1 * _distance_at(prob, v, HH_TRUTH)
    err = {p: res.params_[p] / HH_TRUTH[p] - 1 for p in prob.paths}
    print(f"{method}: noise floor {floor:.3g}, best {res.score_:.3g} after {len(res.scores)} "
          f"evaluations; errors {({p: round(e, 4) for p, e in err.items()})}")
    assert np.all(np.abs(list(err.values())) <= 0.05), err
