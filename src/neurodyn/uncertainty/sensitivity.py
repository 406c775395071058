"""Global sensitivity analysis (SALib: Sobol indices by Saltelli sampling, Morris elementary
effects) over batched simulations, and local sensitivities by automatic differentiation.

Parameters are :class:`~neurodyn.fitting.FreeParameter` objects (path, bounds, transform): SALib
samples the unit coordinates ``u`` in [0, 1]^d uniformly, and each parameter maps ``u`` to its
value linearly or logarithmically. The indices therefore refer to a uniform distribution of the
value (``"linear"``) or of its logarithm (``"log"``).

A model is evaluated through a *batched function* ``fn(x) -> outputs``: ``x`` is ``(n, d)`` in
physical units and the outputs are ``(n,)``, ``(n, k)`` or a mapping ``name -> (n,)``. Every
Saltelli or Morris design is evaluated in one call (:func:`model_outputs` builds such a
function for a point model: one compiled, batched :func:`neurodyn.simulate` call per design).

References
----------
Saltelli A (2002). Making best use of model evaluations to compute sensitivity indices.
Comput Phys Commun 145:280–297. Saltelli A et al. (2010). Variance based sensitivity analysis
of model output. Design and estimator for the total sensitivity index. Comput Phys Commun
181:259–270. Morris MD (1991). Factorial sampling plans for preliminary computational
experiments. Technometrics 33:161–174. Campolongo F, Cariboni J, Saltelli A (2007). An
effective screening design for sensitivity analysis of large models. Environ Model Softw
22:1509–1518. Herman J, Usher W (2017). SALib: An open-source Python library for sensitivity
analysis. J Open Source Softw 2:97.

.. code-block:: bibtex

    @article{saltelli2010variance, author = {Saltelli, A. and Annoni, P. and Azzini, I. and
      Campolongo, F. and Ratto, M. and Tarantola, S.}, title = {Variance based sensitivity
      analysis of model output. {Design} and estimator for the total sensitivity index},
      journal = {Computer Physics Communications}, volume = {181}, pages = {259--270},
      year = {2010}}
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..fitting.problem import as_free_parameters as _params
from ..fitting.problem import from_unit

__all__ = ["SensitivityResult", "local_sensitivity", "model_outputs", "morris", "sobol"]

OUTPUTS = ("spike_count", "rate", "mean_v", "max_v", "min_v", "first_spike")


def _salib() -> Any:
    try:
        import SALib
    except ImportError:  # pragma: no cover - the test extra installs it
        raise ImportError("neurodyn.uncertainty needs SALib. Fix: pip install "
                          "'neurodyn[uncertainty]' (or pip install SALib).") from None
    return SALib


def _outputs(y: Any, n: int, who: str) -> dict[str, np.ndarray]:
    """The outputs of a batched function as ``{name: (n,)}``."""
    if isinstance(y, Mapping):
        out = {str(k): np.asarray(v, dtype=float).reshape(-1) for k, v in y.items()}
    else:
        arr = np.asarray(y, dtype=float)
        arr = arr[:, None] if arr.ndim == 1 else arr
        if arr.ndim != 2:
            raise ParameterError(f"{who}: the function must return (n,), (n, k) or a mapping of "
                                 f"(n,) arrays; got shape {arr.shape}.")
        out = {"y" if arr.shape[1] == 1 else f"y{j}": arr[:, j] for j in range(arr.shape[1])}
    for k, v in out.items():
        if v.shape != (n,):
            raise ParameterError(f"{who}: output {k!r} has {v.size} values for {n} parameter "
                                 "sets. Fix: return one value per row of x.")
    return out


def _check_finite(name: str, y: np.ndarray, x: np.ndarray, params: Sequence[Any], who: str,
                  nan_value: float | None) -> np.ndarray:
    bad = ~np.isfinite(y)
    if not bad.any():
        return y
    if nan_value is not None:
        return np.where(bad, float(nan_value), y)
    k = int(np.argmax(bad))
    example = ", ".join(f"{p.path}={x[k, j]:.4g}" for j, p in enumerate(params))
    raise ParameterError(
        f"{who}: output {name!r} is NaN or infinite for {int(bad.sum())} of {y.size} parameter "
        f"sets (e.g. {example}); variance-based indices need a value everywhere. Fix: narrow the "
        "bounds, use an output defined everywhere (spike_count rather than first_spike), or pass "
        "nan_value=... to score undefined outputs with a number (e.g. the simulated duration).")


@dataclass
class SensitivityResult:
    """Indices per output.

    Attributes
    ----------
    method: ``"sobol"`` or ``"morris"``.
    names: parameter paths, in order.
    indices: ``{output: {index: (d,) array}}``. Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
        (and ``S2``, ``S2_conf`` as ``(d, d)`` with ``second_order=True``); Morris: ``mu``,
        ``mu_star``, ``sigma``, ``mu_star_conf``. Confidence half-widths are bootstrap intervals
        at ``conf_level``.
    n_evaluations: model evaluations (rows of the design).
    x, y: the design ``(n, d)`` (physical units) and the outputs ``{output: (n,)}``.
    """

    method: str
    names: tuple[str, ...]
    indices: dict[str, dict[str, np.ndarray]]
    n_evaluations: int
    x: np.ndarray
    y: dict[str, np.ndarray]
    wall_s: float = 0.0
    sim_s: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(self.indices)

    def _key(self) -> str:
        return "ST" if self.method == "sobol" else "mu_star"

    def ranking(self, output: str | None = None, by: str | None = None) -> list[str]:
        """Parameter paths from most to least influential on ``output`` (default: the first) by
        ``by`` (default ``"ST"`` for Sobol, ``"mu_star"`` for Morris)."""
        output = output or self.outputs[0]
        if output not in self.indices:
            raise KeyError(f"no output {output!r}; outputs: {', '.join(self.outputs)}.")
        v = self.indices[output][by or self._key()]
        return [self.names[j] for j in np.argsort(-np.asarray(v), kind="stable")]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "names": list(self.names),
                "n_evaluations": self.n_evaluations, "wall_s": self.wall_s, "sim_s": self.sim_s,
                "settings": self.settings,
                "indices": {o: {k: np.asarray(v).tolist() for k, v in d.items()}
                            for o, d in self.indices.items()},
                "ranking": {o: self.ranking(o) for o in self.outputs}}

    def table(self, output: str | None = None) -> str:
        """A Markdown table of the indices of ``output`` (default: every output)."""
        rows = []
        for o in ([output] if output else self.outputs):
            d = self.indices[o]
            if self.method == "sobol":
                rows += [f"**{o}**", "", "| parameter | S1 | ± | ST | ± |", "|---|---|---|---|---|"]
                rows += [f"| {n} | {d['S1'][j]:.3f} | {d['S1_conf'][j]:.3f} | {d['ST'][j]:.3f} | "
                         f"{d['ST_conf'][j]:.3f} |" for j, n in self._order(o)]
            else:
                rows += [f"**{o}**", "", "| parameter | mu* | ± | mu | sigma |", "|---|---|---|---|---|"]
                rows += [f"| {n} | {d['mu_star'][j]:.4g} | {d['mu_star_conf'][j]:.3g} | "
                         f"{d['mu'][j]:.4g} | {d['sigma'][j]:.4g} |" for j, n in self._order(o)]
            rows.append("")
        return "\n".join(rows)

    def _order(self, output: str) -> list[tuple[int, str]]:
        return [(self.names.index(n), n) for n in self.ranking(output)]

    def plot(self, path: str | None = None, output: str | None = None) -> Any:
        """Ranking figure: per output, horizontal bars of the indices (Sobol: first order and
        total with their confidence intervals; Morris: mu* against sigma), most influential on
        top. Returns the figure (saved to ``path`` if given)."""
        from ..plotting import _figure

        outs = [output] if output else list(self.outputs)
        fig = _figure((4.2 * len(outs), 0.45 * len(self.names) + 1.6))
        axes = fig.subplots(1, len(outs), squeeze=False)
        for ax, o in zip(axes[0], outs):
            d = self.indices[o]
            order = [j for j, _ in self._order(o)][::-1]
            yk = np.arange(len(order))
            labels = [self.names[j] for j in order]
            if self.method == "sobol":
                ax.barh(yk + 0.2, d["ST"][order], 0.4, xerr=d["ST_conf"][order], label="total (ST)",
                        color="C0")
                ax.barh(yk - 0.2, d["S1"][order], 0.4, xerr=d["S1_conf"][order],
                        label="first order (S1)", color="C1")
                ax.set_xlabel("Sobol index (fraction of output variance)")
                ax.set_xlim(left=min(0.0, float(np.nanmin(d["S1"])) - 0.05))
            else:
                ax.barh(yk + 0.2, d["mu_star"][order], 0.4, xerr=d["mu_star_conf"][order],
                        label="mu* (mean |effect|)", color="C0")
                ax.barh(yk - 0.2, d["sigma"][order], 0.4, label="sigma (interactions)", color="C1")
                ax.set_xlabel(f"elementary effect ({o} units)")
            ax.set_yticks(yk, labels)
            ax.set_title(o)
            ax.legend(fontsize=8, loc="lower right")
        fig.suptitle(f"{'Sobol' if self.method == 'sobol' else 'Morris'} sensitivity "
                     f"({self.n_evaluations} evaluations)")
        if path:
            fig.savefig(path, dpi=120)
        return fig


def _problem(params: Sequence[Any]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.path for p in params],
            "bounds": [[0.0, 1.0]] * len(params)}


def _evaluate(fn: Callable[[np.ndarray], Any], x: np.ndarray, who: str) -> tuple[dict, float]:
    t0 = time.perf_counter()
    y = fn(x)
    return _outputs(y, x.shape[0], who), time.perf_counter() - t0


def sobol(fn: Callable[[np.ndarray], Any], params: Sequence[Any], n: int = 1024, *,
          seed: int = 0, second_order: bool = False, num_resamples: int = 100,
          conf_level: float = 0.95, nan_value: float | None = None) -> SensitivityResult:
    """Sobol indices of every output of ``fn`` (see the module docstring) with SALib.

    ``n`` base samples (a power of 2) give ``n (d + 2)`` evaluations (``n (2d + 2)`` with
    ``second_order``), drawn from Sobol' sequences (Saltelli's scheme, scrambled with ``seed``)
    and evaluated in one call of ``fn``; first-order ``S1`` and total ``ST`` indices by the
    estimators of Saltelli et al. (2010), bootstrap confidence intervals.
    """
    _salib()
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    params = _params(params, "sobol")
    if not isinstance(n, int | np.integer) or n < 2 or n & (n - 1):
        raise ParameterError(f"sobol.n must be a power of 2 (>= 2) for Sobol' sequences; got "
                             f"{n!r}. Fix: e.g. n={2 ** max(1, round(math.log2(max(n, 2))))}.")
    t0 = time.perf_counter()
    prob = _problem(params)
    u = sample.sample(prob, int(n), calc_second_order=second_order, scramble=True, seed=seed)
    x = from_unit(params, u)
    ys, sim_s = _evaluate(fn, x, "sobol")
    indices = {}
    for name, y in ys.items():
        y = _check_finite(name, y, x, params, "sobol", nan_value)
        if np.ptp(y) == 0:
            raise ParameterError(f"sobol: output {name!r} is the same ({y[0]:g}) for every "
                                 "parameter set, so its variance has nothing to apportion. "
                                 "Fix: widen the bounds or choose another output.")
        r = analyze.analyze(prob, y, calc_second_order=second_order, num_resamples=num_resamples,
                            conf_level=conf_level, seed=seed)
        keys = ["S1", "S1_conf", "ST", "ST_conf"] + (["S2", "S2_conf"] if second_order else [])
        indices[name] = {k: np.asarray(r[k], dtype=float) for k in keys}
    return SensitivityResult("sobol", tuple(p.path for p in params), indices, x.shape[0], x, ys,
                             time.perf_counter() - t0, sim_s,
                             {"n": int(n), "seed": seed, "second_order": second_order,
                              "conf_level": conf_level,
                              "transforms": {p.path: p.transform for p in params}})


def morris(fn: Callable[[np.ndarray], Any], params: Sequence[Any], trajectories: int = 20, *,
           levels: int = 4, seed: int = 0, num_resamples: int = 1000, conf_level: float = 0.95,
           nan_value: float | None = None) -> SensitivityResult:
    """Morris elementary effects (screening) of every output of ``fn`` with SALib:
    ``trajectories (d + 1)`` evaluations in one call; ``mu_star`` (mean absolute effect,
    Campolongo et al. 2007) ranks the parameters, ``sigma`` flags non-linearity or
    interactions. Effects are per unit of the search coordinate (the whole range = 1)."""
    _salib()
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    params = _params(params, "morris")
    if trajectories < 2:
        raise ParameterError(f"morris.trajectories must be >= 2; got {trajectories!r}.")
    if levels < 2 or levels % 2:
        raise ParameterError(f"morris.levels must be an even number >= 2; got {levels!r}.")
    t0 = time.perf_counter()
    prob = _problem(params)
    u = sample.sample(prob, int(trajectories), num_levels=levels, seed=seed)
    x = from_unit(params, u)
    ys, sim_s = _evaluate(fn, x, "morris")
    indices = {}
    for name, y in ys.items():
        y = _check_finite(name, y, x, params, "morris", nan_value)
        r = analyze.analyze(prob, u, y, num_levels=levels, num_resamples=num_resamples,
                            conf_level=conf_level, seed=seed)
        indices[name] = {k: np.asarray(r[k], dtype=float)
                         for k in ("mu", "mu_star", "sigma", "mu_star_conf")}
    return SensitivityResult("morris", tuple(p.path for p in params), indices, x.shape[0], x, ys,
                             time.perf_counter() - t0, sim_s,
                             {"trajectories": int(trajectories), "levels": levels, "seed": seed,
                              "conf_level": conf_level,
                              "transforms": {p.path: p.transform for p in params}})


def model_outputs(model: Any, paths: Sequence[str], outputs: Sequence[str], *, t_stop: float,
                  dt: float = 0.025, window: tuple[float, float] | None = None,
                  **simulate_kwargs: Any) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """A batched function ``x (n, d) -> {output: (n,)}`` that runs ``model`` with the
    parameters ``paths`` (model parameters or ``"stimulus[.j].amplitude"``-style paths, as in
    ``simulate(batch=...)``) set from the rows of ``x``, in one :func:`neurodyn.simulate` call.

    Outputs over ``window = (start, stop)`` ms (default: the whole run): ``"spike_count"``;
    ``"rate"`` (Hz); ``"mean_v"``, ``"max_v"``, ``"min_v"`` (mV, of the model's voltage);
    ``"first_spike"`` (ms after ``start``; NaN without a spike). ``simulate_kwargs`` go to
    :func:`neurodyn.simulate` (``stimulus``, ``method``, ...).
    """
    from ..engine.simulate import simulate

    unknown = [o for o in outputs if o not in OUTPUTS]
    if unknown or not outputs:
        raise ParameterError(f"model_outputs: unknown output {unknown[0] if unknown else None!r}."
                             f" Known: {', '.join(OUTPUTS)}.")
    start, stop = window if window is not None else (0.0, float(t_stop))
    if not 0.0 <= start < stop <= t_stop:
        raise ParameterError(f"model_outputs.window must satisfy 0 <= start < stop <= t_stop "
                             f"({t_stop:g} ms); got {window!r}.")
    paths = tuple(paths)
    spiking = any(o in ("spike_count", "rate", "first_spike") for o in outputs)
    vvar = getattr(model, "voltage_var", "v")

    def fn(x: np.ndarray) -> dict[str, np.ndarray]:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != len(paths):
            raise ParameterError(f"model_outputs: x must have {len(paths)} columns "
                                 f"({', '.join(paths)}); got shape {x.shape}.")
        kw = dict(simulate_kwargs)
        kw.setdefault("throw", "continue")
        spikes = spiking or kw.pop("spikes", False)
        res = simulate(model, t_stop, dt, batch={p: x[:, j] for j, p in enumerate(paths)},
                       spikes=spikes, record=[vvar], **kw)
        out: dict[str, np.ndarray] = {}
        if spiking:
            trains = res.spikes.trains()
            inwin = [np.asarray(t)[(np.asarray(t) >= start) & (np.asarray(t) < stop)]
                     for t in trains]
            count = np.array([t.size for t in inwin], dtype=float)
            if "spike_count" in outputs:
                out["spike_count"] = count
            if "rate" in outputs:
                out["rate"] = count / ((stop - start) / 1000.0)
            if "first_spike" in outputs:
                out["first_spike"] = np.array([t[0] - start if t.size else np.nan for t in inwin])
        if any(o.endswith("_v") for o in outputs):
            v = np.asarray(res.traces[vvar], dtype=float).reshape(x.shape[0], -1)
            tt = np.asarray(res.t)
            sel = (tt >= start) & (tt < stop)
            for o, f in (("mean_v", np.mean), ("max_v", np.max), ("min_v", np.min)):
                if o in outputs:
                    out[o] = f(v[:, sel], axis=1)
        return {o: out[o] for o in outputs}

    return fn


def local_sensitivity(fn: Callable[[Mapping[str, Any]], Any], x0: Mapping[str, float], *,
                      relative: bool = True) -> dict[str, dict[str, float]]:
    """Local sensitivities at ``x0`` by automatic differentiation (``jax.jacrev``).

    ``fn(values) -> output`` maps a dict of scalar parameters to a scalar or a mapping of
    scalar outputs, written with JAX (e.g. a :func:`neurodyn.simulate` run with
    ``batch={path: value}`` reduced to a smooth output). Returns ``{output: {path: value}}``:
    ``d output / d path`` or, with ``relative=True``, the elasticities
    ``(x / y) d y / d x`` (the % change of the output per % change of the parameter).
    """
    import jax
    import jax.numpy as jnp

    names = list(x0)
    if not names:
        raise ParameterError("local_sensitivity: x0 is empty. Fix: give {path: value}.")
    vec = jnp.asarray([float(x0[k]) for k in names])

    def f(v: Any) -> Any:
        y = fn({k: v[j] for j, k in enumerate(names)})
        return dict(y) if isinstance(y, Mapping) else {"y": y}

    y0 = {k: float(v) for k, v in f(vec).items()}
    jac = jax.jacrev(f)(vec)
    out: dict[str, dict[str, float]] = {}
    for o, g in jac.items():
        g = np.asarray(g, dtype=float)
        if not np.all(np.isfinite(g)):
            raise ParameterError(f"local_sensitivity: the derivative of {o!r} is not finite at "
                                 f"{dict(x0)} (a spike threshold crossed? a NaN in the run?). "
                                 "Fix: choose a smooth output or another point.")
        if relative:
            if y0[o] == 0:
                raise ParameterError(f"local_sensitivity: output {o!r} is 0 at x0, so relative "
                                     "sensitivities are undefined. Fix: relative=False.")
            g = g * np.array([float(x0[k]) for k in names]) / y0[o]
        out[o] = {k: float(g[j]) for j, k in enumerate(names)}
    return out
