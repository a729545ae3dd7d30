"""Exercise pcapy's live-capture calls on a veth pair and print what they did.

usage: python live_probe.py JOB_JSON

JOB_JSON describes a veth pair (pcapy/_netns.py) (``{"ns_a", "ns_b", "dev_a", "dev_b", "mac_a",
"mac_b", "tmpdir"}``, MACs in hex). The probe captures on dev_a (namespace a)
and sends from dev_b (namespace b) with pcapy's own sendpacket(), running the
same calls in the same order under whichever ``pcapy`` the interpreter has, and
prints ``{"trace": [[step, result], ...]}`` like diff_probe.py, whose
normalization it uses, except that packet headers drop their timestamps
(``["hdr", caplen, len, fresh]``: fresh is "within two minutes of now") and
descriptors become ``fd>=0`` booleans. test_live_differential.py compares the
traces of pcapy-ng and ours.

Stdlib, livetools.py, pcapy/_netns.py (loaded from its file: under pcapy-ng
``pcapy`` is not this package) and pcapy only: it must run unchanged on both
implementations.
"""

import faulthandler
import importlib.util
import json
import sys
import time
from pathlib import Path

import pcapy

import diff_probe
from diff_probe import Collector
from livetools import ETH_TEST, ETH_TEST2, frame


def _load_netns():
    path = Path(__file__).resolve().parents[1] / "pcapy" / "_netns.py"
    spec = importlib.util.spec_from_file_location("gopcapy_netns", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


netns = _load_netns()

TO_MS = 100
NO_SUCH = "gpcapy-nosuch0"


class LiveProbe(diff_probe.Probe):
    def norm(self, value):
        if diff_probe.is_pkthdr(value):
            sec, _ = value.getts()
            return ["hdr", value.getcaplen(), value.getlen(), abs(sec - time.time()) < 120]
        return super().norm(value)


class Live:
    """The link, the probe, and the sender on dev_b."""

    def __init__(self, p, job):
        self.p, self.job = p, job
        self.ns_a, self.ns_b = job["ns_a"], job["ns_b"]
        self.dev_a, self.dev_b = job["dev_a"], job["dev_b"]
        self.mac_a, self.mac_b = bytes.fromhex(job["mac_a"]), bytes.fromhex(job["mac_b"])
        with netns.inside(self.ns_b):
            self.tx = pcapy.open_live(self.dev_b, 65535, 0, TO_MS)
        self.seq = 0

    def open_a(self, to_ms=TO_MS, snaplen=65535):
        with netns.inside(self.ns_a):
            return pcapy.open_live(self.dev_a, snaplen, 1, to_ms)

    def send(self, sizes, ethertypes=None):
        """Send frames of the given sizes from dev_b to dev_a; return them."""
        sent = []
        for i, size in enumerate(sizes):
            et = ethertypes[i % len(ethertypes)] if ethertypes else ETH_TEST
            sent.append(frame(self.mac_a, self.mac_b, self.seq, size, et))
            self.seq += 1
            self.tx.sendpacket(sent[-1])
        return sent

    def read(self, name, r, n):
        """Record n packets read with next() (polling for up to 5 s in all),
        then what next() gives when nothing more came.

        Non-blocking mode: on a quiet interface pcapy-ng's next() never
        returns (the failure this project fixes), which would hang the probe.
        """
        r.setnonblock(1)
        got = []
        deadline = time.monotonic() + 5
        while len(got) < n and time.monotonic() < deadline:
            hdr, data = r.next()
            if hdr is None:
                time.sleep(0.005)
            else:
                got.append((hdr, data))
        self.p.record(f"{name}:packets", self.p.norm(got))
        time.sleep(0.05)
        self.p.step(f"{name}:then", r.next)
        r.setnonblock(0)


def probe_devices(lv):
    p = lv.p
    with netns.inside(lv.ns_a):
        ok, names = p.step("devices:findalldevs", pcapy.findalldevs)
        p.step("devices:lookupdev", pcapy.lookupdev)
    p.step("open:no_device", pcapy.open_live, NO_SUCH, 65535, 1, TO_MS)
    p.step("open:empty_name", pcapy.open_live, "", 65535, 1, TO_MS)
    p.step("open:bytes_device", pcapy.open_live, lv.dev_a.encode(), 65535, 1, TO_MS)
    p.step("open:float_snaplen", pcapy.open_live, lv.dev_a, 65535.0, 1, TO_MS)
    p.step("open:str_to_ms", pcapy.open_live, lv.dev_a, 65535, 1, "100")
    p.step("create:float", pcapy.create, 1.5)
    with netns.inside(lv.ns_a):
        p.step("open:any_datalink", lambda: pcapy.open_live("any", 100, 0, TO_MS).datalink())


def probe_not_activated(lv):
    p = lv.p
    r = pcapy.create(NO_SUCH)
    pre = "created"
    for name in ("datalink", "getnonblock", "getfd", "getnet", "getmask", "next", "stats"):
        p.step(f"{pre}:{name}", getattr(r, name))
    p.step(f"{pre}:setnonblock", r.setnonblock, 1)
    p.step(f"{pre}:getnonblock_after", r.getnonblock)
    p.with_callback(f"{pre}:dispatch", r.dispatch, 1, Collector(p))
    p.with_callback(f"{pre}:loop", r.loop, 1, Collector(p))
    p.step(f"{pre}:sendpacket", r.sendpacket, bytes(60))
    p.step(f"{pre}:setdirection", r.setdirection, pcapy.PCAP_D_IN)
    p.step(f"{pre}:setfilter", r.setfilter, "tcp")
    p.step(f"{pre}:set_fanout", r.set_fanout, 5)
    p.step(f"{pre}:dump_open", r.dump_open, p.tmp("never.pcap"))
    for setting, value in (("set_snaplen", 100), ("set_promisc", 1), ("set_timeout", 50),
                           ("set_buffer_size", 1 << 20), ("set_rfmon", 0)):
        p.step(f"{pre}:{setting}", getattr(r, setting), value)
    p.step(f"{pre}:activate", r.activate)  # -5; a second call crashes pcapy-ng
    p.step(f"{pre}:datalink_after", r.datalink)
    p.step(f"{pre}:close", r.close)
    with netns.inside(lv.ns_a):
        r = pcapy.create(lv.dev_a)
        p.step("rfmon:set", r.set_rfmon, 1)
        p.step("rfmon:activate", r.activate)


def probe_create_activate(lv):
    p = lv.p
    pre = "activate"
    with netns.inside(lv.ns_a):
        r = pcapy.create(lv.dev_a)
        for setting, value in (("set_snaplen", 96), ("set_promisc", 1), ("set_timeout", TO_MS),
                               ("set_buffer_size", 4 << 20), ("set_rfmon", 0)):
            p.step(f"{pre}:{setting}", getattr(r, setting), value)
        p.step(f"{pre}:datalink_before", r.datalink)
        p.step(f"{pre}:activate", r.activate)
    p.step(f"{pre}:activate_again", r.activate)
    p.step(f"{pre}:set_snaplen_after", r.set_snaplen, 50)
    p.step(f"{pre}:set_timeout_after", r.set_timeout, 10)
    for name in ("datalink", "getnet", "getmask", "getnonblock", "stats"):
        p.step(f"{pre}:{name}", getattr(r, name))
    p.step(f"{pre}:getfd", lambda: r.getfd() >= 0)
    sent = lv.send([60, 95, 96, 97, 200, 1000, 1514, 64])
    p.record(f"{pre}:sent", p.norm(sent))
    lv.read(f"{pre}:read", r, len(sent))
    p.step(f"{pre}:stats_after", r.stats)
    lv.send([70] * 5)
    p.with_callback(f"{pre}:loop5", r.loop, 5, Collector(p))
    p.step(f"{pre}:close", r.close)


def probe_dispatch_counts(lv):
    p = lv.p
    r = lv.open_a()
    lv.send([80] * 10)
    time.sleep(0.3)  # every frame delivered, in any libpcap
    p.with_callback("counts:dispatch3", r.dispatch, 3, Collector(p))
    p.with_callback("counts:loop7", r.loop, 7, Collector(p))
    r.setnonblock(1)  # a blocking read of a quiet interface never ends in pcapy-ng
    p.with_callback("counts:dispatch_empty", r.dispatch, 5, Collector(p))
    p.step("counts:stats", r.stats)


def probe_filters(lv):
    p = lv.p
    r = lv.open_a()
    p.step("filter:set", r.setfilter, f"ether proto {ETH_TEST2:#x}")
    p.step("filter:bad", r.setfilter, "ether proto and")
    sent = lv.send([60 + i for i in range(12)], [ETH_TEST, ETH_TEST2, ETH_TEST])
    p.record("filter:sent", p.norm(sent))
    lv.read("filter:read", r, 4)
    p.step("filter:stats", r.stats)
    r = lv.open_a(snaplen=64)
    lv.send([60, 64, 65, 1514])
    lv.read("snaplen64", r, 4)


def probe_nonblock(lv):
    p = lv.p
    r = lv.open_a()
    p.step("nonblock:get", r.getnonblock)
    p.step("nonblock:set", r.setnonblock, 1)
    p.step("nonblock:get_after", r.getnonblock)
    p.step("nonblock:next", r.next)
    p.with_callback("nonblock:dispatch", r.dispatch, 5, Collector(p))
    p.step("nonblock:unset", r.setnonblock, 0)
    p.step("nonblock:get_unset", r.getnonblock)
    r = lv.open_a(to_ms=-1)
    p.step("negative_to_ms:getnonblock", r.getnonblock)
    p.step("negative_to_ms:next", r.next)


def probe_direction(lv):
    p = lv.p
    r = lv.open_a()
    for d in (0, 1, 2, 3, -1):
        p.step(f"direction:set{d}", r.setdirection, d)
    for label, d in (("in", pcapy.PCAP_D_IN), ("out", pcapy.PCAP_D_OUT)):
        r = lv.open_a()
        r.setdirection(d)
        with netns.inside(lv.ns_a):
            out = pcapy.open_live(lv.dev_a, 65535, 0, TO_MS)
        lv.send([60, 61])
        out.sendpacket(frame(lv.mac_b, lv.mac_a, 900, 62))
        out.sendpacket(frame(lv.mac_b, lv.mac_a, 901, 63))
        lv.read(f"direction:{label}", r, 2)


def probe_send_errors(lv):
    p = lv.p
    tx = lv.tx
    p.step("send:empty", tx.sendpacket, b"")
    p.step("send:one_byte", tx.sendpacket, b"\0")
    p.step("send:too_long", tx.sendpacket, bytes(70000))
    p.step("send:str", tx.sendpacket, "abc")
    p.step("send:int", tx.sendpacket, 5)
    p.step("send:bytearray", tx.sendpacket, bytearray(frame(lv.mac_a, lv.mac_b, 1)))
    p.step("send:memoryview", tx.sendpacket, memoryview(frame(lv.mac_a, lv.mac_b, 1)))


def probe_fanout(lv):
    p = lv.p
    a, b = lv.open_a(), lv.open_a()
    p.step("fanout:join", a.set_fanout, 77)
    p.step("fanout:join_again", a.set_fanout, 77)
    p.step("fanout:other_type", b.set_fanout, 77, pcapy.PACKET_FANOUT_LB)
    p.step("fanout:bad_type", b.set_fanout, 78, 99)
    p.step("fanout:negative_group", b.set_fanout, -1)
    p.step("fanout:keywords", lambda: b.set_fanout(group_id=79, fanout_type=0))
    p.step("fanout:str", b.set_fanout, "x")


def probe_closed(lv):
    p = lv.p
    r = lv.open_a()
    p.step("closed:close", r.close)
    p.step("closed:close_again", r.close)
    for name in ("datalink", "getnonblock", "getfd", "stats", "getnet", "getmask", "next", "activate"):
        p.step(f"closed:{name}", getattr(r, name))
    p.step("closed:set_snaplen", r.set_snaplen, 1)
    p.step("closed:sendpacket", r.sendpacket, bytes(60))
    p.step("closed:setnonblock", r.setnonblock, 1)
    p.step("closed:setdirection", r.setdirection, 1)
    p.step("closed:set_fanout", r.set_fanout, 1)
    p.with_callback("closed:dispatch", r.dispatch, 1, Collector(p))


def ip_frame(lv, src, dst, proto, sport=0, dport=0, flags=0x18, payload=b"x"):
    """An Ethernet/IPv4 frame from dev_b to dev_a between addresses neither
    namespace owns (the kernel drops it silently: no reply joins the capture)."""
    import socket
    import struct
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 1024, 0, 0) + payload
    elif proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    else:
        l4 = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return lv.mac_a + lv.mac_b + struct.pack("!H", 0x0800) + ip + l4


def filtered_traffic(lv):
    """Send a mix the classifier tells apart; return how many frames."""
    a, b, watched = "203.0.113.1", "203.0.113.2", "198.51.100.7"
    frames = [ip_frame(lv, a, b, 17, 1000, 2000) for _ in range(3)]        # a flow of 3
    frames += [ip_frame(lv, b, a, 17, 2000, 1000) for _ in range(2)]       # its reverse
    frames += [ip_frame(lv, a, watched, 1), ip_frame(lv, watched, a, 1)]   # ICMP, a watched host
    frames += [ip_frame(lv, a, b, 17, 5353, 53), ip_frame(lv, a, b, 6, 4000, 443, 0x02, b"")]
    frames += [ip_frame(lv, a, b, 6, 4000, 443) for _ in range(3)]         # TLS after the SYN
    frames += [ip_frame(lv, a, b, 6, 4001, 80, 0x18, b"GET / HTTP/1.1")]
    frames += [frame(lv.mac_a, lv.mac_b, 700 + i) for i in range(2)]      # not IP
    for f in frames:
        lv.tx.sendpacket(f)
    time.sleep(0.3)
    return len(frames)


def probe_filtered(lv):
    """loop_filtered / loop_to_buffer / filtered_stats on the same live traffic."""
    p = lv.p
    watch = bytes([198, 51, 100, 7])
    r = lv.open_a()
    n = filtered_traffic(lv)
    calls = Collector(p)
    p.with_callback("filtered:heads_and_set", lambda c, cb: r.loop_filtered(c, cb, 6, watch, 2), n, calls)
    p.step("filtered:heads_and_set:stats", r.filtered_stats)
    n = filtered_traffic(lv)
    p.with_callback("filtered:security", lambda c, cb: r.loop_filtered(c, cb, 63, watch, 1, profile=1), n,
                    Collector(p))
    n = filtered_traffic(lv)
    buf = bytearray(300)
    ok, ret = p.step("filtered:to_buffer", r.loop_to_buffer, n, buf, 7, watch, 2)
    p.record("filtered:to_buffer:bytes", p.norm(bytes(buf[:ret[3]]) if ok else None))
    p.step("filtered:to_buffer:stats_unchanged", r.filtered_stats)
    n = filtered_traffic(lv)
    p.with_callback("filtered:cnt_3_then_next", lambda c, cb: r.loop_filtered(c, cb, 0), 3, Collector(p))
    p.step("filtered:cnt_3_then_next:stats", r.filtered_stats)
    lv.read("filtered:rest", r, n - 3)


def main(argv):
    if len(argv) != 2:
        print("usage: live_probe.py JOB_JSON", file=sys.stderr)
        return 2
    job = json.loads(argv[1])
    faulthandler.dump_traceback_later(90, exit=True)  # a hang names its step
    p = LiveProbe(job["tmpdir"])
    lv = Live(p, job)
    for part in (probe_devices, probe_not_activated, probe_create_activate, probe_dispatch_counts,
                 probe_filters, probe_nonblock, probe_direction, probe_send_errors, probe_fanout,
                 probe_closed, probe_filtered):
        part(lv)
    json.dump({"pcapy": pcapy.__file__, "trace": p.trace}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
