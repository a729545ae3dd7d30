"""The columns of read_columns and its kin, with their numpy types (native
byte order). Go owns the column spec (gopcapy/column_spec.go); this copy is
checked against it by python/tests/test_column_spec.py, and exists so that
``import pcapy`` need not start Go to know the columns."""

from __future__ import annotations

# "src" and "dst" come from Go as int32 codes into an address table.
DTYPES: dict[str, str] = {
    "ts": "i8",  # nanoseconds since the epoch
    "caplen": "u4",
    "len": "u4",
    "linktype": "u2",
    "eth_type": "i4",
    "vlan": "i2",
    "ip_version": "u1",
    "src": "i4",
    "dst": "i4",
    "proto": "i2",
    "sport": "i4",
    "dport": "i4",
    "tcp_flags": "i2",
    "payload_len": "i4",
}
FIELDS = tuple(DTYPES)
