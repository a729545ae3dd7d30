"""Capture into shared memory, process in parallel: loop_to_buffer classifies
in Go and writes the kept packets into a multiprocessing.shared_memory
buffer (no Python per packet, the GIL free meanwhile); worker processes then
read their share of the records.

usage: python examples/10_shared_memory_ring.py SOURCE [WORKERS]

SOURCE is a capture file or a device (live: captures until the buffer fills
or Ctrl-C). Each record is [u32 caplen, little-endian][u8 class][caplen
bytes]. Prints what the producer wrote and each worker's class counts.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import Counter
from multiprocessing import shared_memory

import pcapy

NAMES = {0: "OTHER", 1: "FLOW_HEAD", 2: "SET_MATCH"}
BUFFER_BYTES = 64 << 20


def record_offsets(buf: memoryview, count: int) -> list[int]:
    """Where each of the count records starts, and where the last ends."""
    offsets, off = [], 0
    for _ in range(count):
        offsets.append(off)
        off += 5 + int.from_bytes(buf[off:off + 4], "little")
    return offsets + [off]


def consume(name: str, start: int, end: int) -> dict[int, tuple[int, int]]:
    """A worker: per class, the packets and bytes of the records in [start, end)."""
    shm = shared_memory.SharedMemory(name=name)
    try:
        buf, off = shm.buf, start
        packets: Counter = Counter()
        size: Counter = Counter()
        while off < end:
            caplen, cls = int.from_bytes(buf[off:off + 4], "little"), buf[off + 4]
            packets[cls] += 1
            size[cls] += caplen
            off += 5 + caplen
        del buf
        return {cls: (packets[cls], size[cls]) for cls in packets}
    finally:
        shm.close()


def run(source: str, workers: int) -> tuple[tuple[int, ...], list[dict[int, tuple[int, int]]]]:
    """Fill the buffer from source; return the producer's counters and each worker's tallies."""
    reader = pcapy.open_offline(source) if os.path.exists(source) else pcapy.open_live(source, 65535, 1, 100)
    shm = shared_memory.SharedMemory(create=True, size=BUFFER_BYTES)
    try:
        with reader:
            try:  # keep flow heads and watch-list hits, drop the rest in Go
                counts = reader.loop_to_buffer(-1, shm.buf, 1 << 1 | 1 << 2, b"", 3)
            except KeyboardInterrupt:
                return (0,) * 7, []
        written = counts[0]
        offsets = record_offsets(shm.buf, written)
        shares = [(shm.name, offsets[written * k // workers], offsets[written * (k + 1) // workers])
                  for k in range(workers)]
        # spawn: fresh worker processes (pcapy's Go runtime does not survive fork)
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            return counts, pool.starmap(consume, shares)
    finally:
        shm.close()
        shm.unlink()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2 or len(args) == 2 and not args[1].isdigit():
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        counts, tallies = run(args[0], int(args[1]) if len(args) == 2 else 4)
    except pcapy.PcapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    written, dropped, overflow, used = counts[:4]
    print(f"producer: wrote {written} packets ({used} bytes), dropped {dropped} in Go, overflow {overflow}")
    for k, tally in enumerate(tallies):
        parts = " ".join(f"{NAMES[c]}={n}" for c, (n, _) in sorted(tally.items()))
        print(f"worker {k}: {parts or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
