"""BPF programs: compile() and BPFProgram."""

from __future__ import annotations

import struct

from . import _core
from ._args import check_int, check_str, clamp_c_int
from ._core import call, go
from ._constants import DLT_EN10MB

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_INSN = struct.Struct("=HBBI")


class BPFProgram:
    """A compiled BPF filter that can be run on packets in memory.

    ``BPFProgram(filter, linktype=DLT_EN10MB)`` compiles like pcapy: snaplen
    65536, no optimization, netmask 0.

    Raises:
        BPFError: the filter does not compile.
    """

    def __init__(self, filter: str, linktype: int = DLT_EN10MB) -> None:  # noqa: A002
        check_str(filter, "filter")
        linktype = check_int(linktype, "linktype")
        self._adopt(call(go.pybridge_NewBPF, filter, clamp_c_int(linktype)))

    def _adopt(self, handle: int) -> None:
        self._h = handle
        import weakref  # here, not at `import pcapy`

        weakref.finalize(self, _core.cleanup, "pybridge_BPFFree", handle)

    @classmethod
    def _from_handle(cls, handle: int) -> "BPFProgram":
        prog = cls.__new__(cls)
        prog._adopt(handle)
        return prog

    def filter(self, packet: Any) -> int:
        """Run the program on ``packet`` (bytes): 0 if it does not match, else
        the program's return value (the snapshot length)."""
        if isinstance(packet, str) or not isinstance(packet, (bytes, bytearray, memoryview)):
            raise TypeError(f"packet must be bytes, not {type(packet).__name__}")
        handle = _core.go_bytes(bytes(packet))
        try:
            return call(go.pybridge_BPFFilter, self._h, handle)
        finally:
            _core.release(handle)

    def get_bpf(self) -> list[tuple[int, int, int, int]]:
        """Return the instructions as ``(code, jt, jf, k)`` tuples, as
        ``tcpdump -ddd`` lists them."""
        raw = _core.take_bytes(call(go.pybridge_BPFInstructions, self._h))
        return list(_INSN.iter_unpack(raw[: len(raw) // 8 * 8]))


def compile(linktype: int, snaplen: int, filter: str, optimize: int, netmask: int) -> BPFProgram:  # noqa: A001
    """Compile a filter for a link type, like ``pcap_compile`` without a capture.

    Raises:
        PcapError: the filter does not compile (libpcap's message).
    """
    linktype = check_int(linktype, "linktype")
    snaplen = check_int(snaplen, "snaplen")
    check_str(filter, "filter")
    optimize = check_int(optimize, "optimize")
    netmask = check_int(netmask, "netmask")
    handle = call(
        go.pybridge_Compile, clamp_c_int(linktype), clamp_c_int(snaplen), filter,
        bool(optimize), netmask & 0xFFFFFFFF,
    )
    return BPFProgram._from_handle(handle)
