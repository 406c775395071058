"""Gradient-based fitting, multi-start: every start is a member of one batched, differentiable
simulation, so one compiled call gives the distances and derivatives of all starts.

The objective is a distance (mV) between simulated and target traces in the stimulus window:
either the RMS trace distance (:func:`~neurodyn.fitting.objectives.trace_distance`), or, by
default, the spike-aware distance: the subthreshold trace away from spikes plus the spike times
(:func:`~neurodyn.fitting.objectives.spike_time_distance`), differentiable through threshold
crossings and, for integrate-and-fire models, through their resets
(:func:`neurodyn.engine.kernel.event_gradients`). Feature z-scores (not differentiable: spike
counts are integers) rank the final candidates. Parameters are optimised in unconstrained
coordinates ``w`` with ``u = sigmoid(w)`` in (0, 1), mapped to the bounds by each
:class:`FreeParameter` (linear or log), so every iterate is feasible.

Optimisers: Levenberg-Marquardt on the residuals (default; the Jacobian by forward-mode
derivatives, one per free parameter), Adam, or L-BFGS (both optax, on the distances).

References: Marquardt DW (1963). An algorithm for least-squares estimation of nonlinear
parameters. J Soc Ind Appl Math 11:431-441. Kingma DP, Ba J (2015). Adam: a method for stochastic
optimization. ICLR.

.. code-block:: bibtex

    @article{marquardt1963algorithm, author = {Marquardt, Donald W.},
      title = {An Algorithm for Least-Squares Estimation of Nonlinear Parameters},
      journal = {Journal of the Society for Industrial and Applied Mathematics},
      volume = {11}, number = {2}, pages = {431--441}, year = {1963}, doi = {10.1137/0111030}}
    @inproceedings{kingma2015adam, author = {Kingma, Diederik P. and Ba, Jimmy},
      title = {Adam: A Method for Stochastic Optimization}, booktitle = {ICLR}, year = {2015}}
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..errors import ParameterError
from .cmaes import _result
from .problem import FitProblem
from .result import FitResult, FitStore

__all__ = ["fit_gradient"]


def _physical(problem: FitProblem, u: Any) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    out = {}
    for j, p in enumerate(problem.params):
        if p.transform == "log":
            out[p.path] = jnp.exp(jnp.log(p.low) + u[:, j] * (jnp.log(p.high) - jnp.log(p.low)))
        elif p.transform == "logit":
            from .problem import _LOGIT_SPAN

            lo, hi = jax.nn.sigmoid(-_LOGIT_SPAN), jax.nn.sigmoid(_LOGIT_SPAN)
            frac = (jax.nn.sigmoid(_LOGIT_SPAN * (2.0 * u[:, j] - 1.0)) - lo) / (hi - lo)
            out[p.path] = p.low + frac * (p.high - p.low)
        else:
            out[p.path] = p.low + u[:, j] * (p.high - p.low)
    return out


def fit_gradient(problem: FitProblem, target_v: Any, *, starts: int = 8, steps: int = 100,
                 learning_rate: float = 0.05, final_learning_rate: float | None = None,
                 x0: Any = None, seed: int = 0, screen: int = 0,
                 smoothing: tuple[float, ...] = (0.0,), loss: str = "spikes",
                 spike_weight: float = 10.0, guard_ms: float = 2.0, optimizer: str = "lm",
                 folder: str | None = None,
                 progress: bool = False) -> FitResult:
    """Minimise the distance to ``target_v`` ``(n_sweeps, n_samples)`` (mV) from ``starts``
    starting points (Latin-hypercube in the box unless ``x0`` ``(starts, d)`` is given); returns
    the candidate with the best feature score among the final points of the starts. The descent
    follows the trace distance below, not the feature score: :attr:`FitProblem.aggregate`
    only chooses among the final points.

    ``loss``: ``"spikes"`` (default), the spike-aware distance ``sqrt(d_sub² + (spike_weight ·
    d_spk)²)``: ``d_sub`` the RMS distance over the samples where both traces are below the
    problem's spike threshold (mV) and no spike of either is within ``guard_ms``
    (:func:`~neurodyn.fitting.objectives.spike_guard`), ``d_spk`` the RMS over sweeps of
    :func:`~neurodyn.fitting.objectives.spike_time_distance` (ms) to the target's threshold
    crossings, ``spike_weight`` in mV per ms. The spike term moves spikes towards their targets
    from wherever a start puts them. ``"trace"``: the RMS trace distance in the stimulus
    window, which has a local minimum wherever spikes are misaligned (a polish near the answer).

    ``optimizer``: ``"lm"`` (default), Levenberg-Marquardt on the residuals behind the distance,
    ``steps`` iterations at most (it stops when no start has improved for 5); each iteration
    costs one forward-mode derivative per free parameter, so for many parameters ``"adam"`` (or
    ``"lbfgs"``) is cheaper per step: ``learning_rate`` is Adam's step in the unconstrained
    coordinates, decaying (cosine) to ``final_learning_rate`` over the run if that is given.

    ``smoothing``: coarse to fine, the Gaussian SDs (ms) with which both traces are smoothed in
    successive stages of ``steps / len(smoothing)`` steps each (e.g. ``(20, 5, 0)``).

    ``screen``: if larger than ``starts`` (and no ``x0``), that many Latin-hypercube points are
    scored by the distance first (one batched simulation, no derivatives) and the fit starts
    from the ``starts`` best: far from the answer the distance is flat wherever a candidate
    fires no spike.

    Every start's final point is written to ``folder``. ``result.extra["trace_distance_mV"]``
    holds each start's final distance (of ``loss``, named in ``result.extra["loss"]``).
    """
    import jax
    import jax.numpy as jnp
    import optax

    from .objectives import trace_distance

    target = jnp.asarray(problem.check_target_v(target_v, "fit_gradient"))
    rng = np.random.default_rng(seed)
    if problem.continuous:
        raise ParameterError(
            "fit_gradient does not support FitProblem.continuous (its spike-aware loss reads "
            "each sweep's spikes from a batched run). Fix: fit a continuous protocol with "
            "fit_cmaes or fit_nsga2, or set continuous=False.")
    if not isinstance(screen, int | np.integer) or screen < 0:
        raise ParameterError(f"fit_gradient.screen must be an integer >= 0; got {screen!r}.")
    if x0 is None:
        # Latin hypercube in unit coordinates, kept off the edges of the box
        n0 = max(starts, int(screen))
        shape = (n0, problem.dim)
        u0 = (np.argsort(rng.random(shape), axis=0) + rng.random(shape)) / n0
        u0 = 0.05 + 0.9 * u0
    else:
        u0 = np.clip(problem.to_unit(x0), 1e-3, 1 - 1e-3)
        starts = u0.shape[0]
    w = jnp.asarray(np.log(u0 / (1 - u0)))
    window = problem.stim_window
    dt = problem.protocol.dt

    stages = tuple(float(s) for s in smoothing) or (0.0,)
    if any(not (np.isfinite(s) and s >= 0) for s in stages):
        raise ParameterError(f"fit_gradient.smoothing must be SDs >= 0 ms; got {smoothing!r}.")
    if optimizer not in ("adam", "lbfgs", "lm"):
        raise ParameterError(f"fit_gradient.optimizer must be 'adam', 'lbfgs' or 'lm'; got "
                             f"{optimizer!r}.")
    if loss not in ("trace", "spikes"):
        raise ParameterError(f"fit_gradient.loss must be 'trace' or 'spikes'; got {loss!r}.")
    for name, val in (("learning_rate", learning_rate),
                      ("final_learning_rate", final_learning_rate), ("guard_ms", guard_ms)):
        if val is not None and not (np.isfinite(val) and (val >= 0 if name == "guard_ms"
                                                          else val > 0)):
            raise ParameterError(f"fit_gradient.{name} must be "
                                 f"{'>= 0 ms' if name == 'guard_ms' else '> 0'}; got {val!r}.")
    if not (np.isfinite(spike_weight) and spike_weight > 0):
        raise ParameterError(f"fit_gradient.spike_weight must be > 0 mV/ms; got {spike_weight!r}.")
    # reset models: the kernel's reset events; others: the upward crossings of the problem's
    # threshold on the sampled trace (crossing_fractions; multi-compartment cells too)
    spikes = loss == "spikes" and problem.resets
    if loss == "spikes":
        from .objectives import (
            crossing_fractions,
            crossing_times,
            spike_guard,
            spike_time_distance,
        )

        target_t = crossing_times(np.asarray(target), dt, problem.threshold, window)

    def residuals(w: Any, smooth: float) -> Any:
        """``(starts, R)``: the distance of each start is the norm of its row."""
        u = jax.nn.sigmoid(w)
        batch, extra = problem.protocol_inputs(_physical(problem, u))  # holding, traced
        kw = {"spikes": True, "strategy": "batch"} if spikes else {}
        out = problem.protocol.simulate(problem.model, batch=batch, method=problem.method,
                                        substeps=problem.substeps, **kw, **extra)
        if loss == "trace":
            return trace_distance(out.v, target, dt, window=window, smooth_ms=smooth,
                                  residuals=True)
        if spikes:
            dense, sub = out.results[0].spikes.dense, problem.substeps
        else:
            dense, sub = crossing_fractions(out.v, problem.threshold), 1
        keep = spike_guard(dense, sub, target.shape[-1], target_t, dt, guard_ms)
        r_sub = trace_distance(out.v, target, dt, window=window, smooth_ms=smooth,
                               below=problem.threshold, keep=keep, residuals=True)
        r_spk = spike_time_distance(dense, dt / sub, target_t, window, residuals=True)
        scale = spike_weight / np.sqrt(r_spk.shape[-1] * r_spk.shape[-2])
        return jnp.concatenate([r_sub, scale * r_spk.reshape(r_spk.shape[0], -1)], axis=-1)

    def loss_fn(w: Any, smooth: float) -> Any:
        d = jnp.sqrt(jnp.sum(residuals(w, smooth) ** 2, axis=-1) + 1e-12)  # (starts,)
        return jnp.sum(d), d

    grad_fn = jax.jit(jax.value_and_grad(loss_fn, has_aux=True), static_argnums=1)
    t0 = time.perf_counter()
    n_screened = w.shape[0] if w.shape[0] > starts else 0
    if n_screened:  # screening: keep the starts with the lowest loss
        _, d0 = jax.jit(loss_fn, static_argnums=1)(w, stages[0])
        d0 = np.where(np.isfinite(np.asarray(d0)), np.asarray(d0), np.inf)
        w = w[np.argsort(d0, kind="stable")[:starts]]
        if progress:
            print(f"gradient: screened {len(d0)} points; the {starts} best start at "
                  f"{np.sort(d0)[0]:.4g}-{np.sort(d0)[starts - 1]:.4g} mV", flush=True)
    store = FitStore(folder)
    if optimizer == "lm":
        w_end, d_end, history, stopped = _levenberg_marquardt(
            residuals, w, stages, steps, starts, n_screened, t0, loss, progress)
        return _finish(problem, w_end, d_end, history, stopped, steps, starts, n_screened,
                       store, folder, loss)
    # a constant step, or a cosine decay to final_learning_rate over the run
    lr = (learning_rate if final_learning_rate is None else optax.cosine_decay_schedule(
        learning_rate, steps, alpha=final_learning_rate / learning_rate))
    if optimizer == "adam":
        opt = optax.adam(lr)
    else:
        opt = optax.lbfgs()
        # L-BFGS minimises one scalar with a line search: the sum of the squared distances
        ssq = {st: jax.jit(lambda w, st=st: jnp.sum(loss_fn(w, st)[1] ** 2)) for st in stages}
    state = opt.init(w)
    history = []
    best_w, best_d = w, jnp.full((starts,), jnp.inf)
    per_stage = max(1, steps // len(stages))
    for it in range(1, steps + 1):
        stage = min((it - 1) // per_stage, len(stages) - 1)
        if stage > 0 and (it - 1) == stage * per_stage:
            # distances at another smoothing are not comparable: restart the record
            best_w, best_d = w, jnp.full((starts,), jnp.inf)
            state = opt.init(w)
        (_, d), g = grad_fn(w, stages[stage])
        improved = d < best_d
        best_w = jnp.where(improved[:, None], w, best_w)
        best_d = jnp.where(improved, d, best_d)
        if optimizer == "adam":
            updates, state = opt.update(g, state)
        else:
            g2 = 2.0 * d[:, None] * g  # the gradient of sum(d**2) from that of sum(d)
            updates, state = opt.update(g2, state, w, value=jnp.sum(d ** 2), grad=g2,
                                        value_fn=ssq[stages[stage]])
        w = optax.apply_updates(w, updates)
        history.append({"generation": it, "evaluations": n_screened + it * starts,
                        "best": float(jnp.min(best_d)), "median": float(jnp.median(d)),
                        "wall_s": time.perf_counter() - t0, "sim_s": 0.0, "features_s": 0.0})
        if progress and (it % 20 == 0 or it == 1):
            print(f"gradient step {it}: {loss} distance best {float(jnp.min(best_d)):.4g} mV, "
                  f"median {float(jnp.median(d)):.4g} mV", flush=True)
    return _finish(problem, best_w, best_d, history,
                   f"{steps} {'Adam' if optimizer == 'adam' else 'L-BFGS'} steps", steps,
                   starts, n_screened, store, folder, loss)


def _finish(problem: FitProblem, w: Any, dist: Any, history: list[dict], stopped: str,
            generation: int, starts: int, n_screened: int, store: FitStore,
            folder: str | None, loss: str) -> FitResult:
    """Score the final point of each start by its features, store them, and build the result
    (``extra["trace_distance_mV"]``: each start's distance ``dist``)."""
    import jax
    import jax.numpy as jnp

    x = problem.from_unit(np.asarray(jax.nn.sigmoid(jnp.asarray(w))))
    ev = problem.evaluate(x)
    store.append(generation, x, ev.total, ev.z.reshape(len(x), -1), problem.paths)
    res = _result(problem, list(x), [float(s) for s in ev.total],
                  list(ev.z.reshape(len(x), -1)), history, "gradient",
                  f"{stopped} from {starts} starts"
                  + (f" (the best of {n_screened})" if n_screened else ""), folder)
    res.extra["trace_distance_mV"] = np.asarray(dist).tolist()
    res.extra["loss"] = loss
    return res


def _levenberg_marquardt(residuals: Any, w: Any, stages: tuple[float, ...], steps: int,
                         starts: int, n_screened: int, t0: float, loss: str,
                         progress: bool) -> tuple[np.ndarray, np.ndarray, list[dict], str]:
    """Levenberg-Marquardt on the residuals of each start (Marquardt 1963): the Jacobian
    ``(starts, R, d)`` by ``d`` forward-mode derivatives (one batched call), the step from
    ``(JᵀJ + λ diag JᵀJ) δ = -Jᵀr`` per start, accepted where the distance falls (then ``λ``
    shrinks 3-fold; else it grows 4-fold and the start stays). Returns the final points, their
    distances, the history and how it stopped."""
    import jax
    import jax.numpy as jnp

    w = np.asarray(w)
    basis = jnp.eye(w.shape[1])
    fns = {}
    for st in stages:
        r_fn = jax.jit(lambda w, st=st: residuals(w, st))
        jac = jax.jit(lambda w, st=st: jax.vmap(
            lambda e: jax.jvp(lambda v: residuals(v, st), (w,),
                              (jnp.broadcast_to(e, w.shape),))[1], out_axes=-1)(basis))
        fns[st] = (r_fn, jac)
    history = []
    lam = np.full(starts, 1e-2)
    per_stage = max(1, steps // len(stages))
    still, stopped = 0, f"{steps} Levenberg-Marquardt steps"
    for it in range(1, steps + 1):
        stage = min((it - 1) // per_stage, len(stages) - 1)
        if it == 1 or (stage > 0 and (it - 1) == stage * per_stage):
            still = 0
            r_fn, jac = fns[stages[stage]]
            r = np.asarray(r_fn(w))  # then carried: each accepted trial brings its own
            cost = np.sum(r ** 2, axis=-1)
        J = np.asarray(jac(w))  # (starts, R, d)
        step = np.zeros_like(w)
        for i in range(starts):
            A = J[i].T @ J[i]
            g = J[i].T @ r[i]
            damp = lam[i] * np.diag(np.maximum(np.diag(A), 1e-12))
            try:
                step[i] = -np.linalg.solve(A + damp, g)
            except np.linalg.LinAlgError:
                step[i] = 0.0
        trial = w + np.clip(step, -0.5, 0.5)  # a trust region: 0.5 in the logit coordinates
        r_new = np.asarray(r_fn(trial))
        c_new = np.sum(r_new ** 2, axis=-1)
        ok = np.isfinite(c_new) & (c_new < cost)
        gain = np.where(ok, (cost - c_new) / np.maximum(cost, 1e-300), 0.0)
        still = still + 1 if np.all(gain < 1e-10) else 0
        w = np.where(ok[:, None], trial, w)
        r = np.where(ok[:, None], r_new, r)
        cost = np.where(ok, c_new, cost)
        lam = np.clip(np.where(ok, lam / 3.0, lam * 4.0), 1e-9, 1e9)
        history.append({"generation": it, "evaluations": n_screened + 2 * it * starts,
                        "best": float(np.sqrt(cost.min())),
                        "median": float(np.sqrt(np.median(cost))),
                        "wall_s": time.perf_counter() - t0, "sim_s": 0.0, "features_s": 0.0})
        if progress and (it % 5 == 0 or it == 1):
            print(f"Levenberg-Marquardt step {it}: {loss} distance best "
                  f"{np.sqrt(cost.min()):.4g} mV, median {np.sqrt(np.median(cost)):.4g} mV",
                  flush=True)
        if still >= 5:  # no start has improved for 5 steps: converged or stuck
            stopped = f"converged after {it} Levenberg-Marquardt steps"
            break
    if not history:  # steps = 0: the distances of the starting points
        cost = np.sum(np.asarray(fns[stages[0]][0](w)) ** 2, axis=-1)
    return w, np.sqrt(cost), history, stopped
