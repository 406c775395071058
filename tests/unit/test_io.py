import h5py
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.io import load_result


def test_hdf5_roundtrip_with_sonata_spikes(tmp_path):
    hh = nd.models.HodgkinHuxley()
    r = nd.simulate(hh, 40.0, 0.01, stimulus=nd.stimuli.Step(amplitude=0.0, start=5.0),
                    batch={"stimulus.amplitude": np.array([0.0, 8.0, 15.0])}, record=["v", "n"],
                    record_dt=0.1)
    path = r.save(tmp_path / "r.h5")
    back = load_result(path)
    assert back.batch_shape == (3,)
    np.testing.assert_array_equal(back.trace("v"), r.trace("v"))
    np.testing.assert_array_equal(back.spikes.times, r.spikes.times)
    np.testing.assert_array_equal(back.spike_counts(), r.spike_counts())
    np.testing.assert_array_equal(back.batch["stimulus.amplitude"], [0.0, 8.0, 15.0])
    assert back.provenance == r.provenance and back.units == r.units
    # SONATA spike-file layout: /spikes/<population>/{timestamps, node_ids}, sorting attribute
    with h5py.File(path, "r") as f:
        g = f["spikes/HodgkinHuxley"]
        assert g.attrs["sorting"] == "by_time"
        assert g["timestamps"].attrs["units"] == "ms"
        assert g["node_ids"].dtype == np.uint64
        assert np.all(np.diff(g["timestamps"][()]) >= 0)


def test_load_rejects_foreign_files(tmp_path):
    p = tmp_path / "x.h5"
    with h5py.File(p, "w") as f:
        f["a"] = 1
    with pytest.raises(ValueError, match="not a neurodyn result"):
        load_result(p)
