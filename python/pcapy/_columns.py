"""read_columns and read_dataframe: a whole capture decoded in Go into columns.

Go reads and decodes the packets (files concurrently, one goroutine per
file); Python allocates one numpy array per column and Go copies the column
into it, so there is no per-packet Python work. numpy and pandas are imported
only when these functions are called: ``import pcapy`` stays light.
"""

from __future__ import annotations

import importlib
import os
import struct
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from ._core import call, go
from ._errors import PcapError
from ._reader import Reader

if TYPE_CHECKING:  # pragma: no cover
    import numpy
    import pandas

Source = Union[str, "os.PathLike[str]", Reader, Iterable[Union[str, "os.PathLike[str]"]]]

# The columns, in their default order, with their numpy types (native byte
# order). "src" and "dst" come from Go as int32 codes into an address table.
DTYPES: dict[str, str] = {
    "ts": "i8",  # nanoseconds since the epoch
    "caplen": "u4",
    "len": "u4",
    "linktype": "u2",
    "eth_type": "i4",
    "vlan": "i2",
    "ip_version": "u1",
    "src": "i4",
    "dst": "i4",
    "proto": "i2",
    "sport": "i4",
    "dport": "i4",
    "tcp_flags": "i2",
    "payload_len": "i4",
}
FIELDS = tuple(DTYPES)
ON_ERROR = ("raise", "warn")

# Packets per Go call when reading from a Reader: big enough that the call
# costs nothing, small enough for a lively progress bar.
_CHUNK = 65536
# Longest wait in one Go call: Ctrl-C is seen between calls.
_WAIT_MS = 100
_RECORD = struct.Struct("=qIIIII")  # the batch layout Go reads (see batch.go)

_DOC_ARGS = """
    Args:
        source: a capture file's path (str or os.PathLike), a list of paths
            (read concurrently, one goroutine per file on all cores; rows in
            the order of the list), or an open ``Reader``: its packets not yet
            returned, up to ``count`` (a live capture stops when ``to_ms``
            passes without a packet, as ``next()`` would return ``(None, b'')``).
        filter: a BPF filter expression: only matching packets become rows.
            On a Reader it is set with ``reader.setfilter``.
        fields: the columns to return, in this order (default: all).
        count: at most this many rows (``0`` or less: all, as in ``loop``).
        progress: show a progress bar (bytes of the files read) on stderr,
            or as a cell output in a notebook.
        on_error: what a capture damaged midway does: ``"raise"`` raises
            PcapError saying after how many packets; ``"warn"`` returns the
            rows read before the damage and warns (RuntimeWarning).

    Columns, one row per packet (absent values are -1, ``ip_version`` 0):
        ts (int64 ns since the epoch; full precision for nanosecond files
        read by path, the Reader's precision for a Reader), caplen, len,
        linktype (DLT_*), eth_type (EtherType after VLAN tags; 0x0800/0x86DD
        for raw IP and loopback), vlan (outermost 802.1Q/802.1ad ID),
        ip_version (0, 4, 6), src, dst (IP addresses), proto (IP protocol,
        after IPv6 extension headers), sport, dport (TCP/UDP; -1 for other
        protocols and non-first fragments), tcp_flags (the TCP flags byte),
        payload_len (bytes after the last decoded header, from the headers'
        length fields: TCP/UDP payload, the IP payload of other protocols,
        what follows the link header of non-IP frames). Link types:
        Ethernet (802.1Q/802.1ad), Linux SLL and SLL2, raw IP, BSD loopback
        (NULL, LOOP); other link types give only ts, caplen, len, linktype.

    Raises:
        ImportError: numpy (or pandas) is not installed.
        PcapError: a file cannot be opened, the filter does not compile, or
            (with ``on_error="raise"``) a capture is damaged midway.
        TypeError, ValueError: bad arguments; ValueError too for a packet
            whose timestamp int64 nanoseconds cannot hold (before 1677-09-21
            or after 2262-04-11, pcapng only): leave out ``ts`` (``fields``)
            or read such a file with ``next()``.
"""


def _need(module: str, function: str) -> Any:
    """Import an optional dependency, saying what to install when missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"pcapy.{function}() needs {module}, which is not installed: "
            f"pip install 'gopcapy[analysis]' (or pip install {module})"
        ) from exc


def read_columns(
    source: Source,
    filter: Optional[str] = None,  # noqa: A002 (pcapy's name for it)
    *,
    fields: Optional[Iterable[str]] = None,
    count: int = -1,
    progress: bool = False,
    on_error: str = "raise",
) -> dict[str, "numpy.ndarray"]:
    """Decode a capture into columns: a dict of numpy arrays, one row per packet.

    ``src`` and ``dst`` are object arrays of address strings (``''`` for
    packets without IP); every other column is a numeric array.
    """
    np = _need("numpy", "read_columns")
    names, cols, table = _read(np, source, filter, fields, count, progress, on_error)
    return _columns_dict(np, names, cols, table)


def _columns_dict(np: Any, names: list[str], cols: dict, table: list[str]) -> dict:
    """read_columns' form of exported columns: src/dst as address strings
    (iter_columns makes its chunks with it)."""
    if "src" in cols or "dst" in cols:
        lookup = np.array(table + [""], dtype=object)  # code -1 picks ''
        for name in ("src", "dst"):
            if name in cols:
                cols[name] = lookup[cols[name]]
    return {name: cols[name] for name in names}


def read_dataframe(
    source: Source,
    filter: Optional[str] = None,  # noqa: A002
    *,
    fields: Optional[Iterable[str]] = None,
    count: int = -1,
    progress: bool = False,
    on_error: str = "raise",
) -> "pandas.DataFrame":
    """Decode a capture into a pandas DataFrame, one row per packet.

    Like read_columns, except: ``ts`` is a ``datetime64[ns, UTC]`` column;
    ``src`` and ``dst`` are categoricals sharing one set of categories (the
    distinct addresses), NaN for packets without IP.
    """
    np = _need("numpy", "read_dataframe")
    pd = _need("pandas", "read_dataframe")
    names, cols, table = _read(np, source, filter, fields, count, progress, on_error)
    return _dataframe(pd, names, cols, table)


def _dataframe(pd: Any, names: list[str], cols: dict, table: list[str]) -> "pandas.DataFrame":
    """The DataFrame of exported columns (pcapy.dask builds its partitions with it)."""
    data: dict[str, Any] = {}
    addresses = pd.CategoricalDtype(pd.Index(table, dtype=object))
    for name in names:
        col = cols[name]
        if name == "ts":
            col = pd.DatetimeIndex(col.view("M8[ns]")).tz_localize("UTC")
        elif name in ("src", "dst"):
            col = pd.Categorical.from_codes(col, dtype=addresses)
        data[name] = col
    return pd.DataFrame(data, columns=list(names), copy=False)


read_columns.__doc__ = (read_columns.__doc__ or "") + _DOC_ARGS
read_dataframe.__doc__ = (read_dataframe.__doc__ or "") + _DOC_ARGS


def _read(np: Any, source: Source, filter: Optional[str], fields: Optional[Iterable[str]],  # noqa: A002
          count: int, progress: bool, on_error: str) -> tuple[list[str], dict, list[str]]:
    """Check the arguments, run a Go job and export its columns."""
    if filter is not None and not isinstance(filter, str):
        raise TypeError(f"filter must be a str or None, not {type(filter).__name__}")
    names = _field_names(fields)
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"count must be an int, not {type(count).__name__}")
    count = max(count, 0)  # 0: all, as Go takes it
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'warn', not {on_error!r}")
    if isinstance(source, Reader):
        job, damage = _reader_job(source, filter, count, progress, names)
    else:
        job, damage = _files_job(_paths(source), filter, count, progress, names)
    try:
        for message in damage:
            if on_error == "raise":
                raise PcapError(message)
            warnings.warn(f"{message}; returning the packets read before", RuntimeWarning, stacklevel=3)
        return names, *_export(np, job, names)
    finally:
        call(go.pybridge_ColumnsFree, job)


def _field_names(fields: Optional[Iterable[str]]) -> list[str]:
    if fields is None:
        return list(FIELDS)
    if isinstance(fields, (str, bytes)):
        raise TypeError("fields must be a list of column names, not a single string")
    names: list[str] = []
    for name in fields:
        if name not in DTYPES:
            raise ValueError(f"unknown field {name!r}; the fields are: {', '.join(FIELDS)}")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError("fields must name at least one column")
    return names


def _paths(source: Any) -> list[str]:
    if isinstance(source, (str, os.PathLike)):
        items = [source]
    elif isinstance(source, (list, tuple)):
        items = list(source)
    else:
        raise TypeError(
            "source must be a path, a list of paths or a pcapy Reader, "
            f"not {type(source).__name__}"
        )
    paths = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"paths must be str or os.PathLike, not {type(item).__name__}")
        path = os.fspath(item)
        if not isinstance(path, str):
            raise TypeError("paths must be str, not bytes")
        if "\n" in path or "\0" in path:
            raise ValueError(f"invalid path {path!r}")
        paths.append(path)
    return paths


def _files_job(paths: list[str], filter: Optional[str], count: int,  # noqa: A002
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
    bar = _Progress(total, "bytes") if progress else None
    try:
        while not call(go.pybridge_ColumnsWait, job, _WAIT_MS):
            if bar:
                bar.update(call(go.pybridge_ColumnsProgress, job))
        if bar:
            bar.update(call(go.pybridge_ColumnsProgress, job), done=True)
        damage = call(go.pybridge_ColumnsDamage, job)
    except BaseException:
        call(go.pybridge_ColumnsFree, job)
        raise
    finally:
        if bar:
            bar.close()
    return job, damage.split("\n") if damage else []


def _reader_job(reader: Reader, filter: Optional[str], count: int,  # noqa: A002
                progress: bool, names: list[str]) -> tuple[int, list[str]]:
    """Decode a Reader's packets: those it already read ahead (decoded from
    their bytes), then the rest straight from its Go handle."""
    reader._check_open()
    if filter is not None:
        reader.setfilter(filter)
    job = call(go.pybridge_ColumnsNew, "\n".join(names))
    bar = _Progress(0, "packets") if progress else None
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


def _held_packets(reader: Reader, count: int) -> list:
    """The packets the reader already read from Go and not yet returned,
    taken through next() so that the reader's own bookkeeping stays right."""
    pending = getattr(reader, "_pending", None)
    if pending is not None:
        held = pending()
    else:  # pragma: no cover - older readers
        from operator import length_hint

        held = length_hint(reader._it)
    if count:
        held = min(held, count)
    return [reader.next() for _ in range(held)]


def _records(pairs: list) -> tuple[bytes, int]:
    """Packets in the batch layout Go decodes (nanosecond fractions)."""
    head = bytearray()
    off = len(pairs) * _RECORD.size
    pack = _RECORD.pack
    for hdr, data in pairs:
        sec, nsec = divmod(hdr.getts_ns(), 1_000_000_000)
        head += pack(sec, nsec, len(data), hdr.getlen(), off, off + len(data))
        off += len(data)
    return bytes(head) + b"".join(data for _, data in pairs), len(pairs)


def _export(np: Any, job: int, names: list[str]) -> tuple[dict, list[str]]:
    """Copy the job's columns into new numpy arrays; src/dst as codes."""
    rows = call(go.pybridge_ColumnsRows, job)
    table: list[str] = []
    if "src" in names or "dst" in names:
        text = call(go.pybridge_ColumnsAddresses, job)
        table = text.split("\n") if text else []
    cols = {}
    for name in names:
        arr = np.empty(rows, dtype=DTYPES[name])
        if rows:
            call(go.pybridge_ColumnsExport, job, name, arr.ctypes.data, arr.nbytes)
        cols[name] = arr
    return cols, table


class _Progress:
    """A progress bar: a cell output updated in place in a notebook, a line
    redrawn on stderr in a terminal (only the final line when stderr is not
    a terminal). total 0: unknown, a counter."""

    def __init__(self, total: int, unit: str) -> None:
        self.total, self.unit = total, unit
        self.start = self.last = time.monotonic()
        self.handle = None
        self.tty = False
        self.closed = False
        if _in_notebook():
            from IPython.display import HTML, display

            self.html = HTML
            self.handle = display(HTML(self._html(0)), display_id=True)
        else:
            self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()

    def _text(self, n: int) -> str:
        elapsed = time.monotonic() - self.start
        if self.unit == "bytes":
            amount = f"{n / 1e6:,.1f}" + (f"/{self.total / 1e6:,.1f} MB" if self.total else " MB")
        else:
            amount = f"{n:,} packets"
        if self.total:
            frac = min(1.0, n / self.total)
            bar = "#" * int(frac * 30)
            return f"reading [{bar:<30}] {frac:4.0%} {amount} {elapsed:.1f}s"
        return f"reading {amount} {elapsed:.1f}s"

    def _html(self, n: int) -> str:
        value = f'value="{n}" max="{self.total}"' if self.total else ""
        return f'<progress {value} style="width:40%"></progress> <code>{self._text(n)}</code>'

    def update(self, n: int, done: bool = False) -> None:
        now = time.monotonic()
        if not done and now - self.last < 0.1:
            return
        self.last = now
        if done and self.total:
            n = self.total
        if self.handle is not None:
            self.handle.update(self.html(self._html(n)))
        elif self.tty:
            sys.stderr.write("\r" + self._text(n))
            sys.stderr.flush()
        elif done:
            sys.stderr.write(self._text(n) + "\n")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.handle is None and self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
