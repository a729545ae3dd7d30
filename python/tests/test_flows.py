"""read_flows / merge_flows: every flow checked against flows built here, in
Python, from the per-packet reference decoder of test_columns (next() and
struct), on generated captures of every link type."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

import capgen  # noqa: E402
import pcapy  # noqa: E402
from testhelpers import T0  # noqa: E402
from test_columns import LINK_CAPTURES, capture, damaged, expected  # noqa: E402

SECOND = 1_000_000_000


def reference_flows(cols: dict, idle: float | None = 120.0, active: float | None = 1800.0,
                    bidirectional: bool = True) -> list[dict]:
    """The documented rules, packet by packet."""
    idle_ns = idle * SECOND if idle else float("inf")
    active_ns = active * SECOND if active else float("inf")
    flows: list[dict] = []
    current: dict[tuple, dict] = {}
    for i, ts in enumerate(cols["ts"]):
        if cols["ip_version"][i] == 0:
            continue
        src = (ipaddress.ip_address(cols["src"][i]).packed, cols["sport"][i])
        dst = (ipaddress.ip_address(cols["dst"][i]).packed, cols["dport"][i])
        ends = tuple(sorted((src, dst))) if bidirectional else (src, dst)
        key = (*ends, cols["proto"][i], cols["ip_version"][i], cols["vlan"][i])
        flow = current.get(key)
        if flow is None or ts - flow["last"] >= idle_ns or ts - flow["first"] >= active_ns:
            flow = dict(src_ip=cols["src"][i], dst_ip=cols["dst"][i], src_port=cols["sport"][i],
                        dst_port=cols["dport"][i], protocol=cols["proto"][i], ip_version=cols["ip_version"][i],
                        vlan_id=cols["vlan"][i], first=ts, last=ts, packets=[0, 0], bytes=[0, 0],
                        payload=[0, 0], flags=[0, 0], _src=src)
            current[key] = flow
            flows.append(flow)
        d = 0 if src == flow["_src"] else 1
        flow["last"] = max(flow["last"], ts)
        flow["packets"][d] += 1
        flow["bytes"][d] += cols["len"][i]
        flow["payload"][d] += max(0, cols["payload_len"][i])
        if cols["tcp_flags"][i] >= 0:
            flow["flags"][d] |= cols["tcp_flags"][i]
    return [_row(f) for f in flows]


def _row(f: dict) -> dict:
    return dict(
        src_ip=f["src_ip"], dst_ip=f["dst_ip"], src_port=f["src_port"], dst_port=f["dst_port"],
        protocol=f["protocol"], ip_version=f["ip_version"], vlan_id=f["vlan_id"], first=f["first"],
        last=f["last"], duration=f["last"] - f["first"], packets=sum(f["packets"]), bytes=sum(f["bytes"]),
        src2dst_packets=f["packets"][0], src2dst_bytes=f["bytes"][0], dst2src_packets=f["packets"][1],
        dst2src_bytes=f["bytes"][1], src2dst_payload_bytes=f["payload"][0], dst2src_payload_bytes=f["payload"][1],
        tcp_flags=f["flags"][0] | f["flags"][1], src2dst_tcp_flags=f["flags"][0], dst2src_tcp_flags=f["flags"][1])


def rows(df: "pd.DataFrame") -> list[dict]:
    """read_flows' DataFrame as reference rows."""
    assert list(df.columns) == pcapy._flows.COLUMNS
    assert str(df["first_seen"].dtype) == "datetime64[ns, UTC]" and df["src_ip"].dtype == df["dst_ip"].dtype
    out = []
    for rec in df.to_dict("records"):
        rec["first"] = rec.pop("first_seen").value
        rec["last"] = rec.pop("last_seen").value
        rec["duration"] = rec["duration"].value
        out.append({k: (int(v) if not isinstance(v, str) else v) for k, v in rec.items()})
    return out


def flows_of(paths: list[Path], **kw) -> list[dict]:
    cols: dict[str, list] = {}
    for p in paths:
        for name, values in expected(p).items():
            cols.setdefault(name, []).extend(values)
    return reference_flows(cols, **kw)


@pytest.mark.parametrize("name", list(LINK_CAPTURES))
def test_flows_of_every_link_type(tmp_path: Path, name: str) -> None:
    linktype, frames = LINK_CAPTURES[name]
    # Each frame twice, so flows have more than one packet.
    path = capture(tmp_path, f"{name}.pcap", frames() + frames(), linktype)
    want = flows_of([path])
    assert want and rows(pcapy.read_flows(path)) == want
    one_way = flows_of([path], bidirectional=False)
    assert rows(pcapy.read_flows(path, bidirectional=False)) == one_way


def test_conversations_timeouts_pcapng_and_nanoseconds(tmp_path: Path) -> None:
    ns = tmp_path / "mix.pcapng"
    capgen.write_sample(ns, n=4000, pcapng=True, nanosecond=True, start_ns=T0)
    us = tmp_path / "mix.pcap"
    capgen.write_sample(us, n=4000, start_ns=T0)
    for path in (ns, us):
        want = flows_of([path])
        got = pcapy.read_flows(path)
        assert rows(got) == want
        assert (got["dst2src_packets"] > 0).any()  # replies counted in their conversation
        # Timeouts of 0.3 ms (the sample's packets are ~10 µs apart) and 5 ms.
        timed = flows_of([path], idle=0.0003, active=0.005)
        assert len(timed) > len(want)
        assert rows(pcapy.read_flows(path, idle_timeout=0.0003, active_timeout=0.005)) == timed
        assert rows(pcapy.read_flows(path, idle_timeout=None, active_timeout=None)) == want


def test_filter_count_and_damage(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=2000)
    cols = expected(path)
    tcp = {k: [v[i] for i in range(2000) if cols["proto"][i] == 6] for k, v in cols.items()}
    assert rows(pcapy.read_flows(path, "tcp")) == reference_flows(tcp)
    assert rows(pcapy.read_flows(path, count=700)) == reference_flows({k: v[:700] for k, v in cols.items()})
    assert len(pcapy.read_flows(path, "port 1")) == 0
    cut = damaged(tmp_path)
    with pytest.raises(pcapy.PcapError, match=r"truncated dump file.*after 321 packets"):
        pcapy.read_flows(cut)
    whole = tmp_path / "whole.pcap"
    capgen.write_sample(whole, n=321)
    with pytest.warns(RuntimeWarning, match="after 321 packets"):
        got = pcapy.read_flows([cut, whole], on_error="warn")
    assert rows(got) == flows_of([whole, whole])


def test_a_flow_spans_go_steps_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = []
    for i, n in enumerate([1500, 0, 7, 900]):
        paths.append(tmp_path / f"part{i}.pcap")
        capgen.write_sample(paths[-1], n=n, start_ns=T0 + i * 20_000_000)
    want = flows_of(paths)
    monkeypatch.setattr(pcapy._flows, "_STEP", 7)
    assert rows(pcapy.read_flows(paths)) == want
    assert any(r["packets"] > 7 for r in want)


def test_merge_flows_of_parts_equals_one_pass(tmp_path: Path) -> None:
    paths = []
    for i, n in enumerate([1200, 5, 0, 1000]):
        paths.append(tmp_path / f"part{i}.pcap")
        capgen.write_sample(paths[-1], n=n, start_ns=T0 + i * 13_000_000)
    for kw in ({}, dict(idle_timeout=0.0003), dict(idle_timeout=0.004), dict(bidirectional=False)):
        whole = pcapy.read_flows(paths, **kw)
        parts = [pcapy.read_flows(p, **kw) for p in paths]
        assert sum(map(len, parts)) > len(whole) or kw.get("idle_timeout") == 0.0003
        merged = pcapy.merge_flows(parts, **kw)
        assert rows(merged) == rows(whole), kw
    assert len(pcapy.merge_flows([])) == 0


def test_reader_source(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    capgen.write_sample(path, n=3000, nanosecond=True, start_ns=T0)
    cols = expected(path)
    reader = pcapy.open_offline(path, precision="ns")
    for _ in range(10):
        reader.next()
    want = reference_flows({k: v[10:] for k, v in cols.items()})
    assert rows(pcapy.read_flows(reader, chunk_rows=500)) == want
    assert reader.next() == (None, b"")


def test_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "s.pcap"
    capgen.write_sample(path, n=5)
    with pytest.raises(ValueError, match="idle_timeout must be positive"):
        pcapy.read_flows(path, idle_timeout=0)
    with pytest.raises(TypeError, match="active_timeout"):
        pcapy.read_flows(path, active_timeout="1")
    with pytest.raises(TypeError, match="bidirectional"):
        pcapy.read_flows(path, bidirectional=1)
    with pytest.raises(TypeError, match="source"):
        pcapy.read_flows(3)
    with pytest.raises(pcapy.PcapError, match="No such file"):
        pcapy.read_flows(tmp_path / "missing.pcap")
    with pytest.raises(pcapy.PcapError, match="syntax error"):
        pcapy.read_flows(path, "tcp and")
    with pytest.raises(TypeError, match="read_flows DataFrames"):
        pcapy.merge_flows([pd.DataFrame({"a": [1]})])
