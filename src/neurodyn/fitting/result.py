"""Fit results and their incremental storage.

Every evaluated candidate is appended to ``<folder>/evaluations.jsonl`` as soon as its batch is
scored (one JSON line per candidate: generation, physical parameters, total score, z-scores), and
the optimiser's state is saved after every generation (``<folder>/state.pkl``, written to a
temporary file and renamed), so that a killed fit resumes from its last generation without
losing or repeating evaluations.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FitResult", "FitStore", "Trace"]


@dataclass
class FitResult:
    """What a fit returns.

    Attributes
    ----------
    params_: best parameters (path -> value, physical units).
    score_: best total score (sum of feature z-scores).
    model_: the model with the best parameters (a new description).
    history: per generation/iteration ``{"generation", "evaluations", "best", "median",
        "wall_s"}``.
    x: every evaluated candidate ``(n, d)``; ``scores``: their totals ``(n,)``.
    z_best: z-scores of the best candidate ``(n_sweeps, n_features)``.
    method: the optimiser; ``stopped``: why it stopped.
    """

    params_: dict[str, float]
    score_: float
    model_: Any
    history: list[dict[str, Any]]
    x: np.ndarray
    scores: np.ndarray
    z_best: np.ndarray | None
    paths: tuple[str, ...]
    method: str
    stopped: str = ""
    folder: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def within(self, tolerance: float) -> np.ndarray:
        """Every evaluated candidate whose score is at most ``tolerance``."""
        return self.x[self.scores <= tolerance]

    def non_uniqueness(self, tolerance: float) -> dict[str, Any]:
        """The near-optimal set: how many candidates score <= ``tolerance``, the range of each
        parameter among them and their correlation matrix."""
        near = self.within(tolerance)
        out: dict[str, Any] = {"tolerance": tolerance, "n": len(near)}
        if len(near):
            out["ranges"] = {p: (float(near[:, j].min()), float(near[:, j].max()))
                             for j, p in enumerate(self.paths)}
        if len(near) > 2:
            out["correlation"] = np.corrcoef(near.T).tolist()
        return out

    def summary(self) -> str:
        rows = [f"{self.method}: best score {self.score_:.4g} after {len(self.scores)} evaluations "
                f"({self.stopped})"]
        rows += [f"  {k} = {v:.6g}" for k, v in self.params_.items()]
        return "\n".join(rows)


class FitStore:
    """Append-only store of a fit in ``folder`` (see the module docstring)."""

    def __init__(self, folder: str | None) -> None:
        self.folder = folder
        if folder:
            os.makedirs(folder, exist_ok=True)

    @property
    def _evals(self) -> str:
        return os.path.join(self.folder or "", "evaluations.jsonl")

    @property
    def _state(self) -> str:
        return os.path.join(self.folder or "", "state.pkl")

    def append(self, generation: int, x: np.ndarray, scores: np.ndarray, z: np.ndarray,
               paths: tuple[str, ...]) -> None:
        if not self.folder:
            return
        with open(self._evals, "a") as f:
            for xi, si, zi in zip(x, scores, z):
                f.write(json.dumps({"generation": generation,
                                    "params": dict(zip(paths, map(float, xi))),
                                    "score": float(si),
                                    "z": np.where(np.isfinite(zi), zi, -1.0).tolist()}) + "\n")

    def save_state(self, state: Any) -> None:
        if not self.folder:
            return
        tmp = self._state + ".tmp"
        with open(tmp, "wb") as f:
            pickle.dump(state, f)
        os.replace(tmp, self._state)

    def load(self, paths: tuple[str, ...]) -> tuple[Any, list[dict[str, Any]]] | None:
        """``(state, evaluations)`` of a previous run, keeping only the evaluations of the
        generations the saved state includes; ``None`` if there is nothing to resume."""
        if not self.folder or not os.path.exists(self._state):
            return None
        with open(self._state, "rb") as f:
            state = pickle.load(f)
        done = state["generation"]
        rows = []
        if os.path.exists(self._evals):
            with open(self._evals) as f:
                for line in f:
                    try:
                        r = json.loads(line)
                    except json.JSONDecodeError:  # a line cut by the kill
                        continue
                    if r["generation"] <= done and tuple(r["params"]) == paths:
                        rows.append(r)
            # rewrite without evaluations of a generation the state does not include
            with open(self._evals + ".tmp", "w") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")
            os.replace(self._evals + ".tmp", self._evals)
        return state, rows


class Trace:
    """What an optimiser has evaluated so far (candidates, totals, z-scores, per-generation
    history), restored from a store's rows on resume and written to it generation by
    generation."""

    def __init__(self, paths: tuple[str, ...], rows: list[dict[str, Any]] = (),
                 history: list[dict[str, Any]] | None = None) -> None:
        self.paths = paths
        self.xs = [np.array([r["params"][p] for p in paths]) for r in rows]
        self.scores = [float(r["score"]) for r in rows]
        # the store writes an undefined entry (NaN) as -1 (z-scores are >= 0): back to NaN
        zs = [np.asarray(r["z"], dtype=float) for r in rows]
        self.zs = [np.where(z < 0, np.nan, z) for z in zs]
        self.history = history if history is not None else []

    def add(self, generation: int, ev: Any, wall: float, store: FitStore,
            **extra: Any) -> None:
        z = ev.z.reshape(len(ev.x), -1)
        self.xs += list(ev.x)
        self.scores += [float(s) for s in ev.total]
        self.zs += list(z)
        self.history.append({"generation": generation, "evaluations": len(self.scores),
                             "best": float(min(self.scores)),
                             "median": float(np.median(ev.total)), "wall_s": wall,
                             "sim_s": ev.sim_s, "features_s": ev.features_s, **extra})
        store.append(generation, ev.x, ev.total, z, self.paths)
