"""The benchmark's workloads: one script, run by either interpreter.

usage: python workloads.py WORKLOAD CAPTURE [--batch N] [--floor]
       python workloads.py --import-time

Whichever ``pcapy`` the interpreter imports is measured: this project's with
.venv/bin/python, pcapy-ng's with the reference virtualenv's python. Prints
one JSON object: the module's path, the workload's wall time (open to close,
import excluded), the packet count, the results both modules must agree on,
and memory (RSS after import, peak RSS).

Each workload is ordinary pcapy code, the same for both modules. The raw_*
workloads are pcapy-ng's own harness scenarios (its repository's
benchmarks/bench.py: raw_next, raw_loop with a no-op callback,
raw_next_batch_1024_slice), written here from their description.

--floor runs the workload's code over packets already in memory (made by
the interpreter's own pcapy 1024 at a time, off the clock: see FloorReader):
``next`` is a C-level ``next()`` over ``(Pkthdr, bytes)`` pairs,
``loop``/``dispatch`` run the callback over them at C speed, ``setfilter``
filters the packets made, ``next_batch`` hands out the module's batches with
their making off the clock. That is the part of the time no binding can
remove: the workload's own Python, and the objects it is given.
"""

from __future__ import annotations

import json
import resource
import struct
import sys
import time
import zlib
from array import array
from collections import deque
from functools import partial
from itertools import chain, starmap

_T0 = time.perf_counter()
import pcapy  # noqa: E402  (timed: the import is part of what is measured)

IMPORT_S = time.perf_counter() - _T0


def rss_kb() -> int:
    """Resident set size now, in KiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


RSS_AFTER_IMPORT_KB = rss_kb()


def cpu_s() -> float:
    """CPU time of this process (all threads, user and system), in seconds."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def w_next(path: str) -> dict:
    """next() until (None, b''), touching getts(), getcaplen() and len(data)."""
    r = OPEN(path)
    n = nbytes = ncap = 0
    ts = None
    while True:
        hdr, data = r.next()
        if hdr is None:
            break
        ts = hdr.getts()
        ncap += hdr.getcaplen()
        nbytes += len(data)
        n += 1
    r.close()
    return {"packets": n, "bytes": nbytes, "caplen": ncap, "last_ts": ts}


def counter():
    """The callback of the loop/dispatch workloads and its results."""
    state = {"packets": 0, "bytes": 0, "caplen": 0, "last_ts": None}
    n = nbytes = ncap = 0
    ts = None

    def callback(hdr, data):
        nonlocal n, nbytes, ncap, ts
        ts = hdr.getts()
        ncap += hdr.getcaplen()
        nbytes += len(data)
        n += 1

    def results() -> dict:
        state.update(packets=n, bytes=nbytes, caplen=ncap, last_ts=ts)
        return state

    return callback, results


def w_loop(path: str) -> dict:
    """loop(-1, callback) over the whole file."""
    r = OPEN(path)
    callback, results = counter()
    r.loop(-1, callback)
    r.close()
    return results()


def w_dispatch(path: str) -> dict:
    """dispatch(-1, callback): the whole file in one call."""
    return dispatch_all(path, None)


def w_filter(path: str) -> dict:
    """setfilter('tcp'), then dispatch(-1, callback)."""
    return dispatch_all(path, "tcp")


def dispatch_all(path: str, expr: str | None) -> dict:
    """dispatch(-1, callback) over the file, after setfilter(expr) if given."""
    r = OPEN(path)
    if expr is not None:
        r.setfilter(expr)
    callback, results = counter()
    handled = r.dispatch(-1, callback)
    r.close()
    out = results()
    out["handled"] = handled
    return out


def w_fivetuple(path: str) -> dict:
    """Bytes per 5-tuple flow, parsing Ethernet/IPv4/IPv6/TCP/UDP with struct."""
    eth_type = struct.Struct("!H").unpack_from
    ipv4 = struct.Struct("!B8xB2x4s4s").unpack_from  # ver/ihl, proto, src, dst
    ipv6 = struct.Struct("!6xB1x16s16s").unpack_from  # next header, src, dst
    ports = struct.Struct("!HH").unpack_from
    r = OPEN(path)
    flows: dict = {}
    n = 0
    ts = None
    while True:
        hdr, data = r.next()
        if hdr is None:
            break
        n += 1
        ts = hdr.getts()
        (etype,) = eth_type(data, 12)
        if etype == 0x0800:
            vihl, proto, src, dst = ipv4(data, 14)
            l4 = 14 + (vihl & 15) * 4
        elif etype == 0x86DD:
            proto, src, dst = ipv6(data, 14)
            l4 = 54
        else:
            proto, src, dst, l4 = -etype, b"", b"", 0
        sport, dport = ports(data, l4) if proto in (6, 17) else (0, 0)
        key = (src, dst, proto, sport, dport)
        flows[key] = flows.get(key, 0) + hdr.getlen()
    r.close()
    top = sorted(flows.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "packets": n,
        "bytes": sum(flows.values()),
        "flows": len(flows),
        "flows_crc": zlib.crc32(repr(top).encode()),
        "last_ts": ts,
    }


def w_next_batch(path: str, batch: int = 256) -> dict:
    """next_batch(batch) until empty; meta read with array('I') (C speed)."""
    r = OPEN(path)
    n = nbytes = ncap = 0
    ts = None
    while True:
        data, meta = r.next_batch(batch)
        if not meta:
            break
        words = array("I", meta)
        n += len(words) // 4
        ncap += sum(words[3::4])
        nbytes += len(data)
        ts = (words[-4], words[-3])
    r.close()
    return {"packets": n, "bytes": nbytes, "caplen": ncap, "last_ts": ts}


def w_raw_next(r) -> dict:
    """pcapy-ng's raw_next: next() until the end, counting packets. The
    raw_* workloads get the reader open, as pcapy-ng's harness times only
    the reading."""
    n = 0
    while True:
        hdr, data = r.next()
        if hdr is None:
            break
        n += 1
    return {"packets": n}


def _noop(hdr, data):
    return None


def w_raw_loop(r) -> dict:
    """pcapy-ng's raw_loop: loop(-1) with a callback that does nothing (the
    count is taken afterwards, untimed in pcapy-ng's harness: here from
    the results check)."""
    r.loop(-1, _noop)
    return {"packets": None}


def w_raw_next_batch_1024_slice(r) -> dict:
    """pcapy-ng's raw_next_batch_1024_slice: next_batch(1024), each record
    unpacked with struct.unpack_from and its packet sliced out as bytes."""
    n = 0
    while True:
        pkts, meta = r.next_batch(1024)
        if not meta:
            break
        for off in range(0, len(meta), 16):
            sec, usec, o, caplen = struct.unpack_from("=IIII", meta, off)
            _ = pkts[o:o + caplen]
            n += 1
    return {"packets": n}


def w_filtered_profile(path: str) -> dict:
    """loop_filtered(-1, cb, admit_mask=0): every packet classified and counted,
    none handed to Python (profiling)."""
    return filtered(path, 0)


def w_filtered_heads(path: str) -> dict:
    """loop_filtered(-1, cb, 1 << FLOW_HEAD, b'', 3): the first 3 packets of
    each flow reach the callback, the rest is dropped before Python."""
    return filtered(path, 1 << 1, b"", 3)


def filtered(path: str, *options) -> dict:
    r = pcapy.open_offline(path)
    callback, results = counter()
    counts = r.loop_filtered(-1, lambda hdr, data, cls: callback(hdr, data), *options)
    r.close()
    out = results()
    out.update(packets=counts[0] + counts[1], counts=list(counts))
    return out


def w_to_buffer(path: str) -> dict:
    """loop_to_buffer(-1, 64 MB bytearray, flow heads and set matches, cutoff 3)."""
    r = pcapy.open_offline(path)
    buf = bytearray(64 << 20)
    counts = r.loop_to_buffer(-1, buf, 1 << 1 | 1 << 2, b"", 3)
    r.close()
    return {"packets": sum(counts[4:]), "counts": list(counts),
            "crc": zlib.crc32(memoryview(buf)[:counts[3]])}


WORKLOADS = {
    "next": w_next,
    "loop": w_loop,
    "dispatch": w_dispatch,
    "filter": w_filter,
    "fivetuple": w_fivetuple,
    "next_batch": w_next_batch,
    "raw_next": w_raw_next,
    "raw_loop": w_raw_loop,
    "raw_next_batch_1024_slice": w_raw_next_batch_1024_slice,
    "filtered_profile": w_filtered_profile,
    "filtered_heads": w_filtered_heads,
    "to_buffer": w_to_buffer,
}

OPEN = pcapy.open_offline  # --floor replaces it


def _all_pairs(path: str, expr: str | None = None) -> list:
    r = pcapy.open_offline(path)
    if expr is not None:
        r.setfilter(expr)
    pairs = []
    while True:
        hdr, data = r.next()
        if hdr is None:
            break
        pairs.append((hdr, data))
    r.close()
    return pairs


class FloorReader:
    """A reader that hands out packets already in memory, at the least Python
    cost: C-level iteration over (Pkthdr, bytes) pairs made beforehand. The
    pairs are made by the interpreter's own pcapy CHUNK packets at a time, so
    they are in cache as a binding's fresh packets are; the time spent making
    them is kept in ``paused`` (wall, CPU) and taken off the workload's time.
    """

    CHUNK = 1024

    def __init__(self, path: str) -> None:
        self._source = pcapy.open_offline(path)
        self.paused = [0.0, 0.0]
        stream = chain.from_iterable(iter(self._chunk, None))
        self.next = partial(next, stream, (None, b""))
        self._stream = stream

    def _clock(self, t0: tuple[float, float]) -> None:
        self.paused[0] += time.perf_counter() - t0[0]
        self.paused[1] += cpu_s() - t0[1]

    def _chunk(self):
        """The next CHUNK pairs (None at the end), off the clock."""
        t0 = time.perf_counter(), cpu_s()
        pairs = []
        read = self._source.next
        for _ in range(self.CHUNK):
            hdr, data = read()
            if hdr is None:
                break
            pairs.append((hdr, data))
        self._clock(t0)
        return pairs or None

    def setfilter(self, expr) -> None:
        t0 = time.perf_counter(), cpu_s()
        self._source.setfilter(expr)
        self._clock(t0)

    def loop(self, cnt, callback) -> None:
        deque(starmap(callback, self._stream), 0)

    def dispatch(self, cnt, callback) -> int:
        calls = 0
        for pairs in iter(self._chunk, None):  # a Python step per chunk, C speed within
            deque(starmap(callback, pairs), 0)
            calls += len(pairs)
        return calls

    def next_batch(self, size):
        t0 = time.perf_counter(), cpu_s()
        batch = self._source.next_batch(size)
        self._clock(t0)
        return batch

    def close(self) -> None:
        self._source.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--import-time"]:
        print(json.dumps({"module": pcapy.__file__, "import_s": IMPORT_S,
                          "rss_after_import_kb": RSS_AFTER_IMPORT_KB}))
        return 0
    if len(argv) < 2 or argv[0] not in WORKLOADS:
        sys.stderr.write(f"usage: workloads.py {{{'|'.join(WORKLOADS)}}} CAPTURE [--batch N]\n")
        return 2
    global OPEN
    name, path = argv[0], argv[1]
    kwargs = {}
    if name == "next_batch" and "--batch" in argv:
        kwargs["batch"] = int(argv[argv.index("--batch") + 1])
    # Off the clock, both modules: the first open and read. pcapy-ng loaded
    # its extension at import; ours loads it (and starts Go) at first use.
    t0 = time.perf_counter()
    first = pcapy.open_offline(path)
    first.next()
    first.close()
    first_use_s = time.perf_counter() - t0
    floors: list[FloorReader] = []
    if "--floor" in argv:
        OPEN = lambda p: floors.append(FloorReader(p)) or floors[-1]  # noqa: E731
    arg = OPEN(path) if name.startswith("raw_") else path
    c0 = cpu_s()
    t0 = time.perf_counter()
    results = WORKLOADS[name](arg, **kwargs)
    seconds = time.perf_counter() - t0 - sum(f.paused[0] for f in floors)
    cpu = cpu_s() - c0 - sum(f.paused[1] for f in floors)
    if results["packets"] is None:  # raw_loop: counted afterwards, off the clock
        results["packets"] = len(_all_pairs(path))
    print(json.dumps({
        "module": pcapy.__file__,
        "workload": name,
        "floor": bool(floors),
        "seconds": seconds,
        "cpu_s": cpu,
        "packets": results["packets"],
        "results": results,
        "import_s": IMPORT_S,
        "first_use_s": first_use_s,
        "rss_after_import_kb": RSS_AFTER_IMPORT_KB,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
