"""Dumper: writing captures, reading them back, errors, files never lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pcapy
from testhelpers import packets


def read_all(path: Path, **kw) -> list[tuple[pcapy.Pkthdr, bytes]]:
    return list(pcapy.open_offline(str(path), **kw))


def test_dump_and_reread_are_identical(eth_pcap: Path, tmp_path: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    out = tmp_path / "copy.pcap"
    dumper = reader.dump_open(str(out))
    for hdr, data in reader:
        dumper.dump(hdr, data)
    dumper.close()
    assert read_all(out) == read_all(eth_pcap)


def test_96pings_dump_and_reread(pings: Path, tmp_path: Path) -> None:
    reader = pcapy.open_offline(str(pings))
    out = tmp_path / "pings.pcap"
    dumper = reader.dump_open(str(out))
    reader.loop(-1, dumper.dump)
    dumper.close()
    assert read_all(out) == read_all(pings)


def test_dump_file_header_keeps_linktype_and_snaplen(pings: Path, tmp_path: Path) -> None:
    import struct

    out = tmp_path / "h.pcap"
    pcapy.open_offline(str(pings)).dump_open(str(out)).close()
    magic, _, _, _, _, snaplen, linktype = struct.unpack("=IHHiIII", out.read_bytes()[:24])
    assert (magic, snaplen, linktype) == (0xA1B2C3D4, 96, 1)


def test_nanosecond_round_trip(ns_pcap: Path, tmp_path: Path) -> None:
    reader = pcapy.open_offline(str(ns_pcap), precision="ns")
    out = tmp_path / "ns-copy.pcap"
    with reader.dump_open(out) as dumper:
        for hdr, data in reader:
            dumper.dump(hdr, data)
    assert [h.getts_ns() for h, _ in read_all(out, precision="ns")] == [ts for ts, _ in packets()]


def test_constructed_pkthdr_is_written(eth_pcap: Path, tmp_path: Path) -> None:
    out = tmp_path / "made.pcap"
    dumper = pcapy.open_offline(str(eth_pcap)).dump_open(str(out))
    dumper.dump(pcapy.Pkthdr(1_600_000_000, 42, 4, 60), b"abcdEXTRA")
    dumper.close()
    ((hdr, data),) = read_all(out)
    assert (hdr.getts(), hdr.getcaplen(), hdr.getlen(), data) == ((1_600_000_000, 42), 4, 60, b"abcd")


def test_dump_errors(eth_pcap: Path, tmp_path: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    hdr, data = reader.next()
    dumper = reader.dump_open(str(tmp_path / "e.pcap"))
    with pytest.raises(pcapy.PcapError, match="^Not a pkthdr object$"):
        dumper.dump((0, 0, 1, 1), b"x")
    with pytest.raises(ValueError):
        dumper.dump(hdr, data[:-1])
    with pytest.raises(TypeError):
        dumper.dump(hdr, "text")
    dumper.close()
    dumper.close()  # idempotent
    with pytest.raises(pcapy.PcapError, match=r"^Dumper is already closed\.$"):
        dumper.dump(hdr, data)
    assert read_all(tmp_path / "e.pcap") == []


def test_dump_open_unwritable_path(eth_pcap: Path, tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "x.pcap"
    with pytest.raises(pcapy.PcapError) as err:
        pcapy.open_offline(str(eth_pcap)).dump_open(str(path))
    assert str(err.value) == f"{path}: No such file or directory"


def test_dumper_outlives_its_reader(eth_pcap: Path, tmp_path: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    hdr, data = reader.next()
    dumper = reader.dump_open(str(tmp_path / "o.pcap"))
    reader.close()
    dumper.dump(hdr, data)
    dumper.close()
    assert read_all(tmp_path / "o.pcap") == [(hdr, data)]


def test_unclosed_dumper_is_complete_after_garbage_collection(eth_pcap: Path, tmp_path: Path) -> None:
    import gc

    out = tmp_path / "gc.pcap"
    reader = pcapy.open_offline(str(eth_pcap))
    dumper = reader.dump_open(str(out))
    for hdr, data in reader:
        dumper.dump(hdr, data)
    del dumper
    gc.collect()
    assert read_all(out) == read_all(eth_pcap)


@pytest.mark.parametrize("count", [3, 20000])
def test_unclosed_dumper_is_complete_at_exit(tmp_path: Path, count: int) -> None:
    src = tmp_path / "src.pcap"
    import capgen

    capgen.write_sample(src, n=count)
    out = tmp_path / "exit.pcap"
    code = (
        "import pcapy, sys\n"
        "r = pcapy.open_offline(sys.argv[1])\n"
        "d = r.dump_open(sys.argv[2])\n"
        "r.loop(-1, d.dump)\n"
        "keep = [d]  # still referenced when the interpreter exits\n"
    )
    subprocess.run([sys.executable, "-c", code, str(src), str(out)], check=True, timeout=120)
    assert len(read_all(out)) == count
    assert read_all(out) == read_all(src)
