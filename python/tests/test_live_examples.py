"""examples/03_sniff.py and examples/04_send.py, run inside the test namespaces:
what the sender sends, the sniffer prints and counts."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pcapy
from testhelpers import REPO
from pcapy._netns import VethPair, mac_text as mac

SNIFF = str(REPO / "examples" / "03_sniff.py")
SEND = str(REPO / "examples" / "04_send.py")


def start_sniffer(veth_pair: VethPair, *args: str) -> tuple[subprocess.Popen, str]:
    """The sniffer running in namespace a, once it listens, and its banner."""
    child = subprocess.Popen(veth_pair.a.argv(sys.executable, SNIFF, *args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    banner = child.stderr.readline()
    assert banner.startswith("listening on "), banner + child.stderr.read()
    return child, banner


def send(veth_pair: VethPair, *args: str) -> str:
    out = subprocess.run(veth_pair.b.argv(sys.executable, SEND, veth_pair.b.dev, *args),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_sniffer_prints_each_frame_the_sender_sends_and_a_summary_on_ctrl_c(veth_pair: VethPair) -> None:
    sniffer, banner = start_sniffer(veth_pair, veth_pair.a.dev, "ether proto 0x88b5")
    assert banner == f"listening on {veth_pair.a.dev}, link-type 1, filter 'ether proto 0x88b5' (Ctrl-C to stop)\n"
    try:
        sent = send(veth_pair, "--count", "25", "--size", "100", "--dst", mac(veth_pair.a.mac))
        assert sent.startswith(f"sent 25 frames of 100 bytes on {veth_pair.b.dev}")
        # Wait for the 25 lines, then Ctrl-C.
        lines = [sniffer.stdout.readline() for _ in range(25)]
        sniffer.send_signal(signal.SIGINT)
        out, err = sniffer.communicate(timeout=10)
    finally:
        sniffer.kill()
    assert sniffer.returncode == 0, err
    flow = f"{mac(veth_pair.b.mac)} > {mac(veth_pair.a.mac)}"
    assert all(re.fullmatch(rf"\d\d:\d\d:\d\d\.\d{{6}} ether 0x88b5 +{flow} length 100\n", line)
               for line in lines), lines
    assert out.startswith("25 packets captured (2500 bytes)\n"
                          "25 received by filter, 0 dropped by kernel, 0 dropped by interface\n")
    assert "ether 0x88b5        25" in out


def test_sniffer_defaults_to_the_first_device_and_stops_after_count(veth_pair: VethPair) -> None:
    with veth_pair.a.inside():
        assert pcapy.lookupdev() == veth_pair.a.dev
    sniffer, banner = start_sniffer(veth_pair, "--count", "3", "--quiet")
    assert banner.startswith(f"listening on {veth_pair.a.dev}, link-type 1 ")
    try:
        send(veth_pair, "--count", "5", "--dst", mac(veth_pair.a.mac))
        out, err = sniffer.communicate(timeout=10)
    finally:
        sniffer.kill()
    assert sniffer.returncode == 0, err
    assert out.startswith("3 packets captured (180 bytes)\n")


def test_sniffer_decodes_udp_between_the_namespaces(veth_pair: VethPair) -> None:
    sniffer, _ = start_sniffer(veth_pair, veth_pair.a.dev, "udp", "--count", "1")
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"s.bind(('{veth_pair.b.ip}', 5555)); s.sendto(b'hello', ('{veth_pair.a.ip}', 7777))")
    try:
        subprocess.run(veth_pair.b.argv(sys.executable, "-c", code), check=True, timeout=30)
        out, err = sniffer.communicate(timeout=10)
    finally:
        sniffer.kill()
    assert re.search(rf"UDP +{veth_pair.b.ip}:5555 > {veth_pair.a.ip}:7777 length 47\n", out), out + err


def test_examples_report_bad_input(veth_pair: VethPair) -> None:
    bad_filter = subprocess.run(veth_pair.a.argv(sys.executable, SNIFF, veth_pair.a.dev, "tcp and"),
                                capture_output=True, text=True, timeout=30)
    assert bad_filter.returncode == 1 and "syntax error" in bad_filter.stderr
    no_device = subprocess.run(veth_pair.b.argv(sys.executable, SEND, "gpcapy-nosuch0"),
                               capture_output=True, text=True, timeout=30)
    assert no_device.returncode == 1 and "No such device" in no_device.stderr
    for argv in ([SEND], [SEND, veth_pair.b.dev, "--size", "20"], [SEND, veth_pair.b.dev, "--dst", "xx"],
                 [SNIFF, "--count", "many"]):
        out = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=30)
        assert out.returncode == 2 and "usage:" in out.stderr, argv
