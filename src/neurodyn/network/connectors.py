"""Connectors: which presynaptic neuron connects to which postsynaptic one.

A connector is an immutable description; :meth:`Connector.connect` draws the connections with a
NumPy ``Generator`` (seeded by the network seed and the projection's index, so a network is
rebuilt identically) and returns local ``(pre, post)`` index arrays, sorted by ``pre``.

``autapse_shift`` tells a connector when source and target are the same population: the pair
``(i, j)`` is an autapse (a neuron onto itself) when ``i - j == autapse_shift``; ``None`` when
the populations differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ParameterError
from ..params import Described, option, param

__all__ = ["AllToAll", "Connector", "DistanceProbability", "FixedInDegree", "FixedOutDegree",
           "FixedProbability", "FromList", "FromMatrix", "OneToOne"]

Pairs = tuple[np.ndarray, np.ndarray]


def _sorted(pre: np.ndarray, post: np.ndarray) -> Pairs:
    pre = np.asarray(pre, dtype=np.int64)
    post = np.asarray(post, dtype=np.int64)
    order = np.lexsort((post, pre))
    return pre[order], post[order]


def _drop_autapses(pre: np.ndarray, post: np.ndarray, shift: int | None) -> Pairs:
    if shift is None:
        return pre, post
    keep = (pre - post) != shift
    return pre[keep], post[keep]


class Connector(Described):
    """Base of connectors."""

    name: ClassVar[str] = "connector"
    autapses: bool = option(True, choices=(True, False),
                            doc="allow a neuron to connect to itself (same population only)")

    def connect(self, n_pre: int, n_post: int, rng: np.random.Generator,
                autapse_shift: int | None = None, pre_pos: Any = None,
                post_pos: Any = None) -> Pairs:
        raise NotImplementedError

    def _shift(self, shift: int | None) -> int | None:
        return None if self.autapses else shift


class AllToAll(Connector):
    """Every presynaptic neuron to every postsynaptic neuron."""

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        pre = np.repeat(np.arange(n_pre), n_post)
        post = np.tile(np.arange(n_post), n_pre)
        return _drop_autapses(pre, post, self._shift(autapse_shift))


class OneToOne(Connector):
    """Neuron ``i`` to neuron ``i``; both sides must have the same size."""

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        if n_pre != n_post:
            raise ParameterError(
                f"OneToOne needs populations of the same size; got {n_pre} presynaptic and "
                f"{n_post} postsynaptic neurons. Fix: connect views of equal size "
                "(e.g. pop[0:100]) or use another connector."
            )
        i = np.arange(n_pre)
        return _drop_autapses(i, i, self._shift(autapse_shift))


def _prob_param(default: float) -> Any:
    return param(default, unit="1", bounds=(0.0, 1.0),
                 doc="connection probability of each (pre, post) pair",
                 hint="Fix: a probability lies in [0, 1] (the Brette 2007 benchmarks use 0.02).")


class FixedProbability(Connector):
    """Each pair independently with probability ``p`` (no multapses).

    Drawn without visiting all pairs: the gaps between successive connections in the flattened
    pair sequence are geometric with parameter ``p`` (Brian2's "skip" algorithm), so building
    10 M synapses out of 10^10 pairs takes seconds.
    """

    p: float = _prob_param(0.1)

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        p = float(self.p)
        total = int(n_pre) * int(n_post)
        if p <= 0.0 or total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if p >= 1.0:
            return AllToAll(autapses=self.autapses).connect(n_pre, n_post, rng, autapse_shift)
        parts = []
        pos = -1
        while True:
            expect = (total - pos) * p
            m = int(expect + 6.0 * np.sqrt(expect + 1.0) + 16)
            gaps = rng.geometric(p, size=m)
            flat = pos + np.cumsum(gaps, dtype=np.int64)
            done = flat[-1] >= total
            flat = flat[flat < total]
            parts.append(flat)
            if done:
                break
            pos = int(flat[-1]) if flat.size else pos
        flat = np.concatenate(parts)
        pre, post = np.divmod(flat, n_post)
        return _drop_autapses(pre, post, self._shift(autapse_shift))


def _degree_param(doc: str) -> Any:
    return param(10, unit="1", bounds=(0, None), doc=doc,
                 hint="Fix: give a non-negative whole number of connections.")


def _sample_distinct(rng: np.random.Generator, n_rows: int, k: int, n: int,
                     row_excl: np.ndarray | None) -> np.ndarray:
    """``(n_rows, k)`` draws from ``range(n)``, distinct within a row, avoiding ``row_excl[r]``."""
    out = rng.integers(0, n, size=(n_rows, k))
    for _ in range(1000):
        srt = np.sort(out, axis=1)
        dup = np.zeros_like(out, dtype=bool)
        # mark every repeated value but its first occurrence, in the original positions
        order = np.argsort(out, axis=1, kind="stable")
        rep = np.zeros_like(srt, dtype=bool)
        rep[:, 1:] = srt[:, 1:] == srt[:, :-1]
        np.put_along_axis(dup, order, rep, axis=1)
        if row_excl is not None:
            dup |= out == row_excl[:, None]
        if not dup.any():
            return out
        out[dup] = rng.integers(0, n, size=int(dup.sum()))
    raise RuntimeError("could not draw distinct connections")  # pragma: no cover


class _FixedDegree(Connector):
    multapses: bool = option(False, choices=(True, False),
                             doc="allow several synapses between the same pair")

    def _draw(self, n_rows: int, n_other: int, k: int, rng: np.random.Generator,
              shift: int | None, rows_are_pre: bool) -> Pairs:
        cls = type(self).__name__
        avail = n_other - (1 if shift is not None and not self.autapses else 0)
        if not self.multapses and k > avail:
            raise ParameterError(
                f"{cls}.k must be <= {avail} (the neurons available without multapses); got {k}. "
                f"Fix: lower k or set multapses=True."
            )
        rows = np.arange(n_rows)
        excl = None
        if shift is not None and not self.autapses:
            # autapse: pre - post == shift
            excl = rows - shift if rows_are_pre else rows + shift
        if self.multapses:
            other = rng.integers(0, n_other, size=(n_rows, k))
            if excl is not None:
                bad = other == excl[:, None]
                while bad.any():
                    other[bad] = rng.integers(0, n_other, size=int(bad.sum()))
                    bad = other == excl[:, None]
        else:
            other = _sample_distinct(rng, n_rows, k, n_other, excl)
        rows_rep = np.repeat(rows, k)
        other = other.reshape(-1)
        return (rows_rep, other) if rows_are_pre else (other, rows_rep)


class FixedInDegree(_FixedDegree):
    """Each postsynaptic neuron receives exactly ``k`` synapses from random presynaptic ones."""

    k: int = _degree_param("synapses per postsynaptic neuron")

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        return self._draw(n_post, n_pre, int(self.k), rng, autapse_shift, rows_are_pre=False)


class FixedOutDegree(_FixedDegree):
    """Each presynaptic neuron makes exactly ``k`` synapses onto random postsynaptic ones."""

    k: int = _degree_param("synapses per presynaptic neuron")

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        return self._draw(n_pre, n_post, int(self.k), rng, autapse_shift, rows_are_pre=True)


class DistanceProbability(Connector):
    r"""Probability falling off with the distance between somata (positions in µm):
    ``profile="exponential"``: :math:`p_0 e^{-d/\lambda}`; ``"gaussian"``:
    :math:`p_0 e^{-d^2/(2\lambda^2)}`. Both populations need ``positions``."""

    p0: float = _prob_param(1.0)
    scale: float = param(100.0, unit="um", bounds=(0.0, None), inclusive=(False, True),
                         doc="length constant lambda")
    profile: str = option("exponential", choices=("exponential", "gaussian"),
                          doc="shape of the fall-off")

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        if pre_pos is None or post_pos is None:
            raise ParameterError(
                "DistanceProbability needs positions on both populations; got none. Fix: give "
                "Population(..., positions=array of shape (n, 3) in um)."
            )
        pre_l, post_l = [], []
        block = max(1, 2_000_000 // max(n_post, 1))
        for start in range(0, n_pre, block):
            a = pre_pos[start:start + block]
            d = np.sqrt(((a[:, None, :] - post_pos[None, :, :]) ** 2).sum(-1))
            x = d / self.scale
            prob = self.p0 * (np.exp(-x) if self.profile == "exponential" else np.exp(-0.5 * x * x))
            i, j = np.nonzero(rng.random(prob.shape) < prob)
            pre_l.append(i + start)
            post_l.append(j)
        pre = np.concatenate(pre_l) if pre_l else np.zeros(0, np.int64)
        post = np.concatenate(post_l) if post_l else np.zeros(0, np.int64)
        return _drop_autapses(pre, post, self._shift(autapse_shift))


@dataclass(frozen=True, eq=False)
class _Explicit:
    """Connectors that carry data (index lists, matrices) rather than declared parameters."""

    autapses: bool = True

    def _shift(self, shift: int | None) -> int | None:
        return None if self.autapses else shift


@dataclass(frozen=True, eq=False)
class FromList(_Explicit):
    """Explicit ``(pre, post)`` index pairs (local indices of the two populations)."""

    pre: Any = None
    post: Any = None

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        if self.pre is None or self.post is None:
            raise ParameterError("FromList needs pre and post index arrays. Fix: "
                                 "FromList(pre=[0, 1], post=[5, 7]).")
        pre = np.asarray(self.pre, dtype=np.int64).reshape(-1)
        post = np.asarray(self.post, dtype=np.int64).reshape(-1)
        if pre.shape != post.shape:
            raise ParameterError(
                f"FromList: pre and post must have the same length; got {pre.size} and "
                f"{post.size}. Fix: give one post index per pre index."
            )
        for name, idx, n in (("pre", pre, n_pre), ("post", post, n_post)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise ParameterError(
                    f"FromList.{name} indices must lie in [0, {n - 1}]; got "
                    f"[{idx.min()}, {idx.max()}]. Fix: use indices local to the population."
                )
        return _drop_autapses(pre, post, self._shift(autapse_shift))


@dataclass(frozen=True, eq=False)
class FromMatrix(_Explicit):
    """A (dense or ``scipy.sparse``) ``(n_pre, n_post)`` matrix: a synapse where it is non-zero.

    With ``weights=True`` the matrix values are the weights (in the synapse's weight unit).
    """

    matrix: Any = None
    weights: bool = False

    def pairs_and_values(self, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = self.matrix
        if m is None or tuple(np.shape(m)) != (n_pre, n_post):
            raise ParameterError(
                f"FromMatrix.matrix must have shape ({n_pre}, {n_post}) (pre, post); got "
                f"{None if m is None else tuple(np.shape(m))}. Fix: rows are presynaptic neurons."
            )
        if hasattr(m, "tocoo"):
            c = m.tocoo()
            pre, post, val = c.row, c.col, c.data
        else:
            a = np.asarray(m)
            pre, post = np.nonzero(a)
            val = a[pre, post]
        order = np.lexsort((post, pre))
        return (np.asarray(pre, np.int64)[order], np.asarray(post, np.int64)[order],
                np.asarray(val, float)[order])

    def connect(self, n_pre, n_post, rng, autapse_shift=None, pre_pos=None, post_pos=None):
        pre, post, _ = self.pairs_and_values(n_pre, n_post)
        return _drop_autapses(pre, post, self._shift(autapse_shift))
