"""The math namespace (table interpolation, NaN-safe helpers) and the HH rate functions, checked
against direct NumPy evaluations of the textbook formulas."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neurodyn.math import jax_math, numpy_math
from neurodyn.models import hh

V = np.concatenate([np.linspace(-150.0, 100.0, 2501), [-40.0, -55.0, -40.0 + 1e-9, -55.0 - 1e-7]])


def _textbook_rates(v):
    """NEURON hh.mod, one exponential per rate (``expm1`` is accurate down to the singularity)."""
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(all="ignore"):
        am = np.where(v + 40.0 == 0.0, 1.0, 0.1 * -(v + 40.0) / np.expm1(-(v + 40.0) / 10.0))
        an = np.where(v + 55.0 == 0.0, 0.1, 0.01 * -(v + 55.0) / np.expm1(-(v + 55.0) / 10.0))
    bm = 4.0 * np.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * np.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (np.exp(-(v + 35.0) / 10.0) + 1.0)
    bn = 0.125 * np.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


@pytest.mark.parametrize("xp", [numpy_math, jax_math], ids=["numpy", "jax"])
def test_hh_rates_match_the_textbook_formulas(xp):
    got = hh._rates(xp.asarray(V), xp)
    for name, g, ref in zip(("am", "bm", "ah", "bh", "an", "bn"), got, _textbook_rates(V)):
        np.testing.assert_allclose(np.asarray(g), ref, rtol=2e-13, atol=0, err_msg=name)


def test_hh_rates_are_finite_with_finite_gradients_in_float32_and_float64():
    for dtype in (jnp.float32, jnp.float64):
        v = jnp.asarray([-40.0, -55.0, -65.0, 0.0], dtype)
        vals = hh._rates(v, jax_math)
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in vals)
        for k in range(6):
            g = jax.vmap(jax.grad(lambda x, k=k: hh._rates(x, jax_math)[k]))(v)
            assert bool(jnp.all(jnp.isfinite(g)))
    # float32 within float32 accuracy of the float64 values
    v32 = np.linspace(-100, 60, 321).astype(np.float32)
    for g, ref in zip(hh._rates(jnp.asarray(v32), jax_math), _textbook_rates(v32.astype(float))):
        np.testing.assert_allclose(np.asarray(g), ref, rtol=3e-6)


@pytest.mark.parametrize("xp", [numpy_math, jax_math], ids=["numpy", "jax"])
def test_interp_uniform_is_linear_interpolation_clipped_at_the_ends(xp):
    grid = np.linspace(-100.0, 100.0, 201)
    table = np.stack([np.sin(grid / 17.0), grid**2])
    x = np.array([-130.0, -100.0, -99.5, -0.25, 0.0, 37.3, 99.99, 100.0, 250.0])
    got = xp.interp_uniform(table, xp.asarray(x), -100.0, 1.0)
    for row, g in zip(table, got):
        np.testing.assert_allclose(np.asarray(g), np.interp(x, grid, row), rtol=1e-14, atol=1e-14)
    # a 1-D table returns one array, also when the table is a traced/jax array
    one = xp.interp_uniform(xp.asarray(table[0]), xp.asarray(x), -100.0, 1.0)
    np.testing.assert_allclose(np.asarray(one), np.interp(x, grid, table[0]), rtol=1e-14, atol=1e-14)


def test_hh_neuron_table_is_the_exact_rates_at_the_grid_points():
    v = np.linspace(-100.0, 100.0, 201)
    model = hh.HodgkinHuxley(rates="neuron_table")
    p = model.param_values()
    table = model.gating(p, jnp.asarray(v), jax_math)
    exact = hh.HodgkinHuxley().gating(p, jnp.asarray(v), jax_math)
    for (xi_t, k_t), (xi_e, k_e) in zip(table, exact):
        np.testing.assert_allclose(np.asarray(xi_t), np.asarray(xi_e), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(np.asarray(k_t), np.asarray(k_e), rtol=1e-12)


def _traub_textbook(v, vt=-63.0):
    u = np.asarray(v, float) - vt
    with np.errstate(all="ignore"):
        am = np.where(u == 13.0, 0.32 * 4.0, 0.32 * (13.0 - u) / np.expm1((13.0 - u) / 4.0))
        bm = np.where(u == 40.0, 0.28 * 5.0, 0.28 * (u - 40.0) / np.expm1((u - 40.0) / 5.0))
        an = np.where(u == 15.0, 0.032 * 5.0, 0.032 * (15.0 - u) / np.expm1((15.0 - u) / 5.0))
    ah = 0.128 * np.exp((17.0 - u) / 18.0)
    bh = 4.0 / (1.0 + np.exp((40.0 - u) / 5.0))
    bn = 0.5 * np.exp((10.0 - u) / 40.0)
    return am, bm, ah, bh, an, bn


@pytest.mark.parametrize("xp", [numpy_math, jax_math], ids=["numpy", "jax"])
def test_traub_miles_rates_match_the_textbook_formulas(xp):
    from neurodyn.models import traub_miles

    v = np.concatenate([np.linspace(-150.0, 100.0, 2501), [-50.0, -23.0, -48.0, -50.0 + 1e-9]])
    got = traub_miles._rates(xp.asarray(v), -63.0, xp)
    for name, g, ref in zip(("am", "bm", "ah", "bh", "an", "bn"), got, _traub_textbook(v)):
        np.testing.assert_allclose(np.asarray(g), ref, rtol=5e-13, atol=0, err_msg=name)
    v32 = jnp.asarray(np.linspace(-100, 60, 321), jnp.float32)
    for g, ref in zip(traub_miles._rates(v32, -63.0, jax_math), _traub_textbook(np.asarray(v32, float))):
        np.testing.assert_allclose(np.asarray(g), ref, rtol=3e-6)
