"""Synaptic plasticity: short-term (Tsodyks–Markram) and spike-timing-dependent (pair-based and
triplet STDP)."""

from .stdp import STDP as STDP
from .tsodyks_markram import TsodyksMarkram as TsodyksMarkram

__all__ = ["STDP", "TsodyksMarkram"]
