"""pcapy's pytest plugin, run inline by pytester: fixtures found by name, a
pass, a failure whose report lists the kept captures, skips where capturing is
not permitted, --pcap-keep, two captures at once, veth_pair cleanup (also on
Ctrl-C), make_pcap, and a plugin load that stays light."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testhelpers import PLUGIN_ARGS, REPO
from pcapy import _netns
from pcapy._live_capture import capture_permitted

needs_capture = pytest.mark.skipif(capture_permitted() is not None, reason=str(capture_permitted()))
needs_netns = pytest.mark.skipif(_netns.can_run() is not None, reason=str(_netns.can_run()))

UDP_TEST = """
import socket

def send(port, payload, n=1):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(n):
            s.sendto(payload, ("127.0.0.1", port))

def test_udp(pcap_capture):
    port = 47000 + {offset}
    with pcap_capture("lo", f"udp dst port {{port}}", name="udp") as cap:
        send(port, b"hello", 3)
    assert [d[-5:] for _, d in cap.packets] == [b"hello"] * 3
    cap.assert_seen("udp", count=3)
    {extra}
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inline=source)
    return pytester.runpytest(*PLUGIN_ARGS, *args)


@needs_capture
def test_a_passing_capture_leaves_no_file(pytester: pytest.Pytester, tmp_path: Path) -> None:
    keep = tmp_path / "kept"
    result = run(pytester, UDP_TEST.format(offset=1, extra="print('PATH', cap.path)"),
                 "-s", f"--pcap-dir={keep}")
    result.assert_outcomes(passed=1)
    (path,) = re.findall(r"PATH (\S+)", result.stdout.str())
    assert not Path(path).exists() and not keep.exists()  # on-failure: nothing to keep


@needs_capture
def test_a_failed_test_keeps_its_capture_and_reports_it(pytester: pytest.Pytester, tmp_path: Path) -> None:
    keep = tmp_path / "kept"
    result = run(pytester, UDP_TEST.format(offset=2, extra="assert False, 'the server never answered'"),
                 f"--pcap-dir={keep}")
    result.assert_outcomes(failed=1)
    (kept,) = keep.iterdir()
    assert kept.name == "test_inline.py_test_udp-udp.pcap"  # the node id in the name
    result.stdout.re_match_lines([r".*pcapy captures.*",
                                  rf"{re.escape(str(kept))}: 3 packets \(UDP 3\), "
                                  r"\d\d:\d\d:\d\d\.\d{6} – \d\d:\d\d:\d\d\.\d{6} UTC$"])
    import pcapy

    assert len(list(pcapy.open_offline(kept))) == 3


@needs_capture
@pytest.mark.parametrize("keep", ["never", "always"])
def test_pcap_keep_never_and_always(pytester: pytest.Pytester, tmp_path: Path, keep: str) -> None:
    kept = tmp_path / "kept"
    source = UDP_TEST.format(offset=3, extra="") + "\ndef test_fails(pcap_capture):\n" \
        "    with pcap_capture(filter='udp dst port 47999'):\n        pass\n    assert 0\n"
    result = run(pytester, source, f"--pcap-dir={kept}", f"--pcap-keep={keep}")
    result.assert_outcomes(passed=1, failed=1)
    names = sorted(p.name for p in kept.iterdir()) if kept.exists() else []
    if keep == "never":
        assert names == [] and "pcapy captures" not in result.stdout.str()
    else:
        assert names == ["test_inline.py_test_fails-1-lo.pcap", "test_inline.py_test_udp-udp.pcap"]


@needs_capture
def test_an_assert_seen_failure_lists_what_was_captured(pytester: pytest.Pytester) -> None:
    result = run(pytester, UDP_TEST.format(offset=4, extra="cap.assert_seen('tcp')"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*AssertionError: expected at least one packet matching 'tcp' on lo, saw 0; "
        "captured 3 packets (UDP 3), * UTC",
        "*+0.000000 UDP 127.0.0.1:* > 127.0.0.1:47004 5 bytes",
    ])


@needs_capture
@needs_netns
def test_two_captures_at_once_on_both_ends_of_a_veth_pair(pytester: pytest.Pytester) -> None:
    source = """
        import socket

        def test_both_ends(pcap_capture, veth_pair):
            a, b = veth_pair.a, veth_pair.b
            rx = a.call(socket.socket, socket.AF_INET6, socket.SOCK_DGRAM)
            rx.bind((a.ip6, 9999))
            tx = b.call(socket.socket, socket.AF_INET6, socket.SOCK_DGRAM)
            with rx, tx, pcap_capture(a, "udp") as cap_a, pcap_capture(b, "udp") as cap_b:
                tx.sendto(b"over v6", (a.ip6, 9999))
                assert rx.recv(100) == b"over v6"
            for cap in (cap_a, cap_b):
                cap.assert_seen(f"ip6 and src host {b.ip6} and udp dst port 9999", count=1)
                assert cap.count() == 1 and cap.synchronised == "markers"
    """
    result = run(pytester, textwrap.dedent(source))
    result.assert_outcomes(passed=1)


def test_fixtures_skip_with_the_reason_where_capture_is_not_permitted(pytester: pytest.Pytester) -> None:
    # Root with an empty capability bounding set: what an unprivileged user has.
    pytester.makepyfile(test_inline="""
        def test_capture(pcap_capture):
            with pcap_capture():
                pass

        def test_veth(veth_pair):
            pass

        def test_files(make_pcap):
            assert make_pcap([{"proto": "udp"}]).stat().st_size == 24 + 16 + 42
    """)
    argv = ["setpriv", "--bounding-set=-all", sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider",
            *PLUGIN_ARGS]
    if subprocess.run(["setpriv", "--bounding-set=-all", "true"], capture_output=True).returncode:
        pytest.skip("setpriv cannot drop capabilities here")
    out = subprocess.run(argv, cwd=pytester.path, capture_output=True, text=True, timeout=120)
    assert "1 passed, 2 skipped" in out.stdout, out.stdout + out.stderr
    assert re.search(r"SKIPPED \[1\] test_inline.py:\d: live capture needs CAP_NET_RAW: run as root", out.stdout)
    assert re.search(r"SKIPPED \[1\] test_inline.py:\d: veth_pair needs root", out.stdout)
    required = subprocess.run(argv + ["--pcap-require"], cwd=pytester.path, capture_output=True,
                              text=True, timeout=120)
    assert "1 passed, 2 errors" in required.stdout, required.stdout  # errors at setup
    assert "live capture needs CAP_NET_RAW: run as root, or grant it to the interpreter " \
           "(`setcap cap_net_raw+ep <python>`) (--pcap-require)" in required.stdout


@needs_netns
def test_veth_pair_is_removed_after_a_failure_and_after_ctrl_c(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inline="""
        import os, signal

        def test_fails(veth_pair):
            print("NS", veth_pair.a.ns, veth_pair.b.ns)
            assert veth_pair.b.run(["ip", "-o", "addr", "show", veth_pair.b.dev]).stdout
            assert 0

        def test_interrupted(veth_pair):
            print("NS", veth_pair.a.ns, veth_pair.b.ns)
            os.kill(os.getpid(), signal.SIGINT)
    """)
    out = subprocess.run([sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", *PLUGIN_ARGS],
                         cwd=pytester.path, capture_output=True, text=True, timeout=120)
    assert "KeyboardInterrupt" in out.stdout and "1 failed" in out.stdout, out.stdout
    names = re.findall(r"NS (\S+) (\S+)", out.stdout)
    assert len(names) == 2
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for a, b in names:
        assert a not in listed and b not in listed


def test_make_pcap_writes_frames_and_specs(pytester: pytest.Pytester) -> None:
    source = """
        import pcapy, pytest

        def test_specs(make_pcap, tmp_path):
            path = make_pcap([
                {"proto": "tcp", "flags": "S", "dport": 8080},
                {"proto": "udp", "src": "2001:db8::1", "dst": "2001:db8::2", "dport": 53, "payload": "q"},
                {"proto": "icmp", "icmp": "reply", "ts": 1700000000.25},
                (1700000001, bytes(60)),
                bytes(14),
            ], name="mix.pcap")
            assert path == tmp_path / "mix.pcap"
            got = list(pcapy.open_offline(path))
            assert len(got) == 5
            assert pcapy.BPFProgram("tcp[tcpflags] == tcp-syn and dst port 8080").filter(got[0][1])
            assert pcapy.BPFProgram("ip6 and udp dst port 53").filter(got[1][1])
            assert got[1][1].endswith(b"q")
            assert pcapy.BPFProgram("icmp[icmptype] == icmp-echoreply").filter(got[2][1])
            assert [h.getts() for h, _ in got[2:4]] == [(1700000000, 250000), (1700000001, 0)]
            raw = make_pcap([{"proto": "udp"}], "raw.pcap", linktype=101, nanosecond=True)
            assert pcapy.open_offline(raw).datalink() == pcapy.DLT_RAW

        def test_bad_specs(make_pcap):
            with pytest.raises(TypeError, match=r"packet 1: unknown packet field\\(s\\) \\['sprot'\\]"):
                make_pcap([{}, {"sprot": 1}])
            with pytest.raises(ValueError, match="packet 0: proto must be 'tcp', 'udp' or 'icmp'"):
                make_pcap([{"proto": "sctp"}])
            with pytest.raises(ValueError, match="not of the same IP version"):
                make_pcap([{"src": "::1"}])
    """
    result = run(pytester, textwrap.dedent(source))
    result.assert_outcomes(passed=2)


def test_loading_the_plugin_stays_light() -> None:
    """Nothing beyond `import pcapy` itself: no numpy/pandas, and the Go
    extension only if `import pcapy` loads it (it will not, once it loads lazily)."""
    code = textwrap.dedent("""
        import json, sys
        import pcapy
        before = set(sys.modules)
        import pcapy.pytest_plugin
        print(json.dumps(sorted(set(sys.modules) - before)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    added = json.loads(out.stdout)
    assert [m for m in added if m.startswith("pcapy")] == ["pcapy.pytest_plugin"]
    assert not [m for m in added if m.split(".")[0] in ("numpy", "pandas", "pyarrow", "dask")]


EXAMPLE = REPO / "examples" / "07_pytest"


def run_example(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """pytest on examples/07_pytest as a user runs it: no conftest of ours."""
    import os

    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *PLUGIN_ARGS, *args,
                           str(EXAMPLE)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=EXAMPLE)


@needs_capture
@needs_netns
def test_the_pytest_example_passes_and_a_broken_server_leaves_evidence(tmp_path: Path) -> None:
    passed = run_example()
    assert "2 passed" in passed.stdout, passed.stdout + passed.stderr
    broken = run_example(f"--pcap-dir={tmp_path}", env={"ECHO_SERVER_BROKEN": "1"})
    assert "2 failed" in broken.stdout, broken.stdout
    kept = sorted(tmp_path.iterdir())
    assert [p.name.split("-1-gpa")[0] for p in kept] == [  # node ids from the rootdir (this repo)
        "examples_07_pytest_test_echo.py_test_client_retries_a_refused_connection",
        "examples_07_pytest_test_echo.py_test_echo_completes_the_handshake_and_echoes"]
    for path in kept:
        assert re.search(rf"^{re.escape(str(path))}: \d+ packets \(TCP \d+\), ", broken.stdout, re.M)


@needs_capture
def test_the_readme_pytest_example_passes(pytester: pytest.Pytester) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## In pytest suites", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    result = run(pytester, block)
    result.assert_outcomes(passed=2)
