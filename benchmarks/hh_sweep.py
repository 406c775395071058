"""HH parameter sweep benchmark: neurodyn against Brian2 and NEURON, measured in the same run.

The problem (see tests/reference_data/README.md): 1000 squid-HH parameter sets
[gnabar, gkbar, gl (S/cm2), I (uA/cm2)], each simulated for 500 ms at dt = 0.025 ms from v = -65 mV
with the gates at steady state and a constant current; spikes = upward crossings of 0 mV.

What is timed
-------------
* neurodyn: one batched ``nd.simulate`` call over all 1000 sets. "first call" is the wall time of
  the first call in the process (tracing + XLA compilation + one run); "run" is the wall time of a
  warm call (simulate + spike_counts), median [min-max] of ``--repeats`` calls; "compile" is first
  call minus the warm median. Four configurations: float64/float32 x
  {rates="neuron_table" + backward_euler (NEURON's scheme), rates="exact" + exp_euler (Brian2's)}.
* Brian2 2.9 (subprocess ``benchmarks/peers/brian2_hh_sweep.py``, one NeuronGroup of 1000):
  cpp_standalone (loop = the binary's own measurement of the simulation loop; build = ``make``)
  and runtime/cython (loop = a warm ``run()`` after an in-process warm-up run); median of
  ``--brian2-procs`` fresh processes per mode.
* NEURON (in-process): a loop over the sets on one section with ``hh`` (``usetable_hh`` = 1, the
  default, as for the stored reference counts), IClamp on for the whole run, APCount at 0 mV; the
  whole loop is timed (set parameters + finitialize + run per set), fixed step dt = 0.025 and
  CVODE with default tolerances. ``--neuron-sets N`` times the first N sets and extrapolates.

Every process is pinned to the same core(s) (default core 0, set before numpy/JAX are imported;
subprocesses inherit it) so that single-threaded peers and XLA:CPU get the same hardware.
Ratios, not absolute times, are the result: absolute times drift from machine to machine.

usage: python benchmarks/hh_sweep.py [--quick] [--repeats N] [--cores 0|all|0,1] [--json PATH]
       [--no-brian2] [--no-neuron] [--neuron-sets N] [--brian2-procs N] [--brian2-python PY]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "reference_data" / "hh_sweep"
PEER_BRIAN2 = REPO / "benchmarks" / "peers" / "brian2_hh_sweep.py"
sys.path.insert(0, str(REPO / "benchmarks"))
from _common import (  # noqa: E402
    busy_cores,
    cpu_model,
    find_brian2_python,
    med_min_max,
    parse_cores,
    pin,
    run_json,
)

T_STOP = 500.0  # ms
DT = 0.025  # ms
V_INIT = -65.0  # mV

# Acceptance targets (float64): neurodyn run time relative to the peers' loops; spike counts.
TARGET_B2_CPP = 0.25
STRETCH_B2_CPP = 0.15
TARGET_NRN_FIXED = 0.01
TARGET_EQUAL = 0.98
TARGET_WITHIN1 = 0.99

_T_START = time.perf_counter()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="HH 1000-set sweep: neurodyn vs Brian2 and NEURON (same run, ratios).")
    p.add_argument("--repeats", type=int, default=None,
                   help="warm neurodyn runs per configuration (default 3; --quick: 1)")
    p.add_argument("--quick", action="store_true",
                   help="repeats 1, NEURON 100 sets extrapolated, 1 Brian2 process per mode")
    p.add_argument("--cores", default="0",
                   help='CPU cores to pin to: "0" (default), a list such as "0,1" or "0-1", '
                        'or "all" for no pinning')
    p.add_argument("--json", metavar="PATH", help="write all numbers to this JSON file")
    p.add_argument("--no-brian2", action="store_true", help="skip Brian2")
    p.add_argument("--no-neuron", action="store_true", help="skip NEURON")
    p.add_argument("--neuron-sets", type=int, default=None,
                   help="time NEURON on the first N sets and extrapolate to 1000 "
                        "(default all; --quick: 100)")
    p.add_argument("--neuron-repeats", type=int, default=1,
                   help="NEURON loops per mode (default 1; the loop takes ~1 min)")
    p.add_argument("--brian2-procs", type=int, default=None,
                   help="fresh Brian2 processes per mode (default 3; --quick: 1)")
    p.add_argument("--brian2-python", default=None,
                   help="a Python interpreter that has brian2 (else NEURODYN_BRIAN2_PYTHON, "
                        "this interpreter, then <repo>/.venv-brian2/bin/python)")
    return p




# Parse and pin BEFORE numpy / JAX are imported, so that XLA and BLAS size their thread pools to
# the pinned cores; subprocesses (Brian2, its standalone binary) inherit the affinity.
ARGS = build_parser().parse_args() if __name__ == "__main__" else build_parser().parse_args([])
_CORES = parse_cores(ARGS.cores)
if __name__ == "__main__":
    pin(_CORES)

# compile times are measured cold: neurodyn's persistent compilation cache stays off unless the
# user asks for a JAX cache explicitly (then the output says so)
if not os.environ.get("JAX_COMPILATION_CACHE_DIR"):
    os.environ.setdefault("NEURODYN_CACHE_DIR", "off")

import numpy as np  # noqa: E402

# ----------------------------------------------------------------------------------------------
# helpers


def fmt_t(d: dict | None) -> str:
    if d is None:
        return "-"
    if len(d["all"]) == 1:
        return f"{d['median']:.3f}"
    return f"{d['median']:.3f} [{d['min']:.3f}-{d['max']:.3f}]"


def agreement(counts: np.ndarray, ref: np.ndarray) -> dict:
    counts = np.asarray(counts)
    ref = np.asarray(ref)[: len(counts)]
    diff = np.abs(counts.astype(np.int64) - ref.astype(np.int64))
    return {"n": len(counts), "equal": float(np.mean(diff == 0)),
            "within1": float(np.mean(diff <= 1)), "max_abs_diff": int(diff.max())}


def fmt_agr(a: dict | None) -> str:
    if a is None:
        return "-"
    return f"{100 * a['equal']:5.1f}% / {100 * a['within1']:5.1f}%"





# ----------------------------------------------------------------------------------------------
# neurodyn


NEURODYN_CONFIGS = [
    # key, dtype, rates, method, description
    ("nd_f64_table_be", "float64", "neuron_table", "backward_euler",
     "f64 neuron_table + backward_euler (NEURON)"),
    ("nd_f64_exact_ee", "float64", "exact", "exp_euler", "f64 exact + exp_euler (Brian2)"),
    ("nd_f64_exact_be", "float64", "exact", "backward_euler", "f64 exact + backward_euler"),
    ("nd_f32_table_be", "float32", "neuron_table", "backward_euler",
     "f32 neuron_table + backward_euler (NEURON)"),
    ("nd_f32_exact_ee", "float32", "exact", "exp_euler", "f32 exact + exp_euler (Brian2)"),
]


def run_neurodyn(P: np.ndarray, refs: dict, repeats: int) -> dict:
    t0 = time.perf_counter()
    import jax
    import jax.numpy as jnp

    import neurodyn as nd
    import_s = time.perf_counter() - t0
    # Initialise the XLA CPU backend outside the timed first call (it is not compile time).
    t0 = time.perf_counter()
    jnp.zeros(()).block_until_ready()
    backend_s = time.perf_counter() - t0

    batch = {"g_na": P[:, 0] * 1e3, "g_k": P[:, 1] * 1e3, "g_l": P[:, 2] * 1e3,
             "stimulus.amplitude": P[:, 3]}
    out: dict = {"version": getattr(nd, "__version__", "?"), "jax": jax.__version__,
                 "import_s": import_s, "backend_init_s": backend_s,
                 "jax_devices": [str(d) for d in jax.devices()], "configs": {}}
    print(f"neurodyn {out['version']} (jax {jax.__version__}, {out['jax_devices']}): "
          f"import {import_s:.2f} s, backend init {backend_s:.2f} s", flush=True)

    for key, dtype, rates, method, desc in NEURODYN_CONFIGS:
        model = nd.models.HodgkinHuxley(rates=rates)

        def call(model=model, dtype=dtype, method=method):
            t = time.perf_counter()
            res = nd.simulate(model, T_STOP, DT, stimulus=nd.stimuli.Step(amplitude=0.0),
                              record=(), batch=batch, method=method, dtype=dtype)
            counts = np.asarray(res.spike_counts())
            return time.perf_counter() - t, res, counts

        first_s, res, counts = call()
        walls, engine_run = [], []
        deterministic = True
        for _ in range(repeats):
            w, r, c = call()
            walls.append(w)
            engine_run.append(float(r.stats.get("run_s", float("nan"))))
            deterministic &= bool(np.array_equal(c, counts))
        run = med_min_max(walls)
        cfg = {
            "desc": desc, "dtype": dtype, "rates": rates, "method": method,
            "first_call_s": first_s, "run_s": run, "compile_s": first_s - run["median"],
            "engine_run_s": med_min_max(engine_run),
            "first_call_stats": {k: (v if isinstance(v, (int, float, str, bool)) else str(v))
                      for k, v in res.stats.items()},
            "spikes_total": int(counts.sum()), "deterministic": deterministic,
            "agreement": {name: agreement(counts, ref) for name, ref in refs.items()},
            "counts": counts.astype(int).tolist(),
        }
        out["configs"][key] = cfg
        a = cfg["agreement"]["neuron_fixed"]
        print(f"  {desc}: first call {first_s:.2f} s, run {fmt_t(run)} s (engine loop "
              f"{cfg['engine_run_s']['median']:.3f} s), "
              f"{cfg['spikes_total']} spikes, = NEURON fixed {100 * a['equal']:.1f}%", flush=True)
        if not deterministic:
            print("  WARNING: spike counts differ between repeated runs", flush=True)
    return out


# ----------------------------------------------------------------------------------------------
# NEURON


def run_neuron(P: np.ndarray, refs: dict, n_sets: int, repeats: int) -> dict:
    try:
        t0 = time.perf_counter()
        import neuron
        from neuron import h
        import_s = time.perf_counter() - t0
    except Exception as exc:  # any failure: not usable
        return {"skipped": f"cannot import neuron: {exc!r}"}

    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.L = soma.diam = 17.841241161527712  # area 1000 um2 (the density -> nA conversion below)
    soma.nseg = 1
    soma.cm = 1.0
    soma.insert("hh")
    h.celsius = 6.3
    area_um2 = h.area(0.5, sec=soma)
    stim = h.IClamp(soma(0.5))
    stim.delay = 0.0
    stim.dur = 1e9  # on for the whole run
    apc = h.APCount(soma(0.5))
    apc.thresh = 0.0
    cvode = h.CVode()
    n = min(n_sets, len(P))
    out: dict = {"version": neuron.__version__, "import_s": import_s, "n_sets": n,
                 "n_total": len(P), "extrapolated": n < len(P), "area_um2": area_um2,
                 "usetable_hh": float(h.usetable_hh), "modes": {}}

    for mode, active in (("fixed", 0), ("cvode", 1)):
        cvode.active(active)
        loops = []
        counts = np.zeros(n, dtype=np.int64)
        for _ in range(repeats):
            t0 = time.perf_counter()
            for i in range(n):
                gna, gk, gl, i_dens = P[i]
                soma.gnabar_hh = gna
                soma.gkbar_hh = gk
                soma.gl_hh = gl
                stim.amp = i_dens * area_um2 * 1e-5  # uA/cm2 * um2 -> nA
                h.dt = DT
                h.finitialize(V_INIT)
                h.continuerun(T_STOP)
                counts[i] = int(apc.n)
            loops.append(time.perf_counter() - t0)
        loop_meas = med_min_max(loops)
        scale = len(P) / n
        loop_1000 = {k: (v * scale if k != "all" else [x * scale for x in v])
                     for k, v in loop_meas.items()}
        out["modes"][mode] = {
            "loop_s_measured": loop_meas, "loop_s": loop_1000, "spikes_total": int(counts.sum()),
            "spikes_total_est_1000": float(counts.sum() * scale),
            "agreement": {name: agreement(counts, ref) for name, ref in refs.items()},
            "counts": counts.astype(int).tolist(),
        }
        ext = f" (measured {n} sets: {fmt_t(loop_meas)} s, x{scale:g})" if n < len(P) else ""
        a = out["modes"][mode]["agreement"][f"neuron_{mode}"]
        print(f"  NEURON {mode}: loop {fmt_t(loop_1000)} s for {len(P)} sets{ext}; counts equal "
              f"to the stored NEURON {mode} reference in {round(a['equal'] * n)}/{n} sets",
              flush=True)
    cvode.active(0)
    return out


# ----------------------------------------------------------------------------------------------
# Brian2 (subprocess)


def run_brian2(python: str, params_path: Path, refs: dict, procs: int) -> dict:
    out: dict = {"python": python, "procs": procs, "modes": {}}
    for mode in ("cpp_standalone", "cython"):
        runs, errors = [], []
        for _ in range(procs):
            d = run_json([python, str(PEER_BRIAN2), str(params_path), mode, str(T_STOP),
                          str(DT)], timeout=900)
            if "error" in d:
                errors.append(" | ".join(d["error"].strip().splitlines()[-3:]))
                continue
            d["process_wall_s"] = d.pop("process_s")
            runs.append(d)
        if not runs:
            out["modes"][mode] = {"failed": errors}
            print(f"  Brian2 {mode}: FAILED: {errors}", flush=True)
            continue
        counts = np.asarray(runs[0]["counts"])
        same = all(np.array_equal(np.asarray(d["counts"]), counts) for d in runs)
        m = {
            "loop_s": med_min_max([float(d["loop_s"]) for d in runs]),
            "process_wall_s": med_min_max([d["process_wall_s"] for d in runs]),
            "spikes_total": int(counts.sum()), "counts_same_across_procs": same,
            "agreement": {name: agreement(counts, ref) for name, ref in refs.items()},
            "counts": counts.astype(int).tolist(), "errors": errors,
            "brian2": runs[0].get("brian2"), "numpy": runs[0].get("numpy"),
        }
        if mode == "cpp_standalone":
            m["build_s"] = med_min_max([float(d.get("compile_s", float("nan"))) for d in runs])
            m["build_and_run_s"] = med_min_max([float(d["build_and_run_s"]) for d in runs])
        else:
            m["first_run_s"] = med_min_max([float(d["first_run_s"]) for d in runs])
        out["modes"][mode] = m
        print(f"  Brian2 {mode}: loop {fmt_t(m['loop_s'])} s over {len(runs)} process(es), "
              f"{m['spikes_total']} spikes", flush=True)
    return out


# ----------------------------------------------------------------------------------------------
# report


def report(res: dict) -> list[str]:
    lines: list[str] = []
    nd_cfgs = res["neurodyn"]["configs"]
    b2 = res.get("brian2", {}).get("modes", {}) if "skipped" not in res.get("brian2", {}) else {}
    nrn = res.get("neuron", {}).get("modes", {}) if "skipped" not in res.get("neuron", {}) else {}
    nrn_ext = res.get("neuron", {}).get("extrapolated", False)

    hdr = (f"{'tool / config':<52} {'compile/build s':>15}  {'run/loop s: median [min-max]':<30}"
           f" {'spikes':>7}  {'= / ±1 NEURON fixed':>19}  {'= / ±1 Brian2 ref':>17}")
    lines += ["", "Results (1000 sets x 500 ms, dt 0.025 ms; times in seconds)", hdr,
              "-" * len(hdr)]

    def row(name, build, run, spikes, agr):
        nf, b2r = fmt_agr(agr.get("neuron_fixed")), fmt_agr(agr.get("brian2_cpp"))
        lines.append(f"{name:<52} {build:>15}  {run:<30} {spikes:>7}  {nf:>19}  {b2r:>17}")

    for cfg in nd_cfgs.values():
        row(f"neurodyn {cfg['desc']}", f"{cfg['compile_s']:.2f}", fmt_t(cfg["run_s"]),
            str(cfg["spikes_total"]), cfg["agreement"])
    if "cpp_standalone" in b2 and "loop_s" in b2["cpp_standalone"]:
        m = b2["cpp_standalone"]
        row("Brian2 cpp_standalone (exp. Euler)", f"{m['build_s']['median']:.2f} (make)",
            fmt_t(m["loop_s"]), str(m["spikes_total"]), m["agreement"])
    if "cython" in b2 and "loop_s" in b2["cython"]:
        m = b2["cython"]
        row("Brian2 runtime cython, warm (exp. Euler)", "-", fmt_t(m["loop_s"]),
            str(m["spikes_total"]), m["agreement"])
    for mode, label in (("fixed", "NEURON fixed step, loop over sets"),
                        ("cvode", "NEURON CVODE, loop over sets")):
        if mode in nrn:
            m = nrn[mode]
            tag = " *" if nrn_ext else ""
            spikes = (str(m["spikes_total"]) if not nrn_ext
                      else f"~{m['spikes_total_est_1000']:.0f}")
            row(label + tag, "-", fmt_t(m["loop_s"]), spikes, m["agreement"])
    lines.append("Agreement columns: % of sets with equal spike count / within ±1, against the "
                 "stored reference counts (tests/reference_data/hh_sweep).")
    if nrn_ext:
        n = res["neuron"]["n_sets"]
        lines.append(f"* NEURON measured on the first {n} sets only; loop time and spike total "
                     f"EXTRAPOLATED x{1000 / n:g} to 1000 sets; agreement over those {n} sets.")
    lines.append("neurodyn compile = first call (trace + XLA compile + one run) minus the warm-run "
                 "median; run = wall time of a warm simulate() + spike_counts().")
    if nrn:
        a = nrn["fixed"]["agreement"]["neuron_fixed"]
        lines.append(f"NEURON fixed step measured now vs stored reference: "
                     f"{round(a['equal'] * a['n'])}/{a['n']} sets identical.")
        if "cvode" in nrn:
            c = nrn["cvode"]["agreement"]["neuron_cvode"]
            lines.append(f"NEURON CVODE measured now vs stored CVODE reference: "
                         f"{round(c['equal'] * c['n'])}/{c['n']} identical, "
                         f"{round(c['within1'] * c['n'])}/{c['n']} within ±1 (CVODE counts are "
                         "sensitive to solver settings and history).")

    # ratios
    peers = {}
    if "loop_s" in b2.get("cpp_standalone", {}):
        peers["Brian2 cpp_standalone"] = b2["cpp_standalone"]["loop_s"]["median"]
    if "loop_s" in b2.get("cython", {}):
        peers["Brian2 cython"] = b2["cython"]["loop_s"]["median"]
    if "fixed" in nrn:
        peers["NEURON fixed" + (" *" if nrn_ext else "")] = nrn["fixed"]["loop_s"]["median"]
    if "cvode" in nrn:
        peers["NEURON CVODE" + (" *" if nrn_ext else "")] = nrn["cvode"]["loop_s"]["median"]
    ratios: dict = {}
    if peers:
        lines += ["", "Ratios: neurodyn warm run (median) / peer loop (median); "
                      "< 1 means neurodyn is faster (speed-up in parentheses)"]
        hdr2 = f"{'neurodyn config':<52}" + "".join(f" {p:>24}" for p in peers)
        lines += [hdr2, "-" * len(hdr2)]
        for key, cfg in nd_cfgs.items():
            ratios[key] = {}
            cells = []
            for p, t in peers.items():
                r = cfg["run_s"]["median"] / t
                ratios[key][p] = r
                cells.append(f" {f'{r:.4f}x ({1 / r:.1f}x)':>24}")
            lines.append(f"{cfg['desc']:<52}" + "".join(cells))
    res["ratios"] = ratios

    # targets
    lines += ["", "Targets (float64; computed from the numbers above)"]
    targets = []

    def tgt(name, ok, detail):
        status = "n/a " if ok is None else ("PASS" if ok else "MISS")
        targets.append({"target": name, "status": status.strip(), "detail": detail})
        lines.append(f"  {status}  {name}: {detail}")

    for key in ("nd_f64_table_be", "nd_f64_exact_ee"):
        cfg = nd_cfgs[key]
        t = cfg["run_s"]["median"]
        head = " [headline]" if key == "nd_f64_table_be" else ""
        label = f"{cfg['desc']}{head}"
        if "loop_s" in b2.get("cpp_standalone", {}):
            b = b2["cpp_standalone"]["loop_s"]["median"]
            tgt(f"run <= {TARGET_B2_CPP}x Brian2 cpp_standalone loop, {label}",
                t / b <= TARGET_B2_CPP, f"{t:.3f} / {b:.3f} = {t / b:.3f}x")
            tgt(f"stretch: run <= {STRETCH_B2_CPP}x Brian2 cpp_standalone loop, {label}",
                t / b <= STRETCH_B2_CPP, f"{t:.3f} / {b:.3f} = {t / b:.3f}x")
        else:
            tgt(f"run <= {TARGET_B2_CPP}x Brian2 cpp_standalone loop, {label}", None,
                "Brian2 not measured")
        if "fixed" in nrn:
            nf = nrn["fixed"]["loop_s"]["median"]
            ext = " (NEURON time extrapolated)" if nrn_ext else ""
            tgt(f"run <= {TARGET_NRN_FIXED}x NEURON fixed-step loop, {label}",
                t / nf <= TARGET_NRN_FIXED, f"{t:.3f} / {nf:.2f} = {t / nf:.4f}x{ext}")
        else:
            tgt(f"run <= {TARGET_NRN_FIXED}x NEURON fixed-step loop, {label}", None,
                "NEURON not measured")
    a = nd_cfgs["nd_f64_table_be"]["agreement"]["neuron_fixed"]
    desc = nd_cfgs["nd_f64_table_be"]["desc"]
    tgt(f"spike counts equal NEURON fixed step in >= {100 * TARGET_EQUAL:.0f}% of sets, {desc}",
        a["equal"] >= TARGET_EQUAL,
        f"{100 * a['equal']:.1f}% ({round(a['equal'] * a['n'])}/{a['n']})")
    tgt(f"spike counts within ±1 of NEURON fixed step in >= {100 * TARGET_WITHIN1:.0f}% of sets, "
        f"{desc}", a["within1"] >= TARGET_WITHIN1,
        f"{100 * a['within1']:.1f}% ({round(a['within1'] * a['n'])}/{a['n']})")
    res["targets"] = targets
    return lines


def main() -> int:
    args = ARGS
    quick = args.quick
    repeats = args.repeats if args.repeats is not None else (1 if quick else 3)
    neuron_sets = args.neuron_sets if args.neuron_sets is not None else (100 if quick else 1000)
    b2_procs = args.brian2_procs if args.brian2_procs is not None else (1 if quick else 3)
    if repeats < 1 or neuron_sets < 1 or b2_procs < 1 or args.neuron_repeats < 1:
        raise SystemExit("--repeats, --neuron-sets, --neuron-repeats, --brian2-procs must be >= 1")

    params_path = DATA / "hh_sweep_params.npy"
    P = np.load(params_path)
    refs = {"neuron_fixed": np.load(DATA / "hh_sweep_counts_neuron_fixed.npy"),
            "neuron_cvode": np.load(DATA / "hh_sweep_counts_neuron_cvode.npy"),
            "brian2_cpp": np.load(DATA / "hh_sweep_counts_brian2_cpp.npy")}
    cores = sorted(os.sched_getaffinity(0))
    pinned = _CORES is not None
    print(f"HH sweep benchmark: {len(P)} sets x {T_STOP:g} ms, dt {DT} ms")
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; "
          f"python {platform.python_version()}, numpy {np.__version__}")
    if pinned:
        print(f"cores: pinned to {cores} (os.sched_setaffinity before importing numpy/JAX; "
              "Brian2 subprocesses and NEURON use the same cores)")
    else:
        print(f"cores: NOT pinned (--cores all): {cores}; multi-threaded XLA vs single-threaded "
              "peers is not a like-for-like comparison")
    load = os.getloadavg()
    busy = busy_cores()
    busy_txt = "?" if busy is None else f"{busy:.2f}"
    print(f"machine load before start: {busy_txt} cores busy over 1 s; load average "
          f"{load[0]:.2f} (1 min)"
          + ("  WARNING: other processes are busy; timings and ratios will be noisy"
             if busy is not None and busy > 0.25 else ""))
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        print(f"note: JAX_COMPILATION_CACHE_DIR={os.environ['JAX_COMPILATION_CACHE_DIR']} is set; "
              "compile times may come from the persistent cache")
    print(f"settings: repeats {repeats}, NEURON sets {neuron_sets} x {args.neuron_repeats} "
          f"loop(s), Brian2 {b2_procs} process(es) per mode", flush=True)

    res: dict = {
        "benchmark": "hh_sweep", "n_sets": len(P), "t_stop_ms": T_STOP, "dt_ms": DT,
        "cores": cores, "pinned": pinned, "cpu": cpu_model(), "python": platform.python_version(),
        "numpy": np.__version__, "repeats": repeats, "loadavg_start": list(load),
        "busy_cores_start": busy,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }

    print("\n[neurodyn]", flush=True)
    res["neurodyn"] = run_neurodyn(P, refs, repeats)

    print("\n[NEURON]", flush=True)
    if args.no_neuron:
        res["neuron"] = {"skipped": "--no-neuron"}
    else:
        res["neuron"] = run_neuron(P, refs, neuron_sets, args.neuron_repeats)
    if "skipped" in res["neuron"]:
        print(f"  NEURON skipped: {res['neuron']['skipped']}")

    print("\n[Brian2]", flush=True)
    if args.no_brian2:
        res["brian2"] = {"skipped": "--no-brian2"}
    else:
        python, how, rejected = find_brian2_python(args.brian2_python)
        if python is None:
            res["brian2"] = {"skipped": "no Python with brian2 found: " + "; ".join(rejected)}
        else:
            print(f"  Brian2 python: {how}", flush=True)
            res["brian2"] = run_brian2(python, params_path, refs, b2_procs)
            res["brian2"]["found_via"] = how
            res["brian2"]["rejected"] = rejected
    if "skipped" in res["brian2"]:
        print(f"  Brian2 skipped: {res['brian2']['skipped']}")

    lines = report(res)
    res["loadavg_end"] = list(os.getloadavg())
    res["total_wall_s"] = time.perf_counter() - _T_START
    lines.append(f"\nTotal benchmark wall time: {res['total_wall_s']:.1f} s")
    print("\n".join(lines), flush=True)

    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(res, indent=1))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
