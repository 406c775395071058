"""CMA-ES (Hansen & Ostermeier 2001) with every generation evaluated as one batched simulation.

The search runs on the unit coordinates of :class:`~neurodyn.fitting.problem.FitProblem`
(bounds [0, 1], pycma's boundary handling); the evolution strategy itself is pycma's.

Reference: Hansen N, Ostermeier A (2001). Completely derandomized self-adaptation in evolution
strategies. Evol Comput 9:159–195.

.. code-block:: bibtex

    @article{hansen2001completely, author = {Hansen, Nikolaus and Ostermeier, Andreas},
      title = {Completely derandomized self-adaptation in evolution strategies},
      journal = {Evolutionary Computation}, volume = {9}, number = {2}, pages = {159--195},
      year = {2001}}
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ParameterError
from .problem import FitProblem
from .result import FitResult, FitStore, Trace

__all__ = ["fit_cmaes", "start_point"]


def start_point(problem: Any, x0: Mapping[str, float] | None, who: str) -> list[float]:
    """The unit coordinates of a starting point given by path in physical units; the middle
    of the range for the parameters that ``x0`` leaves out.

    Raises
    ------
    ParameterError
        A path that is not a free parameter, or a value outside the parameter's bounds.
    """
    u0 = [0.5] * problem.dim
    if x0 is None:
        return u0
    unknown = sorted(set(x0) - set(problem.paths))
    if unknown:
        raise ParameterError(f"{who}: x0 names {', '.join(map(repr, unknown))}, which "
                             f"{'is' if len(unknown) == 1 else 'are'} not free parameters "
                             f"(free: {', '.join(problem.paths)}). Fix: drop them or free them.")
    for j, p in enumerate(problem.params):
        if p.path not in x0:
            continue
        val = float(x0[p.path])
        if not p.low <= val <= p.high:
            raise ParameterError(f"{who}: x0[{p.path!r}] = {val:g} is outside its bounds "
                                 f"[{p.low:g}, {p.high:g}]. Fix: start inside the bounds or "
                                 "widen them.")
        u0[j] = float(p.to_unit(val))
    return u0


def fit_cmaes(problem: FitProblem, *, popsize: int | None = None, sigma0: float = 0.25,
              x0: dict[str, float] | None = None, max_evaluations: int = 5000,
              target_score: float | None = None, max_seconds: float | None = None,
              seed: int = 0, restarts: int = 0, folder: str | None = None, resume: bool = True,
              progress: bool = False, callback: Any = None, evaluator: Any = None) -> FitResult:
    """Minimise ``problem``'s total score with CMA-ES.

    Parameters
    ----------
    popsize: candidates per generation (default pycma's ``4 + 3 ln d``).
    sigma0: initial step size in unit coordinates (a fraction of each parameter's range, in the
        parameter's transform: log-scaled parameters step by factors).
    x0: starting point by path, physical units (e.g. a previous fit's best parameters);
        parameters it leaves out start in the middle of their range (the default for all).
        When given, the start is evaluated as the first candidate of the first generation, so
        the result is never worse than it. Later IPOP restarts start from random points.
    max_evaluations, target_score, max_seconds: stopping rules (the first reached wins).
    seed: random seed (pycma's).
    restarts: when CMA-ES stops (converged or stagnating) before the budget is spent, start
        again from a random point with twice the population, up to ``restarts`` times (IPOP-CMA-ES,
        Auger & Hansen 2005), for multimodal problems.
    folder: where evaluations and the optimiser state are written after every generation;
        with ``resume=True`` a fit whose folder holds a saved state continues from there.
    progress: print one line per generation.
    callback: ``callback(generation, evaluation)`` after each generation.
    evaluator: ``evaluator(x) -> Evaluation`` instead of ``problem.evaluate`` (e.g. a
        :class:`~neurodyn.fitting.distributed.DaskEvaluator` spreading a generation over workers).
    """
    import cma

    if popsize is not None and popsize < 2:
        raise ParameterError(f"fit_cmaes: popsize must be >= 2; got {popsize}.")
    if not 0.0 < sigma0 <= 1.0:
        raise ParameterError(f"fit_cmaes: sigma0 must be in (0, 1] (a fraction of each "
                             f"parameter's range); got {sigma0}.")
    store = FitStore(folder)
    prev = store.load(problem.paths) if resume else None
    if prev is not None:
        state, rows = prev
        es = state["es"]
        gen = state["generation"]
        n_restart = state.get("restart", 0)
        tr = Trace(problem.paths, rows, state["history"])
    else:
        u0 = start_point(problem, x0, "fit_cmaes")
        opts = {"bounds": [0.0, 1.0], "seed": seed + 1, "verbose": -9}
        if popsize is not None:
            opts["popsize"] = int(popsize)
        es = cma.CMAEvolutionStrategy(u0, sigma0, opts)
        if x0 is not None:
            # the start itself is the first candidate (pycma's injection, which tell() weighs
            # as such), so that a fit started where another ended never ends worse than that;
            # injected solutions are genotypes: undo pycma's bound transform (not the identity
            # near the bounds, where fitted values often sit)
            es.inject([es.boundary_handler.inverse(np.asarray(u0, dtype=float))], force=True)
        tr, gen, n_restart = Trace(problem.paths), 0, 0
    t_start = time.perf_counter() - (tr.history[-1]["wall_s"] if tr.history else 0.0)
    stopped = ""
    while True:
        if len(tr.scores) >= max_evaluations:
            stopped = f"max_evaluations ({max_evaluations}) reached"
            break
        best = min(tr.scores) if tr.scores else np.inf
        if target_score is not None and best <= target_score:
            stopped = f"target score {target_score:g} reached"
            break
        if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
            stopped = f"max_seconds ({max_seconds:g} s) reached"
            break
        if es.stop():
            if n_restart < restarts:
                n_restart += 1
                rng = np.random.default_rng([seed, n_restart])
                opts = {"bounds": [0.0, 1.0], "seed": seed + 1 + 1000 * n_restart, "verbose": -9,
                        "popsize": es.popsize * 2}
                es = cma.CMAEvolutionStrategy(list(rng.uniform(0.1, 0.9, problem.dim)), sigma0,
                                              opts)
                continue
            stopped = f"CMA-ES stop: {', '.join(es.stop())}"
            break
        gen += 1
        u = np.array(es.ask())
        x = problem.from_unit(u)
        ev = (evaluator or problem.evaluate)(x)
        es.tell(list(u), [float(s) for s in ev.total])
        wall = time.perf_counter() - t_start
        tr.add(gen, ev, wall, store, restart=n_restart)
        store.save_state({"es": es, "history": tr.history, "generation": gen,
                          "restart": n_restart})
        if progress:
            print(f"CMA-ES generation {gen}: {len(tr.scores)} evaluations, best "
                  f"{min(tr.scores):.4g}, "
                  f"median {np.median(ev.total):.4g}, {wall:.1f} s", flush=True)
        if callback is not None:
            callback(gen, ev)
    return _result(problem, tr.xs, tr.scores, tr.zs, tr.history, "cmaes", stopped, folder)


def _result(problem: FitProblem, xs: list[np.ndarray], scores: list[float], zs: list[np.ndarray],
            history: list[dict[str, Any]], method: str, stopped: str, folder: str | None
            ) -> FitResult:
    if not scores:
        raise ParameterError(f"{method}: no candidate was evaluated ({stopped}).")
    x = np.array(xs)
    s = np.array(scores)
    k = int(np.argmin(s))
    best = problem.as_dict(x[k])
    z = np.array(zs[k]).reshape(problem.protocol.n_sweeps, -1) if zs else None
    return FitResult(best, float(s[k]), problem.fitted_model(x[k]), history, x, s, z,
                     problem.paths, method, stopped, folder)
