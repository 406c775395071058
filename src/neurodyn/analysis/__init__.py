"""Analysis of simulated (or recorded) activity: rates, ISI statistics, f–I curves, rheobase."""

from .excitability import FICurve as FICurve
from .excitability import fi_curve as fi_curve
from .excitability import rheobase as rheobase
from .spikes import adaptation_index as adaptation_index
from .spikes import firing_rate as firing_rate
from .spikes import isi as isi
from .spikes import isi_stats as isi_stats

__all__ = ["FICurve", "adaptation_index", "fi_curve", "firing_rate", "isi", "isi_stats",
           "rheobase"]
