"""Reader methods beyond pcapy: link types, time stamp sources and precision."""

from __future__ import annotations

from ._args import check_int, check_str, clamp_c_int
from ._core import call, go

# Time stamp precisions by name: gopcapy.Micro (0) and Nano (1).
PRECISIONS = {"us": 0, "micro": 0, "ns": 1, "nano": 1}


class LinkTypeAndTimestampMethods:
    """The link-type and time-stamp methods of a Reader (libpcap calls
    pcapy never had)."""

    _h: int

    @property
    def _nano(self) -> bool:  # Reader's: Go's state
        raise NotImplementedError

    def _check_open(self) -> None:  # provided by Reader
        raise NotImplementedError

    def list_datalinks(self) -> list[int]:
        """Return the link types (``DLT_*``) the capture can deliver; a file
        has just its own. See ``datalink_name()`` for their names."""
        self._check_open()
        return [int(v) for v in call(go.pybridge_ListDatalinks, self._h).split()]

    def set_datalink(self, linktype: int) -> None:
        """Switch a live capture to another link type of ``list_datalinks()``.

        Raises:
            PcapError: the capture does not support that link type.
        """
        linktype = check_int(linktype, "linktype")
        self._check_open()
        call(go.pybridge_SetDatalink, self._h, clamp_c_int(linktype))

    def tstamp_types(self) -> list[str]:
        """Return the time stamp sources a ``create()``d handle offers (e.g.
        ``'host'``, ``'adapter'``); empty when the device offers no choice."""
        self._check_open()
        names = call(go.pybridge_TstampTypes, self._h)
        return names.split("\n") if names else []

    def set_tstamp_type(self, name: str) -> int:
        """Choose the time stamp source of a ``create()``d handle before
        ``activate()``; returns libpcap's status (0, 3 when the device does
        not support it, -4 once activated).

        Raises:
            ValueError: libpcap knows no source of that name.
        """
        check_str(name, "name")
        self._check_open()
        return int(call(go.pybridge_SetTstampType, self._h, name))

    def set_tstamp_precision(self, precision: str) -> int:
        """Ask a ``create()``d handle for ``'ns'`` or ``'us'`` time stamps
        before ``activate()``; returns libpcap's status (0, or -12 when not
        supported, -4 once activated). With ``'ns'`` the headers' ``getts_ns()``
        is exact and ``getts()`` still gives microseconds.

        Raises:
            ValueError: precision is not 'us' or 'ns'.
        """
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be 'us' or 'ns', not {precision!r}")
        self._check_open()
        return int(go.pybridge_Setting(self._h, "precision", PRECISIONS[precision]))

    def get_tstamp_precision(self) -> str:
        """Return the precision of the headers this reader gives: 'us' or 'ns'."""
        self._check_open()
        return "ns" if self._nano else "us"
