"""Hybrid fitting: an evolutionary warm start (CMA-ES on the feature score) and a gradient polish
(by default Levenberg-Marquardt on the spike-aware trace distance) from its best candidates.

CMA-ES finds the basin from anywhere in the box but converges slowly at the end; the distance,
differentiable through the simulation (spike times included), converges in tens of steps from
the warm start. The polish runs from the ``polish_starts`` best distinct candidates of the warm
start in one batched, differentiable call; the result is the better of the two stages by
feature score, with both stages' evaluations and history.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .cmaes import _result, fit_cmaes
from .gradient import fit_gradient
from .problem import FitProblem
from .result import FitResult

__all__ = ["fit_hybrid"]


def fit_hybrid(problem: FitProblem, target_v: Any, *, warm_score: float = 5.0,
               max_seconds: float | None = None, popsize: int | None = None, seed: int = 0,
               restarts: int = 0, polish_starts: int = 4, polish_steps: int = 40,
               learning_rate: float = 0.01, final_learning_rate: float | None = None,
               smoothing: tuple[float, ...] = (0.0,), loss: str = "spikes",
               spike_weight: float = 10.0, optimizer: str = "lm", folder: str | None = None,
               guard_ms: float = 2.0, x0: dict[str, float] | None = None,
               sigma0: float = 0.25, resume: bool = True, progress: bool = False,
               callback: Any = None) -> FitResult:
    """CMA-ES until the best feature score reaches ``warm_score`` (or ``max_seconds``), then
    :func:`fit_gradient` on the distance to ``target_v`` ``(n_sweeps, n_samples)`` (mV)
    (``loss``, ``optimizer``, ``learning_rate``...: see :func:`fit_gradient`) from the
    ``polish_starts`` best warm-start candidates, ``polish_steps`` steps at most. The result
    is the polish's best candidate (by feature score among the polished starts) unless its
    feature score exceeds both ``warm_score`` and the warm start's best, then the warm start's
    best.

    ``x0`` and ``sigma0`` start the warm start (:func:`~neurodyn.fitting.fit_cmaes`).

    The warm start is written to ``folder/warm`` (and resumes from there), the polish to
    ``folder/polish``. ``result.extra["warm_score"]`` and ``["polish_score"]`` give each stage's
    best; ``result.method`` is ``"hybrid"``.
    """
    sub = (lambda name: os.path.join(folder, name)) if folder else (lambda name: None)
    warm = fit_cmaes(problem, popsize=popsize, target_score=warm_score, max_seconds=max_seconds,
                     seed=seed, restarts=restarts, folder=sub("warm"), resume=resume,
                     progress=progress, max_evaluations=10**9, callback=callback, x0=x0,
                     sigma0=sigma0)
    order = np.argsort(warm.scores)
    starts: list[np.ndarray] = []
    for k in order:  # distinct starting points
        if not any(np.allclose(warm.x[k], y, rtol=1e-9, atol=0) for y in starts):
            starts.append(warm.x[k])
        if len(starts) == polish_starts:
            break
    polished = fit_gradient(problem, target_v, x0=np.array(starts), steps=polish_steps,
                            learning_rate=learning_rate,
                            final_learning_rate=final_learning_rate, smoothing=smoothing,
                            loss=loss, spike_weight=spike_weight, guard_ms=guard_ms,
                            optimizer=optimizer,
                            folder=sub("polish"),
                            progress=progress)
    hist = list(warm.history)
    offset_e = hist[-1]["evaluations"] if hist else 0
    offset_t = hist[-1]["wall_s"] if hist else 0.0
    hist += [{**h, "evaluations": h["evaluations"] + offset_e, "wall_s": h["wall_s"] + offset_t,
              "stage": f"polish ({loss} distance, mV)"} for h in polished.history]
    # the polish minimises the trace distance, which uses every sample; it is kept unless its
    # feature score is worse than the warm start's target (feature scores of noisy data have a
    # noise floor, so a better trace fit can score slightly worse in features)
    best_warm = polished.score_ > max(warm_score, warm.score_)
    stopped = (f"warm start: {warm.stopped}; polish: {polished.stopped}; best from the "
               f"{'warm start' if best_warm else 'polish'}")
    res = _result(problem, list(warm.x) + list(polished.x),
                  list(warm.scores) + list(polished.scores), [], hist, "hybrid", stopped, folder)
    chosen = warm if best_warm else polished
    res.params_, res.score_, res.model_ = chosen.params_, chosen.score_, chosen.model_
    res.z_best = chosen.z_best
    res.extra.update({"warm_score": warm.score_, "polish_score": polished.score_,
                      "trace_distance_mV": polished.extra.get("trace_distance_mV")})
    return res
