"""pcapy.dask: many and large captures as one Dask DataFrame.

``read_pcaps`` turns capture files (a path, a glob, a list, fsspec URLs)
into a lazy ``dask.dataframe.DataFrame`` with the columns of
``pcapy.read_dataframe``: one partition per file, and files larger than
``chunk_bytes`` split into byte ranges that workers read independently. The
decoding stays in Go: a partition is one Go call. It runs on any Dask
scheduler, including a ``distributed`` cluster of many machines.

Needs the ``dask`` extra (``pip install 'gopcapy[dask]'``); ``import pcapy``
does not import this module or Dask.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Optional, Union

from . import _columns, _flows
from ._columns import DTYPES, ON_ERROR
from ._core import call, go
from ._errors import PcapError

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe
    import pandas

__all__ = ["read_pcaps", "read_flows", "DEFAULT_CHUNK_BYTES"]

Paths = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]

# A partition's size: large enough that a partition's fixed cost (a Dask
# task, finding its first record, building a DataFrame: a few milliseconds,
# see bench/dask_bench.py) vanishes, small enough that a worker holds
# several: at 49 bytes a row, 128 MiB of capture make 8 MB of columns for
# 800-byte packets, 80 MB for the smallest.
DEFAULT_CHUNK_BYTES = 128 << 20

# Flow tables merged per task in read_flows' ordered reduction tree: few
# levels for thousands of partitions, and a merge task's inputs stay small.
_MERGE_EVERY = 8

# The first bytes of a file: enough for a pcap header or a pcapng section
# header and its interface blocks. Remote ranges are fetched with this much
# after their end too (the next range's first records); more on demand.
_HEAD = 64 << 10
# Magic numbers of the formats Go reads in byte ranges: pcap 2.4 (µs, ns,
# both byte orders) and pcapng.
_SPLITTABLE = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
_PCAPNG = b"\x0a\x0d\x0d\x0a"
_GLOB = re.compile(r"[*?\[]")  # what makes a path a glob, as for fsspec's glob()


class Part(NamedTuple):
    """One partition: the packets of path between the record boundaries at
    or after start and end (whole: the file read as read_dataframe does).
    lo and hi: its divisions on ts (ns) when known; hi is inclusive only in
    the last partition."""

    path: str
    start: int
    end: int
    size: int
    whole: bool
    lo: Optional[int] = None
    hi: Optional[int] = None
    last: bool = False


def read_pcaps(
    paths: Paths,
    filter: Optional[str] = None,  # noqa: A002 (pcapy's name for it)
    *,
    fields: Optional[Iterable[str]] = None,
    chunk_bytes: Optional[int] = DEFAULT_CHUNK_BYTES,
    on_error: str = "raise",
    index: Optional[str] = None,
    storage_options: Optional[dict[str, Any]] = None,
) -> "dask.dataframe.DataFrame":
    """Read capture files into a lazy Dask DataFrame, one row per packet.

    Args:
        paths: a capture file's path or URL, a glob (``"caps/*.pcap"``,
            matches in natural order: ``x.pcap2`` before ``x.pcap10``), or a
            list of them (in that order). URLs are fsspec's (``s3://...``,
            ``file://...``, ``memory://...``); local paths are read by Go
            directly, other files through fsspec.
        filter: a BPF filter expression: only matching packets become rows.
        fields: the columns to return, in this order (default: all).
        chunk_bytes: files larger than this are split into byte ranges of
            about this size, one partition each (``None``: one partition per
            file). pcap 2.4 and pcapng files can be split; other files are
            read whole.
        on_error: what a capture damaged midway does: ``"raise"`` raises
            PcapError naming the file; ``"warn"`` keeps the rows read before
            the damage in that partition and warns (RuntimeWarning, in the
            process that reads the partition). Other partitions of the file
            still read their ranges, so a split file may keep more rows after
            the damage than read_dataframe, which stops there.
        index: ``"ts"`` makes the timestamp the index (each partition sorted
            by it) and, for local pcap 2.4 and pcapng files, gives the frame
            known divisions: the first packet's time of each partition, from
            reading one record of each. They need the partitions in time
            order (rotated captures are); when the first and last times say
            otherwise, divisions stay unknown, and a partition holding a
            packet out of its divisions (reordered across a boundary) fails
            with ValueError. ``None`` (default): each partition's own 0..n-1.
        storage_options: passed to fsspec for URLs (credentials...).

    Returns:
        A dask DataFrame whose partitions are in file order and, within a
        file, in byte order; its columns and dtypes are read_dataframe's (src
        and dst as categoricals whose categories each partition knows; ts
        as the index with ``index="ts"``).

    Raises:
        ImportError: dask (or fsspec) is not installed.
        PcapError: a file does not exist or a glob matches nothing (when
            called); a file cannot be read, is damaged, or cannot be split
            where the range boundaries fall (when computed; naming the file).
        TypeError, ValueError: bad arguments.
    """
    dd = _need("dask.dataframe")
    fsspec = _need("fsspec")
    pd = _need("pandas")
    np = _need("numpy")
    if filter is not None and not isinstance(filter, str):
        raise TypeError(f"filter must be a str or None, not {type(filter).__name__}")
    names = _columns._field_names(fields)
    _check_options(chunk_bytes, on_error, storage_options)
    if index is not None and index != "ts":
        raise ValueError(f"index must be None or 'ts', not {index!r}")
    if index and "ts" not in names:
        raise ValueError("index='ts' needs the ts field")
    fs, files = _expand(fsspec, paths, storage_options or {})
    parts = [part for path in files for part in _plan(fs, path, chunk_bytes)]
    local = _is_local(fs)
    meta = _meta(pd, np, dd, names)
    divisions = None
    if index:
        meta = meta.set_index("ts")
        if local:
            parts, divisions = _divisions(np, pd, fs, parts)
    reader = _PartReader(filter or "", tuple(names), on_error, None if local else fs, index)
    frame: dask.dataframe.DataFrame = dd.from_map(
        reader, parts, meta=meta, divisions=divisions, label="read-pcaps", enforce_metadata=False)
    return frame


def read_flows(
    paths: Paths,
    filter: Optional[str] = None,  # noqa: A002 (pcapy's name for it)
    *,
    chunk_bytes: Optional[int] = DEFAULT_CHUNK_BYTES,
    idle_timeout: Optional[float] = _flows.IDLE_TIMEOUT,
    active_timeout: Optional[float] = _flows.ACTIVE_TIMEOUT,
    bidirectional: bool = True,
    on_error: str = "raise",
    storage_options: Optional[dict[str, Any]] = None,
    compute: bool = False,
) -> "Union[dask.dataframe.DataFrame, pandas.DataFrame]":
    """pcapy.read_flows over many and large captures, on any Dask scheduler:
    the files (read one after the other as one capture, as read_flows reads
    a list: a flow may continue across rotated files) are split into the
    partitions of read_pcaps, each partition's flow table is computed in Go
    by a worker, and the tables are merged in file and byte order by
    pcapy.merge_flows (a tree of tasks merging up to 8 consecutive tables
    each), so a flow crossing a partition or file boundary is one flow.

    Args:
        paths, filter, chunk_bytes, storage_options: as for read_pcaps.
        idle_timeout, active_timeout, bidirectional: as for pcapy.read_flows.
        on_error: ``"raise"``: a damaged or missing file raises PcapError
            naming it; ``"warn"``: the packets before the damage are counted
            (RuntimeWarning, in the process that reads the partition). As
            in read_pcaps, the later partitions of a split file still read
            their ranges, where read_flows stops at the damage and goes on
            with the next file.
        compute: False (default): a lazy dask DataFrame of one partition
            (flow tables are small next to their packets), nothing read until
            it is computed; True: compute it now, on the current scheduler
            (the active distributed Client, if any), and return the pandas
            DataFrame.

    Returns:
        read_flows' columns and rows: one row per flow, in the order of the
        flows' first packets. Equal to ``pcapy.read_flows(files, ...)``
        except where merge_flows is inexact: a flow that crosses a partition
        boundary and is later cut by the active timeout is cut later (see
        merge_flows; packets and bytes in all are the same).

    Raises:
        As read_pcaps: ImportError, PcapError (a missing file when called; a
        damaged one when computed), TypeError and ValueError for bad
        arguments.
    """
    dd = _need("dask.dataframe")
    dask = _need("dask")
    fsspec = _need("fsspec")
    pd = _need("pandas")
    np = _need("numpy")
    if filter is not None and not isinstance(filter, str):
        raise TypeError(f"filter must be a str or None, not {type(filter).__name__}")
    _check_options(chunk_bytes, on_error, storage_options)
    timeouts = dict(idle_timeout=idle_timeout, active_timeout=active_timeout, bidirectional=bidirectional)
    _flows._timeout_ns(idle_timeout, "idle_timeout")
    _flows._timeout_ns(active_timeout, "active_timeout")
    for name, flag in (("bidirectional", bidirectional), ("compute", compute)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, not {type(flag).__name__}")
    fs, files = _expand(fsspec, paths, storage_options or {})
    parts = [part for path in files for part in _plan(fs, path, chunk_bytes)]
    reader = _FlowsReader(filter or "", on_error, None if _is_local(fs) else fs, timeouts)
    level = [dask.delayed(reader)(part, dask_key_name=f"read-flows-{dask.base.tokenize(reader, part)}")
             for part in parts]
    merge = dask.delayed(_merge_flows, pure=True)
    while len(level) > 1:
        level = [merge(level[i:i + _MERGE_EVERY], timeouts) for i in range(0, len(level), _MERGE_EVERY)]
    if compute:
        return level[0].compute()
    return dd.from_delayed(level[0:1], meta=_flows_meta(np, pd, dd), verify_meta=False)


def _check_options(chunk_bytes: Any, on_error: Any, storage_options: Any) -> None:
    """The checks of the arguments read_pcaps and read_flows share."""
    if chunk_bytes is not None:
        if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int):
            raise TypeError(f"chunk_bytes must be an int or None, not {type(chunk_bytes).__name__}")
        if chunk_bytes <= 0:
            raise ValueError(f"chunk_bytes must be positive, not {chunk_bytes}")
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'warn', not {on_error!r}")
    if storage_options is not None and not isinstance(storage_options, dict):
        raise TypeError("storage_options must be a dict or None")


class _FlowsReader:
    """The flow table of one partition (a picklable callable, run by a
    worker): a whole local file streams through pcapy.read_flows, a byte
    range becomes a Go column job of the flow fields, counted into flows."""

    def __init__(self, filter: str, on_error: str, fs: Any, timeouts: dict[str, Any]) -> None:  # noqa: A002
        self.filter, self.on_error, self.fs, self.timeouts = filter, on_error, fs, timeouts

    def __call__(self, part: Part) -> "pandas.DataFrame":
        import numpy as np

        if self.fs is None and part.whole:
            return _flows.read_flows(part.path, self.filter or None, on_error=self.on_error, **self.timeouts)
        job = _range_job(np, self.fs, part, self.filter, list(_flows.FLOW_FIELDS), self.on_error)
        return _flows.flows_of_column_jobs(
            [job], _flows._timeout_ns(self.timeouts["idle_timeout"], "idle_timeout"),
            _flows._timeout_ns(self.timeouts["active_timeout"], "active_timeout"), self.timeouts["bidirectional"])


def _merge_flows(tables: list[Any], timeouts: dict[str, Any]) -> "pandas.DataFrame":
    """One node of read_flows' reduction: consecutive tables, in order."""
    return _flows.merge_flows(tables, **timeouts)


def _flows_meta(np: Any, pd: Any, dd: Any) -> "pandas.DataFrame":
    """An empty frame of read_flows' columns; src_ip and dst_ip categoricals
    of unknown categories."""
    meta = _flows._frame(np, pd, {n: np.empty(0, t) for n, t in _flows._GO_COLUMNS.items()}, [])
    unknown = pd.CategoricalDtype(pd.Index([dd.utils.UNKNOWN_CATEGORIES]))
    for name in ("src_ip", "dst_ip"):
        meta[name] = meta[name].astype(unknown)
    return meta


def _meta(pd: Any, np: Any, dd: Any, names: list[str]) -> "pandas.DataFrame":
    """An empty frame of read_dataframe's columns, with src and dst as
    categoricals of unknown categories (each partition has its own)."""
    meta = _columns._dataframe(pd, names, {n: np.empty(0, DTYPES[n]) for n in names}, [])
    unknown = pd.CategoricalDtype(pd.Index([dd.utils.UNKNOWN_CATEGORIES]))
    for name in ("src", "dst"):
        if name in meta:
            meta[name] = meta[name].astype(unknown)
    return meta


def _divisions(np: Any, pd: Any, fs: Any, parts: list[Part]) -> tuple[list[Part], Optional[tuple[Any, ...]]]:
    """Divisions on ts from each partition's first and last packet times
    (Go reads one record and the last few hundred KiB of each), with each
    part told its bounds; None when they are not in order or a partition
    has no packets, cannot be read in ranges or is damaged."""
    times = np.zeros(3, np.int64)
    firsts, lasts = [], []
    for part in parts:
        with fs.open(part.path, "rb") as f:
            magic = f.read(4)
        if magic not in _SPLITTABLE and magic != _PCAPNG:
            return parts, None
        try:
            call(go.pybridge_ColumnsRangeTimes, part.path, part.start, part.end, times.ctypes.data)
        except PcapError:  # damage: reading the partition will say so, if it matters
            return parts, None
        if not times[2]:
            return parts, None
        firsts.append(int(times[0]))
        lasts.append(int(times[1]))
    if any(a >= b for a, b in zip(firsts, firsts[1:])) or any(a >= b for a, b in zip(lasts, firsts[1:])):
        return parts, None
    bounds = firsts + [max(lasts[-1], firsts[-1])]
    parts = [p._replace(lo=bounds[i], hi=bounds[i + 1], last=i == len(parts) - 1) for i, p in enumerate(parts)]
    return parts, tuple(pd.Timestamp(b, unit="ns", tz="UTC") for b in bounds)


def _string_categories(pd: Any, frame: "pandas.DataFrame") -> "pandas.DataFrame":
    """Give src and dst categories of pandas' default string type (str under
    pandas 3) instead of read_dataframe's object: Dask combines partitions'
    categories with union_categoricals, whose result has the default type,
    and cannot combine it with object categories afterwards."""
    for name in ("src", "dst"):
        if name in frame:
            col = frame[name].array
            dtype = pd.CategoricalDtype(pd.Index(col.categories.tolist()))
            frame[name] = pd.Categorical.from_codes(col.codes, dtype=dtype)
    return frame


def _need(module: str) -> Any:
    """Import an optional dependency, saying what to install when missing."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"pcapy.dask needs {module.split('.')[0]}, which is not installed: pip install 'gopcapy[dask]'"
        ) from exc


def _expand(fsspec: Any, paths: Paths, storage_options: dict[str, Any]) -> tuple[Any, list[str]]:
    """The filesystem and the files named by paths (globs expanded)."""
    if isinstance(paths, (str, os.PathLike)):
        items = [paths]
    elif isinstance(paths, (list, tuple)):
        items = list(paths)
    else:
        raise TypeError(f"paths must be a path, a glob or a list of them, not {type(paths).__name__}")
    if not items:
        raise ValueError("paths is empty")
    fs, files = None, []
    for item in items:
        text = _columns._path_text(item)
        item_fs, path = fsspec.core.url_to_fs(text, **storage_options)
        if fs is None:
            fs = item_fs
        elif item_fs != fs:
            raise ValueError(f"all paths must be on one filesystem: {text!r} is not on {fs.protocol}")
        if _GLOB.search(path):
            matches = sorted(fs.glob(path), key=_natural)
            if not matches:
                raise PcapError(f"{text}: no file matches")
            files += matches
        else:
            files.append(path)
    return fs, files


def _natural(path: str) -> list[Any]:
    """Sort key putting rotated files in order: x.pcap2 before x.pcap10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def _is_local(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


def _plan(fs: Any, path: str, chunk_bytes: Optional[int]) -> list[Part]:
    """A file's partitions: the whole file, or ranges of about chunk_bytes."""
    try:
        size = int(fs.size(path))
    except FileNotFoundError:
        raise PcapError(f"{path}: No such file or directory") from None
    except OSError as exc:
        raise PcapError(f"{path}: {exc}") from None
    if chunk_bytes is None or size <= chunk_bytes:
        return [Part(path, 0, size, size, True)]
    with fs.open(path, "rb") as f:
        magic = f.read(4)
    if magic not in _SPLITTABLE and magic != _PCAPNG:
        return [Part(path, 0, size, size, True)]
    n = -(-size // chunk_bytes)
    cuts = [size * i // n for i in range(n + 1)]
    return [Part(path, a, b, size, False) for a, b in zip(cuts, cuts[1:])]


class _PartReader:
    """Reads one partition (a picklable callable: Dask sends it to workers).
    fs is None for local files, which Go reads itself."""

    def __init__(self, filter: str, names: tuple[str, ...], on_error: str, fs: Any,  # noqa: A002
                 index: Optional[str]) -> None:
        self.filter, self.names, self.on_error, self.fs, self.index = filter, names, on_error, fs, index

    def __call__(self, part: Part) -> "pandas.DataFrame":
        import pandas as pd

        frame = _string_categories(pd, self._read(part))
        if not self.index:
            return frame
        frame = frame.set_index("ts")
        if not frame.index.is_monotonic_increasing:
            frame = frame.sort_index(kind="stable")
        if part.lo is not None and len(frame):
            lo, hi = frame.index[0].value, frame.index[-1].value
            if lo < part.lo or hi > part.hi or hi == part.hi and not part.last:
                raise ValueError(
                    f"{part.path}: packets out of time order across partitions (bytes {part.start}-{part.end} "
                    f"hold times {lo}..{hi} ns, outside its division {part.lo}..{part.hi}): "
                    "read with index=None and set the index with Dask (df.set_index('ts'))")
        return frame

    def _read(self, part: Part) -> "pandas.DataFrame":
        import numpy as np
        import pandas as pd

        names = list(self.names)
        if self.fs is None and part.whole:
            return _columns.read_dataframe(part.path, self.filter or None, fields=names, on_error=self.on_error)
        job = _range_job(np, self.fs, part, self.filter, names, self.on_error)
        try:
            cols, table = _columns._export(np, job, names)
        finally:
            call(go.pybridge_ColumnsFree, job)
        return _columns._dataframe(pd, names, cols, table)


def _range_job(np: Any, fs: Any, part: Part, filter: str, names: list[str],  # noqa: A002
               on_error: str) -> int:
    """The Go column job of a partition's packets (fs None: a local file Go
    reads itself), its damage raised or warned about as on_error says."""
    if fs is None:
        job = call(go.pybridge_ColumnsReadRange, part.path, part.start, part.end, filter, "\n".join(names))
    else:
        job = _remote_job(np, fs, part, filter, names)
    try:
        damage = call(go.pybridge_ColumnsDamage, job)
        for message in damage.split("\n") if damage else []:
            if on_error == "raise":
                raise PcapError(message)
            warnings.warn(f"{message}; keeping the packets read before", RuntimeWarning, stacklevel=3)
    except BaseException:
        call(go.pybridge_ColumnsFree, job)
        raise
    return job


def _remote_job(np: Any, fs: Any, part: Part, filter: str, names: list[str]) -> int:  # noqa: A002
    """Read a range of a file fsspec opens: its head and the range's bytes
    (with the lookback before and a margin after) go to Go as memory; when
    Go needs bytes it was not given, fetch more and call again."""
    lookback = call(go.pybridge_ColumnsRangeLookback)
    try:
        f = fs.open(part.path, "rb")
    except FileNotFoundError:
        raise PcapError(f"{part.path}: No such file or directory") from None
    except OSError as exc:
        raise PcapError(f"{part.path}: {exc}") from None
    with f:
        head = f.read(min(part.size, _HEAD))
        lo = 0 if part.whole else max(0, part.start - lookback)
        hi = part.size if part.whole else min(part.size, part.end + _HEAD)
        for _ in range(64):
            f.seek(lo)
            data = f.read(hi - lo)
            if len(data) != hi - lo:
                raise PcapError(f"{part.path}: the file is shorter than its {part.size} bytes")
            head_arr = np.frombuffer(head, np.uint8)
            data_arr = np.frombuffer(data, np.uint8)
            rc = call(go.pybridge_ColumnsReadRangeMemory, part.path, part.size,
                      head_arr.ctypes.data, len(head), lo, data_arr.ctypes.data, len(data),
                      part.start, part.end, filter, "\n".join(names))
            if rc >= 0:
                return rc
            missing = -rc - 1
            if missing < lo:
                lo = max(0, min(missing, lo - (hi - lo)))
            else:
                hi = min(part.size, max(missing + 1, hi + (hi - lo)))
    raise PcapError(f"{part.path}: cannot find the records of bytes {part.start}-{part.end}")
