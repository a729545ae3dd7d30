"""Reader: a capture file or a live capture, with pcapy's methods."""

from __future__ import annotations

import _thread  # not threading (functools, collections): `import pcapy` stays light
import os
import time
from _operator import length_hint  # operator.length_hint

from . import _batch, _core, _filtered
from ._args import check_int, check_path, check_str
from ._core import call, go
from ._errors import PcapError

from ._pkthdr import Pkthdr
from ._reader_device import DeviceMethods
from ._reader_linktypes import LinkTypeAndTimestampMethods
from ._reader_ngbatch import NextBatchMethods

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, Optional

    from ._dumper import Dumper

    Callback = Callable[[Pkthdr, bytes], Any]

# Packets per Go call. Big enough that the per-call cost (~1 µs) vanishes,
# small enough that a batch stays in cache.
BATCH = 2048
# Longest single wait in Go: signals (Ctrl-C), to_ms and close() from another
# thread are noticed between waits.
WAIT_SLICE_MS = 100

_EOF: tuple[None, bytes] = (None, b"")

# pybridge.State's bits (gopcapy/pybridge/reader.go: stateLive, ...).
_LIVE, _ACTIVE, _NONBLOCK, _NANO = 1, 2, 4, 8
_TIMEOUT_SHIFT = 8

class Reader(DeviceMethods, LinkTypeAndTimestampMethods, NextBatchMethods):
    """A packet capture: a file opened by ``open_offline`` or a device opened by
    ``open_live``/``create``. Not constructed directly.

    Threads: every method may be called from any thread, and from a
    loop()/dispatch() callback. Reads from Go are serialised by a lock taken
    once per batch (not per packet); a packet is handed out once, to one
    caller, with its own header. Packets are taken from one stream in file
    order: a next() in a callback takes the packet after the callback's, which
    the loop then skips, as with libpcap's pcap_loop.
    """

    def __init__(self, handle: int) -> None:
        self._h = handle
        # A file or a device: fixed for the reader's life. The state that
        # can change (activated, non-blocking, timeout, precision) is Go's:
        # see _state.
        self._live = bool(self._state() & _LIVE)
        _batch.hotpath()  # the C part: Reader.next and the headers
        # getfd() was called: the program may select() on the fd, so live reads
        # take from libpcap no more packets than the call hands out (packets
        # held here would not make the fd readable).
        self._select = False
        self._fd = -1
        # The packets read from Go and not yet handed out, in order.
        self._it: Iterator[tuple[Any, ...]] = iter(())
        self._closed = False
        # Held while reading from Go into self._buf and replacing self._it:
        # the buffer is never written while a thread may still make headers
        # from it. Reentrant: a signal handler may read too.
        self._lock = _thread.RLock()
        # Threads in loop()/dispatch(): close() from another thread returns
        # only once they left their callback, so no packet is handed out
        # after close() returned.
        self._running: list[int] = []

    # -- reading -----------------------------------------------------------

    # Replaced by the same method in C (_hotpath.c: reader_next) when the C
    # part loads, which is before any Reader exists (see _use_c_next).
    def next(self) -> tuple[Optional[Pkthdr], bytes]:
        """Return the next packet as ``(Pkthdr, bytes)``.

        Returns ``(None, b'')`` at the end of a file (and on every later
        call), when a live capture's ``to_ms`` expires with no packet, in
        non-blocking mode with nothing ready, and on a handle that is not
        activated.

        Raises:
            PcapError: libpcap failed to read (e.g. a truncated file); the
                packets before the damage were returned first.
            ValueError: the reader is closed.
        """
        return next(self._it, None) or self._next_slow()

    def _next_slow(self) -> tuple[Optional[Pkthdr], bytes]:
        wait = self._wait_budget_ms()
        while self._refill(wait):
            got = next(self._it, None)
            if got is not None:  # else another thread took them all first
                return got
        return _EOF

    # The buffers Go reads a file's packets into, made on the first read.
    _buf: Optional[_batch.Buffer] = None
    _ngbuf: Optional[_batch.Buffer] = None  # next_batch's, sized for its max_n
    # A file's batches are lazy iterators (see _batch.read_pairs) without a
    # length: _left, the batch's record iterator, has it.
    _left: Iterator[tuple[Any, ...]] = iter(())
    # A read error met by next_batch after packets it returned: the next read raises it.
    _error: Optional[Exception] = None
    # breakloop() was called: the running (or next) loop/dispatch returns.
    _break = False

    def _refill(self, wait_ms: Optional[float]) -> bool:
        """Make self._it hold packets: True when it does (read now, or by
        another thread meanwhile), False at EOF or on timeout."""
        with self._lock:
            self._check_open()
            if self._pending():
                return True
            if self._live:
                return self._fill(wait_ms)
            if self._error is not None:
                err, self._error = self._error, None
                raise err
            # Every read after the first gets a bigger buffer, up to the
            # full size: a reader that reads a packet or two stays small.
            buf = self._buf = _batch.first_buffer() if self._buf is None else self._buf.grown()
            got = _batch.read_pairs(self._h, buf, buf.max_n, self._header)
            self._check_open()  # closed by another thread during the read
            if got is None:
                return False
            self._install(got)
            return True

    def _install(self, got: Iterator[tuple[Any, ...]]) -> None:
        """Make a batch (read_pairs' iterator) the packets held. Its pairs
        are made in C when handed out; each packet goes to one caller, even
        when threads take from it at once (the C iterator takes its packet
        before it allocates anything, see _hotpath.c)."""
        self._it = self._left = got

    def _more(self, wait_ms: Optional[float], max_n: Optional[int] = None) -> bool:
        """_refill (or _fill with max_n) for loop() and dispatch(): False
        also when the reader was closed, by their callback or by another
        thread; they return then."""
        try:
            return self._refill(wait_ms) if max_n is None else self._fill(wait_ms, max_n)
        except ValueError:
            if self._closed:
                return False
            raise

    def _pending(self) -> int:
        """How many packets read from Go are not handed out yet."""
        return length_hint(self._it) or length_hint(self._left)

    def _wait_budget_ms(self) -> Optional[float]:
        """How long next()/dispatch() wait for a packet: None is forever."""
        if not self._live:
            return 0
        state = self._state()
        if state & _NONBLOCK or not state & _ACTIVE:
            return 0
        to_ms = state >> _TIMEOUT_SHIFT
        return to_ms if to_ms > 0 else None

    # -- state: Go owns it (pybridge.State); asked for where it is needed ----

    def _state(self) -> int:
        """pybridge.State: the _LIVE, _ACTIVE, _NONBLOCK and _NANO bits, and
        the read timeout in ms shifted left by _TIMEOUT_SHIFT."""
        return int(call(go.pybridge_State, self._h))

    @property
    def _active(self) -> bool:
        """Opened, or activated (False for a create()d handle until activate())."""
        return bool(self._state() & _ACTIVE)

    @property
    def _nonblock(self) -> bool:
        """Non-blocking mode (setnonblock(), or a negative timeout)."""
        return bool(self._state() & _NONBLOCK)

    @property
    def _to_ms(self) -> int:
        """The read timeout in ms (0: forever; negative: non-blocking)."""
        return self._state() >> _TIMEOUT_SHIFT

    @property
    def _nano(self) -> bool:
        """Headers in nanoseconds (open_offline(precision='ns'), set_tstamp_precision('ns'))."""
        return bool(self._state() & _NANO)

    # A file's header class, asked from Go once: a file's precision is fixed
    # when it is opened (set_tstamp_precision is for handles not activated).
    _file_header: Optional[type[tuple[Any, ...]]] = None

    @property
    def _header(self) -> type[tuple[Any, ...]]:
        """The class of the headers this reader makes (the C part's)."""
        hdr = self._file_header
        if hdr is None:
            hdr = _batch.make_header_ns if self._nano else _batch.make_header
            if not self._live:
                self._file_header = hdr
        return hdr

    def _fill(self, wait_ms: Optional[float], max_n: Optional[int] = None) -> bool:
        """Read a live capture's next batch into self._it; True when packets
        are held (read now, or by another thread meanwhile), False on timeout.

        Waits at most wait_ms (None: forever) in slices, so a KeyboardInterrupt
        or a close() from another thread ends the wait promptly. max_n: at most
        that many packets (default: a batch, or 1 after getfd()).
        """
        with self._lock:
            self._check_open()
            if self._pending():
                return True
            if max_n is None:
                max_n = 1 if self._select else BATCH
            buf = self._buf
            if buf is None:
                buf = self._buf = _batch.Buffer()
            n = self._read_live(wait_ms, min(max_n, _batch.MAX_BATCH), buf)
            if n in (0, -1):
                return False
            got = _batch.buffer_pairs(self._h, buf, n, self._header)
            if self._closed:  # by another thread, during the read
                raise ValueError("pcap is closed")
            self._install(got)
            return True

    def _read_live(self, wait_ms: Optional[float], max_n: int, buf: _batch.Buffer) -> int:
        """Read up to max_n packets from a device into buf, waiting up to
        wait_ms (None: forever) in slices; ReadInto's result: the count, -1 on
        timeout, 0 when nothing can come."""
        deadline = None if wait_ms is None else time.monotonic() + wait_ms / 1000
        while True:
            left = WAIT_SLICE_MS if deadline is None else (deadline - time.monotonic()) * 1000
            slice_ms = int(max(0, min(left, WAIT_SLICE_MS)))
            n = int(call(go.pybridge_ReadInto, self._h, max_n, slice_ms, buf.addr, buf.size))
            if n == 0 and wait_ms is None:
                # Waiting forever (loop, iteration) for packets that cannot come.
                if not self._active:
                    raise PcapError("This handle hasn't been activated yet")
                raise PcapError("the capture ended after a read error")
            if n != -1 or (deadline is not None and time.monotonic() >= deadline):
                return n
            self._check_open()
            if self._break:
                return -1
            if self._nonblock and slice_ms:
                # Go returns at once in non-blocking mode; loop() still waits
                # (pcap_loop would spin), so wait on the descriptor here.
                if self._fd < 0:
                    self._fd = call(go.pybridge_Fd, self._h)
                import select

                select.select([self._fd], [], [], slice_ms / 1000)
                self._check_open()

    def loop(self, cnt: int, callback: Callback) -> None:
        """Call ``callback(Pkthdr, bytes)`` for ``cnt`` packets.

        ``cnt <= 0`` reads until the end of a file, or forever on a live
        capture (Ctrl-C, ``breakloop()`` and ``close()`` still end it). The
        callback's return value is ignored; any exception it raises
        (KeyboardInterrupt and StopIteration too) propagates unchanged; the
        next call resumes at the following packet. ``close()`` (from the
        callback or another thread) ends the loop: it returns normally.
        """
        cnt = check_int(cnt, "cnt")
        self._check_open()
        if self._take_break():
            return None
        me = _thread.get_ident()
        self._running.append(me)
        try:
            done = 0
            while cnt <= 0 or done < cnt:
                done += self._run(callback, cnt - done if cnt > 0 else 0)
                if self._take_break() or self._closed or 0 < cnt <= done:
                    return None
                if not self._pending() and not self._more(None) and not self._live:
                    return None
            return None
        finally:
            self._running.remove(me)

    def dispatch(self, cnt: int, callback: Callback) -> int:
        """Call ``callback(Pkthdr, bytes)`` for up to ``cnt`` packets and
        return how many were handled.

        On a file, ``cnt <= 0`` handles the rest of the file. On a live
        capture it handles the packets of one read, waiting up to ``to_ms``
        for them (0 if none came). Callback exceptions and ``close()`` are
        as in loop().
        """
        cnt = check_int(cnt, "cnt")
        self._check_open()
        if self._take_break():
            return 0
        me = _thread.get_ident()
        self._running.append(me)
        try:
            if self._live:
                if not self._active:
                    raise PcapError("This handle hasn't been activated yet")
                # No more packets than asked for leave libpcap (pcapy leaves the rest there).
                want = min(cnt, BATCH) if cnt > 0 else BATCH
                if not self._pending() and not self._more(self._wait_budget_ms(), want):
                    self._take_break()
                    return 0
                done = self._run(callback, cnt)
                self._take_break()
                return done
            done = 0
            while cnt <= 0 or done < cnt:
                if not self._pending() and not self._more(0):
                    break
                done += self._run(callback, cnt - done if cnt > 0 else 0)
                if self._take_break() or self._closed:
                    break
            return done
        finally:
            self._running.remove(me)

    def _run(self, callback: Callback, cnt: int) -> int:
        """Call callback for up to cnt (<= 0: all) of the packets held, in
        C (_hotpath.run); return how many calls returned.

        The packets come from self._it itself, so a next() (or anything that
        reads) in the callback takes the following packet, and breakloop(),
        setfilter() and close() end this run after the current packet by
        emptying self._it. The callback's exceptions propagate unchanged.
        """
        return _batch.hotpath().run(self._it, callback, cnt)  # type: ignore[no-any-return]

    def breakloop(self) -> None:
        """Make a ``loop()`` or ``dispatch()`` in progress return after the
        packet its callback is handling (a wait for packets ends within
        100 ms); called when none runs, the next one returns at once, as with
        libpcap's pcap_breakloop. Callable from the callback or from another
        thread; the packets not handled stay for the next read (beyond pcapy).
        """
        self._check_open()
        self._break = True
        self._detach()

    def _detach(self) -> None:
        """End a loop running over the current iterator (in a callback's
        caller or another thread) after its current packet, without a check
        per packet: the packets held move to a new iterator. loop_filtered
        puts its own in front of this for the duration of its callbacks."""
        with self._lock:
            self._it = self._left = iter(self._take_held())

    def _take_held(self) -> list[tuple[Any, ...]]:
        """Take the packets held out of self._it (which is left empty)."""
        held = list(self._it)
        self._it = self._left = iter(())
        return held

    def _take_break(self) -> bool:
        """True (once) when breakloop() was called."""
        if self._break:
            self._break = False
            return True
        return False

    def __iter__(self) -> Iterator[tuple[Pkthdr, bytes]]:
        """Iterate over ``(Pkthdr, bytes)`` until the end of a file (forever
        on a live capture, skipping timeouts)."""
        while True:
            yield from self._it
            if not self._refill(None) and not self._live:
                return

    # pcapy-ng's classifying loops, in their own module
    filtered_stats = _filtered.filtered_stats
    loop_filtered = _filtered.loop_filtered
    loop_to_buffer = _filtered.loop_to_buffer

    # -- filters and information -------------------------------------------

    def setfilter(self, filter: str) -> None:  # noqa: A002 (pcapy's name)
        """Compile ``filter`` (optimized, with the capture's netmask) and apply
        it to every packet not yet returned.

        Raises:
            PcapError: the expression does not compile (libpcap's message).
        """
        check_str(filter, "filter")
        with self._lock:
            self._check_open()
            # Taken first: no other thread, and no loop running over them
            # (this callback's caller), may hand them out unfiltered.
            held = self._take_held()
            try:
                call(go.pybridge_SetFilter, self._h, filter, len(held))
            except BaseException:
                self._it = self._left = iter(held)  # the old filter stays
                raise
            # Go filtered the packets we held and hands them out again.

    def datalink(self) -> int:
        """Return the link-layer type (a ``DLT_*`` value); -3 before activate()."""
        self._check_open()
        return int(call(go.pybridge_Datalink, self._h))

    def dump_open(self, filename: str | os.PathLike[str]) -> "Dumper":
        """Create a capture file for this reader's link type and return its Dumper.

        Raises:
            PcapError: the file cannot be created (``'<path>: <reason>'``).
        """
        path = check_path(filename, "filename")
        self._check_open()
        from ._dumper import Dumper

        return Dumper(call(go.pybridge_DumpOpen, self._h, path), nano=self._nano)

    # -- lifetime ------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("pcap is closed")

    def close(self) -> None:
        """Close the capture and free its buffers. Idempotent; afterwards
        other methods raise ``ValueError('pcap is closed')``.

        A loop()/dispatch() running in another thread returns normally after
        its current callback; close() waits for that callback to return, so
        no packet is handed out once close() returned. A next() waiting in
        another thread raises ValueError.
        """
        if self._closed:
            return
        self._closed = True
        # Loops over the packets held (here or in another thread) end with them.
        for _ in self._it:
            pass
        _core.cleanup("pybridge_Close", self._h)  # a read in another thread returns; a no-op in a fork child
        with self._lock:
            self._it = self._left = iter(())
            self._buf = self._ngbuf = None
            self._error = None
        me = _thread.get_ident()
        while any(t != me for t in self._running):
            time.sleep(0.001)

    def __enter__(self) -> "Reader":
        self._check_open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._closed:
                self.close()
        except Exception:  # interpreter shutdown: nothing useful to report
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("live" if self._live else "offline")
        return f"<pcapy.Reader {state}>"


def _use_c_next(hot: Any) -> None:
    """Make Reader.next the C part's: the same steps (a packet held, else
    _next_slow()) without a Python frame per packet."""
    doc = "next($self, /)\n--\n\n" + (Reader.next.__doc__ or "")  # the signature, as C methods give it
    setattr(Reader, "next", hot.reader_next_method(Reader, doc))  # noqa: B010


_batch.LOAD_HOOKS.append(_use_c_next)
