"""Network namespaces with a veth pair between them, for live-capture tests.

``Link.create()`` makes two namespaces, ``<name>a`` and ``<name>b``, joined by a
veth pair: device ``dev_a`` (address ``ip_a``) in the first and ``dev_b``
(``ip_b``) in the second, on a /24 of 198.18.0.0/15 (the range reserved for
network tests). IPv6 is off in both namespaces, so nothing speaks on the link
unless a test does: a quiet interface, and exact traffic.

A test captures on ``dev_a`` from its own process: ``with link.inside_a():``
moves the calling thread (only it) into namespace a for the calls that create
sockets (open_live, create/activate, findalldevs, socket.socket); the capture
keeps working from any thread after the ``with``. Traffic comes from namespace
b, from sockets made in ``inside_b()`` or pcapy handles opened on ``dev_b``.

Names carry the pid (``gpcapy-<pid>-<n>``), so parallel runs never collide;
``remove_stale()`` deletes those left by runs that died. Needs root.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Iterator

PREFIX = "gpcapy-"
CLONE_NEWNET = 0x40000000
# IEEE "local experimental" EtherTypes: no kernel protocol answers these frames,
# so a test's frames cross the link with nothing sent in reply.
ETH_TEST = 0x88B5
ETH_TEST2 = 0x88B6
_counter = itertools.count(1)
_libc = ctypes.CDLL(None, use_errno=True)


def can_run() -> str | None:
    """Why live tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "live capture tests need root (network namespaces, raw sockets)"
    if not sys.platform.startswith("linux"):
        return "live capture tests need Linux network namespaces"
    if not shutil.which("ip"):
        return "live capture tests need iproute2 (`ip`): run `make system`"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _link_flags(ns: str, dev: str) -> str:
    out = subprocess.run(["ip", "-n", ns, "-o", "link", "show", "dev", dev],
                         capture_output=True, text=True).stdout
    return out.split("<", 1)[-1].split(">", 1)[0]


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def inside(ns: str) -> Iterator[None]:
    """Run the calling thread in network namespace ``ns`` for the block."""
    with open("/proc/thread-self/ns/net") as home, open(f"/run/netns/{ns}") as target:
        _setns(target.fileno())
        try:
            yield
        finally:
            _setns(home.fileno())


def remove_stale() -> None:
    """Delete namespaces of this prefix whose creating process is gone."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for name in re.findall(rf"^({re.escape(PREFIX)}(\d+)-\S+)", out, re.M):
        ns, pid = name
        if not os.path.exists(f"/proc/{pid}"):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@dataclass
class Link:
    """Two namespaces joined by a veth pair; see the module docstring."""

    name: str
    ns_a: str
    ns_b: str
    dev_a: str
    dev_b: str
    ip_a: str
    ip_b: str
    mac_a: bytes
    mac_b: bytes
    prefixlen: int = 24

    @classmethod
    def create(cls) -> "Link":
        n = next(_counter)
        pid = os.getpid()
        name = f"{PREFIX}{pid}-{n}"
        # Interface names have at most 15 characters; keep them short and unique.
        tag = f"{pid % 100000}{n % 1000:03d}"
        net = f"198.18.{n % 250}"
        link = cls(
            name=name, ns_a=name + "a", ns_b=name + "b",
            dev_a=f"gpa{tag}", dev_b=f"gpb{tag}",
            ip_a=f"{net}.1", ip_b=f"{net}.2",
            mac_a=bytes.fromhex("02aa00000001"), mac_b=bytes.fromhex("02bb00000002"),
        )
        try:
            link._build()
        except BaseException:
            link.remove()
            raise
        return link

    def _build(self) -> None:
        for ns in (self.ns_a, self.ns_b):
            _ip("netns", "add", ns)
            # No IPv6: no router solicitations, MLD reports or DAD on the link.
            # (/proc/sys/net shows the namespace of the thread that opens it.)
            with inside(ns):
                for conf in ("all", "default"):
                    path = f"/proc/sys/net/ipv6/conf/{conf}/disable_ipv6"
                    if os.path.exists(path):
                        with open(path, "w") as f:
                            f.write("1")
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("link", "add", self.dev_a, "netns", self.ns_a, "address", _mac(self.mac_a),
            "type", "veth", "peer", "name", self.dev_b, "netns", self.ns_b,
            "address", _mac(self.mac_b))
        for ns, dev, ip in ((self.ns_a, self.dev_a, self.ip_a), (self.ns_b, self.dev_b, self.ip_b)):
            _ip("-n", ns, "addr", "add", f"{ip}/{self.prefixlen}", "brd", "+", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
        # The carrier comes up a moment later; until then libpcap lists the
        # device after "any" (not running), and frames sent are dropped.
        for ns, dev in ((self.ns_a, self.dev_a), (self.ns_b, self.dev_b)):
            deadline = time.monotonic() + 5
            while "LOWER_UP" not in _link_flags(ns, dev) and time.monotonic() < deadline:
                time.sleep(0.005)

    def remove(self) -> None:
        """Delete both namespaces (and so the veth pair); never raises."""
        for ns in (self.ns_a, self.ns_b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    @property
    def netmask(self) -> str:
        bits = (0xFFFFFFFF << (32 - self.prefixlen)) & 0xFFFFFFFF
        return ".".join(str(bits >> s & 0xFF) for s in (24, 16, 8, 0))

    @property
    def network(self) -> str:
        return self.ip_a.rsplit(".", 1)[0] + ".0"

    def inside_a(self) -> contextlib.AbstractContextManager[None]:
        return inside(self.ns_a)

    def inside_b(self) -> contextlib.AbstractContextManager[None]:
        return inside(self.ns_b)

    def exec_a(self, *argv: str) -> list[str]:
        """A command line that runs argv in namespace a."""
        return ["ip", "netns", "exec", self.ns_a, *argv]

    def exec_b(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns_b, *argv]

    def neighbours(self) -> None:
        """Static ARP entries both ways, so the first IP packet needs no ARP."""
        _ip("-n", self.ns_a, "neigh", "replace", self.ip_b, "lladdr", _mac(self.mac_b),
            "dev", self.dev_a, "nud", "permanent")
        _ip("-n", self.ns_b, "neigh", "replace", self.ip_a, "lladdr", _mac(self.mac_a),
            "dev", self.dev_b, "nud", "permanent")


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def frame(dst: bytes, src: bytes, seq: int, size: int = 60, ethertype: int = ETH_TEST) -> bytes:
    """An Ethernet frame of ``size`` bytes numbered ``seq`` (in its first
    payload bytes), with a payload pattern that depends on both."""
    head = dst + src + struct.pack("!HI", ethertype, seq)
    body = bytes((seq + i) & 0xFF for i in range(max(0, size - len(head))))
    return head + body


def seq_of(data: bytes) -> int:
    """The number frame() put in a frame."""
    return struct.unpack_from("!I", data, 14)[0]


def link_fixture() -> Iterator[Link]:
    """A fresh Link for one test, removed afterwards even when the test fails.

    Use in a test module as ``link = pytest.fixture(netns.link_fixture, name="link")``.
    """
    import pytest

    reason = can_run()
    if reason:
        pytest.skip(reason)
    remove_stale()
    created = Link.create()
    try:
        yield created
    finally:
        created.remove()


# -- pcapy helpers (imported lazily: live_probe.py runs this module under pcapy-ng too)


def open_a(link: Link, snaplen: int = 65535, to_ms: int = 100, buffer_size: int = 0):
    """A capture on dev_a: open_live, or create/activate with a kernel buffer
    of buffer_size bytes (for tests that send more than libpcap's 2 MB)."""
    import pcapy

    with link.inside_a():
        if not buffer_size:
            return pcapy.open_live(link.dev_a, snaplen, 1, to_ms)
        r = pcapy.create(link.dev_a)
        for rc in (r.set_snaplen(snaplen), r.set_promisc(1), r.set_timeout(to_ms),
                   r.set_buffer_size(buffer_size), r.activate()):
            assert rc == 0
        return r


def sender_b(link: Link):
    """A pcapy handle on dev_b, for sendpacket() towards dev_a."""
    import pcapy

    with link.inside_b():
        return pcapy.open_live(link.dev_b, 65535, 0, 100)


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

    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
    link = Link.create()
    try:
        sniffer = subprocess.Popen(
            link.exec_a(sys.executable, os.path.join(examples, "03_sniff.py"), link.dev_a,
                        f"ether proto {ETH_TEST:#x}", "--quiet"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sniffer.stderr.readline()  # listening
        sent = subprocess.run(
            link.exec_b(sys.executable, os.path.join(examples, "04_send.py"), link.dev_b,
                        "--count", str(count), "--size", str(size), "--rate", str(rate),
                        "--dst", _mac(link.mac_a)),
            capture_output=True, text=True)
        time.sleep(0.5)
        sniffer.send_signal(signal.SIGINT)
        out, err = sniffer.communicate(timeout=30)
        print(sent.stdout + sent.stderr + out + err, end="")
        return sent.returncode or sniffer.returncode
    finally:
        link.remove()


def main(argv: list[str]) -> int:
    """usage: python netns.py create | remove NAME | rate PPS [COUNT [SIZE]]

    create: make a Link for manual experiments and print it as JSON (it lives
    until `remove`, or until a test run removes it as stale); remove: delete
    the namespaces NAMEa and NAMEb; rate: measure capture at PPS packets per
    second (see measure_rate)."""
    import json

    if argv[1:2] == ["rate"] and 3 <= len(argv) <= 5:
        reason = can_run()
        if reason:
            print(reason, file=sys.stderr)
            return 1
        numbers = [int(a) for a in argv[2:]] + [100_000, 60][len(argv) - 3:]
        return measure_rate(*numbers[:3])

    if argv[1:2] == ["create"] and len(argv) == 2:
        reason = can_run()
        if reason:
            print(reason, file=sys.stderr)
            return 1
        link = Link.create()
        fields = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in vars(link).items()}
        print(json.dumps(fields | {"network": link.network, "netmask": link.netmask}))
        return 0
    if argv[1:2] == ["remove"] and len(argv) == 3:
        for ns in (argv[2] + "a", argv[2] + "b"):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        return 0
    print(main.__doc__.split("\n\n")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
