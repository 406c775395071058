"""Brette et al. (2007) network benchmarks: neurodyn against Brian2 (and NEST), in the same run.

Models (``neurodyn.network.brette2007``; ../shared/PEERS.md): COBA (4000 LIF, conductance
synapses, forward Euler), CUBA (4000 LIF, current synapses, exponential Euler) and COBAHH (4000
Traub-Miles HH, conductance synapses, exponential Euler); p = 0.02, 1 s at dt = 0.1 ms.

What is timed
-------------
* neurodyn, in this process: *loop* = ``stats["run_s"]`` of a warm ``nd.simulate`` (the chunked
  compiled loop, spikes decoded; the network already built and compiled), median of
  ``--repeats``; *build* = drawing the connections and laying out the arrays; *first* = build +
  compile + run of the first call.
* neurodyn, end to end: a fresh ``python`` process that imports neurodyn, builds the network,
  simulates 1 s and counts the spikes; wall time of the whole process. *cold*: an empty
  compilation cache; *warm*: the same command again (JAX's persistent compilation cache, which
  neurodyn enables by default, holds the compiled kernel).
* Brian2 2.9 (``benchmarks/peers/brian2_brette2007.py``, one process per mode and seed):
  cpp_standalone loop = the binary's own timer, total = process wall time (code generation,
  ``make``, run); cython loop = a warm ``run()`` (second run in the process), total = process
  wall time with Brian2's Cython cache warm (a first process warms it).
* NEST, if ``import nest`` works in this interpreter (it is not on PyPI; otherwise skipped).

Activity is compared over ``--seeds`` seeds per simulator (the networks are chaotic: a seed
changes the rates by +-10 %): mean rate and mean ISI CV, mean +- SD over seeds.

Everything is pinned to one core (default core 0) before numpy/JAX are imported; subprocesses
inherit it. Ratios are the result; absolute times drift with the machine and its load.

* batched throughput (``--batch K``): K COBA variants (weight scales) in one batched call
  against the same variants one by one (each with a warm kernel).
* scale (``--scale N``): COBA with N neurons and ~100 synapses each (p = 100/N, weights x 0.8),
  build time, run time and peak memory, neurodyn and Brian2 cpp_standalone, fresh processes.

usage: python benchmarks/brette2007.py [--models COBA,CUBA,COBAHH] [--seeds N] [--repeats N]
       [--cores 0|all] [--json PATH] [--no-brian2] [--quick] [--batch K] [--scale N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEER = REPO / "benchmarks" / "peers" / "brian2_brette2007.py"
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

MODELS = ("COBA", "CUBA", "COBAHH")
T_STOP, DT = 1000.0, 0.1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Brette et al. 2007 benchmarks: neurodyn vs Brian2.")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    p.add_argument("--seeds", type=int, default=None, help="seeds per simulator (default 5; quick 2)")
    p.add_argument("--repeats", type=int, default=None, help="warm neurodyn runs (default 3; quick 2)")
    p.add_argument("--cores", default="0", help='cores to pin to ("0", "0,1", "all")')
    p.add_argument("--json", metavar="PATH", help="write every number to this JSON file")
    p.add_argument("--no-brian2", action="store_true", help="skip Brian2")
    p.add_argument("--quick", action="store_true", help="2 seeds, 2 repeats, COBAHH cython skipped")
    p.add_argument("--brian2-python", default=None, help="a Python interpreter with brian2")
    p.add_argument("--batch", type=int, default=32,
                   help="COBA variants in the batched-throughput test (0: skip; default 32)")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"),
                   help="neurodyn's precision (default float64; Brian2 always runs float64)")
    p.add_argument("--scale", type=int, default=0, metavar="N",
                   help="also run the scale test: COBA with N neurons and ~100 synapses each "
                        "(e.g. 100000), neurodyn and Brian2 cpp_standalone, 1 s")
    return p


ARGS = build_parser().parse_args() if __name__ == "__main__" else build_parser().parse_args([])
_CORES = parse_cores(ARGS.cores)
if __name__ == "__main__":
    pin(_CORES)

import numpy as np  # noqa: E402

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import neurodyn as nd
from neurodyn.network import brette2007 as B
t1 = time.perf_counter()
net, st = getattr(B, sys.argv[1].lower())(seed=int(sys.argv[2]))
r = nd.simulate(net, {t_stop}, st["dt"], method=st["method"], seed=int(sys.argv[2]),
                dtype=sys.argv[3])
print(json.dumps({{"import_s": t1 - t0, "in_process_s": time.perf_counter() - t0,
                  "rate_hz": r.rate("P"), "stats": {{k: v for k, v in r.stats.items()
                                                    if isinstance(v, (int, float))}}}}))
"""


def stats_of(rates: list[float], cvs: list[float]) -> dict:
    return {"rates": rates, "cvs": cvs, "rate_mean": float(np.mean(rates)),
            "rate_sd": float(np.std(rates, ddof=1)) if len(rates) > 1 else 0.0,
            "cv_mean": float(np.mean(cvs)),
            "cv_sd": float(np.std(cvs, ddof=1)) if len(cvs) > 1 else 0.0}


def run_neurodyn(model: str, seeds: int, repeats: int) -> dict:
    import neurodyn as nd
    from neurodyn.network import brette2007 as B

    make = getattr(B, model.lower())
    out: dict = {}
    net, st = make(seed=1)
    t0 = time.perf_counter()
    r = nd.simulate(net, T_STOP, st["dt"], method=st["method"], seed=1, dtype=ARGS.dtype)
    out["first_call_s"] = time.perf_counter() - t0
    out["build_s"] = r.stats["build_s"]
    out["n_synapses"] = r.stats["n_synapses"]
    loops = []
    for _ in range(repeats):
        r = nd.simulate(net, T_STOP, st["dt"], method=st["method"], seed=1, dtype=ARGS.dtype)
        loops.append(r.stats["run_s"])
    out["loop_s"] = med_min_max(loops)
    rates, cvs = [], []
    for seed in range(1, seeds + 1):
        net, st = make(seed=seed)
        r = nd.simulate(net, T_STOP, st["dt"], method=st["method"], seed=seed, dtype=ARGS.dtype)
        rates.append(r.rate("P"))
        cvs.append(float(np.mean(r.isi_cv("P"))))
    out["activity"] = stats_of(rates, cvs)
    out["method"] = st["method"]
    # end to end, fresh processes: cold cache, then warm
    code = _CHILD.format(t_stop=T_STOP)
    with tempfile.TemporaryDirectory(prefix="neurodyn_cache_") as cache:
        env = {**os.environ, "NEURODYN_CACHE_DIR": cache}
        env.pop("JAX_COMPILATION_CACHE_DIR", None)
        for label in ("cold", "warm"):
            r = run_json([sys.executable, "-c", code, model, "1", ARGS.dtype], env=env,
                         timeout=900)
            # the child's own total_s (import to result) wins over the process time
            out[f"e2e_{label}"] = r if "error" in r else {"total_s": r.pop("process_s"), **r}
    return out


def run_batched(k: int, repeats: int) -> dict:
    """k COBA variants (weight scales 0.8-1.2 on E, 1.2-0.8 on I) in one batched call, against
    the same variants run one by one (the per-variant time of a few, all with a warm kernel)."""
    import neurodyn as nd
    from neurodyn.network import Network, Projection
    from neurodyn.network import brette2007 as B

    net, st = B.coba(seed=1)
    we, wi = np.linspace(0.8, 1.2, k), np.linspace(1.2, 0.8, k)
    batch = {"exc.weight_scale": we, "inh.weight_scale": wi}
    out: dict = {"k": k}
    t0 = time.perf_counter()
    rs = nd.simulate(net, T_STOP, st["dt"], method=st["method"], seed=1, batch=batch)
    out["batched_first_s"] = time.perf_counter() - t0
    walls = []
    for _ in range(max(1, repeats - 1)):
        t0 = time.perf_counter()
        rs = nd.simulate(net, T_STOP, st["dt"], method=st["method"], seed=1, batch=batch)
        walls.append(time.perf_counter() - t0)
    out["batched_s"] = med_min_max(walls)
    out["batched_run_s"] = rs[0].stats["run_s"]
    singles, rates_single = [], []
    idx = sorted({0, k // 3, 2 * k // 3, k - 1})
    for j in idx:
        pr = [Projection(p.pre, p.post, p.connector, p.synapse, weight=f"{w0 * sc} nS",
                         delay=p.delay, receptor=p.receptor)
              for p, w0, sc in zip(net.projections, (6.0, 67.0), (we[j], wi[j]))]
        single = Network(net.populations, pr)
        nd.simulate(single, T_STOP, st["dt"], method=st["method"], seed=1)  # kernel warm
        t0 = time.perf_counter()
        r = nd.simulate(single, T_STOP, st["dt"], method=st["method"], seed=1)
        singles.append(time.perf_counter() - t0)
        rates_single.append(r.rate("P"))
    out["single_s"] = med_min_max(singles)
    out["identical_to_single"] = bool(all(
        abs(rs[j].rate("P") - rate) < 1e-12 for j, rate in zip(idx, rates_single)))
    out["throughput_ratio"] = k * out["single_s"]["median"] / out["batched_s"]["median"]
    return out


def run_scale(n: int, python: str | None) -> dict:
    """COBA with n neurons, p = 100/n (about 100 synapses per neuron), weights x 0.8 (the same
    mean input as COBA's 80 synapses); fresh processes; peak resident memory = VmHWM of the
    process (neurodyn) or the larger of the process and its children (Brian2 cpp_standalone:
    the compiler and the binary)."""
    p_conn, ws = 100.0 / n, 0.8
    code = f"""
import json, time
t0 = time.perf_counter()
import neurodyn as nd
from neurodyn.network import brette2007 as B
net, st = B.coba(seed=1, n={n}, p={p_conn}, weight_scale={ws})
t1 = time.perf_counter()
bn = nd.network.build(net, 0.1, seed=1, method="euler")
t2 = time.perf_counter()
r = nd.network.simulate_network(net, {T_STOP}, 0.1, method="euler", seed=1, built=bn)
t3 = time.perf_counter()
print(json.dumps({{"build_s": t2 - t1, "simulate_s": t3 - t2, "run_s": r.stats["run_s"],
                  "first_chunk_s": r.stats["first_chunk_s"], "n_synapses": bn.n_synapses,
                  "rate_hz": r.rate("P"), "total_s": t3 - t0,
                  "peak_rss_mb": [float(l.split()[1]) / 1024 for l in open("/proc/self/status")
                                  if l.startswith("VmHWM:")][0]}}))
"""
    out: dict = {"n": n, "p": p_conn, "weight_scale": ws}
    out["neurodyn"] = run_json([sys.executable, "-c", code], timeout=3600)
    if python:
        out["brian2_cpp"] = run_json([python, str(PEER), "COBA", "cpp_standalone", str(T_STOP),
                                      str(DT), "1", "--n", str(n), "--p", str(p_conn),
                                      "--weight-scale", str(ws)], timeout=3600)
    return out


def run_brian2(python: str, model: str, seeds: int, quick: bool) -> dict:
    out: dict = {}

    def call(mode: str, seed: int) -> dict:
        return run_json([python, str(PEER), model, mode, str(T_STOP), str(DT), str(seed)],
                        timeout=1800)

    out["cpp_standalone"] = call("cpp_standalone", 1)
    if quick and model == "COBAHH":
        return out
    call("cython", 1)  # warms Brian2's Cython cache for this model
    runs = [call("cython", s) for s in range(1, seeds + 1)]
    ok = [r for r in runs if "error" not in r]
    out["cython"] = ok[0] if ok else runs[0]
    if ok:
        out["activity"] = stats_of([r["rate_hz"] for r in ok], [r["cv_isi_mean"] for r in ok])
    return out


def nest_status() -> str:
    try:
        import nest  # noqa: F401
    except Exception as exc:
        return f"not run: NEST is not importable here ({type(exc).__name__}: {exc}); it is not on PyPI"
    return "importable, but the NEST side is not implemented in this script yet"


def fmt(x: float | None, nd: int = 3) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def main() -> int:
    args = ARGS
    models = [m.strip().upper() for m in args.models.split(",") if m.strip()]
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise SystemExit(f"--models: unknown {bad}; choose from {MODELS}")
    seeds = args.seeds or (2 if args.quick else 5)
    repeats = args.repeats or (2 if args.quick else 3)
    t_start = time.perf_counter()
    print(f"Brette et al. (2007) benchmarks, 1 s at dt = 0.1 ms; neurodyn in {args.dtype}"
          + (" (Brian2 runs in float64: not like-for-like)" if args.dtype != "float64" else ""))
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; pinned to "
          f"{'all cores' if _CORES is None else sorted(_CORES)}")
    busy = busy_cores()
    print(f"machine load before start: {fmt(busy, 2)} cores busy; load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    import jax

    dev = jax.devices()[0]
    device = f"{dev.platform}: {getattr(dev, 'device_kind', dev)}"
    print(f"neurodyn runs on {device} (JAX {jax.__version__}); XLA_FLAGS="
          f"{os.environ.get('XLA_FLAGS', '')!r}", flush=True)
    res: dict = {"models": {}, "seeds": seeds, "repeats": repeats, "cores": ARGS.cores,
                 "dtype": args.dtype, "cpu": cpu_model(), "device": device,
                 "jax": jax.__version__, "xla_flags": os.environ.get("XLA_FLAGS", "")}

    def save() -> None:  # after every section: a run cut short keeps what it measured
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(res, indent=1, default=str))
    python = None
    if not args.no_brian2:
        python, how, rejected = find_brian2_python(args.brian2_python)
        print(f"Brian2: {how}" if python else "Brian2: not found (" + "; ".join(rejected) + ")")
    print(f"NEST: {nest_status()}", flush=True)
    for model in models:
        print(f"\n[{model}]", flush=True)
        m: dict = {"neurodyn": run_neurodyn(model, seeds, repeats)}
        nd_ = m["neurodyn"]
        print(f"  neurodyn ({nd_['method']}): loop {fmt(nd_['loop_s']['median'])} s "
              f"[{fmt(nd_['loop_s']['min'])}-{fmt(nd_['loop_s']['max'])}], build "
              f"{fmt(nd_['build_s'])} s, first call {fmt(nd_['first_call_s'], 2)} s; end to end "
              f"cold {fmt(nd_.get('e2e_cold', {}).get('total_s'), 2)} s, warm "
              f"{fmt(nd_.get('e2e_warm', {}).get('total_s'), 2)} s", flush=True)
        if python:
            m["brian2"] = run_brian2(python, model, seeds, args.quick)
            for mode in ("cpp_standalone", "cython"):
                b = m["brian2"].get(mode)
                if b is None:
                    continue
                if "error" in b:
                    print(f"  Brian2 {mode}: FAILED {b['error'][-300:]}")
                    continue
                print(f"  Brian2 {mode} ({b['method']}): loop {fmt(b['loop_s'])} s, total "
                      f"{fmt(b['process_s'], 2)} s, {b['rate_hz']:.2f} Hz", flush=True)
        res["models"][model] = m
        save()

    if args.batch:
        print(f"\n[batched: {args.batch} COBA variants]", flush=True)
        res["batched"] = bt = run_batched(args.batch, repeats)
        print(f"  batched call {fmt(bt['batched_s']['median'], 2)} s (first "
              f"{fmt(bt['batched_first_s'], 2)} s); one variant alone "
              f"{fmt(bt['single_s']['median'])} s -> {args.batch} one by one "
              f"{args.batch * bt['single_s']['median']:.2f} s; throughput ratio "
              f"{bt['throughput_ratio']:.2f}x; spikes identical to the single runs: "
              f"{bt['identical_to_single']}", flush=True)
        save()
    if args.scale:
        print(f"\n[scale: COBA, {args.scale} neurons, ~100 synapses each, 1 s]", flush=True)
        res["scale"] = sc = run_scale(args.scale, python)
        for who in ("neurodyn", "brian2_cpp"):
            d = sc.get(who)
            if d is None:
                continue
            if "error" in d:
                print(f"  {who}: FAILED {d['error'][-300:]}")
                continue
            if who == "neurodyn":
                print(f"  neurodyn: {d['n_synapses']} synapses; build {d['build_s']:.2f} s, "
                      f"simulate {d['simulate_s']:.2f} s (loop {d['run_s']:.2f} s), process "
                      f"{d['process_s']:.1f} s, peak RSS {d['peak_rss_mb']:.0f} MB, "
                      f"{d['rate_hz']:.2f} Hz", flush=True)
            else:
                print(f"  Brian2 cpp_standalone: {d['n_synapses']} synapses; build (make) "
                      f"{d['build_s']:.1f} s, binary {d['run_binary_s']:.2f} s (loop "
                      f"{d['loop_s']:.2f} s), process {d['process_s']:.1f} s, peak RSS "
                      f"{max(d['peak_rss_mb_self'], d['peak_rss_mb_children']):.0f} MB, "
                      f"{d['rate_hz']:.2f} Hz", flush=True)

    # ------------------------------------------------------------------ report
    print("\nActivity over seeds (mean +- SD): rate (Hz), mean ISI CV")
    for model, m in res["models"].items():
        a = m["neurodyn"]["activity"]
        line = f"  {model:7s} neurodyn {a['rate_mean']:6.2f} +- {a['rate_sd']:.2f} Hz, CV " \
               f"{a['cv_mean']:.3f} +- {a['cv_sd']:.3f}"
        b = m.get("brian2", {}).get("activity")
        if b:
            line += f" | Brian2 cython {b['rate_mean']:6.2f} +- {b['rate_sd']:.2f} Hz, CV " \
                    f"{b['cv_mean']:.3f} +- {b['cv_sd']:.3f}"
        print(line)
    print("\nRatios (neurodyn / Brian2; < 1: neurodyn faster)")
    targets = []
    for model, m in res["models"].items():
        nd_ = m["neurodyn"]
        b = m.get("brian2", {})
        cpp, cy = b.get("cpp_standalone", {}), b.get("cython", {})
        loop = nd_["loop_s"]["median"]
        e2e_w = nd_.get("e2e_warm", {}).get("total_s")
        e2e_c = nd_.get("e2e_cold", {}).get("total_s")
        r = {}
        if "loop_s" in cpp:
            r["loop_vs_cpp"] = loop / cpp["loop_s"]
            if e2e_w:
                r["e2e_warm_vs_cpp_total"] = e2e_w / cpp["process_s"]
            if e2e_c:
                r["e2e_cold_vs_cpp_total"] = e2e_c / cpp["process_s"]
        if "loop_s" in cy:
            r["loop_vs_cython"] = loop / cy["loop_s"]
            if e2e_w:
                r["e2e_warm_vs_cython_total"] = e2e_w / cy["process_s"]
        m["ratios"] = r
        print(f"  {model:7s} " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()))
        if model in ("COBA", "CUBA"):
            if "loop_vs_cpp" in r:
                targets.append((r["loop_vs_cpp"] <= 3.0, f"{model} loop <= 3x Brian2 cpp_standalone "
                                f"loop: {r['loop_vs_cpp']:.2f}x"))
                targets.append((r["loop_vs_cpp"] <= 1.0, f"{model} stretch: loop <= 1x Brian2 "
                                f"cpp_standalone loop: {r['loop_vs_cpp']:.2f}x"))
            if "e2e_warm_vs_cpp_total" in r:
                targets.append((r["e2e_warm_vs_cpp_total"] <= 0.1, f"{model} end to end (warm "
                                f"cache) <= 0.1x Brian2 cpp_standalone's: "
                                f"{r['e2e_warm_vs_cpp_total']:.3f}x"))
            if "e2e_warm_vs_cython_total" in r:
                targets.append((r["e2e_warm_vs_cython_total"] <= 1.5, f"{model} end to end (warm "
                                f"caches) <= 1.5x Brian2 cython's: "
                                f"{r['e2e_warm_vs_cython_total']:.2f}x"))
        if model == "COBAHH" and "loop_vs_cpp" in r:
            targets.append((r["loop_vs_cpp"] <= 0.5, f"COBAHH loop <= 0.5x Brian2 "
                            f"cpp_standalone loop: {r['loop_vs_cpp']:.2f}x"))
    if "batched" in res:
        bt = res["batched"]
        targets.append((bt["throughput_ratio"] >= 5.0, f"{bt['k']} batched COBA variants >= 5x "
                        f"the throughput of one by one: {bt['throughput_ratio']:.2f}x"))
    if "scale" in res and "error" not in res["scale"].get("neurodyn", {"error": 1}):
        d = res["scale"]["neurodyn"]
        targets.append((True, f"scale: {res['scale']['n']} neurons, {d['n_synapses']} synapses "
                        f"built in {d['build_s']:.1f} s and run for 1 s in {d['simulate_s']:.1f} s, "
                        f"peak RSS {d['peak_rss_mb']:.0f} MB"))
    print("\nTargets (computed from the numbers above)")
    for ok, text in targets:
        print(f"  {'PASS' if ok else 'MISS'}  {text}")
    res["targets"] = [{"pass": ok, "text": text} for ok, text in targets]
    res["wall_s"] = time.perf_counter() - t_start
    print(f"\nTotal benchmark wall time: {res['wall_s']:.0f} s")
    if args.json:
        save()
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
