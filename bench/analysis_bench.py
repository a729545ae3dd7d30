"""Columnar analysis vs per-packet Python loops: bytes per 5-tuple flow.

usage: python bench/analysis_bench.py [--packets N] [--runs R] [--dpkt-runs D]
                                      [--capture PCAP] [--markdown FILE]
       python bench/analysis_bench.py --worker WORKLOAD PCAP   (one timed run, JSON)

The same question, answered four ways on the benchmark capture (N packets,
default 1,000,000, made by python/tests/capgen.py and cached in bench/out/
under bench/run.py's name, so both benchmarks share it); then
bench/analysis_stream.py's part (reading speed against cat and the C floor,
chunks, Arrow, read_flows against NFStream):

  columnar   pcapy.read_dataframe(path, fields=[...]) then
             df.groupby([src, dst, proto, sport, dport]).agg(packets, bytes)
  pcapy-ng   pcapy-ng 2.1.0 (the C extension, .venv-ref): next() + struct loop
  ours-loop  the same loop on this project's pcapy (for reference)
  dpkt       dpkt.pcap.Reader + dpkt.ethernet.Ethernet, the usual dpkt loop

Each run is a fresh process (imports not timed), runs interleaved, median
reported. The flow tables (src, dst, proto, sport, dport -> packets, bytes;
IP packets only; ports -1 for protocols without) must be identical across
all four, else exit 1. Then read_columns on one file vs two files at once
(the capture and a copy of it: one goroutine each, rows in list order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # analysis_stream, run
OUT = ROOT / "bench" / "out"
CAPGEN = ROOT / "python" / "tests" / "capgen.py"
FRAMES = ROOT / "python" / "pcapy" / "_frames.py"  # capgen's frame builders: part of its version
OURS = ROOT / ".venv" / "bin" / "python"
REF = ROOT / ".venv-ref" / "bin" / "python"
KEY = ["src", "dst", "proto", "sport", "dport"]
TARGETS = {"pcapy-ng": 3.0, "dpkt": 25.0}  # issue #5: columnar must be this many times faster


# ------------------------------------------------------------- workloads
# Each returns {(src, dst, proto, sport, dport): [packets, bytes]} with
# addresses as strings, and runs in its own process (--worker).

def w_columnar(path: str) -> dict:
    import pcapy

    df = pcapy.read_dataframe(path, fields=KEY + ["len"])
    flows = df.groupby(KEY, observed=True, sort=False)["len"].agg(["size", "sum"])
    return flows


def _flows_to_dict(flows) -> dict:
    return {(s, d, int(p), int(sp), int(dp)): [int(n), int(b)]
            for (s, d, p, sp, dp), n, b in zip(flows.index, flows["size"], flows["sum"])}


def w_loop(path: str) -> dict:
    """Ethernet/IPv4/IPv6/TCP/UDP with struct on next() results (pcapy-ng or ours)."""
    import struct

    import pcapy

    eth_type = struct.Struct("!H").unpack_from
    ipv4 = struct.Struct("!B5xHxB2x4s4s").unpack_from  # ver/ihl, flags/offset, proto, src, dst
    ipv6 = struct.Struct("!6xBx16s16s").unpack_from  # next header, src, dst
    ports = struct.Struct("!HH").unpack_from
    reader = pcapy.open_offline(path)
    nxt = reader.next
    flows: dict = {}
    get = flows.get
    while True:
        hdr, data = nxt()
        if hdr is None:
            break
        (et,) = eth_type(data, 12)
        if et == 0x0800:
            vihl, frag, proto, src, dst = ipv4(data, 14)
            l4 = 14 + (vihl & 15) * 4
            first = not frag & 0x1FFF
        elif et == 0x86DD:
            proto, src, dst = ipv6(data, 14)
            l4, first = 54, True
        else:
            continue
        if first and (proto == 6 or proto == 17):
            sport, dport = ports(data, l4)
        else:
            sport = dport = -1
        key = (src, dst, proto, sport, dport)
        v = get(key)
        if v is None:
            flows[key] = [1, hdr.getlen()]
        else:
            v[0] += 1
            v[1] += hdr.getlen()
    reader.close()
    return flows


def w_dpkt(path: str) -> dict:
    import dpkt

    IP, IP6, TCP, UDP = dpkt.ip.IP, dpkt.ip6.IP6, dpkt.tcp.TCP, dpkt.udp.UDP
    flows: dict = {}
    get = flows.get
    with open(path, "rb") as f:
        for _ts, buf in dpkt.pcap.Reader(f):
            ip = dpkt.ethernet.Ethernet(buf).data
            if not isinstance(ip, (IP, IP6)):
                continue
            l4 = ip.data
            if isinstance(l4, (TCP, UDP)):
                sport, dport = l4.sport, l4.dport
            else:
                sport = dport = -1
            key = (ip.src, ip.dst, ip.p, sport, dport)
            v = get(key)
            if v is None:
                flows[key] = [1, len(buf)]  # dpkt gives no wire length: caplen (== len here)
            else:
                v[0] += 1
                v[1] += len(buf)
    return flows


def _addr(raw: bytes) -> str:
    import socket

    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def copy_of(path: Path) -> Path:
    """A second file with the same packets. Not the same file twice: two
    readers of the same pages contend in the kernel's page cache."""
    return path.with_name(f"analysis-copy-of-{path.name}")


def w_columns_files(path: str, files: int) -> dict:
    import pcapy

    paths = [path, str(copy_of(Path(path)))][:files]
    cols = pcapy.read_columns(paths, fields=["ts", "len", "src", "dport"])
    return {"rows": len(cols["ts"])}


WORKERS = {"columnar": w_columnar, "pcapy-ng": w_loop, "ours-loop": w_loop, "dpkt": w_dpkt}


def worker(name: str, path: str) -> int:
    """One timed run; prints JSON (seconds, packets, flows, table digest)."""
    if name.startswith("files"):
        files = int(name[5:])
        w_columns_files(path, 1)  # warm: the extension loaded, numpy imported
        t0 = time.perf_counter()
        out = w_columns_files(path, files)
        seconds = time.perf_counter() - t0
        print(json.dumps({"seconds": seconds, "rows": out["rows"]}))
        return 0
    import pcapy  # noqa: F401  (imports are not timed)

    if name == "columnar":
        import pandas  # noqa: F401
    if name == "dpkt":
        import dpkt  # noqa: F401
    t0 = time.perf_counter()
    flows = WORKERS[name](path)
    seconds = time.perf_counter() - t0
    table = _flows_to_dict(flows) if name == "columnar" else {
        (_addr(k[0]), _addr(k[1]), *k[2:]): v for k, v in flows.items()}
    canon = sorted((list(k) + v) for k, v in table.items())
    text = json.dumps(canon)
    table_file = OUT / f"flows-{name}.json"
    table_file.write_text(text)
    print(json.dumps({
        "seconds": seconds,
        "packets": sum(v[0] for v in table.values()),
        "bytes": sum(v[1] for v in table.values()),
        "flows": len(table),
        "digest": hashlib.sha256(text.encode()).hexdigest()[:16],
        "module": sys.modules["pcapy"].__file__,
    }))
    return 0


# ---------------------------------------------------------------- driver

def log(msg: str) -> None:
    print(f"analysis-bench: {msg}", file=sys.stderr, flush=True)


def capture(packets: int) -> Path:
    """bench/run.py's capture: same generator, seed and file name."""
    digest = hashlib.sha256(CAPGEN.read_bytes() + FRAMES.read_bytes()).hexdigest()[:8]
    path = OUT / f"mix-{packets}-s1-{digest}.pcap"
    if not path.exists():
        log(f"generating {path.name} ({packets:,} packets)")
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, str(CAPGEN), str(tmp), "--count", str(packets), "--seed", "1"],
                       check=True)
        os.replace(tmp, path)
    return path


def run(python: Path, name: str, path: Path) -> dict:
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", name, str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"analysis-bench: {name} failed: {shlex.join(cmd)}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packets", type=int, default=int(os.environ.get("BENCH_PACKETS", 1_000_000)))
    ap.add_argument("--runs", type=int, default=5, help="runs of each fast workload (default 5)")
    ap.add_argument("--dpkt-runs", type=int, default=3, help="runs of dpkt (default 3: ~13 s each)")
    ap.add_argument("--nfstream-runs", type=int, default=2, help="runs of NFStream (default 2)")
    ap.add_argument("--capture", help="use this capture instead of the generated one")
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "PCAP"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(*args.worker)

    OUT.mkdir(parents=True, exist_ok=True)
    path = Path(args.capture) if args.capture else capture(args.packets)
    if not REF.exists():
        subprocess.run(["bash", str(ROOT / "tools" / "refenv.sh"), str(ROOT / ".venv-ref")], check=True)
    load0 = f"{os.getloadavg()[0]:.2f}"
    second = copy_of(path)
    if not second.exists() or second.stat().st_size != path.stat().st_size:
        shutil.copyfile(path, second)
    for p in (path, second):  # into the page cache: every workload reads them warm
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass
    plan = [("columnar", OURS), ("pcapy-ng", REF), ("ours-loop", OURS)]
    runs: dict[str, list[dict]] = {name: [] for name in ["columnar", "pcapy-ng", "ours-loop", "dpkt"]}
    for i in range(max(args.runs, args.dpkt_runs)):
        for name, python in plan + [("dpkt", OURS)]:
            if len(runs[name]) < (args.dpkt_runs if name == "dpkt" else args.runs):
                runs[name].append(run(python, name, path))
                log(f"{name} run {len(runs[name])}: {runs[name][-1]['seconds']:.3f} s")
    digests = {name: {r["digest"] for r in rs} for name, rs in runs.items()}
    same = len(set().union(*digests.values())) == 1

    files: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.runs):
        for n in (1, 2):
            files[n].append(run(OURS, f"files{n}", path)["seconds"])

    med = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
    best = {name: min(r["seconds"] for r in rs) for name, rs in runs.items()}
    # Speedups from runs made back to back (the runs are interleaved), so a
    # busy moment on the machine slows both sides of a pair.
    paired = {name: statistics.median(r["seconds"] / c["seconds"] for r, c in zip(rs, runs["columnar"]))
              for name, rs in runs.items()}
    first = runs["columnar"][0]
    lines = [
        f"Bytes per 5-tuple flow on `{path.name}`: {first['packets']:,} IP packets "
        f"of {args.packets:,}, {first['flows']:,} flows, {path.stat().st_size / 1e6:,.0f} MB.",
        "",
        "| approach | median time | best time | packets/s (median) | columnar is faster by (paired median; best vs best) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in [("columnar", "`read_dataframe` + `groupby` (this project)"),
                        ("pcapy-ng", "pcapy-ng 2.1.0: `next()` + `struct` loop"),
                        ("ours-loop", "this project's pcapy: same loop"),
                        ("dpkt", "dpkt 1.9.8: `pcap.Reader` + `ethernet.Ethernet`")]:
        speedup = "" if name == "columnar" else f"{paired[name]:.1f}x; {best[name] / best['columnar']:.1f}x"
        lines.append(f"| {label} | {med[name]:.3f} s | {best[name]:.3f} s | "
                     f"{args.packets / med[name] / 1e6:.2f} M | {speedup} |")
    t1, t2 = statistics.median(files[1]), statistics.median(files[2])
    lines += [
        "",
        f"Flow tables identical across the four: {'yes' if same else 'NO'}.",
        "",
        "`read_columns` (ts, len, src, dport), one file vs two files (the capture and a copy) "
        f"in one call (a goroutine per file, {os.cpu_count()} cores):",
        "",
        "| files | median time | best time | packets/s (median) | speedup (median; best) |",
        "|---|---:|---:|---:|---:|",
        f"| 1 | {t1:.3f} s | {min(files[1]):.3f} s | {args.packets / t1 / 1e6:.2f} M | |",
        f"| 2 | {t2:.3f} s | {min(files[2]):.3f} s | {2 * args.packets / t2 / 1e6:.2f} M | "
        f"{2 * t1 / t2:.2f}x; {2 * min(files[1]) / min(files[2]):.2f}x |",
        "",
        f"Load average before/after: {load0} / {os.getloadavg()[0]:.2f} (other work on the machine slows every number).",
        "",
    ]
    for name, target in TARGETS.items():
        got = paired[name]
        lines.append(f"Target: columnar >= {target:g}x faster than {name}: "
                     f"{got:.1f}x (paired median), {'met' if got >= target else 'NOT met'}.")
    # Reading speed against cat and the C floor, chunks, Arrow, flows and NFStream.
    import analysis_stream
    import run as bench_run

    lines += analysis_stream.section(path, args.runs, args.nfstream_runs, bench_run.cfloor(OUT))
    report = "\n".join(lines) + "\n"
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(
            f"# Analysis benchmark\n\n{platform.platform()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}\n\n`{shlex.join(sys.argv)}`\n\n{report}")
    if not same:
        log(f"flow tables differ: {digests}; see {OUT}/flows-*.json")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
