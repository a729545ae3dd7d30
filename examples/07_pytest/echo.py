"""The code under test: a tiny TCP echo server, and a client that retries.

Used by test_echo.py, which runs both in network namespaces and checks what
went over the wire. ECHO_SERVER_BROKEN=1 in the environment makes the server
hang up without echoing: run the tests so to see what a failure reports.
"""

from __future__ import annotations

import os
import socket
import time


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen()
    return sock


def serve_one(listener: socket.socket) -> None:
    """Accept one connection and echo what it sends until it closes."""
    conn, _ = listener.accept()
    with conn:
        if os.environ.get("ECHO_SERVER_BROKEN"):
            return
        while data := conn.recv(4096):
            conn.sendall(data)


def request(host: str, port: int, data: bytes, attempts: int = 1, delay: float = 0.5) -> bytes:
    """Send data, return the echo; a refused connection is tried again after
    ``delay`` seconds, up to ``attempts`` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            with socket.create_connection((host, port), timeout=5) as sock:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                reply = b""
                while chunk := sock.recv(4096):
                    reply += chunk
                return reply
        except ConnectionRefusedError:
            if attempt == attempts:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")  # attempts < 1
