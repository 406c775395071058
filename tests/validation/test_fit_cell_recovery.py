"""Fitting a multi-compartment cell (issue 5: "a fit problem = model (point or
multi-compartment)").

A branched cell (soma with Hodgkin–Huxley channels, a 3-level apical tree of passive
dendrites, 33 compartments; :func:`neurodyn.cable.examples.branched_morphology`) under a 5-sweep
step protocol (-100 to 600 pA, 200 ms) with 0.5 mV white noise on the somatic traces. Free: the
somatic g_Na, g_K, g_L and the dendritic leak g_pas. CMA-ES on the z-scores of 9 eFEL features
per sweep (the PEERS set plus the membrane time constant, which separates the somatic from the
dendritic leak) recovers the spiking conductances within 5 %; a passive parameter may miss 5 % only if it is
shown non-identifiable: held at the truth with the others re-fitted, the fit reaches the noise
floor (the score of the true parameters on the noisy data) as well, so the near-optimal set spans
the miss (as for AdEx in test_fit_recovery.py). Measured: g_Na -1.5 %, g_K -1.4 %, somatic g_L
-6.9 %, dendritic g_pas +9.3 % at a score of 3.81 (floor 4.31); profiles at the truth 4.01 and
4.24.
"""

from __future__ import annotations

import pytest

pytest.importorskip("efel", reason="eFEL is not installed")
pytest.importorskip("cma", reason="pycma is not installed")

from neurodyn.cable import Cell, fixed
from neurodyn.cable.examples import branched_morphology
from neurodyn.channels.hh import HH
from neurodyn.channels.passive import Passive
from neurodyn.fitting import (
    PEERS_FEATURES,
    CellModel,
    FreeParameter,
    Protocol,
    fit_cmaes,
    profile,
    synthetic_problem,
)

pytestmark = [pytest.mark.validation, pytest.mark.slow]

TRUTH = {"soma.hh.g_na": 120.0, "soma.hh.g_k": 36.0, "soma.hh.g_l": 0.3, "apical.pas.g": 0.1}


def test_branched_cell_parameters_are_recovered_or_shown_non_identifiable():
    cell = (Cell(branched_morphology(3), ra=100.0, celsius=6.3, nseg=fixed(3))
            .paint("soma", HH()).paint("apical", Passive(g=0.1, e=-65.0)))
    model = CellModel(cell)
    prot = Protocol.steps([-100, 200, 300, 400, 600], start=50, stop=250, t_stop=300, dt=0.1)
    params = [FreeParameter("soma.hh.g_na", 40, 400, "log"),
              FreeParameter("soma.hh.g_k", 10, 100, "log"),
              FreeParameter("soma.hh.g_l", 0.03, 3, "log"),
              FreeParameter("apical.pas.g", 0.01, 1, "log")]
    prob, _ = synthetic_problem(model, prot, TRUTH, params, [*PEERS_FEATURES, "time_constant"],
                                substeps=4, noise_mV=0.5, seed=0)
    floor = float(prob.evaluate([[TRUTH[p] for p in prob.paths]]).total[0])  # the noise floor
    res = fit_cmaes(prob, popsize=16, target_score=max(0.5, floor), max_seconds=120,
                    max_evaluations=20_000, restarts=3, seed=0)
    assert res.score_ <= max(0.5, floor)
    assert isinstance(res.model_, CellModel)
    assert res.model_.values()["apical.pas.g"] == pytest.approx(res.params_["apical.pas.g"])
    err = {p: res.params_[p] / TRUTH[p] - 1 for p in prob.paths}
    missed = [p for p in prob.paths if abs(err[p]) > 0.05]
    print(f"noise floor {floor:.3g}; best {res.score_:.3g} after {len(res.scores)} evaluations; "
          f"errors { {p: round(e, 4) for p, e in err.items()} }; missed {missed}")
    assert not {"soma.hh.g_na", "soma.hh.g_k"} & set(missed)  # the spiking currents: within 5 %
    for p in missed:
        prof = profile(prob, p, [TRUTH[p]], popsize=16, target_score=max(0.5, floor),
                       max_seconds=60, max_evaluations=20_000, restarts=2, seed=0)
        print(f"profile of {p} at the truth {TRUTH[p]:g}: {prof['scores'][0]:.3g}; at the "
              f"estimate {res.params_[p]:.3g}: {res.score_:.3g}")
        assert prof["scores"][0] <= max(0.5, floor), (p, prof["scores"])  # reaches the floor too
