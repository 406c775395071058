"""TOML specs of sensitivity analyses for ``neurodyn sensitivity``: a run spec's model,
simulation and stimuli (as for ``neurodyn run``), the parameters with their ranges, and the
analysis::

    name = "hh_sobol"
    [model]
    type = "HodgkinHuxley"
    [simulation]
    t_stop = "200 ms"
    dt = "0.025 ms"
    [[stimulus]]
    type = "Step"
    amplitude = "10 uA/cm2"
    start = "20 ms"
    stop = "180 ms"

    [[parameter]]                       # a model parameter or a stimulus path
    path = "g_na"
    low = "60 mS/cm2"                   # numbers are in the parameter's declared unit
    high = "180 mS/cm2"
    transform = "linear"                # or "log": uniform in the logarithm

    [sensitivity]
    method = "sobol"                    # or "morris"
    n = 256                             # Sobol base samples (a power of 2): n (d + 2) runs
    trajectories = 20                   # Morris: trajectories (d + 1) runs
    levels = 4                          # Morris grid levels
    second_order = false                # Sobol second-order indices (n (2d + 2) runs)
    seed = 0
    outputs = ["spike_count", "mean_v"] # spike_count, rate, mean_v, max_v, min_v, first_spike
    window = ["20 ms", "180 ms"]        # outputs over this span (default: the whole run)
    nan_value = 200                     # value for undefined outputs (first_spike without one)

    [output]
    folder = "out/hh_sobol"

Every error names the key path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fit_spec import parse_parameters
from .network_spec import _keys
from .spec import _err, _path_unit, _quantity, parse_spec

__all__ = ["SensitivitySpec", "load_sensitivity_spec", "parse_sensitivity_spec"]

_RUN = {"name", "description", "model", "simulation", "stimulus"}
_TOP = _RUN | {"parameter", "sensitivity", "output"}
_SENS = {"method", "n", "trajectories", "levels", "second_order", "seed", "outputs", "window",
         "nan_value"}


@dataclass
class SensitivitySpec:
    name: str
    run: Any  # the RunSpec of the model, simulation and stimuli
    params: list[Any]
    method: str
    options: dict[str, Any]
    outputs: list[str]
    window: tuple[float, float] | None
    folder: str
    description: str = ""
    source: str = "<spec>"
    raw: dict[str, Any] = field(default_factory=dict)

    def function(self) -> Any:
        """The batched model function (:func:`neurodyn.uncertainty.model_outputs`)."""
        from ..uncertainty import model_outputs

        r = self.run
        kw = {k: v for k, v in r.simulate_kwargs().items()
              if k in ("stimulus", "method", "seed", "dtype", "rtol", "atol")}
        return model_outputs(r.model, [p.path for p in self.params], self.outputs,
                             t_stop=r.t_stop, dt=r.dt, window=self.window, **kw)


def load_sensitivity_spec(path: str) -> SensitivitySpec:
    from .spec import read_toml

    data, path, name = read_toml(path)
    return parse_sensitivity_spec(data, source=path, default_name=name)


def parse_sensitivity_spec(data: dict[str, Any], *, source: str = "<spec>",
                           default_name: str = "sensitivity") -> SensitivitySpec:
    from ..uncertainty.sensitivity import OUTPUTS

    _keys(data, _TOP, "", source)
    name = str(data.get("name", default_name))
    run = parse_spec({k: v for k, v in data.items() if k in _RUN}, source=source,
                     default_name=name)
    params = parse_parameters(
        data, source, lambda path, where: _path_unit(path, run.model, list(run.stimulus), source,
                                                     where))
    s = _keys(data.get("sensitivity") or {}, _SENS, "[sensitivity]", source)
    method = s.get("method", "sobol")
    if method not in ("sobol", "morris"):
        raise _err(source, "[sensitivity].method", f"must be 'sobol' or 'morris'; got {method!r}.")
    outputs = s.get("outputs", ["spike_count"])
    if not isinstance(outputs, list) or not outputs or any(o not in OUTPUTS for o in outputs):
        raise _err(source, "[sensitivity].outputs", f"must be a list of {', '.join(OUTPUTS)}; "
                   f"got {outputs!r}.")
    window = None
    if "window" in s:
        w = s["window"]
        if not isinstance(w, list) or len(w) != 2:
            raise _err(source, "[sensitivity].window", f"must be [start, stop]; got {w!r}.")
        window = tuple(_quantity(x, "ms", "[sensitivity].window", source) for x in w)
        if not 0 <= window[0] < window[1] <= run.t_stop:
            raise _err(source, "[sensitivity].window", f"must satisfy 0 <= start < stop <= "
                       f"t_stop ({run.t_stop:g} ms); got {w!r}.")
    if method == "sobol":
        opts = {"n": s.get("n", 256), "second_order": bool(s.get("second_order", False))}
        bad = set(s) & {"trajectories", "levels"}
    else:
        opts = {"trajectories": s.get("trajectories", 20), "levels": s.get("levels", 4)}
        bad = set(s) & {"n", "second_order"}
    if bad:
        raise _err(source, f"[sensitivity].{sorted(bad)[0]}", f"does not apply to method = "
                   f"{method!r}. Fix: remove it.")
    for k in ("n", "trajectories", "levels"):
        if k in opts and (isinstance(opts[k], bool) or not isinstance(opts[k], int)):
            raise _err(source, f"[sensitivity].{k}", f"must be an integer; got {opts[k]!r}.")
    opts["seed"] = int(s.get("seed", 0))
    if "nan_value" in s:
        opts["nan_value"] = float(s["nan_value"])
    out = _keys(data.get("output") or {}, {"folder"}, "[output]", source)
    return SensitivitySpec(name, run, params, method, opts, list(outputs), window,
                           str(out.get("folder", f"out/{name}")),
                           str(data.get("description", "")), source, data)
