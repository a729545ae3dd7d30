"""Bad capture files and bad arguments: clear errors of the right type."""

from __future__ import annotations

from pathlib import Path

import pytest

import capgen
import pcapy
from testhelpers import frames, packets


def test_missing_file_message(tmp_path: Path) -> None:
    path = tmp_path / "nope.pcap"
    with pytest.raises(pcapy.PcapError) as err:
        pcapy.open_offline(str(path))
    assert str(err.value) == f"{path}: No such file or directory"


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(pcapy.PcapError, match="Is a directory"):
        pcapy.open_offline(str(tmp_path))


def test_bad_magic_is_unknown_file_format(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcap"
    capgen.write_bad_magic(path)
    with pytest.raises(pcapy.PcapError) as err:
        pcapy.open_offline(str(path))
    assert str(err.value) == "unknown file format"


@pytest.mark.parametrize("size, message", [
    (0, "truncated dump file; tried to read 4 file header bytes, only got 0"),
    (10, "truncated dump file; tried to read 24 file header bytes, only got 6"),
])
def test_truncated_header(tmp_path: Path, size: int, message: str) -> None:
    good = tmp_path / "good.pcap"
    capgen.write_pcap(good, packets())
    path = tmp_path / "short.pcap"
    path.write_bytes(good.read_bytes()[:size])
    with pytest.raises(pcapy.PcapError) as err:
        pcapy.open_offline(str(path))
    assert str(err.value) == message


@pytest.fixture
def cut_pcap(tmp_path: Path) -> Path:
    """A capture whose last packet is cut short by 7 bytes."""
    path = tmp_path / "cut.pcap"
    capgen.write_pcap(path, packets())
    capgen.truncate_file(path, 7)
    return path


def test_damaged_file_delivers_packets_then_error_then_eof(cut_pcap: Path) -> None:
    reader = pcapy.open_offline(str(cut_pcap))
    got = []
    with pytest.raises(pcapy.PcapError, match=r"^truncated dump file; tried to read \d+ captured bytes, only got \d+$"):
        while True:
            hdr, data = reader.next()
            assert hdr is not None, "reached EOF without the error"
            got.append(data)
    assert got == frames()[:-1]
    assert reader.next() == (None, b"")
    assert reader.next() == (None, b"")


@pytest.mark.parametrize("method", ["loop", "dispatch"])
def test_damaged_file_loop_and_dispatch_deliver_then_raise(cut_pcap: Path, method: str) -> None:
    reader = pcapy.open_offline(str(cut_pcap))
    got = []
    with pytest.raises(pcapy.PcapError, match="truncated dump file"):
        getattr(reader, method)(-1, lambda hdr, data: got.append(data))
    assert got == frames()[:-1]


def test_garbage_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    for i in range(50):
        path = tmp_path / f"g{i}.pcap"
        good = tmp_path / "good.pcap"
        capgen.write_pcap(good, packets())
        raw = bytearray(good.read_bytes())
        for _ in range(20):  # corrupt record headers and data at random
            raw[rng.randrange(24, len(raw))] = rng.randrange(256)
        path.write_bytes(bytes(raw))
        try:
            reader = pcapy.open_offline(str(path))
            for _ in range(1000):
                if reader.next()[0] is None:
                    break
        except pcapy.PcapError:
            pass


@pytest.mark.parametrize("bad", [b"/tmp/x.pcap", 1, 1.5, None])
def test_open_offline_rejects_non_str(bad: object) -> None:
    with pytest.raises(TypeError):
        pcapy.open_offline(bad)  # type: ignore[arg-type]


def test_open_offline_rejects_nul(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        pcapy.open_offline(str(tmp_path) + "/a\0b")


@pytest.mark.parametrize("call", [
    lambda r: r.loop(1.5, print),
    lambda r: r.dispatch("1", print),
    lambda r: r.setfilter(b"tcp"),
    lambda r: r.setfilter(None),
    lambda r: r.next_batch(1.5),
    lambda r: r.setnonblock("yes"),
    lambda r: r.dump_open(b"x"),
    lambda r: r.dump_open(None),
])
def test_reader_methods_reject_wrong_types(eth_pcap: Path, call) -> None:
    with pytest.raises(TypeError):
        call(pcapy.open_offline(str(eth_pcap)))


def test_non_callable_callback_is_type_error(eth_pcap: Path) -> None:
    with pytest.raises(TypeError):
        pcapy.open_offline(str(eth_pcap)).loop(-1, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("call, message", [
    (lambda r: r.stats(), "Statistics aren't available from savefiles"),
    (lambda r: r.setnonblock(1), "Savefiles cannot be put into non-blocking mode"),
    (lambda r: r.sendpacket(b"\0" * 60), "Sending packets isn't supported on savefiles"),
    (lambda r: r.setdirection(pcapy.PCAP_D_IN), "Failed setting direction"),
])
def test_live_only_methods_on_a_file(eth_pcap: Path, call, message: str) -> None:
    with pytest.raises(pcapy.PcapError) as err:
        call(pcapy.open_offline(str(eth_pcap)))
    assert str(err.value) == message


def test_file_settings_return_already_activated(eth_pcap: Path) -> None:
    reader = pcapy.open_offline(str(eth_pcap))
    assert reader.getnonblock() == 0
    assert [reader.set_snaplen(100), reader.set_promisc(1), reader.set_timeout(10),
            reader.set_buffer_size(1 << 20), reader.set_rfmon(0), reader.activate()] == [-4] * 6
