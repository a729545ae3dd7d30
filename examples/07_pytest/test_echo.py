"""pytest with gopcapy's plugin: assert on what crossed the wire.

usage: sudo python -m pytest examples/07_pytest  (the fixtures need root;
without it the tests are skipped, with the reason)

The fixtures come from the plugin pip installs with gopcapy: ``veth_pair``
(two network namespaces joined by a veth pair) and ``pcap_capture`` (a capture
over a with-block). No conftest.py is needed. A failing test keeps its
captures and its report names the files (``--pcap-dir DIR`` to collect them).
"""

import threading
import time

import echo

PORT = 7007
SYN = "tcp[tcpflags] == tcp-syn"
SYN_ACK = "tcp[tcpflags] == tcp-syn|tcp-ack"
RST = "tcp[tcpflags] & tcp-rst != 0"


def test_echo_completes_the_handshake_and_echoes(veth_pair, pcap_capture):
    server, client = veth_pair.a, veth_pair.b
    listener = server.call(echo.listen, server.ip, PORT)  # a socket in the server's namespace
    threading.Thread(target=echo.serve_one, args=(listener,), daemon=True).start()

    with pcap_capture(server, f"tcp port {PORT}") as cap:
        reply = client.call(echo.request, server.ip, PORT, b"hello, wire")

    assert reply == b"hello, wire"
    cap.assert_seen(f"src host {client.ip} and {SYN}", count=1)
    cap.assert_seen(f"src host {server.ip} and {SYN_ACK}", count=1)
    cap.assert_seen(f"src host {server.ip} and tcp[tcpflags] & tcp-push != 0", count=1)  # the echo
    cap.assert_seen(f"src host {server.ip} and tcp[tcpflags] & tcp-fin != 0", count=1)
    listener.close()


def test_client_retries_a_refused_connection(veth_pair, pcap_capture):
    server, client = veth_pair.a, veth_pair.b
    replies = []
    attempt = threading.Thread(target=lambda: replies.append(
        client.call(echo.request, server.ip, PORT, b"again", attempts=3, delay=0.5)))

    with pcap_capture(server, f"tcp port {PORT}") as cap:
        attempt.start()
        deadline = time.monotonic() + 5
        while not cap.count(RST) and time.monotonic() < deadline:  # cap.packets grows in the block
            time.sleep(0.01)
        listener = server.call(echo.listen, server.ip, PORT)  # now listen, before the retry
        echo.serve_one(listener)
        attempt.join()

    assert replies == [b"again"]
    cap.assert_seen(SYN, count=2)                                      # tried twice
    cap.assert_seen(f"src host {server.ip} and {RST}", count=1)         # refused once
    cap.assert_seen(f"src host {server.ip} and {SYN_ACK}", count=1)     # then accepted
    listener.close()
