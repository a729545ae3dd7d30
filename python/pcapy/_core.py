"""Access to the Go extension: loaded on first use, calls with error translation.

The extension is a Go c-shared library: loading it starts the Go runtime and
its threads, and the Go runtime does not survive ``fork()`` (the child has
only the forking thread; anything that waits for another Go thread hangs).
So ``import pcapy`` does not load it: ``go`` is a stand-in that loads it on
first attribute access. A process forked after ``import pcapy`` but before
any use starts its own Go runtime and works; a process forked after the
parent used pcapy gets a clear RuntimeError from every call, raised before
anything reaches the dead runtime.
"""

from __future__ import annotations

import _imp
import _thread  # not threading, typing, pathlib, importlib: `import pcapy` stays light
import os
import sys

from ._errors import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, ParamSpec, TypeVar

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

_EXTENSION = "pcapy._gopcapy._gopcapy"
_EXTENSION_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_gopcapy")

FORKED_MESSAGE = (
    "pcapy cannot be used in this process: it was forked (os.fork(), or multiprocessing's "
    "'fork' start method, the default on Linux before Python 3.14) after its parent had "
    "already used pcapy, and the Go runtime pcapy runs on does not survive fork(). "
    "Start workers with 'spawn' or 'forkserver' instead: "
    "multiprocessing.get_context('spawn').Pool(...), "
    "ProcessPoolExecutor(mp_context=multiprocessing.get_context('spawn')), or "
    "multiprocessing.set_start_method('spawn') once at program start; "
    "or fork before the parent's first pcapy call (importing pcapy is fine)"
)


def _built_extensions() -> list[str]:
    """Names of the extension files present, whatever Python they are for."""
    try:
        return sorted(n for n in os.listdir(_EXTENSION_DIR) if n.startswith("_gopcapy") and n.endswith(".so"))
    except OSError:
        return []


def _not_built_message() -> str | None:
    """Why the extension cannot be loaded here, found without loading it."""
    suffixes = _imp.extension_suffixes()  # importlib.machinery.EXTENSION_SUFFIXES
    if any(os.path.isfile(os.path.join(_EXTENSION_DIR, "_gopcapy" + s)) for s in suffixes):
        return None
    found = _built_extensions()
    if found:
        return (
            f"pcapy's Go extension here ({', '.join(found)}) was built for another Python, "
            f"not for this {sys.implementation.name} {sys.version.split()[0]} "
            f"(it needs _gopcapy{suffixes[0]}): install the gopcapy wheel made "
            "for this Python, or rebuild with `python build.py` using this interpreter"
        )
    return (
        f"pcapy's Go extension is not built (no _gopcapy*.so in {_EXTENSION_DIR}): "
        "run `make build` (or `python build.py`) in the source tree, or install the gopcapy wheel"
    )


# Fail fast: a missing build is reported by `import pcapy` itself.
_missing = _not_built_message()
if _missing is not None:
    raise ImportError(_missing, name=_EXTENSION)


def _load_error(exc: ImportError) -> ImportError:
    """The loader's own message plus what to do about it."""
    text = str(exc)
    if "libpcap" in text:
        hint = ("libpcap is missing or too old: install it (Debian/Ubuntu: apt install libpcap0.8; "
                "Fedora/RHEL: dnf install libpcap; Alpine: apk add libpcap)")
    elif "undefined symbol" in text or "wrong ELF class" in text or "invalid ELF header" in text:
        hint = ("the extension does not match this Python or machine: install the gopcapy wheel "
                "made for it, or rebuild with `python build.py`")
    else:
        hint = "rebuild with `python build.py` or reinstall the gopcapy wheel"
    return ImportError(f"pcapy's Go extension could not be loaded: {text} ({hint})", name=_EXTENSION)


# Address space the Go runtime needs free when it starts (measured on
# linux/amd64, Go 1.26: with 512 MiB it aborts reserving its page summaries,
# with 800 MiB creating its threads; 900 MiB worked). Under a lower RLIMIT_AS
# (`ulimit -v`) loading would kill the process, so it raises MemoryError.
_GO_ADDRESS_SPACE = 1 << 30


def _address_space_error() -> str | None:
    """Why RLIMIT_AS leaves the Go runtime too little room to start, if it does."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/status") as f:
            used = next(int(line.split()[1]) << 10 for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        return None
    if soft - used >= _GO_ADDRESS_SPACE:
        return None
    return (
        f"pcapy's Go runtime needs about {_GO_ADDRESS_SPACE >> 20} MiB of free address space to start; "
        f"the address-space limit (RLIMIT_AS, `ulimit -v`) leaves {max(soft - used, 0) >> 20} MiB: "
        "raise or remove it (a cgroup memory limit constrains memory without this problem)"
    )


class _Extension:
    """The Go extension module's functions, as this object's attributes.

    It starts as an _Unloaded, whose ``__getattr__`` loads the extension on
    first access and copies the module's functions here; then it becomes a
    plain _Extension, so every later ``go.Name`` is an ordinary attribute read
    (a ``__getattr__`` hook on the class would cost ~100 ns per read).
    """

    def __init__(self) -> None:
        self.__dict__["_lock"] = _thread.allocate_lock()
        self.__dict__["_state"] = "unloaded"  # then "loaded", or "forked" in a fork child

    def usable(self) -> bool:
        """True when Go calls can be made here without loading anything new."""
        return bool(self.__dict__["_state"] == "loaded")

    def _forked(self) -> None:
        """In a fork child: forget the parent's runtime if it was started."""
        # The import system holds its lock across fork(), so the extension is
        # either in sys.modules (Go started in the parent) or was never loaded.
        if _EXTENSION in sys.modules:
            for k in [k for k in self.__dict__ if k not in ("_lock", "_state")]:
                del self.__dict__[k]
            self.__dict__["_state"] = "forked"
            self.__class__ = _Unloaded
        self.__dict__["_lock"] = _thread.allocate_lock()


class _Unloaded(_Extension):
    """The extension before its first use, or in a fork child after the
    parent's use: every attribute read loads it, or raises."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle, inspect probe dunders: no load for them
            raise AttributeError(name)
        if self.__dict__["_state"] == "unloaded":
            self._load()
        if self.__dict__["_state"] == "forked":
            raise RuntimeError(FORKED_MESSAGE)
        return getattr(sys.modules[_EXTENSION], name)

    def _load(self) -> None:
        """Load the extension and start its runtime's poller (see Init in
        gopcapy/pybridge/runtime.go); on failure nothing is kept, so a later
        call tries again (e.g. once descriptors were freed)."""
        with self.__dict__["_lock"]:
            if self.__dict__["_state"] != "unloaded":
                return
            if _EXTENSION not in sys.modules:
                too_little = _address_space_error()
                if too_little:
                    raise MemoryError(too_little)
            import errno
            import importlib

            try:
                module = importlib.import_module(_EXTENSION)
            except ImportError as exc:
                if "Too many open files" in str(exc):
                    raise OSError(errno.EMFILE, f"{os.strerror(errno.EMFILE)} (loading pcapy's Go extension)") from None
                raise _load_error(exc) from None
            call(module.pybridge_Init)
            # What reading needs later is loaded with Go, not at `import
            # pcapy` (array brings collections): a reader opened now still
            # reads once the descriptors run out (each import opens a file).
            import array  # noqa: F401  (the readers' buffers, pcapy._batch)
            import select  # noqa: F401  (live captures' waits, pcapy._reader)
            self.__dict__.update(
                (k, v) for k, v in vars(module).items() if not k.startswith("__")
            )
            self.__dict__["_state"] = "loaded"
            self.__class__ = _Extension  # type: ignore[assignment]  # shed __getattr__ (see _Extension)


_extension = _Unloaded()
os.register_at_fork(after_in_child=_extension._forked)

if TYPE_CHECKING:
    # For mypy, go is the extension module: python/stubs/pcapy/_gopcapy/_gopcapy.pyi,
    # generated from gopcapy/pybridge by `go run ./tools/bridgestub`.
    from ._gopcapy import _gopcapy

    go = _gopcapy
else:
    go = _extension


def usable() -> bool:
    """True when Go calls can be made here without loading anything new
    (False before the first use and in a fork child of a user)."""
    return _extension.usable()


def call(fn: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """Call a bridge function, raising pcapy's exception types on error."""
    try:
        return fn(*args, **kwargs)
    except RuntimeError as err:
        raise translate(err) from None


def cleanup(name: str, *args: Any) -> Any:
    """Call a releasing bridge function (close, free) if this process's Go
    runtime holds the object: in a fork child the parent owns it, and
    closing the child's copy of a Python object is then a no-op."""
    if usable():
        return call(getattr(go, name), *args)
    return None


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
