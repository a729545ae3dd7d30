"""Argument checks with pcapy's rules: str means str, int means an integer."""

from __future__ import annotations

import os
from _operator import index  # operator.index, without operator.py: `import pcapy` stays light

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


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
        return index(value)
    except TypeError:
        raise TypeError(f"{what} must be int, not {type(value).__name__}") from None


def clamp_c_int(value: int) -> int:
    """Clamp an int to C int range, as libpcap takes int arguments."""
    return max(-(2**31), min(2**31 - 1, value))


# --------------------------------------------------------------------------
# CPython's PyArg_ParseTupleAndKeywords, as pcapy-ng's C methods parse their
# arguments: the same order of checks and the same TypeError/OverflowError
# wording (CPython 3.11), so a program's error messages do not change.

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_IMMUTABLETYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: C types, not classes


def tp_name(cls: type) -> str:
    """A type's C ``tp_name``: 'array.array' for C types, '__name__' for classes."""
    if cls.__flags__ & _IMMUTABLETYPE and cls.__module__ != "builtins":
        return f"{cls.__module__}.{cls.__name__}"
    return cls.__name__


def c_long(value: Any) -> int:
    """PyLong_AsLong: an integer (``__index__``) that fits a C long."""
    try:
        value = index(value)
    except TypeError:
        raise TypeError(f"'{tp_name(type(value))}' object cannot be interpreted as an integer") from None
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise OverflowError("Python int too large to convert to C long")
    return int(value)


def c_int(value: Any) -> int:
    """The ``i`` format: a C long in C int range."""
    value = c_long(value)
    if value > INT_MAX:
        raise OverflowError("signed integer is greater than maximum")
    if value < INT_MIN:
        raise OverflowError("signed integer is less than minimum")
    return int(value)


def _readonly_bytes(value: Any, fname: str, pos: int) -> bytes:
    """The ``y#`` format: bytes (or a read-only exporter that needs no release)."""
    if isinstance(value, bytes):
        return value
    try:
        memoryview(value).release()
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{tp_name(type(value))}'") from None
    raise TypeError(f"{fname}() argument {pos} must be read-only bytes-like object, "
                    f"not {tp_name(type(value))}")


def _writable_buffer(value: Any, fname: str, pos: int) -> memoryview:
    """The ``w*`` format: a writable C-contiguous buffer, as a byte view."""
    try:
        view = memoryview(value)
    except TypeError:
        view = None
    if view is None or view.readonly or not view.c_contiguous:
        name = "None" if value is None else tp_name(type(value))
        raise TypeError(f"{fname}() argument {pos} must be read-write bytes-like object, not {name}")
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


_CONVERTERS = {
    "i": lambda v, fname, pos: c_int(v),
    "O": lambda v, fname, pos: v,
    "y#": _readonly_bytes,
    "w*": _writable_buffer,
}


def parse_c_args(fname: str, spec: tuple[tuple[str, str], ...], required: int,
                 args: tuple[Any, ...], kwargs: dict[str, Any], defaults: tuple[Any, ...]) -> list[Any]:
    """Parse args/kwargs as PyArg_ParseTupleAndKeywords does for a C method
    ``fname`` whose keywords and formats are ``spec`` ((name, format) pairs),
    the first ``required`` of them required; absent optional ones get
    ``defaults`` (one per optional parameter)."""
    names = [name for name, _ in spec]
    nargs, nkw = len(args), len(kwargs)
    if nargs + nkw > len(spec):
        raise TypeError(f"{fname}() takes at most {len(spec)} argument"
                        f"{'' if len(spec) == 1 else 's'} ({nargs + nkw} given)")
    values = list(args[:len(spec)])
    left = nkw
    for i, (name, fmt) in enumerate(spec):
        if i < nargs:
            value = args[i]
        elif left and name in kwargs:
            value = kwargs[name]
            left -= 1
        elif i < required:
            raise TypeError(f"{fname}() missing required argument '{name}' (pos {i + 1})")
        else:
            if not left:  # CPython stops checking here
                values.extend(defaults[len(values) - required:])
                return values
            values.append(defaults[i - required])
            continue
        converted = _CONVERTERS[fmt](value, fname, i + 1)
        if i < nargs:
            values[i] = converted
        else:
            values.append(converted)
    if left:
        for i in range(nargs):
            if names[i] in kwargs:
                raise TypeError(f"argument for {fname}() given by name ('{names[i]}') "
                                f"and position ({i + 1})")
        for key in kwargs:
            if not isinstance(key, str):
                raise TypeError("keywords must be strings")
            if key not in names:
                raise TypeError(f"'{key}' is an invalid keyword argument for {fname}()")
    return values


def no_args(qualname: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A C method taking no arguments (METH_NOARGS)."""
    if args:
        raise TypeError(f"{qualname}() takes no arguments ({len(args)} given)")
    if kwargs:
        raise TypeError(f"{qualname}() takes no keyword arguments")


def _convert_positional(fmt: str, value: Any, fname: Optional[str], pos: int) -> None:
    """Check one argument of PyArg_ParseTuple's format ``fmt``."""
    if fmt == "s":
        if not isinstance(value, str):
            name = "None" if value is None else tp_name(type(value))
            prefix = f"{fname}() " if fname else ""
            raise TypeError(f"{prefix}argument {pos} must be str, not {name}")
    elif fmt in ("i", "I"):
        (c_int if fmt == "i" else c_long)(value)
    elif fmt == "y#":
        _readonly_bytes(value, fname or "", pos) if fname else _readonly_bytes_unnamed(value, pos)


def _readonly_bytes_unnamed(value: Any, pos: int) -> None:
    try:
        _readonly_bytes(value, "", pos)
    except TypeError as err:
        raise TypeError(str(err).replace("() argument", "argument", 1)) from None


def parse_c_tuple(fname: Optional[str], formats: str, args: tuple[Any, ...]) -> None:
    """Check args as PyArg_ParseTuple(args, formats[:fname]) would: raise its
    TypeError (or OverflowError) for what it refuses. Formats: s i I O y#,
    '|' before the optional ones."""
    required, _, optional = formats.partition("|")
    codes = _codes(required), _codes(optional)
    low, high = len(codes[0]), len(codes[0]) + len(codes[1])
    n = len(args)
    if not low <= n <= high:
        bound = low if n < low else high
        how = "exactly" if low == high else "at least" if n < low else "at most"
        raise TypeError(f"{fname + '()' if fname else 'function'} takes {how} {bound} "
                        f"argument{'' if bound == 1 else 's'} ({n} given)")
    for pos, (fmt, value) in enumerate(zip(codes[0] + codes[1], args), 1):
        _convert_positional(fmt, value, fname, pos)


def _codes(formats: str) -> list[str]:
    return [c + "#" if formats[i + 1:i + 2] == "#" else c for i, c in enumerate(formats) if c != "#"]
