"""Resource faults: the descriptor limit raises (never aborts the process),
no descriptor leaks on any open/close path, failed writes raise PcapError.
Tests that change limits run in a fresh interpreter under a timeout."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import capgen
import pytest
from testhelpers import REPO, is_root, packets

import pcapy

TIMEOUT = 60


def run(code: str, tmp_path: Path, **kw) -> subprocess.CompletedProcess:
    capgen.write_pcap(tmp_path / "a.pcap", packets())
    script = tmp_path / "script.py"
    script.write_text(f"A = {str(tmp_path / 'a.pcap')!r}\n" + textwrap.dedent(code))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=REPO, **kw)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


EXHAUST = """
    import os, resource
    import numpy  # read_columns imports it: before the limit
    def exhaust(limit=64):
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
        held = []
        try:
            while True:
                held.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            return held
    def outcome(f):
        try:
            f()
            return "ok"
        except (OSError, pcapy.PcapError) as e:
            return type(e).__name__
"""


def test_descriptor_limit_raises_in_every_call(tmp_path):
    proc = run(EXHAUST + """
    import pcapy
    reader = pcapy.open_offline(A)
    held = exhaust()
    calls = {
        "read_columns": lambda: pcapy.read_columns(A),
        "read_columns_many": lambda: pcapy.read_columns([A, A]),
        "open_offline": lambda: pcapy.open_offline(A),
        "create": lambda: pcapy.create("lo"),
        "open_live": lambda: pcapy.open_live("lo", 100, 0, 10),
        "findalldevs": pcapy.findalldevs,
        "dump_open": lambda: reader.dump_open(A + ".out"),
    }
    print(sorted({outcome(f) for f in calls.values()}))
    for fd in held[:16]:
        os.close(fd)
    print(len(pcapy.read_columns(A)["ts"]))
    """, tmp_path)
    assert proc.stdout.split("\n")[:2] == ["['PcapError']", "40"]


def test_descriptor_limit_at_first_use_raises_then_works(tmp_path):
    # The Go runtime's poller starts at load; with no descriptor free the
    # runtime used to abort the process ("netpollinit failed", exit 134).
    proc = run(EXHAUST + """
    import pcapy
    held = exhaust()
    os.close(held.pop())  # one free: Python can open the package, Go cannot start its poller
    print(outcome(lambda: pcapy.read_columns(A)), outcome(lambda: pcapy.open_offline(A)))
    for fd in held[:16]:
        os.close(fd)
    print(len(pcapy.read_columns(A)["ts"]), pcapy.open_offline(A).next()[0].getcaplen() > 0)
    """, tmp_path)
    assert proc.stdout.split("\n")[:2] == ["OSError OSError", "40 True"]


def open_fds() -> set[str]:
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.add(f"{fd} {os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:  # the listing's own descriptor
            pass
    return out


def test_no_descriptor_leak_on_any_open_close_path(eth_pcap, tmp_path):
    pcapy.lib_version()  # the runtime's own descriptors (poller) exist from here
    before = open_fds()
    for _ in range(20):
        pcapy.create("lo").close()  # libpcap 1.10.3 makes an eventfd here
        pcapy.create("lo")  # dropped, never closed
        r = pcapy.create("no-such-device0")
        r.activate()
        r.close()
        r = pcapy.open_offline(eth_pcap)
        r.next()
        r.close()
        r = pcapy.open_offline(eth_pcap)
        r.next()
        r.dump_open(tmp_path / "out.pcap").dump(*r.next())  # both dropped
        pcapy.read_columns(eth_pcap, "tcp")
        pcapy.read_columns(pcapy.open_offline(eth_pcap))
        pcapy.BPFProgram("tcp")
        try:
            pcapy.open_offline(tmp_path / "missing.pcap")
        except pcapy.PcapError:
            pass
        if is_root():
            r = pcapy.create("lo")
            r.activate()
            r.close()
            pcapy.open_live("lo", 100, 0, 10)
    del r
    gc.collect()
    assert open_fds() == before


def test_dump_open_on_full_device_raises(eth_pcap):
    # dump_open writes the file header at once (so a fork child's exit cannot
    # flush a second copy of it): a full device fails there.
    r = pcapy.open_offline(eth_pcap)
    with pytest.raises(pcapy.PcapError, match="^/dev/full: No space left on device$"):
        r.dump_open("/dev/full")


def test_dump_to_closed_pipe_raises_pcaperror(tmp_path):
    capgen.write_pcap(tmp_path / "a.pcap", packets())
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, pcapy
            frames = list(pcapy.open_offline({str(tmp_path / 'a.pcap')!r}))
            d = pcapy.open_offline({str(tmp_path / 'a.pcap')!r}).dump_open("-")
            sys.stdin.read()  # the test closed its end of stdout
            try:
                for i in range(100):
                    for hdr, data in frames:
                        d.dump(hdr, data)
                d.close()
            except pcapy.PcapError as e:
                print("PcapError", e, file=sys.stderr)
                d.close()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    )
    proc.stdout.read(24)  # the file header, written by dump_open
    proc.stdout.close()
    _, err = proc.communicate(timeout=TIMEOUT)
    assert err.decode().strip() == "PcapError -: Broken pipe", err


@pytest.mark.skipif(not is_root() or not shutil.which("unshare"), reason="needs root and unshare for a private tmpfs")
def test_dump_into_full_filesystem(tmp_path):
    # 2 MB of packets into a 1 MB tmpfs in a private mount namespace.
    mnt = tmp_path / "small"
    mnt.mkdir()
    code = textwrap.dedent(f"""
        import pcapy
        r = pcapy.open_offline({str(tmp_path / 'a.pcap')!r})
        d = r.dump_open({str(mnt / 'out.pcap')!r})
        frames = list(pcapy.open_offline({str(tmp_path / 'a.pcap')!r}))
        dumped = 0
        try:
            while True:
                for hdr, data in frames:
                    d.dump(hdr, data)
                    dumped += 1
                if dumped > 4000:
                    d.close()
                    break
        except pcapy.PcapError as e:
            print("raised", e)
        for later in (lambda: d.dump(hdr, data), d.flush):  # the same error again
            try:
                later()
            except pcapy.PcapError as e:
                print("again", e)
        d.close()  # reported already: releases the file quietly
        got = []
        try:
            for hdr, data in pcapy.open_offline({str(mnt / 'out.pcap')!r}):
                got.append(hdr)
        except pcapy.PcapError as e:
            print("file", str(e).split(";")[0])
        print(0 < len(got) < dumped)
    """)
    capgen.write_pcap(tmp_path / "a.pcap", packets())
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs -o size=1m none {mnt} && {sys.executable} -c \"$0\"", code],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    error = f"{mnt / 'out.pcap'}: No space left on device"
    assert lines[:3] == [f"raised {error}", f"again {error}", f"again {error}"]
    assert lines[3].startswith("file") or lines[3] == "True"  # a cut last record, or none
    assert lines[-2] == "True"  # the packets before the failure are readable


def test_dumper_in_daemon_thread_at_exit_prints_nothing(tmp_path):
    proc = run("""
        import threading, time, pcapy
        frames = list(pcapy.open_offline(A))
        d = pcapy.open_offline(A).dump_open(A + ".out")
        started = threading.Event()
        def work():
            while True:
                for hdr, data in frames:
                    d.dump(hdr, data)
                started.set()
        threading.Thread(target=work, daemon=True).start()
        started.wait()
        time.sleep(0.05)
    """, tmp_path)
    assert proc.stderr == ""
    n = sum(1 for _ in pcapy.open_offline(tmp_path / "a.pcap.out"))
    assert n >= 40


def test_address_space_limit_too_low_for_go_raises_memoryerror(tmp_path):
    # Under `ulimit -v` the Go runtime aborts the process when it cannot
    # reserve its address space at start: loading checks the room first.
    proc = run("""
        import resource, pcapy
        vm = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize:")).split()[1]) << 10
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (vm + (256 << 20), hard))
        for f in (lambda: pcapy.open_offline(A), lambda: pcapy.compile(1, 100, "tcp", 1, 0)):
            try:
                f()
            except MemoryError as e:
                print("MemoryError", "ulimit -v" in str(e))
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        print(pcapy.open_offline(A).next()[0].getcaplen() > 0)
    """, tmp_path)
    assert proc.stdout.split("\n")[:3] == ["MemoryError True", "MemoryError True", "True"]


def test_file_size_limit_raises_and_keeps_the_packets_before(tmp_path):
    # RLIMIT_FSIZE: a write failure (EFBIG) without root or a small filesystem.
    proc = run("""
        import resource, signal, pcapy
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
        frames = list(pcapy.open_offline(A))
        d = pcapy.open_offline(A).dump_open(A + ".out")
        dumped = 0
        try:
            for i in range(100):
                for hdr, data in frames:
                    d.dump(hdr, data)
                    dumped += 1
                d.flush()
        except pcapy.PcapError as e:
            print(e)
        d.close()
        got = 0
        try:
            for hdr, data in pcapy.open_offline(A + ".out"):
                got += 1
        except pcapy.PcapError as e:
            pass  # the last record cut short
        print(0 < got < dumped)
    """, tmp_path)
    assert proc.stdout.split("\n")[:2] == [f"{tmp_path / 'a.pcap.out'}: File too large", "True"]
