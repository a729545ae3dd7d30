"""Shared fixtures: captures generated per test with capgen (stdlib only), and
the markers live/root put on tests using the plugin's live fixtures. Shared
helpers (paths, frames, packets) are in testhelpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import capgen
from testhelpers import PINGS, PLUGIN_INSTALLED, packets

pytest_plugins = ["pytester"] + ([] if PLUGIN_INSTALLED else ["pcapy.pytest_plugin"])

# The plugin's fixtures that capture live, on a veth pair between network
# namespaces the test makes (root) or on any device (pcap_capture: root too).
LIVE_FIXTURES = {"veth_pair", "pcap_capture"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test using a live fixture `live` and `root`, so
    `pytest -m "not live"` leaves them out."""
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)
            item.add_marker(pytest.mark.root)


@pytest.fixture
def eth_pcap(tmp_path: Path) -> Path:
    path = tmp_path / "eth.pcap"
    capgen.write_pcap(path, packets())
    return path


@pytest.fixture
def ns_pcap(tmp_path: Path) -> Path:
    path = tmp_path / "eth-ns.pcap"
    capgen.write_pcap(path, packets(), nanosecond=True)
    return path


@pytest.fixture
def pings() -> Path:
    if not PINGS.exists():
        pytest.skip(f"{PINGS} is not present (it lives in ../shared/data only)")
    return PINGS
