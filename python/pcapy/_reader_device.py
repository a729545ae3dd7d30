"""Reader methods that control the capture device: create() settings and
activate(), non-blocking mode, direction, the selectable descriptor,
statistics, sending, fanout and the device's network and mask."""

from __future__ import annotations

import struct
import sys

from . import _core
from ._args import check_int, clamp_c_int
from ._core import call, go

_STATS = struct.Struct("=III")  # received, dropped, if_dropped


def _dotted(value: int) -> str:
    """A pcap_lookupnet address: its bytes in memory are the dotted quad's."""
    return ".".join(map(str, value.to_bytes(4, sys.byteorder)))


class DeviceMethods:
    """The device-control methods of a Reader (its state is the Reader's)."""

    _h: int
    _live: bool
    _select: bool

    @property
    def _active(self) -> bool:  # Reader's: Go's state
        raise NotImplementedError

    def _check_open(self) -> None:  # provided by Reader
        raise NotImplementedError

    def getnet(self) -> str:
        """Return the capture's network address as a dotted quad ('0.0.0.0' for files)."""
        self._check_open()
        return _dotted(call(go.pybridge_NetMask, self._h, 0))

    def getmask(self) -> str:
        """Return the capture's netmask as a dotted quad ('0.0.0.0' for files)."""
        self._check_open()
        return _dotted(call(go.pybridge_NetMask, self._h, 1))

    def getnonblock(self) -> int:
        """Return 1 in non-blocking mode, else 0 (-3 before activate(), as libpcap)."""
        self._check_open()
        if not self._active:
            return -3  # PCAP_ERROR_NOT_ACTIVATED
        return int(call(go.pybridge_GetNonblock, self._h))

    def setnonblock(self, state: int) -> None:
        """Set non-blocking mode: next()/dispatch() return at once when no
        packet is ready. Capture files raise PcapError."""
        state = check_int(state, "state")
        self._check_open()
        call(go.pybridge_SetNonblock, self._h, bool(state))

    def setdirection(self, direction: int) -> None:
        """Capture only packets in a direction (``PCAP_D_IN``/``OUT``/``INOUT``)."""
        direction = check_int(direction, "direction")
        self._check_open()
        call(go.pybridge_SetDirection, self._h, clamp_c_int(direction))

    def getfd(self) -> int:
        """Return a file descriptor usable with select/poll (-1 before activate()).

        From then on next() and loop() take packets from libpcap one at a time,
        so the descriptor is readable exactly while packets wait to be read.
        """
        self._check_open()
        fd = int(call(go.pybridge_Fd, self._h))
        if self._live:
            self._select = True
        return fd

    def stats(self) -> tuple[int, int, int]:
        """Return ``(received, dropped, interface_dropped)``; files raise PcapError."""
        self._check_open()
        return _STATS.unpack(_core.take_bytes(call(go.pybridge_Stats, self._h)))

    def sendpacket(self, data: object) -> None:
        """Send a raw frame on the device.

        Raises:
            TypeError: data is not bytes-like.
            PcapError: libpcap could not send it.
        """
        if isinstance(data, str) or not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        self._check_open()
        handle = _core.go_bytes(bytes(data))
        try:
            call(go.pybridge_SendPacket, self._h, handle)
        finally:
            _core.release(handle)

    def set_fanout(self, group_id: int, fanout_type: int = 0) -> None:
        """Join the Linux ``PACKET_FANOUT`` group ``group_id`` (pcapy-ng)."""
        group_id = check_int(group_id, "group_id")
        fanout_type = check_int(fanout_type, "fanout_type")
        self._check_open()
        call(go.pybridge_SetFanout, self._h, group_id, fanout_type)

    # -- create() settings: libpcap's status codes, never an exception -----

    def _setting(self, name: str, value: int) -> int:
        value = check_int(value, "value")
        self._check_open()
        return int(go.pybridge_Setting(self._h, name, clamp_c_int(value)))

    def set_snaplen(self, snaplen: int) -> int:
        """Set the snapshot length before activate(); returns libpcap's status."""
        return self._setting("snaplen", snaplen)

    def set_promisc(self, promisc: int) -> int:
        """Set promiscuous mode before activate(); returns libpcap's status."""
        return self._setting("promisc", promisc)

    def set_timeout(self, to_ms: int) -> int:
        """Set the read timeout (ms) before activate(); returns libpcap's status."""
        return self._setting("timeout", to_ms)

    def set_buffer_size(self, buffer_size: int) -> int:
        """Set the kernel buffer size before activate(); returns libpcap's status."""
        return self._setting("buffer_size", buffer_size)

    def set_rfmon(self, rfmon: int) -> int:
        """Set monitor mode before activate(); returns libpcap's status."""
        return self._setting("rfmon", rfmon)

    def activate(self) -> int:
        """Activate a handle made by create(): 0 on success, a positive warning,
        or a negative libpcap error (-4 already activated, -5 no such device)."""
        self._check_open()
        return int(go.pybridge_Activate(self._h))
