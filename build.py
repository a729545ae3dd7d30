"""Build the Go extension of pcapy with gopy.

usage: python build.py [--force]

Runs `go tool gopy build` on the Go bridge package (gopcapy/pybridge) into
build/gopy/, then copies only the compiled extension into
python/pcapy/_gopcapy/. The generated Python wrappers are not shipped: pcapy
calls the extension's functions directly (they chdir at import and cost a
Python call per Go call). Rebuilds only when a Go source, go.mod/go.sum or
the Python version changed.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "python" / "pcapy" / "_gopcapy"
WORK = ROOT / "build" / "gopy"
BRIDGE = "./gopcapy/pybridge"
EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")


def source_digest() -> str:
    """Hash of everything the extension is built from."""
    h = hashlib.sha256(sys.version.split()[0].encode())
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


def build(force: bool = False) -> Path:
    """Build (if needed) and return the path of the extension module."""
    # One build at a time: concurrent builds (parallel test runs, pip) share WORK.
    (ROOT / "build").mkdir(exist_ok=True)
    with open(ROOT / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(force)


def _build_locked(force: bool) -> Path:
    target = OUT / ("_gopcapy" + EXT_SUFFIX)
    stamp = OUT / ".stamp"
    digest = source_digest()
    if not force and target.exists() and stamp.exists() and stamp.read_text() == digest:
        print(f"build.py: {target.relative_to(ROOT)} is up to date")
        return target
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
        sys.exit("build.py: gopy build failed")
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.iterdir():  # only the extension and __init__.py belong here
        if stale.is_file() and stale.name not in (target.name, "__init__.py"):
            stale.unlink()
    # Replace, never overwrite: running processes have the old file mapped.
    tmp = target.with_name(target.name + ".tmp")
    shutil.copy2(built, tmp)
    if shutil.which("strip"):  # debug symbols: 1.4 MB the wheel does not need
        subprocess.run(["strip", "--strip-unneeded", str(tmp)], check=True)
    os.replace(tmp, target)
    (OUT / "__init__.py").write_text(
        '"""The Go extension of pcapy, built by build.py (generated, do not edit)."""\n'
    )
    stamp.write_text(digest)
    print(f"build.py: built {target.relative_to(ROOT)}")
    return target


if __name__ == "__main__":
    build(force="--force" in sys.argv[1:])
