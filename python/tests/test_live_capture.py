"""Live capture on a veth pair: what is sent from the far end is captured,
byte for byte and in order; snaplen, filters, direction, stats, net/mask."""

from __future__ import annotations

import socket
import struct
import time

import pytest

import livetools
import pcapy
from livetools import collect, frame, open_a, sender_b, seq_of
from pcapy._netns import VethPair


def test_thousands_of_frames_arrive_exact_and_in_order(veth_pair: VethPair) -> None:
    sent = [frame(veth_pair.a.mac, veth_pair.b.mac, i, 60 + (i * 37) % 1455) for i in range(5000)]
    cap = open_a(veth_pair, buffer_size=64 << 20)  # room for everything before reading
    tx = sender_b(veth_pair)
    start = time.time()
    for f in sent:
        tx.sendpacket(f)
    got = collect(cap, len(sent))
    assert len(got) == len(sent)
    assert [d for _, d in got] == sent  # exact bytes, same order
    assert all(h.getcaplen() == h.getlen() == len(d) for h, d in got)
    stamps = [h.getts() for h, _ in got]
    assert stamps == sorted(stamps)
    assert start - 1 <= stamps[0][0] <= stamps[-1][0] <= time.time() + 1
    assert cap.stats() == (len(sent), 0, 0)


def test_snaplen_truncates_but_keeps_the_wire_length(veth_pair: VethPair) -> None:
    sizes = [60, 99, 100, 101, 500, 1514]
    sent = [frame(veth_pair.a.mac, veth_pair.b.mac, i, size) for i, size in enumerate(sizes)]
    cap = open_a(veth_pair, snaplen=100)
    tx = sender_b(veth_pair)
    for f in sent:
        tx.sendpacket(f)
    got = collect(cap, len(sent))
    assert [(h.getcaplen(), h.getlen()) for h, _ in got] == [(min(s, 100), s) for s in sizes]
    assert [d for _, d in got] == [f[:100] for f in sent]


def test_filter_keeps_only_matching_frames_and_stats_count_them(veth_pair: VethPair) -> None:
    sent = [frame(veth_pair.a.mac, veth_pair.b.mac, i, 80, livetools.ETH_TEST2 if i % 3 == 0 else livetools.ETH_TEST)
            for i in range(300)]
    cap = open_a(veth_pair)
    cap.setfilter(f"ether proto {livetools.ETH_TEST2:#x}")
    tx = sender_b(veth_pair)
    for f in sent:
        tx.sendpacket(f)
    wanted = sent[::3]
    got = collect(cap, len(wanted))
    assert [d for _, d in got] == wanted
    assert cap.next() == (None, b"")  # nothing else passed the filter
    assert cap.stats() == (len(wanted), 0, 0)  # the kernel counts what the filter kept


def test_udp_datagrams_between_the_namespaces_are_captured(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair)
    with veth_pair.a.inside():
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with veth_pair.b.inside():
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with rx, tx:
        rx.bind((veth_pair.a.ip, 0))
        port = rx.getsockname()[1]
        cap.setfilter(f"udp and dst port {port}")
        payloads = [b"datagram %d " % i + bytes(range(i)) for i in range(50)]
        for p in payloads:
            tx.sendto(p, (veth_pair.a.ip, port))
        got = collect(cap, len(payloads))
        assert [rx.recv(2048) for _ in payloads] == payloads  # the socket got them too
    assert [d[42:] for _, d in got] == payloads  # Ethernet 14 + IPv4 20 + UDP 8
    for _, d in got:
        assert d[26:30] == socket.inet_aton(veth_pair.b.ip) and d[30:34] == socket.inet_aton(veth_pair.a.ip)


def test_getnet_getmask_and_datalink_describe_the_device(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair)
    assert (cap.getnet(), cap.getmask()) == (veth_pair.network, veth_pair.netmask)
    assert cap.datalink() == pcapy.DLT_EN10MB


@pytest.mark.parametrize("direction", ["in", "out"])
def test_setdirection_keeps_one_direction(veth_pair: VethPair, direction: str) -> None:
    cap = open_a(veth_pair)
    cap.setdirection(pcapy.PCAP_D_IN if direction == "in" else pcapy.PCAP_D_OUT)
    with veth_pair.a.inside():
        out = pcapy.open_live(veth_pair.a.dev, 65535, 0, 100)  # frames leaving dev_a
    incoming = [frame(veth_pair.a.mac, veth_pair.b.mac, i) for i in range(5)]
    outgoing = [frame(veth_pair.b.mac, veth_pair.a.mac, 100 + i) for i in range(5)]
    tx = sender_b(veth_pair)
    for f_in, f_out in zip(incoming, outgoing):
        tx.sendpacket(f_in)
        out.sendpacket(f_out)
    got = [d for _, d in collect(cap, 5)]
    assert got == (incoming if direction == "in" else outgoing)
    assert cap.next() == (None, b"")


def test_dispatch_and_loop_take_only_the_packets_asked_for(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair)
    tx = sender_b(veth_pair)
    for i in range(10):
        tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, i))
    time.sleep(0.2)  # all delivered
    seen: list[int] = []
    assert cap.dispatch(3, lambda h, d: seen.append(seq_of(d))) == 3
    assert cap.loop(5, lambda h, d: seen.append(seq_of(d))) is None
    assert seen == list(range(8))
    assert cap.dispatch(-1, lambda h, d: seen.append(seq_of(d))) == 2
    assert seen == list(range(10))
    assert cap.dispatch(-1, lambda h, d: seen.append(-1)) == 0  # after to_ms: nothing came


def test_next_batch_returns_the_frames_in_pcapy_ngs_layout(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair)
    sent = [frame(veth_pair.a.mac, veth_pair.b.mac, i, 60 + i) for i in range(10)]
    tx = sender_b(veth_pair)
    for f in sent:
        tx.sendpacket(f)
    time.sleep(0.2)
    data, meta = cap.next_batch(5000)  # more than one Go read holds
    records = list(struct.iter_unpack("=IIII", meta))
    assert [data[off:off + caplen] for _, _, off, caplen in records] == sent
    assert cap.next_batch(0) == (b"", b"")  # to_ms passed with nothing
