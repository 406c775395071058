"""Calibrated Bayesian inference on synthetic Hodgkin–Huxley data (issue 6, acceptance 1).

HH squid axon (6.3 °C) with 4 free parameters (g_Na, g_K, g_L, C_m; uniform prior over ±50 % of
g_Na, g_K, g_L and 0.7-1.3 µF/cm² for C_m), driven by an 8 µA/cm² step on 20-100 ms plus
Ornstein–Uhlenbeck current noise (SD 1 µA/cm², 3 ms), so that the likelihood is stochastic.
Summary statistics: spike count, first-spike latency, resting mean and SD, and the mean, SD,
skewness and kurtosis of V during the step (Gonçalves et al. 2020). 19,800 prior simulations train
two neural spline flows (sbi NPE); 200 further prior draws are the test observations (20,000
simulations in all, the issue's budget): the 90 % central credible intervals must contain the
truth 85-95 % of the time (pooled over the 4 parameters), and simulation-based calibration
(Talts et al. 2018) must not reject uniform ranks (Kolmogorov–Smirnov p > 0.01 for every
parameter). The issue asks for 50 test observations; 200 (four sets of 50) measure the coverage
with half the sampling error (binomial SD about 1 % instead of 2 %). The coverage of each set of
50 is printed.

Two flows (training seeds 0 and 1, each with its own validation split) are trained with batch 1000
and learning rate 2e-3 and sampled as an equal mixture (``fit_npe(ensemble=2)``). One flow was too
close to the SBC bound to be a reliable test: over training seeds 0, 1, 2 on one thread
(``benchmarks/npe_calibration.py --ensemble 1 --threads 1 --batch 1000 --lr 2e-3 --seed N``) its
smallest SBC p was 0.032, 0.102, 0.006, and seed 0 on two threads (this test run alone, outside
pytest-xdist) 0.007. Two flows, over seeds 0, 2, 4 (flows 0+1, 2+3, 4+5; ``--ensemble 2``) on one
thread: pooled coverage 0.884, 0.888, 0.893 and smallest SBC p 0.59, 0.10, 0.29, in about 300 s of
training on one core (twice one flow's). This test (seed 0, 300 s of training): coverage 0.82, 0.905,
0.92, 0.89 per set of 50, SBC p 0.69 / 0.66 / 0.59 / 0.92 for g_Na / g_K / g_L / C_m. A single flow is
slightly overconfident here (pooled 0.87-0.89 against the nominal 0.90), as Hermans et al. (2022)
found for NPE generally; an ensemble less so. Trials with other estimators: masked autoregressive
flow 0.87 (also as a 5-network ensemble), MAF with 10,000 simulations 0.84; a 5-flow ensemble
(``benchmarks/npe_calibration.py --ensemble 5``) covers 0.86, 0.915, 0.895 and 0.905 of the same
four sets of 50 (pooled 0.889; SBC p >= 0.57).
"""

from __future__ import annotations

import pytest

pytest.importorskip("sbi", reason="sbi (PyTorch) is not installed")

import numpy as np

import neurodyn as nd
from neurodyn.inference import Simulator, calibration, fit_npe, simulate_prior

pytestmark = [pytest.mark.validation, pytest.mark.slow]

PARAMS = [("g_na", 60, 180), ("g_k", 18, 54), ("g_l", 0.15, 0.45), ("c_m", 0.7, 1.3)]


def test_npe_posteriors_of_noisy_hh_are_calibrated():
    sim = Simulator.from_model(
        nd.models.HodgkinHuxley(), PARAMS, t_stop=120.0, dt=0.025, record_dt=0.1,
        stimulus=[nd.stimuli.Step(amplitude=8.0, start=20, stop=100),
                  nd.stimuli.OUNoise(sigma=1.0, tau=3.0)], window=(20.0, 100.0))
    u, s, info = simulate_prior(sim, 19_800, seed=0, chunk=2000)
    ut, st, info_t = simulate_prior(sim, 200, seed=123, chunk=200)
    post = fit_npe(sim.params, u, s, sim.names, density_estimator="nsf", seed=0,
                   training_batch_size=1000, learning_rate=2e-3, ensemble=2)
    cal = calibration(post, ut, st, n_samples=1000, level=0.9, seed=0)
    sets = [cal["inside"][k:k + 50].mean() for k in range(0, 200, 50)]
    print(f"simulations: {u.shape[0] + ut.shape[0]} in "
          f"{info['simulation_s'] + info_t['simulation_s']:.1f} s; training "
          f"{post.train_s:.1f} s ({post.epochs} epochs); coverage "
          f"{dict(zip(sim.paths, np.round(cal['coverage'], 3)))}, pooled "
          f"{cal['coverage_all']:.3f}, per set of 50 {np.round(sets, 3)}; SBC KS p "
          f"{dict(zip(sim.paths, np.round(cal['ks_p'], 3)))}; mean 90 % interval width (unit "
          f"box) {np.round(cal['interval_width'], 3)}")
    assert u.shape[0] + ut.shape[0] <= 20_000
    assert 0.85 <= cal["coverage_all"] <= 0.95
    assert np.all(cal["ks_p"] > 0.01)
    assert np.all(cal["interval_width"] < 0.9)  # the data are informative: narrower than the prior
