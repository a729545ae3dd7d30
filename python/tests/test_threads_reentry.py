"""Threads, re-entrant callbacks, callback exceptions and memory per reader
(issue 10). Packets carry their index in their bytes and timestamp, so a
header paired with another packet's bytes, a duplicate or a loss shows."""

from __future__ import annotations

import json
import struct
import threading
import time
from pathlib import Path

import pytest

import capgen
import libpcap_ref
import pcapy

N = 5000


def _frame(i: int) -> bytes:
    return capgen.ethernet(b"\x02" * 6, b"\x04" * 6, 0x0800, struct.pack("!I", i) + b"z" * (i % 200))


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """N packets; packet i has timestamp i s and i in its bytes."""
    path = tmp_path_factory.mktemp("threads") / "numbered.pcap"
    capgen.write_pcap(path, ((i * 10**9, _frame(i)) for i in range(N)))
    return path


def _index(hdr: pcapy.Pkthdr, data: bytes) -> int:
    """The packet's index, checking its header belongs to its bytes."""
    (i,) = struct.unpack_from("!I", data, 14)
    assert hdr.getts() == (i, 0) and hdr.getcaplen() == len(data) == len(_frame(i))
    return i


# -- threads sharing a reader -------------------------------------------------

@pytest.mark.timeout(120)
@pytest.mark.parametrize("how", ["next", "loop", "dispatch", "mixed"])
def test_threads_sharing_a_reader_get_each_packet_once(numbered: Path, how: str) -> None:
    reader = pcapy.open_offline(str(numbered))
    seen: list[list[int]] = [[] for _ in range(6)]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        mine = seen[k]
        cb = lambda h, d: mine.append(_index(h, d))  # noqa: E731
        try:
            mode = how if how != "mixed" else ["next", "loop", "dispatch", "batch"][k % 4]
            while True:
                if mode == "next":
                    h, d = reader.next()
                    if h is None:
                        return
                    cb(h, d)
                elif mode == "loop":
                    before = len(mine)
                    reader.loop(3, cb)
                    if len(mine) == before:
                        return
                elif mode == "dispatch":
                    if not reader.dispatch(17, cb):
                        return
                else:
                    data, meta = reader.next_batch(11)
                    if not meta:
                        return
                    for sec, _, off, caplen in struct.iter_unpack("=IIII", meta):
                        (i,) = struct.unpack_from("!I", data, off + 14)
                        assert sec == i and caplen == len(_frame(i))
                        mine.append(i)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = sorted(i for part in seen for i in part)
    assert got == list(range(N))  # no duplicates, no losses
    for part in seen:  # each thread sees file order
        assert part == sorted(part)


@pytest.mark.timeout(120)
def test_stress_many_threads_many_readers(numbered: Path) -> None:
    """12 threads over 3 shared readers, each with setfilter and breakloop
    thrown in: every packet handed out is intact and at most once."""
    readers = [pcapy.open_offline(str(numbered)) for _ in range(3)]
    seen: list[list[int]] = [[] for _ in readers]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        r = readers[k % 3]
        try:
            for step in range(400):
                if step == 50 and k < 3:
                    r.setfilter("greater 0")  # every packet still matches
                if step % 97 == 0:
                    r.breakloop()
                got: list[int] = []
                r.dispatch(7, lambda h, d: got.append(_index(h, d)))
                h, d = r.next()
                if h is not None:
                    got.append(_index(h, d))
                with lock:
                    seen[k % 3].extend(got)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for part in seen:
        assert len(part) == len(set(part))
    # Read by several threads, batches stay lazy C iterators (each takes its
    # packet before allocating anything, so none is handed out twice).
    assert all(type(r._it).__name__ in ("Batch", "list_iterator") for r in readers)


def test_a_reader_of_one_thread_stays_lazy(numbered: Path) -> None:
    reader = pcapy.open_offline(str(numbered))
    for _ in range(2000):
        reader.next()
    reader.dispatch(10, lambda h, d: None)
    assert type(reader._it).__name__ == "Batch"  # pairs made when handed out


# -- re-entrant callbacks: what libpcap's own loop delivers ------------------

def _file(tmp_path: Path, n: int = 60) -> Path:
    path = tmp_path / "small.pcap"
    frames = [capgen.ethernet(b"\x02" * 6, b"\x04" * 6, 0x0800,
                              capgen.ipv4("10.0.0.1", "10.0.0.2", 6 if i % 3 else 17,
                                          struct.pack("!I", i) + b"q" * 30)) for i in range(n)]
    capgen.write_pcap(path, ((i * 10**9, f) for i, f in enumerate(frames)))
    return path


def test_setfilter_in_a_callback_then_a_nested_read(tmp_path: Path) -> None:
    """pcap_loop reads packet after packet: after setfilter in the callback,
    the nested pcap_next and the rest of the loop get only matching packets,
    each once, in file order."""
    path = tmp_path / "big.pcap"
    frames = [capgen.ethernet(b"\x02" * 6, b"\x04" * 6, 0x0800,
                              capgen.ipv4("10.0.0.1", "10.0.0.2", 6 if i % 3 else 17,
                                          struct.pack("!I", i) + b"q" * 30)) for i in range(3000)]
    capgen.write_pcap(path, ((i * 10**9, f) for i, f in enumerate(frames)))
    reader = pcapy.open_offline(str(path))
    outer: list[int] = []
    nested: list[int] = []

    def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
        assert data == frames[hdr.getts()[0]]  # header and bytes belong together
        outer.append(hdr.getts()[0])
        if len(outer) == 5:
            reader.setfilter("tcp")
            h, d = reader.next()
            assert d == frames[h.getts()[0]]
            nested.append(h.getts()[0])

    reader.loop(-1, cb)
    tcp = [i for i in range(3000) if i % 3]
    assert outer[:5] == [0, 1, 2, 3, 4]
    assert nested == [5]
    assert outer[5:] == [i for i in tcp if i > 5]


@pytest.mark.parametrize("nested", ["next", "dispatch", "next_batch"])
def test_nested_reads_take_the_following_packets(tmp_path: Path, nested: str) -> None:
    path = _file(tmp_path)
    reader = pcapy.open_offline(str(path))
    outer: list[int] = []
    inner: list[int] = []

    def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
        outer.append(hdr.getts()[0])
        if hdr.getts()[0] % 10 == 0:
            if nested == "next":
                inner.append(reader.next()[0].getts()[0])
            elif nested == "dispatch":
                reader.dispatch(2, lambda h, d: inner.append(h.getts()[0]))
            else:
                _, meta = reader.next_batch(2)
                inner.extend(s for s, *_ in struct.iter_unpack("=IIII", meta))

    assert reader.dispatch(-1, cb) == len(outer)
    assert sorted(outer + inner) == list(range(60)) and not set(outer) & set(inner)
    assert outer[0] == 0 and inner[:1] == [1]


def test_loop_count_counts_only_its_callbacks(tmp_path: Path) -> None:
    """pcap_loop(cnt) counts the packets its callback got, not those a nested
    read took."""
    reader = pcapy.open_offline(str(_file(tmp_path)))
    outer: list[int] = []

    def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
        outer.append(hdr.getts()[0])
        reader.next()

    reader.loop(5, cb)
    assert outer == [0, 2, 4, 6, 8]
    assert reader.next()[0].getts()[0] == 10


def test_breakloop_and_close_in_a_callback(tmp_path: Path) -> None:
    path = _file(tmp_path)
    reader = pcapy.open_offline(str(path))
    got: list[int] = []

    def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
        got.append(hdr.getts()[0])
        if len(got) == 3:
            reader.breakloop()

    reader.loop(-1, cb)
    assert got == [0, 1, 2]
    reader.loop(-1, lambda h, d: (got.append(h.getts()[0]), reader.close() if len(got) == 6 else None))
    assert got == [0, 1, 2, 3, 4, 5]  # close() in the callback: loop returns
    with pytest.raises(ValueError):
        reader.next()


# -- exceptions from callbacks ---------------------------------------------

@pytest.mark.parametrize("exc", [StopIteration("stop"), KeyboardInterrupt(), LookupError("x")])
@pytest.mark.parametrize("method", ["loop", "dispatch"])
def test_callback_exceptions_propagate_and_the_reader_resumes(tmp_path: Path, exc: BaseException,
                                                               method: str) -> None:
    reader = pcapy.open_offline(str(_file(tmp_path)))
    got: list[int] = []

    def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
        got.append(hdr.getts()[0])
        if hdr.getts()[0] in (4, 59):  # midway, and the very last packet
            raise exc

    for _ in range(2):
        with pytest.raises(type(exc)):
            getattr(reader, method)(-1, cb)
    assert got == list(range(60))
    assert reader.next() == (None, b"")


# -- close() from another thread -------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["loop", "dispatch"])
def test_close_from_another_thread_ends_the_loop_cleanly(numbered: Path, method: str) -> None:
    for _ in range(20):
        reader = pcapy.open_offline(str(numbered))
        closed = threading.Event()
        late: list[int] = []
        outcome: list[object] = []

        def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
            if closed.is_set():
                late.append(hdr.getts()[0])
            time.sleep(0.0002)

        def run() -> None:
            try:
                outcome.append(getattr(reader, method)(-1, cb))
            except BaseException as err:  # noqa: BLE001
                outcome.append(err)

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.01)
        reader.close()
        closed.set()
        t.join(30)
        assert not t.is_alive()
        assert late == []  # nothing handed out after close() returned
        assert len(outcome) == 1 and not isinstance(outcome[0], BaseException), outcome


# -- memory per reader ------------------------------------------------------

def test_a_reader_holds_little_and_close_frees_its_buffers(numbered: Path) -> None:
    reader = pcapy.open_offline(str(numbered))
    reader.next()
    assert reader._buf.size < 16 << 10  # the first buffer is small
    for _ in range(3000):
        reader.next()
    assert reader._buf.max_n == 1024  # and grows on a long read
    reader.close()
    assert reader._buf is None and reader._ngbuf is None


def test_nested_read_results_match_libpcap_order(tmp_path: Path) -> None:
    """dispatch with next() in the callback, against libpcap's order."""
    path = _file(tmp_path)
    want = [h[0] for h, _ in libpcap_ref.read(str(path))[0]]
    reader = pcapy.open_offline(str(path))
    order: list[int] = []
    reader.dispatch(-1, lambda h, d: (order.append(h[0]), order.append(reader.next()[0][0])))
    assert order == want


@pytest.mark.differential
@pytest.mark.timeout(120)
def test_reentrant_callbacks_match_pcapy_ng(tmp_path: Path) -> None:
    """next/setfilter/dispatch inside loop/dispatch callbacks, and loop(cnt)
    counting, give the packets pcapy-ng (libpcap's pcap_loop) gives."""
    import subprocess
    import sys

    from differential import reference_python

    path = _file(tmp_path, 40)
    probe = str(Path(__file__).with_name("reentry_probe.py"))
    traces = [json.loads(subprocess.run([py, probe, str(path)], capture_output=True, text=True,
                                        timeout=60, check=True).stdout)
              for py in (reference_python(), sys.executable)]
    ref, ours = traces
    # StopIteration: both re-raise it, with its arguments, and resume after
    # that packet.
    assert ref["stopiteration"] == [0, 1, 2, ["raised", ["x"]], ["after", 3]]
    assert ours == ref
