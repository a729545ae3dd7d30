"""One-line descriptions of captured packets, for the pytest plugin's messages.

Stdlib only and deliberately small: protocol names and addresses/ports of
Ethernet (with 802.1Q tags), raw IP and Linux cooked frames carrying ARP,
IPv4, IPv6, TCP, UDP and ICMP. Enough to tell a reader of a failed test what
was on the wire; read_columns is the real decoder.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from typing import Any, Iterable, Optional

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLANS = 0x0800, 0x86DD, 0x0806, (0x8100, 0x88A8)
PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}
TCP_FLAGS = "FSRPAUEC"  # bit 0 (FIN) first, as tcpdump names them


def _network(linktype: int, data: bytes) -> tuple[Optional[int], int]:
    """(EtherType, offset of the network header) of a frame, or (None, 0)."""
    if linktype == 1:  # Ethernet
        ethertype, offset = int.from_bytes(data[12:14], "big"), 14
        while ethertype in ETH_VLANS and len(data) >= offset + 4:
            ethertype, offset = int.from_bytes(data[offset + 2:offset + 4], "big"), offset + 4
        return ethertype, offset
    if linktype in (12, 101) and data:  # raw IP: the version nibble says which
        return {4: ETH_IPV4, 6: ETH_IPV6}.get(data[0] >> 4), 0
    if linktype == 113:  # Linux cooked (the "any" device)
        return int.from_bytes(data[14:16], "big"), 16
    return None, 0


def describe(linktype: int, data: bytes) -> tuple[str, str]:
    """(protocol, 'source > destination details') of one packet."""
    ethertype, off = _network(linktype, data)
    if ethertype == ETH_IPV4 and len(data) >= off + 20:
        proto, hlen = data[off + 9], (data[off] & 0x0F) * 4
        src, dst = socket.inet_ntop(socket.AF_INET, data[off + 12:off + 16]), \
            socket.inet_ntop(socket.AF_INET, data[off + 16:off + 20])
        return _transport(proto, data[off + hlen:], src, dst)
    if ethertype == ETH_IPV6 and len(data) >= off + 40:
        src, dst = socket.inet_ntop(socket.AF_INET6, data[off + 8:off + 24]), \
            socket.inet_ntop(socket.AF_INET6, data[off + 24:off + 40])
        return _transport(data[off + 6], data[off + 40:], src, dst)
    if ethertype == ETH_ARP and len(data) >= off + 28:
        op = {1: "who-has", 2: "reply"}.get(int.from_bytes(data[off + 6:off + 8], "big"), "op?")
        sender = socket.inet_ntop(socket.AF_INET, data[off + 14:off + 18])
        target = socket.inet_ntop(socket.AF_INET, data[off + 24:off + 28])
        return "ARP", f"ARP {op} {target} tell {sender}"
    if ethertype is None:
        return f"linktype {linktype}", f"linktype {linktype}, {len(data)} bytes"
    return f"ether {ethertype:#06x}", f"ether {ethertype:#06x}, {len(data)} bytes"


def _transport(proto: int, l4: bytes, src: str, dst: str) -> tuple[str, str]:
    name = PROTOCOLS.get(proto, f"IP proto {proto}")
    if proto in (6, 17) and len(l4) >= 8:
        sport, dport = int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big")
        flow = f"{_hostport(src, sport)} > {_hostport(dst, dport)}"
        if proto == 6 and len(l4) >= 14:
            flags = "".join(c for i, c in enumerate(TCP_FLAGS) if l4[13] >> i & 1) or "."
            payload = max(0, len(l4) - (l4[12] >> 4) * 4)
            return name, f"TCP {flow} [{flags}] {payload} bytes"
        return name, f"UDP {flow} {max(0, len(l4) - 8)} bytes"
    if proto in (1, 58) and l4:
        return name, f"{name} {src} > {dst} type {l4[0]}"
    return name, f"{name} {src} > {dst}"


def _hostport(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def clock(ts: tuple[int, int]) -> str:
    """A (sec, usec) time stamp as UTC wall-clock time with microseconds."""
    return time.strftime("%H:%M:%S", time.gmtime(ts[0])) + f".{ts[1]:06d}"


def summary(linktype: int, packets: Iterable[tuple[Any, ...]]) -> str:
    """'N packets (TCP 8, ARP 2), HH:MM:SS.ffffff – HH:MM:SS.ffffff UTC'."""
    packets = list(packets)
    if not packets:
        return "0 packets"
    protocols = Counter(describe(linktype, data)[0] for _, data in packets)
    mix = ", ".join(f"{name} {n}" for name, n in protocols.most_common())
    first, last = packets[0][0].getts(), packets[-1][0].getts()
    noun = "packet" if len(packets) == 1 else "packets"
    return f"{len(packets)} {noun} ({mix}), {clock(first)} – {clock(last)} UTC"
