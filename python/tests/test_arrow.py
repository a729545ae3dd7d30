"""read_arrow / to_parquet: Arrow tables and Parquet files checked against
the per-packet reference decoder of test_columns; round trips equal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import capgen  # noqa: E402
import pcapy  # noqa: E402
from testhelpers import T0  # noqa: E402
from test_columns import COLUMNS, LINK_CAPTURES, capture, damaged, expected  # noqa: E402


def as_reference(table: "pa.Table") -> dict[str, list]:
    """A table's columns as the reference decoder gives them."""
    out = {}
    for name in table.column_names:
        col = table.column(name)
        if name == "ts":
            values = col.cast(pa.int64()).to_pylist()
        elif name in ("src", "dst"):
            values = ["" if v is None else v for v in col.to_pylist()]
        else:
            values = col.to_pylist()
        out[name] = values
    return out


@pytest.mark.parametrize("name", list(LINK_CAPTURES))
def test_arrow_of_every_link_type(tmp_path: Path, name: str) -> None:
    linktype, frames = LINK_CAPTURES[name]
    path = capture(tmp_path, f"{name}.pcapng", frames(), linktype)
    table = pcapy.read_arrow(path)
    assert table.column_names == COLUMNS
    assert as_reference(table) == expected(path)


def test_types_dictionary_and_no_copy(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=1000, nanosecond=True, start_ns=T0)
    table = pcapy.read_arrow(path)
    cols = pcapy.read_columns(path)
    assert table.schema.field("ts").type == pa.timestamp("ns", tz="UTC")
    assert table.schema.field("src").type == pa.dictionary(pa.int32(), pa.string())
    src, dst = table.column("src").chunk(0), table.column("dst").chunk(0)
    assert src.dictionary.equals(dst.dictionary)  # one dictionary: codes compare
    assert len(src.dictionary) < 100 and src.null_count == (cols["ip_version"] == 0).sum()
    for name in COLUMNS:
        if name not in ("ts", "src", "dst"):
            assert table.schema.field(name).type == pa.from_numpy_dtype(cols[name].dtype), name
    # The numeric columns wrap numpy's memory: Arrow allocated none for them.
    before = pa.total_allocated_bytes()
    numeric = pcapy.read_arrow(path, fields=["ts", "len", "sport"])
    assert pa.total_allocated_bytes() == before and numeric.num_rows == 1000
    assert as_reference(pcapy.read_arrow(path, "udp", fields=["dport"], count=5))["dport"] == [
        d for d, p in zip(cols["dport"], cols["proto"]) if p == 17][:5]


def test_parquet_round_trip_in_chunks(tmp_path: Path) -> None:
    paths = []
    for i, n in enumerate([700, 0, 450]):
        paths.append(tmp_path / f"part{i}.pcap")
        capgen.write_sample(paths[-1], n=n, seed=i + 1, start_ns=T0 + i, nanosecond=True)
    out = tmp_path / "out.parquet"
    assert pcapy.to_parquet(paths, out, chunk_rows=300) == 1150
    back = pq.read_table(out)
    assert pq.ParquetFile(out).metadata.num_row_groups == 4  # 300 300 300 250
    whole = pcapy.read_arrow(paths)
    assert back.schema.field("src").type == pa.dictionary(pa.int32(), pa.string())
    assert back.cast(whole.schema).combine_chunks().to_pylist() == whole.to_pylist()
    assert as_reference(back) == {k: a + b for (k, a), b in zip(expected(paths[0]).items(),
                                                                expected(paths[2]).values())}
    # Fields, filter, and an empty result keep the schema.
    assert pcapy.to_parquet(paths, out, "port 1", fields=["ts", "src"]) == 0
    empty = pq.read_table(out)
    assert empty.num_rows == 0 and empty.column_names == ["ts", "src"]


def test_parquet_of_damaged_capture(tmp_path: Path) -> None:
    cut = damaged(tmp_path)
    out = tmp_path / "out.parquet"
    with pytest.raises(pcapy.PcapError, match="after 321 packets"):
        pcapy.to_parquet(cut, out, chunk_rows=100)
    assert not out.exists() and list(tmp_path.glob("*.parquet*")) == []
    with pytest.warns(RuntimeWarning, match="after 321 packets"):
        assert pcapy.to_parquet(cut, out, on_error="warn") == 321
    assert pq.read_table(out).num_rows == 321


def test_import_pcapy_imports_no_analysis_library() -> None:
    code = ("import sys, pcapy; pcapy.read_arrow; pcapy.to_parquet; pcapy.read_flows; pcapy.iter_columns; "
            "bad = {'numpy', 'pandas', 'pyarrow'} & set(sys.modules); assert not bad, bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_missing_pyarrow_says_what_to_install() -> None:
    code = ("import sys; sys.modules['pyarrow'] = None; import pcapy\n"
            "try:\n    pcapy.read_arrow('x.pcap')\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'gopcapy[arrow]'" in out.stdout, out.stderr
