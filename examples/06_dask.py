"""Analyse a directory of captures on a Dask cluster: protocol mix and top
talkers per hour, and the largest flows.

usage: python examples/06_dask.py DIR [--pattern GLOB] [--scheduler ADDRESS]
                                  [--workers N] [--chunk-mb MB] [--top N]

Reads every capture in DIR matching GLOB (default ``*.pcap*``: rotated
tcpdump files ``-C``/``-G`` in natural order) with pcapy.dask.read_pcaps,
and their flow table with pcapy.dask.read_flows (a flow continuing into the
next file is one flow).
Without --scheduler it starts a local cluster of N worker processes and
prints its dashboard link; with --scheduler tcp://host:8786 it uses that
cluster, whose workers must see DIR at the same path (shared storage) and
have gopcapy[dask] installed. Needs ``pip install 'gopcapy[dask]'``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pcapy
import pcapy.dask

PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", -1: "non-IP"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="directory of capture files")
    parser.add_argument("--pattern", default="*.pcap*", help="file glob inside DIR (default *.pcap*)")
    parser.add_argument("--scheduler", help="address of an existing cluster, e.g. tcp://scheduler:8786")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--chunk-mb", type=int, default=128, help="split files larger than this (MiB)")
    parser.add_argument("--top", type=int, default=3, help="talkers per hour and flows (default 3)")
    args = parser.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True)
        client = Client(cluster)
    print(f"dashboard: {client.dashboard_link}")
    try:
        return analyse(args)
    except pcapy.PcapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
        if not args.scheduler:
            cluster.close()


def analyse(args: argparse.Namespace) -> int:
    import dask

    df = pcapy.dask.read_pcaps(str(args.dir / args.pattern), fields=["ts", "len", "proto", "src"],
                               chunk_bytes=args.chunk_mb << 20)
    df = df.assign(hour=df.ts.dt.floor("h"))
    # Per-hour tables are small: combine them in one piece (split_out=1)
    # rather than shuffling; one compute() reads the files once for both.
    mix = df.groupby(["hour", "proto"]).len.agg(["count", "sum"], split_out=1)
    talkers = df[df.src.notnull()].groupby(["hour", "src"], observed=True).len.sum(split_out=1)
    flows = pcapy.dask.read_flows(str(args.dir / args.pattern), chunk_bytes=args.chunk_mb << 20)
    mix, talkers, flows = dask.compute(mix, talkers, flows)
    print(f"{df.npartitions} partitions, {int(mix['count'].sum()):,} packets")
    for hour in sorted(mix.index.get_level_values("hour").unique()):
        print(f"\n{hour:%Y-%m-%d %H:00} UTC")
        print("  protocol        packets          bytes")
        for proto, row in mix.loc[hour].sort_values("sum", ascending=False).iterrows():
            name = PROTOCOLS.get(int(proto), str(proto))
            print(f"  {name:<10} {int(row['count']):>12,} {int(row['sum']):>14,}")
        print("  top talkers (bytes sent)")
        for src, sent in talkers.loc[hour].nlargest(args.top).items():
            print(f"  {src:<39} {int(sent):>14,}")
    print(f"\n{len(flows):,} flows; the largest (bytes)")
    for flow in flows.nlargest(args.top, "bytes").itertuples():
        ends = f"{flow.src_ip} {flow.src_port} > {flow.dst_ip} {flow.dst_port}"
        name = PROTOCOLS.get(flow.protocol, str(flow.protocol))
        print(f"  {name:<6} {ends:<60} {flow.packets:>8,} packets {flow.bytes:>12,} bytes"
              f" {flow.duration.total_seconds():>9.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
