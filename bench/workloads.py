"""The benchmark's workloads: one script, run by either interpreter.

usage: python workloads.py WORKLOAD CAPTURE [--batch N]
       python workloads.py --import-time

Whichever ``pcapy`` the interpreter imports is measured: this project's with
.venv/bin/python, pcapy-ng's with the reference virtualenv's python. Prints
one JSON object: the module's path, the workload's wall time (open to close,
import excluded), the packet count, the results both modules must agree on,
and memory (RSS after import, peak RSS).

Each workload is ordinary pcapy code, the same for both modules.
"""

from __future__ import annotations

import json
import resource
import struct
import sys
import time
import zlib
from array import array

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
    r = pcapy.open_offline(path)
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
    r = pcapy.open_offline(path)
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
    r = pcapy.open_offline(path)
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
    r = pcapy.open_offline(path)
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
    r = pcapy.open_offline(path)
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
    "filtered_profile": w_filtered_profile,
    "filtered_heads": w_filtered_heads,
    "to_buffer": w_to_buffer,
}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--import-time"]:
        print(json.dumps({"module": pcapy.__file__, "import_s": IMPORT_S,
                          "rss_after_import_kb": RSS_AFTER_IMPORT_KB}))
        return 0
    if len(argv) < 2 or argv[0] not in WORKLOADS:
        sys.stderr.write(f"usage: workloads.py {{{'|'.join(WORKLOADS)}}} CAPTURE [--batch N]\n")
        return 2
    name, path = argv[0], argv[1]
    kwargs = {}
    if name == "next_batch" and "--batch" in argv:
        kwargs["batch"] = int(argv[argv.index("--batch") + 1])
    c0 = cpu_s()
    t0 = time.perf_counter()
    results = WORKLOADS[name](path, **kwargs)
    seconds = time.perf_counter() - t0
    cpu = cpu_s() - c0
    print(json.dumps({
        "module": pcapy.__file__,
        "workload": name,
        "seconds": seconds,
        "cpu_s": cpu,
        "packets": results["packets"],
        "results": results,
        "import_s": IMPORT_S,
        "rss_after_import_kb": RSS_AFTER_IMPORT_KB,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
