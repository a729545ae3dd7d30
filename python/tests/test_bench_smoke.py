"""`make bench` in miniature: bench/run.py on a small capture, one pair per
workload. Checks that it runs end to end and that pcapy-ng and this pcapy
give identical results on every workload; no timing is asserted."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testhelpers import REPO

pytestmark = [pytest.mark.differential, pytest.mark.slow]


def reference_python() -> str:
    """The interpreter with pcapy-ng, as in test_differential."""
    path = os.environ.get("PCAPY_REF_PYTHON") or str(REPO / ".venv-ref" / "bin" / "python")
    if not Path(path).exists():
        reason = f"reference interpreter {path} not found: run tools/refenv.sh or set PCAPY_REF_PYTHON"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must not skip the benchmark's smoke test)", pytrace=False)
        pytest.skip(reason)
    return path


def test_bench_runs_and_both_modules_agree(tmp_path: Path) -> None:
    if shutil.which(os.environ.get("CC", "cc")) is None:
        pytest.skip("no C compiler for the benchmark's C floor")
    markdown = tmp_path / "BENCHMARKS.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--packets", "20000", "--pairs", "1",
         "--out", str(tmp_path), "--ref", reference_python(), "--ours", sys.executable,
         "--markdown", str(markdown)],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Results identical in every run" in proc.stdout
    for workload in ("next()", "loop(-1, cb)", "dispatch(-1, cb)", "setfilter('tcp')", "5-tuple",
                     "next_batch(256)"):
        assert workload in proc.stdout
    assert "C floor" in proc.stdout and "import pcapy" in proc.stdout
    text = markdown.read_text()
    assert text.startswith("# Benchmarks") and "Machine:" in text and "Command:" in text


def test_bench_reports_every_run_whose_results_differ() -> None:
    """A module that miscounts must make the benchmark fail, naming the run."""
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    good = {"packets": 3, "bytes": 180, "last_ts": [1, 2]}
    runs = {"ref": [{"results": good}] * 2,
            "ours": [{"results": good}, {"results": dict(good, packets=2)}]}
    assert run.differences("next", runs) == [
        "next: ours run 2 gave {'packets': 2, 'bytes': 180, 'last_ts': [1, 2]}, "
        "pcapy-ng gave {'packets': 3, 'bytes': 180, 'last_ts': [1, 2]}"]
    assert run.differences("next", {"ref": runs["ref"], "ours": runs["ref"]}) == []
