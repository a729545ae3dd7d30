"""Every way of reading a capture yields what libpcap yields (issue 10, "correct
rows everywhere"): a property over seeded generated files mixing oversized
and zero-length records, huge snaplens, cut-off ends, far-future timestamps,
pcap / ns pcap / pcapng. The reference is libpcap itself (libpcap_ref: ctypes,
pcap_next_ex). PCAPY_PROPERTY_FILES sets how many files (default 100)."""

from __future__ import annotations

import os
import random
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import capgen
import libpcap_ref
import pcapy

FILES = int(os.environ.get("PCAPY_PROPERTY_FILES", "100"))
FILTERS = (None, "tcp", "greater 200")
FRAMES = capgen.sample_frames(seed=3, count=64)
MAX_TS_NS = (2**63 - 1)  # read_columns' ts: int64 nanoseconds


def _record_data(rng: random.Random, snaplen: int) -> tuple[bytes, int]:
    """A record's bytes and wire length: mostly ordinary frames, some empty,
    some longer than the snaplen (libpcap's special cases, the Go reader's
    hand-over to libpcap)."""
    kind = rng.random()
    frame = rng.choice(FRAMES)
    if kind < 0.1:
        return b"", rng.choice([0, 60, 1514])
    if kind < 0.2:
        size = rng.randint(snaplen + 1, max(snaplen + 1, min(snaplen * 2, 300_000)))
        return (frame * (size // len(frame) + 1))[:size], size
    return frame[: min(len(frame), snaplen)], len(frame)


def write_capture(path: Path, rng: random.Random) -> dict:
    """A random capture file; returns how it was made."""
    fmt = rng.choice(["pcap", "pcap-ns", "pcapng", "pcapng-ns"])
    snaplen = rng.choice([96, 1514, 65535, 262144, 0x7FFFFFFF])
    n = rng.randint(0, 60)
    far = fmt.startswith("pcapng") and rng.random() < 0.3
    ts = 1_600_000_000 * 10**9
    packets = []
    for _ in range(n):
        ts += rng.randint(0, 10**9)
        data, wire = _record_data(rng, min(snaplen, 262144))
        when = ts
        if far and rng.random() < 0.3:  # beyond 2262: int64 ns cannot hold it
            when = rng.randint(2**63, 2**63 + 10**15)
        packets.append((when, data, max(wire, len(data))))
    nano = fmt.endswith("-ns")
    if fmt.startswith("pcapng"):
        capgen.write_pcapng(path, packets, snaplen=min(snaplen, 0x7FFFFFFF), nanosecond=nano)
    else:
        with open(path, "wb") as f:  # by hand: capgen cuts records to the snaplen
            f.write(struct.pack("<IHHiIII", capgen.PCAP_MAGIC_NS if nano else capgen.PCAP_MAGIC_US,
                                2, 4, 0, 0, snaplen, 1))
            for when, data, wire in packets:
                sec, frac = divmod(when, 10**9)
                f.write(struct.pack("<IIII", sec & 0xFFFFFFFF, frac if nano else frac // 1000, len(data), wire))
                f.write(data)
    cut = 0
    if n and rng.random() < 0.3:
        cut = rng.randint(1, 40)
        capgen.truncate_file(path, cut)
    return {"fmt": fmt, "snaplen": snaplen, "n": n, "cut": cut}


def _pairs(got: list) -> list:
    return [(tuple(h), d) for h, d in got]


def read_next(path: str) -> tuple[list, bool]:
    r = pcapy.open_offline(path)
    out = []
    try:
        while True:
            h, d = r.next()
            if h is None:
                return out, False
            out.append((h, d))
    except pcapy.PcapError:
        return out, True
    finally:
        r.close()


def read_callbacks(path: str, how: str) -> tuple[list, bool]:
    r = pcapy.open_offline(path)
    out = []
    try:
        if how == "loop":
            r.loop(-1, lambda h, d: out.append((h, d)))
        elif how == "loop7":  # loop with a count, several times
            while True:
                before = len(out)
                r.loop(7, lambda h, d: out.append((h, d)))
                if len(out) == before:
                    break
        elif how == "dispatch":
            assert r.dispatch(-1, lambda h, d: out.append((h, d))) == len(out)
        else:  # dispatch 5 at a time
            while r.dispatch(5, lambda h, d: out.append((h, d))):
                pass
        return out, False
    except pcapy.PcapError:
        return out, True
    finally:
        r.close()


def read_iter(path: str) -> tuple[list, bool]:
    out = []
    with pcapy.open_offline(path) as r:
        try:
            for pair in r:
                out.append(pair)
        except pcapy.PcapError:
            return out, True
    return out, False


def read_batches(path: str) -> tuple[list, bool]:
    out = []
    with pcapy.open_offline(path) as r:
        try:
            while True:
                data, meta = r.next_batch(7)
                if not meta:
                    return out, False
                for sec, usec, off, caplen in struct.iter_unpack("=IIII", meta):
                    out.append(((sec, usec, caplen), data[off:off + caplen]))
        except pcapy.PcapError:
            return out, True


@pytest.mark.timeout(300)
def test_every_way_of_reading_yields_libpcaps_packets(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    rng = random.Random(1010)
    for i in range(FILES):
        path = tmp_path / f"f{i}.cap"
        made = write_capture(path, rng)
        try:
            want, damaged = libpcap_ref.read(str(path))
        except OSError:
            with pytest.raises(pcapy.PcapError):
                pcapy.open_offline(str(path))
            continue
        ctx = f"file {i}: {made}"
        for reader in (read_next, read_iter, *(lambda p, h=h: read_callbacks(p, h)
                                               for h in ("loop", "loop7", "dispatch", "dispatch5"))):
            got, err = reader(str(path))
            assert _pairs(got) == want and err == damaged, ctx
        got, err = read_batches(str(path))
        assert got == [((s & 0xFFFFFFFF, u, c), d) for (s, u, c, _), d in want] and err == damaged, ctx
        for expr in FILTERS:
            ref, ref_damaged = libpcap_ref.read(str(path), nano=True, expr=expr)
            for count in (-1, 3):
                rows = ref[:count] if count > 0 else ref
                far = any(not -(2**63) <= h[0] * 10**9 + h[1] <= MAX_TS_NS for h, _ in rows)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if far:
                        with pytest.raises(ValueError, match="ts column"):
                            pcapy.read_columns(str(path), expr, count=count, on_error="warn")
                        cols = pcapy.read_columns(str(path), expr, count=count, on_error="warn",
                                                  fields=["caplen", "len"])
                    else:
                        cols = pcapy.read_columns(str(path), expr, count=count, on_error="warn")
                        assert cols["ts"].tolist() == [h[0] * 10**9 + h[1] for h, _ in rows], ctx
                assert cols["caplen"].tolist() == [h[2] for h, _ in rows], (ctx, expr, count)
                assert cols["len"].tolist() == [h[3] for h, _ in rows], (ctx, expr, count)
                assert isinstance(cols["caplen"], np.ndarray)


def test_filtered_columns_after_a_hand_over_to_libpcap(tmp_path: Path) -> None:
    """A record longer than the snaplen midway: the Go reader hands over to
    libpcap there; with a filter that gave 30 rows for 20 packets."""
    pytest.importorskip("numpy")
    path = tmp_path / "handover.pcap"
    frame = FRAMES[0]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", capgen.PCAP_MAGIC_US, 2, 4, 0, 0, 1600, 1))
        for i in range(20):
            data = frame * 2 if i == 10 else frame  # caplen 2 * len(frame) > snaplen
            f.write(struct.pack("<IIII", 1_600_000_000 + i, 0, len(data), len(data)))
            f.write(data)
    want, damaged = libpcap_ref.read(str(path), expr="greater 0")
    assert len(want) == 20 and not damaged
    cols = pcapy.read_columns(str(path), "greater 0")
    assert cols["ts"].tolist() == [(1_600_000_000 + i) * 10**9 for i in range(20)]
    assert cols["caplen"].tolist() == [h[2] for h, _ in want]


def test_timestamps_beyond_2262_raise_not_wrap(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    path = tmp_path / "far.pcapng"
    capgen.write_pcapng(path, [(10**18, FRAMES[0]), (2**63 + 5 * 10**9, FRAMES[1])], nanosecond=True)
    with pytest.raises(ValueError, match="ts column"):
        pcapy.read_columns(str(path))
    cols = pcapy.read_columns(str(path), fields=["caplen"])  # without ts: fine
    assert cols["caplen"].tolist() == [len(FRAMES[0]), len(FRAMES[1])]
    r = pcapy.open_offline(str(path))  # next() represents it exactly
    r.next()
    assert r.next()[0].getts()[0] == (2**63 + 5 * 10**9) // 10**9


def test_a_huge_snaplen_does_not_size_read_columns_memory(tmp_path: Path) -> None:
    """A file may claim a 2 GiB snaplen: read_columns allocated twice that
    (address space mostly, and seconds of system time per call)."""
    pytest.importorskip("numpy")
    code = ("import sys, pcapy; pcapy.read_columns(sys.argv[1]); "
            "print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmPeak')][0])")
    peaks = []
    for snaplen in (65535, 0x7FFFFFFF):
        path = tmp_path / f"snap{snaplen}.pcap"
        capgen.write_pcap(path, [(10**18, FRAMES[0])], snaplen=snaplen)
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                             timeout=120, check=True)
        peaks.append(int(out.stdout))
    assert peaks[1] < peaks[0] + (1 << 20)  # KiB: within 1 GiB of an ordinary file's
