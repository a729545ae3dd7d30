"""RSS per open reader: open N readers on one capture, read one packet from
each, report the RSS growth per reader (KiB), then after close() of all of
them (and after glibc's malloc_trim, which returns freed heap to the system:
what close() freed), and after dropping them.

usage: python bench/rss_readers.py CAPTURE [N]   (any pcapy: ours or pcapy-ng)
"""

import ctypes
import gc
import resource
import sys

import pcapy


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def main() -> None:
    path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    warm = pcapy.open_offline(path)
    warm.next()
    warm.close()
    gc.collect()
    base = rss_kb()
    readers = [pcapy.open_offline(path) for _ in range(n)]
    opened = rss_kb()
    for r in readers:
        r.next()
    read = rss_kb()
    for r in readers:
        r.close()
    gc.collect()
    closed = rss_kb()
    ctypes.CDLL(None).malloc_trim(0)
    trimmed = rss_kb()
    del readers
    gc.collect()
    dropped = rss_kb()
    print(f"{pcapy.__file__}: {n} readers, KiB per reader: open {(opened - base) / n:.1f}, "
          f"after next() {(read - base) / n:.1f}, after close() {(closed - base) / n:.1f}, "
          f"after close() + malloc_trim {(trimmed - base) / n:.1f}, "
          f"after drop {(dropped - base) / n:.1f}")


main()
