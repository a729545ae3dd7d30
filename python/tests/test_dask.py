"""pcapy.dask.read_pcaps: the same rows as read_dataframe, split across
partitions (byte ranges of files), on fsspec filesystems and on a
distributed cluster of worker processes."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import capgen
import pcapy
from testhelpers import REPO

dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
fsspec = pytest.importorskip("fsspec")
import pcapy.dask  # noqa: E402  (after the skips)

pytestmark = [pytest.mark.slow]

FORMATS = {
    "pcap": {},
    "pcap-ns": {"nanosecond": True},
    "pcap-big-endian": {"big_endian": True},
    "pcapng": {"pcapng": True},
    "pcapng-ns": {"pcapng": True, "nanosecond": True},
}
HOUR_NS = 3600 * 10**9


def same_rows(got: "pd.DataFrame", want: "pd.DataFrame") -> None:
    """Equal frames, row for row; addresses compared as strings (each
    partition has its own categories)."""
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    for name in ("src", "dst"):
        if name in want:
            got[name], want[name] = got[name].astype(object), want[name].astype(object)
    pd.testing.assert_frame_equal(got, want)


def capture(path: Path, n: int, seed: int = 1, **kw) -> Path:
    capgen.write_sample(path, n=n, seed=seed, **kw)
    return path


def test_import_pcapy_imports_no_dask() -> None:
    code = ("import sys, pcapy, pcapy.dask; "
            "print([m for m in ('dask', 'distributed', 'fsspec', 'pandas', 'numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    code = "import sys, pcapy; print('pcapy.dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("fields", [None, ["len", "ts", "src"]])
def test_meta_is_read_dataframes_and_nothing_is_read_before_compute(tmp_path: Path, fields) -> None:
    path = capture(tmp_path / "a.pcap", 500)
    want = pcapy.read_dataframe(path, fields=fields)
    ddf = pcapy.dask.read_pcaps(path, fields=fields, chunk_bytes=10_000)
    assert list(ddf.columns) == list(want.columns)
    for name in want.columns:
        assert str(ddf.dtypes[name]) == str(want.dtypes[name]), name
    assert ddf.npartitions > 1 and not ddf.known_divisions
    path.write_bytes(path.read_bytes()[:40])  # lazy: the graph was built without reading packets
    with pytest.raises(pcapy.PcapError, match=str(path)):
        ddf.compute(scheduler="sync")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_split_files_give_read_dataframes_rows(tmp_path: Path, fmt: str) -> None:
    # 2000 packets make about 1.5 MB: boundaries past the first MiB are
    # found by walking plausible records, those before it from the start.
    path = capture(tmp_path / f"c.{fmt}", 2000, seed=7, **FORMATS[fmt])
    ddf = pcapy.dask.read_pcaps(path, chunk_bytes=50_001)
    assert ddf.npartitions == -(-path.stat().st_size // 50_001)
    same_rows(ddf.compute(scheduler="sync"), pcapy.read_dataframe(path))
    tcp = pcapy.dask.read_pcaps(path, "tcp", fields=["ts", "sport", "dst"], chunk_bytes=77_777)
    same_rows(tcp.compute(scheduler="sync"), pcapy.read_dataframe(path, "tcp", fields=["ts", "sport", "dst"]))


def test_every_packet_in_exactly_one_partition(tmp_path: Path) -> None:
    """Seeded random files (format, size, packet count, header-only files)
    split at random sizes: the partitions' rows, in order, are the file's."""
    rng = random.Random(13)
    for i in range(25):
        fmt = rng.choice(sorted(FORMATS))
        path = capture(tmp_path / f"r{i}", rng.choice([0, 1, 2, rng.randint(3, 600)]), seed=i, **FORMATS[fmt])
        size = path.stat().st_size
        chunk = rng.randint(max(1, size // 40), size + 1)
        ddf = pcapy.dask.read_pcaps(path, chunk_bytes=chunk)
        parts = [ddf.get_partition(k).compute(scheduler="sync") for k in range(ddf.npartitions)]
        want = pcapy.read_dataframe(path)
        assert sum(map(len, parts)) == len(want), (fmt, size, chunk)
        same_rows(pd.concat([p.astype({"src": object, "dst": object}) for p in parts]), want)


def test_globs_in_natural_order_and_lists_in_their_order(tmp_path: Path) -> None:
    names = ["cap.pcap"] + [f"cap.pcap{i}" for i in range(1, 12)]  # tcpdump -C rotation
    for i, name in enumerate(names):
        capture(tmp_path / name, 30, seed=i)
    ddf = pcapy.dask.read_pcaps(str(tmp_path / "cap.pcap*"))
    assert ddf.npartitions == len(names)
    same_rows(ddf.compute(scheduler="sync"), pcapy.read_dataframe([tmp_path / n for n in names]))
    order = [tmp_path / names[3], tmp_path / names[0], Path(tmp_path / names[11])]
    same_rows(pcapy.dask.read_pcaps(order).compute(scheduler="sync"), pcapy.read_dataframe(order))


def test_fsspec_urls_memory_and_file(tmp_path: Path) -> None:
    local = [capture(tmp_path / "a.pcap", 1500, seed=1), capture(tmp_path / "b.pcapng", 700, seed=2, pcapng=True)]
    want = pcapy.read_dataframe(local)
    memory = fsspec.filesystem("memory")
    try:
        for path in local:
            memory.pipe(f"/pcapy-test/{path.name}", path.read_bytes())
        for chunk in (None, 30_001, 400_000):
            ddf = pcapy.dask.read_pcaps("memory://pcapy-test/*", chunk_bytes=chunk)
            same_rows(ddf.compute(scheduler="sync"), want)
        url = [f"file://{p}" for p in local]
        same_rows(pcapy.dask.read_pcaps(url, chunk_bytes=100_000).compute(scheduler="sync"), want)
        # damage read from memory: the rows before it, as from a local file
        cut = local[0].read_bytes()[:-700]
        memory.pipe("/pcapy-test/cut.pcap", cut)
        (tmp_path / "cut.pcap").write_bytes(cut)
        with pytest.warns(RuntimeWarning):
            want_cut = pcapy.read_dataframe(tmp_path / "cut.pcap", on_error="warn")
        ddf = pcapy.dask.read_pcaps("memory://pcapy-test/cut.pcap", chunk_bytes=200_000, on_error="warn")
        with pytest.warns(RuntimeWarning, match="cut.pcap"):
            same_rows(ddf.compute(scheduler="sync"), want_cut)
    finally:
        memory.rm("/pcapy-test", recursive=True)


def test_missing_files_and_empty_globs_are_pcap_errors(tmp_path: Path) -> None:
    present = capture(tmp_path / "a.pcap", 10)
    with pytest.raises(pcapy.PcapError, match="nothere.pcap"):
        pcapy.dask.read_pcaps([present, tmp_path / "nothere.pcap"])
    with pytest.raises(pcapy.PcapError, match="no file matches"):
        pcapy.dask.read_pcaps(str(tmp_path / "*.pcapng"))
    with pytest.raises(pcapy.PcapError, match="nothere"):
        pcapy.dask.read_pcaps("memory://nothere/x.pcap")
    ddf = pcapy.dask.read_pcaps(present)
    present.unlink()
    with pytest.raises(pcapy.PcapError, match="a.pcap"):
        ddf.compute(scheduler="sync")


@pytest.mark.parametrize("chunk", [None, 20_000])
def test_damage_raises_or_keeps_the_rows_before(tmp_path: Path, chunk) -> None:
    path = capture(tmp_path / "cut.pcap", 300)
    capgen.truncate_file(path, 500)
    ddf = pcapy.dask.read_pcaps(path, chunk_bytes=chunk)
    with pytest.raises(pcapy.PcapError, match="cut.pcap"):
        ddf.compute(scheduler="sync")
    with pytest.warns(RuntimeWarning):
        want = pcapy.read_dataframe(path, on_error="warn")
    with pytest.warns(RuntimeWarning, match="cut.pcap"):
        got = pcapy.dask.read_pcaps(path, chunk_bytes=chunk, on_error="warn").compute(scheduler="sync")
    assert 0 < len(want) < 300
    same_rows(got, want)


def test_ts_index_with_known_divisions_over_rotated_files(tmp_path: Path) -> None:
    start = 1_700_000_000 * 10**9
    files = []
    for i in range(3):  # rotated files: each continues in time where the last ended
        files.append(tmp_path / f"rot.pcap{i or ''}")
        capgen.write_pcap(files[-1], capgen.mixed_traffic(900, seed=i, start_ns=start + i * 10**10),
                          nanosecond=i == 1)
    ddf = pcapy.dask.read_pcaps(str(tmp_path / "rot.pcap*"), index="ts", chunk_bytes=150_001)
    assert ddf.known_divisions and ddf.npartitions > 3
    want = pcapy.read_dataframe(files).set_index("ts")
    same_rows(ddf.compute(scheduler="sync").reset_index(), want.reset_index())
    lo, hi = want.index[700], want.index[1500]
    sliced = ddf.loc[lo:hi]
    assert sliced.npartitions < ddf.npartitions  # the divisions prune partitions
    same_rows(sliced.compute(scheduler="sync").reset_index(), want.loc[lo:hi].reset_index())
    # out of time order (the list), or from memory: a ts index, divisions unknown
    backwards = pcapy.dask.read_pcaps(files[::-1], index="ts", chunk_bytes=150_001)
    assert not backwards.known_divisions and backwards.index.name == "ts"
    got = backwards.compute(scheduler="sync")
    assert got.index.name == "ts" and sorted(got.index) == list(want.index)
    memory = fsspec.filesystem("memory")
    try:
        memory.pipe("/pcapy-ts/a.pcap", files[0].read_bytes())
        remote = pcapy.dask.read_pcaps("memory://pcapy-ts/a.pcap", index="ts", chunk_bytes=150_001)
        assert not remote.known_divisions
        same_rows(remote.compute(scheduler="sync").reset_index(), pcapy.read_dataframe(files[0]))
    finally:
        memory.rm("/pcapy-ts", recursive=True)
    with pytest.raises(ValueError):
        pcapy.dask.read_pcaps(files, index="ts", fields=["len"])
    with pytest.raises(ValueError):
        pcapy.dask.read_pcaps(files, index="len")


def test_ts_index_refuses_packets_reordered_across_partitions(tmp_path: Path) -> None:
    packets = list(capgen.mixed_traffic(1000, seed=5, gap_ns=10**6))
    late = packets[900][0] + 1
    packets[300] = (late, packets[300][1])  # inside the second of four partitions, after the third's first
    path = tmp_path / "reordered.pcap"
    capgen.write_pcap(path, packets, nanosecond=True)
    ddf = pcapy.dask.read_pcaps(path, index="ts", chunk_bytes=path.stat().st_size // 4 + 1)
    assert ddf.known_divisions
    with pytest.raises(ValueError, match="out of time order"):
        ddf.compute(scheduler="sync")
    unordered = pcapy.dask.read_pcaps(path, chunk_bytes=path.stat().st_size // 4 + 1)
    same_rows(unordered.compute(scheduler="sync"), pcapy.read_dataframe(path))


def test_bad_arguments(tmp_path: Path) -> None:
    path = capture(tmp_path / "a.pcap", 10)
    for args, kw, exc in [
        ((3,), {}, TypeError),
        (([path, 3],), {}, TypeError),
        (([],), {}, ValueError),
        ((path, 3), {}, TypeError),
        ((path,), {"chunk_bytes": "big"}, TypeError),
        ((path,), {"chunk_bytes": True}, TypeError),
        ((path,), {"chunk_bytes": 0}, ValueError),
        ((path,), {"on_error": "ignore"}, ValueError),
        ((path,), {"fields": ["nope"]}, ValueError),
        ((path,), {"fields": "ts"}, TypeError),
        ((path,), {"storage_options": "x"}, TypeError),
    ]:
        with pytest.raises(exc):
            pcapy.dask.read_pcaps(*args, **kw)
    with pytest.raises(pcapy.PcapError):  # a filter that does not compile, when read
        pcapy.dask.read_pcaps(path, "tcp and").compute(scheduler="sync")


@pytest.fixture(scope="module")
def client():
    """A local cluster of 2 worker processes (not threads): Dask's nanny
    starts them with the 'spawn' method, so each loads pcapy afresh."""
    distributed = pytest.importorskip("distributed")
    import dask

    assert dask.config.get("distributed.worker.multiprocessing-method") == "spawn"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # port and resource notices on a shared machine
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", scheduler_port=0)
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.close()
            cluster.close()


@pytest.mark.timeout(240)
def test_local_cluster_of_processes_equals_read_dataframe(tmp_path: Path, client) -> None:
    files = [capture(tmp_path / "big.pcap", 4000, seed=1),  # split, boundaries past 1 MiB found by walking
             capture(tmp_path / "big.pcapng", 2500, seed=2, pcapng=True, nanosecond=True),
             capture(tmp_path / "small.pcap", 100, seed=3, big_endian=True)]
    ddf = pcapy.dask.read_pcaps(files, chunk_bytes=700_001)
    assert ddf.npartitions >= 6
    same_rows(client.compute(ddf).result(timeout=180), pcapy.read_dataframe(files))
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids
    table = ddf.groupby(["src", "dst", "proto", "sport", "dport"], observed=True).len.sum()
    want = pcapy.read_dataframe(files).groupby(["src", "dst", "proto", "sport", "dport"], observed=True).len.sum()
    got = client.compute(table).result(timeout=180)
    assert got.sort_index().to_dict() == {(str(k[0]), str(k[1]), *k[2:]): v for k, v in want.items()}


@pytest.mark.timeout(240)
def test_local_cluster_errors_name_the_file(tmp_path: Path, client) -> None:
    good = capture(tmp_path / "good.pcap", 200)
    cut = capture(tmp_path / "cut.pcap", 2000, seed=4)
    capgen.truncate_file(cut, 900)
    ddf = pcapy.dask.read_pcaps([good, cut], chunk_bytes=300_001)
    with pytest.raises(pcapy.PcapError, match="cut.pcap"):
        client.compute(ddf).result(timeout=180)
    with pytest.warns(RuntimeWarning):
        want = pcapy.read_dataframe([good, cut], on_error="warn")
    kept = pcapy.dask.read_pcaps([good, cut], chunk_bytes=300_001, on_error="warn")
    same_rows(client.compute(kept).result(timeout=180), want)
    gone = pcapy.dask.read_pcaps([good, cut])
    cut.unlink()  # missing when the workers read it
    with pytest.raises(pcapy.PcapError, match="cut.pcap"):
        client.compute(gone).result(timeout=180)


@pytest.mark.timeout(240)
def test_local_cluster_flows_equal_read_flows(tmp_path: Path, client) -> None:
    files = [capture(tmp_path / f"cap.pcap{i}", n, seed=1, start_ns=1_600_000_000_000_000_000 + i * 30_000_000)
             for i, n in enumerate([2500, 1200])]  # one conversation over two rotated files
    got = pcapy.dask.read_flows(files, chunk_bytes=300_001, idle_timeout=0.02)
    got = client.compute(got).result(timeout=180)
    want = pcapy.read_flows(files, idle_timeout=0.02)
    assert len(want) < sum(len(pcapy.read_flows(f, idle_timeout=0.02)) for f in files)  # flows span the files
    for name in ("src_ip", "dst_ip"):
        got[name], want[name] = got[name].astype(object), want[name].astype(object)
    pd.testing.assert_frame_equal(got, want)
    capgen.truncate_file(files[1], 900)
    with pytest.raises(pcapy.PcapError, match="cap.pcap1"):
        client.compute(pcapy.dask.read_flows(files, chunk_bytes=300_001)).result(timeout=180)


@pytest.mark.timeout(300)
def test_example_analyses_rotated_captures_per_hour(tmp_path: Path) -> None:
    start = 1_700_000_000 * 10**9 // HOUR_NS * HOUR_NS
    for i in range(4):  # tcpdump -G 1800: four half-hour files over two hours
        capgen.write_pcap(tmp_path / f"cap-{i}.pcap",
                          capgen.mixed_traffic(400, seed=i, start_ns=start + i * HOUR_NS // 2, gap_ns=HOUR_NS // 1000))
    out = subprocess.run([sys.executable, str(REPO / "examples" / "06_dask.py"), str(tmp_path), "--top", "2"],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    assert "dashboard: http://" in out.stdout
    assert "4 partitions, 1,600 packets" in out.stdout
    df = pcapy.read_dataframe(sorted(tmp_path.glob("cap-*.pcap")))
    hours = df.ts.dt.floor("h").dt.strftime("%Y-%m-%d %H:00 UTC").unique()
    assert len(hours) == 2 and all(h in out.stdout for h in hours)
    tcp_first_hour = int((df[df.ts.dt.floor("h") == df.ts.dt.floor("h").min()].proto == 6).sum())
    assert f"  {'TCP':<10} {tcp_first_hour:>12,}" in out.stdout
    assert out.stdout.count("top talkers") == 2
    flows = pcapy.read_flows(sorted(tmp_path.glob("cap-*.pcap")))
    assert f"\n{len(flows):,} flows; the largest (bytes)" in out.stdout
    top = flows.nlargest(1, "bytes").iloc[0]
    assert f"{top.src_ip} {top.src_port} > {top.dst_ip} {top.dst_port}" in out.stdout
    assert f"{top.bytes:>12,} bytes" in out.stdout


def test_example_usage() -> None:
    out = subprocess.run([sys.executable, str(REPO / "examples" / "06_dask.py")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "usage:" in out.stderr



@pytest.mark.timeout(240)
def test_dask_bench_workloads_agree(tmp_path: Path, client) -> None:
    """bench/dask_bench.py's three answers (a read_dataframe loop, the
    cluster with large and with small partitions) are the same table; its
    clusters and timing are left to `make bench`."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dask_bench", REPO / "bench" / "dask_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    paths = bench.captures(tmp_path, files=2, mb=1)
    assert [p.stat().st_size > 2**20 * 0.9 for p in paths] == [True, True]
    want = bench.canonical(bench.loop(paths))
    assert want == bench.canonical(bench.on_cluster(client, paths, 2**20))
    assert want == bench.canonical(bench.on_cluster(client, paths, 100_001))
