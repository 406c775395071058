"""Shared test fixtures. Tests never read ../shared: reference data live in tests/reference_data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
# JAX's persistent compilation cache (neurodyn.engine.CACHE_DIR) is off in the suite unless
# NEURODYN_CACHE_DIR is set: the suite neither reads nor fills the user's cache. Subprocesses
# started by tests inherit the setting; the test of neurodyn's stored network kernels gives its
# own a directory.
os.environ.setdefault("NEURODYN_CACHE_DIR", "off")
# Under pytest-xdist (`pytest -n auto`), each worker gets its share of the cores: PyTorch (sbi)
# and OpenMP/BLAS otherwise start one thread per core in every worker, and the workers' spinning
# threads slow each other down (the NPE calibration test took 604 s instead of about 200 s).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // _WORKERS)))

REFERENCE = Path(__file__).parent / "reference_data"


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, run the slow validation tests first (in their file order), so that
    no worker starts a minutes-long fit after the others have run out of work. xdist hands each
    worker a contiguous block of tests at the start; ``--dist worksteal`` (the README's
    command) then lets an idle worker take over half of another's queue."""
    if _WORKERS > 1:
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Release the compiled programs of a test module when it ends (neurodyn.engine.caches).

    Each compiled XLA program holds memory mappings; a pytest-xdist worker runs about 400 tests
    in one process and, keeping every program, reached Linux's limit of 65,530 mappings near the
    end of the suite: the worker then died in native code (LLVM "Unable to allocate section
    memory" and an abort in backend_compile_and_load, or a segmentation fault in JAX's cache
    read). Seven full runs of 2026-11-26..28 lost a worker; the five with a traceback died in
    one of these two ways, the core of the last had 65,531 mappings, and both crashes were
    reproduced by filling a process's mappings up to the limit. Released after each module, a
    worker's mappings peaked at about 10,100 in a full run (in tests/conformance/test_models)."""
    yield
    if "neurodyn.engine" in sys.modules:  # (importing any part of neurodyn imports it)
        sys.modules["neurodyn.engine"].clear_caches()


@pytest.fixture(autouse=True)
def _close_figures():
    """Close matplotlib figures a test left open (pyplot keeps them alive)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


def _neuron_mechanism_order() -> list[str]:
    from neuron import h

    mt = h.MechanismType(0)
    name = h.ref("")
    out = []
    for i in range(int(mt.count())):
        mt.select(i)
        mt.selected(name)
        out.append(name[0])
    return out


@pytest.fixture(scope="session")
def nrn_mechanisms(tmp_path_factory) -> list[str]:
    """Compile the NMODL peers of tests/peers/mod once per session and load them into NEURON;
    returns NEURON's mechanism order. Skips when NEURON or a compiler is missing."""
    import shutil
    import subprocess
    import sys

    pytest.importorskip("neuron", reason="NEURON is not installed (pip install neuron)")
    mod_dir = Path(__file__).parent / "peers" / "mod"
    wanted = {f.stem for f in mod_dir.glob("nd_*.mod")}
    if wanted <= set(_neuron_mechanism_order()):  # already loaded in this process
        return _neuron_mechanism_order()
    exe = shutil.which("nrnivmodl") or str(Path(sys.executable).parent / "nrnivmodl")
    if not Path(exe).exists():
        pytest.skip("nrnivmodl not found (it comes with `pip install neuron`); cannot compile "
                    "the NMODL peers")
    out = tmp_path_factory.mktemp("nd_nrnmech")
    for f in sorted(mod_dir.glob("nd_*.mod")):
        shutil.copy(f, out / f.name)
    try:
        proc = subprocess.run([exe], cwd=out, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PATH": f"{Path(exe).parent}:{os.environ['PATH']}"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"nrnivmodl could not run ({exc}); cannot compile the NMODL peers")
    if proc.returncode != 0:
        pytest.skip("nrnivmodl failed to compile tests/peers/mod (a C++ compiler and make are "
                    f"needed):\n{(proc.stdout + proc.stderr)[-2000:]}")
    import neuron

    if not neuron.load_mechanisms(str(out)):
        pytest.skip(f"neuron.load_mechanisms({out}) failed")
    order = _neuron_mechanism_order()
    missing = wanted - set(order)
    assert not missing, f"compiled but not registered: {missing}"
    return order
