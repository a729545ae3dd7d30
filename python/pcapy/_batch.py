"""Turning a batch from Go into (Pkthdr, bytes) pairs without a Python loop.

A reader of a file owns a Buffer: one ``array('B')`` whose address Go gets,
so libpcap's packets are copied once, straight into Python's memory (layout in
gopcapy/pybridge/pybuffer.go): 28-byte records (sec int64, frac uint32,
caplen uint32, len uint32, start uint32, end uint32, native order), the
packets' bytes, and a struct format Go wrote for them ("<start>x60s1514s...").
One unpack_from makes all the packets' bytes at C speed; the headers are made
when a pair is handed out (zip of a map over struct.iter_unpack), so a
packet's objects are freed before the next one's are made: no pile of live
objects for the garbage collector to walk, and hot memory reused.

The older route (batch_blob, batch_pairs) copies the batch out of Go memory
as bytes; it serves batches that did not fit.
"""

from __future__ import annotations

import struct
from itertools import starmap

from . import _core
from ._core import call, go
from ._pkthdr import Pkthdr, _ReadPkthdr, _ReadPkthdrNs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterator, Optional

RECORD_SIZE = 28
_HEADER = struct.Struct("=qIII8x")  # sec, frac, caplen, len
_SPAN = struct.Struct("=20xII")  # start, end of the packet's bytes
_START = struct.Struct("=20xI4x")  # start only
_TAIL = struct.Struct("=QQ")  # the two results Go leaves at the buffer's end

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

# Header classes with tuple's constructor (see _pkthdr): Go's values are valid.
make_header: Callable[[tuple], Pkthdr] = _ReadPkthdr
make_header_ns: Callable[[tuple], Pkthdr] = _ReadPkthdrNs


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
        # Go keeps 8 bytes per packet and 48 more at the end for the format
        # and its results (formatReserve in pybuffer.go).
        self.size = max_n * (RECORD_SIZE + 8) + data_bytes + 48
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


def read_pairs(handle: int, buf: Buffer, max_n: int, header: Callable[[tuple], Pkthdr]) -> Optional[tuple[Iterator, Iterator]]:
    """Read up to max_n packets of a file: an iterator of their (Pkthdr, bytes)
    pairs and one whose length_hint() is how many are left; None at the end."""
    n = call(go.pybridge_ReadInto, handle, max_n, 0, buf.addr, buf.size)
    if n in (0, -1):
        return None
    return buffer_pairs(handle, buf, n, header)


def buffer_pairs(handle: int, buf: Buffer, n: int, header: Callable[[tuple], Pkthdr]) -> tuple[Iterator, Iterator]:
    """The pairs of a ReadInto that returned n (not 0 or -1), as read_pairs
    gives them: n packets in buf, or for n < -1, -n-1 packets in Go memory."""
    if n < 0:
        it = iter(batch_pairs(batch_blob(handle), -n - 1, header))  # did not fit: in Go memory
        return it, it
    view = buf.view
    start, end = _TAIL.unpack_from(view, buf.size - _TAIL.size)
    fmt = view[start:end].tobytes() if end > start else _data_format(view, n)
    data = struct.Struct(fmt).unpack_from(view)
    records = _HEADER.iter_unpack(view[: n * RECORD_SIZE])
    # starmap over 1-tuples, not map: zip reuses its 1-tuple as the call's
    # arguments, where map would build an argument tuple per call (a class
    # has no vectorcall): a third less per header.
    return zip(starmap(header, zip(records)), data), records


def _data_format(view: memoryview, n: int) -> bytes:
    """The struct format Go writes, for caplens too long for its room."""
    (start,) = _START.unpack_from(view)
    caplens = (b"%ds" % rec[2] for rec in _HEADER.iter_unpack(view[: n * RECORD_SIZE]))
    return b"%dx" % start + b"".join(caplens)


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
    (data, meta, count), with meta's offsets counted from base; None at the end."""
    n = call(go.pybridge_ReadNgInto, handle, max_n, 0, buf.addr, buf.size, 1000 if nano else 1, base)
    if n <= 0:
        if n >= -1:
            return None
        n = -n - 1  # did not fit: in Go memory
        pairs = batch_pairs(batch_blob(handle), n, make_header_ns if nano else make_header)
        return (*ng_batch(pairs, base), n)
    view = buf.view
    meta, used = _TAIL.unpack_from(view, buf.size - _TAIL.size)
    split = meta + n * _NG_META.size
    return view[split:used].tobytes(), view[meta:split].tobytes(), n


def batch_blob(handle: int) -> bytes:
    """The records and data of the batch just read (a copy out of Go memory)."""
    return _core.take_bytes(call(go.pybridge_BatchBytes, handle))


def batch_pairs(blob: bytes, n: int, header: Callable[[tuple], Pkthdr]) -> list:
    """The packets of a batch_blob as a list of (Pkthdr, bytes)."""
    meta = memoryview(blob)[: n * RECORD_SIZE]
    headers = map(header, _HEADER.iter_unpack(meta))
    data = map(blob.__getitem__, starmap(slice, _SPAN.iter_unpack(meta)))
    return list(zip(headers, data))


_NG_META = struct.Struct("=IIII")


def ng_batch(pairs: list, base: int = 0) -> tuple[bytes, bytes]:
    """pcapy-ng's next_batch layout: (data, meta of (sec, usec, offset, caplen)),
    offsets counted from base."""
    meta = bytearray()
    chunks = []
    off = base
    for hdr, data in pairs:
        sec, usec = hdr.getts()
        meta += _NG_META.pack(sec & 0xFFFFFFFF, usec, off, len(data))
        chunks.append(data)
        off += len(data)
    return b"".join(chunks), bytes(meta)
