"""Time stamp sources and precision of a created live capture (beyond pcapy)."""

from __future__ import annotations

import time

import pytest

import pcapy
from livetools import collect, frame, sender_b
from pcapy._netns import VethPair


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
