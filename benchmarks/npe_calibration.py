"""Calibration of neural posterior estimation on noisy Hodgkin-Huxley data (issue 6, acceptance 1),
with a choice of estimator, beyond the two flows that ``tests/validation/test_inference_hh.py``
trains in CI.

The problem of that test: HH with g_Na, g_K, g_L, C_m free (uniform prior over +-50 % of g_Na,
g_K, g_L and 0.7-1.3 uF/cm2 for C_m), an 8 uA/cm2 step with OU current noise (SD 1 uA/cm2, 3 ms),
8 voltage statistics (Goncalves et al. 2020). ``--simulations`` prior draws train the estimator
(``--ensemble`` neural spline flows with different seeds and validation splits, sampled as an
equal mixture), ``--tests`` further draws are the test observations (20,000 in all by default).
Printed: simulation and training time, the coverage of the central 90 % credible intervals
pooled and per set of 50 test observations, and the simulation-based calibration KS p-values.

The training settings can be varied (``--batch``, ``--lr``, ``--transforms``, ``--seed``): the
CI test trains two flows (``--ensemble 2 --seed 0``) with batch 1000 and learning rate 2e-3;
benchmarks/README.md compares settings over training seeds.

usage: python benchmarks/npe_calibration.py [--ensemble 5] [--simulations 19800] [--tests 200]
       [--batch 500] [--lr 1e-3] [--transforms 5] [--seed 0] [--threads 2]
       [--json benchmarks/results/npe_calibration.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from _common import cpu_model  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ensemble", type=int, default=5)
    ap.add_argument("--simulations", type=int, default=19_800)
    ap.add_argument("--tests", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--estimator", default="nsf")
    ap.add_argument("--batch", type=int, default=500, help="training batch size")
    ap.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    ap.add_argument("--transforms", type=int, default=5, help="flow layers")
    ap.add_argument("--seed", type=int, default=0, help="training seed")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "npe_calibration.json"))
    args = ap.parse_args()
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    import neurodyn as nd
    from neurodyn.inference import Simulator, calibration, fit_npe, simulate_prior

    params = [("g_na", 60, 180), ("g_k", 18, 54), ("g_l", 0.15, 0.45), ("c_m", 0.7, 1.3)]
    sim = Simulator.from_model(
        nd.models.HodgkinHuxley(), params, t_stop=120.0, dt=0.025, record_dt=0.1,
        stimulus=[nd.stimuli.Step(amplitude=8.0, start=20, stop=100),
                  nd.stimuli.OUNoise(sigma=1.0, tau=3.0)], window=(20.0, 100.0))
    u, s, info = simulate_prior(sim, args.simulations, seed=0, chunk=2000)
    ut, st, info_t = simulate_prior(sim, args.tests, seed=123, chunk=args.tests)
    post = fit_npe(sim.params, u, s, sim.names, density_estimator=args.estimator, seed=args.seed,
                   training_batch_size=args.batch, learning_rate=args.lr,
                   num_transforms=args.transforms, ensemble=args.ensemble)
    t0 = time.perf_counter()
    cal = calibration(post, ut, st, n_samples=1000, level=0.9, seed=0)
    sets = [calibration(post, ut[k:k + 50], st[k:k + 50], n_samples=1000, seed=0)
            for k in range(0, args.tests - 49, 50)]
    cal_s = time.perf_counter() - t0
    out = {"cpu": cpu_model(), "threads": args.threads, "estimator": args.estimator,
           "ensemble": args.ensemble, "batch": args.batch, "lr": args.lr,
           "transforms": args.transforms, "seed": args.seed,
           "simulations": int(u.shape[0] + ut.shape[0]),
           "simulation_s": info["simulation_s"] + info_t["simulation_s"],
           "training_s": post.train_s, "epochs": post.epochs, "calibration_s": cal_s,
           "coverage": dict(zip(sim.paths, cal["coverage"].tolist())),
           "coverage_pooled": cal["coverage_all"],
           "coverage_sets_of_50": [c["coverage_all"] for c in sets],
           "sbc_ks_p": dict(zip(sim.paths, cal["ks_p"].tolist())),
           "sbc_ks_p_min_per_set": [float(c["ks_p"].min()) for c in sets]}
    print(f"{args.ensemble} x {args.estimator}: {out['simulations']} simulations in "
          f"{out['simulation_s']:.1f} s, training {post.train_s:.0f} s ({post.epochs} epochs)")
    print(f"coverage of 90 % intervals: pooled {cal['coverage_all']:.3f} over {args.tests} "
          f"observations; per set of 50 {np.round(out['coverage_sets_of_50'], 3).tolist()}; "
          f"per parameter {np.round(cal['coverage'], 3).tolist()}")
    print(f"SBC KS p: {np.round(cal['ks_p'], 3).tolist()} (min per set of 50 "
          f"{np.round(out['sbc_ks_p_min_per_set'], 3).tolist()})")
    Path(args.json).write_text(json.dumps(out, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
