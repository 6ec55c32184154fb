"""The trend chart is a valid PNG whose pixels show the bars."""

from __future__ import annotations

import struct
import zlib

import pytest

from handlers.chart import BAR, NO_DATA, PNG_SIGNATURE, TODAY, WHITE, bar_chart_png, encode_png


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == PNG_SIGNATURE
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind, data = png[offset + 4:offset + 8], png[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        found.append((kind, data))
        offset += 12 + length
    return found


def decode(png: bytes) -> tuple[int, int, list[bytes]]:
    parts = chunks(png)
    assert [kind for kind, _ in parts] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", parts[0][1])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(parts[1][1])
    stride = width * 3 + 1
    assert len(raw) == stride * height
    rows = [raw[y * stride:(y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def pixel(rows: list[bytes], x: int, y: int) -> tuple[int, int, int]:
    return tuple(rows[y][x * 3:x * 3 + 3])


def test_thirty_bars_decode_with_the_right_size_and_colours():
    values = [None] * 5 + list(range(1, 25)) + [30]
    png = bar_chart_png(values, bar=10, gap=2, height=100, margin=5)
    width, height, rows = decode(png)
    assert (width, height) == (5 * 2 + 30 * 12 - 2, 100)
    baseline = height - 5 - 1
    assert pixel(rows, 5, baseline) == NO_DATA                 # a day with no digest
    assert pixel(rows, 5 + 5 * 12, baseline) == BAR             # the first day with one
    today = 5 + 29 * 12
    assert pixel(rows, today, baseline) == TODAY and pixel(rows, today, 5) == TODAY  # tallest
    assert pixel(rows, 5 + 5 * 12, 30) == WHITE                 # a short bar stays short


def test_an_empty_history_still_draws():
    width, height, _ = decode(bar_chart_png([]))
    assert width > 0 and height > 0


def test_rows_must_match_the_size():
    with pytest.raises(ValueError):
        encode_png(2, 1, [b"\x00" * 5])
