"""Differential evolution's variation as a pymoo crossover (:func:`fit_nsga2`'s
``variation="de"``). A module of its own because it imports pymoo, an optional dependency, and
a saved fit state pickles the operator by its module path.

Reference: Storn R, Price K (1997). Differential evolution: a simple and efficient heuristic for
global optimization over continuous spaces. J Global Optim 11:341-359.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pymoo.core.crossover import Crossover

__all__ = ["DifferentialCrossover"]


class DifferentialCrossover(Crossover):
    """rand/1/bin of 3 parents x0, x1, x2 in the unit box: the donor ``x0 + f (x1 - x2)``,
    each of its coordinates outside [0, 1] redrawn uniformly between x0's and the bound, then
    each coordinate taken from the donor with probability ``cr`` (at least one, at a random
    index) and from x0 otherwise. Every child is made this way (crossover probability 1).
    Every draw comes from the algorithm's seeded generator: pymoo's own ``DEX`` repairs the
    bounds with an unseeded one, so that its runs with the same seed differ (pymoo 0.6.2; its
    maintainers list "DE/Gaussian out-of-bounds repair" among the unseeded cases to mend, in
    anyoptimization/pymoo pull request 795)."""

    def __init__(self, f: float = 0.5, cr: float = 0.9) -> None:
        super().__init__(n_parents=3, n_offsprings=1, prob=1.0)
        self.f, self.cr = float(f), float(cr)

    def _do(self, problem: Any, X: np.ndarray, *args: Any, random_state: Any = None,
            **kwargs: Any) -> np.ndarray:
        x0, x1, x2 = X  # (n_matings, n_var) each
        donor = x0 + self.f * (x1 - x2)
        u = random_state.random(donor.shape)
        donor = np.where(donor < 0.0, u * x0, np.where(donor > 1.0, x0 + u * (1.0 - x0), donor))
        take = random_state.random(donor.shape) < self.cr
        take[np.arange(donor.shape[0]), random_state.integers(0, donor.shape[1],
                                                              size=donor.shape[0])] = True
        return np.where(take, donor, x0)[None]
