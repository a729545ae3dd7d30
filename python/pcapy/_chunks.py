"""iter_columns and iter_dataframes: a capture decoded in Go, chunk by chunk.

Memory stays bounded by a chunk whatever the size of the capture: Go reads
the files in order (a Stream, see gopcapy/stream.go) and hands over one
chunk of rows at a time; Python exports it into numpy arrays, yields it and
lets it go. numpy and pandas are imported only when these are called.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from ._column_jobs import export as _export
from ._column_jobs import reader_job as _reader_job
from ._column_spec import DTYPES
from ._columns import Source, _columns_dict, _dataframe, _need, _paths
from ._columns import check_args as check_columns_args
from ._core import call, go
from ._errors import PcapError
from ._reader import Reader

if TYPE_CHECKING:  # pragma: no cover
    import numpy
    import pandas

# Rows per chunk by default: about 50 MB of columns, few Python calls.
CHUNK_ROWS = 1 << 20


def iter_columns(
    source: Source,
    filter: Optional[str] = None,  # noqa: A002 (pcapy's name for it)
    *,
    fields: Optional[Iterable[str]] = None,
    count: int = -1,
    chunk_rows: int = CHUNK_ROWS,
    on_error: str = "raise",
) -> Iterator[dict[str, "numpy.ndarray"]]:
    """Decode a capture chunk by chunk: dicts of numpy arrays as read_columns
    returns, at most ``chunk_rows`` rows each, in file order; memory is bounded
    by a chunk, not by the capture.

    Arguments and columns are read_columns'; a list of files is read one
    file after the other (a chunk may hold the end of one file and the start
    of the next). A chunk has fewer rows than ``chunk_rows`` only at the end,
    or after a file damaged midway (with ``on_error="warn"``; with ``"raise"``
    the rows of that file's last chunk are not yielded and PcapError is
    raised). A file that cannot be opened raises PcapError when the
    iteration reaches it. From a live Reader, a chunk also ends when ``to_ms`` passes
    without a packet, and the iteration ends at the first empty chunk.
    """
    np = _need("numpy", "iter_columns")
    for names, cols, table in _chunks(np, source, filter, fields, count, chunk_rows, on_error):
        yield _columns_dict(np, names, cols, table)


def iter_dataframes(
    source: Source,
    filter: Optional[str] = None,  # noqa: A002
    *,
    fields: Optional[Iterable[str]] = None,
    count: int = -1,
    chunk_rows: int = CHUNK_ROWS,
    on_error: str = "raise",
) -> Iterator["pandas.DataFrame"]:
    """iter_columns as pandas DataFrames (read_dataframe's columns). Each
    chunk's ``src``/``dst`` categoricals have that chunk's own categories;
    ``pd.concat`` of chunks gives object columns (``union_categoricals``
    keeps them categorical)."""
    np = _need("numpy", "iter_dataframes")
    pd = _need("pandas", "iter_dataframes")
    for names, cols, table in _chunks(np, source, filter, fields, count, chunk_rows, on_error):
        yield _dataframe(pd, names, cols, table)


def check_args(filter: Optional[str], fields: Optional[Iterable[str]], count: int,  # noqa: A002
               chunk_rows: int, on_error: str) -> tuple[list[str], int]:
    """Check the arguments every chunked reader takes; the names and count."""
    names, count = check_columns_args(filter, fields, count, on_error, chunk_rows=chunk_rows)
    if chunk_rows <= 0:
        raise ValueError(f"chunk_rows must be positive, not {chunk_rows}")
    return names, count


def _chunks(np: Any, source: Source, filter: Optional[str], fields: Optional[Iterable[str]],  # noqa: A002
            count: int, chunk_rows: int, on_error: str) -> Iterator[tuple[list[str], dict[str, Any], list[str]]]:
    """Exported chunks: (names, columns with src/dst as codes, address table)."""
    names, count = check_args(filter, fields, count, chunk_rows, on_error)
    for job in column_jobs(source, filter, names, count, chunk_rows, on_error):
        try:
            yield (names, *_export(np, job, names))
        finally:
            call(go.pybridge_ColumnsFree, job)


def column_jobs(source: Source, filter: Optional[str], names: list[str], count: int,  # noqa: A002
                chunk_rows: int, on_error: str) -> Iterator[int]:
    """Go column jobs of at most chunk_rows rows each, in order; the caller
    frees each. A damaged file raises or warns, as on_error says."""
    if isinstance(source, Reader):
        yield from _reader_jobs(source, filter, names, count, chunk_rows, on_error)
        return
    paths = _paths(source)
    if not paths:
        return
    stream = call(go.pybridge_StreamOpen, "\n".join(paths), filter or "", count)
    try:
        while True:
            job = call(go.pybridge_StreamColumns, stream, chunk_rows, "\n".join(names))
            rows = call(go.pybridge_ColumnsRows, job)
            damage = call(go.pybridge_ColumnsDamage, job)
            if damage:
                if on_error == "raise":
                    call(go.pybridge_ColumnsFree, job)
                    raise PcapError(damage)
                warnings.warn(f"{damage}; the packets read before it were returned", RuntimeWarning,
                              stacklevel=4)
            if rows:
                yield job
            else:
                call(go.pybridge_ColumnsFree, job)
            if not damage and rows < chunk_rows:
                return
    finally:
        call(go.pybridge_StreamClose, stream)


def _reader_jobs(reader: Reader, filter: Optional[str], names: list[str], count: int,  # noqa: A002
                 chunk_rows: int, on_error: str) -> Iterator[int]:
    """A Reader's packets in column jobs, through read_columns' reader path."""
    done = 0
    while not count or done < count:
        want = min(chunk_rows, count - done) if count else chunk_rows
        job, damage = _reader_job(reader, filter, want, False, names)
        filter = None  # set once
        rows = call(go.pybridge_ColumnsRows, job)
        if damage:
            if on_error == "raise":
                call(go.pybridge_ColumnsFree, job)
                raise PcapError(damage[0])
            warnings.warn(f"{damage[0]}; the packets read before it were returned", RuntimeWarning,
                          stacklevel=4)
        if not rows:
            call(go.pybridge_ColumnsFree, job)
            return
        done += rows
        yield job
        if damage:
            return


__all__ = ["iter_columns", "iter_dataframes", "DTYPES"]
