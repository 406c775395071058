"""The contract every point-neuron model fulfils.

A model is an immutable description: declared parameters (unit, bounds, default, doc) and pure
maths. The maths methods receive the numeric parameters ``p`` (a NamedTuple of arrays that may be
batched or traced), the state ``s`` (a NamedTuple), the external input ``i_ext`` in the model's
:attr:`~AbstractNeuronModel.input_unit`, and the math namespace ``xp``
(:mod:`neurodyn.math`). They must not read numeric parameters from ``self`` (only structural
options) and must not branch in Python on values.

Required
    ``state_vars`` (class attribute: name -> unit, the membrane variable first),
    ``input_unit``, :meth:`init_state`, :meth:`derivatives`.
Optional
    :meth:`linearized` (for exponential and backward Euler),
    ``gate_vars`` and :meth:`gating`: gating variables in relaxation form
    ``dx/dt = k (x_inf - x)``, which the exponential integrators update exactly as
    ``x_inf + (x - x_inf) exp(-k dt)`` (NEURON's ``cnexp``; one division and one exponential),
    the reset interface (``has_reset = True``, :meth:`spike_condition`, :meth:`reset`,
    :meth:`spike_threshold`, :meth:`refractory_period`, :meth:`refractory_state`),
    ``methods`` (model-specific integration schemes by name, e.g. a paper's published scheme).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..params import Described

__all__ = ["AbstractNeuronModel", "Preset", "SpikeDetector"]


@dataclass(frozen=True)
class SpikeDetector:
    """How spikes are detected.

    ``kind="crossing"``: upward crossing of ``threshold`` by ``var`` between the start of a step
    and its end (before any reset), time linearly interpolated within the step unless
    ``interpolate=False`` (then the end of the step). ``kind="reset"``: the model's reset events,
    time interpolated at the model's :meth:`~AbstractNeuronModel.spike_threshold`.
    """

    kind: str = "crossing"
    var: str = "v"
    threshold: float = 0.0
    interpolate: bool = True

    @classmethod
    def crossing(cls, threshold: float, var: str = "v", interpolate: bool = True) -> SpikeDetector:
        return cls("crossing", var, float(threshold), interpolate)

    @classmethod
    def reset_events(cls, interpolate: bool = True) -> SpikeDetector:
        return cls("reset", "v", 0.0, interpolate)


@dataclass(frozen=True)
class Preset:
    """A named parameter set from the literature, with the protocol that shows its behaviour.

    ``stimulus`` is a zero-argument callable returning the stimulus description (so that presets
    do not import the stimulus module at class-definition time).
    """

    name: str
    params: dict[str, float]
    description: str
    reference: str
    stimulus: Callable[[], Any] | None = None
    t_stop: float = 500.0
    dt: float = 0.1
    init: dict[str, float] | None = None


class AbstractNeuronModel(Described):
    """Base of point-neuron models (see the module docstring for the contract)."""

    state_vars: ClassVar[dict[str, str]] = {}
    input_unit: ClassVar[str] = "1"
    input_doc: ClassVar[str] = "external input"
    gate_vars: ClassVar[tuple[str, ...]] = ()
    has_reset: ClassVar[bool] = False
    default_method: ClassVar[str] = "rk4"
    methods: ClassVar[dict[str, Callable[..., Any]]] = {}
    presets: ClassVar[dict[str, Preset]] = {}
    State: ClassVar[type]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.state_vars:
            cls.State = namedtuple(f"{cls.__name__}State", list(cls.state_vars))  # type: ignore[misc]

    # ---------------------------------------------------------------- required maths
    def init_state(self, p: Any, xp: Any) -> Any:
        """The initial state (usually rest) as a :attr:`State`."""
        raise NotImplementedError

    def derivatives(self, p: Any, s: Any, i_ext: Any, xp: Any) -> Any:
        """Time derivatives of every state variable (unit of the variable per ms)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- optional maths
    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        """``(A, B)`` with ``dx/dt = A + B*x`` exactly for conditionally linear variables.

        Nonlinear variables return ``B = 0`` and ``A = dx/dt`` (their exponential-Euler update
        is then forward Euler). The default treats every variable as nonlinear.
        """
        d = self.derivatives(p, s, i_ext, xp)
        return d, self.State(*(xp.zeros_like(x) for x in d))

    def gating(self, p: Any, v: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
        """``(x_inf, k)`` of each gating variable (``gate_vars`` order) at membrane potential ``v``,
        with ``dx/dt = k (x_inf - x)``; ``k = 1/tau`` in 1/ms. Must agree with :meth:`linearized`
        (``A = k x_inf``, ``B = -k``)."""
        raise NotImplementedError

    def rest_state(self, p: Any, v: Any, xp: Any) -> Any:
        """The state at rest at membrane potential ``v`` (mV), the input aside.

        The default covers models whose state is the membrane variable plus gates in relaxation
        form (Hodgkin–Huxley type): the gates at ``x_inf(v)``. Models with other state (an ion
        concentration) override it; others raise.
        """
        if set(self.state_vars) != {self.voltage_var, *self.gate_vars}:
            from ..errors import ParameterError

            raise ParameterError(
                f"{type(self).__name__}.holding: a holding current is not defined for this model "
                "(its state is not a membrane potential plus gates). Fix: fit without "
                "holding='baseline', or use a conductance-based or AdEx model."
            )
        gates = dict(zip(self.gate_vars, (x for x, _ in self.gating(p, v, xp))))
        return self.State(**{self.voltage_var: v + 0.0 * gates[self.gate_vars[0]]}, **gates)

    def holding(self, p: Any, v: Any, xp: Any) -> tuple[Any, dict[str, Any]]:
        """The constant input (model's :attr:`input_unit`) that makes ``v`` (mV) a steady state,
        and the initial-value parameters that start the model there (``{"v_init": v, ...}``).

        The state is :meth:`rest_state` at ``v``; the input solves ``dv/dt = 0`` (``dv/dt`` is
        affine in the input). Models whose rest is not a function of ``v`` override it.
        """
        s = self.rest_state(p, v, xp)
        zero = 0.0 * getattr(s, self.voltage_var)
        d0 = getattr(self.derivatives(p, s, zero, xp), self.voltage_var)
        d1 = getattr(self.derivatives(p, s, zero + 1.0, xp), self.voltage_var)
        return -d0 / (d1 - d0), {"v_init": getattr(s, self.voltage_var)}

    def spike_condition(self, p: Any, s: Any, xp: Any) -> Any:
        """Boolean: the state after a step has reached the spike condition (reset models)."""
        raise NotImplementedError

    def reset(self, p: Any, s: Any, xp: Any) -> Any:
        """State after a spike (reset models)."""
        raise NotImplementedError

    def spike_threshold(self, p: Any) -> Any:
        """Value of the membrane variable at which a reset-model spike is timed (mV)."""
        raise NotImplementedError

    def _require_below(self, lower: str, upper: str, fix: str) -> None:
        """Raise unless parameter ``lower`` < parameter ``upper`` (element-wise; both in mV)."""
        import numpy as np

        from ..errors import ParameterError

        lo, hi = getattr(self, lower), getattr(self, upper)
        if np.any(np.asarray(lo) >= np.asarray(hi)):
            raise ParameterError(
                f"{type(self).__name__}.{lower} must be < {upper} ({hi} mV); got {lo} mV. "
                f"Fix: {fix}"
            )

    def refractory_period(self, p: Any) -> Any:
        """Absolute refractory period in ms (0: none)."""
        return 0.0

    def refractory_state(self, p: Any, s_old: Any, s_new: Any, xp: Any) -> Any:
        """State while refractory: by default the membrane variable is held, others evolve."""
        return s_new._replace(**{self.voltage_var: getattr(s_old, self.voltage_var)})

    # ---------------------------------------------------------------- metadata
    voltage_var: ClassVar[str] = "v"

    def default_detector(self) -> SpikeDetector:
        """The spike detector used unless the caller chooses one."""
        if self.has_reset:
            return SpikeDetector.reset_events()
        return SpikeDetector.crossing(0.0)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> AbstractNeuronModel:
        """A model built from a named literature preset, optionally with some values changed."""
        key = _match_preset(cls, name)
        return cls(**{**cls.presets[key].params, **overrides})


def _match_preset(cls: type[AbstractNeuronModel], name: str) -> str:
    from ..errors import ParameterError

    norm = {k.lower().replace(" ", "_").replace("-", "_"): k for k in cls.presets}
    key = norm.get(str(name).lower().replace(" ", "_").replace("-", "_"))
    if key is None:
        raise ParameterError(
            f"{cls.__name__} has no preset {name!r}. Known presets: {', '.join(cls.presets)}."
        )
    return key
