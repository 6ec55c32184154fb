"""A tiny PNG bar chart (zlib + struct only), for the digest's 30-day trend image."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WHITE = (255, 255, 255)
GRID = (221, 221, 221)
AXIS = (120, 120, 120)
BAR = (54, 123, 196)
TODAY = (222, 96, 42)
NO_DATA = (200, 200, 200)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rows: Sequence[bytes]) -> bytes:
    """An 8-bit RGB PNG from `height` rows of `width * 3` bytes each."""
    if len(rows) != height or any(len(row) != width * 3 for row in rows):
        raise ValueError("every row must hold width * 3 bytes, and there must be height rows")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 on every scanline
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def _bar_heights(values: Sequence[int | None], room: int) -> list[int | None]:
    top = max((v for v in values if v is not None), default=0) or 1
    return [None if v is None else max(1 if v else 0, round(v * room / top)) for v in values]


def bar_chart_png(values: Sequence[int | None], *, bar: int = 14, gap: int = 4,
                  height: int = 140, margin: int = 10) -> bytes:
    """Bars left to right, the last (today) highlighted; None is a day with no data."""
    width = margin * 2 + max(1, len(values)) * (bar + gap) - gap
    room = height - margin * 2
    canvas = [bytearray(bytes(WHITE) * width) for _ in range(height)]

    def paint(x0: int, x1: int, y0: int, y1: int, colour: tuple[int, int, int]) -> None:
        for y in range(max(0, y0), min(height, y1)):
            canvas[y][x0 * 3:x1 * 3] = bytes(colour) * (x1 - x0)

    for quarter in (1, 2, 3, 4):
        line = height - margin - room * quarter // 4
        paint(margin, width - margin, line, line + 1, GRID)
    baseline = height - margin
    for index, bar_height in enumerate(_bar_heights(values, room)):
        left = margin + index * (bar + gap)
        if bar_height is None:
            paint(left, left + bar, baseline - 2, baseline, NO_DATA)
            continue
        colour = TODAY if index == len(values) - 1 else BAR
        paint(left, left + bar, baseline - bar_height, baseline, colour)
    paint(margin, width - margin, baseline, baseline + 1, AXIS)
    return encode_png(width, height, [bytes(row) for row in canvas])
