"""Pkthdr, module surface, closed readers, context managers."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import pcapy


def test_pkthdr_accessors_and_value_semantics() -> None:
    hdr = pcapy.Pkthdr(10, 20, 30, 40)
    assert (hdr.getts(), hdr.getcaplen(), hdr.getlen(), hdr.getts_ns()) == ((10, 20), 30, 40, 10_000_020_000)
    assert hdr == pcapy.Pkthdr(10, 20, 30, 40)
    assert pickle.loads(pickle.dumps(hdr)) == hdr
    assert "usec=20" in repr(hdr)


@pytest.mark.parametrize("args, exc", [
    ((1.0, 0, 0, 0), TypeError),
    (("1", 0, 0, 0), TypeError),
    ((0, 1_000_000, 0, 0), ValueError),
    ((0, 0, -1, 0), ValueError),
    ((0, 0, 0, 2**32), ValueError),
])
def test_pkthdr_rejects_bad_values(args: tuple, exc: type) -> None:
    with pytest.raises(exc):
        pcapy.Pkthdr(*args)


def test_constants() -> None:
    expected = {
        "DLT_NULL": 0, "DLT_EN10MB": 1, "DLT_IEEE802": 6, "DLT_ARCNET": 7, "DLT_SLIP": 8,
        "DLT_PPP": 9, "DLT_FDDI": 10, "DLT_ATM_RFC1483": 11, "DLT_RAW": 12,
        "DLT_PPP_SERIAL": 50, "DLT_PPP_ETHER": 51, "DLT_C_HDLC": 104, "DLT_IEEE802_11": 105,
        "DLT_LOOP": 108, "DLT_LINUX_SLL": 113, "DLT_LTALK": 114,
        "PCAP_D_INOUT": 0, "PCAP_D_IN": 1, "PCAP_D_OUT": 2,
        "PACKET_FANOUT_HASH": 0, "PACKET_FANOUT_LB": 1, "PACKET_FANOUT_CPU": 2,
        "PACKET_FANOUT_ROLLOVER": 3, "PACKET_FANOUT_RND": 4,
    }
    assert {name: getattr(pcapy, name) for name in expected} == expected
    assert set(expected) <= set(pcapy.__all__)


def test_every_public_name_is_documented() -> None:
    for name in pcapy.__all__:
        obj = getattr(pcapy, name)
        if not isinstance(obj, int):
            assert obj.__doc__, name
    for cls in (pcapy.Reader, pcapy.Dumper, pcapy.BPFProgram, pcapy.Pkthdr):
        for attr, member in vars(cls).items():
            if callable(member) and not attr.startswith("_"):
                assert member.__doc__, f"{cls.__name__}.{attr}"


def test_import_does_not_pull_heavy_modules() -> None:
    import subprocess
    import sys

    code = "import sys, pcapy; print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


CLOSED_CALLS = {
    "next": lambda r: r.next(),
    "loop": lambda r: r.loop(1, print),
    "dispatch": lambda r: r.dispatch(1, print),
    "setfilter": lambda r: r.setfilter("tcp"),
    "getnet": lambda r: r.getnet(),
    "getmask": lambda r: r.getmask(),
    "datalink": lambda r: r.datalink(),
    "getnonblock": lambda r: r.getnonblock(),
    "setnonblock": lambda r: r.setnonblock(0),
    "stats": lambda r: r.stats(),
    "dump_open": lambda r: r.dump_open("/nonexistent/x"),
    "next_batch": lambda r: r.next_batch(1),
    "getfd": lambda r: r.getfd(),
    "sendpacket": lambda r: r.sendpacket(b"x"),
    "setdirection": lambda r: r.setdirection(0),
    "set_fanout": lambda r: r.set_fanout(1),
    "activate": lambda r: r.activate(),
    "set_snaplen": lambda r: r.set_snaplen(1),
    "iter": lambda r: next(iter(r)),
    "enter": lambda r: r.__enter__(),
}


@pytest.mark.parametrize("name", sorted(CLOSED_CALLS))
def test_every_method_after_close_is_value_error(eth_pcap: Path, name: str) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    reader.next()
    reader.close()
    reader.close()  # idempotent
    with pytest.raises(ValueError, match="^pcap is closed$"):
        CLOSED_CALLS[name](reader)


def test_context_manager_closes_and_does_not_swallow(eth_pcap: Path) -> None:
    with pytest.raises(KeyError):
        with pcapy.open_offline(str(eth_pcap)) as reader:
            assert reader.next()[0] is not None
            raise KeyError("inside")
    with pytest.raises(ValueError):
        reader.next()


def test_many_readers_open_and_close(eth_pcap: Path) -> None:
    for _ in range(500):
        with pcapy.open_offline(str(eth_pcap)) as reader:
            reader.next()
    import gc

    for _ in range(200):  # readers dropped without close() are closed on collection
        pcapy.open_offline(str(eth_pcap)).next()
    gc.collect()
