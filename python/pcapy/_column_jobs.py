"""The Go column jobs behind read_columns and iter_columns: files read in Go
in the background (waited for in slices, so Ctrl-C works), a Reader's
packets decoded batch by batch, and the export of a finished job's columns
into numpy arrays (one copy, by Go, into memory numpy allocated).
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, Callable, Iterator, Optional

from . import _batch
from ._column_spec import DTYPES, FIELDS
from ._core import call, go
from ._errors import PcapError
from ._progress import Progress
from ._reader import Reader

# Packets per Go call when reading from a Reader: big enough that the call
# costs nothing, small enough for a lively progress bar.
_CHUNK = 65536
# Longest wait in one Go call: Ctrl-C is seen between calls.
_WAIT_MS = 100


def files_job(paths: list[str], filter: Optional[str], count: int,  # noqa: A002
               progress: bool, names: list[str]) -> tuple[int, list[str]]:
    """Read files in Go, in the background; wait in slices (Ctrl-C works).
    Go keeps only the columns asked for: less memory to fill is faster."""
    if not paths:
        return call(go.pybridge_ColumnsNew, "\n".join(names)), []
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:
            pass  # libpcap will say what is wrong with it
    job = call(go.pybridge_ColumnsReadFiles, "\n".join(paths), filter or "", count, "\n".join(names))
    with _freed_on_error(job):
        _wait(job, lambda: call(go.pybridge_ColumnsWait, job, _WAIT_MS), total if progress else None)
        return job, _damage(job)


@contextlib.contextmanager
def _freed_on_error(job: int) -> Iterator[None]:
    """Free the job when anything (Ctrl-C too) interrupts its reading."""
    try:
        yield
    except BaseException:
        call(go.pybridge_ColumnsFree, job)
        raise


def _wait(job: int, step: Callable[[], bool], total: Optional[int]) -> None:
    """Call step until it says the job is done, showing a progress bar of
    the job's bytes read when total is not None."""
    bar = Progress(total, "bytes") if total is not None else None
    try:
        while not step():
            if bar:
                bar.update(call(go.pybridge_ColumnsProgress, job))
        if bar:
            bar.update(call(go.pybridge_ColumnsProgress, job), done=True)
    finally:
        if bar:
            bar.close()


def _damage(job: int) -> list[str]:
    """The messages of the job's damaged files whose rows were kept."""
    damage = call(go.pybridge_ColumnsDamage, job)
    return damage.split("\n") if damage else []


def file_job(np: Any, path: str, filter: Optional[str], count: int,  # noqa: A002
             progress: bool, names: list[str]) -> Optional[tuple[int, list[str], dict[str, Any]]]:
    """Read one file straight into numpy arrays (gopcapy/pybridge/columns_direct.go):
    arrays with room for the most rows the file can hold (pages never written
    cost no memory), filled by Go in slices of time (Ctrl-C works), then
    shrunk to the rows read. Returns the job, the damage and the columns, or
    None when the file is not a regular one (or the room cannot be had):
    files_job reads it then."""
    job = call(go.pybridge_ColumnsOpenFile, path, filter or "", count, "\n".join(names))
    if job < 0:
        return None
    with _freed_on_error(job):
        room = call(go.pybridge_ColumnsMaxRows, job)
        try:
            cols = {name: np.empty(room, dtype=DTYPES[name]) for name in names}
        except MemoryError:
            call(go.pybridge_ColumnsFree, job)
            return None
        # Go takes the arrays in the spec's order.
        addrs = np.array([cols[name].ctypes.data for name in FIELDS if name in cols], dtype=np.uint64)
        _wait(job, lambda: call(go.pybridge_ColumnsFill, job, addrs.ctypes.data, len(addrs), room, _WAIT_MS) == 1,
              os.stat(path).st_size if progress else None)
        rows = call(go.pybridge_ColumnsRows, job)
        for arr in cols.values():
            arr.resize(rows, refcheck=False)  # realloc: the pages past rows go back
        return job, _damage(job), cols


def address_table(job: int) -> list[str]:
    """The job's distinct addresses: what its src/dst codes index."""
    text = call(go.pybridge_ColumnsAddresses, job)
    return text.split("\n") if text else []


def reader_job(reader: Reader, filter: Optional[str], count: int,  # noqa: A002
                progress: bool, names: list[str]) -> tuple[int, list[str]]:
    """Decode a Reader's packets: those it already read ahead (decoded from
    their bytes), then the rest straight from its Go handle."""
    reader._check_open()
    if filter is not None:
        reader.setfilter(filter)
    job = call(go.pybridge_ColumnsNew, "\n".join(names))
    bar = Progress(0, "packets") if progress else None
    rows = 0
    damage: list[str] = []
    try:
        held = _held_packets(reader, count)
        if held:
            blob, n = _records(held)
            from . import _core

            handle = _core.go_bytes(blob)
            try:
                call(go.pybridge_ColumnsAppendRecords, job, handle, n, reader.datalink(), True)
            finally:
                _core.release(handle)
            rows = n
        budget = reader._wait_budget_ms()  # None: wait forever, 0: never
        deadline = None if budget is None else time.monotonic() + budget / 1000
        while not count or rows < count:
            want = min(_CHUNK, count - rows) if count else _CHUNK
            wait = 0
            if reader._live:
                left = _WAIT_MS if deadline is None else (deadline - time.monotonic()) * 1000
                wait = int(max(0, min(left, _WAIT_MS)))
            try:
                n = call(go.pybridge_ColumnsFromReader, job, reader._h, want, wait)
            except PcapError as err:
                rows = call(go.pybridge_ColumnsRows, job)
                damage.append(f"{err} (after {rows} packets)")
                break
            if n == 0:
                break
            if n < 0:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                continue
            rows += n
            if budget is not None:
                deadline = time.monotonic() + budget / 1000
            if bar:
                bar.update(rows)
        if bar:
            bar.update(rows, done=True)
    except BaseException:
        call(go.pybridge_ColumnsFree, job)
        raise
    finally:
        if bar:
            bar.close()
    return job, damage


def _held_packets(reader: Reader, count: int) -> list[tuple[Any, bytes]]:
    """The packets the reader already read from Go and not yet returned,
    taken through next() so that the reader's own bookkeeping stays right."""
    held = reader._pending()
    if count:
        held = min(held, count)
    return [reader.next() for _ in range(held)]


def _records(pairs: list[tuple[Any, bytes]]) -> tuple[bytes, int]:
    """Packets in the batch layout Go decodes (nanosecond fractions)."""
    record = _batch.RECORD  # Go's layout (see _batch.layout)
    head = bytearray()
    off = len(pairs) * record.size
    pack = record.pack
    for hdr, data in pairs:
        sec, nsec = divmod(hdr.getts_ns(), 1_000_000_000)
        head += pack(sec, nsec, len(data), hdr.getlen(), off, off + len(data))
        off += len(data)
    return bytes(head) + b"".join(data for _, data in pairs), len(pairs)


def export(np: Any, job: int, names: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Copy the job's columns into new numpy arrays; src/dst as codes."""
    rows = call(go.pybridge_ColumnsRows, job)
    table = address_table(job) if "src" in names or "dst" in names else []
    cols: dict[str, Any] = {}
    for name in names:
        arr = np.empty(rows, dtype=DTYPES[name])
        if rows:
            call(go.pybridge_ColumnsExport, job, name, arr.ctypes.data, arr.nbytes)
        cols[name] = arr
    return cols, table
