"""The example scripts and the README's Python code run and say the right things."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import capgen
import pcapy
from testhelpers import REPO

EXAMPLES = REPO / "examples"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.pcap"
    capgen.write_sample(path, n=3000)
    return path


def test_summary_reports_counts_and_protocols(sample: Path) -> None:
    out = run(str(EXAMPLES / "01_summary.py"), str(sample), "--top", "3")
    assert out.returncode == 0, out.stderr
    assert "packets:   3000" in out.stdout
    total = sum(h.getlen() for h, _ in pcapy.open_offline(str(sample)))
    assert f"bytes:     {total}" in out.stdout
    for proto in ("TCP", "UDP", "ICMP"):
        assert re.search(rf"^  {proto} +\d+", out.stdout, re.M), proto
    assert len(re.findall(r"^  (10\.0\.0\.|fd00::)", out.stdout, re.M)) == 3


def test_summary_usage_and_errors(tmp_path: Path) -> None:
    assert run(str(EXAMPLES / "01_summary.py")).returncode == 2
    missing = run(str(EXAMPLES / "01_summary.py"), str(tmp_path / "none.pcap"))
    assert missing.returncode == 1 and "No such file or directory" in missing.stderr


def test_filter_dump_writes_exactly_the_matching_packets(sample: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "udp.pcap"
    out = run(str(EXAMPLES / "02_filter_dump.py"), str(sample), str(out_path), "udp")
    assert out.returncode == 0, out.stderr
    program = pcapy.BPFProgram("udp")
    want = [(h, d) for h, d in pcapy.open_offline(str(sample)) if program.filter(d)]
    assert want and list(pcapy.open_offline(str(out_path))) == want
    assert out.stdout.startswith(f"{len(want)} packets")


def test_filter_dump_usage_and_bad_filter(sample: Path, tmp_path: Path) -> None:
    assert run(str(EXAMPLES / "02_filter_dump.py"), str(sample)).returncode == 2
    bad = run(str(EXAMPLES / "02_filter_dump.py"), str(sample), str(tmp_path / "o.pcap"), "tcp and")
    assert bad.returncode == 1 and "syntax error" in bad.stderr


def test_readme_python_blocks_run(sample: Path, tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert blocks, "README has no python examples"
    (tmp_path / "capture.pcap").write_bytes(sample.read_bytes())
    for block in blocks:
        out = run("-c", block, cwd=tmp_path)
        assert out.returncode == 0, f"README block failed:\n{block}\n{out.stderr}"
