"""Dumper: writes packets to a pcap file."""

from __future__ import annotations

from . import _batch, _core, _pkthdr
from ._core import call, go
from ._errors import PcapError
from ._pkthdr import Pkthdr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Records are buffered here and handed to Go in chunks: one Go call per
# packet would cost more than the write itself.
_FLUSH_BYTES = 1 << 20
_FLUSH_RECORDS = 4096


def _write(handle: int, pending: list[Any]) -> None:
    """Hand the pending (sec, frac, caplen, len, data) records to Go."""
    if not pending:
        return
    n = len(pending)
    meta = bytearray()
    record = _batch.RECORD  # the batch layout, Go's (see _batch.layout)
    off = n * record.size
    for sec, frac, caplen, length, data in pending:
        meta += record.pack(sec, frac, caplen, length, off, off + caplen)
        off += caplen
    blob = bytes(meta) + b"".join(rec[4] for rec in pending)
    pending.clear()
    buf = _core.go_bytes(blob)
    try:
        call(go.pybridge_DumpWrite, handle, buf, n)
    finally:
        _core.release(buf)


def _finish(handle: int, pending: list[Any], state: dict[str, Any]) -> None:
    """Write what is pending and close: on close(), garbage collection or exit."""
    if not _core.usable():  # a fork child: the file is the parent's
        return
    try:
        if not state["error"]:
            _write(handle, pending)
    finally:
        pending.clear()
        call(go.pybridge_DumpClose, handle)


class Dumper:
    """A capture file being written, made by ``Reader.dump_open``.

    Everything dumped is on disk after ``close()``; a Dumper that is never
    closed is completed when it is garbage-collected or when Python exits.
    A failed write (full disk, I/O error, closed pipe) raises PcapError
    from the dump(), flush() or close() that met it; the Dumper then writes
    nothing more, later dump()/flush() raise PcapError again and close()
    releases the file. The file keeps the packets written before the
    failure (the last one possibly cut short).
    """

    def __init__(self, handle: int, *, nano: bool = False) -> None:
        self._h = handle
        self._nano = nano
        self._pending: list[tuple[int, int, int, int, bytes]] = []
        self._pending_bytes = 0
        self._state = {"error": "", "closed_by_user": False}
        # finalize runs at garbage collection and, registered with atexit, at exit.
        import weakref  # here, not at `import pcapy`

        self._finalizer = weakref.finalize(self, _finish, handle, self._pending, self._state)

    def dump(self, header: Pkthdr, data: Any) -> None:
        """Write one packet: ``header`` gives its timestamp and lengths and
        ``data`` at least ``header.getcaplen()`` bytes.

        Raises:
            PcapError: the header is not a Pkthdr, or the Dumper is closed.
            TypeError: data is not bytes-like.
            ValueError: data is shorter than the header's caplen.
        """
        if (not self._finalizer.alive or self._state["error"]) and self._unwritable():
            return
        if not isinstance(header, _pkthdr.HEADER_CLASSES):  # every Pkthdr; no ABC lookup
            raise PcapError("Not a pkthdr object")
        if isinstance(data, str) or not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        caplen = header[2]
        if len(data) < caplen:
            raise ValueError(f"data has {len(data)} bytes, fewer than the header's caplen {caplen}")
        if self._nano:
            sec, frac = divmod(header.getts_ns(), 1_000_000_000)
        else:
            sec, frac = header.getts()
        self._pending.append((sec, frac, caplen, header[3], bytes(data[:caplen])))
        self._pending_bytes += caplen
        if self._pending_bytes >= _FLUSH_BYTES or len(self._pending) >= _FLUSH_RECORDS:
            self.flush()

    def flush(self) -> None:
        """Write buffered packets to the file now (beyond pcapy)."""
        if (not self._finalizer.alive or self._state["error"]) and self._unwritable():
            return
        self._pending_bytes = 0
        try:
            _write(self._h, self._pending)
        except PcapError as err:
            self._pending.clear()
            # The exit hook may have closed it while this thread wrote.
            if not getattr(self._finalizer, "alive") and self._closed_at_exit():  # noqa: B009 (mypy narrows .alive)
                return  # closed by the exit hook while this thread wrote
            self._state["error"] = str(err)
            raise

    def close(self) -> None:
        """Write everything and close the file. Idempotent."""
        self._state["closed_by_user"] = True
        self._finalizer()

    def _unwritable(self) -> bool:
        """For a dumper closed or failed: True when Python's exit closed it
        (the write is dropped, see _closed_at_exit); else raises PcapError."""
        if not self._finalizer.alive:
            if self._closed_at_exit():
                return True
            raise PcapError("Dumper is already closed.")
        raise PcapError(self._state["error"])

    def _closed_at_exit(self) -> bool:
        """Closed by Python's exit, not by close(): a daemon thread still
        dumping while the interpreter exits loses its late packets without a
        traceback, as the rest of its work is abandoned."""
        return not self._state["closed_by_user"]

    def __enter__(self) -> "Dumper":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<pcapy.Dumper {'open' if self._finalizer.alive else 'closed'}>"
