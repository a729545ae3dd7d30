"""Differential test of live capture: our pcapy against pcapy-ng 2.1.0 on the
same veth traffic.

live_probe.py makes the same calls under both implementations, each on a
fresh veth pair (pcapy/_netns.py) of the same shape, and prints a trace of ``[step, result]``;
link-specific names (devices, namespaces, subnet) are replaced by placeholders
before the traces are compared step by step. The reference interpreter comes
from test_differential.py (``$PCAPY_REF_PYTHON`` or ``.venv-ref``).

``BETTER`` lists the steps where we differ on purpose, with the check our
result must pass instead; ``SAME_UP_TO`` the steps whose reference result is
not reproducible (it depends on a stale errno), compared after normalizing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from pcapy import _netns
from differential import checking_the_harness, ours_python, reference_python
from divergences import raises

pytestmark = [pytest.mark.differential, pytest.mark.live, pytest.mark.root]

HERE = Path(__file__).resolve().parent
PROBE = HERE / "live_probe.py"

BETTER: dict[str, Callable[[Any], bool]] = {
    # pcapy-ng returns whatever the uninitialized struct held.
    "created:stats": lambda r: raises("PcapError", "This handle hasn't been activated yet")(r, None),
    # pcapy-ng takes bytes only; any bytes-like object is fine here.
    "send:bytearray": lambda r: r is None,
    "send:memoryview": lambda r: r is None,
}

SAME_UP_TO: dict[str, Callable[[Any], Any]] = {
    # pcapy-ng's garbage differs from run to run (checking the harness compares two).
    "created:stats": lambda r: r if r[0] == "raise" else "<uninitialized>",
    # libpcap appends strerror(errno) of an errno it did not set.
    "send:empty": lambda r: r[:2] + [r[2].split(":")[0]] if isinstance(r, list) else r,
}

GROUPS = ["devices", "open", "create", "created", "rfmon", "activate", "counts", "filter",
          "snaplen64", "nonblock", "negative_to_ms", "direction", "send", "fanout", "closed", "filtered"]


def run_probe(python: str, tmpdir: Path, env: dict[str, str]) -> list[tuple[str, Any]]:
    pair = _netns.VethPair.create()
    a, b = pair.a, pair.b
    try:
        job = {"ns_a": a.ns, "ns_b": b.ns, "dev_a": a.dev, "dev_b": b.dev,
               "mac_a": a.mac.hex(), "mac_b": b.mac.hex(), "tmpdir": str(tmpdir)}
        proc = subprocess.run([python, str(PROBE), json.dumps(job)], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=180, cwd=tmpdir, env=env)
    finally:
        pair.remove()
    if proc.returncode != 0:
        pytest.fail(f"live_probe.py failed under {python} (exit {proc.returncode}):\n"
                    f"{proc.stderr[-4000:]}", pytrace=False)
    text = proc.stdout
    for name, placeholder in ((a.dev, "<dev_a>"), (b.dev, "<dev_b>"),
                              (pair.network[:-1], "<net>.")):
        text = text.replace(name, placeholder)
    return [tuple(step) for step in json.loads(text)["trace"]]


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> tuple[dict, dict, list[str]]:
    reason = _netns.can_run()
    if reason:
        pytest.skip(reason)
    ref = reference_python()
    _netns.remove_stale()
    root = tmp_path_factory.mktemp("live-differential")
    (root / "ref").mkdir()
    (root / "ours").mkdir()
    ref_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    theirs = run_probe(ref, root / "ref", ref_env)
    ours = run_probe(ours_python(), root / "ours", dict(os.environ))
    assert [s for s, _ in ours] == [s for s, _ in theirs], "the probe took different paths"
    return dict(theirs), dict(ours), [s for s, _ in theirs]


def test_the_probe_covers_every_group(traces) -> None:
    _, _, steps = traces
    assert sorted({s.split(":")[0] for s in steps}) == sorted(GROUPS)


@pytest.mark.parametrize("group", GROUPS)
def test_live_calls_match_pcapy_ng(traces, group: str) -> None:
    theirs, ours, steps = traces
    for step in (s for s in steps if s.split(":")[0] == group):
        want, got = theirs[step], ours[step]
        if step in SAME_UP_TO:
            want, got = SAME_UP_TO[step](want), SAME_UP_TO[step](got)
        if step in BETTER and not checking_the_harness():
            assert BETTER[step](got), f"{step}: ours gave {got!r} (pcapy-ng: {want!r})"
            continue
        assert got == want, f"{step}: ours {got!r}, pcapy-ng {want!r}"


def test_traffic_was_really_captured(traces) -> None:
    """The compared reads are not trivially empty on both sides."""
    theirs, _, _ = traces
    assert len(theirs["activate:read:packets"]["list"]) == 8
    assert len(theirs["filter:read:packets"]["list"]) == 4
    assert len(theirs["counts:loop7"]["calls"]) == 7
    # heads (cutoff 2): 2 of the UDP flow, 2 of its reverse, 1 DNS, 2 of the TLS flow, 1 HTTP; 2 watched
    assert len(theirs["filtered:heads_and_set"]["calls"]) == 10
    assert theirs["filtered:to_buffer"][0] >= 2
