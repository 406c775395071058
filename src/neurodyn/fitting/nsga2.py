"""Multi-objective fitting with NSGA-II (Deb et al. 2002, pymoo's implementation): every
generation's population is evaluated in one batched simulation; objectives are the z-score
sums per feature (or per sweep), optionally with trace distances of chosen sweeps, so the
result is a Pareto front of trade-offs between them. Options: reference-point NSGA-II
(R-NSGA-II, Deb & Sundar 2006), restarts with a doubled population on a stall, and offspring
made by differential evolution (Storn & Price 1997) instead of SBX.

References: Deb K, Pratap A, Agarwal S, Meyarivan T (2002). A fast and elitist multiobjective
genetic algorithm: NSGA-II. IEEE Trans Evol Comput 6:182–197. Deb K, Sundar J (2006).
Reference point based multi-objective optimization using evolutionary algorithms. Proc. GECCO
2006, 635–642.

.. code-block:: bibtex

    @article{deb2002fast, author = {Deb, K. and Pratap, A. and Agarwal, S. and Meyarivan, T.},
      title = {A fast and elitist multiobjective genetic algorithm: {NSGA-II}},
      journal = {IEEE Transactions on Evolutionary Computation}, volume = {6}, number = {2},
      pages = {182--197}, year = {2002}}
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from ..errors import ParameterError, check_integers
from .cmaes import _result
from .objectives import aggregate_unit, entry_scores, reduce_entries
from .problem import FitProblem
from .result import FitResult, FitStore, Trace

__all__ = ["check_groups", "fit_nsga2", "objective_groups", "objective_names"]


def objective_groups(z: np.ndarray, by: Any, aggregate: str = "sum",
                     features: Sequence[str] | None = None) -> np.ndarray:
    """Sum z-scores ``(n, n_sweeps, n_features)`` (or their squares, fourth or eighth powers,
    ``aggregate="squares"``, ``"fourth"`` or ``"eighth"``, as the problem's score does; the
    largest of them with ``"max"``) into objectives:
    ``"features"`` (one per feature, summed over sweeps), ``"sweeps"`` (one per sweep), or
    groups of features, ``{"name": [feature, ...], ...}`` (one per group, summed over its
    features and all sweeps; ``features`` names the columns of ``z``, and every feature must
    be in exactly one group)."""
    zz = entry_scores(z, aggregate)
    zz = np.where(np.isfinite(zz), zz, 0.0)
    if isinstance(by, Mapping):
        cols = check_groups(by, features)
        return np.stack([reduce_entries(zz[:, :, c], aggregate, (1, 2)) for c in cols], axis=1)
    if by == "features":
        return reduce_entries(zz, aggregate, 1)
    if by == "sweeps":
        return reduce_entries(zz, aggregate, 2)
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
              target_v: Any = None, trace_sweeps: str | Sequence[int] | None = None,
              reference_point: str | Sequence[float] | None = None, epsilon: float = 0.001,
              restarts: int = 0, stall_generations: int = 50, variation: str = "sbx",
              target_score: float | None = None,
              max_seconds: float | None = None, seed: int = 0, folder: str | None = None,
              resume: bool = True, progress: bool = False, callback: Any = None,
              evaluator: Any = None) -> FitResult:
    """Run NSGA-II for ``generations`` (per run, see ``restarts``; or until the best total
    score reaches ``target_score``, or ``max_seconds``). The result's ``extra["pareto_x"]`` and
    ``extra["pareto_F"]`` hold the final non-dominated set and its objectives.

    Objectives: the z-score sums of :func:`objective_groups` (``objectives``), then, with
    ``trace_sweeps``, one trace distance per sweep named there: the RMS voltage difference (mV)
    over the whole sweep to ``target_v`` ``(n_sweeps, n_samples)`` (the recorded or synthetic
    traces; a candidate whose integration fails gets 1000 mV). ``trace_sweeps="subthreshold"``
    takes the sweeps in which ``target_v`` stays below the problem's spike threshold: there the
    distance is a smooth function of the passive parameters, which features such as the
    steady-state voltage constrain only in part; across spikes it is not (a spike a little
    early or late costs as much as a missing one), so spiking sweeps keep their features.

    ``reference_point``: ``None`` runs NSGA-II (Deb et al. 2002). ``"ideal"`` (every objective
    0, where all sweeps fit at once) or one value per objective runs reference-point NSGA-II
    (R-NSGA-II, Deb & Sundar 2006; pymoo's ``RNSGA2``, objectives normalised per front): within
    a front, candidates nearer the point survive before the crowded ones, and ``epsilon``
    (normalised units) clears near-duplicates so that the population stays diverse. Where a
    fit should find one parameter set that fits every sweep (parameter recovery), this
    concentrates the search there instead of along the whole front. On the 8-parameter AdEx
    recovery problem (``benchmarks/fit_methods_adex.py``, noise floor 0.34) NSGA-II with
    feature objectives stalls at scores of 2-20; R-NSGA-II with per-sweep objectives, the
    subthreshold sweep's trace distance and 4 restarts recovers the parameters with 3 of 4
    seeds in 900 s (scores 0.90-1.02), and with all 4 with ``variation="de"`` (0.50-0.96, every
    parameter within 6 %). ``extra["objective_names"]`` names the objectives.

    ``restarts``: when the best score of the current run has not fallen by 1 % in
    ``stall_generations`` generations, start a new run from a new random population of twice
    the size (seed ``seed + 1000·k`` for the k-th), up to ``restarts`` times, as IPOP-CMA-ES
    does (:func:`~neurodyn.fitting.fit_cmaes`); every evaluation stays in the result, the best
    over all runs is the fit, and ``extra["pareto_x"]``/``["pareto_F"]`` are the final front of
    the run that found it (``extra["runs"]``: each run's population, generations and best).

    ``variation``: how offspring are made. ``"sbx"`` (NSGA-II's own: simulated binary
    crossover, η 15, and polynomial mutation, η 20; pymoo's defaults) varies each parameter on
    its own, so it follows valleys along the axes. ``"de"``: differential evolution's
    rand/1/bin (Storn & Price 1997; F 0.5, CR 0.9; the base vector a selected parent), then the
    same polynomial mutation, as GDE3 does (Kukkonen & Lampinen 2005): each child moves along
    the difference of two parents, so the search follows valleys in which parameters trade off
    against each other (Iorio & Li 2004 show SBX failing and DE succeeding on rotated
    problems). On the AdEx recovery problem, every run of R-NSGA-II with the trace distance
    ends in the true basin with ``"de"`` (12 of 12, seeds 0-3) and 3 of 13 with ``"sbx"``
    (``benchmarks/fit_methods_adex.py``, methods ``rnsga2-trace-de`` and ``rnsga2-trace``).
    DE alone does not rescue plain NSGA-II there (a trial without the reference point and the
    trace distance stalled at 6.4).

    References: Deb K, Sundar J (2006). Reference point based multi-objective optimization
    using evolutionary algorithms. Proc. GECCO 2006, 635-642. Storn R, Price K (1997).
    Differential evolution: a simple and efficient heuristic for global optimization over
    continuous spaces. J Global Optim 11:341-359. Kukkonen S, Lampinen J (2005). GDE3: the
    third evolution step of generalized differential evolution. Proc. IEEE CEC 2005, 443-450.
    Iorio AW, Li X (2004). Solving rotated multi-objective optimization problems using
    differential evolution. AI 2004, LNCS 3339, 861-872."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.rnsga2 import RNSGA2
    from pymoo.core.problem import Problem
    from pymoo.termination import get_termination

    feats = list(problem.features)
    sweeps, target_v = _trace_sweeps(problem, target_v, trace_sweeps)
    names = objective_names(problem, objectives, sweeps)
    n_obj = len(names)
    ref = _reference_point(reference_point, n_obj, names)
    _check_epsilon(epsilon)
    _check_variation(variation)
    check_integers("fit_nsga2", (("restarts", restarts, 0),
                                 ("stall_generations", stall_generations, 1),
                                 ("pop_size", pop_size, 2)))

    def new_algorithm(run: int) -> Any:
        pm = Problem(n_var=problem.dim, n_obj=n_obj, xl=0.0, xu=1.0)
        size = pop_size * 2 ** run
        ops = _operators(variation)
        if ref is None:
            alg = NSGA2(pop_size=size, **ops)
        else:
            alg = RNSGA2(ref_points=ref[None, :], pop_size=size, epsilon=epsilon,
                         normalization="front", extreme_points_as_reference_points=False, **ops)
        alg.setup(pm, termination=get_termination("n_gen", generations), seed=seed + 1 + 1000 * run,
                  verbose=False)
        return alg

    def objective_values(ev: Any) -> np.ndarray:
        f = objective_groups(ev.z, objectives, problem.aggregate, feats)
        if not sweeps:
            return f
        d = np.asarray(ev.trace_rms)[:, sweeps]
        return np.concatenate([f, np.where(np.isfinite(d), d, 1000.0)], axis=1)

    store = FitStore(folder)
    prev = store.load(problem.paths) if resume else None
    if prev is not None:
        state, rows = prev
        algorithm, gen = state["algorithm"], state["generation"]
        if state.get("objectives", names) != names:
            raise ParameterError(
                f"fit_nsga2: the run saved in {folder!r} has the objectives "
                f"{state['objectives']}; this call asks for {names}. Fix: call it with the "
                "same objectives and trace_sweeps to resume, or give another folder "
                "(or resume=False) to start afresh.")
        if state.get("variation", "sbx") != variation:
            raise ParameterError(
                f"fit_nsga2: the run saved in {folder!r} makes offspring with variation="
                f"{state.get('variation', 'sbx')!r}; this call asks for {variation!r}. Fix: "
                "call it with the same variation to resume, or give another folder (or "
                "resume=False) to start afresh.")
        algorithm.termination = get_termination("n_gen", generations)
        tr = Trace(problem.paths, rows, state["history"])
        run, run_best, runs = state.get("run", 0), state.get("run_best", []), state.get("runs", [])
    else:
        algorithm = new_algorithm(0)
        tr, gen = Trace(problem.paths), 0
        run, run_best, runs = 0, [], []  # the current run's best per generation; ended runs
    t_start = time.perf_counter() - (tr.history[-1]["wall_s"] if tr.history else 0.0)
    stopped = f"{generations} generations"
    while algorithm.has_next():
        if target_score is not None and tr.scores and min(tr.scores) <= target_score:
            stopped = f"target score {target_score:g} reached"
            break
        if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
            stopped = f"max_seconds ({max_seconds:g} s) reached"
            break
        if (run < restarts and len(run_best) > stall_generations
                and run_best[-1] > 0.99 * run_best[-1 - stall_generations]):
            runs.append(_run_summary(algorithm, problem, run_best))
            run, run_best = run + 1, []
            algorithm = new_algorithm(run)
            if progress:
                print(f"NSGA-II restart {run}: no 1 % gain in {stall_generations} generations "
                      f"(run best {runs[-1]['best']:.4g}); population "
                      f"{algorithm.pop_size}", flush=True)
        gen += 1
        pop = algorithm.ask()
        u = pop.get("X")
        x = problem.from_unit(u)
        evaluate = evaluator or problem.evaluate
        ev = evaluate(x, target_v=target_v) if sweeps else evaluate(x)
        pop.set("F", objective_values(ev))
        algorithm.tell(infills=pop)
        wall = time.perf_counter() - t_start
        run_best.append(min([float(np.min(ev.total)), *run_best[-1:]]))
        tr.add(gen, ev, wall, store, restart=run)
        store.save_state({"algorithm": algorithm, "history": tr.history, "generation": gen,
                          "objectives": names, "variation": variation, "run": run,
                          "run_best": run_best, "runs": runs})
        if progress:
            print(f"NSGA-II generation {gen}: {len(tr.scores)} evaluations, best total "
                  f"{min(tr.scores):.4g}, {wall:.1f} s", flush=True)
        if callback is not None:
            callback(gen, ev)
    res = _result(problem, tr.xs, tr.scores, tr.zs, tr.history, "nsga2", stopped, folder)
    res.extra["objective_names"] = names
    runs = runs + ([_run_summary(algorithm, problem, run_best)] if run_best else [])
    res.extra["runs"] = [{k: v for k, v in r.items() if k not in ("pareto_x", "pareto_F")}
                         for r in runs]
    if runs:
        front = min(runs, key=lambda r: r["best"])
        if front["pareto_x"] is not None:
            res.extra["pareto_x"], res.extra["pareto_F"] = front["pareto_x"], front["pareto_F"]
    return res


#: fit_nsga2's variation choices: NSGA-II's SBX + polynomial mutation, or DE rand/1/bin + it
VARIATIONS = ("sbx", "de")


def _check_epsilon(epsilon: Any) -> None:
    """:func:`fit_nsga2`'s ``epsilon`` is a finite number > 0 (the spec wraps the error under
    ``[fit].epsilon``)."""
    if (isinstance(epsilon, bool) or not isinstance(epsilon, Real)
            or not (np.isfinite(epsilon) and epsilon > 0)):
        raise ParameterError(f"fit_nsga2.epsilon must be a number > 0 (normalised objective "
                             f"units; R-NSGA-II clears candidates closer than it); "
                             f"got {epsilon!r}.")


def _check_variation(variation: Any) -> None:
    """:func:`fit_nsga2`'s ``variation`` is one of :data:`VARIATIONS` (the spec wraps the
    error under ``[fit].variation``)."""
    if variation not in VARIATIONS:
        raise ParameterError(f"fit_nsga2.variation must be one of "
                             f"{', '.join(map(repr, VARIATIONS))} (how offspring are made: SBX "
                             f"or differential evolution); got {variation!r}.")


def _operators(variation: str) -> dict[str, Any]:
    """pymoo's operators for ``variation`` (:func:`fit_nsga2`); the mutation stays pymoo's
    polynomial mutation (η 20) in both."""
    if variation == "de":
        from ._de import DifferentialCrossover

        return {"crossover": DifferentialCrossover()}
    return {}


def _run_summary(algorithm: Any, problem: FitProblem, run_best: list[float]) -> dict[str, Any]:
    """One NSGA-II run: its population size, generations, best score and final front."""
    opt = algorithm.opt
    has = opt is not None and len(opt)
    return {"pop_size": int(algorithm.pop_size), "generations": len(run_best),
            "best": float(run_best[-1]) if run_best else float("inf"),
            "pareto_x": problem.from_unit(opt.get("X")) if has else None,
            "pareto_F": np.asarray(opt.get("F")) if has else None}


def objective_names(problem: FitProblem, objectives: str | Mapping[str, Sequence[str]],
                    trace_sweeps: Sequence[int] = ()) -> list[str]:
    """The names, with units, of :func:`fit_nsga2`'s objectives for ``problem`` (checks
    ``objectives``): ``"spike_count (SD)"``, ``"sweep 100 pA (SD)"`` or ``"<group> (SD)"``
    (``SD²`` with ``aggregate="squares"``, ``SD⁴`` with ``"fourth"``, ``SD⁸`` with
    ``"eighth"``), then
    ``"trace RMS <sweep> (mV)"`` for each of ``trace_sweeps`` (indices)."""
    feats = list(problem.features)
    unit = aggregate_unit(problem.aggregate)
    traces = [f"trace RMS {problem.protocol.names[s]} (mV)" for s in trace_sweeps]
    if isinstance(objectives, Mapping):
        check_groups(objectives, feats)
        return [f"{g} ({unit})" for g in objectives] + traces
    if objectives == "features":
        return [f"{f} ({unit})" for f in feats] + traces
    if objectives == "sweeps":
        return [f"sweep {name} ({unit})" for name in problem.protocol.names] + traces
    raise ParameterError(f"objectives must be 'features', 'sweeps' or a mapping of groups of "
                         f"features; got {objectives!r}.")


def _trace_sweeps(problem: FitProblem, target_v: Any, which: Any
                  ) -> tuple[list[int], np.ndarray | None]:
    """The sweep indices of ``trace_sweeps`` (see :func:`fit_nsga2`) and ``target_v`` checked
    (``None`` when there are none)."""
    if which is None:
        return [], None
    if target_v is None:
        raise ParameterError("fit_nsga2: trace_sweeps needs the target traces. Fix: pass "
                             "target_v=recording.voltages() (or the synthetic traces).")
    v = problem.check_target_v(target_v, "fit_nsga2")
    n = problem.protocol.n_sweeps
    if isinstance(which, str):
        if which != "subthreshold":
            raise ParameterError(f"fit_nsga2.trace_sweeps must be 'subthreshold' or a list of "
                                 f"sweep indices (0-{n - 1}); got {which!r}.")
        out = [s for s in range(n) if np.max(v[s]) < problem.threshold]
        if not out:
            raise ParameterError(
                f"fit_nsga2.trace_sweeps='subthreshold': every sweep of target_v crosses the "
                f"spike threshold ({problem.threshold:g} mV). Fix: name the sweeps to fit by "
                "trace (e.g. trace_sweeps=[0]) or leave trace_sweeps out.")
        return out, v
    out = list(which)
    bad = [s for s in out if not isinstance(s, int | np.integer) or not 0 <= s < n]
    if bad or not out or len(set(out)) != len(out):
        raise ParameterError(f"fit_nsga2.trace_sweeps must be 'subthreshold' or distinct sweep "
                             f"indices 0-{n - 1}; got {which!r}.")
    return [int(s) for s in out], v


def _reference_point(ref: Any, n_obj: int, names: Sequence[str]) -> np.ndarray | None:
    """R-NSGA-II's reference point (see :func:`fit_nsga2`), or ``None`` for NSGA-II."""
    if ref is None:
        return None
    if isinstance(ref, str):
        if ref != "ideal":
            raise ParameterError(f"fit_nsga2.reference_point must be None, 'ideal' or one value "
                                 f"per objective ({n_obj}); got {ref!r}.")
        return np.zeros(n_obj)
    r = np.asarray(ref, dtype=float)
    if r.shape != (n_obj,) or not np.all(np.isfinite(r)):
        raise ParameterError(f"fit_nsga2.reference_point must be 'ideal' or {n_obj} finite "
                             f"values, one per objective ({', '.join(names)}); got {ref!r}.")
    return r
