"""The progress bar of read_columns: a cell output updated in place in a
notebook, a line redrawn on stderr in a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """A progress bar: a cell output updated in place in a notebook, a line
    redrawn on stderr in a terminal (only the final line when stderr is not
    a terminal). total 0: unknown, a counter."""

    def __init__(self, total: int, unit: str) -> None:
        self.total, self.unit = total, unit
        self.start = self.last = time.monotonic()
        self.handle: Any = None
        self.html: Any = None
        self.tty = False
        self.closed = False
        if _in_notebook():
            import IPython.display

            ipd: Any = IPython.display  # untyped
            self.html = ipd.HTML
            self.handle = ipd.display(self.html(self._html(0)), display_id=True)
        else:
            self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()

    def _text(self, n: int) -> str:
        elapsed = time.monotonic() - self.start
        if self.unit == "bytes":
            amount = f"{n / 1e6:,.1f}" + (f"/{self.total / 1e6:,.1f} MB" if self.total else " MB")
        else:
            amount = f"{n:,} packets"
        if self.total:
            frac = min(1.0, n / self.total)
            bar = "#" * int(frac * 30)
            return f"reading [{bar:<30}] {frac:4.0%} {amount} {elapsed:.1f}s"
        return f"reading {amount} {elapsed:.1f}s"

    def _html(self, n: int) -> str:
        value = f'value="{n}" max="{self.total}"' if self.total else ""
        return f'<progress {value} style="width:40%"></progress> <code>{self._text(n)}</code>'

    def update(self, n: int, done: bool = False) -> None:
        now = time.monotonic()
        if not done and now - self.last < 0.1:
            return
        self.last = now
        if done and self.total:
            n = self.total
        if self.handle is not None:
            self.handle.update(self.html(self._html(n)))
        elif self.tty:
            sys.stderr.write("\r" + self._text(n))
            sys.stderr.flush()
        elif done:
            sys.stderr.write(self._text(n) + "\n")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.handle is None and self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
