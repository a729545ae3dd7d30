"""Pkthdr: a packet's capture header (timestamp, captured and wire length).

Headers of packets read from a capture are made a million times a second,
so they are instances of the C part's tuple subclasses (python/csrc/_hotpath.c,
made without a Python call, with the same methods in C), registered as
virtual subclasses: ``isinstance(hdr, Pkthdr)`` holds for them, and they
compare, hash and pickle as Pkthdr.
"""

from __future__ import annotations

from abc import ABCMeta

from ._args import check_int

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class _Header(tuple[int, ...]):
    """The methods of every header class (microsecond timestamps)."""

    __slots__ = ()

    def getts(self) -> tuple[int, int]:
        """Return the timestamp as ``(seconds, microseconds)``."""
        return (self[0], self[1])

    def getts_ns(self) -> int:
        """Return the timestamp in integer nanoseconds since the epoch."""
        return self[0] * 1_000_000_000 + self[1] * 1000

    def getcaplen(self) -> int:
        """Return the number of bytes captured."""
        return self[2]

    def getlen(self) -> int:
        """Return the packet's length on the wire."""
        return self[3]

    def __repr__(self) -> str:
        return f"Pkthdr(sec={self[0]}, usec={self[1]}, caplen={self[2]}, len={self[3]})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Pkthdr, tuple(self))


class _HeaderNs(_Header):
    """The methods of nanosecond headers: the tuple is (sec, nsec, caplen, len)."""

    __slots__ = ()

    def getts(self) -> tuple[int, int]:
        """Return the timestamp as ``(seconds, microseconds)`` (truncated)."""
        return (self[0], self[1] // 1000)

    def getts_ns(self) -> int:
        """Return the timestamp in integer nanoseconds since the epoch."""
        return self[0] * 1_000_000_000 + self[1]

    def __repr__(self) -> str:
        return f"PkthdrNs(sec={self[0]}, nsec={self[1]}, caplen={self[2]}, len={self[3]})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (PkthdrNs, tuple(self))


class Pkthdr(_Header, metaclass=ABCMeta):
    """Header of a captured packet, as libpcap's ``struct pcap_pkthdr``.

    Also an immutable 4-tuple ``(sec, usec, caplen, len)``, so it unpacks,
    compares and hashes by value. Unlike pcapy, it can be built from Python
    (``Pkthdr(sec, usec, caplen, len)``) to write new captures with
    ``Dumper.dump``.
    """

    __slots__ = ()

    def __new__(cls, sec: int, usec: int, caplen: int, len: int) -> "Pkthdr":  # noqa: A002
        sec, usec = check_int(sec, "sec"), check_int(usec, "usec")
        caplen, length = check_int(caplen, "caplen"), check_int(len, "len")
        if not 0 <= usec < 1_000_000:
            raise ValueError("usec must be in [0, 1000000)")
        if not (0 <= caplen < 2**32 and 0 <= length < 2**32):
            raise ValueError("caplen and len must be in [0, 2**32)")
        if not -(2**63) <= sec < 2**63:
            raise ValueError("sec out of range")
        return tuple.__new__(cls, (sec, usec, caplen, length))

    def __getnewargs__(self) -> tuple[int, ...]:
        return tuple(self)


class PkthdrNs(_HeaderNs, Pkthdr):
    """A Pkthdr read with nanosecond precision: the tuple is
    ``(sec, nsec, caplen, len)`` and ``getts_ns()`` is exact."""

    __slots__ = ()

    def __new__(cls, sec: int, nsec: int, caplen: int, len: int) -> "PkthdrNs":  # noqa: A002
        hdr = Pkthdr(sec, 0, caplen, len)
        nsec = check_int(nsec, "nsec")
        if not 0 <= nsec < 1_000_000_000:
            raise ValueError("nsec must be in [0, 1000000000)")
        return tuple.__new__(cls, (hdr[0], nsec, hdr[2], hdr[3]))


# The classes of every header: _Header (built from Python), and from the
# first read on, the C part's classes of headers read from a capture.
HEADER_CLASSES: tuple[type, ...] = (_Header,)


def register_read_classes(header: type, header_ns: type) -> None:
    """Make the C part's header classes (python/csrc/_hotpath.c: tuple subclasses
    with Pkthdr's methods in C) virtual subclasses of Pkthdr and PkthdrNs."""
    global HEADER_CLASSES
    Pkthdr.register(header)
    PkthdrNs.register(header_ns)
    HEADER_CLASSES = (_Header, header, header_ns)
