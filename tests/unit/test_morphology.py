"""Morphology data model, SWC/ASC readers, builders, summary and plot.

Reader results are checked against independent numpy computations on the raw files (and, for
ASC, against MorphIO's own sections)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from neurodyn.errors import MorphologyError, ParameterError
from neurodyn.morphology import (
    Morphology,
    Section,
    ball_and_stick,
    cylinder,
    parse_swc_text,
    read_asc,
    read_morphology,
    read_swc,
    y_branch,
)

REF = Path(__file__).parents[1] / "reference_data" / "morphologies"
CA1 = REF / "morph_ca1_n120.swc"
ASC = REF / "C230998A-I3_-_Clone_9.asc"
FLY = REF / "morph_flywire_t4_720575940626407426.swc"
MALFORMED = REF / "malformed"


def check_invariants(m: Morphology) -> None:
    for i, s in enumerate(m.sections):
        assert (s.parent == -1) if i == 0 else (0 <= s.parent < i)
        assert s.points.ndim == 2 and s.points.shape[1] == 4 and s.points.shape[0] >= 2
        assert np.all(np.isfinite(s.points)) and np.all(s.points[:, 3] > 0)
        assert 0.0 <= s.parent_x <= 1.0
        assert not s.points.flags.writeable


def raw_swc(path: Path) -> dict[str, np.ndarray]:
    d = np.loadtxt(path)
    ids, par = d[:, 0].astype(int), d[:, 6].astype(int)
    index = {i: k for k, i in enumerate(ids)}
    pk = np.array([index.get(p, -1) for p in par])
    n_children = np.bincount(pk[pk >= 0], minlength=len(ids))
    return {"type": d[:, 1].astype(int), "xyz": d[:, 2:5], "r": d[:, 5], "pk": pk, "nch": n_children}


def frustum_area(h, r1, r2):
    return np.pi * (r1 + r2) * np.sqrt(h**2 + (r1 - r2) ** 2)


# ---------------------------------------------------------------- CA1 SWC (NeuroMorpho)
@pytest.fixture(scope="module")
def ca1() -> Morphology:
    return read_swc(CA1)


def test_ca1_topology_matches_raw_file(ca1):
    raw = raw_swc(CA1)
    t, pk, nch = raw["type"], raw["pk"], raw["nch"]
    neurite = t != 1
    has_parent = pk >= 0
    # a section starts at every neurite sample whose parent is soma, branches or has another type
    starts = neurite & has_parent & ((t[pk] == 1) | (nch[pk] >= 2) | (t[pk] != t))
    check_invariants(ca1)
    assert len(ca1.sections) == 1 + int(starts.sum())
    s = ca1.summary()
    assert s.n_branch_points == int(np.sum(neurite & (nch >= 2)))
    assert s.n_tips == int(np.sum(neurite & (nch == 0)))
    assert set(ca1.regions) == {"soma", "apical", "basal"}
    assert ca1.sections[0].name == "soma" and ca1.sections[0].region == "soma"
    # the soma is the line of all 12 type-1 samples (two chains leaving the root)
    assert len(ca1.sections[0].points) == int(np.sum(t == 1))


def test_ca1_lengths_and_area_match_numpy(ca1):
    raw = raw_swc(CA1)
    t, xyz, r, pk, nch = raw["type"], raw["xyz"], raw["r"], raw["pk"], raw["nch"]
    k = np.flatnonzero((pk >= 0) & (t != 1) & (t[np.maximum(pk, 0)] != 1))
    h = np.linalg.norm(xyz[k] - xyz[pk[k]], axis=1)
    s = ca1.summary()
    assert s.neurite_length == pytest.approx(h.sum(), rel=1e-12)
    soma = np.flatnonzero((pk >= 0) & (t == 1))
    h_soma = np.linalg.norm(xyz[soma] - xyz[pk[soma]], axis=1)
    assert s.length_by_region["soma"] == pytest.approx(h_soma.sum(), rel=1e-12)
    assert s.total_length == pytest.approx(h.sum() + h_soma.sum(), rel=1e-12)
    # area: the segment into a sample is a frustum from its parent's radius when it continues the
    # parent's section, else a cylinder of its own radius (child sections start with their radius)
    p = pk[k]
    cont = (nch[p] == 1) & (t[p] == t[k])
    area = frustum_area(h, np.where(cont, r[p], r[k]), r[k]).sum()
    area += frustum_area(h_soma, r[pk[soma]], r[soma]).sum()
    assert s.surface_area == pytest.approx(area, rel=1e-12)
    assert "µm²" in str(s) and "µm³" in str(s) and "µm" in str(s)


def test_ca1_section_conventions(ca1):
    raw = raw_swc(CA1)
    soma_children = {tuple(x) for x in raw["xyz"][(raw["type"] != 1) & (raw["type"][raw["pk"]] == 1)]}
    for s in ca1.sections[1:]:
        parent = ca1.sections[s.parent]
        if parent.region == "soma":
            # starts at its own first sample; no soma point prepended
            assert tuple(s.points[0, :3]) in soma_children
        else:
            assert s.parent_x == 1.0
            np.testing.assert_array_equal(s.points[0, :3], parent.points[-1, :3])
            assert s.points[0, 3] == s.points[1, 3]
    # children of the soma's root sample (the line's 4th point) attach at its arc fraction
    soma = ca1.sections[0]
    root_x = soma.arc[3] / soma.length
    xs = sorted({round(s.parent_x, 12) for s in ca1.sections if s.parent == 0})
    assert round(root_x, 12) in xs and 1.0 in xs


def test_ca1_depth_first_order_and_names(ca1):
    for i, s in enumerate(ca1.sections[1:], 1):
        # depth first: each section follows its parent's subtree start
        assert s.parent < i
    names = [s.name for s in ca1.sections]
    assert len(set(names)) == len(names)
    assert names[1].startswith(("apic[", "dend[")) and "apic[0]" in names and "dend[0]" in names


def test_read_swc_accepts_text_stream_and_path_string(ca1):
    text = CA1.read_text()
    m1 = read_swc(io.StringIO(text))
    m2 = read_swc(str(CA1))
    assert m1.summary().total_length == m2.summary().total_length == ca1.summary().total_length
    assert read_morphology(CA1).summary().n_sections == len(ca1.sections)


# ---------------------------------------------------------------- ASC via MorphIO
def test_asc_matches_morphio_sections():
    morphio = pytest.importorskip("morphio")
    m = read_asc(ASC)
    mm = morphio.Morphology(str(ASC))
    check_invariants(m)
    assert len(m.sections) == len(mm.sections) + 1
    expected = sum(float(np.linalg.norm(np.diff(s.points, axis=0), axis=1).sum()) for s in mm.sections)
    s = m.summary()
    assert s.neurite_length == pytest.approx(expected, rel=1e-6)
    assert s.n_branch_points == sum(len(x.children) >= 2 for x in mm.sections)
    assert s.n_tips == sum(len(x.children) == 0 for x in mm.sections)
    assert set(m.regions) == {"soma", "axon", "basal"}
    # soma: cylinder L = diam, lateral area 4 π r̄² (r̄: mean contour distance from the centre)
    soma = m.sections[0]
    rbar = np.mean(np.linalg.norm(mm.soma.points - mm.soma.center, axis=1))
    assert soma.length == pytest.approx(soma.points[0, 3], rel=1e-9)
    assert math.pi * soma.length * soma.points[0, 3] == pytest.approx(4 * math.pi * rbar**2, rel=1e-6)
    np.testing.assert_allclose(soma.points[:, :3].mean(axis=0), mm.soma.center, atol=1e-5)
    assert all(x.parent_x == 0.5 for x in m.sections if x.parent == 0)
    assert read_morphology(ASC).summary().n_sections == s.n_sections


# ---------------------------------------------------------------- FlyWire SWC (nm)
def test_flywire_nm_with_zero_radius_tips():
    raw = raw_swc(FLY)
    with pytest.raises(MorphologyError, match=r"line 502, sample 495: radius must be > 0"):
        read_swc(FLY, unit="nm")
    m = read_swc(FLY, scale=1e-3, min_radius=0.01, allow_no_soma=True)
    m_nm = read_swc(FLY, unit="nm", min_radius=0.01)
    check_invariants(m)
    s = m.summary()
    assert s.n_sections == m_nm.summary().n_sections and s.total_length == m_nm.summary().total_length
    # the file's labels 5 (fork) and 6 (end) mark exactly the branch points and tips
    assert s.n_branch_points == int(np.sum(raw["type"] == 5)) == int(np.sum(raw["nch"] >= 2))
    assert s.n_tips == int(np.sum(raw["type"] == 6))
    # one-point soma of radius 1533 nm
    np.testing.assert_allclose(m.sections[0].points[:, 3], 2 * 1.533)
    merged = read_swc(FLY, unit="nm", min_radius=0.01, relabel={5: 0, 6: 0})
    assert set(merged.regions) == {"soma", "undefined"}
    assert merged.summary().total_length == pytest.approx(s.total_length, rel=1e-12)


# ---------------------------------------------------------------- soma conventions
def test_one_point_soma_is_a_cylinder_with_sphere_area():
    m = parse_swc_text("1 1 1 2 3 5 -1\n2 3 1 7 3 1 1\n3 3 1 12 3 1 2\n")
    check_invariants(m)
    soma, dend = m.sections
    np.testing.assert_allclose(soma.points, [[1, -3, 3, 10], [1, 7, 3, 10]])
    assert m.summary().surface_area - dend_area(dend) == pytest.approx(4 * math.pi * 25)
    assert dend.parent == 0 and dend.parent_x == 0.5
    np.testing.assert_allclose(dend.points, [[1, 7, 3, 2], [1, 12, 3, 2]])
    assert m.path_distance(1, 1.0) == pytest.approx(5.0)


def dend_area(s: Section) -> float:
    p = s.points
    h = np.linalg.norm(np.diff(p[:, :3], axis=0), axis=1)
    return float(frustum_area(h, p[:-1, 3] / 2, p[1:, 3] / 2).sum())


def test_three_point_soma_same_cylinder():
    text = "1 1 0 0 0 4 -1\n2 1 0 -4 0 4 1\n3 1 0 4 0 4 1\n4 3 0 10 0 1 1\n5 2 0 -10 0 0.5 1\n"
    m = parse_swc_text(text)
    soma = m.sections[0]
    np.testing.assert_allclose(soma.points, [[0, -4, 0, 8], [0, 4, 0, 8]])
    assert dend_area(soma) == pytest.approx(4 * math.pi * 16)
    assert [s.region for s in m.sections] == ["soma", "basal", "axon"]
    assert [s.name for s in m.sections] == ["soma", "dend[0]", "axon[0]"]
    assert all(s.parent_x == 0.5 for s in m.sections[1:])


def test_chain_soma_attaches_at_arc_fraction():
    text = ("1 1 0 0 0 2 -1\n2 1 0 2 0 2 1\n3 1 0 6 0 2 2\n"
            "4 3 0 10 0 1 3\n5 3 0 14 0 1 4\n6 4 5 0 0 1 1\n7 4 9 0 0 1 6\n8 4 3 2 0 1 2\n")
    m = parse_swc_text(text)
    soma = m.sections[0]
    assert len(soma.points) == 3 and soma.length == pytest.approx(6.0)
    by_first = {tuple(s.points[0, :3]): s for s in m.sections[1:]}
    assert by_first[(0, 10, 0)].parent_x == pytest.approx(1.0)
    assert by_first[(5, 0, 0)].parent_x == pytest.approx(0.0)
    assert by_first[(0, 2, 0)].parent_x == pytest.approx(2 / 6)  # prepended: one-sample section
    np.testing.assert_allclose(by_first[(0, 2, 0)].points, [[0, 2, 0, 2], [3, 2, 0, 2]])


def test_type_change_splits_section_and_child_starts_at_parent_end():
    text = "1 1 0 0 0 3 -1\n2 3 0 5 0 2 1\n3 3 0 10 0 2 2\n4 4 0 15 0 1 3\n5 4 0 20 0 1 4\n"
    m = parse_swc_text(text)
    assert [s.name for s in m.sections] == ["soma", "dend[0]", "apic[0]"]
    np.testing.assert_allclose(m.sections[2].points, [[0, 10, 0, 2], [0, 15, 0, 2], [0, 20, 0, 2]])
    assert m.sections[2].parent == 1 and m.sections[2].parent_x == 1.0


def test_no_soma_option_and_root_branching():
    text = "1 3 0 0 0 1 -1\n2 3 5 0 0 1 1\n3 3 -5 0 0 1 1\n4 3 10 0 0 1 2\n"
    with pytest.raises(MorphologyError, match="no soma"):
        parse_swc_text(text)
    m = parse_swc_text(text, allow_no_soma=True)
    check_invariants(m)
    np.testing.assert_allclose(m.sections[0].points[:, 0], [0, 5, 10])
    assert m.sections[1].parent_x == 0.0
    assert m.summary().n_branch_points == 1 and m.summary().n_tips == 2


def test_samples_in_any_order_and_comments():
    text = "# header\n\n3 3 0 10 0 1 2  # inline comment\n\t2\t3\t0\t5\t0\t1\t1\n1 1 0 0 0 5 -1\n"
    m = parse_swc_text(text)
    assert len(m.sections) == 2 and m.sections[1].length == pytest.approx(5.0)


# ---------------------------------------------------------------- malformed corpus
MALFORMED_CASES = {
    "empty.swc": (None, None, "no samples"),
    "wrong_field_count.swc": (4, 3, "expected 7 fields"),
    "extra_columns.swc": (3, 2, "got 8"),
    "non_numeric_field.swc": (4, 3, "column 4 (y) must be a number"),
    "non_integer_parent.swc": (5, 4, "column 7 (parent) must be an integer"),
    "duplicate_id.swc": (5, 3, "duplicate sample id 3"),
    "unknown_parent.swc": (5, 4, "parent id 99 does not exist"),
    "cycle.swc": (3, 2, "cycle"),
    "zero_radius.swc": (4, 3, "radius must be > 0"),
    "negative_radius.swc": (5, 4, "radius must be > 0"),
    "no_soma.swc": (None, None, "no soma"),
    "two_roots.swc": (6, 5, "disconnected"),
    "nan_coordinate.swc": (4, 3, "must be finite"),
    "infinite_coordinate.swc": (5, 4, "must be finite"),
    "branching_soma.swc": (2, 1, "soma branches"),
    "root_not_soma.swc": (2, 1, "soma must contain the root"),
    "unbalanced.asc": (None, None, "MorphIO cannot read it"),
}


def test_malformed_corpus_is_complete_and_documented():
    files = {p.name for p in MALFORMED.iterdir() if p.name != "README.md"}
    assert files == set(MALFORMED_CASES) and len(files) >= 8
    readme = (MALFORMED / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in files)


@pytest.mark.parametrize("name", sorted(MALFORMED_CASES))
def test_malformed_file_raises_named_error(name):
    line, sample, text = MALFORMED_CASES[name]
    if name.endswith(".asc"):
        pytest.importorskip("morphio")
    with pytest.raises(MorphologyError) as exc:
        read_morphology(MALFORMED / name)
    msg = str(exc.value)
    assert name in msg and text in msg and "Fix:" in msg
    assert exc.value.line == line and exc.value.sample == sample
    if line is not None:
        assert f"line {line}, sample {sample}:" in msg


def test_malformed_zero_radius_and_no_soma_have_options():
    assert read_swc(MALFORMED / "zero_radius.swc", min_radius=0.1).sections[1].points[1, 3] == 0.2
    assert read_swc(MALFORMED / "no_soma.swc", allow_no_soma=True).regions == ("basal",)


def test_bad_reader_options():
    with pytest.raises(ParameterError, match="scale"):
        read_swc(CA1, scale=-1)
    with pytest.raises(ParameterError, match="unit"):
        read_swc(CA1, unit="furlong")
    with pytest.raises(ParameterError, match="min_radius"):
        read_swc(CA1, min_radius=0)
    with pytest.raises(MorphologyError, match="unknown file type"):
        read_morphology(REF / "README.md")


# ---------------------------------------------------------------- scaling
def test_scaling_readers_and_method(ca1):
    s1 = ca1.summary()
    s2 = ca1.scaled(2.0).summary()
    assert s2.total_length == pytest.approx(2 * s1.total_length)
    assert s2.surface_area == pytest.approx(4 * s1.surface_area)
    assert s2.volume == pytest.approx(8 * s1.volume)
    s3 = read_swc(CA1, scale=2.0).summary()
    assert s3.surface_area == pytest.approx(s2.surface_area, rel=1e-12)
    s4 = read_swc(CA1, scale=1e3, unit="nm").summary()  # they multiply
    assert s4.total_length == pytest.approx(s1.total_length, rel=1e-12)
    with pytest.raises(ParameterError):
        ca1.scaled(0)


# ---------------------------------------------------------------- builders
def test_ball_and_stick_path_distance_and_area():
    m = ball_and_stick(soma_diameter=20, dendrite_length=200, dendrite_diameter=2)
    check_invariants(m)
    assert [s.name for s in m.sections] == ["soma", "dend[0]"]
    assert m.path_distance(1, 1.0) == pytest.approx(200.0)
    assert m.path_distance(1, 0.25) == pytest.approx(50.0)
    assert m.path_distance(0, 0.0) == pytest.approx(10.0)
    assert m.path_distance(0, 0.5) == 0.0
    s = m.summary()
    assert s.surface_area == pytest.approx(math.pi * 20 * 20 + math.pi * 2 * 200)
    assert s.volume == pytest.approx(math.pi * 100 * 20 + math.pi * 1 * 200)
    assert s.max_path_length == pytest.approx(200.0)
    assert s.n_tips == 1 and s.n_branch_points == 0


def test_y_branch_and_cylinder():
    m = y_branch(trunk_length=100, trunk_diameter=2, branch_length=50, branch_diameter=1)
    check_invariants(m)
    assert m.children(0) == (1, 2)
    assert m.path_distance(2, 1.0) == pytest.approx(50.0 + 50.0)  # from the trunk's midpoint
    assert m.sections[1].length == pytest.approx(50.0)
    s = m.summary()
    assert s.n_branch_points == 1 and s.n_tips == 2 and s.total_length == pytest.approx(200.0)
    c = cylinder(length=30, diameter=4, region="axon")
    assert c.sections[0].name == "axon[0]" and c.summary().surface_area == pytest.approx(math.pi * 120)
    assert cylinder().sections[0].name == "soma"


@pytest.mark.parametrize(("func", "kwargs"), [
    (cylinder, {"length": 0}),
    (cylinder, {"diameter": -1}),
    (cylinder, {"region": "leg"}),
    (ball_and_stick, {"dendrite_length": float("nan")}),
    (y_branch, {"branch_diameter": "thick"}),
    (y_branch, {"angle": 200}),
])
def test_builders_reject_bad_values(func, kwargs):
    with pytest.raises(ParameterError, match="Fix:"):
        func(**kwargs)


# ---------------------------------------------------------------- data model
def test_section_and_morphology_validation():
    with pytest.raises(MorphologyError, match="n >= 2"):
        Section("s", "soma", np.zeros((1, 4)), -1, 0.0)
    with pytest.raises(MorphologyError, match="diameters"):
        Section("s", "soma", [[0, 0, 0, 1], [1, 0, 0, 0]], -1, 0.0)
    s = Section("s", "soma", [[0, 0, 0, 1], [3, 4, 0, 1]], -1, 0.0)
    assert s.length == 5.0 and list(s.arc) == [0.0, 5.0]
    with pytest.raises(ValueError):
        s.points[0, 0] = 1.0
    with pytest.raises(MorphologyError, match="parent"):
        Morphology((s, Section("d", "basal", [[0, 0, 0, 1], [1, 0, 0, 1]], 1, 1.0)))
    assert ball_and_stick() == ball_and_stick() and hash(ball_and_stick()) == hash(ball_and_stick())
    with pytest.raises(ParameterError):
        ball_and_stick().path_distance(5, 0.5)


# ---------------------------------------------------------------- plot
def test_plot_returns_axes_with_units_and_colorbar(ca1):
    from matplotlib.axes import Axes

    ax = ca1.plot()
    assert isinstance(ax, Axes) and "µm" in ax.get_xlabel() and "µm" in ax.get_ylabel()
    values = np.linspace(-70, 20, len(ca1.sections))
    ax2 = ca1.plot(projection="xz", values=values, label="V (mV)")
    assert len(ax2.figure.axes) == 2  # the colorbar
    assert ax2.get_ylabel() == "z (µm)"
    with pytest.raises(ParameterError, match="one entry per section"):
        ca1.plot(values=[1.0, 2.0])
    with pytest.raises(ParameterError, match="projection"):
        ca1.plot(projection="xw")
