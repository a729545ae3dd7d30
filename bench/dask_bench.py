"""Dask scaling: the 5-tuple byte table over many captures, on a cluster.

usage: python bench/dask_bench.py [--files N] [--mb-per-file MB] [--chunk-mb MB]
                                  [--runs R] [--out DIR] [--markdown FILE]

The question: bytes and packets per (src, dst, proto, sport, dport) over N
generated captures (default 4 of 256 MiB: 1 GiB, made by
python/tests/capgen.py and cached in bench/out/dask/, never committed),
answered three ways:

  loop       one process: pcapy.read_dataframe on each file in turn, a
             groupby per file, the partial tables summed
  1 worker   pcapy.dask.read_pcaps(files, chunk_bytes) on a LocalCluster of
             one worker process (one thread), groupby(...).agg(split_out=1)
  2 workers  the same on a LocalCluster of two worker processes

Clusters are started before timing; runs are interleaved (loop, 1 worker,
2 workers, loop, ...) and the median reported. The three tables must be
identical, else exit 1. Then the cost of a partition: the same file read
in few large partitions and in many small ones on the one-worker cluster,
the difference divided by the difference in partitions.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python" / "tests"))

import capgen  # noqa: E402
import pcapy  # noqa: E402

KEY = ["src", "dst", "proto", "sport", "dport"]
AVERAGE_RECORD = 790  # bytes per record of capgen's mixed traffic (16-byte header included)


def captures(out: Path, files: int, mb: int) -> list[Path]:
    """The benchmark's captures, generated once (different seeds, each
    continuing in time where the previous one ended, as rotated files do)."""
    out.mkdir(parents=True, exist_ok=True)
    n = mb * 2**20 // AVERAGE_RECORD
    paths, start = [], 1_600_000_000 * 10**9
    for i in range(files):
        path = out / f"cap-{mb}mb-{i}.pcap"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            capgen.write_sample(tmp, n=n, seed=i + 1, start_ns=start)
            tmp.rename(path)
        paths.append(path)
        start += n * 10_000
    return paths


def loop(paths: list[Path]):
    """The single-process answer: one file at a time."""
    import pandas as pd

    tables = []
    for path in paths:
        df = pcapy.read_dataframe(path, fields=KEY + ["len"])
        df["src"], df["dst"] = df["src"].astype(object), df["dst"].astype(object)
        tables.append(df.groupby(KEY, sort=False).len.agg(["size", "sum"]))
    return pd.concat(tables).groupby(level=KEY).sum()


def on_cluster(client, paths: list[Path], chunk_bytes: int):
    import pcapy.dask

    df = pcapy.dask.read_pcaps([str(p) for p in paths], fields=KEY + ["len"], chunk_bytes=chunk_bytes)
    table = df.groupby(KEY, observed=True, sort=False).len.agg(["size", "sum"], split_out=1)
    return client.compute(table).result()


def warm(path: str) -> int:
    """Run on every worker before timing: imports, the Go runtime, a read."""
    import pandas  # noqa: F401

    import pcapy.dask  # noqa: F401

    return len(pcapy.read_dataframe(path))


def canonical(table) -> dict:
    return {tuple(str(k) for k in key): (int(row["size"]), int(row["sum"])) for key, row in table.iterrows()}


def timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


def cpu_of(client) -> list[float]:
    """CPU seconds used so far by each process doing the work: the
    workers of a cluster, or this process (client None). On a shared
    machine wall time depends on the neighbours; CPU time much less."""
    if client is None:
        return [time.process_time()]
    return list(client.run(time.process_time).values())


def with_cpu(client, fn, *args):
    """Run fn; return its wall seconds, the CPU seconds of each process
    doing the work, and its result."""
    before = cpu_of(client)
    secs, result = timed(fn, *args)
    return secs, [b - a for a, b in zip(before, cpu_of(client))], result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--mb-per-file", type=int, default=256)
    ap.add_argument("--chunk-mb", type=int, default=64, help="partition size (default 64 MiB)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--partitions", type=int, default=64, help="small partitions of one file, for their cost")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "dask")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)

    t0 = time.perf_counter()
    paths = captures(args.out, args.files, args.mb_per_file)
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} captures, {total / 1e9:.2f} GB ({time.perf_counter() - t0:.0f} s to make or find)")
    for p in paths:  # into the page cache: every run reads from memory alike
        with open(p, "rb") as f:
            while f.read(64 << 20):
                pass
    chunk = args.chunk_mb << 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one, two = (Client(LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                        silence_logs=logging.WARNING)) for n in (1, 2))
    # Warm up: every worker imports, starts Go and runs the groupby once.
    tiny = args.out / "warmup.pcap"
    capgen.write_sample(tiny, n=2000)
    for client in (one, two):
        client.run(warm, str(tiny))
        on_cluster(client, [tiny], 100_000)
    loop([tiny])
    times: dict[str, list[float]] = {"loop": [], "1 worker": [], "2 workers": []}
    cpus: dict[str, list[list[float]]] = {name: [] for name in times}
    results = {}
    try:
        for run in range(args.runs):
            for name, client, fn, fargs in (("loop", None, loop, (paths,)),
                                            ("1 worker", one, on_cluster, (one, paths, chunk)),
                                            ("2 workers", two, on_cluster, (two, paths, chunk))):
                secs, cpu, table = with_cpu(client, fn, *fargs)
                times[name].append(secs)
                cpus[name].append(cpu)
                results[name] = canonical(table)
                print(f"run {run + 1}: {name:<9} {secs:6.2f} s wall, CPU s per process "
                      + " ".join(f"{c:.2f}" for c in cpu), flush=True)
        same = results["loop"] == results["1 worker"] == results["2 workers"]
        # Partition cost: one file, few large partitions vs many small ones.
        few, many = max(1, paths[0].stat().st_size // chunk), args.partitions
        big, small = paths[0].stat().st_size // few + 1, paths[0].stat().st_size // many + 1
        runs_few = [with_cpu(one, on_cluster, one, paths[:1], big)[:2] for _ in range(args.runs)]
        runs_many = [with_cpu(one, on_cluster, one, paths[:1], small)[:2] for _ in range(args.runs)]
        t_few, t_many = (statistics.median(r[0] for r in runs) for runs in (runs_few, runs_many))
        c_few, c_many = (statistics.median(r[1][0] for r in runs) for runs in (runs_few, runs_many))
        per_partition = (t_many - t_few) / (many - few)
        cpu_per_partition = (c_many - c_few) / (many - few)
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for client in (one, two):
                cluster = client.cluster
                client.close()
                cluster.close()

    med = {name: statistics.median(v) for name, v in times.items()}
    # CPU: median over runs of the total, and of the busiest process (what
    # the wall time would be on otherwise idle cores).
    cpu_total = {name: statistics.median(sum(c) for c in v) for name, v in cpus.items()}
    cpu_busiest = {name: statistics.median(max(c) for c in v) for name, v in cpus.items()}
    packets = sum(n for n, _ in results["loop"].values())
    lines = [
        "# Dask scaling: 5-tuple byte table",
        "",
        f"{len(paths)} captures, {total / 1e9:.2f} GB, {packets:,} packets (IP); "
        f"partitions of {args.chunk_mb} MiB; median of {args.runs} interleaved runs; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| how | wall s | MB/s | vs loop | CPU s, all processes | CPU s, busiest process |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in times:
        lines.append(f"| {name} | {med[name]:.2f} | {total / 1e6 / med[name]:,.0f} | "
                     f"{med['loop'] / med[name]:.2f}x | {cpu_total[name]:.2f} | {cpu_busiest[name]:.2f} |")
    load = os.getloadavg()[0]
    lines += [
        "",
        f"Scaling from 1 to 2 workers: {med['1 worker'] / med['2 workers']:.2f}x in wall time; "
        f"{cpu_busiest['1 worker'] / cpu_busiest['2 workers']:.2f}x by the busiest worker's CPU time "
        "(the wall-time scaling on two otherwise idle cores).",
        f"Load average at the end: {load:.1f} on {os.cpu_count()} cores"
        + (" (a shared machine: the wall times are noisy)." if load > 1.5 else "."),
        f"Cost of a partition: {per_partition * 1000:.1f} ms wall, {cpu_per_partition * 1000:.1f} ms of the "
        f"worker's CPU ({few} partitions of one file: {t_few:.2f} s, {c_few:.2f} s CPU; "
        f"{many}: {t_many:.2f} s, {c_many:.2f} s CPU; on 1 worker).",
        f"Tables identical: {'yes' if same else 'NO'}.",
        "",
        "Command: `python bench/dask_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]) + "`",
    ]
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
