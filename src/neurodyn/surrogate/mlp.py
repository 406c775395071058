"""A multilayer perceptron surrogate of a neuron's input–output map, trained with optax.

Inputs and outputs are standardised with the training data's mean and SD; hidden layers use
``tanh``. The surrogate remembers the box its training inputs covered and warns when it is
queried outside it (:class:`SurrogateRangeWarning`): an MLP extrapolates without any guarantee.
Outputs named ``rate...`` are clipped at 0.

Reference: Kingma DP, Ba J (2015). Adam: a method for stochastic optimization. ICLR (the
optimiser, from optax).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["Surrogate", "SurrogateRangeWarning", "train_surrogate"]


class SurrogateRangeWarning(UserWarning):
    """A surrogate was queried outside the range of its training inputs."""


def _forward(params: Sequence[tuple[Any, Any]], x: Any, xp: Any) -> Any:
    h = x
    for W, b in params[:-1]:
        h = xp.tanh(h @ W + b)
    W, b = params[-1]
    return h @ W + b


@dataclass
class Surrogate:
    """A trained MLP (see the module docstring): ``surrogate(x)`` maps inputs ``(n, d_in)``
    (physical units, :attr:`inputs`) to outputs ``(n, d_out)`` (:attr:`outputs`)."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    weights: list[tuple[np.ndarray, np.ndarray]]
    x_mean: np.ndarray
    x_sd: np.ndarray
    y_mean: np.ndarray
    y_sd: np.ndarray
    x_lo: np.ndarray
    x_hi: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def check_range(self, x: Any, *, warn: bool = True) -> np.ndarray:
        """Boolean ``(n,)``: rows of ``x`` outside the training box (with a warning)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        tol = 1e-9 * (self.x_hi - self.x_lo)
        out = np.any((x < self.x_lo - tol) | (x > self.x_hi + tol), axis=1)
        if warn and out.any():
            j = int(np.argmax(out))
            box = ", ".join(f"{n} in [{lo:.4g}, {hi:.4g}]"
                            for n, lo, hi in zip(self.inputs, self.x_lo, self.x_hi))
            warnings.warn(f"Surrogate queried outside its training range for {int(out.sum())} "
                          f"of {len(out)} inputs (e.g. {dict(zip(self.inputs, x[j].round(4)))}); "
                          f"trained on {box}. Its outputs there are extrapolations. Fix: train on "
                          "a wider range, or keep the inputs inside it.",
                          SurrogateRangeWarning, stacklevel=2)
        return out

    def __call__(self, x: Any, *, warn: bool = True) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != len(self.inputs):
            raise ParameterError(f"Surrogate: inputs must have {len(self.inputs)} columns "
                                 f"({', '.join(self.inputs)}); got shape {x.shape}.")
        self.check_range(x, warn=warn)
        return np.asarray(self.apply(x, np))

    def apply(self, x: Any, xp: Any = np) -> Any:
        """The map as a pure function of ``x`` in the namespace ``xp`` (``numpy`` or
        ``jax.numpy``; no range check), for use inside compiled loops."""
        z = (x - xp.asarray(self.x_mean)) / xp.asarray(self.x_sd)
        w = [(xp.asarray(W), xp.asarray(b)) for W, b in self.weights]
        y = _forward(w, z, xp) * xp.asarray(self.y_sd) + xp.asarray(self.y_mean)
        clip = np.array([o.startswith("rate") for o in self.outputs])
        return xp.where(xp.asarray(clip), xp.maximum(y, 0.0), y)

    def save(self, path: str) -> str:
        arrays = {f"W{k}": W for k, (W, _) in enumerate(self.weights)}
        arrays.update({f"b{k}": b for k, (_, b) in enumerate(self.weights)})
        np.savez(path, inputs=np.array(self.inputs), outputs=np.array(self.outputs),
                 x_mean=self.x_mean, x_sd=self.x_sd, y_mean=self.y_mean, y_sd=self.y_sd,
                 x_lo=self.x_lo, x_hi=self.x_hi, n_layers=len(self.weights), **arrays)
        return path

    @classmethod
    def load(cls, path: str) -> Surrogate:
        with np.load(path) as f:
            n = int(f["n_layers"])
            return cls(tuple(str(s) for s in f["inputs"]), tuple(str(s) for s in f["outputs"]),
                       [(f[f"W{k}"], f[f"b{k}"]) for k in range(n)], f["x_mean"], f["x_sd"],
                       f["y_mean"], f["y_sd"], f["x_lo"], f["x_hi"])


def r2_score(y: Any, y_hat: Any) -> np.ndarray:
    """Coefficient of determination per output column: ``1 - SS_res / SS_tot`` (a 1-D input
    is one column)."""
    y = np.asarray(y, dtype=float)
    y_hat = np.asarray(y_hat, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    y_hat = y_hat[:, None] if y_hat.ndim == 1 else y_hat
    ss_res = np.sum((y - y_hat) ** 2, axis=0)
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    return 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, np.nan)


def train_surrogate(x: Any, y: Any, inputs: Sequence[str], outputs: Sequence[str], *,
                    hidden: Sequence[int] = (64, 64), steps: int = 4000,
                    learning_rate: float = 3e-3, validation: float = 0.2, seed: int = 0
                    ) -> tuple[Surrogate, dict[str, Any]]:
    """Fit an MLP to ``x`` ``(n, d_in)`` → ``y`` ``(n, d_out)`` by full-batch Adam on the mean
    squared error of standardised outputs; a random ``validation`` fraction is held out. Returns
    the surrogate (the weights of the step with the lowest validation error) and a report:
    ``r2_train``, ``r2_validation`` (per output), ``train_s``, ``n_train``, ``n_validation``,
    and the held-out indices."""
    import jax
    import jax.numpy as jnp
    import optax

    x = np.atleast_2d(np.asarray(x, dtype=float))
    y = np.asarray(y, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    if x.shape[0] != y.shape[0] or x.shape[1] != len(inputs) or y.shape[1] != len(outputs):
        raise ParameterError(f"train_surrogate: x must be (n, {len(inputs)}) and y (n, "
                             f"{len(outputs)}) with the same n; got {x.shape} and {y.shape}.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ParameterError("train_surrogate: x and y must be finite (drop failed simulations).")
    if not 0 < validation < 0.9 or x.shape[0] < 10:
        raise ParameterError(f"train_surrogate: need >= 10 samples and 0 < validation < 0.9; got "
                             f"{x.shape[0]} samples, validation={validation!r}.")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(x.shape[0])
    n_val = max(1, round(validation * x.shape[0]))
    val, tr = perm[:n_val], perm[n_val:]
    x_mean, x_sd = x[tr].mean(0), x[tr].std(0)
    y_mean, y_sd = y[tr].mean(0), y[tr].std(0)
    x_sd = np.where(x_sd > 0, x_sd, 1.0)
    y_sd = np.where(y_sd > 0, y_sd, 1.0)
    zx = jnp.asarray((x - x_mean) / x_sd)
    zy = jnp.asarray((y - y_mean) / y_sd)
    sizes = [x.shape[1], *hidden, y.shape[1]]
    keys = jax.random.split(jax.random.PRNGKey(seed), len(sizes) - 1)
    params = [(jax.random.normal(k, (a, b)) * np.sqrt(1.0 / a), jnp.zeros(b))
              for k, a, b in zip(keys, sizes[:-1], sizes[1:])]
    opt = optax.adam(optax.cosine_decay_schedule(learning_rate, steps, alpha=0.05))
    state = opt.init(params)
    tr_j, val_j = jnp.asarray(tr), jnp.asarray(val)

    def loss(p: Any, idx: Any) -> Any:
        return jnp.mean((_forward(p, zx[idx], jnp) - zy[idx]) ** 2)

    @jax.jit
    def update(p: Any, s: Any) -> Any:
        lv, g = jax.value_and_grad(loss)(p, tr_j)
        u, s = opt.update(g, s)
        return optax.apply_updates(p, u), s, lv, loss(p, val_j)

    t0 = time.perf_counter()
    best, best_val = params, np.inf
    for _ in range(int(steps)):
        new, state, _, lval = update(params, state)
        if float(lval) < best_val:
            best, best_val = params, float(lval)
        params = new
    train_s = time.perf_counter() - t0
    sur = Surrogate(tuple(inputs), tuple(outputs),
                    [(np.asarray(W), np.asarray(b)) for W, b in best], x_mean, x_sd, y_mean, y_sd,
                    x[tr].min(0), x[tr].max(0), {"hidden": list(hidden), "steps": int(steps)})
    pred = sur(x, warn=False)
    report = {"r2_train": dict(zip(outputs, r2_score(y[tr], pred[tr]).tolist())),
              "r2_validation": dict(zip(outputs, r2_score(y[val], pred[val]).tolist())),
              "train_s": train_s, "n_train": int(tr.size), "n_validation": int(val.size),
              "validation_index": val}
    sur.info.update({k: v for k, v in report.items() if k != "validation_index"})
    return sur, report
