"""Argument checks with pcapy's rules: str means str, int means an integer."""

from __future__ import annotations

import operator
import os
from typing import Any


def check_str(value: Any, what: str) -> str:
    """Return value if it is a str, else raise TypeError like pcapy."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{what} must not contain NUL characters")
    return value


def check_path(value: Any, what: str) -> str:
    """A file name: str or os.PathLike giving str (pcapy takes str only)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str or os.PathLike, not {type(value).__name__}")
    return check_str(value, what)


def check_int(value: Any, what: str) -> int:
    """Return value as int (bool and __index__ types allowed, float not)."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be int, not {type(value).__name__}") from None


def clamp_c_int(value: int) -> int:
    """Clamp an int to C int range, as libpcap takes int arguments."""
    return max(-(2**31), min(2**31 - 1, value))
