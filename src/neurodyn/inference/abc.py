"""ABC-SMC: approximate Bayesian computation by sequential Monte Carlo, with every population
proposed and simulated as one batch. Needs no PyTorch: the baseline and fallback for
:func:`~neurodyn.inference.fit_npe`.

Algorithm (Toni et al. 2009; weights and the perturbation kernel of Beaumont et al. 2009), in
the unit coordinates ``u`` of the prior (uniform on [0, 1]^d):

1. Generation 0 draws ``population`` particles from the prior and simulates them; the distance of
   a particle is the Euclidean norm of its statistics minus the observed ones, each divided by
   its scale (the median absolute deviation of the prior-predictive statistics).
2. Each later generation sets its tolerance ``eps`` to the ``quantile`` of the previous accepted
   distances, and proposes batches: resample a particle by weight, perturb it with a Gaussian of
   twice the weighted covariance, drop proposals outside the box, simulate, accept those within
   ``eps``, until ``population`` are accepted.
3. Weights: ``w ∝ prior(u) / Σ_j w_j K(u | u_j)`` (the prior is constant on the box).

It stops after ``generations``, when a generation accepts fewer than ``min_acceptance`` of its
proposals, or when ``max_simulations`` are spent.

References: Toni T, Welch D, Strelkowa N, Ipsen A, Stumpf MPH (2009). Approximate Bayesian
computation scheme for parameter inference and model selection in dynamical systems. J R Soc
Interface 6:187–202. Beaumont MA, Cornuet J-M, Marin J-M, Robert CP (2009). Adaptive approximate
Bayesian computation. Biometrika 96:983–990.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["ABCResult", "abc_smc"]


@dataclass
class ABCResult:
    """The final ABC-SMC population: ``u`` ``(population, d)`` unit coordinates, ``x`` the
    same in physical units, ``weights`` (sum 1), ``distances``; ``history`` one entry per
    generation (``eps``, ``acceptance``, ``simulations``, ``wall_s``)."""

    params: tuple[Any, ...]
    u: np.ndarray
    x: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    history: list[dict[str, float]]
    n_simulations: int
    simulation_s: float
    stopped: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.params)

    def sample(self, n: int = 1000, *, seed: int = 0) -> np.ndarray:
        """``n`` draws (physical units) from the weighted population."""
        rng = np.random.default_rng(seed)
        return self.x[rng.choice(len(self.weights), size=n, p=self.weights)]

    def sample_unit(self, s_obs: Any = None, n: int = 1000, *, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return self.u[rng.choice(len(self.weights), size=n, p=self.weights)]

    def mean(self) -> dict[str, float]:
        return {p: float(np.sum(self.weights * self.x[:, j])) for j, p in enumerate(self.paths)}


def abc_smc(sim: Any, s_obs: Any, *, population: int = 500, generations: int = 8,
            quantile: float = 0.5, min_acceptance: float = 0.02,
            max_simulations: int = 200_000, seed: int = 0, progress: bool = False
            ) -> ABCResult:
    """ABC-SMC (see the module docstring) for the observed statistics ``s_obs`` ``(k,)`` of a
    :class:`~.simulator.Simulator` ``sim``."""
    if population < 10:
        raise ParameterError(f"abc_smc.population must be >= 10; got {population!r}.")
    if not 0 < quantile < 1:
        raise ParameterError(f"abc_smc.quantile must be in (0, 1); got {quantile!r}.")
    s_obs = np.asarray(s_obs, dtype=float).reshape(-1)
    if s_obs.size != len(sim.names):
        raise ParameterError(f"abc_smc: s_obs has {s_obs.size} statistics; the simulator gives "
                             f"{len(sim.names)} ({', '.join(sim.names[:4])}, ...).")
    rng = np.random.default_rng(seed)
    d = sim.dim
    t0 = time.perf_counter()
    sim_s = 0.0
    n_sims = 0
    call = 0

    def run(u: np.ndarray) -> np.ndarray:
        nonlocal sim_s, n_sims, call
        t1 = time.perf_counter()
        s = sim(sim.from_unit(u), seed=seed * 1_000_003 + call)
        call += 1
        sim_s += time.perf_counter() - t1
        n_sims += u.shape[0]
        return s

    u = rng.random((population, d))
    s = run(u)
    if not np.all(np.isfinite(s_obs)):
        s_obs = sim.filled(s_obs)
    med = np.median(s, axis=0)
    scale = 1.4826 * np.median(np.abs(s - med), axis=0)
    scale = np.where(scale > 0, scale, np.std(s, axis=0))
    if np.all(scale == 0):
        raise ParameterError("abc_smc: every statistic is the same in all prior simulations; "
                             "there is nothing to compare. Fix: widen the prior.")
    scale = np.where(scale > 0, scale, 1.0)

    def dist(s: np.ndarray) -> np.ndarray:
        return np.sqrt(np.sum(((s - s_obs) / scale) ** 2, axis=1))

    dd = dist(s)
    w = np.full(population, 1.0 / population)
    history = [{"generation": 0, "eps": float("inf"), "acceptance": 1.0, "simulations": n_sims,
                "median_distance": float(np.median(dd)), "wall_s": time.perf_counter() - t0}]
    stopped = f"{generations} generations"
    for gen in range(1, generations + 1):
        eps = float(np.quantile(dd, quantile))
        cov = 2.0 * np.cov(u.T, aweights=w).reshape(d, d) + 1e-12 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        inv = np.linalg.inv(cov)
        acc_u, acc_d, proposed = [], [], 0
        while sum(len(a) for a in acc_u) < population:
            if n_sims >= max_simulations:
                break
            m = max(population, 2 * population - sum(len(a) for a in acc_u))
            idx = rng.choice(population, size=m, p=w)
            prop = u[idx] + rng.standard_normal((m, d)) @ chol.T
            prop = prop[np.all((prop >= 0) & (prop <= 1), axis=1)]
            proposed += m
            if prop.size == 0:
                continue
            dp = dist(run(prop))
            keep = dp <= eps
            acc_u.append(prop[keep])
            acc_d.append(dp[keep])
            if proposed > 0 and sum(len(a) for a in acc_u) / proposed < min_acceptance \
                    and proposed >= 4 * population:
                break
        n_acc = sum(len(a) for a in acc_u)
        rate = n_acc / max(proposed, 1)
        if n_acc < population:
            stopped = (f"generation {gen}: acceptance {rate:.3g} below {min_acceptance:g}"
                       if n_sims < max_simulations else f"{max_simulations} simulations spent")
            history.append({"generation": gen, "eps": eps, "acceptance": rate,
                            "simulations": n_sims, "wall_s": time.perf_counter() - t0,
                            "median_distance": float("nan"), "incomplete": True})
            break
        new_u = np.concatenate(acc_u)[:population]
        new_d = np.concatenate(acc_d)[:population]
        diff = new_u[:, None, :] - u[None, :, :]
        kern = np.exp(-0.5 * np.einsum("ijk,kl,ijl->ij", diff, inv, diff))
        new_w = 1.0 / (kern @ w)
        u, dd, w = new_u, new_d, new_w / new_w.sum()
        history.append({"generation": gen, "eps": eps, "acceptance": rate, "simulations": n_sims,
                        "median_distance": float(np.median(dd)),
                        "wall_s": time.perf_counter() - t0})
        if progress:
            print(f"ABC-SMC generation {gen}: eps {eps:.4g}, acceptance {rate:.3f}, "
                  f"{n_sims} simulations, {time.perf_counter() - t0:.1f} s", flush=True)
    return ABCResult(sim.params, u, sim.from_unit(u), w, dd, history, n_sims, sim_s, stopped,
                     {"scale": scale.tolist(), "quantile": quantile, "population": population,
                      "ess": float(1.0 / np.sum(w**2))})
