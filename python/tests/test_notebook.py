"""examples/05_analysis.ipynb runs top to bottom, headless, in a kernel of this
virtualenv's python (a kernelspec written to a temporary JUPYTER_PATH: nothing
installed for the user, no network)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from testhelpers import REPO

pytestmark = [pytest.mark.slow]

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = REPO / "examples" / "05_analysis.ipynb"
KERNEL = "gopcapy-test"


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernelspec running sys.executable, and private Jupyter/IPython dirs."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "gopcapy test kernel",
        "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PACKETS", "30000")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("CAPTURE", raising=False)


def outputs(nb: "nbformat.NotebookNode", kind: str) -> list:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
            if o.output_type == kind or kind in o.get("data", {})]


@pytest.mark.timeout(180)
def test_analysis_notebook_runs_top_to_bottom(kernel_env: None) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=120,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    assert not outputs(nb, "error")
    warned = [o.text for o in outputs(nb, "stream") if o.name == "stderr" and "Warning" in o.text]
    assert not warned, warned
    assert len(outputs(nb, "image/png")) == 2  # throughput and packet sizes
    tables = [o["data"]["text/html"] for o in outputs(nb, "text/html")]
    for heading in ("% packets", "packets", "port", "sport", "src2dst_packets"):
        assert any(heading in t for t in tables), heading
    assert any("<progress" in t for t in tables)  # the progress bar, as a cell output
    text = "".join(o.text for o in outputs(nb, "stream") if o.name == "stdout")
    assert "30,000 packets" in text
    assert " flows, " in text and "3 chunks" in text  # read_flows; iter_dataframes of 10,000 rows
