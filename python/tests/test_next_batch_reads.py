"""next_batch() on a capture file: Go reads the packets in place (ReadInto)
and the C part (python/csrc/_ngbatch.c) copies each one into pcapy-ng's
layout. The cases that path handles apart from the plain one: a batch that
takes several Go reads, a packet that did not fit in the buffer (in Go
memory), a damaged file mid-batch, a reader in nanoseconds, bad input to
the C part; each checked against what the file holds."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

import capgen
import pcapy
from pcapy import _batch

T0 = 1_600_000_000_123_456_789


def batch_pairs(data: bytes, meta: bytes) -> list:
    """((sec, usec), packet) per record, each packet sliced out by its offset."""
    return [((sec, us), data[off:off + caplen]) for sec, us, off, caplen in struct.iter_unpack("=IIII", meta)]


def usec(ts_ns: int) -> tuple[int, int]:
    return ts_ns // 10**9, ts_ns % 10**9 // 1000


def all_batches(r: pcapy.Reader, max_n: int) -> tuple[list[int], list]:
    sizes, got = [], []
    while True:
        data, meta = r.next_batch(max_n)
        if not meta:
            return sizes, got
        assert len(data) == sum(struct.unpack_from("=I", meta, i + 12)[0] for i in range(0, len(meta), 16))
        sizes.append(len(meta) // 16)
        got += batch_pairs(data, meta)


def test_a_batch_bigger_than_the_buffer_takes_several_reads_in_order(tmp_path: Path, monkeypatch) -> None:
    # 9000-byte frames: next_batch(100)'s buffer (256 KiB) holds ~29 of them
    pkts = [(T0 + i * 1001, bytes([i % 251]) * 60 + random.Random(i).randbytes(8940)) for i in range(250)]
    path = tmp_path / "jumbo.pcap"
    capgen.write_pcap(path, pkts)
    reads = []
    read_ng = _batch.read_ng
    monkeypatch.setattr(_batch, "read_ng", lambda *a: reads.append(a[2]) or read_ng(*a))
    sizes, got = all_batches(pcapy.open_offline(str(path)), 100)
    assert sizes == [100, 100, 50]
    assert got == [(usec(ts), d) for ts, d in pkts]
    assert len(reads) > 2 * len(sizes)  # several Go reads per batch, joined


def test_a_packet_that_does_not_fit_in_the_buffer_comes_from_go_memory(tmp_path: Path, monkeypatch) -> None:
    pkts = [(T0 + i, bytes([i]) * n) for i, n in enumerate([60, 5000, 70])]
    path = tmp_path / "big.pcap"
    capgen.write_pcap(path, pkts)
    r = pcapy.open_offline(str(path))
    blobs = []
    batch_blob = _batch.batch_blob
    monkeypatch.setattr(_batch, "batch_blob", lambda h: blobs.append(h) or batch_blob(h))
    small = _batch.Buffer(2, 2048)  # too small for the 5000-byte packet
    got = []
    while (batch := _batch.read_ng(r._h, small, 2, False, len(b"".join(d for _, d in got)))) is not None:
        data, meta, n = batch
        assert len(meta) == 16 * n
        base = struct.unpack_from("=I", meta, 8)[0]
        got += batch_pairs(b"\0" * base + data, meta)  # offsets count from the base given
    assert got == [(usec(ts), d) for ts, d in pkts]
    assert blobs  # the 5000-byte packet came out of Go memory


def test_damage_mid_batch_gives_the_packets_before_it_then_raises(tmp_path: Path) -> None:
    pkts = list(capgen.mixed_traffic(3000, seed=5, start_ns=T0))
    path = tmp_path / "cut.pcap"
    capgen.write_pcap(path, pkts)
    capgen.truncate_file(path, 7)  # the last record cut short
    r = pcapy.open_offline(str(path))
    data, meta = r.next_batch(1000)
    got = batch_pairs(data, meta)
    data, meta = r.next_batch(5000)  # the rest, up to the damage
    got += batch_pairs(data, meta)
    assert got == [(usec(ts), d) for ts, d in pkts[:-1]]
    with pytest.raises(pcapy.PcapError, match="truncated dump file"):
        r.next_batch(10)
    assert r.next_batch(10) == (b"", b"")


def test_next_then_next_batch_then_next_hand_out_each_packet_once(tmp_path: Path) -> None:
    pkts = list(capgen.mixed_traffic(4000, seed=9, start_ns=T0))
    path = tmp_path / "mix.pcap"
    capgen.write_pcap(path, pkts)
    want = [(usec(ts), d) for ts, d in pkts]
    r = pcapy.open_offline(str(path))
    got = []
    for max_n in (1, 3000, 7, 500):  # read ahead by next(), then past it from Go
        hdr, pkt = r.next()
        got.append((hdr.getts(), pkt))
        got += batch_pairs(*r.next_batch(max_n))
    got += [(h.getts(), d) for h, d in r]
    assert got == want


@pytest.mark.parametrize("nano_file", [False, True])
@pytest.mark.parametrize("precision", ["us", "ns"])
def test_meta_gives_microseconds_whatever_the_precision(tmp_path: Path, nano_file: bool, precision: str) -> None:
    pkts = list(capgen.mixed_traffic(300, seed=2, start_ns=T0))
    path = tmp_path / "f.pcap"
    capgen.write_pcap(path, pkts, nanosecond=nano_file)
    r = pcapy.open_offline(str(path), precision=precision)
    assert all_batches(r, 128) == ([128, 128, 44], [(usec(ts), d) for ts, d in pkts])


def _records(*recs: tuple[int, int, int, int, int, int]) -> bytes:
    return b"".join(_batch.RECORD.pack(*rec) for rec in recs)


def test_the_c_part_makes_pcapy_ng_records_and_refuses_bad_ones() -> None:
    hot = _batch.hotpath()
    rs = _batch.RECORD_SIZE
    # two packets lying apart (with other bytes between them), as Go reads a file
    mem = _records((2**32 + 5, 7_000_999, 3, 9, 2 * rs + 4, 2 * rs + 7),
                   (6, 8, 2, 2, 2 * rs + 10, 2 * rs + 12)) + b"....abc...de"
    data, meta = hot.ng_batch(mem, 2, 100, False)
    assert data == b"abcde"
    assert struct.unpack("=8I", meta) == (5, 7_000_999, 100, 3, 6, 8, 103, 2)
    assert hot.ng_batch(mem, 2, 2**32 - 1, True)[1] == struct.pack("=8I", 5, 7000, 2**32 - 1, 3, 6, 0, 2, 2)
    assert hot.ng_batch(mem, 0, 0, False) == (b"", b"")
    for args in ((mem, 3, 0, False), (mem, -1, 0, False),  # more records than the buffer holds
                 (_records((1, 2, 3, 3, rs, rs + 100)), 1, 0, False),  # data past the end
                 (_records((1, 2, 3, 3, rs + 1, rs)) + b"zz", 1, 0, False)):  # start after end
        with pytest.raises(ValueError):
            hot.ng_batch(*args)
    for args in ((mem, 2, 0), ("text", 0, 0, False), (mem, "2", 0, False), (mem, 2, None, False)):
        with pytest.raises(TypeError):
            hot.ng_batch(*args)
    rng = random.Random(4)
    for _ in range(2000):  # random records: an exception or packets from the buffer, never a crash
        blob = rng.randbytes(rng.randrange(0, 200))
        try:
            data, meta = hot.ng_batch(blob, rng.randrange(0, 5), rng.randrange(2**32), rng.random() < 0.5)
        except ValueError:
            continue
        assert len(data) <= len(blob)
