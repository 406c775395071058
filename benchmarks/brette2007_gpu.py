"""Brette et al. (2007) benchmarks with neurodyn on a CUDA GPU, Brian2 on the same machine's CPU.

One command for a machine with an NVIDIA GPU, a JAX with CUDA and (optionally) Brian2:

1. **check**: the GPU (``nvidia-smi -L``), JAX's devices, a C++ compiler for Brian2's
   cpp_standalone, then a small COBA network (400 neurons, 100 ms) on the GPU: its spikes must be
   finite and non-zero, or the script stops here (cheap failure).
2. **probe** (fresh process per variant): COBA alone and 8 and 32 batched copies (per-step
   cost against network size; loop = the compiled chunks, wall = the whole ``simulate`` call
   with building the batched network), then 32 copies with delivery buckets up to 1024 spikes a
   step (no ``while_loop`` at the batched network's 200-300 spikes a step) and with chunks of
   500 steps instead of 2000 (smaller spike records carried through the loop).
3. **benchmark**: ``benchmarks/brette2007.py``, neurodyn on the GPU against Brian2
   cpp_standalone (one thread) and cython on this machine's CPU, plus the 32-variant batched
   COBA throughput. Its JSON is written after every model, so a run cut short keeps what it
   measured.

usage: python benchmarks/brette2007_gpu.py [--out DIR] [--models COBAHH,COBA] [--seeds 2]
       [--repeats 3] [--probe-seconds 180] [--bench-seconds 330] [--no-probe]

Needs ``src/`` on PYTHONPATH when neurodyn is not installed (the device machine runs from a copy
of the working tree). Brian2 2.9 does not import with NumPy >= 2.4 (``ndarray.ptp`` is gone):
give ``--brian2-python`` an interpreter (or a wrapper script) whose NumPy is older.
Results: ``DIR/probe.json``, ``DIR/brette2007_gpu.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from _common import run_json  # noqa: E402

_SMOKE = """
import json, time
import numpy as np
t0 = time.perf_counter()
import jax
import neurodyn as nd
from neurodyn.network import brette2007 as B
net, st = B.coba(seed=1, n=400, p=0.2)
r = nd.simulate(net, 100.0, st["dt"], method=st["method"], seed=1)
print(json.dumps({"device": str(jax.devices()[0]), "backend": jax.default_backend(),
                  "rate_hz": r.rate("P"), "finite": bool(np.isfinite(r.rate("P"))),
                  "wall_s": time.perf_counter() - t0}))
"""

_PROBE = """
import json, sys, time
import numpy as np
t0 = time.perf_counter()
import jax
import neurodyn as nd
from neurodyn.network import brette2007 as B
from neurodyn.network import delivery
k, buckets, chunk = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if buckets != "default":
    delivery.BUCKETS = tuple(int(x) for x in buckets.split(","))
net, st = B.coba(seed=1)
kw = dict(method=st["method"], seed=1, chunk_steps=chunk)
if k > 1:
    kw["batch"] = {"exc.weight_scale": np.linspace(0.8, 1.2, k),
                   "inh.weight_scale": np.linspace(1.2, 0.8, k)}
t1 = time.perf_counter()
r = nd.simulate(net, 1000.0, st["dt"], **kw)
first = time.perf_counter() - t1
walls, loops = [], []
for _ in range(3):
    t1 = time.perf_counter()
    r = nd.simulate(net, 1000.0, st["dt"], **kw)
    walls.append(time.perf_counter() - t1)
    loops.append((r[0] if k > 1 else r).stats["run_s"])
r0 = r[0] if k > 1 else r
print(json.dumps({"first_call_s": first, "loop_s": sorted(loops)[1], "wall_s": sorted(walls)[1],
                  "build_s": r0.stats["build_s"], "rate_hz": r0.rate("P"),
                  "backend": jax.default_backend(), "process_s": time.perf_counter() - t0}))
"""

def sh(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{cmd[0]}: {exc}"


def child(code: str, args: list[str], timeout: float) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is a JSON object."""
    return run_json([sys.executable, "-c", code, *args], timeout=timeout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.environ.get("OUT", str(REPO / "out" / "gpu")))
    ap.add_argument("--models", default="COBAHH,COBA")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--probe-seconds", type=float, default=180.0)
    ap.add_argument("--bench-seconds", type=float, default=330.0)
    ap.add_argument("--no-probe", action="store_true")
    ap.add_argument("--brian2-python", default=sys.executable)
    a = ap.parse_args()
    # the benchmark's parent process keeps its GPU memory while its fresh end-to-end processes
    # start: JAX's default (take 75 % of the card up front) would leave them too little
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    info = {"nvidia_smi": sh(["nvidia-smi", "-L"]),
            "cxx": shutil.which("g++") or shutil.which("c++") or "none",
            "python": sys.version.split()[0], "xla_flags_env": os.environ.get("XLA_FLAGS", "")}
    print(json.dumps(info, indent=1), flush=True)
    smoke = child(_SMOKE, [], 180)
    print("check:", json.dumps(smoke), flush=True)
    if "error" in smoke or smoke.get("backend") != "gpu" or not smoke.get("rate_hz"):
        print("stopping: the GPU check failed", flush=True)
        (out / "probe.json").write_text(json.dumps({"info": info, "smoke": smoke}, indent=1))
        return 1
    # (name, K copies, delivery buckets, chunk steps): per-step cost against network size, and
    # two changes that could cut it (no while_loop for 65-1024 spikes a step; smaller chunks)
    variants = [("K1", 1, "default", 2000), ("K8", 8, "default", 2000),
                ("K32", 32, "default", 2000), ("K32_buckets1024", 32, "4,16,64,256,1024", 2000),
                ("K32_chunk500", 32, "default", 500)]
    probe: dict = {"info": info, "smoke": smoke, "variants": {}}
    if not a.no_probe:
        t_probe = time.perf_counter()
        for name, k, buckets, chunk in variants:
            left = a.probe_seconds - (time.perf_counter() - t_probe)
            if left < 20:
                probe["variants"][name] = {"skipped": "probe time used up"}
                continue
            r = child(_PROBE, [str(k), buckets, str(chunk)], min(left, 120))
            r.update(k=k, buckets=buckets, chunk_steps=chunk)
            probe["variants"][name] = r
            print(f"probe {name:16s}: " + (
                f"first call {r['first_call_s']:.2f} s, loop {r['loop_s']:.3f} s "
                f"({r['loop_s'] / k * 1e3:.1f} ms per copy), wall {r['wall_s']:.3f} s, build "
                f"{r['build_s']:.3f} s, {r['rate_hz']:.2f} Hz" if "loop_s" in r
                else "FAILED " + r["error"][-400:]), flush=True)
            (out / "probe.json").write_text(json.dumps(probe, indent=1))
    cmd = [sys.executable, str(REPO / "benchmarks" / "brette2007.py"), "--models", a.models,
           "--seeds", str(a.seeds), "--repeats", str(a.repeats), "--batch", str(a.batch),
           "--cores", "0-3", "--brian2-python", a.brian2_python,
           "--json", str(out / "brette2007_gpu.json")]
    print("\n$ " + " ".join(cmd), flush=True)
    try:
        rc = subprocess.run(cmd, cwd=REPO, timeout=a.bench_seconds).returncode
    except subprocess.TimeoutExpired:
        print(f"benchmark cut at {a.bench_seconds:.0f} s; its JSON holds the sections it finished")
        rc = 124
    return rc


if __name__ == "__main__":
    sys.exit(main())
