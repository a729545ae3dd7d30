"""read_flows and merge_flows: 5-tuple flows computed in Go while reading.

Go decodes each packet and counts it in its flow (gopcapy/flows.go): no
per-packet Python and no per-packet column, so memory is bounded by the
flow table. numpy and pandas are imported only when these are called.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

from ._chunks import CHUNK_ROWS, column_jobs, check_args
from ._columns import Source, _need, _paths
from ._core import call, go
from ._errors import PcapError
from ._reader import Reader

if TYPE_CHECKING:  # pragma: no cover
    import pandas

# NFStream's defaults, in seconds.
IDLE_TIMEOUT = 120.0
ACTIVE_TIMEOUT = 1800.0

# The columns Go exports (gopcapy/pybridge/flows.go), with their numpy types.
_GO_COLUMNS = {
    "src": "i4", "dst": "i4", "src_port": "i4", "dst_port": "i4", "protocol": "i2",
    "ip_version": "u1", "vlan_id": "i2", "first": "i8", "last": "i8",
    "src2dst_packets": "u8", "dst2src_packets": "u8", "src2dst_bytes": "u8", "dst2src_bytes": "u8",
    "src2dst_payload_bytes": "u8", "dst2src_payload_bytes": "u8",
    "src2dst_tcp_flags": "u1", "dst2src_tcp_flags": "u1",
}
# The 5-tuple (and VLAN) that identifies a flow.
KEY = ["src_ip", "dst_ip", "src_port", "dst_port", "protocol", "ip_version", "vlan_id"]
# Per-direction counters: src2dst_X and dst2src_X.
_DIRECTED = ["packets", "bytes", "payload_bytes", "tcp_flags"]
# The columns of read_flows' DataFrame, in order.
COLUMNS = KEY + [
    "first_seen", "last_seen", "duration", "packets", "bytes",
    "src2dst_packets", "src2dst_bytes", "dst2src_packets", "dst2src_bytes",
    "src2dst_payload_bytes", "dst2src_payload_bytes",
    "tcp_flags", "src2dst_tcp_flags", "dst2src_tcp_flags",
]
# The packet columns flows are made of (gopcapy.FlowColumns).
FLOW_FIELDS = ("ts", "len", "vlan", "ip_version", "src", "dst", "proto", "sport", "dport", "tcp_flags",
               "payload_len")
# Packets per Go call: Ctrl-C is seen between calls.
_STEP = 1 << 18


def read_flows(
    source: Source,
    filter: Optional[str] = None,  # noqa: A002 (pcapy's name for it)
    *,
    idle_timeout: Optional[float] = IDLE_TIMEOUT,
    active_timeout: Optional[float] = ACTIVE_TIMEOUT,
    bidirectional: bool = True,
    count: int = -1,
    on_error: str = "raise",
    chunk_rows: int = CHUNK_ROWS,
) -> "pandas.DataFrame":
    """Aggregate a capture's IP packets into flows, in Go while reading: a
    pandas DataFrame, one row per flow, in the order of the flows' first packets.

    Args:
        source: a capture file's path, a list of paths (read one after the
            other as one capture: a flow may span files), or an open Reader
            (its packets not yet returned; see read_columns).
        filter: a BPF filter: only matching packets are counted.
        idle_timeout: seconds; a packet coming this long or longer after its
            flow's last packet starts a new flow (None: never).
        active_timeout: seconds; a packet coming this long or longer after
            its flow's first packet starts a new flow (None: never).
        bidirectional: both directions of a conversation make one flow (its
            src is the endpoint that sent the first packet); False: one flow
            per direction (the dst2src columns are 0).
        count: read at most this many packets (0 or less: all).
        on_error: ``"raise"`` (PcapError) or ``"warn"`` (count the packets
            before the damage, RuntimeWarning) for a capture damaged midway.
        chunk_rows: packets per Go step when reading from a Reader.

    Flows: only IP packets with a complete IP header count. The key is
    (src_ip, dst_ip, src_port, dst_port, protocol, ip_version, vlan_id);
    ports are -1 for protocols without ports and for IP fragments after the
    first; vlan_id is the outermost 802.1Q tag, -1 without. Time runs in
    file order (a packet stamped earlier than its flow's last packet joins
    the flow).

    Columns: the key; first_seen, last_seen (datetime64[ns, UTC]) and
    duration (timedelta64[ns]); packets and bytes in all and per direction
    (src2dst_*, dst2src_*); bytes are wire lengths (link layer, NFStream's
    default accounting); *_payload_bytes are the TCP/UDP payload (the IP
    payload of other protocols) from the headers' length fields; tcp_flags
    is the OR of the flags bytes of the flow's TCP packets (0 otherwise).
    src_ip and dst_ip are categoricals sharing one set of categories.

    Flow tables of consecutive parts of a capture combine with merge_flows.

    Compared with NFStream (same timeouts, ``statistical_analysis=False``):
    the same flows, packets and bytes on ordinary traffic (bench/analysis_stream.py
    checks it flow by flow). Differences: NFStream has 0 where ports or a VLAN
    are absent (here -1), keeps times in milliseconds (here nanoseconds, so
    timeouts compare exact gaps rather than whole milliseconds), decapsulates
    tunnels (GTP, CAPWAP, TZSP: ``tunnel_id``) where read_flows counts the
    outer packet, and may expire idle flows at its periodic scans (every 10 ms
    of capture time); it also gives MACs and, optionally, application names.
    """
    np = _need("numpy", "read_flows")
    pd = _need("pandas", "read_flows")
    names, count = check_args(filter, None, count, chunk_rows, on_error)
    idle, active = _timeout_ns(idle_timeout, "idle_timeout"), _timeout_ns(active_timeout, "active_timeout")
    if not isinstance(bidirectional, bool):
        raise TypeError(f"bidirectional must be a bool, not {type(bidirectional).__name__}")
    if isinstance(source, Reader):
        jobs = column_jobs(source, filter, list(FLOW_FIELDS), count, chunk_rows, on_error)
        return flows_of_column_jobs(jobs, idle, active, bidirectional)
    table = call(go.pybridge_FlowsNew, idle, active, bidirectional)
    try:
        _flows_from_files(table, _paths(source), filter, count, on_error)
        return _export(np, pd, table)
    finally:
        call(go.pybridge_FlowsFree, table)


def flows_of_column_jobs(jobs: Iterable[int], idle_ns: int, active_ns: int,
                         bidirectional: bool) -> "pandas.DataFrame":
    """read_flows' table of the packets of Go column jobs (each keeping
    FLOW_FIELDS, in packet order), freeing each job: the way to flows of
    packets read some other way (a Reader, a byte range of a file for
    pcapy.dask). Timeouts in nanoseconds, 0 for none."""
    np = _need("numpy", "read_flows")
    pd = _need("pandas", "read_flows")
    table = call(go.pybridge_FlowsNew, idle_ns, active_ns, bidirectional)
    try:
        for job in jobs:
            try:
                call(go.pybridge_FlowsFromColumns, table, job)
            finally:
                call(go.pybridge_ColumnsFree, job)
        return _export(np, pd, table)
    finally:
        call(go.pybridge_FlowsFree, table)


def _timeout_ns(value: Optional[float], name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, not {type(value).__name__}")
    if math.isnan(value) or value <= 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    if math.isinf(value):
        return 0
    return max(1, round(value * 1e9))


def _flows_from_files(table: int, paths: list[str], filter: Optional[str], count: int,  # noqa: A002
                      on_error: str) -> None:
    if not paths:
        return
    stream = call(go.pybridge_StreamOpen, "\n".join(paths), filter or "", count)
    try:
        while call(go.pybridge_FlowsFromStream, table, stream, _STEP) >= 0:
            pass
    finally:
        call(go.pybridge_StreamClose, stream)
    damage = call(go.pybridge_FlowsDamage, table)
    for message in damage.split("\n") if damage else []:
        if on_error == "raise":
            raise PcapError(message)
        warnings.warn(f"{message}; the packets read before it were counted", RuntimeWarning, stacklevel=3)


def _export(np: Any, pd: Any, table: int) -> "pandas.DataFrame":
    rows = call(go.pybridge_FlowsRows, table)
    text = call(go.pybridge_FlowsAddresses, table)
    cols = {}
    for name, dtype in _GO_COLUMNS.items():
        arr = np.empty(rows, dtype=dtype)
        if rows:
            call(go.pybridge_FlowsExport, table, name, arr.ctypes.data, arr.nbytes)
        cols[name] = arr
    return _frame(np, pd, cols, text.split("\n") if text else [])


def _frame(np: Any, pd: Any, cols: dict[str, Any], addresses: list[str]) -> "pandas.DataFrame":
    """read_flows' DataFrame from columns: src/dst as codes into addresses,
    first/last in int64 nanoseconds."""
    categories = pd.CategoricalDtype(pd.Index(addresses, dtype=object))
    first, last = cols["first"], cols["last"]
    data = {
        "src_ip": pd.Categorical.from_codes(cols["src"], dtype=categories),
        "dst_ip": pd.Categorical.from_codes(cols["dst"], dtype=categories),
        "src_port": cols["src_port"], "dst_port": cols["dst_port"], "protocol": cols["protocol"],
        "ip_version": cols["ip_version"], "vlan_id": cols["vlan_id"],
        "first_seen": pd.DatetimeIndex(first.view("M8[ns]")).tz_localize("UTC"),
        "last_seen": pd.DatetimeIndex(last.view("M8[ns]")).tz_localize("UTC"),
        "duration": (last - first).view("m8[ns]"),
        "packets": cols["src2dst_packets"] + cols["dst2src_packets"],
        "bytes": cols["src2dst_bytes"] + cols["dst2src_bytes"],
    }
    for direction in ("src2dst", "dst2src"):
        for what in ("packets", "bytes", "payload_bytes"):
            data[f"{direction}_{what}"] = cols[f"{direction}_{what}"]
    data["tcp_flags"] = cols["src2dst_tcp_flags"] | cols["dst2src_tcp_flags"]
    data["src2dst_tcp_flags"] = cols["src2dst_tcp_flags"]
    data["dst2src_tcp_flags"] = cols["dst2src_tcp_flags"]
    return pd.DataFrame(data, columns=COLUMNS, copy=False)


def merge_flows(
    tables: Sequence["pandas.DataFrame"],
    *,
    idle_timeout: Optional[float] = IDLE_TIMEOUT,
    active_timeout: Optional[float] = ACTIVE_TIMEOUT,
    bidirectional: bool = True,
) -> "pandas.DataFrame":
    """Combine the read_flows tables of consecutive parts of one capture
    (in capture order, read with the same timeouts) into the table of the
    whole: a flow crossing a part boundary becomes one flow.

    The rule: a flow of a part is joined to the flow of the same key (either
    direction when ``bidirectional``) that was open at the end of the
    previous parts when its first packet came less than ``idle_timeout``
    after that flow's last packet and less than ``active_timeout`` after
    that flow's first packet, exactly as one read_flows over the whole
    capture decides for that packet. The result then equals read_flows over
    the whole capture, except for a flow that crosses a boundary and is later
    cut by the active timeout: the part after the boundary started its
    active-timeout clock at its own first packet, so the joined flow can last
    up to twice ``active_timeout`` and the cut falls later than in one pass
    (packets and bytes in all are the same). Rows stay in the order of their
    first packets.
    """
    np = _need("numpy", "merge_flows")
    pd = _need("pandas", "merge_flows")
    idle = _timeout_ns(idle_timeout, "idle_timeout") or np.iinfo("i8").max
    active = _timeout_ns(active_timeout, "active_timeout") or np.iinfo("i8").max
    tables = list(tables)
    for t in tables:
        if not isinstance(t, pd.DataFrame) or list(t.columns) != COLUMNS:
            raise TypeError("merge_flows takes a list of read_flows DataFrames")
    if not tables:
        return pd.DataFrame({name: [] for name in COLUMNS})
    df = pd.concat([t.assign(_part=i) for i, t in enumerate(tables)], ignore_index=True)
    n = len(df)
    src = df["src_ip"].astype(object).to_numpy()
    dst = df["dst_ip"].astype(object).to_numpy()
    sport, dport = df["src_port"].to_numpy(), df["dst_port"].to_numpy()
    first = _ns(df["first_seen"])
    last = _ns(df["last_seen"])
    part = df["_part"].to_numpy()
    # Each row's key with its endpoints in a canonical order.
    swap = np.zeros(n, dtype=bool)
    if bidirectional:
        swap = (src > dst) | ((src == dst) & (sport > dport))
    a, b = np.where(swap, dst, src), np.where(swap, src, dst)
    ap, bp = np.where(swap, dport, sport), np.where(swap, sport, dport)
    key = pd.DataFrame({"a": a, "b": b, "ap": ap, "bp": bp, "p": df["protocol"].to_numpy(),
                        "v": df["ip_version"].to_numpy(), "vl": df["vlan_id"].to_numpy()})
    group_id = key.groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
    order = np.lexsort((np.arange(n), first, group_id))
    # Joins: the next row of the same key in a later part, close enough.
    same = np.zeros(n, dtype=bool)
    same[1:] = (group_id[order][1:] == group_id[order][:-1]) & (part[order][1:] != part[order][:-1])
    f, la = first[order], last[order]
    candidates = np.flatnonzero(same & (f - np.concatenate(([0], la[:-1])) < idle))
    join = np.zeros(n, dtype=bool)
    start_first: dict[int, int] = {}
    for i in candidates:  # few: flows open at a part boundary
        begun = start_first.get(i - 1, f[i - 1])
        if f[i] - begun < active:
            join[i] = True
            start_first[i] = begun
    starts = np.flatnonzero(~join)
    rows = df.iloc[order].reset_index(drop=True)
    # Orient each row like the first row of its merged flow.
    lead = np.repeat(starts, np.diff(np.append(starts, n)))
    flip = swap[order] != swap[order][lead] if bidirectional else np.zeros(n, dtype=bool)
    out = rows.iloc[starts].reset_index(drop=True)
    last_ns = np.maximum.reduceat(_ns(rows["last_seen"]), starts)
    out["last_seen"] = pd.DatetimeIndex(last_ns.view("M8[ns]")).tz_localize("UTC")
    out["duration"] = (last_ns - _ns(out["first_seen"])).view("m8[ns]")
    for what in _DIRECTED:
        s2d, d2s = rows[f"src2dst_{what}"].to_numpy(), rows[f"dst2src_{what}"].to_numpy()
        fwd, rev = np.where(flip, d2s, s2d), np.where(flip, s2d, d2s)
        reduce = np.bitwise_or if what == "tcp_flags" else np.add
        out[f"src2dst_{what}"] = reduce.reduceat(fwd, starts)
        out[f"dst2src_{what}"] = reduce.reduceat(rev, starts)
    out["packets"] = out["src2dst_packets"] + out["dst2src_packets"]
    out["bytes"] = out["src2dst_bytes"] + out["dst2src_bytes"]
    out["tcp_flags"] = out["src2dst_tcp_flags"] | out["dst2src_tcp_flags"]
    # In the order of the merged flows' first packets: the order of their
    # first rows in the concatenated tables.
    out = out.iloc[np.argsort(order[starts], kind="stable")].reset_index(drop=True)
    addresses = pd.unique(np.concatenate([out["src_ip"].astype(object).to_numpy(),
                                          out["dst_ip"].astype(object).to_numpy()]))
    categories = pd.CategoricalDtype(pd.Index(addresses, dtype=object))
    out["src_ip"] = pd.Categorical(out["src_ip"].astype(object), dtype=categories)
    out["dst_ip"] = pd.Categorical(out["dst_ip"].astype(object), dtype=categories)
    return out[COLUMNS]


def _ns(col: Any) -> Any:
    """int64 nanoseconds of a datetime column."""
    return col.to_numpy(dtype="datetime64[ns]").view("i8") if hasattr(col, "to_numpy") else col


__all__ = ["read_flows", "merge_flows", "flows_of_column_jobs", "COLUMNS", "KEY", "FLOW_FIELDS"]
