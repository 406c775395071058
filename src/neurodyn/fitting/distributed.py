"""Population evaluation across processes or machines with Dask (``pip install
"dask[distributed]"``): a generation's candidates are split into chunks, each chunk is one
batched simulation on a worker, and the scores come back in order.

By default a :class:`distributed.LocalCluster` with one single-threaded worker process per core
is started; ``address`` connects to an existing scheduler (a real cluster) instead. The problem
is sent to every worker once (``scatter``); each worker compiles its kernel once (JAX's
persistent cache makes later workers fast).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ..errors import ParameterError
from .problem import Evaluation, FitProblem

__all__ = ["DaskEvaluator"]


def _evaluate(problem: FitProblem, x: np.ndarray, target_v: Any = None) -> Evaluation:
    return problem.evaluate(x, target_v=target_v)


class DaskEvaluator:
    """``evaluator(x) -> Evaluation`` for candidates ``x`` ``(n, d)``, computed on Dask workers.

    Parameters
    ----------
    problem: the fit problem.
    address: scheduler address (``"tcp://host:8786"``); default: a local cluster.
    n_workers: workers of the local cluster (default: the CPU count).
    chunks: chunks per generation (default: the number of workers).
    """

    def __init__(self, problem: FitProblem, *, address: str | None = None,
                 n_workers: int | None = None, chunks: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ParameterError("DaskEvaluator needs Dask: pip install \"dask[distributed]\" "
                                 "(it is in neurodyn's [fitting] extra).") from None
        import os

        self.problem = problem
        self._cluster = None
        if address is None:
            n = n_workers or os.cpu_count() or 1
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self.client = Client(self._cluster)
        else:
            self.client = Client(address)
        self.n_workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.chunks = chunks or self.n_workers
        self._remote = self.client.scatter(problem, broadcast=True)
        self._target: tuple[str, Any] | None = None  # the target traces sent to the workers

    def __call__(self, x: Any, target_v: Any = None) -> Evaluation:
        """As :meth:`FitProblem.evaluate` (with ``target_v``: the trace distances too)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        parts = [p for p in np.array_split(x, min(self.chunks, len(x))) if len(p)]
        if target_v is not None:  # sent to the workers once, not with every generation
            v = self.problem.check_target_v(target_v, "DaskEvaluator")
            key = hashlib.sha1(v.tobytes()).hexdigest()
            if self._target is None or self._target[0] != key:
                self._target = (key, self.client.scatter(v, broadcast=True))
            target_v = self._target[1]
        futures = [self.client.submit(_evaluate, self._remote, p, target_v, pure=False)
                   for p in parts]
        evs = self.client.gather(futures)
        self.problem.n_evaluations += len(x)
        rms = None if target_v is None else np.concatenate([e.trace_rms for e in evs])
        return Evaluation(x, np.concatenate([e.features for e in evs]),
                          np.concatenate([e.z for e in evs]),
                          np.concatenate([e.total for e in evs]),
                          max(e.sim_s for e in evs), max(e.features_s for e in evs), rms)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskEvaluator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
