"""The differential harness (test_differential.py, test_live_differential.py):
the two interpreters, the capture files, and running diff_probe.py into a Trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import capgen

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROBE = HERE / "diff_probe.py"
PINGS = REPO.parent / "shared" / "data" / "96pings.pcap"  # used in place, never copied
PROBE_TIMEOUT = 300  # seconds; the probe takes a few seconds per implementation


# ------------------------------------------------------------ interpreters


def reference_python() -> str:
    """The interpreter with pcapy-ng; skip (fail under CI) when there is none."""
    path = os.environ.get("PCAPY_REF_PYTHON") or str(REPO / ".venv-ref" / "bin" / "python")
    if Path(path).exists():
        return path
    reason = f"reference interpreter {path} not found: run tools/refenv.sh or set PCAPY_REF_PYTHON"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must not skip the differential tests)", pytrace=False)
    pytest.skip(reason)


def ours_python() -> str:
    return os.environ.get("PCAPY_OURS_PYTHON") or sys.executable


def checking_the_harness() -> bool:
    """Both sides are pcapy-ng (PCAPY_OURS_PYTHON pointed at the reference): then
    allow-listed steps must simply match too, which shows the harness is sound."""
    return os.path.abspath(ours_python()) == os.path.abspath(reference_python())


# ---------------------------------------------------------------- captures


def write_captures(directory: Path) -> dict[str, str]:
    """Capture files covering every format and breakage the probe should see.
    Names double as step names, so keep them short."""
    d = directory
    frames = list(capgen.mixed_traffic(60, seed=7, start_ns=1_700_000_000_123_456_789))
    # A few fixed packets so that every probe filter matches something.
    m1, m2 = capgen.mac("02:00:00:00:00:01"), capgen.mac("02:00:00:00:00:02")
    ip = capgen.ETH_P_IP
    fixed = [
        capgen.ethernet(m1, m2, ip, capgen.ipv4("10.0.0.2", "10.0.0.1", 1,
                                                 capgen.icmp_echo(1, 1, b"ping"))),
        capgen.ethernet(m2, m1, ip, capgen.ipv4("10.0.0.1", "10.0.0.2", 1,
                                                 capgen.icmp_echo(1, 1, b"ping", reply=True))),
        capgen.ethernet(m1, m2, ip, capgen.ipv4("10.0.0.2", "10.0.0.1", 6,
                                                 capgen.tcp("10.0.0.2", "10.0.0.1", 40000, 80, b"GET /"))),
        capgen.ethernet(m1, m2, ip, capgen.ipv4("10.0.0.2", "10.0.0.9", 17,
                                                 capgen.udp("10.0.0.2", "10.0.0.9", 5353, 53, b"q"))),
    ]
    t0 = 1_700_000_001_000_000_999  # sub-microsecond part: ns files must truncate it
    eth = frames + [(t0 + i * 1_001, f) for i, f in enumerate(fixed)]
    # (ts, ip packet, ethertype) of the IPv4/IPv6 frames, for the other link types
    l3 = [(t, f[14:], int.from_bytes(f[12:14], "big")) for t, f in eth
          if int.from_bytes(f[12:14], "big") in (capgen.ETH_P_IP, capgen.ETH_P_IPV6)]

    files: dict[str, str] = {}

    def path(name: str) -> str:
        files[name] = str(d / f"{name}.pcap")
        return files[name]

    if PINGS.exists():
        files["pings96"] = str(PINGS)
    capgen.write_pcap(path("eth_us"), eth)
    capgen.write_pcap(path("eth_ns"), eth, nanosecond=True)
    capgen.write_pcap(path("eth_be"), eth, big_endian=True)
    capgen.write_pcapng(path("pcapng"), eth)
    capgen.write_pcapng(path("pcapng_ns"), eth, nanosecond=True)
    capgen.write_pcap(path("sll"), [(t, capgen.linux_sll(p, et)) for t, p, et in l3],
                      linktype=capgen.LINKTYPE_LINUX_SLL)
    capgen.write_pcap(path("raw"), [(t, p) for t, p, _ in l3], linktype=capgen.LINKTYPE_RAW)
    families = {capgen.ETH_P_IP: capgen.AF_INET, capgen.ETH_P_IPV6: capgen.AF_INET6_BSD}
    capgen.write_pcap(path("null"), [(t, capgen.loopback_null(p, families[et])) for t, p, et in l3],
                      linktype=capgen.LINKTYPE_NULL)
    capgen.write_pcap(path("snaplen64"), eth, snaplen=64)
    capgen.write_pcap(path("header_only"), [])
    capgen.write_pcap(path("cut_mid_packet"), eth[:5])
    capgen.truncate_file(files["cut_mid_packet"], 7)
    capgen.write_pcap(path("cut_header"), [])
    capgen.truncate_file(files["cut_header"], 14)
    capgen.write_pcap(path("cut_magic"), [])
    capgen.truncate_file(files["cut_magic"], 22)
    Path(path("empty")).write_bytes(b"")
    capgen.write_bad_magic(path("bad_magic"))
    return files


# ------------------------------------------------------------------ traces


class Trace:
    """One probe run: the ordered ``(step, result)`` pairs."""

    def __init__(self, steps: list[tuple[str, Any]]):
        self.steps = steps
        self._by_name = dict(steps)

    def __repr__(self) -> str:  # keeps pytest's failure output short
        return f"<Trace of {len(self.steps)} steps>"

    def group(self, name: str) -> list[tuple[str, Any]]:
        return [(s, r) for s, r in self.steps if s.split(":", 1)[0] == name]

    def result(self, step: str) -> Any:
        return self._by_name.get(step, "<missing step>")


def run_probe(python: str, files: dict[str, str], tmpdir: Path, env: dict[str, str]) -> Trace:
    tmpdir.mkdir()
    job = json.dumps({"files": files, "tmpdir": str(tmpdir), "reference_file": files["eth_us"],
                      "classify": str(tmpdir.parent / "captures" / "classify.pcap")})
    proc = subprocess.run([python, str(PROBE), job], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=PROBE_TIMEOUT, cwd=tmpdir, env=env)
    if proc.returncode != 0:
        pytest.fail(f"diff_probe.py failed under {python} (exit {proc.returncode}):\n"
                    f"{proc.stderr[-4000:]}", pytrace=False)
    doc = json.loads(proc.stdout)
    return Trace([tuple(step) for step in doc["trace"]])
