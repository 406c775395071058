"""Every registered model passes the same checks (after scikit-learn's check_estimator)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.citation import _bibtex_of
from neurodyn.engine.integrators import FIXED_STEP
from neurodyn.math import jax_math, numpy_math
from neurodyn.models import REGISTRY

MODELS = list(REGISTRY.values())
IDS = list(REGISTRY)
DRIVE = {"HodgkinHuxley": 10.0, "LIF": 300.0, "AdEx": 800.0, "Izhikevich": 10.0,
         "FitzHughNagumo": 0.5, "TraubMiles": 2.0, "Pospischil": 3.0,
         "PospischilAIS": 3.0, "PospischilDualNa": 3.0}


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_declarations(cls):
    assert cls.state_vars and next(iter(cls.state_vars)) == cls.voltage_var
    assert cls.input_unit
    for name, spec in cls.param_specs().items():
        assert spec.unit, f"{cls.__name__}.{name} declares no unit"
        assert spec.doc, f"{cls.__name__}.{name} has no doc"
    entries = _bibtex_of(cls)
    assert entries and all(e.startswith("@") and "year" in e for e in entries)
    assert "Reference" in cls.__doc__


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_defaults_construct_and_presets_validate(cls):
    cls()
    for name in cls.presets:
        cls.preset(name)


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_maths_is_backend_neutral(cls):
    """The same maths evaluated with NumPy and with JAX gives the same numbers."""
    m = cls()
    p_np = type(m.param_values())(*(np.asarray(v, float) for v in m.param_values()))
    p_j = type(p_np)(*(jnp.asarray(v) for v in p_np))
    s_np = m.init_state(p_np, numpy_math)
    s_np = type(s_np)(*(np.asarray(x, float) + 0.37 * (i == 0) for i, x in enumerate(s_np)))
    s_j = type(s_np)(*(jnp.asarray(x) for x in s_np))
    d_np = m.derivatives(p_np, s_np, DRIVE[cls.__name__], numpy_math)
    d_j = m.derivatives(p_j, s_j, DRIVE[cls.__name__], jax_math)
    np.testing.assert_allclose(np.asarray(d_j, float), np.asarray(d_np, float), rtol=1e-12,
                               atol=1e-12)
    a, b = m.linearized(p_np, s_np, DRIVE[cls.__name__], numpy_math)
    f = np.asarray(a) + np.asarray(b) * np.asarray(s_np)
    np.testing.assert_allclose(f, np.asarray(d_np, float), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_derivatives_finite_over_the_voltage_range(cls):
    m = cls()
    p = type(m.param_values())(*(np.asarray(v, float) for v in m.param_values()))
    s0 = m.init_state(p, numpy_math)
    vs = np.linspace(-120.0, 60.0, 1801) if m.state_vars["v"] == "mV" else np.linspace(-3, 3, 601)
    s = s0._replace(v=vs)
    d = m.derivatives(p, s, 0.0, numpy_math)
    assert all(np.all(np.isfinite(x)) for x in d)


def test_hh_gates_rest_in_unit_interval_and_init_is_a_fixed_point():
    for rates in ("exact", "neuron_table"):
        m = nd.models.HodgkinHuxley(rates=rates)
        p = m.param_values()
        s = m.init_state(p, numpy_math)
        d = m.derivatives(p, s, 0.0, numpy_math)
        assert abs(d.m) < 1e-12 and abs(d.h) < 1e-12 and abs(d.n) < 1e-12
        r = nd.simulate(m, 200.0, 0.025, stimulus=nd.stimuli.Step(amplitude=30.0, start=10.0),
                        record="all")
        for g in ("m", "h", "n"):
            x = r.trace(g)
            assert x.min() >= 0.0 and x.max() <= 1.0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("method", list(FIXED_STEP))
@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_every_method_and_dtype_runs_without_silent_promotion(cls, method, dtype):
    """Under JAX's strict promotion, any float32/float64 mix-up raises instead of upcasting."""
    with jax.numpy_dtype_promotion("strict"):
        r = nd.simulate(cls(), 20.0, 0.025, method=method, dtype=dtype,
                        stimulus=[nd.stimuli.Step(amplitude=DRIVE[cls.__name__], start=2.0),
                                  nd.stimuli.OUNoise(sigma=0.1 * DRIVE[cls.__name__])],
                        batch={"stimulus[0].amplitude": np.array([1.0, 1.5]) * DRIVE[cls.__name__]},
                        record=["v", "i_ext"])
    assert r.trace("v").dtype == np.dtype(dtype)
    assert np.all(np.isfinite(r.trace("v")))


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_same_seed_is_deterministic(cls):
    kw = dict(stimulus=nd.stimuli.OUNoise(mean=DRIVE[cls.__name__],
                                          sigma=0.3 * DRIVE[cls.__name__]), seed=2)
    a = nd.simulate(cls(), 30.0, 0.025, **kw)
    b = nd.simulate(cls(), 30.0, 0.025, **kw)
    np.testing.assert_array_equal(a.trace("v"), b.trace("v"))
    np.testing.assert_array_equal(a.spike_times(), b.spike_times())


@pytest.mark.parametrize("cls", [c for c in MODELS if c.gate_vars], ids=lambda c: c.__name__)
def test_gating_agrees_with_linearized(cls):
    """Relaxation form (x_inf, k) and the linear form (A, B) describe the same dx/dt."""
    for opts in ({}, *({k: c} for k, o in cls.option_specs().items() for c in (o.choices or ()))):
        m = cls(**opts)
        p = m.param_values()
        s = m.init_state(p, numpy_math)
        v = np.linspace(-100.0, 50.0, 151)
        s = s._replace(v=v)
        a, b = m.linearized(p, s, 0.0, numpy_math)
        for name, (x_inf, k) in zip(m.gate_vars, m.gating(p, v, numpy_math)):
            np.testing.assert_allclose(getattr(a, name), k * x_inf, rtol=1e-12)
            np.testing.assert_allclose(getattr(b, name), -k, rtol=1e-12)
            assert np.all((x_inf >= 0) & (x_inf <= 1) & (k > 0))
