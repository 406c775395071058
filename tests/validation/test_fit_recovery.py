"""Parameter recovery on synthetic data with noise (issue 5, acceptance 1), CMA-ES.

AdEx (8 parameters: C, g_L, E_L, V_T, Delta_T, a, tau_w, b) under a 5-sweep step protocol
(-200, 700, 900, 1100, 1300 pA, 500 ms), 0.5 mV white noise on the traces, 7 eFEL features per
sweep. Each parameter must be recovered within 10 %, or shown non-identifiable: held at the
truth with the others re-fitted (its profile, Raue et al. 2009), the score is within the noise
tolerance as it is at the estimate, so the near-optimal set spans the miss. (The 4-parameter HH
recovery within 2 % is tested in tests/unit/test_fitting.py and tests/unit/test_cli.py.)
"""

from __future__ import annotations

import pytest

pytest.importorskip("efel", reason="eFEL is not installed")
pytest.importorskip("cma", reason="pycma is not installed")

import neurodyn as nd
from neurodyn.fitting import (
    FeatureTarget,
    FitProblem,
    FreeParameter,
    Protocol,
    extract,
    fit_cmaes,
    profile,
    synthetic_traces,
)

pytestmark = [pytest.mark.validation, pytest.mark.slow]

TRUTH = dict(c_m=281.0, g_l=30.0, e_l=-70.6, v_t=-50.4, delta_t=2.0, a=4.0, tau_w=144.0, b=80.5)
FEATURES = ["spike_count", "mean_frequency", "time_to_first_spike", "voltage_base",
            "steady_state_voltage", "ISI_CV", "adaptation_index"]


def test_adex_parameters_are_recovered_or_shown_non_identifiable():
    model = nd.models.AdEx()
    prot = Protocol.steps([-200, 700, 900, 1100, 1300], start=100, stop=600, t_stop=700, dt=0.05)
    params = [FreeParameter("c_m", 100, 600), FreeParameter("g_l", 10, 60),
              FreeParameter("e_l", -80, -60), FreeParameter("v_t", -60, -40),
              FreeParameter("delta_t", 0.5, 5, transform="log"), FreeParameter("a", 0.0, 20.0),
              FreeParameter("tau_w", 20, 500, transform="log"), FreeParameter("b", 0, 300)]
    v = synthetic_traces(model, prot, TRUTH, noise_mV=0.5, seed=0)
    f = extract(v, prot.t, stim_start=100, stim_end=600, features=FEATURES, threshold=0.0)
    target = FeatureTarget.from_values(f, FEATURES)
    prob = FitProblem(model, params, prot, target, FEATURES, threshold=0.0)
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
