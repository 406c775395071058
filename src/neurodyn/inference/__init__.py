"""Bayesian (likelihood-free) inference of model parameters from summary statistics.

* :mod:`~neurodyn.inference.simulator`: :class:`Simulator` (parameters → statistics, batched;
  prior uniform in each parameter's search coordinate), :func:`simulate_prior` (resumable),
  :func:`voltage_summary`;
* :mod:`~neurodyn.inference.npe`: neural posterior estimation with ``sbi`` (:func:`fit_npe`);
* :mod:`~neurodyn.inference.abc`: ABC-SMC with batched simulations, no PyTorch
  (:func:`abc_smc`);
* :mod:`~neurodyn.inference.diagnostics`: coverage and simulation-based calibration
  (:func:`calibration`);
* :mod:`~neurodyn.inference.plots`: pair plot and posterior predictive traces.
"""

from .abc import ABCResult, abc_smc
from .diagnostics import bound_mass, calibration, observation_check
from .npe import NPEPosterior, fit_npe
from .simulator import SUMMARY_NAMES, Simulator, simulate_prior, voltage_summary

__all__ = ["SUMMARY_NAMES", "ABCResult", "NPEPosterior", "Simulator", "abc_smc", "bound_mass",
           "calibration", "fit_npe", "observation_check", "simulate_prior", "voltage_summary"]
