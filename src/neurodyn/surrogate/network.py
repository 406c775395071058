"""A network whose neurons are a surrogate's rate map: each neuron's firing rate follows what the
detailed cell would fire given the mean and fluctuation of its input current.

Neuron ``i`` receives external drive with mean ``mu_i`` and SD ``sigma_i`` (nA, OU noise with
correlation time ``tau_syn``) and recurrent current-based exponential synapses (``weight[i, k]``
nA from ``pre[i, k]``, time constant ``tau_syn`` ms), as in
:func:`neurodyn.cable.coupled.simulate_population`. For Poisson-like presynaptic firing at rates
``r`` (Hz), a synapse's current has mean ``w r tau_syn`` and variance ``w^2 r tau_syn / 2``
(shot noise through an exponential kernel, Campbell's theorem), so the total input has

``mu_tot = mu + sum_k w_k r_k tau_syn / 1000``, ``sigma_tot^2 = sigma^2 + sum_k w_k^2 r_k tau_syn / 2000``

and the rates relax to the surrogate's prediction: ``tau_rate dr/dt = -r + f(mu_tot, sigma_tot)``
(Wilson & Cowan 1972; the mean-field closure of Brunel 2000). Integrated with forward Euler at
``dt`` in one compiled loop.

``table=m`` (default 129) tabulates the surrogate on an ``m x m`` grid over its training box once
and interpolates bilinearly in the loop (the MLP costs thousands of operations per neuron and
step, the table a few); ``table=None`` evaluates the MLP itself at every step. The tabulation
error (largest difference from the MLP at the cell centres) is reported.

References: Wilson HR, Cowan JD (1972). Excitatory and inhibitory interactions in localized
populations of model neurons. Biophys J 12:1–24. Brunel N (2000). Dynamics of sparsely connected
networks of excitatory and inhibitory spiking neurons. J Comput Neurosci 8:183–208.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import caches
from ..errors import ParameterError

__all__ = ["RateNetworkResult", "simulate_rate_network"]


@dataclass
class RateNetworkResult:
    """``rates`` ``(n,)`` Hz averaged over ``[t_start, t_stop)``; ``trace`` ``(n_steps,)`` the
    population-mean rate (Hz) per step; ``mu``, ``sigma`` the final input statistics (nA);
    ``outside`` how many (neuron, step) queries left the surrogate's training range."""

    rates: np.ndarray
    trace: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    dt: float
    wall_s: float
    outside: int
    table_error: float = 0.0


def simulate_rate_network(surrogate: Any, n: int, t_stop: float, dt: float = 0.5, *,
                          mu: Any = 0.0, sigma: Any = 0.0, pre: Any = None, weight: Any = None,
                          tau_syn: float = 5.0, tau_rate: float = 10.0, t_start: float = 0.0,
                          r0: Any = 0.0, table: int | None = 129) -> RateNetworkResult:
    """Simulate ``n`` surrogate neurons (see the module docstring). The surrogate's inputs must
    be ``(mu_nA, sigma_nA)`` and its first output the rate (Hz). A run whose inputs leave the
    training range warns (:class:`~neurodyn.surrogate.SurrogateRangeWarning`)."""
    import warnings

    import jax
    import jax.numpy as jnp

    from .mlp import SurrogateRangeWarning

    if tuple(surrogate.inputs[:2]) != ("mu_nA", "sigma_nA") or len(surrogate.inputs) != 2:
        raise ParameterError(f"simulate_rate_network: the surrogate's inputs must be "
                             f"('mu_nA', 'sigma_nA'); got {surrogate.inputs}.")
    if not dt < tau_rate:
        raise ParameterError(f"simulate_rate_network.dt ({dt} ms) must be below tau_rate "
                             f"({tau_rate} ms) for forward Euler. Fix: dt = {tau_rate / 10:g}.")
    mu = jnp.asarray(np.broadcast_to(np.asarray(mu, dtype=float), (n,)))
    sigma = jnp.asarray(np.broadcast_to(np.asarray(sigma, dtype=float), (n,)))
    if pre is None:
        pre_a, w_a = jnp.zeros((n, 1), int), jnp.zeros((n, 1))
    else:
        pre_a, w_a = jnp.asarray(pre), jnp.asarray(weight, dtype=float)
        if pre_a.shape != w_a.shape or pre_a.shape[0] != n:
            raise ParameterError(f"simulate_rate_network: pre and weight must both be (n, K); "
                                 f"got {pre_a.shape} and {w_a.shape}.")
    n_steps = round(t_stop / dt)
    k0 = round(t_start / dt)
    lo, hi = np.asarray(surrogate.x_lo, dtype=float), np.asarray(surrogate.x_hi, dtype=float)
    table_error = 0.0
    if table:
        grid = [np.linspace(lo[j], hi[j], int(table)) for j in range(2)]
        gm, gs = np.meshgrid(*grid, indexing="ij")
        tab = surrogate.apply(np.stack([gm.ravel(), gs.ravel()], 1), np)[:, 0].reshape(gm.shape)
        mid = [0.5 * (g[1:] + g[:-1]) for g in grid]
        cm, cs = np.meshgrid(*mid, indexing="ij")
        exact = surrogate.apply(np.stack([cm.ravel(), cs.ravel()], 1), np)[:, 0]
        approx = 0.25 * (tab[1:, 1:] + tab[:-1, 1:] + tab[1:, :-1] + tab[:-1, :-1]).ravel()
        table_error = float(np.max(np.abs(exact - approx)))
        key = ("table", int(table), tuple(lo), tuple(hi), n, pre_a.shape[1], n_steps, k0,
               float(dt), float(tau_syn), float(tau_rate))
    else:
        tab = None
        key = ("mlp", id(surrogate), tuple(lo), tuple(hi), n, pre_a.shape[1], n_steps, k0,
               float(dt), float(tau_syn), float(tau_rate))

    def rate_of(x: Any, tab_j: Any) -> Any:
        if tab_j is None:
            return surrogate.apply(x, jnp)[:, 0]
        m = int(table) - 1
        f = (x - jnp.asarray(lo)) / jnp.asarray(hi - lo) * m
        f = jnp.clip(f, 0.0, m)
        i0 = jnp.clip(jnp.floor(f).astype(int), 0, m - 1)
        w = f - i0
        a, b = i0[:, 0], i0[:, 1]
        wa, wb = w[:, 0], w[:, 1]
        return ((1 - wa) * (1 - wb) * tab_j[a, b] + wa * (1 - wb) * tab_j[a + 1, b]
                + (1 - wa) * wb * tab_j[a, b + 1] + wa * wb * tab_j[a + 1, b + 1])

    run = _CACHE.get(key)
    if run is None:
        lo_j, hi_j = jnp.asarray(lo), jnp.asarray(hi)

        @jax.jit
        def run(r0: Any, mu: Any, sigma: Any, pre_a: Any, w_a: Any, tab_j: Any) -> Any:
            def totals(r: Any) -> Any:
                rp = r[pre_a]
                m = mu + jnp.sum(w_a * rp, axis=1) * tau_syn / 1000.0
                s = jnp.sqrt(sigma**2 + jnp.sum(w_a**2 * rp, axis=1) * tau_syn / 2000.0)
                return m, s

            def step(c: Any, k: Any) -> Any:
                r, acc, out = c
                m, s = totals(r)
                x = jnp.stack([m, s], axis=1)
                out = out + jnp.sum(jnp.any((x < lo_j) | (x > hi_j), axis=1))
                r = r + dt / tau_rate * (rate_of(x, tab_j) - r)
                acc = acc + jnp.where(k >= k0, r, 0.0)
                return (r, acc, out), jnp.mean(r)

            init = (jnp.broadcast_to(jnp.asarray(r0, dtype=float), (n,)), jnp.zeros(n), 0)
            (r, acc, out), trace = jax.lax.scan(step, init, jnp.arange(n_steps))
            m, s = totals(r)
            return acc / (n_steps - k0), trace, m, s, out

        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = run

    t0 = time.perf_counter()
    rates, trace, m, s, out = run(r0, mu, sigma, pre_a, w_a,
                                  None if tab is None else jnp.asarray(tab))
    rates = np.asarray(rates)
    wall = time.perf_counter() - t0
    if int(out):
        warnings.warn(f"simulate_rate_network: the input statistics left the surrogate's training "
                      f"range in {int(out)} neuron-steps (final mu {float(jnp.min(m)):.3g}.."
                      f"{float(jnp.max(m)):.3g} nA, sigma up to {float(jnp.max(s)):.3g} nA); "
                      "rates there are extrapolated. Fix: train the surrogate on a wider range.",
                      SurrogateRangeWarning, stacklevel=2)
    return RateNetworkResult(rates, np.asarray(trace), np.asarray(m), np.asarray(s), dt, wall,
                             int(out), table_error)


_CACHE: dict[Any, Any] = {}
caches.register(_CACHE.clear)
