"""examples/03_sniff.py and examples/04_send.py, run inside the test namespaces:
what the sender sends, the sniffer prints and counts."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest

import netns
import pcapy
from conftest import REPO
from netns import Link

link = pytest.fixture(netns.link_fixture, name="link")

SNIFF = str(REPO / "examples" / "03_sniff.py")
SEND = str(REPO / "examples" / "04_send.py")


def mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def start_sniffer(link: Link, *args: str) -> tuple[subprocess.Popen, str]:
    """The sniffer running in namespace a, once it listens, and its banner."""
    child = subprocess.Popen(link.exec_a(sys.executable, SNIFF, *args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    banner = child.stderr.readline()
    assert banner.startswith("listening on "), banner + child.stderr.read()
    return child, banner


def send(link: Link, *args: str) -> str:
    out = subprocess.run(link.exec_b(sys.executable, SEND, link.dev_b, *args),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_sniffer_prints_each_frame_the_sender_sends_and_a_summary_on_ctrl_c(link: Link) -> None:
    sniffer, banner = start_sniffer(link, link.dev_a, "ether proto 0x88b5")
    assert banner == f"listening on {link.dev_a}, link-type 1, filter 'ether proto 0x88b5' (Ctrl-C to stop)\n"
    try:
        sent = send(link, "--count", "25", "--size", "100", "--dst", mac(link.mac_a))
        assert sent.startswith(f"sent 25 frames of 100 bytes on {link.dev_b}")
        # Wait for the 25 lines, then Ctrl-C.
        lines = [sniffer.stdout.readline() for _ in range(25)]
        sniffer.send_signal(signal.SIGINT)
        out, err = sniffer.communicate(timeout=10)
    finally:
        sniffer.kill()
    assert sniffer.returncode == 0, err
    flow = f"{mac(link.mac_b)} > {mac(link.mac_a)}"
    assert all(re.fullmatch(rf"\d\d:\d\d:\d\d\.\d{{6}} ether 0x88b5 +{flow} length 100\n", line)
               for line in lines), lines
    assert out.startswith("25 packets captured (2500 bytes)\n"
                          "25 received by filter, 0 dropped by kernel, 0 dropped by interface\n")
    assert "ether 0x88b5        25" in out


def test_sniffer_defaults_to_the_first_device_and_stops_after_count(link: Link) -> None:
    with link.inside_a():
        assert pcapy.lookupdev() == link.dev_a
    sniffer, banner = start_sniffer(link, "--count", "3", "--quiet")
    assert banner.startswith(f"listening on {link.dev_a}, link-type 1 ")
    try:
        send(link, "--count", "5", "--dst", mac(link.mac_a))
        out, err = sniffer.communicate(timeout=10)
    finally:
        sniffer.kill()
    assert sniffer.returncode == 0, err
    assert out.startswith("3 packets captured (180 bytes)\n")


def test_sniffer_decodes_udp_between_the_namespaces(link: Link) -> None:
    sniffer, _ = start_sniffer(link, link.dev_a, "udp", "--count", "1")
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"s.bind(('{link.ip_b}', 5555)); s.sendto(b'hello', ('{link.ip_a}', 7777))")
    try:
        subprocess.run(link.exec_b(sys.executable, "-c", code), check=True, timeout=30)
        out, err = sniffer.communicate(timeout=10)
    finally:
        sniffer.kill()
    assert re.search(rf"UDP +{link.ip_b}:5555 > {link.ip_a}:7777 length 47\n", out), out + err


def test_examples_report_bad_input(link: Link) -> None:
    bad_filter = subprocess.run(link.exec_a(sys.executable, SNIFF, link.dev_a, "tcp and"),
                                capture_output=True, text=True, timeout=30)
    assert bad_filter.returncode == 1 and "syntax error" in bad_filter.stderr
    no_device = subprocess.run(link.exec_b(sys.executable, SEND, "gpcapy-nosuch0"),
                               capture_output=True, text=True, timeout=30)
    assert no_device.returncode == 1 and "No such device" in no_device.stderr
    for argv in ([SEND], [SEND, link.dev_b, "--size", "20"], [SEND, link.dev_b, "--dst", "xx"],
                 [SNIFF, "--count", "many"]):
        out = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=30)
        assert out.returncode == 2 and "usage:" in out.stderr, argv
