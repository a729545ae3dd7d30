"""make_pcap's packet specs: dicts like {"proto": "tcp", "dport": 80} turned into frames.

A spec names a protocol and whatever differs from the defaults; the frame
builders of _frames.py do the bytes (checksums included). Stdlib only.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import _frames

DEFAULTS: dict[str, Any] = {
    "proto": "tcp",           # "tcp", "udp", "icmp" (ICMPv6 over IPv6)
    "src": "10.0.0.1",        # IPv4 or IPv6 (a ':' makes it IPv6); dst must match
    "dst": "10.0.0.2",
    "sport": 40000,
    "dport": 80,
    "flags": "PA",            # TCP flags as letters (FSRPAU) or an int
    "seq": 0,                 # TCP sequence number, or ICMP echo sequence
    "ack": 0,
    "id": 0,                  # ICMP echo identifier
    "icmp": "request",        # "request" or "reply"
    "payload": b"",           # bytes, or str (UTF-8)
    "ttl": 64,
    "src_mac": "02:00:00:00:00:01",
    "dst_mac": "02:00:00:00:00:02",
    "vlan": None,             # an 802.1Q VLAN ID
    "ts": None,               # seconds since the epoch (int or float); default: one per millisecond
}
START_NS = 1_700_000_000_000_000_000  # default first timestamp (2023-11-14 22:13:20 UTC)
STEP_NS = 1_000_000
RAW_LINKTYPES = (12, 101)  # raw IP: the spec's packet without its Ethernet header
TCP_FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}


def _flags(value: Any) -> int:
    if isinstance(value, int):
        return value
    try:
        return sum(TCP_FLAG_BITS[c] for c in set(str(value).upper()) if c != ".")
    except KeyError:
        raise ValueError(f"TCP flags {value!r}: use letters of FSRPAUEC, or an int") from None


def _ns(ts: Any) -> int:
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        raise TypeError(f"ts must be seconds since the epoch (int or float), not {type(ts).__name__}")
    whole = int(ts)  # split first: ts * 1e9 in floats loses the sub-microsecond digits
    return whole * 1_000_000_000 + round((ts - whole) * 1e9)


def build_frame(spec: dict[str, Any], linktype: int = 1) -> bytes:
    """The frame (or raw IP packet) a spec describes; see DEFAULTS."""
    unknown = set(spec) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown packet field(s) {sorted(unknown)}; fields are {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **spec}
    src, dst, payload = p["src"], p["dst"], p["payload"]
    if isinstance(payload, str):
        payload = payload.encode()
    v6 = ":" in src
    if v6 != (":" in dst):
        raise ValueError(f"src {src!r} and dst {dst!r} are not of the same IP version")
    proto = str(p["proto"]).lower()
    if proto == "tcp":
        l4 = _frames.tcp(src, dst, p["sport"], p["dport"], payload, flags=_flags(p["flags"]),
                         seq=p["seq"], ack=p["ack"])
        number = _frames.IPPROTO_TCP
    elif proto == "udp":
        l4, number = _frames.udp(src, dst, p["sport"], p["dport"], payload), _frames.IPPROTO_UDP
    elif proto in ("icmp", "icmpv6"):
        if p["icmp"] not in ("request", "reply"):
            raise ValueError(f"icmp must be 'request' or 'reply', not {p['icmp']!r}")
        reply = p["icmp"] == "reply"
        if v6:
            l4 = _frames.icmpv6_echo(src, dst, p["id"], p["seq"], payload, reply=reply)
            number = _frames.IPPROTO_ICMPV6
        else:
            l4, number = _frames.icmp_echo(p["id"], p["seq"], payload, reply=reply), _frames.IPPROTO_ICMP
    else:
        raise ValueError(f"proto must be 'tcp', 'udp' or 'icmp', not {p['proto']!r}")
    if v6:
        packet = _frames.ipv6(src, dst, number, l4, hop_limit=p["ttl"])
    else:
        packet = _frames.ipv4(src, dst, number, l4, ttl=p["ttl"])
    if linktype in RAW_LINKTYPES:
        return packet
    if linktype != _frames.LINKTYPE_ETHERNET:
        raise ValueError(f"packet specs make Ethernet or raw IP frames, not link type {linktype}: "
                         "pass the frames as bytes")
    ethertype = _frames.ETH_P_IPV6 if v6 else _frames.ETH_P_IP
    return _frames.ethernet(_frames.mac(p["dst_mac"]), _frames.mac(p["src_mac"]), ethertype, packet,
                            vlan=p["vlan"])


def build(items: Iterable[Any], linktype: int = 1) -> list[tuple[int, bytes]]:
    """``(ts_ns, frame)`` for each item: bytes (a whole frame), a
    ``(seconds, bytes)`` pair, or a spec dict."""
    out: list[tuple[int, bytes]] = []
    for i, item in enumerate(items):
        default_ts = START_NS + i * STEP_NS
        try:
            if isinstance(item, (bytes, bytearray, memoryview)):
                out.append((default_ts, bytes(item)))
            elif isinstance(item, tuple) and len(item) == 2:
                out.append((_ns(item[0]), bytes(item[1])))
            elif isinstance(item, dict):
                ts = item.get("ts")
                out.append((default_ts if ts is None else _ns(ts), build_frame(item, linktype)))
            else:
                raise TypeError(f"expected bytes, (seconds, bytes) or a dict, not {type(item).__name__}")
        except (TypeError, ValueError, OSError) as err:  # OSError: a bad address (inet_pton)
            raise type(err)(f"packet {i}: {err}") if not isinstance(err, OSError) \
                else ValueError(f"packet {i}: bad address: {err}") from None
    return out
