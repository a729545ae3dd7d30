"""libpcap itself, through ctypes: the reference the property tests compare
every way of reading a capture with (pcap_open_offline + pcap_next_ex, as a C
program reads it; no pcapy involved)."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Optional


class _Hdr(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("frac", ctypes.c_long),
                ("caplen", ctypes.c_uint32), ("len", ctypes.c_uint32)]


class _Prog(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.c_void_p)]


_lib = ctypes.CDLL(ctypes.util.find_library("pcap") or "libpcap.so")
_lib.pcap_open_offline_with_tstamp_precision.restype = ctypes.c_void_p
_lib.pcap_open_offline_with_tstamp_precision.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_char_p]
_lib.pcap_next_ex.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(_Hdr)),
                              ctypes.POINTER(ctypes.c_void_p)]
_lib.pcap_compile.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Prog), ctypes.c_char_p, ctypes.c_int,
                              ctypes.c_uint32]
_lib.pcap_setfilter.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Prog)]
_lib.pcap_freecode.argtypes = [ctypes.POINTER(_Prog)]
_lib.pcap_close.argtypes = [ctypes.c_void_p]


def read(path: str, nano: bool = False, expr: Optional[str] = None) -> tuple[list, bool]:
    """libpcap's packets of a file: ([((sec, frac, caplen, len), data)], damaged);
    damaged is True when pcap_next_ex failed before the end. Raises OSError
    when libpcap cannot open the file."""
    err = ctypes.create_string_buffer(512)
    p = _lib.pcap_open_offline_with_tstamp_precision(path.encode(), 1 if nano else 0, err)
    if not p:
        raise OSError(err.value.decode())
    try:
        if expr is not None:
            prog = _Prog()
            if _lib.pcap_compile(p, ctypes.byref(prog), expr.encode(), 1, 0) != 0:
                raise ValueError(expr)
            _lib.pcap_setfilter(p, ctypes.byref(prog))
            _lib.pcap_freecode(ctypes.byref(prog))
        out = []
        hdr = ctypes.POINTER(_Hdr)()
        data = ctypes.c_void_p()
        while True:
            rc = _lib.pcap_next_ex(p, ctypes.byref(hdr), ctypes.byref(data))
            if rc != 1:
                return out, rc == -1
            h = hdr.contents
            out.append(((h.sec, h.frac, h.caplen, h.len), ctypes.string_at(data, h.caplen) if h.caplen else b""))
    finally:
        _lib.pcap_close(p)
