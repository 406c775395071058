"""An ML surrogate of a detailed multi-compartment neuron, deployed in a network (issue 6,
acceptance 4; the speed target is measured by benchmarks/surrogate.py).

Detailed cell: 33 compartments (soma with Hodgkin–Huxley channels, 3-level passive apical tree;
``branched_morphology(3)``). Its input–output map, firing rate and mean somatic potential against
the mean ``mu`` (0-0.8 nA) and SD ``sigma`` (0-0.3 nA, OU, 5 ms) of a somatic current, is sampled
on 600 random inputs (2 s each, one batched loop) and learnt by an MLP (2-64-64-2, Adam); 20 % of
the inputs are held out: R² >= 0.95 on the rate.

Network: 300 such cells, each with 40 excitatory (+0.02 nA) and 10 inhibitory (-0.05 nA)
current-based exponential synapses (5 ms) from random cells, heterogeneous drive mu ~ U(0.1,
0.4) nA and sigma 0.1 nA; built once from detailed cells (:func:`simulate_population`) and once
from surrogate rate units (:func:`simulate_rate_network`, the mean-field closure of the input
statistics). Mean network rates agree within 10 %; the recurrent coupling itself moves the
detailed network's rate by more than that (so the comparison is not decided by the drive alone).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from neurodyn.cable import Cell, fixed
from neurodyn.cable.coupled import fixed_indegree, simulate_population
from neurodyn.cable.examples import branched_morphology
from neurodyn.channels.hh import HH
from neurodyn.channels.passive import Passive
from neurodyn.surrogate import SurrogateRangeWarning, simulate_rate_network, train_surrogate

pytestmark = [pytest.mark.validation, pytest.mark.slow]


def _cell() -> Cell:
    return (Cell(branched_morphology(3), ra=100.0, celsius=6.3, nseg=fixed(3))
            .paint("soma", HH()).paint("apical", Passive(g=0.1, e=-65.0)))


def test_surrogate_predicts_held_out_rates_and_reproduces_the_network_rate():
    cell = _cell()
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(0, 0.8, 600), rng.uniform(0, 0.3, 600)], axis=1)
    data = simulate_population(cell, 600, 2100.0, 0.025, mu=x[:, 0], sigma=x[:, 1],
                               t_start=100.0, seed=1)
    sur, rep = train_surrogate(x, np.stack([data.rates, data.mean_v], 1), ("mu_nA", "sigma_nA"),
                               ("rate_hz", "mean_v_mV"), steps=4000, seed=0)
    print(f"data: 600 cells x 2 s in {data.wall_s:.1f} s; held-out R2 {rep['r2_validation']}; "
          f"training {rep['train_s']:.1f} s")
    assert rep["r2_validation"]["rate_hz"] >= 0.95
    assert rep["r2_validation"]["mean_v_mV"] >= 0.95

    n, k_e, k_i = 300, 40, 10
    pre, w = fixed_indegree(n, k_e, k_i, 0.02, -0.05, rng)
    mu = rng.uniform(0.1, 0.4, n)
    det = simulate_population(cell, n, 1100.0, 0.025, mu=mu, sigma=0.1, pre=pre, weight=w,
                              t_start=100.0, seed=2)
    free = simulate_population(cell, n, 1100.0, 0.025, mu=mu, sigma=0.1, t_start=100.0, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SurrogateRangeWarning)  # it stays in its training range
        net = simulate_rate_network(sur, n, 1100.0, 1.0, mu=mu, sigma=0.1, pre=pre, weight=w,
                                    tau_syn=5.0, t_start=100.0)
    r_det, r_sur, r_free = det.rates.mean(), net.rates.mean(), free.rates.mean()
    corr = np.corrcoef(det.rates, net.rates)[0, 1]
    print(f"network mean rate: detailed {r_det:.2f} Hz, surrogate {r_sur:.2f} Hz "
          f"({100 * (r_sur / r_det - 1):+.1f} %), uncoupled detailed {r_free:.2f} Hz; per-cell "
          f"correlation {corr:.3f}; table error {net.table_error:.3g} Hz")
    assert abs(r_sur / r_det - 1) <= 0.10
    assert abs(r_free / r_det - 1) > 0.10
    assert corr > 0.8
