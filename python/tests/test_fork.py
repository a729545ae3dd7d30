"""fork: import pcapy, fork, use pcapy in the child (the Go runtime starts on
first use); a child of a parent that already used pcapy gets RuntimeError at
once. Every case runs in a fresh interpreter under a timeout: a regression
fails instead of hanging."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import capgen
import pytest
from testhelpers import REPO, packets

TIMEOUT = 60


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter with two capture files A and B."""
    for name in ("a.pcap", "b.pcap"):
        capgen.write_pcap(tmp_path / name, packets())
    script = tmp_path / "script.py"
    script.write_text(f"A, B = {str(tmp_path / 'a.pcap')!r}, {str(tmp_path / 'b.pcap')!r}\n" + textwrap.dedent(code))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_import_pcapy_starts_no_go_runtime(tmp_path):
    proc = run("""
        import sys, pcapy
        threads = lambda: int(next(l for l in open("/proc/self/status") if l.startswith("Threads:")).split()[1])
        print("loaded" if "pcapy._gopcapy._gopcapy" in sys.modules else "not loaded", threads())
        pcapy.datalink_name(1)
        print("loaded" if "pcapy._gopcapy._gopcapy" in sys.modules else "not loaded", threads() > 1)
    """, tmp_path)
    assert proc.stdout.split("\n")[:2] == ["not loaded 1", "loaded True"]


def test_os_fork_after_import_child_uses_all_of_pcapy(tmp_path):
    proc = run("""
        import os, pcapy
        pid = os.fork()
        if pid == 0:
            r = pcapy.open_offline(A)
            r.setfilter("tcp")
            got = []
            r.loop(-1, lambda h, d: got.append(len(d)))
            prog = pcapy.compile(pcapy.DLT_EN10MB, 65535, "udp", 1, 0)
            bpf = pcapy.BPFProgram("icmp")
            with pcapy.open_offline(A) as r2, r2.dump_open(A + ".copy") as d:
                for h, data in r2:
                    d.dump(h, data)
            cols = pcapy.read_columns([A, B], "ip")
            if os.geteuid() == 0:  # live capture too
                live = pcapy.open_live("lo", 100, 0, 10)
                live.setfilter("icmp")
                live.next()  # a timeout: (None, b'')
                live.close()
            print(len(got), len(prog.get_bpf()) > 0, len(bpf.get_bpf()) > 0,
                  len(pcapy.read_columns(A + ".copy")["ts"]), len(cols["ts"]), flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("child status", status)
    """, tmp_path)
    assert proc.stdout.split("\n")[:2] == ["16 True True 40 48", "child status 0"]


def test_multiprocessing_fork_pool_over_files(tmp_path):
    proc = run("""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        import pcapy

        def rows(path):
            return len(pcapy.read_columns(path)["ts"])

        if __name__ == "__main__":
            ctx = mp.get_context("fork")
            with ctx.Pool(2) as pool:
                print(pool.map(rows, [A, B, A, B]))
            with ProcessPoolExecutor(2, mp_context=ctx) as ex:
                print(list(ex.map(rows, [A, B])))
    """, tmp_path)
    assert proc.stdout.split("\n")[:2] == ["[40, 40, 40, 40]", "[40, 40]"]


def test_fork_after_use_every_call_raises_at_once(tmp_path):
    proc = run("""
        import os, time, warnings, pcapy
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: "multi-threaded, use of fork()"
        r = pcapy.open_offline(A)
        r.next()
        prog = pcapy.BPFProgram("tcp")
        d = r.dump_open(A + ".out")
        pid = os.fork()
        if pid == 0:
            t = time.monotonic()
            calls = [lambda: pcapy.open_offline(A), lambda: pcapy.read_columns(A), r.next,
                     lambda: pcapy.compile(1, 100, "tcp", 1, 0), lambda: prog.filter(b"x" * 60),
                     lambda: pcapy.create("lo"), pcapy.findalldevs, lambda: pcapy.datalink_name(1)]
            kinds = set()
            for c in calls:
                try:
                    c()
                except RuntimeError as e:
                    kinds.add("spawn" in str(e) and "forkserver" in str(e) and "get_context" in str(e))
            # the parent's objects: closing or dropping them neither hangs nor raises
            r.close()
            del prog
            print(kinds, time.monotonic() - t < 5, flush=True)
            raise SystemExit(0)  # atexit runs: the inherited Dumper's finalizer must stay quiet
        _, status = os.waitpid(pid, 0)
        d.close()
        print("child status", status, len(pcapy.read_columns(A + ".out")["ts"]))
    """, tmp_path)
    assert proc.stdout.split("\n")[:2] == ["{True} True", "child status 0 0"]
    assert proc.stderr == ""


def test_spawn_after_use_works(tmp_path):
    proc = run("""
        import multiprocessing as mp
        import pcapy

        def rows(path):
            return len(pcapy.read_columns(path)["ts"])

        if __name__ == "__main__":
            rows(A)
            with mp.get_context("spawn").Pool(2) as pool:
                print(pool.map(rows, [A, B]))
    """, tmp_path)
    assert proc.stdout.split("\n")[0] == "[40, 40]"


@pytest.mark.parametrize("use_before", [False, True])
def test_forked_child_of_forked_child(tmp_path, use_before):
    proc = run(f"""
        import os, pcapy
        if {use_before}:
            pcapy.read_columns(A)
        pid = os.fork()
        if pid == 0:
            pid2 = os.fork()
            if pid2 == 0:
                try:
                    print("grandchild", len(pcapy.read_columns(B)["ts"]), flush=True)
                except RuntimeError:
                    print("grandchild RuntimeError", flush=True)
                os._exit(0)
            os.waitpid(pid2, 0)
            os._exit(0)
        os.waitpid(pid, 0)
    """, tmp_path)
    assert proc.stdout.strip() == ("grandchild RuntimeError" if use_before else "grandchild 40")
