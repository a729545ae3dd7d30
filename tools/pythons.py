"""The CPython interpreters gopcapy is built and tested with.

usage: python tools/pythons.py [3.10 3.13 ...]   # prints one interpreter path a line

PYTHONS="/path/to/python3.10 /path/to/python3.13" chooses them explicitly.
Otherwise: for each supported minor version, the newest pyenv interpreter under
$(pyenv root)/versions, else python3.X on PATH. Minor versions not found are
left out (the caller says so).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")  # keep in step with pyproject.toml's classifiers


def pyenv_root() -> Path:
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def minor_of(python: str) -> str:
    """'3.12' for a CPython 3.12 interpreter."""
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def find(minors: tuple[str, ...] = SUPPORTED) -> dict[str, str]:
    """{minor: interpreter path} for the minor versions found."""
    if os.environ.get("PYTHONS", "").strip():
        found = {minor_of(p): p for p in os.environ["PYTHONS"].split()}
        return {m: p for m, p in sorted(found.items()) if m in minors}
    found: dict[str, tuple[tuple[int, ...], str]] = {}
    versions = pyenv_root() / "versions"
    if versions.is_dir():
        for d in versions.iterdir():
            m = re.fullmatch(r"3\.(\d+)\.(\d+)", d.name)  # CPython releases only (no -dev, t, pypy)
            exe = d / "bin" / f"python3.{m.group(1)}" if m else None
            if m and exe.exists() and f"3.{m.group(1)}" in minors:
                key = (int(m.group(1)), int(m.group(2)))
                if f"3.{key[0]}" not in found or found[f"3.{key[0]}"][0] < key:
                    found[f"3.{key[0]}"] = (key, str(exe))
    result = {minor: path for minor, (_, path) in found.items()}
    for minor in minors:
        if minor not in result and shutil.which(f"python{minor}"):
            result[minor] = shutil.which(f"python{minor}")
    return dict(sorted(result.items(), key=lambda kv: int(kv[0].split(".")[1])))


if __name__ == "__main__":
    wanted = tuple(sys.argv[1:]) or SUPPORTED
    pythons = find(wanted)
    missing = [m for m in wanted if m not in pythons]
    if missing:
        print(f"tools/pythons.py: no CPython {', '.join(missing)} found "
              "(pyenv install them, or set PYTHONS)", file=sys.stderr)
    print("\n".join(pythons.values()))
