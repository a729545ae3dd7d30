"""Module functions that open captures and list devices."""

from __future__ import annotations

import os

from ._args import check_int, check_path, check_str, clamp_c_int
from ._core import call, go
from ._errors import PcapError
from ._reader import Reader
from ._reader_linktypes import PRECISIONS

def _nano(precision: str) -> bool:
    try:
        return bool(PRECISIONS[precision])
    except (KeyError, TypeError):
        raise ValueError(f"precision must be 'us' or 'ns', not {precision!r}") from None


def open_offline(filename: str | os.PathLike[str], *, precision: str = "us") -> Reader:
    """Open a capture file (pcap or pcapng; ``'-'`` is standard input).

    Args:
        filename: the file's path (str or os.PathLike).
        precision: ``'us'`` (pcapy's microseconds) or ``'ns'`` (nanoseconds:
            headers give exact ``getts_ns()``).

    Raises:
        PcapError: libpcap cannot open it (``'<file>: No such file or
            directory'``, ``'unknown file format'``, ...).
    """
    path = check_path(filename, "filename")
    nano = _nano(precision)
    return Reader(call(go.pybridge_OpenOffline, path, nano))


def open_live(device: str, snaplen: int, promisc: int, to_ms: int) -> Reader:
    """Open a network device for capturing.

    Args:
        device: the interface name (see findalldevs()).
        snaplen: bytes to keep of each packet.
        promisc: non-zero for promiscuous mode.
        to_ms: read timeout in milliseconds: next() returns (None, b'') and
            dispatch() returns 0 when it expires with no packet; 0 waits
            forever; negative means non-blocking mode (as in libpcap). A
            packet is delivered at most min(to_ms, 100) ms after it arrived
            (10 ms with to_ms=0), where libpcap on Linux takes to_ms.

    Raises:
        PcapError: libpcap cannot open the device (its message).
    """
    check_str(device, "device")
    snaplen = clamp_c_int(check_int(snaplen, "snaplen"))
    promisc = clamp_c_int(check_int(promisc, "promisc"))
    to_ms = clamp_c_int(check_int(to_ms, "to_ms"))
    handle = call(go.pybridge_OpenLive, device, snaplen, promisc, to_ms)
    return Reader(handle)


def create(device: str) -> Reader:
    """Create a capture handle for a device, to configure with ``set_*`` and
    then ``activate()``. Unknown devices are accepted; activate() returns -5."""
    check_str(device, "device")
    return Reader(call(go.pybridge_Create, device))


def findalldevs() -> list[str]:
    """Return the names of the devices that can be captured on.

    Raises:
        PcapError: no device is available (``'No valid interfaces to open'``).
    """
    names = str(call(go.pybridge_FindAllDevs))
    if not names:
        raise PcapError("No valid interfaces to open")
    return names.split("\n")


def lookupdev() -> str:
    """Return the name of the first capture device."""
    return str(call(go.pybridge_LookupDev))


def lib_version() -> str:
    """Return libpcap's version string (beyond pcapy)."""
    return str(go.pybridge_LibVersion())
