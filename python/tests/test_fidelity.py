"""Details real programs notice: class modules in tracebacks, the order of
findalldevs(), pcapy-ng's TypeError wording (the differential test compares
every call's; these pin a few by value)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pcapy._netns import VethPair
import pcapy

PUBLIC_CLASSES = ["Address", "BPFError", "BPFProgram", "Dumper", "Interface", "PcapError",
                  "Pkthdr", "PkthdrNs", "Reader"]


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_public_classes_report_the_pcapy_module(name: str) -> None:
    cls = getattr(pcapy, name)
    assert cls.__module__ == "pcapy"
    assert repr(cls) == f"<class 'pcapy.{name}'>"


def test_tracebacks_name_pcapy_pcaperror() -> None:
    code = "import pcapy; pcapy.open_offline('/nonexistent/x.pcap')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stderr.splitlines()[-1] == "pcapy.PcapError: /nonexistent/x.pcap: No such file or directory"


@pytest.mark.parametrize("call, message", [
    (lambda: pcapy.open_offline([1]), "argument 1 must be str, not list"),
    (lambda: pcapy.open_offline(), "function takes exactly 1 argument (0 given)"),
    (lambda: pcapy.create(b"lo"), "pcap_create() argument 1 must be str, not bytes"),
    (lambda: pcapy.compile(1, 1, "tcp"), "compile() takes exactly 5 arguments (3 given)"),
    (lambda: pcapy.BPFProgram(None), "argument 1 must be str, not None"),
])
def test_type_errors_read_like_pcapy_ngs(call, message: str) -> None:
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == message
    assert info.value.__context__ is None  # no "during handling of ..." in tracebacks


def test_int_arguments_out_of_c_range_raise_overflowerror(tmp_path) -> None:
    import capgen

    path = tmp_path / "one.pcap"
    capgen.write_sample(path, 3)
    with pcapy.open_offline(str(path)) as r:
        with pytest.raises(OverflowError, match="signed integer is greater than maximum"):
            r.loop(2**31, print)
        assert r.next()[0] is not None  # nothing was read by the refused call


def test_a_type_error_from_a_callback_keeps_its_own_message(tmp_path) -> None:
    import capgen

    path = tmp_path / "one.pcap"
    capgen.write_sample(path, 3)

    def callback(hdr, data):
        raise TypeError("mine")

    with pcapy.open_offline(str(path)) as r, pytest.raises(TypeError, match="^mine$"):
        r.loop(-1, callback)


# ------------------------------------------------------------- findalldevs


def _version() -> tuple[int, int]:
    found = re.search(r"libpcap version (\d+)\.(\d+)", pcapy.lib_version())
    assert found, pcapy.lib_version()
    return int(found[1]), int(found[2])


def merit(device: pcapy.Interface, version: tuple[int, int]) -> int:
    """libpcap's figure of merit: findalldevs() lists devices by it, lowest
    first, keeping the system's order among equals (README: findalldevs order)."""
    up, running, loopback, wireless, status = 2, 4, 1, 8, 0x30
    n = 0
    if version < (1, 10):  # 1.9: the number ending the name ranks equals; "any" last of them
        digits = re.search(r"(\d+)$", device.name)
        n = 0x1FFFFFFF if device.name == "any" else int(digits[1]) + 1 if digits else 0
    n |= 0x80000000 if not device.flags & running else 0
    n |= 0x40000000 if not device.flags & up else 0
    n |= 0x20000000 if not device.flags & wireless and device.flags & status == 0x20 else 0
    n |= 0x10000000 if device.flags & loopback else 0
    if version >= (1, 10) and device.name == "any":
        n |= 0x08000000
    return n


def test_findalldevs_lists_devices_in_libpcaps_order() -> None:
    devices = pcapy.interfaces()
    names = pcapy.findalldevs()
    assert names == [d.name for d in devices]
    merits = [merit(d, _version()) for d in devices]
    assert merits == sorted(merits), list(zip(names, map(hex, merits)))
    assert pcapy.findalldevs() == names  # stable from call to call
    assert pcapy.lookupdev() == names[0]


def test_findalldevs_puts_a_running_interface_before_any_and_loopback(veth_pair: VethPair) -> None:
    with veth_pair.a.inside():
        names = pcapy.findalldevs()
    ranked = [n for n in names if n in (veth_pair.a.dev, "any", "lo")]
    if _version() >= (1, 10):
        assert ranked == [veth_pair.a.dev, "any", "lo"]
    else:  # libpcap 1.9 (pcapy-ng's PyPI wheels): loopback before "any"
        assert ranked == [veth_pair.a.dev, "lo", "any"]
