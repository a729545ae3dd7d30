"""The differential probe's per-capture steps: everything a Reader, a Dumper and
a BPFProgram do with one capture file (diff_probe.probe_file runs them).

Stdlib and pcapy only: it must run unchanged on both implementations.
"""

import gc
import hashlib
import os
import struct
import subprocess
import sys

import pcapy

from probe_trace import MAX_READS, Collector

FILTERS = ["tcp", "icmp", "ip dst host 10.0.0.1", "udp port 53", "ip6", ""]
BAD_FILTERS = ["tcp and", "nonsense ((", "port 99999", "ip broadcast"]


def probe_file(p, name, path):
    """Everything a Reader can do with one capture file."""
    ok, r = p.step(f"read:{name}:open_offline", pcapy.open_offline, path)
    if not ok:
        return
    p.step(f"read:{name}:datalink", r.datalink)
    p.step(f"read:{name}:getnet", r.getnet)
    p.step(f"read:{name}:getmask", r.getmask)
    packets = read_all(p, f"read:{name}", r)
    for i in (1, 2):
        p.step(f"read:{name}:after_eof#{i}", r.next)
    p.step(f"read:{name}:close", r.close)
    p.step(f"read:{name}:close_again", r.close)

    probe_loop_dispatch(p, name, path)
    probe_callbacks(p, name, path)
    probe_setfilter(p, name, path)
    probe_handle_ops(p, name, path)
    probe_next_batch(p, name, path)
    probe_dump(p, name, path, packets)
    probe_closed(p, name, path)
    probe_context(p, name, path)
    probe_bpf_filter(p, name, path, packets)


def read_all(p, prefix, r):
    """next() until (None, b'') or an error; return the (hdr, data) packets read."""
    packets = []
    for i in range(MAX_READS):
        ok, value = p.step(f"{prefix}:next#{i}", r.next)
        if not ok:
            continue  # libpcap error (truncated file); the next call must say EOF
        hdr, data = value
        if hdr is None:
            break
        packets.append((hdr, data))
    return packets


def fresh(p, name, path):
    try:
        return pcapy.open_offline(path)
    except BaseException as exc:
        p.record(f"setup:{name}:open_failed", p.norm_exc(exc))
        return None


def probe_loop_dispatch(p, name, path):
    for cnt in (-1, 0, 3):
        r = fresh(p, name, path)
        if r:
            p.with_callback(f"loop:{name}:loop({cnt})", r.loop, cnt, Collector(p))
            if cnt > 0:  # the rest of the file continues where loop stopped
                p.step(f"loop:{name}:loop({cnt}):then_next", r.next)
                p.with_callback(f"loop:{name}:loop({cnt}):then_loop(-1)", r.loop, -1, Collector(p))
            r.close()
    r = fresh(p, name, path)
    if r:
        for i in range(1000):
            cb = Collector(p)
            p.with_callback(f"dispatch:{name}:dispatch(50)#{i}", r.dispatch, 50, cb)
            if not cb.calls:
                break
        r.close()
    for cnt in (-1, 0, 1):
        r = fresh(p, name, path)
        if r:
            p.with_callback(f"dispatch:{name}:dispatch({cnt})", r.dispatch, cnt, Collector(p))
            p.step(f"dispatch:{name}:dispatch({cnt}):then_next", r.next)
            r.close()


def probe_callbacks(p, name, path):
    """A raising callback stops loop/dispatch with that exception; the reader
    goes on with the next packet."""
    for exc in (ValueError("from callback"), KeyboardInterrupt()):
        kind = type(exc).__name__
        for method in ("loop", "dispatch"):
            r = fresh(p, name, path)
            if not r:
                continue
            prefix = f"callback:{name}:{method}:{kind}"
            p.with_callback(prefix, getattr(r, method), -1, Collector(p, 2, exc))
            p.step(f"{prefix}:then_next", r.next)
            p.with_callback(f"{prefix}:then_{method}", getattr(r, method), -1, Collector(p))
            p.step(f"{prefix}:then_next_again", r.next)
            r.close()
    # raising on the last packet the count allows: loop(1) returns "done" to pcapy
    for method in ("loop", "dispatch"):
        r = fresh(p, name, path)
        if r:
            prefix = f"callback:{name}:{method}(1):ValueError"
            p.with_callback(prefix, getattr(r, method), 1, Collector(p, 1, ValueError("x")))
            p.step(f"{prefix}:then_next", r.next)
            p.with_callback(f"{prefix}:then_{method}(1)", getattr(r, method), 1, Collector(p))
            r.close()
    r = fresh(p, name, path)
    if r:
        p.with_callback(f"callback:{name}:return_value_ignored", r.loop, 2,
                        Collector(p, returns=42))
        r.close()
    for label, bad in (("none", None), ("not_callable", 5), ("no_params", lambda: None)):
        r = fresh(p, name, path)
        if r:
            def call(method, bad=bad):
                return method(-1, bad)
            p.step(f"callback:{name}:loop:{label}", call, r.loop)
            p.step(f"callback:{name}:loop:{label}:then_next", r.next)
            p.step(f"callback:{name}:dispatch:{label}", call, r.dispatch)
            r.close()


def probe_setfilter(p, name, path):
    for expr in FILTERS:
        r = fresh(p, name, path)
        if r:
            p.step(f"filter:{name}:setfilter({expr!r})", r.setfilter, expr)
            p.with_callback(f"filter:{name}:setfilter({expr!r}):loop", r.loop, -1, Collector(p))
            r.close()
    for expr in BAD_FILTERS:
        r = fresh(p, name, path)
        if r:
            p.step(f"filter:{name}:setfilter({expr!r})", r.setfilter, expr)
            p.step(f"filter:{name}:setfilter({expr!r}):then_next", r.next)
            r.close()
    r = fresh(p, name, path)
    if r:  # a second filter replaces the first
        p.step(f"filter:{name}:replace:icmp", r.setfilter, "icmp")
        p.step(f"filter:{name}:replace:tcp", r.setfilter, "tcp")
        p.with_callback(f"filter:{name}:replace:loop", r.loop, -1, Collector(p))
        r.close()


def probe_handle_ops(p, name, path):
    """Live-capture knobs on a savefile: libpcap's answers, passed through."""
    r = fresh(p, name, path)
    if not r:
        return
    h = f"handle:{name}"
    p.step(f"{h}:getnonblock", r.getnonblock)
    p.step(f"{h}:setnonblock(1)", r.setnonblock, 1)
    p.step(f"{h}:setnonblock(0)", r.setnonblock, 0)
    p.step(f"{h}:getnonblock_again", r.getnonblock)
    p.step(f"{h}:stats", r.stats)
    p.step(f"{h}:setdirection(IN)", r.setdirection, 1)
    p.step(f"{h}:getfd_is_int", lambda: type(r.getfd()).__name__)
    p.step(f"{h}:sendpacket", r.sendpacket, b"\x00" * 60)
    p.step(f"{h}:set_snaplen", r.set_snaplen, 100)
    p.step(f"{h}:set_promisc", r.set_promisc, 1)
    p.step(f"{h}:set_timeout", r.set_timeout, 10)
    p.step(f"{h}:set_buffer_size", r.set_buffer_size, 1 << 20)
    p.step(f"{h}:set_rfmon", r.set_rfmon, 0)
    p.step(f"{h}:activate", r.activate)
    p.step(f"{h}:set_fanout", r.set_fanout, 1)
    p.step(f"{h}:next_still_works", r.next)
    r.close()


def probe_next_batch(p, name, path):
    """pcapy-ng's bulk read: (data, meta), meta = 16-byte '=IIII' records
    (sec, usec, offset, caplen)."""

    def batch(r, n):
        data, meta = r.next_batch(n)
        records = [list(rec) for rec in struct.iter_unpack("=IIII", meta)]
        slices = [data[off:off + caplen] for _, _, off, caplen in records]
        return {"types": [type(data).__name__, type(meta).__name__],
                "meta_len": len(meta), "records": records,
                "data": data, "slices": slices}

    def all_batches(r, n):
        """Every batch until the end or an error: one step, so that an error
        arriving a batch later (after the packets before it) is one difference."""
        batches = []
        for _ in range(MAX_READS):
            try:
                value = batch(r, n)
            except Exception as exc:
                return {"batches": batches, "end": p.norm_exc(exc)}
            if not value["records"]:
                return {"batches": batches, "end": None}
            batches.append(value)
        return {"batches": batches, "end": "no end"}

    r = fresh(p, name, path)
    if r:
        p.step(f"batch:{name}:next_batch(10):all", all_batches, r, 10)
        p.step(f"batch:{name}:next_batch(10):after_eof", batch, r, 10)
        r.close()
    for n in (0, -1, 1):
        r = fresh(p, name, path)
        if r:
            p.step(f"batch:{name}:next_batch({n})", batch, r, n)
            p.step(f"batch:{name}:next_batch({n}):then_next", r.next)
            r.close()
    r = fresh(p, name, path)
    if r:
        p.step(f"batch:{name}:next_batch(float)", r.next_batch, 1.5)
        p.step(f"batch:{name}:next_batch()", r.next_batch)
        r.close()


def reread(path):
    r = pcapy.open_offline(path)
    try:
        out = []
        while True:
            hdr, data = r.next()
            if hdr is None:
                return r.datalink(), out
            out.append((hdr, data))
    finally:
        r.close()


def same_packets(a, b):
    def key(pkts):
        return [(h.getts(), h.getcaplen(), h.getlen(), d) for h, d in pkts]
    return key(a) == key(b)


def file_digest(path):
    with open(path, "rb") as f:
        data = f.read()
    return [len(data), hashlib.sha256(data).hexdigest()[:16]]


def probe_dump(p, name, path, packets):
    r = fresh(p, name, path)
    if not r:
        return
    d_ = f"dump:{name}"
    out = p.tmp(f"{name}.dump.pcap")
    ok, d = p.step(f"{d_}:dump_open", r.dump_open, out)
    if ok:
        p.step(f"{d_}:dump_all", lambda: [d.dump(h, data) for h, data in packets])
        p.step(f"{d_}:close", d.close)
        p.step(f"{d_}:close_again", d.close)
        if packets:
            p.step(f"{d_}:dump_after_close", d.dump, *packets[0])

        def check_dump():
            linktype, again = reread(out)
            return {"same_packets": same_packets(again, packets), "datalink": linktype,
                    "count": len(again), "file": file_digest(out)}

        p.step(f"{d_}:reread", check_dump)
    p.step(f"{d_}:dump_open_missing_dir", r.dump_open, p.tmp("no-such-dir", "x.pcap"))
    p.step(f"{d_}:dump_open_bytes", r.dump_open, os.fsencode(p.tmp(f"{name}.b.pcap")))
    p.step(f"{d_}:dump_open_float", r.dump_open, 1.5)
    if not packets:
        r.close()
        return
    hdr, data = packets[0]
    ok, d = p.step(f"{d_}:dump_open_misc", r.dump_open, p.tmp(f"{name}.misc.pcap"))
    if ok:
        p.step(f"{d_}:dump_str_header", d.dump, "not a header", data)
        p.step(f"{d_}:dump_none_header", d.dump, None, data)
        p.step(f"{d_}:dump_tuple_header", d.dump, (0, 0, len(data), len(data)), data)
        p.step(f"{d_}:dump_str_data", d.dump, hdr, "text")
        p.step(f"{d_}:dump_no_data", d.dump, hdr)
        p.step(f"{d_}:dump_bytearray", d.dump, hdr, bytearray(data))
        p.step(f"{d_}:dump_memoryview", d.dump, hdr, memoryview(data))
        p.step(f"{d_}:dump_longer_data", d.dump, hdr, data + b"EXTRA")
        r.close()  # a Dumper outlives its Reader
        p.step(f"{d_}:dump_after_reader_closed", d.dump, hdr, data)
        p.step(f"{d_}:misc_close", d.close)
        p.step(f"{d_}:misc_reread", lambda: reread(p.tmp(f"{name}.misc.pcap"))[1])
    r.close()
    # pcapy-ng writes past the buffer here; ours raises ValueError (allow-listed).
    r = fresh(p, name, path)
    if r:
        def dump_short():
            d = r.dump_open(p.tmp(f"{name}.short.pcap"))
            try:
                return d.dump(hdr, data[:1])
            finally:
                d.close()

        if hdr.getcaplen() > 1:
            p.step(f"{d_}:dump_short_data", dump_short)
        r.close()
    # An unclosed Dumper must be complete on disk once garbage-collected.
    r = fresh(p, name, path)
    if r:
        gc_out = p.tmp(f"{name}.gc.pcap")

        def dump_and_drop():
            d = r.dump_open(gc_out)
            for h, b in packets:
                d.dump(h, b)
            del d
            gc.collect()
            return same_packets(reread(gc_out)[1], packets)

        p.step(f"{d_}:unclosed_dumper_after_gc", dump_and_drop)
        r.close()
    # ... and at interpreter exit.
    exit_out = p.tmp(f"{name}.exit.pcap")
    script = ("import pcapy, sys\n"
              "r = pcapy.open_offline(sys.argv[1])\n"
              "d = r.dump_open(sys.argv[2])\n"
              "for _ in range(%d):\n"
              "    d.dump(*r.next())\n" % len(packets))
    p.step(f"{d_}:unclosed_dumper_at_exit", lambda: {
        "exit": subprocess.run([sys.executable, "-c", script, path, exit_out],
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=60).returncode,
        "same_packets": same_packets(reread(exit_out)[1], packets)})


def probe_closed(p, name, path):
    """After close() every method but close/__exit__ raises ValueError('pcap is closed')."""
    r = fresh(p, name, path)
    if not r:
        return
    c = f"closed:{name}"
    p.step(f"{c}:close", r.close)
    p.step(f"{c}:close_again", r.close)
    calls = [
        ("next", ()), ("loop", (1, Collector(p))), ("dispatch", (1, Collector(p))),
        ("setfilter", ("tcp",)), ("getnet", ()), ("getmask", ()), ("datalink", ()),
        ("getnonblock", ()), ("setnonblock", (0,)), ("setdirection", (0,)),
        ("dump_open", (p.tmp(f"{name}.closed.pcap"),)), ("sendpacket", (b"\x00" * 60,)),
        ("stats", ()), ("getfd", ()), ("set_snaplen", (100,)), ("set_promisc", (0,)),
        ("set_timeout", (0,)), ("set_buffer_size", (1 << 20,)), ("set_rfmon", (0,)),
        ("activate", ()), ("next_batch", (1,)), ("set_fanout", (1,)), ("__enter__", ()),
        ("__exit__", (None, None, None)),
    ]
    for method, args in calls:
        p.step(f"{c}:{method}", lambda m=method, a=args: getattr(r, m)(*a))
    p.record(f"{c}:dump_file_created", os.path.exists(p.tmp(f"{name}.closed.pcap")))


def probe_context(p, name, path):
    x = f"context:{name}"

    def with_block():
        with pcapy.open_offline(path) as r:
            first = r.next()
        return first

    p.step(f"{x}:with_next", with_block)

    def after_with():
        with pcapy.open_offline(path) as r:
            same = r.__enter__() is r
        try:
            r.next()
            after = "no error"
        except BaseException as exc:
            after = exc
        return {"enter_is_self": same, "next_after_exit": after}

    p.step(f"{x}:after_exit", after_with)

    def body_raises():
        with pcapy.open_offline(path):
            raise RuntimeError("inside with")

    p.step(f"{x}:body_raises", body_raises)
    r = fresh(p, name, path)
    if r:
        p.step(f"{x}:exit_returns", r.__exit__, None, None, None)


def probe_bpf_filter(p, name, path, packets):
    try:
        r = pcapy.open_offline(path)
        linktype = r.datalink()
        r.close()
    except BaseException:
        return
    for expr in ("tcp", "icmp", "udp port 53", "ip6", "ip"):
        for label, args in (("default", (expr,)), ("linktype", (expr, linktype))):
            ok, prog = p.step(f"bpf:{name}:BPFProgram({expr!r},{label})", pcapy.BPFProgram, *args)
            if ok:
                p.step(f"bpf:{name}:BPFProgram({expr!r},{label}).filter",
                       lambda prog=prog: [prog.filter(d) for _, d in packets])

