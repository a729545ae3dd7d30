"""`import pcapy` stays light: it imports none of the modules that made it
slow (issue 12: typing alone cost 17 ms, the columnar module 19 ms), and it
does not start the Go runtime. The modules are checked, not timed: a fresh
interpreter imports pcapy and reports which of them its import brought in.
The lazily imported names still resolve to the right objects."""

from __future__ import annotations

import json
import subprocess
import sys

import pcapy

# Imported by `import pcapy` before issue 12; each now waits for first use.
HEAVY = [
    "typing", "numpy", "pandas", "pyarrow", "dask", "pytest",
    "pcapy._gopcapy._gopcapy",  # the extension: loading it starts the Go runtime
    "pcapy._columns", "pcapy._chunks", "pcapy._flows", "pcapy._arrow", "pcapy._devices",
    "collections", "functools", "threading", "re", "enum", "json", "weakref", "select", "array",
]

PROBE = """
import json, sys
before = set(sys.modules)
import pcapy
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_import_pcapy_imports_no_heavy_module() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    brought = set(json.loads(out.stdout))
    assert "pcapy._reader" in brought  # the probe does see what the import brings in
    assert sorted(brought & set(HEAVY)) == []


def test_lazy_names_resolve_to_their_modules() -> None:
    from pcapy import _arrow, _chunks, _columns, _devices, _flows

    assert pcapy.read_columns is _columns.read_columns and pcapy.read_dataframe is _columns.read_dataframe
    assert pcapy.iter_columns is _chunks.iter_columns and pcapy.iter_dataframes is _chunks.iter_dataframes
    assert pcapy.read_flows is _flows.read_flows and pcapy.merge_flows is _flows.merge_flows
    assert pcapy.read_arrow is _arrow.read_arrow and pcapy.to_parquet is _arrow.to_parquet
    assert pcapy.Interface is _devices.Interface and pcapy.datalink_name is _devices.datalink_name
    assert pcapy.Address.__module__ == pcapy.Interface.__module__ == "pcapy"
    assert set(pcapy.__all__) <= set(dir(pcapy))
    code = "from pcapy import *; print(read_flows.__name__, Address.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["read_flows", "Address"], out.stderr


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        pcapy.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("pcapy.no_such_name did not raise")
