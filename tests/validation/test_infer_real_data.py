"""A posterior for a real recording (issue 6, acceptance 2): the stored NPE posterior of six
parameters of the conductance model (Pospischil et al. 2008) given BluePyEfe's cell B6,
``neurodyn infer examples/infer/pospischil_b6.toml`` (10,000 simulations, neural spline flow).

Re-simulating posterior draws over the recording's protocol must reproduce the recording's eFEL
features: median |error| over features and sweeps at most 1 SD (the stored run measured 0.44 SD
over 20 draws); the data's statistics lay inside the range of the prior simulations and no
parameter piled up at a prior bound (both checked when the posterior was made).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("efel", reason="eFEL is not installed")

from neurodyn.io.infer_spec import load_infer_spec

pytestmark = [pytest.mark.validation, pytest.mark.slow]

EX = Path(__file__).resolve().parents[2] / "examples" / "infer"


def test_posterior_draws_reproduce_the_recordings_features():
    spec = load_infer_spec(str(EX / "pospischil_b6.toml"))
    stored = json.loads((EX / "results" / "pospischil_b6.json").read_text())
    with np.load(EX / "results" / "pospischil_b6_samples.npz") as f:
        samples, paths = f["samples"], tuple(str(p) for p in f["paths"])
    problem = spec.fit.problem
    assert paths == problem.paths
    assert not stored["observation_check"]["outside"]
    assert max(stored["bound_mass"].values()) < 0.1
    draws = samples[np.random.default_rng(1).choice(len(samples), 10, replace=False)]
    ev = problem.evaluate(draws)
    med = float(np.nanmedian(ev.z))
    per_draw = np.nanmedian(ev.z.reshape(len(draws), -1), axis=1)
    print(f"posterior predictive: median |error| {med:.2f} SD over 10 draws (stored run "
          f"{stored['predictive']['median_abs_z']:.2f} over 20); per draw {np.round(per_draw, 2)}")
    assert med <= 1.0
    # the stored quantiles describe the stored samples' parameters
    for j, p in enumerate(paths):
        q = stored["posterior"][p]
        assert q["q05"] <= np.median(samples[:, j]) <= q["q95"]
