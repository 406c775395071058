"""Sensitivity and uncertainty: global sensitivity with SALib (Sobol indices, Morris screening)
over batched simulations, local sensitivities by automatic differentiation
(:mod:`~neurodyn.uncertainty.sensitivity`); uncertainty propagation, parameter samples run as one
batched ensemble with intervals on every output (:mod:`~neurodyn.uncertainty.ensemble`).

Example
-------
>>> import neurodyn as nd
>>> from neurodyn.uncertainty import model_outputs, sobol
>>> fn = model_outputs(nd.models.HodgkinHuxley(), ["g_na", "g_k", "g_l"], ["spike_count"],
...                    t_stop=200.0, stimulus=nd.stimuli.Step(amplitude=10.0, start=20,
...                    stop=180))                                       # doctest: +SKIP
>>> res = sobol(fn, [("g_na", 60, 180), ("g_k", 18, 54), ("g_l", 0.15, 0.45)], n=256)
...                                                                     # doctest: +SKIP
>>> res.ranking("spike_count")                                        # doctest: +SKIP
"""

from .ensemble import Propagation, network_outputs, propagate, synchrony, uniform_samples
from .sensitivity import (
    SensitivityResult,
    local_sensitivity,
    model_outputs,
    morris,
    sobol,
)

__all__ = ["Propagation", "SensitivityResult", "local_sensitivity", "model_outputs", "morris",
           "network_outputs", "propagate", "sobol", "synchrony", "uniform_samples"]
