"""When the Go extension cannot load, ImportError says why and what to do:
not built and built for another Python at `import pcapy`, the loader's own
message (a broken file, a missing libpcap) at first use."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pcapy
from pcapy import _core

PACKAGE = Path(pcapy.__file__).resolve().parent


def copy_package(tmp_path: Path, extension: bytes | None, name: str = "") -> Path:
    dest = tmp_path / "pcapy"
    shutil.copytree(PACKAGE, dest, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    if extension is None:
        shutil.rmtree(dest / "_gopcapy")
    else:
        (dest / "_gopcapy" / name).write_bytes(extension)
    return tmp_path


def run(root: Path, code: str) -> str:
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(root)!r})\n" + code],
                          capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


def test_not_built_fails_at_import(tmp_path):
    out = run(copy_package(tmp_path, None), "import pcapy")
    assert "ImportError: pcapy's Go extension is not built" in out and "make build" in out


def test_built_for_another_python_fails_at_import(tmp_path):
    out = run(copy_package(tmp_path, b"\x7fELF", "_gopcapy.cpython-39-x86_64-linux-gnu.so"), "import pcapy")
    assert "built for another Python" in out and "_gopcapy.cpython-39-x86_64-linux-gnu.so" in out


def test_broken_file_gives_the_loaders_message_at_first_use(tmp_path):
    from importlib.machinery import EXTENSION_SUFFIXES
    root = copy_package(tmp_path, b"not an ELF file" * 100, "_gopcapy" + EXTENSION_SUFFIXES[0])
    out = run(root, "import pcapy; print('imported')\n"
                    "for i in range(2):\n"
                    "    try: pcapy.lib_version()\n"
                    "    except ImportError as e: print(e)\n")
    lines = out.splitlines()
    assert lines[0] == "imported"
    assert len(lines) == 3 and all("could not be loaded" in x and "invalid ELF header" in x for x in lines[1:])


@pytest.mark.parametrize("message, hint", [
    ("libpcap.so.0.8: cannot open shared object file: No such file or directory", "apt install libpcap0.8"),
    ("/x/_gopcapy.so: undefined symbol: PyExc_RuntimeError", "does not match this Python"),
])
def test_loader_message_gets_a_hint(message, hint):
    err = _core._load_error(ImportError(message))
    assert message in str(err) and hint in str(err)
