"""pytest plugin shipped with gopcapy: packet capture as fixtures.

Registered through the ``pytest11`` entry point ``pcapy``, so installing
gopcapy makes these fixtures available to every pytest suite (disable with
``-p no:pcapy``):

* ``pcap_capture(interface=None, filter=None, *, name=None, snaplen=65535,
  promisc=False, buffer_size=16 MiB, timeout=5.0)``: a LiveCapture to use as
  ``with pcap_capture("lo", "tcp port 8080") as cap:``. ``interface`` is a
  device name (default ``"lo"``) or an end of ``veth_pair``. The capture is
  receiving when the block starts and has read every packet that reached the
  device when the block ends; afterwards ``cap.packets``, ``cap.path``,
  ``cap.stats``, ``cap.count(filter)``, ``cap.assert_seen(filter, count)``,
  ``cap.dataframe()``. Needs root or CAP_NET_RAW.
* ``veth_pair``: two network namespaces joined by a veth pair, with IPv4 and
  IPv6 addresses (``veth_pair.a`` / ``.b``: ``dev``, ``ns``, ``ip``, ``ip6``,
  ``mac``, ``inside()``, ``call(fn)``, ``run(argv)``, ``popen(argv)``),
  removed after the test whatever happens. Needs root.
* ``make_pcap(packets, name="capture.pcap", *, linktype=1, nanosecond=False,
  pcapng=False)``: a capture file in the test's tmp_path from frames (bytes,
  or ``(seconds, bytes)``) or specs like ``{"proto": "udp", "dport": 53}``.

Where capturing is not permitted the first two skip the test with the reason
(``--pcap-require`` makes that a failure). A failed test's captures are kept
(``--pcap-keep=on-failure|always|never``, in ``--pcap-dir DIR`` named after
the test's node id, else where they were written) and its report lists each
file with a one-line summary.

Loading the plugin imports only pytest and the standard library: pcapy's
capture code (and the Go extension) loads when a fixture is used.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

_CAPTURES = pytest.StashKey[list[Any]]()
_FAILED = pytest.StashKey[bool]()
KEEP_CHOICES = ("on-failure", "always", "never")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pcapy", "packet capture fixtures (gopcapy)")
    group.addoption("--pcap-dir", metavar="DIR", default=None,
                    help="keep captures of failed tests (see --pcap-keep) in DIR, named after the "
                         "test's node id (default: where they were written, in the test's tmp_path)")
    group.addoption("--pcap-keep", choices=KEEP_CHOICES, default="on-failure",
                    help="which tests' captures to keep: on-failure (default), always, never")
    group.addoption("--pcap-require", action="store_true",
                    help="fail, instead of skipping, tests whose capture fixtures cannot run here "
                         "(not root / no CAP_NET_RAW)")


def _unavailable(config: pytest.Config, reason: str) -> None:
    if config.getoption("pcap_require"):
        pytest.fail(f"{reason} (--pcap-require)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def pcap_capture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Factory of live captures over a with-block; see the plugin's docstring."""
    from pcapy._live_capture import CaptureNotPermitted, LiveCapture, capture_permitted

    captures: list[Any] = request.node.stash.setdefault(_CAPTURES, [])
    config = request.config
    reason = capture_permitted()
    if reason:  # at setup: the skip names the test, not a line of this plugin
        _unavailable(config, reason)

    class _Capture(LiveCapture):
        label = ""  # the kept file's name part, set by start()

        def __enter__(self) -> "LiveCapture":
            try:
                return super().__enter__()
            except CaptureNotPermitted as err:
                _unavailable(config, str(err))
                raise

    def start(interface: Any = None, filter: Optional[str] = None, *,  # noqa: A002
              name: Optional[str] = None, **options: Any) -> LiveCapture:
        device = getattr(interface, "dev", interface) or "lo"
        label = _safe(name or f"{len(captures) + 1}-{device}")
        cap = _Capture(interface, filter, path=tmp_path / "pcap" / f"{label}.pcap", **options)
        cap.label = label
        captures.append(cap)
        return cap

    yield start
    for cap in captures:  # a capture entered by hand and never left
        cap.finish(raise_errors=False)


@pytest.fixture
def veth_pair(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Two network namespaces joined by a veth pair, removed after the test."""
    from pcapy import _netns

    reason = _netns.can_run()
    if reason:
        _unavailable(request.config, reason)
    _netns.remove_stale()
    pair = _netns.VethPair.create()
    try:
        yield pair
    finally:  # also on failure, and on Ctrl-C (pytest tears fixtures down at the end)
        pair.remove()


@pytest.fixture
def make_pcap(tmp_path: Path) -> Any:
    """Write packets (frames or spec dicts) to a capture file in tmp_path; return its path."""
    from pcapy import _frames, _pcap_spec

    def make(packets: Any, name: str = "capture.pcap", *, linktype: int = 1,
             nanosecond: bool = False, pcapng: bool = False) -> Path:
        path = tmp_path / name
        records = _pcap_spec.build(packets, linktype)
        writer = _frames.write_pcapng if pcapng else _frames.write_pcap
        writer(path, records, linktype=linktype, nanosecond=nanosecond)
        return path

    return make


# -- evidence: keeping captures and showing them in reports ---------------------


def _safe(text: str) -> str:
    """A file-name-safe form of a node id or label."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:180]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    captures = item.stash.get(_CAPTURES, None)
    if not captures:
        return report
    keep = item.config.getoption("pcap_keep")
    if report.failed:
        item.stash[_FAILED] = True
    written = [cap for cap in captures if cap.path.exists()]
    if report.failed and keep != "never" and written:
        lines = [f"{_keep(item, cap)}: {cap.summary()}" for cap in written]
        report.sections.append(("pcapy captures", "\n".join(lines)))
    if report.when == "teardown":
        failed = item.stash.get(_FAILED, False)
        for cap in written:
            if keep == "always" or (keep == "on-failure" and failed):
                _keep(item, cap)
            elif keep == "never" or not failed:
                cap.path.unlink(missing_ok=True)
    return report


def _keep(item: pytest.Item, cap: Any) -> Path:
    """Where the capture is kept: copied into --pcap-dir, else left in place."""
    directory = item.config.getoption("pcap_dir")
    if not directory:
        return Path(cap.path)
    target = Path(directory) / f"{_safe(item.nodeid)}-{cap.label}.pcap"
    if not target.exists() or target.stat().st_mtime < cap.path.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cap.path, target)
    return target.resolve()
