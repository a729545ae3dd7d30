"""Capture devices with their addresses, and link-type names (beyond pcapy)."""

from __future__ import annotations

from collections import namedtuple
from typing import Callable

from ._args import check_int, check_str, clamp_c_int
from ._core import call, go

Interface = namedtuple("Interface", "name description addresses flags", module="pcapy")
Interface.__doc__ = """A capture device: ``name``, ``description`` ('' when libpcap has
none), ``addresses`` (a list of Address) and libpcap's ``PCAP_IF_*`` ``flags``."""

Address = namedtuple("Address", "addr netmask broadaddr dstaddr", module="pcapy")
Address.__doc__ = """An IPv4 or IPv6 address of a device as text; ``netmask``,
``broadaddr`` and ``dstaddr`` are None when the device has none."""


def interfaces() -> list[Interface]:
    """Return the capture devices with their descriptions and addresses
    (pcap_findalldevs); ``findalldevs()`` gives just the names."""
    import json

    devices = json.loads(call(go.pybridge_Interfaces))
    return [
        Interface(
            d["name"], d["description"],
            [Address(a["addr"], a.get("netmask"), a.get("broadaddr"), a.get("dstaddr"))
             for a in d["addresses"]],
            d["flags"],
        )
        for d in devices
    ]


def _link_text(lookup: Callable[[int], str], linktype: int) -> str:
    """libpcap's text for a link type, ValueError when it has none."""
    linktype = check_int(linktype, "linktype")
    text = lookup(clamp_c_int(linktype))
    if not text:
        raise ValueError(f"unknown link type {linktype}")
    return text


def datalink_name(linktype: int) -> str:
    """Return libpcap's name of a link type: ``datalink_name(1) == 'EN10MB'``.

    Raises:
        ValueError: libpcap does not know the link type.
    """
    return _link_text(go.pybridge_DatalinkName, linktype)


def datalink_description(linktype: int) -> str:
    """Return libpcap's description of a link type (``'Ethernet'`` for 1).

    Raises:
        ValueError: libpcap does not know the link type.
    """
    return _link_text(go.pybridge_DatalinkDescription, linktype)


def datalink_value(name: str) -> int:
    """Return the link type of a libpcap name (``'EN10MB'`` → 1), case-insensitive.

    Raises:
        ValueError: libpcap does not know the name.
    """
    check_str(name, "name")
    value = go.pybridge_DatalinkValue(name)
    if value < 0:
        raise ValueError(f"unknown link type name {name!r}")
    return value
