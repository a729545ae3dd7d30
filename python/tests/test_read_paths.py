"""The fast read paths of capture files (Go reading into a Python buffer, lazy
pairs, next_batch straight from Go) against what the file holds, including
the cases they handle differently: packets bigger than the buffer, packets
read ahead by one method and handed out by another, filters set midway."""

from __future__ import annotations

import gc
import struct
import weakref
from pathlib import Path

import pytest

import capgen
import pcapy
from pcapy import _batch

T0 = 1_600_000_000_000_000_000


def packets(n: int) -> list[tuple[int, bytes]]:
    return list(capgen.mixed_traffic(n, seed=7, start_ns=T0))


def usec(ts_ns: int) -> tuple[int, int]:
    return ts_ns // 10**9, ts_ns % 10**9 // 1000


@pytest.fixture
def mix(tmp_path: Path) -> tuple[Path, list]:
    pkts = packets(5000)
    path = tmp_path / "mix.pcap"
    capgen.write_pcap(path, pkts)
    return path, [(usec(ts), data) for ts, data in pkts]


def batch_pairs(data: bytes, meta: bytes) -> list:
    return [((sec, us), data[off:off + caplen]) for sec, us, off, caplen in struct.iter_unpack("=IIII", meta)]


def test_every_method_in_turn_hands_out_each_packet_once_in_order(mix) -> None:
    path, want = mix
    r = pcapy.open_offline(path)
    got = []

    def take(hdr: pcapy.Pkthdr, data: bytes) -> None:
        got.append((hdr.getts(), data))

    hdr, data = r.next()
    take(hdr, data)
    assert r.dispatch(10, take) == 10
    got += batch_pairs(*r.next_batch(5))  # from the batch next() read ahead
    r.loop(7, take)
    got += batch_pairs(*r.next_batch(2000))  # the rest of that batch, then from Go
    got += [(h.getts(), d) for h, d in r]
    assert got == want
    assert r.next() == (None, b"") and r.next_batch(5) == (b"", b"")


def test_next_batch_gives_exactly_max_n_packets_until_the_end(mix) -> None:
    path, want = mix
    r = pcapy.open_offline(path)
    sizes, got = [], []
    while True:
        data, meta = r.next_batch(1500)
        if not meta:
            break
        sizes.append(len(meta) // 16)
        got += batch_pairs(data, meta)
    assert sizes == [1500, 1500, 1500, 500]
    assert got == want


def test_next_batch_larger_than_one_go_read(tmp_path: Path) -> None:
    pkts = packets(_batch.NG_MAX_BATCH + 3000)
    path = tmp_path / "big.pcap"
    capgen.write_pcap(path, pkts)
    data, meta = pcapy.open_offline(path).next_batch(len(pkts) + 1)
    assert batch_pairs(data, meta) == [(usec(ts), d) for ts, d in pkts]


def test_packets_bigger_than_the_buffer_come_through_every_method(tmp_path: Path) -> None:
    sizes = [60, 200_000, 70, _batch.DATA_BYTES - 100, 80, 250_000, 90]
    pkts = [(T0 + i * 1000, bytes([i]) * n) for i, n in enumerate(sizes)]
    path = tmp_path / "huge.pcap"
    capgen.write_pcap(path, pkts, snaplen=262144)
    want = [(usec(ts), d) for ts, d in pkts]
    r = pcapy.open_offline(path)
    assert [(h.getts(), d) for h, d in iter(r.next, (None, b""))] == want
    seen = []
    pcapy.open_offline(path).loop(-1, lambda h, d: seen.append((h.getts(), d)))
    assert seen == want
    r = pcapy.open_offline(path)
    batches = [batch_pairs(*r.next_batch(3)) for _ in range(3)]
    assert [len(b) for b in batches] == [3, 3, 1] and sum(batches, []) == want


@pytest.mark.parametrize("precision", ["us", "ns"])
@pytest.mark.parametrize("kind", ["pcap", "pcap-ns", "pcapng", "pcapng-ns"])
def test_headers_match_the_file(tmp_path: Path, kind: str, precision: str) -> None:
    pkts = packets(3000)
    path = tmp_path / "f"
    write = capgen.write_pcapng if kind.startswith("pcapng") else capgen.write_pcap
    write(path, pkts, nanosecond=kind.endswith("-ns"))
    r = pcapy.open_offline(path, precision=precision)
    got = list(r)
    exact = precision == "ns" and kind.endswith("-ns")
    assert [h.getts_ns() for h, _ in got] == [ts if exact else ts // 1000 * 1000 for ts, _ in pkts]
    assert [(h.getcaplen(), h.getlen(), d) for h, d in got] == [(len(d), len(d), d) for _, d in pkts]
    assert all(isinstance(h, pcapy.Pkthdr) and type(d) is bytes for h, d in got)


def test_setfilter_refilters_the_packets_read_ahead(mix) -> None:
    path, want = mix
    r = pcapy.open_offline(path)
    first = r.next()
    r.setfilter("udp")
    rest = [(h.getts(), d) for h, d in r]
    udp = [(ts, d) for ts, d in want[1:] if pcapy.BPFProgram("udp").filter(d)]
    assert (first[0].getts(), first[1]) == want[0]
    assert rest == udp and 0 < len(udp) < len(want) - 1


def test_an_unclosed_reader_is_freed_without_the_garbage_collector(mix) -> None:
    gc.disable()
    try:
        r = pcapy.open_offline(mix[0])
        r.next()
        r.next_batch(10)
        gone = weakref.ref(r)
        del r
        assert gone() is None
    finally:
        gc.enable()
