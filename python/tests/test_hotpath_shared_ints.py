"""Headers made by the C part share int objects (the lengths of ordinary
packets, the second of consecutive packets): every header still holds its
own packet's values, whatever came before it."""

from __future__ import annotations

import random

import pytest

from pcapy import _batch


@pytest.fixture(scope="module")
def hot():
    return _batch.hotpath()


def test_headers_sharing_ints_hold_their_own_values(hot) -> None:
    rng = random.Random(12)
    rows = []
    sec = 1_700_000_000
    for _ in range(3000):
        sec += rng.choice((0, 0, 0, 1, -1, 2**33))  # same second, next, back, far
        caplen = rng.choice((0, 1, 60, 255, 256, 1514, 2047, 2048, 2049, 9000, 70000))
        length = caplen if rng.random() < 0.7 else caplen + rng.choice((1, 4000, 2**31))
        rows.append((sec, rng.randrange(1_000_000), caplen, min(length, 2**32 - 1)))
    rs = _batch.RECORD_SIZE
    records, data, start = [], [], rs * len(rows)
    for i, (s, f, c, n) in enumerate(rows):
        records.append(_batch.RECORD.pack(s, f, c, n, start, start + c))
        data.append(bytes([i & 0xFF]) * c)
        start += c
    got = list(hot.Batch(b"".join(records) + b"".join(data), len(rows), hot.Header))
    assert [tuple(h) for h, _ in got] == rows
    assert [d for _, d in got] == data
