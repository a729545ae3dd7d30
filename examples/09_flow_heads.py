"""Read the TLS server name (SNI) at the start of every connection: the first
packets of each flow reach Python, the bulk after them does not (flow_cutoff).

usage: python examples/09_flow_heads.py SOURCE [PACKETS_PER_FLOW]

SOURCE is a capture file or a device (live: needs root; Ctrl-C stops).
PACKETS_PER_FLOW (default 4) is how many packets of each direction of a
connection are looked at. Prints each new server name, then how many.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import pcapy

FLOW_HEAD = 1
IP = 14  # where the IPv4 header starts on Ethernet


def tls_server_name(packet: bytes, ip: int = IP) -> Optional[str]:
    """The server name of a TLS ClientHello in this packet, else None."""
    try:
        if packet[ip + 9] != 6:  # TCP only
            return None
        tcp = ip + (packet[ip] & 0x0F) * 4
        rec = tcp + (packet[tcp + 12] >> 4) * 4
        if packet[rec] != 0x16 or packet[rec + 5] != 0x01:  # handshake record, ClientHello
            return None
        p = rec + 5 + 4 + 2 + 32  # record and handshake headers, version, random
        p += 1 + packet[p]  # session id
        p += 2 + int.from_bytes(packet[p:p + 2], "big")  # cipher suites
        p += 1 + packet[p]  # compression methods
        end = p + 2 + int.from_bytes(packet[p:p + 2], "big")
        p += 2
        while p + 4 <= min(end, len(packet)):
            kind, size = int.from_bytes(packet[p:p + 2], "big"), int.from_bytes(packet[p + 2:p + 4], "big")
            p += 4
            if kind == 0:  # server_name: list length, name type, name length, name
                length = int.from_bytes(packet[p + 3:p + 5], "big")
                return packet[p + 5:p + 5 + length].decode("ascii", "replace")
            p += size
    except IndexError:
        pass
    return None


def server_names(source: str, per_flow: int) -> list[str]:
    """The distinct server names, in order of appearance (printed as found)."""
    seen: list[str] = []

    def on_head(hdr: pcapy.Pkthdr, data: bytes, cls: int) -> None:
        name = tls_server_name(data)
        if name and name not in seen:
            seen.append(name)
            print(f"server name: {name}")

    reader = pcapy.open_offline(source) if os.path.exists(source) else pcapy.open_live(source, 65535, 1, 100)
    with reader:
        try:
            reader.loop_filtered(-1, on_head, 1 << FLOW_HEAD, b"", per_flow)
        except KeyboardInterrupt:
            pass
    return seen


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2 or len(args) == 2 and not args[1].isdigit():
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        names = server_names(args[0], int(args[1]) if len(args) == 2 else 4)
    except pcapy.PcapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{len(names)} TLS server name(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
