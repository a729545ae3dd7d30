"""Keep the start of every connection and anything touching a watch list;
classify and drop the rest in Go, before Python sees it (loop_filtered).

usage: python examples/08_filter_in_go.py SOURCE [WATCH_IP ...]

SOURCE is a capture file or a device (live: needs root; Ctrl-C stops).
Prints the first kept packets, then the class counts and how much traffic
never became a Python object.

Example: python examples/08_filter_in_go.py capture.pcap 8.8.8.8 1.1.1.1
"""

from __future__ import annotations

import os
import socket
import sys

import pcapy

OTHER, FLOW_HEAD, SET_MATCH = 0, 1, 2
NAMES = ["OTHER", "FLOW_HEAD", "SET_MATCH"]
SHOWN = 20
# Where the IPv4 header starts on each link type.
L2_OFFSETS = {pcapy.DLT_EN10MB: 14, pcapy.DLT_LINUX_SLL: 16, pcapy.DLT_RAW: 0, pcapy.DLT_NULL: 4}


def open_source(source: str) -> pcapy.Reader:
    if os.path.exists(source):
        return pcapy.open_offline(source)
    return pcapy.open_live(source, 65535, 1, 100)


def run(source: str, watch: list[str]) -> tuple[int, ...]:
    """Print kept packets and return loop_filtered's counters."""
    addr_set = b"".join(socket.inet_aton(ip) for ip in watch)
    shown = 0

    def keep(hdr: pcapy.Pkthdr, data: bytes, cls: int) -> None:
        nonlocal shown
        if shown < SHOWN:
            print(f"keep {NAMES[cls]:<9} len={len(data)}")
            shown += 1

    with open_source(source) as reader:
        admit = 1 << FLOW_HEAD | 1 << SET_MATCH  # OTHER is dropped in Go
        l2 = L2_OFFSETS.get(reader.datalink(), 14)
        try:
            return reader.loop_filtered(-1, keep, admit, addr_set, 3, l2_offset=l2)
        except KeyboardInterrupt:
            return reader.filtered_stats()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        admitted, dropped, other, heads, matches = run(args[0], args[1:])
    except (pcapy.PcapError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    total = admitted + dropped
    print(f"classes: other={other} flow_head={heads} set_match={matches}")
    if total:
        print(f"kept {admitted} of {total} packets ({100 * admitted / total:.1f}% reached Python, "
              f"{100 * dropped / total:.1f}% dropped in Go)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
