"""Beyond pcapy: link types, time stamp sources and precision, breakloop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import pcapy
from testhelpers import frames
from livetools import collect, frame, open_a, sender_b
from pcapy._netns import VethPair


def test_a_file_lists_its_own_link_type(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert reader.list_datalinks() == [pcapy.DLT_EN10MB]
    reader.set_datalink(pcapy.DLT_EN10MB)  # its own: fine
    with pytest.raises(pcapy.PcapError):
        reader.set_datalink(pcapy.DLT_RAW)
    with pytest.raises(TypeError):
        reader.set_datalink("RAW")


def test_live_set_datalink(veth_pair: VethPair) -> None:
    cap = open_a(veth_pair)
    dlts = cap.list_datalinks()
    assert pcapy.DLT_EN10MB in dlts
    for dlt in dlts:
        cap.set_datalink(dlt)
        assert cap.datalink() == dlt
    with pytest.raises(pcapy.PcapError):
        cap.set_datalink(pcapy.DLT_LTALK)
    cap.set_datalink(pcapy.DLT_EN10MB)
    tx = sender_b(veth_pair)
    tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, 1))
    (hdr, data), = collect(cap, 1)
    assert data == frame(veth_pair.a.mac, veth_pair.b.mac, 1)


def test_tstamp_types_of_a_created_handle(veth_pair: VethPair) -> None:
    with veth_pair.a.inside():
        cap = pcapy.create(veth_pair.a.dev)
    names = cap.tstamp_types()
    assert all(isinstance(n, str) and n for n in names)
    assert cap.set_tstamp_type("host") in (0, 3)  # 3: PCAP_WARNING_TSTAMP_TYPE_NOTSUP
    with pytest.raises(ValueError):
        cap.set_tstamp_type("no-such-clock")
    with veth_pair.a.inside():
        assert cap.activate() == 0
    assert cap.set_tstamp_type("host") == -4  # PCAP_ERROR_ACTIVATED


def test_nanosecond_precision_on_a_created_handle(veth_pair: VethPair) -> None:
    with veth_pair.a.inside():
        cap = pcapy.create(veth_pair.a.dev)
    assert cap.get_tstamp_precision() == "us"
    assert cap.set_tstamp_precision("ns") == 0
    with pytest.raises(ValueError):
        cap.set_tstamp_precision("ps")
    assert cap.set_timeout(50) == 0
    with veth_pair.a.inside():
        assert cap.activate() == 0
    assert cap.get_tstamp_precision() == "ns"
    before = time.time_ns()
    sender_b(veth_pair).sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, 7))
    (hdr, _), = collect(cap, 1)
    assert isinstance(hdr, pcapy.PkthdrNs)
    ns = hdr.getts_ns()
    assert before - 10**9 < ns < time.time_ns() + 10**9
    assert hdr.getts() == (ns // 10**9, ns % 10**9 // 1000)


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
