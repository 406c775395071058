"""The channel library (neurodyn.channels) without NEURON: invariants of every registered mechanism.

Gates stay in [0, 1] over -120..+60 mV; the initial state is a fixed point of ``advance`` at
constant voltage; the returned slope ``g`` is ``di/dv`` (checked by central differences); the
JAX and NumPy namespaces give the same numbers; parameters declare units and reject invalid
values; docstrings carry BibTeX; gradients through ``advance`` are finite (also at the removable
singularities of the rate functions).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn import channels
from neurodyn.channels import MECHANISMS, CaHVA, CaPool, nernst
from neurodyn.errors import ParameterError
from neurodyn.math import jax_math, numpy_math

# all voltages of the grid, plus the removable singularities of the rate functions
V_GRID = np.concatenate([np.linspace(-120.0, 60.0, 361), [-27.0, -38.0, -17.0, -64.4]])
CAI_GRID = np.array([0.0, 5e-8, 1e-4, 5e-4, 1e-3, 1e-2])  # mM
CELSIUS = [22.0, 34.0]
NAMES = sorted(MECHANISMS)


def _env(celsius: float, cai=1e-4, ica=0.0) -> dict:
    return {"celsius": celsius, "e_na": 50.0, "e_k": -85.0, "e_ca": 132.5, "cai": cai,
            "cao": 2.0, "ica": ica}


def _grid():
    """(v, cai) on a 2-D grid: voltages along axis 0, concentrations along axis 1."""
    return V_GRID[:, None] + 0.0 * CAI_GRID[None, :], CAI_GRID[None, :] + 0.0 * V_GRID[:, None]


def _conductances(cls) -> list[str]:
    """The conductance-density parameters (``g_max`` for the channels of this library)."""
    return [k for k, spec in cls.param_specs().items() if spec.unit == "mS/cm2"]


def _is_gate(mech, name: str) -> bool:
    return name not in mech.provides


def test_registry_lists_all_channels():
    assert set(MECHANISMS) >= {"ih", "cat", "cahva", "capool", "sk", "bk", "im", "nap", "ka"}
    for name, cls in MECHANISMS.items():
        assert cls.name == name and channels.get(name) is cls
        assert issubclass(cls, channels.AbstractMechanism)
    with pytest.raises(ParameterError, match="unknown mechanism"):
        channels.get("nope")


@pytest.mark.parametrize("name", NAMES)
def test_declarations(name):
    cls = MECHANISMS[name]
    assert cls.__doc__ and "bibtex" in cls.__doc__
    assert nd.citation(cls).count("\n\n@") >= 1  # an entry besides neurodyn's own
    for pname, spec in cls.param_specs().items():
        assert spec.unit, f"{name}.{pname} declares no unit"
        assert spec.doc, f"{name}.{pname} has no doc"
    mech = cls()
    assert set(mech.reads) <= {"celsius", "e_na", "e_k", "e_ca", "cai", "cao", "ica"}
    assert set(mech.currents_carried) <= {"na", "k", "ca", "nonspecific"}
    assert len(mech.states) == len(mech.init_state(mech.param_values(), -65.0, _env(34.0),
                                                     numpy_math))
    if "g_max" in cls.param_specs():
        assert cls.param_specs()["g_max"].unit == "mS/cm2"
    for gname in _conductances(cls):
        with pytest.raises(ParameterError, match=gname):
            cls(**{gname: -1.0})
        cls(**{gname: 0.0})  # zero is allowed


def test_pool_rejects_invalid_parameters():
    for bad in ({"decay": 0.0}, {"depth": -0.1}, {"gamma": 1.5}, {"min_cai": -1e-4}):
        with pytest.raises(ParameterError):
            CaPool(**bad)


@pytest.mark.parametrize("celsius", CELSIUS)
@pytest.mark.parametrize("name", NAMES)
def test_gates_in_unit_interval(name, celsius):
    mech = MECHANISMS[name]()
    p = mech.param_values()
    v, cai = _grid()
    env = {**_env(celsius), "cai": cai}
    s0 = mech.init_state(p, v, env, numpy_math)
    assert len(s0) == len(mech.states)
    starts = [s0, tuple(np.zeros_like(x) for x in s0), tuple(np.ones_like(x) for x in s0)]
    for s in starts:
        for dt in (0.025, 1.0, 1000.0):
            s1 = mech.advance(p, s, v, env, dt, numpy_math)
            for state, x in zip(mech.states, s1):
                assert np.all(np.isfinite(x)), (name, state)
                if _is_gate(mech, state):
                    assert np.all((x >= 0.0) & (x <= 1.0)), (name, state, dt)
    for state, x in zip(mech.states, s0):
        assert np.all(np.isfinite(x))
        if _is_gate(mech, state):
            assert np.all((x >= 0.0) & (x <= 1.0)), (name, state)


@pytest.mark.parametrize("name", NAMES)
def test_init_state_is_a_fixed_point(name):
    mech = MECHANISMS[name]()
    p = mech.param_values()
    v, cai = _grid()
    env = {**_env(34.0), "cai": cai}
    if name == "capool":  # at rest without Ca2+ current the pool sits at its floor
        env = {**_env(34.0), "cai": p.min_cai + 0.0 * v, "ica": 0.0}
    s0 = mech.init_state(p, v, env, numpy_math)
    s = s0
    for _ in range(20):
        s = mech.advance(p, s, v, env, 0.025, numpy_math)
    for x0, x in zip(s0, s):
        np.testing.assert_allclose(x, x0, rtol=1e-13, atol=1e-16)


def test_pool_starts_at_the_cells_cai_and_relaxes_to_its_steady_state():
    pool = CaPool()
    p = pool.param_values()
    assert pool.init_state(p, -65.0, {"ica": 0.0}, numpy_math)[0] == pytest.approx(5e-5)
    assert pool.init_state(p, -65.0, {"cai": 2e-4, "ica": 0.0}, numpy_math)[0] == 2e-4
    ica = -1.0  # uA/cm2, inward
    (cai,) = pool.advance(p, (5e-5,), -65.0, {"ica": ica}, 1e5, numpy_math)
    expected = p.min_cai - 10.0 * p.gamma * ica * p.decay / (2.0 * channels.FARADAY * p.depth)
    assert cai == pytest.approx(expected, rel=1e-12)
    # one Euler-sized step agrees with the ODE's right-hand side
    dt = 1e-6
    (c1,) = pool.advance(p, (5e-5,), -65.0, {"ica": ica}, dt, numpy_math)
    rhs = -10.0 * p.gamma * ica / (2.0 * channels.FARADAY * p.depth) - (5e-5 - p.min_cai) / p.decay
    assert (c1 - 5e-5) / dt == pytest.approx(rhs, rel=1e-6)


@pytest.mark.parametrize("name", [n for n in NAMES if MECHANISMS[n].currents_carried])
def test_slope_is_the_voltage_derivative(name):
    mech = MECHANISMS[name]()
    p = mech.param_values()
    v, cai = _grid()
    env = {**_env(34.0), "cai": cai}
    # states at some other voltage, so that the current is not at steady state
    s = mech.init_state(p, v[::-1], env, numpy_math)
    cur = mech.currents(p, s, v, env, numpy_math)
    assert set(cur) == set(mech.currents_carried)
    h = 0.5
    for ion, (i, g) in cur.items():
        assert np.all(np.isfinite(i)) and np.all(np.isfinite(g)) and np.all(g >= 0)
        ip = mech.currents(p, s, v + h, env, numpy_math)[ion][0]
        im = mech.currents(p, s, v - h, env, numpy_math)[ion][0]
        np.testing.assert_allclose((ip - im) / (2 * h), g, rtol=1e-6, atol=1e-12)


def _tree_close(a, b, **kw):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **kw)


@pytest.mark.parametrize("name", NAMES)
def test_jax_and_numpy_agree(name):
    mech = MECHANISMS[name]()
    p = mech.param_values()
    v, cai = _grid()
    env = {**_env(30.0, ica=-0.5), "cai": cai}
    jenv = {k: jnp.asarray(x) for k, x in env.items()}
    jp = type(p)(*(jnp.asarray(x) for x in p))
    s_np = mech.init_state(p, v, env, numpy_math)
    s_jx = mech.init_state(jp, jnp.asarray(v), jenv, jax_math)
    _tree_close(s_jx, s_np, rtol=1e-12, atol=1e-15)
    s_other = mech.init_state(p, v[::-1], env, numpy_math)
    a_np = mech.advance(p, s_other, v, env, 0.025, numpy_math)
    a_jx = mech.advance(jp, tuple(map(jnp.asarray, s_other)), jnp.asarray(v), jenv, 0.025, jax_math)
    _tree_close(a_jx, a_np, rtol=1e-12, atol=1e-15)
    c_np = mech.currents(p, s_other, v, env, numpy_math)
    c_jx = mech.currents(jp, tuple(map(jnp.asarray, s_other)), jnp.asarray(v), jenv, jax_math)
    assert set(c_np) == set(c_jx)
    _tree_close([c_jx[k] for k in sorted(c_jx)], [c_np[k] for k in sorted(c_np)],
                rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in NAMES if _conductances(MECHANISMS[n])])
def test_gradient_through_advance_is_finite(name):
    """d/dg_max of the summed current over a few steps, through a jitted loop."""
    cls = MECHANISMS[name]
    gname = _conductances(cls)[0]
    v = jnp.array([-80.0, -27.0, -38.0, -17.0, -64.4, 20.0])
    env = {k: jnp.asarray(x) for k, x in _env(34.0, cai=3e-4).items()}

    def loss(g_max):
        mech = cls(**{gname: g_max})
        p = mech.param_values()
        s = mech.init_state(p, v - 10.0, env, jax_math)
        total = 0.0
        for _ in range(5):
            for i, _g in mech.currents(p, s, v, env, jax_math).values():
                total = total + jnp.sum(i)
            s = mech.advance(p, s, v, env, 0.025, jax_math)
        return total

    g = jax.jit(jax.grad(loss))(1.0)
    assert np.isfinite(float(g)) and float(g) != 0.0


@pytest.mark.parametrize("name", [n for n in NAMES if MECHANISMS[n].currents_carried])
def test_voltage_gradient_is_finite_at_the_singularities(name):
    mech = MECHANISMS[name]()
    p = mech.param_values()
    env = _env(34.0, cai=3e-4)

    def f(v):
        s = mech.init_state(p, v, env, jax_math)
        s = mech.advance(p, s, v + 5.0, env, 0.1, jax_math)
        return sum((jnp.sum(x) for x in s), 0.0 * v)

    for v0 in (-154.9, -27.0, -38.0, -17.0, -64.4, 0.0):
        assert np.isfinite(float(jax.grad(f)(v0))), (name, v0)


def test_gradient_through_the_calcium_loop():
    """g_max of the HVA channel -> ica -> pool -> cai -> SK and BK: a finite, non-zero gradient."""
    sk, bk = MECHANISMS["sk"](), MECHANISMS["bk"]()
    pool = CaPool()

    def loss(g_ca):
        ca = CaHVA(g_max=g_ca)
        pc, pp, ps, pb = (m.param_values() for m in (ca, pool, sk, bk))
        env = {k: jnp.asarray(x) for k, x in _env(34.0).items()}
        v = jnp.asarray(0.0)
        sc = ca.init_state(pc, v, env, jax_math)
        (cai,) = pool.init_state(pp, v, env, jax_math)
        ss = sk.init_state(ps, v, {**env, "cai": cai}, jax_math)
        sb = bk.init_state(pb, v, {**env, "cai": cai}, jax_math)
        out = 0.0
        for _ in range(50):
            ica = ca.currents(pc, sc, v, env, jax_math)["ca"][0]
            out = out + sk.currents(ps, ss, v, env, jax_math)["k"][0]
            out = out + bk.currents(pb, sb, v, env, jax_math)["k"][0]
            e2 = {**env, "ica": ica, "cai": cai}
            sc = ca.advance(pc, sc, v, e2, 0.1, jax_math)
            (cai,) = pool.advance(pp, (cai,), v, e2, 0.1, jax_math)
            e3 = {**env, "cai": cai}
            ss = sk.advance(ps, ss, v, e3, 0.1, jax_math)
            sb = bk.advance(pb, sb, v, e3, 0.1, jax_math)
        return out

    g = float(jax.jit(jax.grad(loss))(1.0))
    assert np.isfinite(g) and g > 0.0  # more Ca2+ channels, more Ca2+-activated K+ current


def test_nernst_constants_and_guards():
    assert channels.FARADAY == 96485.33212331001
    assert channels.GAS_CONSTANT == 8.31446261815324
    e = nernst(5e-5, 2.0, 2, 34.0, numpy_math)
    ktf = 1000.0 * 8.31446261815324 * (34.0 + 273.15) / 96485.33212331001
    assert e == pytest.approx(ktf / 2 * math.log(2.0 / 5e-5), rel=1e-15)
    assert float(nernst(np.array(0.0), 2.0, 2, 34.0, numpy_math)) == 1e6
    assert float(nernst(np.array(1e-4), 0.0, 2, 34.0, numpy_math)) == -1e6
    assert nernst(140.0, 5.0, 1, 6.3, numpy_math) < 0  # K+-like gradient
    g = jax.grad(lambda c: nernst(c, 2.0, 2, 34.0, jax_math))(0.0)
    assert np.isfinite(float(g))
    np.testing.assert_allclose(float(nernst(jnp.asarray(5e-5), 2.0, 2, 34.0, jax_math)), e,
                               rtol=1e-14)
    with pytest.raises(ValueError):
        nernst(1.0, 2.0, 0, 34.0, numpy_math)


def test_temperature_enters_the_time_constants_only():
    """At 34 degC the q10 factor of the Hay channels is Hay's fixed 2.3**1.3; steady states do
    not depend on temperature; time constants scale with 1/qt."""
    for name in ("cat", "im", "nap", "ka"):
        mech = MECHANISMS[name]()
        p = mech.param_values()
        v = np.linspace(-100, 40, 15)
        g34 = mech.gating(p, v, _env(34.0), numpy_math)
        g24 = mech.gating(p, v, _env(24.0), numpy_math)
        for (inf34, tau34), (inf24, tau24) in zip(g34, g24):
            np.testing.assert_allclose(inf34, inf24, rtol=1e-15)
            np.testing.assert_allclose(tau24 / tau34, 2.3, rtol=1e-13)
