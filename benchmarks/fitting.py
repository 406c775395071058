"""Fitting benchmark: the 4-parameter squid-HH problem of ../shared/PEERS.md.

Single-compartment squid HH soma (NEURON's ``hh``: ``HodgkinHuxley(rates="neuron_table")``,
backward Euler, area pi 17.84^2 um^2 ~ 1000 um^2, 6.3 degC, v_init -65 mV, dt 0.025 ms). Free:
g_Na in [50, 250], g_K in [10, 80], g_L in [0.1, 1.0] mS/cm^2 and C_m in [0.5, 2.0] uF/cm^2
(truth 120, 36, 0.3, 1.0). Five 700 ms sweeps, steps of 0.02...0.10 nA from 100 to 600 ms. eFEL
features in the stimulus window, threshold -20 mV: spike_count, mean_frequency,
time_to_first_spike, AP_amplitude, AP_width, AHP_depth_abs, voltage_base, steady_state_voltage,
where defined (35 entries). Score per feature |mean - target| / SD with SD = max(5 % |target|,
floor), floor 1 for the spike count and 0.1 otherwise; the objective is their sum (0 at the
truth); a feature the target has and a candidate lacks scores 250.

What is timed: for each neurodyn method and seed, the wall time and the number of evaluations
until the best score first reaches <= 10, 5 and 2 (first generation included: compile time is
part of it), and the parameter errors at the end (the run continues to score <= 0.1 or
``--max-seconds``). One core (pinned), ratios against the PEERS.md baseline: BluePyOpt 1.14 IBEA
on NEURON had not reached 10 after 1000 evaluations (31 min, 1.87 s per evaluation).

usage: python benchmarks/fitting.py [--seeds 3] [--max-seconds 170] [--cores 0] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from _common import cpu_model, parse_cores, pin  # noqa: E402

TRUTH = {"g_na": 120.0, "g_k": 36.0, "g_l": 0.3, "c_m": 1.0}
THRESHOLDS = (10.0, 5.0, 2.0)
TARGET_S, TARGET_SCORE, TARGET_ERR = 180.0, 2.0, 0.02


def make_problem():
    import numpy as np

    import neurodyn as nd
    from neurodyn.fitting import PEERS_FEATURES, FeatureTarget, FitProblem, FreeParameter, Protocol, extract

    hh = nd.models.HodgkinHuxley(rates="neuron_table", area=math.pi * 17.84**2)
    prot = Protocol.steps([20, 40, 60, 80, 100], start=100, stop=600, t_stop=700, dt=0.025)
    out = prot.simulate(hh, batch={k: np.array([v]) for k, v in TRUTH.items()},
                        method="backward_euler", spikes=False)
    f = extract(np.asarray(out.v)[0], np.asarray(out.t), stim_start=100, stim_end=600,
                features=PEERS_FEATURES, threshold=-20.0)
    target = FeatureTarget.from_values(f, PEERS_FEATURES)
    params = [FreeParameter("g_na", 50, 250), FreeParameter("g_k", 10, 80),
              FreeParameter("g_l", 0.1, 1.0), FreeParameter("c_m", 0.5, 2.0)]
    return FitProblem(hh, params, prot, target, PEERS_FEATURES, method="backward_euler"), target


def run_cmaes(seed: int, max_seconds: float) -> dict:
    from neurodyn.fitting import fit_cmaes

    prob, _ = make_problem()
    reached: dict[str, dict] = {}
    t0 = time.perf_counter()
    best = [float("inf")]

    def cb(gen, ev):
        best[0] = min(best[0], float(ev.total.min()))
        for th in THRESHOLDS:
            if best[0] <= th and str(th) not in reached:
                reached[str(th)] = {"s": time.perf_counter() - t0,
                                    "evaluations": prob.n_evaluations}

    res = fit_cmaes(prob, popsize=16, target_score=0.1, max_seconds=max_seconds, seed=seed,
                    callback=cb)
    errors = {k: res.params_[k] / v - 1 for k, v in TRUTH.items()}
    return {"seed": seed, "reached": reached, "final_score": res.score_,
            "evaluations": len(res.scores), "wall_s": time.perf_counter() - t0,
            "errors": errors, "params": res.params_, "stopped": res.stopped,
            "per_generation_s": {"sim": sum(h["sim_s"] for h in res.history) / len(res.history),
                                 "features": sum(h["features_s"] for h in res.history)
                                 / len(res.history)}}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=170.0)
    p.add_argument("--cores", default="0")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args()
    pin(parse_cores(args.cores))
    import numpy as np

    print(f"fitting benchmark (PEERS 4-parameter HH, 5 sweeps, 35 features); cores {args.cores}",
          flush=True)
    _, target = make_problem()
    print(f"target: {target.n_defined} defined feature entries", flush=True)
    runs = []
    for seed in range(args.seeds):
        r = run_cmaes(seed, args.max_seconds)
        runs.append(r)
        reach = ", ".join(f"<= {th}: {r['reached'][th]['s']:.1f} s / {r['reached'][th]['evaluations']}"
                          f" ev" if th in r["reached"] else f"<= {th}: not reached"
                          for th in map(str, THRESHOLDS))
        err = ", ".join(f"{k} {100 * v:+.2f}%" for k, v in r["errors"].items())
        print(f"  CMA-ES seed {seed}: {reach}; final score {r['final_score']:.3g} after "
              f"{r['evaluations']} evaluations, {r['wall_s']:.1f} s; errors {err}", flush=True)
    t2 = [r["reached"].get("2.0", {}).get("s", np.inf) for r in runs]
    worst_err = [max(abs(v) for v in r["errors"].values()) for r in runs]
    per_gen = np.median([r["per_generation_s"]["sim"] for r in runs]), \
        np.median([r["per_generation_s"]["features"] for r in runs])
    print(f"\nper generation of 16 candidates x 5 sweeps: simulation {per_gen[0]:.3f} s, eFEL "
          f"{per_gen[1]:.3f} s")
    print("BluePyOpt on NEURON (PEERS.md baseline, not rerun here): 1.87 s per evaluation; "
          "best score 10.99 after 1000 evaluations (31 min)")
    ok = np.median(t2) <= TARGET_S and np.median(worst_err) <= TARGET_ERR
    print(f"\ntarget [{'met' if ok else 'MISSED'}]: score <= {TARGET_SCORE} within {TARGET_S:.0f} s "
          f"(median {np.median(t2):.1f} s over {len(runs)} seeds) with parameters within "
          f"{100 * TARGET_ERR:.0f}% of the truth (median worst error {100 * np.median(worst_err):.2f}%)")
    if args.json:
        Path(args.json).write_text(json.dumps({"cpu": cpu_model(), "cores": args.cores,
                                               "runs": runs, "target_met": bool(ok)}, indent=1,
                                              default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
