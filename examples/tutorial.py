"""The README tutorial as one script: simulate, sweep, gradient, plot.

usage: python examples/tutorial.py [OUTPUT_FOLDER]   (default: docs/figures)

Each section prints what it measured and writes one figure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import neurodyn as nd

out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1] / "docs" / "figures")
out.mkdir(parents=True, exist_ok=True)

# --- 1. simulate: one Hodgkin-Huxley cell under a current step ------------------------------
hh = nd.models.HodgkinHuxley()  # HH 1952 squid axon, 6.3 degC
step = nd.stimuli.Step(amplitude="10 uA/cm2", start="10 ms", stop="90 ms")
res = nd.simulate(hh, t_stop="100 ms", dt="0.01 ms", stimulus=step, record=["v", "n"])
print("1. spike times (ms):", np.round(res.spike_times(), 2))
fig, axes = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True, constrained_layout=True)
nd.plotting.plot_traces(res, "v", ax=axes[0])
nd.plotting.plot_traces(res, "n", ax=axes[1], spikes=False)
fig.savefig(out / "tutorial_simulate.png", dpi=110)

# --- 2. sweep: 1,600 cells (g_na x amplitude) in one compiled call --------------------------
batch = nd.grid(g_na=np.linspace(60, 180, 40), **{"stimulus.amplitude": np.linspace(0, 20, 40)})
t0 = time.perf_counter()
sweep = nd.simulate(hh, 500.0, 0.025, stimulus=nd.stimuli.Step(amplitude=0.0), batch=batch,
                    record=[])
print(f"2. {np.prod(sweep.batch_shape)} cells x 500 ms in {time.perf_counter() - t0:.2f} s "
      "(incl. compilation)")
rates = sweep.firing_rates()  # Hz, shape (40, 40)
fig, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
im = ax.pcolormesh(batch["stimulus.amplitude"][0], batch["g_na"][:, 0], rates, shading="auto")
fig.colorbar(im, label="firing rate (Hz)")
ax.set_xlabel("step amplitude (uA/cm2)")
ax.set_ylabel("g_na (mS/cm2)")
ax.set_title("HH firing rate, 1,600 cells in one batched run", fontsize=10)
fig.savefig(out / "tutorial_sweep.png", dpi=110)

# --- 3. gradient: recover g_K from a voltage trace by gradient descent ---------------------
target = nd.simulate(hh.replace(g_k=30.0), 50.0, 0.01, stimulus=step, record_dt=0.1).trace("v")


def loss(g_k):
    v = nd.simulate(hh.replace(g_k=g_k), 50.0, 0.01, stimulus=step, record_dt=0.1).trace("v")
    return jnp.mean((v - target) ** 2)


value_and_grad = jax.jit(jax.value_and_grad(loss))  # compiled once, reused every step
g, history = 34.0, []  # start inside the basin: spike-timing losses are not convex
for _ in range(30):
    val, dg = value_and_grad(g)
    history.append((g, float(val)))
    g = g - 0.01 * float(dg)  # plain gradient descent
print(f"3. g_K recovered: {g:.3f} mS/cm2 (truth 30), loss {history[-1][1]:.2e} mV^2")
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
axes[0].plot([h[0] for h in history], "o-", ms=3)
axes[0].axhline(30.0, color="k", lw=0.8, ls="--")
axes[0].set_xlabel("gradient step")
axes[0].set_ylabel("g_K (mS/cm2)")
fit = nd.simulate(hh.replace(g_k=g), 50.0, 0.01, stimulus=step, record_dt=0.1)
axes[1].plot(fit.t, target, "k", lw=2, label="target (g_K = 30)")
axes[1].plot(fit.t, fit.trace("v"), "C1", lw=1, label=f"fit (g_K = {g:.2f})")
axes[1].set_xlabel("time (ms)")
axes[1].set_ylabel("v (mV)")
axes[1].legend(frameon=False, fontsize=8)
fig.savefig(out / "tutorial_gradient.png", dpi=110)

# --- 4. plot: phase planes of 2-D models ----------------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
fhn = nd.models.FitzHughNagumo()
r = nd.simulate(fhn, 200.0, 0.01, stimulus=nd.stimuli.Step(amplitude=0.5), record="all",
                method="rk4")
nd.plotting.phase_plane(fhn, 0.5, trajectory=r, ax=axes[0])
izh = nd.models.Izhikevich.preset("CH")
r = nd.simulate(izh, 200.0, 0.25, stimulus=nd.stimuli.Step(amplitude=10.0, start=20.0),
                record="all")
nd.plotting.phase_plane(izh, 10.0, trajectory=r, ax=axes[1], x_range=(-80, 35),
                        y_range=(-20, 10))
fig.savefig(out / "tutorial_phase_plane.png", dpi=110)
print(f"4. figures written to {out}")

# --- 5. networks: the COBA benchmark (Brette et al. 2007), spikes and population rates ------
from neurodyn.network import brette2007  # noqa: E402

net, settings = brette2007.coba(seed=1)   # 4000 LIF, conductance synapses, p = 0.02
r = nd.simulate(net, 500.0, settings["dt"], method=settings["method"], seed=1)
print(f"5. COBA network: {r.stats['n_synapses']} synapses, {r.rate('P'):.1f} Hz, "
      f"mean ISI CV {np.mean(r.isi_cv('P')):.2f}, loop {r.stats['run_s']:.2f} s")
fig = nd.plotting.plot_network(r, max_neurons=400)
fig.savefig(out / "tutorial_network.png", dpi=110)

# --- 6. multi-compartment: a backpropagating action potential in a CA1 pyramidal cell --------
from neurodyn.cable.examples import ca1_cell  # noqa: E402
from neurodyn.cable.plotting import (  # noqa: E402
    farthest_tip,
    path_locations,
    plot_along_path,
    plot_voltage_on_morphology,
    section_locations,
)

amps, results = {}, {}
for dendrites in ("passive", "active"):
    cell = ca1_cell(dendrites)   # hh soma; pas or hh (g_Na 40 mS/cm2) dendrites; 1 ms 2 nA pulse
    labels, dist = path_locations(cell, farthest_tip(cell, "apical"))
    r = nd.simulate(cell, 30.0, 0.025, record=labels + section_locations(cell))
    amps[f"{dendrites} dendrites"] = [r.traces[k].max() - r.traces[k][200] for k in labels]
    results[dendrites] = (cell, r)
print(f"6. CA1 bAP at {dist[-1]:.0f} um: {amps['passive dendrites'][-1]:.1f} mV (passive), "
      f"{amps['active dendrites'][-1]:.1f} mV (active); {r.stats['n_nodes']} nodes, "
      f"{r.stats['run_s'] * 1e3:.0f} ms")
fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
plot_along_path(dist, amps, ax=axes[0], title="bAP amplitude along the apical dendrite")
plot_voltage_on_morphology(*results["active"], ax=axes[1], label="peak V (mV), active")
fig.savefig(out / "tutorial_bap.png", dpi=110)
