"""How live reads wait: to_ms on a quiet interface, to_ms=0, non-blocking
mode, a negative to_ms, and getfd() with select()."""

from __future__ import annotations

import select
import threading
import time

import pytest

from livetools import collect, frame, open_a, sender_b, seq_of
from pcapy._netns import VethPair

# Timing bounds are generous on purpose: they catch "never returns" and "returns
# at once", not scheduling noise.
SLACK = 0.5


def elapsed(fn, *args):
    start = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - start


@pytest.mark.parametrize("to_ms", [50, 300])
def test_next_and_dispatch_return_empty_after_to_ms_on_a_quiet_interface(veth_pair: VethPair, to_ms: int) -> None:
    cap = open_a(veth_pair, to_ms=to_ms)
    result, took = elapsed(cap.next)
    assert result == (None, b"")
    assert to_ms / 1000 * 0.9 <= took <= to_ms / 1000 + SLACK
    result, took2 = elapsed(cap.dispatch, -1, lambda h, d: None)
    assert result == 0
    assert to_ms / 1000 * 0.9 <= took2 <= to_ms / 1000 + SLACK
    print(f"to_ms={to_ms}: next() returned after {1000 * took:.1f} ms, "
          f"dispatch() after {1000 * took2:.1f} ms")  # shown by pytest -s


@pytest.mark.parametrize("to_ms", [0, 1000])
def test_a_packet_is_delivered_promptly_whatever_to_ms(veth_pair: VethPair, to_ms: int) -> None:
    # libpcap delivers a TPACKET_V3 block when its timeout expires: with to_ms
    # (1000 here) in pcapy, and never on a quiet fast link with to_ms=0.
    cap = open_a(veth_pair, to_ms=to_ms)
    tx = sender_b(veth_pair)
    threading.Timer(0.2, tx.sendpacket, [frame(veth_pair.a.mac, veth_pair.b.mac, 7)]).start()
    (hdr, data), took = elapsed(cap.next)
    assert seq_of(data) == 7
    assert 0.2 * 0.9 <= took <= 0.2 + SLACK


def test_a_reader_busy_elsewhere_loses_nothing_at_a_low_rate(veth_pair: VethPair) -> None:
    # Blocks retired by their timeout are partly empty: with a 10 ms block
    # timeout libpcap's 8-block ring would overflow after 80 ms of this.
    cap = open_a(veth_pair, to_ms=1000)
    tx = sender_b(veth_pair)
    for i in range(400):  # about 1000 packets per second while nobody reads
        tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, i))
        time.sleep(0.001)
    got = collect(cap, 400)
    assert [seq_of(d) for _, d in got] == list(range(400))
    assert cap.stats() == (400, 0, 0)


def test_loop_keeps_waiting_past_to_ms(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair, to_ms=50)
    seen: list[int] = []
    reader = threading.Thread(target=cap.loop, args=(1, lambda h, d: seen.append(seq_of(d))))
    reader.start()
    reader.join(0.5)
    assert reader.is_alive() and not seen  # ten timeouts later, still waiting
    sender_b(veth_pair).sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, 3))
    reader.join(5)
    assert not reader.is_alive() and seen == [3]


def test_to_ms_zero_blocks_until_close(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair, to_ms=0)
    outcome: list = []

    def read() -> None:
        try:
            outcome.append(cap.next())
        except ValueError as err:
            outcome.append(err)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(0.5)
    assert reader.is_alive()
    cap.close()
    reader.join(1)
    assert not reader.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ValueError)


@pytest.mark.parametrize("how", ["setnonblock", "negative to_ms"])
def test_non_blocking_reads_return_at_once(veth_pair: VethPair, how: str) -> None:
    cap = open_a(veth_pair, to_ms=-1 if how == "negative to_ms" else 1000)
    if how == "setnonblock":
        assert cap.getnonblock() == 0
        cap.setnonblock(1)
    assert cap.getnonblock() == 1
    result, took = elapsed(cap.next)
    assert result == (None, b"") and took < 0.1
    result, took = elapsed(cap.dispatch, 10, lambda h, d: None)
    assert result == 0 and took < 0.1
    sender_b(veth_pair).sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, 5))
    deadline = time.monotonic() + 5
    hdr, data = cap.next()
    while hdr is None and time.monotonic() < deadline:
        time.sleep(0.005)
        hdr, data = cap.next()
    assert seq_of(data) == 5
    cap.setnonblock(0)
    assert cap.getnonblock() == 0


def test_getfd_works_with_select(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair, to_ms=1000)
    fd = cap.getfd()
    assert isinstance(fd, int) and fd >= 0
    assert select.select([fd], [], [], 0.3)[0] == []  # quiet: not readable
    tx = sender_b(veth_pair)
    for i in range(3):
        tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, i))
    seen = []
    for _ in range(3):  # the select-then-next pattern: readable while packets wait
        assert select.select([fd], [], [], 5)[0] == [fd]
        hdr, data = cap.next()
        seen.append(seq_of(data))
    assert seen == [0, 1, 2]
    assert select.select([fd], [], [], 0.3)[0] == []
