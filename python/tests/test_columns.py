"""read_columns / read_dataframe: every column checked against a decoder written
here, per packet with struct on what next() returns, on generated captures of
every supported link type."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

import capgen  # noqa: E402
import pcapy  # noqa: E402
from testhelpers import MAC_A, MAC_B, T0, is_root  # noqa: E402

COLUMNS = ["ts", "caplen", "len", "linktype", "eth_type", "vlan", "ip_version", "src", "dst",
           "proto", "sport", "dport", "tcp_flags", "payload_len"]
VLAN_TYPES = (0x8100, 0x88A8, 0x9100)


# ------------------------------------------------------ the reference decoder

def be16(b: bytes, off: int) -> int:
    return struct.unpack_from("!H", b, off)[0]


def expected_row(linktype: int, data: bytes, wire: int) -> dict:
    """The columns of one packet, from its bytes: the documented rules."""
    row = dict(eth_type=-1, vlan=-1, ip_version=0, src="", dst="", proto=-1, sport=-1, dport=-1,
               tcp_flags=-1, payload_len=-1)
    if linktype in (pcapy.DLT_EN10MB, pcapy.DLT_LINUX_SLL, 276):
        off = {pcapy.DLT_EN10MB: 12, pcapy.DLT_LINUX_SLL: 14, 276: 0}[linktype]
        hdr = {pcapy.DLT_EN10MB: 14, pcapy.DLT_LINUX_SLL: 16, 276: 20}[linktype]
        if len(data) < hdr:
            return row
        et = be16(data, off)
        off = hdr
        while et in VLAN_TYPES:
            if row["vlan"] == -1 and len(data) >= off + 2:
                row["vlan"] = be16(data, off) & 0xFFF
            if len(data) < off + 4:
                return row
            et, off = be16(data, off + 2), off + 4
    elif linktype in (pcapy.DLT_NULL, pcapy.DLT_LOOP):
        if len(data) < 4:
            return row
        (family,) = struct.unpack_from("!I" if linktype == pcapy.DLT_LOOP else "<I", data)
        if linktype == pcapy.DLT_NULL and family > 0xFFFF:
            (family,) = struct.unpack_from(">I", data)
        et = {2: 0x0800, 24: 0x86DD, 28: 0x86DD, 30: 0x86DD}.get(family, -1)
        off = 4
    elif linktype in (pcapy.DLT_RAW, 228, 229):
        et = {4: 0x0800, 6: 0x86DD}.get(data[0] >> 4, -1) if data else -1
        off = 0
    else:
        return row
    row["eth_type"] = et
    rest = max(0, wire - off)
    row["payload_len"] = rest
    ip = data[off:]
    if et == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4 and (ip[0] & 15) >= 5:
        ihl = (ip[0] & 15) * 4
        total, frag, proto = be16(ip, 2), be16(ip, 6), ip[9]
        payload = total - ihl if total >= ihl else max(0, rest - ihl)
        row.update(ip_version=4, src=socket.inet_ntop(socket.AF_INET, ip[12:16]),
                   dst=socket.inet_ntop(socket.AF_INET, ip[16:20]), proto=proto, payload_len=payload)
        if frag & 0x1FFF == 0 and len(ip) >= ihl:
            transport(row, proto, ip[ihl:], payload)
    elif et == 0x86DD and len(ip) >= 40 and ip[0] >> 4 == 6:
        payload = be16(ip, 4) or max(0, rest - 40)
        row.update(ip_version=6, src=str(ipaddress.IPv6Address(ip[8:24])),
                   dst=str(ipaddress.IPv6Address(ip[24:40])))
        nxt, off = ip[6], 40
        while nxt in (0, 43, 60, 51, 44):
            size = 0
            if nxt == 44:
                size = 8
            elif len(ip) >= off + 2:
                size = (ip[off + 1] + 2) * 4 if nxt == 51 else (ip[off + 1] + 1) * 8
            if not size or len(ip) < off + size:  # not captured: the protocol stays unknown
                row.update(proto=nxt, payload_len=max(0, payload))
                return row
            later = nxt == 44 and be16(ip, off + 2) & 0xFFF8 != 0
            nxt, off, payload = ip[off], off + size, payload - size
            if later:
                row.update(proto=nxt, payload_len=max(0, payload))
                return row
        row.update(proto=nxt, payload_len=max(0, payload))
        transport(row, nxt, ip[off:], max(0, payload))
    return row


def transport(row: dict, proto: int, seg: bytes, payload: int) -> None:
    if proto == 6 and len(seg) >= 20:
        row.update(sport=be16(seg, 0), dport=be16(seg, 2), tcp_flags=seg[13],
                   payload_len=max(0, payload - (seg[12] >> 4) * 4))
    elif proto == 17 and len(seg) >= 8:
        row.update(sport=be16(seg, 0), dport=be16(seg, 2), payload_len=max(0, payload - 8))


def expected(path: Path, nano: bool = True) -> dict[str, list]:
    """Every column of a capture, packet by packet through next()."""
    cols: dict[str, list] = {name: [] for name in COLUMNS}
    reader = pcapy.open_offline(str(path), precision="ns" if nano else "us")
    linktype = reader.datalink()
    while True:
        hdr, data = reader.next()
        if hdr is None:
            break
        row = expected_row(linktype, data, hdr.getlen())
        row.update(ts=hdr.getts_ns(), caplen=hdr.getcaplen(), len=hdr.getlen(), linktype=linktype)
        for name in COLUMNS:
            cols[name].append(row[name])
    return cols


def assert_columns(got: dict, want: dict[str, list]) -> None:
    assert list(got) == COLUMNS
    for name in COLUMNS:
        assert got[name].tolist() == want[name], name


# --------------------------------------------------------------- captures

def ip4_tcp(src: str = "10.0.0.1", dst: str = "10.0.0.2", sport: int = 40000, dport: int = 80,
            payload: bytes = b"hello", flags: int = capgen.TCP_SYN | capgen.TCP_ACK, **kw) -> bytes:
    return capgen.ipv4(src, dst, 6, capgen.tcp(src, dst, sport, dport, payload, flags=flags), **kw)


def ip6_udp(src: str = "fd00::1", dst: str = "fd00::2", sport: int = 5353, dport: int = 53,
            payload: bytes = b"q" * 10) -> bytes:
    return capgen.ipv6(src, dst, 17, capgen.udp(src, dst, sport, dport, payload))


def ip6_ext() -> list[bytes]:
    """IPv6 with a hop-by-hop header, and the two fragments of a datagram."""
    udp = capgen.udp("fd00::a", "fd00::b", 1111, 2222, b"u" * 40)
    hbh = bytes([6, 0, 1, 4, 0, 0, 0, 0])
    first = bytes([17, 0]) + struct.pack("!HI", 0 | 1, 9)  # offset 0, more fragments
    later = bytes([17, 0]) + struct.pack("!HI", 24, 9)  # offset 24 bytes
    return [
        capgen.ipv6("2001:db8::1", "2001:db8::2", 0, hbh + capgen.tcp("2001:db8::1", "2001:db8::2", 443, 50000, b"s" * 100)),
        capgen.ipv6("fd00::a", "fd00::b", 44, first + udp[:24]),
        capgen.ipv6("fd00::a", "fd00::b", 44, later + udp[24:]),
    ]


def ip4_fragments() -> list[bytes]:
    udp = capgen.udp("10.9.0.1", "10.9.0.2", 7000, 8000, b"f" * 64)
    return [
        capgen.ipv4("10.9.0.1", "10.9.0.2", 17, udp[:40], ident=5, more_fragments=True),
        capgen.ipv4("10.9.0.1", "10.9.0.2", 17, udp[40:], ident=5, frag_offset=40),
    ]


def ip_packets() -> list[bytes]:
    """IP packets of many kinds, for every link type."""
    out = [ip4_tcp(), ip6_udp(), ip4_tcp(flags=capgen.TCP_FIN, payload=b""), *ip6_ext(), *ip4_fragments(),
           capgen.ipv4("192.168.1.1", "192.168.1.2", 1, capgen.icmp_echo(7, 1, b"p" * 56)),
           capgen.ipv6("fd00::1", "fd00::2", 58, capgen.icmpv6_echo("fd00::1", "fd00::2", 1, 2, b"x"))]
    return out


def stamped(frames: list[bytes]) -> list[tuple[int, bytes]]:
    return [(T0 + i * 1_000_000_001, f) for i, f in enumerate(frames)]


def ethernet_frames() -> list[bytes]:
    frames = [capgen.ethernet(MAC_B, MAC_A, 0x86DD if p[0] >> 4 == 6 else 0x0800, p) for p in ip_packets()]
    frames += [capgen.ethernet(MAC_B, MAC_A, 0x0800, ip4_tcp(), vlan=42),
               capgen.ethernet(MAC_B, MAC_A, 0x86DD, ip6_udp(), vlan=4095),
               # 802.1ad outer tag (100) then 802.1Q (200)
               MAC_B + MAC_A + struct.pack("!HHHH", 0x88A8, 100, 0x8100, 200) + struct.pack("!H", 0x0800) + ip4_tcp(),
               capgen.arp_request(MAC_A, "10.0.0.1", "10.0.0.9"),
               capgen.arp_request(MAC_A, "10.0.0.1", "10.0.0.9", vlan=7),
               MAC_B + MAC_A + struct.pack("!H", 38) + b"\x42" * 38,  # 802.3 length, LLC
               capgen.ethernet(MAC_B, MAC_A, 0x0800, b"\x45\x00"),  # IPv4 header cut short
               MAC_B + MAC_A]  # shorter than an Ethernet header
    tso = bytearray(capgen.ethernet(MAC_B, MAC_A, 0x0800, ip4_tcp()))
    tso[16:18] = b"\x00\x00"  # IP total length 0, as segmentation offload captures it
    frames.append(bytes(tso))
    return frames


def capture(tmp_path: Path, name: str, frames: list[bytes], linktype: int = 1, **kw) -> Path:
    path = tmp_path / name
    writer = capgen.write_pcapng if name.endswith(".pcapng") else capgen.write_pcap
    writer(path, stamped(frames), linktype=linktype, **kw)
    return path


LINK_CAPTURES = {
    "ethernet": (capgen.LINKTYPE_ETHERNET, ethernet_frames),
    "sll": (capgen.LINKTYPE_LINUX_SLL, lambda: [
        capgen.linux_sll(p, 0x86DD if p[0] >> 4 == 6 else 0x0800, pkttype=i % 5) for i, p in enumerate(ip_packets())]
        + [capgen.linux_sll(struct.pack("!HH", 42, 0x0800) + ip4_tcp(), 0x8100),
           capgen.linux_sll(b"\x00" * 28, 0x0806)]),
    "sll2": (276, lambda: [
        struct.pack("!HHIHBB8s", 0x86DD if p[0] >> 4 == 6 else 0x0800, 0, 3, 1, 0, 6, MAC_A + b"\0\0") + p
        for p in ip_packets()]),
    "raw": (capgen.LINKTYPE_RAW, lambda: ip_packets() + [b"\x20\x01\x02"]),
    "null": (capgen.LINKTYPE_NULL, lambda: [
        capgen.loopback_null(p, capgen.AF_INET6_BSD if p[0] >> 4 == 6 else capgen.AF_INET, big_endian=i % 2 == 1)
        for i, p in enumerate(ip_packets())] + [capgen.loopback_null(ip4_tcp(), 7)]),
    "loop": (108, lambda: [capgen.loopback_null(p, 30 if p[0] >> 4 == 6 else 2, big_endian=True)
                           for p in ip_packets()]),
    "ipv4": (228, lambda: [p for p in ip_packets() if p[0] >> 4 == 4]),
    "ipv6": (229, lambda: [p for p in ip_packets() if p[0] >> 4 == 6]),
}


# ------------------------------------------------------------------ tests

@pytest.mark.parametrize("name", list(LINK_CAPTURES))
def test_every_column_of_every_link_type(tmp_path: Path, name: str) -> None:
    linktype, frames = LINK_CAPTURES[name]
    path = capture(tmp_path, f"{name}.pcap", frames(), linktype)
    want = expected(path)
    assert len(set(want["ip_version"])) > 1 or name in ("ipv4", "ipv6")
    assert_columns(pcapy.read_columns(str(path)), want)


def test_the_reference_decoder_sees_what_the_frames_hold(tmp_path: Path) -> None:
    cols = expected(capture(tmp_path, "eth.pcap", ethernet_frames()))
    assert cols["vlan"].count(42) == 1 and 100 in cols["vlan"] and 7 in cols["vlan"]
    assert {4, 6, 0} == set(cols["ip_version"])
    assert cols["sport"].count(7000) == 1  # only the first fragment has ports
    assert 0x0806 in cols["eth_type"] and 38 in cols["eth_type"]
    assert (6, 443, 50000, 100) in zip(cols["proto"], cols["sport"], cols["dport"], cols["payload_len"])


@pytest.mark.parametrize("snaplen", [14, 20, 34, 40, 54, 60, 70])
def test_snaplen_cuts_headers(tmp_path: Path, snaplen: int) -> None:
    path = capture(tmp_path, "cut.pcap", ethernet_frames(), snaplen=snaplen)
    want = expected(path)
    assert max(want["caplen"]) <= snaplen < max(want["len"])
    assert_columns(pcapy.read_columns(path), want)


def test_mixed_sample_pcapng_and_microseconds(tmp_path: Path) -> None:
    ns = tmp_path / "mix.pcapng"
    capgen.write_sample(ns, n=3000, pcapng=True, nanosecond=True, start_ns=T0)
    assert_columns(pcapy.read_columns(ns), expected(ns))
    us = tmp_path / "mix.pcap"
    capgen.write_sample(us, n=3000, start_ns=T0)
    cols = pcapy.read_columns(us)
    assert_columns(cols, expected(us))
    assert (cols["ts"] % 1000 == 0).all()


def test_big_endian_and_nanosecond_timestamps_are_exact(tmp_path: Path) -> None:
    path = capture(tmp_path, "be.pcap", ethernet_frames(), big_endian=True, nanosecond=True)
    cols = pcapy.read_columns(path)
    assert cols["ts"].tolist() == [ts for ts, _ in stamped(ethernet_frames())]
    assert_columns(cols, expected(path))


def test_dataframe_types(tmp_path: Path) -> None:
    path = capture(tmp_path, "eth.pcap", ethernet_frames(), nanosecond=True)
    cols = pcapy.read_columns(path)
    df = pcapy.read_dataframe(path)
    assert list(df.columns) == COLUMNS and len(df) == len(cols["ts"])
    assert str(df["ts"].dtype) == "datetime64[ns, UTC]"
    assert df["ts"].iloc[0] == pd.Timestamp(T0, unit="ns", tz="UTC")
    assert (df["ts"].astype("int64").to_numpy() == cols["ts"]).all()
    assert isinstance(df["src"].dtype, pd.CategoricalDtype)
    assert df["src"].dtype == df["dst"].dtype  # one set of categories: src == dst compares
    ip = cols["ip_version"] != 0
    assert df["src"].isna().to_numpy().tolist() == (~ip).tolist()
    assert df["src"][ip].astype(str).tolist() == cols["src"][ip].tolist()
    assert df["dst"][ip].astype(str).tolist() == cols["dst"][ip].tolist()
    for name in COLUMNS:
        if name not in ("ts", "src", "dst"):
            assert df[name].dtype == cols[name].dtype and (df[name].to_numpy() == cols[name]).all(), name


def test_fields_count_and_filter(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=2000)
    want = expected(path)
    cols = pcapy.read_columns(path, fields=["dport", "src", "ts"], count=300)
    assert list(cols) == ["dport", "src", "ts"]
    assert cols["dport"].tolist() == want["dport"][:300] and cols["src"].tolist() == want["src"][:300]
    udp = [i for i, p in enumerate(want["proto"]) if p == 17]
    cols = pcapy.read_columns(path, "udp", fields=["ts", "proto"])
    assert cols["ts"].tolist() == [want["ts"][i] for i in udp] and set(cols["proto"].tolist()) == {17}
    assert len(pcapy.read_dataframe(path, "udp", count=10)) == 10
    assert len(pcapy.read_columns(path, count=0)["ts"]) == len(pcapy.read_columns(path, count=-5)["ts"]) == 2000
    empty = pcapy.read_dataframe(path, "port 1")
    assert len(empty) == 0 and list(empty.columns) == COLUMNS


def test_list_of_files_keeps_file_order(tmp_path: Path) -> None:
    paths = []
    for i, n in enumerate([1500, 10, 0, 800]):
        paths.append(tmp_path / f"part{i}.pcap")
        capgen.write_sample(paths[-1], n=n, seed=i + 1, start_ns=T0 + i)
    wants = [expected(p) for p in paths]
    cols = pcapy.read_columns(paths)
    assert_columns(cols, {name: sum((w[name] for w in wants), []) for name in COLUMNS})
    assert pcapy.read_columns([str(paths[1]), paths[0]], fields=["ts"])["ts"].tolist() == wants[1]["ts"] + wants[0]["ts"]
    # count: the first rows in file order
    assert pcapy.read_columns(paths, fields=["ts"], count=1505)["ts"].tolist() == wants[0]["ts"] + wants[1]["ts"][:5]
    assert len(pcapy.read_columns([])["ts"]) == 0


def test_missing_and_bad_files_raise(tmp_path: Path) -> None:
    good = tmp_path / "good.pcap"
    capgen.write_sample(good, n=10)
    with pytest.raises(pcapy.PcapError, match="No such file or directory"):
        pcapy.read_columns([good, tmp_path / "missing.pcap"])
    bad = tmp_path / "bad.pcap"
    capgen.write_bad_magic(bad)
    with pytest.raises(pcapy.PcapError, match="unknown file format"):
        pcapy.read_dataframe(bad)
    with pytest.raises(pcapy.PcapError, match="syntax error"):
        pcapy.read_columns(good, "tcp and")


def damaged(tmp_path: Path, name: str = "cut.pcap", n: int = 500, keep: int = 321) -> Path:
    path = tmp_path / name
    capgen.write_sample(path, n=n)
    size = 24 + sum(16 + len(d) for _, d in list(capgen.mixed_traffic(keep)))
    capgen.truncate_file(path, os.path.getsize(path) - size - 16 - 7)  # 7 bytes into packet `keep`
    return path


def test_damaged_file_raises_saying_how_many_packets(tmp_path: Path) -> None:
    path = damaged(tmp_path)
    with pytest.raises(pcapy.PcapError, match=r"truncated dump file.*\(after 321 packets\)") as exc:
        pcapy.read_columns(path)
    assert str(path) in str(exc.value)
    with pytest.raises(pcapy.PcapError, match=r"after 321 packets"):
        pcapy.read_dataframe(path)


def test_damaged_file_on_error_warn_returns_the_rows_before(tmp_path: Path) -> None:
    path = damaged(tmp_path)
    whole = tmp_path / "whole.pcap"
    capgen.write_sample(whole, n=321)
    with pytest.warns(RuntimeWarning, match=r"after 321 packets"):
        cols = pcapy.read_columns(path, on_error="warn")
    assert_columns(cols, expected(whole))
    good = tmp_path / "good.pcap"
    capgen.write_sample(good, n=50, seed=9)
    with pytest.warns(RuntimeWarning, match="cut.pcap"):
        df = pcapy.read_dataframe([good, path, good], on_error="warn")
    assert len(df) == 50 + 321 + 50
    # Damage after the rows asked for does not matter.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(pcapy.read_columns(path, count=100)["ts"]) == 100


def test_reader_source_continues_where_next_left_off(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=6000, nanosecond=True, start_ns=T0)
    want = expected(path)
    reader = pcapy.open_offline(path, precision="ns")
    for _ in range(5):
        reader.next()
    cols = pcapy.read_columns(reader, count=3000)
    assert_columns(cols, {k: v[5:3005] for k, v in want.items()})
    hdr, _ = reader.next()
    assert hdr.getts_ns() == want["ts"][3005]
    rest = pcapy.read_dataframe(reader, fields=["ts", "sport"])
    assert rest["sport"].tolist() == want["sport"][3006:]
    assert reader.next() == (None, b"")
    assert len(pcapy.read_columns(reader)["ts"]) == 0


def test_reader_source_has_the_readers_precision_and_filter(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=500, nanosecond=True, start_ns=T0)
    want = expected(path, nano=False)
    reader = pcapy.open_offline(path)  # microseconds
    reader.next()
    cols = pcapy.read_columns(reader)
    assert cols["ts"].tolist() == want["ts"][1:]
    reader = pcapy.open_offline(path)
    reader.next()
    tcp = [i for i, p in enumerate(want["proto"][1:], 1) if p == 6]
    cols = pcapy.read_columns(reader, "tcp", fields=["ts"])
    assert cols["ts"].tolist() == [want["ts"][i] for i in tcp]
    reader.close()
    with pytest.raises(ValueError, match="pcap is closed"):
        pcapy.read_columns(reader)


def test_damaged_reader_source(tmp_path: Path) -> None:
    path = damaged(tmp_path)
    reader = pcapy.open_offline(path)
    with pytest.raises(pcapy.PcapError, match=r"truncated dump file.*after 321 packets"):
        pcapy.read_columns(reader)
    reader = pcapy.open_offline(path)
    reader.next()  # the count is of the rows read_columns read
    with pytest.warns(RuntimeWarning, match="after 320 packets"):
        assert len(pcapy.read_columns(reader, on_error="warn")["ts"]) == 320


def test_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "s.pcap"
    capgen.write_sample(path, n=5)
    with pytest.raises(ValueError, match="unknown field 'port'"):
        pcapy.read_columns(path, fields=["ts", "port"])
    with pytest.raises(TypeError, match="list of column names"):
        pcapy.read_columns(path, fields="ts")
    with pytest.raises(ValueError, match="on_error"):
        pcapy.read_columns(path, on_error="ignore")
    with pytest.raises(TypeError, match="source"):
        pcapy.read_columns(42)
    with pytest.raises(TypeError, match="filter"):
        pcapy.read_columns(path, 6)
    with pytest.raises(TypeError, match="count"):
        pcapy.read_columns(path, count=1.5)


def test_progress_bar_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.pcap"
    capgen.write_sample(path, n=2000)
    pcapy.read_columns(path, progress=True)
    err = capsys.readouterr().err
    assert "reading [" in err and "100%" in err and "MB" in err
    pcapy.read_columns(pcapy.open_offline(path), progress=True)
    assert "2,000 packets" in capsys.readouterr().err


def test_import_pcapy_does_not_import_numpy_or_pandas() -> None:
    code = ("import sys, pcapy; pcapy.read_columns; pcapy.read_dataframe; "
            "assert not {'numpy', 'pandas'} & set(sys.modules), 'imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_missing_numpy_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['numpy'] = None; sys.modules['pandas'] = None; import pcapy\n"
            "try:\n    pcapy.read_dataframe('x.pcap')\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'gopcapy[analysis]'" in out.stdout and "numpy" in out.stdout, out.stderr


@pytest.mark.live
@pytest.mark.root
@pytest.mark.skipif(not is_root(), reason="live capture needs root")
def test_live_reader_source_reads_count_packets() -> None:
    reader = pcapy.open_live("lo", 65535, 0, 200)
    port = 40000 + os.getpid() % 20000
    reader.setfilter(f"udp dst port {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(5):
            s.sendto(b"x" * i, ("127.0.0.1", port))
    cols = pcapy.read_columns(reader, count=5)
    assert cols["dport"].tolist() == [port] * 5 and cols["payload_len"].tolist() == list(range(5))
    assert set(cols["src"].tolist()) == {"127.0.0.1"}
    # Nothing more arrives: to_ms (200 ms) ends the read with what there is.
    assert len(pcapy.read_columns(reader)["ts"]) == 0
    reader.close()
