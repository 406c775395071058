"""neurodyn.fitting.recordings: Sweep/Recording validation, the readers (ABF, NWB, NPZ, CSV) on
real recordings from tests/reference_data/ephys, the liquid-junction potential, and every
bad-input error."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import numpy as np
import pytest

from neurodyn.errors import NeurodynError, ParameterError, UnitError
from neurodyn.fitting import (
    Protocol,
    Recording,
    RecordingError,
    Sweep,
    from_arrays,
    read_abf,
    read_csv,
    read_npz,
    read_nwb,
)

ABF = "ephys/pyabf/17o05028_ic_steps.abf"
ABF_STIM = "ephys/pyabf/17o05028_ic_steps_stimulus.csv"
B6 = "ephys/bluepyefe_B6/B6_IDRest.npz"
B6_CSV = "ephys/bluepyefe_B6/B6_IDRest_sweeps.csv"


def _sweep(n=100, dt=0.1, **kw):
    t = np.arange(n) * dt
    return Sweep(kw.pop("t", t), kw.pop("v", np.full(n, -70.0)), kw.pop("i", np.zeros(n)), **kw)


def _fix(exc_info):
    msg = str(exc_info.value)
    assert "Fix:" in msg, msg
    return msg


# ----------------------------------------------------------------------------- ABF (pyabf)
@pytest.fixture(scope="module")
def abf_rec(reference_dir):
    pytest.importorskip("pyabf", reason="pyabf is not installed (pip install 'neurodyn[fitting]')")
    return read_abf(reference_dir / ABF)


def test_read_abf_real_file(abf_rec):
    rec = abf_rec
    assert len(rec) == 16 and rec.names[0] == "sweep 0"
    assert rec.dt == 0.05  # 20 kHz
    assert rec.n_samples == 60000
    sw = rec[3]
    assert sw.t[0] == 0.0 and sw.t[-1] == pytest.approx(2999.95, abs=1e-9)
    np.testing.assert_array_equal(sw.t, np.arange(60000) * 0.05)
    assert -100 < np.median(sw.v) < -40  # mV, resting potential
    assert sw.meta["protocol"].startswith("0112 steps dual")
    assert rec.cell == "17o05028_ic_steps"
    # command current in pA: -20 pA steps and the -50 pA pulse in sweep 3
    assert set(np.unique(sw.i)) == {-50.0, -20.0, 0.0}


def _csv_epochs(path):
    out = []
    with open(path) as fh:
        for row in csv.DictReader(fh):
            eps = []
            for part in row["epochs_nonzero_cmd"].split(";"):
                times, amp = part.split(":")
                a, b = times.rstrip("s").split("-")
                eps.append((float(a) * 1e3, float(b) * 1e3, float(amp.removesuffix("pA"))))
            out.append((int(row["sweep"]), int(row["n_samples"]), int(row["sample_rate_hz"]), eps))
    return out


def test_abf_epochs_equal_the_derived_stimulus_csv(abf_rec, reference_dir):
    protocol = Protocol.from_recording(abf_rec)
    table = _csv_epochs(reference_dir / ABF_STIM)
    assert len(table) == protocol.n_sweeps == 16
    for sweep, n, rate, eps in table:
        assert n == abf_rec[sweep].n_samples and 1e3 / rate == abf_rec.dt
        got = protocol.epochs[sweep]
        assert len(got) == len(eps), (sweep, got, eps)
        for (a, b, amp), e in zip(eps, got):
            assert abs(e.start - a) <= abf_rec.dt and abs(e.stop - b) <= abf_rec.dt
            assert e.amplitude == amp
    # the command current is exactly the protocol's current at every sample
    np.testing.assert_array_equal(protocol.currents(), abf_rec.currents())


def test_read_abf_selection_and_errors(abf_rec, reference_dir):
    rec = read_abf(reference_dir / ABF, sweeps=[0, 15], ljp=10.0)
    assert rec.names == ("sweep 0", "sweep 15") and rec.ljp == 10.0
    np.testing.assert_array_equal(rec[1].v, abf_rec[15].v)
    with pytest.raises(RecordingError, match="channel must be an ADC channel") as e:
        read_abf(reference_dir / ABF, channel=1)
    _fix(e)
    with pytest.raises(RecordingError, match="out of range") as e:
        read_abf(reference_dir / ABF, sweeps=[16])
    _fix(e)
    with pytest.raises(RecordingError, match="file not found") as e:
        read_abf(reference_dir / "ephys/missing.abf")
    _fix(e)


class _FakeABF:
    """Stands in for pyabf.ABF with chosen units (a voltage-clamp file, a file in volts)."""

    def __init__(self, units_y="pA", units_c="mV", scale_x="sec"):
        self.sweepCount, self.channelCount, self.adcNames = 1, 1, ["IN 0"]
        self.sweepUnitsY, self.sweepUnitsC, self.sweepUnitsX = units_y, units_c, scale_x
        self.sweepLabelY, self.sweepLabelC = "Clamp current", "Command"
        self.protocol, self.abfID, self.abfDateTime, self.sampleRate = "vc", "fake", "", 20000
        self.abfVersionString = "2.0"
        self.sweepX = np.arange(100) / 20000
        self.sweepY = np.zeros(100)
        self.sweepC = np.zeros(100)

    def setSweep(self, sweep, channel=0):
        pass


@pytest.mark.parametrize("units_y, units_c, match", [
    ("pA", "mV", "voltage-clamp"),      # a voltage-clamp recording
    ("mV", "mV", "command waveform"),   # a voltage command
    ("?", "pA", "unknown unit"),
])
def test_read_abf_rejects_wrong_units(monkeypatch, reference_dir, units_y, units_c, match):
    pyabf = pytest.importorskip("pyabf")
    monkeypatch.setattr(pyabf, "ABF", lambda path: _FakeABF(units_y, units_c))
    with pytest.raises(UnitError, match=match) as e:
        read_abf(reference_dir / ABF)
    _fix(e)


def test_read_abf_converts_compatible_units(monkeypatch, reference_dir):
    pyabf = pytest.importorskip("pyabf")
    fake = _FakeABF("V", "nA")
    fake.sweepY = np.full(100, -0.07)
    fake.sweepC = np.full(100, 0.05)
    monkeypatch.setattr(pyabf, "ABF", lambda path: fake)
    rec = read_abf(reference_dir / ABF)
    np.testing.assert_allclose(rec[0].v, -70.0)
    np.testing.assert_array_equal(rec[0].i, 50.0)
    assert rec.dt == 0.05


# ----------------------------------------------------------------------------- B6 (npz) and LJP
def test_read_npz_bluepyefe_b6(reference_dir):
    rec = read_npz(reference_dir / B6)
    assert len(rec) == 5 and rec.names == ("181", "182", "183", "184", "185")
    assert rec.dt == 0.25 and rec.n_samples == 12000  # 4 kHz, 3 s
    assert rec.ljp == 14.0 and rec.meta["stim_start_ms"] == 700.0
    # from_arrays with the npz content is the same recording
    d = np.load(reference_dir / B6)
    rec2 = from_arrays(d["t_ms"], d["voltage_mV"], d["current_pA"], ljp=14.0,
                       names=[str(x) for x in d["sweep_ids"]])
    np.testing.assert_array_equal(rec2.voltages(), rec.voltages())
    np.testing.assert_array_equal(rec2.currents(), d["current_pA"].astype(float))


def test_b6_step_levels_match_the_sweeps_csv(reference_dir):
    rec = read_npz(reference_dir / B6)
    protocol = Protocol.from_recording(rec, tolerance_pA=20.0)
    with open(reference_dir / B6_CSV) as fh:
        rows = list(csv.DictReader(fh))
    for eps, row in zip(protocol.epochs, rows):
        assert len(eps) == 3  # holding, step, holding
        hold, step, after = eps
        assert abs(step.start - 700.0) <= rec.dt and abs(step.stop - 2700.0) <= rec.dt
        assert hold.start == 0.0 and after.stop == rec.n_samples * rec.dt
        assert step.amplitude == pytest.approx(float(row["mean_recorded_current_700_2700ms_pA"]), abs=0.5)
        assert hold.amplitude == pytest.approx(float(row["mean_recorded_current_0_700ms_pA"]), abs=0.5)
    assert "105.3" in protocol.describe()
    assert protocol.detection["tolerance_pA"] == 20.0


def test_liquid_junction_potential_sign_convention(reference_dir):
    rec = read_npz(reference_dir / B6)
    cor = rec.corrected()  # V_corrected = V_recorded - LJP (BluePyEfe)
    np.testing.assert_allclose(cor.voltages(), rec.voltages() - 14.0)
    np.testing.assert_array_equal(cor.currents(), rec.currents())
    assert cor.ljp == 0.0 and cor.meta["ljp_corrected_mV"] == 14.0
    assert rec.ljp == 14.0  # the original is unchanged
    cor2 = rec.corrected(ljp=10.0)
    np.testing.assert_allclose(cor2.voltages(), rec.voltages() - 10.0)
    assert cor2.ljp == pytest.approx(4.0)
    with pytest.raises(RecordingError, match="no liquid-junction potential") as e:
        from_arrays(None, np.zeros(10), np.zeros(10), dt_ms=0.1).corrected()
    _fix(e)


def test_recording_select_and_sampling(reference_dir):
    rec = read_npz(reference_dir / B6)
    assert rec.select([4, 0]).names == ("185", "181")
    assert rec.select(slice(1, 3)).names == ("182", "183")
    assert rec.select(2).names == ("183",)
    with pytest.raises(RecordingError, match="out of range") as e:
        rec.select([5])
    _fix(e)
    mixed = Recording((rec[0], _sweep(dt=0.1, name="other")))
    with pytest.raises(RecordingError, match="different sampling intervals") as e:
        _ = mixed.dt
    _fix(e)
    with pytest.raises(RecordingError, match="different lengths") as e:
        _ = Recording((_sweep(100), _sweep(50))).n_samples
    _fix(e)
    with pytest.raises(RecordingError, match="no sweeps") as e:
        Recording(())
    _fix(e)


# ----------------------------------------------------------------------------- NWB (pynwb)
def _write_nwb(path, *, table=True, with_stimulus=True):
    pytest.importorskip("pynwb", reason="pynwb is not installed (pip install 'neurodyn[fitting]')")
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries

    nwb = NWBFile(session_description="neurodyn test", identifier="cell42",
                  session_start_time=datetime(2024, 1, 1, tzinfo=UTC))
    dev = nwb.create_device(name="amplifier")
    el = nwb.create_icephys_electrode(name="e0", description="whole-cell", device=dev)
    rng = np.random.default_rng(0)
    v_all, i_all = [], []
    for s in range(3):
        i_pA = np.zeros(400)
        i_pA[100:300] = 25.0 * (s + 1)
        v_mV = -70.0 + rng.normal(size=400)
        v_all.append(v_mV)
        i_all.append(i_pA)
        # stored in the file as mV and pA through NWB's `conversion` to volts and amperes
        resp = CurrentClampSeries(name=f"resp{s}", data=v_mV, starting_time=0.0, rate=20000.0,
                                  electrode=el, gain=1.0, conversion=1e-3, sweep_number=np.uint32(s))
        stim = CurrentClampStimulusSeries(name=f"stim{s}", data=i_pA, starting_time=0.0,
                                          rate=20000.0, electrode=el, gain=1.0, conversion=1e-12,
                                          sweep_number=np.uint32(s))
        if table:
            nwb.add_intracellular_recording(electrode=el, stimulus=stim, response=resp)
        else:
            nwb.add_acquisition(resp)
            if with_stimulus:
                nwb.add_stimulus(stim)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return np.array(v_all), np.array(i_all)


@pytest.mark.parametrize("table", [True, False], ids=["icephys-table", "sweep-number"])
def test_nwb_round_trip(tmp_path, table):
    path = tmp_path / "cell.nwb"
    v, i = _write_nwb(path, table=table)
    rec = read_nwb(path)
    assert len(rec) == 3 and rec.cell == "cell42"
    assert rec.names == ("resp0", "resp1", "resp2")
    assert rec.dt == 0.05
    np.testing.assert_allclose(rec.voltages(), v, rtol=1e-12)
    np.testing.assert_allclose(rec.currents(), i, rtol=1e-12)
    protocol = Protocol.from_recording(rec)
    assert [e[0].amplitude for e in protocol.epochs] == pytest.approx([25.0, 50.0, 75.0])
    assert protocol.epochs[0][0][:2] == pytest.approx((5.0, 15.0))


def test_nwb_response_without_stimulus(tmp_path):
    path = tmp_path / "cell.nwb"
    _write_nwb(path, table=False, with_stimulus=False)
    with pytest.raises(RecordingError, match="no matching CurrentClampStimulusSeries") as e:
        read_nwb(path)
    _fix(e)


# ----------------------------------------------------------------------------- CSV
def test_csv_round_trip_and_unit_columns(tmp_path):
    rng = np.random.default_rng(1)
    t = np.arange(50) * 0.1
    v = -65 + rng.normal(size=(2, 50))
    i = np.zeros((2, 50))
    i[:, 10:30] = [[10.0], [20.0]]
    path = tmp_path / "rec.csv"
    with path.open("w") as fh:
        fh.write("# exported by a test\nt_ms,v_mV,i_pA,sweep\n")
        for s in range(2):
            for k in range(50):
                fh.write(f"{float(t[k])!r},{float(v[s, k])!r},{float(i[s, k])!r},s{s}\n")
    rec = read_csv(path)
    assert rec.names == ("s0", "s1") and rec.dt == 0.1
    np.testing.assert_array_equal(rec.voltages(), v)
    np.testing.assert_array_equal(rec.currents(), i)
    # other units are converted when the column names say so
    path2 = tmp_path / "si.csv"
    with path2.open("w") as fh:
        fh.write("t_s,v_V,i_nA\n")
        for k in range(50):
            fh.write(f"{float(t[k]) / 1e3!r},{float(v[0, k]) / 1e3!r},{float(i[0, k]) / 1e3!r}\n")
    rec2 = read_csv(path2)
    assert len(rec2) == 1 and rec2.dt == 0.1
    np.testing.assert_allclose(rec2[0].v, v[0], rtol=1e-12)
    np.testing.assert_allclose(rec2[0].i, i[0], rtol=1e-12)


@pytest.mark.parametrize("header, row, exc, match", [
    ("t_ms,v_mV,i_furlong", "0,1,2", UnitError, "unknown unit 'furlong'"),
    ("t_ms,v_pA,i_pA", "0,1,2", UnitError, "must be a voltage"),
    ("t_ms,v_mV", "0,1", RecordingError, "missing column"),
    ("t_ms,v_mV,i_pA", "0,x,2", RecordingError, "non-numeric"),
    ("t_ms,v_mV,i_pA", "0,1", RecordingError, "2 fields for 3 columns"),
])
def test_csv_errors(tmp_path, header, row, exc, match):
    path = tmp_path / "bad.csv"
    path.write_text(f"{header}\n{row}\n{row}\n")
    with pytest.raises(exc, match=match) as e:
        read_csv(path)
    _fix(e)


# ----------------------------------------------------------------------------- validation errors
def test_sweep_is_stored_on_an_exact_uniform_grid():
    t32 = (np.arange(12000) * 0.25).astype(np.float32) + np.float32(1e-4)
    sw = Sweep(t32, np.zeros(12000), np.zeros(12000))
    assert sw.dt == 0.25
    np.testing.assert_array_equal(sw.t, float(t32[0]) + np.arange(12000) * 0.25)
    assert sw.duration == 3000.0 and sw.n_samples == 12000


def test_sweep_errors_name_the_problem():
    n = 100
    with pytest.raises(RecordingError, match=r"same length.*len\(v\) = 99") as e:
        _sweep(v=np.zeros(n - 1))
    _fix(e)
    t = np.arange(n) * 0.1
    t[50:] += 0.03  # a gap
    with pytest.raises(RecordingError, match="uniformly sampled") as e:
        _sweep(t=t)
    msg = _fix(e)
    assert "largest deviation from the median interval (0.1 ms) is 0.03 ms, between samples 49 and 50" in msg
    with pytest.raises(RecordingError, match="strictly increasing") as e:
        _sweep(t=np.r_[np.arange(50) * 0.1, np.arange(50) * 0.1])
    _fix(e)
    for key in ("t", "v", "i"):
        arr = np.arange(n) * 0.1 if key == "t" else np.zeros(n)
        arr[7] = np.nan
        with pytest.raises(RecordingError, match=rf"\.{key} contains 1 NaN/Inf.*sample 7") as e:
            _sweep(**{key: arr})
        _fix(e)
    with pytest.raises(RecordingError, match="must be 1-D") as e:
        _sweep(v=np.zeros((2, n)))
    _fix(e)
    with pytest.raises(RecordingError, match="at least 2 samples") as e:
        _sweep(n=1)
    _fix(e)
    with pytest.raises(RecordingError, match=r"\.i is required") as e:
        _sweep(i=None)
    _fix(e)


def test_from_arrays_errors_and_units():
    v, i = np.zeros((2, 10)), np.zeros((2, 10))
    rec = from_arrays(np.arange(10) * 1e-4, v * 1e-3, i + 1e-3, units={"t": "s", "v": "V", "i": "nA"})
    assert rec.dt == 0.1
    np.testing.assert_array_equal(rec.currents(), 1.0)
    with pytest.raises(UnitError, match="unknown unit 'parsec'") as e:
        from_arrays(np.arange(10), v, i, units={"t": "parsec"})
    _fix(e)
    with pytest.raises(UnitError, match="must be a current") as e:
        from_arrays(np.arange(10), v, i, units={"i": "mV"})
    _fix(e)
    with pytest.raises(ParameterError, match="unknown key") as e:
        from_arrays(np.arange(10), v, i, units={"x": "mV"})
    _fix(e)
    with pytest.raises(RecordingError, match="sweep") as e:
        from_arrays(np.arange(10), v, np.zeros((3, 10)))
    _fix(e)
    with pytest.raises(ParameterError, match="dt_ms") as e:
        from_arrays(None, v, i)
    _fix(e)
    with pytest.raises(RecordingError, match="same length") as e:
        from_arrays(np.arange(9), v, i)
    _fix(e)
    assert issubclass(RecordingError, NeurodynError) and issubclass(RecordingError, ValueError)


def test_protocol_without_any_stimulus_epoch():
    rec = from_arrays(None, np.full((3, 100), -70.0), np.zeros((3, 100)), dt_ms=0.1, source="zeros.abf")
    with pytest.raises(RecordingError, match="protocol has no stimulus") as e:
        Protocol.from_recording(rec)
    msg = _fix(e)
    assert "zeros.abf" in msg and "3 sweep(s)" in msg


def test_noisy_current_needs_a_tolerance(reference_dir):
    rec = read_npz(reference_dir / B6).select([0])
    with pytest.raises(RecordingError, match="not a piecewise-constant command") as e:
        Protocol.from_recording(rec)
    msg = _fix(e)
    assert "tolerance_pA" in msg and "noise SD is about 3.28 pA" in msg
