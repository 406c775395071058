"""Shared test fixtures. Tests never read ../shared: reference data live in tests/reference_data."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

REFERENCE = Path(__file__).parent / "reference_data"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
