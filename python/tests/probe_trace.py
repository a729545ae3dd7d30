"""The trace of a differential probe (diff_probe.py, live_probe.py): Probe runs
each step and records its normalized result, Collector records callbacks.
Normalization is described in diff_probe.py's docstring.

Stdlib and pcapy only: it must run unchanged on both implementations.
"""

import hashlib
import os
import re

import pcapy

LONG_BYTES = 32  # bytes longer than this are recorded as length + digest
MAX_READS = 100_000  # bound every "until EOF" loop, so a non-terminating reader fails fast

ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # object reprs differ from run to run


class Probe:
    """Collects the trace; every call goes through ``step`` so that one failure
    never stops the run."""

    def __init__(self, tmpdir):
        self.tmpdir = os.path.abspath(tmpdir)
        self.trace = []

    # ------------------------------------------------------------ normalizing

    def norm(self, value):
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            return self.norm_str(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            kind, data = type(value).__name__, bytes(value)  # bytes vs bytearray matters
            if len(data) <= LONG_BYTES:
                return [kind, data.hex()]
            return [kind + "#", len(data), hashlib.sha256(data).hexdigest()[:16]]
        if isinstance(value, BaseException):
            return self.norm_exc(value)
        if isinstance(value, dict):
            return {str(k): self.norm(v) for k, v in value.items()}
        if is_pkthdr(value):  # before tuple: our Pkthdr is also a tuple
            sec, usec = value.getts()
            return ["hdr", sec, usec, value.getcaplen(), value.getlen()]
        if isinstance(value, tuple):
            return [self.norm(v) for v in value]
        if isinstance(value, list):  # tagged: r.next() == (None, b'') must stay true
            return {"list": [self.norm(v) for v in value]}
        return ["obj", type(value).__name__]

    def norm_str(self, text):
        return ADDRESS.sub(" at 0x?", text.replace(self.tmpdir, "<tmp>"))

    def norm_exc(self, exc):
        kind = exc_name(exc)
        message = self.norm_str(str(exc))
        if kind == "SystemError" and exc.__cause__ is not None:
            # CPython's "returned a result with an exception set": say which one
            return ["raise", kind, message, self.norm_exc(exc.__cause__)]
        return ["raise", kind, message]

    # ---------------------------------------------------------------- running

    def record(self, name, result):
        self.trace.append([name, result])

    def step(self, name, fn, *args, **kwargs):
        """Record ``fn(*args, **kwargs)``; return ``(ok, raw value)``."""
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # KeyboardInterrupt from callbacks is data here
            self.record(name, self.norm_exc(exc))
            return False, exc
        try:
            self.record(name, self.norm(value))
        except BaseException as exc:  # a broken Pkthdr is a result too, not a crash
            self.record(name, ["unnormalizable", exc_name(exc), str(exc)])
        return True, value

    def with_callback(self, name, method, cnt, callback):
        """Record loop/dispatch: what it returned or raised, and every callback call."""
        try:
            ret = self.norm(method(cnt, callback))
        except BaseException as exc:
            ret = self.norm_exc(exc)
        self.record(name, {"return": ret, "calls": callback.calls})

    def tmp(self, *parts):
        return os.path.join(self.tmpdir, *parts)


def exc_name(exc):
    if type(exc) is pcapy.PcapError:
        return "PcapError"
    if type(exc) is pcapy.BPFError:
        return "BPFError"
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def is_pkthdr(value):
    return all(hasattr(value, m) for m in ("getts", "getcaplen", "getlen"))


class Collector:
    """A loop/dispatch callback that records each call; raises ``exc`` on call
    number ``raise_at`` (1-based) after recording it. Never fails otherwise."""

    def __init__(self, probe, raise_at=None, exc=None, returns=None):
        self.probe, self.raise_at, self.exc, self.returns = probe, raise_at, exc, returns
        self.calls = []

    def __call__(self, *args):
        try:
            self.calls.append(self.probe.norm(args))
        except BaseException as exc:
            self.calls.append(["unnormalizable", exc_name(exc), str(exc)])
        if self.raise_at is not None and len(self.calls) == self.raise_at:
            raise self.exc
        return self.returns

