"""Synaptic plasticity: short-term (Tsodyks–Markram)."""

from .tsodyks_markram import TsodyksMarkram as TsodyksMarkram

__all__ = ["TsodyksMarkram"]
