"""BluePyOpt (on NEURON) for the PEERS fitting problem: the same soma, protocol, features,
targets and mean-based z-score as benchmarks/fitting.py, optimised with BluePyOpt's IBEA.

Run as a subprocess by benchmarks/fitting.py (``--bluepyopt-seconds``); prints one JSON line:
evaluations, seconds, best score, best parameters, seconds per evaluation.

The soma is a one-point SWC soma of radius 8.92 um (NEURON's Import3d makes it a cylinder with
L = diam = 17.84 um, ~1000 um^2); ``hh`` with its rate table, 6.3 degC, v_init -65 mV, fixed step
dt 0.025 ms. BluePyOpt's stock eFEL score averages per-spike distances; PEERS.md scores
|mean - target| / SD, so a feature class with that score is used (as in PEERS.md).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

AMPS_NA = [0.02, 0.04, 0.06, 0.08, 0.10]


def main() -> int:
    args = json.loads(sys.argv[1])
    import bluepyopt as bpopt
    import bluepyopt.ephys as ephys
    import efel

    tmp = Path(tempfile.mkdtemp())
    swc = tmp / "soma.swc"
    swc.write_text("1 1 0 0 0 8.92 -1\n")
    soma_loc = ephys.locations.NrnSeclistLocation("somatic", seclist_name="somatic")
    morph = ephys.morphologies.NrnFileMorphology(str(swc), do_set_nseg=False)
    hh = ephys.mechanisms.NrnMODMechanism(name="hh", suffix="hh", locations=[soma_loc])
    bounds = {"gnabar_hh": (0.05, 0.25), "gkbar_hh": (0.01, 0.08), "gl_hh": (1e-4, 1e-3),
              "cm": (0.5, 2.0)}
    params = [ephys.parameters.NrnSectionParameter(name=k, param_name=k, bounds=list(b),
                                                   locations=[soma_loc], frozen=False)
              for k, b in bounds.items()]
    params += [ephys.parameters.NrnGlobalParameter(name="celsius", param_name="celsius",
                                                   value=6.3, frozen=True),
               ephys.parameters.NrnGlobalParameter(name="v_init", param_name="v_init",
                                                   value=-65.0, frozen=True)]
    cell = ephys.models.CellModel(name="hh_soma", morph=morph, mechs=[hh], params=params)
    rec_loc = ephys.locations.NrnSeclistCompLocation(name="soma", seclist_name="somatic",
                                                     sec_index=0, comp_x=0.5)
    protocols, objectives = {}, []
    names, efel_names = args["features"], args["efel_names"]
    mean, sd = np.array(args["mean"]), np.array(args["sd"])

    class MeanFeature(ephys.efeatures.eFELFeature):
        def calculate_score(self, responses, trace_check=False):
            trace = self._construct_efel_trace(responses)
            if trace is None:
                return 250.0
            self._setup_efel()
            vals = efel.get_feature_values([trace], [self.efel_feature_name],
                                           raise_warnings=False)[0][self.efel_feature_name]
            efel.reset()
            if vals is None or len(vals) == 0:
                return 250.0
            return float(abs(np.mean(vals) - self.exp_mean) / self.exp_std)

    for k, amp in enumerate(AMPS_NA):
        stim = ephys.stimuli.NrnSquarePulse(step_amplitude=amp, step_delay=100.0,
                                            step_duration=500.0, total_duration=700.0,
                                            location=rec_loc)
        rec = ephys.recordings.CompRecording(name=f"step{k}.soma.v", location=rec_loc,
                                             variable="v")
        protocols[f"step{k}"] = ephys.protocols.SweepProtocol(f"step{k}", [stim], [rec])
        for j, (n, en) in enumerate(zip(names, efel_names)):
            if not np.isfinite(mean[k, j]):
                continue
            feat = MeanFeature(f"step{k}.{n}", efel_feature_name=en,
                               recording_names={"": f"step{k}.soma.v"}, stim_start=100.0,
                               stim_end=600.0, exp_mean=float(mean[k, j]),
                               exp_std=float(sd[k, j]), threshold=-20.0)
            objectives.append(ephys.objectives.SingletonObjective(feat.name, feat))
    evaluator = ephys.evaluators.CellEvaluator(
        cell_model=cell, param_names=list(bounds), fitness_protocols=protocols,
        fitness_calculator=ephys.objectivescalculators.ObjectivesCalculator(objectives),
        sim=ephys.simulators.NrnSimulator(dt=0.025, cvode_active=False))
    orig = evaluator.evaluate_with_lists
    # the same problem: the truth must score ~0 here too
    truth_score = float(np.sum(orig(param_list=[0.12, 0.036, 0.0003, 1.0])))
    n_eval = [0]
    best = [np.inf, None]
    t0 = time.perf_counter()

    def counted(param_list=None, target="scores"):
        scores = orig(param_list=param_list, target=target)
        n_eval[0] += 1
        s = float(np.sum(scores))
        if s < best[0]:
            best[0], best[1] = s, list(map(float, param_list))
        if time.perf_counter() - t0 > args["seconds"]:
            raise TimeoutError
        return scores

    evaluator.evaluate_with_lists = counted
    opt = bpopt.optimisations.DEAPOptimisation(evaluator=evaluator,
                                               offspring_size=args["offspring"], seed=1)
    try:
        opt.run(max_ngen=10_000)
    except TimeoutError:
        pass
    wall = time.perf_counter() - t0
    print(json.dumps({"evaluations": n_eval[0], "seconds": wall, "best": best[0],
                      "params": dict(zip(bounds, best[1] or [])),
                      "s_per_evaluation": wall / max(1, n_eval[0]),
                      "n_objectives": len(objectives), "truth_score": truth_score}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
