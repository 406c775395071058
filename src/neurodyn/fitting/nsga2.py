"""Multi-objective fitting with NSGA-II (Deb et al. 2002, pymoo's implementation): every
generation's population is evaluated in one batched simulation; objectives are the z-score
sums per feature (or per sweep), so the result is a Pareto front of trade-offs between them.

Reference: Deb K, Pratap A, Agarwal S, Meyarivan T (2002). A fast and elitist multiobjective
genetic algorithm: NSGA-II. IEEE Trans Evol Comput 6:182–197.

.. code-block:: bibtex

    @article{deb2002fast, author = {Deb, K. and Pratap, A. and Agarwal, S. and Meyarivan, T.},
      title = {A fast and elitist multiobjective genetic algorithm: {NSGA-II}},
      journal = {IEEE Transactions on Evolutionary Computation}, volume = {6}, number = {2},
      pages = {182--197}, year = {2002}}
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from .cmaes import _result
from .problem import FitProblem
from .result import FitResult, FitStore, Trace

__all__ = ["check_groups", "fit_nsga2", "objective_groups"]


def objective_groups(z: np.ndarray, by: Any, aggregate: str = "sum",
                     features: Sequence[str] | None = None) -> np.ndarray:
    """Sum z-scores ``(n, n_sweeps, n_features)`` (or their squares, ``aggregate="squares"``,
    as the problem's score does) into objectives: ``"features"`` (one per feature, summed over
    sweeps), ``"sweeps"`` (one per sweep), or groups of features, ``{"name": [feature, ...],
    ...}`` (one per group, summed over its features and all sweeps; ``features`` names the
    columns of ``z``, and every feature must be in exactly one group)."""
    from .objectives import entry_scores

    zz = entry_scores(z, aggregate)
    zz = np.where(np.isfinite(zz), zz, 0.0)
    if isinstance(by, Mapping):
        cols = check_groups(by, features)
        return np.stack([zz[:, :, c].sum(axis=(1, 2)) for c in cols], axis=1)
    if by == "features":
        return zz.sum(axis=1)
    if by == "sweeps":
        return zz.sum(axis=2)
    raise ParameterError(f"objectives must be 'features', 'sweeps' or a mapping of groups of "
                         f"features; got {by!r}.")


def check_groups(groups: Mapping[str, Sequence[str]], features: Sequence[str] | None
                 ) -> list[list[int]]:
    """The column indices of each group of features (objectives given as groups)."""
    if features is None:
        raise ParameterError("objective groups need the feature names (features=...).")
    names = list(features)
    seen: dict[str, str] = {}
    cols = []
    for g, members in groups.items():
        if isinstance(members, str) or not len(members):
            raise ParameterError(f"objective group {g!r} must list features; got {members!r}.")
        for f in members:
            if f not in names:
                raise ParameterError(f"objective group {g!r}: {f!r} is not one of the problem's "
                                     f"features ({', '.join(names)}).")
            if f in seen:
                raise ParameterError(f"objective groups: {f!r} is in both {seen[f]!r} and {g!r}.")
            seen[f] = g
        cols.append([names.index(f) for f in members])
    left = [f for f in names if f not in seen]
    if left:
        raise ParameterError(f"objective groups leave out {', '.join(left)}. Fix: put every "
                             "feature in one group.")
    if len(cols) < 2:
        raise ParameterError("objective groups: give at least two groups (one group is the "
                             "single score; use fit_cmaes for that).")
    return cols


def fit_nsga2(problem: FitProblem, *, pop_size: int = 48, generations: int = 60,
              objectives: str | Mapping[str, Sequence[str]] = "features",
              target_score: float | None = None,
              max_seconds: float | None = None, seed: int = 0, folder: str | None = None,
              resume: bool = True, progress: bool = False, callback: Any = None,
              evaluator: Any = None) -> FitResult:
    """Run NSGA-II for ``generations`` (or until the best total score reaches
    ``target_score``, or ``max_seconds``). The result's ``extra["pareto_x"]`` and
    ``extra["pareto_F"]`` hold the final non-dominated set and its objectives."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.termination import get_termination

    feats = list(problem.features)
    n_obj = objective_groups(np.zeros((1, problem.protocol.n_sweeps, len(feats))), objectives,
                             features=feats).shape[1]
    store = FitStore(folder)
    prev = store.load(problem.paths) if resume else None
    if prev is not None:
        state, rows = prev
        algorithm, gen = state["algorithm"], state["generation"]
        algorithm.termination = get_termination("n_gen", generations)
        tr = Trace(problem.paths, rows, state["history"])
    else:
        pm = Problem(n_var=problem.dim, n_obj=n_obj, xl=0.0, xu=1.0)
        algorithm = NSGA2(pop_size=pop_size)
        algorithm.setup(pm, termination=get_termination("n_gen", generations), seed=seed + 1,
                        verbose=False)
        tr, gen = Trace(problem.paths), 0
    t_start = time.perf_counter() - (tr.history[-1]["wall_s"] if tr.history else 0.0)
    stopped = f"{generations} generations"
    while algorithm.has_next():
        if target_score is not None and tr.scores and min(tr.scores) <= target_score:
            stopped = f"target score {target_score:g} reached"
            break
        if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
            stopped = f"max_seconds ({max_seconds:g} s) reached"
            break
        gen += 1
        pop = algorithm.ask()
        u = pop.get("X")
        x = problem.from_unit(u)
        ev = (evaluator or problem.evaluate)(x)
        pop.set("F", objective_groups(ev.z, objectives, problem.aggregate, feats))
        algorithm.tell(infills=pop)
        wall = time.perf_counter() - t_start
        tr.add(gen, ev, wall, store)
        store.save_state({"algorithm": algorithm, "history": tr.history, "generation": gen})
        if progress:
            print(f"NSGA-II generation {gen}: {len(tr.scores)} evaluations, best total "
                  f"{min(tr.scores):.4g}, {wall:.1f} s", flush=True)
        if callback is not None:
            callback(gen, ev)
    res = _result(problem, tr.xs, tr.scores, tr.zs, tr.history, "nsga2", stopped, folder)
    opt = algorithm.opt
    if opt is not None and len(opt):
        res.extra["pareto_x"] = problem.from_unit(opt.get("X"))
        res.extra["pareto_F"] = np.asarray(opt.get("F"))
    return res
