"""Helpers for live tests on the plugin's veth_pair (pcapy/_netns.py): numbered
test frames, capture and send handles on either end, collect(), and a CLI.

A test captures on ``a.dev`` from its own process (handles opened inside
namespace a keep working from any thread) and sends from namespace b. The frames
use IEEE "local experimental" EtherTypes: no kernel protocol answers them, so a
test's frames cross the link with nothing sent in reply.

Stdlib at import time: live_probe.py imports this module under pcapy-ng too.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pcapy._netns import VethPair

ETH_TEST = 0x88B5
ETH_TEST2 = 0x88B6


def frame(dst: bytes, src: bytes, seq: int, size: int = 60, ethertype: int = ETH_TEST) -> bytes:
    """An Ethernet frame of ``size`` bytes numbered ``seq`` (in its first
    payload bytes), with a payload pattern that depends on both."""
    head = dst + src + struct.pack("!HI", ethertype, seq)
    body = bytes((seq + i) & 0xFF for i in range(max(0, size - len(head))))
    return head + body


def seq_of(data: bytes) -> int:
    """The number frame() put in a frame."""
    return struct.unpack_from("!I", data, 14)[0]


# -- pcapy helpers (imported lazily: live_probe.py runs this module under pcapy-ng too)


def open_a(pair: VethPair, snaplen: int = 65535, to_ms: int = 100, buffer_size: int = 0):
    """A capture on a.dev: open_live, or create/activate with a kernel buffer
    of buffer_size bytes (for tests that send more than libpcap's 2 MB)."""
    import pcapy

    with pair.a.inside():
        if not buffer_size:
            return pcapy.open_live(pair.a.dev, snaplen, 1, to_ms)
        r = pcapy.create(pair.a.dev)
        for rc in (r.set_snaplen(snaplen), r.set_promisc(1), r.set_timeout(to_ms),
                   r.set_buffer_size(buffer_size), r.activate()):
            assert rc == 0
        return r


def sender_b(pair: VethPair):
    """A pcapy handle on b.dev, for sendpacket() towards a.dev."""
    import pcapy

    with pair.b.inside():
        return pcapy.open_live(pair.b.dev, 65535, 0, 100)


def collect(reader, n: int, timeout_s: float = 10.0) -> list:
    """Up to n packets from reader.next(), giving up after timeout_s."""
    out: list = []
    deadline = time.monotonic() + timeout_s
    while len(out) < n and time.monotonic() < deadline:
        hdr, data = reader.next()
        if hdr is not None:
            out.append((hdr, data))
    return out


def measure_rate(rate: int, count: int, size: int) -> int:
    """Send count frames at rate pps with examples/04_send.py in namespace b
    while examples/03_sniff.py --quiet captures them in namespace a; print
    both reports (the sniffer's ends with stats(): received and dropped)."""
    import signal

    from pcapy._netns import VethPair, mac_text

    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
    pair = VethPair.create()
    try:
        sniffer = pair.a.popen([sys.executable, os.path.join(examples, "03_sniff.py"), pair.a.dev,
                                f"ether proto {ETH_TEST:#x}", "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sniffer.stderr.readline()  # listening
        sent = pair.b.run([sys.executable, os.path.join(examples, "04_send.py"), pair.b.dev,
                           "--count", str(count), "--size", str(size), "--rate", str(rate),
                           "--dst", mac_text(pair.a.mac)], check=False)
        time.sleep(0.5)
        sniffer.send_signal(signal.SIGINT)
        out, err = sniffer.communicate(timeout=30)
        print(sent.stdout + sent.stderr + out + err, end="")
        return sent.returncode or sniffer.returncode
    finally:
        pair.remove()


def main(argv: list[str]) -> int:
    """usage: python livetools.py create | remove NAME | rate PPS [COUNT [SIZE]]

    create: make a veth pair for manual experiments and print it as JSON (it
    lives until `remove`, or until a test run removes it as stale); remove:
    delete the namespaces NAMEa and NAMEb; rate: measure capture at PPS
    packets per second (see measure_rate)."""
    import json

    from pcapy._netns import VethPair, can_run

    if argv[1:2] in (["rate"], ["create"]) and can_run():
        print(can_run(), file=sys.stderr)
        return 1
    if argv[1:2] == ["rate"] and 3 <= len(argv) <= 5:
        numbers = [int(a) for a in argv[2:]] + [100_000, 60][len(argv) - 3:]
        return measure_rate(*numbers[:3])
    if argv[1:2] == ["create"] and len(argv) == 2:
        pair = VethPair.create()
        ends = {side: {k: (v.hex() if isinstance(v, bytes) else v)
                       for k, v in vars(end).items() if k != "peer"}
                for side, end in (("a", pair.a), ("b", pair.b))}
        print(json.dumps({"name": pair.name, **ends, "network": pair.network, "netmask": pair.netmask}))
        return 0
    if argv[1:2] == ["remove"] and len(argv) == 3:
        for ns in (argv[2] + "a", argv[2] + "b"):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        return 0
    print(main.__doc__.split("\n\n")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
