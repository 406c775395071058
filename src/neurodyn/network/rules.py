"""The per-step rules of synapse and plasticity kinds that go beyond adding weights: arrivals
into multi-channel (kinetic) receptors, kinetic transmitter-pulse events, Tsodyks–Markram
release and STDP updates. Pure functions of JAX arrays, called inside the compiled step of
:mod:`neurodyn.network.engine`."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ..math import jax_math as xp
from . import delivery

__all__ = ["add_arrivals", "channels", "deliver_kinetic", "kinetic_events", "stdp_step", "tm_step"]


def channels(synapse: Any) -> int:
    """Arrival slots per neuron: one for linear synapses, one per event channel for kinetic
    receptors (w_on, g_on, g_off)."""
    return getattr(synapse, "n_event_channels", 1) if getattr(synapse, "kinetic", False) else 1


def add_arrivals(r: Any, rp: Any, sr: tuple, arrivals: Any, n: int) -> tuple:
    """The synaptic state of receptor ``r`` with this step's arrivals added."""
    if getattr(r.synapse, "kinetic", False):
        out = list(sr)
        for c in range(r.synapse.n_event_channels):
            out[c] = sr[c] + arrivals[r.offset + c * n:r.offset + (c + 1) * n]
        return tuple(out)
    inc = arrivals[r.offset:r.offset + n]
    return tuple(x + j * inc for x, j in zip(sr, r.synapse.jump(rp, xp)))


def kinetic_events(p: Any, state: tuple, spiked: Any, t_spike: Any) -> tuple:
    """Per presynaptic neuron: the receptor occupancy ``r`` at the start and at the end of the
    transmitter pulse a spike at ``t_spike`` starts (on the emission timeline; the delay shifts
    every synapse's pulses alike), and the new (r_end, t_end). Spikes during the previous pulse
    are ignored (``accept`` False)."""
    r_e, t_e = state
    accept = spiked & (t_spike >= t_e)
    r_inf = p.alpha * p.t_max / (p.alpha * p.t_max + p.beta)
    k = p.alpha * p.t_max + p.beta
    r_a = r_e * jnp.exp(-p.beta * jnp.maximum(t_spike - t_e, 0.0))
    r_end = r_inf + (r_a - r_inf) * jnp.exp(-k * p.c_dur_steps)
    r_a = jnp.where(accept, r_a, 0.0)
    r_end_f = jnp.where(accept, r_end, 0.0)
    return (accept, r_a, r_end_f,
            (jnp.where(accept, r_end, r_e), jnp.where(accept, t_spike + p.c_dur_steps, t_e)))


def deliver_kinetic(tb: Any, tab: Any, state: tuple, pk: Any, spiked: Any, t_spike: Any,
                     n: Any, buf: Any, uniform: bool, rows: int, width: int, spec: Any) -> tuple:
    """Spikes onto kinetic receptors: at the pulse start (after the delay) add ``(w r_a, w,
    -w r_a)`` to ``(g_on, w_on, g_off)``, at its end ``c_steps`` later ``(-w r_e, -w, w r_e)``."""
    spiked = jnp.concatenate([spiked, jnp.zeros((1,), bool)])  # row n: the "no spike" row
    accept, r_a, r_end, new_state = kinetic_events(tab["kinetic"], state, spiked, t_spike)
    nb = tb.n_post_block
    # channels follow the receptor's state_vars: (g_on, w_on, g_off)
    start = (r_a, jnp.ones_like(r_a), -r_a)
    stop = (-r_end, -jnp.ones_like(r_a), r_end)
    # per presynaptic neuron: the factors, 0 where the spike is ignored (or no spike)
    start = tuple(jnp.where(accept, f, 0.0) for f in start)
    stop = tuple(jnp.where(accept, f, 0.0) for f in stop)

    def scatter(target: Any, flat: Any, w: Any, facs: tuple, ids: Any) -> Any:
        # padded entries (weight 0) shifted by c * nb can point past the buffer: "drop" keeps
        # those writes out of memory (in-bounds ones add 0)
        for c, f in enumerate(facs):
            target = target.at[(flat + c * nb).reshape(-1)].add(
                (w * f[ids][:, None]).reshape(-1), mode="drop")
        return target

    if uniform:
        d, c = tb.delay, tb.c_steps

        def body_u(pair: Any, ids: Any, base: Any) -> Any:
            r_on, r_off = pair
            T, w = tab["targets"][ids], tab["weights"][ids]
            return scatter(r_on, T, w, start, ids), scatter(r_off, T, w, stop, ids)

        rows_ = list(buf)
        rows_[d], rows_[d + c] = delivery.each_block(pk, body_u, (rows_[d], rows_[d + c]), spec)
        return tuple(rows_), new_state

    def body(bb: Any, ids: Any, base: Any) -> Any:
        T, w = tab["targets"][ids], tab["weights"][ids]
        d = tab["delay"] if tab["delays"] is None else tab["delays"][ids]
        on = ((n + 1 + d) % rows) * width + T
        off = ((n + 1 + d + tb.c_steps) % rows) * width + T
        return scatter(scatter(bb, on, w, start, ids), off, w, stop, ids)

    return delivery.each_block(pk, body, buf, spec), new_state


def stdp_step(tb: Any, tab: Any, state: tuple, pk_pre: Any, pk_post: Any,
               sp_pre: Any, sp_post: Any, dt: Any, spec: Any) -> tuple:
    """One step of STDP (see :class:`neurodyn.plasticity.STDP`): decay the traces, depress the
    synapses of this step's presynaptic spikes, potentiate those of its postsynaptic spikes
    (each with the other side's traces before this step's increments), then increment."""
    rule, p = tb.plasticity, tab["plasticity"]
    W, xpre, xpost, r2, o2 = state
    n_pre = xpre.shape[0] - 2
    n_post = xpost.shape[0] - 1
    m = W.shape[1]
    xpre = xpre * jnp.exp(-dt / p.tau_plus)
    xpost = xpost * jnp.exp(-dt / p.tau_minus)
    if rule.triplet:
        r2 = r2 * jnp.exp(-dt / p.tau_x)
        o2 = o2 * jnp.exp(-dt / p.tau_y)
    mult = rule.rule == "multiplicative"

    def depress(Wc: Any, ids: Any, base: Any) -> Any:
        post = jnp.minimum(tab["targets"][ids] - tb.post_offset, n_post)  # padding -> n_post
        post = jnp.where(post < 0, n_post, post)
        amp = p.A_minus + (p.A3_minus * r2[ids][:, None] if rule.triplet else 0.0)
        old = Wc[ids]
        dw = -amp * xpost[post] * ((old - p.w_min) if mult else 1.0)
        new = jnp.clip(old + dw, p.w_min, p.w_max)
        new = jnp.where((ids < n_pre)[:, None] & (post < n_post), new, old)
        return Wc.at[ids].set(new, mode="promise_in_bounds")

    def potentiate(Wc: Any, ids: Any, base: Any) -> Any:
        pos = tab["in_positions"][ids]  # (K, M_in) flat positions; padding in row n_pre + 1
        rows = pos // m
        flat = Wc.reshape(-1)
        old = flat[pos]
        amp = p.A_plus + (p.A3_plus * o2[ids][:, None] if rule.triplet else 0.0)
        dw = amp * xpre[rows] * ((p.w_max - old) if mult else 1.0)
        new = jnp.clip(old + dw, p.w_min, p.w_max)
        new = jnp.where(((ids < n_post)[:, None]) & (rows < n_pre), new, old)
        return flat.at[pos.reshape(-1)].set(new.reshape(-1), mode="promise_in_bounds").reshape(Wc.shape)

    W = delivery.each_block(pk_pre, depress, W, spec)
    W = delivery.each_block(pk_post, potentiate, W, spec)
    pad_pre = jnp.zeros((2,), bool)
    pad_post = jnp.zeros((1,), bool)
    spre = jnp.concatenate([sp_pre, pad_pre])
    spost = jnp.concatenate([sp_post, pad_post])
    if rule.pairing == "nearest":
        xpre, xpost = jnp.where(spre, 1.0, xpre), jnp.where(spost, 1.0, xpost)
        if rule.triplet:
            r2, o2 = jnp.where(spre, 1.0, r2), jnp.where(spost, 1.0, o2)
    else:
        xpre, xpost = xpre + spre, xpost + spost
        if rule.triplet:
            r2, o2 = r2 + spre, o2 + spost
    return W, xpre, xpost, r2, o2


def tm_step(p: Any, u: Any, x: Any, spiked: Any, dt: Any, facilitating: bool) -> tuple:
    """One step of Tsodyks-Markram state per presynaptic neuron: exact relaxation over ``dt``
    (x -> 1 with tau_rec, u -> 0 with tau_facil), then, where a spike is emitted at the end of
    the step, ``u <- u + U (1 - u)``, release ``r = u x``, ``x <- x - r``. Returns (u, x, r)
    with r = 0 where no spike."""
    x = 1.0 - (1.0 - x) * jnp.exp(-dt / p.tau_rec)
    if facilitating:
        u = u * jnp.exp(-dt / jnp.maximum(p.tau_facil, 1e-300))
        u_sp = u + p.U * (1.0 - u)
    else:
        u_sp = p.U + 0.0 * u
    r = jnp.where(spiked, u_sp * x, 0.0)
    return jnp.where(spiked, u_sp, u), x - r, r
