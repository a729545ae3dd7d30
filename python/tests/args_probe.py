"""The differential probe of wrong arguments to every call (steps ``signatures:...``):
the exception type and message must be pcapy-ng's.

Imported by diff_probe.py; stdlib and pcapy only. Calls that pcapy-ng's C
methods take without parsing their arguments (getnet(1) works there) are
recorded too: ours refuses them, an allow-listed, documented difference.
"""

import pcapy


def probe_signatures(p, path, fresh, tmp):
    """Wrong counts and types for every module function and method."""
    step = p.step
    step("signatures:open_live:few", pcapy.open_live)
    step("signatures:open_live:str_snaplen", pcapy.open_live, "lo", "1", 1, 1)
    step("signatures:open_live:none_device", pcapy.open_live, None, 1, 1, 1)
    step("signatures:open_live:big_promisc", pcapy.open_live, "lo", 1, 2**40, 1)
    step("signatures:open_live:five", pcapy.open_live, "lo", 1, 1, 1, 1)
    step("signatures:create:none", pcapy.create)
    step("signatures:create:bytes", pcapy.create, b"lo")
    step("signatures:create:two", pcapy.create, "lo", 1)
    step("signatures:compile:few", pcapy.compile, 1, 1, "tcp")
    step("signatures:compile:str_linktype", pcapy.compile, "1", 1, "tcp", 1, 0)
    step("signatures:compile:bytes_filter", pcapy.compile, 1, 1, b"tcp", 1, 0)
    step("signatures:compile:float_netmask", pcapy.compile, 1, 1, "tcp", 1, 0.0)
    step("signatures:compile:big_netmask", lambda: pcapy.compile(1, 1, "tcp", 1, 2**40).get_bpf())
    step("signatures:bpfprogram:none", pcapy.BPFProgram)
    step("signatures:bpfprogram:int", pcapy.BPFProgram, 1)
    step("signatures:bpfprogram:str_linktype", pcapy.BPFProgram, "tcp", "1")
    step("signatures:bpfprogram:three", pcapy.BPFProgram, "tcp", 1, 1)
    prog = pcapy.BPFProgram("tcp")
    step("signatures:bpfprogram:filter_none", prog.filter)
    step("signatures:bpfprogram:filter_two", prog.filter, b"", b"")
    step("signatures:bpfprogram:filter_int", prog.filter, 1)
    step("signatures:bpfprogram:get_bpf_arg", prog.get_bpf, 1)
    step("signatures:findalldevs:arg", lambda: type(pcapy.findalldevs(1)).__name__)
    step("signatures:lookupdev:arg", lambda: type(pcapy.lookupdev(1)).__name__)

    r = fresh(p, "signatures", path)
    if not r:
        return
    int_methods = ("setdirection", "setnonblock", "set_snaplen", "set_promisc", "set_timeout",
                   "set_buffer_size", "set_rfmon", "next_batch")
    for name in int_methods:
        method = getattr(r, name)
        step(f"signatures:reader:{name}:none", method)
        step(f"signatures:reader:{name}:str", method, "1")
        step(f"signatures:reader:{name}:float", method, 1.0)
        step(f"signatures:reader:{name}:two", method, 1, 2)
    for name in ("setfilter", "dump_open"):
        method = getattr(r, name)
        step(f"signatures:reader:{name}:none", method)
        step(f"signatures:reader:{name}:bytes", method, b"x")
        step(f"signatures:reader:{name}:two", method, "x", "y")
    for name in ("loop", "dispatch"):
        method = getattr(r, name)
        step(f"signatures:reader:{name}:none", method)
        step(f"signatures:reader:{name}:three", method, 1, print, 3)
        step(f"signatures:reader:{name}:str_cnt", method, "1", print)
        step(f"signatures:reader:{name}:big_cnt", method, 2**40, print)
    step("signatures:reader:sendpacket:none", r.sendpacket)
    step("signatures:reader:sendpacket:str", r.sendpacket, "x")
    step("signatures:reader:sendpacket:int", r.sendpacket, 1)
    step("signatures:reader:set_fanout:none", r.set_fanout)
    step("signatures:reader:set_fanout:str", r.set_fanout, "1")
    step("signatures:reader:set_fanout:kw_str", r.set_fanout, 1, fanout_type="x")
    step("signatures:reader:set_fanout:unknown_kw", r.set_fanout, 1, kind=1)
    step("signatures:reader:set_fanout:three", r.set_fanout, 1, 2, 3)
    for name in ("stats", "activate", "__enter__", "next"):
        step(f"signatures:reader:{name}:arg", getattr(r, name), 1)
        step(f"signatures:reader:{name}:kw", getattr(r, name), x=1)
    for name in ("getnet", "getmask", "datalink", "getnonblock", "getfd"):
        step(f"signatures:reader:{name}:arg", getattr(r, name), 1)
    d = r.dump_open(tmp("signatures.pcap"))
    hdr, data = r.next()
    step("signatures:dumper:dump_none", d.dump)
    step("signatures:dumper:dump_three", d.dump, hdr, data, 1)
    step("signatures:dumper:dump_int_data", d.dump, hdr, 1)
    step("signatures:dumper:close_arg", d.close, 1)
    step("signatures:pkthdr:getts_arg", hdr.getts, 1)
    step("signatures:reader:close_arg", r.close, 1)
    r.close()
    step("signatures:closed:setfilter_bytes", r.setfilter, b"x")
    step("signatures:closed:loop_none", r.loop)
