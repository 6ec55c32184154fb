"""The trend chart is a valid PNG whose pixels show the bars."""

from __future__ import annotations

import struct
import zlib

import pytest

from handlers.chart import (
    BAR,
    GLYPH_HEIGHT,
    INK,
    NO_DATA,
    PNG_SIGNATURE,
    SCALE,
    TODAY,
    WHITE,
    bar_chart_png,
    encode_png,
    text_width,
)


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
    plot_left = 5 + text_width("30") + 2 * SCALE   # the scale's widest number, then the axis
    assert (width, height) == (plot_left + 30 * 12 - 2 + 5, 100)
    baseline = height - 5 - GLYPH_HEIGHT - 2 * SCALE - 1
    assert pixel(rows, plot_left, baseline) == NO_DATA         # a day with no digest
    assert pixel(rows, plot_left + 5 * 12, baseline) == BAR     # the first day with one
    today = plot_left + 29 * 12
    plot_top = 5 + GLYPH_HEIGHT + 2 * SCALE
    assert pixel(rows, today, baseline) == TODAY and pixel(rows, today, plot_top) == TODAY
    assert pixel(rows, plot_left + 5 * 12, plot_top + 5) == WHITE  # a short bar stays short


def ink_columns(rows: list[bytes], top: int, bottom: int) -> list[int]:
    return sorted({x for y in range(top, bottom) for x in range(len(rows[y]) // 3)
                   if pixel(rows, x, y) == INK})


def test_the_axes_are_labelled_with_the_title_the_scale_and_the_days():
    width, height, rows = decode(bar_chart_png([None] * 20 + [3, 5, 8, 20, 18, 17, 15, 14, 20, 20]))
    title = ink_columns(rows, 0, 6 + GLYPH_HEIGHT)
    assert title[0] == 6 and title[-1] < 6 + text_width("OPEN FINDINGS")
    under = ink_columns(rows, height - 6 - GLYPH_HEIGHT, height - 6)
    assert under[0] < width // 3, "the first day is labelled (29 DAYS AGO)"
    assert under[-1] > width * 2 // 3, "today is labelled"
    plot_top = 6 + GLYPH_HEIGHT + 2 * SCALE
    scale = ink_columns(rows, plot_top, height - 6 - GLYPH_HEIGHT)
    assert scale and scale[-1] < 6 + text_width("20") + 2 * SCALE, "0 and 20 left of the axis"


def test_a_label_that_does_not_fit_is_left_out_rather_than_overlapping():
    _, height, rows = decode(bar_chart_png([4, 5], first="A LONG TIME AGO"))
    under = ink_columns(rows, height - 6 - GLYPH_HEIGHT, height - 6)
    assert len(under) <= text_width("TODAY")


def test_the_chart_fits_a_narrow_panel():
    width, _, _ = decode(bar_chart_png([1] * 30))
    assert width <= 400


def test_an_empty_history_still_draws():
    width, height, _ = decode(bar_chart_png([]))
    assert width > 0 and height > 0


def test_rows_must_match_the_size():
    with pytest.raises(ValueError):
        encode_png(2, 1, [b"\x00" * 5])
