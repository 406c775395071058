"""Brian2 side of benchmarks/hh_sweep.py (run in a Python that has brian2; prints one JSON line).

usage: python brian2_hh_sweep.py PARAMS.npy {cpp_standalone|cython} [T_STOP_MS] [DT_MS]

One NeuronGroup of N squid-HH neurons with NEURON's hh rate functions (6.3 degC), per-neuron
gnabar, gkbar, gl (S/cm2) and a constant current density I (uA/cm2); exponential Euler (Brian2's
default for these equations); spikes = upward crossings of 0 mV (threshold and refractory
'v > 0*mV'). Loop time: cpp_standalone's own measurement of the simulation loop
(device._last_run_time); cython: wall time of run() with a warm cache (a first run warms it).
"""

import json
import sys
import tempfile
import time

import numpy as np

t_import = time.perf_counter()
import brian2 as b2  # noqa: E402
from brian2 import amp, cm, exprel, ms, mV, siemens, uF  # noqa: E402

params_path, mode = sys.argv[1], sys.argv[2]
t_stop = float(sys.argv[3]) if len(sys.argv) > 3 else 500.0
dt = float(sys.argv[4]) if len(sys.argv) > 4 else 0.025
P = np.load(params_path)
N = len(P)

b2.prefs.codegen.target = "cython" if mode == "cython" else "auto"
b2.prefs.logging.std_redirection = False
if mode == "cpp_standalone":
    outdir = tempfile.mkdtemp(prefix="brian2_hh_")
    b2.set_device("cpp_standalone", directory=outdir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j1"]
b2.defaultclock.dt = dt * ms

eqs = """
dv/dt = (I - gna*m**3*h*(v - ENa) - gk*n**4*(v - EK) - gl*(v - El)) / Cm : volt
dm/dt = alpham*(1 - m) - betam*m : 1
dh/dt = alphah*(1 - h) - betah*h : 1
dn/dt = alphan*(1 - n) - betan*n : 1
alpham = (1/exprel(-(v + 40*mV)/(10*mV)))/ms : Hz
betam = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alphah = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
betah = 1/(exp(-(v + 35*mV)/(10*mV)) + 1)/ms : Hz
alphan = (0.1/exprel(-(v + 55*mV)/(10*mV)))/ms : Hz
betan = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
gna : siemens/meter**2
gk : siemens/meter**2
gl : siemens/meter**2
I : amp/meter**2
"""
ns = {"ENa": 50 * mV, "EK": -77 * mV, "El": -54.3 * mV, "Cm": 1 * uF / cm**2, "exprel": exprel}
G = b2.NeuronGroup(N, eqs, threshold="v > 0*mV", refractory="v > 0*mV", method="exponential_euler",
                   namespace=ns)
G.gna = P[:, 0] * siemens / cm**2
G.gk = P[:, 1] * siemens / cm**2
G.gl = P[:, 2] * siemens / cm**2
G.I = P[:, 3] * 1e-6 * amp / cm**2
v0 = -65.0
am = 0.1 * (v0 + 40) / (1 - np.exp(-(v0 + 40) / 10))
bm = 4 * np.exp(-(v0 + 65) / 18)
ah = 0.07 * np.exp(-(v0 + 65) / 20)
bh = 1 / (np.exp(-(v0 + 35) / 10) + 1)
an = 0.01 * (v0 + 55) / (1 - np.exp(-(v0 + 55) / 10))
bn = 0.125 * np.exp(-(v0 + 65) / 80)
G.v = v0 * mV
G.m = am / (am + bm)
G.h = ah / (ah + bh)
G.n = an / (an + bn)
mon = b2.SpikeMonitor(G, record=False)
net = b2.Network(G, mon)

out = {"mode": mode, "n": N, "brian2": b2.__version__, "numpy": np.__version__}
if mode == "cpp_standalone":
    net.run(t_stop * ms)
    t0 = time.perf_counter()
    b2.device.build(directory=outdir, compile=True, run=True, debug=False, clean=True)
    out["build_and_run_s"] = time.perf_counter() - t0
    out["loop_s"] = float(b2.device._last_run_time)
    out["compile_s"] = float(b2.device.timers.get("compile", {}).get("make", float("nan"))) \
        if isinstance(b2.device.timers.get("compile"), dict) else float("nan")
    out["timers"] = {k: (v if not isinstance(v, dict) else {kk: float(vv) for kk, vv in v.items()})
                     for k, v in b2.device.timers.items()}
else:
    net.store()
    t0 = time.perf_counter()
    net.run(t_stop * ms)  # first run compiles (or loads) the Cython code objects
    out["first_run_s"] = time.perf_counter() - t0
    net.restore()
    t0 = time.perf_counter()
    net.run(t_stop * ms)
    out["loop_s"] = time.perf_counter() - t0
out["counts"] = np.asarray(mon.count[:]).astype(int).tolist()
print(json.dumps(out))
