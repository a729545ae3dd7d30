"""read_columns and read_dataframe: a whole capture decoded in Go into columns.

Go reads and decodes the packets (files concurrently, one goroutine per
file); Python allocates one numpy array per column and Go copies the column
into it, so there is no per-packet Python work. numpy and pandas are imported
only when these functions are called: ``import pcapy`` stays light.
"""

from __future__ import annotations

import importlib
import os
import warnings
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from . import _batch
from ._column_jobs import address_table, export, file_job, files_job, reader_job
from ._column_spec import DTYPES as DTYPES  # pcapy.dask's names for them
from ._column_spec import FIELDS
from ._core import call, go
from ._errors import PcapError
from ._reader import Reader

if TYPE_CHECKING:  # pragma: no cover
    import numpy
    import pandas

Source = Union[str, "os.PathLike[str]", Reader, Iterable[Union[str, "os.PathLike[str]"]]]

ON_ERROR = ("raise", "warn")

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


def _need(module: str, function: str, extra: str = "analysis") -> Any:
    """Import an optional dependency, saying what to install when missing
    (gopcapy's extra that brings it, or the module itself)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"pcapy.{function}() needs {module}, which is not installed: "
            f"pip install 'gopcapy[{extra}]' (or pip install {module})"
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


def _columns_dict(np: Any, names: list[str], cols: dict[str, Any], table: list[str]) -> dict[str, Any]:
    """read_columns' form of exported columns: src/dst as address strings
    (iter_columns makes its chunks with it)."""
    if "src" in cols or "dst" in cols:
        fill = _batch.hotpath().fill_objects  # one pass in C (python/csrc/_addresses.c)
        addresses = tuple(table)
        for name in ("src", "dst"):
            if name in cols:
                codes = np.ascontiguousarray(cols[name], dtype=np.int32)
                strings = np.empty(len(codes), dtype=object)
                fill(strings, codes, addresses, "")
                cols[name] = strings
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


def _dataframe(pd: Any, names: list[str], cols: dict[str, Any], table: list[str]) -> "pandas.DataFrame":
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
          count: int, progress: bool, on_error: str) -> tuple[list[str], dict[str, Any], list[str]]:
    """Check the arguments, run a Go job and export its columns."""
    names, count = check_args(filter, fields, count, on_error)
    cols = None
    if isinstance(source, Reader):
        job, damage = reader_job(source, filter, count, progress, names)
    else:
        paths = _paths(source)
        direct = file_job(np, paths[0], filter, count, progress, names) if len(paths) == 1 else None
        if direct:
            job, damage, cols = direct
        else:
            job, damage = files_job(paths, filter, count, progress, names)
    try:
        for message in damage:
            if on_error == "raise":
                raise PcapError(message)
            warnings.warn(f"{message}; returning the packets read before", RuntimeWarning, stacklevel=3)
        if cols is not None:
            table = address_table(job) if "src" in names or "dst" in names else []
            return names, cols, table
        return names, *export(np, job, names)
    finally:
        call(go.pybridge_ColumnsFree, job)


def check_args(filter: Optional[str], fields: Optional[Iterable[str]], count: int,  # noqa: A002
               on_error: str, **ints: int) -> tuple[list[str], int]:
    """Check the arguments every columnar reader takes (and the further int
    arguments in ints); return the column names and count (0: all, as Go
    takes it)."""
    if filter is not None and not isinstance(filter, str):
        raise TypeError(f"filter must be a str or None, not {type(filter).__name__}")
    names = _field_names(fields)
    for what, value in (("count", count), *ints.items()):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'warn', not {on_error!r}")
    return names, max(count, 0)


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
        path = _path_text(item)
        if "\n" in path or "\0" in path:
            raise ValueError(f"invalid path {path!r}")
        paths.append(path)
    return paths


def _path_text(item: Any) -> str:
    """One path given as a str or an os.PathLike, as a str (pcapy.dask's too)."""
    if not isinstance(item, (str, os.PathLike)):
        raise TypeError(f"paths must be str or os.PathLike, not {type(item).__name__}")
    path = os.fspath(item)
    if not isinstance(path, str):
        raise TypeError("paths must be str, not bytes")
    return path


# pcapy.dask exports its range jobs' columns with read_columns' export.
_export = export
