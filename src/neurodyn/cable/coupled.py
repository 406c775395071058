"""Populations of multi-compartment cells driven by noisy currents and coupled by current-based
exponential synapses: one compiled loop over time, cells along the batch axis.

Every cell ``i`` of a population of identical :class:`~neurodyn.cable.Cell` objects receives, at
its ``inject`` location, the current (nA)

``I_i(t) = mu_i + x_i(t) + s_i(t)``

* ``x_i``: Ornstein–Uhlenbeck noise with stationary SD ``sigma_i`` (nA) and correlation time
  ``tau_noise`` (ms), exact update per step (Gillespie 1996), independent per cell;
* ``s_i``: recurrent synaptic current, ``ds_i/dt = -s_i / tau_syn``, jumping by
  ``weight[i, k]`` (nA; negative for inhibition) one step after presynaptic cell ``pre[i, k]``
  crosses ``threshold`` upwards at ``detect`` (a fixed in-degree table; the one-step delay is
  the transmission delay ``dt``).

With no connections (``pre=None``) the cells are independent: the same loop generates the
input–output data of single cells (firing rate against ``mu`` and ``sigma``) that surrogates
learn (:mod:`neurodyn.surrogate`).

References: Gillespie DT (1996). Exact numerical simulation of the Ornstein-Uhlenbeck process and
its integral. Phys Rev E 54:2084. Hines ML, Carnevale NT (1997). The NEURON simulation
environment. Neural Comput 9:1179–1209 (the time step of every cell).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from .cell import Cell, parse_location

__all__ = ["CoupledResult", "fixed_indegree", "simulate_population"]


def fixed_indegree(n: int, k_e: int, k_i: int, w_e: float, w_i: float,
                   rng: np.random.Generator | int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random excitatory/inhibitory connection table with fixed in-degree, in the ``(pre,
    weight)`` form of :func:`simulate_population` and
    :func:`~neurodyn.surrogate.simulate_rate_network`: every cell receives ``k_e`` inputs of
    weight ``w_e`` (nA, > 0) and then ``k_i`` of weight ``w_i`` (nA, < 0) from presynaptic cells
    drawn uniformly with replacement (autapses allowed). Returns ``pre`` and ``weight``, both
    ``(n, k_e + k_i)``."""
    if n < 1 or k_e < 0 or k_i < 0:
        raise ParameterError(f"fixed_indegree: need n >= 1 and k_e, k_i >= 0; got n={n}, "
                             f"k_e={k_e}, k_i={k_i}.")
    if w_e < 0 or w_i > 0:
        raise ParameterError(f"fixed_indegree: w_e must be >= 0 nA and w_i <= 0 nA; got "
                             f"w_e={w_e}, w_i={w_i}.")
    rng = np.random.default_rng(rng)
    pre = np.concatenate([rng.integers(0, n, (n, k_e)), rng.integers(0, n, (n, k_i))], 1)
    weight = np.concatenate([np.full((n, k_e), float(w_e)), np.full((n, k_i), float(w_i))], 1)
    return pre, weight


@dataclass
class CoupledResult:
    """``counts`` ``(n,)`` spikes per cell after ``t_start``; ``rates`` ``(n,)`` Hz over
    ``[t_start, t_stop)``; ``mean_v`` ``(n,)`` mean potential at ``detect`` (mV) over the same
    span; ``population_rate`` ``(n_bins,)`` Hz in ``bin_ms`` bins from 0; ``wall_s``."""

    counts: np.ndarray
    rates: np.ndarray
    mean_v: np.ndarray
    population_rate: np.ndarray
    bin_ms: float
    t_start: float
    t_stop: float
    wall_s: float
    n_compartments: int


def simulate_population(cell: Cell, n: int, t_stop: float, dt: float = 0.025, *,
                        mu: Any = 0.0, sigma: Any = 0.0, tau_noise: float = 5.0,
                        pre: Any = None, weight: Any = None, tau_syn: float = 5.0,
                        t_start: float = 0.0, bin_ms: float = 1.0, seed: int = 0,
                        inject: str = "soma(0.5)", detect: str = "soma(0.5)",
                        threshold: float = 0.0, method: str = "backward_euler") -> CoupledResult:
    """Simulate ``n`` copies of ``cell`` (see the module docstring) for ``t_stop`` ms at ``dt``.

    ``mu`` and ``sigma`` (nA) are scalars or ``(n,)``; ``pre`` ``(n, K)`` presynaptic indices
    and ``weight`` ``(n, K)`` (nA) give the coupling (or ``None``). The cell must carry no
    electrodes of its own.
    """
    import jax
    import jax.numpy as jnp

    from .point import IClamp
    from .simulate import build, electrode_prefixes
    from .solver import initial_state, make_step

    if electrode_prefixes(cell):
        raise ParameterError("simulate_population: the cell carries electrodes; the population's "
                             "drive is injected at `inject`. Fix: build the cell without them.")
    if n < 1:
        raise ParameterError(f"simulate_population.n must be >= 1; got {n!r}.")
    for name, val in (("dt", dt), ("t_stop", t_stop), ("tau_noise", tau_noise),
                      ("tau_syn", tau_syn), ("bin_ms", bin_ms)):
        if not float(val) > 0:
            raise ParameterError(f"simulate_population.{name} must be > 0 ms; got {val!r}.")
    if not 0 <= t_start < t_stop:
        raise ParameterError(f"simulate_population.t_start must be in [0, t_stop); got "
                             f"{t_start!r}.")
    mu = np.broadcast_to(np.asarray(mu, dtype=float), (n,)).copy()
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), (n,)).copy()
    if np.any(sigma < 0):
        raise ParameterError("simulate_population.sigma must be >= 0 nA.")
    if pre is None:
        pre_a = np.zeros((n, 1), dtype=np.int32)
        w_a = np.zeros((n, 1))
    else:
        pre_a = np.asarray(pre, dtype=np.int32)
        w_a = np.asarray(weight, dtype=float)
        if pre_a.ndim != 2 or pre_a.shape[0] != n or w_a.shape != pre_a.shape:
            raise ParameterError(f"simulate_population: pre and weight must both be (n, K) = "
                                 f"({n}, K); got {pre_a.shape} and {w_a.shape}.")
        if pre_a.size and (pre_a.min() < 0 or pre_a.max() >= n):
            raise ParameterError(f"simulate_population.pre: indices must be in [0, {n}).")
    n_steps = round(t_stop / dt)
    k0 = round(t_start / dt)
    per_bin = max(1, round(bin_ms / dt))
    n_bins = n_steps // per_bin
    n_steps = n_bins * per_bin
    batch = (n,)
    # the drive is an IClamp whose amplitude the loop sets every step; the parameter pytree
    # (mechanisms, the clamp, synaptic inputs placed on the cell) is the simulator's own
    sim = build(cell.place(inject, IClamp(amp=0.0, delay=0.0, dur=math.inf)), n_steps * dt, dt,
                method=method)
    a = sim.assembled
    loc = parse_location(detect)
    det = a.nodes.node_at(cell.section_index(loc.section), loc.x)
    step = make_step(a, dt, method)

    decay_n = math.exp(-dt / tau_noise)
    kick_n = math.sqrt(1.0 - decay_n**2)
    decay_s = math.exp(-dt / tau_syn)

    @jax.jit
    def run(mu_j: Any, sigma_j: Any, pre_j: Any, w_j: Any, key: Any) -> Any:
        base = sim.params({}, batch)
        carry0 = initial_state(a, base, batch)

        def one(c: Any, k: Any) -> Any:
            cab, x, s, spiked, vsum, cnt = c
            amp = mu_j + x + s
            elec = base["electrodes"]
            p = {**base, "electrodes": [*elec[:-1], elec[-1]._replace(amp=amp)]}
            v_old = cab[0][det]
            cab, v_new = step(cab, k, p)
            vd = v_new[det]
            sp = (v_old < threshold) & (vd >= threshold)
            # synapses: last step's spikes arrive now (delay dt)
            s = s * decay_s + jnp.sum(w_j * spiked[pre_j], axis=1)
            z = jax.random.normal(jax.random.fold_in(key, k), batch)
            x = x * decay_n + sigma_j * kick_n * z
            on = k >= k0
            vsum = vsum + jnp.where(on, vd, 0.0)
            cnt = cnt + jnp.where(on, sp, 0)
            return (cab, x, s, sp.astype(float), vsum, cnt), jnp.sum(sp)

        def block(c: Any, b: Any) -> Any:
            c, pop = jax.lax.scan(one, c, b * per_bin + jnp.arange(per_bin))
            return c, jnp.sum(pop)

        init = (carry0, sigma_j * jax.random.normal(jax.random.fold_in(key, n_steps + 1), batch),
                jnp.zeros(batch), jnp.zeros(batch), jnp.zeros(batch), jnp.zeros(batch, int))
        c, pop = jax.lax.scan(block, init, jnp.arange(n_bins))
        return c[5], c[4], pop

    t0 = time.perf_counter()
    counts, vsum, pop = run(jnp.asarray(mu), jnp.asarray(sigma), jnp.asarray(pre_a),
                            jnp.asarray(w_a), jax.random.PRNGKey(seed))
    counts = np.asarray(counts)
    span_ms = (n_steps - k0) * dt
    return CoupledResult(counts=counts, rates=counts / (span_ms / 1000.0),
                         mean_v=np.asarray(vsum) / max(1, n_steps - k0),
                         population_rate=np.asarray(pop) / n / (per_bin * dt / 1000.0),
                         bin_ms=per_bin * dt, t_start=k0 * dt, t_stop=n_steps * dt,
                         wall_s=time.perf_counter() - t0, n_compartments=a.n)
