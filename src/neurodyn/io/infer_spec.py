"""TOML specs of Bayesian inference for ``neurodyn infer``: a fit spec's model (or cell), data,
features and parameters (see :mod:`neurodyn.io.fit_spec`; the parameters' bounds are the
uniform prior, in the search coordinate of each transform), and the method::

    [inference]
    method = "npe"                  # neural posterior estimation (sbi, PyTorch) or "abc"
                                    # (ABC-SMC, no PyTorch)
    simulations = 10000             # npe: prior simulations for training
    chunk = 1000                    # simulations per batched call (and per saved file)
    density_estimator = "maf"       # npe: "maf", "nsf" or "mdn"
    population = 500                # abc: particles per generation
    generations = 8                 # abc
    quantile = 0.5                  # abc: tolerance = this quantile of the last distances
    max_simulations = 100000        # abc
    samples = 2000                  # posterior samples written
    predictive = 20                 # posterior draws simulated for the predictive check
    calibration = 50                # npe, synthetic data: coverage and SBC on this many prior
                                    # draws (0: skip)
    seed = 0

    [output]
    folder = "out/infer_hh"

Simulations are written to ``<folder>/simulations`` as they finish; running the command again
reuses them. Every error names the key path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..inference.npe import DENSITY_ESTIMATORS, ESTIMATOR_CHOICES
from .fit_spec import parse_fit_spec
from .network_spec import _err, _keys

__all__ = ["InferSpec", "load_infer_spec", "parse_infer_spec"]

_INF = {"method", "simulations", "chunk", "density_estimator", "population", "generations",
        "quantile", "max_simulations", "samples", "predictive", "calibration", "seed"}
_INTS = ("simulations", "chunk", "population", "generations", "max_simulations", "samples",
         "predictive", "calibration", "seed")


@dataclass
class InferSpec:
    name: str
    fit: Any  # the FitSpec (problem, data, truth)
    method: str
    options: dict[str, Any]
    folder: str
    description: str = ""
    source: str = "<spec>"
    raw: dict[str, Any] = field(default_factory=dict)


def load_infer_spec(path: str) -> InferSpec:
    from .spec import read_toml

    data, path, name = read_toml(path)
    return parse_infer_spec(data, source=path, default_name=name)


def parse_infer_spec(data: dict[str, Any], *, source: str = "<spec>",
                     default_name: str = "infer") -> InferSpec:
    if "fit" in data:
        raise _err(source, "[fit]", "an inference spec has [inference] instead. Fix: rename the "
                   "table and use its keys (method = \"npe\" or \"abc\").")
    fit = parse_fit_spec({k: v for k, v in data.items() if k != "inference"}, source=source,
                         default_name=default_name)
    inf = _keys(data.get("inference") or {}, _INF, "[inference]", source)
    method = inf.get("method", "npe")
    if method not in ("npe", "abc"):
        raise _err(source, "[inference].method", f"must be \"npe\" or \"abc\"; got {method!r}.")
    opts: dict[str, Any] = {"simulations": 10_000, "chunk": 1000, "density_estimator": "maf",
                            "population": 500, "generations": 8, "quantile": 0.5,
                            "max_simulations": 100_000, "samples": 2000, "predictive": 20,
                            "calibration": 50 if fit.truth is not None and method == "npe"
                            else 0, "seed": 0}
    for k, v in inf.items():
        if k == "method":
            continue
        if k in _INTS:
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if k in (
                    "calibration", "seed", "predictive") else 1):
                raise _err(source, f"[inference].{k}", f"must be a positive integer; got {v!r}.")
        elif k == "quantile":
            if not isinstance(v, int | float) or not 0 < v < 1:
                raise _err(source, "[inference].quantile", f"must be in (0, 1); got {v!r}.")
        elif k == "density_estimator" and v not in DENSITY_ESTIMATORS:
            raise _err(source, "[inference].density_estimator",
                       f"must be {ESTIMATOR_CHOICES}; got {v!r}.")
        opts[k] = v
    if opts["calibration"] and fit.truth is None:
        raise _err(source, "[inference].calibration", "needs synthetic data (a known truth is "
                   "what calibration checks). Fix: calibration = 0 for recordings.")
    if opts["calibration"] and method != "npe":
        raise _err(source, "[inference].calibration", "applies to method = \"npe\" (amortised); "
                   "ABC-SMC would need a run per test observation. Fix: calibration = 0.")
    out = _keys(data.get("output") or {}, {"folder"}, "[output]", source)
    name = str(data.get("name", default_name))
    return InferSpec(name, fit, method, opts, str(out.get("folder", f"out/{name}")),
                     str(data.get("description", "")), source, data)
