"""A small picture the demo's contact sends, drawn here (no file shipped, no Qt, no internet):
a PNG of a sunset over the sea, made with zlib alone."""

from __future__ import annotations

import math
import struct
import zlib

WIDTH, HEIGHT = 320, 220


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    t = min(max(t, 0.0), 1.0)
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _pixel(x: int, y: int) -> tuple[int, int, int]:
    horizon = HEIGHT * 0.62
    sun_x, sun_y, sun_r = WIDTH * 0.5, horizon - 8, 34.0
    if y < horizon:
        sky = _mix((38, 52, 120), (250, 150, 90), y / horizon)
        d = math.hypot(x - sun_x, y - sun_y)
        if d < sun_r:
            return _mix((255, 236, 160), (255, 200, 110), d / sun_r)
        return _mix(sky, (255, 190, 120), max(0.0, 1 - (d - sun_r) / 90) * 0.5)
    depth = (y - horizon) / (HEIGHT - horizon)
    sea = _mix((40, 70, 130), (18, 30, 70), depth)
    glint = abs(x - sun_x) < (sun_r * (1 - depth * 0.6)) and (y // 3 + x // 7) % 3 == 0
    return _mix(sea, (255, 200, 120), 0.6) if glint else sea


def demo_png() -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(_pixel(x, y)) for x in range(WIDTH)) for y in range(HEIGHT)
    )
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )
