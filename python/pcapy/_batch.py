"""Turning a batch from Go into (Pkthdr, bytes) pairs at C speed.

A reader of a file owns a Buffer: one ``array('B')`` whose address Go gets,
so libpcap's packets are copied once, straight into Python's memory (layout in
gopcapy/pybridge/pybuffer.go): one record per packet, then the packets'
bytes, where the records say (a plain pcap file is read straight in, so
other bytes lie between them; next_batch's too: _ngbatch.c copies them back
to back into the bytes it returns). The record layout is Go's
(gopcapy.RecordLayout): Python learns it from the bridge (layout(), RECORD, RECORD_SIZE) and the C part (_hotpath.c) is told
it once. The C iterator Batch makes each (Pkthdr, bytes) pair when it is
handed out.

Batches that did not fit are copied out of Go memory (batch_blob) and walked
the same way.
"""

from __future__ import annotations

import struct

from . import _core, _pkthdr
from ._core import call, go

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, Optional

_FIELDS = ("size", "sec", "frac", "caplen", "len", "start", "end")
_layout: Optional[tuple[int, ...]] = None


def layout() -> tuple[int, ...]:
    """Go's batch record layout (gopcapy.RecordLayout): (size, and the byte
    offsets of sec, frac, caplen, len, start, end); native byte order, sec an
    int64, the others uint32. Asked from the bridge once."""
    global _layout
    if _layout is None:
        raw = _core.take_bytes(call(go.pybridge_BatchLayout))
        _layout = struct.unpack("=%dI" % len(_FIELDS), raw)
    return _layout


def record_struct(fields: tuple[str, ...] = _FIELDS[1:]) -> struct.Struct:
    """A struct.Struct of one record that unpacks the given fields (in
    record order; the others are padding): by default all of them, (sec,
    frac, caplen, len, start, end), for code that packs or unpacks records."""
    size, *offsets = layout()
    fmt, at = "=", 0
    for name, off in zip(_FIELDS[1:], offsets):
        width = 8 if name == "sec" else 4
        if off < at:
            raise RuntimeError(f"unexpected batch record layout {layout()}")
        if name in fields:
            fmt += ("%dx" % (off - at) if off > at else "") + ("q" if name == "sec" else "I")
            at = off + width
    if size < at:
        raise RuntimeError(f"unexpected batch record layout {layout()}")
    return struct.Struct(fmt + ("%dx" % (size - at) if size > at else ""))


def __getattr__(name: str) -> Any:
    """RECORD_SIZE, the record structs and the header classes of packets
    read (make_header, make_header_ns: the C part's), on first use (then kept)."""
    value: Any
    if name == "make_header":
        value = hotpath().Header
    elif name == "make_header_ns":
        value = hotpath().HeaderNs
    elif name == "RECORD_SIZE":
        value = layout()[0]
    elif name == "RECORD":
        value = record_struct()
    elif name == "_HEADER":  # sec, frac, caplen, len (pcapy._filtered's)
        value = _batch_header()
    else:
        raise AttributeError(name)
    globals()[name] = value
    return value


# Packets per Go call at most, and room for their bytes. Small enough that a
# batch stays in the CPU's L2 cache between Go writing it and Python making
# objects of it (measured on 1M mixed packets: 256 KiB is 10-15% faster than
# 1 MiB), big enough that the cost of a call vanishes (256 KiB holds ~170
# full-size frames, ~330 of the mix). Go wants 2 * 64 KiB + the records free.
MAX_BATCH = 1024
DATA_BYTES = 256 << 10

# A reader's first buffer is small (thousands of readers may be open, each
# having read a packet or two: pcapy-ng needs ~8 KiB per reader) and grows to
# the size above over its next reads: (packets, bytes) per step.
BUFFER_STEPS = ((1, 2 << 10), (64, 64 << 10), (MAX_BATCH, DATA_BYTES))

class Buffer:
    """The memory Go reads a reader's packets into.

    Go writes into it only during a read made through its Reader, under the
    reader's lock, and only once the packets of the previous read were all
    handed out (their headers are made from it, lazily). A reader replaces it
    by a bigger one (grown()); iterators of the old one keep it alive.
    """

    __slots__ = ("mem", "view", "addr", "size", "max_n", "data_bytes")

    def __init__(self, max_n: int = MAX_BATCH, data_bytes: int = DATA_BYTES) -> None:
        self.max_n, self.data_bytes = max_n, data_bytes
        self.size: int = call(go.pybridge_BufferSize, max_n, data_bytes)
        from array import array  # here, not at `import pcapy`

        self.mem = array("B", bytes(self.size))
        self.addr = self.mem.buffer_info()[0]
        self.view = memoryview(self.mem)

    def grown(self) -> "Buffer":
        """The next bigger buffer of BUFFER_STEPS (self at the last step)."""
        for max_n, data_bytes in BUFFER_STEPS:
            if max_n > self.max_n:
                return Buffer(max_n, data_bytes)
        return self


def first_buffer() -> Buffer:
    """A reader's first buffer: the smallest step."""
    return Buffer(*BUFFER_STEPS[0])


def hotpath() -> Any:
    """The C extension of the per-packet work (python/csrc/_hotpath.c),
    loaded beside the Go extension on first use and told the record layout."""
    global _hot
    if _hot is None:
        import importlib

        try:
            mod = importlib.import_module("pcapy._gopcapy._hotpath")
        except ImportError as exc:
            raise ImportError(
                f"pcapy's C part could not be loaded: {exc} (rebuild with `python build.py` "
                "or reinstall the gopcapy wheel)", name="pcapy._gopcapy._hotpath") from None
        mod.configure(layout(), _pkthdr.Pkthdr, _pkthdr.PkthdrNs)
        _pkthdr.register_read_classes(mod.Header, mod.HeaderNs)
        for hook in LOAD_HOOKS:
            hook(mod)
        _hot = mod
    return _hot


_hot: Any = None
# Called with the C part once it is loaded (pcapy._reader puts Reader.next in C).
LOAD_HOOKS: list[Callable[[Any], None]] = []


def read_pairs(handle: int, buf: Buffer, max_n: int, header: type[tuple[Any, ...]]) -> Optional[Iterator[tuple[Any, ...]]]:
    """Read up to max_n packets of a file: an iterator of their (Pkthdr, bytes)
    pairs (whose length_hint() is how many are left); None at the end."""
    n = call(go.pybridge_ReadInto, handle, max_n, 0, buf.addr, buf.size)
    if n in (0, -1):
        return None
    return buffer_pairs(handle, buf, n, header)


def buffer_pairs(handle: int, buf: Buffer, n: int, header: type[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The pairs of a ReadInto that returned n (not 0 or -1), as read_pairs
    gives them: n packets in buf, or for n < -1, -n-1 packets in Go memory.

    Each pair is made in C when it is handed out, so a packet's objects are
    freed before the next one's are made: no pile of live objects for the
    garbage collector to walk, and hot memory reused."""
    if n < 0:  # did not fit: in Go memory
        return hotpath().Batch(batch_blob(handle), -n - 1, header)  # type: ignore[no-any-return]
    return hotpath().Batch(buf.mem, n, header)  # type: ignore[no-any-return]


def _data_format(view: memoryview, n: int) -> bytes:
    """A struct format that unpacks the bytes of the n packets of a batch in
    view, back to back from the first one's start ("<start>x60s1514s...");
    pcapy._filtered's fallback for caplens too long for the format Go writes."""
    (start,) = _batch_start().unpack_from(view)
    caplens = (b"%ds" % rec[2] for rec in _batch_header().iter_unpack(view[: n * layout()[0]]))
    return b"%dx" % start + b"".join(caplens)


def _batch_start() -> struct.Struct:
    return record_struct(("start",))


def _batch_header() -> struct.Struct:
    return record_struct(("sec", "frac", "caplen", "len"))


# next_batch(max_n) reads max_n packets in one Go call when they fit: its
# buffer holds max_n packets of ~1600 bytes (a reader keeps the largest it
# needed), within these bounds; bigger batches take several calls.
NG_MAX_BATCH = 8192
NG_MAX_BYTES = 16 << 20


def ng_buffer(buf: Optional[Buffer], max_n: int) -> Buffer:
    """A buffer for next_batch(max_n): buf if it is big enough, else a new one."""
    max_n = min(max_n, NG_MAX_BATCH)
    if buf is not None and buf.max_n >= max_n:
        return buf
    return Buffer(max_n, min(max(max_n * 1600, DATA_BYTES), NG_MAX_BYTES))


def read_ng(handle: int, buf: Buffer, max_n: int, nano: bool, base: int = 0) -> Optional[tuple[bytes, bytes, int]]:
    """Read up to max_n packets of a file in pcapy-ng's next_batch layout:
    (data, meta, count), with meta's offsets counted from base and its usec
    the reader's fraction, divided by 1000 for a reader in nanoseconds
    (nano); None at the end.

    Go reads the packets into buf where they lie in the file (ReadInto), and
    the C part copies them once, straight into the bytes returned, writing
    meta as it goes."""
    n = call(go.pybridge_ReadInto, handle, max_n, 0, buf.addr, buf.size)
    if n in (0, -1):
        return None
    if n < 0:  # did not fit: in Go memory
        n = -n - 1
        data, meta = hotpath().ng_batch(batch_blob(handle), n, base, nano)
    else:
        data, meta = hotpath().ng_batch(buf.mem, n, base, nano)
    return data, meta, n


def batch_blob(handle: int) -> bytes:
    """The records and data of the batch just read (a copy out of Go memory)."""
    return _core.take_bytes(call(go.pybridge_BatchBytes, handle))


_NG_META = struct.Struct("=IIII")


def ng_batch(pairs: list[Any]) -> tuple[bytes, bytes]:
    """pcapy-ng's next_batch layout of (Pkthdr, bytes) pairs already read:
    (data, meta of (sec, usec, offset, caplen))."""
    meta = bytearray()
    chunks = []
    off = 0
    for hdr, data in pairs:
        sec, usec = hdr.getts()
        meta += _NG_META.pack(sec & 0xFFFFFFFF, usec, off, len(data))
        chunks.append(data)
        off += len(data)
    return b"".join(chunks), bytes(meta)
