"""examples/08-11, the counterparts of pcapy-ng's loop_filtered examples (filter
in C, flow heads, shared-memory ring, live stats): run on generated captures
and, for the live one, on veth traffic; what they print is checked against
what the calls return."""

from __future__ import annotations

import re
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import capgen
from livetools import frame
from pcapy._netns import VethPair
import pcapy
from testhelpers import REPO

EXAMPLES = REPO / "examples"
WATCHED = "10.99.0.1"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("filtered-examples") / "classify.pcap"
    capgen.write_pcap(path, capgen.classifier_traffic(800))
    return path


def client_hello(server_name: str) -> bytes:
    """A TLS 1.2 ClientHello record with one extension, server_name."""
    name = server_name.encode()
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack("!HH", 0, len(sni)) + sni
    body = (b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
            + struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


def tls_capture(path: Path, names: list[str]) -> None:
    """A connection per name: SYN, SYN-ACK, ClientHello, bulk data, ACKs, and
    a late ClientHello (the client's 6th packet: not a flow head below 6)."""
    m1, m2 = capgen.mac("02:00:00:00:00:01"), capgen.mac("02:00:00:00:00:02")
    frames = []
    for i, name in enumerate(names):
        client, port = f"10.1.0.{i + 1}", 40000 + i

        def tcp(src, dst, sport, dport, payload=b"", flags=capgen.TCP_PSH | capgen.TCP_ACK):
            return capgen.ethernet(m2, m1, capgen.ETH_P_IP, capgen.ipv4(
                src, dst, 6, capgen.tcp(src, dst, sport, dport, payload, flags)))

        frames += [tcp(client, "10.2.0.1", port, 443, flags=capgen.TCP_SYN),
                   tcp("10.2.0.1", client, 443, port, flags=capgen.TCP_SYN | capgen.TCP_ACK),
                   tcp(client, "10.2.0.1", port, 443, client_hello(name))]
        frames += [tcp("10.2.0.1", client, 443, port, bytes(1000)) for _ in range(20)]
        frames += [tcp(client, "10.2.0.1", port, 443) for _ in range(3)]  # the client's ACKs
        frames += [tcp(client, "10.2.0.1", port, 443, client_hello("not-a-head.example"))]  # its 6th packet
    capgen.write_pcap(path, [(1_700_000_000_000_000_000 + i * 1000, f) for i, f in enumerate(frames)])


def test_filter_in_go_prints_what_loop_filtered_counts(capture: Path) -> None:
    out = run(str(EXAMPLES / "08_filter_in_go.py"), str(capture), WATCHED)
    assert out.returncode == 0, out.stderr
    with pcapy.open_offline(str(capture)) as r:
        admitted, dropped, other, heads, matches = r.loop_filtered(
            -1, lambda *a: None, 6, socket.inet_aton(WATCHED), 3)
    kept = [line for line in out.stdout.splitlines() if line.startswith("keep ")]
    assert len(kept) == min(20, admitted) and all(re.fullmatch(r"keep (FLOW_HEAD|SET_MATCH) +len=\d+", k)
                                                   for k in kept)
    assert f"classes: other={other} flow_head={heads} set_match={matches}" in out.stdout
    assert f"kept {admitted} of {admitted + dropped} packets" in out.stdout
    watched = socket.inet_aton(WATCHED)
    touching = sum(1 for _, d in pcapy.open_offline(str(capture))
                   if len(d) >= 34 and d[12:14] == b"\x08\x00" and watched in (d[26:30], d[30:34]))
    assert matches == touching > 0


def test_flow_heads_finds_each_server_name_once(tmp_path: Path) -> None:
    path = tmp_path / "tls.pcap"
    tls_capture(path, ["www.example.org", "api.example.net", "www.example.org"])
    out = run(str(EXAMPLES / "09_flow_heads.py"), str(path), "3")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("server name: www.example.org\nserver name: api.example.net\n"
                          "2 TLS server name(s)\n")
    wider = run(str(EXAMPLES / "09_flow_heads.py"), str(path), "6")  # the late ClientHello is a head now
    assert "server name: not-a-head.example" in wider.stdout


def test_shared_memory_ring_workers_read_every_record(capture: Path) -> None:
    out = run(str(EXAMPLES / "10_shared_memory_ring.py"), str(capture), "3")
    assert out.returncode == 0, out.stderr
    with pcapy.open_offline(str(capture)) as r:
        written, dropped, overflow, used, *_ = r.loop_to_buffer(-1, bytearray(64 << 20), 6, b"", 3)
    assert out.stdout.splitlines()[0] == (f"producer: wrote {written} packets ({used} bytes), "
                                          f"dropped {dropped} in Go, overflow {overflow}")
    counts = [int(n) for n in re.findall(r"FLOW_HEAD=(\d+)", out.stdout)]
    assert len(counts) == 3 and sum(counts) == written


def test_live_stats_offline_ends_with_the_runs_counters(capture: Path) -> None:
    out = run(str(EXAMPLES / "11_live_stats.py"), str(capture))
    assert out.returncode == 0, out.stderr
    with pcapy.open_offline(str(capture)) as r:
        final = r.loop_filtered(-1, lambda *a: None, 7, b"", 4)
    assert out.stdout.splitlines()[-1] == (f"final: admitted={final[0]} dropped={final[1]} "
                                           f"(other, flow_head, set_match)={final[2:]}")


def test_examples_print_usage() -> None:
    for name, argv in (("08_filter_in_go.py", []), ("09_flow_heads.py", ["x", "y"]),
                       ("10_shared_memory_ring.py", []), ("11_live_stats.py", [])):
        out = run(str(EXAMPLES / name), *argv)
        assert out.returncode == 2 and out.stderr.startswith("usage:"), name




def test_live_stats_counts_veth_traffic_and_stops_after_its_seconds(veth_pair: VethPair) -> None:
    child = subprocess.Popen(veth_pair.a.argv(sys.executable, str(EXAMPLES / "11_live_stats.py"), veth_pair.a.dev, "3"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().startswith("admitted=0 ")  # capturing
        with veth_pair.b.inside():
            tx = pcapy.open_live(veth_pair.b.dev, 65535, 0, 100)
        for seq in range(25):
            tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, seq))
        started = time.monotonic()
        out, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert time.monotonic() - started < 5  # breakloop() ended the live loop
    assert out.splitlines()[-1] == "final: admitted=25 dropped=0 (other, flow_head, set_match)=(25, 0, 0)"
    assert "admitted=25 dropped=0 other=25" in out  # a poll saw them while it ran
