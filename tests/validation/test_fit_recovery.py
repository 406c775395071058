"""Parameter recovery on synthetic data with noise (issue 5, acceptance 1).

HH (g_Na, g_K, g_L, C_m; the PEERS problem: 5 steps of 20-100 pA, 500 ms, 8 eFEL features per
sweep) with 0.5 mV white noise, by CMA-ES, NSGA-II (objectives: the z-score sum of each sweep)
and the hybrid (CMA-ES warm start to a score of 2, Adam polish on the trace distance): every
parameter within 5 %. Gradient descent alone (Adam on the trace distance from Latin-hypercube
starts, also coarse to fine on smoothed traces) does not recover them (its best start stays
9-95 % off: the distance between spiking traces has a local minimum wherever spikes are
misaligned); it is the polish of the hybrid, and its convergence is tested in
tests/unit/test_fitting.py.

AdEx (8 parameters: C, g_L, E_L, V_T, Delta_T, a, tau_w, b) under a 5-sweep step protocol
(-200, 700, 900, 1100, 1300 pA, 500 ms), 0.5 mV white noise on the traces, 7 eFEL features per
sweep. Each parameter must be recovered within 10 %, or shown non-identifiable: held at the
truth with the others re-fitted (its profile, Raue et al. 2009), the score is within the noise
tolerance as it is at the estimate, so the near-optimal set spans the miss. Only CMA-ES does this
for AdEx: NSGA-II, the hybrid and Adam alone end at scores of 1.8-69 against a noise floor of 0.34
(benchmarks/fit_methods_adex.py; the gradient does not see spike timing through a reset). (The
4-parameter HH recovery within 2 % is tested in tests/unit/test_fitting.py and
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


HH_TRUTH = {"g_na": 120.0, "g_k": 36.0, "g_l": 0.3, "c_m": 1.0}


@pytest.mark.parametrize("method", ["cmaes", "nsga2", "hybrid"])
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
        res = fit_nsga2(prob, pop_size=32, generations=10_000, objectives="sweeps",
                        target_score=0.1, max_seconds=120, seed=0)
        assert res.extra["pareto_F"].shape[1] == 5
    else:
        res = fit_hybrid(prob, v, warm_score=2.0, max_seconds=120, seed=0)
        d = res.extra["trace_distance_mV"]
        assert min(d) < 1.0  # the polish reaches the noise (0.5 mV RMS) of the target traces
    err = {p: res.params_[p] / HH_TRUTH[p] - 1 for p in prob.paths}
    print(f"{method}: noise floor {floor:.3g}, best {res.score_:.3g} after {len(res.scores)} "
          f"evaluations; errors {({p: round(e, 4) for p, e in err.items()})}")
    assert np.all(np.abs(list(err.values())) <= 0.05), err
