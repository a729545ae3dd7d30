"""Exceptions of pcapy, and the one place where Go errors become them."""

from __future__ import annotations

import os


class PcapError(Exception):
    """An error reported by libpcap (its message, verbatim) or by pcapy."""


class BPFError(Exception):
    """A BPF program could not be built (``BPFProgram`` constructor)."""


# The Go bridge reports errors as RuntimeError("Kind: message"); the kinds are
# gopcapy/pybridge/errkinds.go's constants (its test checks this table).
_KINDS: dict[str, type[Exception]] = {
    "PcapError": PcapError,
    "BPFError": BPFError,
    "ValueError": ValueError,
    "TypeError": TypeError,
}


def translate(err: RuntimeError) -> Exception:
    """Turn a RuntimeError raised by the Go bridge into pcapy's exception.

    Unknown kinds (including "InternalError", a recovered Go panic) stay
    RuntimeError: they are bugs and must be loud.
    """
    kind, sep, msg = str(err).partition(": ")
    if kind == "OSError" and sep:  # "<errno> <text>", from a failed system call
        code, _, text = msg.partition(" ")
        if code.isdigit():
            return OSError(int(code), os.strerror(int(code)))
    cls = _KINDS.get(kind) if sep else None
    if cls is None:
        return RuntimeError(f"gopcapy internal error: {err}")
    return cls(msg)
