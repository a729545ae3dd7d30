"""Reader.next_batch: pcapy-ng's batch API, packets back to back with 16-byte records."""

from __future__ import annotations

import _thread
from itertools import islice

from . import _batch
from ._args import check_int
from ._errors import PcapError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional


class NextBatchMethods:
    """next_batch() of a Reader (its state and buffers are the Reader's)."""

    _h: int
    _live: bool
    _it: Iterator[tuple[Any, ...]]
    _lock: _thread.RLock
    _ngbuf: Optional[_batch.Buffer]
    _error: Optional[Exception]

    @property
    def _header(self) -> type[tuple[Any, ...]]:  # Reader's (a file's: asked from Go once)
        raise NotImplementedError

    def _check_open(self) -> None:  # provided by Reader
        raise NotImplementedError

    def _pending(self) -> int:  # provided by Reader
        raise NotImplementedError

    def _wait_budget_ms(self) -> Optional[float]:  # provided by Reader
        raise NotImplementedError

    def _fill(self, wait_ms: Optional[float], max_n: Optional[int] = None) -> bool:  # provided by Reader
        raise NotImplementedError

    def next_batch(self, max_n: int) -> tuple[bytes, bytes]:
        """Return up to ``max_n`` packets at once as ``(data, meta)`` (pcapy-ng).

        ``data`` holds the packets back to back; ``meta`` holds one 16-byte
        record ``struct '=IIII'`` (sec, usec, offset in data, caplen) per
        packet. Returns ``(b'', b'')`` at the end. ``max_n <= 0`` means 256.
        """
        max_n = check_int(max_n, "max_n")
        if max_n <= 0:
            max_n = 256
        if self._live:
            if not self._pending() and not self._fill(self._wait_budget_ms(), max_n):
                return b"", b""
            return _batch.ng_batch(list(islice(self._it, max_n)))
        with self._lock:
            self._check_open()
            return self._next_batch_file(max_n)

    def _next_batch_file(self, max_n: int) -> tuple[bytes, bytes]:
        # A file: max_n packets unless it ends first. Packets already read
        # (next() and the like read ahead) come first, the rest straight from
        # Go in pcapy-ng's layout, in several reads when they do not fit in one.
        datas, metas, n, size = [], [], 0, 0
        if self._pending():
            pairs = list(islice(self._it, max_n))
            data, meta = _batch.ng_batch(pairs)
            datas, metas, n, size = [data], [meta], len(pairs), len(data)
        elif self._error is not None:
            err, self._error = self._error, None
            raise err
        buf = self._ngbuf = _batch.ng_buffer(self._ngbuf, max_n)
        nano = self._header is _batch.make_header_ns
        while n < max_n:
            try:
                got = _batch.read_ng(self._h, buf, min(max_n - n, buf.max_n), nano, size)
            except PcapError as err:
                if not n:
                    raise
                self._error = err  # the packets before the damage first
                break
            if got is None:
                break
            datas.append(got[0])
            metas.append(got[1])
            size += len(got[0])
            n += got[2]
        if len(datas) == 1:
            return datas[0], metas[0]
        return b"".join(datas), b"".join(metas)
