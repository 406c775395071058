"""Current stimuli: step, ramp, sine, pulse train, sampled waveform, Ornstein–Uhlenbeck noise and
currents driven by Poisson or given spike trains; and an ideal voltage clamp to a sampled command
(:class:`VoltageClamp`).

Amplitudes are in the *input unit of the driven model* (µA/cm² for :class:`~neurodyn.models.
HodgkinHuxley`, pA for :class:`~neurodyn.models.LIF` and :class:`~neurodyn.models.AdEx`, model
units for Izhikevich and FitzHugh–Nagumo). A string or quantity with a unit (``"0.1 nA"``) is
converted when the stimulus is bound to the model; a current (nA) driving a density model
(µA/cm²) is divided by the model's ``area``. Times are in ms.

Stimuli are pure descriptions: their value is a function of time (and, for noise and spike-driven
currents, of a small state advanced each step from seeded random draws). Several stimuli add up:
``Step(...) + OUNoise(...)`` or a list.

Convention: a window ``[start, stop)`` is on for ``start <= t < stop``. Fixed-step methods
evaluate the stimulus at the start of the step (``euler``, ``exp_euler``), at the Runge–Kutta
stages (``rk4``) or at mid-step (``backward_euler``, as NEURON does). A stage at the *end* of a
step takes the left limit (``left=True``), so a discontinuity on the time grid belongs to the step
that follows it whatever the method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .errors import ParameterError, UnitError
from .params import INPUT_UNIT, Described, option, param
from .units import Quantity, describe_dimension, same_dimension, to_unit

__all__ = [
    "AbstractStimulus",
    "Combined",
    "OUNoise",
    "PoissonCurrent",
    "PulseTrain",
    "Ramp",
    "Sine",
    "SpikeTrainCurrent",
    "Step",
    "VoltageClamp",
    "Waveform",
    "as_stimuli",
    "poisson_times",
]

_INF = float("inf")


def _window(t: Any, start: Any, stop: Any, xp: Any, left: bool = False) -> Any:
    """1 on ``[start, stop)``; with ``left=True`` the left limit, i.e. 1 on ``(start, stop]``."""
    if left:
        return xp.where((t > start) & (t <= stop), 1.0, 0.0)
    return xp.where((t >= start) & (t < stop), 1.0, 0.0)


class AbstractStimulus(Described):
    """Base of stimuli. Subclasses implement :meth:`value`; stateful ones also
    :meth:`init_state`, :meth:`draws` and :meth:`advance`."""

    stateful: ClassVar[bool] = False
    #: True for a clamp of the membrane potential (:class:`VoltageClamp`) instead of a current
    clamps: ClassVar[bool] = False

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        """Input at time ``t`` (ms) in the model's input unit (its left limit if ``left``)."""
        raise NotImplementedError

    def init_state(self, p: Any, xp: Any) -> Any:
        return ()

    def draws(self, p: Any, key: Any, n_steps: int, dt: Any) -> Any:
        """Random numbers for ``n_steps`` steps (leading axis), or ``None``."""
        return None

    def advance(self, p: Any, state: Any, draw: Any, t: Any, dt: Any, xp: Any) -> Any:
        """State after the step from ``t`` to ``t + dt``."""
        return state

    def breakpoints(self) -> tuple[float, ...]:
        """Times (ms) where the input is discontinuous (adaptive solvers step onto them)."""
        return ()

    def batch_axes(self) -> Any:
        """``vmap`` axes of the parameters in a batched run: 0, or ``None`` for vector
        parameters (waveforms, spike times), which are shared by all cells."""
        return self.Params(**{k: (None if sp.vector else 0) for k, sp in self._param_specs.items()})

    def __add__(self, other: Any) -> Combined:
        return Combined(items=(*as_stimuli(self), *as_stimuli(other)))

    # --------------------------------------------------------------- binding to a model
    def bind(self, model: Any) -> AbstractStimulus:
        """A copy with every amplitude expressed as a number in ``model.input_unit``."""
        changes = {}
        for name, spec in self._param_specs.items():
            if spec.unit != INPUT_UNIT:
                continue
            val = getattr(self, name)
            if isinstance(val, Quantity):
                changes[name] = _convert_input(val, model, f"{type(self).__name__}.{name}")
        return self.replace(**changes) if changes else self


def _convert_input(q: Quantity, model: Any, what: str) -> Any:
    target = model.input_unit
    if same_dimension(q.unit, target):
        return to_unit(q, target, what=what)
    if same_dimension(q.unit, "nA") and same_dimension(target, "uA/cm2") and hasattr(model, "area"):
        # nA -> uA/cm2 over the model's area (um2): 1 nA / 1 um2 = 1e5 uA/cm2
        return to_unit(q, "nA", what=what) * 1e5 / model.area
    raise UnitError(
        f"{what} drives {type(model).__name__}, whose input is a "
        f"{describe_dimension(target)} ({target}); got {q!r}, a {describe_dimension(q.unit)}. "
        f"Fix: give the amplitude in {target}"
        + (" or as a current (nA) for models with an area." if target == "uA/cm2" else ".")
    )


def _amp(default: float = 0.0, doc: str = "amplitude") -> Any:
    return param(default, unit=INPUT_UNIT, doc=f"{doc} (model input unit)")


def _start() -> Any:
    return param(0.0, unit="ms", doc="onset time")


def _stop() -> Any:
    return param(_INF, unit="ms", doc="offset time (inf: never)", allow_inf=True)


class _Windowed(AbstractStimulus):
    def _check(self) -> None:
        if np.any(np.asarray(self.stop) < np.asarray(self.start)):
            raise ParameterError(
                f"{type(self).__name__}.stop must be >= start ({self.start} ms); got {self.stop} ms. "
                "Fix: swap start and stop or lengthen the window."
            )

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(float(x) for x in np.ravel([self.start, self.stop]) if np.isfinite(x))


class Step(_Windowed):
    """Constant current ``amplitude`` on ``[start, stop)``."""

    amplitude: Any = _amp()
    start: float = _start()
    stop: float = _stop()

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        return p.amplitude * _window(t, p.start, p.stop, xp, left)


class Ramp(_Windowed):
    """Linear ramp from ``amplitude_start`` at ``start`` to ``amplitude_stop`` at ``stop``; zero outside."""

    amplitude_start: Any = _amp(0.0, "value at start")
    amplitude_stop: Any = _amp(0.0, "value at stop")
    start: float = _start()
    stop: float = param(100.0, unit="ms", doc="end of the ramp")

    def _check(self) -> None:
        if np.any(np.asarray(self.stop) <= np.asarray(self.start)):
            raise ParameterError(
                f"Ramp.stop must be > start ({self.start} ms); got {self.stop} ms. "
                "Fix: give the ramp a positive duration."
            )

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        frac = (t - p.start) / (p.stop - p.start)
        return (p.amplitude_start + frac * (p.amplitude_stop - p.amplitude_start)) * _window(
            t, p.start, p.stop, xp, left
        )


class Sine(_Windowed):
    """``offset + amplitude * sin(2π f (t - start) + phase)`` on ``[start, stop)``."""

    amplitude: Any = _amp(0.0)
    frequency: float = param(10.0, unit="Hz", bounds=(0.0, None), doc="frequency")
    phase: float = param(0.0, unit="1", doc="phase at onset (rad)")
    offset: Any = _amp(0.0, "offset")
    start: float = _start()
    stop: float = _stop()

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        arg = 2.0 * xp.pi * p.frequency * 1e-3 * (t - p.start) + p.phase
        return (p.offset + p.amplitude * xp.sin(arg)) * _window(t, p.start, p.stop, xp, left)


class PulseTrain(_Windowed):
    """Rectangular pulses of ``amplitude`` and ``width`` every ``period`` from ``start``.

    ``n_pulses`` limits the count (inf: until ``stop``).
    """

    amplitude: Any = _amp()
    width: float = param(1.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                         doc="pulse duration")
    period: float = param(10.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                          doc="pulse onset interval (1000/frequency in Hz)")
    n_pulses: float = param(_INF, unit="1", bounds=(1.0, None), doc="number of pulses",
                            allow_inf=True)
    start: float = _start()
    stop: float = _stop()

    def _check(self) -> None:
        super()._check()
        if np.any(np.asarray(self.width) > np.asarray(self.period)):
            raise ParameterError(
                f"PulseTrain.width must be <= period ({self.period} ms); got {self.width} ms. "
                "Fix: shorten the pulses or lower the frequency."
            )

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        rel = t - p.start
        if left:  # left limits at the edges: pulse k is on for (k*period, k*period + width]
            k = xp.ceil(rel / p.period) - 1.0
            off = rel - k * p.period
            on = (off <= p.width) & (k >= 0.0) & (k < p.n_pulses) & (t <= p.stop)
        else:
            k = xp.floor(rel / p.period)
            off = rel - k * p.period
            on = (off < p.width) & (k < p.n_pulses) & (rel >= 0.0) & (t < p.stop)
        return xp.where(on, p.amplitude, 0.0 * p.amplitude)

    def breakpoints(self) -> tuple[float, ...]:
        start, stop = float(np.min(self.start)), float(np.max(self.stop))
        n = float(np.max(self.n_pulses))
        period, width = float(np.min(self.period)), float(np.max(self.width))
        pts = []
        k = 0
        while k < min(n, 100_000):
            t0 = start + k * period
            if t0 >= stop:
                break
            pts += [t0, t0 + width]
            k += 1
        return tuple(pts)


def _listed_values_as_array(stim: AbstractStimulus) -> None:
    """A ``values`` list or tuple (samples) becomes a float array before validation."""
    if isinstance(stim.values, list | tuple):
        object.__setattr__(stim, "values", np.asarray(stim.values, dtype=float))


class Waveform(AbstractStimulus):
    """An arbitrary sampled waveform: ``values[k]`` at ``start + k*sample_dt``.

    Between samples the value is interpolated linearly (``interpolation="linear"``) or held
    (``"previous"``); outside the sampled range it is zero.
    """

    values: Any = param(None, unit=INPUT_UNIT, doc="samples (model input unit)", vector=True)
    sample_dt: float = param(1.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                             doc="sampling interval of the values")
    start: float = _start()
    interpolation: str = option("linear", choices=("linear", "previous"), doc="between samples")

    def __post_init__(self) -> None:
        _listed_values_as_array(self)
        super().__post_init__()
        v = self.values
        if not isinstance(v, Quantity) and np.ndim(v) != 1:
            raise ParameterError(
                f"Waveform.values must be a 1-D array of samples; got shape {np.shape(v)}. "
                "Fix: pass one value per sample (batch over waveforms with several stimuli)."
            )

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        vals = p.values
        n = vals.shape[-1]
        x = (t - p.start) / p.sample_dt
        inside = ((x > 0.0) & (x <= n - 1.0)) if left else ((x >= 0.0) & (x < n - 1.0) |
                                                            (x == n - 1.0))
        if self.interpolation == "linear":
            v = xp.interp_uniform(vals, x, 0.0, 1.0)
        else:
            k = (xp.ceil(x) - 1.0) if left else xp.floor(x)
            i = xp.clip(k, 0, n - 1).astype("int32")
            v = xp.take(vals, i, axis=-1)
        return xp.where(inside, v, 0.0)

    def breakpoints(self) -> tuple[float, ...]:
        n = np.shape(self.values)[-1]
        start = float(np.min(self.start))
        if self.interpolation == "previous":
            return tuple(start + k * float(self.sample_dt) for k in range(n))
        return (start, start + (n - 1) * float(np.max(self.sample_dt)))


class VoltageClamp(_Windowed):
    """An ideal voltage clamp to a sampled command: at the end ``t`` of every integration step
    with ``start <= t < stop`` the model's membrane potential is set to the command ``values``
    (mV, ``values[k]`` at ``k*sample_dt``, linear in between, the last value after the last
    sample); the model's other state variables (gates, ion concentrations) integrate under it.
    The step that ends at ``stop`` is the first free one (the cell is released).

    The clamp of NEURON's ``SEClamp`` with zero series resistance, to a recorded trace: use it
    to start a model from a recording's own history, e.g. clamped to the trace recorded before
    a current step and released at the step's onset, so that the model enters the step in the
    state that the cell's recorded voltage (spontaneous spikes, a drifting baseline) sets
    (:meth:`neurodyn.fitting.Protocol.simulate` ``clamp=...``). The clamp injects no current
    (it adds 0 to the input). Fixed-step methods of conductance-based point models only (no
    integrate-and-fire reset, no adaptive method, no network); a multi-compartment cell is
    clamped through a series resistance by :class:`neurodyn.cable.SEClamp`. The spike detector
    sees the clamped potential (a recorded spike during the clamp is detected).
    """

    clamps: ClassVar[bool] = True
    values: Any = param(None, unit="mV", vector=True,
                        doc="command potential samples (leading axes: one per batch element)")
    sample_dt: float = param(1.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                             doc="sampling interval of the command")
    start: float = _start()
    stop: float = _stop()

    def __post_init__(self) -> None:
        _listed_values_as_array(self)
        super().__post_init__()  # checks the window (_Windowed._check)
        v = self.values
        if np.ndim(v) < 1 or np.shape(v)[-1] < 2 or not np.all(np.isfinite(v)):
            raise ParameterError(
                f"VoltageClamp.values must be an array of at least 2 finite command potentials "
                f"(mV) on its last axis; got shape {np.shape(v)}. Fix: pass a recorded sweep, "
                "e.g. recording.voltages()[k] (or several sweeps, one per batch element).")

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        return 0.0 * t  # no current: the clamp sets the potential (command)

    def command(self, p: Any, t: Any, xp: Any) -> tuple[Any, Any]:
        """``(on, v)`` at the end ``t`` (ms) of a step: whether the clamp sets the membrane
        potential (``start <= t < stop``) and the command potential (mV)."""
        n = p.values.shape[-1]
        x = xp.clip(t / p.sample_dt, 0.0, n - 1.0)
        i_f = xp.clip(xp.floor(x), 0.0, n - 2.0)
        i, theta = i_f.astype("int32"), x - i_f
        if p.values.ndim > 1:  # one command per cell (cells, samples); i is (cells,)
            def at(j: Any) -> Any:
                return xp.take_along_axis(p.values, j[:, None], axis=-1)[:, 0]
        else:  # one command shared by every cell
            def at(j: Any) -> Any:
                return xp.take(p.values, j, axis=-1)
        return (t >= p.start) & (t < p.stop), at(i) * (1.0 - theta) + at(i + 1) * theta


class OUNoise(_Windowed):
    r"""Ornstein–Uhlenbeck current noise on ``[start, stop)``.

    :math:`dx = -(x - \mu)\,dt/\tau + \sigma \sqrt{2/\tau}\, dW`, so the stationary mean is
    ``mean`` and the stationary standard deviation ``sigma``. The process starts at ``mean`` and
    is advanced with its exact discretisation
    :math:`x_{n+1} = \mu + (x_n - \mu)e^{-dt/\tau} + \sigma\sqrt{1 - e^{-2dt/\tau}}\,\xi_n`,
    independent of the integrator; the current is held constant within a step.
    Reproducible: the draws depend only on the seed, the step and the batch index.

    Reference: Uhlenbeck GE, Ornstein LS (1930) Phys Rev 36:823; Gillespie DT (1996) Phys Rev E
    54:2084 (exact updating formula).
    """

    stateful: ClassVar[bool] = True
    mean: Any = _amp(0.0, "stationary mean")
    sigma: Any = _amp(1.0, "stationary standard deviation")
    tau: float = param(5.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                       doc="correlation time")
    start: float = _start()
    stop: float = _stop()

    def init_state(self, p: Any, xp: Any) -> Any:
        return p.mean + 0.0 * p.sigma

    def draws(self, p: Any, key: Any, n_steps: int, dt: Any) -> Any:
        import jax

        return jax.random.normal(key, (n_steps,), dtype=_dtype(dt))

    def advance(self, p: Any, state: Any, draw: Any, t: Any, dt: Any, xp: Any) -> Any:
        e = xp.exp(-dt / p.tau)
        return p.mean + (state - p.mean) * e + p.sigma * xp.sqrt(1.0 - e * e) * draw

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        return state * _window(t, p.start, p.stop, xp, left)


class PoissonCurrent(_Windowed):
    r"""Current from ``n_sources`` independent Poisson spike trains through an exponential kernel.

    Each input spike adds ``weight`` to a current that decays with time constant ``tau``
    (a current-based exponential synapse): the mean current is
    ``n_sources * rate * weight * tau / 1000`` (rate in Hz, tau in ms). Spike counts per step are
    Poisson with mean ``n_sources * rate * dt``; reproducible from the seed.
    """

    stateful: ClassVar[bool] = True
    rate: float = param(10.0, unit="Hz", bounds=(0.0, None), doc="rate of each source")
    weight: Any = _amp(1.0, "current jump per input spike")
    tau: float = param(5.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                       doc="decay time constant")
    n_sources: float = param(1.0, unit="1", bounds=(0.0, None), doc="number of sources")
    start: float = _start()
    stop: float = _stop()

    def init_state(self, p: Any, xp: Any) -> Any:
        return 0.0 * p.weight

    def draws(self, p: Any, key: Any, n_steps: int, dt: Any) -> Any:
        import jax

        return jax.random.uniform(key, (n_steps,), dtype=_dtype(dt))

    def advance(self, p: Any, state: Any, draw: Any, t: Any, dt: Any, xp: Any) -> Any:
        lam = p.n_sources * p.rate * 1e-3 * dt * _window(t, p.start, p.stop, xp)
        k = _poisson_from_uniform(draw, lam, xp)
        return state * xp.exp(-dt / p.tau) + p.weight * k

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        return state


def _poisson_from_uniform(u: Any, lam: Any, xp: Any, kmax: int = 24) -> Any:
    """Poisson(lam) sample by inversion of one uniform (exact for lam*... up to kmax events/step)."""
    k = 0.0 * u
    term = xp.exp(-lam)
    cdf = term
    for j in range(1, kmax + 1):
        k = k + xp.where(u > cdf, 1.0, 0.0)
        term = term * lam / j
        cdf = cdf + term
    return k


class SpikeTrainCurrent(AbstractStimulus):
    """Current from given input spike times (ms) through an exponential kernel.

    Each spike at time ``t_s`` adds ``weight`` at the first step whose interval ``[t, t+dt)``
    contains ``t_s``; the current decays with ``tau``.
    """

    stateful: ClassVar[bool] = True
    times: Any = param(None, unit="ms", doc="input spike times", vector=True)
    weight: Any = _amp(1.0, "current jump per input spike")
    tau: float = param(5.0, unit="ms", bounds=(0.0, None), inclusive=(False, True),
                       doc="decay time constant")

    def __post_init__(self) -> None:
        t = self.times
        if isinstance(t, list | tuple):
            t = np.asarray(t, dtype=float)
        if isinstance(t, np.ndarray):
            t = np.sort(np.ravel(t))
            if t.size == 0:
                t = np.asarray([_INF])
        object.__setattr__(self, "times", t)
        super().__post_init__()

    def init_state(self, p: Any, xp: Any) -> Any:
        return 0.0 * p.weight

    def advance(self, p: Any, state: Any, draw: Any, t: Any, dt: Any, xp: Any) -> Any:
        import jax.numpy as jnp

        # step index of each spike, robust to the rounding of t = n*dt
        k = jnp.floor(p.times / dt + 1e-6)
        n_step = jnp.round(t / dt)
        n = jnp.searchsorted(k, n_step, side="right") - jnp.searchsorted(k, n_step, side="left")
        return state * xp.exp(-dt / p.tau) + p.weight * n

    def value(self, p: Any, t: Any, state: Any, xp: Any, left: bool = False) -> Any:
        return state


@dataclass(frozen=True)
class Combined:
    """The sum of several stimuli (``Step(...) + Sine(...)`` builds one)."""

    items: tuple[AbstractStimulus, ...]

    def __add__(self, other: Any) -> Combined:
        return Combined(items=(*self.items, *as_stimuli(other)))

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def as_stimuli(stimulus: Any) -> tuple[AbstractStimulus, ...]:
    """Normalise ``None``, one stimulus, a list or a :class:`Combined` to a flat tuple."""
    if stimulus is None:
        return ()
    if isinstance(stimulus, AbstractStimulus):
        return (stimulus,)
    if isinstance(stimulus, Combined | Sequence) and not isinstance(stimulus, str):
        out: list[AbstractStimulus] = []
        for s in stimulus:
            out += list(as_stimuli(s))
        return tuple(out)
    raise ParameterError(
        f"stimulus must be a stimulus object (Step, Ramp, Sine, ...), a list of them or None; "
        f"got {stimulus!r} ({type(stimulus).__name__}). Fix: wrap currents in e.g. "
        "neurodyn.stimuli.Step(amplitude=10, start=10, stop=90)."
    )


def poisson_times(rate: float, t_stop: float, *, seed: int = 0, t_start: float = 0.0) -> np.ndarray:
    """Spike times (ms) of a homogeneous Poisson process of ``rate`` Hz on ``[t_start, t_stop)``."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(rate * (t_stop - t_start) * 1e-3)
    return np.sort(rng.uniform(t_start, t_stop, n))


def _dtype(dt: Any) -> Any:
    return getattr(dt, "dtype", np.float64)

