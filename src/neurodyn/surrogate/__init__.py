"""Machine-learning surrogates of detailed neurons and their use in networks.

* :mod:`~neurodyn.surrogate.mlp`: :func:`train_surrogate` fits an MLP (JAX, optax) to a detailed
  cell's input–output map; :class:`Surrogate` evaluates it (NumPy or inside JAX loops) and warns
  outside its training range;
* :mod:`~neurodyn.surrogate.network`: :func:`simulate_rate_network`, a network whose neurons
  fire at the surrogate's rate for the mean and fluctuation of their input.

The detailed side, populations of multi-compartment cells driven by noisy currents and coupled
by synapses, is :func:`neurodyn.cable.coupled.simulate_population`.
"""

from .mlp import Surrogate, SurrogateRangeWarning, r2_score, train_surrogate
from .network import RateNetworkResult, simulate_rate_network

__all__ = ["RateNetworkResult", "Surrogate", "SurrogateRangeWarning", "r2_score",
           "simulate_rate_network", "train_surrogate"]
