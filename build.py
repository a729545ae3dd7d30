"""Build the Go extension of pcapy with gopy.

usage: python build.py [--force]

Runs `go tool gopy build` on the Go bridge package (gopcapy/pybridge) into
build/gopy/, then copies only the compiled extension into
python/pcapy/_gopcapy/ (the development tree; setup.py asks for another
directory). The generated Python wrappers are not shipped: pcapy calls the
extension's functions directly (they chdir at import and cost a Python call
per Go call). Rebuilds only when a Go source, go.mod/go.sum, the Python
version or the C toolchain (TOOLCHAIN_ENV, set by tools/wheels.py for the
portable wheels) changed.
"""

import fcntl
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "python" / "pcapy" / "_gopcapy"
WORK = ROOT / "build" / "gopy"
BRIDGE = "./gopcapy/pybridge"
# The small C extension for the per-packet work (see _hotpath.c's header
# comment): every .c file of python/csrc, and the headers they share.
CSRC = ROOT / "python" / "csrc"
EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
# The C toolchain cgo and gopy use: the system's by default; tools/wheels.py
# sets these for zig cc and a static libpcap. A change means a rebuild.
TOOLCHAIN_ENV = ("CC", "ZIG", "CGO_CFLAGS", "CGO_LDFLAGS", "GOPY_INCLUDE", "GOPY_LIBDIR")


def source_digest() -> str:
    """Hash of everything the extension is built from."""
    h = hashlib.sha256(sys.version.split()[0].encode())
    for name in TOOLCHAIN_ENV:
        h.update(f"{name}={os.environ.get(name, '')}".encode())
    files = sorted(ROOT.glob("gopcapy/**/*.go")) + [ROOT / "go.mod", ROOT / "go.sum"]
    for f in files:
        if f.name.endswith("_test.go"):
            continue
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def go_env() -> dict:
    """Environment for gopy: goimports on PATH, -fwrapv allowed."""
    goimports = subprocess.run(
        ["go", "tool", "-n", "goimports"], cwd=ROOT, check=True,
        capture_output=True, text=True,
    ).stdout.strip()
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(goimports) + os.pathsep + env.get("PATH", "")
    # -dynamic-link keeps libpython out of the link; it needs -fwrapv allowed.
    env["CGO_LDFLAGS_ALLOW"] = "-fwrapv"
    return env


def check_go() -> None:
    """Stop with what to install when there is no Go toolchain (an sdist install)."""
    if shutil.which("go") is None:
        sys.exit(
            "build.py: building gopcapy from source needs Go >= 1.26 on PATH (https://go.dev/dl/),\n"
            "  a C compiler and the libpcap headers (Debian/Ubuntu: apt install gcc libpcap-dev;\n"
            "  Fedora: dnf install gcc libpcap-devel), and network access to the Go module proxy.\n"
            "  Or install a prebuilt wheel instead: pip install --only-binary gopcapy gopcapy"
        )


def failure_hint(output: str) -> str:
    """What to install, for the build failures a source install meets most."""
    if "pcap.h" in output:
        return ": the libpcap headers are missing (apt install libpcap-dev, dnf install libpcap-devel)"
    if "Python.h" in output:
        return ": Python's headers are missing (apt install python3-dev, dnf install python3-devel)"
    if "C compiler" in output:
        return ": no C compiler (apt install gcc, dnf install gcc)"
    return ""


def build(force: bool = False, out: Path = OUT) -> Path:
    """Build (if needed) into `out` and return the path of the extension module."""
    # One build at a time: concurrent builds (parallel test runs, pip) share WORK.
    (ROOT / "build").mkdir(exist_ok=True)
    with open(ROOT / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(force, out)


def _build_locked(force: bool, out: Path) -> Path:
    target = out / ("_gopcapy" + EXT_SUFFIX)
    # One extension per Python version can live side by side (EXT_SUFFIX names
    # the version): `make test-pythons` builds the same tree for 3.10 and 3.13.
    stamp = out / (".stamp" + EXT_SUFFIX)
    digest = source_digest()
    if not force and target.exists() and stamp.exists() and stamp.read_text() == digest:
        print(f"build.py: {target} is up to date")
        build_hotpath(out)
        return target
    check_go()
    try:
        import pybindgen  # noqa: F401  (gopy runs its build with this interpreter)
    except ImportError:
        sys.exit("build.py: pybindgen is missing: pip install pybindgen")
    shutil.rmtree(WORK, ignore_errors=True)
    cmd = [
        "go", "tool", "gopy", "build", f"-vm={sys.executable}", f"-output={WORK}",
        "-name=gopcapy", "-no-make=true", "-dynamic-link=true", BRIDGE,
    ]
    print("build.py:", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, env=go_env(), capture_output=True, text=True)
    built = WORK / ("_gopcapy" + EXT_SUFFIX)
    if proc.returncode != 0 or not built.exists():
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit("build.py: gopy build failed" + failure_hint(proc.stdout + proc.stderr))
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():  # only extensions, their stamps and __init__.py belong here
        keep = stale.name == "__init__.py" or (
            stale.name.startswith(("_gopcapy.", "_hotpath.", ".stamp.")) and stale.name.endswith(".so"))
        if stale.is_file() and not keep:
            stale.unlink()
    # Replace, never overwrite: running processes have the old file mapped.
    tmp = target.with_name(target.name + ".tmp")
    shutil.copy2(built, tmp)
    if shutil.which("strip"):  # debug symbols: 1.4 MB the wheel does not need
        subprocess.run(["strip", "--strip-unneeded", str(tmp)], check=True)
    os.replace(tmp, target)
    (out / "__init__.py").write_text(
        '"""The Go extension of pcapy, built by build.py (generated, do not edit)."""\n'
    )
    stamp.write_text(digest)
    print(f"build.py: built {target}")
    build_hotpath(out)
    return target


def hotpath_target(out: Path) -> Path:
    """Where build() puts the C extension of the per-packet work."""
    return out / ("_hotpath" + EXT_SUFFIX)


def build_hotpath(out: Path) -> Path:
    """Compile python/csrc (every .c file: _hotpath.c and its parts) into
    out with the C compiler cgo uses (CC, e.g. tools/zigcc for the wheels;
    else Python's own). pcapy cannot read without it: a failure stops the
    build."""
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    target = hotpath_target(out)
    stamp = out / (".stamp.hotpath" + EXT_SUFFIX)
    sources = sorted(CSRC.glob("*.c"))
    h = hashlib.sha256(b"".join(f.read_bytes() for f in sorted(CSRC.glob("*.[ch]")))
                       + sys.version.encode() + " ".join(cc).encode())
    if target.exists() and stamp.exists() and stamp.read_text() == h.hexdigest():
        return target
    tmp = target.with_name(target.name + ".tmp")
    cmd = [*cc, "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-Wall",
           f"-I{sysconfig.get_paths()['include']}", *map(str, sources), "-o", str(tmp)]
    print("build.py:", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0 or not tmp.exists():
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit("build.py: compiling python/csrc failed" + failure_hint(proc.stdout + proc.stderr))
    os.replace(tmp, target)
    stamp.write_text(h.hexdigest())
    return target


if __name__ == "__main__":
    build(force="--force" in sys.argv[1:])
