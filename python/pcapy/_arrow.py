"""read_arrow and to_parquet: captures decoded in Go as Apache Arrow tables.

The numeric columns Go exports into numpy arrays become Arrow arrays
without a copy; src and dst are dictionary arrays (int32 codes into the
table of distinct addresses, null for packets without IP), which Polars,
DuckDB and Parquet keep as such. pyarrow is imported only when these
functions are called (the ``arrow`` extra installs it).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from ._chunks import CHUNK_ROWS, _chunks
from ._columns import Source, _need, _read

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow


def read_arrow(
    source: Source,
    filter: Optional[str] = None,  # noqa: A002 (pcapy's name for it)
    *,
    fields: Optional[Iterable[str]] = None,
    count: int = -1,
    progress: bool = False,
    on_error: str = "raise",
) -> "pyarrow.Table":
    """Decode a capture into a pyarrow Table, one row per packet.

    Arguments and columns are read_columns'. Types: ``ts`` is
    ``timestamp[ns, tz=UTC]``; ``src`` and ``dst`` are
    ``dictionary<int32, string>`` sharing one dictionary, null for packets
    without IP; the other columns keep read_columns' integer types. The
    numeric columns share the memory Go wrote (no copy).
    """
    pa = _need("pyarrow", "read_arrow", "arrow")
    np = _need("numpy", "read_arrow")
    names, cols, table = _read(np, source, filter, fields, count, progress, on_error)
    return arrow_table(pa, np, names, cols, table)


def arrow_table(pa: Any, np: Any, names: list[str], cols: dict[str, Any], table: list[str]) -> "pyarrow.Table":
    """An Arrow table of exported columns (src/dst as codes into table)."""
    arrays = []
    dictionary = None
    for name in names:
        col = cols[name]
        if name == "ts":
            arrays.append(pa.Array.from_buffers(pa.timestamp("ns", tz="UTC"), len(col),
                                                [None, pa.py_buffer(col)]))
        elif name in ("src", "dst"):
            if dictionary is None:
                dictionary = pa.array(table, type=pa.string())
            missing = col < 0
            indices = pa.array(col, mask=missing if missing.any() else None, type=pa.int32())
            arrays.append(pa.DictionaryArray.from_arrays(indices, dictionary))
        else:
            arrays.append(pa.array(col))
    return pa.Table.from_arrays(arrays, names=names)


def to_parquet(
    source: Source,
    out: Union[str, "os.PathLike[str]"],
    filter: Optional[str] = None,  # noqa: A002
    *,
    fields: Optional[Iterable[str]] = None,
    count: int = -1,
    chunk_rows: int = CHUNK_ROWS,
    on_error: str = "raise",
    compression: str = "zstd",
) -> int:
    """Convert a capture into a Parquet file chunk by chunk (one row group
    per chunk of at most ``chunk_rows`` packets), with memory bounded by a
    chunk whatever the capture's size; return the number of rows written.

    Columns and types are read_arrow's; arguments iter_columns'. The file is
    written to a temporary name next to ``out`` and renamed when complete,
    so a failed conversion leaves no partial ``out``.
    """
    pa = _need("pyarrow", "to_parquet", "arrow")
    np = _need("numpy", "to_parquet")
    import pyarrow.parquet as pq

    out = os.fspath(out)
    if not isinstance(out, str):
        raise TypeError("out must be a str or os.PathLike path")
    tmp = f"{out}.partial-{os.getpid()}"
    rows = 0
    writer = None
    try:
        for names, cols, table in _chunks(np, source, filter, fields, count, chunk_rows, on_error):
            chunk = arrow_table(pa, np, names, cols, table)
            if writer is None:
                writer = pq.ParquetWriter(tmp, chunk.schema, compression=compression)
            writer.write_table(chunk)
            rows += chunk.num_rows
        if writer is None:  # no packets: an empty file with the schema
            names, cols, table = _read(np, [], None, fields, 0, False, on_error)
            empty = arrow_table(pa, np, names, cols, table)
            writer = pq.ParquetWriter(tmp, empty.schema, compression=compression)
            writer.write_table(empty)
        writer.close()
        writer = None
        os.replace(tmp, out)
    finally:
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return rows
