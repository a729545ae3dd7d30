"""create()/set_*/activate() return libpcap's codes and never raise; open_live,
findalldevs, lookupdev and set_fanout on real devices; bad input is refused."""

from __future__ import annotations

import pytest

import livetools
import pcapy
from livetools import collect, frame, open_a, sender_b
from pcapy._netns import VethPair

PCAP_ERROR_NOT_ACTIVATED = -3
PCAP_ERROR_ACTIVATED = -4
PCAP_ERROR_NO_SUCH_DEVICE = -5
PCAP_ERROR_RFMON_NOTSUP = -6


def test_create_set_activate_return_libpcap_codes(veth_pair: VethPair) -> None:
    with veth_pair.a.inside():
        r = pcapy.create(veth_pair.a.dev)
        assert r.datalink() == PCAP_ERROR_NOT_ACTIVATED
        assert [r.set_snaplen(128), r.set_promisc(1), r.set_timeout(50),
                r.set_buffer_size(1 << 20), r.set_rfmon(0)] == [0] * 5
        assert r.activate() == 0
    assert r.activate() == PCAP_ERROR_ACTIVATED
    assert [r.set_snaplen(64), r.set_promisc(0), r.set_timeout(1),
            r.set_buffer_size(1), r.set_rfmon(1)] == [PCAP_ERROR_ACTIVATED] * 5
    assert r.datalink() == pcapy.DLT_EN10MB
    assert (r.getnet(), r.getmask()) == (veth_pair.network, veth_pair.netmask)
    tx = sender_b(veth_pair)
    tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, 1, 300))
    [(hdr, data)] = collect(r, 1)
    assert (hdr.getcaplen(), hdr.getlen(), len(data)) == (128, 300, 128)  # the settings hold


def test_unknown_device_is_accepted_by_create_and_refused_by_activate() -> None:
    r = pcapy.create("gpcapy-nosuch0")
    assert r.activate() == PCAP_ERROR_NO_SUCH_DEVICE
    assert r.activate() == PCAP_ERROR_NO_SUCH_DEVICE  # again: pcapy-ng crashes here
    assert r.datalink() == PCAP_ERROR_NOT_ACTIVATED
    assert r.next() == (None, b"")
    assert r.getnonblock() == PCAP_ERROR_NOT_ACTIVATED
    assert r.getfd() == -1
    assert (r.getnet(), r.getmask()) == ("0.0.0.0", "0.0.0.0")
    with pytest.raises(pcapy.PcapError, match="hasn't been activated"):
        r.dispatch(1, print)
    with pytest.raises(pcapy.PcapError, match="hasn't been activated"):
        r.loop(1, print)  # never waits forever for packets that cannot come
    with pytest.raises(pcapy.PcapError, match="hasn't been activated"):
        r.stats()
    with pytest.raises(pcapy.PcapError, match="not-yet-activated pcap_t passed to pcap_compile"):
        r.setfilter("tcp")
    r.close()
    with pytest.raises(ValueError, match="pcap is closed"):
        r.activate()


def test_monitor_mode_is_refused_on_a_wired_device(veth_pair: VethPair) -> None:
    with veth_pair.a.inside():
        r = pcapy.create(veth_pair.a.dev)
        assert r.set_rfmon(1) == 0
        assert r.activate() == PCAP_ERROR_RFMON_NOTSUP


def test_open_live_errors_carry_libpcap_messages() -> None:
    with pytest.raises(pcapy.PcapError, match="gpcapy-nosuch0: No such device exists"):
        pcapy.open_live("gpcapy-nosuch0", 65535, 1, 100)
    for args in [(b"lo", 65535, 1, 100), ("lo", 65535.0, 1, 100), ("lo", 65535, 1, "100"),
                 (None, 65535, 1, 100)]:
        with pytest.raises(TypeError):
            pcapy.open_live(*args)
    with pytest.raises(TypeError):
        pcapy.create(1.5)


def test_findalldevs_and_lookupdev_list_the_namespace_devices(veth_pair: VethPair) -> None:
    with veth_pair.a.inside():
        names = pcapy.findalldevs()
        first = pcapy.lookupdev()
    assert veth_pair.a.dev in names and "lo" in names and veth_pair.b.dev not in names
    assert first == names[0] == veth_pair.a.dev  # the up, addressed device comes first


def test_set_fanout_joins_a_group_and_reports_os_errors(veth_pair: VethPair) -> None:
    a, b = open_a(veth_pair), open_a(veth_pair)
    group = 1000  # fanout groups belong to a network namespace: no clash with other runs
    assert a.set_fanout(group, pcapy.PACKET_FANOUT_HASH) is None
    with pytest.raises(pcapy.PcapError, match=r"^\(22, 'Invalid argument'\)$"):
        b.set_fanout(group, pcapy.PACKET_FANOUT_LB)  # another type: the kernel refuses
    assert b.set_fanout(group_id=group, fanout_type=pcapy.PACKET_FANOUT_HASH) is None
    with pytest.raises(pcapy.PcapError, match=r"^\(114, 'Operation already in progress'\)$"):
        b.set_fanout(group + 1)
    with pytest.raises(TypeError):
        a.set_fanout("1")
    tx = sender_b(veth_pair)
    for i in range(20):
        tx.sendpacket(frame(veth_pair.a.mac, veth_pair.b.mac, i))
    # The group shares the device's packets: each frame reaches exactly one of them.
    got = collect(a, 20, timeout_s=1.0) + collect(b, 20, timeout_s=1.0)
    assert sorted(livetools.seq_of(d) for _, d in got) == list(range(20))


def test_set_fanout_refuses_a_capture_file(tmp_path) -> None:
    import capgen

    path = tmp_path / "one.pcap"
    capgen.write_pcap(path, [(0, bytes(60))])
    with pytest.raises(pcapy.PcapError, match="PACKET_FANOUT needs a live"):
        pcapy.open_offline(str(path)).set_fanout(1)


def test_sendpacket_refuses_what_cannot_be_sent(veth_pair: VethPair) -> None:
    tx = sender_b(veth_pair)
    with pytest.raises(pcapy.PcapError, match="^The number of bytes to be sent must be positive"):
        tx.sendpacket(b"")
    with pytest.raises(pcapy.PcapError, match="^send: Message too long$"):
        tx.sendpacket(bytes(70000))
    with pytest.raises(TypeError):
        tx.sendpacket("a str")
    tx.sendpacket(bytearray(frame(veth_pair.a.mac, veth_pair.b.mac, 1)))  # bytes-like is fine
