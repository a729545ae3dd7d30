"""Deterministic, stdlib-only generator of capture files for tests and benchmarks.

Three layers, each usable on its own:

* frame builders (``ethernet``, ``ipv4``, ``tcp`` ...) that return ``bytes`` with
  correct checksums, so tcpdump/libpcap decode them without complaint;
* writers (``write_pcap``, ``write_pcapng``) that stream ``(ts_ns, data)`` or
  ``(ts_ns, data, orig_len)`` tuples to disk, plus helpers for broken files;
* ready-made samples (``mixed_traffic``, ``write_sample``) and a tiny CLI:
  ``python3 capgen.py OUT.pcap [--count N] [--seed S] [--ns] [--pcapng]``.

Timestamps are always integer nanoseconds since the epoch: floats would lose
precision at today's epoch values and make nanosecond tests flaky.
Importing this module does no work beyond defining constants and functions.
"""

from __future__ import annotations

import os
import random
import socket
import struct
import sys
from typing import BinaryIO, Iterable, Iterator, Union

# Link-layer header types as written into file headers (LINKTYPE_* values).
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
DLT_RAW = 12          # what libpcap reports for raw IP on Linux; usable in files as-is
LINKTYPE_RAW = 101    # the portable file value; libpcap maps it back to DLT_RAW (12)
LINKTYPE_LINUX_SLL = 113

ETH_P_IP, ETH_P_ARP, ETH_P_8021Q, ETH_P_IPV6 = 0x0800, 0x0806, 0x8100, 0x86DD
IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 = 1, 6, 17, 58
AF_INET = 2           # DLT_NULL family values are the *BSD* ones, not Linux's
AF_INET6_BSD = 24     # NetBSD/OpenBSD; tcpdump also accepts 28 (FreeBSD) and 30 (macOS)
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

BROADCAST = b"\xff" * 6
PCAP_MAGIC_US, PCAP_MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
BAD_MAGIC = b"\xab\xad\x1d\xea"

Packet = Union[tuple[int, bytes], tuple[int, bytes, int]]
PathOrFile = Union[str, "os.PathLike[str]", BinaryIO]


# ---------------------------------------------------------------- helpers

def mac(text: str) -> bytes:
    """Parse ``"02:00:00:00:00:01"`` into 6 bytes."""
    return bytes.fromhex(text.replace(":", "").replace("-", ""))


def ip_bytes(addr: str) -> bytes:
    """Pack an IPv4 or IPv6 address string (family detected by a ':')."""
    return socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)


def inet_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement checksum; a buffer containing its own valid
    checksum sums to 0, which is how the tests verify headers."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo_header(src_ip: str, dst_ip: str, proto: int, length: int) -> bytes:
    """TCP/UDP/ICMPv6 checksums cover a pseudo-header of the IP addresses,
    so the L4 builders need the addresses even though they don't emit them."""
    src, dst = ip_bytes(src_ip), ip_bytes(dst_ip)
    if len(src) == 16:
        return src + dst + struct.pack("!IxxxB", length, proto)
    return src + dst + struct.pack("!xBH", proto, length)


def _with_checksum(segment: bytes, offset: int, pseudo: bytes = b"") -> bytes:
    """Fill the 16-bit checksum field at ``offset`` (which must be zero)."""
    csum = inet_checksum(pseudo + segment)
    return segment[:offset] + struct.pack("!H", csum) + segment[offset + 2:]


# ------------------------------------------------------ link-layer framing

def ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes,
             vlan: int | None = None) -> bytes:
    """Ethernet II frame (no FCS, no padding); an 802.1Q tag when ``vlan`` is set."""
    if vlan is None:
        return dst + src + struct.pack("!H", ethertype) + payload
    return dst + src + struct.pack("!HHH", ETH_P_8021Q, vlan & 0x0FFF, ethertype) + payload


def linux_sll(payload: bytes, protocol: int, pkttype: int = 0, hatype: int = 1,
              addr: bytes = b"\x00" * 6) -> bytes:
    """16-byte DLT_LINUX_SLL ("any" device) header + payload.
    pkttype 0 = to us, 4 = outgoing; the address field is padded to 8 bytes."""
    return struct.pack("!HHH8sH", pkttype, hatype, len(addr), addr, protocol) + payload


def loopback_null(payload: bytes, family: int, big_endian: bool = False) -> bytes:
    """DLT_NULL header: the address family as a 4-byte *host-order* integer.
    Little-endian by default to match write_pcap's default byte order."""
    return struct.pack(">I" if big_endian else "<I", family) + payload


def raw_ip(packet: bytes) -> bytes:
    """DLT_RAW / LINKTYPE_RAW frames have no link header: just the IP packet."""
    return packet


# --------------------------------------------------------------- network

def ipv4(src: str, dst: str, proto: int, payload: bytes, ttl: int = 64,
         ident: int = 0, frag_offset: int = 0, more_fragments: bool = False) -> bytes:
    """IPv4 header (no options) with a valid header checksum + payload.
    ``frag_offset`` is in *bytes* (a multiple of 8), not 8-byte header units."""
    if frag_offset % 8:
        raise ValueError("frag_offset must be a multiple of 8 bytes")
    flags_frag = (0x2000 if more_fragments else 0) | (frag_offset // 8)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                         flags_frag, ttl, proto, 0, ip_bytes(src), ip_bytes(dst))
    return _with_checksum(header, 10) + payload


def ipv6(src: str, dst: str, next_header: int, payload: bytes, hop_limit: int = 64) -> bytes:
    """Fixed 40-byte IPv6 header (no extension headers) + payload."""
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, hop_limit,
                       ip_bytes(src), ip_bytes(dst)) + payload


# ------------------------------------------------------------- transport

def tcp(src_ip: str, dst_ip: str, sport: int, dport: int, payload: bytes = b"",
        flags: int = TCP_PSH | TCP_ACK, seq: int = 0, ack: int = 0,
        window: int = 65535) -> bytes:
    """20-byte TCP header (no options) with pseudo-header checksum + payload."""
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          5 << 4, flags, window, 0, 0) + payload
    return _with_checksum(segment, 16, _pseudo_header(src_ip, dst_ip, IPPROTO_TCP, len(segment)))


def udp(src_ip: str, dst_ip: str, sport: int, dport: int, payload: bytes = b"") -> bytes:
    """UDP datagram with pseudo-header checksum (0 is sent as 0xFFFF, per RFC 768)."""
    length = 8 + len(payload)
    datagram = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = inet_checksum(_pseudo_header(src_ip, dst_ip, IPPROTO_UDP, length) + datagram) or 0xFFFF
    return datagram[:6] + struct.pack("!H", csum) + datagram[8:]


def icmp_echo(ident: int, seq: int, payload: bytes = b"", reply: bool = False) -> bytes:
    """ICMPv4 echo request (type 8) or reply (type 0); no pseudo-header in v4."""
    message = struct.pack("!BBHHH", 0 if reply else 8, 0, 0, ident, seq) + payload
    return _with_checksum(message, 2)


def icmpv6_echo(src_ip: str, dst_ip: str, ident: int, seq: int, payload: bytes = b"",
                reply: bool = False) -> bytes:
    """ICMPv6 echo request (128) or reply (129); its checksum needs the addresses."""
    message = struct.pack("!BBHHH", 129 if reply else 128, 0, 0, ident, seq) + payload
    return _with_checksum(message, 2, _pseudo_header(src_ip, dst_ip, IPPROTO_ICMPV6, len(message)))


def arp_request(src_mac: bytes, src_ip: str, target_ip: str, vlan: int | None = None) -> bytes:
    """Complete broadcast Ethernet ARP who-has frame, padded to the 60-byte
    minimum a real NIC would put on the wire (a handy non-IP frame for filters)."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1, src_mac, ip_bytes(src_ip),
                       b"\x00" * 6, ip_bytes(target_ip))
    frame = ethernet(BROADCAST, src_mac, ETH_P_ARP, body, vlan)
    return frame + b"\x00" * max(0, 60 - len(frame))


# ---------------------------------------------------------------- writers

def _open(path: PathOrFile) -> tuple[BinaryIO, bool]:
    """Accept a path or an already-open binary file (e.g. sys.stdout.buffer).
    Returns (file, should_close). A large buffer keeps 1M-packet writes fast."""
    if hasattr(path, "write"):
        return path, False  # type: ignore[return-value]
    return open(path, "wb", buffering=1 << 20), True


def write_pcap(path: PathOrFile, packets: Iterable[Packet], linktype: int = LINKTYPE_ETHERNET,
               snaplen: int = 65535, nanosecond: bool = False, big_endian: bool = False) -> int:
    """Stream packets into a classic pcap file (version 2.4); return the count.

    Each packet is ``(ts_ns, data)`` or ``(ts_ns, data, orig_len)``. Data longer
    than ``snaplen`` is cut (caplen = min(len(data), snaplen)); the record's
    len is ``orig_len`` if given, else ``len(data)`` -- passing an orig_len
    smaller than caplen deliberately produces a malformed record.
    Microsecond files truncate (never round) the sub-microsecond part.
    """
    order = ">" if big_endian else "<"
    record = struct.Struct(order + "IIII")  # one preallocated Struct: this loop is hot
    pack = record.pack
    divisor = 1 if nanosecond else 1000
    f, close = _open(path)
    count = 0
    try:
        write = f.write
        write(struct.pack(order + "IHHiIII", PCAP_MAGIC_NS if nanosecond else PCAP_MAGIC_US,
                          2, 4, 0, 0, snaplen, linktype))
        for pkt in packets:
            if len(pkt) == 2:
                ts, data = pkt  # type: ignore[misc]
                orig = len(data)
            else:
                ts, data, orig = pkt  # type: ignore[misc]
            if len(data) > snaplen:
                data = data[:snaplen]
            sec, frac = divmod(ts, 1_000_000_000)
            write(pack(sec, frac // divisor, len(data), orig))
            write(data)
            count += 1
    finally:
        if close:
            f.close()
        else:
            f.flush()
    return count


def _pcapng_block(block_type: int, body: bytes) -> bytes:
    """Wrap a body in type/length/.../length, padding the body to 32 bits."""
    body += b"\x00" * (-len(body) % 4)
    total = len(body) + 12
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def write_pcapng(path: PathOrFile, packets: Iterable[Packet], linktype: int = LINKTYPE_ETHERNET,
                 snaplen: int = 65535, nanosecond: bool = False) -> int:
    """Stream packets into a little-endian pcapng file; return the count.

    Layout: one Section Header Block, one Interface Description Block (with
    ``if_tsresol`` = 9 when ``nanosecond``; default resolution is 10^-6), then
    one Enhanced Packet Block per packet. Packet tuples as for write_pcap.
    """
    divisor = 1 if nanosecond else 1000
    epb = struct.Struct("<IIIIIII")  # type, total len, if id, ts hi, ts lo, caplen, orig len
    f, close = _open(path)
    count = 0
    try:
        write = f.write
        # SHB: byte-order magic, version 1.0, section length -1 (= unknown).
        write(_pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        options = b""
        if nanosecond:  # if_tsresol (9): one byte, padded to 4, then opt_endofopt
            options = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
        write(_pcapng_block(1, struct.pack("<HHI", linktype, 0, snaplen) + options))
        for pkt in packets:
            if len(pkt) == 2:
                ts, data = pkt  # type: ignore[misc]
                orig = len(data)
            else:
                ts, data, orig = pkt  # type: ignore[misc]
            if len(data) > snaplen:
                data = data[:snaplen]
            units = ts // divisor
            pad = -len(data) % 4
            total = 32 + len(data) + pad
            write(epb.pack(6, total, 0, units >> 32, units & 0xFFFFFFFF, len(data), orig))
            write(data)  # separate writes: avoid copying the frame just to pad it
            write(b"\x00" * pad + total.to_bytes(4, "little"))
            count += 1
    finally:
        if close:
            f.close()
        else:
            f.flush()
    return count


def truncate_file(path: str | os.PathLike[str], n_bytes_to_remove: int) -> int:
    """Chop bytes off the end of a capture (e.g. mid-record, to provoke
    "truncated dump file" errors). Returns the new size."""
    size = max(0, os.path.getsize(path) - n_bytes_to_remove)
    os.truncate(path, size)
    return size


def write_bad_magic(path: str | os.PathLike[str]) -> None:
    """A 24-byte file whose magic AB AD 1D EA no reader knows, so libpcap fails
    with "unknown file format" (not "truncated", hence the full header size)."""
    with open(path, "wb") as f:
        f.write(BAD_MAGIC + b"\x00" * 20)


# ---------------------------------------------------------------- samples

def _host_mac(index: int) -> bytes:
    """Locally administered MAC for host ``index``, so frames map to hosts."""
    return bytes((0x02, 0, 0, 0, 0, index))


def _template(rng: random.Random, target_len: int, hosts: list[int], weights: list[int]) -> bytes:
    """Build one realistic Ethernet frame of about ``target_len`` bytes.
    Length is reached by sizing the payload after measuring the headers."""
    a, b = rng.choices(hosts, weights, k=2)
    while b == a:
        b = rng.choice(hosts)
    smac, dmac = _host_mac(a), _host_mac(b)
    if target_len < 100 and rng.random() < 0.12:
        return arp_request(smac, f"10.0.0.{a}", f"10.0.0.{b}")
    v6 = rng.random() < 0.3
    src, dst = (f"fd00::{a:x}", f"fd00::{b:x}") if v6 else (f"10.0.0.{a}", f"10.0.0.{b}")
    ip_hdr = 54 if v6 else 34  # Ethernet + fixed IP header
    kind = rng.random()
    if kind < 0.6:
        l4_hdr, server = 20, rng.choice((80, 443, 443, 22, 8080))
    elif kind < 0.88:
        l4_hdr, server = 8, rng.choice((53, 53, 5353, 123, 443))
    else:
        l4_hdr, server = 8, 0
    payload = rng.randbytes(max(0, target_len - ip_hdr - l4_hdr))
    client = rng.randrange(32768, 61000)
    # Half the flows go server->client so ports appear as both src and dst.
    sport, dport = (client, server) if rng.random() < 0.5 else (server, client)
    if kind < 0.6:
        l4 = tcp(src, dst, sport, dport, payload, flags=TCP_PSH | TCP_ACK,
                 seq=rng.getrandbits(32), ack=rng.getrandbits(32))
        proto = IPPROTO_TCP
    elif kind < 0.88:
        l4, proto = udp(src, dst, sport, dport, payload), IPPROTO_UDP
    elif v6:
        l4 = icmpv6_echo(src, dst, a, rng.randrange(65536), payload, reply=rng.random() < 0.5)
        proto = IPPROTO_ICMPV6
    else:
        l4 = icmp_echo(a, rng.randrange(65536), payload, reply=rng.random() < 0.5)
        proto = IPPROTO_ICMP
    if v6:
        return ethernet(dmac, smac, ETH_P_IPV6, ipv6(src, dst, proto, l4))
    return ethernet(dmac, smac, ETH_P_IP, ipv4(src, dst, proto, l4, ident=rng.randrange(65536)))


def sample_frames(seed: int = 1, count: int = 512) -> list[bytes]:
    """``count`` distinct template frames: sizes cycle small (60-99), medium
    (100-1399), large (1400-1514) so each class is about a third; hosts are
    Zipf-weighted (host 1 talks most) so "top talkers" exist."""
    rng = random.Random(seed)
    hosts = list(range(1, 13))
    weights = [120 // h for h in hosts]
    ranges = ((60, 99), (100, 1399), (1400, 1514))
    return [_template(rng, rng.randint(*ranges[i % 3]), hosts, weights) for i in range(count)]


def mixed_traffic(n: int, seed: int = 1, start_ns: int = 1_600_000_000_000_000_000,
                  gap_ns: int = 10_000) -> Iterator[tuple[int, bytes]]:
    """Yield ``n`` deterministic ``(ts_ns, ethernet_frame)`` pairs.

    Frames are drawn from a cached set of ~500 prebuilt templates (checksums
    computed once), so only timestamps vary per packet; that is what makes a
    million frames cheap. Timestamps start at ``start_ns`` and strictly
    increase by ``gap_ns`` +/- 50% jitter.
    """
    rng = random.Random(seed)  # never the global RNG: samples must be reproducible
    frames = sample_frames(seed)
    nframes, rand = len(frames), rng.random
    ts, base, spread = start_ns, max(1, gap_ns // 2), gap_ns
    for _ in range(n):
        yield ts, frames[int(rand() * nframes)]
        ts += base + int(rand() * spread)


def classifier_traffic(flows: int = 2000, seed: int = 3,
                       start_ns: int = 1_650_000_000_000_000_000) -> Iterator[Packet]:
    """Frames for loop_filtered's classifier: ``flows`` UDP flows of 1-4
    packets each, interleaved (enough flows to collide in a flow table), and
    around them every case its rules tell apart: TCP handshakes and payload
    on 443/80/8080, bare SYNs and ACKs, DNS over UDP and TCP, ICMP to watched
    hosts (10.99.0.1, 10.99.0.2), 802.1Q and QinQ tags (and three tags,
    too many), IPv6, ARP, an IPv4 header with options, one with a bad header
    length, one from 0.0.0.0, and frames captured too short to see ports."""
    rng = random.Random(seed)
    m1, m2 = _host_mac(1), _host_mac(2)
    frames: list[tuple[bytes, int]] = []  # (frame, captured length; 0 = all)

    def eth4(src: str, dst: str, proto: int, l4: bytes, vlans: tuple = ()) -> bytes:
        body = ipv4(src, dst, proto, l4, ident=rng.randrange(65536))
        tags = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in vlans)
        etype = vlans[0][0] if vlans else ETH_P_IP
        rest = tags[2:] + struct.pack("!H", ETH_P_IP) if vlans else b""
        return m2 + m1 + struct.pack("!H", etype) + rest + body

    def tcp4(src, dst, sport, dport, payload=b"", flags=TCP_PSH | TCP_ACK, vlans=()):
        return eth4(src, dst, IPPROTO_TCP, tcp(src, dst, sport, dport, payload, flags), vlans)

    def udp4(src, dst, sport, dport, payload=b"", vlans=()):
        return eth4(src, dst, IPPROTO_UDP, udp(src, dst, sport, dport, payload), vlans)

    specials = []
    for i in range(40):
        client, port = f"10.1.{i // 200}.{i % 200 + 1}", rng.choice((443, 443, 80, 8080, 8443))
        sport = 40000 + i
        specials.append(tcp4(client, "10.2.0.1", sport, port, flags=TCP_SYN))
        specials.append(tcp4("10.2.0.1", client, port, sport, flags=TCP_SYN | TCP_ACK))
        specials.append(tcp4(client, "10.2.0.1", sport, port, flags=TCP_ACK))
        for _ in range(rng.randrange(1, 6)):
            specials.append(tcp4(client, "10.2.0.1", sport, port, b"GET / HTTP/1.1\r\n" + rng.randbytes(20)))
            specials.append(tcp4("10.2.0.1", client, port, sport, b"HTTP/1.1 200 OK\r\n"))
    for i in range(30):
        specials.append(udp4(f"10.3.0.{i + 1}", "10.0.0.53", 30000 + i, 53, b"query"))
        specials.append(tcp4(f"10.3.1.{i + 1}", "10.0.0.53", 31000 + i, 53, b"q"))
        specials.append(udp4(f"10.3.2.{i + 1}", "10.0.0.5", 5353, 5353, b"mdns"))
        specials.append(udp4(f"10.3.3.{i + 1}", "10.0.0.9", 33000 + i, 443, b"quic initial"))
        specials.append(eth4("10.99.0.1" if i % 2 else f"10.4.0.{i}", "10.99.0.2" if i % 3 else "10.4.0.1",
                             IPPROTO_ICMP, icmp_echo(i, i, b"ping")))
        specials.append(tcp4(f"10.5.0.{i + 1}", "10.99.0.1", 44000 + i, 80, b"to a watched host"))
        specials.append(udp4(f"10.6.0.{i + 1}", "10.6.1.1", 7000, 7001, b"tagged",
                             vlans=((ETH_P_8021Q, 10),)))
        specials.append(tcp4(f"10.6.2.{i + 1}", "10.6.1.1", 7000 + i, 443, b"qinq",
                             vlans=((0x88A8, 20), (ETH_P_8021Q, 30))))
        specials.append(udp4(f"10.6.3.{i + 1}", "10.6.1.1", 7000, 53, b"three tags",
                             vlans=((0x88A8, 1), (ETH_P_8021Q, 2), (ETH_P_8021Q, 3))))
        specials.append(ethernet(m2, m1, ETH_P_IPV6, ipv6("fd00::1", "fd00::2", IPPROTO_TCP,
                                                          tcp("fd00::1", "fd00::2", 50000 + i, 443, b"v6"))))
        specials.append(arp_request(m1, "10.0.0.1", f"10.0.0.{i + 2}"))
    options = ipv4("10.7.0.1", "10.7.0.2", IPPROTO_UDP, udp("10.7.0.1", "10.7.0.2", 9, 53, b"x"))
    options = bytes([0x46]) + options[1:20] + b"\x01\x01\x01\x01" + options[20:]
    specials.append(m2 + m1 + struct.pack("!H", ETH_P_IP) + options)
    bad_ihl = bytearray(udp4("10.7.0.3", "10.99.0.1", 1, 2, b"bad ihl"))
    bad_ihl[14] = 0x44
    specials.append(bytes(bad_ihl))
    specials.append(udp4("0.0.0.0", "255.255.255.255", 68, 67, b"dhcp"))
    frames = [(f, 0) for f in specials]
    frames += [(tcp4("10.8.0.1", "10.8.0.2", 1000, 443, b"short"), 36),   # no ports
               (tcp4("10.8.0.1", "10.8.0.2", 1000, 80, b"short"), 40),    # no TCP flags
               (udp4("10.99.0.2", "10.8.0.2", 1, 2, b"short"), 30)]       # no full IP header
    counts = [rng.randrange(1, 5) for _ in range(flows)]
    pending = [i for i, c in enumerate(counts) for _ in range(c)]
    rng.shuffle(pending)
    for i in pending:
        src, dst = f"10.{16 + i // 60000}.{i // 250 % 240}.{i % 250 + 1}", f"10.200.{i % 7}.1"
        frames.append((udp4(src, dst, 1024 + i % 50000, 2000 + i % 3, b"bulk"), 0))
    rng.shuffle(frames)
    ts = start_ns
    for frame, caplen in frames:
        ts += rng.randrange(1000, 100_000)
        yield (ts, frame[:caplen], len(frame)) if caplen else (ts, frame)


def write_sample(path: PathOrFile, n: int = 1000, seed: int = 1, pcapng: bool = False,
                 start_ns: int = 1_600_000_000_000_000_000, **kw) -> int:
    """Write ``mixed_traffic(n, seed)`` as pcap (or pcapng); ``kw`` goes to the
    writer (nanosecond, snaplen, big_endian for pcap). Returns the count."""
    writer = write_pcapng if pcapng else write_pcap
    return writer(path, mixed_traffic(n, seed, start_ns), **kw)


def main(argv: list[str] | None = None) -> int:
    """CLI: write the mixed sample. ``OUT`` may be ``-`` for stdout."""
    import argparse  # imported here so that importing the module stays cheap

    parser = argparse.ArgumentParser(description="Write a deterministic mixed-traffic capture.")
    parser.add_argument("out", help="output file, or - for stdout")
    parser.add_argument("--count", type=int, default=1000, help="number of packets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ns", action="store_true", help="nanosecond timestamps")
    parser.add_argument("--pcapng", action="store_true", help="write pcapng instead of pcap")
    args = parser.parse_args(argv)
    out = sys.stdout.buffer if args.out == "-" else args.out
    write_sample(out, args.count, args.seed, pcapng=args.pcapng, nanosecond=args.ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
