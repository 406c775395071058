"""neurodyn: physiologically grounded neural simulation on JAX.

Describe a model, simulate it, analyse the result::

    import neurodyn as nd
    res = nd.simulate(nd.models.HodgkinHuxley(), t_stop=100, dt=0.01,
                      stimulus=nd.stimuli.Step(amplitude=10, start=10, stop=90))
    res.spike_times(), res.trace("v")
"""

from . import analysis as analysis
from . import cable as cable
from . import channels as channels
from . import errors as errors
from . import models as models
from . import morphology as morphology
from . import network as network
from . import plotting as plotting
from . import stimuli as stimuli
from . import synapses as synapses
from . import units as units
from ._version import __version__ as __version__
from .citation import citation as citation
from .engine import Result as Result
from .engine import Status as Status
from .engine import simulate as simulate
from .models import SpikeDetector as SpikeDetector
from .sweep import grid as grid

__all__ = ["Result", "SpikeDetector", "Status", "__version__", "analysis", "cable", "channels",
           "citation", "errors", "grid", "models", "morphology", "network", "plotting", "simulate",
           "stimuli", "synapses", "units"]
