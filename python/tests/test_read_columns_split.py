"""read_columns / read_dataframe of one file large enough (16 MiB and more)
to be read by two goroutines, one per half (gopcapy/columns_split.go): the
same rows, address table and errors as ways of reading that do not split.

References, none of which splits: the packets' headers and addresses read
with next() and decoded here with struct; read_columns of an open Reader
(libpcap's reading); read_columns with a count (the file's own reader, one
goroutine: a count turns the split off). That the file really is read the
split way is seen from outside: gopcapy maps the file (/proc/self/maps)
only then. The Go tests (columns_split_test.go) check that the split
happens and every way it can go wrong; these check the real extension end
to end on files above the real threshold (~5 s, most of it generating and
decoding the 21 MB references in Python).
"""

from __future__ import annotations

import ipaddress
import os
import struct
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import capgen  # noqa: E402
import pcapy  # noqa: E402
from testhelpers import T0  # noqa: E402

np = pytest.importorskip("numpy")

SPLIT_MIN = 16 << 20  # gopcapy's splitMin
PACKETS = 27_000  # about 21 MB of capgen's mixed traffic
NO_SPLIT = 10**9  # a count: read by one goroutine, and still every packet


def _packets() -> list[tuple[int, bytes]]:
    """capgen's mixed traffic (a dozen hosts, seen all through the file)
    and, from 60% of the way on, every 50th packet between addresses of its
    own: addresses first seen in the second half."""
    out = list(capgen.mixed_traffic(PACKETS, seed=5, start_ns=T0))
    mac_a, mac_b = capgen.mac("02:00:00:00:00:01"), capgen.mac("02:00:00:00:00:02")
    for i in range(PACKETS * 6 // 10, PACKETS, 50):
        src, dst = f"10.{200 + i % 7}.{i // 256 % 256}.{i % 256}", f"10.99.{i % 3}.1"
        udp = capgen.udp(src, dst, 40000 + i % 1000, 53, b"q" * (i % 200))
        out[i] = (out[i][0], capgen.ethernet(mac_b, mac_a, capgen.ETH_P_IP,
                                             capgen.ipv4(src, dst, capgen.IPPROTO_UDP, udp)))
    return out


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: a file is not split")
    d = tmp_path_factory.mktemp("split")
    pkts = _packets()
    paths = {"pcap": d / "big.pcap", "pcapng": d / "big.pcapng"}
    capgen.write_pcap(paths["pcap"], pkts, nanosecond=True)
    capgen.write_pcapng(paths["pcapng"], pkts, nanosecond=True)
    for path in paths.values():
        assert path.stat().st_size > SPLIT_MIN + (1 << 20), "too small to be split"
    return paths


def _next_rows(path: Path) -> dict[str, list]:
    """ts, caplen, len, src, dst, sport, dport of every packet, from next()
    and struct alone (capgen's frames: Ethernet, IPv4 or IPv6, no tags)."""
    cols: dict[str, list] = {k: [] for k in ("ts", "caplen", "len", "src", "dst", "sport", "dport")}
    r = pcapy.open_offline(str(path), precision="ns")
    try:
        while True:
            hdr, data = r.next()
            if hdr is None:
                break
            cols["ts"].append(hdr.getts_ns())
            cols["caplen"].append(hdr.getcaplen())
            cols["len"].append(hdr.getlen())
            etype = struct.unpack_from("!H", data, 12)[0]
            src = dst = ""
            proto, l4 = -1, 0
            if etype == 0x0800:
                src, dst = str(ipaddress.IPv4Address(data[26:30])), str(ipaddress.IPv4Address(data[30:34]))
                proto, l4 = data[23], 14 + (data[14] & 15) * 4
            elif etype == 0x86DD:
                src, dst = str(ipaddress.IPv6Address(data[22:38])), str(ipaddress.IPv6Address(data[38:54]))
                proto, l4 = data[20], 54
            ports = struct.unpack_from("!HH", data, l4) if proto in (6, 17) else (-1, -1)
            cols["src"].append(src)
            cols["dst"].append(dst)
            cols["sport"].append(ports[0])
            cols["dport"].append(ports[1])
    finally:
        r.close()
    return cols


def _mapped_while(path: Path, read):
    """read() and whether the file was mapped while it ran (gopcapy maps a
    file it reads in two halves; seen in /proc/self/maps by a thread that
    looks while Python waits between two of ColumnsFill's slices of time)."""
    seen, done = [], threading.Event()

    def look() -> None:
        while not done.is_set() and not seen:
            with open("/proc/self/maps") as maps:
                if str(path) in maps.read():
                    seen.append(True)
            time.sleep(0.0005)

    watcher = threading.Thread(target=look, daemon=True)
    watcher.start()
    try:
        return read(), bool(seen)
    finally:
        done.set()
        watcher.join(timeout=10)


def _via_reader(path: Path, filter_=None, fields=None, on_error="raise") -> dict:
    r = pcapy.open_offline(str(path), precision="ns")
    try:
        return pcapy.read_columns(r, filter_, fields=fields, on_error=on_error)
    finally:
        r.close()


def _same(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for name in got:
        assert got[name].dtype == want[name].dtype, name
        assert len(got[name]) == len(want[name]), name
        assert np.array_equal(got[name], want[name]), name


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_split_read_is_every_packet_in_order(captures, kind) -> None:
    path = captures[kind]
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("no /proc/self/maps")
    got, mapped = _mapped_while(path, lambda: pcapy.read_columns(path))
    assert mapped, "the file was not mapped: not read in two halves"
    want = _next_rows(path)
    assert len(got["ts"]) == PACKETS
    for name, values in want.items():
        assert got[name].tolist() == values, name
    _same(got, _via_reader(path))
    _same(got, pcapy.read_columns(path, count=NO_SPLIT))
    # the addresses the second half alone holds are there, after the others
    late = [a for a in dict.fromkeys(got["src"].tolist()) if a.startswith("10.20")]
    assert len(late) == len(range(PACKETS * 6 // 10, PACKETS, 50))


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
@pytest.mark.parametrize("filter_, fields", [
    ("tcp", None),
    ("udp and port 53", ["ts", "src", "dst", "dport"]),
    (None, ["dst"]),
    (None, ["len", "ts"]),
    ("ip proto 99", ["src", "ts"]),  # no rows
])
def test_split_read_with_filter_and_fields(captures, kind, filter_, fields) -> None:
    path = captures[kind]
    got = pcapy.read_columns(path, filter_, fields=fields)
    _same(got, _via_reader(path, filter_, fields))
    _same(got, pcapy.read_columns(path, filter_, fields=fields, count=NO_SPLIT))


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_split_read_dataframe(captures, kind) -> None:
    pd = pytest.importorskip("pandas")
    path = captures[kind]
    got = pcapy.read_dataframe(path)
    r = pcapy.open_offline(str(path), precision="ns")
    try:
        want = pcapy.read_dataframe(r)
    finally:
        r.close()
    pd.testing.assert_frame_equal(got, want)
    # the categories: the distinct addresses in order of first appearance
    assert list(got["src"].cat.categories) == list(want["src"].cat.categories)
    pd.testing.assert_frame_equal(pcapy.read_dataframe(path, "udp", fields=["src", "ts"]),
                                  pcapy.read_dataframe(path, "udp", fields=["src", "ts"], count=NO_SPLIT))


def _record_offsets(data: bytes) -> list[int]:
    """Where each record of a little-endian classic pcap file starts."""
    offs, p = [], 24
    while p + 16 <= len(data):
        offs.append(p)
        p += 16 + struct.unpack_from("<I", data, p + 8)[0]
    return offs


def _block_offsets(data: bytes) -> list[int]:
    """Where each enhanced packet block of a little-endian pcapng file starts."""
    offs, p = [], 0
    while p + 8 <= len(data):
        kind, size = struct.unpack_from("<II", data, p)
        if kind == 6:
            offs.append(p)
        p += size
    return offs


@pytest.mark.parametrize("damage", ["cut", "bad-caplen", "bad-pcapng-trailer", "cut-pcapng"])
def test_split_read_of_a_damaged_file(captures, tmp_path, damage) -> None:
    """Damage in the second half (7/8 in): the same PcapError, and with on_error='warn'
    the same rows and warning, as the file's read by one goroutine."""
    data = bytearray(captures["pcapng" if "pcapng" in damage else "pcap"].read_bytes())
    if damage == "cut":
        offs = _record_offsets(bytes(data))
        data = data[:offs[len(offs) * 7 // 8] + 9]  # in a record header, 7/8 in
    elif damage == "bad-caplen":
        offs = _record_offsets(bytes(data))
        struct.pack_into("<I", data, offs[len(offs) * 7 // 8] + 8, 0x7FFFFFFF)
    elif damage == "cut-pcapng":
        data = data[:len(data) * 7 // 8 + 3]
    else:  # an enhanced packet block's trailing length, 7/8 in
        p = next(p for p in _block_offsets(bytes(data)) if p >= len(data) * 7 // 8)
        size = struct.unpack_from("<I", data, p + 4)[0]
        struct.pack_into("<I", data, p + size - 4, size + 4)
    path = tmp_path / f"damaged-{damage}"
    path.write_bytes(bytes(data))
    assert path.stat().st_size > SPLIT_MIN

    with pytest.raises(pcapy.PcapError) as split_err:
        pcapy.read_columns(path)
    with pytest.raises(pcapy.PcapError) as one_err:
        pcapy.read_columns(path, count=NO_SPLIT)
    assert str(split_err.value) == str(one_err.value)

    with warnings.catch_warnings(record=True) as split_warn:
        warnings.simplefilter("always")
        got = pcapy.read_columns(path, on_error="warn")
    with warnings.catch_warnings(record=True) as one_warn:
        warnings.simplefilter("always")
        want = pcapy.read_columns(path, on_error="warn", count=NO_SPLIT)
    assert [str(w.message) for w in split_warn] == [str(w.message) for w in one_warn]
    assert len(split_warn) == 1
    _same(got, want)
    assert 0 < len(got["ts"]) < PACKETS
    # and libpcap (through a Reader) gives these rows too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(got, _via_reader(path, on_error="warn"))


_CUT_WHILE_READ = """
import os, sys, threading, time, warnings
sys.path[:0] = sys.argv[3:]
import pcapy
path, rounds = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
for i in range(rounds):
    with open(path, "wb") as f:
        f.write(data)
    cut = threading.Timer(0.001 * (i % 8), os.truncate, (path, len(data) * (1 + i % 3) // 4))
    cut.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cols = pcapy.read_columns(path, on_error="warn")
        assert len(cols["ts"]) <= len(data) // 16
    except pcapy.PcapError:
        pass  # libpcap's word on what it found, as for any damaged file
    cut.join()
print("ok")
"""


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_a_file_cut_while_it_is_read_is_an_error_or_rows_never_a_crash(captures, tmp_path, kind) -> None:
    """The file mapped and read by two goroutines is cut (os.truncate) at
    moments across the read: a page past the new end must not kill the
    interpreter (SIGBUS), through the real extension. In a child process,
    under a timeout."""
    import subprocess

    path = tmp_path / f"cut.{kind}"
    path.write_bytes(captures[kind].read_bytes())
    out = subprocess.run([sys.executable, "-c", _CUT_WHILE_READ, str(path), "12", *sys.path],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
