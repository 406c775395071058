"""Calibration diagnostics of amortised posteriors: coverage of credible intervals and
simulation-based calibration (SBC).

For test pairs ``(u_i, s_i)`` drawn from the prior and the simulator, a calibrated posterior puts
the true ``u_i`` inside its central ``level`` credible interval a fraction ``level`` of the time,
and the rank of ``u_i`` among ``L`` posterior samples is uniform on ``0..L`` (Talts et al. 2018).
Uniformity is tested per parameter with a Kolmogorov–Smirnov test on the normalised ranks (the
test ``sbi.diagnostics.check_sbc`` reports as ``ks_pvals``).

Reference: Talts S, Betancourt M, Simpson D, Vehtari A, Gelman A (2018). Validating Bayesian
inference algorithms with simulation-based calibration. arXiv:1804.06788.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["calibration"]


def calibration(posterior: Any, u_test: Any, s_test: Any, *, n_samples: int = 1000,
                level: float = 0.9, seed: int = 0) -> dict[str, Any]:
    """Coverage and SBC of ``posterior`` (:class:`~.npe.NPEPosterior`, or any object with
    ``sample_unit(s_batch, n, seed=...) -> (n_obs, n, d)``) on test pairs ``u_test`` ``(m, d)``
    (unit coordinates) and ``s_test`` ``(m, k)``.

    Returns ``{"coverage": (d,) fraction of tests whose truth lies in the central ``level``
    interval, "coverage_all": pooled over parameters, "ranks": (m, d) in 0..n_samples,
    "ks_p": (d,) KS p-values of the normalised ranks against U(0, 1), "level", "n_samples",
    "n_tests"}``."""
    from scipy import stats

    u_test = np.atleast_2d(np.asarray(u_test, dtype=float))
    s_test = np.atleast_2d(np.asarray(s_test, dtype=float))
    if u_test.shape[0] != s_test.shape[0]:
        raise ParameterError(f"calibration: u_test and s_test need the same number of rows; got "
                             f"{u_test.shape[0]} and {s_test.shape[0]}.")
    if not 0 < level < 1:
        raise ParameterError(f"calibration.level must be in (0, 1); got {level!r}.")
    samples = posterior.sample_unit(s_test, n_samples, seed=seed)  # (m, L, d)
    lo = np.quantile(samples, (1 - level) / 2, axis=1)
    hi = np.quantile(samples, 1 - (1 - level) / 2, axis=1)
    inside = (u_test >= lo) & (u_test <= hi)
    ranks = (samples < u_test[:, None, :]).sum(axis=1)
    # randomised normalisation of the discrete ranks 0..L onto (0, 1)
    jitter = np.random.default_rng(seed).random(ranks.shape)
    z = (ranks + jitter) / (n_samples + 1)
    ks_p = np.array([stats.kstest(z[:, j], "uniform").pvalue for j in range(z.shape[1])])
    return {"coverage": inside.mean(axis=0), "coverage_all": float(inside.mean()),
            "ranks": ranks, "ks_p": ks_p, "level": level, "n_samples": n_samples,
            "n_tests": u_test.shape[0], "interval_width": (hi - lo).mean(axis=0)}
