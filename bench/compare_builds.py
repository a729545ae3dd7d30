"""Paired runs of two builds of this project's pcapy on the same workloads:
for a change's cost on the hot paths (bench/run.py compares with pcapy-ng).

usage: python bench/compare_builds.py BASE_PYTHONPATH CAPTURE [--pairs N] [--workloads next,loop,...]

BASE_PYTHONPATH is the python/ directory of another checkout, built (e.g.
`git worktree add /tmp/base <commit> && cd /tmp/base && python build.py`).
Each pair runs bench/workloads.py once with the base build and once with this
checkout's, in alternating order, each a fresh process; the report gives per
workload the median of base/ours time ratios (> 1: ours is faster) by wall
clock and by CPU time, with their min-max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(workload: str, capture: str, pythonpath: str | None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run([sys.executable, str(HERE / "workloads.py"), workload, capture],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("capture")
    ap.add_argument("--pairs", type=int, default=9)
    ap.add_argument("--workloads", default="next,loop,dispatch,filter,next_batch")
    args = ap.parse_args()
    for w in args.workloads.split(","):
        wall, cpu = [], []
        for i in range(args.pairs):
            order = [args.base, None] if i % 2 == 0 else [None, args.base]
            res = {p: run(w, args.capture, p) for p in order}
            base, ours = res[args.base], res[None]
            assert base["module"] != ours["module"], "both runs imported the same pcapy"
            assert base["results"] == ours["results"], (base["results"], ours["results"])
            wall.append(base["seconds"] / ours["seconds"])
            cpu.append(base["cpu_s"] / ours["cpu_s"])
        print(f"{w:10s} base/ours wall {statistics.median(wall):.3f} ({min(wall):.2f}-{max(wall):.2f})  "
              f"cpu {statistics.median(cpu):.3f} ({min(cpu):.2f}-{max(cpu):.2f})  pairs {args.pairs}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
