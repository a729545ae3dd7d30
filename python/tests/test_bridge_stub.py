"""The typing stub of the Go extension names each function's parameters as
the built extension does (mypy.stubtest in `make lint` checks which functions
exist; it cannot read gopy's parameters, which are only in the docstrings)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

STUB = Path(__file__).resolve().parents[1] / "stubs" / "pcapy" / "_gopcapy" / "_gopcapy.pyi"


def stub_functions() -> dict[str, list[str]]:
    tree = ast.parse(STUB.read_text())
    return {f.name: [a.arg for a in f.args.args] for f in tree.body if isinstance(f, ast.FunctionDef)}


def runtime_parameters(fn: object) -> list[str]:
    """gopy's docstring starts with `name(a, b, c)`."""
    first = (fn.__doc__ or "").splitlines()[0]
    m = re.fullmatch(r"\w+\((.*)\)", first.strip())
    assert m, f"unexpected docstring {first!r}"
    return [p.strip() for p in m.group(1).split(",") if p.strip()]


def test_stub_parameters_match_the_extension() -> None:
    ext = pytest.importorskip("pcapy._gopcapy._gopcapy")
    functions = stub_functions()
    assert len(functions) > 50
    for name, params in functions.items():
        assert hasattr(ext, name), f"{name} is in the stub but not in the extension"
        assert runtime_parameters(getattr(ext, name)) == params, name


def test_every_bridge_function_is_in_the_stub() -> None:
    ext = pytest.importorskip("pcapy._gopcapy._gopcapy")
    missing = sorted(n for n in dir(ext) if n.startswith("pybridge_") and n not in stub_functions())
    assert not missing, "run `go run ./tools/bridgestub`: " + ", ".join(missing)
