"""Detailed cell, reduced model and ML surrogate side by side: accuracy of the rate map and speed
inside a 1,000-neuron network (issue 6, acceptance 4).

Detailed cell: 33 compartments (HH soma, 3-level passive apical tree; the cell of
``benchmarks/reduction.py`` and ``tests/validation/test_surrogate_network.py``) driven at the soma by a
current with mean ``mu`` in 0-0.8 nA and OU fluctuations of SD ``sigma`` in 0-0.3 nA (5 ms).

* Data: ``--samples`` random (mu, sigma), 2 s each, one batched loop; 20 % held out.
* Surrogate: MLP 2-64-64-2 (rate, mean V), Adam (:func:`neurodyn.surrogate.train_surrogate`).
* Reduced model: AdEx with the parameters that ``benchmarks/reduction.py`` fitted to the same
  cell's step responses (``benchmarks/results/reduction.json``; run that first), driven by the
  same mean and OU noise (``neurodyn.simulate`` with Step + OUNoise, batched).
* Accuracy: R² of each model's rate against the detailed cell's on the held-out inputs.
* Network: 1,000 cells, 40 excitatory (+0.02 nA) and 10 inhibitory (-0.05 nA) exponential
  synapses (5 ms) each, mu ~ U(0.1, 0.4) nA, sigma 0.1 nA; detailed cells
  (:func:`neurodyn.cable.coupled.simulate_population`, dt 0.025 ms) against surrogate rate units
  (:func:`neurodyn.surrogate.simulate_rate_network`, dt 1 ms, tabulated). Loop time per simulated
  second = wall(1.2 s) - wall(0.2 s) (compile and set-up cancel); speed in neuron-seconds per
  wall second; mean network rates compared.

usage: python benchmarks/surrogate.py [--samples 1000] [--cores 0]
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


def cell():
    from neurodyn.cable import Cell, fixed
    from neurodyn.cable.examples import branched_morphology
    from neurodyn.channels.hh import HH
    from neurodyn.channels.passive import Passive

    return (Cell(branched_morphology(3), ra=100.0, celsius=6.3, nseg=fixed(3))
            .paint("soma", HH()).paint("apical", Passive(g=0.1, e=-65.0)))


def adex_rates(params: dict, mu_nA, sigma_nA, t_stop=2100.0, t_start=100.0, seed=3):
    import numpy as np

    import neurodyn as nd

    model = nd.models.AdEx(**params)
    res = nd.simulate(model, t_stop, 0.05, spikes=True, seed=seed, record=["v"], record_dt=1.0,
                      stimulus=[nd.stimuli.Step(amplitude=0.0, start=0.0, stop=t_stop + 1),
                                nd.stimuli.OUNoise(sigma=1.0, tau=5.0)],
                      batch={"stimulus[0].amplitude": np.asarray(mu_nA) * 1000.0,
                             "stimulus[1].sigma": np.maximum(np.asarray(sigma_nA) * 1000.0,
                                                             1e-9)})
    counts = np.array([np.sum(np.asarray(t) >= t_start) for t in res.spikes.trains()])
    return counts / ((t_stop - t_start) / 1000.0)


def loop_seconds(run) -> float:
    """Wall time of one simulated second: wall(1.2 s) - wall(0.2 s), median of 3."""
    import statistics

    out = []
    for _ in range(3):
        t0 = time.perf_counter()
        run(200.0)
        a = time.perf_counter() - t0
        t0 = time.perf_counter()
        run(1200.0)
        b = time.perf_counter() - t0
        out.append(b - a)
    return statistics.median(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--cores", default="0")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "surrogate.json"))
    args = ap.parse_args()
    pin(parse_cores(args.cores))
    import numpy as np

    from neurodyn.cable.coupled import fixed_indegree, simulate_population
    from neurodyn.surrogate import r2_score, simulate_rate_network, train_surrogate

    c = cell()
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(0, 0.8, args.samples), rng.uniform(0, 0.3, args.samples)], 1)
    t0 = time.perf_counter()
    data = simulate_population(c, args.samples, 2100.0, 0.025, mu=x[:, 0], sigma=x[:, 1],
                               t_start=100.0, seed=1)
    data_s = time.perf_counter() - t0
    y = np.stack([data.rates, data.mean_v], 1)
    sur, rep = train_surrogate(x, y, ("mu_nA", "sigma_nA"), ("rate_hz", "mean_v_mV"),
                               steps=4000, seed=0)
    val = rep["validation_index"]
    out: dict = {"cpu": cpu_model(), "samples": args.samples, "data_s": data_s,
                 "train_s": rep["train_s"], "r2_surrogate": rep["r2_validation"]}
    red = REPO / "benchmarks" / "results" / "reduction.json"
    if red.exists():
        params = json.loads(red.read_text())["fit"]["params"]
        r_adex = adex_rates(params, x[val, 0], x[val, 1])
        out["r2_adex_rate"] = float(r2_score(data.rates[val], r_adex)[0])
        out["adex_params"] = params
    # network of 1,000
    n, k_e, k_i = 1000, 40, 10
    pre, w = fixed_indegree(n, k_e, k_i, 0.02, -0.05, rng)
    mu = rng.uniform(0.1, 0.4, n)
    det = simulate_population(c, n, 1100.0, 0.025, mu=mu, sigma=0.1, pre=pre, weight=w,
                              t_start=100.0, seed=2)
    net = simulate_rate_network(sur, n, 1100.0, 1.0, mu=mu, sigma=0.1, pre=pre, weight=w,
                                t_start=100.0)
    s_det = loop_seconds(lambda t: simulate_population(c, n, t, 0.025, mu=mu, sigma=0.1,
                                                       pre=pre, weight=w, seed=2))
    s_sur = loop_seconds(lambda t: simulate_rate_network(sur, n, t, 1.0, mu=mu, sigma=0.1,
                                                         pre=pre, weight=w))
    out["network"] = {
        "n": n, "detailed_rate_hz": float(det.rates.mean()),
        "surrogate_rate_hz": float(net.rates.mean()),
        "rate_ratio": float(net.rates.mean() / det.rates.mean()),
        "per_cell_correlation": float(np.corrcoef(det.rates, net.rates)[0, 1]),
        "detailed_neuron_s_per_s": n / s_det, "surrogate_neuron_s_per_s": n / s_sur,
        "speedup": s_det / s_sur, "table_error_hz": net.table_error}
    print(f"data: {args.samples} detailed cells x 2 s in {data_s:.1f} s; MLP trained in "
          f"{rep['train_s']:.1f} s")
    print(f"held-out R2 of the rate: surrogate {rep['r2_validation']['rate_hz']:.4f}"
          + (f", AdEx (reduced) {out['r2_adex_rate']:.4f}" if "r2_adex_rate" in out else "")
          + f"; mean V (surrogate) {rep['r2_validation']['mean_v_mV']:.4f}")
    nw = out["network"]
    print(f"1,000-neuron network: detailed {nw['detailed_rate_hz']:.2f} Hz, surrogate "
          f"{nw['surrogate_rate_hz']:.2f} Hz (ratio {nw['rate_ratio']:.3f}); speed detailed "
          f"{nw['detailed_neuron_s_per_s']:.0f}, surrogate {nw['surrogate_neuron_s_per_s']:.0f} "
          f"neuron-s per s: {nw['speedup']:.0f}x")
    Path(args.json).write_text(json.dumps(out, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
