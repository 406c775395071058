"""Multi-compartment benchmark: neurodyn against NEURON (fixed step and CVODE) in the same run.

Cells (1 s at dt = 0.025 ms, recorded at the soma every 0.1 ms):

* ``branched``: the branched reference cell (tests/reference_data/neuron_mc_cell: hh soma, 63
  passive dendritic sections, 200 segments, 265 nodes), 0.75 nA from 100 to 900 ms (62 spikes);
* ``ca1``: the CA1 pyramidal cell n120 (neurodyn.cable.examples.ca1_cell("active"): hh soma,
  reduced-density hh on all dendrites, d_lambda 0.1: 885 nodes), 0.8 nA from 100 to 900 ms (51 spikes).

What is timed
-------------
* neurodyn, NEURON conventions (``conventions="neuron"``, ``rates="neuron_table"``: the same
  arithmetic as NEURON's fixed step; the traces agree to < 1e-6 mV): the first call (assembly +
  compile + run), a warm single run (median of ``--repeats``; the whole ``simulate`` call), and
  ``--variants`` parameter sets (three conductances x U(0.8, 1.2)) in one batched call (warm).
  "compile" = first call - warm run.
* NEURON 9 in-process, the cell built once: one run (finitialize + continuerun, median of
  ``--repeats``), and a loop over the same variants (set the parameters, run), fixed step and
  CVODE (default tolerances). ``--neuron-variants N`` times the first N and extrapolates.

Targets (issue 4): one run <= 1x NEURON fixed step (stretch 0.5x); the batch of 100 <= 0.35x
NEURON's fixed-step loop over them (stretch 0.2x). Every process is pinned to the same core
(default core 0) before numpy/JAX are imported. Ratios, not absolute times, are the result.

usage: python benchmarks/multicompartment.py [--cells branched,ca1] [--variants 100]
       [--neuron-variants N] [--repeats 3] [--cores 0|all] [--json PATH] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))
from _common import busy_cores, cpu_model, med_min_max, parse_cores, pin  # noqa: E402

T_STOP, DT, RECORD_DT = 1000.0, 0.025, 0.1
TARGET_SINGLE, STRETCH_SINGLE = 1.0, 0.5
TARGET_BATCH, STRETCH_BATCH = 0.35, 0.2


def make_cell(name: str):
    from neurodyn.cable import Cell, IClamp, SpikeDetector
    from neurodyn.cable.examples import branched_cell, ca1_morphology
    from neurodyn.channels import HH

    if name == "branched":
        cell = branched_cell(rates="neuron_table", conventions="neuron")
        paths = {"soma.hh.g_na": 120.0, "soma.hh.g_k": 36.0, "apical.pas.g": 0.1}
        return cell, paths
    from neurodyn.cable import d_lambda

    dend = ["apical", "basal"]
    cell = (Cell(ca1_morphology(), ra=150.0, cm=1.0, v_init=-65.0, celsius=6.3,
                 nseg=d_lambda(0.1), conventions="neuron")
            .paint("soma", HH(rates="neuron_table"))
            .paint(dend, HH(rates="neuron_table", g_na=40.0, g_k=12.0, g_l=0.05, e_l=-65.0))
            .place("soma(0.5)", IClamp(amp=0.8, delay=100.0, dur=800.0))
            .place("soma(0.5)", SpikeDetector(threshold=0.0)))
    paths = {"soma.hh.g_na": 120.0, "apical+basal.hh.g_na": 40.0, "apical+basal.hh.g_k": 12.0}
    return cell, paths


def variants(paths: dict, n: int):
    import numpy as np

    rng = np.random.default_rng(2024)
    return {k: v * rng.uniform(0.8, 1.2, n) for k, v in paths.items()}


def bench_neurodyn(name: str, n_var: int, repeats: int) -> dict:
    import numpy as np

    import neurodyn as nd

    cell, paths = make_cell(name)
    out: dict = {}
    t0 = time.perf_counter()
    r = nd.simulate(cell, T_STOP, DT, record_dt=RECORD_DT)
    out["first_call_s"] = time.perf_counter() - t0
    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = nd.simulate(cell, T_STOP, DT, record_dt=RECORD_DT)
        walls.append(time.perf_counter() - t0)
    out["single_s"] = med_min_max(walls)
    out["compile_s"] = out["first_call_s"] - out["single_s"]["median"]
    out["n_nodes"] = r.stats["n_nodes"]
    out["spikes"] = int(r.spike_counts())
    out["soma_v"] = r.traces["soma(0.5)"]
    if n_var:
        batch = variants(paths, n_var)
        t0 = time.perf_counter()
        rb = nd.simulate(cell, T_STOP, DT, record_dt=RECORD_DT, batch=batch)
        out["batch_first_s"] = time.perf_counter() - t0
        walls = []
        for _ in range(max(1, repeats - 1)):
            t0 = time.perf_counter()
            rb = nd.simulate(cell, T_STOP, DT, record_dt=RECORD_DT, batch=batch)
            walls.append(time.perf_counter() - t0)
        out["batch_s"] = med_min_max(walls)
        out["batch_spikes"] = np.asarray(rb.spike_counts()).tolist()
    return out


def bench_neuron(name: str, n_var: int, n_run: int, repeats: int) -> dict:
    import numpy as np

    from peers.neuron_cell import NeuronCell

    cell, paths = make_cell(name)
    nc = NeuronCell(cell, ("soma(0.5)",), RECORD_DT)
    out: dict = {}
    try:
        for mode, cvode in (("fixed", False), ("cvode", True)):
            walls = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                v = nc.run(T_STOP, DT, cvode=cvode)["soma(0.5)"]
                walls.append(time.perf_counter() - t0)
            out[f"{mode}_single_s"] = med_min_max(walls)
            if mode == "fixed":
                out["soma_v"] = v
            if n_var:
                batch = variants(paths, n_var)
                k = min(n_run, n_var)
                counts = []
                t0 = time.perf_counter()
                for j in range(k):
                    for p, vals in batch.items():
                        nc.set_param(p, float(vals[j]))
                    w = nc.run(T_STOP, DT, cvode=cvode)["soma(0.5)"]
                    counts.append(int(np.sum((w[:-1] < 0) & (w[1:] >= 0))))
                loop = time.perf_counter() - t0
                out[f"{mode}_loop_s"] = loop * n_var / k
                out[f"{mode}_loop_measured"] = k
                out[f"{mode}_counts"] = counts
                for p, v0 in paths.items():
                    nc.set_param(p, v0)
    finally:
        nc.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", default="branched,ca1")
    p.add_argument("--variants", type=int, default=100)
    p.add_argument("--neuron-variants", type=int, default=None,
                   help="NEURON loop: time this many variants and extrapolate (default: all)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cores", default="0")
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--quick", action="store_true", help="--variants 10 --repeats 2")
    args = p.parse_args()
    if args.quick:
        args.variants, args.repeats = 10, 2
    pin(parse_cores(args.cores))
    import numpy as np

    res: dict = {"cores": args.cores, "cpu": cpu_model(), "busy_cores_before": busy_cores(),
                 "variants": args.variants, "cells": {}}
    print(f"multicompartment benchmark: 1 s at dt {DT} ms; cores {args.cores}; "
          f"{args.variants} variants", flush=True)
    targets = []
    for name in args.cells.split(","):
        nd_r = bench_neurodyn(name, args.variants, args.repeats)
        nr = bench_neuron(name, args.variants, args.neuron_variants or args.variants, args.repeats)
        n = min(len(nd_r["soma_v"]), len(nr["soma_v"]))
        dv = float(np.max(np.abs(nd_r.pop("soma_v")[:n] - nr.pop("soma_v")[:n])))
        single = nd_r["single_s"]["median"]
        row = {"neurodyn": nd_r, "neuron": nr, "max_dv_mV": dv,
               "single_vs_fixed": single / nr["fixed_single_s"]["median"],
               "single_vs_cvode": single / nr["cvode_single_s"]["median"]}
        print(f"\n[{name}] {nd_r['n_nodes']} nodes, {nd_r['spikes']} spikes; soma |dV| vs NEURON "
              f"{dv:.1e} mV")
        print(f"  neurodyn: first call {nd_r['first_call_s']:.2f} s (compile "
              f"{nd_r['compile_s']:.2f} s), warm run {single:.3f} s")
        print(f"  NEURON:   fixed {nr['fixed_single_s']['median']:.3f} s, CVODE "
              f"{nr['cvode_single_s']['median']:.3f} s")
        print(f"  one run:  {row['single_vs_fixed']:.2f}x NEURON fixed, "
              f"{row['single_vs_cvode']:.2f}x CVODE")
        targets.append((row["single_vs_fixed"] <= TARGET_SINGLE,
                        f"{name}: one run <= {TARGET_SINGLE}x NEURON fixed "
                        f"(stretch {STRETCH_SINGLE}x): {row['single_vs_fixed']:.2f}x"))
        if args.variants:
            b = nd_r["batch_s"]["median"]
            row["batch_vs_fixed_loop"] = b / nr["fixed_loop_s"]
            row["batch_vs_cvode_loop"] = b / nr["cvode_loop_s"]
            row["counts_equal"] = int(np.sum(np.array(nd_r["batch_spikes"][:len(nr["fixed_counts"])])
                                             == np.array(nr["fixed_counts"])))
            print(f"  {args.variants} variants: neurodyn {b:.2f} s in one call "
                  f"({b / args.variants * 1e3:.0f} ms each; first {nd_r['batch_first_s']:.1f} s); "
                  f"NEURON loop fixed {nr['fixed_loop_s']:.1f} s, CVODE {nr['cvode_loop_s']:.1f} s")
            print(f"  batch:    {row['batch_vs_fixed_loop']:.2f}x NEURON fixed loop, "
                  f"{row['batch_vs_cvode_loop']:.2f}x CVODE loop; spike counts equal in "
                  f"{row['counts_equal']}/{len(nr['fixed_counts'])}")
            targets.append((row["batch_vs_fixed_loop"] <= TARGET_BATCH,
                            f"{name}: {args.variants} variants <= {TARGET_BATCH}x NEURON's loop "
                            f"(stretch {STRETCH_BATCH}x): {row['batch_vs_fixed_loop']:.2f}x"))
        res["cells"][name] = row
    print("\ntargets:")
    for ok, text in targets:
        print(f"  [{'met' if ok else 'MISSED'}] {text}")
    res["targets"] = [{"met": ok, "text": t} for ok, t in targets]
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(res, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
