"""A seeded random-call fuzzer of pcapy's Python surface (issue 10): random
methods and arguments on readers, dumpers and BPF programs, with callbacks
that raise, close, re-enter or break the loop. Every outcome must be a result
or a documented exception type (OverflowError as pcapy-ng raises for ints out of
C range); a crash or hang fails the run (pytest-timeout).

CI runs PCAPY_FUZZ_SEQUENCES (default 2000) sequences; PCAPY_FUZZ_SECONDS
runs sequences for that long instead (`make fuzz`); PCAPY_FUZZ_SEED picks
another random stream (default 10)."""

from __future__ import annotations

import gc
import os
import random
import time
from pathlib import Path

import pytest

import capgen
import pcapy

DOCUMENTED = (TypeError, ValueError, OverflowError, pcapy.PcapError, pcapy.BPFError, StopIteration, _Raised := type(
    "_Raised", (Exception,), {}))
SECONDS = float(os.environ.get("PCAPY_FUZZ_SECONDS", "0"))
SEQUENCES = int(os.environ.get("PCAPY_FUZZ_SEQUENCES", "2000"))
SEED = int(os.environ.get("PCAPY_FUZZ_SEED", "10"))
VALUES = [0, 1, -1, 3, 7, 256, 2**31, -(2**31) - 1, 2**64, None, "", "tcp", "udp and", "x" * 300, b"ab",
          1.5, [], object()]


def _arg(rng: random.Random) -> object:
    return rng.choice(VALUES)


def _callback(rng: random.Random, reader: pcapy.Reader) -> object:
    kind = rng.randrange(8)

    def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
        assert hdr.getcaplen() == len(data)
        roll = rng.random()
        if roll < 0.05:
            raise _Raised("from the callback")
        if roll < 0.08:
            raise StopIteration
        if roll < 0.11 and kind == 0:
            reader.close()
        elif roll < 0.14:
            reader.breakloop()
        elif roll < 0.2:
            reader.next()
        elif roll < 0.23:
            reader.setfilter(rng.choice(["tcp", "udp", "greater 100", ""]))
        elif roll < 0.25:
            reader.dispatch(2, lambda h, d: None)
        elif roll < 0.27:
            reader.next_batch(3)

    return cb if kind < 7 else _arg(rng)  # sometimes not callable


def _reader_step(rng: random.Random, r: pcapy.Reader, out: Path) -> None:
    name = rng.choice(["next", "loop", "dispatch", "next_batch", "setfilter", "datalink", "getnet",
                       "getmask", "breakloop", "close", "iter", "dump_open", "stats", "getnonblock",
                       "setnonblock", "snapshot", "getfd", "read_columns"])
    if name in ("loop", "dispatch"):
        getattr(r, name)(rng.choice([-1, 0, 1, 5, 50, _arg(rng)]), _callback(rng, r))
    elif name == "next_batch":
        r.next_batch(rng.choice([1, 5, 300, 0, -3, _arg(rng)]))
    elif name == "setfilter":
        r.setfilter(rng.choice(["tcp", "udp", "len > 100", "", "nonsense ((", _arg(rng)]))
    elif name == "iter":
        for k, _ in enumerate(r):
            if k > rng.randrange(50):
                break
    elif name == "dump_open":
        d = r.dump_open(str(out))
        for _ in range(rng.randrange(4)):
            _dumper_step(rng, r, d)
        if rng.random() < 0.5:
            d.close()
    elif name == "setnonblock":
        r.setnonblock(_arg(rng))
    elif name == "read_columns":
        pytest.importorskip("numpy")
        pcapy.read_columns(r, rng.choice([None, "tcp"]), count=rng.choice([-1, 3]))
    elif hasattr(r, name):
        getattr(r, name)()


def _dumper_step(rng: random.Random, r: pcapy.Reader, d: object) -> None:
    what = rng.randrange(5)
    if what == 0:
        h, data = r.next()
        if h is not None:
            d.dump(h, data)
    elif what == 1:
        d.dump(rng.choice([pcapy.Pkthdr(1, 2, 3, 4), _arg(rng)]), rng.choice([b"abc", b"", _arg(rng)]))
    elif what == 2:
        d.flush()
    else:
        d.close()


def _bpf_step(rng: random.Random) -> None:
    program = pcapy.BPFProgram(rng.choice(["tcp", "bad ((", "", _arg(rng)]), rng.choice([1, 12, _arg(rng)]))
    for _ in range(rng.randrange(3)):
        program.filter(rng.choice([b"", b"x" * 60, bytes(rng.randrange(256) for _ in range(80)), _arg(rng)]))
    program.get_bpf()


def _sequence(rng: random.Random, files: list[Path], out: Path) -> None:
    r = pcapy.open_offline(str(rng.choice(files)))
    for _ in range(rng.randrange(1, 12)):
        try:
            if rng.random() < 0.05:
                _bpf_step(rng)
            else:
                _reader_step(rng, r, out)
        except DOCUMENTED:
            pass
    if rng.random() < 0.8:
        r.close()


@pytest.mark.timeout(SECONDS + 300)
def test_random_call_sequences(tmp_path: Path) -> None:
    files = []
    for i, (n, ng) in enumerate([(30, False), (1500, False), (40, True), (0, False)]):
        path = tmp_path / f"in{i}.cap"
        (capgen.write_pcapng if ng else capgen.write_pcap)(path, capgen.mixed_traffic(n, seed=i))
        files.append(path)
    damaged = tmp_path / "damaged.pcap"
    capgen.write_pcap(damaged, capgen.mixed_traffic(50, seed=9))
    capgen.truncate_file(damaged, 7)
    files.append(damaged)
    rng = random.Random(SEED)
    # The Go runtime keeps a few descriptors of its own (poller, cgroup files)
    # from its first call on: start it before counting.
    pcapy.open_offline(str(files[0])).close()
    fds = len(os.listdir("/proc/self/fd"))
    start = time.monotonic()
    done = 0
    while (time.monotonic() - start < SECONDS) if SECONDS else done < SEQUENCES:
        _sequence(rng, files, tmp_path / "out.pcap")
        done += 1
    gc.collect()
    # Readers and dumpers dropped unclosed are closed by the GC: no leak.
    assert len(os.listdir("/proc/self/fd")) <= fds + 2, "descriptors leaked"
    print(f"fuzz: {done} sequences (seed {SEED}) in {time.monotonic() - start:.1f} s")
