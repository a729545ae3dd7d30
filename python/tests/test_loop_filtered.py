"""loop_filtered / loop_to_buffer / filtered_stats where pcapy-ng cannot be
the reference: before any run, breakloop(), a raising callback on the last
packet of cnt, huge packets, nanosecond headers, live waits and Ctrl-C.
(test_differential.py compares everything pcapy-ng does.)"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

import capgen
from livetools import frame, open_a
from pcapy._netns import VethPair
import pcapy


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "c.pcap"
    capgen.write_pcap(path, capgen.classifier_traffic(300))
    return path


def packets(path: Path) -> list:
    return list(pcapy.open_offline(str(path)))


def test_filtered_stats_are_zeros_before_any_run(capture: Path) -> None:
    with pcapy.open_offline(str(capture)) as r:
        assert r.filtered_stats() == (0, 0, 0, 0, 0)


def test_breakloop_in_a_callback_stops_after_that_packet(capture: Path) -> None:
    everything = packets(capture)
    with pcapy.open_offline(str(capture)) as r:
        seen = []

        def cb(hdr, data, cls):
            seen.append((hdr, data))
            if len(seen) == 5:
                r.breakloop()

        result = r.loop_filtered(-1, cb)
        assert len(seen) == 5 and result == (5, 0, 5, 0, 0) == r.filtered_stats()
        assert r.next() == everything[5]  # the reader goes on after the last packet handled


def test_a_callback_raising_on_the_cnt_th_packet_leaves_the_reader_usable(capture: Path) -> None:
    """pcapy-ng's loop_filtered(cnt) then reports a false error on the next call
    (libpcap's stale break flag); ours resumes at the next packet."""
    everything = packets(capture)
    with pcapy.open_offline(str(capture)) as r:
        def boom(hdr, data, cls):
            raise ValueError("x")

        with pytest.raises(ValueError):
            r.loop_filtered(1, boom)
        assert r.filtered_stats() == (1, 0, 1, 0, 0)
        assert r.loop_filtered(2, lambda *a: None, 0) == (0, 2, 2, 0, 0)
        assert r.next() == everything[3]


def test_nanosecond_readers_hand_out_nanosecond_headers(tmp_path: Path) -> None:
    path = tmp_path / "ns.pcap"
    capgen.write_pcap(path, capgen.classifier_traffic(50), nanosecond=True)
    want = list(pcapy.open_offline(str(path), precision="ns"))
    got = []
    with pcapy.open_offline(str(path), precision="ns") as r:
        r.loop_filtered(-1, lambda h, d, c: got.append((h, d)))
    assert got == want and isinstance(got[0][0], pcapy.PkthdrNs)


def test_packets_that_overflow_a_batchs_room_wait_for_the_next_batch(tmp_path: Path) -> None:
    udp = capgen.ipv4("10.0.0.1", "10.0.0.2", 17, capgen.udp("10.0.0.1", "10.0.0.2", 1, 2))
    big = capgen.ethernet(b"\x02" * 6, b"\x04" * 6, capgen.ETH_P_IP, udp) + bytes(200_000)  # two do not fit in one batch
    small = capgen.ethernet(b"\x02" * 6, b"\x04" * 6, 0x88B5, b"small")
    path = tmp_path / "big.pcap"
    capgen.write_pcap(path, [(i * 1000, f) for i, f in enumerate([small, big, small, big])], snaplen=262_144)
    got = []
    with pcapy.open_offline(str(path)) as r:
        assert r.loop_filtered(-1, lambda h, d, c: got.append((len(d), c)), 7, b"", 1) == (4, 0, 3, 1, 0)
    assert got == [(len(small), 0), (len(big), 1), (len(small), 0), (len(big), 0)]


def test_loop_to_buffer_releases_the_buffer_and_takes_numpy_like_views(capture: Path) -> None:
    buf = bytearray(1 << 16)
    with pcapy.open_offline(str(capture)) as r:
        written, dropped, overflow, used, *_ = r.loop_to_buffer(-1, buf, 1 << 2, b"\x0a\x63\x00\x01")
    assert written > 0 and overflow == 0
    buf.extend(b"x")  # not exported any more: resizable
    caplen = int.from_bytes(buf[:4], "little")
    assert buf[4] == 2 and 5 + caplen <= used


def test_not_activated_handles_are_refused() -> None:
    r = pcapy.create("gpcapy-nosuch0")
    with pytest.raises(pcapy.PcapError, match="hasn't been activated"):
        r.loop_filtered(1, print)
    r.close()




def test_close_from_another_thread_ends_a_live_loop(veth_pair: VethPair) -> None:
    r = open_a(veth_pair)
    threading.Timer(0.3, r.close).start()
    started = time.monotonic()
    with pytest.raises(ValueError, match="pcap is closed"):
        r.loop_filtered(-1, print)
    assert time.monotonic() - started < 2


def test_ctrl_c_interrupts_a_quiet_live_loop_to_buffer(veth_pair: VethPair) -> None:
    r = open_a(veth_pair)
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        r.loop_to_buffer(-1, bytearray(1000))
    assert time.monotonic() - started < 2
    r.close()


def test_breakloop_from_another_thread_ends_a_live_loop_with_its_counts(veth_pair: VethPair) -> None:
    r = open_a(veth_pair)
    with veth_pair.b.inside():
        tx = pcapy.open_live(veth_pair.b.dev, 65535, 0, 100)
    for seq in range(4):
        tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, seq))
    threading.Timer(0.5, r.breakloop).start()
    assert r.loop_filtered(-1, lambda *a: None, 0) == (0, 4, 4, 0, 0)
    r.close()


@pytest.mark.parametrize("stop_at", [1, 63, 64, 65, 300, 1023, 1024, 1025, 1400])
def test_a_raising_callback_leaves_every_later_packet_for_the_next_read(capture: Path, stop_at: int) -> None:
    """Go reads ahead in batches of many reads; what the callback did not reach goes back."""
    everything = packets(capture)
    with pcapy.open_offline(str(capture)) as r:
        def cb(hdr, data, cls):
            nonlocal calls
            calls += 1
            if calls == stop_at:
                raise ValueError("stop")

        calls = 0
        with pytest.raises(ValueError):
            r.loop_filtered(-1, cb, 7)
        assert r.filtered_stats() == (stop_at, 0, stop_at, 0, 0)
        assert r.next() == everything[stop_at]
        rest = []
        r.loop_filtered(-1, lambda h, d, c: rest.append((h, d)))
        assert rest == everything[stop_at + 1:]


def test_a_raise_at_a_rare_class_hands_back_what_followed_it(capture: Path) -> None:
    """Reads of only dropped packets before it are never kept for handing back."""
    watched = bytes([10, 99, 0, 1])
    everything = packets(capture)
    with pcapy.open_offline(str(capture)) as r:
        hits = []
        r.loop_filtered(-1, lambda h, d, c: hits.append((h, d)), 1 << 2, watched)
    assert len(hits) >= 2
    second = everything.index(hits[1])
    with pcapy.open_offline(str(capture)) as r:
        def cb(hdr, data, cls):
            if (hdr, data) == hits[1]:
                raise ValueError("second hit")

        with pytest.raises(ValueError):
            r.loop_filtered(-1, cb, 1 << 2, watched)
        assert r.filtered_stats()[:2] == (2, second - 1)
        assert r.next() == everything[second + 1]


def test_a_second_filtered_loop_on_the_same_reader_is_refused(capture: Path) -> None:
    everything = packets(capture)
    with pcapy.open_offline(str(capture)) as r:
        def nested(hdr, data, cls):
            r.loop_to_buffer(1, bytearray(100))

        with pytest.raises(pcapy.PcapError, match="already running"):
            r.loop_filtered(-1, nested)
        assert r.next() == everything[1]  # the outer loop stopped at its first packet
        assert r.loop_filtered(1, lambda *a: None) == (1, 0, 1, 0, 0)  # and ended cleanly
