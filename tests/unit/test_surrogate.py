"""Surrogate range checks (issue 6, acceptance 5)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from neurodyn.errors import ParameterError
from neurodyn.surrogate import Surrogate, SurrogateRangeWarning, simulate_rate_network, train_surrogate


def test_a_surrogate_queried_outside_its_training_range_warns():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (200, 2))
    sur, _ = train_surrogate(x, np.stack([x[:, 0] + x[:, 1] ** 2, x[:, 0]], 1),
                             ("mu_nA", "sigma_nA"), ("rate_hz", "v"), steps=300)
    with pytest.warns(SurrogateRangeWarning, match=r"outside its training range.*mu_nA in"):
        sur(np.array([[0.5, 0.5], [1.5, 0.2]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sur(np.array([[0.5, 0.5]]))
    with pytest.warns(SurrogateRangeWarning, match="left the surrogate's training range"):
        simulate_rate_network(sur, 5, 50.0, 1.0, mu=3.0, sigma=0.1)


def test_surrogates_save_load_and_refuse_bad_training_data(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (100, 2))
    sur, rep = train_surrogate(x, x[:, :1] * 3, ("mu_nA", "sigma_nA"), ("rate_hz",), steps=200)
    path = sur.save(str(tmp_path / "s.npz"))
    again = Surrogate.load(path)
    np.testing.assert_allclose(again(x[:5]), sur(x[:5]))
    assert rep["n_validation"] == 20
    with pytest.raises(ParameterError, match="finite"):
        train_surrogate(np.full((20, 1), np.nan), np.zeros(20), ("a",), ("b",))
    with pytest.raises(ParameterError, match=r"x must be \(n, 2\)"):
        train_surrogate(x[:, :1], x[:, 0], ("a", "b"), ("c",))


def test_driven_populations_match_a_clamped_cell_and_refuse_bad_input():
    from neurodyn.cable import Cell, IClamp, SpikeDetector, fixed, simulate_cell
    from neurodyn.cable.coupled import simulate_population
    from neurodyn.channels.hh import HH
    from neurodyn.morphology.builders import ball_and_stick

    cell = Cell(ball_and_stick(), nseg=fixed(3), celsius=6.3).paint("all", HH())
    pop = simulate_population(cell, 2, 300.0, 0.025, mu=[0.0, 0.3], sigma=0.0, t_start=50.0)
    clamped = (cell.place("soma(0.5)", IClamp(amp=0.3, delay=0.0, dur=1e9))
               .place("soma(0.5)", SpikeDetector(threshold=0.0)))
    ref = simulate_cell(clamped, 300.0, 0.025)
    n_ref = int(np.sum(np.asarray(ref.spikes.of(0)) >= 50.0))
    assert pop.counts[0] == 0 and pop.counts[1] == n_ref > 3  # the same spikes as one clamped cell
    with pytest.raises(ParameterError, match="carries electrodes"):
        simulate_population(cell.place("soma(0.5)", IClamp(amp=0.1)), 2, 10.0)
    with pytest.raises(ParameterError, match=r"indices must be in \[0, 2\)"):
        simulate_population(cell, 2, 10.0, pre=[[0], [2]], weight=[[0.1], [0.1]])
    with pytest.raises(ParameterError, match="sigma must be >= 0"):
        simulate_population(cell, 2, 10.0, sigma=-0.1)


def test_r2_of_one_output_is_computed_over_its_samples():
    from neurodyn.surrogate import r2_score

    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2_score(y, y)[0] == 1.0
    assert r2_score(y, np.full(4, 2.5))[0] == 0.0


def test_fixed_indegree_tables_have_the_asked_in_degrees_and_signs():
    from neurodyn.cable.coupled import fixed_indegree

    pre, w = fixed_indegree(50, 8, 2, 0.02, -0.05, rng=1)
    assert pre.shape == w.shape == (50, 10)
    assert pre.min() >= 0 and pre.max() < 50
    assert np.all(w[:, :8] == 0.02) and np.all(w[:, 8:] == -0.05)
    np.testing.assert_array_equal(pre, fixed_indegree(50, 8, 2, 0.02, -0.05, rng=1)[0])
    with pytest.raises(ParameterError, match="w_i <= 0"):
        fixed_indegree(50, 8, 2, 0.02, 0.05)
