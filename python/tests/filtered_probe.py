"""The differential probe of pcapy-ng's filtering API: loop_filtered,
loop_to_buffer, filtered_stats (steps ``filtered:...`` and ``filtered_args:...``).

Imported by diff_probe.py, which runs it under both implementations; stdlib
and pcapy only. Long callback traces are recorded as count + first calls +
digest, so a trace stays small while any difference still shows.
"""

import hashlib
import json
import mmap
import socket
import zlib


WATCH = socket.inet_aton("10.99.0.1") + socket.inet_aton("10.99.0.2")
# Sources of the bulk flows of capgen.classifier_traffic, and noise around them.
BIG_SET = b"".join(socket.inet_aton(f"10.16.{i // 250 % 240}.{i % 250 + 1}") for i in range(0, 30000, 3))
BIG_SET += b"".join(socket.inet_aton(f"172.16.{i >> 8 & 255}.{i & 255}") for i in range(40000)) + WATCH

# (label, positional arguments after cnt and cb, keywords)
CONFIGS = [  # most drop the bulk class: every class is still counted, callbacks stay few
    ("default", (), {}),
    ("mask0", (0,), {}),
    ("heads3", (1 << 1,), {"flow_cutoff": 3}),
    ("heads1", (6, b"", 1), {}),
    ("set", (1 << 2, WATCH), {}),
    ("set_heads_odd", (6, WATCH + b"\0\0\0\0" + b"\x0a\x63", 2), {}),
    ("set_big", (1 << 2 | 1 << 1, BIG_SET, 2), {}),
    ("sec_default", (), {"profile": 1}),
    ("sec_59", (59, WATCH, 3), {"profile": 1}),
    ("sec_ports", (59,), {"profile": 1, "dpi_ports": [8080, 65616], "tls_ports": (8443, 443),
                          "dns_port": 5353, "flow_cutoff": 2, "addr_set": WATCH}),
    ("sec_noports", (59,), {"profile": 1, "dpi_ports": [], "tls_ports": [], "flow_cutoff": 2}),
    ("sec_iterables", (59, BIG_SET, 1), {"profile": 1, "dpi_ports": b"\x50", "tls_ports": {443: 1}}),
    ("l2_18", (6, WATCH, 2), {"l2_offset": 18}),
    ("l2_0", (6, WATCH, 2), {"l2_offset": 0}),
    ("mask_neg", (-1, WATCH, 1), {}),
    ("dns_wrapped", (59,), {"profile": 1, "dns_port": -65483}),
]
# Link types' IPv4 offsets, for the other capture files.
OFFSETS = {1: 14, 113: 16, 12: 0, 0: 4}


class Calls:
    """A loop_filtered callback recording its calls; optionally raising on
    call ``raise_at`` or polling filtered_stats() in each call."""

    def __init__(self, probe, reader=None, raise_at=None, exc=None):
        self.probe, self.reader, self.raise_at, self.exc = probe, reader, raise_at, exc
        self.calls = []

    def __call__(self, hdr, data, cls):
        # cheap and exact: header fields, a checksum of the bytes, the class
        entry = [*hdr.getts(), hdr.getcaplen(), hdr.getlen(), len(data), zlib.crc32(data), cls]
        if self.reader is not None:
            entry.append(list(self.reader.filtered_stats()))
        self.calls.append(entry)
        if self.raise_at is not None and len(self.calls) == self.raise_at:
            raise self.exc

    def summary(self):
        text = json.dumps(self.calls, sort_keys=True)
        return {"n": len(self.calls), "head": self.calls[:2], "tail": self.calls[-1:],
                "digest": hashlib.sha256(text.encode()).hexdigest()[:16]}


def run_loop(p, name, r, cnt, calls, *args, **kwargs):
    """Record loop_filtered's result, its callback calls and filtered_stats()."""
    try:
        ret = p.norm(r.loop_filtered(cnt, calls, *args, **kwargs))
    except BaseException as exc:
        ret = p.norm_exc(exc)
    p.record(name, {"return": ret, "calls": calls.summary()})
    p.step(f"{name}:filtered_stats", r.filtered_stats)


def run_buffer(p, name, r, cnt, buf, *args, **kwargs):
    """Record loop_to_buffer's result and the bytes it wrote."""
    try:
        ret = r.loop_to_buffer(cnt, buf, *args, **kwargs)
    except BaseException as exc:
        p.record(name, {"return": p.norm_exc(exc)})
        return
    used = bytes(memoryview(buf).cast("B")[:ret[3]])
    p.record(name, {"return": p.norm(ret), "records": records(used),
                    "digest": hashlib.sha256(used).hexdigest()[:16]})


def records(used):
    """Count and classes of the records [u32 caplen][u8 cls][bytes]."""
    classes, off = [], 0
    while off + 5 <= len(used):
        caplen = int.from_bytes(used[off:off + 4], "little")
        classes.append(used[off + 4])
        off += 5 + caplen
    return {"n": len(classes), "classes": sorted(set(classes)), "end": off}


def probe_filtered(p, files, cls, fresh):
    """Every configuration on the classifier capture ``cls``, the common ones
    on the other captures, and the calls' interplay with next() and setfilter()."""
    if cls:
        for label, args, kwargs in CONFIGS:
            r = fresh(p, "filtered", cls)
            if r:
                run_loop(p, f"filtered:classify:{label}", r, -1, Calls(p), *args, **kwargs)
                r.close()
            r = fresh(p, "filtered", cls)
            if r:
                run_buffer(p, f"filtered:classify:{label}:to_buffer", r, -1, bytearray(1 << 20), *args, **kwargs)
                r.close()
        probe_counts_and_interplay(p, cls, fresh)
        probe_buffers(p, cls, fresh)
    for name in ("eth_us", "eth_ns", "eth_be", "pcapng", "sll", "raw", "null", "snaplen64", "header_only",
                 "cut_mid_packet", "pings96"):
        if name not in files:
            continue
        r = fresh(p, "filtered", files[name])
        if not r:
            continue
        l2 = OFFSETS.get(r.datalink(), 14)
        run_loop(p, f"filtered:{name}:all", r, 0, Calls(p), 7, WATCH, 1, l2_offset=l2)
        r.close()
        r = fresh(p, "filtered", files[name])
        run_loop(p, f"filtered:{name}:security", r, -1, Calls(p), 63, WATCH, 2, profile=1, l2_offset=l2)
        p.step(f"filtered:{name}:then_next", r.next)
        r.close()
        r = fresh(p, "filtered", files[name])
        run_buffer(p, f"filtered:{name}:to_buffer", r, -1, bytearray(4096), 7, WATCH, 1, l2_offset=l2)
        p.step(f"filtered:{name}:to_buffer:then_next", r.next)
        r.close()


def probe_counts_and_interplay(p, path, fresh):
    """cnt, read-ahead, setfilter, a raising callback, stats in the callback."""
    pre = "filtered:classify"
    r = fresh(p, "filtered", path)
    if not r:
        return
    run_loop(p, f"{pre}:cnt10", r, 10, Calls(p), 0)
    p.step(f"{pre}:cnt10:then_next", r.next)
    run_loop(p, f"{pre}:cnt300_heads", r, 300, Calls(p), 6, WATCH, 1)
    for i in range(3):
        p.step(f"{pre}:next#{i}", r.next)
    run_loop(p, f"{pre}:after_next", r, 2000, Calls(p), 5, BIG_SET, 2)
    p.step(f"{pre}:setfilter", r.setfilter, "tcp or icmp")
    run_loop(p, f"{pre}:after_setfilter", r, -1, Calls(p), 7, WATCH, 2, profile=1)
    p.step(f"{pre}:at_eof", r.loop_filtered, -1, Calls(p))
    r.close()
    for exc in (ValueError("from callback"), KeyboardInterrupt()):
        r = fresh(p, "filtered", path)
        name = f"{pre}:raises:{type(exc).__name__}"
        run_loop(p, name, r, -1, Calls(p, raise_at=5, exc=exc), 1 << 2 | 1 << 1, WATCH, 1)
        p.step(f"{name}:then_next", r.next)
        run_loop(p, f"{name}:then_loop", r, -1, Calls(p), 6, WATCH, 1)
        r.close()
    r = fresh(p, "filtered", path)
    run_loop(p, f"{pre}:raises_in_cnt", r, 50, Calls(p, raise_at=1, exc=ValueError("x")), 7)
    p.step(f"{pre}:raises_in_cnt:then_next", r.next)
    r.close()
    r = fresh(p, "filtered", path)
    run_loop(p, f"{pre}:stats_in_callback", r, -1, Calls(p, reader=r), 1 << 2, WATCH, 0)
    r.close()
    r = fresh(p, "filtered", path)
    run_loop(p, f"{pre}:stats_in_callback_security", r, 3000, Calls(p, reader=r), 1 << 3 | 1 << 4, WATCH, 2,
             profile=1)
    p.step(f"{pre}:to_buffer_keeps_stats", r.loop_to_buffer, 5, bytearray(10))
    p.step(f"{pre}:to_buffer_keeps_stats:filtered_stats", r.filtered_stats)
    r.close()
    p.step(f"{pre}:closed:filtered_stats", r.filtered_stats)
    p.step(f"{pre}:closed:loop_filtered", r.loop_filtered, -1, Calls(p))
    p.step(f"{pre}:closed:loop_to_buffer", r.loop_to_buffer, -1, bytearray(10))


def probe_buffers(p, path, fresh):
    """Overflow, cnt and the kinds of writable buffer loop_to_buffer takes."""
    pre = "filtered:classify:buffers"
    for label, make in (("empty", lambda: bytearray(0)), ("tiny", lambda: bytearray(64)),
                        ("overflow", lambda: bytearray(50_000)),
                        ("mmap", lambda: mmap.mmap(-1, 300_000)),
                        ("memoryview", lambda: memoryview(bytearray(300_000)))):
        r = fresh(p, "filtered", path)
        if r:
            run_buffer(p, f"{pre}:{label}", r, -1, make(), 6, WATCH, 2)
            r.close()
    r = fresh(p, "filtered", path)
    if r:
        run_buffer(p, f"{pre}:cnt", r, 1000, bytearray(1 << 20), 0)
        p.step(f"{pre}:cnt:then_next", r.next)
        p.step(f"{pre}:cnt:next_more", r.next)
        run_buffer(p, f"{pre}:cnt_security", r, 1000, bytearray(1 << 20), 59, WATCH, 3, None, None, 53, 14, 1)
        r.close()


def probe_filtered_args(p, path, fresh):
    """Wrong arguments: the same exception type and message."""
    r = fresh(p, "filtered_args", path)
    if not r:
        return
    cb = Calls(p)
    lf, ltb = r.loop_filtered, r.loop_to_buffer
    buf = bytearray(100)
    cases = [
        ("no_args", lf, (), {}), ("no_cb", lf, (1,), {}), ("float_cnt", lf, (1.5, cb), {}),
        ("str_cnt", lf, ("1", cb), {}), ("none_cnt", lf, (None, cb), {}),
        ("big_cnt", lf, (2**31, cb), {}), ("small_cnt", lf, (-2**31 - 1, cb), {}),
        ("huge_cnt", lf, (2**64, cb), {}), ("float_mask", lf, (1, cb, 1.0), {}),
        ("big_mask", lf, (1, cb, 2**40), {}), ("str_set", lf, (1, cb, 7, "abcd"), {}),
        ("none_set", lf, (1, cb, 7, None), {}), ("bytearray_set", lf, (1, cb, 7, bytearray(4)), {}),
        ("memoryview_set", lf, (1, cb, 7, memoryview(b"abcd")), {}),
        ("kw_bytearray_set", lf, (1, cb), {"addr_set": bytearray(4)}),
        ("float_cutoff", lf, (1, cb, 7, b"", 1.5), {}), ("int_ports", lf, (1, cb), {"dpi_ports": 5}),
        ("str_ports", lf, (1, cb), {"tls_ports": "ab"}), ("float_port", lf, (1, cb), {"dpi_ports": [1.5]}),
        ("huge_port", lf, (1, cb), {"dpi_ports": [2**70]}), ("none_port", lf, (1, cb), {"tls_ports": [None]}),
        ("str_dns", lf, (1, cb), {"dns_port": "53"}), ("l2_low", lf, (1, cb), {"l2_offset": -1}),
        ("l2_high", lf, (1, cb), {"l2_offset": 65}), ("profile2", lf, (1, cb), {"profile": 2}),
        ("profile2_l2", lf, (1, cb), {"profile": 2, "l2_offset": 99}),
        ("profile2_ports", lf, (1, cb), {"profile": 2, "dpi_ports": 5}),
        ("l2_ports", lf, (1, cb), {"l2_offset": 99, "dpi_ports": 5}),
        ("unknown_kw", lf, (1, cb), {"foo": 1}), ("dup_kw", lf, (1, cb), {"cnt": 1}),
        ("callback_kw", lf, (1,), {"callback": cb}), ("kw_only", lf, (), {"cnt": 1, "cb": cb}),
        ("too_many", lf, (1, cb, 7, b"", 0, None, None, 53, 14, 0, 1), {}),
        ("too_many_kw", lf, (1, cb, 7, b"", 0, None, None, 53, 14), {"profile": 0, "x": 1}),
        ("not_callable", lf, (-1, 5), {}),
        ("b_no_args", ltb, (), {}), ("b_no_buf", ltb, (1,), {}), ("b_bytes", ltb, (1, b"xx"), {}),
        ("b_none", ltb, (1, None), {}), ("b_str", ltb, (1, "x"), {}),
        ("b_readonly_view", ltb, (1, memoryview(b"abc")), {}),
        ("b_strided_view", ltb, (1, memoryview(bytearray(10))[::2]), {}),
        ("b_object", ltb, (1, object()), {}), ("b_buf_kw", ltb, (1,), {"buf": buf}),
        ("b_kw", ltb, (), {"cnt": 1, "writable_buf": bytearray(3), "admit_mask": 0}),
        ("b_profile2", ltb, (1, buf), {"profile": 2}), ("b_l2", ltb, (1, buf), {"l2_offset": 70}),
        ("b_float_cnt", ltb, (1.5, buf), {}), ("b_ports", ltb, (1, buf), {"dpi_ports": 1}),
        ("b_too_many", ltb, (1, buf, 7, b"", 0, None, None, 53, 14, 0, 5), {}),
        ("stats_arg", r.filtered_stats, (1,), {}), ("stats_kw", r.filtered_stats, (), {"a": 1}),
    ]
    for label, method, args, kwargs in cases:
        p.step(f"filtered_args:{label}", method, *args, **kwargs)
    r.close()
