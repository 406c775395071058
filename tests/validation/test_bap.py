"""Backpropagating action potential in the CA1 pyramidal cell (issue 4, item 3).

A 1 ms, 2 nA pulse at the soma fires one action potential. Along the path from the soma to the
farthest apical tip (~950 µm), the peak depolarisation decays monotonically when the dendrites are
passive (cable attenuation, Rall 1967) and stays near full size when they carry Na+/K+ channels
(active backpropagation, Stuart & Sakmann 1994, Nature 367:69; Spruston et al. 1995, Science
268:297). The figure is drawn too (docs/figures/tutorial_bap.png is made by examples/tutorial.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from neurodyn.cable import simulate_cell
from neurodyn.cable.examples import ca1_cell
from neurodyn.cable.plotting import (
    farthest_tip,
    path_locations,
    plot_along_path,
    plot_voltage_on_morphology,
    section_locations,
)

pytestmark = pytest.mark.validation


def _amplitudes(dendrites: str) -> tuple[np.ndarray, np.ndarray, object, object]:
    cell = ca1_cell(dendrites)
    labels, dist = path_locations(cell, farthest_tip(cell, "apical"))
    r = simulate_cell(cell, 30.0, 0.025, record=labels + section_locations(cell))
    base = np.array([r.traces[k][int(5.0 / 0.025)] for k in labels])  # just before the pulse
    amp = np.array([r.traces[k].max() for k in labels]) - base
    return dist, amp, r, cell


def test_bap_decays_when_passive_and_propagates_when_active(tmp_path) -> None:
    dist, passive, rp, cell = _amplitudes("passive")
    _, active, ra, _ = _amplitudes("active")
    assert rp.spike_counts() == 1 and ra.spike_counts() == 1
    assert dist[-1] > 900.0
    assert np.all(np.diff(passive) <= 1e-9), "passive bAP amplitude must decay monotonically"
    assert passive[-1] < 0.1 * passive[0]
    far = dist > 0.5 * dist[-1]
    assert np.all(active[far] > passive[far]), "active dendrites: larger distal amplitude"
    assert active[-1] > 60.0 and active[-1] > 10 * passive[-1]
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    plot_along_path(dist, {"passive dendrites": passive, "active dendrites": active}, ax=axes[0])
    plot_voltage_on_morphology(cell, ra, ax=axes[1], label="peak V (mV)")
    fig.savefig(tmp_path / "bap.png")
    plt.close(fig)
    assert (tmp_path / "bap.png").stat().st_size > 10_000
