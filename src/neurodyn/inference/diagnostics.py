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

__all__ = ["bound_mass", "calibration", "observation_check"]


def calibration(posterior: Any, u_test: Any, s_test: Any, *, n_samples: int = 1000,
                level: float = 0.9, seed: int = 0) -> dict[str, Any]:
    """Coverage and SBC of ``posterior`` (:class:`~.npe.NPEPosterior`, or any object with
    ``sample_unit(s_batch, n, seed=...) -> (n_obs, n, d)``) on test pairs ``u_test`` ``(m, d)``
    (unit coordinates) and ``s_test`` ``(m, k)``.

    Returns ``{"coverage": (d,) fraction of tests whose truth lies in the central ``level``
    interval, "coverage_all": pooled over parameters, "inside": (m, d) whether each test's truth
    lies in its interval (the coverage of any subset of tests, without sampling again), "ranks":
    (m, d) in 0..n_samples, "ks_p": (d,) KS p-values of the normalised ranks against U(0, 1),
    "interval_width": (d,) mean interval width (unit box), "level", "n_samples", "n_tests"}``."""
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
            "inside": inside, "ranks": ranks, "ks_p": ks_p, "level": level, "n_samples": n_samples,
            "n_tests": u_test.shape[0], "interval_width": (hi - lo).mean(axis=0)}


def observation_check(s_sim: Any, s_obs: Any, names: Any) -> dict[str, Any]:
    """Is the observation inside what the prior simulations produce? Per statistic, the
    fraction of simulations below the observed value; a statistic whose observed value lies
    outside the simulated range (or in its outer 0.5 % tails) means the posterior there is an
    extrapolation of the estimator (prior too narrow, or a model that cannot produce the data).
    Returns ``{"outside": [names outside the range], "tails": [names in the outer tails],
    "quantile": {name: fraction}}``."""
    s_sim = np.asarray(s_sim, dtype=float)
    s_obs = np.asarray(s_obs, dtype=float).reshape(-1)
    q = (s_sim < s_obs).mean(axis=0)
    lo, hi = s_sim.min(axis=0), s_sim.max(axis=0)
    outside = [n for n, o, a, b in zip(names, s_obs, lo, hi) if o < a or o > b]
    tails = [n for n, f in zip(names, q) if (f < 0.005 or f > 0.995) and n not in outside]
    return {"outside": outside, "tails": tails,
            "quantile": {n: float(f) for n, f in zip(names, q)}}


def bound_mass(u_samples: Any, paths: Any, margin: float = 0.02) -> dict[str, float]:
    """Fraction of posterior samples (unit coordinates) within ``margin`` of either prior bound,
    per parameter: a large fraction means the data push the parameter beyond the prior box."""
    u = np.asarray(u_samples, dtype=float)
    near = (u < margin) | (u > 1.0 - margin)
    return {p: float(near[:, j].mean()) for j, p in enumerate(paths)}
