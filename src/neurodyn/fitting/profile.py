"""Profiles: how well the data can be fitted with one parameter held at given values, the
others re-optimised (profile likelihood, Raue et al. 2009). A flat profile over a range means
the parameter is not identifiable from the chosen features there: the near-optimal set spans
that range even where a single fit's estimate lands elsewhere.

Reference: Raue A, Kreutz C, Maiwald T, et al. (2009). Structural and practical identifiability
analysis of partially observed dynamical models by exploiting the profile likelihood.
Bioinformatics 25:1923–1929.

.. code-block:: bibtex

    @article{raue2009structural, author = {Raue, A. and Kreutz, C. and Maiwald, T. and others},
      title = {Structural and practical identifiability analysis of partially observed dynamical
               models by exploiting the profile likelihood},
      journal = {Bioinformatics}, volume = {25}, number = {15}, pages = {1923--1929},
      year = {2009}}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from .cmaes import fit_cmaes
from .problem import HOLDING, FitProblem

__all__ = ["profile"]


def profile(problem: FitProblem, path: str, values: Sequence[float], **cmaes: Any
            ) -> dict[str, Any]:
    """For each value of parameter ``path``: fix it there, fit the other free parameters with
    :func:`fit_cmaes` (keyword arguments ``cmaes``), and return ``{"values", "scores",
    "params"}`` (the best score and parameters at each value)."""
    if path not in problem.paths:
        raise ParameterError(f"profile: {path!r} is not a free parameter of the problem "
                             f"({', '.join(problem.paths)}).")
    others = [p for p in problem.params if p.path != path]
    if not others:
        raise ParameterError("profile needs at least two free parameters.")
    scores, params = [], []
    for v in values:
        # the same problem (holding, margins, aggregate, eFEL settings...) with p held at v
        fixed = ({"holding_pA": float(v)} if path == HOLDING
                 else {"model": problem.model.replace(**{path: float(v)})})
        sub = dataclasses.replace(problem, params=others, **fixed)
        res = fit_cmaes(sub, **cmaes)
        scores.append(res.score_)
        params.append({**res.params_, path: float(v)})
    return {"path": path, "values": np.asarray(values, dtype=float), "scores": np.array(scores),
            "params": params}
