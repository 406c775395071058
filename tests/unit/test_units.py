import numpy as np
import pytest

from neurodyn import units as u
from neurodyn.errors import UnitError


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("120 mS/cm2", "mS/cm2", 120.0),
        ("0.12 S/cm2", "mS/cm2", 120.0),
        ("1 uF/cm^2", "uF/cm2", 1.0),
        ("1 uF/cm**2", "F/m2", 1e-2),
        ("0.1 nA", "pA", 100.0),
        ("1 s", "ms", 1000.0),
        ("-65 mV", "V", -0.065),
        ("100 ohm*cm", "ohm*cm", 100.0),
        ("10 Hz", "1/ms", 0.01),
        ("2 mM", "M", 2e-3),
        ("1 MOhm", "ohm", 1e6),
        ("6.3 degC", "degC", 6.3),
        ("1e-3 S/cm2", "mS/cm2", 1.0),
    ],
)
def test_parse_and_convert(text, unit, expected):
    assert u.convert(text, unit) == pytest.approx(expected, rel=1e-12)


def test_quantity_objects():
    assert float(u.to_unit(0.1 * u.nA, "pA")) == pytest.approx(100.0)
    q = 120 * u.mS / u.cm**2
    assert u.to_unit(q, "S/cm2") == pytest.approx(0.12)
    assert np.allclose(u.to_unit([1, 2] * u.ms if False else u.Quantity([1.0, 2.0], u.s), "ms"),
                       [1000.0, 2000.0])


def test_bare_numbers_pass_through():
    assert u.to_unit(3.5, "mV") == 3.5
    assert u.to_unit("3.5", "mV") == 3.5


def test_dimension_mismatch_names_both_dimensions():
    with pytest.raises(UnitError) as exc:
        u.to_unit("120 mV", "mS/cm2", what="HodgkinHuxley.g_na")
    msg = str(exc.value)
    assert "HodgkinHuxley.g_na" in msg and "conductance density" in msg and "voltage" in msg
    assert "Fix" in msg


@pytest.mark.parametrize("bad", ["12 bananas", "12 m(S)", "abc"])
def test_unparseable(bad):
    with pytest.raises(UnitError):
        u.to_unit(bad, "mS/cm2")


def test_describe_dimension():
    assert u.describe_dimension("uA/cm2") == "current density"
    assert u.describe_dimension("pF") == "capacitance"
    assert u.same_dimension("nS", "mS")
    assert not u.same_dimension("nS", "mS/cm2")
