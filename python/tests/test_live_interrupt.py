"""Ending a live read: Ctrl-C and close() from another thread end a wait on a
quiet interface promptly (pcapy ignores the first and crashes on the second),
and two readers in two threads capture at the same time."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import pcapy
from livetools import collect, frame, open_a, sender_b, seq_of
from pcapy._netns import VethPair

# The bound: Ctrl-C raises KeyboardInterrupt within 250 ms.
SIGINT_BOUND = 0.25
TRIALS = 3

WAITER = textwrap.dedent("""
    import sys, time, pcapy
    dev, how, to_ms, trials = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    r = pcapy.open_live(dev, 65535, 1, to_ms)
    for _ in range(trials):
        print("waiting", flush=True)
        try:
            if how == "loop":
                r.loop(-1, lambda h, d: None)
            while True:
                if how == "dispatch":
                    r.dispatch(-1, lambda h, d: None)
                else:
                    r.next()
        except KeyboardInterrupt:
            print("interrupted", time.monotonic(), flush=True)
""")


@pytest.mark.parametrize("to_ms", [0, 1000])
@pytest.mark.parametrize("how", ["loop", "dispatch", "next"])
def test_ctrl_c_interrupts_a_wait_on_a_quiet_interface(veth_pair: VethPair, how: str, to_ms: int) -> None:
    argv = veth_pair.a.argv(sys.executable, "-c", WAITER, veth_pair.a.dev, how, str(to_ms), str(TRIALS))
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as child:
        try:
            latencies = []
            for _ in range(TRIALS):
                assert child.stdout.readline() == "waiting\n"
                time.sleep(0.2)  # well inside the wait
                sent = time.monotonic()
                child.send_signal(signal.SIGINT)
                word, when = child.stdout.readline().split()
                assert word == "interrupted"
                latencies.append(float(when) - sent)
            assert child.wait(10) == 0
        finally:
            child.kill()
    print(f"SIGINT during {how}() with to_ms={to_ms}: KeyboardInterrupt after "
          + ", ".join(f"{1000 * t:.1f}" for t in latencies) + " ms")  # shown by pytest -s
    assert max(latencies) < SIGINT_BOUND, latencies


def test_close_from_another_thread_ends_reads_cleanly(veth_pair: VethPair) -> None:
    tx = sender_b(veth_pair)
    stop = threading.Event()

    def traffic() -> None:  # half the trials close a reader that is busy with packets
        i = 0
        while not stop.is_set():
            tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, i))
            i += 1
            time.sleep(0.0002)

    rng = random.Random(1)
    outcomes: dict[str, int] = {}
    slowest = 0.0
    sender = None
    try:
        for trial in range(100):
            if trial == 50:
                sender = threading.Thread(target=traffic)
                sender.start()
            how = ("loop", "next", "dispatch")[trial % 3]
            cap = open_a(veth_pair, to_ms=(0, 50)[trial % 2])
            result: list[str] = []

            def read() -> None:
                try:
                    if how == "loop":
                        cap.loop(-1, lambda h, d: None)
                    while True:
                        cap.next() if how == "next" else cap.dispatch(-1, lambda h, d: None)
                except (ValueError, pcapy.PcapError) as err:
                    result.append(type(err).__name__)
                except BaseException as err:  # anything else is a failure
                    result.append(repr(err))
                else:
                    result.append("returned")

            reader = threading.Thread(target=read)
            reader.start()
            time.sleep(rng.uniform(0, 0.03))
            closed = time.monotonic()
            cap.close()
            reader.join(2)
            assert not reader.is_alive(), f"trial {trial}: {how} still running after close()"
            slowest = max(slowest, time.monotonic() - closed)
            assert slowest < 1.0
            assert result and result[0] in ("ValueError", "PcapError", "returned"), result
            outcomes[result[0]] = outcomes.get(result[0], 0) + 1
    finally:
        stop.set()
        if sender:
            sender.join()
    assert sum(outcomes.values()) == 100
    print(f"close() from another thread, 100 trials: {outcomes}, slowest end {1000 * slowest:.1f} ms")


def test_two_readers_in_two_threads_capture_at_the_same_time(veth_pair: VethPair) -> None:
    a, b = open_a(veth_pair, to_ms=300), open_a(veth_pair, to_ms=300)
    # Waiting: both time out together, not one after the other (the GIL is free).
    results: list = []
    threads = [threading.Thread(target=lambda r=r: results.append(r.next())) for r in (a, b)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [(None, b""), (None, b"")]
    assert time.monotonic() - start < 0.5
    # Capturing: each reader gets every frame, in order.
    got: dict[str, list] = {}
    readers = [threading.Thread(target=lambda n=n, r=r: got.__setitem__(n, collect(r, 2000)))
               for n, r in (("a", a), ("b", b))]
    for t in readers:
        t.start()
    tx = sender_b(veth_pair)
    for i in range(2000):
        tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, i, 200))
    for t in readers:
        t.join()
    for name in "ab":
        assert [seq_of(d) for _, d in got[name]] == list(range(2000)), name
