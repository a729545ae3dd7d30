"""Tests for the capgen capture-file generator (stdlib + pytest only).

If capgen writes wrong files every other test reading them is meaningless,
so these check the bytes directly with struct, and with tcpdump when present.
"""

import re
import shutil
import struct
import subprocess

import pytest

import capgen

TS = 1_700_000_000_123_456_789  # has sub-microsecond digits on purpose


def _records(path):
    """Parse a little-endian pcap: (header fields, [(sec, frac, caplen, len, data)])."""
    raw = path.read_bytes()
    header = struct.unpack_from("<IHHiIII", raw, 0)
    records, off = [], 24
    while off < len(raw):
        sec, frac, caplen, length = struct.unpack_from("<IIII", raw, off)
        records.append((sec, frac, caplen, length, raw[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return header, records


def test_pcap_header_and_truncation(tmp_path):
    out = tmp_path / "a.pcap"
    frame = bytes(range(200))
    n = capgen.write_pcap(out, [(TS, frame), (TS + 1, frame[:50], 9000)],
                          linktype=capgen.LINKTYPE_RAW, snaplen=128)
    (magic, major, minor, _, _, snaplen, linktype), recs = _records(out)
    assert n == 2 and (magic, major, minor) == (capgen.PCAP_MAGIC_US, 2, 4)
    assert (snaplen, linktype) == (128, 101)
    assert recs[0][2:] == (128, 200, frame[:128])  # caplen cut, len is original
    assert recs[1][2:4] == (50, 9000)              # explicit orig_len honoured
    assert recs[0][:2] == (1_700_000_000, 123_456)  # µs truncated, not rounded


def test_pcap_nanosecond_and_big_endian(tmp_path):
    out = tmp_path / "ns.pcap"
    capgen.write_pcap(out, [(TS, b"x" * 60)], nanosecond=True)
    (magic, *_), recs = _records(out)
    assert magic == capgen.PCAP_MAGIC_NS
    assert recs[0][:2] == (1_700_000_000, 123_456_789)
    be = tmp_path / "be.pcap"
    capgen.write_pcap(be, [(TS, b"x" * 60)], big_endian=True)
    assert be.read_bytes()[:4] == b"\xa1\xb2\xc3\xd4"


def test_write_pcap_streams_generators_and_files(tmp_path):
    out = tmp_path / "g.pcap"
    with open(out, "wb") as f:  # an open file object works as well as a path
        assert capgen.write_pcap(f, ((i, b"\0" * 60) for i in range(1000))) == 1000
    assert len(out.read_bytes()) == 24 + 1000 * (16 + 60)


def test_ipv4_and_l4_checksums_verify():
    seg = capgen.tcp("10.0.0.1", "10.0.0.2", 1234, 80, b"hello")
    pkt = capgen.ipv4("10.0.0.1", "10.0.0.2", capgen.IPPROTO_TCP, seg, ident=7)
    assert capgen.inet_checksum(pkt[:20]) == 0
    pseudo = capgen._pseudo_header("10.0.0.1", "10.0.0.2", capgen.IPPROTO_TCP, len(seg))
    assert capgen.inet_checksum(pseudo + seg) == 0
    dgram = capgen.udp("fd00::1", "fd00::2", 5353, 5353, b"odd")  # odd length pads
    pseudo6 = capgen._pseudo_header("fd00::1", "fd00::2", capgen.IPPROTO_UDP, len(dgram))
    assert capgen.inet_checksum(pseudo6 + dgram) == 0
    assert capgen.inet_checksum(capgen.icmp_echo(1, 2, b"ping")) == 0


def test_link_headers_and_sizes():
    assert len(capgen.linux_sll(b"", capgen.ETH_P_IP)) == 16
    assert capgen.loopback_null(b"", capgen.AF_INET) == b"\x02\x00\x00\x00"
    tagged = capgen.ethernet(b"\1" * 6, b"\2" * 6, capgen.ETH_P_IP, b"", vlan=42)
    assert tagged[12:18] == b"\x81\x00\x00\x2a\x08\x00"
    assert len(capgen.arp_request(capgen.mac("02:00:00:00:00:01"), "10.0.0.1", "10.0.0.2")) == 60
    frag = capgen.ipv4("10.0.0.1", "10.0.0.2", 17, b"x" * 8, frag_offset=1480, more_fragments=True)
    assert struct.unpack_from("!H", frag, 6)[0] == 0x2000 | 185


def test_pcapng_block_lengths(tmp_path):
    out = tmp_path / "a.pcapng"
    frames = [(TS + i, b"y" * (60 + i)) for i in range(5)]  # every padding case
    capgen.write_pcapng(out, frames, nanosecond=True, snaplen=62)
    raw, off, blocks = out.read_bytes(), 0, []
    while off < len(raw):
        btype, total = struct.unpack_from("<II", raw, off)
        assert total % 4 == 0 and struct.unpack_from("<I", raw, off + total - 4)[0] == total
        blocks.append((btype, raw[off:off + total]))
        off += total
    assert off == len(raw)
    assert [b[0] for b in blocks] == [0x0A0D0D0A, 1] + [6] * 5
    assert b"\x09\x00\x01\x00\x09" in blocks[1][1]  # if_tsresol = 9
    _, _, _, hi, lo, caplen, orig = struct.unpack_from("<IIIIIII", blocks[-1][1])
    assert ((hi << 32) | lo, caplen, orig) == (TS + 4, 62, 64)


def test_mixed_traffic_is_deterministic_and_mixed():
    a = list(capgen.mixed_traffic(3000, seed=3))
    assert a == list(capgen.mixed_traffic(3000, seed=3))
    assert a != list(capgen.mixed_traffic(3000, seed=4))
    times = [t for t, _ in a]
    assert times[0] == 1_600_000_000_000_000_000 and all(x < y for x, y in zip(times, times[1:]))
    sizes = [len(f) for _, f in a]
    assert 60 <= min(sizes) and max(sizes) <= 1514
    for share in (sum(s < 100 for s in sizes), sum(s >= 1400 for s in sizes)):
        assert 0.25 < share / len(sizes) < 0.42
    types = {f[12:14] for _, f in a}
    assert {b"\x08\x00", b"\x86\xdd", b"\x08\x06"} <= types


def test_truncate_and_bad_magic(tmp_path):
    out = tmp_path / "t.pcap"
    capgen.write_sample(out, 3)
    size = out.stat().st_size
    assert capgen.truncate_file(out, 5) == size - 5 == out.stat().st_size
    bad = tmp_path / "bad.pcap"
    capgen.write_bad_magic(bad)
    assert bad.read_bytes()[:4] == b"\xab\xad\x1d\xea"


def test_cli_writes_pcapng(tmp_path):
    out = tmp_path / "cli.pcapng"
    assert capgen.main([str(out), "--count", "7", "--pcapng", "--ns"]) == 0
    assert out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"


TCPDUMP = shutil.which("tcpdump") or shutil.which("/usr/sbin/tcpdump")


@pytest.mark.skipif(not TCPDUMP, reason="tcpdump not installed")
@pytest.mark.parametrize("kw", [{}, {"nanosecond": True}, {"pcapng": True},
                                {"pcapng": True, "nanosecond": True}])
def test_tcpdump_reads_samples(tmp_path, kw):
    out = tmp_path / "s.cap"
    capgen.write_sample(out, 200, **kw)
    res = subprocess.run([TCPDUMP, "-nn", "-vv", "-r", str(out)],
                         capture_output=True, text=True, check=True)
    lines = [ln for ln in res.stdout.splitlines() if not ln.startswith((" ", "\t"))]
    assert len(lines) == 200
    # tcpdump -vv flags bad sums as "(incorrect -> ...)" or "bad udp cksum" etc.
    assert not re.search(r"incorrect|bad (\w+ )?cksum", res.stdout)


@pytest.mark.skipif(not TCPDUMP, reason="tcpdump not installed")
def test_tcpdump_rejects_bad_magic(tmp_path):
    bad = tmp_path / "bad.pcap"
    capgen.write_bad_magic(bad)
    res = subprocess.run([TCPDUMP, "-r", str(bad)], capture_output=True, text=True)
    assert res.returncode != 0 and "unknown file format" in res.stderr
