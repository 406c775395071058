"""``neurodyn sensitivity``: a sensitivity spec run end to end, with its report."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

__all__ = ["run_sensitivity"]


def run_sensitivity(spec: Any, folder: str, *, quiet: bool = False) -> Any:
    """Run a sensitivity spec (:mod:`neurodyn.io.sensitivity_spec`): one batched design, the
    indices; writes ``report.md``, ``result.json``, ``sensitivity.png`` and
    ``evaluations.npz`` to ``folder`` and returns the :class:`SensitivityResult`."""
    from .sensitivity import morris, sobol

    os.makedirs(folder, exist_ok=True)
    fn = spec.function()
    analyse = sobol if spec.method == "sobol" else morris
    opts = dict(spec.options)
    size = (opts["n"] * (len(spec.params) * (2 if opts["second_order"] else 1) + 2)
            if spec.method == "sobol" else opts["trajectories"] * (len(spec.params) + 1))
    if not quiet:
        print(f"{spec.name}: {spec.method} on {type(spec.run.model).__name__}, "
              f"{len(spec.params)} parameters, {size} runs in one batched call", flush=True)
    res = analyse(fn, spec.params, **opts)
    np.savez_compressed(os.path.join(folder, "evaluations.npz"), x=res.x, names=np.array(res.names),
                        **{f"y_{k}": v for k, v in res.y.items()})
    d = res.to_dict()
    d.update({"name": spec.name, "model": type(spec.run.model).__name__,
              "outputs": spec.outputs, "window_ms": spec.window, "source": spec.source})
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(d, f, indent=1)
    res.plot(os.path.join(folder, "sensitivity.png"))
    ranks = "\n".join(f"- {o}: {' > '.join(res.ranking(o))}" for o in res.outputs)
    bounds = "\n".join(f"| {p.path} | {p.low:g} | {p.high:g} | {p.transform} |"
                       for p in spec.params)
    md = (f"# {spec.name}: {spec.method} sensitivity\n\n{spec.description}\n\n"
          f"Model {type(spec.run.model).__name__}, {spec.run.t_stop:g} ms at dt {spec.run.dt:g} "
          f"ms; {res.n_evaluations} runs (simulation {res.sim_s:.1f} s, total {res.wall_s:.1f} "
          f"s); outputs over {spec.window or 'the whole run'} ms. Indices refer to a uniform "
          "distribution of each parameter (of its logarithm for log transforms).\n\n"
          f"| parameter | low | high | transform |\n|---|---|---|---|\n{bounds}\n\n"
          f"## Ranking\n\n{ranks}\n\n## Indices\n\n{res.table()}\n"
          "![sensitivity](sensitivity.png)\n")
    with open(os.path.join(folder, "report.md"), "w") as f:
        f.write(md)
    if not quiet:
        print(ranks)
        print(f"wrote {os.path.join(folder, 'report.md')}, {os.path.join(folder, 'result.json')}, "
              f"{os.path.join(folder, 'sensitivity.png')}")
    return res
