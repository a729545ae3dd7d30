"""bench/filtered_bench.py in miniature: every scenario, one pair, on a small
capture. Checks that it runs end to end and that pcapy-ng and this pcapy give
identical results (counters and loop_to_buffer's bytes); no timing is
asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import capgen
from testhelpers import REPO
from test_bench_smoke import reference_python


def test_filtered_bench_runs_and_both_modules_agree(tmp_path: Path) -> None:
    capture = tmp_path / "c.pcap"
    capgen.write_pcap(capture, capgen.classifier_traffic(300))
    markdown = tmp_path / "FILTERED.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "filtered_bench.py"), "--capture", str(capture), "--pairs", "1",
         "--ref", reference_python(), "--ours", sys.executable, "--markdown", str(markdown)],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = markdown.read_text()
    assert table.count("\n| `loop_") == 8, table  # a row per scenario
