"""setfilter, compile and BPFProgram."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import pcapy
from testhelpers import frames


def is_tcp(frame: bytes) -> bool:
    ethertype = frame[12:14]
    if ethertype == b"\x08\x00":
        return frame[23] == 6
    return ethertype == b"\x86\xdd" and frame[20] == 6


def test_setfilter_selects_matching_packets(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert reader.setfilter("tcp") is None
    assert [d for _, d in reader] == [f for f in frames() if is_tcp(f)]


def test_setfilter_midway_applies_to_packets_already_buffered(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    first = reader.next()[1]
    reader.setfilter("tcp")
    assert [first] + [d for _, d in reader] == frames()[:1] + [f for f in frames()[1:] if is_tcp(f)]


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_setfilter_can_be_widened_midway(tmp_path: Path, fmt: str) -> None:
    """Packets the old filter dropped while reading ahead are seen by the new one."""
    import capgen
    from testhelpers import packets

    path = tmp_path / f"x.{fmt}"
    (capgen.write_pcap if fmt == "pcap" else capgen.write_pcapng)(path, packets())
    reader = pcapy.open_offline(str(path))
    reader.setfilter("udp")
    got = [reader.next()[1]]
    reader.setfilter("tcp or udp")
    got += [d for _, d in reader]
    want = [f for f in frames() if pcapy.BPFProgram("udp").filter(f)][:1]
    later = frames()[frames().index(want[0]) + 1:]
    assert got == want + [f for f in later if pcapy.BPFProgram("tcp or udp").filter(f)]


@pytest.mark.parametrize("expr, message", [
    ("tcp and", "can't parse filter expression: syntax error"),
    ("port 99999", "illegal port number 99999 > 65535"),
])
def test_bad_filter_message(eth_pcap: Path, expr: str, message: str) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    first = reader.next()[1]
    with pytest.raises(pcapy.PcapError) as err:
        reader.setfilter(expr)
    assert str(err.value) == message
    assert [first] + [d for _, d in reader] == frames()  # nothing lost


def test_many_setfilter_calls_keep_working(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    for _ in range(2000):
        reader.setfilter("udp")
    assert all(not is_tcp(d) for _, d in reader)


def tcpdump_ddd(expr: str, link: str = "EN10MB") -> list[tuple[int, int, int, int]]:
    tcpdump = shutil.which("tcpdump") or shutil.which("/usr/sbin/tcpdump")
    if not tcpdump:
        pytest.skip("tcpdump is not installed")
    out = subprocess.run([tcpdump, "-ddd", "-y", link, expr], capture_output=True, text=True,
                         check=True, timeout=30).stdout.split("\n")
    return [tuple(int(x) for x in line.split()) for line in out[1:] if line.strip()]


@pytest.mark.parametrize("expr", ["icmp", "tcp port 80", "ip6 and udp", "vlan 5"])
def test_compile_equals_tcpdump_ddd(expr: str) -> None:
    assert pcapy.compile(pcapy.DLT_EN10MB, 262144, expr, 1, 0).get_bpf() == tcpdump_ddd(expr)


def test_compile_icmp_from_the_issue() -> None:
    program = pcapy.compile(pcapy.DLT_EN10MB, 65536, "icmp", 1, 1)
    assert program.get_bpf() == [(40, 0, 0, 12), (21, 0, 3, 2048), (48, 0, 0, 23),
                                 (21, 0, 1, 1), (6, 0, 0, 65536), (6, 0, 0, 0)]


def test_compile_error_is_pcap_error() -> None:
    with pytest.raises(pcapy.PcapError, match="syntax error"):
        pcapy.compile(pcapy.DLT_EN10MB, 65536, "tcp and", 1, 0)


def test_bpfprogram_filter_returns_snaplen_or_zero() -> None:
    program = pcapy.BPFProgram("tcp")
    tcp, udp = frames()[0], frames()[1]
    assert program.filter(tcp) == 65536
    assert program.filter(udp) == 0
    assert program.filter(b"") == 0


def test_bpfprogram_linktype() -> None:
    program = pcapy.BPFProgram("ip", pcapy.DLT_RAW)
    assert program.filter(frames()[0][14:]) != 0
    assert program.filter(frames()[0]) == 0


def test_bpfprogram_bad_expression_is_bpf_error() -> None:
    with pytest.raises(pcapy.BPFError) as err:
        pcapy.BPFProgram("nonsense ((")
    assert str(err.value) == "Couldn't compile BPF program"
    assert not issubclass(pcapy.BPFError, pcapy.PcapError)


@pytest.mark.parametrize("call", [
    lambda: pcapy.BPFProgram(b"tcp"),
    lambda: pcapy.BPFProgram("tcp", 1.0),
    lambda: pcapy.BPFProgram("tcp").filter("text"),
    lambda: pcapy.compile(1.0, 65536, "tcp", 1, 0),
    lambda: pcapy.compile(1, 65536, b"tcp", 1, 0),
])
def test_bpf_wrong_types(call) -> None:
    with pytest.raises(TypeError):
        call()
