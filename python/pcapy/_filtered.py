"""Reader.loop_filtered, loop_to_buffer and filtered_stats (pcapy-ng 2.1.0).

Go reads a batch, classifies every packet (gopcapy/classify.go) and hands
Python only the admitted ones, laid out as next() batches are (records, bytes
and a struct format: gopcapy/pybridge/filtered.go owns the layout), plus the
class of every packet read. Python counts the classes with bytes.count and
runs the callback over the admitted packets with starmap: no Python object
and no Python code for a dropped packet, no Go call per packet.

The counters are pcapy-ng's: for the packets read so far, (admitted,
dropped, then one count per class). filtered_stats() sees them as they were
when the callback being run was called, from that callback or another thread.
"""

from __future__ import annotations

import struct
from _operator import length_hint  # operator.length_hint, without operator.py
from itertools import starmap

from . import _batch
from ._args import c_long, no_args, parse_c_args
from ._core import call, go
from ._errors import PcapError

# array and select are imported where used: `import pcapy` stays light.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from array import array
    from collections import deque
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, Optional

    # A batch whose callbacks run: classes, positions, records left, admitted.
    _Running = tuple[bytes, bytes, Iterator[Any], int]
else:
    from _collections import deque  # collections.deque, without importing collections

# pcapy-ng's keywords and PyArg formats; the second argument differs.
_OPTIONAL = (("admit_mask", "i"), ("addr_set", "y#"), ("flow_cutoff", "i"), ("dpi_ports", "O"),
             ("tls_ports", "O"), ("dns_port", "i"), ("l2_offset", "i"), ("profile", "i"))
_DEFAULTS = (7, b"", 0, None, None, 53, 14, 0)
_LOOP_SPEC = (("cnt", "i"), ("cb", "O")) + _OPTIONAL
_BUFFER_SPEC = (("cnt", "i"), ("writable_buf", "w*")) + _OPTIONAL

_NCLASSES = (3, 6)  # per profile
_TAIL = struct.Struct("=8Q")  # a, format start, end, classes, ids, positions, n, 0
_POSITION = struct.Struct("=I")

BATCH = 8192  # packets per Go call
DATA_BYTES = 4096 << 10  # room for the admitted packets' bytes of one batch
WAIT_SLICE_MS = 100  # longest wait in Go: Ctrl-C, close() and breakloop() act between waits


class _Counts:
    """The counters of the current or last loop_filtered run.

    ``state`` is replaced whole (one atomic assignment): the counts of the
    batches done, and the batch whose callbacks are running, if any.
    """

    __slots__ = ("nclasses", "state")

    def __init__(self, nclasses: int) -> None:
        self.nclasses = nclasses
        self.state: tuple[tuple[int, ...], Optional[_Running]] = ((0,) * (2 + nclasses), None)

    def snapshot(self) -> tuple[int, ...]:
        done, batch = self.state
        if batch is None:
            return done
        classes, positions, records, admitted = batch
        k = admitted - length_hint(records) - 1  # the packet whose callback runs
        return self.upto(done, classes, positions, max(k, 0))

    def upto(self, done: tuple[int, ...], classes: bytes, positions: bytes, k: int) -> tuple[int, ...]:
        """done plus the counts of a batch through its k-th admitted packet."""
        (pos,) = _POSITION.unpack_from(positions, 4 * k)
        return self.add(done, classes[: pos + 1], k + 1)

    def add(self, done: tuple[int, ...], classes: bytes, admitted: int) -> tuple[int, ...]:
        per_class = [classes.count(i) for i in range(self.nclasses)]
        return (done[0] + admitted, done[1] + len(classes) - admitted,
                *(a + b for a, b in zip(done[2:], per_class)))


_IDLE = _Counts(3)  # filtered_stats() before any run: zeros, defined (pcapy-ng: garbage)


class _FilterBuffer:
    """Where Go puts a batch's admitted packets (layout in filtered.go)."""

    __slots__ = ("mem", "view", "addr", "size", "max_n", "data_bytes")

    def __init__(self, max_n: int, data_bytes: int) -> None:
        self.max_n, self.data_bytes = max_n, data_bytes
        self.size = max_n * _batch.RECORD_SIZE + data_bytes + go.pybridge_FilterSideSize(max_n)
        from array import array

        self.mem = array("B", bytes(self.size))
        self.addr = self.mem.buffer_info()[0]
        self.view = memoryview(self.mem)


def _ports(value: Any) -> str:
    """A port list as the bridge takes it: '-' for the default (None), else
    comma-separated; pcapy-ng's conversion (any iterable of integers, each
    taken modulo 65536) and errors."""
    if value is None:
        return "-"
    if not isinstance(value, (list, tuple)):
        try:
            it = iter(value)
        except TypeError:
            raise TypeError("ports must be a sequence of ints") from None
        value = list(it)
    return ",".join(str(c_long(p) & 0xFFFF) for p in value)


def _check_ranges(l2_offset: int, profile: int, profile_msg: str) -> None:
    if not 0 <= l2_offset <= 64:
        raise ValueError("l2_offset out of range [0,64]")
    if profile not in (0, 1):
        raise ValueError(profile_msg)


def _start(reader: Any, options: list[Any]) -> None:
    """Begin a run in Go, handing it back the packets the reader read ahead."""
    admit_mask, addr_set, flow_cutoff, dpi, tls, dns_port, l2_offset, profile = options
    from array import array

    addr = array("B", addr_set) if len(addr_set) >= 4 else None
    call(go.pybridge_FilterStart, reader._h, reader._pending(), admit_mask,
         addr.buffer_info()[0] if addr else 0, len(addr_set) if addr else 0, flow_cutoff,
         dpi, tls, dns_port & 0xFFFF, l2_offset, profile)
    reader._it = reader._left = iter(())  # Go hands them out again


def _wait_packets(reader: Any, read: Callable[[int], int]) -> int:
    """read(wait_ms) until packets come on a live capture: its result, 0 when
    breakloop() was called; files return at once."""
    if not reader._live:
        return read(0)
    if not reader._active:
        raise PcapError("This handle hasn't been activated yet")
    while True:
        n = read(WAIT_SLICE_MS)
        if n == 0:
            raise PcapError("the capture ended after a read error")
        if n != -1:
            return n
        reader._check_open()
        if reader._break:
            return 0
        if reader._nonblock:  # Go returns at once: wait on the descriptor here
            if reader._fd < 0:
                reader._fd = call(go.pybridge_Fd, reader._h)
            import select

            select.select([reader._fd], [], [], WAIT_SLICE_MS / 1000)


def loop_filtered(self: Any, *args: Any, **kwargs: Any) -> tuple[int, ...]:
    """loop_filtered(cnt, cb, admit_mask=7, addr_set=b'', flow_cutoff=0,
    dpi_ports=None, tls_ports=None, dns_port=53, l2_offset=14, profile=0)

    Read ``cnt`` packets (``cnt <= 0``: to the end of a file, or forever on
    a live capture), classify each in Go and call ``cb(Pkthdr, bytes, cls)``
    only for the classes ``admit_mask`` admits (bit i admits class index i);
    the others never become Python objects (pcapy-ng).

    Classes (profile 0): 0 OTHER, 1 FLOW_HEAD (among the first
    ``flow_cutoff`` packets of its directional TCP/UDP flow), 2 SET_MATCH
    (IPv4 source or destination in ``addr_set``, packed 4-byte addresses).
    Profile 1: index 0 DNS (``dns_port``), 1 HTTP (TCP payload on
    ``dpi_ports``), 2 OTHER, 3 ADDR (``addr_set``), 4 HANDSHAKE (flow head on
    ``tls_ports``), 5 SYN; ``cls`` is 100 + index. ``l2_offset`` is where the
    IPv4 header starts (14 Ethernet, 16 Linux SLL, 0 raw IP; VLAN tags are
    skipped).

    Returns:
        ``(admitted, dropped, <count per class index>)``; filtered_stats()
        gives the same counters while the loop runs.

    Raises:
        ValueError: l2_offset outside [0, 64], profile not 0 or 1, or the
            reader is closed.
        PcapError: libpcap failed to read (after the packets before it).
        Whatever ``cb`` raises: the loop stops; the next read starts with
        the packet after the one being handled.
    """
    self._check_open()
    cnt, cb, *options = parse_c_args("loop_filtered", _LOOP_SPEC, 2, args, kwargs, _DEFAULTS)
    _check_ranges(options[6], options[7], "profile must be 0 (generic) or 1 (security)")
    options[3], options[4] = _ports(options[3]), _ports(options[4])
    _start(self, options)
    try:
        counts = self._filt_counts = _Counts(_NCLASSES[options[7]])
        _run_callbacks(self, cnt, cb, counts)
    finally:
        go.pybridge_FilterEnd(self._h)
    return counts.state[0]


def _run_callbacks(reader: Any, cnt: int, cb: Callable[..., Any], counts: _Counts) -> None:
    buf = reader.__dict__.get("_filt_buf") or _FilterBuffer(BATCH, DATA_BYTES)
    reader._filt_buf = buf
    header, h, done = reader._header, reader._h, 0
    if reader._take_break():
        return
    while cnt <= 0 or done < cnt:
        want = BATCH if cnt <= 0 else min(BATCH, cnt - done)
        n = _wait_packets(reader, lambda ms: call(go.pybridge_FilterRead, h, want, ms, buf.addr, buf.size))
        if n == 0:
            return
        if n < -1:  # one packet larger than the room for a batch's bytes
            buf = reader._filt_buf = _FilterBuffer(BATCH, -n + DATA_BYTES)
            continue
        done += n
        view = buf.view
        admitted, fmt_start, fmt_end, c_off, id_off, pos_off, _, _ = _TAIL.unpack_from(view, buf.size - _TAIL.size)
        classes = view[c_off:c_off + n].tobytes()
        if admitted:
            fmt = view[fmt_start:fmt_end].tobytes() if fmt_end > fmt_start else None
            fmt = fmt or _batch._data_format(view, admitted)
            data = struct.Struct(fmt).unpack_from(view)
            records = _batch._HEADER.iter_unpack(view[:admitted * _batch.RECORD_SIZE])
            positions = view[pos_off:pos_off + 4 * admitted].tobytes()
            stopped = _callbacks(reader, counts, cb, header, data, records, view[id_off:id_off + admitted].tobytes(),
                                 classes, positions, admitted)
            if stopped is not None:  # breakloop() in a callback or another thread
                (pos,) = _POSITION.unpack_from(positions, 4 * stopped)
                call(go.pybridge_FilterUnread, h, pos + 1)
                reader._take_break()
                return
        counts.state = (counts.add(counts.state[0], classes, admitted), None)
        if reader._take_break():
            return


def _callbacks(reader: Any, counts: _Counts, cb: Callable[..., Any], header: Callable[..., Any],
               data: tuple[bytes, ...], records: Any,
               ids: bytes, classes: bytes, positions: bytes, admitted: int) -> Optional[int]:
    """Call cb for the batch's admitted packets; the index of the packet
    after whose callback breakloop() stopped them, else None."""
    done = counts.state[0]
    counts.state = (done, (classes, positions, records, admitted))
    data_it = iter(data)
    stop: list[int] = []

    def detach() -> None:  # Reader.breakloop() calls it: end the batch here
        stop.append(admitted - length_hint(records) - 1)
        data_it.__setstate__(len(data))  # type: ignore[attr-defined]  # a tuple iterator's, to its end
        type(reader)._detach(reader)

    reader._detach = detach
    try:
        _drain(starmap(cb, zip(starmap(header, zip(records)), data_it, ids)))
    except BaseException:
        # Stop where pcapy-ng stops: counted through this packet, the rest unread.
        k = admitted - length_hint(records) - 1
        counts.state = (counts.upto(done, classes, positions, k), None)
        (pos,) = _POSITION.unpack_from(positions, 4 * k)
        call(go.pybridge_FilterUnread, reader._h, pos + 1)
        raise
    finally:
        del reader._detach
    if stop:
        counts.state = (counts.upto(done, classes, positions, stop[0]), None)
        return stop[0]
    return None


_drain: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend  # runs an iterator to its end at C speed


def loop_to_buffer(self: Any, *args: Any, **kwargs: Any) -> tuple[int, ...]:
    """loop_to_buffer(cnt, writable_buf, admit_mask=7, addr_set=b'',
    flow_cutoff=0, dpi_ports=None, tls_ports=None, dns_port=53, l2_offset=14,
    profile=0)

    Classify like loop_filtered() and write the admitted packets into
    ``writable_buf`` (any writable buffer: bytearray, shared memory, mmap)
    as back-to-back records ``[u32 caplen, little-endian][u8 cls][caplen
    bytes]``, with no Python code per packet and the GIL released while Go
    works. Packets that do not fit are counted as overflow (a later, smaller
    one may still fit).

    Returns:
        ``(written, dropped, overflow, bytes_used, <count per class index>)``.
        filtered_stats() does not follow this call (pcapy-ng).
    """
    self._check_open()
    cnt, view, *options = parse_c_args("loop_to_buffer", _BUFFER_SPEC, 2, args, kwargs, _DEFAULTS)
    _check_ranges(options[6], options[7], "profile must be 0 or 1")
    options[3], options[4] = _ports(options[3]), _ports(options[4])
    nclasses = _NCLASSES[options[7]]
    from array import array

    stats = array("Q", bytes(8 * (4 + 6)))
    with view:
        pinned = _address_of(view)  # keeps the buffer exported (unresizable) until the end
        try:
            _start(self, options)
            try:
                _fill_buffer(self, cnt, pinned[0], view.nbytes, stats)
            finally:
                go.pybridge_FilterEnd(self._h)
        finally:
            del pinned
    return tuple(stats[:4]) + tuple(stats[4:4 + nclasses])


def _address_of(view: memoryview) -> tuple[int, Any]:
    """The address of a writable buffer's memory, and the object that keeps
    it exported (drop it to release)."""
    if not view.nbytes:
        return 0, None
    import ctypes  # only here: import pcapy stays light

    holder = (ctypes.c_char * view.nbytes).from_buffer(view)
    return ctypes.addressof(holder), holder


def _fill_buffer(reader: Any, cnt: int, addr: int, size: int, stats: array[int]) -> None:
    h, done = reader._h, 0
    stats_addr = stats.buffer_info()[0]
    if reader._take_break():
        return
    while cnt <= 0 or done < cnt:
        left = cnt - done if cnt > 0 else 0
        try:
            n = _wait_packets(reader, lambda ms: call(go.pybridge_FilterToBuffer, h, left, ms, addr, size, stats_addr))
        except PcapError:
            return  # pcapy-ng ignores libpcap's errors here: the counts say what was read
        if n == 0 or reader._take_break():
            return
        done += n


def filtered_stats(self: Any, *args: Any, **kwargs: Any) -> tuple[int, ...]:
    """filtered_stats()

    Return the counters of the loop_filtered() run in progress or the last
    one: ``(admitted, dropped, <count per class index>)``, as of the packet
    whose callback is running; callable from that callback or another
    thread, and on a closed reader. Zeros before the first run.
    """
    no_args("Reader.filtered_stats", args, kwargs)
    counts: _Counts = self.__dict__.get("_filt_counts", _IDLE)
    return counts.snapshot()
