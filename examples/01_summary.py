"""Summarise a capture file: packets, bytes, duration, protocol mix, top talkers.

usage: python examples/01_summary.py CAPTURE [--top N]

CAPTURE is a pcap or pcapng file ('-' reads standard input).
"""

from __future__ import annotations

import argparse
import collections
import ipaddress
import sys

import pcapy

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN = 0x0800, 0x86DD, 0x0806, 0x8100
PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}


def network_layer(linktype: int, frame: bytes) -> tuple[int, bytes]:
    """Return (ethertype, payload) of a frame of a supported link type."""
    if linktype == pcapy.DLT_EN10MB:
        ethertype, offset = int.from_bytes(frame[12:14], "big"), 14
        while ethertype == ETH_VLAN and len(frame) >= offset + 4:  # 802.1Q tags
            ethertype, offset = int.from_bytes(frame[offset + 2:offset + 4], "big"), offset + 4
        return ethertype, frame[offset:]
    if linktype == pcapy.DLT_LINUX_SLL:
        return int.from_bytes(frame[14:16], "big"), frame[16:]
    if linktype in (pcapy.DLT_RAW, pcapy.DLT_NULL, pcapy.DLT_LOOP):
        payload = frame if linktype == pcapy.DLT_RAW else frame[4:]
        version = payload[0] >> 4 if payload else 0
        return {4: ETH_IPV4, 6: ETH_IPV6}.get(version, 0), payload
    return 0, b""


def classify(linktype: int, frame: bytes) -> tuple[str, str | None, str | None]:
    """Return (protocol name, source, destination) of a frame."""
    ethertype, packet = network_layer(linktype, frame)
    if ethertype == ETH_IPV4 and len(packet) >= 20:
        src, dst = ipaddress.IPv4Address(packet[12:16]), ipaddress.IPv4Address(packet[16:20])
        return PROTOCOLS.get(packet[9], f"IP proto {packet[9]}"), str(src), str(dst)
    if ethertype == ETH_IPV6 and len(packet) >= 40:
        src, dst = ipaddress.IPv6Address(packet[8:24]), ipaddress.IPv6Address(packet[24:40])
        return PROTOCOLS.get(packet[6], f"IPv6 next header {packet[6]}"), str(src), str(dst)
    if ethertype == ETH_ARP:
        return "ARP", None, None
    return f"ethertype 0x{ethertype:04x}", None, None


def summarise(path: str, top: int) -> str:
    reader = pcapy.open_offline(path)
    linktype = reader.datalink()
    protocols: collections.Counter[str] = collections.Counter()
    talkers: collections.Counter[str] = collections.Counter()
    count = total = 0
    first = last = None
    for hdr, data in reader:
        count += 1
        total += hdr.getlen()
        sec, usec = hdr.getts()
        first = first if first is not None else sec + usec / 1e6
        last = sec + usec / 1e6
        proto, src, _ = classify(linktype, data)
        protocols[proto] += 1
        if src is not None:
            talkers[src] += hdr.getlen()
    reader.close()
    duration = (last - first) if count else 0.0
    lines = [
        f"file:      {path}",
        f"link type: {linktype}",
        f"packets:   {count}",
        f"bytes:     {total}",
        f"duration:  {duration:.6f} s",
        "protocols:",
    ]
    lines += [f"  {name:<22} {n:>9}  {100 * n / count:5.1f}%" for name, n in protocols.most_common()]
    lines.append(f"top {top} talkers (bytes sent):")
    lines += [f"  {host:<40} {n:>12}" for host, n in talkers.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], usage=__doc__.split("\n")[2][7:])
    parser.add_argument("capture")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        print(summarise(args.capture, args.top))
    except pcapy.PcapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
