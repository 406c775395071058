"""The network description: populations, spike sources and projections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError
from .population import PoissonSource, Population, SpikeSource, resolve
from .projection import Projection

__all__ = ["Network"]


@dataclass(frozen=True, eq=False)
class Network:
    """An immutable network description.

    Example
    -------
    >>> import neurodyn as nd
    >>> from neurodyn.network import Network, Population, Projection, FixedProbability
    >>> P = Population("P", nd.models.LIF(), 4000)
    >>> exc = Projection(P[:3200], P, FixedProbability(p=0.02), nd.synapses.Exp(tau=5, e_rev=0),
    ...                  weight="6 nS", delay="0.1 ms")
    >>> net = Network([P], [exc])
    """

    populations: Any
    projections: Any = ()

    def __post_init__(self) -> None:
        pops = tuple(self.populations)
        projs = tuple(self.projections)
        object.__setattr__(self, "populations", pops)
        object.__setattr__(self, "projections", projs)
        if not pops:
            raise ParameterError("Network needs at least one population. Fix: Network([pop, ...]).")
        names = set()
        for p in pops:
            if not isinstance(p, Population | PoissonSource | SpikeSource):
                raise ParameterError(
                    f"Network.populations must hold Population, PoissonSource or SpikeSource "
                    f"objects; got {p!r}."
                )
            if p.name in names:
                raise ParameterError(f"Network: two populations are named {p.name!r}. Fix: rename one.")
            names.add(p.name)
        receptors: dict[tuple[str, str], Any] = {}
        from .gap import GapJunctions

        labels = [pr.label for pr in projs if getattr(pr, "label", None)]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ParameterError(
                f"Network: projection labels must be unique; {', '.join(map(repr, dup))} is used "
                "more than once. Fix: give each projection its own label."
            )

        for k, pr in enumerate(projs):
            if isinstance(pr, GapJunctions):
                for side in ("pre", "post"):
                    pop, _, _ = resolve(getattr(pr, side), f"GapJunctions.{side}")
                    if not any(pop is q for q in pops):
                        raise ParameterError(
                            f"Network.projections[{k}] ({pr.name}): population {pop.name!r} is "
                            "not in the network. Fix: add it to populations."
                        )
                continue
            if not isinstance(pr, Projection):
                raise ParameterError(f"Network.projections[{k}] must be a Projection or "
                                     f"GapJunctions; got {pr!r}.")
            for side in ("pre", "post"):
                pop, _, _ = resolve(getattr(pr, side), f"Projection.{side}")
                if not any(pop is q for q in pops):
                    raise ParameterError(
                        f"Network.projections[{k}] ({pr.name}): its {side} population "
                        f"{pop.name!r} is not in the network. Fix: add it to populations."
                    )
            post, _, _ = resolve(pr.post, "Projection.post")
            key = (post.name, pr.receptor_name())
            if key in receptors and not _same_synapse(receptors[key], pr.synapse):
                raise ParameterError(
                    f"Network: receptor {key[1]!r} on {post.name!r} is used by projections with "
                    f"different synapses ({receptors[key]!r} and {pr.synapse!r}). Fix: give them "
                    "different receptor names."
                )
            receptors[key] = pr.synapse
            s = pr.synapse
            if s.conductance_based and post.model.input_unit == "1":
                raise ParameterError(
                    f"Projection {pr.name}: {type(post.model).__name__} has a dimensionless input, "
                    "so conductance-based synapses cannot drive it. Fix: use "
                    f"{type(s).__name__}(mode='current') with weights in the model's input units."
                )

    def population(self, name: str) -> Any:
        for p in self.populations:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def neuron_populations(self) -> tuple[Population, ...]:
        return tuple(p for p in self.populations if isinstance(p, Population))

    def __repr__(self) -> str:
        pops = ", ".join(f"{p.name}({p.size})" for p in self.populations)
        return f"Network([{pops}], {len(self.projections)} projections)"


def _same_synapse(a: Any, b: Any) -> bool:
    """Equal synapse descriptions (class, options and parameter values), not the same object."""
    import numpy as np

    if a is b:
        return True
    if a.static_key() != b.static_key():
        return False
    pa, pb = a.params(), b.params()
    return pa.keys() == pb.keys() and all(np.array_equal(pa[k], pb[k]) for k in pa)
