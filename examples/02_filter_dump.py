"""Copy the packets of a capture that match a BPF filter into a new pcap file.

usage: python examples/02_filter_dump.py INPUT OUTPUT FILTER

Example: python examples/02_filter_dump.py big.pcap web.pcap 'tcp port 443'
"""

from __future__ import annotations

import sys

import pcapy


def filter_dump(source: str, target: str, expression: str) -> int:
    """Write the packets of source matching expression to target; return how many."""
    with pcapy.open_offline(source) as reader:
        reader.setfilter(expression)
        with reader.dump_open(target) as dumper:
            return reader.dispatch(-1, dumper.dump)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        written = filter_dump(*args)
    except pcapy.PcapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{written} packets matching {args[2]!r} written to {args[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
