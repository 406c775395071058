"""The ``neurodyn`` command line.

``neurodyn run SPEC.toml``   simulate a TOML spec (a model or a network); write result.h5,
                            figures and a summary
``neurodyn models``          list models, their parameters (unit, default, bounds) and presets
``neurodyn methods``         list integration methods
``neurodyn cite [MODEL]``    BibTeX of neurodyn and a model
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np

__all__ = ["main", "run_spec"]


def _fmt_params(model: Any) -> list[str]:
    rows = []
    for k, spec in model.param_specs().items():
        v = getattr(model, k)
        val = f"{v:g}" if isinstance(v, float) else f"array{np.shape(v)}"
        unit = "" if spec.unit in ("1", "") else spec.unit
        rows.append(f"| `{k}` | {val} | {unit} | {spec.doc} |")
    return rows


def run_spec(path: str, out: str | None = None, *, quiet: bool = False) -> dict[str, Any]:
    """Run a spec file; returns the summary dict (also written to ``summary.json``)."""
    from .. import simulate
    from ..io.spec import load_spec

    spec = load_spec(path)
    folder = out or spec.folder
    if hasattr(spec, "network"):
        return _run_network(spec, folder, quiet=quiet)
    if hasattr(spec, "cell"):
        return _run_cell(spec, folder)
    os.makedirs(folder, exist_ok=True)
    t0 = time.perf_counter()
    res = simulate(spec.model, spec.t_stop, spec.dt, progress=None if quiet else True,
                   **spec.simulate_kwargs())
    wall = time.perf_counter() - t0
    h5 = res.save(os.path.join(folder, "result.h5"))
    figures = _figures(spec, res, folder)
    summary = _summary(spec, res, wall, h5, figures, folder)
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, default=str)
    with open(os.path.join(folder, "summary.md"), "w") as f:
        f.write(_markdown(spec, res, summary))
    return summary


def _run_cell(spec: Any, folder: str) -> dict[str, Any]:
    """``neurodyn run`` for a cell spec: result.h5, traces.png, path.png (peak depolarisation
    along a path), morphology.png (peak voltage per section), summary.md/json."""
    from matplotlib.figure import Figure

    from .. import simulate
    from ..cable import assemble
    from ..cable.plotting import plot_along_path, plot_voltage_on_morphology

    os.makedirs(folder, exist_ok=True)
    t0 = time.perf_counter()
    res = simulate(spec.cell, spec.t_stop, spec.dt, record=spec.record, record_dt=spec.record_dt,
                   method=spec.method, batch=spec.batch or None)
    wall = time.perf_counter() - t0
    h5 = res.save(os.path.join(folder, "result.h5"))
    first = (lambda x: x[0]) if res.batch_shape else (lambda x: x)
    figures = []
    for kind in spec.plots:
        fn = os.path.join(folder, f"{kind}.png")
        fig = Figure(figsize=(8, 3.4) if kind != "morphology" else (5.5, 5.5),
                     constrained_layout=True)
        ax = fig.subplots()
        if kind == "traces":
            for k in spec.locations:
                ax.plot(res.t, first(res.traces[k]), lw=0.8, label=k)
            ax.set_xlabel("time (ms)")
            ax.set_ylabel("V (mV)")
            ax.legend(frameon=False, fontsize=7)
        elif kind == "path" and spec.path is not None:
            labels, dist = spec.path
            peak = [float(np.max(first(res.traces[k])) - first(res.traces[k])[0]) for k in labels]
            plot_along_path(dist, {"peak depolarisation": peak}, ax=ax,
                            ylabel="peak depolarisation (mV)")
        elif kind == "morphology" and spec.sections:
            values = [float(np.max(first(res.traces[f"{s.name}(0.5)"])))
                      for s in spec.cell.sections]
            plot_voltage_on_morphology(spec.cell, res, values=values, ax=ax, label="peak V (mV)")
        else:
            continue
        fig.savefig(fn, dpi=110)
        figures.append(fn)
    a = assemble(spec.cell)
    spikes = None if res.spikes is None else np.asarray(res.spike_counts()).tolist()
    summary = {"name": spec.name, "spec": os.path.abspath(spec.source), "kind": "cell",
               "model": f"Cell({len(spec.cell.sections)} sections, {a.n} nodes)",
               "status": str(res.status), "message": res.message, "t_stop_ms": spec.t_stop,
               "dt_ms": spec.dt, "method": spec.method, "wall_s": round(wall, 3),
               "n_nodes": a.n, "n_sections": len(spec.cell.sections),
               "mechanisms": sorted({type(m).__name__ for _, m in spec.cell.painted}),
               "spikes": spikes, "spikes_total": int(np.sum(spikes)) if spikes is not None else 0,
               "batch": {k: v.tolist() for k, v in spec.batch.items()},
               "files": {"result": h5, "figures": figures,
                         "summary": os.path.join(folder, "summary.md")}}
    _write_summary(folder, spec, summary, [
        f"- cell: {summary['model']}, mechanisms {', '.join(summary['mechanisms'])}",
        f"- run: {spec.t_stop:g} ms at dt = {spec.dt:g} ms ({spec.method}); wall time "
        f"{summary['wall_s']} s; status {summary['status']}",
        f"- soma spikes: {spikes if spikes is not None else 'no detector placed'}"])
    return summary


def _write_summary(folder: str, spec: Any, summary: dict[str, Any], body: list[str]) -> None:
    """``summary.json`` and ``summary.md`` (title, description, ``body``, figures)."""
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, default=str)
    lines = [f"# {spec.name}", ""] + ([spec.description, ""] if spec.description else []) + body
    figures = summary["files"]["figures"]
    if figures:
        lines += ["", "## Figures", ""] + [f"![{os.path.basename(f)}]({os.path.basename(f)})"
                                            for f in figures]
    with open(os.path.join(folder, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def _run_network(spec: Any, folder: str, *, quiet: bool) -> dict[str, Any]:
    """``neurodyn run`` for a network spec: result.h5, network.png (raster and population
    rates), traces.png, summary.md/json."""
    from .. import plotting, simulate
    from ..io.hdf5 import save_network_result

    os.makedirs(folder, exist_ok=True)
    t0 = time.perf_counter()
    res = simulate(spec.network, spec.t_stop, spec.dt, method=spec.method, seed=spec.seed,
                   dtype=spec.dtype, record=spec.record or None,
                   progress=None if quiet else True)
    wall = time.perf_counter() - t0
    h5 = save_network_result(res, os.path.join(folder, "result.h5"))
    neuron_traces = {k: v for k, v in res.traces.items() if k != "weights"}
    plots = spec.plots if spec.plots is not None else (
        ("network",) + (("traces",) if neuron_traces else ())
        + (("weights",) if "weights" in res.traces else ()))
    figures = []
    for kind in plots:
        fn = os.path.join(folder, f"{kind}.png")
        if kind == "network":
            plotting.plot_network(res).savefig(fn, dpi=110)
        elif kind == "weights" and "weights" in res.traces:
            plotting.plot_weights(res).figure.savefig(fn, dpi=110)
        elif kind == "traces" and neuron_traces:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(8, 3.2), constrained_layout=True)
            ax = fig.subplots()
            for pop, d in neuron_traces.items():
                for var, x in d.items():
                    for j, row in enumerate(x[:5]):
                        ax.plot(res.t, row, lw=0.8,
                                label=f"{pop}[{res.recorded[pop][var][j]}].{var}")
            ax.set_xlabel("time (ms)")
            ax.legend(frameon=False, fontsize=7)
            fig.savefig(fn, dpi=110)
        else:
            continue
        figures.append(fn)
    pops = {}
    for pop in res.spikes:
        cv = res.isi_cv(pop) if pop in res.sizes else np.zeros(0)
        pops[pop] = {"size": res.sizes[pop], "spikes": int(res.spikes[pop].times.size),
                     "rate_hz": round(res.rate(pop), 4),
                     "isi_cv_mean": None if cv.size == 0 else round(float(np.mean(cv)), 4)}
    summary = {"name": spec.name, "spec": os.path.abspath(spec.source), "kind": "network",
               "network": repr(spec.network), "status": str(res.status), "message": res.message,
               "t_stop_ms": spec.t_stop, "dt_ms": spec.dt, "method": res.provenance["method"],
               "seed": spec.seed, "wall_s": round(wall, 3),
               "n_synapses": res.stats["n_synapses"], "populations": pops,
               "files": {"result": h5, "figures": figures,
                         "summary": os.path.join(folder, "summary.md")}}
    body = [f"- network: {spec.network!r}, {res.stats['n_synapses']} synapses",
            f"- run: {spec.t_stop:g} ms at dt = {spec.dt:g} ms, methods {res.provenance['method']}, "
            f"seed {spec.seed}, {spec.dtype}; wall time {summary['wall_s']} s",
            "", "| population | size | spikes | rate (Hz) | mean ISI CV |", "|---|---|---|---|---|"]
    for p, d in pops.items():
        cv = "-" if d["isi_cv_mean"] is None else f"{d['isi_cv_mean']:.3f}"
        body.append(f"| {p} | {d['size']} | {d['spikes']} | {d['rate_hz']:.2f} | {cv} |")
    _write_summary(folder, spec, summary, body)
    return summary


def _figures(spec: Any, res: Any, folder: str) -> list[str]:
    from .. import plotting
    from ..analysis.excitability import FICurve, _rates

    wanted = spec.plots
    model = spec.model
    batched = bool(res.batch_shape)
    auto = []
    if res.traces:
        auto.append("traces")
    if res.spikes is not None and batched:
        auto.append("raster")
    amp_paths = [k for k in res.batch if k.startswith("stimulus") and k.endswith("amplitude")]
    if res.spikes is not None and len(res.batch_shape) == 1 and amp_paths:
        auto.append("fi")
    if len(model.state_vars) == 2 and all(v in res.traces for v in model.state_vars) and not batched:
        auto.append("phase_plane")
    wanted = wanted if wanted is not None else tuple(auto)
    out = []
    for kind in wanted:
        fn = os.path.join(folder, f"{kind}.png")
        if kind == "traces":
            var = spec.record[0] if spec.record else None
            if var is None:
                continue
            ax = plotting.plot_traces(res, var)
        elif kind == "raster":
            if res.spikes is None:
                continue
            ax = plotting.plot_raster(res, sort_by=amp_paths[0] if amp_paths else None)
        elif kind == "fi":
            if not amp_paths or res.spikes is None:
                continue
            stim = spec.stimulus[0]
            start = float(np.min(getattr(stim, "start", 0.0)))
            stop = float(np.min(getattr(stim, "stop", spec.t_stop)))
            stop = min(stop, spec.t_stop)
            rates = _rates(res, start, stop, "count", 0.0)
            fi = FICurve(np.ravel(res.batch[amp_paths[0]]), np.ravel(rates), model.input_unit,
                         "count")
            ax = plotting.plot_fi(fi)
        elif kind == "phase_plane":
            i_ext = float(np.max([np.max(getattr(s, "amplitude", 0.0)) for s in spec.stimulus]
                                 or [0.0]))
            ax = plotting.phase_plane(model, i_ext, trajectory=res)
        else:  # pragma: no cover - validated by the spec parser
            continue
        ax.figure.savefig(fn, dpi=120)
        out.append(fn)
    return out


def _summary(spec: Any, res: Any, wall: float, h5: str, figures: list[str], folder: str) -> dict:
    s: dict[str, Any] = {
        "name": spec.name,
        "spec": os.path.abspath(spec.source),
        "model": type(spec.model).__name__,
        "status": str(res.status),
        "message": res.message,
        "t_stop_ms": spec.t_stop,
        "dt_ms": spec.dt,
        "method": res.provenance.get("method"),
        "batch_shape": list(res.batch_shape),
        "wall_s": round(wall, 3),
        "files": {"result": h5, "figures": figures,
                  "summary": os.path.join(folder, "summary.md")},
    }
    if res.spikes is not None:
        counts = np.asarray(res.spike_counts())
        s["spikes_total"] = int(counts.sum())
        if res.batch_shape:
            s["spikes_per_cell"] = {"min": int(counts.min()), "max": int(counts.max()),
                                    "mean": float(counts.mean())}
        else:
            s["spike_times_ms"] = [round(float(x), 4) for x in res.spike_times()[:50]]
            s["rate_hz"] = float(res.firing_rates())
    return s


def _markdown(spec: Any, res: Any, summary: dict) -> str:
    model = spec.model
    lines = [f"# {spec.name}", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [
        f"- model: **{type(model).__name__}**"
        + (f" ({', '.join(f'{k}={v}' for k, v in model.options().items())})"
           if model.options() else ""),
        f"- run: {spec.t_stop:g} ms at dt = {spec.dt:g} ms, method `{summary['method']}`, "
        f"seed {spec.seed}, {spec.dtype}",
        f"- status: {summary['status']} {res.message}",
        f"- wall time: {summary['wall_s']} s",
    ]
    if res.batch_shape:
        lines.append(f"- batch: {', '.join(res.batch)} with shape {tuple(res.batch_shape)}")
    if "spikes_total" in summary:
        lines.append(f"- spikes: {summary['spikes_total']}"
                     + (f" (rate {summary['rate_hz']:.2f} Hz)" if "rate_hz" in summary else ""))
    lines += ["", "## Parameters", "", "| parameter | value | unit | meaning |", "|---|---|---|---|"]
    lines += _fmt_params(model)
    lines += ["", "## Stimulus", ""]
    for s in spec.stimulus:
        lines.append(f"- {s!r}")
    if summary["files"]["figures"]:
        lines += ["", "## Figures", ""]
        lines += [f"![{os.path.basename(f)}]({os.path.basename(f)})" for f in
                  summary["files"]["figures"]]
    lines += ["", "## Reference", "", "```bibtex", _cite(model), "```", ""]
    return "\n".join(lines)


def _cite(model: Any) -> str:
    from ..citation import citation

    return citation(model)


def _cmd_models(args: argparse.Namespace) -> int:
    from ..models import REGISTRY

    for name, cls in REGISTRY.items():
        if args.model and name != args.model:
            continue
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"{name}: {doc}")
        print(f"  state: {', '.join(f'{k} [{u}]' for k, u in cls.state_vars.items())}; "
              f"input in {cls.input_unit} ({cls.input_doc}); default method {cls.default_method}")
        for k, spec in cls.param_specs().items():
            d = "required" if spec.default is None else f"{spec.default:g}"
            print(f"    {k:<12} {d:>9} {spec.unit:<9} {spec.constraint_text():<16} {spec.doc}")
        for k, o in cls.option_specs().items():
            print(f"    {k:<12} {o.default!r:>9} option    {o.choices} {o.doc}")
        if cls.presets:
            print(f"  presets: {', '.join(cls.presets)}")
        print()
    return 0


def _cmd_methods(args: argparse.Namespace) -> int:
    from ..engine.integrators import describe_methods

    print(describe_methods())
    return 0


def _cmd_cite(args: argparse.Namespace) -> int:
    from ..citation import citation
    from ..models import REGISTRY

    objs = [REGISTRY[args.model]] if args.model else []
    print(citation(*objs))
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from ..fitting.report import write_report
    from ..io.fit_spec import load_fit_spec

    spec = load_fit_spec(args.spec)
    folder = args.out or spec.folder
    opts = dict(spec.options)
    workers, scheduler = opts.pop("workers", None), opts.pop("scheduler", None)
    evaluator = None
    if workers or scheduler:
        from ..fitting.distributed import DaskEvaluator

        evaluator = DaskEvaluator(spec.problem, address=scheduler, n_workers=workers)
        opts["evaluator"] = evaluator
    try:
        res = _fit(spec, folder, opts, args.quiet)
    finally:
        if evaluator is not None:
            evaluator.close()
    summary = write_report(res, spec.problem, spec.data_v, folder, name=spec.name,
                           truth=spec.truth)
    if not args.quiet:
        print(res.summary())
        print(f"wrote {os.path.join(folder, 'report.md')}, {os.path.join(folder, 'result.json')}")
    return 0 if np.isfinite(summary["score"]) else 1


def _fit(spec: Any, folder: str, opts: dict[str, Any], quiet: bool) -> Any:
    from ..fitting import fit_cmaes, fit_gradient, fit_hybrid, fit_nsga2

    if spec.method == "gradient":
        for k in ("generations", "max_evaluations", "evaluator", "max_seconds", "target_score",
                  "popsize", "restarts"):
            opts.pop(k, None)
        return fit_gradient(spec.problem, spec.data_v, folder=folder, progress=not quiet,
                            **opts)
    if spec.method == "hybrid":
        for k in ("generations", "max_evaluations", "evaluator"):
            opts.pop(k, None)
        if "target_score" in opts:
            opts.setdefault("warm_score", opts.pop("target_score"))
        return fit_hybrid(spec.problem, spec.data_v, folder=folder, progress=not quiet, **opts)
    if spec.method == "cmaes":
        opts.pop("generations", None)
        return fit_cmaes(spec.problem, folder=folder, progress=not quiet, **opts)
    opts.pop("max_evaluations", None)
    if "popsize" in opts:
        opts["pop_size"] = opts.pop("popsize")
    if "trace_sweeps" in opts:
        opts["target_v"] = spec.data_v
    return fit_nsga2(spec.problem, folder=folder, progress=not quiet, **opts)


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from ..io.sensitivity_spec import load_sensitivity_spec
    from ..uncertainty.run import run_sensitivity

    spec = load_sensitivity_spec(args.spec)
    run_sensitivity(spec, args.out or spec.folder, quiet=args.quiet)
    return 0


def _cmd_infer(args: argparse.Namespace) -> int:
    from ..inference.run import run_inference
    from ..io.infer_spec import load_infer_spec

    spec = load_infer_spec(args.spec)
    run_inference(spec, args.out or spec.folder, quiet=args.quiet)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    summary = run_spec(args.spec, args.out, quiet=args.quiet)
    if not args.quiet:
        if summary.get("kind") == "cell":
            print(f"{summary['name']}: {summary['model']}, status {summary['status']}, "
                  f"soma spikes {summary['spikes']}, {summary['wall_s']} s")
        elif summary.get("kind") == "network":
            rates = ", ".join(f"{p} {d['rate_hz']:.2f} Hz" for p, d in summary["populations"].items())
            print(f"{summary['name']}: {summary['network']}, status {summary['status']}, "
                  f"{rates}, {summary['wall_s']} s")
        else:
            print(f"{summary['name']}: {summary['model']}, status {summary['status']}, "
                  f"{summary.get('spikes_total', 0)} spikes, {summary['wall_s']} s")
        print(f"wrote {summary['files']['result']}, {summary['files']['summary']}")
        for f in summary["files"]["figures"]:
            print(f"wrote {f}")
    return 0 if summary["status"] == "success" else 1


def main(argv: list[str] | None = None) -> int:
    from .._version import __version__
    from ..errors import NeurodynError

    ap = argparse.ArgumentParser(prog="neurodyn", description="Physiologically grounded neural "
                                 "simulation on JAX.")
    ap.add_argument("--version", action="version", version=f"neurodyn {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, what, spec_help, quiet_help, func in (
            ("run", "run a TOML simulation spec", "a TOML spec (see examples/)",
             "no progress or summary", _cmd_run),
            ("fit", "fit a model to data (a TOML fit spec); resumable",
             "a TOML fit spec (see examples/fit/)", "no progress lines", _cmd_fit),
            ("sensitivity", "global sensitivity (Sobol or Morris, SALib) of model outputs (a "
             "TOML spec)", "a TOML sensitivity spec (see examples/sensitivity/)",
             "no progress or summary", _cmd_sensitivity),
            ("infer", "Bayesian inference (NPE with sbi, or ABC-SMC) of model parameters from "
             "data (a TOML spec); resumable", "a TOML inference spec (see examples/infer/)",
             "no progress lines", _cmd_infer)):
        p = sub.add_parser(name, help=what)
        p.add_argument("spec", help=f"path to {spec_help}")
        p.add_argument("-o", "--out", help="output folder (default: the spec's [output].folder)")
        p.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
        p.set_defaults(func=func)
    p = sub.add_parser("models", help="list models, parameters and presets")
    p.add_argument("model", nargs="?")
    p.set_defaults(func=_cmd_models)
    p = sub.add_parser("methods", help="list integration methods")
    p.set_defaults(func=_cmd_methods)
    p = sub.add_parser("cite", help="BibTeX of neurodyn and a model")
    p.add_argument("model", nargs="?")
    p.set_defaults(func=_cmd_cite)
    args = ap.parse_args(argv)
    try:
        return int(args.func(args))
    except NeurodynError as exc:
        print(f"neurodyn: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
