"""Declared parameters: conversion at construction and error messages (model, parameter, range
with unit, value received, fix)."""

import jax
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError, UnitError
from neurodyn.models import REGISTRY


def test_units_converted_once_at_construction():
    m = nd.models.HodgkinHuxley(g_na="0.12 S/cm2", c_m="1 uF/cm2", celsius="18.5 degC")
    assert m.g_na == pytest.approx(120.0)
    assert m.celsius == 18.5
    lif = nd.models.LIF(c_m="0.2 nF", g_l="10 nS", t_ref="0.005 s")
    assert lif.c_m == pytest.approx(200.0) and lif.t_ref == pytest.approx(5.0)
    assert lif.tau_m == pytest.approx(20.0)


def _bad_value(spec):
    lo, hi = spec.bounds
    if lo is not None:
        return lo - 1.0 if spec.inclusive[0] else lo
    if hi is not None:
        return hi + 1.0
    return float("nan")


@pytest.mark.parametrize("cls", list(REGISTRY.values()), ids=list(REGISTRY))
def test_every_declared_bound_is_enforced_with_a_full_message(cls):
    """The same declaration yields the check, the message and the invalid test input."""
    checked = 0
    for name, spec in cls.param_specs().items():
        if spec.bounds == (None, None):
            continue
        bad = _bad_value(spec)
        with pytest.raises(ParameterError) as exc:
            cls(**{name: bad})
        msg = str(exc.value)
        assert f"{cls.__name__}.{name}" in msg, msg
        assert repr(bad) in msg or f"{bad:g}" in msg, msg
        assert "Fix" in msg, msg
        if spec.unit not in ("1", ""):
            assert spec.unit in msg, msg
        checked += 1
    assert checked >= 3


def test_message_example():
    with pytest.raises(ParameterError) as exc:
        nd.models.HodgkinHuxley(g_na=-5)
    assert str(exc.value).startswith("HodgkinHuxley.g_na must be >= 0 mS/cm2; got -5.0.")


def test_non_numeric_and_wrong_unit():
    with pytest.raises(ParameterError, match="must be a number"):
        nd.models.LIF(c_m=[1, "x"])
    with pytest.raises(UnitError, match=r"LIF\.c_m must be a capacitance"):
        nd.models.LIF(c_m="200 mV")


def test_relations_between_parameters():
    with pytest.raises(ParameterError, match="v_reset must be < v_th"):
        nd.models.LIF(v_reset=-40.0, v_th=-50.0)
    with pytest.raises(ParameterError, match="v_reset must be < v_peak"):
        nd.models.AdEx(v_reset=10.0, v_peak=0.0)


def test_option_choices():
    with pytest.raises(ParameterError, match=r"rates must be one of"):
        nd.models.HodgkinHuxley(rates="fast")


def test_array_values_are_checked_elementwise():
    nd.models.HodgkinHuxley(g_na=np.array([100.0, 120.0]))
    with pytest.raises(ParameterError, match=r"element \(1,\)"):
        nd.models.HodgkinHuxley(g_na=np.array([100.0, -1.0]))


def test_tracers_pass_unchecked():
    def f(g):
        return nd.models.HodgkinHuxley(g_na=g).g_na * 2.0

    assert jax.grad(f)(120.0) == pytest.approx(2.0)


def test_replace_and_unknown_parameter():
    m = nd.models.HodgkinHuxley()
    m2 = m.replace(g_na=100.0)
    assert m2.g_na == 100.0 and m.g_na == 120.0  # immutable descriptions
    with pytest.raises(ParameterError, match="no parameter 'gna'"):
        m.replace(gna=1.0)
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        m.g_na = 3.0


def test_presets():
    rs = nd.models.Izhikevich.preset("RS")
    assert (rs.a, rs.b, rs.c, rs.d) == (0.02, 0.2, -65.0, 8.0)
    assert rs.u_init == pytest.approx(0.2 * rs.v_init)
    with pytest.raises(ParameterError, match="no preset"):
        nd.models.AdEx.preset("nonexistent")
    assert nd.models.AdEx.preset("tonic").v_peak == 0.0
