"""Benchmark this project's pcapy against pcapy-ng 2.1.0 (the C extension).

usage: python bench/run.py [--packets N] [--pairs P] [--workloads a,b] [--markdown FILE]
                          [--workloads-only]
       (environment: BENCH_PACKETS, BENCH_PAIRS, BENCH_WORKLOADS, BENCH_OUT)

1. Generates a deterministic capture of N Ethernet packets (default 1,000,000)
   with python/tests/capgen.py: IPv4/IPv6, TCP/UDP/ICMP, a third of the frames
   60-99 bytes and a third 1400 bytes or more. Cached in bench/out/.
2. Makes sure the reference virtualenv exists (tools/refenv.sh: pcapy-ng
   2.1.0 from PyPI, built against the system libpcap) and builds the C floor
   (bench/cfloor.c: a pcap_next_ex loop).
3. Runs every workload of bench/workloads.py with both interpreters in fresh
   processes, interleaved run for run (pcapy-ng, ours, pcapy-ng, ours, ...);
   pcapy-ng's own harness scenarios (raw_*) on a 400,000-packet capture
   shaped like its own (bench/ng_capture.py, or BENCH_NG_CAPTURE), and each
   workload's floor (the same code over packets already in memory),
   P pairs (default 7: this kind of machine is noisy, a median of 7 pairs
   is steadier than of 5); the same script runs on both sides and the
   interpreter decides which pcapy it imports.
4. Fails loudly (exit 1) when the two modules' results differ (packet
   counts, byte sums, last timestamp, ...) in any run.
5. Prints a Markdown table: packets/s (median of the runs) of each module,
   the median of the paired time ratios (pcapy-ng time / our time) and their
   range, the same for CPU time (less disturbed by other load on the
   machine), each path's distance to its floor, the C floor, import time
   (bench/import_time.py) and RSS. --markdown also writes it,
   with the machine and the command, to a file. --workloads-only stops
   after step 4 and prints the workload and floor tables (no C floor,
   import times or breakdown: for measuring a change to one path).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
CAPGEN = ROOT / "python" / "tests" / "capgen.py"
FRAMES = ROOT / "python" / "pcapy" / "_frames.py"  # capgen's frame builders: part of its version
WORKLOADS = ["next", "loop", "dispatch", "filter", "fivetuple", "next_batch", "filtered_profile",
             "filtered_heads", "to_buffer"]
# pcapy-ng's own harness scenarios (its benchmarks/bench.py), on a capture like its own.
NG_WORKLOADS = ["raw_next", "raw_loop", "raw_next_batch_1024_slice"]
NG_PACKETS = 400_000
# The workloads with a floor (bench/workloads.py --floor): those of the classic API.
FLOOR_WORKLOADS = {"next", "loop", "dispatch", "filter", "fivetuple", "next_batch", *NG_WORKLOADS}
DESCRIPTIONS = {
    "next": "`next()` loop: `getts()`, `getcaplen()`, `len(data)`",
    "loop": "`loop(-1, cb)`, same callback",
    "dispatch": "`dispatch(-1, cb)`, same callback",
    "filter": "`setfilter('tcp')`, then `dispatch(-1, cb)`",
    "fivetuple": "5-tuple byte counts: `next()` + `struct`",
    "next_batch": "`next_batch(256)` + `array('I', meta)`",
    "filtered_profile": "`loop_filtered(-1, cb, admit_mask=0)`: classify and count only",
    "filtered_heads": "`loop_filtered(-1, cb, 1 << 1, b'', 3)`: flow heads to the callback",
    "to_buffer": "`loop_to_buffer(-1, 64 MB, heads and set, cutoff 3)`",
    "raw_next": "`raw_next`: `next()` until the end, counting",
    "raw_loop": "`raw_loop`: `loop(-1, cb)`, `cb` does nothing",
    "raw_next_batch_1024_slice": "`raw_next_batch_1024_slice`: `next_batch(1024)`, "
                                 "`struct.unpack_from` + a slice per packet",
}
# The ratio to pcapy-ng the project promises (issue 12); pcapy-ng's filtering
# calls run in C with no Python per dropped packet: ours at least as fast.
TARGETS = {"next": 1.5, "loop": 1.5, "dispatch": 1.5, "filter": 1.5, "fivetuple": 1.2, "next_batch": 1.2,
           "raw_next": 1.5, "raw_loop": 1.5, "raw_next_batch_1024_slice": 1.5,
           "filtered_profile": 1.0, "filtered_heads": 1.0, "to_buffer": 1.0}
FLOOR_RUNS = 3  # per side and workload: the floor varies less than the reads
SEED = 1

# Child interpreters run as installed packages do, with .pyc files (kept out
# of the tree), whatever PYTHONDONTWRITEBYTECODE the shell has.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(BENCH / "out" / "pycache")


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def capture(out: Path, packets: int) -> Path:
    """The benchmark capture, generated once per size and generator version."""
    digest = hashlib.sha256(CAPGEN.read_bytes() + FRAMES.read_bytes()).hexdigest()[:8]
    path = out / f"mix-{packets}-s{SEED}-{digest}.pcap"
    if not path.exists():
        log(f"generating {path.name} ({packets:,} packets)")
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, str(CAPGEN), str(tmp), "--count", str(packets),
                        "--seed", str(SEED)], check=True)
        os.replace(tmp, path)
        for old in out.glob(f"mix-{packets}-*.pcap"):  # earlier generator versions
            if old != path:
                old.unlink()
    return path


def size_mix(path: Path) -> dict:
    """Share of small (60-99), medium and large (>= 1400) frames, and the mix of
    protocols, from the file itself (a check that the capture is what it claims)."""
    import struct

    small = large = n = v4 = v6 = tcp = udp = icmp = 0
    with open(path, "rb") as f:
        f.read(24)
        rec = struct.Struct("<IIII")
        while True:
            head = f.read(16)
            if len(head) < 16:
                break
            caplen = rec.unpack(head)[2]
            data = f.read(caplen)
            n += 1
            small += 60 <= caplen <= 99
            large += caplen >= 1400
            etype = data[12] << 8 | data[13]
            proto = data[23] if etype == 0x0800 else data[20] if etype == 0x86DD else -1
            v4 += etype == 0x0800
            v6 += etype == 0x86DD
            tcp += proto == 6
            udp += proto == 17
            icmp += proto in (1, 58)
            if n == 200_000:
                break
    return {k: round(v / n, 3) for k, v in
            dict(small=small, large=large, ipv4=v4, ipv6=v6, tcp=tcp, udp=udp, icmp=icmp).items()}


def cfloor(out: Path) -> Path:
    """Build the C floor program (cc and libpcap's headers are needed)."""
    exe = out / "cfloor"
    src = BENCH / "cfloor.c"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        log("building the C floor (bench/cfloor.c)")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", str(exe), str(src), "-lpcap"],
                       check=True)
    return exe


def reference_python(ref: str | None) -> str:
    """The interpreter with pcapy-ng: --ref, or the virtualenv tools/refenv.sh makes."""
    if ref:
        return ref
    venv = ROOT / ".venv-ref"
    subprocess.run(["bash", str(ROOT / "tools" / "refenv.sh"), str(venv)], check=True)
    return str(venv / "bin" / "python")


def ng_capture(out: Path, packets: int) -> Path:
    """The capture of pcapy-ng's scenarios: BENCH_NG_CAPTURE (pcapy-ng's own,
    from its gen_pcap.py) or one shaped like it (bench/ng_capture.py)."""
    given = os.environ.get("BENCH_NG_CAPTURE")
    if given:
        return Path(given)
    script = BENCH / "ng_capture.py"
    digest = hashlib.sha256(script.read_bytes() + FRAMES.read_bytes()).hexdigest()[:8]
    path = out / f"nglike-{packets}-{digest}.pcap"
    if not path.exists():
        log(f"generating {path.name} ({packets:,} packets)")
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, str(script), str(tmp), "--packets", str(packets)], check=True)
        os.replace(tmp, path)
        for old in out.glob(f"nglike-{packets}-*.pcap"):
            if old != path:
                old.unlink()
    return path


def run_json(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=CHILD_ENV)
    if proc.returncode != 0:
        sys.exit(f"bench: FAILED: {shlex.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout)


def check_modules(ref_py: str, our_py: str) -> tuple[str, str]:
    """Make sure the two interpreters import different pcapy modules, ours from this tree."""
    script = str(BENCH / "workloads.py")
    ref = run_json([ref_py, script, "--import-time"])["module"]
    ours = run_json([our_py, script, "--import-time"])["module"]
    if not ours.startswith(str(ROOT)):
        sys.exit(f"bench: {our_py} imports pcapy from {ours}, not from this tree (run `make build`)")
    if ref == ours or ref.startswith(str(ROOT / "python")):
        sys.exit(f"bench: {ref_py} does not import pcapy-ng (it imports {ref})")
    return ref, ours


def differences(workload: str, runs: dict[str, list[dict]], reference: dict | None = None) -> list[str]:
    """Every run whose results differ from pcapy-ng's first run of the workload."""
    want = (reference or runs["ref"][0])["results"]
    return [f"{workload}: {name} run {i + 1} gave {r['results']}, pcapy-ng gave {want}"
            for side, name in (("ref", "pcapy-ng"), ("ours", "ours"))
            for i, r in enumerate(runs[side]) if r["results"] != want]


def ratio_text(ratios: list[float]) -> str:
    return f"**{statistics.median(ratios):.2f}×** ({min(ratios):.2f}–{max(ratios):.2f})"


def mpps(runs: list[dict]) -> float:
    return statistics.median(r["packets"] / r["seconds"] for r in runs) / 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packets", type=int, default=int(os.environ.get("BENCH_PACKETS", 1_000_000)))
    ap.add_argument("--pairs", type=int, default=int(os.environ.get("BENCH_PAIRS", 7)))
    ap.add_argument("--workloads", default=os.environ.get("BENCH_WORKLOADS", ",".join(WORKLOADS + NG_WORKLOADS)))
    ap.add_argument("--ours", default=str(ROOT / ".venv" / "bin" / "python"),
                    help="interpreter that imports this project's pcapy")
    ap.add_argument("--ref", default=os.environ.get("BENCH_REF_PYTHON"),
                    help="interpreter that imports pcapy-ng (default: .venv-ref, made if missing)")
    ap.add_argument("--out", default=os.environ.get("BENCH_OUT", str(BENCH / "out")))
    ap.add_argument("--markdown", help="also write the table, machine and command to this file")
    ap.add_argument("--workloads-only", action="store_true",
                    help="only the workloads and their floors: no C floor, import times or breakdown")
    args = ap.parse_args(argv)
    workloads = [w for w in args.workloads.split(",") if w]
    unknown = set(workloads) - set(WORKLOADS) - set(NG_WORKLOADS)
    if unknown or args.pairs < 1 or args.packets < 1:
        ap.error(f"unknown workloads {sorted(unknown)}" if unknown else "--pairs and --packets must be >= 1")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    pcap = capture(out, args.packets)
    ref_py = reference_python(args.ref)
    ref_mod, our_mod = check_modules(ref_py, args.ours)
    floor_exe = cfloor(out)
    # pcapy-ng's harness reads 400,000 packets (fewer when --packets asks for fewer).
    ng_pcap = ng_capture(out, min(NG_PACKETS, args.packets)) if set(workloads) & set(NG_WORKLOADS) else None
    for f in (pcap, ng_pcap):  # into the page cache
        if f is not None:
            subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL, check=True)
    log(f"{pcap.name}: {pcap.stat().st_size / 1e6:.0f} MB; pcapy-ng: {ref_mod}; ours: {our_mod}")

    script = str(BENCH / "workloads.py")
    sides = {"ref": ref_py, "ours": args.ours}
    runs: dict[str, dict[str, list[dict]]] = {w: {"ref": [], "ours": []} for w in workloads}
    floor_runs: dict[str, dict[str, list[dict]]] = {w: {"ref": [], "ours": []} for w in workloads}
    failures = []
    for w in workloads:
        path = str(ng_pcap if w in NG_WORKLOADS else pcap)
        for i in range(args.pairs):
            for side in ("ref", "ours"):
                runs[w][side].append(run_json([sides[side], script, w, path]))
        for i in range(min(FLOOR_RUNS, args.pairs) if w in FLOOR_WORKLOADS else 0):
            for side in ("ref", "ours"):
                floor_runs[w][side].append(run_json([sides[side], script, w, path, "--floor"]))
        failures += differences(w, runs[w]) + differences(w + " floor", floor_runs[w], runs[w]["ref"][0])
        ratio = [a["seconds"] / b["seconds"] for a, b in zip(runs[w]["ref"], runs[w]["ours"])]
        log(f"{w:10s} pcapy-ng {mpps(runs[w]['ref']):.3f} Mpkt/s, ours {mpps(runs[w]['ours']):.3f} "
            f"Mpkt/s, ratio {statistics.median(ratio):.2f} ({min(ratio):.2f}-{max(ratio):.2f}); "
            + (f"floor {mpps(floor_runs[w]['ours']):.3f} Mpkt/s" if floor_runs[w]["ours"] else "no floor"))
    if failures:
        print("bench: RESULTS DIFFER between pcapy-ng and ours:\n  " + "\n  ".join(failures),
              file=sys.stderr)
        return 1
    if args.workloads_only:
        print("\n".join(workload_table(workloads, runs) + [""]
                        + floor_table([w for w in workloads if w in FLOOR_WORKLOADS], runs, floor_runs)))
        return 0

    floors = [run_json([str(floor_exe), str(pcap)]) for _ in range(args.pairs)]
    big_floors = [run_json([str(floor_exe), str(pcap), str(256 << 10)]) for _ in range(args.pairs)]
    if "next" in runs and floors[0]["results"] != runs["next"]["ref"][0]["results"]:
        print(f"bench: the C floor read {floors[0]['results']}, the modules "
              f"{runs['next']['ref'][0]['results']}", file=sys.stderr)
        return 1
    imports = {side: [] for side in sides}
    for _ in range(max(5, args.pairs)):
        for side, py in sides.items():
            imports[side].append(run_json([py, script, "--import-time"]))
    import_time = run_json([sys.executable, str(BENCH / "import_time.py"), ref_py, args.ours, "--runs", "11"])
    stages = {str(f): run_json([args.ours, str(BENCH / "breakdown.py"), str(f), "--reps", "3"])
              for f in (pcap, ng_pcap) if f is not None}
    imports["fresh"] = {side: import_time[py] for side, py in sides.items()}

    table = report(args, pcap, ng_pcap, workloads, runs, floor_runs, floors, big_floors, imports, stages)
    table += f"\nTotal benchmark time: {time.monotonic() - started:.0f} s.\n"
    print(table)
    if args.markdown:
        write_markdown(Path(args.markdown), args, pcap, table)
        log(f"wrote {args.markdown}")
    return 0


def seconds(runs: list[dict]) -> float:
    return statistics.median(r["seconds"] for r in runs)


def workload_table(workloads, runs) -> list[str]:
    lines = [
        "| workload | pcapy-ng 2.1.0 (Mpkt/s) | pcapy, Go (Mpkt/s) | ratio (× pcapy-ng) "
        "| ratio, CPU time | target | met |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for w in workloads:
        pairs = list(zip(runs[w]["ref"], runs[w]["ours"]))
        ratio = [a["seconds"] / b["seconds"] for a, b in pairs]
        cpu = [a["cpu_s"] / b["cpu_s"] for a, b in pairs]
        ok = "yes" if statistics.median(ratio) >= TARGETS[w] else "**no**"
        lines.append(f"| {DESCRIPTIONS[w]} | {mpps(runs[w]['ref']):.3f} | "
                     f"{mpps(runs[w]['ours']):.3f} | {ratio_text(ratio)} | {ratio_text(cpu)} | "
                     f"{TARGETS[w]}× | {ok} |")
    return lines


def floor_table(workloads, runs, floor_runs) -> list[str]:
    """Each path against the floor: the workload over packets already in memory."""
    lines = [
        "| workload | floor, our objects (Mpkt/s) | ours: time over floor | floor, pcapy-ng's "
        "objects (Mpkt/s) | pcapy-ng: time over floor | most ratio possible |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for w in workloads:
        ours, ref = seconds(runs[w]["ours"]), seconds(runs[w]["ref"])
        f_ours, f_ref = seconds(floor_runs[w]["ours"]), seconds(floor_runs[w]["ref"])
        lines.append(f"| `{w}` | {mpps(floor_runs[w]['ours']):.3f} | {ours / f_ours:.2f}× "
                     f"(+{(ours - f_ours) / runs[w]['ours'][0]['packets'] * 1e9:.0f} ns/pkt) | "
                     f"{mpps(floor_runs[w]['ref']):.3f} | {ref / f_ref:.2f}× "
                     f"(+{(ref - f_ref) / runs[w]['ref'][0]['packets'] * 1e9:.0f} ns/pkt) | "
                     f"{ref / f_ours:.2f}× |")
    return lines


def stage_table(stages: dict) -> list[str]:
    """bench/breakdown.py's stages: what each adds per packet to our loop()."""
    lines = ["", "Where a packet's time goes in our `loop(-1, cb)` with a no-op callback "
                 "(bench/breakdown.py: the file read through a Reader's buffer, adding one stage "
                 "at a time; CPU ns per packet, the least of 3 runs):", "",
             "| capture | Go reads it (one copy) | + (Pkthdr, bytes) pairs (C) "
             "| + the callback (C loop) | total | floor (callback over pairs in memory) |",
             "|---|---:|---:|---:|---:|---:|"]
    for path, result in stages.items():
        ns = result["ns_per_packet"]
        lines.append(f"| {Path(path).name} | {ns['read']:.0f} | +{ns['pairs'] - ns['read']:.0f} | "
                     f"+{ns['callback'] - ns['pairs']:.0f} | {ns['callback']:.0f} | {ns['floor']:.0f} |")
    return lines


def report(args, pcap: Path, ng_pcap, workloads, runs, floor_runs, floors, big_floors, imports, stages) -> str:
    ours_w = [w for w in workloads if w not in NG_WORKLOADS]
    ng_w = [w for w in workloads if w in NG_WORKLOADS]
    lines = [
        f"{args.packets:,} packets, {pcap.stat().st_size / 1e6:.0f} MB "
        f"(mix: {json.dumps(size_mix(pcap))}); {args.pairs} interleaved pairs per workload, "
        "each run a fresh process; packets/s is the median of the runs (wall clock); ratio = "
        "pcapy-ng's time / ours in the same pair (median, min–max), by wall clock and by CPU "
        "time (user + system, all threads). Results identical in every run (the floors' too).",
        "",
    ]
    if ours_w:
        lines += workload_table(ours_w, runs)
    if ng_w:
        n = runs[ng_w[0]]["ref"][0]["packets"]
        source = ("pcapy-ng's own capture (its benchmarks/gen_pcap.py, BENCH_NG_CAPTURE)"
                  if os.environ.get("BENCH_NG_CAPTURE") else "a capture shaped like pcapy-ng's (bench/ng_capture.py)")
        lines += ["", f"pcapy-ng's own harness scenarios (its benchmarks/bench.py, reproduced in "
                      f"bench/workloads.py): {n:,} packets, {ng_pcap.stat().st_size / 1e6:.0f} MB, "
                      f"{source}; same pairing.", ""]
        lines += workload_table(ng_w, runs)
    lines += ["", f"The floor: the same workload code over `(Pkthdr, bytes)` pairs (or batches) already "
                  f"in memory, made by the module 1024 at a time with the clock stopped, so they are "
                  f"in cache as fresh packets are (bench/workloads.py --floor, median of "
                  f"{min(FLOOR_RUNS, args.pairs)} runs): what no binding can remove. \"time over floor\" is a path's "
                  "time divided by its floor's (and the extra time per packet); \"most ratio "
                  "possible\" is pcapy-ng's time over our floor: the ratio a binding that cost "
                  "nothing would reach.", ""]
    lines += floor_table([w for w in workloads if w in FLOOR_WORKLOADS], runs, floor_runs)
    lines += stage_table(stages)
    floor = mpps(floors)
    lines += ["", f"C floor (bench/cfloor.c, a bare `pcap_next_ex` loop, {floors[0]['module']}): "
                  f"**{floor:.3f} Mpkt/s** (median of {len(floors)}); with a 256 KiB stdio buffer "
                  f"as this project gives capture files: {mpps(big_floors):.3f} Mpkt/s."]
    if "next" in runs:
        lines.append(f"`next()` loop: pcapy-ng runs at {mpps(runs['next']['ref']) / floor:.0%} of "
                     f"the C floor, ours at {mpps(runs['next']['ours']) / floor:.0%}.")
    fresh = imports.pop("fresh")
    imp = {s: statistics.median(r["import_s"] for r in v) * 1000 for s, v in imports.items()}
    rss = {s: statistics.median(r["rss_after_import_kb"] for r in v) / 1024 for s, v in imports.items()}
    runs_n = fresh["ours"]["runs"]
    lines += ["", "| | pcapy-ng 2.1.0 | pcapy, Go |", "|---|---:|---:|",
              f"| `import pcapy` (ms): median of {runs_n} fresh `python -c 'import pcapy'` minus "
              f"median of {runs_n} bare `python -c pass`, interleaved (bench/import_time.py) | "
              f"{fresh['ref']['import_ms']:.1f} | **{fresh['ours']['import_ms']:.1f}** |",
              f"| `import pcapy` (ms) timed inside the workload processes (median of "
              f"{len(imports['ref'])}) | {imp['ref']:.1f} | {imp['ours']:.1f} |",
              f"| RSS after `import pcapy` (MB) | {rss['ref']:.1f} | {rss['ours']:.1f} |"]
    if "next" in runs:  # ours starts Go there; both are off the workloads' clocks
        first = {s: statistics.median(r["first_use_s"] for r in runs["next"][s]) * 1000 for s in ("ref", "ours")}
        lines.append(f"| first `open_offline()` + `next()` + `close()` after the import (ms) | "
                     f"{first['ref']:.1f} | {first['ours']:.1f} |")
    for w in ("next", "filter"):
        if w in runs:
            peak = {s: statistics.median(r["max_rss_kb"] for r in runs[w][s]) / 1024 for s in ("ref", "ours")}
            lines.append(f"| peak RSS, `{w}` workload (MB) | {peak['ref']:.1f} | {peak['ours']:.1f} |")
    return "\n".join(lines) + "\n"


def command() -> str:
    """How the benchmark was started (Markdown): `make bench ...` or the script's command line."""
    script = f"`{shlex.join(['python', 'bench/run.py', *sys.argv[1:]])}`"
    if "MAKELEVEL" not in os.environ:
        return script
    knobs = [f"{k}={os.environ[k]}" for k in ("BENCH_PACKETS", "BENCH_PAIRS", "BENCH_WORKLOADS",
                                              "BENCH_NG_CAPTURE", "BENCH_MARKDOWN") if k in os.environ]
    return f"`{shlex.join(['make', 'bench', *knobs])}` (runs {script})"


def write_markdown(path: Path, args, pcap: Path, table: str) -> None:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    py = subprocess.run([args.ours, "-c", "import sys; print(sys.version.split()[0])"],
                        capture_output=True, text=True).stdout.strip()
    libpcap = subprocess.run([args.ours, "-c", "import pcapy; print(pcapy.lib_version())"],
                             capture_output=True, text=True).stdout.strip()
    go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    text = [
        "# Benchmarks",
        "",
        "This project's `pcapy` (Go, through gopy) against pcapy-ng 2.1.0, the C extension, "
        "reading a capture file. Generated by `make bench` (bench/run.py); "
        "the workloads are bench/workloads.py, one script run by both interpreters.",
        "",
        f"- Machine: {cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        f"- Python {py}; {libpcap}; {go}; pcapy-ng 2.1.0 built from source against the same libpcap",
        f"- Command: {command()}",
        f"- Date: {time.strftime('%Y-%m-%d')}; load average at the end: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (on {os.cpu_count()} CPUs: above that, "
        "other work shared the machine and the figures are noisy)",
        "",
        table,
        WHERE_THE_TIME_GOES,
    ]
    path.write_text("\n".join(text))


WHERE_THE_TIME_GOES = """## Where the time goes

Per packet, pcapy-ng reads through libpcap (`pcap_next_ex`: stdio's buffer, then libpcap's)
and copies the packet into a `bytes`; it then makes one C `Pkthdr` object, whose integers exist
only when `getts()`, `getcaplen()` or `getlen()` are called, and calls the callback from C. This
project reads a batch in one Go call: a plain pcap file without a filter is read by Go itself
(gopcapy/batch_scan.go over ScanFile: preads of the file straight into a buffer Python owns,
each packet copied once, by the kernel), anything else (pcapng, a filter, live captures, odd records) through libpcap,
which copies once more; then a small C extension (`python/csrc/_hotpath.c`, built beside the Go one) walks the batch: per
packet it makes the `bytes` and a `Pkthdr` (a tuple subclass in C with its methods in C, so a
header unpacks, compares, hashes and pickles as the 4-tuple), and calls the callback straight
from C (`loop`, `dispatch`) or hands the pair to `next()` (a C method too): no Python code of
the package runs per packet. `next_batch()` of a file reads the same way, in place, and the C
part (`python/csrc/_ngbatch.c`) copies each packet once, straight into the `bytes` returned,
writing pcapy-ng's 16-byte record as it goes: per packet the kernel's copy out of the page
cache, Go's look at the record header, and that one copy (pcapy-ng: stdio's copy, libpcap's,
and its own into the batch).

So with a callback that does nothing (pcapy-ng's `raw_loop`), its lazy C header is cheaper
than our header of ready integers (a tuple with its ints made), and the copy into the batch
buffer is one more than the `bytes` needs: that is the distance to the floor in the breakdown
table, and why `raw_loop` gains least. Once the code asks for the header's fields (`getts()`,
`getcaplen()`: this benchmark's own workloads), pcapy-ng pays for the integers too, and our
batching wins. The "most ratio possible" column bounds what any binding could reach: a
target above it is out of reach whatever the binding does, since the floor is the
workload's own Python.

`import pcapy` imports none of `typing`, `collections`, `functools`, `threading`, `re`,
`json`, `array`, `select`; the columnar, flow, Arrow and device modules load on first use
(module `__getattr__`), `array` and `select` with the Go runtime at the first call that needs
it (the "first `open_offline()`" row). The packet positions kept for `setfilter()`'s rewind
come from the stdio stream's fields, not an `ftello()` per packet (the same read path with or
without a filter).
"""


if __name__ == "__main__":
    sys.exit(main())
