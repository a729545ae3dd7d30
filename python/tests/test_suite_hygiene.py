"""The test suite's own conventions (ARCHITECTURE.md): shared helpers come from
testhelpers.py, never from conftest.py (pytest imports conftest itself; a
second import under its module name runs it twice and hides where helpers live)."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_no_module_imports_from_conftest() -> None:
    offenders = [p.name for p in sorted(HERE.glob("*.py"))
                 if re.search(r"^\s*(from conftest import|import conftest)", p.read_text(), re.M)]
    assert not offenders, f"import these helpers from testhelpers instead: {offenders}"
