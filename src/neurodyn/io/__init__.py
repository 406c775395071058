"""Input/output: results in HDF5 (spikes in the SONATA layout), TOML simulation specs."""

from .hdf5 import load_result as load_result
from .hdf5 import save_result as save_result
