"""``neurodyn infer``: an inference spec run end to end, with its report."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

__all__ = ["run_inference"]


def run_inference(spec: Any, folder: str, *, quiet: bool = False) -> dict[str, Any]:
    """Run an inference spec (:mod:`neurodyn.io.infer_spec`): simulations (resumed from
    ``folder/simulations``), the posterior, its checks, calibration on synthetic data, the
    posterior predictive; writes ``report.md``, ``result.json``, ``pairplot.png``,
    ``predictive.png``, ``samples.npz`` (and ``posterior.pt`` for NPE) to ``folder`` and returns
    the result."""
    from . import (
        Simulator,
        abc_smc,
        bound_mass,
        calibration,
        fit_npe,
        observation_check,
        simulate_prior,
    )
    from .plots import pair_plot, predictive_plot

    fs, o = spec.fit, spec.options
    os.makedirs(folder, exist_ok=True)
    problem = fs.problem
    sim = Simulator.from_problem(problem)
    if not quiet:
        print(f"{spec.name}: {spec.method} for {problem.dim} parameters from {len(sim.names)} "
              f"statistics ({sim.describe})", flush=True)
    timing: dict[str, float] = {}
    result: dict[str, Any] = {"name": spec.name, "method": spec.method, "paths": problem.paths,
                              "statistics": list(sim.names), "source": spec.source,
                              "truth": fs.truth}
    if spec.method == "npe":
        u, s, info = simulate_prior(sim, o["simulations"], seed=o["seed"], chunk=o["chunk"],
                                    folder=os.path.join(folder, "simulations"),
                                    progress=not quiet)
        timing["simulation_s"] = info["simulation_s"]
        post = fit_npe(problem.params, u, s, sim.names, density_estimator=o["density_estimator"],
                       seed=o["seed"], progress=False)
        timing["training_s"] = post.train_s
        post.save(os.path.join(folder, "posterior.pt"))
        s_obs = sim.observed()
        samples = post.sample(s_obs, o["samples"], seed=o["seed"])
        result.update({"n_simulations": int(u.shape[0]), "epochs": post.epochs,
                       "loaded_chunks": info["loaded_chunks"],
                       "observation_check": observation_check(s, s_obs, sim.names)})
        if o["calibration"]:
            ut, st, _ = simulate_prior(sim, o["calibration"], seed=o["seed"] + 1,
                                       chunk=o["calibration"])
            cal = calibration(post, ut, st, n_samples=1000, seed=o["seed"])
            result["calibration"] = {"n_tests": cal["n_tests"], "level": cal["level"],
                                     "coverage": dict(zip(problem.paths, cal["coverage"].tolist())),
                                     "coverage_all": cal["coverage_all"],
                                     "sbc_ks_p": dict(zip(problem.paths, cal["ks_p"].tolist()))}
    else:
        res = abc_smc(sim, sim.observed(), population=o["population"],
                      generations=o["generations"], quantile=o["quantile"],
                      max_simulations=o["max_simulations"], seed=o["seed"], progress=not quiet)
        timing["simulation_s"] = res.simulation_s
        samples = res.sample(o["samples"], seed=o["seed"])
        result.update({"n_simulations": res.n_simulations, "stopped": res.stopped,
                       "history": res.history, "ess": res.info["ess"]})
    result["timing"] = timing
    result["bound_mass"] = bound_mass(problem.to_unit(samples), problem.paths)
    np.savez_compressed(os.path.join(folder, "samples.npz"), samples=samples,
                        paths=np.array(problem.paths))
    q = np.quantile(samples, [0.05, 0.5, 0.95], axis=0)
    result["posterior"] = {p: {"median": float(q[1, j]), "q05": float(q[0, j]),
                               "q95": float(q[2, j])} for j, p in enumerate(problem.paths)}
    units = [problem.param_unit(p) for p in problem.paths]
    pair_plot(samples, problem.paths, bounds=[(p.low, p.high) for p in problem.params],
              truth=fs.truth, units=units, path=os.path.join(folder, "pairplot.png"))
    # posterior predictive: simulate draws, overlay the data, score their features
    n_draws = min(o["predictive"], len(samples))
    draws = samples[np.random.default_rng(o["seed"]).choice(len(samples), n_draws, replace=False)]
    if n_draws:
        ev = problem.evaluate(draws)
        v = problem.voltages(problem.simulate(draws))
        predictive_plot(problem.protocol.t, fs.data_v, v,
                        path=os.path.join(folder, "predictive.png"))
        zmed = np.nanmedian(ev.z, axis=0)
        result["predictive"] = {"draws": len(draws),
                                "median_abs_z": float(np.nanmedian(ev.z)),
                                "median_abs_z_per_feature": {
                                    f: float(np.nanmedian(zmed[:, k]))
                                    for k, f in enumerate(problem.features)}}
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(result, f, indent=1, default=float)
    rows = "\n".join(f"| {p} | {u} | {d['q05']:.4g} | {d['median']:.4g} | {d['q95']:.4g} |"
                      + (f" {fs.truth.get(p, float('nan')):.4g} |" if fs.truth else "")
                      for (p, d), u in zip(result["posterior"].items(), units))
    head = "| parameter | unit | 5 % | median | 95 % |" + (" truth |" if fs.truth else "")
    md = [f"# {spec.name}: posterior ({spec.method})", "", spec.description, "",
          f"{sim.describe}; {len(sim.names)} statistics; prior uniform within the bounds (in "
          f"log for log transforms); {result['n_simulations']} simulations "
          f"({timing['simulation_s']:.1f} s)"
          + (f", training {timing['training_s']:.1f} s" if "training_s" in timing else "") + ".",
          "", head, "|---|---|---|---|---|" + ("---|" if fs.truth else ""), rows, "",
          "![pair plot](pairplot.png)", ""]
    warn = []
    oc = result.get("observation_check")
    if oc and (oc["outside"] or oc["tails"]):
        parts = []
        if oc["outside"]:
            parts.append(f"{', '.join(oc['outside'])} lie outside the range of the prior "
                         "simulations")
        if oc["tails"]:
            parts.append(f"{', '.join(oc['tails'])} lie in their outer 0.5 % tails")
        warn.append("**Check**: the data's statistics " + "; ".join(parts) + ". The estimator "
                    "extrapolates there: widen the prior, or the model cannot produce those "
                    "features (misspecification; posteriors are then often too narrow).")
    edge = {p: m for p, m in result["bound_mass"].items() if m > 0.1}
    if edge:
        warn.append("**Check**: posterior mass within 2 % of a prior bound: "
                    + ", ".join(f"{p} {100 * m:.0f} %" for p, m in edge.items())
                    + ". The data push these parameters beyond the prior: widen it.")
    md += warn + ([""] if warn else [])
    if "calibration" in result:
        c = result["calibration"]
        md += [f"Calibration on {c['n_tests']} prior draws: {int(100 * c['level'])} % credible "
               f"intervals contain the truth {100 * c['coverage_all']:.1f} % of the time "
               f"(per parameter: " + ", ".join(f"{k} {100 * v:.0f} %" for k, v in
                                              c["coverage"].items()) + "); SBC KS p-values: "
               + ", ".join(f"{k} {v:.3f}" for k, v in c["sbc_ks_p"].items()) + ".", ""]
    if "predictive" in result:
        md += [f"Posterior predictive: {result['predictive']['draws']} draws; median |error| "
               f"{result['predictive']['median_abs_z']:.2f} SD over all features and sweeps.",
               "", "![predictive](predictive.png)", ""]
    with open(os.path.join(folder, "report.md"), "w") as f:
        f.write("\n".join(md))
    if not quiet:
        for p, d in result["posterior"].items():
            print(f"  {p}: median {d['median']:.4g}, 90 % interval [{d['q05']:.4g}, "
                  f"{d['q95']:.4g}]")
        print(f"wrote {os.path.join(folder, 'report.md')}, {os.path.join(folder, 'result.json')}")
    return result
