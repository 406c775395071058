"""Brian2 side of the Brette et al. (2007) network benchmarks (run in a Python with brian2; one JSON line).

usage: python brian2_brette2007.py {COBA|CUBA|COBAHH} {cpp_standalone|cython} [T_STOP_MS] [DT_MS] [SEED]
                                   [--spikes OUT.npz] [--n N --p P --weight-scale S (COBA)]
defaults: T_STOP_MS 1000, DT_MS 0.1, SEED 1.

Models (../shared/PEERS.md, "The models"); 4000 neurons, cells 0-3199 excitatory, 3200-3999 inhibitory;
connections drawn independently with p = 0.02 from every source cell to every cell (autapses allowed, as
in Brian's connect(p=...)); no external input; all spikes recorded with a SpikeMonitor.
- COBA (benchmark 1, Vogels & Abbott 2005): Brette's Brian script (brian-team/brian examples/COBA.py, its
  Brian2 port examples/COBA.py in early brian2), written here with absolute voltages instead of voltages
  relative to rest (same physics): dv/dt = (El - v + ge*(Ee - v) + gi*(Ei - v))/taum, v clamped during the
  5 ms refractory period, dge/dt = -ge/taue, dgi/dt = -gi/taui with ge, gi dimensionless in units of
  g_L = 10 nS; taum 20, taue 5, taui 10 ms; El -60, Vt -50, Vr -60, Ee 0, Ei -80 mV; on a spike ge += 0.6
  (6 nS) or gi += 6.7 (67 nS); v0 = El + (randn*5 - 5) mV, ge0 = randn*1.5 + 4, gi0 = randn*12 + 20;
  forward Euler ('euler').
- CUBA (benchmark 2): brian-team/brian2 examples/CUBA.py: dv/dt = (ge + gi - (v - El))/taum (unless
  refractory), dge/dt = -ge/taue, dgi/dt = -gi/taui (volt); El -49, Vt -50, Vr -60 mV; refractory 5 ms;
  we = 1.62 mV, wi = -9 mV; v0 = Vr + rand*(Vt - Vr), ge0 = gi0 = 0; method 'linear' (= 'exact').
- COBAHH (benchmark 3): brian-team/brian2 examples/COBAHH.py: Traub-Miles HH, area 20000 um2, VT -63 mV,
  exponential synaptic conductances we 6 nS, wi 67 nS; threshold v > -20 mV, refractory 3 ms (no reset);
  v0 = El + (randn*5 - 5) mV, ge0 = (randn*1.5 + 4)*10 nS, gi0 = (randn*12 + 20)*10 nS, m = n = h = 0
  initially (the example does not set them); 'exponential_euler'.
Seed: b2.seed(SEED) and np.random.seed(SEED) before the network is built.

Timing. cpp_standalone (single thread: openmp_threads 0, make -j1): loop_s = the binary's own measurement
of the simulation loop (device._last_run_time); build_s = 'make clean' + 'make'; codegen_s = the rest of
device.build() outside compiling and running the binary. cython: the network is built and run once
(first run: compiles or loads the Cython code; build_s = construction + first run, the cold/first-run cost),
then restored to its initial state (Network.store/restore) and run again: loop_s = wall time of that
second run() (warm). total_s = wall time from the start of this script (brian2 import included) to the end.
"""

import time

T_START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import brian2 as b2  # noqa: E402
import numpy as np  # noqa: E402
from brian2 import cm, ms, msiemens, mV, nS, siemens, ufarad, umetre  # noqa: E402

argv = list(sys.argv[1:])
opts = {"--n": None, "--p": None, "--weight-scale": None}
for opt in list(opts):
    if opt in argv:
        k = argv.index(opt)
        opts[opt] = float(argv[k + 1])
        del argv[k:k + 2]
spikes_path = None
if "--spikes" in argv:
    k = argv.index("--spikes")
    spikes_path = argv[k + 1]
    del argv[k:k + 2]
if len(argv) < 2 or argv[0] not in ("COBA", "CUBA", "COBAHH") or argv[1] not in ("cpp_standalone", "cython"):
    sys.exit(__doc__)
model, mode = argv[0], argv[1]
t_stop = float(argv[2]) if len(argv) > 2 else 1000.0
dt = float(argv[3]) if len(argv) > 3 else 0.1
seed = int(argv[4]) if len(argv) > 4 else 1
# --n N, --p P, --weight-scale S (COBA only): the same network at another size (scale benchmark):
# N neurons (80 % excitatory), connection probability P, weights multiplied by S
N = int(opts["--n"]) if opts["--n"] else 4000
N_E = int(0.8 * N)
P_CONN = opts["--p"] if opts["--p"] else 0.02
W_SCALE = opts["--weight-scale"] if opts["--weight-scale"] else 1.0

b2.prefs.logging.std_redirection = False
outdir = None
if mode == "cpp_standalone":
    outdir = tempfile.mkdtemp(prefix="brian2_brette2007_")
    b2.set_device("cpp_standalone", directory=outdir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j1"]
else:
    b2.prefs.codegen.target = "cython"
b2.defaultclock.dt = dt * ms
b2.seed(seed)
np.random.seed(seed)  # noqa: NPY002


def build_coba():
    ns = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "El": -60 * mV, "Vt": -50 * mV, "Vr": -60 * mV,
          "Ee": 0 * mV, "Ei": -80 * mV,
          "we": 6.0 / 10.0 * W_SCALE,  # 6 nS in units of g_L = 10 nS
          "wi": 67.0 / 10.0 * W_SCALE}  # 67 nS
    eqs = """
    dv/dt = (El - v + ge*(Ee - v) + gi*(Ei - v))*(1./taum) : volt (unless refractory)
    dge/dt = -ge*(1./taue) : 1
    dgi/dt = -gi*(1./taui) : 1
    """
    method = "euler"
    P = b2.NeuronGroup(N, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method=method,
                       namespace=ns)
    Ce = b2.Synapses(P[:N_E], P, on_pre="ge += we", namespace=ns)
    Ce.connect(p=P_CONN)
    Ci = b2.Synapses(P[N_E:], P, on_pre="gi += wi", namespace=ns)
    Ci.connect(p=P_CONN)
    P.v = "El + (randn()*5 - 5)*mV"
    P.ge = "randn()*1.5 + 4"
    P.gi = "randn()*12 + 20"
    return P, [Ce, Ci], method


def build_cuba():
    ns = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV, "Vr": -60 * mV, "El": -49 * mV,
          "we": (60 * 0.27 / 10) * mV,  # excitatory synaptic weight (voltage), 1.62 mV
          "wi": (-20 * 4.5 / 10) * mV}  # inhibitory synaptic weight, -9 mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    method = "linear"
    P = b2.NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method=method,
                       namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect("i<3200", p=0.02)
    Ci.connect("i>=3200", p=0.02)
    return P, [Ce, Ci], method


def build_cobahh():
    area = 20000 * umetre**2
    ns = {"area": area, "Cm": (1 * ufarad * cm**-2) * area, "gl": (5e-5 * siemens * cm**-2) * area,
          "El": -60 * mV, "EK": -90 * mV, "ENa": 50 * mV,
          "g_na": (100 * msiemens * cm**-2) * area, "g_kd": (30 * msiemens * cm**-2) * area,
          "VT": -63 * mV, "taue": 5 * ms, "taui": 10 * ms, "Ee": 0 * mV, "Ei": -80 * mV,
          "we": 6 * nS, "wi": 67 * nS}
    eqs = b2.Equations("""
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
             g_na*(m*m*m)*h*(v-ENa)-
             g_kd*(n*n*n*n)*(v-EK))/Cm : volt
    dm/dt = alpha_m*(1-m)-beta_m*m : 1
    dn/dt = alpha_n*(1-n)-beta_n*n : 1
    dh/dt = alpha_h*(1-h)-beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/
             (exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
    beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/
            (exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/
             (exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    """)
    method = "exponential_euler"
    P = b2.NeuronGroup(N, model=eqs, threshold="v>-20*mV", refractory=3 * ms, method=method, namespace=ns)
    Ce = b2.Synapses(P[:N_E], P, on_pre="ge+=we", namespace=ns)
    Ci = b2.Synapses(P[N_E:], P, on_pre="gi+=wi", namespace=ns)
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    return P, [Ce, Ci], method


def spike_stats(t_ms, idx):
    n_spikes = len(t_ms)
    t_s = t_stop / 1000.0
    counts = np.bincount(idx, minlength=N)
    order = np.lexsort((t_ms, idx))
    ts = t_ms[order]
    cvs = []
    starts = np.concatenate([[0], np.cumsum(counts)])
    for k in np.nonzero(counts >= 3)[0]:
        isi = np.diff(ts[starts[k]:starts[k + 1]])
        cvs.append(np.std(isi) / np.mean(isi))
    return {
        "n_spikes": int(n_spikes),
        "rate_hz": float(n_spikes / (N * t_s)),
        "rate_e_hz": float(counts[:N_E].sum() / (N_E * t_s)),
        "rate_i_hz": float(counts[N_E:].sum() / ((N - N_E) * t_s)),
        "cv_isi_mean": float(np.mean(cvs)) if cvs else float("nan"),
        "n_cv_neurons": len(cvs),
    }


builder = {"COBA": build_coba, "CUBA": build_cuba, "COBAHH": build_cobahh}[model]
out = {"model": model, "mode": mode, "t_stop_ms": t_stop, "dt_ms": dt, "seed": seed, "n_neurons": N,
       "brian2": b2.__version__, "numpy": np.__version__}

t0 = time.perf_counter()
P, syns, method = builder()
mon = b2.SpikeMonitor(P)
net = b2.Network(P, mon, *syns)
out["method"] = method

if mode == "cpp_standalone":
    net.run(t_stop * ms)
    t1 = time.perf_counter()
    sys.stdout.flush()
    saved_stdout = os.dup(1)
    os.dup2(2, 1)  # compiler/make chatter goes to stderr: stdout carries only the JSON line
    try:
        b2.device.build(directory=outdir, compile=True, run=True, debug=False, clean=True)
    finally:
        sys.stdout.flush()
        os.dup2(saved_stdout, 1)
        os.close(saved_stdout)
    build_total = time.perf_counter() - t1
    timers = b2.device.timers
    clean_s = float(timers["compile"]["clean"] or 0.0)
    make_s = float(timers["compile"]["make"])
    run_binary_s = float(timers["run_binary"])
    out["loop_s"] = float(b2.device._last_run_time)
    out["build_s"] = clean_s + make_s
    out["codegen_s"] = build_total - clean_s - make_s - run_binary_s
    out["run_binary_s"] = run_binary_s
    out["construct_s"] = t1 - t0  # Python-side network description (no computation in standalone)
    out["threads"] = 1
else:
    construct_s = time.perf_counter() - t0  # includes synapse creation and initialisation (computed here)
    net.store("initial")
    t1 = time.perf_counter()
    net.run(t_stop * ms)  # first run compiles (or loads from the cache) the Cython code objects
    first_run_s = time.perf_counter() - t1
    out["first_run_n_spikes"] = int(mon.num_spikes)
    net.restore("initial")
    t1 = time.perf_counter()
    net.run(t_stop * ms)
    out["loop_s"] = time.perf_counter() - t1
    out["build_s"] = construct_s + first_run_s
    out["construct_s"] = construct_s
    out["first_run_s"] = first_run_s

out["n_synapses"] = int(sum(len(S) for S in syns))
t_ms = np.asarray(mon.t / ms, dtype=np.float64)
idx = np.asarray(mon.i[:], dtype=np.int64)
out.update(spike_stats(t_ms, idx))
if spikes_path:
    np.savez(spikes_path, t_ms=t_ms, i=idx.astype(np.int32))
if outdir is not None:
    shutil.rmtree(outdir, ignore_errors=True)
out["total_s"] = time.perf_counter() - T_START
import resource  # noqa: E402


def _vm_hwm_mb() -> float:
    """Peak resident memory of this process since its exec (VmHWM; ru_maxrss would include a
    forking parent's peak on Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# peak resident memory (MB): this process (runtime mode: the whole simulation) and the largest
# of its children (cpp_standalone: the compiler and the simulation binary, which inherit this
# process's peak at fork, so this is an upper bound for them)
out["peak_rss_mb_self"] = _vm_hwm_mb()
out["peak_rss_mb_children"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
out["n"], out["p"], out["weight_scale"] = N, P_CONN, W_SCALE
print(json.dumps(out))
