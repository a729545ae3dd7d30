"""loop() and dispatch(): counts, return values, callbacks that raise, breakloop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import pcapy
from livetools import open_a
from pcapy._netns import VethPair
from testhelpers import frames

N = len(frames())


def collect(reader: pcapy.Reader, method: str, cnt: int) -> tuple[object, list[bytes]]:
    got: list[bytes] = []
    result = getattr(reader, method)(cnt, lambda hdr, data: got.append(data))
    return result, got


@pytest.mark.parametrize("cnt", [-1, 0])
def test_loop_reads_the_whole_file_and_returns_none(eth_pcap: Path, cnt: int) -> None:
    result, got = collect(pcapy.open_offline(str(eth_pcap)), "loop", cnt)
    assert result is None
    assert got == frames()


def test_loop_with_count_stops_there(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert collect(reader, "loop", 7) == (None, frames()[:7])
    assert collect(reader, "loop", 7) == (None, frames()[7:14])


def test_loop_count_beyond_the_end_returns(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert collect(reader, "loop", N + 100) == (None, frames())


@pytest.mark.parametrize("cnt", [-1, 0])
def test_dispatch_all_returns_the_count(eth_pcap: Path, cnt: int) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert collect(reader, "dispatch", cnt) == (N, frames())
    assert collect(reader, "dispatch", cnt) == (0, [])


def test_repeated_dispatch_counts(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    counts = [collect(reader, "dispatch", 15)[0] for _ in range(4)]
    assert counts == [15, 15, N - 30, 0]


def test_96pings_dispatch_50_50_46_0(pings: Path) -> None:
    reader = pcapy.open_offline(str(pings))
    assert [reader.dispatch(50, lambda h, d: None) for _ in range(3)] == [50, 46, 0]


def test_callback_gets_pkthdr_and_bytes(eth_pcap: Path) -> None:
    seen = []
    pcapy.open_offline(str(eth_pcap)).loop(1, lambda hdr, data: seen.append((hdr, data)))
    (hdr, data), = seen
    assert isinstance(hdr, pcapy.Pkthdr) and type(data) is bytes
    assert hdr.getcaplen() == len(data)


def test_callback_return_value_is_ignored(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert reader.dispatch(-1, lambda hdr, data: "stop?") == N


class Boom(Exception):
    pass


def raise_at(k: int, exc: BaseException):
    seen: list[bytes] = []

    def callback(hdr: pcapy.Pkthdr, data: bytes) -> None:
        seen.append(data)
        if len(seen) == k:
            raise exc

    return callback, seen


@pytest.mark.parametrize("method, cnt", [("loop", -1), ("loop", 5), ("dispatch", -1), ("dispatch", 5)])
@pytest.mark.parametrize("exc", [Boom("x"), KeyboardInterrupt()])
def test_raising_callback_stops_and_reader_resumes(eth_pcap: Path, method: str, cnt: int,
                                                   exc: BaseException) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    callback, seen = raise_at(3, exc)
    with pytest.raises(type(exc)) as err:
        getattr(reader, method)(cnt, callback)
    assert err.value is exc  # the original exception, not a wrapper
    assert seen == frames()[:3]
    assert reader.next()[1] == frames()[3]
    rest = []
    reader.loop(-1, lambda hdr, data: rest.append(data))
    assert rest == frames()[4:]


def test_raising_on_the_last_counted_packet(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    callback, seen = raise_at(1, Boom("x"))
    with pytest.raises(Boom):
        reader.loop(1, callback)
    assert reader.next()[1] == frames()[1]


def test_mixing_next_loop_dispatch_keeps_order(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    got = [reader.next()[1]]
    reader.loop(3, lambda h, d: got.append(d))
    reader.dispatch(2, lambda h, d: got.append(d))
    got += [d for _, d in reader]
    assert got == frames()


# ---------------------------------------------------------------- breakloop


@pytest.mark.parametrize("method", ["loop", "dispatch"])
def test_breakloop_from_the_callback(eth_pcap: Path, method: str) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    seen = []

    def callback(hdr: pcapy.Pkthdr, data: bytes) -> None:
        seen.append(data)
        if len(seen) == 5:
            reader.breakloop()

    result = getattr(reader, method)(-1, callback)
    assert seen == frames()[:5]
    assert result == (5 if method == "dispatch" else None)
    assert reader.next()[1] == frames()[5]  # nothing lost


def test_breakloop_before_loop_returns_at_once(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    reader.next()
    reader.breakloop()
    assert reader.dispatch(-1, lambda h, d: pytest.fail("callback ran")) == 0
    assert reader.dispatch(-1, lambda h, d: None) == len(frames()) - 1


def test_breakloop_from_another_thread_ends_a_quiet_loop(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair, to_ms=0)  # waits forever; no traffic comes
    timer = threading.Timer(0.2, cap.breakloop)
    timer.start()
    start = time.monotonic()
    cap.loop(-1, lambda h, d: None)
    assert time.monotonic() - start < 2.0
    timer.join()


def test_breakloop_on_a_closed_reader_is_value_error(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    reader.close()
    with pytest.raises(ValueError):
        reader.breakloop()
