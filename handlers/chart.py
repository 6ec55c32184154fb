"""A tiny labelled PNG bar chart (zlib + struct only), for the digest's 30-day trend image."""

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
INK = (70, 70, 70)
Colour = tuple[int, int, int]

# A 3x5 pixel font for the axis labels: each glyph is five rows of three bits, top row first.
FONT: dict[str, tuple[int, ...]] = {
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1), "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7), " ": (0, 0, 0, 0, 0), "-": (0, 0, 7, 0, 0),
    "A": (2, 5, 7, 5, 5), "D": (6, 5, 5, 5, 6), "E": (7, 4, 6, 4, 7), "F": (7, 4, 6, 4, 4),
    "G": (3, 4, 5, 5, 3), "I": (7, 2, 2, 2, 7), "N": (5, 7, 7, 5, 5), "O": (2, 5, 5, 5, 2),
    "P": (6, 5, 6, 4, 4), "S": (3, 4, 2, 1, 6), "T": (7, 2, 2, 2, 2), "Y": (5, 5, 2, 2, 2),
    "B": (6, 5, 6, 5, 6), "C": (3, 4, 4, 4, 3), "H": (5, 5, 7, 5, 5), "J": (1, 1, 1, 5, 2),
    "K": (5, 5, 6, 5, 5), "L": (4, 4, 4, 4, 7), "M": (5, 7, 5, 5, 5), "Q": (2, 5, 5, 6, 3),
    "R": (6, 5, 6, 5, 5), "U": (5, 5, 5, 5, 7), "V": (5, 5, 5, 5, 2), "W": (5, 5, 7, 7, 5),
    "X": (5, 5, 2, 5, 5), "Z": (7, 1, 2, 4, 7), "_": (0, 0, 0, 0, 7), ".": (0, 0, 0, 0, 2),
    "/": (1, 1, 2, 4, 4),
}
SCALE = 2  # each font pixel is drawn 2x2
GLYPH_HEIGHT = 5 * SCALE


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


def text_width(text: str) -> int:
    """Pixels `text` takes in the chart's font (one blank column between glyphs)."""
    return max(0, len(text) * 4 * SCALE - SCALE)


class Canvas:
    """Rows of RGB pixels, painted by rectangles and text."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(WHITE) * width) for _ in range(height)]

    def paint(self, x0: int, x1: int, y0: int, y1: int, colour: Colour) -> None:
        x0, x1 = max(0, x0), min(self.width, x1)
        for y in range(max(0, y0), min(self.height, y1)):
            self.rows[y][x0 * 3:x1 * 3] = bytes(colour) * max(0, x1 - x0)

    def text(self, x: int, y: int, text: str, colour: Colour = INK) -> None:
        """Upper-case letters and digits, top-left corner at (x, y)."""
        for index, char in enumerate(text.upper()):
            for row, bits in enumerate(FONT.get(char, FONT[" "])):
                for column in range(3):
                    if bits & (4 >> column):
                        left = x + (index * 4 + column) * SCALE
                        top = y + row * SCALE
                        self.paint(left, left + SCALE, top, top + SCALE, colour)

    def png(self) -> bytes:
        return encode_png(self.width, self.height, [bytes(row) for row in self.rows])


def _bar_heights(values: Sequence[int | None], room: int) -> list[int | None]:
    top = max((v for v in values if v is not None), default=0) or 1
    return [None if v is None else max(1 if v else 0, round(v * room / top)) for v in values]


def bar_chart_png(values: Sequence[int | None], *, bar: int = 9, gap: int = 3,
                  height: int = 150, margin: int = 6, title: str = "OPEN FINDINGS",
                  first: str | None = None, last: str = "TODAY") -> bytes:
    """Bars left to right, the last (today) highlighted; None is a day with no data.

    Labelled: `title` above, the scale (0 and the highest value) on the left, `first` under
    the first bar (by default "N DAYS AGO") and `last` under the last one."""
    return bar_chart(values, bar=bar, gap=gap, height=height, margin=margin, title=title,
                     first=first, last=last).png()


def panels_png(panels: Sequence[tuple[str, Sequence[int | None]]], height: int = 120) -> bytes:
    """Several bar charts, one under the other, each titled (the org, then its worst
    accounts); each has its own scale."""
    charts = [bar_chart(values, height=height, title=title) for title, values in panels]
    canvas = Canvas(max(c.width for c in charts), sum(c.height for c in charts))
    top = 0
    for chart in charts:
        for y, row in enumerate(chart.rows):
            canvas.rows[top + y][:len(row)] = row
        top += chart.height
    return canvas.png()


def bar_chart(values: Sequence[int | None], *, bar: int = 9, gap: int = 3, height: int = 150,
              margin: int = 6, title: str = "OPEN FINDINGS", first: str | None = None,
              last: str = "TODAY") -> Canvas:
    """The canvas `bar_chart_png` encodes."""
    top_value = max((v for v in values if v is not None), default=0)
    scale_width = text_width(str(top_value))
    plot_left = margin + scale_width + 2 * SCALE
    width = max(plot_left + max(1, len(values)) * (bar + gap) - gap + margin,
                2 * margin + text_width(title))
    plot_top = margin + GLYPH_HEIGHT + 2 * SCALE
    baseline = height - margin - GLYPH_HEIGHT - 2 * SCALE
    room = baseline - plot_top
    canvas = Canvas(width, height)
    canvas.text(margin, margin, title)
    for quarter in (1, 2, 3, 4):
        line = baseline - room * quarter // 4
        canvas.paint(plot_left, width - margin, line, line + 1, GRID)
    for index, bar_height in enumerate(_bar_heights(values, room)):
        left = plot_left + index * (bar + gap)
        if bar_height is None:
            canvas.paint(left, left + bar, baseline - 2, baseline, NO_DATA)
        else:
            colour = TODAY if index == len(values) - 1 else BAR
            canvas.paint(left, left + bar, baseline - bar_height, baseline, colour)
    canvas.paint(plot_left, width - margin, baseline, baseline + 1, AXIS)
    canvas.paint(plot_left - 1, plot_left, plot_top, baseline + 1, AXIS)
    canvas.text(plot_left - SCALE - text_width(str(top_value)), plot_top, str(top_value))
    canvas.text(plot_left - SCALE - text_width("0"), baseline - GLYPH_HEIGHT + 1, "0")
    last_bar_right = plot_left + max(1, len(values)) * (bar + gap) - gap
    if first is None:
        first = f"{len(values) - 1} DAYS AGO" if len(values) > 1 else ""
    _x_labels(canvas, plot_left, last_bar_right, baseline + 2 * SCALE, first, last)
    return canvas


def _x_labels(canvas: Canvas, left: int, right: int, y: int, first: str, last: str) -> None:
    """`first` starting under the first bar, `last` ending under the last one; `first` is
    left out when the two would touch."""
    last_x = max(left, right - text_width(last))
    canvas.text(last_x, y, last)
    if first and left + text_width(first) + 4 * SCALE <= last_x:
        canvas.text(left, y, first)
