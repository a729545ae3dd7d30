"""Link types beyond pcapy: a file's own, and set_datalink on a live capture."""

from __future__ import annotations

from pathlib import Path

import pytest

import pcapy
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
