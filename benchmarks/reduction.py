"""Model reduction: an AdEx point neuron fitted to a detailed multi-compartment cell with the
calibration machinery, and the two compared for accuracy and speed (issue 6).

Detailed cell: the branched reference cell's geometry (soma L = diam = 30 um and a 3-level
apical binary tree, 33 compartments; ``neurodyn.cable.examples.branched_morphology(3)``) with
Hodgkin-Huxley channels in the soma and passive dendrites, 6.3 degC, backward Euler at 0.025 ms.
Protocol: 6 current steps (-100 ... 600 pA, 200 ms). The detailed cell's somatic traces are the
target; AdEx (9 free parameters) is fitted with CMA-ES on 7 eFEL features per sweep (SD = 5 % of
the detailed value, floors as in fitting), for ``--max-seconds`` on one core.

Printed and written to ``benchmarks/results/reduction.json``:

* accuracy of the reduced model: feature errors in SD units (median, max) on the fitting
  protocol and on held-out steps (-50, 250, 500 pA), and its f-I curve against the detailed
  cell's over 0-700 pA;
* speed: simulated neuron-seconds per wall second for the detailed cell and for AdEx, each as a
  batch of ``--batch`` neurons in one compiled call (compile excluded, median of 3 runs).

usage: python benchmarks/reduction.py [--max-seconds 240] [--batch 100] [--cores 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from _common import cpu_model, parse_cores, pin  # noqa: E402

FEATURES = ["spike_count", "mean_frequency", "time_to_first_spike", "voltage_base",
            "steady_state_voltage", "ISI_CV", "time_constant"]
STEPS = [-100, 100, 200, 300, 400, 600]
HELD_OUT = [-50, 250, 500]


def detailed():
    from neurodyn.cable import Cell, fixed
    from neurodyn.cable.examples import branched_morphology
    from neurodyn.channels.hh import HH
    from neurodyn.channels.passive import Passive
    from neurodyn.fitting import CellModel

    cell = (Cell(branched_morphology(3), ra=100.0, celsius=6.3, nseg=fixed(3))
            .paint("soma", HH()).paint("apical", Passive(g=0.1, e=-65.0)))
    return CellModel(cell)


def target_problem(model, amps, params, cell_v=None):
    import numpy as np

    from neurodyn.fitting import FeatureTarget, FitProblem, Protocol, extract, step_windows

    prot = Protocol.steps(amps, start=50, stop=250, t_stop=300, dt=0.1)
    if cell_v is None:
        cell_v = np.asarray(prot.simulate(detailed(), substeps=4).v)
    start, stop, amp = step_windows(prot)
    f = extract(cell_v, prot.t, stim_start=start, stim_end=stop, features=FEATURES,
                threshold=-20.0, stimulus_current_nA=amp / 1000.0)
    target = FeatureTarget.from_values(f, FEATURES, rel_sd=0.05)
    return FitProblem(model, params, prot, target, FEATURES, threshold=-20.0, substeps=2), cell_v


def rate(v, t, start=50.0, stop=250.0):

    sel = (t >= start) & (t < stop)
    vs = v[..., sel]
    up = ((vs[..., 1:] >= -20) & (vs[..., :-1] < -20)).sum(-1)
    return up / ((stop - start) / 1000.0)


def neuron_seconds_per_s(run, n_neurons: int, t_sim_ms: float) -> float:
    run()  # compile
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        run()
        walls.append(time.perf_counter() - t0)
    walls.sort()
    return n_neurons * t_sim_ms / 1000.0 / walls[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-seconds", type=float, default=240.0)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--cores", default="0")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "reduction.json"))
    args = ap.parse_args()
    pin(parse_cores(args.cores))
    import numpy as np

    import neurodyn as nd
    from neurodyn.fitting import FreeParameter, Protocol, fit_cmaes

    adex = nd.models.AdEx()
    params = [FreeParameter("c_m", 10, 600, "log"), FreeParameter("g_l", 1, 60, "log"),
              FreeParameter("e_l", -80, -55), FreeParameter("v_t", -65, -35),
              FreeParameter("delta_t", 0.5, 6, "log"), FreeParameter("a", 0.0, 20.0),
              FreeParameter("tau_w", 10, 500, "log"), FreeParameter("b", 0, 200),
              FreeParameter("v_reset", -75, -45)]
    prob, _ = target_problem(adex, STEPS, params)
    t0 = time.perf_counter()
    res = fit_cmaes(prob, popsize=16, restarts=6, max_seconds=args.max_seconds,
                    max_evaluations=10**7, seed=0)
    fit_s = time.perf_counter() - t0
    z = res.z_best
    held, _ = target_problem(adex, HELD_OUT, params)
    zh = held.evaluate([[res.params_[p] for p in prob.paths]]).z[0]
    # f-I curves over 0-700 pA
    amps = np.arange(0, 701, 25.0)
    fi = Protocol.steps(list(amps), start=50, stop=250, t_stop=300, dt=0.1)
    r_cell = rate(np.asarray(fi.simulate(detailed(), substeps=4).v), fi.t)
    red = res.model_
    r_red = rate(prob.voltages(fi.simulate(red, substeps=2, spikes=True)), fi.t)
    # speed: a batch of neurons, 1 s of a 300 pA step each
    cellm = detailed()
    one = Protocol.steps([300.0], start=0, stop=1000, t_stop=1000, dt=0.1)
    gna = np.full(args.batch, 120.0)
    speed_cell = neuron_seconds_per_s(
        lambda: one.simulate(cellm, batch={"soma.hh.g_na": gna}, substeps=4), args.batch, 1000)
    c_m = np.full(args.batch, res.params_["c_m"])
    speed_adex = neuron_seconds_per_s(
        lambda: one.simulate(red, batch={"c_m": c_m}, substeps=2), args.batch, 1000)
    out = {
        "cpu": cpu_model(), "fit": {"params": res.params_, "score": res.score_,
                                    "evaluations": len(res.scores), "wall_s": fit_s},
        "z_fit": {"median": float(np.nanmedian(z)), "max": float(np.nanmax(z))},
        "z_held_out": {"median": float(np.nanmedian(zh)), "max": float(np.nanmax(zh))},
        "fi": {"amps_pA": amps.tolist(), "detailed_hz": r_cell.tolist(),
               "reduced_hz": r_red.tolist(),
               "mean_abs_error_hz": float(np.mean(np.abs(r_red - r_cell)))},
        "speed_neuron_s_per_s": {"detailed": speed_cell, "adex": speed_adex,
                                 "ratio": speed_adex / speed_cell},
        "batch": args.batch, "compartments": 33,
    }
    print(f"AdEx fitted in {fit_s:.0f} s ({len(res.scores)} evaluations), score {res.score_:.3g}")
    print(f"feature errors (SD): fit protocol median {out['z_fit']['median']:.2f}, max "
          f"{out['z_fit']['max']:.2f}; held-out steps median {out['z_held_out']['median']:.2f}, "
          f"max {out['z_held_out']['max']:.2f}")
    print(f"f-I 0-700 pA: mean |error| {out['fi']['mean_abs_error_hz']:.2f} Hz "
          f"(detailed {r_cell.min():.0f}-{r_cell.max():.0f} Hz)")
    print(f"speed: detailed {speed_cell:.2f}, AdEx {speed_adex:.1f} neuron-s per s "
          f"(batch {args.batch}); AdEx / detailed = {speed_adex / speed_cell:.0f}x")
    Path(args.json).write_text(json.dumps(out, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
