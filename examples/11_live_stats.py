"""Watch loop_filtered's counters from another thread while it runs.

usage: python examples/11_live_stats.py SOURCE [SECONDS]

SOURCE is a capture file or a device (live: needs root). A thread runs
loop_filtered over SOURCE; the main thread prints filtered_stats() every
0.2 s. On a device it stops after SECONDS (default: Ctrl-C) with
breakloop(). Prints the final counters.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pcapy

POLL_S = 0.2


def watch(source: str, seconds: float | None) -> tuple[int, ...]:
    """Run the loop in a thread, print its live counters; return the final ones."""
    reader = pcapy.open_offline(source) if os.path.exists(source) else pcapy.open_live(source, 65535, 1, 100)
    errors: list[BaseException] = []

    def capture() -> None:
        try:
            reader.loop_filtered(-1, lambda hdr, data, cls: len(data), 7, b"", 4)
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    thread = threading.Thread(target=capture)
    thread.start()
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while thread.is_alive():
            admitted, dropped, other, heads, matches = reader.filtered_stats()
            print(f"admitted={admitted} dropped={dropped} other={other} flow_head={heads} "
                  f"set_match={matches}", flush=True)
            if deadline is not None and time.monotonic() >= deadline:
                reader.breakloop()
            thread.join(POLL_S)
    except KeyboardInterrupt:
        reader.breakloop()
    thread.join()
    reader.close()
    if errors:
        raise errors[0]
    return reader.filtered_stats()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        final = watch(args[0], float(args[1]) if len(args) == 2 else None)
    except (pcapy.PcapError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"final: admitted={final[0]} dropped={final[1]} (other, flow_head, set_match)={final[2:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
