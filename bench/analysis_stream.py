"""The analysis benchmark's second part: reading speed against `cat`, the
C floor, chunks, Arrow, flows, and read_flows against NFStream.

usage: python bench/analysis_stream.py [--runs R] [--nfstream-runs N] [--out DIR] [--only NAME]... CAPTURE
       (bench/analysis_bench.py runs it on its capture and adds its report;
       --only runs just the named rows, e.g. --only 'read_columns (all columns)'
       --only 'pcapng: read_columns (all columns)'; --out (or BENCH_OUT) is where
       the pcapng copy and other outputs go, so that they are made once)
       python bench/analysis_stream.py --worker WORKLOAD CAPTURE   (one timed run, JSON)

Every workload runs in a fresh process (imports and a warm-up of the Go
extension not timed) and the rounds are interleaved: in each round every
workload runs once, right after `cat` of the same file, so the ratio to
`cat` of that round compares two runs made moments apart on the same
(shared, loaded) machine. The report gives the median and range of those
paired ratios, and the median time.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "out"))  # workers inherit BENCH_OUT
OURS = ROOT / ".venv" / "bin" / "python"
FLOW_KEY = ["src_ip", "dst_ip", "src_port", "dst_port", "protocol"]
PCAPNG = "pcapng: "  # workloads named so read the same packets written as pcapng
FILTER = "tcp"  # the filter of the filtered rows (C floor and read_columns)
FILTERED = f"read_columns (all columns), filter '{FILTER}'"


def w_read_columns(path: str) -> dict:
    import pcapy

    cols = pcapy.read_columns(path)
    return {"rows": len(cols["ts"])}


def w_read_columns_ts_len(path: str) -> dict:
    import pcapy

    cols = pcapy.read_columns(path, fields=["ts", "len"])
    return {"rows": len(cols["ts"])}


def w_read_columns_tcp(path: str) -> dict:
    import pcapy

    cols = pcapy.read_columns(path, FILTER)
    return {"rows": len(cols["ts"])}


def w_iter_columns(path: str) -> dict:
    import pcapy

    rows = 0
    for chunk in pcapy.iter_columns(path):
        rows += len(chunk["ts"])
    return {"rows": rows}


def w_read_arrow(path: str) -> dict:
    import pcapy

    return {"rows": pcapy.read_arrow(path).num_rows}


def w_to_parquet(path: str) -> dict:
    import pcapy

    out = OUT / "analysis-stream.parquet"
    rows = pcapy.to_parquet(path, out)
    return {"rows": rows, "mb": round(out.stat().st_size / 1e6, 1)}


def _totals(df, packets: str, nbytes: str) -> dict:
    return {"flows": len(df), "packets": int(df[packets].sum()), "bytes": int(df[nbytes].sum())}


def w_read_flows(path: str) -> dict:
    import pcapy

    df = pcapy.read_flows(path)
    out = _totals(df, "packets", "bytes")
    keys = df[FLOW_KEY + ["packets", "bytes"]].astype({"src_ip": str, "dst_ip": str})
    # NFStream's conventions for the comparison: ports 0 where there are none.
    keys.loc[keys["src_port"] < 0, ["src_port", "dst_port"]] = 0
    (OUT / "flows-read_flows.json").write_text(json.dumps(sorted(map(list, keys.itertuples(index=False)))))
    return out


def w_nfstream(path: str) -> dict:
    import nfstream

    df = nfstream.NFStreamer(source=path, statistical_analysis=False, n_dissections=0,
                             idle_timeout=120, active_timeout=1800).to_pandas()
    out = _totals(df, "bidirectional_packets", "bidirectional_bytes")
    keys = df[FLOW_KEY + ["bidirectional_packets", "bidirectional_bytes"]]
    rows = [[str(a), str(b), int(c), int(d), int(e), int(f), int(g)] for a, b, c, d, e, f, g in keys.itertuples(index=False)]
    (OUT / "flows-nfstream.json").write_text(json.dumps(sorted(rows)))
    return out


WORKERS = {
    "read_columns (all columns)": w_read_columns,
    "read_columns (ts, len)": w_read_columns_ts_len,
    FILTERED: w_read_columns_tcp,
    PCAPNG + "read_columns (all columns)": w_read_columns,
    PCAPNG + "read_columns (ts, len)": w_read_columns_ts_len,
    "iter_columns (all, 1M-row chunks)": w_iter_columns,
    "read_arrow (all columns)": w_read_arrow,
    "to_parquet (zstd)": w_to_parquet,
    "read_flows": w_read_flows,
    "NFStream 6.6.0 (flows, no dissection)": w_nfstream,
}


def worker(name: str, path: str) -> int:
    import pcapy

    if name != "NFStream 6.6.0 (flows, no dissection)":
        import numpy  # noqa: F401
        import pandas  # noqa: F401

        pcapy.read_columns(path, count=1)  # the Go runtime started, imports done
        if "arrow" in name or "parquet" in name:
            import pyarrow.parquet  # noqa: F401
    else:
        import nfstream  # noqa: F401
    t0 = time.perf_counter()
    out = WORKERS[name](path)
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out))
    return 0


def run_worker(name: str, path: Path) -> dict:
    cmd = [str(OURS), str(Path(__file__).resolve()), "--worker", name, str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"analysis-stream: {name} failed: {shlex.join(cmd)}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cat(path: Path) -> dict:
    t0 = time.perf_counter()
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)
    return {"seconds": time.perf_counter() - t0}


def run_floor(exe: Path, path: Path, bpf: str | None = None) -> dict:
    argv = [str(exe), str(path), str(1 << 20)] + ([bpf] if bpf else [])
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def pcapng_copy(path: Path) -> Path:
    """The same packets as a pcapng file (made once, beside the benchmark's outputs)."""
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / (path.stem + ".pcapng")
    if not out.exists() or out.stat().st_mtime < path.stat().st_mtime:
        import pcapy
        from pcapy._frames import write_pcapng

        def packets():
            r = pcapy.open_offline(str(path))
            while True:
                hdr, data = r.next()
                if hdr is None:
                    return
                sec, usec = hdr.getts()
                yield sec * 1_000_000_000 + usec * 1000, data

        tmp = out.with_suffix(".tmp")
        write_pcapng(tmp, packets())
        tmp.replace(out)
    return out


def section(path: Path, runs: int, nfstream_runs: int, floor_exe: Path | None,
            only: list[str] | None = None) -> list[str]:
    """Run the rounds and return the report's lines (markdown); only: just these rows."""
    floors = ["C floor", f"C floor, filter '{FILTER}'"] if floor_exe else []
    names = ["cat"] + [n for n in floors + list(WORKERS) if not only or n in only]
    ng = pcapng_copy(path)
    times: dict[str, list[float]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    results: dict[str, dict] = {}
    for i in range(max(runs, nfstream_runs)):
        for name in names[1:]:
            if name.startswith("NFStream") and i >= nfstream_runs or not name.startswith("NFStream") and i >= runs:
                continue
            file = ng if name.startswith(PCAPNG) else path
            cat = run_cat(file)["seconds"]
            times["cat"].append(cat)
            if name in floors:
                r = run_floor(floor_exe, file, FILTER if name != "C floor" else None)
            else:
                r = run_worker(name, file)
            results[name] = r
            times[name].append(r["seconds"])
            ratios[name].append(r["seconds"] / cat)
            print(f"analysis-stream: {name} run {i + 1}: {r['seconds']:.3f} s ({r['seconds'] / cat:.1f}x cat)",
                  file=sys.stderr, flush=True)
    lines = [
        "",
        f"Reading `{path.name}` ({path.stat().st_size / 1e6:,.0f} MB, page cache warm) against `cat` of the "
        "same file run just before it (paired ratios, median and range; "
        f"{runs} rounds, NFStream {nfstream_runs}):",
        "",
        "| workload | median time | time / `cat` (median) | range |",
        "|---|---:|---:|---:|",
        f"| `cat file > /dev/null` | {statistics.median(times['cat']):.3f} s | 1.0x | |",
    ]
    for name in names[1:]:
        rs = ratios[name]
        if not rs:  # not run (--nfstream-runs 0)
            continue
        lines.append(f"| {name} | {statistics.median(times[name]):.3f} s | {statistics.median(rs):.1f}x | "
                     f"{min(rs):.1f}x-{max(rs):.1f}x |")
    def median_ratio(name: str, base: str) -> float:
        return statistics.median(times[name]) / statistics.median(times[base])

    def cost(name: str, base: str) -> float:  # the median of round-by-round differences
        return statistics.median(a - b for a, b in zip(times[name], times[base]))

    def have(*rows: str) -> bool:
        return all(times.get(r) for r in rows)

    pairs = [(PCAPNG + "read_columns (all columns)", "read_columns (all columns)"),
             (PCAPNG + "read_columns (ts, len)", "read_columns (ts, len)")]
    if have(*pairs[0], *pairs[1]):
        lines += [
            "",
            f"pcapng (the same packets, {ng.stat().st_size / 1e6:,.0f} MB: the rows marked pcapng) over pcap, median "
            f"times: all columns {median_ratio(PCAPNG + 'read_columns (all columns)', 'read_columns (all columns)'):.2f}x, "
            f"ts+len {median_ratio(PCAPNG + 'read_columns (ts, len)', 'read_columns (ts, len)'):.2f}x "
            "(paired by round: " + ", ".join(
                f"{statistics.median(a / b for a, b in zip(times[ng_row], times[row])):.2f}x "
                f"[{min(a / b for a, b in zip(times[ng_row], times[row])):.2f}-"
                f"{max(a / b for a, b in zip(times[ng_row], times[row])):.2f}]" for ng_row, row in pairs) + ").",
        ]
    if floors and have(FILTERED, "read_columns (all columns)", *floors):
        lines += [
            "",
            f"Filter '{FILTER}': read_columns takes {cost(FILTERED, 'read_columns (all columns)'):+.3f} s over no "
            f"filter; libpcap's own loop {cost(floors[1], floors[0]):+.3f} s (what the filter itself costs).",
        ]
    ours = results.get("read_flows", {})
    theirs = results.get("NFStream 6.6.0 (flows, no dissection)", {})
    if ours and theirs:
        a = json.loads((OUT / "flows-read_flows.json").read_text())
        b = json.loads((OUT / "flows-nfstream.json").read_text())
        same = sum(1 for x, y in zip(a, b) if x == y) if len(a) == len(b) else None
        lines += [
            "",
            "read_flows against NFStream (idle 120 s, active 1800 s, both bidirectional):",
            "",
            "| | flows | packets | bytes |",
            "|---|---:|---:|---:|",
            f"| read_flows | {ours['flows']:,} | {ours['packets']:,} | {ours['bytes']:,} |",
            f"| NFStream | {theirs['flows']:,} | {theirs['packets']:,} | {theirs['bytes']:,} |",
            "",
            "Flow by flow (5-tuple, packets, bytes; ports 0 where there are none, as NFStream gives): "
            + ("identical." if same == len(a) else
               f"{same if same is not None else 'not comparable:'} of {len(a):,} rows equal "
               f"({len(b):,} NFStream rows); see bench/out/flows-*.json."),
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--nfstream-runs", type=int, default=2)
    ap.add_argument("--out", type=Path, help="where outputs go (default: BENCH_OUT or bench/out)")
    ap.add_argument("--only", action="append", choices=["C floor", f"C floor, filter '{FILTER}'", *WORKERS],
                    help="run only this row (repeatable)")
    ap.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "PCAP"), help=argparse.SUPPRESS)
    ap.add_argument("capture", nargs="?")
    args = ap.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench_run

    global OUT
    if args.out:
        OUT = args.out
        os.environ["BENCH_OUT"] = str(args.out)  # for the workers
    OUT.mkdir(parents=True, exist_ok=True)
    print("\n".join(section(Path(args.capture), args.runs, args.nfstream_runs, bench_run.cfloor(OUT), args.only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
