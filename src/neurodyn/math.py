"""The small math namespace that model maths is written against.

Model equations in neurodyn are pure element-wise functions of state and parameters with no
Python control flow on values. They receive a namespace ``xp`` and call only what it offers::

    def derivatives(self, p, s, i_ext, xp):
        return self.State(v=(-(s.v - p.e_l) + p.r * i_ext) / p.tau_m)

Two namespaces are provided: :data:`jax_math` (the engine's, traceable by ``jit``/``grad``/
``vmap``) and :data:`numpy_math` (eager, used by analysis code such as nullclines and by the
conformance tests, which check that both give the same numbers). A compiled CPU backend can
provide a third.

Besides the usual element-wise functions the namespace has NaN-safe helpers that HH-type rate
functions need in float32 (and for gradients at the removable singularities):

* :func:`exprel` ``(e^z - 1)/z`` with its limit 1 at ``z = 0``;
* :func:`vtrap` ``x / (exp(x/y) - 1)`` with its limit ``y`` at ``x = 0`` (NEURON's ``vtrap``);
* :func:`interp_uniform` linear interpolation in a uniform table, clipped at the ends (NEURON's
  ``TABLE`` statement).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = ["jax_math", "make_namespace", "numpy_math"]


def make_namespace(np_like: Any, *, name: str) -> SimpleNamespace:
    """Build a math namespace over a NumPy-compatible module (``numpy`` or ``jax.numpy``)."""
    xp = np_like

    def exprel(z: Any) -> Any:
        """(exp(z) - 1) / z, equal to 1 at z = 0; safe for values and gradients."""
        # exp(z) - 1 rather than expm1: XLA's expm1 costs ~2x exp on CPU; for |z| >= 1e-4 the
        # cancellation error is <= 2e-12 relative, and below that the series is used.
        small = xp.abs(z) < 1e-4
        z_safe = xp.where(small, 1.0, z)
        series = 1.0 + z * (0.5 + z / 6.0)
        return xp.where(small, series, (xp.exp(z_safe) - 1.0) / z_safe)

    def vtrap(x: Any, y: Any) -> Any:
        """x / (exp(x/y) - 1), equal to y at x = 0 (the HH alpha_m/alpha_n singularity)."""
        return y / exprel(x / y)

    def interp_uniform(table: Any, x: Any, x0: float, dx: float) -> Any:
        """Linear interpolation of a uniform table sampled at ``x0 + k*dx`` (k = 0..n-1).

        ``table`` is 1-D (returns an array like ``x``) or 2-D ``(rows, n)`` (returns a tuple of
        ``rows`` arrays). Values outside the table take the end values, as NEURON's ``TABLE`` does.
        """
        dtype = getattr(x, "dtype", None)
        ndim = np.ndim(table)
        n = np.shape(table)[-1]
        xi = xp.clip((x - x0) / dx, 0.0, n - 1.0)
        i_f = xp.clip(xp.floor(xi), 0.0, n - 2.0)
        i = i_f.astype("int32")
        theta = xi - i_f
        # One gather of a contiguous row (values, slopes) per point: gathers dominate the cost
        # of table lookups on CPU, and a row-major table makes it one 2k-wide load. A concrete
        # (NumPy) table is rearranged here, once, so that the compiled loop reads the row-major
        # array itself and not a transposed view of it (12 cache lines per point instead of 1).
        if isinstance(table, np.ndarray):
            tab2 = table.reshape(-1, n)
            rows = xp.asarray(np.ascontiguousarray(
                np.concatenate([tab2[:, :-1], np.diff(tab2, axis=1)], axis=0).T), dtype=dtype)
        else:
            tab2 = xp.asarray(table, dtype=dtype).reshape(-1, n)
            rows = xp.concatenate([tab2[:, :-1], tab2[:, 1:] - tab2[:, :-1]], axis=0).T
        k = tab2.shape[0]
        g = _take_rows(rows, i)  # (..., 2k)
        out = tuple(g[..., j] + theta * g[..., k + j] for j in range(k))
        return out if ndim > 1 else out[0]

    def _take_rows(rows: Any, i: Any) -> Any:
        """``rows[i]`` for indices already clipped into range (no bounds checks in the loop)."""
        if xp is np:
            return rows[i]
        return rows.at[i].get(mode="promise_in_bounds")

    def sigmoid(z: Any) -> Any:
        """1 / (1 + exp(-z))."""
        return 1.0 / (1.0 + xp.exp(-z))

    ns = SimpleNamespace(
        name=name,
        pi=float(np.pi),
        inf=float(np.inf),
        asarray=xp.asarray,
        concatenate=xp.concatenate,
        stack=xp.stack,
        take=xp.take,
        take_along_axis=xp.take_along_axis,
        exp=xp.exp,
        expm1=xp.expm1,
        log=xp.log,
        log1p=xp.log1p,
        sqrt=xp.sqrt,
        tanh=xp.tanh,
        sin=xp.sin,
        cos=xp.cos,
        abs=xp.abs,
        floor=xp.floor,
        ceil=xp.ceil,
        sign=xp.sign,
        where=xp.where,
        minimum=xp.minimum,
        maximum=xp.maximum,
        clip=xp.clip,
        power=xp.power,
        isfinite=xp.isfinite,
        zeros_like=xp.zeros_like,
        ones_like=xp.ones_like,
        full_like=xp.full_like,
        logical_and=xp.logical_and,
        logical_or=xp.logical_or,
        logical_not=xp.logical_not,
        exprel=exprel,
        vtrap=vtrap,
        interp_uniform=interp_uniform,
        sigmoid=sigmoid,
    )
    return ns


numpy_math = make_namespace(np, name="numpy")


def _jax_namespace() -> SimpleNamespace:
    import jax.numpy as jnp

    return make_namespace(jnp, name="jax")


class _LazyJax:
    """Defers ``import jax`` until the JAX namespace is first used."""

    _ns: SimpleNamespace | None = None

    def __getattr__(self, item: str) -> Any:
        if _LazyJax._ns is None:
            _LazyJax._ns = _jax_namespace()
        return getattr(_LazyJax._ns, item)


jax_math: Any = _LazyJax()
