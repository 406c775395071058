"""Population evaluation across processes or machines with Dask (``pip install
"dask[distributed]"``): a generation's candidates are split into chunks, each chunk is one
batched simulation on a worker, and the scores come back in order.

By default a :class:`distributed.LocalCluster` with one single-threaded worker process per core
is started; ``address`` connects to an existing scheduler (a real cluster) instead. The problem
is sent to every worker once (``scatter``); each worker compiles its kernel once (JAX's
persistent cache makes later workers fast).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from .problem import Evaluation, FitProblem

__all__ = ["DaskEvaluator"]


def _evaluate(problem: FitProblem, x: np.ndarray) -> Evaluation:
    return problem.evaluate(x)


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

    def __call__(self, x: Any) -> Evaluation:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        parts = [p for p in np.array_split(x, min(self.chunks, len(x))) if len(p)]
        futures = [self.client.submit(_evaluate, self._remote, p, pure=False) for p in parts]
        evs = self.client.gather(futures)
        self.problem.n_evaluations += len(x)
        return Evaluation(x, np.concatenate([e.features for e in evs]),
                          np.concatenate([e.z for e in evs]),
                          np.concatenate([e.total for e in evs]),
                          max(e.sim_s for e in evs), max(e.features_s for e in evs))

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskEvaluator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
