"""Neural posterior estimation with the ``sbi`` package (PyTorch, CPU).

A conditional density estimator (a masked autoregressive flow by default) is trained on
simulations ``(u, s)`` drawn from the prior, uniform on the unit box of search coordinates
(:mod:`.simulator`); the result is *amortised*: the posterior of any observation is one forward
pass away, which is what makes calibration checks over many test observations affordable
(:mod:`.diagnostics`). Samples are returned in physical units.

Reference: Papamakarios G, Murray I (2016). Fast epsilon-free inference of simulation models with
Bayesian conditional density estimation. NeurIPS 29. Greenberg DS, Nonnenmacher M, Macke JH
(2019). Automatic posterior transformation for likelihood-free inference. ICML. Tejero-Cantero A
et al. (2020). sbi: a toolkit for simulation-based inference. J Open Source Softw 5:2505.

.. code-block:: bibtex

    @article{tejero2020sbi, author = {Tejero-Cantero, Alvaro and Boelts, Jan and Deistler,
      Michael and Lueckmann, Jan-Matthis and Durkan, Conor and Gon{\\c{c}}alves, Pedro J. and
      Greenberg, David S. and Macke, Jakob H.}, title = {sbi: A toolkit for simulation-based
      inference}, journal = {Journal of Open Source Software}, volume = {5}, number = {52},
      pages = {2505}, year = {2020}}
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError, check_integers

__all__ = ["DENSITY_ESTIMATORS", "NPEPosterior", "fit_npe"]

#: the ``sbi`` density estimators :func:`fit_npe` builds (``sbi.neural_nets.posterior_nn`` models)
DENSITY_ESTIMATORS = ("maf", "nsf", "mdn")
#: the choices as error messages name them: '"maf", "nsf" or "mdn"'
ESTIMATOR_CHOICES = (", ".join(f'"{d}"' for d in DENSITY_ESTIMATORS[:-1])
                     + f' or "{DENSITY_ESTIMATORS[-1]}"')


def _torch() -> Any:
    try:
        import sbi  # noqa: F401
        import torch
    except ImportError:  # pragma: no cover - the test extra installs them
        raise ImportError("neural posterior estimation needs PyTorch and sbi. Fix: pip install "
                          "torch==2.13.0 sbi (CPU wheel), or use neurodyn.inference.abc_smc, "
                          "which needs neither.") from None
    return torch


class _NoTracker:
    """An ``sbi`` training tracker that keeps nothing (its default writes TensorBoard logs to
    ``./sbi-logs`` in the working directory); the epochs and losses are kept by the trainer."""

    log_dir = None

    def log_metric(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log_metrics(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log_params(self, *args: Any, **kwargs: Any) -> None:
        pass

    def add_figure(self, *args: Any, **kwargs: Any) -> None:
        pass

    def flush(self) -> None:
        pass


@dataclass
class NPEPosterior:
    """A trained posterior estimator over the unit box of :attr:`params`.

    Attributes: ``posterior`` (the ``sbi`` posterior object), ``train_s`` (training wall time,
    s), ``epochs`` (training epochs), ``n_simulations``.
    """

    params: tuple[Any, ...]
    posterior: Any
    names: tuple[str, ...]
    train_s: float
    epochs: int
    n_simulations: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.params)

    def _x(self, s: Any) -> Any:
        torch = _torch()
        s = np.atleast_2d(np.asarray(s, dtype=float))
        if s.shape[1] != len(self.names):
            raise ParameterError(f"NPEPosterior: an observation has {len(self.names)} statistics "
                                 f"({', '.join(self.names[:4])}, ...); got shape {s.shape}.")
        if not np.all(np.isfinite(s)):
            raise ParameterError("NPEPosterior: the observation has NaN statistics. Fix: fill "
                                 "them as the training data were (Simulator.filled).")
        return torch.as_tensor(s, dtype=torch.float32)

    def sample_unit(self, s_obs: Any, n: int = 1000, *, seed: int = 0) -> np.ndarray:
        """``n`` posterior samples in unit coordinates ``(n, d)`` for one observation, or
        ``(n_obs, n, d)`` for a batch ``(n_obs, k)`` (amortised, one pass)."""
        torch = _torch()
        torch.manual_seed(seed)
        x = self._x(s_obs)
        if x.shape[0] == 1 and np.ndim(s_obs) == 1:
            out = self.posterior.sample((n,), x=x[0], show_progress_bars=False)
            return out.numpy().astype(float)
        out = self.posterior.sample_batched((n,), x=x, show_progress_bars=False)
        return np.moveaxis(out.numpy().astype(float), 0, 1)

    def sample(self, s_obs: Any, n: int = 1000, *, seed: int = 0) -> np.ndarray:
        """``n`` posterior samples in physical units (see :meth:`sample_unit`)."""
        from ..fitting.problem import from_unit

        u = self.sample_unit(s_obs, n, seed=seed)
        return from_unit(self.params, u.reshape(-1, u.shape[-1])).reshape(u.shape)

    def save(self, path: str) -> str:
        """Pickle the estimator (``torch.save``) for :meth:`load`."""
        torch = _torch()
        torch.save({"params": self.params, "posterior": self.posterior, "names": self.names,
                    "train_s": self.train_s, "epochs": self.epochs,
                    "n_simulations": self.n_simulations, "info": self.info}, path)
        return path

    @classmethod
    def load(cls, path: str) -> NPEPosterior:
        torch = _torch()
        d = torch.load(path, weights_only=False)
        return cls(**d)


def fit_npe(params: Any, u: Any, s: Any, names: Any = None, *,
            density_estimator: str = "maf", seed: int = 0, training_batch_size: int = 200,
            learning_rate: float = 5e-4, stop_after_epochs: int = 20,
            max_epochs: int = 1000, ensemble: int = 1, hidden_features: int = 50,
            num_transforms: int = 5, progress: bool = False) -> NPEPosterior:
    """Train NPE (``sbi.inference.NPE``) on simulations: ``u`` ``(n, d)`` prior draws in unit
    coordinates of ``params`` (a :class:`~.simulator.Simulator`'s), ``s`` ``(n, k)`` their
    statistics (finite; :func:`~.simulator.simulate_prior` fills undefined ones). The prior is
    uniform on the unit box; statistics are z-scored by ``sbi``. Training stops when the
    validation loss has not improved for ``stop_after_epochs`` epochs.

    ``density_estimator`` is ``"maf"``, ``"nsf"`` (neural spline flow, Durkan et al. 2019) or
    ``"mdn"``; ``hidden_features`` (units per hidden layer) and ``num_transforms`` (flow layers,
    not used by ``"mdn"``) size it, as ``sbi.neural_nets.posterior_nn`` does (its defaults: 50
    and 5). A smaller flow trains faster; check its calibration
    (:func:`~.diagnostics.calibration`) before trusting it.

    ``ensemble > 1`` trains that many estimators (seeds ``seed, seed + 1, ...``, each with its
    own validation split) and samples their equal mixture (``sbi``'s ``EnsemblePosterior``): a
    single flow tends to be overconfident (Hermans et al. 2022, "A trust crisis in
    simulation-based inference?", TMLR), an ensemble less so."""
    torch = _torch()
    from sbi.inference import NPE
    from sbi.utils import BoxUniform

    from ..fitting.problem import as_free_parameters as _params

    params = _params(params, "fit_npe")
    u = np.asarray(u, dtype=float)
    s = np.asarray(s, dtype=float)
    if u.ndim != 2 or u.shape[1] != len(params) or s.ndim != 2 or s.shape[0] != u.shape[0]:
        raise ParameterError(f"fit_npe: u must be (n, {len(params)}) and s (n, k) with the same "
                             f"n; got {u.shape} and {s.shape}.")
    if not np.all(np.isfinite(s)):
        raise ParameterError("fit_npe: s has NaN or infinite statistics. Fix: fill undefined ones "
                             "(simulate_prior does), or drop those simulations.")
    if np.any((u < 0) | (u > 1)):
        raise ParameterError("fit_npe: u must lie in the unit box [0, 1] (search coordinates).")
    const = np.ptp(s, axis=0) == 0
    if const.all():
        raise ParameterError("fit_npe: every statistic is the same in all simulations; there is "
                             "nothing to learn. Fix: widen the prior or choose other statistics.")
    names = tuple(names) if names is not None else tuple(f"s{j}" for j in range(s.shape[1]))
    check_integers("fit_npe", (("ensemble", ensemble, 1), ("hidden_features", hidden_features, 1),
                               ("num_transforms", num_transforms, 1)))
    if density_estimator not in DENSITY_ESTIMATORS:
        raise ParameterError(f"fit_npe.density_estimator must be {ESTIMATOR_CHOICES}; "
                             f"got {density_estimator!r}.")
    from sbi.neural_nets import posterior_nn

    builder = posterior_nn(model=density_estimator, hidden_features=int(hidden_features),
                           num_transforms=int(num_transforms))
    d = len(params)
    prior = BoxUniform(low=torch.zeros(d), high=torch.ones(d))
    t0 = time.perf_counter()
    posts, epochs, vals = [], 0, []
    for k in range(ensemble):
        torch.manual_seed(seed + k)
        inf = NPE(prior=prior, density_estimator=builder, show_progress_bars=progress,
                  tracker=_NoTracker())
        inf.append_simulations(torch.as_tensor(u, dtype=torch.float32),
                               torch.as_tensor(s, dtype=torch.float32))
        est = inf.train(training_batch_size=training_batch_size, learning_rate=learning_rate,
                        stop_after_epochs=stop_after_epochs, max_num_epochs=max_epochs,
                        show_train_summary=progress)
        posts.append(inf.build_posterior(est))
        summ = getattr(inf, "summary", None) or getattr(inf, "_summary", {})
        epochs += int(summ.get("epochs_trained", [0])[-1]) if summ else 0
        vals.append(float(summ.get("best_validation_loss", [np.nan])[-1]) if summ else np.nan)
    if ensemble == 1:
        post = posts[0]
    else:
        from sbi.inference.posteriors import EnsemblePosterior

        post = EnsemblePosterior(posts)
    train_s = time.perf_counter() - t0
    return NPEPosterior(params, post, names, train_s, epochs, u.shape[0],
                        {"density_estimator": density_estimator, "seed": seed,
                         "hidden_features": int(hidden_features),
                         "num_transforms": int(num_transforms),
                         "ensemble": ensemble, "best_validation_loss": vals,
                         "constant_statistics": [n for n, c in zip(names, const) if c]})
