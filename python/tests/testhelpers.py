"""Helpers the tests share (import them from here, not from conftest): paths,
the small generated Ethernet stream, and the environment checks."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import capgen

# pcapy's pytest plugin: pytest loads it by its entry point where gopcapy is
# installed; in the source tree (pcapy on the path through a .pth) conftest
# loads it. PLUGIN_ARGS loads it in pytester runs.
PLUGIN_INSTALLED = any(ep.name == "pcapy" for ep in importlib.metadata.entry_points(group="pytest11"))
PLUGIN_ARGS = [] if PLUGIN_INSTALLED else ["-p", "pcapy.pytest_plugin"]

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
PINGS = SHARED_DATA / "96pings.pcap"

MAC_A = capgen.mac("02:00:00:00:00:01")
MAC_B = capgen.mac("02:00:00:00:00:02")
T0 = 1_700_000_000_123_456_789  # a timestamp with all nanosecond digits set


def frames() -> list[bytes]:
    """A small varied Ethernet stream: IPv4/IPv6, TCP/UDP/ICMP and ARP."""
    out = []
    for i in range(40):
        if i % 5 == 0:
            ip = capgen.ipv4("10.0.0.1", "10.0.0.2", 6,
                             capgen.tcp("10.0.0.1", "10.0.0.2", 40000 + i, 80, b"x" * i))
            out.append(capgen.ethernet(MAC_B, MAC_A, 0x0800, ip))
        elif i % 5 == 1:
            ip = capgen.ipv4("10.0.0.2", "10.0.0.1", 17,
                             capgen.udp("10.0.0.2", "10.0.0.1", 53, 5000 + i, b"q" * (3 * i)))
            out.append(capgen.ethernet(MAC_A, MAC_B, 0x0800, ip))
        elif i % 5 == 2:
            ip = capgen.ipv4("10.0.0.1", "10.0.0.3", 1, capgen.icmp_echo(7, i, b"p" * 56))
            out.append(capgen.ethernet(MAC_B, MAC_A, 0x0800, ip))
        elif i % 5 == 3:
            ip6 = capgen.ipv6("fd00::1", "fd00::2", 6,
                              capgen.tcp("fd00::1", "fd00::2", 443, 50000 + i, b"s" * 1400))
            out.append(capgen.ethernet(MAC_B, MAC_A, 0x86DD, ip6))
        else:
            out.append(capgen.arp_request(MAC_A, "10.0.0.1", "10.0.0.9"))
    return out


def packets(step_ns: int = 1_000_001) -> list[tuple[int, bytes]]:
    """frames() with increasing timestamps that use every nanosecond digit."""
    return [(T0 + i * step_ns, f) for i, f in enumerate(frames())]


def expected_usec(ts_ns: int) -> tuple[int, int]:
    """(sec, usec) as libpcap gives a timestamp at microsecond precision."""
    return ts_ns // 1_000_000_000, ts_ns % 1_000_000_000 // 1000


def is_root() -> bool:
    return os.geteuid() == 0
