"""iter_columns / iter_dataframes: chunks checked against the per-packet
reference decoder of test_columns, chunk boundaries, and memory bounded by
a chunk on a capture of some hundreds of MB."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

import capgen  # noqa: E402
import pcapy  # noqa: E402
from testhelpers import T0, is_root  # noqa: E402
from test_columns import COLUMNS, LINK_CAPTURES, assert_columns, capture, damaged, expected  # noqa: E402


def joined(chunks: list[dict]) -> dict:
    assert chunks, "no chunk"
    return {name: np.concatenate([c[name] for c in chunks]) for name in chunks[0]}


@pytest.mark.parametrize("name", list(LINK_CAPTURES))
def test_chunks_of_every_link_type(tmp_path: Path, name: str) -> None:
    linktype, frames = LINK_CAPTURES[name]
    for suffix in ("pcap", "pcapng"):
        path = capture(tmp_path, f"{name}.{suffix}", frames(), linktype)
        chunks = list(pcapy.iter_columns(path, chunk_rows=3))
        assert [len(c["ts"]) for c in chunks[:-1]] == [3] * (len(chunks) - 1)
        assert 1 <= len(chunks[-1]["ts"]) <= 3
        assert_columns(joined(chunks), expected(path))


def test_chunk_boundaries_count_filter_and_files(tmp_path: Path) -> None:
    paths = []
    for i, n in enumerate([1000, 0, 3, 500]):
        paths.append(tmp_path / f"part{i}.pcap")
        capgen.write_sample(paths[-1], n=n, seed=i + 1, start_ns=T0 + i, nanosecond=i == 3)
    wants = [expected(p) for p in paths]
    want = {name: sum((w[name] for w in wants), []) for name in COLUMNS}
    for rows in (1, 250, 1000, 1503, 5000):  # exact multiples, across files, bigger than all
        chunks = list(pcapy.iter_columns(paths, chunk_rows=rows))
        sizes = [len(c["ts"]) for c in chunks]
        assert sizes == [rows] * (1503 // rows) + ([1503 % rows] if 1503 % rows else []), rows
        assert_columns(joined(chunks), want)
    got = joined(list(pcapy.iter_columns(paths, fields=["sport", "ts"], count=1002, chunk_rows=300)))
    assert list(got) == ["sport", "ts"] and got["ts"].tolist() == want["ts"][:1002]
    udp = [i for i, p in enumerate(want["proto"]) if p == 17]
    got = joined(list(pcapy.iter_columns(paths, "udp", fields=["ts"], chunk_rows=77)))
    assert got["ts"].tolist() == [want["ts"][i] for i in udp]
    assert list(pcapy.iter_columns(paths, "port 1")) == []  # no empty chunks
    assert list(pcapy.iter_columns([])) == []
    assert list(pcapy.iter_columns(paths[1])) == []


def test_dataframes(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=1000, nanosecond=True, start_ns=T0)
    whole = pcapy.read_dataframe(path)
    frames = list(pcapy.iter_dataframes(path, chunk_rows=400))
    assert [len(f) for f in frames] == [400, 400, 200]
    for f in frames:
        assert list(f.columns) == COLUMNS and str(f["ts"].dtype) == "datetime64[ns, UTC]"
        assert isinstance(f["src"].dtype, pd.CategoricalDtype) and f["src"].dtype == f["dst"].dtype
    glued = pd.concat(frames, ignore_index=True)
    for name in COLUMNS:
        assert glued[name].astype(object).tolist() == whole[name].astype(object).tolist(), name


def test_damage_raises_or_warns(tmp_path: Path) -> None:
    path = damaged(tmp_path)
    chunks = []
    with pytest.raises(pcapy.PcapError, match=r"truncated dump file.*after 321 packets"):
        for c in pcapy.iter_columns(path, chunk_rows=100):
            chunks.append(c)
    assert [len(c["ts"]) for c in chunks] == [100, 100, 100]  # the chunk with the damage is not yielded
    whole = tmp_path / "whole.pcap"
    capgen.write_sample(whole, n=321)
    with pytest.warns(RuntimeWarning, match=r"after 321 packets"):
        chunks = list(pcapy.iter_columns([path, whole], chunk_rows=100, on_error="warn"))
    assert [len(c["ts"]) for c in chunks] == [100, 100, 100, 21, 100, 100, 100, 21]
    want = expected(whole)
    assert_columns(joined(chunks), {k: v + v for k, v in want.items()})


def test_reader_source(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=2500, nanosecond=True, start_ns=T0)
    want = expected(path)
    reader = pcapy.open_offline(path, precision="ns")
    for _ in range(3):
        reader.next()
    chunks = list(pcapy.iter_columns(reader, "tcp", count=1000, chunk_rows=300))
    assert [len(c["ts"]) for c in chunks] == [300, 300, 300, 100]
    tcp = [i for i in range(3, 2500) if want["proto"][i] == 6][:1000]
    assert joined(chunks)["ts"].tolist() == [want["ts"][i] for i in tcp]
    rest = list(pcapy.iter_dataframes(reader, fields=["ts"], chunk_rows=10_000))
    assert len(rest) == 1 and rest[0]["ts"].iloc[0].value == want["ts"][tcp[-1] + 1 + next(
        j for j, p in enumerate(want["proto"][tcp[-1] + 1:]) if p == 6)]
    assert list(pcapy.iter_columns(reader)) == []


def test_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "s.pcap"
    capgen.write_sample(path, n=5)
    with pytest.raises(ValueError, match="chunk_rows must be positive"):
        next(pcapy.iter_columns(path, chunk_rows=0))
    with pytest.raises(TypeError, match="chunk_rows"):
        next(pcapy.iter_columns(path, chunk_rows=2.0))
    with pytest.raises(ValueError, match="unknown field"):
        next(pcapy.iter_dataframes(path, fields=["nope"]))
    chunks = []
    with pytest.raises(pcapy.PcapError, match="No such file"):  # when the iteration reaches it
        for c in pcapy.iter_columns([path, tmp_path / "missing.pcap"], chunk_rows=2):
            chunks.append(c)
    assert [len(c["ts"]) for c in chunks] == [2, 2]
    with pytest.raises(pcapy.PcapError, match="syntax error"):
        next(pcapy.iter_columns(path, "tcp and"))
    # A generator dropped half way releases its file.
    it = pcapy.iter_columns(path, chunk_rows=2)
    next(it)
    it.close()


def big_capture(path: Path, mbytes: int) -> int:
    """A classic pcap file of mbytes MB of small UDP packets; the count."""
    frame = capgen.ethernet(capgen.mac("02:00:00:00:00:02"), capgen.mac("02:00:00:00:00:01"), 0x0800,
                            capgen.ipv4("10.1.0.1", "10.1.0.2", 17, capgen.udp("10.1.0.1", "10.1.0.2", 1, 2, b"")))
    record = struct.pack("<IIII", T0 // 10**9, 0, len(frame), len(frame)) + frame
    block = record * 10_000
    n = mbytes * 1_000_000 // len(block)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for _ in range(n):
            f.write(block)
    return n * 10_000


def test_memory_is_bounded_by_a_chunk(tmp_path: Path) -> None:
    path = tmp_path / "big.pcap"
    packets = big_capture(path, 300)
    # What read_columns would hold: 8+4+4+2+4+2+1+4+4+2+4+4+2+4 bytes a row
    # in Go, and the numpy arrays (object pointers for src/dst).
    whole_mb = packets * (49 + 49 + 8) / 1e6
    code = textwrap.dedent(f"""
        import resource, pcapy, numpy
        def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        list(pcapy.iter_columns({str(path)!r}, chunk_rows=1000))  # warm up: Go runtime, numpy
        base = peak()
        rows = 0
        for chunk in pcapy.iter_columns({str(path)!r}, chunk_rows=65536):
            rows += len(chunk["ts"])
        print(rows, base, peak())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows, base, peak = out.stdout.split()
    assert int(rows) == packets
    grown = float(peak) - float(base)
    assert grown < 100 and grown < whole_mb / 4, (grown, whole_mb)


@pytest.mark.live
@pytest.mark.root
@pytest.mark.skipif(not is_root(), reason="live capture needs root")
def test_live_reader_streams_chunks_and_flows() -> None:
    reader = pcapy.open_live("lo", 65535, 0, 200)
    port = 40000 + os.getpid() % 20000
    reader.setfilter(f"udp dst port {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(7):
            s.sendto(b"x" * i, ("127.0.0.1", port))
    chunks = list(pcapy.iter_columns(reader, fields=["dport", "payload_len"], count=7, chunk_rows=3))
    assert [len(c["dport"]) for c in chunks] == [3, 3, 1]
    assert joined(chunks)["payload_len"].tolist() == list(range(7))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        for i in range(4):
            s.sendto(b"y" * i, ("127.0.0.1", port))
    # Nothing more after these: to_ms (200 ms) ends the iteration.
    flows = pcapy.read_flows(reader, chunk_rows=2)
    assert flows["packets"].tolist() == [4] and flows["dst_port"].tolist() == [port]
    assert flows["src2dst_payload_bytes"].tolist() == [6]
    reader.close()
