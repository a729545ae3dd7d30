"""LiveCapture: a capture in a background thread over a with-block, with an exact window.

The window is made exact with marker frames, so a test's first and last
packets are never lost:

* Start. ``__enter__`` activates the capture (the kernel queues every packet
  that reaches the device's tap from then on), starts the reading thread, then
  sends a start marker from a second handle on the same device and returns
  only when the thread has read it back: the capture is provably receiving,
  filter included. Packets read before the start marker are not kept.
* End. ``__exit__`` sends end markers and reads until all of them came back.
  A socket's ring keeps the order in which packets reached the tap, so every
  packet that reached it before ``__exit__`` (sent from this host: at once,
  inside the send call) is read before the markers. When the capture is on a
  veth end, the peer also sends an end marker from each CPU: a packet arriving
  from the peer can wait in that CPU's receive queue, and the marker queues
  behind it. Packets after the last marker are not kept.

Marker frames use the IEEE local experimental EtherType 0x88B5 and a magic
payload; every LiveCapture drops all of them (its own and other captures'),
so they never show in ``packets`` or the file. Where markers cannot be sent
(a link type other than Ethernet, a device that cannot send), the window is
activation to drain: at the end the thread reads until a packet stamped after
the block's end (the kernel stamps packets as they reach the tap, and the ring
keeps that order) or until two reads begun after the end time out with
nothing (the kernel hands a partly filled block over after the 10 ms read
timeout); ``synchronised`` says which.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import struct
import threading
import time
from pathlib import Path
from typing import Any, Optional

from . import _describe

MARKER_ETHERTYPE = 0x88B5
MAGIC = b"gopcapy-capture-marker"
_MARKER = struct.Struct("!6s6sH22s16scH")  # dst, src, type, magic, token, kind, index
# Compiled into every capture's filter so markers pass whatever the test's filter is.
_MARKER_FILTER = f"(ether proto {MARKER_ETHERTYPE:#x} and ether[14:4] = {int.from_bytes(MAGIC[:4], 'big'):#x})"
_RESEND = 0.25  # seconds before a marker not seen is sent again
_QUIET_READS = 2  # without markers: the capture is drained after this many empty reads
_TO_MS = 10  # how long a packet may wait in a kernel block before the thread sees it
DLT_EN10MB = 1
PCAP_ERROR_PERM_DENIED = -8
CAP_NET_RAW = 13


class CaptureNotPermitted(Exception):
    """Capturing is not permitted here (not root, no CAP_NET_RAW)."""


class CaptureError(RuntimeError):
    """The capture could not be opened, or its window could not be closed exactly."""


def effective_capabilities() -> Optional[int]:
    """This process's effective capability bits (Linux), or None if unknown."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def capture_permitted() -> Optional[str]:
    """Why live capture is not permitted in this process, or None."""
    caps = effective_capabilities()
    if caps is None or caps >> CAP_NET_RAW & 1:
        return None  # permitted, or not Linux: libpcap will say
    return ("live capture needs CAP_NET_RAW: run as root, or grant it to the interpreter "
            "(`setcap cap_net_raw+ep <python>`)")


def _marker(token: bytes, kind: bytes, index: int) -> bytes:
    frame = _MARKER.pack(b"\xff" * 6, b"\x02" + bytes(5), MARKER_ETHERTYPE, MAGIC, token, kind, index)
    return frame + bytes(max(0, 60 - len(frame)))


def _seconds(hdr: Any) -> float:
    sec, usec = hdr.getts()
    return float(sec + usec / 1e6)


def _is_marker(data: bytes) -> bool:
    return data[12:14] == b"\x88\xb5" and data[14:14 + len(MAGIC)] == MAGIC


class LiveCapture:
    """Packets seen on an interface during a with-block (see the module docstring).

    After the block: ``packets`` (a list of ``(Pkthdr, bytes)``), ``path`` (the
    pcap file written), ``stats`` (libpcap's ``(received, dropped,
    if_dropped)``, marker frames included), ``count()``, ``assert_seen()``,
    ``dataframe()``.
    """

    def __init__(self, interface: Any = None, filter: Optional[str] = None, *,  # noqa: A002
                 path: os.PathLike[str] | str, snaplen: int = 65535, promisc: bool = False,
                 buffer_size: int = 16 << 20, timeout: float = 5.0) -> None:
        self.end = interface if hasattr(interface, "inside") else None  # a veth_pair end
        self.interface: str = interface.dev if self.end else (interface or "lo")
        self.filter = filter
        self.path = Path(path)
        self.snaplen, self.promisc, self.buffer_size, self.timeout = snaplen, promisc, buffer_size, timeout
        self.packets: list[tuple[Any, bytes]] = []
        self.stats: Optional[tuple[int, int, int]] = None
        self.linktype = DLT_EN10MB
        self.synchronised = ""  # "markers" or "activation+drain", once started
        self._token = secrets.token_bytes(16)
        self._reader: Any = None
        self._senders: list[Any] = []  # [on the device, on the veth peer]
        self._thread: Optional[threading.Thread] = None
        self._started, self._stop, self._done = threading.Event(), threading.Event(), threading.Event()
        self._ends_expected: set[int] = set()
        self._ends_seen: set[int] = set()
        self._stop_time = 0.0
        self._error: Optional[BaseException] = None
        self._finished = False

    # -- the with-block --------------------------------------------------------

    def __enter__(self) -> "LiveCapture":
        try:
            self._open()
            self._thread = threading.Thread(target=self._read, name=f"pcap_capture {self.interface}",
                                            daemon=True)
            self._thread.start()
            if self.synchronised != "markers":
                self._started.set()  # the window opened at activation
            send = lambda: self._senders[0].sendpacket(_marker(self._token, b"S", 0))  # noqa: E731
            if not self._until(self._started, send if self.synchronised == "markers" else None) \
                    or self._error:
                raise CaptureError(f"the capture on {self.interface} did not see its own start marker "
                                   f"within {self.timeout} s") from self._error
        except BaseException:
            self._stop.set()
            self._done.set()
            self._close_handles()
            raise
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.finish(raise_errors=exc_type is None)

    def finish(self, raise_errors: bool = True) -> None:
        """End the window (what ``__exit__`` does); idempotent."""
        if self._finished or self._thread is None:
            return
        self._finished = True
        try:
            self._stop_time = time.time()
            self._stop.set()
            markers = self.synchronised == "markers"
            complete = self._until(self._done, self._send_end_markers if markers else None)
            self._done.set()
            self._thread.join(self.timeout)
            self._write()
        finally:
            self._close_handles()
        if raise_errors and self._error:
            raise CaptureError(f"reading the capture on {self.interface} failed: {self._error}") from self._error
        if raise_errors and not complete:
            raise CaptureError(f"the capture on {self.interface} did not drain within {self.timeout} s "
                               f"(end markers seen: {sorted(self._ends_seen)} of {sorted(self._ends_expected)}); "
                               "packets may be missing")

    # -- opening -------------------------------------------------------------

    def _open(self) -> None:
        import pcapy

        namespace = self.end.inside() if self.end else contextlib.nullcontext()
        with namespace:
            reader = self._reader = pcapy.create(self.interface)
            for rc in (reader.set_snaplen(self.snaplen), reader.set_promisc(int(self.promisc)),
                       reader.set_timeout(_TO_MS), reader.set_buffer_size(self.buffer_size)):
                if rc != 0:
                    raise CaptureError(f"cannot configure a capture on {self.interface} (libpcap status {rc})")
            rc = reader.activate()
            if rc == PCAP_ERROR_PERM_DENIED:
                raise CaptureNotPermitted(f"capturing on {self.interface} is not permitted "
                                          "(needs root or CAP_NET_RAW)")
            if rc < 0:
                raise CaptureError(f"cannot capture on {self.interface!r}: libpcap status {rc}"
                                   + (" (no such device)" if rc == -5 else ""))
            self.linktype = reader.datalink()
            if self.filter:
                reader.setfilter(self.filter)  # the test's own filter alone first: its own error message
            markers = self.linktype == DLT_EN10MB and self._open_sender(pcapy, self.interface)
        if markers and self.end:
            with self.end.peer.inside():
                self._open_sender(pcapy, self.end.peer.dev)
        self.synchronised = "markers" if markers else "activation+drain"
        if markers and self.filter:
            reader.setfilter(f"({self.filter}) or {_MARKER_FILTER}")

    def _open_sender(self, pcapy: Any, device: str) -> bool:
        """A handle that sends markers on device (it reads nothing: filter 'less 1')."""
        tx = pcapy.create(device)
        tx.set_snaplen(64)
        tx.set_buffer_size(1 << 16)  # it receives nothing: the smallest ring
        if tx.activate() < 0:
            tx.close()
            return False
        tx.setfilter("less 1")
        self._senders.append(tx)
        return True

    def _send_end_markers(self) -> None:
        local, *peer = self._senders
        self._ends_expected = {0}
        if peer:
            cpus = sorted(os.sched_getaffinity(0))
            self._ends_expected |= {1 + cpu for cpu in cpus}
        local.sendpacket(_marker(self._token, b"E", 0))
        if peer:
            home = os.sched_getaffinity(0)
            try:
                for cpu in cpus:  # the calling thread only (pid 0), one CPU at a time
                    os.sched_setaffinity(0, {cpu})
                    peer[0].sendpacket(_marker(self._token, b"E", 1 + cpu))
            finally:
                os.sched_setaffinity(0, home)

    # -- the reading thread ----------------------------------------------------

    def _read(self) -> None:
        reader = self._reader
        drain = self.synchronised != "markers"
        quiet = 0  # read timeouts, with nothing, of reads begun after the stop request
        try:
            while not self._done.is_set():
                after_stop = self._stop.is_set()
                hdr, data = reader.next()
                if not drain or not after_stop:
                    if hdr is not None:
                        self._take(hdr, data)
                elif hdr is None:
                    quiet += 1
                    if quiet >= _QUIET_READS:
                        self._done.set()
                elif _seconds(hdr) > self._stop_time:
                    self._done.set()  # a packet from after the block: all before it were read
                else:
                    quiet = 0
                    self._take(hdr, data)
            self.stats = reader.stats()
        except BaseException as err:  # reported by finish()
            self._error = err
        finally:
            self._started.set()
            self._done.set()

    def _take(self, hdr: Any, data: bytes) -> None:
        if self.synchronised == "markers" and _is_marker(data):
            _, _, _, _, token, kind, index = _MARKER.unpack_from(data)
            if token != self._token:
                return  # another capture's marker
            if kind == b"S":
                self._started.set()
            elif kind == b"E" and self._stop.is_set():
                self._ends_seen.add(index)
                if self._ends_seen >= self._ends_expected:
                    self._done.set()
            return
        if self._started.is_set() and not self._done.is_set():
            self.packets.append((hdr, data))

    def _until(self, event: threading.Event, send: Any) -> bool:
        """Wait for event up to self.timeout, calling send() first and again
        every _RESEND seconds: a marker lost to a full queue is sent again."""
        deadline = time.monotonic() + self.timeout
        while True:
            if send:
                send()
            if event.wait(min(_RESEND, max(0.0, deadline - time.monotonic()))):
                return True
            if time.monotonic() >= deadline:
                return False

    # -- results ---------------------------------------------------------------

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._reader.dump_open(str(self.path)) as dumper:
            for hdr, data in self.packets:
                dumper.dump(hdr, data)

    def _close_handles(self) -> None:
        # Closing a capture socket waits for an RCU grace period (~20 ms each
        # here): do it in the background, the test has what it needs.
        handles = [h for h in [self._reader, *self._senders] if h is not None]
        self._senders = []
        threading.Thread(target=lambda: [h.close() for h in handles], daemon=True).start()

    def count(self, filter: Optional[str] = None) -> int:  # noqa: A002
        """How many captured packets match the BPF expression (all: None)."""
        if not filter:
            return len(self.packets)
        import pcapy

        program = pcapy.BPFProgram(filter, self.linktype)
        return sum(1 for _, data in self.packets if program.filter(data))

    def assert_seen(self, filter: str, count: Optional[int] = None) -> None:  # noqa: A002
        """Assert that packets matching ``filter`` were captured: at least one,
        or exactly ``count``. The message lists what was captured instead."""
        seen = self.count(filter)
        if (seen >= 1) if count is None else (seen == count):
            return
        wanted = "at least one packet" if count is None else f"{count} packet{'s' * (count != 1)}"
        raise AssertionError(f"expected {wanted} matching {filter!r} on {self.interface}, saw {seen};"
                             f" captured {self.describe(filter)}")

    def describe(self, mark: Optional[str] = None, limit: int = 20) -> str:
        """The summary line, then one line per packet (up to ``limit``); packets
        matching the BPF expression ``mark`` start with '*'."""
        program = None
        if mark:
            import pcapy

            program = pcapy.BPFProgram(mark, self.linktype)
        lines = [self.summary()]
        t0 = self.packets[0][0].getts() if self.packets else (0, 0)
        for hdr, data in self.packets[:limit]:
            sec, usec = hdr.getts()
            offset = (sec - t0[0]) + (usec - t0[1]) / 1e6
            flag = "*" if program and program.filter(data) else " "
            lines.append(f" {flag} +{offset:.6f} {_describe.describe(self.linktype, data)[1]}")
        if len(self.packets) > limit:
            lines.append(f"   ... and {len(self.packets) - limit} more in {self.path}")
        return "\n".join(lines)

    def summary(self) -> str:
        """'N packets (TCP 8, ARP 2), first – last UTC' (plus drops, if any)."""
        text = _describe.summary(self.linktype, self.packets)
        if self.stats and self.stats[1]:
            text += f"; {self.stats[1]} dropped by the kernel"
        return text

    def dataframe(self) -> Any:
        """The captured packets as pcapy.read_dataframe gives them (needs pandas)."""
        if not self._finished:
            raise RuntimeError("dataframe() is available after the with-block")
        import pcapy

        return pcapy.read_dataframe(self.path)

    def __repr__(self) -> str:
        return f"<LiveCapture {self.interface} filter={self.filter!r}: {len(self.packets)} packets>"
