"""The shape of pcapy's public API, as test_public_api.py pins it: names,
and each callable's parameters (name, kind, default; not annotations, which
typing work may refine)."""

from __future__ import annotations

import inspect
from typing import Any

CLASSES = ("Reader", "Pkthdr", "Dumper", "BPFProgram")


def parameters(obj: Any) -> str | None:
    """`(a, b=1, *, c)`-style text of obj's parameters, None if not inspectable."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = [p.replace(annotation=p.empty) for p in sig.parameters.values()]
    # A C method's self is positional-only, "(self, /)" (Reader.next once the
    # C part is loaded); a Python method's is not: for a caller the same API.
    only = [p for p in params if p.kind is p.POSITIONAL_ONLY]
    if len(only) == 1 and only[0].name == "self":
        params[0] = params[0].replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def own_names(cls: type) -> list[str]:
    """cls's public attributes, without those of builtin bases (Pkthdr is a tuple)."""
    inherited = {n for base in cls.__mro__[1:] if base.__module__ == "builtins" for n in dir(base)}
    return sorted(n for n in dir(cls) if not n.startswith("_") and n not in inherited)


def shape(pcapy: Any, dask: Any) -> dict[str, Any]:
    """Everything the public API pin covers, computed from the live modules."""
    functions = sorted(n for n in pcapy.__all__ if inspect.isroutine(getattr(pcapy, n)))
    return {
        "__all__": sorted(pcapy.__all__),
        "public beyond __all__": sorted(
            n for n in dir(pcapy)
            if not n.startswith("_") and not inspect.ismodule(getattr(pcapy, n)) and n not in pcapy.__all__),
        "functions": {n: parameters(getattr(pcapy, n)) for n in functions},
        "classes": {
            c: {n: parameters(getattr(getattr(pcapy, c), n)) for n in own_names(getattr(pcapy, c))}
            for c in CLASSES
        },
        "dask.__all__": sorted(dask.__all__),
        "dask": {n: parameters(getattr(dask, n)) for n in sorted(dask.__all__) if callable(getattr(dask, n))},
    }
