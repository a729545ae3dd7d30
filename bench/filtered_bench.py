"""loop_filtered and loop_to_buffer against pcapy-ng 2.1.0, timed as pcapy-ng's
own harness times them (its benchmarks/bench.py): the loop only. Opening the
reader, packing the address set and allocating the buffer are set-up, off
the clock, on both sides; so is the first use of the module (ours starts the
Go runtime then).

usage: python bench/filtered_bench.py --ref REF_PYTHON [--capture PCAP] [--pairs P]
           [--scenarios a,b] [--markdown FILE]
       python bench/filtered_bench.py --run-one SCENARIO PCAP   (one measurement, JSON)

Each scenario runs in fresh processes, interleaved pcapy-ng / ours (the
order alternating pair by pair); the ratio is pcapy-ng's time over ours in
the same pair: median and range, by wall clock and by CPU time. Results must
be identical in every run (the counters, and a CRC of loop_to_buffer's
bytes), else the script fails. The capture defaults to make bench's
(bench/run.py's BENCH_OUT cache).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name: (call, admit_mask, address set?, flow_cutoff, buffer)
# buffer "all": room for the whole capture (pcapy-ng's buf_* scenarios);
# a number: that many MB (bench/workloads.py's to_buffer).
SCENARIOS = {
    "cls_admit_none": ("loop_filtered", 0, False, 0, None),
    "cls_flowheads_3": ("loop_filtered", 1 << 1, False, 3, None),
    "cls_addrset": ("loop_filtered", 1 << 2, True, 0, None),
    "cls_admit_all": ("loop_filtered", 7, False, 0, None),
    "buf_flowheads_3": ("loop_to_buffer", 1 << 1, False, 3, "all"),
    "buf_addrset": ("loop_to_buffer", 1 << 2, True, 0, "all"),
    "buf_admit_all": ("loop_to_buffer", 7, False, 0, "all"),
    "buf_64mb_heads_set": ("loop_to_buffer", 1 << 1 | 1 << 2, True, 3, 64),
}
DESCRIPTIONS = {
    "cls_admit_none": "`loop_filtered(-1, cb, 0)`: classify and count only (profiling)",
    "cls_flowheads_3": "`loop_filtered(-1, cb, 1 << 1, b'', 3)`: flow heads to `cb`",
    "cls_addrset": "`loop_filtered(-1, cb, 1 << 2, addrs)`: set matches to `cb`",
    "cls_admit_all": "`loop_filtered(-1, cb, 7)`: every packet to `cb`",
    "buf_flowheads_3": "`loop_to_buffer(-1, buf, 1 << 1, b'', 3)`",
    "buf_addrset": "`loop_to_buffer(-1, buf, 1 << 2, addrs)`",
    "buf_admit_all": "`loop_to_buffer(-1, buf, 7)`: the whole capture copied",
    "buf_64mb_heads_set": "`loop_to_buffer(-1, 64 MB, heads and set, 3)` (make bench's `to_buffer`)",
}
SET_SAMPLE = 50_000  # packets read for the address set


def address_set(pcapy, path: str) -> bytes:
    """Every 10th distinct IPv4 source among the first packets, packed: the
    same bytes on both sides (both modules read the same packets)."""
    r = pcapy.open_offline(path)
    sources = set()
    for _ in range(SET_SAMPLE):
        hdr, data = r.next()
        if hdr is None:
            break
        if data[12:14] == b"\x08\x00" and len(data) >= 34:
            sources.add(data[26:30])
    r.close()
    return b"".join(sorted(sources)[::10])


def _noop(hdr, data, cls):
    return None


def run_one(name: str, path: str) -> dict:
    import pcapy

    call, mask, with_set, cutoff, buffer = SCENARIOS[name]
    first = pcapy.open_offline(path)  # first use off the clock: Go starts here
    first.next()
    first.close()
    addrs = address_set(pcapy, path) if with_set else b""
    buf = None
    if buffer == "all":
        buf = bytearray(os.path.getsize(path))  # records are 5 bytes, pcap's 16
    elif buffer is not None:
        buf = bytearray(buffer << 20)
    reader = pcapy.open_offline(path)
    cpu0, t0 = time.process_time(), time.perf_counter()
    if call == "loop_filtered":
        counts = reader.loop_filtered(-1, _noop, mask, addrs, cutoff)
    else:
        counts = reader.loop_to_buffer(-1, buf, mask, addrs, cutoff)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    reader.close()
    result = {"counts": list(counts)}
    if buf is not None:
        result["crc"] = zlib.crc32(memoryview(buf)[:counts[3]])
    return {"module": pcapy.__file__, "wall": wall, "cpu": cpu, "result": result}


def default_capture() -> Path:
    """make bench's capture (bench/run.py makes it: BENCH_OUT, BENCH_PACKETS)."""
    out = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "out"))
    packets = int(os.environ.get("BENCH_PACKETS", 1_000_000))
    found = sorted(out.glob(f"mix-{packets}-*.pcap"), key=lambda p: p.stat().st_mtime)
    if not found:
        sys.exit(f"filtered_bench: no mix-{packets}-*.pcap in {out}: run bench/run.py first, or pass --capture")
    return found[-1]


def measure(python: str, name: str, path: Path) -> dict:
    out = subprocess.run([python, __file__, "--run-one", name, str(path)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)


def ratio_text(ratios: list[float]) -> str:
    return f"**{statistics.median(ratios):.2f}×** ({min(ratios):.2f}–{max(ratios):.2f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run-one", nargs=2, metavar=("SCENARIO", "PCAP"))
    ap.add_argument("--ref", help="pcapy-ng's interpreter (.venv-ref/bin/python)")
    ap.add_argument("--ours", default=str(ROOT / ".venv" / "bin" / "python"))
    ap.add_argument("--capture", type=Path)
    ap.add_argument("--pairs", type=int, default=int(os.environ.get("BENCH_PAIRS", 7)))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    if args.run_one:
        print(json.dumps(run_one(*args.run_one)))
        return 0
    if not args.ref:
        ap.error("--ref is required")
    path = args.capture or default_capture()
    names = args.scenarios.split(",")
    with open(path, "rb") as f:  # into the page cache: no disk in the measurement
        while f.read(1 << 24):
            pass
    load_start = os.getloadavg()
    rows, failed = [], False
    for name in names:
        runs: dict[str, list[dict]] = {"ng": [], "ours": []}
        for i in range(args.pairs):
            order = [("ng", args.ref), ("ours", args.ours)]
            for side, python in order if i % 2 == 0 else order[::-1]:
                runs[side].append(measure(python, name, path))
        results = {json.dumps(r["result"], sort_keys=True) for side in runs for r in runs[side]}
        if len(results) != 1:
            failed = True
            print(f"filtered_bench: {name}: results differ: {sorted(results)}", file=sys.stderr)
        wall = [a["wall"] / b["wall"] for a, b in zip(runs["ng"], runs["ours"])]
        cpu = [a["cpu"] / b["cpu"] for a, b in zip(runs["ng"], runs["ours"])]
        counts = runs["ours"][0]["result"]["counts"]
        packets = counts[0] + counts[1]
        mpps = {side: packets / statistics.median(r["wall"] for r in runs[side]) / 1e6 for side in runs}
        rows.append(f"| {DESCRIPTIONS[name]} | {counts[0]:,} | {mpps['ng']:.2f} | {mpps['ours']:.2f} | "
                    f"{ratio_text(wall)} | {ratio_text(cpu)} |")
        print(f"filtered_bench: {name}: wall {ratio_text(wall)}, cpu {ratio_text(cpu)}", file=sys.stderr, flush=True)
    load_end = os.getloadavg()
    text = "\n".join([
        f"loop_filtered / loop_to_buffer, the loop only timed (as pcapy-ng's benchmarks/bench.py): "
        f"{path.name}, {args.pairs} interleaved pairs of fresh processes per scenario; "
        f"ratio = pcapy-ng's time / ours in the same pair, median (min–max). "
        f"Load average at the start {', '.join(f'{x:.2f}' for x in load_start)}, "
        f"at the end {', '.join(f'{x:.2f}' for x in load_end)} ({os.cpu_count()} CPUs).",
        "",
        "| scenario | admitted | pcapy-ng 2.1.0 (Mpkt/s) | pcapy, Go (Mpkt/s) | ratio, wall | ratio, CPU |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
