"""Send numbered Ethernet frames on an interface with sendpacket().

usage: python examples/04_send.py INTERFACE [--count N] [--size BYTES] [--rate PPS] [--dst MAC]

Sends --count frames (default 10) of --size bytes (60-1514, default 60) from
INTERFACE's MAC address to --dst (default the broadcast address), with
EtherType 0x88b5 (IEEE local experimental: no host answers them) and the
frame's number in its first payload bytes. --rate paces them in packets per
second (default: as fast as possible). Prints what it sent and the rate it
reached. Sending needs root or CAP_NET_RAW.

Example: sudo python examples/04_send.py veth0 --count 1000 --rate 500
"""

from __future__ import annotations

import argparse
import struct
import sys
import time

import pcapy

ETHERTYPE = 0x88B5
BROADCAST = "ff:ff:ff:ff:ff:ff"


def mac_bytes(text: str) -> bytes:
    """'02:00:5e:10:00:01' -> 6 bytes; ValueError otherwise."""
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    return bytes(int(p, 16) for p in parts)


def own_mac(interface: str) -> bytes:
    """The interface's address (Linux sysfs), or a locally administered one."""
    try:
        with open(f"/sys/class/net/{interface}/address") as f:
            return mac_bytes(f.read().strip())
    except (OSError, ValueError):
        return bytes.fromhex("020000000001")


def frame(dst: bytes, src: bytes, number: int, size: int) -> bytes:
    head = dst + src + struct.pack("!HI", ETHERTYPE, number)
    return head + bytes(max(0, size - len(head)))


def send(interface: str, count: int, size: int, rate: float, dst: bytes) -> tuple[int, float]:
    """Send the frames; return (sent, seconds taken)."""
    writer = pcapy.open_live(interface, 65535, 0, 100)
    src = own_mac(interface)
    template = bytearray(frame(dst, src, 0, size))
    start = time.monotonic()
    for n in range(count):
        struct.pack_into("!I", template, 14, n)
        writer.sendpacket(bytes(template))
        if rate:
            ahead = start + (n + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    took = time.monotonic() - start
    writer.close()
    return count, took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], usage=__doc__.split("\n")[2][7:])
    parser.add_argument("interface")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--rate", type=float, default=0.0, help="packets per second (0: flat out)")
    parser.add_argument("--dst", default=BROADCAST, type=mac_bytes)
    args = parser.parse_args(argv)
    if not 60 <= args.size <= 1514 or args.count < 0 or args.rate < 0:
        parser.error("--size must be 60..1514, --count and --rate not negative")
    try:
        sent, took = send(args.interface, args.count, args.size, args.rate, args.dst)
    except pcapy.PcapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    pps = sent / took if took else 0.0
    print(f"sent {sent} frames of {args.size} bytes on {args.interface} in {took:.3f} s ({pps:.0f} pps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
