"""The simulation engine: integrators, compiled chunk kernels, ``simulate`` and ``Result``."""

import jax as _jax

# float64 by default (float32 HH rate functions hit 0/0 and lose spikes); float32 is an option
# of ``simulate``.
_jax.config.update("jax_enable_x64", True)

from .integrators import FIXED_STEP as FIXED_STEP  # noqa: E402
from .kernel import trace_counts as trace_counts  # noqa: E402
from .result import Result as Result  # noqa: E402
from .result import Spikes as Spikes  # noqa: E402
from .result import Status as Status  # noqa: E402
from .simulate import simulate as simulate  # noqa: E402
