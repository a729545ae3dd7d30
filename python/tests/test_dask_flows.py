"""pcapy.dask.read_flows: the flow table of captures split into byte-range
partitions, merged in order, equals pcapy.read_flows over the same files.
Threaded/sync schedulers here; the LocalCluster test is in test_dask.py
(it shares that module's cluster)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import capgen
import pcapy
from testhelpers import T0

dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
fsspec = pytest.importorskip("fsspec")
import pcapy.dask  # noqa: E402  (after the skips)

pytestmark = [pytest.mark.slow]


def same_flows(got: "pd.DataFrame", want: "pd.DataFrame") -> None:
    """Equal flow tables, row for row, dtype for dtype; addresses compared
    as strings (the categories' order depends on how tables were merged)."""
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    for name in ("src_ip", "dst_ip"):
        assert isinstance(got[name].dtype, pd.CategoricalDtype)
        got[name], want[name] = got[name].astype(object), want[name].astype(object)
    pd.testing.assert_frame_equal(got, want)


def partial_flows(paths: list[Path], chunk_bytes: int) -> int:
    """How many flows the partitions count before merging (default timeouts)."""
    fs = fsspec.filesystem("file")
    timeouts = dict(idle_timeout=120.0, active_timeout=1800.0, bidirectional=True)
    reader = pcapy.dask._FlowsReader("", "raise", None, timeouts)
    parts = [part for p in paths for part in pcapy.dask._plan(fs, str(p), chunk_bytes)]
    assert len(parts) > 1
    return sum(len(reader(part)) for part in parts)


@pytest.mark.parametrize("fmt", [{}, {"pcapng": True, "nanosecond": True}])
def test_random_splits_equal_read_flows(tmp_path: Path, fmt: dict) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=3000, start_ns=T0, **fmt)
    size = path.stat().st_size
    rng = random.Random(13)
    # Random sizes, one from 2 KB up (a hundred partitions or more: a tree of merges three levels deep),
    # two up to a third of the file, each with one set of timeouts.
    chunks = [rng.randrange(2_000, 40_000)] + [rng.randrange(40_000, size // 3) for _ in range(2)]
    kws = [{}, dict(idle_timeout=0.0003), dict(bidirectional=False)]
    for chunk, kw in [(None, {})] + list(zip(chunks, kws)):
        got = pcapy.dask.read_flows(path, chunk_bytes=chunk, **kw).compute(scheduler="sync")
        same_flows(got, pcapy.read_flows(path, **kw))
    # Flows do cross the boundaries: the partitions count more flows than the merged table.
    merged = len(pcapy.read_flows(path))
    assert partial_flows([path], 100_000) > merged + 50


def test_a_flow_continues_across_rotated_files(tmp_path: Path) -> None:
    paths = []
    for i, n in enumerate([1500, 0, 7, 900]):  # tcpdump -C: one conversation over several files
        paths.append(tmp_path / f"cap.pcap{i}")
        capgen.write_sample(paths[-1], n=n, start_ns=T0 + i * 20_000_000)
    for chunk in (None, 150_001):
        for kw in ({}, dict(idle_timeout=0.004)):
            got = pcapy.dask.read_flows(str(tmp_path / "cap.pcap*"), chunk_bytes=chunk, **kw)
            same_flows(got.compute(scheduler="threads"), pcapy.read_flows(paths, **kw))
    assert partial_flows(paths, 10**9) > len(pcapy.read_flows(paths))  # whole files: flows span them


def test_filter_compute_flag_and_memory_urls(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=2000, start_ns=T0)
    got = pcapy.dask.read_flows(path, "tcp", chunk_bytes=70_001, compute=True)
    assert isinstance(got, pd.DataFrame) and set(got["protocol"]) == {6}
    same_flows(got, pcapy.read_flows(path, "tcp"))
    lazy = pcapy.dask.read_flows(path, "udp", chunk_bytes=70_001)
    assert isinstance(lazy, dd.DataFrame) and list(lazy.columns) == pcapy._flows.COLUMNS
    assert dict(lazy.dtypes.astype(str)) == dict(pcapy.read_flows(path).dtypes.astype(str))
    same_flows(lazy.compute(scheduler="sync"), pcapy.read_flows(path, "udp"))
    memory = fsspec.filesystem("memory")
    try:
        memory.pipe("/pcapy-flows/mix.pcap", path.read_bytes())
        got = pcapy.dask.read_flows("memory://pcapy-flows/mix.pcap", chunk_bytes=90_001)
        same_flows(got.compute(scheduler="sync"), pcapy.read_flows(path))
    finally:
        memory.rm("/pcapy-flows", recursive=True)


def test_active_timeout_across_boundaries_keeps_the_totals(tmp_path: Path) -> None:
    """merge_flows' one inexact case: the boundary-crossing flows cut by the
    active timeout are cut later; packets and bytes in all stay the same (not
    per direction: a later piece may start with a packet the other way)."""
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=3000, start_ns=T0)
    want = pcapy.read_flows(path, active_timeout=0.005)
    got = pcapy.dask.read_flows(path, chunk_bytes=200_001, active_timeout=0.005).compute(scheduler="sync")
    assert len(got) <= len(want)
    for name in ("packets", "bytes"):
        assert got[name].sum() == want[name].sum()
    payload = ["src2dst_payload_bytes", "dst2src_payload_bytes"]
    assert got[payload].sum().sum() == want[payload].sum().sum()


@pytest.mark.parametrize("chunk", [None, 30_001])
def test_damage_raises_or_counts_the_packets_before(tmp_path: Path, chunk) -> None:
    whole = tmp_path / "whole.pcap"
    capgen.write_sample(whole, n=300, start_ns=T0 + 10**9)
    cut = tmp_path / "cut.pcap"
    capgen.write_sample(cut, n=300, start_ns=T0)
    capgen.truncate_file(cut, 500)
    with pytest.raises(pcapy.PcapError, match="cut.pcap"):
        pcapy.dask.read_flows([cut, whole], chunk_bytes=chunk).compute(scheduler="sync")
    with pytest.warns(RuntimeWarning):
        want = pcapy.read_flows([cut, whole], on_error="warn")
    with pytest.warns(RuntimeWarning, match="cut.pcap"):
        got = pcapy.dask.read_flows([cut, whole], chunk_bytes=chunk, on_error="warn").compute(scheduler="sync")
    assert 290 < want["packets"].sum() < 600
    same_flows(got, want)
    with pytest.raises(pcapy.PcapError, match="nothere.pcap"):
        pcapy.dask.read_flows([whole, tmp_path / "nothere.pcap"])


def test_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "a.pcap"
    capgen.write_sample(path, n=10)
    for args, kw, exc in [
        ((3,), {}, TypeError),
        (([],), {}, ValueError),
        ((path, 3), {}, TypeError),
        ((path,), {"chunk_bytes": 0}, ValueError),
        ((path,), {"chunk_bytes": "big"}, TypeError),
        ((path,), {"idle_timeout": 0}, ValueError),
        ((path,), {"active_timeout": "1"}, TypeError),
        ((path,), {"bidirectional": 1}, TypeError),
        ((path,), {"compute": "yes"}, TypeError),
        ((path,), {"on_error": "ignore"}, ValueError),
        ((path,), {"storage_options": "x"}, TypeError),
    ]:
        with pytest.raises(exc):
            pcapy.dask.read_flows(*args, **kw)
    with pytest.raises(pcapy.PcapError):  # a filter that does not compile, when read
        pcapy.dask.read_flows(path, "tcp and").compute(scheduler="sync")
