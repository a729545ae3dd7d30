"""Deterministic generator of capture files for tests and benchmarks.

The frame builders (``ethernet``, ``ipv4``, ``tcp`` ...) and writers
(``write_pcap``, ``write_pcapng``) belong to the package (pcapy/_frames.py,
which the pytest plugin's make_pcap uses); this module re-exports them and adds:

* helpers for broken files (``truncate_file``, ``write_bad_magic``);
* ready-made samples (``mixed_traffic``, ``write_sample``) and a tiny CLI:
  ``python3 capgen.py OUT.pcap [--count N] [--seed S] [--ns] [--pcapng]``.

Timestamps are always integer nanoseconds since the epoch.
Importing this module does no work beyond defining constants and functions.
"""

from __future__ import annotations

import os
import random
import struct
import sys
from typing import Iterator

from pcapy._frames import *  # noqa: F403  (the builders and writers, re-exported)
from pcapy._frames import _pseudo_header  # noqa: F401  (test_capgen checks it)
from pcapy._frames import (ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP,
                           IPPROTO_UDP, TCP_ACK, TCP_PSH, TCP_SYN, Packet, PathOrFile, arp_request, ethernet,
                           icmp_echo, icmpv6_echo, ipv4, ipv6, tcp, udp, write_pcap, write_pcapng)

BAD_MAGIC = b"\xab\xad\x1d\xea"


def truncate_file(path: str | os.PathLike[str], n_bytes_to_remove: int) -> int:
    """Chop bytes off the end of a capture (e.g. mid-record, to provoke
    "truncated dump file" errors). Returns the new size."""
    size = max(0, os.path.getsize(path) - n_bytes_to_remove)
    os.truncate(path, size)
    return size


def write_bad_magic(path: str | os.PathLike[str]) -> None:
    """A 24-byte file whose magic AB AD 1D EA no reader knows, so libpcap fails
    with "unknown file format" (not "truncated", hence the full header size)."""
    with open(path, "wb") as f:
        f.write(BAD_MAGIC + b"\x00" * 20)


# ---------------------------------------------------------------- samples

def _host_mac(index: int) -> bytes:
    """Locally administered MAC for host ``index``, so frames map to hosts."""
    return bytes((0x02, 0, 0, 0, 0, index))


def _template(rng: random.Random, target_len: int, hosts: list[int], weights: list[int]) -> bytes:
    """Build one realistic Ethernet frame of about ``target_len`` bytes.
    Length is reached by sizing the payload after measuring the headers."""
    a, b = rng.choices(hosts, weights, k=2)
    while b == a:
        b = rng.choice(hosts)
    smac, dmac = _host_mac(a), _host_mac(b)
    if target_len < 100 and rng.random() < 0.12:
        return arp_request(smac, f"10.0.0.{a}", f"10.0.0.{b}")
    v6 = rng.random() < 0.3
    src, dst = (f"fd00::{a:x}", f"fd00::{b:x}") if v6 else (f"10.0.0.{a}", f"10.0.0.{b}")
    ip_hdr = 54 if v6 else 34  # Ethernet + fixed IP header
    kind = rng.random()
    if kind < 0.6:
        l4_hdr, server = 20, rng.choice((80, 443, 443, 22, 8080))
    elif kind < 0.88:
        l4_hdr, server = 8, rng.choice((53, 53, 5353, 123, 443))
    else:
        l4_hdr, server = 8, 0
    payload = rng.randbytes(max(0, target_len - ip_hdr - l4_hdr))
    client = rng.randrange(32768, 61000)
    # Half the flows go server->client so ports appear as both src and dst.
    sport, dport = (client, server) if rng.random() < 0.5 else (server, client)
    if kind < 0.6:
        l4 = tcp(src, dst, sport, dport, payload, flags=TCP_PSH | TCP_ACK,
                 seq=rng.getrandbits(32), ack=rng.getrandbits(32))
        proto = IPPROTO_TCP
    elif kind < 0.88:
        l4, proto = udp(src, dst, sport, dport, payload), IPPROTO_UDP
    elif v6:
        l4 = icmpv6_echo(src, dst, a, rng.randrange(65536), payload, reply=rng.random() < 0.5)
        proto = IPPROTO_ICMPV6
    else:
        l4 = icmp_echo(a, rng.randrange(65536), payload, reply=rng.random() < 0.5)
        proto = IPPROTO_ICMP
    if v6:
        return ethernet(dmac, smac, ETH_P_IPV6, ipv6(src, dst, proto, l4))
    return ethernet(dmac, smac, ETH_P_IP, ipv4(src, dst, proto, l4, ident=rng.randrange(65536)))


def sample_frames(seed: int = 1, count: int = 512) -> list[bytes]:
    """``count`` distinct template frames: sizes cycle small (60-99), medium
    (100-1399), large (1400-1514) so each class is about a third; hosts are
    Zipf-weighted (host 1 talks most) so "top talkers" exist."""
    rng = random.Random(seed)
    hosts = list(range(1, 13))
    weights = [120 // h for h in hosts]
    ranges = ((60, 99), (100, 1399), (1400, 1514))
    return [_template(rng, rng.randint(*ranges[i % 3]), hosts, weights) for i in range(count)]


def mixed_traffic(n: int, seed: int = 1, start_ns: int = 1_600_000_000_000_000_000,
                  gap_ns: int = 10_000) -> Iterator[tuple[int, bytes]]:
    """Yield ``n`` deterministic ``(ts_ns, ethernet_frame)`` pairs.

    Frames are drawn from a cached set of ~500 prebuilt templates (checksums
    computed once), so only timestamps vary per packet; that is what makes a
    million frames cheap. Timestamps start at ``start_ns`` and strictly
    increase by ``gap_ns`` +/- 50% jitter.
    """
    rng = random.Random(seed)  # never the global RNG: samples must be reproducible
    frames = sample_frames(seed)
    nframes, rand = len(frames), rng.random
    ts, base, spread = start_ns, max(1, gap_ns // 2), gap_ns
    for _ in range(n):
        yield ts, frames[int(rand() * nframes)]
        ts += base + int(rand() * spread)


def classifier_traffic(flows: int = 2000, seed: int = 3,
                       start_ns: int = 1_650_000_000_000_000_000) -> Iterator[Packet]:
    """Frames for loop_filtered's classifier: ``flows`` UDP flows of 1-4
    packets each, interleaved (enough flows to collide in a flow table), and
    around them every case its rules tell apart: TCP handshakes and payload
    on 443/80/8080, bare SYNs and ACKs, DNS over UDP and TCP, ICMP to watched
    hosts (10.99.0.1, 10.99.0.2), 802.1Q and QinQ tags (and three tags,
    too many), IPv6, ARP, an IPv4 header with options, one with a bad header
    length, one from 0.0.0.0, and frames captured too short to see ports."""
    rng = random.Random(seed)
    m1, m2 = _host_mac(1), _host_mac(2)
    frames: list[tuple[bytes, int]] = []  # (frame, captured length; 0 = all)

    def eth4(src: str, dst: str, proto: int, l4: bytes, vlans: tuple = ()) -> bytes:
        body = ipv4(src, dst, proto, l4, ident=rng.randrange(65536))
        tags = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in vlans)
        etype = vlans[0][0] if vlans else ETH_P_IP
        rest = tags[2:] + struct.pack("!H", ETH_P_IP) if vlans else b""
        return m2 + m1 + struct.pack("!H", etype) + rest + body

    def tcp4(src, dst, sport, dport, payload=b"", flags=TCP_PSH | TCP_ACK, vlans=()):
        return eth4(src, dst, IPPROTO_TCP, tcp(src, dst, sport, dport, payload, flags), vlans)

    def udp4(src, dst, sport, dport, payload=b"", vlans=()):
        return eth4(src, dst, IPPROTO_UDP, udp(src, dst, sport, dport, payload), vlans)

    specials = []
    for i in range(40):
        client, port = f"10.1.{i // 200}.{i % 200 + 1}", rng.choice((443, 443, 80, 8080, 8443))
        sport = 40000 + i
        specials.append(tcp4(client, "10.2.0.1", sport, port, flags=TCP_SYN))
        specials.append(tcp4("10.2.0.1", client, port, sport, flags=TCP_SYN | TCP_ACK))
        specials.append(tcp4(client, "10.2.0.1", sport, port, flags=TCP_ACK))
        for _ in range(rng.randrange(1, 6)):
            specials.append(tcp4(client, "10.2.0.1", sport, port, b"GET / HTTP/1.1\r\n" + rng.randbytes(20)))
            specials.append(tcp4("10.2.0.1", client, port, sport, b"HTTP/1.1 200 OK\r\n"))
    for i in range(30):
        specials.append(udp4(f"10.3.0.{i + 1}", "10.0.0.53", 30000 + i, 53, b"query"))
        specials.append(tcp4(f"10.3.1.{i + 1}", "10.0.0.53", 31000 + i, 53, b"q"))
        specials.append(udp4(f"10.3.2.{i + 1}", "10.0.0.5", 5353, 5353, b"mdns"))
        specials.append(udp4(f"10.3.3.{i + 1}", "10.0.0.9", 33000 + i, 443, b"quic initial"))
        specials.append(eth4("10.99.0.1" if i % 2 else f"10.4.0.{i}", "10.99.0.2" if i % 3 else "10.4.0.1",
                             IPPROTO_ICMP, icmp_echo(i, i, b"ping")))
        specials.append(tcp4(f"10.5.0.{i + 1}", "10.99.0.1", 44000 + i, 80, b"to a watched host"))
        specials.append(udp4(f"10.6.0.{i + 1}", "10.6.1.1", 7000, 7001, b"tagged",
                             vlans=((ETH_P_8021Q, 10),)))
        specials.append(tcp4(f"10.6.2.{i + 1}", "10.6.1.1", 7000 + i, 443, b"qinq",
                             vlans=((0x88A8, 20), (ETH_P_8021Q, 30))))
        specials.append(udp4(f"10.6.3.{i + 1}", "10.6.1.1", 7000, 53, b"three tags",
                             vlans=((0x88A8, 1), (ETH_P_8021Q, 2), (ETH_P_8021Q, 3))))
        specials.append(ethernet(m2, m1, ETH_P_IPV6, ipv6("fd00::1", "fd00::2", IPPROTO_TCP,
                                                          tcp("fd00::1", "fd00::2", 50000 + i, 443, b"v6"))))
        specials.append(arp_request(m1, "10.0.0.1", f"10.0.0.{i + 2}"))
    options = ipv4("10.7.0.1", "10.7.0.2", IPPROTO_UDP, udp("10.7.0.1", "10.7.0.2", 9, 53, b"x"))
    options = bytes([0x46]) + options[1:20] + b"\x01\x01\x01\x01" + options[20:]
    specials.append(m2 + m1 + struct.pack("!H", ETH_P_IP) + options)
    bad_ihl = bytearray(udp4("10.7.0.3", "10.99.0.1", 1, 2, b"bad ihl"))
    bad_ihl[14] = 0x44
    specials.append(bytes(bad_ihl))
    specials.append(udp4("0.0.0.0", "255.255.255.255", 68, 67, b"dhcp"))
    frames = [(f, 0) for f in specials]
    frames += [(tcp4("10.8.0.1", "10.8.0.2", 1000, 443, b"short"), 36),   # no ports
               (tcp4("10.8.0.1", "10.8.0.2", 1000, 80, b"short"), 40),    # no TCP flags
               (udp4("10.99.0.2", "10.8.0.2", 1, 2, b"short"), 30)]       # no full IP header
    counts = [rng.randrange(1, 5) for _ in range(flows)]
    pending = [i for i, c in enumerate(counts) for _ in range(c)]
    rng.shuffle(pending)
    for i in pending:
        src, dst = f"10.{16 + i // 60000}.{i // 250 % 240}.{i % 250 + 1}", f"10.200.{i % 7}.1"
        frames.append((udp4(src, dst, 1024 + i % 50000, 2000 + i % 3, b"bulk"), 0))
    rng.shuffle(frames)
    ts = start_ns
    for frame, caplen in frames:
        ts += rng.randrange(1000, 100_000)
        yield (ts, frame[:caplen], len(frame)) if caplen else (ts, frame)


def write_sample(path: PathOrFile, n: int = 1000, seed: int = 1, pcapng: bool = False,
                 start_ns: int = 1_600_000_000_000_000_000, **kw) -> int:
    """Write ``mixed_traffic(n, seed)`` as pcap (or pcapng); ``kw`` goes to the
    writer (nanosecond, snaplen, big_endian for pcap). Returns the count."""
    writer = write_pcapng if pcapng else write_pcap
    return writer(path, mixed_traffic(n, seed, start_ns), **kw)


def main(argv: list[str] | None = None) -> int:
    """CLI: write the mixed sample. ``OUT`` may be ``-`` for stdout."""
    import argparse  # imported here so that importing the module stays cheap

    parser = argparse.ArgumentParser(description="Write a deterministic mixed-traffic capture.")
    parser.add_argument("out", help="output file, or - for stdout")
    parser.add_argument("--count", type=int, default=1000, help="number of packets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ns", action="store_true", help="nanosecond timestamps")
    parser.add_argument("--pcapng", action="store_true", help="write pcapng instead of pcap")
    args = parser.parse_args(argv)
    out = sys.stdout.buffer if args.out == "-" else args.out
    write_sample(out, args.count, args.seed, pcapng=args.pcapng, nanosecond=args.ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
