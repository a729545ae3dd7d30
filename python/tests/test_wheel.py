"""The wheel: built from the source tree, installed into a fresh virtualenv,
importable and working outside the source tree (no Go toolchain needed there)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import capgen
from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    import shutil

    for stale in (REPO / "build").glob("[lb][id]*"):  # setuptools' build/lib*, bdist*: never pruned
        shutil.rmtree(stale, ignore_errors=True)
    # --no-isolation: use this virtualenv's setuptools and pybindgen (no download);
    # -P keeps the project's build.py from shadowing PyPA build.
    subprocess.run([sys.executable, "-P", "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(out), str(REPO)], check=True, capture_output=True, timeout=600)
    (found,) = out.glob("gopcapy-*.whl")
    return found


def test_wheel_is_a_platform_wheel_with_the_extension(wheel: Path) -> None:
    assert "linux_x86_64" in wheel.name or "manylinux" in wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("pcapy/_gopcapy/_gopcapy") and n.endswith(".so") for n in names)
    assert "pcapy/py.typed" in names
    assert not any(n.endswith((".go", ".c", ".h")) or n.endswith("pybridge.py") for n in names)


def test_installed_wheel_reads_a_capture(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", str(wheel)],
                   check=True, timeout=300)
    capture = tmp_path / "c.pcap"
    capgen.write_sample(capture, n=100)
    code = ("import pcapy, sys; r = pcapy.open_offline(sys.argv[1]); "
            "print(pcapy.__file__); print(sum(1 for _ in r))")
    out = subprocess.run([str(py), "-c", code, str(capture)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120, check=True).stdout.split()
    assert out[0].startswith(str(venv)) and out[1] == "100"
