"""Where a packet's time goes in this project's loop(): one stage at a time.

usage: python bench/breakdown.py CAPTURE [--reps N]

Reads the whole capture N times (default 3) through the same buffer a
Reader uses, each time adding one stage of what loop(-1, cb) does per
packet, and prints JSON: the CPU time per packet of each cumulative stage
(the minimum over the repetitions), so the differences between stages are
what each stage costs:

  read      Go reads the packets into the buffer (one copy: Go's own pcap reader, or libpcap's)
  pairs     + the (Pkthdr, bytes) pairs, made by the C iterator (_hotpath.Batch)
  callback  + a no-op callback called with each pair by the C loop (_hotpath.run)
  floor     the no-op callback over pairs already in memory, for comparison

Run by this project's interpreter (.venv); bench/run.py reports it.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from itertools import starmap

import pcapy
from pcapy import _batch
from pcapy._core import call, go

_drain = deque(maxlen=0).extend


def _noop(hdr, data):
    return None


def _batches(path: str):
    """Yield (buffer, n) for every batch of the file, read as a Reader reads it."""
    reader = pcapy.open_offline(path)
    buf = _batch.Buffer()
    try:
        while True:
            n = call(go.pybridge_ReadInto, reader._h, buf.max_n, 0, buf.addr, buf.size)
            if n <= 0:
                return
            yield buf, n
    finally:
        reader.close()


def stage_read(path: str) -> int:
    return sum(n for _, n in _batches(path))


def stage_pairs(path: str) -> int:
    count = 0
    for buf, n in _batches(path):
        _drain(_batch.buffer_pairs(0, buf, n, _batch.make_header))
        count += n
    return count


def stage_callback(path: str) -> int:
    count = 0
    run = _batch.hotpath().run
    for buf, n in _batches(path):
        count += run(_batch.buffer_pairs(0, buf, n, _batch.make_header), _noop, 0)
    return count


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    path = argv[0]
    reps = int(argv[argv.index("--reps") + 1]) if "--reps" in argv else 3
    stages = {"read": stage_read, "pairs": stage_pairs, "callback": stage_callback}
    best = {name: float("inf") for name in [*stages, "floor"]}
    counts = set()
    for _ in range(reps):  # interleaved: a disturbance hits every stage alike
        for name, stage in stages.items():
            t0 = time.process_time()
            counts.add(stage(path))
            best[name] = min(best[name], time.process_time() - t0)
    # The floor last: the pairs it holds would make the garbage collector's
    # passes during the other stages longer.
    reader = pcapy.open_offline(path)
    pairs = list(reader)
    reader.close()
    assert counts == {len(pairs)}, (counts, len(pairs))
    for _ in range(reps):
        t0 = time.process_time()
        _drain(starmap(_noop, pairs))
        best["floor"] = min(best["floor"], time.process_time() - t0)
    print(json.dumps({"packets": len(pairs), "ns_per_packet": {k: v / len(pairs) * 1e9 for k, v in best.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
