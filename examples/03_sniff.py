"""Sniff a network interface: one line per packet, a summary on Ctrl-C (or SIGTERM).

usage: python examples/03_sniff.py [INTERFACE [FILTER]] [--count N] [--snaplen N] [--quiet]

INTERFACE defaults to the first capture device (pcapy.lookupdev()); FILTER is
a BPF expression such as 'tcp port 443' (quote it). --count stops after N
packets, --quiet prints only the summary (for high packet rates). Capturing
needs root or CAP_NET_RAW.

Example: sudo python examples/03_sniff.py eth0 'udp port 53'
"""

from __future__ import annotations

import argparse
import collections
import ipaddress
import signal
import sys
import time

import pcapy

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN = 0x0800, 0x86DD, 0x0806, 0x8100
PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}
ETHER_NAMES: dict[int, str] = {}  # "ether 0x88b5", made once per EtherType


def describe(frame: bytes, flow: bool = True) -> tuple[str, str]:
    """Return (protocol, 'source > destination') of an Ethernet frame; the
    second is '' unless flow (formatting addresses costs more than the rest)."""
    ethertype, offset = int.from_bytes(frame[12:14], "big"), 14
    while ethertype == ETH_VLAN and len(frame) >= offset + 4:
        ethertype, offset = int.from_bytes(frame[offset + 2:offset + 4], "big"), offset + 4
    if ethertype == ETH_IPV4 and len(frame) >= offset + 20:
        proto = frame[offset + 9]
        name = PROTOCOLS.get(proto, f"IP/{proto}")
        if not flow:
            return name, ""
        packet = frame[offset:]
        src, dst = ipaddress.IPv4Address(packet[12:16]), ipaddress.IPv4Address(packet[16:20])
        return _ports(name, proto, packet[(packet[0] & 0x0F) * 4:], str(src), str(dst))
    if ethertype == ETH_IPV6 and len(frame) >= offset + 40:
        proto = frame[offset + 6]
        name = PROTOCOLS.get(proto, f"IPv6/{proto}")
        if not flow:
            return name, ""
        packet = frame[offset:]
        src, dst = ipaddress.IPv6Address(packet[8:24]), ipaddress.IPv6Address(packet[24:40])
        return _ports(name, proto, packet[40:], str(src), str(dst))
    if ethertype == ETH_ARP and len(frame) >= offset + 28:
        if not flow:
            return "ARP", ""
        packet = frame[offset:]
        return "ARP", f"{ipaddress.IPv4Address(packet[14:18])} > {ipaddress.IPv4Address(packet[24:28])}"
    name = ETHER_NAMES.get(ethertype) or ETHER_NAMES.setdefault(ethertype, f"ether 0x{ethertype:04x}")
    return name, f"{_mac(frame[6:12])} > {_mac(frame[0:6])}" if flow else ""


def _ports(name: str, proto: int, l4: bytes, src: str, dst: str) -> tuple[str, str]:
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big")
        return name, f"{src}:{sport} > {dst}:{dport}"
    return name, f"{src} > {dst}"


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


class Sniffer:
    """Counts what it sees and prints a line per packet unless quiet."""

    def __init__(self, linktype: int, quiet: bool) -> None:
        self.linktype, self.quiet = linktype, quiet
        self.packets = self.bytes = 0
        self.protocols: collections.Counter[str] = collections.Counter()

    def __call__(self, hdr: pcapy.Pkthdr, data: bytes) -> None:
        self.packets += 1
        self.bytes += hdr.getlen()
        if self.linktype == pcapy.DLT_EN10MB:
            proto, flow = describe(data, not self.quiet)
        else:
            proto, flow = f"linktype {self.linktype}", ""
        self.protocols[proto] += 1
        if not self.quiet:
            sec, usec = hdr.getts()
            clock = time.strftime("%H:%M:%S", time.localtime(sec))
            print(f"{clock}.{usec:06d} {proto:<10} {flow} length {hdr.getlen()}", flush=True)

    def summary(self, stats: tuple[int, int, int]) -> str:
        received, dropped, if_dropped = stats
        lines = [f"{self.packets} packets captured ({self.bytes} bytes)",
                 f"{received} received by filter, {dropped} dropped by kernel, "
                 f"{if_dropped} dropped by interface"]
        lines += [f"  {name:<12} {n:>9}" for name, n in self.protocols.most_common()]
        return "\n".join(lines)


def stop(signum: int, frame: object) -> None:
    """SIGTERM ends the capture like Ctrl-C (kill, process managers)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], usage=__doc__.split("\n")[2][7:])
    parser.add_argument("interface", nargs="?")
    parser.add_argument("filter", nargs="?", default="")
    parser.add_argument("--count", type=int, default=0, help="stop after N packets (0: until Ctrl-C)")
    parser.add_argument("--snaplen", type=int, default=65535)
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    try:
        device = args.interface or pcapy.lookupdev()
        reader = pcapy.open_live(device, args.snaplen, 1, 100)
        if args.filter:
            reader.setfilter(args.filter)
    except pcapy.PcapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    sniffer = Sniffer(reader.datalink(), args.quiet)
    print(f"listening on {device}, link-type {reader.datalink()}"
          + (f", filter {args.filter!r}" if args.filter else "") + " (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, stop)
    try:
        reader.loop(args.count, sniffer)
    except KeyboardInterrupt:
        pass
    print(sniffer.summary(reader.stats()), flush=True)
    reader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
