"""How long `import pcapy` takes: fresh interpreters minus a bare one.

usage: python bench/import_time.py PYTHON [PYTHON ...] [--runs N]

For each interpreter, N times (default 11), interleaved with the others,
with .pyc files as an installed package has them:
`PYTHON -c "import pcapy"` and `PYTHON -c "pass"`, wall clock of the whole
process. Prints JSON: per interpreter, the median of the runs with pcapy
minus the median of the bare runs, in ms (what a program pays for the
import, interpreter start excluded), and both medians.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# As installed packages are: with their .pyc files (kept out of the tree),
# whatever PYTHONDONTWRITEBYTECODE the shell has.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = str(Path(__file__).resolve().parent / "out" / "pycache")


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - t0


def measure(pythons: list[str], runs: int = 11) -> dict[str, dict[str, float]]:
    times: dict[str, dict[str, list[float]]] = {py: {"pcapy": [], "bare": []} for py in pythons}
    for py in pythons:  # warm the page cache and the .pyc files
        wall([py, "-c", "import pcapy"])
    for _ in range(runs):
        for py in pythons:
            times[py]["pcapy"].append(wall([py, "-c", "import pcapy"]))
            times[py]["bare"].append(wall([py, "-c", "pass"]))
    out = {}
    for py, t in times.items():
        with_pcapy, bare = statistics.median(t["pcapy"]), statistics.median(t["bare"])
        out[py] = {"import_ms": (with_pcapy - bare) * 1000, "with_pcapy_ms": with_pcapy * 1000,
                   "bare_ms": bare * 1000, "runs": runs}
    return out


def main(argv: list[str]) -> int:
    runs = 11
    if "--runs" in argv:
        i = argv.index("--runs")
        runs = int(argv[i + 1])
        del argv[i:i + 2]
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(measure(argv, runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
