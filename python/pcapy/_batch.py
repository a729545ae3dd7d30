"""Turning a batch from Go into (Pkthdr, bytes) pairs without a Python loop.

Go fills one buffer per batch: 28-byte records (sec int64, frac uint32,
caplen uint32, len uint32, start uint32, end uint32, native order), then the
packet bytes. struct.iter_unpack, map and zip build the headers and data
slices at C speed; the reader then hands pairs out of a list iterator.
"""

from __future__ import annotations

import struct
from functools import partial
from itertools import starmap
from typing import Callable

from . import _core
from ._core import call, go
from ._pkthdr import Pkthdr, PkthdrNs

RECORD_SIZE = 28
_HEADER = struct.Struct("=qIII8x")  # sec, frac, caplen, len
_SPAN = struct.Struct("=20xII")  # start, end of the packet's bytes

# tuple.__new__ skips Pkthdr.__new__'s checks: Go's values are valid.
make_header: Callable[[tuple], Pkthdr] = partial(tuple.__new__, Pkthdr)
make_header_ns: Callable[[tuple], Pkthdr] = partial(tuple.__new__, PkthdrNs)


def read_batch(handle: int, max_n: int, wait_ms: int) -> int:
    """Ask Go for up to max_n packets: their count, 0 at EOF, -1 on timeout."""
    return call(go.pybridge_ReadBatch, handle, max_n, wait_ms)


def batch_blob(handle: int) -> bytes:
    """The records and data of the batch just read."""
    return _core.take_bytes(call(go.pybridge_BatchBytes, handle))


def batch_pairs(blob: bytes, n: int, header: Callable[[tuple], Pkthdr]) -> list:
    """The batch's packets as a list of (Pkthdr, bytes)."""
    meta = memoryview(blob)[: n * RECORD_SIZE]
    headers = map(header, _HEADER.iter_unpack(meta))
    data = map(blob.__getitem__, starmap(slice, _SPAN.iter_unpack(meta)))
    return list(zip(headers, data))


_NG_META = struct.Struct("=IIII")


def ng_batch(pairs: list, nano: bool) -> tuple[bytes, bytes]:
    """pcapy-ng's next_batch layout: (data, meta of (sec, usec, offset, caplen))."""
    meta = bytearray()
    chunks = []
    off = 0
    for hdr, data in pairs:
        sec, usec = hdr.getts()
        meta += _NG_META.pack(sec & 0xFFFFFFFF, usec, off, len(data))
        chunks.append(data)
        off += len(data)
    return b"".join(chunks), bytes(meta)
