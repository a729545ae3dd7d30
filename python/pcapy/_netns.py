"""Two network namespaces joined by a veth pair: the pytest plugin's veth_pair.

``VethPair.create()`` makes namespaces ``<name>a`` and ``<name>b`` joined by a
veth pair. Each end (``pair.a``, ``pair.b``) has its device name, namespace,
MAC, an IPv4 address on a /24 of 198.18.0.0/15 and an IPv6 address on a /64 of
2001:2::/48 (both ranges are reserved for benchmarking networks, so they never
route anywhere). The link is quiet: nothing speaks on it unless a test does
(no IPv6 link-local addresses, router solicitations or duplicate address
detection; the multicast-listener reports the kernel sends when an IPv6
address is added are over before ``create()`` returns).

Code runs in a namespace three ways: ``with end.inside():`` moves the calling
thread (only it) into the namespace for the block, which is enough for calls
that create sockets or capture handles (they keep working from any thread
afterwards); ``end.call(fn, *args)`` does the same for one call;
``end.run([...])`` / ``end.popen([...])`` run a command there
(``ip netns exec``).

Names carry the pid (``gpcapy-<pid>-<n>``), so parallel runs never collide;
``remove_stale()`` deletes those left by runs that died. Needs root and
iproute2. Stdlib only, loadable from its file alone (the tests' live probe
loads it under pcapy-ng, whose ``pcapy`` is not this package).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional, Sequence

PREFIX = "gpcapy-"
CLONE_NEWNET = 0x40000000
CAP_NET_ADMIN, CAP_SYS_ADMIN = 12, 21
_counter = itertools.count(1)
_libc = ctypes.CDLL(None, use_errno=True)

# Written into /proc/sys/net/ipv6/conf/{all,default}/ of both namespaces
# before the veth pair exists, so its devices inherit them.
_IPV6_QUIET = {
    "addr_gen_mode": "1",       # no link-local address: nothing to announce or check
    "accept_dad": "0",          # no duplicate address detection probes
    "accept_ra": "0",
    "router_solicitations": "0",
    # MLDv1 sends its two reports for a new address at once (MLDv2 spreads
    # them over a second) and shows pending ones in /proc/net/igmp6.
    "force_mld_version": "1",
    "mldv1_unsolicited_report_interval": "1",
}
_MLD_TIMER_RUNNING = 0x01  # the kernel's MAF_TIMER_RUNNING, a flag in /proc/net/igmp6


def can_run() -> Optional[str]:
    """Why namespaces cannot be made here, or None when they can."""
    if not sys.platform.startswith("linux"):
        return "veth_pair needs Linux network namespaces"
    with open("/proc/self/status") as f:
        caps = next((int(line.split()[1], 16) for line in f if line.startswith("CapEff:")), 0)
    if not (caps >> CAP_SYS_ADMIN & 1 and caps >> CAP_NET_ADMIN & 1):
        return "veth_pair needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN, to create network namespaces)"
    if not shutil.which("ip"):
        return "veth_pair needs iproute2 (the `ip` command)"
    return None


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise OSError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


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
    for ns, pid in re.findall(rf"^({re.escape(PREFIX)}(\d+)-\S+)", out, re.M):
        if not os.path.exists(f"/proc/{pid}"):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def mac_text(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


@dataclass
class VethEnd:
    """One end of a VethPair: a device in its own namespace."""

    ns: str
    dev: str
    mac: bytes
    ip: str
    ip6: str
    peer: "VethEnd" = field(init=False, repr=False)

    def inside(self) -> contextlib.AbstractContextManager[None]:
        """Run the calling thread in this end's namespace for the block."""
        return inside(self.ns)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs) run by the calling thread inside the namespace."""
        with self.inside():
            return fn(*args, **kwargs)

    def argv(self, *command: str) -> list[str]:
        """A command line that runs ``command`` in this namespace."""
        return ["ip", "netns", "exec", self.ns, *command]

    def run(self, command: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """subprocess.run(command) in this namespace; output captured as text,
        a non-zero exit raises CalledProcessError unless ``check=False``."""
        kwargs = {"capture_output": True, "text": True, "check": True, **kwargs}
        return subprocess.run(self.argv(*command), **kwargs)

    def popen(self, command: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """subprocess.Popen(command) in this namespace (the caller waits for it)."""
        return subprocess.Popen(self.argv(*command), **kwargs)


@dataclass
class VethPair:
    """Two namespaces joined by a veth pair; see the module docstring."""

    name: str
    a: VethEnd
    b: VethEnd
    prefixlen: int = 24
    prefixlen6: int = 64

    @classmethod
    def create(cls) -> "VethPair":
        n = next(_counter)
        pid = os.getpid()
        name = f"{PREFIX}{pid}-{n}"
        # Interface names have at most 15 characters; keep them short and unique.
        tag = f"{pid % 100000}{n % 1000:03d}"
        net, net6 = f"198.18.{n % 250}", f"2001:2:0:{n % 65536:x}"
        pair = cls(
            name=name,
            a=VethEnd(ns=name + "a", dev=f"gpa{tag}", mac=bytes.fromhex("02aa00000001"),
                      ip=f"{net}.1", ip6=f"{net6}::1"),
            b=VethEnd(ns=name + "b", dev=f"gpb{tag}", mac=bytes.fromhex("02bb00000002"),
                      ip=f"{net}.2", ip6=f"{net6}::2"),
        )
        pair.a.peer, pair.b.peer = pair.b, pair.a
        try:
            pair._build()
        except BaseException:
            pair.remove()
            raise
        return pair

    def _build(self) -> None:
        for end in (self.a, self.b):
            _ip("netns", "add", end.ns)
            with end.inside():  # /proc/sys/net shows the namespace of the opening thread
                for conf in ("all", "default"):
                    for key, value in _IPV6_QUIET.items():
                        with open(f"/proc/sys/net/ipv6/conf/{conf}/{key}", "w") as f:
                            f.write(value)
            _ip("-n", end.ns, "link", "set", "lo", "up")
        _ip("link", "add", self.a.dev, "netns", self.a.ns, "address", mac_text(self.a.mac),
            "type", "veth", "peer", "name", self.b.dev, "netns", self.b.ns,
            "address", mac_text(self.b.mac))
        for end in (self.a, self.b):
            _ip("-n", end.ns, "addr", "add", f"{end.ip}/{self.prefixlen}", "brd", "+", "dev", end.dev)
            _ip("-n", end.ns, "-6", "addr", "add", f"{end.ip6}/{self.prefixlen6}", "dev", end.dev, "nodad")
            _ip("-n", end.ns, "link", "set", end.dev, "up")
        for end in (self.a, self.b):
            self._wait_until_quiet(end)

    def _wait_until_quiet(self, end: VethEnd, timeout: float = 5.0) -> None:
        """Wait for the carrier (until then libpcap lists the device after "any"
        and frames sent are dropped) and for the end of the multicast-listener
        reports of its IPv6 address (the kernel joins the address's
        solicited-node group a moment after ``ip addr add``)."""
        last3 = socket.inet_pton(socket.AF_INET6, end.ip6)[-3:]
        group = "ff0200000000000000000001ff" + last3.hex()  # ff02::1:ffXX:XXXX
        deadline = time.monotonic() + timeout
        while True:
            link = subprocess.run(["ip", "-n", end.ns, "-o", "link", "show", "dev", end.dev],
                                  capture_output=True, text=True).stdout
            carrier = "LOWER_UP" in link.split("<", 1)[-1].split(">", 1)[0]
            with end.inside(), open("/proc/thread-self/net/igmp6") as f:
                joined = _mld_settled(f.read(), end.dev, group)
            if carrier and joined:
                return
            if time.monotonic() > deadline:
                raise OSError(f"{end.dev} in {end.ns} did not come up quietly within {timeout} s")
            time.sleep(0.002)

    def remove(self) -> None:
        """Delete both namespaces (and so the veth pair); never raises."""
        for end in (self.a, self.b):
            subprocess.run(["ip", "netns", "del", end.ns], capture_output=True)

    @property
    def netmask(self) -> str:
        bits = (0xFFFFFFFF << (32 - self.prefixlen)) & 0xFFFFFFFF
        return ".".join(str(bits >> s & 0xFF) for s in (24, 16, 8, 0))

    @property
    def network(self) -> str:
        return self.a.ip.rsplit(".", 1)[0] + ".0"

    def neighbours(self) -> None:
        """Static ARP and neighbour entries both ways, so the first IPv4 or
        IPv6 packet needs no address resolution."""
        for end in (self.a, self.b):
            for addr in (end.peer.ip, end.peer.ip6):
                _ip("-n", end.ns, "neigh", "replace", addr, "lladdr", mac_text(end.peer.mac),
                    "dev", end.dev, "nud", "permanent")


def _mld_settled(igmp6: str, dev: str, group: str) -> bool:
    """True when ``dev`` has joined ``group`` and no report is pending."""
    for line in igmp6.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[1] == dev and fields[2] == group:
            return not int(fields[4], 16) & _MLD_TIMER_RUNNING
    return False
