"""Fits to the real recordings (issue 5, acceptance 2): the stored best parameters of each example
fit re-evaluated against its recording.

``examples/fit/<name>.toml`` defines each problem (recording, protocol, features, SD rule, free
parameters); ``examples/fit/results/<name>.json`` is the ``result.json`` that ``neurodyn fit``
wrote for it (the best parameters and the per-sweep, per-feature errors |z| in SD units). The
test rebuilds the problem from the recording, simulates the stored parameters and checks that
the errors are the stored ones (the report is reproducible). For the clean recording (B6: a
stable baseline, no spontaneous spikes) the issue's targets are asserted: median error at most
1 SD and none above 3 SD (stored fit: median 0.45, max 2.5 SD, the ISI CV at the weakest step;
the score is the sum of squared z-scores, V_T may go down to -80 mV; with V_T >= -70 mV the
same fit ended at max 3.2 SD, with the plain sum at max 7.5 SD). The two ABF
recordings drift and fire spontaneously at their baseline in the early sweeps; their fits are
stored and reproduced but miss the target (score: the sum of squared z-scores; median 2.9 and
3.4 SD, max 43 and 24; with the plain sum 3.7 and 5.9, max 85 and 154; README and the issue's
closing notes say why).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("efel", reason="eFEL is not installed")
pytest.importorskip("pyabf", reason="pyabf is not installed")

from neurodyn.io.fit_spec import load_fit_spec

pytestmark = pytest.mark.validation

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fit"
FITS = sorted(p.stem for p in (EXAMPLES / "results").glob("*.json"))


def test_every_conductance_fit_has_a_stored_result():
    assert {"pospischil_b6", "pospischil_17o05028", "pospischil_fsi"} <= set(FITS)


@pytest.mark.parametrize("name", FITS)
def test_stored_fit_reproduces_its_feature_errors(name):
    spec = load_fit_spec(str(EXAMPLES / f"{name}.toml"))
    stored = json.loads((EXAMPLES / "results" / f"{name}.json").read_text())
    pb = spec.problem
    assert stored["features"] == list(pb.features)
    x = np.array([[stored["params"][p] for p in pb.paths]])
    ev = pb.evaluate(x)
    z = np.abs(ev.z[0])
    d = pb.target.defined
    want = np.array(stored["z_best"], dtype=float)
    np.testing.assert_array_equal(np.isfinite(want), d)
    np.testing.assert_allclose(z[d], want[d], rtol=1e-3, atol=0.02)
    med, mx = float(np.median(z[d])), float(np.max(z[d]))
    worst = np.argwhere(z == mx)[0]
    print(f"{name}: {int(d.sum())} scored entries; |z| median {med:.3g} SD, max {mx:.3g} SD "
          f"({pb.features[worst[1]]}, sweep {worst[0]}); above 3 SD: {int(np.sum(z[d] > 3))}")
    if name == "pospischil_b6":
        assert med <= 1.0 and mx <= 3.0
