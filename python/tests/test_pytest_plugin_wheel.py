"""The plugin as a user gets it: `make wheels`'s wheel and pytest in a fresh
virtualenv, examples/07_pytest copied out of this tree (no conftest of ours).
Fixtures are found by name through the entry point, a broken server's
captures are kept and named in the report, `-p no:pcapy` turns the plugin off,
and without privileges the tests are skipped with the reason.

Skipped unless dist/ holds a wheel (`make wheels`): building one takes minutes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testhelpers import REPO
from pcapy import _netns
from pcapy._live_capture import capture_permitted

pytestmark = [pytest.mark.slow]

# The wheel for this interpreter (make wheels builds one per CPython).
WHEELS = sorted((REPO / "dist").glob(f"gopcapy-*-cp{sys.version_info[0]}{sys.version_info[1]}-*.whl"),
                key=lambda p: p.stat().st_mtime)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not WHEELS:
        pytest.skip("no wheel in dist/: run `make wheels` first")
    root = tmp_path_factory.mktemp("plugin-venv")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=120)
    py = root / "venv" / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", str(WHEELS[-1])],
                   check=True, timeout=300)
    got = subprocess.run([str(py), "-m", "pip", "install", "-q", f"pytest=={pytest.__version__}"],
                         capture_output=True, text=True, timeout=300)
    if got.returncode:
        pytest.skip(f"cannot install pytest from the package index: {got.stderr[-500:]}")
    return py


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """examples/07_pytest alone, outside this repository."""
    return Path(shutil.copytree(REPO / "examples" / "07_pytest", tmp_path / "suite"))


def pytest_in(venv: Path, suite: Path, *args: str, prefix: tuple = (), **env: str):
    return subprocess.run([*prefix, str(venv), "-m", "pytest", "-rs", "-p", "no:cacheprovider", *args],
                          cwd=suite, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": "", **env})


@pytest.mark.skipif(capture_permitted() is not None or _netns.can_run() is not None,
                    reason="the example suite needs root")
def test_the_example_suite_runs_on_the_installed_wheel(venv: Path, suite: Path, tmp_path: Path) -> None:
    passed = pytest_in(venv, suite)
    assert "2 passed" in passed.stdout, passed.stdout + passed.stderr
    assert re.search(r"^plugins: .*gopcapy-", passed.stdout, re.M)  # loaded by its entry point
    evidence = tmp_path / "evidence"
    broken = pytest_in(venv, suite, f"--pcap-dir={evidence}", ECHO_SERVER_BROKEN="1")
    assert "2 failed" in broken.stdout, broken.stdout
    kept = sorted(evidence.iterdir())
    assert [p.name.split("-1-")[0] for p in kept] == [
        "test_echo.py_test_client_retries_a_refused_connection",
        "test_echo.py_test_echo_completes_the_handshake_and_echoes"]
    for path in kept:
        assert re.search(rf"^{re.escape(str(path))}: \d+ packets \(TCP \d+\), ", broken.stdout, re.M)
    off = pytest_in(venv, suite, "-p", "no:pcapy")
    assert "fixture 'veth_pair' not found" in off.stdout, off.stdout


def test_the_example_suite_skips_without_privileges(venv: Path, suite: Path) -> None:
    if subprocess.run(["setpriv", "--bounding-set=-all", "true"], capture_output=True).returncode:
        pytest.skip("setpriv cannot drop capabilities here")
    out = pytest_in(venv, suite, prefix=("setpriv", "--bounding-set=-all"))
    assert "2 skipped" in out.stdout, out.stdout + out.stderr
    assert out.stdout.count("veth_pair needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN") == 2
