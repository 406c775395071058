"""Helpers shared by the benchmark scripts (pinning, statistics, machine state, finding peers)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def parse_cores(spec: str) -> set[int] | None:
    """'all' -> None (no pinning); '0' / '0,2' / '0-3' -> a set of core ids."""
    if spec.strip().lower() == "all":
        return None
    cores: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            cores.update(range(int(lo), int(hi) + 1))
        elif part:
            cores.add(int(part))
    if not cores:
        raise SystemExit(f"--cores: no cores in {spec!r}")
    return cores


def pin(cores: set[int] | None) -> None:
    """Pin this process (and its future subprocesses) to ``cores``; call before numpy/JAX are
    imported so that XLA and BLAS size their thread pools to them. ``None``: no pinning."""
    if cores is None:
        return
    try:
        os.sched_setaffinity(0, cores)
    except OSError as exc:
        raise SystemExit(f"cannot pin to cores {sorted(cores)}: {exc}") from exc
    if len(cores) == 1:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")


def med_min_max(xs: list[float]) -> dict:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "all": list(xs)}


def busy_cores(interval: float = 1.0) -> float | None:
    """CPU cores kept busy by the whole machine over `interval` s (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return sum(vals), idle

    try:
        t0, i0 = sample()
        time.sleep(interval)
        t1, i1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = t1 - t0
    return (1.0 - (i1 - i0) / total) * (os.cpu_count() or 1) if total > 0 else None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _has_brian2(python: str) -> tuple[bool, str]:
    try:
        r = subprocess.run([python, "-c", "import brian2, numpy; "
                            "print(brian2.__version__, numpy.__version__)"],
                           capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{python}: {exc}"
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"{python}: import brian2 failed ({last})"
    return True, r.stdout.strip()


def find_brian2_python(explicit: str | None) -> tuple[str | None, str, list[str]]:
    """First interpreter that imports brian2: --brian2-python, $NEURODYN_BRIAN2_PYTHON, this
    interpreter, <repo>/.venv-brian2/bin/python. Returns (python, how, reasons for rejections)."""
    candidates = []
    if explicit:
        candidates.append((explicit, "--brian2-python"))
    if os.environ.get("NEURODYN_BRIAN2_PYTHON"):
        candidates.append((os.environ["NEURODYN_BRIAN2_PYTHON"], "NEURODYN_BRIAN2_PYTHON"))
    candidates.append((sys.executable, "current interpreter"))
    candidates.append((str(REPO / ".venv-brian2" / "bin" / "python"), "<repo>/.venv-brian2"))
    rejected = []
    for python, how in candidates:
        if not Path(python).exists():
            rejected.append(f"{how}: {python} does not exist")
            continue
        ok, info = _has_brian2(python)
        if ok:
            return python, f"{how} ({python}; brian2, numpy = {info})", rejected
        rejected.append(f"{how}: {info}")
    return None, "", rejected


def run_json(cmd: list[str], *, timeout: float, env: dict | None = None,
             cwd: Path | str = REPO) -> dict:
    """Run ``cmd`` in a fresh process whose last stdout line is a JSON object; return that object
    with ``process_s`` (the process's wall time, start-up included) added, or
    ``{"error": ..., "process_s": ...}`` when the process fails, times out or prints no JSON."""
    import json

    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"{Path(cmd[0]).name}: {exc}", "process_s": time.perf_counter() - t0}
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout)[-2000:], "process_s": wall}
    try:
        out = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": f"no JSON on the last stdout line: {p.stdout[-500:]!r}",
                "process_s": wall}
    out["process_s"] = wall
    return out
