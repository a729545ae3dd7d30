"""A capture shaped like pcapy-ng's benchmark capture, for its harness scenarios.

usage: python bench/ng_capture.py OUT.pcap [--packets N]

pcapy-ng's harness (its repository's benchmarks/, not in its sdist) reads
400,000 packets averaging ~443 bytes: IPv4 flows 70% TCP, 25% UDP, 5% ICMP,
~3% IPv6 and ~2% VLAN-tagged frames, payloads mostly small with bulk flows
of 1400-byte segments. This generator makes a capture with those
proportions from this project's frame builders (pcapy/_frames.py), written
independently; run.py uses pcapy-ng's own capture instead when
BENCH_NG_CAPTURE names one (made by its gen_pcap.py).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from pcapy._frames import (ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMP, IPPROTO_TCP,  # noqa: E402
                           IPPROTO_UDP, ethernet, icmp_echo, ipv4, ipv6, tcp, udp, write_pcap)

SEED = 12
TEMPLATES = 4000  # frames built with checksums once, then drawn per packet
SMALL_PAYLOADS = (0, 0, 24, 64, 120, 300)  # plus a uniform 0-700 draw
BULK_PAYLOADS = (1400, 1400, 512, 128)


def _frame(rng: random.Random) -> bytes:
    mac_a, mac_b = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"
    vlan = 100 if rng.random() < 0.02 else None
    if rng.random() < 0.03:
        src, dst = f"2001:db8::{rng.randrange(1, 0xffff):x}", f"2001:db8:1::{rng.randrange(1, 0xffff):x}"
        l4 = udp(src, dst, rng.randrange(32768, 60000), 53, bytes(rng.randrange(40, 200)))
        return ethernet(mac_b, mac_a, ETH_P_IPV6, ipv6(src, dst, IPPROTO_UDP, l4), vlan)
    src = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    dst = f"{rng.randrange(11, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    bulk = rng.random() < 0.39  # share of packets in bulk flows (3% of flows, long ones): ~443 B average
    size = rng.choice(BULK_PAYLOADS) if bulk else rng.choice(SMALL_PAYLOADS + (rng.randrange(700),))
    payload = bytes(size)
    kind = rng.random()
    if kind < 0.70:
        proto, l4 = IPPROTO_TCP, tcp(src, dst, rng.randrange(32768, 60000), rng.choice((80, 443, 22)), payload)
    elif kind < 0.95:
        proto, l4 = IPPROTO_UDP, udp(src, dst, rng.randrange(32768, 60000), rng.choice((53, 123, 443)), payload)
    else:
        proto, l4 = IPPROTO_ICMP, icmp_echo(rng.randrange(65536), rng.randrange(65536), payload)
    return ethernet(mac_b, mac_a, ETH_P_IP, ipv4(src, dst, proto, l4), vlan)


def packets(n: int, seed: int = SEED):
    rng = random.Random(seed)
    frames = [_frame(rng) for _ in range(TEMPLATES)]
    ts = 1_767_225_600_000_000_000
    for _ in range(n):
        ts += 7_000  # 7 µs apart
        yield ts, frames[int(rng.random() * TEMPLATES)]


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    n = int(argv[argv.index("--packets") + 1]) if "--packets" in argv else 400_000
    write_pcap(argv[0], packets(n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
