"""The time loop of a multi-compartment cell: implicit voltage solve on the tree (Hines 1984),
then the mechanism states with the new voltage (NEURON's fixed-step order).

Each step (``dt``), with ``C`` the node capacitances, ``L`` the axial conductance Laplacian,
``I(v)`` the membrane currents and ``g = dI/dv`` their slopes at the old voltage ``v``:

* backward Euler: ``(C/dt + g + L) v' = (C/dt + g) v - I(v) + I_stim(t + dt/2)``;
* Crank–Nicolson: the same with ``dt/2`` gives ``v_half``, then ``v' = 2 v_half - v``;

(NEURON's ``secondorder = 0`` and ``2``). The tree system is solved exactly by Gaussian
elimination in Hines order (every node after its parent): leaves to root, then root to leaves.
States then advance over ``dt`` with ``v'`` (``cnexp``).

Arrays are laid out ``[node, *batch]``: a batch of parameter sets shares the tree and each
elimination step works on a whole row, which XLA vectorises (faster on CPU than ``vmap`` of a
per-cell solver, see ../shared/ENGINE-NOTES.md).

Reference: Hines M (1984). Efficient computation of branched nerve equations. Int J Biomed
Comput 15:69–76.

.. code-block:: bibtex

    @article{hines1984efficient, author = {Hines, M.},
      title = {Efficient computation of branched nerve equations},
      journal = {International Journal of Bio-Medical Computing}, volume = {15}, number = {1},
      pages = {69--76}, year = {1984}}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..channels.nernst import nernst
from ..math import jax_math
from .assemble import Assembled

__all__ = ["hines_solve", "initial_state", "make_step"]


def hines_solve(d: Any, r: Any, g: Any, parent: Any) -> Any:
    """Solve the symmetric tree system ``d_i x_i - g_i x_p(i) - sum_c g_c x_c = r_i``.

    ``d``, ``r``: ``[node, *batch]``; ``g`` (axial conductance to the parent) and ``parent``
    (index, every parent before its child): ``[node]`` NumPy constants (not differentiated).

    Differentiable in ``d`` and ``r`` with a hand-written adjoint: the matrix is symmetric, so
    the cotangent ``lam = A^-1 x_bar`` is one more tree solve, ``r_bar = lam`` and
    ``d_bar = -lam * x`` (instead of reverse-mode through the elimination loops, which stores
    every intermediate row).
    """
    import jax

    @jax.custom_vjp
    def solve(d: Any, r: Any) -> Any:
        return _hines(d, r, g, parent)

    def fwd(d: Any, r: Any) -> Any:
        x = _hines(d, r, g, parent)
        return x, (d, x)

    def bwd(res: Any, x_bar: Any) -> Any:
        d, x = res
        lam = _hines(d, x_bar, g, parent)
        return -lam * x, lam

    solve.defvjp(fwd, bwd)
    return solve(d, r)


def _hines(d: Any, r: Any, g: Any, parent: Any) -> Any:
    import jax
    import jax.numpy as jnp

    n = d.shape[0]
    g = jnp.asarray(g, dtype=d.dtype)
    parent = jnp.asarray(parent)

    # rows are read and written with dynamic_(update_)index_in_dim, which XLA updates in place
    # inside the loop; `.at[p].add` on a [node, batch] array becomes a scatter that copies the
    # whole array every iteration (O(n^2 B) per solve)
    take = jax.lax.dynamic_index_in_dim
    put = jax.lax.dynamic_update_index_in_dim

    def eliminate(k: Any, c: Any) -> Any:
        d, r = c
        i = n - 1 - k
        p = parent[i]
        inv = 1.0 / take(d, i, keepdims=False)
        f = g[i] * inv
        d = put(d, take(d, p, keepdims=False) - f * g[i], p, 0)
        r = put(r, take(r, p, keepdims=False) + f * take(r, i, keepdims=False), p, 0)
        # d[i] <- 1/d[i] for the substitution (one division per node)
        return put(d, inv, i, 0), r

    d, r = jax.lax.fori_loop(0, n - 1, eliminate, (d, r), unroll=UNROLL)
    x0 = jnp.zeros_like(r).at[0].set(r[0] / d[0])

    def substitute(i: Any, x: Any) -> Any:
        xi = (take(r, i, keepdims=False) + g[i] * take(x, parent[i], keepdims=False)) \
            * take(d, i, keepdims=False)
        return put(x, xi, i, 0)

    return jax.lax.fori_loop(1, n, substitute, x0, unroll=UNROLL)


UNROLL = 1


def _env_at(a: Assembled, grp_nodes: np.ndarray, cai_node: Any, eca_node: Any, ica_node: Any,
            celsius: float) -> dict[str, Any]:
    env = {k: a.env[k][grp_nodes] for k in ("e_na", "e_k", "cao")}
    env["e_ca"] = eca_node[grp_nodes] if eca_node is not None else a.env["e_ca"][grp_nodes]
    env["cai"] = cai_node[grp_nodes] if cai_node is not None else a.env["cai"][grp_nodes]
    if ica_node is not None:
        env["ica"] = ica_node[grp_nodes]
    env["celsius"] = celsius
    return env


def _bcast(x: Any, like: Any) -> Any:
    """Give a per-node array ``[n]`` the trailing batch dims of ``like``."""
    return x.reshape(x.shape + (1,) * (like.ndim - 1))


def initial_state(a: Assembled, params: Any, batch_shape: tuple[int, ...]) -> Any:
    """``(v, states, synapse_states)`` at ``v_init`` with every mechanism at its steady state
    and every synapse at rest."""
    import jax.numpy as jnp

    xp = jax_math
    v = jnp.full((a.n, *batch_shape), float(a.cell.v_init))
    cai_node = _cai_node(a, None)
    states = []
    for grp, p in zip(a.groups, params["mech"]):
        env = _env_at(a, grp.nodes, cai_node, None, None, float(a.cell.celsius))
        env = {k: (_bcast(jnp.asarray(x), v[grp.nodes]) if np.ndim(x) else x) for k, x in env.items()}
        s = grp.mech.init_state(p, v[grp.nodes], env, xp)
        states.append(tuple(jnp.broadcast_to(x, v[grp.nodes].shape) for x in s))
    syn = tuple(tuple(jnp.zeros(batch_shape) for _ in sy.synapse.state_vars) for _, sy in a.synapses)
    return v, tuple(states), syn


def _cai_node(a: Assembled, states: Any) -> Any:
    """Per-node intracellular calcium: the pool's state where a pool is painted."""
    import jax.numpy as jnp

    for j, grp in enumerate(a.groups):
        if "cai" in grp.mech.provides:
            base = jnp.asarray(a.env["cai"])
            if states is None:
                return base
            k = grp.mech.states.index("cai")
            cai = states[j][k]
            pad = jnp.concatenate([cai, jnp.zeros((1, *cai.shape[1:]), cai.dtype)])
            sel = jnp.asarray(grp.inv < grp.nodes.size)
            return jnp.where(_bcast(sel, pad), pad[grp.inv], _bcast(base, pad))
    return None


def make_step(a: Assembled, dt: float, method: str = "backward_euler") -> Any:
    """``step(carry, k, params) -> (carry, v_new)`` for step ``k`` (from ``t = k dt``)."""
    import jax.numpy as jnp

    xp = jax_math
    parent = np.maximum(a.nodes.parent, 0).astype(np.int32)
    g_ax = np.asarray(a.nodes.g_axial, dtype=np.float64)
    cn = method == "crank_nicolson"
    dt_e = 0.5 * dt if cn else dt
    cap_dt = jnp.asarray(a.cap / dt_e)
    diag_ax = jnp.asarray(a.diag_axial)
    celsius = float(a.cell.celsius)
    carries_ca = [any(c == "ca" for c in grp.mech.currents_carried) for grp in a.groups]
    need_ica = any("ica" in grp.mech.reads for grp in a.groups)
    pool = any("cai" in grp.mech.provides for grp in a.groups)
    electrodes = a.electrodes
    writers = [j for j, grp in enumerate(a.groups) if grp.mech.provides]
    readers = [j for j in range(len(a.groups)) if j not in writers]
    if cn:
        # zero-area nodes hold no charge: Crank-Nicolson's extrapolation 2 v_half - v would
        # carry an inconsistency of their old value forward as an undamped alternation, so they
        # are re-solved from their (charged) neighbours at the new time instead
        alg = np.nonzero(a.nodes.area == 0)[0]
        nbr_lists = [[] for _ in alg]
        pos = {int(k): j for j, k in enumerate(alg)}
        par = a.nodes.parent
        for c in range(1, a.n):
            if int(par[c]) in pos:
                nbr_lists[pos[int(par[c])]].append((c, a.nodes.g_axial[c]))
            if c in pos:
                nbr_lists[pos[c]].append((int(par[c]), a.nodes.g_axial[c]))
        deg = max(1, max(len(x) for x in nbr_lists))
        nbr = np.zeros((len(alg), deg), dtype=np.int64)
        gn = np.zeros((len(alg), deg))
        for j, lst in enumerate(nbr_lists):
            for q, (k, gk) in enumerate(lst):
                nbr[j, q], gn[j, q] = k, gk
        alg_j, nbr_j, gn_j = jnp.asarray(alg), jnp.asarray(nbr), jnp.asarray(gn)

    def step(carry: Any, k: Any, params: Any) -> Any:
        v, states, syn = carry
        t = k * dt
        cai_node = _cai_node(a, states) if pool else None
        eca_node = None
        if a.dynamic_eca:
            cai = cai_node if cai_node is not None else _bcast(jnp.asarray(a.env["cai"]), v)
            eca_node = jnp.where(_bcast(jnp.asarray(a.eca_mask), v),
                                 nernst(cai, _bcast(jnp.asarray(a.env["cao"]), v), 2.0, celsius, xp),
                                 _bcast(jnp.asarray(a.env["e_ca"]), v))
        i_tot = jnp.zeros_like(v)
        g_tot = jnp.zeros_like(v)
        ica_node = jnp.zeros_like(v) if need_ica else None
        gca_node = jnp.zeros_like(v) if need_ica and cn else None
        envs = []
        for grp, p, s, has_ca in zip(a.groups, params["mech"], states, carries_ca):
            vg = v[grp.nodes]
            env = _env_at(a, grp.nodes, cai_node, eca_node, None, celsius)
            env = {k: (_bcast(jnp.asarray(x), vg) if isinstance(x, np.ndarray) else x)
                   for k, x in env.items()}
            envs.append(env)
            cur = grp.mech.currents(p, s, vg, env, xp)
            if not cur:  # e.g. a calcium pool: no membrane current
                continue
            i_sum = sum(c[0] for c in cur.values())
            g_sum = sum(c[1] for c in cur.values())
            afg = _bcast(jnp.asarray(a.af[grp.nodes]), vg)
            inv = jnp.asarray(grp.inv)
            zero = jnp.zeros((1, *vg.shape[1:]), vg.dtype)
            i_tot = i_tot + jnp.concatenate([i_sum * afg, zero])[inv]
            g_tot = g_tot + jnp.concatenate([g_sum * afg, zero])[inv]
            if need_ica and has_ca:
                ica_node = ica_node + jnp.concatenate([cur["ca"][0], zero])[inv]
                if cn:
                    gca_node = gca_node + jnp.concatenate([cur["ca"][1], zero])[inv]
        t_mid = t + 0.5 * dt
        for (node, pp), pv in zip(electrodes, params["electrodes"]):
            i_e = pp.current(pv, t_mid, v[node], xp)
            g_e = pp.conductance(pv, t_mid, v[node], xp)
            # the electrode current linearised at v: i(v') = i(v) - g_e (v' - v), inward
            i_tot = i_tot.at[node].add(-i_e)
            g_tot = g_tot.at[node].add(g_e)
        syn_new = []
        for (node, sy), sp, s in zip(a.synapses, params["synapses"], syn):
            model = sy.synapse
            jump = model.jump(sp["model"], xp)
            w = sp["weight"] * sp["arrivals"][k]
            s = tuple(x + w * j for x, j in zip(s, jump))
            out = model.readout(sp["model"], s, xp)
            if model.conductance_based:  # nS -> uS; inward current g (e_rev - v), implicit in v
                g_s = 1e-3 * out
                i_tot = i_tot.at[node].add(-g_s * (sp["model"].e_rev - v[node]))
                g_tot = g_tot.at[node].add(g_s)
            else:  # pA -> nA, depolarising
                i_tot = i_tot.at[node].add(-1e-3 * out)
            syn_new.append(tuple(model.decay(sp["model"], s, dt, xp)))
        c = _bcast(cap_dt, v)
        d = c + g_tot + _bcast(diag_ax, v)
        r = (c + g_tot) * v - i_tot
        x = hines_solve(d, r, g_ax, parent)
        if cn:
            if need_ica:
                # NEURON's second_order_cur: the calcium current a pool integrates is taken
                # at mid-step, ica + dica/dv (v_half - v)
                ica_node = ica_node + gca_node * (x - v)
            v_new = 2.0 * x - v
            gsum = gn_j.sum(axis=1)
            coupled = jnp.einsum("jq,jq...->j...", gn_j, v_new[nbr_j])
            ga = g_tot[alg_j]
            v_alg = (ga * v[alg_j] - i_tot[alg_j] + coupled) / (ga + _bcast(gsum, coupled))
            v_new = v_new.at[alg_j].set(v_alg)
        else:
            v_new = x
        # NEURON advances the mechanisms that write a concentration first (nrn_writes_conc in
        # init.cpp), so the calcium readers see the pool's new cai within the same step
        new_states: list[Any] = list(states)
        for j in writers + readers:
            grp, p, s, env = a.groups[j], params["mech"][j], states[j], envs[j]
            if need_ica and "ica" in grp.mech.reads:
                env = {**env, "ica": ica_node[grp.nodes]}
            if pool and j in readers and "cai" in grp.mech.reads:
                env = {**env, "cai": _cai_node(a, new_states)[grp.nodes]}
            new_states[j] = tuple(grp.mech.advance(p, s, v_new[grp.nodes], env, dt, xp))
        return (v_new, tuple(new_states), tuple(syn_new)), v_new

    return step
