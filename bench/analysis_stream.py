"""The analysis benchmark's second part: reading speed against `cat`, the
C floor, chunks, Arrow, flows, and read_flows against NFStream.

usage: python bench/analysis_stream.py [--runs R] [--nfstream-runs N] CAPTURE
       (bench/analysis_bench.py runs it on its capture and adds its report)
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
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
OURS = ROOT / ".venv" / "bin" / "python"
FLOW_KEY = ["src_ip", "dst_ip", "src_port", "dst_port", "protocol"]


def w_read_columns(path: str) -> dict:
    import pcapy

    cols = pcapy.read_columns(path)
    return {"rows": len(cols["ts"])}


def w_read_columns_ts_len(path: str) -> dict:
    import pcapy

    cols = pcapy.read_columns(path, fields=["ts", "len"])
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


def run_floor(exe: Path, path: Path) -> dict:
    out = subprocess.run([str(exe), str(path), str(1 << 20)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def section(path: Path, runs: int, nfstream_runs: int, floor_exe: Path | None) -> list[str]:
    """Run the rounds and return the report's lines (markdown)."""
    names = ["cat"] + (["C floor"] if floor_exe else []) + list(WORKERS)
    times: dict[str, list[float]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    results: dict[str, dict] = {}
    for i in range(max(runs, nfstream_runs)):
        for name in names[1:]:
            if name.startswith("NFStream") and i >= nfstream_runs or not name.startswith("NFStream") and i >= runs:
                continue
            cat = run_cat(path)["seconds"]
            times["cat"].append(cat)
            r = run_floor(floor_exe, path) if name == "C floor" else run_worker(name, path)
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
        lines.append(f"| {name} | {statistics.median(times[name]):.3f} s | {statistics.median(rs):.1f}x | "
                     f"{min(rs):.1f}x-{max(rs):.1f}x |")
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
    ap.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "PCAP"), help=argparse.SUPPRESS)
    ap.add_argument("capture", nargs="?")
    args = ap.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench_run

    OUT.mkdir(parents=True, exist_ok=True)
    print("\n".join(section(Path(args.capture), args.runs, args.nfstream_runs, bench_run.cfloor(OUT))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
