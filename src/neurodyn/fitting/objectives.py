"""Objectives: how far simulated sweeps are from a target, in units of the target's spread.

* :class:`FeatureTarget` — per sweep and feature, the target ``mean`` and ``sd``, from one
  recording (:meth:`FeatureTarget.from_values`, SD = max(rel_sd·|mean|, floor), the rule of the
  PEERS benchmark) or from repeated sweeps (:meth:`FeatureTarget.from_repeats`).
* :func:`zscores` — ``|value − mean| / sd`` per sweep and feature; :func:`total` — their sum.
* :func:`trace_distance` — RMS voltage difference (mV) over a window, NumPy or JAX.

Entries whose target is NaN (the feature is not defined in the target sweep, e.g. spike shape
without spikes) are not scored: their z-score is NaN and :func:`total` skips them;
:meth:`FeatureTarget.describe` lists them. An entry whose target is defined but whose candidate
value is NaN (the candidate lacks the feature, e.g. it does not spike) scores ``missing_score``
SDs (default 250, BluePyOpt's default ``max_score`` for a feature that cannot be computed), so
objectives stay finite and rank such candidates far from the target.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from .features import FEATURES, resolve_features

__all__ = [
    "DEFAULT_FLOOR",
    "MISSING_SCORE",
    "FeatureTarget",
    "crossing_fractions",
    "crossing_times",
    "spike_guard",
    "spike_time_distance",
    "total",
    "trace_distance",
    "zscores",
]

#: SD floor per feature (``"default"`` for the others): the PEERS benchmark's rule.
DEFAULT_FLOOR: Mapping[str, float] = {"spike_count": 1.0, "spike_count_stimint": 1.0,
                                       "default": 0.1}
#: z-score of a feature the target defines and the candidate lacks (BluePyOpt's default).
MISSING_SCORE = 250.0


def _floors(floor: float | Mapping[str, float] | None, features: Sequence[str], who: str) -> np.ndarray:
    if floor is None:
        floor = DEFAULT_FLOOR
    if isinstance(floor, Mapping):
        unknown = [k for k in floor if k != "default" and k not in FEATURES and k not in features]
        if unknown:
            raise ParameterError(
                f"{who}.floor names unknown feature(s) {unknown}. Fix: use feature names "
                f"({', '.join(features)}) or 'default'."
            )
        default = floor.get("default", DEFAULT_FLOOR["default"])
        out = np.array([float(floor.get(f, default)) for f in features])
    else:
        try:
            out = np.full(len(features), float(floor))
        except (TypeError, ValueError):
            raise ParameterError(
                f"{who}.floor must be a number or a mapping feature -> SD floor; got {floor!r}."
            ) from None
    if not np.all(np.isfinite(out) & (out > 0)):
        raise ParameterError(
            f"{who}.floor must be > 0 for every feature (it bounds the SD away from 0); got "
            f"{dict(zip(features, out.tolist()))}. Fix: e.g. floor={dict(DEFAULT_FLOOR)}."
        )
    return out


def _rel(rel_sd: float, who: str) -> float:
    r = float(rel_sd)
    if not (math.isfinite(r) and r >= 0):
        raise ParameterError(f"{who}.rel_sd must be a fraction >= 0 (0.05 = 5%); got {rel_sd!r}.")
    return r


@dataclass(frozen=True, eq=False)
class FeatureTarget:
    """Target features: per sweep and feature, a ``mean`` and an ``sd`` (in the feature's unit).

    Parameters
    ----------
    features:
        Feature names (:data:`~neurodyn.fitting.features.FEATURES`), the column order.
    mean, sd:
        ``(n_sweeps, n_features)``. NaN in ``mean``: not defined in the target, not scored
        (``sd`` is then ignored and stored as NaN). Where ``mean`` is defined, ``sd`` must be
        finite and > 0.
    sweeps:
        Sweep names (default ``"0"``, ``"1"``, ...).
    n:
        Number of repeats behind each entry (:meth:`from_repeats`); ``None`` otherwise.

    Raises
    ------
    ParameterError
        Unknown features, shapes that do not match, an infinite mean, an SD that is not > 0,
        or a target where every entry is NaN ("no feature is defined in the target").
    """

    features: tuple[str, ...]
    mean: np.ndarray
    sd: np.ndarray
    sweeps: tuple[str, ...] = ()
    n: np.ndarray | None = None

    def __post_init__(self) -> None:
        feats = tuple(s.name for s in resolve_features(self.features, "FeatureTarget"))
        try:
            mean = np.array(self.mean, dtype=np.float64)
            sd = np.array(self.sd, dtype=np.float64)
        except (TypeError, ValueError):
            raise ParameterError(
                "FeatureTarget.mean and .sd must be numeric arrays (n_sweeps, n_features). "
                "Fix: build the target with FeatureTarget.from_values(values, features)."
            ) from None
        if mean.ndim == 1:
            mean = mean[None]
        if sd.ndim <= 1:
            sd = np.broadcast_to(sd, mean.shape).copy()
        if mean.ndim != 2 or mean.shape[1] != len(feats) or sd.shape != mean.shape:
            raise ParameterError(
                f"FeatureTarget: mean and sd must both be (n_sweeps, n_features) with n_features = "
                f"{len(feats)} ({', '.join(feats)}); got mean {mean.shape} and sd {sd.shape}. "
                "Fix: one row per sweep and one column per feature, in the order of features."
            )
        if np.isinf(mean).any():
            raise ParameterError(
                "FeatureTarget.mean contains Inf. Fix: use NaN for features that are not defined."
            )
        defined = np.isfinite(mean)
        if not defined.any():
            raise ParameterError(
                f"FeatureTarget: no feature is defined in the target; nothing to fit (all "
                f"{mean.size} entries of {len(feats)} feature(s) x {mean.shape[0]} sweep(s) are NaN). "
                "Fix: check the target traces (do they spike? is the stimulus window right?) and "
                "choose features that are defined on them."
            )
        bad = defined & ~(np.isfinite(sd) & (sd > 0))
        if bad.any():
            s, j = map(int, np.argwhere(bad)[0])
            raise ParameterError(
                f"FeatureTarget.sd must be finite and > 0 where the mean is defined; got sd = "
                f"{sd[s, j]!r} for {feats[j]!r} in sweep {s}. Fix: use a floor, e.g. "
                "FeatureTarget.from_values(values, features, floor=...)."
            )
        sd = np.where(defined, sd, np.nan)
        names = tuple(str(x) for x in self.sweeps) or tuple(str(k) for k in range(mean.shape[0]))
        if len(names) != mean.shape[0]:
            raise ParameterError(
                f"FeatureTarget.sweeps has {len(names)} names for {mean.shape[0]} sweeps. "
                "Fix: one name per sweep."
            )
        mean.setflags(write=False)
        sd.setflags(write=False)
        object.__setattr__(self, "features", feats)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "sd", sd)
        object.__setattr__(self, "sweeps", names)
        if self.n is not None:
            object.__setattr__(self, "n", np.asarray(self.n, dtype=np.int64).reshape(mean.shape))

    # --------------------------------------------------------------- constructors
    @classmethod
    def from_values(
        cls,
        values: Any,
        features: Sequence[str],
        *,
        rel_sd: float = 0.05,
        floor: float | Mapping[str, float] | None = None,
        sweeps: Sequence[str] | None = None,
    ) -> FeatureTarget:
        """Target from one set of feature values (e.g. :func:`extract` on a recording):
        ``mean = values`` and ``SD = max(rel_sd·|mean|, floor)`` — the PEERS rule.

        Parameters
        ----------
        values:
            ``(n_sweeps, n_features)``; NaN entries are not scored.
        features:
            The column names.
        rel_sd:
            Relative SD (default 0.05 = 5% of ``|mean|``).
        floor:
            Lower bound of the SD: a number, or a mapping feature -> floor with a
            ``"default"`` entry; default :data:`DEFAULT_FLOOR` (1 for spike counts, 0.1 else).
        sweeps:
            Sweep names.
        """
        mean = np.asarray(values, dtype=np.float64)
        if mean.ndim == 1:
            mean = mean[None]
        feats = tuple(s.name for s in resolve_features(features, "FeatureTarget.from_values"))
        if mean.ndim != 2 or mean.shape[1] != len(feats):
            raise ParameterError(
                f"FeatureTarget.from_values: values must be (n_sweeps, n_features = {len(feats)}); "
                f"got shape {mean.shape}. Fix: one column per feature ({', '.join(feats)})."
            )
        r = _rel(rel_sd, "FeatureTarget.from_values")
        fl = _floors(floor, feats, "FeatureTarget.from_values")
        sd = np.maximum(r * np.abs(mean), fl)
        return cls(feats, mean, sd, tuple(sweeps) if sweeps is not None else ())

    @classmethod
    def from_repeats(
        cls,
        values_per_repeat: Any,
        features: Sequence[str],
        *,
        floor: float | Mapping[str, float] | None = None,
        rel_sd: float = 0.0,
        ddof: int = 0,
        sweeps: Sequence[str] | None = None,
    ) -> FeatureTarget:
        """Target from repeated sweeps: per sweep and feature, the mean and SD across repeats.

        Parameters
        ----------
        values_per_repeat:
            ``(n_repeats, n_sweeps, n_features)``. NaN values (the feature is not defined in
            that repeat) are left out; an entry that is NaN in every repeat is not scored.
        floor, rel_sd:
            ``SD = max(std across repeats, rel_sd·|mean|, floor)``; the floor as in
            :meth:`from_values` (it keeps entries defined in a single repeat, or identical
            across repeats, scoreable).
        ddof:
            Delta degrees of freedom of the SD (0: population SD, as BluePyEfe; 1: sample SD).

        The number of repeats behind each entry is kept in :attr:`n`.
        """
        a = np.asarray(values_per_repeat, dtype=np.float64)
        feats = tuple(s.name for s in resolve_features(features, "FeatureTarget.from_repeats"))
        if a.ndim != 3 or a.shape[2] != len(feats):
            raise ParameterError(
                f"FeatureTarget.from_repeats: values_per_repeat must be (n_repeats, n_sweeps, "
                f"n_features = {len(feats)}); got shape {a.shape}. Fix: stack the feature arrays "
                "of the repeats along a new first axis (numpy.stack)."
            )
        if not isinstance(ddof, int | np.integer) or ddof < 0:
            raise ParameterError(f"FeatureTarget.from_repeats.ddof must be an integer >= 0; got {ddof!r}.")
        r = _rel(rel_sd, "FeatureTarget.from_repeats")
        fl = _floors(floor, feats, "FeatureTarget.from_repeats")
        n = np.sum(np.isfinite(a), axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(np.where(np.isfinite(a), a, np.nan), axis=0)
            std = np.nanstd(np.where(np.isfinite(a), a, np.nan), axis=0, ddof=ddof)
        std = np.where(n > ddof, std, 0.0)
        mean = np.where(n > 0, mean, np.nan)
        sd = np.maximum(np.maximum(np.nan_to_num(std, nan=0.0), r * np.abs(mean)), fl)
        return cls(feats, mean, sd, tuple(sweeps) if sweeps is not None else (), n=n)

    # --------------------------------------------------------------- queries
    @property
    def n_sweeps(self) -> int:
        return int(self.mean.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.mean.shape[1])

    @property
    def defined(self) -> np.ndarray:
        """``(n_sweeps, n_features)`` bool: the entries that are scored."""
        return np.isfinite(self.mean)

    @property
    def n_defined(self) -> int:
        return int(self.defined.sum())

    def excluded(self) -> list[tuple[str, str]]:
        """The ``(sweep, feature)`` entries that are NaN in the target and not scored."""
        return [(self.sweeps[s], self.features[j]) for s, j in np.argwhere(~self.defined)]

    def describe(self) -> str:
        """A table of the target (mean ± SD per sweep and feature; NaN entries marked)."""
        lines = [f"FeatureTarget: {self.n_defined} of {self.mean.size} entries scored "
                 f"({self.n_sweeps} sweeps x {self.n_features} features)"]
        for s, name in enumerate(self.sweeps):
            cells = []
            for j, f in enumerate(self.features):
                unit = FEATURES[f].unit if f in FEATURES else ""
                unit = "" if unit in ("", "1") else f" {unit}"
                if np.isfinite(self.mean[s, j]):
                    cells.append(f"{f} = {self.mean[s, j]:.6g} ± {self.sd[s, j]:.3g}{unit}")
                else:
                    cells.append(f"{f}: NaN (not scored)")
            lines.append(f"  {name}: " + "; ".join(cells))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"FeatureTarget({self.n_sweeps} sweeps x {self.n_features} features, "
                f"{self.n_defined} scored)")


# ---------------------------------------------------------------------------------------- scores
def zscores(
    candidate_values: Any,
    target: FeatureTarget,
    *,
    missing_score: float = MISSING_SCORE,
    max_score: float | None = None,
) -> np.ndarray:
    """``|value − mean| / sd`` per sweep and feature.

    Parameters
    ----------
    candidate_values:
        ``(*batch, n_sweeps, n_features)`` (e.g. from :func:`extract`), in the target's order.
    target:
        The :class:`FeatureTarget`.
    missing_score:
        Score of an entry the target defines but the candidate does not (NaN/Inf value);
        default 250 SDs (BluePyOpt's default for a feature that cannot be computed).
    max_score:
        If given, scores are capped at this value (BluePyOpt's ``force_max_score``).

    Returns
    -------
    numpy.ndarray
        ``(*batch, n_sweeps, n_features)`` float64; NaN where the target is NaN (not scored).
    """
    if not isinstance(target, FeatureTarget):
        raise ParameterError(
            f"zscores: target must be a FeatureTarget; got {type(target).__name__}. Fix: "
            "FeatureTarget.from_values(values, features)."
        )
    c = np.asarray(candidate_values, dtype=np.float64)
    if c.ndim < 2 or c.shape[-2:] != target.mean.shape:
        raise ParameterError(
            f"zscores: candidate values must be (*batch, n_sweeps, n_features) = (*batch, "
            f"{target.n_sweeps}, {target.n_features}) to match the target "
            f"({', '.join(target.features)}); got shape {c.shape}. Fix: extract the target's "
            "features, in its order, from the same protocol."
        )
    ms = float(missing_score)
    if not (math.isfinite(ms) and ms >= 0):
        raise ParameterError(
            f"zscores.missing_score must be a finite number >= 0 (SDs); got {missing_score!r}."
        )
    defined = target.defined
    with np.errstate(invalid="ignore"):
        z = np.abs(c - target.mean) / target.sd
    z = np.where(np.isfinite(c), z, ms)
    if max_score is not None:
        cap = float(max_score)
        if not (math.isfinite(cap) and cap > 0):
            raise ParameterError(f"zscores.max_score must be > 0 (SDs) or None; got {max_score!r}.")
        z = np.minimum(z, cap)
    return np.where(defined, z, np.nan)


#: per aggregate: the power of |z| that the score is made of, the score's unit and its name;
#: the terms are summed, except for those named in _LARGEST (their largest is the score)
_AGGREGATE = {"sum": (1, "SD", "sum of feature z-scores"),
              "squares": (2, "SD²", "sum of squared feature z-scores"),
              "fourth": (4, "SD⁴", "sum of the fourth powers of the feature z-scores"),
              "eighth": (8, "SD⁸", "sum of the eighth powers of the feature z-scores"),
              "max": (1, "SD", "largest feature z-score")}
_LARGEST = frozenset({"max"})
AGGREGATES = tuple(_AGGREGATE)


def reduce_entries(terms: Any, aggregate: str, axis: Any, where: Any = None) -> np.ndarray:
    """Combine per-entry terms (:func:`entry_scores`) over ``axis`` as ``aggregate`` does: their
    sum, or their largest for ``"max"``. Entries outside ``where`` (a mask broadcast against
    ``terms``) do not count; without it, NaN entries do not."""
    largest = aggregate in _LARGEST
    if where is None:
        return np.asarray((np.nanmax if largest else np.nansum)(terms, axis=axis))
    return np.asarray((np.max if largest else np.sum)(
        np.where(where, terms, -np.inf if largest else 0.0), axis=axis))


def aggregate_unit(aggregate: str) -> str:
    """The unit of a score (or an NSGA-II objective) made with ``aggregate``: SD, SD², SD⁴ or
    SD⁸ (SD for ``"max"``)."""
    check_aggregate(aggregate)
    return _AGGREGATE[aggregate][1]


def aggregate_name(aggregate: str) -> str:
    """What a score made with ``aggregate`` is, in words (for reports and plots)."""
    check_aggregate(aggregate)
    return _AGGREGATE[aggregate][2]


def check_aggregate(aggregate: str, who: str = "aggregate") -> None:
    """Raise unless ``aggregate`` is one of :data:`AGGREGATES`."""
    if aggregate not in AGGREGATES:
        ways = "; ".join(f"{a!r}: the {name}" for a, (_, _, name) in _AGGREGATE.items())
        raise ParameterError(f"{who} must be one of {AGGREGATES}; got {aggregate!r}. Fix: pick "
                             f"one ({ways}).")


def entry_scores(z: Any, aggregate: str = "sum") -> np.ndarray:
    """The per-entry terms that a score adds up: ``z`` itself (``"sum"``: the sum of
    z-scores, BluePyOpt's default), ``z**2`` (``"squares"``: large errors weigh more, so a fit
    trades many small errors for fewer large ones; use it when the aim is that no feature is
    far off, e.g. "none above 3 SD") or ``z**4`` (``"fourth"``: closer still to minimising the
    largest error, the L4 norm of the errors; a last stage when a few entries stay just above
    such a bound, at some cost to the others) or ``z**8`` (``"eighth"``: nearly the largest
    error alone; an entry at 3.3 SD weighs as much as 14,000 entries at 1 SD). ``"max"`` scores
    the largest of these terms (``z`` itself) instead of their sum: the target "none above k SD"
    as the score, blind to every other entry; use it only as a last stage from a fit that is
    already close."""
    check_aggregate(aggregate)
    za = np.asarray(z, dtype=np.float64)
    power = _AGGREGATE[aggregate][0]
    return za if power == 1 else za**power


def total(z: Any, target: FeatureTarget | None = None, aggregate: str = "sum") -> np.ndarray:
    """Sum of z-scores (``aggregate="sum"``), of their squares (``"squares"``) or of their
    fourth or eighth powers (``"fourth"``, ``"eighth"``) over sweeps and features, or the
    largest z-score (``"max"``), ``(*batch,)`` (a 0-d array without batch).

    Entries where the target is NaN are skipped: with ``target``, by its :attr:`defined`
    mask; without, every NaN entry of ``z`` is skipped (:func:`zscores` gives NaN exactly there).
    """
    za = entry_scores(z, aggregate)
    if za.ndim < 2:
        raise ParameterError(
            f"total: z must be (*batch, n_sweeps, n_features); got shape {za.shape}. "
            "Fix: pass the output of zscores(...)."
        )
    if target is None:
        return reduce_entries(za, aggregate, (-2, -1))
    if za.shape[-2:] != target.mean.shape:
        raise ParameterError(
            f"total: z has shape {za.shape}, which does not end with the target's "
            f"{target.mean.shape}. Fix: pass zscores(values, target) for this target."
        )
    return reduce_entries(za, aggregate, (-2, -1), target.defined)


# ---------------------------------------------------------------------------------------- traces
def _is_jax(x: Any) -> bool:
    return type(x).__module__.startswith(("jax", "jaxlib"))


def trace_distance(
    v: Any,
    v_target: Any,
    dt: float,
    *,
    window: tuple[Any, Any] | None = None,
    per_sweep: bool = False,
    smooth_ms: float = 0.0,
    below: float | None = None,
    keep: Any = None,
    residuals: bool = False,
) -> Any:
    """Root-mean-square voltage difference (mV) between traces and target traces.

    Parameters
    ----------
    v:
        ``(*batch, n_sweeps, n_samples)`` in mV (NumPy or JAX; with JAX inputs the result is a
        JAX array and differentiable).
    v_target:
        ``(n_sweeps, n_samples)`` (or any shape that broadcasts to ``v``), mV.
    dt:
        Sampling interval (ms); sample ``k`` is at ``k·dt``.
    window:
        ``(start, stop)`` in ms, numbers or one per sweep: only samples with
        ``start <= k·dt < stop`` count (e.g. the stimulus window from
        :func:`~neurodyn.fitting.features.step_windows`). Default: all samples.
    per_sweep:
        ``False`` (default): one RMS over all sweeps and window samples, ``(*batch,)``;
        ``True``: one per sweep, ``(*batch, n_sweeps)``.
    smooth_ms:
        If > 0, both traces are first smoothed with a Gaussian kernel of this SD (ms; by FFT,
        with the ends extended by their edge values): spike trains become rate-like and the
        distance a smoother function of the parameters (coarse-to-fine fitting,
        :func:`~neurodyn.fitting.fit_gradient`).
    below:
        If given (mV), only samples at which both traces are below this potential count: the
        subthreshold distance, which leaves spikes to :func:`spike_time_distance` (the samples
        are chosen on the unsmoothed traces, and the choice is not differentiated).
    keep:
        Optional boolean mask broadcastable to ``v``: only samples where it is true count
        (e.g. :func:`spike_guard` to leave out the samples around spikes).
    residuals:
        ``True``: instead of the RMS, the differences behind it, scaled so that their sum of
        squares is its square: ``(*batch, n_sweeps * n_samples)`` (0 where a sample does not
        count; ``per_sweep=False`` only), for least squares.

    NaN in ``v`` gives NaN.
    """
    use_jax = _is_jax(v) or _is_jax(v_target)
    if use_jax:
        import jax.numpy as xp
    else:
        xp = np  # type: ignore[assignment]
    va = xp.asarray(v)
    vt = xp.asarray(v_target)
    if va.ndim < 2:
        raise ParameterError(
            f"trace_distance: v must be (*batch, n_sweeps, n_samples) in mV; got shape {va.shape}. "
            "Fix: for one trace pass v[None]."
        )
    try:
        shape = np.broadcast_shapes(va.shape, vt.shape)
    except ValueError:
        shape = None
    if shape != va.shape:
        raise ParameterError(
            f"trace_distance: v_target (shape {vt.shape}) must broadcast to v {va.shape}: the "
            "same sweeps and samples. Fix: pass the target traces (n_sweeps, n_samples) of the "
            "same protocol and sampling."
        )
    d = float(dt)
    if not (math.isfinite(d) and d > 0):
        raise ParameterError(f"trace_distance.dt must be a sampling interval > 0 ms; got {dt!r}.")
    n_sw, n_s = va.shape[-2], va.shape[-1]
    if window is None:
        mask = np.ones((n_sw, n_s), dtype=bool)
    else:
        # an empty window (start >= stop included) is reported below, with the sample grid
        a, b = _sweep_windows(window, n_sw, "trace_distance", ordered=False)
        t = np.arange(n_s) * d
        eps = 1e-9 * d
        mask = (t >= a[:, None] - eps) & (t < b[:, None] - eps)
        empty = ~mask.any(axis=1)
        if empty.any():
            k = int(np.flatnonzero(empty)[0])
            raise ParameterError(
                f"trace_distance: the window [{a[k]:g}, {b[k]:g}) ms of sweep {k} holds no sample "
                f"(samples at 0..{(n_s - 1) * d:g} ms every {d:g} ms). Fix: give start < stop "
                "inside the trace."
            )
    sm = float(smooth_ms)
    if not (math.isfinite(sm) and sm >= 0):
        raise ParameterError(f"trace_distance.smooth_ms must be >= 0 ms; got {smooth_ms!r}.")
    m = xp.asarray(mask)
    if below is not None:
        lim = float(below)
        if not math.isfinite(lim):
            raise ParameterError(f"trace_distance.below must be a potential in mV; got {below!r}.")
        vv = xp.asarray(v)  # NaN samples stay in: a blown-up candidate is NaN, not close
        m = m & ((vv < lim) | xp.isnan(vv)) & (xp.asarray(v_target) < lim)
    if keep is not None:
        m = m & xp.asarray(keep, dtype=bool)
    if use_jax:
        import jax

        m = jax.lax.stop_gradient(m)
    if sm > 0:
        va = _gauss_smooth(va, sm / d, xp)
        vt = _gauss_smooth(vt, sm / d, xp)
    sq = xp.where(m, (va - vt) ** 2, 0.0)
    m = xp.broadcast_to(xp.asarray(m, dtype=sq.dtype), sq.shape)
    if residuals:
        if per_sweep:
            raise ParameterError("trace_distance: residuals=True needs per_sweep=False.")
        n = xp.maximum(xp.sum(m, axis=(-2, -1)), 1.0)
        r = xp.where(m > 0, va - vt, 0.0) / xp.sqrt(n)[..., None, None]
        return r.reshape(*r.shape[:-2], -1)
    if per_sweep:
        return xp.sqrt(xp.sum(sq, axis=-1) / xp.maximum(xp.sum(m, axis=-1), 1.0))
    return xp.sqrt(xp.sum(sq, axis=(-2, -1)) / xp.maximum(xp.sum(m, axis=(-2, -1)), 1.0))


def _sweep_windows(window: Any, n_sw: int, who: str, *,
                   ordered: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``window`` ``(start, stop)`` in ms, numbers or one per sweep, as two ``(n_sw,)`` arrays;
    with ``ordered``, every start must be below its stop."""
    try:
        a, b = window
        a = np.broadcast_to(np.asarray(a, dtype=np.float64), (n_sw,))
        b = np.broadcast_to(np.asarray(b, dtype=np.float64), (n_sw,))
    except (TypeError, ValueError):
        raise ParameterError(f"{who}.window must be (start, stop) in ms, numbers or one per sweep "
                             f"({n_sw}); got {window!r}.") from None
    if ordered and not np.all(b > a):
        raise ParameterError(f"{who}.window must have start < stop (ms); got {window!r}.")
    return a, b


def crossing_times(v: Any, dt: float, threshold: float, window: Any, *,
                   refractory: float = 2.0) -> list[np.ndarray]:
    """Spike times (ms) of traces ``(n_sweeps, n_samples)`` (mV, sample ``k`` at ``k·dt``): the
    upward crossings of ``threshold`` (mV), linearly interpolated between samples, that fall in
    each sweep's ``window`` ``(start, stop)`` (ms, numbers or one per sweep), each at least
    ``refractory`` ms after the last one kept (noise on a recording crosses the threshold again
    on the falling phase of a spike). One array per sweep; the targets of
    :func:`spike_time_distance`."""
    va = np.asarray(v, dtype=float)
    if va.ndim != 2:
        raise ParameterError(f"crossing_times: v must be (n_sweeps, n_samples) mV; got shape "
                             f"{va.shape}.")
    if not (math.isfinite(refractory) and refractory >= 0):
        raise ParameterError(f"crossing_times.refractory must be >= 0 ms; got {refractory!r}.")
    a, b = _sweep_windows(window, va.shape[0], "crossing_times")
    out = []
    for k, tr in enumerate(va):
        i = np.flatnonzero((tr[:-1] < threshold) & (tr[1:] >= threshold))
        t = (i + (threshold - tr[i]) / (tr[i + 1] - tr[i])) * float(dt)
        kept: list[float] = []
        for x in t:
            if not kept or x - kept[-1] >= refractory:
                kept.append(float(x))
        t = np.array(kept)
        out.append(t[(t >= a[k]) & (t < b[k])])
    return out


def crossing_fractions(v: Any, threshold: float) -> Any:
    """Upward crossings of ``threshold`` (mV) by sampled traces ``v`` ``(..., n_samples)``, as
    :func:`spike_time_distance` takes them: ``(..., n_samples - 1)``, the fraction of the
    interval from sample ``k`` to ``k + 1`` at which the trace crossed (linear interpolation;
    ``-1``: no crossing). Differentiable (JAX) in ``v``."""
    import jax.numpy as jnp

    va = jnp.asarray(v)
    a, b = va[..., :-1], va[..., 1:]
    hit = (a < threshold) & (b >= threshold)
    return jnp.where(hit, (threshold - a) / jnp.where(hit, b - a, 1.0), -1.0)


def spike_time_distance(frac: Any, dt: float, target_times: Sequence[Any], window: Any, *,
                        n_max: int | None = None, residuals: bool = False) -> Any:
    """Root-mean-square distance (ms) between spike times and target spike times, per sweep.

    The model's spikes come as the in-step fractions of a traced (differentiable) run,
    ``frac`` ``(*batch, n_sweeps, n_steps)`` (``-1``: no spike in that step; the dense record
    of :class:`~neurodyn.Spikes`), so spike ``i`` is at ``(k_i + frac)·dt`` and its time is
    differentiable in the parameters (threshold crossings are interpolated within the step;
    for reset models the event-time gradients of :func:`neurodyn.engine.kernel.event_gradients`
    carry each shift to the later spikes). Within each sweep's ``window`` (ms) the model's
    spikes and the target's are compared in order (the first ``n_max``):

    * both have spike ``i``: ``(t_i - d_i)²``;
    * the target has more: the model's missing spikes are extrapolated from its last interval
      (``t_M + (i - M + 1)·(t_M - t_{M-1})``), so the gradient shortens the intervals; with
      fewer than two model spikes they stand at the end of the window (no gradient: a single
      spike at the onset of a step says nothing of a rate);
    * the model has more: ``(t_i - end)²`` pulls the extra spikes out through the end of the
      window.

    A spike leaving or entering through the end of the window changes the distance little, and
    the gradient moves spikes towards their targets instead of aligning traces (whose distance
    has a local minimum wherever spikes are misaligned). The sum of the squares is divided by
    ``n_max``, which defaults to twice the largest target count plus 10. Returns
    ``(*batch, n_sweeps)`` (JAX, differentiable), or with ``residuals=True`` the signed
    differences (ms) behind it, ``(*batch, n_sweeps, n_max)`` (for least squares).
    """
    import jax
    import jax.numpy as jnp

    f = jnp.asarray(frac)
    n_sw, n_steps = f.shape[-2], f.shape[-1]
    if len(target_times) != n_sw:
        raise ParameterError(f"spike_time_distance: {len(target_times)} target spike lists for "
                             f"{n_sw} sweeps. Fix: one list per sweep (crossing_times).")
    a, b = _sweep_windows(window, n_sw, "spike_time_distance")
    tgt = [np.asarray(t, dtype=float) for t in target_times]
    k_max = int(n_max) if n_max is not None else 2 * max(len(t) for t in tgt) + 10
    d = np.tile(b[:, None], (1, k_max))
    n_tgt = np.zeros(n_sw, dtype=int)
    for s_i, t in enumerate(tgt):
        t = t[(t >= a[s_i]) & (t < b[s_i])][:k_max]
        d[s_i, :len(t)] = t
        n_tgt[s_i] = len(t)
    times = (jnp.arange(n_steps) + jnp.clip(f, 0.0, None).astype(jnp.float64)) * float(dt)
    inwin = ((f >= 0) & (times >= jnp.asarray(a)[:, None]) & (times < jnp.asarray(b)[:, None]))
    i = jnp.arange(k_max)

    def row(mask_row: Any, t_row: Any, end: Any, d_row: Any, n_d: Any) -> Any:
        idx = jnp.nonzero(mask_row, size=k_max, fill_value=n_steps)[0]
        n_m = jnp.sum(idx < n_steps)
        got = t_row[jnp.minimum(idx, n_steps - 1)]
        last = got[jnp.maximum(n_m - 1, 0)]
        isi = last - got[jnp.maximum(n_m - 2, 0)]  # the last interval
        missing = jnp.where(n_m >= 2, last + (i - n_m + 1) * isi, end)
        model = jnp.where(i < n_m, got, missing)
        return jnp.where(i < n_d, model - d_row, jnp.where(i < n_m, got - end, 0.0))

    lead = f.shape[:-1]
    n_rows = int(np.prod(lead))
    ends = jnp.broadcast_to(jnp.asarray(b), lead).reshape(-1)
    d_all = jnp.broadcast_to(jnp.asarray(d), (*lead, k_max)).reshape(n_rows, k_max)
    n_all = jnp.broadcast_to(jnp.asarray(n_tgt), lead).reshape(-1)
    res = jax.vmap(row)(inwin.reshape(-1, n_steps), times.reshape(-1, n_steps), ends, d_all,
                        n_all).reshape(*lead, k_max)
    if residuals:
        return res
    return jnp.sqrt(jnp.sum(res ** 2, axis=-1) / k_max + 1e-12)


def spike_guard(frac: Any, substeps: int, n_samples: int, target_times: Sequence[Any],
                dt: float, guard_ms: float) -> Any:
    """Samples to keep in a subthreshold trace distance: ``False`` within ``guard_ms`` (ms) of a
    model spike (``frac`` ``(*batch, n_sweeps, n_steps)``, the dense spikes of a traced run
    integrated at ``dt / substeps``) or of a target spike (``target_times``, one list per sweep,
    ms); ``(*batch, n_sweeps, n_samples)`` (JAX, not differentiated). Around a spike that the
    model and the target put at different times the traces differ by the spike's height, a
    distance that jumps as the spike moves: the spike-time distance measures that instead."""
    import jax
    import jax.numpy as jnp

    f = jax.lax.stop_gradient(jnp.asarray(frac))
    n_steps = f.shape[-1]
    k = np.minimum(np.arange(n_steps) // int(substeps), n_samples - 1)
    hit = f >= 0
    sim = jnp.zeros((*f.shape[:-1], n_samples), bool).at[..., k].max(hit)
    tgt = np.zeros((f.shape[-2], n_samples), bool)
    for s_i, t in enumerate(target_times):
        idx = np.clip(np.round(np.asarray(t, dtype=float) / dt).astype(int), 0, n_samples - 1)
        tgt[s_i, idx] = True
    near = sim | jnp.asarray(tgt)
    w = round(float(guard_ms) / float(dt))
    if w > 0:
        dims = (1,) * (near.ndim - 1) + (2 * w + 1,)
        near = jax.lax.reduce_window(near.astype(jnp.float32), jnp.float32(0), jax.lax.max, dims,
                                     (1,) * near.ndim, "SAME") > 0
    return ~near


def _gauss_smooth(x: Any, sigma: float, xp: Any) -> Any:
    """Gaussian smoothing (SD ``sigma`` samples) along the last axis by FFT; the trace is
    extended at both ends by its edge values (4 SD) so that nothing wraps around."""
    pad = math.ceil(4.0 * sigma) + 1
    n = x.shape[-1]
    left = xp.repeat(x[..., :1], pad, axis=-1)
    right = xp.repeat(x[..., -1:], pad, axis=-1)
    ext = xp.concatenate([left, x, right], axis=-1)
    m = ext.shape[-1]
    f = np.fft.rfftfreq(m)
    kernel = xp.asarray(np.exp(-0.5 * (2.0 * np.pi * f * sigma) ** 2))
    y = xp.fft.irfft(xp.fft.rfft(ext, axis=-1) * kernel, n=m, axis=-1)
    return y[..., pad:pad + n]
