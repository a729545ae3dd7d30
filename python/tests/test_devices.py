"""interfaces() and link-type names (beyond pcapy)."""

from __future__ import annotations

import pytest

import pcapy
from pcapy._netns import VethPair


def test_interfaces_show_the_veth_addresses_and_netmasks(veth_pair: VethPair) -> None:
    a = veth_pair.a
    with a.inside():
        devices = {d.name: d for d in pcapy.interfaces()}
        names = pcapy.findalldevs()
    assert a.dev in devices and veth_pair.b.dev not in devices
    assert list(devices) == names  # same devices, same order as findalldevs()
    addresses = devices[a.dev].addresses
    assert pcapy.Address(a.ip, veth_pair.netmask, veth_pair.network[:-1] + "255", None) in addresses
    assert pcapy.Address(a.ip6, "ffff:ffff:ffff:ffff::", None, None) in addresses
    assert "lo" in devices
    assert any(a.addr == "127.0.0.1" and a.netmask == "255.0.0.0" for a in devices["lo"].addresses)


def test_interfaces_include_ipv6_addresses() -> None:
    devices = {d.name: d for d in pcapy.interfaces()}
    if "lo" not in devices or not any(":" in a.addr for a in devices["lo"].addresses):
        pytest.skip("loopback has no IPv6 address here")
    assert any(a.addr == "::1" and a.netmask == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
               for a in devices["lo"].addresses)


def test_interface_fields() -> None:
    for device in pcapy.interfaces():
        assert isinstance(device.name, str) and device.name
        assert isinstance(device.description, str)
        assert isinstance(device.flags, int)
        for address in device.addresses:
            assert isinstance(address.addr, str)


@pytest.mark.parametrize("value, name, description", [
    (pcapy.DLT_EN10MB, "EN10MB", "Ethernet"),
    (pcapy.DLT_LINUX_SLL, "LINUX_SLL", "Linux cooked v1"),
    (pcapy.DLT_RAW, "RAW", "Raw IP"),
    (pcapy.DLT_NULL, "NULL", "BSD loopback"),
])
def test_datalink_names(value: int, name: str, description: str) -> None:
    assert pcapy.datalink_name(value) == name
    assert pcapy.datalink_description(value) == description
    assert pcapy.datalink_value(name) == value
    assert pcapy.datalink_value(name.lower()) == value


def test_unknown_datalinks_are_value_errors() -> None:
    with pytest.raises(ValueError):
        pcapy.datalink_name(99999)
    with pytest.raises(ValueError):
        pcapy.datalink_description(-5)
    with pytest.raises(ValueError):
        pcapy.datalink_value("NO_SUCH_LINK")
    with pytest.raises(TypeError):
        pcapy.datalink_name("EN10MB")
