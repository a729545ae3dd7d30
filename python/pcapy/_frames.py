"""Frame builders and capture-file writers (stdlib only): what make_pcap and the tests build captures with.

* frame builders (``ethernet``, ``ipv4``, ``tcp`` ...) return ``bytes`` with
  correct checksums, so tcpdump/libpcap decode them without complaint;
* writers (``write_pcap``, ``write_pcapng``) stream ``(ts_ns, data)`` or
  ``(ts_ns, data, orig_len)`` tuples to disk.

Timestamps are always integer nanoseconds since the epoch: floats would lose
precision at today's epoch values and make nanosecond tests flaky. This module
imports nothing of pcapy (python/tests/capgen.py and the pytest plugin use it
without loading the Go extension).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from typing import BinaryIO, Callable, Iterable, Iterator, Union

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
    return int(~total & 0xFFFF)


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

@contextlib.contextmanager
def _writing(path: PathOrFile) -> Iterator[Callable[[bytes], object]]:
    """The write function of a path or of an already-open binary file (e.g.
    sys.stdout.buffer); a path is closed after, a file only flushed. A large
    buffer keeps 1M-packet writes fast."""
    if hasattr(path, "write"):
        f: BinaryIO = path  # type: ignore[assignment]
        close = False
    else:
        f, close = open(path, "wb", buffering=1 << 20), True
    try:
        yield f.write
    finally:
        if close:
            f.close()
        else:
            f.flush()


def _records(packets: Iterable[Packet], snaplen: int) -> Iterator[tuple[int, bytes, int]]:
    """(ts_ns, data cut to snaplen, orig_len) of each packet tuple."""
    for pkt in packets:
        if len(pkt) == 2:
            ts, data = pkt
            orig = len(data)
        else:
            ts, data, orig = pkt
        yield ts, data[:snaplen], orig


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
    count = 0
    with _writing(path) as write:
        write(struct.pack(order + "IHHiIII", PCAP_MAGIC_NS if nanosecond else PCAP_MAGIC_US,
                          2, 4, 0, 0, snaplen, linktype))
        for ts, data, orig in _records(packets, snaplen):
            sec, frac = divmod(ts, 1_000_000_000)
            write(pack(sec, frac // divisor, len(data), orig))
            write(data)
            count += 1
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
    count = 0
    with _writing(path) as write:
        # SHB: byte-order magic, version 1.0, section length -1 (= unknown).
        write(_pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        options = b""
        if nanosecond:  # if_tsresol (9): one byte, padded to 4, then opt_endofopt
            options = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
        write(_pcapng_block(1, struct.pack("<HHI", linktype, 0, snaplen) + options))
        for ts, data, orig in _records(packets, snaplen):
            units = ts // divisor
            pad = -len(data) % 4
            total = 32 + len(data) + pad
            write(epb.pack(6, total, 0, units >> 32, units & 0xFFFFFFFF, len(data), orig))
            write(data)  # separate writes: avoid copying the frame just to pad it
            write(b"\x00" * pad + total.to_bytes(4, "little"))
            count += 1
    return count
