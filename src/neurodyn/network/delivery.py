"""Event-driven spike delivery: find the neurons that spiked, touch only their synapses.

Per step and presynaptic population:

1. **Compaction** of the boolean spike vector into the indices of the neurons that spiked, in
   ascending order, without a prefix sum over all neurons: the vector is packed into 64-bit
   words, a prefix sum runs over the words only (``n/64`` of them), and slot ``k`` finds its
   word by binary search and its bit by a popcount binary search within the word. Measured on
   XLA:CPU for 4000 neurons: 2.4 us per step against 14.5 us for ``jnp.nonzero``.
2. **Delivery**: the out-synapses of those neurons are rows of a padded table
   ``(n + 1, max out-degree)`` (targets, weights, delays in steps); their weights are
   scatter-added into a ring buffer of future arrivals, ``(delay rows, target slots)``. Row
   ``n`` of the table is the "no spike" row: its targets point into a dump region (spread over
   as many slots as the table is wide, so that repeated adds do not serialise on one address).
3. **Exactness**: the number of slots processed per step is chosen among a few sizes by a
   ``lax.switch`` on the step's spike count (0, 4, 16, 64); above that a ``while_loop`` goes
   through the spikes in blocks of 256 until every one is delivered. No spike is ever dropped,
   and the common case costs only the spikes that happened (padded to 4, 16 or 64). More sizes
   cut the padding but lengthen compilation (each branch is compiled); on the Brette et al.
   COBA/CUBA networks (2-8 spikes per step) these three were the best trade-off measured.

Batched runs (``vmap`` over parameter sets) use the ``while_loop`` form only: under ``vmap`` a
``switch`` would run every branch.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Packed", "compact", "pack"]

_BITS = np.arange(64, dtype=np.uint64)
BUCKETS = (4, 16, 64)
BLOCK = 256


class Packed:
    """A spike vector packed into 64-bit words, with the word prefix sums."""

    def __init__(self, spiked: Any) -> None:
        n = spiked.shape[-1]
        nb = (n + 63) // 64
        self.n, self.nb = n, nb
        sp = jnp.pad(spiked, (0, nb * 64 - n)).reshape(nb, 64)
        one = jnp.uint64(1)
        self.words = jnp.sum(jnp.where(sp, jnp.left_shift(one, jnp.asarray(_BITS)), jnp.uint64(0)),
                             axis=1, dtype=jnp.uint64)
        self.cnt = jax.lax.population_count(self.words).astype(jnp.int32)
        self.pre = jnp.cumsum(self.cnt)  # inclusive prefix sums over the words
        self.total = self.pre[-1]


def pack(spiked: Any) -> Packed:
    return Packed(spiked)


def compact(pk: Packed, slots: Any) -> Any:
    """Indices of the spiking neurons at ranks ``slots`` (ascending); ``n`` past the last one.

    The result goes through ``lax.sort`` (it is sorted already): that stops XLA from fusing the
    search into every consumer element, which made delivery 4x slower.
    """
    b = jnp.searchsorted(pk.pre, slots + 1, side="left", method="scan_unrolled")
    b = jnp.minimum(b, pk.nb - 1).astype(jnp.int32)
    r = slots - (pk.pre[b] - pk.cnt[b])
    w = pk.words[b]
    lo = jnp.zeros(slots.shape, jnp.int32)
    for step in (32, 16, 8, 4, 2, 1):
        mid = lo + step
        mask = jnp.left_shift(jnp.uint64(1), mid.astype(jnp.uint64)) - jnp.uint64(1)
        c = jax.lax.population_count(w & mask).astype(jnp.int32)
        lo = jnp.where(c <= r, mid, lo)
    idx = jnp.where(slots < pk.total, b * 64 + lo, pk.n)
    return jax.lax.sort(idx)


def for_each_block(pk: Packed, body: Any, carry: Any, *, bucketed: bool,
                   block: int = BLOCK, full_last: bool = False) -> Any:
    """Call ``body(carry, idx, n_valid_before)`` over the spiking neurons in blocks; return the
    carry. ``idx`` holds neuron indices (``n`` for empty slots). ``bucketed=False``: the
    ``while_loop`` alone, in blocks of ``block``. ``full_last``: the last bucket takes every
    neuron at once instead of a ``while_loop`` (reverse-mode differentiable; exact too)."""
    total = pk.total
    BLOCK = block

    def loop(c: Any) -> Any:
        def cond(st: Any) -> Any:
            return st[0] < total

        def step(st: Any) -> Any:
            base, cc = st
            idx = compact(pk, base + jnp.arange(BLOCK, dtype=jnp.int32))
            return base + BLOCK, body(cc, idx, base)

        return jax.lax.while_loop(cond, step, (jnp.int32(0), c))[1]

    if not bucketed:
        return loop(carry)

    def fixed(k: int) -> Any:
        def f(c: Any) -> Any:
            return body(c, compact(pk, jnp.arange(k, dtype=jnp.int32)), jnp.int32(0))
        return f

    sizes = [k for k in BUCKETS if k < pk.n] if full_last else list(BUCKETS)
    last = fixed(pk.n) if full_last else loop
    branches = [lambda c: c] + [fixed(k) for k in sizes] + [last]
    sel = (total > 0).astype(jnp.int32)
    for k in sizes:
        sel = sel + (total > k).astype(jnp.int32)
    return jax.lax.switch(sel, branches, carry)


def each_block(pk: Packed, body: Any, carry: Any, spec: Any) -> Any:
    """:func:`for_each_block` with the options of a kernel spec."""
    return for_each_block(pk, body, carry, bucketed=spec.bucketed, block=spec.block,
                          full_last=spec.full_last)
