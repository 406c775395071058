"""Repository hygiene: the README's two commands, CI running the same test command, lint, and
the tutorial script."""

import importlib.util
import shutil
import subprocess
import sys

import pytest


def _readme_commands(repo_root):
    text = (repo_root / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [ln.strip() for ln in block.strip().splitlines() if ln.strip()]


def test_readme_starts_with_exactly_two_setup_commands(repo_root):
    lines = (repo_root / "README.md").read_text().splitlines()
    assert lines[0].startswith("# ") and lines[2] == "```bash"
    cmds = _readme_commands(repo_root)
    assert len(cmds) == 2
    assert "neurodyn run examples/" in cmds[0] and "pytest" in cmds[1]
    spec = cmds[0].split("neurodyn run ", 1)[1].split()[0]
    assert (repo_root / spec).is_file()


def test_ci_runs_the_readme_test_command(repo_root):
    ci = (repo_root / ".ci" / "run").read_text()
    assert _readme_commands(repo_root)[1] in ci
    assert "|| true" not in ci and "set -euo pipefail" in ci


def test_ruff_clean(repo_root):
    # the ruff next to this interpreter (a venv's bin/ need not be on PATH), else one on PATH
    if importlib.util.find_spec("ruff") is not None:
        ruff = [sys.executable, "-m", "ruff"]
    elif shutil.which("ruff"):
        ruff = [shutil.which("ruff")]
    else:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    out = subprocess.run([*ruff, "check", "src", "tests", "benchmarks", "examples"], cwd=repo_root,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_tutorial_script_runs(repo_root, tmp_path):
    out = subprocess.run([sys.executable, str(repo_root / "examples" / "tutorial.py"),
                          str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "g_K recovered: 30.0" in out.stdout
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["tutorial_bap.png", "tutorial_gradient.png", "tutorial_network.png",
                     "tutorial_phase_plane.png", "tutorial_simulate.png", "tutorial_sweep.png"]


def test_test_files_have_unique_names():
    """pytest imports test files by basename (rootdir import mode): two files of one name in
    different folders stop the collection."""
    import collections
    from pathlib import Path

    tests = Path(__file__).resolve().parents[1]
    names = collections.Counter(p.name for p in tests.rglob("test_*.py"))
    assert not [n for n, c in names.items() if c > 1]


def test_benchmark_json_runner(repo_root):
    """benchmarks/_common.run_json: the child's last stdout line as a dict plus process_s; a
    failing child, a timeout and a child that prints no JSON each give an "error" entry."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("_bench_common",
                                                  repo_root / "benchmarks" / "_common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    py = sys.executable
    ok = common.run_json([py, "-c", "print('log line'); print('{\"a\": 1}')"], timeout=60)
    assert ok["a"] == 1 and ok["process_s"] > 0
    bad = common.run_json([py, "-c", "import sys; sys.exit('boom')"], timeout=60)
    assert "boom" in bad["error"]
    slow = common.run_json([py, "-c", "import time; time.sleep(5)"], timeout=0.5)
    assert "timed out" in slow["error"].lower() or "timeout" in slow["error"].lower()
    none = common.run_json([py, "-c", "print('no json here')"], timeout=60)
    assert "no JSON" in none["error"]
