"""Projections: connections from one population (or view) to another through one synapse type,
with weights and delays given as constants, arrays or distributions, with units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..synapses._base import AbstractSynapse
from ..units import Quantity, parse_quantity, to_unit
from .connectors import Connector, FromMatrix, _Explicit
from .population import resolve

__all__ = ["Normal", "Projection", "Uniform"]


@dataclass(frozen=True)
class Uniform:
    """Values drawn uniformly from ``[low, high)`` (numbers in the target unit, or strings)."""

    low: Any
    high: Any

    def sample(self, rng: np.random.Generator, n: int, unit: str, what: str) -> np.ndarray:
        lo, hi = _value(self.low, unit, what), _value(self.high, unit, what)
        if hi < lo:
            raise ParameterError(f"{what}: Uniform needs low <= high; got {lo} > {hi} {unit}.")
        return rng.uniform(lo, hi, n)


@dataclass(frozen=True)
class Normal:
    """Values drawn from a normal distribution ``(mean, sd)``; ``clip`` bounds them
    (``(0, None)`` keeps conductance weights non-negative)."""

    mean: Any
    sd: Any
    clip: tuple[float | None, float | None] = (None, None)

    def sample(self, rng: np.random.Generator, n: int, unit: str, what: str) -> np.ndarray:
        m, s = _value(self.mean, unit, what), _value(self.sd, unit, what)
        if s < 0:
            raise ParameterError(f"{what}: Normal sd must be >= 0 {unit}; got {s}.")
        x = rng.normal(m, s, n)
        lo, hi = self.clip
        return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def _value(x: Any, unit: str, what: str) -> float:
    if isinstance(x, str):
        x = parse_quantity(x)
    if isinstance(x, Quantity):
        return float(to_unit(x, unit, what=what))
    return float(x)


def values(spec: Any, n: int, rng: np.random.Generator, unit: str, what: str) -> np.ndarray:
    """Turn a weight/delay specification into ``n`` numbers in ``unit``."""
    if isinstance(spec, Uniform | Normal):
        return spec.sample(rng, n, unit, what)
    if isinstance(spec, str | Quantity | int | float | np.number):
        return np.full(n, _value(spec, unit, what))
    arr = np.asarray(spec, dtype=float).reshape(-1)
    if arr.size != n:
        raise ParameterError(
            f"{what}: an array of values needs one per synapse ({n}); got {arr.size}. Fix: give a "
            "scalar, a distribution (Uniform, Normal) or an array of the right length."
        )
    return arr


@dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from ``pre`` to ``post`` of one synapse type.

    Parameters
    ----------
    pre, post:
        Populations, spike sources (``pre`` only) or views such as ``pop[0:3200]``.
    connector:
        A connector from :mod:`neurodyn.network.connectors`.
    synapse:
        A synapse model from :mod:`neurodyn.synapses` (e.g. ``Exp(tau=5, e_rev=0)``).
    weight:
        Number (in the synapse's weight unit: nS for conductance, pA for current synapses),
        string with a unit (``"6 nS"``), array (one per synapse, in the connector's order) or a
        distribution (:class:`Uniform`, :class:`Normal`). Ignored for ``FromMatrix(weights=True)``.
    delay:
        Transmission delay (ms), same forms as ``weight``; it must be at least ``dt``. On the
        time grid a delay becomes ``round(delay/dt)`` steps (nearest step).
    receptor:
        Name of the synaptic state on the postsynaptic neurons (default: derived from the
        synapse). Projections onto the same population with the same receptor name share that
        state and must use the same synapse description.
    label:
        A name for batched runs (``batch={"<label>.weight_scale": [...]}``).
    plasticity:
        :class:`neurodyn.plasticity.TsodyksMarkram` (short-term) or
        :class:`neurodyn.plasticity.STDP` (long-term; weights in ``result.weights[label]``).
    """

    pre: Any
    post: Any
    connector: Any
    synapse: AbstractSynapse
    weight: Any = 1.0
    delay: Any = 0.1
    receptor: str | None = None
    label: str | None = None
    plasticity: Any = None

    def __post_init__(self) -> None:
        resolve(self.pre, "Projection.pre")
        post, _, _ = resolve(self.post, "Projection.post")
        if post.is_source:
            raise ParameterError(
                f"Projection.post must be a population of neurons; got the spike source "
                f"{post.name!r}. Fix: spike sources can only be presynaptic."
            )
        if not isinstance(self.connector, Connector | _Explicit):
            raise ParameterError(
                f"Projection.connector must be a connector (e.g. FixedProbability(p=0.02)); got "
                f"{self.connector!r}."
            )
        if not isinstance(self.synapse, AbstractSynapse):
            raise ParameterError(
                f"Projection.synapse must be a synapse model (e.g. neurodyn.synapses.Exp()); got "
                f"{self.synapse!r}."
            )
        if self.plasticity is not None:
            from ..plasticity import STDP, TsodyksMarkram

            if not isinstance(self.plasticity, TsodyksMarkram | STDP):
                raise ParameterError(
                    f"Projection.plasticity must be a plasticity rule (TsodyksMarkram, STDP); "
                    f"got {self.plasticity!r}."
                )
            if getattr(self.synapse, "kinetic", False):
                raise ParameterError(
                    f"Projection.plasticity: {type(self.plasticity).__name__} cannot act on "
                    f"{type(self.synapse).__name__}, a kinetic receptor (its conductance follows "
                    "the transmitter pulse, not a per-spike weight). Fix: use Exp, Alpha or BiExp "
                    "synapses with plasticity, or drop the rule."
                )
            if isinstance(self.plasticity, STDP):
                post_pop, _, _ = resolve(self.post, "Projection.post")
                if post_pop.is_source:
                    raise ParameterError("Projection: STDP needs a postsynaptic population of "
                                         "neurons (their spikes drive potentiation).")
            if not getattr(self.synapse, "spike_driven", True):
                raise ParameterError(
                    f"Projection.plasticity: {type(self.synapse).__name__} synapses do not "
                    "transmit spikes, so Tsodyks-Markram plasticity cannot act on them. Fix: "
                    "use a spike-driven synapse (Exp, Alpha, BiExp)."
                )
        if self.receptor is not None and not str(self.receptor).isidentifier():
            raise ParameterError(f"Projection.receptor must be an identifier; got {self.receptor!r}.")

    @property
    def name(self) -> str:
        return f"{self.pre.name}->{self.post.name}"

    def receptor_name(self) -> str:
        if self.receptor:
            return self.receptor
        s = self.synapse
        tag = type(s).__name__.lower()
        if s.conductance_based:
            return f"{tag}_{'e' if s.e_rev > -40.0 else 'i'}"
        return f"{tag}_cur"

    def build(self, rng: np.random.Generator, dt: float) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray, np.ndarray]:
        """Draw the synapses: local ``(pre, post)`` indices, weights (synapse weight unit) and
        delays (whole steps)."""
        pre_pop, p0, p1 = resolve(self.pre, "Projection.pre")
        post_pop, q0, q1 = resolve(self.post, "Projection.post")
        shift = (q0 - p0) if pre_pop is post_pop else None
        what = f"Projection {self.name}"
        explicit_w = None
        if isinstance(self.connector, FromMatrix) and self.connector.weights:
            pre, post, explicit_w = self.connector.pairs_and_values(p1 - p0, q1 - q0)
            if shift is not None and not self.connector.autapses:
                keep = (pre - post) != shift
                pre, post, explicit_w = pre[keep], post[keep], explicit_w[keep]
        else:
            pre, post = self.connector.connect(p1 - p0, q1 - q0, rng, shift,
                                               self.pre.positions, self.post.positions)
        n = pre.size
        unit = self.synapse.weight_unit
        w = explicit_w if explicit_w is not None else values(self.weight, n, rng, unit,
                                                               f"{what}.weight")
        if self.synapse.conductance_based and n and np.min(w) < 0:
            raise ParameterError(
                f"{what}.weight: conductance weights must be >= 0 nS; got a minimum of "
                f"{np.min(w):g} nS. Fix: inhibition comes from the synapse's reversal potential "
                "(e.g. Exp(e_rev=-80)), not from negative conductances; clip a Normal with "
                "clip=(0, None)."
            )
        if not np.all(np.isfinite(w)):
            raise ParameterError(f"{what}.weight has non-finite values.")
        d = values(self.delay, n, rng, "ms", f"{what}.delay")
        if n and (not np.all(np.isfinite(d)) or np.min(d) < dt * (1 - 1e-9)):
            raise ParameterError(
                f"{what}.delay must be >= dt ({dt:g} ms); got a minimum of {np.min(d):g} ms. "
                f"Fix: use delay >= {dt:g} ms (a spike can act at the earliest one step after it "
                "is emitted) or a smaller dt."
            )
        if n and d[0] == d[-1] and np.all(d == d[0]):  # one delay: round it once
            return pre, post, w, np.full(n, max(int(np.rint(d[0] / dt)), 1), np.int64)
        steps = np.rint(d / dt).astype(np.int64)
        return pre, post, w, np.maximum(steps, 1)


def max_delay_steps(delays: list[np.ndarray]) -> int:
    return int(max((int(d.max()) for d in delays if d.size), default=1))


