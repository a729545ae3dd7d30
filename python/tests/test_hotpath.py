"""The C part (python/csrc/_hotpath.c): bad input is an exception, never a crash;
headers read are Pkthdr values; the layout Python uses is Go's."""

from __future__ import annotations

import copy
import pickle
import random
import struct
import sys
import pytest

import pcapy
from pcapy import _batch

@pytest.fixture(scope="module")
def hot():
    return _batch.hotpath()  # loads Go (for the layout) and the C part


def _record(sec: int, frac: int, caplen: int, length: int, start: int, end: int) -> bytes:
    return _batch.RECORD.pack(sec, frac, caplen, length, start, end)


def test_layout_is_gos_and_the_record_struct_follows_it(hot) -> None:
    size, sec, frac, caplen, length, start, end = _batch.layout()
    assert size == _batch.RECORD_SIZE == _batch.RECORD.size
    # The struct puts each field where Go's offsets say.
    raw = _batch.RECORD.pack(-5, 6, 7, 8, 9, 10)
    assert struct.unpack_from("=q", raw, sec) == (-5,)
    assert [struct.unpack_from("=I", raw, off)[0] for off in (frac, caplen, length, start, end)] == [6, 7, 8, 9, 10]


def test_batch_makes_header_and_bytes_pairs(hot) -> None:
    n = 2
    rs = _batch.RECORD_SIZE
    blob = (_record(10, 20, 3, 3, 2 * rs, 2 * rs + 3) + _record(2**40, 999_999, 2, 60, 2 * rs + 3, 2 * rs + 5)
            + b"abcde")
    it = hot.Batch(blob, n, hot.Header)
    assert it.__length_hint__() == 2
    (h1, d1), (h2, d2) = list(it)
    assert (tuple(h1), d1, tuple(h2), d2) == ((10, 20, 3, 3), b"abc", (2**40, 999_999, 2, 60), b"de")
    assert isinstance(h1, pcapy.Pkthdr) and type(h1).__name__ == "Pkthdr"
    assert (h2.getts(), h2.getcaplen(), h2.getlen(), h2.getts_ns()) == ((2**40, 999_999), 2, 60,
                                                                        2**40 * 10**9 + 999_999_000)
    assert h1 == pcapy.Pkthdr(10, 20, 3, 3) and hash(h1) == hash(pcapy.Pkthdr(10, 20, 3, 3))
    for clone in (pickle.loads(pickle.dumps(h1)), copy.copy(h1), copy.deepcopy(h1)):
        assert clone == h1 and isinstance(clone, pcapy.Pkthdr)
    assert repr(h1) == "Pkthdr(sec=10, usec=20, caplen=3, len=3)"
    ns = next(hot.Batch(blob, 1, hot.HeaderNs))[0]
    assert isinstance(ns, pcapy.PkthdrNs) and ns.getts() == (10, 0) and ns.getts_ns() == 10 * 10**9 + 20
    assert type(pickle.loads(pickle.dumps(ns))) is pcapy.PkthdrNs
    assert it.__length_hint__() == 0 and next(it, None) is None


def test_bad_records_and_arguments_raise(hot) -> None:
    rs = _batch.RECORD_SIZE
    with pytest.raises(ValueError):  # more records than the buffer holds
        hot.Batch(b"x" * rs, 2, hot.Header)
    with pytest.raises(ValueError):
        hot.Batch(b"", -1, hot.Header)
    with pytest.raises(ValueError):  # data beyond the buffer
        list(hot.Batch(_record(1, 2, 3, 4, rs, rs + 100), 1, hot.Header))
    with pytest.raises(ValueError):  # start after end
        list(hot.Batch(_record(1, 2, 3, 4, rs, rs - 1) + b"zz", 1, hot.Header))

    class WithDict(tuple):
        pass

    for bad in (int, WithDict, object(), None):
        with pytest.raises(TypeError):
            hot.Batch(b"", 0, bad)
    with pytest.raises(TypeError):
        hot.Batch("text", 0, hot.Header)
    with pytest.raises(TypeError):
        hot.run([(1, 2)], print, 0)  # not an iterator
    with pytest.raises(TypeError):
        hot.run(iter([(1, 2, 3)]), print, 0)  # not pairs
    with pytest.raises(TypeError):
        hot.run(iter([]), print)


def test_random_records_never_crash(hot) -> None:
    rng = random.Random(12)
    for _ in range(2000):
        n = rng.randrange(0, 5)
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
        try:
            for hdr, data in hot.Batch(blob, n, hot.Header):
                assert len(data) <= len(blob)
        except ValueError:
            pass


def test_run_keeps_references_straight(hot) -> None:
    rs = _batch.RECORD_SIZE
    blob = b"".join(_record(i, 0, 1, 1, 8 * rs + i, 8 * rs + i + 1) for i in range(8)) + bytes(range(8))

    def cb(hdr: pcapy.Pkthdr, data: bytes) -> None:
        return None

    before = sys.getrefcount(cb), sys.getrefcount(blob)
    for _ in range(100):
        assert hot.run(hot.Batch(blob, 8, hot.Header), cb, 0) == 8
        assert hot.run(hot.Batch(blob, 8, hot.Header), cb, 3) == 3
        assert hot.run(iter(list(hot.Batch(blob, 8, hot.Header))), cb, 0) == 8
    assert (sys.getrefcount(cb), sys.getrefcount(blob)) == before

    def raises(hdr: pcapy.Pkthdr, data: bytes) -> None:
        raise StopIteration("kept")

    with pytest.raises(StopIteration) as info:
        hot.run(hot.Batch(blob, 8, hot.Header), raises, 0)
    assert info.value.args == ("kept",)


def test_fill_objects_makes_read_columns_address_strings(hot) -> None:
    np = pytest.importorskip("numpy")
    table = ("10.0.0.1", "fd00::1")
    missing = ""
    codes = np.array([0, -1, 1, 1, 0], dtype=np.int32)
    out = np.empty(len(codes), dtype=object)
    before = [sys.getrefcount(s) for s in table]
    hot.fill_objects(out, codes, table, missing)
    assert out.tolist() == ["10.0.0.1", "", "fd00::1", "fd00::1", "10.0.0.1"]
    assert [sys.getrefcount(s) for s in table] == [before[0] + 2, before[1] + 2]
    hot.fill_objects(out, codes[::-1].copy(), table, missing)  # replaces, releasing the old
    assert [sys.getrefcount(s) for s in table] == [before[0] + 2, before[1] + 2]
    del out
    assert [sys.getrefcount(s) for s in table] == before


def test_fill_objects_refuses_bad_input_and_writes_nothing(hot) -> None:
    np = pytest.importorskip("numpy")
    out = np.empty(3, dtype=object)
    for codes, error in ((np.array([0, 2, 0], dtype=np.int32), ValueError),  # past the table
                         (np.array([0, -2, 0], dtype=np.int32), ValueError),
                         (np.array([0, 0], dtype=np.int32), ValueError),  # not one code per item
                         (np.array([0, 0, 0], dtype=np.int64), ValueError),
                         ("abc", TypeError)):
        with pytest.raises(error):
            hot.fill_objects(out, codes, ("a", "b"), "")
        assert out.tolist() == [None, None, None]
    with pytest.raises(TypeError):
        hot.fill_objects(out, np.zeros(3, dtype=np.int32), ["a"], "")  # a list, not a tuple
    with pytest.raises(TypeError):
        hot.fill_objects(out, np.zeros(3, dtype=np.int32), ("a",))
    for array in (0, [None] * 3, np.empty(3, dtype=np.int64), np.empty((3, 1), dtype=object),
                  np.empty(6, dtype=object)[::2]):  # not a contiguous 1-d object array
        with pytest.raises(TypeError):
            hot.fill_objects(array, np.zeros(3, dtype=np.int32), ("a",), "")
    readonly = np.empty(3, dtype=object)
    readonly.flags.writeable = False
    with pytest.raises(TypeError):
        hot.fill_objects(readonly, np.zeros(3, dtype=np.int32), ("a",), "")
    assert out.tolist() == [None, None, None]
