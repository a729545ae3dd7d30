"""Reading capture files: next(), iteration, formats, timestamps, link types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import capgen
import pcapy
from testhelpers import expected_usec, frames, packets


def read_all(reader: pcapy.Reader) -> list[tuple[pcapy.Pkthdr, bytes]]:
    out = []
    while True:
        hdr, data = reader.next()
        if hdr is None:
            return out
        out.append((hdr, data))


def test_next_returns_every_packet_then_none_forever(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    got = read_all(reader)
    assert [d for _, d in got] == frames()
    assert [h.getts() for h, _ in got] == [expected_usec(ts) for ts, _ in packets()]
    assert all(h.getcaplen() == h.getlen() == len(d) for h, d in got)
    for _ in range(3):
        assert reader.next() == (None, b"")


def test_96pings_match_pcapy(pings: Path) -> None:
    reader = pcapy.open_offline(str(pings))
    got = read_all(reader)
    assert len(got) == 96
    first, _ = got[0]
    assert first.getts() == (1224640867, 186558)
    assert (first.getcaplen(), first.getlen()) == (96, 98)
    assert reader.datalink() == pcapy.DLT_EN10MB
    assert reader.next() == (None, b"")


def test_96pings_all_match_dst_filter(pings: Path) -> None:
    program = pcapy.BPFProgram("ip dst host 192.168.1.1")
    reader = pcapy.open_offline(str(pings))
    assert all(program.filter(data) for _, data in reader)


def test_iteration_matches_next(eth_pcap: Path) -> None:
    via_next = read_all(pcapy.open_offline(str(eth_pcap)))
    assert list(pcapy.open_offline(str(eth_pcap))) == via_next


def test_iteration_can_be_resumed_after_break(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    for i, _ in enumerate(reader):
        if i == 9:
            break
    hdr, data = reader.next()
    assert data == frames()[10]


def test_nanosecond_file_is_scaled_to_microseconds(ns_pcap: Path) -> None:
    got = read_all(pcapy.open_offline(str(ns_pcap)))
    assert [h.getts() for h, _ in got] == [expected_usec(ts) for ts, _ in packets()]


def test_nanosecond_precision_is_exact(ns_pcap: Path) -> None:
    got = read_all(pcapy.open_offline(str(ns_pcap), precision="ns"))
    assert [h.getts_ns() for h, _ in got] == [ts for ts, _ in packets()]
    assert [h.getts() for h, _ in got] == [expected_usec(ts) for ts, _ in packets()]


def test_bad_precision_is_value_error(eth_pcap: Path) -> None:
    with pytest.raises(ValueError):
        pcapy.open_offline(str(eth_pcap), precision="ps")


@pytest.mark.parametrize("nanosecond", [False, True])
def test_pcapng_reads_like_pcap(tmp_path: Path, nanosecond: bool) -> None:
    path = tmp_path / "x.pcapng"
    capgen.write_pcapng(path, packets(), nanosecond=nanosecond)
    got = read_all(pcapy.open_offline(str(path)))
    assert [d for _, d in got] == frames()
    assert [h.getts() for h, _ in got] == [expected_usec(ts) for ts, _ in packets()]


def test_big_endian_file(tmp_path: Path) -> None:
    path = tmp_path / "be.pcap"
    capgen.write_pcap(path, packets(), big_endian=True)
    assert [d for _, d in read_all(pcapy.open_offline(str(path)))] == frames()


def test_snaplen_truncates_caplen_below_len(tmp_path: Path) -> None:
    path = tmp_path / "snap.pcap"
    capgen.write_pcap(path, packets(), snaplen=64)
    got = read_all(pcapy.open_offline(str(path)))
    for (hdr, data), frame in zip(got, frames()):
        assert hdr.getcaplen() == len(data) == min(64, len(frame))
        assert hdr.getlen() == len(frame)
        assert data == frame[:64]


@pytest.mark.parametrize(
    "linktype, make, dlt",
    [
        (capgen.LINKTYPE_LINUX_SLL, lambda ip: capgen.linux_sll(ip, 0x0800), pcapy.DLT_LINUX_SLL),
        (capgen.DLT_RAW, capgen.raw_ip, pcapy.DLT_RAW),
        (capgen.LINKTYPE_RAW, capgen.raw_ip, pcapy.DLT_RAW),
        (capgen.LINKTYPE_NULL, lambda ip: capgen.loopback_null(ip, capgen.AF_INET), pcapy.DLT_NULL),
    ],
)
def test_link_types(tmp_path: Path, linktype: int, make, dlt: int) -> None:
    ip = capgen.ipv4("10.1.0.1", "10.1.0.2", 17, capgen.udp("10.1.0.1", "10.1.0.2", 1, 2, b"hi"))
    path = tmp_path / "l.pcap"
    capgen.write_pcap(path, [(capgen.mac and 1_000_000_000, make(ip))], linktype=linktype)
    reader = pcapy.open_offline(str(path))
    assert reader.datalink() == dlt
    hdr, data = reader.next()
    assert data == make(ip)
    assert pcapy.BPFProgram("udp", dlt).filter(data) != 0


def test_header_only_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.pcap"
    capgen.write_pcap(path, [])
    reader = pcapy.open_offline(str(path))
    assert reader.next() == (None, b"")
    assert list(reader) == []


def test_pathlike_is_accepted(eth_pcap: Path) -> None:
    assert len(read_all(pcapy.open_offline(eth_pcap))) == len(frames())


def test_stdin_dash(eth_pcap: Path) -> None:
    code = "import pcapy; r = pcapy.open_offline('-'); print(sum(1 for _ in r))"
    with open(eth_pcap, "rb") as f:
        out = subprocess.run([sys.executable, "-c", code], stdin=f, capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert out.strip() == str(len(frames()))


def test_getnet_getmask_are_zero_for_files(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert (reader.getnet(), reader.getmask()) == ("0.0.0.0", "0.0.0.0")


def test_next_batch_layout(eth_pcap: Path) -> None:
    import struct

    reader = pcapy.open_offline(str(eth_pcap))
    data, meta = reader.next_batch(7)
    records = list(struct.iter_unpack("=IIII", meta))
    assert len(records) == 7
    for (sec, usec, off, caplen), (ts, frame) in zip(records, packets()):
        assert (sec, usec) == expected_usec(ts)
        assert data[off:off + caplen] == frame
    rest = []
    while True:
        data, meta = reader.next_batch(0)  # <= 0 means 256
        if not meta:
            assert data == b""
            break
        rest += list(struct.iter_unpack("=IIII", meta))
    assert len(rest) == len(frames()) - 7


def test_tcpdump_written_capture_reads_back(tmp_path: Path, eth_pcap: Path) -> None:
    tcpdump = capgen_tcpdump()
    out = tmp_path / "by-tcpdump.pcap"
    subprocess.run([tcpdump, "-r", str(eth_pcap), "-w", str(out), "tcp or udp"],
                   check=True, capture_output=True, timeout=60)
    got = read_all(pcapy.open_offline(str(out)))
    want = [f for f in frames() if pcapy.BPFProgram("tcp or udp").filter(f)]
    assert [d for _, d in got] == want


def capgen_tcpdump() -> str:
    import shutil

    for candidate in ("tcpdump", "/usr/sbin/tcpdump", "/usr/bin/tcpdump"):
        found = shutil.which(candidate)
        if found:
            return found
    pytest.skip("tcpdump is not installed")
