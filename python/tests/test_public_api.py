"""pcapy's public API is pinned: an accidental change to an exported name, a
method or a parameter fails here. A deliberate change updates PINNED (print
the new value with `python python/tests/test_public_api.py`)."""

from __future__ import annotations

import os
import pprint
import subprocess
import sys
from typing import Any

from api_shape import shape

PINNED: dict[str, Any] = \
{'__all__': ['Address', 'BPFError', 'BPFProgram', 'DLT_ARCNET', 'DLT_ATM_RFC1483', 'DLT_C_HDLC',
             'DLT_EN10MB', 'DLT_FDDI', 'DLT_IEEE802', 'DLT_IEEE802_11', 'DLT_LINUX_SLL', 'DLT_LOOP',
             'DLT_LTALK', 'DLT_NULL', 'DLT_PPP', 'DLT_PPP_ETHER', 'DLT_PPP_SERIAL', 'DLT_RAW', 'DLT_SLIP',
             'Dumper', 'Interface', 'PACKET_FANOUT_CPU', 'PACKET_FANOUT_HASH', 'PACKET_FANOUT_LB',
             'PACKET_FANOUT_RND', 'PACKET_FANOUT_ROLLOVER', 'PCAP_D_IN', 'PCAP_D_INOUT', 'PCAP_D_OUT',
             'PcapError', 'Pkthdr', 'PkthdrNs', 'Reader', 'compile', 'create', 'datalink_description',
             'datalink_name', 'datalink_value', 'findalldevs', 'interfaces', 'iter_columns',
             'iter_dataframes', 'lib_version', 'lookupdev', 'merge_flows', 'open_live', 'open_offline',
             'read_arrow', 'read_columns', 'read_dataframe', 'read_flows', 'to_parquet'],
 'public beyond __all__': [],
 'functions': {'compile': '(linktype, snaplen, filter, optimize, netmask)',
               'create': '(device)',
               'datalink_description': '(linktype)',
               'datalink_name': '(linktype)',
               'datalink_value': '(name)',
               'findalldevs': '()',
               'interfaces': '()',
               'iter_columns': '(source, filter=None, *, fields=None, count=-1, chunk_rows=1048576, '
                               "on_error='raise')",
               'iter_dataframes': '(source, filter=None, *, fields=None, count=-1, chunk_rows=1048576, '
                                  "on_error='raise')",
               'lib_version': '()',
               'lookupdev': '()',
               'merge_flows': '(tables, *, idle_timeout=120.0, active_timeout=1800.0, bidirectional=True)',
               'open_live': '(device, snaplen, promisc, to_ms)',
               'open_offline': "(filename, *, precision='us')",
               'read_arrow': '(source, filter=None, *, fields=None, count=-1, progress=False, '
                             "on_error='raise')",
               'read_columns': '(source, filter=None, *, fields=None, count=-1, progress=False, '
                               "on_error='raise')",
               'read_dataframe': '(source, filter=None, *, fields=None, count=-1, progress=False, '
                                 "on_error='raise')",
               'read_flows': '(source, filter=None, *, idle_timeout=120.0, active_timeout=1800.0, '
                             "bidirectional=True, count=-1, on_error='raise', chunk_rows=1048576)",
               'to_parquet': '(source, out, filter=None, *, fields=None, count=-1, chunk_rows=1048576, '
                             "on_error='raise', compression='zstd')"},
 'classes': {'Reader': {'activate': '(self)',
                        'breakloop': '(self)',
                        'close': '(self)',
                        'datalink': '(self)',
                        'dispatch': '(self, cnt, callback)',
                        'dump_open': '(self, filename)',
                        'filtered_stats': '(self, *args, **kwargs)',
                        'get_tstamp_precision': '(self)',
                        'getfd': '(self)',
                        'getmask': '(self)',
                        'getnet': '(self)',
                        'getnonblock': '(self)',
                        'list_datalinks': '(self)',
                        'loop': '(self, cnt, callback)',
                        'loop_filtered': '(self, *args, **kwargs)',
                        'loop_to_buffer': '(self, *args, **kwargs)',
                        'next': '(self)',
                        'next_batch': '(self, max_n)',
                        'sendpacket': '(self, data)',
                        'set_buffer_size': '(self, buffer_size)',
                        'set_datalink': '(self, linktype)',
                        'set_fanout': '(self, group_id, fanout_type=0)',
                        'set_promisc': '(self, promisc)',
                        'set_rfmon': '(self, rfmon)',
                        'set_snaplen': '(self, snaplen)',
                        'set_timeout': '(self, to_ms)',
                        'set_tstamp_precision': '(self, precision)',
                        'set_tstamp_type': '(self, name)',
                        'setdirection': '(self, direction)',
                        'setfilter': '(self, filter)',
                        'setnonblock': '(self, state)',
                        'stats': '(self)',
                        'tstamp_types': '(self)'},
             'Pkthdr': {'getcaplen': '(self)', 'getlen': '(self)', 'getts': '(self)', 'getts_ns': '(self)'},
             'Dumper': {'close': '(self)', 'dump': '(self, header, data)', 'flush': '(self)'},
             'BPFProgram': {'filter': '(self, packet)', 'get_bpf': '(self)'}},
 'dask.__all__': ['DEFAULT_CHUNK_BYTES', 'read_flows', 'read_pcaps'],
 'dask': {'read_flows': '(paths, filter=None, *, chunk_bytes=134217728, idle_timeout=120.0, '
                        "active_timeout=1800.0, bidirectional=True, on_error='raise', "
                        'storage_options=None, compute=False)',
          'read_pcaps': "(paths, filter=None, *, fields=None, chunk_bytes=134217728, on_error='raise', "
                        'index=None, storage_options=None)'}}


def current() -> dict[str, Any]:
    import pcapy
    import pcapy.dask

    return shape(pcapy, pcapy.dask)


def test_public_api_is_unchanged() -> None:
    now = current()
    for part in PINNED:
        assert now[part] == PINNED[part], f"pcapy's public API changed: {part}"
    assert now.keys() == PINNED.keys()


def test_public_api_pin_is_what_a_fresh_import_gives() -> None:
    # In a new interpreter: other tests' imports (pcapy.dask, lazy names) add nothing.
    code = "import sys; sys.path.insert(0, sys.argv[1]); import test_public_api as t; print(t.current() == t.PINNED)"
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr


def test_public_api_is_the_same_once_go_loaded() -> None:
    # The C part replaces Reader.next when Go loads: the API must not change with it.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_public_api as t, pcapy; "
            "before = t.current(); pcapy.lib_version(); print(before == t.current() == t.PINNED)")
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr


if __name__ == "__main__":
    pprint.pprint(current(), width=108, sort_dicts=False, compact=True)
