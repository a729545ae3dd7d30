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
import json
import os
import pathlib
import sys

import pcapy

import args_probe
import filtered_probe
from capture_probe import fresh, probe_file
from probe_trace import MAX_READS, Collector, Probe, exc_name, is_pkthdr  # noqa: F401  (live_probe uses them from here)

faulthandler.enable()  # a segfault in either implementation then names the step's frame

# pcapy's module constants (their values are test_objects.py's concern; here
# both implementations' values are compared)
CONSTANTS = (
    "DLT_NULL", "DLT_EN10MB", "DLT_IEEE802", "DLT_ARCNET", "DLT_SLIP", "DLT_PPP", "DLT_FDDI",
    "DLT_ATM_RFC1483", "DLT_RAW", "DLT_PPP_SERIAL", "DLT_PPP_ETHER", "DLT_C_HDLC", "DLT_IEEE802_11",
    "DLT_LOOP", "DLT_LINUX_SLL", "DLT_LTALK", "PCAP_D_INOUT", "PCAP_D_IN", "PCAP_D_OUT",
    "PACKET_FANOUT_HASH", "PACKET_FANOUT_LB", "PACKET_FANOUT_CPU", "PACKET_FANOUT_ROLLOVER",
    "PACKET_FANOUT_RND",
)


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
