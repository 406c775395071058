"""Gradient-based fitting (optax), multi-start: every start is a member of one batched,
differentiable simulation, so one compiled call gives the loss and gradient of all starts.

The differentiable objective is the RMS voltage distance (mV) between simulated and target
traces in the stimulus window (:func:`~neurodyn.fitting.objectives.trace_distance`); feature
z-scores (not differentiable: spike counts are integers) rank the final candidates. Parameters
are optimised in unconstrained coordinates ``w`` with ``u = sigmoid(w)`` in (0, 1), mapped to the
bounds by each :class:`FreeParameter` (linear or log), so every iterate is feasible.

Reference: Kingma DP, Ba J (2015). Adam: a method for stochastic optimization. ICLR.

.. code-block:: bibtex

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


def fit_gradient(problem: FitProblem, target_v: Any, *, starts: int = 8, steps: int = 200,
                 learning_rate: float = 0.05, x0: Any = None, seed: int = 0,
                 smoothing: tuple[float, ...] = (0.0,), folder: str | None = None,
                 progress: bool = False) -> FitResult:
    """Minimise the trace distance to ``target_v`` ``(n_sweeps, n_samples)`` (mV) from
    ``starts`` starting points (Latin-hypercube in the box unless ``x0`` ``(starts, d)`` is
    given) with Adam; returns the candidate with the best feature score among all iterates
    scored at the end of each start's run.

    ``smoothing``: coarse to fine, the Gaussian SDs (ms) with which both traces are smoothed in
    successive stages of ``steps / len(smoothing)`` Adam steps each (e.g. ``(20, 5, 0)``). With
    spiking traces the raw distance has a local minimum wherever spikes are misaligned; smoothed
    traces compare firing rates and mean potentials first.

    Every start's final point (and the best iterate of each) is written to ``folder``.
    """
    import jax
    import jax.numpy as jnp
    import optax

    from .objectives import trace_distance

    target = jnp.asarray(np.asarray(target_v, dtype=float))
    if target.shape != (problem.protocol.n_sweeps, problem.protocol.n_samples):
        raise ParameterError(f"fit_gradient: target_v must be (n_sweeps, n_samples) = "
                             f"({problem.protocol.n_sweeps}, {problem.protocol.n_samples}) mV; got "
                             f"{target.shape}. Fix: pass recording.voltages() or a simulated trace.")
    rng = np.random.default_rng(seed)
    if x0 is None:
        # Latin hypercube in unit coordinates, kept off the edges of the box
        shape = (starts, problem.dim)
        u0 = (np.argsort(rng.random(shape), axis=0) + rng.random(shape)) / starts
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
    if problem.resets:
        import warnings

        warnings.warn(
            f"fit_gradient: {type(problem.model).__name__} resets its voltage at each spike; the "
            "gradient of the trace distance through a reset does not include how spike times "
            "move (the reset value does not depend on the parameters), so Adam refines the "
            "subthreshold trajectory only and spike timing stays where the starts put it. Fix: "
            "fit_cmaes or fit_nsga2 for integrate-and-fire models.", stacklevel=2)

    def loss(w: Any, smooth: float) -> Any:
        u = jax.nn.sigmoid(w)
        batch, extra = problem.protocol_inputs(_physical(problem, u))  # holding, traced
        out = problem.protocol.simulate(problem.model, batch=batch, method=problem.method,
                                        substeps=problem.substeps, spikes=False, **extra)
        d = trace_distance(out.v, target, dt, window=window, smooth_ms=smooth)  # (starts,)
        return jnp.sum(d), d

    grad_fn = jax.jit(jax.value_and_grad(loss, has_aux=True), static_argnums=1)
    opt = optax.adam(learning_rate)
    state = opt.init(w)
    store = FitStore(folder)
    history = []
    t0 = time.perf_counter()
    best_w, best_d = w, jnp.full((starts,), jnp.inf)
    per_stage = max(1, steps // len(stages))
    for it in range(1, steps + 1):
        stage = min((it - 1) // per_stage, len(stages) - 1)
        if stage > 0 and (it - 1) == stage * per_stage:
            # distances at another smoothing are not comparable: restart the record
            best_w, best_d = w, jnp.full((starts,), jnp.inf)
        (_, d), g = grad_fn(w, stages[stage])
        improved = d < best_d
        best_w = jnp.where(improved[:, None], w, best_w)
        best_d = jnp.where(improved, d, best_d)
        updates, state = opt.update(g, state)
        w = optax.apply_updates(w, updates)
        history.append({"generation": it, "evaluations": it * starts,
                        "best": float(jnp.min(best_d)), "median": float(jnp.median(d)),
                        "wall_s": time.perf_counter() - t0, "sim_s": 0.0, "features_s": 0.0})
        if progress and (it % 20 == 0 or it == 1):
            print(f"gradient step {it}: trace distance best {float(jnp.min(best_d)):.4g} mV, "
                  f"median {float(jnp.median(d)):.4g} mV", flush=True)
    x = problem.from_unit(np.asarray(jax.nn.sigmoid(best_w)))
    ev = problem.evaluate(x)
    store.append(steps, x, ev.total, ev.z.reshape(len(x), -1), problem.paths)
    res = _result(problem, list(x), [float(s) for s in ev.total],
                  list(ev.z.reshape(len(x), -1)), history, "gradient",
                  f"{steps} Adam steps from {starts} starts", folder)
    res.extra["trace_distance_mV"] = np.asarray(best_d).tolist()
    return res
