"""Access to the Go extension: calls with error translation, bytes transfer."""

from __future__ import annotations

from typing import Any, Callable

from ._errors import translate

try:
    from ._gopcapy import _gopcapy as go
except ImportError as exc:  # pragma: no cover - only without a build
    raise ImportError(
        "pcapy's Go extension is not built: run `make build` (or `python build.py`) "
        "in the source tree, or install the gopcapy wheel"
    ) from exc


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a bridge function, raising pcapy's exception types on error."""
    try:
        return fn(*args)
    except RuntimeError as err:
        raise translate(err) from None


def take_bytes(handle: int) -> bytes:
    """Copy a Go []byte (returned as a gopy handle) into bytes and free it."""
    go.IncRef(handle)  # gopy hands out handles at refcount 0
    try:
        return go.Slice_byte_to_bytes(handle)
    finally:
        go.DecRef(handle)


def go_bytes(data: bytes) -> int:
    """A gopy handle of a Go []byte copy of data; release with release()."""
    handle = go.Slice_byte_from_bytes(data)
    go.IncRef(handle)
    return handle


def release(handle: int) -> None:
    """Free a handle made by go_bytes()."""
    go.DecRef(handle)
