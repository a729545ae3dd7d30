"""read_columns of one regular file: Go writes the rows straight into numpy
arrays sized for the most rows the file can hold, then shrunk. The same rows
as the other two ways (a Reader's packets, a pipe read by the files job)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import capgen  # noqa: E402
import pcapy  # noqa: E402
from testhelpers import T0  # noqa: E402

np = pytest.importorskip("numpy")


def same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize("filter_, count, fields", [
    (None, -1, None),
    ("tcp", -1, ["len", "ts", "dst", "sport"]),  # not the spec's order
    ("udp or icmp", 700, ["src", "proto"]),
    ("port 1", -1, ["ts"]),  # no rows
])
def test_direct_rows_are_a_readers(tmp_path: Path, filter_, count, fields) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=3000, nanosecond=True, start_ns=T0)
    direct = pcapy.read_columns(path, filter_, fields=fields, count=count)
    reader = pcapy.open_offline(str(path), precision="ns")
    try:
        via_reader = pcapy.read_columns(reader, filter_, fields=fields, count=count)
    finally:
        reader.close()
    same(direct, via_reader)
    assert direct["ts" if fields is None else fields[0]].flags.owndata


def test_a_pipe_is_read_by_the_files_job(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=2000, start_ns=T0)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = path.read_bytes()

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        got = pcapy.read_columns(str(fifo))
    finally:
        writer.join(timeout=10)
    same(got, pcapy.read_columns(path))
