"""Fuzz the SWC parser: any text either gives a valid Morphology or raises MorphologyError."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from neurodyn.errors import MorphologyError  # noqa: E402
from neurodyn.morphology import Morphology, parse_swc_text  # noqa: E402

SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

JUNK = ["nan", "NaN", "inf", "-inf", "1e400", "-1e400", "1e308", "-1e308", "abc", "1.5", "-1", "0",
        "-0.0", "0x10", "1_0", "١", "#", "", "  ", "--1", "1e-320", "99999999999999999999999", "-2"]


def check(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy overflow warning would be a bug too
        try:
            m = parse_swc_text(text, "<fuzz>")
        except MorphologyError as exc:
            assert "Fix:" in str(exc)
            return
        assert isinstance(m, Morphology)
        for i, s in enumerate(m.sections):
            assert (s.parent == -1) if i == 0 else (0 <= s.parent < i)
            assert s.points.shape[1] == 4 and s.points.shape[0] >= 2
            assert np.all(np.isfinite(s.points)) and np.all(s.points[:, 3] > 0)
            assert 0.0 <= s.parent_x <= 1.0
        summary = m.summary()
        assert np.isfinite(summary.total_length)


@SETTINGS
@given(st.text())
def test_arbitrary_text(text):
    check(text)


@SETTINGS
@given(st.lists(st.sampled_from(["1", "2", "3", "-1", "0", "1.0", "5", "nan", "x", "#", " ", "\t",
                                 "\n", "\r\n", "1e9"]), max_size=80))
def test_token_soup(tokens):
    check("".join(t if t in ("\n", "\r\n", " ", "\t") else t + " " for t in tokens))


number = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.floats(-1e3, 1e3), st.integers(-5, 5))


@st.composite
def swc_like(draw):
    n = draw(st.integers(1, 25))
    rows = []
    n_soma = draw(st.integers(0, 3))
    clean = draw(st.booleans())  # a well-formed tree (before the mutations below) or random rows
    for i in range(1, n + 1):
        valid = clean or draw(st.booleans())
        if i == 1:
            parent = -1
        elif valid:
            parent = draw(st.integers(1, i - 1))
        else:
            parent = draw(st.integers(-2, n + 2))
        stype = (1 if i <= n_soma else draw(st.integers(2, 6))) if valid else draw(st.integers(0, 8))
        xyz = [draw(st.floats(-100, 100)) for _ in range(3)]
        r = draw(st.floats(0.1, 5)) if valid else draw(number)
        rows.append([str(i), str(stype), *(repr(v) for v in xyz), repr(r), str(parent)])
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.sampled_from(rows))
        op = draw(st.sampled_from(["junk", "drop", "extra", "number", "id", "swap", "dup"]))
        k = draw(st.integers(0, max(len(row) - 1, 0)))
        if op == "junk" and row:
            row[k] = draw(st.sampled_from(JUNK))
        elif op == "drop" and row:
            del row[k]
        elif op == "extra":
            row.append(draw(st.sampled_from([*JUNK, "7"])))
        elif op == "number" and row:
            row[k] = repr(draw(number))
        elif op == "id" and row:
            row[0] = str(draw(st.integers(-3, n + 3)))
        elif op == "swap" and len(row) > k + 1:
            row[k], row[k + 1] = row[k + 1], row[k]
        elif op == "dup":
            rows.append(list(row))
    order = draw(st.permutations(range(len(rows))))
    sep = draw(st.sampled_from([" ", "\t", "  "]))
    lines = [sep.join(rows[i]) for i in order]
    if draw(st.booleans()):
        lines.insert(0, "# fuzzed SWC")
    return "\n".join(lines)


@SETTINGS
@given(swc_like())
def test_structured_mutations(text):
    check(text)


@SETTINGS
@given(swc_like())
def test_structured_mutations_with_options(text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            m = parse_swc_text(text, allow_no_soma=True, min_radius=0.05, unit="nm")
        except MorphologyError:
            return
    assert all(np.all(s.points[:, 3] >= 0.1 - 1e-12) for s in m.sections[1:])
