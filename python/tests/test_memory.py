"""Memory stays flat: reading millions of packets and 100,000 setfilter()
calls leak nothing (pcapy leaks ~283 bytes per setfilter).

Each check runs in a fresh interpreter (other tests' garbage would blur RSS)
and warms up first, so that Go's heap, CPython's free lists and the reader's
buffers reach their steady size; then it measures the growth of the resident
set over the work. The bound is generous: a leak of 3 bytes per packet, or of
50 bytes per setfilter call, would exceed it. No timing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import capgen

pytestmark = [pytest.mark.slow]

BOUND_MB = 5
FILE_PACKETS = 50_000

SCRIPT = r"""
import json, resource, sys
import pcapy

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

path, what, warm, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seen = [0]

def callback(hdr, data):
    seen[0] += hdr.getcaplen() == len(data)

def read_file(i):
    # Every read path in turn: next(), loop, dispatch, filtered dispatch, next_batch.
    r = pcapy.open_offline(path)
    mode = i % 5
    if mode == 0:
        while r.next()[0] is not None:
            seen[0] += 1
    elif mode == 1:
        r.loop(-1, callback)
    elif mode == 2:
        r.dispatch(-1, callback)
    elif mode == 3:
        r.setfilter("tcp")
        r.dispatch(-1, callback)
    else:
        while True:
            meta = r.next_batch(256)[1]
            if not meta:
                break
            seen[0] += len(meta) // 16
    r.close()

EXPRS = ["tcp", "udp port 53", "ip and not icmp", "ip6 or arp", "tcp[13] & 2 != 0"]
reader = pcapy.open_offline(path)

def set_filter(i):
    # Now and then take a packet, so that setfilter also refilters held packets.
    if i % 1000 == 0 and reader.next()[0] is None:
        reader.close()
        globals()["reader"] = pcapy.open_offline(path)
    reader.setfilter(EXPRS[i % len(EXPRS)])

def small_calls(i):
    # Calls made again and again by monitoring code; gopy leaked a C string
    # on each (and on each error) for functions returning only error or str.
    reader.getnet(), reader.getmask(), reader.datalink()
    for call in (reader.stats, lambda: reader.setnonblock(1), lambda: reader.sendpacket(b"x")):
        try:
            call()
        except pcapy.PcapError:
            pass

step = {"read": read_file, "setfilter": set_filter, "small": small_calls}[what]
for i in range(warm):
    step(i)
before = rss_mb()
for i in range(warm, warm + work):
    step(i)
print(json.dumps({"before": before, "after": rss_mb(), "seen": seen[0]}))
"""


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "mix.pcap"
    capgen.write_sample(path, FILE_PACKETS)
    return path


def growth(capture: Path, what: str, warm: int, work: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(capture), what, str(warm), str(work)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_reading_two_million_packets_does_not_grow_rss(capture: Path) -> None:
    # 10 files of 50,000 packets to warm up, then 40 (2,000,000 packets) measured;
    # a fifth of them filtered down to TCP (about half).
    got = growth(capture, "read", warm=10, work=40)
    assert got["seen"] > 2_000_000 * 0.85
    assert got["after"] - got["before"] < BOUND_MB, got


def test_100k_setfilter_calls_do_not_grow_rss(capture: Path) -> None:
    got = growth(capture, "setfilter", warm=50_000, work=100_000)
    assert got["after"] - got["before"] < BOUND_MB, got


def test_200k_small_calls_do_not_grow_rss(capture: Path) -> None:
    got = growth(capture, "small", warm=20_000, work=200_000)
    assert got["after"] - got["before"] < BOUND_MB, got
