"""Exercise the pcapy API and print what it did, for differential testing.

usage: python diff_probe.py JOB_JSON

JOB_JSON is ``{"files": {"name": "/path.pcap", ...}, "tmpdir": "/scratch/dir",
"reference_file": "/a/readable.pcap", "classify": "/path.pcap"}`` (reference_file optional:
default the first file; classify: capgen.classifier_traffic's capture for loop_filtered).
The script imports whichever ``pcapy`` the interpreter has (pcapy-ng or ours),
runs the same calls in the same order, and prints one JSON object whose
``"trace"`` is a list of ``[step_name, result]``. Running it under two
implementations and comparing the traces step by step is the differential test
(test_differential.py).

A result is the call's normalized return value or ``["raise", TypeName, message]``.
Normalization keeps traces comparable across implementations and runs:
Pkthdr -> ``["hdr", sec, usec, caplen, len]``; bytes -> ``["bytes", hex]``, or
``["bytes#", len, sha256-prefix]`` when long (bytearray likewise, tagged as such);
tuples -> lists, lists -> ``{"list": [...]}`` (a list is not a tuple to callers); other objects ->
``["obj", type name]``; the tmpdir prefix -> ``"<tmp>"``. Exception messages stay:
TypeError's wording is compared too (pcapy-ng's is CPython's argument parser's).

Stdlib and pcapy only: it must run unchanged on both implementations.
"""

import faulthandler
import gc
import hashlib
import json
import os
import pathlib
import re
import struct
import subprocess
import sys

import pcapy

import args_probe
import filtered_probe

faulthandler.enable()  # a segfault in either implementation then names the step's frame

LONG_BYTES = 32  # bytes longer than this are recorded as length + digest
MAX_READS = 100_000  # bound every "until EOF" loop, so a non-terminating reader fails fast

CONSTANTS = {
    "DLT_NULL": 0, "DLT_EN10MB": 1, "DLT_IEEE802": 6, "DLT_ARCNET": 7, "DLT_SLIP": 8,
    "DLT_PPP": 9, "DLT_FDDI": 10, "DLT_ATM_RFC1483": 11, "DLT_RAW": 12,
    "DLT_PPP_SERIAL": 50, "DLT_PPP_ETHER": 51, "DLT_C_HDLC": 104, "DLT_IEEE802_11": 105,
    "DLT_LOOP": 108, "DLT_LINUX_SLL": 113, "DLT_LTALK": 114,
    "PCAP_D_INOUT": 0, "PCAP_D_IN": 1, "PCAP_D_OUT": 2,
    "PACKET_FANOUT_HASH": 0, "PACKET_FANOUT_LB": 1, "PACKET_FANOUT_CPU": 2,
    "PACKET_FANOUT_ROLLOVER": 3, "PACKET_FANOUT_RND": 4,
}

ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # object reprs differ from run to run

FILTERS = ["tcp", "icmp", "ip dst host 10.0.0.1", "udp port 53", "ip6", ""]
BAD_FILTERS = ["tcp and", "nonsense ((", "port 99999", "ip broadcast"]


class Probe:
    """Collects the trace; every call goes through ``step`` so that one failure
    never stops the run."""

    def __init__(self, tmpdir):
        self.tmpdir = os.path.abspath(tmpdir)
        self.trace = []

    # ------------------------------------------------------------ normalizing

    def norm(self, value):
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            return self.norm_str(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            kind, data = type(value).__name__, bytes(value)  # bytes vs bytearray matters
            if len(data) <= LONG_BYTES:
                return [kind, data.hex()]
            return [kind + "#", len(data), hashlib.sha256(data).hexdigest()[:16]]
        if isinstance(value, BaseException):
            return self.norm_exc(value)
        if isinstance(value, dict):
            return {str(k): self.norm(v) for k, v in value.items()}
        if is_pkthdr(value):  # before tuple: our Pkthdr is also a tuple
            sec, usec = value.getts()
            return ["hdr", sec, usec, value.getcaplen(), value.getlen()]
        if isinstance(value, tuple):
            return [self.norm(v) for v in value]
        if isinstance(value, list):  # tagged: r.next() == (None, b'') must stay true
            return {"list": [self.norm(v) for v in value]}
        return ["obj", type(value).__name__]

    def norm_str(self, text):
        return ADDRESS.sub(" at 0x?", text.replace(self.tmpdir, "<tmp>"))

    def norm_exc(self, exc):
        kind = exc_name(exc)
        message = self.norm_str(str(exc))
        if kind == "SystemError" and exc.__cause__ is not None:
            # CPython's "returned a result with an exception set": say which one
            return ["raise", kind, message, self.norm_exc(exc.__cause__)]
        return ["raise", kind, message]

    # ---------------------------------------------------------------- running

    def record(self, name, result):
        self.trace.append([name, result])

    def step(self, name, fn, *args, **kwargs):
        """Record ``fn(*args, **kwargs)``; return ``(ok, raw value)``."""
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # KeyboardInterrupt from callbacks is data here
            self.record(name, self.norm_exc(exc))
            return False, exc
        try:
            self.record(name, self.norm(value))
        except BaseException as exc:  # a broken Pkthdr is a result too, not a crash
            self.record(name, ["unnormalizable", exc_name(exc), str(exc)])
        return True, value

    def with_callback(self, name, method, cnt, callback):
        """Record loop/dispatch: what it returned or raised, and every callback call."""
        try:
            ret = self.norm(method(cnt, callback))
        except BaseException as exc:
            ret = self.norm_exc(exc)
        self.record(name, {"return": ret, "calls": callback.calls})

    def tmp(self, *parts):
        return os.path.join(self.tmpdir, *parts)


def exc_name(exc):
    if type(exc) is pcapy.PcapError:
        return "PcapError"
    if type(exc) is pcapy.BPFError:
        return "BPFError"
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def is_pkthdr(value):
    return all(hasattr(value, m) for m in ("getts", "getcaplen", "getlen"))


class Collector:
    """A loop/dispatch callback that records each call; raises ``exc`` on call
    number ``raise_at`` (1-based) after recording it. Never fails otherwise."""

    def __init__(self, probe, raise_at=None, exc=None, returns=None):
        self.probe, self.raise_at, self.exc, self.returns = probe, raise_at, exc, returns
        self.calls = []

    def __call__(self, *args):
        try:
            self.calls.append(self.probe.norm(args))
        except BaseException as exc:
            self.calls.append(["unnormalizable", exc_name(exc), str(exc)])
        if self.raise_at is not None and len(self.calls) == self.raise_at:
            raise self.exc
        return self.returns


# ------------------------------------------------------------------ module


def probe_module(p):
    p.record("module:constants", {n: getattr(pcapy, n, "<missing>") for n in CONSTANTS})
    p.step("module:exceptions", lambda: {
        "PcapError_is_Exception": issubclass(pcapy.PcapError, Exception),
        "BPFError_is_Exception": issubclass(pcapy.BPFError, Exception),
        "BPFError_is_PcapError": issubclass(pcapy.BPFError, pcapy.PcapError),
        "PcapError_is_BPFError": issubclass(pcapy.PcapError, pcapy.BPFError),
        "names": [pcapy.PcapError.__name__, pcapy.BPFError.__name__],
        "repr": repr(pcapy.PcapError("boom")),
        "str": str(pcapy.BPFError("bang")),
    })
    for name in ("open_live", "open_offline", "create", "lookupdev", "findalldevs",
                 "compile", "BPFProgram"):
        p.record(f"module:callable:{name}", callable(getattr(pcapy, name, None)))


def probe_open_errors(p, some):
    p.step("open:missing_file", pcapy.open_offline, p.tmp("no-such-file.pcap"))
    p.step("open:directory", pcapy.open_offline, p.tmpdir)
    p.step("open:empty_name", pcapy.open_offline, "")
    p.step("open:missing_dir", pcapy.open_offline, p.tmp("no-such-dir", "x.pcap"))
    p.step("open:float", pcapy.open_offline, 1.5)
    p.step("open:int", pcapy.open_offline, 5)
    p.step("open:none", pcapy.open_offline, None)
    p.step("open:bytes_path", pcapy.open_offline, os.fsencode(some))
    p.step("open:no_args", pcapy.open_offline)
    p.step("open:two_args", pcapy.open_offline, some, some)
    # pcapy rejects these two; accepting them is documented as better (allow-listed).
    p.step("open:pathlike", lambda: closing(pcapy.open_offline(pathlib.Path(some))))
    p.step("open:keyword", lambda: closing(pcapy.open_offline(filename=some)))


def closing(reader):
    """Return a successfully opened reader's type name after closing it, so a
    step can report success without leaking the handle."""
    name = type(reader).__name__
    reader.close()
    return ("opened", name)


def probe_stdin(p, path):
    """open_offline("-") reads standard input; point fd 0 at a capture first."""
    saved = os.dup(0)
    try:
        fd = os.open(path, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        ok, r = p.step("open:stdin", pcapy.open_offline, "-")
        if ok:
            count = 0
            while count < MAX_READS:
                hdr, _ = r.next()
                if hdr is None:
                    break
                count += 1
            p.record("open:stdin:packets", count)
            p.step("open:stdin:close", r.close)
    finally:
        os.dup2(saved, 0)
        os.close(saved)


# ------------------------------------------------------------- per capture


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


# ------------------------------------------------------------ compile & co


def probe_compile(p):
    cases = [
        ("en10mb_icmp", (1, 65536, "icmp", 1, 0)),
        ("en10mb_icmp_noopt", (1, 65536, "icmp", 0, 0)),
        ("en10mb_tcp_port_host", (1, 65535, "tcp port 80 and host 10.0.0.1", 1, 0)),
        ("en10mb_vlan_tcp", (1, 65535, "vlan and tcp", 1, 0)),
        ("en10mb_empty", (1, 65535, "", 1, 0)),
        ("en10mb_snap_96", (1, 96, "ip", 1, 0)),
        ("raw_tcp", (12, 65535, "tcp", 1, 0)),
        ("raw_ip6", (12, 65535, "ip6", 1, 0)),
        ("sll_tcp", (113, 65535, "tcp", 1, 0)),
        ("sll_icmp", (113, 65535, "icmp", 1, 0)),
        ("null_ip", (0, 65535, "ip", 1, 0)),
        ("null_tcp", (0, 65535, "tcp", 1, 0)),
        ("broadcast_with_mask", (1, 65535, "ip broadcast", 1, 0xFFFFFF00)),
        ("netmask_all_ones", (1, 65535, "ip", 1, 0xFFFFFFFF)),
        # errors: libpcap's message, passed through
        ("bad_syntax", (1, 65536, "tcp and", 1, 0)),
        ("bad_nonsense", (1, 65536, "nonsense ((", 1, 0)),
        ("bad_port", (1, 65536, "port 99999", 1, 0)),
        ("broadcast_no_mask", (1, 65535, "ip broadcast", 1, 0)),
        ("raw_ether_host", (12, 65535, "ether host 02:00:00:00:00:01", 1, 0)),
        # wrong types
        ("float_linktype", (1.0, 65536, "tcp", 1, 0)),
        ("float_snaplen", (1, 65536.0, "tcp", 1, 0)),
        ("bytes_filter", (1, 65536, b"tcp", 1, 0)),
        ("none_filter", (1, 65536, None, 1, 0)),
        ("str_linktype", ("1", 65536, "tcp", 1, 0)),
        ("four_args", (1, 65536, "tcp", 1)),
    ]
    for label, args in cases:
        ok, prog = p.step(f"compile:{label}", pcapy.compile, *args)
        if ok:
            p.step(f"compile:{label}:get_bpf", prog.get_bpf)
    p.step("compile:keywords", lambda: pcapy.compile(
        linktype=1, snaplen=65536, filter="tcp", optimize=1, netmask=0).get_bpf())


def probe_bpfprogram(p):
    p.step("bpfprogram:type", pcapy.BPFProgram, "tcp")
    for expr, args in (("tcp", ()), ("tcp", (12,)), ("icmp", (113,)), ("ip", (0,)), ("", ())):
        ok, prog = p.step(f"bpfprogram:{expr!r}{args}", pcapy.BPFProgram, expr, *args)
        if ok:
            p.step(f"bpfprogram:{expr!r}{args}:get_bpf", prog.get_bpf)
    for expr in ("tcp and", "nonsense ((", "port 99999"):
        p.step(f"bpfprogram:bad:{expr!r}", pcapy.BPFProgram, expr)
    p.step("bpfprogram:bad_for_linktype", pcapy.BPFProgram, "ether host 02:00:00:00:00:01", 12)
    p.step("bpfprogram:bytes", pcapy.BPFProgram, b"tcp")
    p.step("bpfprogram:none", pcapy.BPFProgram, None)
    p.step("bpfprogram:float_linktype", pcapy.BPFProgram, "tcp", 1.0)
    p.step("bpfprogram:no_args", pcapy.BPFProgram)
    p.step("bpfprogram:keyword_linktype", lambda: pcapy.BPFProgram("tcp", linktype=12).get_bpf())
    prog = pcapy.BPFProgram("tcp")
    p.step("bpfprogram:filter_empty", prog.filter, b"")
    p.step("bpfprogram:filter_short", prog.filter, b"\x00" * 10)
    p.step("bpfprogram:filter_str", prog.filter, "text")
    p.step("bpfprogram:filter_none", prog.filter, None)
    p.step("bpfprogram:filter_bytearray", prog.filter, bytearray(60))
    p.step("bpfprogram:filter_no_args", prog.filter)


def probe_arg_types(p, path):
    """Wrong argument types on a Reader: the exception TYPE must match."""
    r = fresh(p, "args", path)
    if not r:
        return
    cb = Collector(p)
    cases = [
        ("setfilter_bytes", r.setfilter, (b"tcp",)),
        ("setfilter_none", r.setfilter, (None,)),
        ("setfilter_int", r.setfilter, (1,)),
        ("setfilter_no_args", r.setfilter, ()),
        ("loop_float_cnt", r.loop, (1.5, cb)),
        ("loop_str_cnt", r.loop, ("1", cb)),
        ("loop_none_cnt", r.loop, (None, cb)),
        ("loop_no_callback", r.loop, (1,)),
        ("dispatch_float_cnt", r.dispatch, (1.5, cb)),
        ("dispatch_bytes_cnt", r.dispatch, (b"1", cb)),
        ("dispatch_no_callback", r.dispatch, (1,)),
        ("setnonblock_float", r.setnonblock, (1.5,)),
        ("setdirection_str", r.setdirection, ("in",)),
    ]
    for label, method, args in cases:
        p.step(f"args:{label}", method, *args)
    p.record("args:callback_untouched", cb.calls)
    r.close()
    # pcapy takes no keywords; accepting them is fine (allow-listed).
    r = fresh(p, "args", path)
    if r:
        def loop_with_keywords(cnt, callback):
            return r.loop(cnt=cnt, callback=callback)

        p.with_callback("args:loop_keywords", loop_with_keywords, 1, Collector(p))
        r.close()
    r = fresh(p, "args", path)
    if r:
        p.step("args:setfilter_keyword", lambda: r.setfilter(filter="tcp"))
        r.close()


def probe_live(p):
    """Device-level calls that need no privileges and no traffic."""
    p.step("live:findalldevs", pcapy.findalldevs)
    p.step("live:lookupdev", pcapy.lookupdev)
    p.step("live:open_live_no_device", pcapy.open_live, "nosuchdev0", 65535, 1, 100)
    p.step("live:open_live_bytes", pcapy.open_live, b"lo", 65535, 1, 100)
    p.step("live:open_live_float", pcapy.open_live, "lo", 65535.0, 1, 100)
    p.step("live:open_live_three_args", pcapy.open_live, "lo", 65535, 1)
    p.step("live:create_float", pcapy.create, 1.5)
    ok, r = p.step("live:create_no_device", pcapy.create, "nosuchdev0")
    if ok:
        pre = "live:created"
        p.step(f"{pre}:datalink", r.datalink)
        p.step(f"{pre}:next", r.next)
        p.step(f"{pre}:getnet", r.getnet)
        p.step(f"{pre}:set_snaplen", r.set_snaplen, 1000)
        p.step(f"{pre}:set_promisc", r.set_promisc, 1)
        p.step(f"{pre}:set_timeout", r.set_timeout, 100)
        p.step(f"{pre}:set_buffer_size", r.set_buffer_size, 1 << 20)
        p.step(f"{pre}:set_rfmon", r.set_rfmon, 0)
        p.step(f"{pre}:activate", r.activate)
        p.step(f"{pre}:close", r.close)


def main(argv):
    if len(argv) != 2:
        print("usage: diff_probe.py JOB_JSON", file=sys.stderr)
        return 2
    job = json.loads(argv[1])
    files = job["files"]
    p = Probe(job["tmpdir"])
    good = job.get("reference_file") or next(iter(files.values()))  # a readable capture
    probe_module(p)
    probe_open_errors(p, good)
    for name, path in files.items():
        probe_file(p, name, path)
    probe_compile(p)
    probe_bpfprogram(p)
    probe_arg_types(p, good)
    filtered_probe.probe_filtered(p, files, job.get("classify"), fresh)
    filtered_probe.probe_filtered_args(p, good, fresh)
    args_probe.probe_signatures(p, good, fresh, p.tmp)
    probe_live(p)
    probe_stdin(p, good)
    json.dump({"pcapy": pcapy.__file__, "trace": p.trace}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
